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

/// <summary>
/// Dropout that keeps a SELU network self-normalising (<c>nn.AlphaDropout</c>): while training, each element is
/// set with probability <see cref="P"/> to SELU's negative saturation value, then an affine map restores zero mean
/// and unit variance; returns the input unchanged in eval mode or with p = 0.
/// </summary>
public sealed class AlphaDropout : Module<Tensor, Tensor>
{
    // -SELU's negative saturation, λ·α.
    private const double Alpha = 1.7580993408473766;

    /// <summary>An alpha dropout layer; <paramref name="p"/> is the probability of dropping an element.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public AlphaDropout(double p = 0.5) => P = DropoutCheck.Probability(p, nameof(AlphaDropout));

    /// <summary>Probability of dropping an element (<c>p</c>).</summary>
    public double P { get; }

    /// <summary>The generator of the masks, or null for the default one.</summary>
    public Generator? Generator { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Training || P == 0)
            return input;
        if (P == 1)
            return input * 0.0;
        using var scope = Torch.NewScope();
        // As PyTorch: keep ~ Bernoulli(1 - p); out = x · (keep · a) + ((keep − 1) · α · a + α · a · p).
        double a = 1.0 / Math.Sqrt((Alpha * Alpha * P + 1) * (1 - P));
        Tensor keep = Torch.Empty(input.Shape, input.DType, input.Device).Bernoulli_(1 - P, Generator);
        Tensor shift = (keep - 1.0) * (Alpha * a) + Alpha * a * P;
        return scope.MoveOut(input * (keep * a) + shift);
    }

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
