using Ember.Interop;

namespace Ember;

/// <summary>How <see cref="Functional.Pad(Tensor, ReadOnlySpan{long}, string, double)"/> fills the new elements.</summary>
internal enum PadMode
{
    Constant = 0,
    Reflect = 1,
    Replicate = 2,
    Circular = 3,
}

public static unsafe partial class Functional
{
    /// <summary>
    /// Pads the last dims (<c>F.pad</c>): <paramref name="pad"/> holds (before, after) pairs starting from the
    /// last dim. <paramref name="mode"/> is "constant" (fills <paramref name="value"/>; negative pads crop),
    /// "reflect", "replicate" or "circular".
    /// </summary>
    /// <exception cref="ArgumentException">An unknown mode, an odd number of pads, or pads too large for the mode.</exception>
    public static Tensor Pad(Tensor input, ReadOnlySpan<long> pad, string mode = "constant", double value = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        PadMode m = mode switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "replicate" => PadMode.Replicate,
            "circular" => PadMode.Circular,
            _ => throw new ArgumentException($"pad: unknown padding mode \"{mode}\"; expected constant, reflect, replicate or circular", nameof(mode)),
        };
        return Pad(input, pad, m, value);
    }

    internal static Tensor Pad(Tensor input, ReadOnlySpan<long> pad, PadMode mode, double value = 0)
    {
        ember_tensor r;
        Tensor result;
        fixed (long* p = pad)
            result = Tensor.Wrap(NativeMethods.ember_pad(input.Handle, p, pad.Length, (int)mode, Scalar.Of(value), &r), r, input);
        return Derivatives.Pad(result, input, pad.ToArray(), mode);
    }

    /// <summary>The gradient of a non-constant pad of an input of <paramref name="inputShape"/>, as a differentiable op.</summary>
    internal static Tensor PadBackward(Tensor grad, long[] inputShape, long[] pads, PadMode mode)
    {
        ember_tensor r;
        Tensor result;
        fixed (long* s = inputShape)
        fixed (long* p = pads)
            result = Tensor.Wrap(NativeMethods.ember_pad_backward(grad.Handle, s, inputShape.Length, p, pads.Length, (int)mode, &r), r, grad);
        return Derivatives.PadBackwardOp(result, grad, pads, mode);
    }
}
