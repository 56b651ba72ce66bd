namespace Ember.NN;

/// <summary>
/// Zeroes each element with probability <see cref="P"/> while training and scales the rest by 1/(1-p)
/// (<c>nn.Dropout</c>); returns the input unchanged in eval mode.
/// </summary>
public sealed class Dropout : Module<Tensor, Tensor>
{
    /// <summary>A dropout layer; <paramref name="p"/> is the probability of dropping an element.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5) => P = DropoutCheck.Probability(p, nameof(Dropout));

    /// <summary>Probability of dropping an element (<c>p</c>).</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout(input, P, Training);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={Layers.PyFloat(P)}, inplace=False";
}

/// <summary>
/// Zeroes whole channels of (N, C, H, W) input with probability <see cref="P"/> while training, scaling the
/// rest by 1/(1-p) (<c>nn.Dropout2d</c>); returns the input unchanged in eval mode.
/// </summary>
public sealed class Dropout2d : Module<Tensor, Tensor>
{
    /// <summary>A channel dropout layer; <paramref name="p"/> is the probability of dropping a channel.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout2d(double p = 0.5) => P = DropoutCheck.Probability(p, nameof(Dropout2d));

    /// <summary>Probability of dropping a channel (<c>p</c>).</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Dropout2d(input, P, Training);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"p={Layers.PyFloat(P)}, inplace=False";
}

internal static class DropoutCheck
{
    public static double Probability(double p, string layer)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{layer}: dropout probability has to be between 0 and 1, but got {p}");
        return p;
    }
}
