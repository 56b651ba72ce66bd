using Ember.Interop;

namespace Ember;

// Backward formulas of view ops, copies and casts.

/// <summary>view, reshape and squeeze: the gradient reshaped to the input's shape.</summary>
internal sealed class ViewBackward(string name, long[] inputShape) : Autograd.Node
{
    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Reshape(inputShape)];
}

/// <summary>transpose(d0, d1): the gradient transposed back.</summary>
internal sealed class TransposeBackward(int dim0, int dim1) : Autograd.Node
{
    public override string Name => "TransposeBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Transpose(dim0, dim1)];
}

/// <summary>permute(dims): the gradient permuted by the inverse permutation.</summary>
internal sealed class PermuteBackward(int[] inverse) : Autograd.Node
{
    public override string Name => "PermuteBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Permute(inverse)];
}

/// <summary>expand(shape): the gradient summed over the expanded dims.</summary>
internal sealed class ExpandBackward(long[] inputShape) : Autograd.Node
{
    public override string Name => "ExpandBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [Grads.SumTo(grads[0]!, inputShape)];
}

/// <summary>unsqueeze(dim): the gradient with that dim squeezed away.</summary>
internal sealed class UnsqueezeBackward(int dim) : Autograd.Node
{
    public override string Name => "UnsqueezeBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Squeeze(dim)];
}

/// <summary>slice(dim, start, end, step): the gradient placed into zeros of the input's shape.</summary>
internal sealed class SliceBackward(long[] inputShape, int dim, long start, long end, long step) : Autograd.Node
{
    public override string Name => "SliceBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [Embed.Slice(grads[0]!, inputShape, dim, start, end, step)];
}

/// <summary>select(dim, index): the gradient placed into zeros of the input's shape.</summary>
internal sealed class SelectBackward(long[] inputShape, int dim, long index) : Autograd.Node
{
    public override string Name => "SelectBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [Embed.Select(grads[0]!, inputShape, dim, index)];
}

/// <summary>to(dtype) and to(device): the gradient converted back.</summary>
internal sealed class ToCopyBackward(DType dtype, Device device) : Autograd.Node
{
    public override string Name => "ToCopyBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor r = g.DType == dtype ? g : g.To(dtype);
        if (r.Device == device)
            return [r];
        Tensor moved = r.To(device);
        if (!ReferenceEquals(r, g))
            r.Dispose();
        return [moved];
    }
}

/// <summary>copy_(src): no gradient for the overwritten values; the gradient reduced and cast to src.</summary>
internal sealed class CopyBackwards(long[] srcShape, DType srcType) : Autograd.Node
{
    public override string Name => "CopyBackwards";

    internal override Tensor?[] Apply(Tensor?[] grads) =>
        [null, NeedsGrad(1) ? Grads.ToInput(grads[0]!, false, srcShape, srcType) : null];
}

/// <summary>fill_ and zero_: the result does not depend on what the tensor held, so nothing flows back.</summary>
internal sealed class FillBackward : Autograd.Node
{
    public override string Name => "FillBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [null];
}

/// <summary>
/// The backward of slice and select as differentiable ops: they place a gradient into zeros, and their
/// own gradient takes the same slice back out. Used so that higher-order gradients flow through views.
/// </summary>
internal static unsafe class Embed
{
    public static Tensor Slice(Tensor g, long[] shape, int dim, long start, long end, long step)
    {
        Tensor z = Zeros(g, shape);
        ember_tensor v;
        using (Tensor view = Tensor.Wrap(NativeMethods.ember_slice(z.Handle, dim, start, end, step, &v), v, z))
            Tensor.Check(NativeMethods.ember_copy_(view.Handle, g.Handle), view, g);
        return Record(z, g, new Backward("SliceBackwardBackward0", gg => gg.Slice(dim, start, end, step)));
    }

    public static Tensor Select(Tensor g, long[] shape, int dim, long index)
    {
        Tensor z = Zeros(g, shape);
        ember_tensor v;
        using (Tensor view = Tensor.Wrap(NativeMethods.ember_select(z.Handle, dim, index, &v), v, z))
            Tensor.Check(NativeMethods.ember_copy_(view.Handle, g.Handle), view, g);
        return Record(z, g, new Backward("SelectBackwardBackward0", gg => gg.Select(dim, index)));
    }

    /// <summary>
    /// <paramref name="source"/> placed into zeros of <paramref name="shape"/> at the view <paramref name="replay"/> makes
    /// (ones there when <paramref name="source"/> is null); its gradient takes the same view back out.
    /// </summary>
    public static Tensor View(Tensor? source, long[] shape, DType dtype, Device device, Func<Tensor, Tensor> replay)
    {
        Tensor z = Torch.Zeros(shape, dtype, device);
        using (Tensor view = replay(z))
        {
            if (source is null)
                Tensor.Check(NativeMethods.ember_add_scalar_(view.Handle, Scalar.Of(1L)), view);
            else
                Tensor.Check(NativeMethods.ember_copy_(view.Handle, source.Handle), view, source);
        }
        return source is null ? z : Record(z, source, new Backward("CopySlicesBackward", replay));
    }

    private static Tensor Zeros(Tensor g, long[] shape) => Torch.Zeros(shape, g.DType, g.Device);

    private static Tensor Record(Tensor result, Tensor g, Backward node)
    {
        if (!g._requiresGrad || !GradMode.IsEnabled)
            return result;
        node.Next = [Autograd.EdgeOf(g)];
        return Autograd.SetHistory(result, node);
    }

    private sealed class Backward(string name, Func<Tensor, Tensor> take) : Autograd.Node
    {
        public override string Name => name;

        internal override Tensor?[] Apply(Tensor?[] grads) => [take(grads[0]!)];
    }
}
