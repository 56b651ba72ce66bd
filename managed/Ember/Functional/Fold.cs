using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// Extracts sliding blocks (<c>F.unfold</c>, im2col): <paramref name="input"/> (N, C, H, W) or (C, H, W) becomes
    /// (N, C·kH·kW, L), one column per block position. Sizes take one value for both dims or (height, width); empty
    /// means dilation 1, padding 0, stride 1.
    /// </summary>
    public static Tensor Unfold(Tensor input, ReadOnlySpan<long> kernelSize, ReadOnlySpan<long> dilation = default, ReadOnlySpan<long> padding = default,
        ReadOnlySpan<long> stride = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Unfold(input, FoldSpec.Of(nameof(Unfold), kernelSize, dilation, padding, stride));
    }

    /// <summary>Extracts square sliding blocks (<c>F.unfold</c>).</summary>
    public static Tensor Unfold(Tensor input, long kernelSize, long dilation = 1, long padding = 0, long stride = 1) =>
        Unfold(input, [kernelSize], [dilation], [padding], [stride]);

    /// <summary>
    /// Sums sliding blocks back into an image (<c>F.fold</c>, col2im): <paramref name="input"/> (N, C·kH·kW, L) or
    /// (C·kH·kW, L) becomes (N, C, H, W) with (H, W) = <paramref name="outputSize"/>; overlapping positions add up.
    /// </summary>
    public static Tensor Fold(Tensor input, ReadOnlySpan<long> outputSize, ReadOnlySpan<long> kernelSize, ReadOnlySpan<long> dilation = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> stride = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (outputSize.Length == 0)
            throw new ArgumentException("Functional.Fold: outputSize takes 1 or 2 values (height, width), but got none", nameof(outputSize));
        (long H, long W) o = Pair(outputSize, 0, nameof(outputSize), nameof(Fold));
        return Fold(input, [o.H, o.W], FoldSpec.Of(nameof(Fold), kernelSize, dilation, padding, stride));
    }

    /// <summary>Sums square sliding blocks back into a square image (<c>F.fold</c>).</summary>
    public static Tensor Fold(Tensor input, long outputSize, long kernelSize, long dilation = 1, long padding = 0, long stride = 1) =>
        Fold(input, [outputSize], [kernelSize], [dilation], [padding], [stride]);

    private sealed record FoldSpec(long[] Kernel, long[] Dilation, long[] Padding, long[] Stride)
    {
        public static FoldSpec Of(string op, ReadOnlySpan<long> kernelSize, ReadOnlySpan<long> dilation, ReadOnlySpan<long> padding, ReadOnlySpan<long> stride)
        {
            if (kernelSize.Length == 0)
                throw new ArgumentException($"Functional.{op}: kernelSize takes 1 or 2 values (height, width), but got none", nameof(kernelSize));
            (long H, long W) k = Pair(kernelSize, 0, nameof(kernelSize), op);
            (long H, long W) d = Pair(dilation, 1, nameof(dilation), op);
            (long H, long W) p = Pair(padding, 0, nameof(padding), op);
            (long H, long W) s = Pair(stride, 1, nameof(stride), op);
            return new([k.H, k.W], [d.H, d.W], [p.H, p.W], [s.H, s.W]);
        }
    }

    // unfold and fold are adjoint linear maps: each one's gradient is the other (so gradients of any order follow).
    private static Tensor Unfold(Tensor input, FoldSpec p)
    {
        ember_tensor r;
        fixed (long* k = p.Kernel)
        fixed (long* d = p.Dilation)
        fixed (long* pad = p.Padding)
        fixed (long* s = p.Stride)
            Check(NativeMethods.ember_unfold(input.Handle, k, d, pad, s, &r), input);
        var result = new Tensor(r);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        long[] shape = input.ShapeArray;
        long[] size = [shape[^2], shape[^1]];
        var node = new FoldAdjointBackward("Im2ColBackward0", g => Fold(g, size, p)) { Next = [Autograd.EdgeOf(input)] };
        return Autograd.SetHistory(result, node);
    }

    private static Tensor Fold(Tensor input, long[] outputSize, FoldSpec p)
    {
        ember_tensor r;
        fixed (long* o = outputSize)
        fixed (long* k = p.Kernel)
        fixed (long* d = p.Dilation)
        fixed (long* pad = p.Padding)
        fixed (long* s = p.Stride)
            Check(NativeMethods.ember_fold(input.Handle, o, k, d, pad, s, &r), input);
        var result = new Tensor(r);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new FoldAdjointBackward("Col2ImBackward0", g => Unfold(g, p)) { Next = [Autograd.EdgeOf(input)] };
        return Autograd.SetHistory(result, node);
    }

    private sealed class FoldAdjointBackward(string name, Func<Tensor, Tensor> adjoint) : Autograd.Node
    {
        public override string Name => name;

        internal override Tensor?[] Apply(Tensor?[] grads) => [adjoint(grads[0]!)];
    }
}
