using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// 2-d max pooling of <paramref name="input"/> (N, C, H, W) or (C, H, W) (<c>F.max_pool2d</c>). Sizes take
    /// one value for both dims or (height, width); an empty <paramref name="stride"/> means the kernel size,
    /// empty padding 0 and dilation 1.
    /// </summary>
    public static Tensor MaxPool2d(Tensor input, ReadOnlySpan<long> kernelSize, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> dilation = default, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (kernelSize.Length == 0)
            throw new ArgumentException("Functional.MaxPool2d: kernelSize takes 1 or 2 values (height, width), but got none", nameof(kernelSize));
        (long H, long W) kernel = Pair(kernelSize, 0, nameof(kernelSize), nameof(MaxPool2d));
        var p = new PoolParams(kernel, stride.Length == 0 ? kernel : Pair(stride, 0, nameof(stride), nameof(MaxPool2d)),
            Pair(padding, 0, nameof(padding), nameof(MaxPool2d)), Pair(dilation, 1, nameof(dilation), nameof(MaxPool2d)), ceilMode);
        return MaxPool2d(input, p);
    }

    /// <summary>2-d max pooling with a square window (<c>F.max_pool2d</c>); <paramref name="stride"/> null means the kernel size.</summary>
    public static Tensor MaxPool2d(Tensor input, long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false) =>
        MaxPool2d(input, [kernelSize], [stride ?? kernelSize], [padding], [dilation], ceilMode);

    private readonly record struct PoolParams((long H, long W) Kernel, (long H, long W) Stride, (long H, long W) Padding, (long H, long W) Dilation, bool CeilMode);

    private static Tensor MaxPool2d(Tensor input, PoolParams p)
    {
        long* k = stackalloc long[] { p.Kernel.H, p.Kernel.W };
        long* s = stackalloc long[] { p.Stride.H, p.Stride.W };
        long* pad = stackalloc long[] { p.Padding.H, p.Padding.W };
        long* d = stackalloc long[] { p.Dilation.H, p.Dilation.W };
        ember_tensor r, idx;
        Check(NativeMethods.ember_max_pool2d(input.Handle, k, s, pad, d, p.CeilMode ? 1 : 0, &r, &idx), input);
        var result = new Tensor(r);
        var indices = new Tensor(idx);
        if (!input._requiresGrad || !GradMode.IsEnabled)
        {
            indices.Dispose();
            return result;
        }
        var node = new MaxPool2dBackward(p) { Next = [Autograd.EdgeOf(input)], Input = SavedTensor.Of(input), Indices = SavedTensor.Own(indices) };
        return Autograd.SetHistory(result, node);
    }

    /// <summary>max_pool2d's backward as a differentiable op: scatters the gradient to the positions of the maxima.</summary>
    private static Tensor MaxPool2dBackwardOp(Tensor grad, Tensor input, Tensor indices, PoolParams p)
    {
        long* k = stackalloc long[] { p.Kernel.H, p.Kernel.W };
        long* s = stackalloc long[] { p.Stride.H, p.Stride.W };
        long* pad = stackalloc long[] { p.Padding.H, p.Padding.W };
        long* d = stackalloc long[] { p.Dilation.H, p.Dilation.W };
        ember_tensor r;
        Check(NativeMethods.ember_max_pool2d_backward(grad.Handle, input.Handle, indices.Handle, k, s, pad, d, p.CeilMode ? 1 : 0, &r), grad, input, indices);
        var result = new Tensor(r);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new MaxPool2dBackwardBackward { Next = [Autograd.EdgeOf(grad)], Indices = SavedTensor.Of(indices) };
        return Autograd.SetHistory(result, node);
    }

    private sealed class MaxPool2dBackward(PoolParams p) : Autograd.Node
    {
        public SavedTensor? Input, Indices;

        public override string Name => "MaxPool2DWithIndicesBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [MaxPool2dBackwardOp(grads[0]!, Input!.Unpack(this), Indices!.Unpack(this), p)];

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Indices?.Release();
        }
    }

    // The backward scatters; its own gradient gathers ggx at the same positions. Without a gather kernel
    // the gather is a one-hot mask over each plane (memory: output positions x plane size).
    private sealed class MaxPool2dBackwardBackward : Autograd.Node
    {
        public SavedTensor? Indices;

        public override string Name => "MaxPool2DWithIndicesBackwardBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor gg = grads[0]!;
            Tensor indices = Indices!.Unpack(this);
            long[] inShape = gg.ShapeArray, outShape = indices.ShapeArray;
            int batchDims = inShape.Length - 2;
            long plane = inShape[^2] * inShape[^1], positions = outShape[^2] * outShape[^1];
            long[] planeShape = [.. inShape[..batchDims], 1, plane];
            long[] indexShape = [.. outShape[..batchDims], positions, 1];
            using Tensor flat = gg.Reshape(planeShape);
            using Tensor idx = indices.Reshape(indexShape);
            using Tensor all = Torch.Arange(plane, DType.Int64, indices.Device);
            using Tensor hit = idx.Eq(all);
            using Tensor mask = hit.To(gg.DType);
            using Tensor picked = flat * mask;
            using Tensor summed = picked.Sum(-1);
            return [summed.Reshape(outShape)];
        }

        internal override void ReleaseSaved() => Indices?.Release();
    }

    /// <summary>
    /// 1-d max pooling of <paramref name="input"/> (N, C, L) or (C, L) (<c>F.max_pool1d</c>); <paramref name="stride"/>
    /// null means the kernel size.
    /// </summary>
    public static Tensor MaxPool1d(Tensor input, long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false)
    {
        (Tensor values, Tensor indices) = MaxPool1dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);
        indices.Dispose();
        return values;
    }

    /// <summary>1-d max pooling returning the values and their int64 positions along L (<c>F.max_pool1d_with_indices</c>).</summary>
    public static (Tensor Values, Tensor Indices) MaxPool1dWithIndices(Tensor input, long kernelSize, long? stride = null, long padding = 0,
        long dilation = 1, bool ceilMode = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        long s = stride ?? kernelSize;
        ember_tensor r, idx;
        Check(NativeMethods.ember_max_pool1d(input.Handle, kernelSize, s, padding, dilation, ceilMode ? 1 : 0, &r, &idx), input);
        var result = new Tensor(r);
        var indices = new Tensor(idx);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return (result, indices);
        var node = new MaxPoolScatterBackward("MaxPool1DWithIndicesBackward0", (grad, x, ix) =>
        {
            ember_tensor g;
            Check(NativeMethods.ember_max_pool1d_backward(grad.Handle, x.Handle, ix.Handle, kernelSize, s, padding, dilation, ceilMode ? 1 : 0, &g), grad, x, ix);
            return new Tensor(g);
        }, 1)
        { Next = [Autograd.EdgeOf(input)], Input = SavedTensor.Of(input), Indices = SavedTensor.Of(indices) };
        return (Autograd.SetHistory(result, node), indices);
    }

    /// <summary>
    /// 1-d average pooling of <paramref name="input"/> (N, C, L) or (C, L) (<c>F.avg_pool1d</c>); <paramref name="stride"/>
    /// null means the kernel size; <paramref name="countIncludePad"/> counts the zero padding in each window's divisor.
    /// </summary>
    public static Tensor AvgPool1d(Tensor input, long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true) =>
        AvgPool(input, new AvgPoolSpec(1, [kernelSize], [stride ?? kernelSize], [padding], ceilMode, countIncludePad, 0));

    /// <summary>
    /// 2-d average pooling of <paramref name="input"/> (N, C, H, W) or (C, H, W) (<c>F.avg_pool2d</c>). Sizes take one
    /// value for both dims or (height, width); an empty <paramref name="stride"/> means the kernel size, empty padding 0.
    /// <paramref name="divisorOverride"/>, when given, replaces every window's divisor.
    /// </summary>
    public static Tensor AvgPool2d(Tensor input, ReadOnlySpan<long> kernelSize, ReadOnlySpan<long> stride = default, ReadOnlySpan<long> padding = default,
        bool ceilMode = false, bool countIncludePad = true, long? divisorOverride = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (kernelSize.Length == 0)
            throw new ArgumentException("Functional.AvgPool2d: kernelSize takes 1 or 2 values (height, width), but got none", nameof(kernelSize));
        if (divisorOverride is <= 0)
            throw new ArgumentException($"Functional.AvgPool2d: divisor must be not zero, got divisorOverride={divisorOverride}", nameof(divisorOverride));
        (long H, long W) k = Pair(kernelSize, 0, nameof(kernelSize), nameof(AvgPool2d));
        (long H, long W) s = stride.Length == 0 ? k : Pair(stride, 0, nameof(stride), nameof(AvgPool2d));
        (long H, long W) pad = Pair(padding, 0, nameof(padding), nameof(AvgPool2d));
        return AvgPool(input, new AvgPoolSpec(2, [k.H, k.W], [s.H, s.W], [pad.H, pad.W], ceilMode, countIncludePad, divisorOverride ?? 0));
    }

    /// <summary>2-d average pooling with a square window (<c>F.avg_pool2d</c>); <paramref name="stride"/> null means the kernel size.</summary>
    public static Tensor AvgPool2d(Tensor input, long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true,
        long? divisorOverride = null) =>
        AvgPool2d(input, [kernelSize], [stride ?? kernelSize], [padding], ceilMode, countIncludePad, divisorOverride);

    /// <summary>Average pooling of (N, C, L) or (C, L) to <paramref name="outputSize"/> positions, windows spread evenly (<c>F.adaptive_avg_pool1d</c>).</summary>
    public static Tensor AdaptiveAvgPool1d(Tensor input, long outputSize) => AdaptiveAvgPool(input, [outputSize]);

    /// <summary>Average pooling of (N, C, H, W) or (C, H, W) to <paramref name="outputSize"/> (one value for both dims, or (height, width)) (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, ReadOnlySpan<long> outputSize)
    {
        (long H, long W) o = Pair(outputSize, -1, nameof(outputSize), nameof(AdaptiveAvgPool2d));
        return AdaptiveAvgPool(input, [o.H, o.W]);
    }

    /// <summary>Average pooling to a square <paramref name="outputSize"/> (<c>F.adaptive_avg_pool2d</c>).</summary>
    public static Tensor AdaptiveAvgPool2d(Tensor input, long outputSize) => AdaptiveAvgPool(input, [outputSize, outputSize]);

    /// <summary>Max pooling of (N, C, L) or (C, L) to <paramref name="outputSize"/> positions (<c>F.adaptive_max_pool1d</c>).</summary>
    public static Tensor AdaptiveMaxPool1d(Tensor input, long outputSize)
    {
        (Tensor values, Tensor indices) = AdaptiveMaxPool1dWithIndices(input, outputSize);
        indices.Dispose();
        return values;
    }

    /// <summary>1-d adaptive max pooling with the int64 positions of the maxima along L (<c>F.adaptive_max_pool1d(return_indices=True)</c>).</summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool1dWithIndices(Tensor input, long outputSize) => AdaptiveMaxPool(input, [outputSize]);

    /// <summary>Max pooling of (N, C, H, W) or (C, H, W) to <paramref name="outputSize"/> (one value or (height, width)) (<c>F.adaptive_max_pool2d</c>).</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, ReadOnlySpan<long> outputSize)
    {
        (Tensor values, Tensor indices) = AdaptiveMaxPool2dWithIndices(input, outputSize);
        indices.Dispose();
        return values;
    }

    /// <summary>Adaptive max pooling to a square <paramref name="outputSize"/> (<c>F.adaptive_max_pool2d</c>).</summary>
    public static Tensor AdaptiveMaxPool2d(Tensor input, long outputSize) => AdaptiveMaxPool2d(input, [outputSize]);

    /// <summary>
    /// 2-d adaptive max pooling with the int64 flat positions (h·W + w) of the maxima in each plane
    /// (<c>F.adaptive_max_pool2d(return_indices=True)</c>).
    /// </summary>
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor input, ReadOnlySpan<long> outputSize)
    {
        (long H, long W) o = Pair(outputSize, -1, nameof(outputSize), nameof(AdaptiveMaxPool2d));
        return AdaptiveMaxPool(input, [o.H, o.W]);
    }

    private sealed record AvgPoolSpec(int Dims, long[] Kernel, long[] Stride, long[] Padding, bool CeilMode, bool CountIncludePad, long DivisorOverride);

    private static Tensor AvgPool(Tensor input, AvgPoolSpec p)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        fixed (long* k = p.Kernel)
        fixed (long* s = p.Stride)
        fixed (long* pad = p.Padding)
            Check(NativeMethods.ember_avg_pool(input.Handle, p.Dims, k, s, pad, p.CeilMode ? 1 : 0, p.CountIncludePad ? 1 : 0, p.DivisorOverride, &r), input);
        var result = new Tensor(r);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new AvgPoolBackward(p) { Next = [Autograd.EdgeOf(input)], Input = SavedTensor.Of(input) };
        return Autograd.SetHistory(result, node);
    }

    /// <summary>avg_pool's backward as a differentiable op (linear in the gradient: its own gradient is avg_pool again).</summary>
    private static Tensor AvgPoolBackwardOp(Tensor grad, Tensor input, AvgPoolSpec p)
    {
        ember_tensor r;
        fixed (long* k = p.Kernel)
        fixed (long* s = p.Stride)
        fixed (long* pad = p.Padding)
            Check(NativeMethods.ember_avg_pool_backward(grad.Handle, input.Handle, p.Dims, k, s, pad, p.CeilMode ? 1 : 0, p.CountIncludePad ? 1 : 0,
                p.DivisorOverride, &r), grad, input);
        var result = new Tensor(r);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new LinearPoolBackwardBackward(p.Dims == 1 ? "AvgPool1DBackwardBackward0" : "AvgPool2DBackwardBackward0", gg => AvgPool(gg, p))
        {
            Next = [Autograd.EdgeOf(grad)],
        };
        return Autograd.SetHistory(result, node);
    }

    private static Tensor AdaptiveAvgPool(Tensor input, long[] outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        fixed (long* o = outputSize)
            Check(NativeMethods.ember_adaptive_avg_pool(input.Handle, o, outputSize.Length, &r), input);
        var result = new Tensor(r);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new AdaptiveAvgPoolBackward(outputSize) { Next = [Autograd.EdgeOf(input)], Input = SavedTensor.Of(input) };
        return Autograd.SetHistory(result, node);
    }

    private static Tensor AdaptiveAvgPoolBackwardOp(Tensor grad, Tensor input, long[] outputSize)
    {
        ember_tensor r;
        Check(NativeMethods.ember_adaptive_avg_pool_backward(grad.Handle, input.Handle, outputSize.Length, &r), grad, input);
        var result = new Tensor(r);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new LinearPoolBackwardBackward($"AdaptiveAvgPool{outputSize.Length}DBackwardBackward0", gg => AdaptiveAvgPool(gg, outputSize))
        {
            Next = [Autograd.EdgeOf(grad)],
        };
        return Autograd.SetHistory(result, node);
    }

    private static (Tensor Values, Tensor Indices) AdaptiveMaxPool(Tensor input, long[] outputSize)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r, idx;
        fixed (long* o = outputSize)
            Check(NativeMethods.ember_adaptive_max_pool(input.Handle, o, outputSize.Length, &r, &idx), input);
        var result = new Tensor(r);
        var indices = new Tensor(idx);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return (result, indices);
        int dims = outputSize.Length;
        var node = new MaxPoolScatterBackward($"AdaptiveMaxPool{dims}DBackward0", (grad, x, ix) =>
        {
            ember_tensor g;
            Check(NativeMethods.ember_adaptive_max_pool_backward(grad.Handle, x.Handle, ix.Handle, dims, &g), grad, x, ix);
            return new Tensor(g);
        }, dims)
        { Next = [Autograd.EdgeOf(input)], Input = SavedTensor.Of(input), Indices = SavedTensor.Of(indices) };
        return (Autograd.SetHistory(result, node), indices);
    }

    private sealed class AvgPoolBackward(AvgPoolSpec p) : Autograd.Node
    {
        public SavedTensor? Input;

        public override string Name => p.Dims == 1 ? "AvgPool1DBackward0" : "AvgPool2DBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [AvgPoolBackwardOp(grads[0]!, Input!.Unpack(this), p)];

        internal override void ReleaseSaved() => Input?.Release();
    }

    private sealed class AdaptiveAvgPoolBackward(long[] outputSize) : Autograd.Node
    {
        public SavedTensor? Input;

        public override string Name => $"AdaptiveAvgPool{outputSize.Length}DBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) => [AdaptiveAvgPoolBackwardOp(grads[0]!, Input!.Unpack(this), outputSize)];

        internal override void ReleaseSaved() => Input?.Release();
    }

    // The backward of a pooling that is linear in its input is linear in the gradient; its own gradient is the pooling itself.
    private sealed class LinearPoolBackwardBackward(string name, Func<Tensor, Tensor> pool) : Autograd.Node
    {
        public override string Name => name;

        internal override Tensor?[] Apply(Tensor?[] grads) => [pool(grads[0]!)];
    }

    /// <summary>A max pooling's gradient: scatter (a native backward kernel) to the positions of the maxima, differentiable.</summary>
    private sealed class MaxPoolScatterBackward(string name, Func<Tensor, Tensor, Tensor, Tensor> scatter, int pooledDims) : Autograd.Node
    {
        public SavedTensor? Input, Indices;

        public override string Name => name;

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor grad = grads[0]!, indices = Indices!.Unpack(this);
            Tensor result = scatter(grad, Input!.Unpack(this), indices);
            if (!grad._requiresGrad || !GradMode.IsEnabled)
                return [result];
            var node = new GatherAtMaxima(pooledDims) { Next = [Autograd.EdgeOf(grad)], Indices = SavedTensor.Of(indices) };
            return [Autograd.SetHistory(result, node)];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Indices?.Release();
        }
    }

    // The scatter's gradient gathers ggx at the maxima: flatten the pooled dims of both and gather along them.
    private sealed class GatherAtMaxima(int pooledDims) : Autograd.Node
    {
        public SavedTensor? Indices;

        public override string Name => "MaxPoolWithIndicesBackwardBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor gg = grads[0]!, indices = Indices!.Unpack(this);
            using Tensor flat = gg.Flatten(gg.Dim - pooledDims);
            using Tensor idx = indices.Flatten(indices.Dim - pooledDims);
            using Tensor picked = flat.Gather(-1, idx);
            return [picked.Reshape(indices.ShapeArray)];
        }

        internal override void ReleaseSaved() => Indices?.Release();
    }
}
