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
}
