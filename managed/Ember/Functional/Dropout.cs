using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// Zeroes each element with probability <paramref name="p"/> and scales the others by 1/(1-p) while
    /// <paramref name="training"/> (<c>F.dropout</c>); otherwise returns an alias of the input.
    /// </summary>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) =>
        Dropout(input, p, training, generator, feature: false);

    /// <summary>
    /// Zeroes whole channels of (N, C, H, W) or (C, H, W) with probability <paramref name="p"/> and scales the others
    /// by 1/(1-p) while <paramref name="training"/> (<c>F.dropout2d</c>).
    /// </summary>
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) =>
        Dropout(input, p, training, generator, feature: true);

    private static Tensor Dropout(Tensor input, double p, bool training, Generator? generator, bool feature)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"Functional.{(feature ? nameof(Dropout2d) : nameof(Dropout))}: dropout probability has to be between 0 and 1, but got {p}");
        ember_tensor r, m;
        ember_generator gen = Generator.HandleOf(generator);
        ember_status status = feature
            ? NativeMethods.ember_feature_dropout(input.Handle, p, training ? 1 : 0, gen, &r, &m)
            : NativeMethods.ember_dropout(input.Handle, p, training ? 1 : 0, gen, &r, &m);
        GC.KeepAlive(generator);
        Check(status, input);
        var result = new Tensor(r);
        Tensor? mask = WrapOptional(m);
        if (mask is null)
            return Derivatives.To(result, input); // no-op: an alias of the input
        if (!input._requiresGrad || !GradMode.IsEnabled)
        {
            mask.Dispose();
            return result;
        }
        var node = new DropoutBackward(feature ? "MulBackward0" : "NativeDropoutBackward0") { Next = [Autograd.EdgeOf(input)], Mask = SavedTensor.Own(mask) };
        return Autograd.SetHistory(result, node);
    }

    // out = x * mask, so the gradient is grad * mask (the mask broadcasts for Dropout2d).
    private sealed class DropoutBackward(string name) : Autograd.Node
    {
        public SavedTensor? Mask;

        public override string Name => name;

        internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]! * Mask!.Unpack(this)];

        internal override void ReleaseSaved() => Mask?.Release();
    }
}
