namespace Ember;

// Backward formulas of the indexing ops, written with Ember ops so that they can be differentiated again.

/// <summary>Base of the indexing nodes: holds the saved index tensors and releases them.</summary>
internal abstract class IndexingNode(params SavedTensor?[] saved) : Autograd.Node
{
    protected Tensor? Unpack(int i) => saved[i]?.Unpack(this);

    protected int SavedCount => saved.Length;

    internal override void ReleaseSaved()
    {
        foreach (SavedTensor? s in saved)
            s?.Release();
    }
}

/// <summary>x[indices] (advanced): the gradient added into zeros at the indexed places.</summary>
internal sealed class IndexBackward(long[] selfShape, SavedTensor?[] indices) : IndexingNode(indices)
{
    public override string Name => "IndexBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        var ix = new Tensor?[SavedCount];
        for (int i = 0; i < ix.Length; i++)
            ix[i] = Unpack(i);
        using Tensor zeros = Torch.Zeros(selfShape, g.DType, g.Device);
        return [zeros.IndexPut(ix, g, accumulate: true)];
    }
}

/// <summary>index_put: self's gradient with the written places zeroed (unless accumulating); values get the gradient there.</summary>
internal sealed class IndexPutBackward(SavedTensor?[] indices, bool accumulate, long[] valuesShape, DType valuesType) : IndexingNode(indices)
{
    public override string Name => "IndexPutBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        var ix = new Tensor?[SavedCount];
        for (int i = 0; i < ix.Length; i++)
            ix[i] = Unpack(i);
        Tensor? gs = null, gv = null;
        if (NeedsGrad(0))
        {
            if (accumulate)
            {
                gs = g;
            }
            else
            {
                using Tensor zero = Torch.Zeros([], g.DType, g.Device);
                gs = g.IndexPut(ix, zero);
            }
        }
        if (Next.Length > 1 && NeedsGrad(1))
            gv = Grads.ToInput(g.Index(ix), true, valuesShape, valuesType);
        return [gs, gv];
    }
}

/// <summary>index_select: the gradient added into zeros at the selected slices.</summary>
internal sealed class IndexSelectBackward(long[] selfShape, int dim, SavedTensor index) : IndexingNode(index)
{
    public override string Name => "IndexSelectBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        using Tensor zeros = Torch.Zeros(selfShape, g.DType, g.Device);
        return [zeros.IndexAdd(dim, Unpack(0)!, g)];
    }
}

/// <summary>index_add: self's gradient passes through; source gets alpha times the selected slices.</summary>
internal sealed class IndexAddBackward(int dim, SavedTensor index, double alpha, long[] sourceShape) : IndexingNode(index)
{
    public override string Name => "IndexAddBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor? gs = null;
        if (Next.Length > 1 && NeedsGrad(1))
        {
            using Tensor sel = g.IndexSelect(dim, Unpack(0)!);
            using Tensor scaled = alpha == 1 ? sel.Alias() : sel * alpha;
            gs = scaled.Reshape(sourceShape);
        }
        return [NeedsGrad(0) ? g : null, gs];
    }
}

/// <summary>index_copy: self's gradient zero at the overwritten slices; source gets those slices.</summary>
internal sealed class IndexCopyBackward(int dim, SavedTensor index, long[] sourceShape) : IndexingNode(index)
{
    public override string Name => "IndexCopyBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor ix = Unpack(0)!;
        Tensor? gs = null;
        if (Next.Length > 1 && NeedsGrad(1))
        {
            using Tensor sel = g.IndexSelect(dim, ix);
            gs = sel.Reshape(sourceShape);
        }
        return [NeedsGrad(0) ? g.IndexFill(dim, ix, 0) : null, gs];
    }
}

/// <summary>index_fill: the gradient zero at the filled slices.</summary>
internal sealed class IndexFillBackward(int dim, SavedTensor index) : IndexingNode(index)
{
    public override string Name => "IndexFillBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.IndexFill(dim, Unpack(0)!, 0)];
}

/// <summary>gather: the gradient scattered (added) back into zeros.</summary>
internal sealed class GatherBackward(long[] selfShape, int dim, SavedTensor index) : IndexingNode(index)
{
    public override string Name => "GatherBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        using Tensor zeros = Torch.Zeros(selfShape, g.DType, g.Device);
        return [zeros.ScatterAdd(dim, Unpack(0)!, g)];
    }
}

/// <summary>
/// scatter, scatter_add and scatter_reduce. prod divides by the inputs, so its gradient is exact only
/// where no input is zero; amax/amin share the gradient evenly between ties, as PyTorch does.
/// </summary>
internal sealed class ScatterBackward(int dim, SavedTensor index, Tensor.ScatterKind kind, bool includeSelf, SavedTensor? self, SavedTensor? src)
    : IndexingNode(index, self, src)
{
    /// <summary>The op's result, for prod, amax and amin.</summary>
    public SavedTensor? Result;

    internal override void ReleaseSaved()
    {
        base.ReleaseSaved();
        Result?.Release();
    }

    /// <summary>True for the reductions whose formula needs the op's result (saved only for out-of-place calls).</summary>
    public bool NeedsResult => kind is Tensor.ScatterKind.Prod or Tensor.ScatterKind.Amax or Tensor.ScatterKind.Amin;

    public override string Name => kind switch
    {
        Tensor.ScatterKind.None => "ScatterBackward0",
        Tensor.ScatterKind.Sum when includeSelf => "ScatterAddBackward0",
        _ => "ScatterReduceBackward0",
    };

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor ix = Unpack(0)!;
        bool wantSrc = Next.Length > 1 && NeedsGrad(1);
        switch (kind)
        {
            case Tensor.ScatterKind.None:
                return [NeedsGrad(0) ? g.Scatter(dim, ix, 0.0) : null, wantSrc ? g.Gather(dim, ix) : null];
            case Tensor.ScatterKind.Sum:
                return [NeedsGrad(0) ? (includeSelf ? g : g.Scatter(dim, ix, 0.0)) : null, wantSrc ? g.Gather(dim, ix) : null];
            case Tensor.ScatterKind.Mean:
                {
                    Tensor s = Unpack(2)!;
                    using Tensor ones = Torch.OnesLike(s, g.DType);
                    using Tensor start = Torch.Full(g.ShapeArray, includeSelf ? 1.0 : 0.0, g.DType, g.Device);
                    using Tensor count = start.ScatterAdd(dim, ix, ones);
                    using Tensor safe = count.MaskedFill(count.Eq(0.0), 1.0);
                    using Tensor share = g / safe;
                    Tensor? gs = NeedsGrad(0) ? (includeSelf ? share.Alias() : g.Scatter(dim, ix, 0.0)) : null;
                    return [gs, wantSrc ? share.Gather(dim, ix) : null];
                }
            case Tensor.ScatterKind.Prod:
                {
                    Tensor self = Unpack(1)!, s = Unpack(2)!, r = Result!.Unpack(this);
                    using Tensor gr = g * r;
                    Tensor? gs = null;
                    if (NeedsGrad(0))
                    {
                        using Tensor q = gr / self;
                        gs = includeSelf ? q.Alias() : g.Scatter(dim, ix, 0.0);
                    }
                    Tensor? gsrc = null;
                    if (wantSrc)
                    {
                        using Tensor back = gr.Gather(dim, ix);
                        gsrc = back / s;
                    }
                    return [gs, gsrc];
                }
            default:
                {
                    Tensor self = Unpack(1)!, s = Unpack(2)!, r = Result!.Unpack(this);
                    using Tensor selfHit = self.Eq(r);
                    using Tensor selfMask0 = selfHit.To(g.DType);
                    using Tensor untouched = Torch.OnesLike(g).Scatter(dim, ix, 0.0);
                    using Tensor selfMask = includeSelf ? selfMask0.Alias() : selfMask0 * untouched;
                    using Tensor value = r.Gather(dim, ix);
                    using Tensor srcHit = s.Eq(value);
                    using Tensor srcMask = srcHit.To(g.DType);
                    using Tensor count = selfMask.ScatterAdd(dim, ix, srcMask);
                    using Tensor share = g / count;
                    Tensor? gs = NeedsGrad(0) ? share * selfMask : null;
                    Tensor? gsrc = null;
                    if (wantSrc)
                    {
                        using Tensor back = share.Gather(dim, ix);
                        gsrc = back * srcMask;
                    }
                    return [gs, gsrc];
                }
        }
    }
}

/// <summary>take_along_dim: the gradient scattered (added) back, then reduced over broadcast dims.</summary>
internal sealed class TakeAlongDimBackward(long[] selfShape, SavedTensor indices, int? dim) : IndexingNode(indices)
{
    public override string Name => "TakeAlongDimBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor ix = Unpack(0)!;
        if (dim is null)
        {
            long n = 1;
            foreach (long s in selfShape)
                n *= s;
            using Tensor flatZeros = Torch.Zeros([n], g.DType, g.Device);
            using Tensor flatIx = ix.Reshape(-1);
            using Tensor flatG = g.Reshape(-1);
            using Tensor r = flatZeros.ScatterAdd(0, flatIx, flatG);
            return [r.Reshape(selfShape)];
        }
        int d = Tensor.NormalizeDim(dim.Value, Math.Max(selfShape.Length, 1));
        long[] full = g.ShapeArray;
        if (full.Length > 0)
            full[d] = selfShape[d];
        using Tensor zeros = Torch.Zeros(full, g.DType, g.Device);
        using Tensor ixFull = ix.Expand(g.ShapeArray);
        Tensor scattered = zeros.ScatterAdd(d, ixFull, g);
        return [Grads.ToInput(scattered, true, selfShape, g.DType)];
    }
}

/// <summary>take: the gradient added into the flattened zeros at the indices.</summary>
internal sealed class TakeBackward(long[] selfShape, SavedTensor index) : IndexingNode(index)
{
    public override string Name => "TakeBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        long n = 1;
        foreach (long s in selfShape)
            n *= s;
        using Tensor zeros = Torch.Zeros([n], g.DType, g.Device);
        using Tensor ix = Unpack(0)!.Reshape(-1);
        using Tensor flatG = g.Reshape(-1);
        using Tensor r = zeros.IndexPut([ix], flatG, accumulate: true);
        return [r.Reshape(selfShape)];
    }
}

/// <summary>masked_fill: the gradient zero where the mask is true (reduced to self's shape).</summary>
internal sealed class MaskedFillBackward(long[] selfShape, DType selfType, SavedTensor mask) : IndexingNode(mask)
{
    public override string Name => "MaskedFillBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [Grads.ToInput(grads[0]!.MaskedFill(Unpack(0)!, 0), true, selfShape, selfType)];
}

/// <summary>masked_scatter: self's gradient zero where the mask is true; source gets those gradients in order (zeros for the unused rest).</summary>
internal sealed class MaskedScatterBackward(long[] selfShape, DType selfType, SavedTensor mask, long[] sourceShape) : IndexingNode(mask)
{
    public override string Name => "MaskedScatterBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor m = Unpack(0)!;
        Tensor? gs = NeedsGrad(0) ? Grads.ToInput(g.MaskedFill(m, 0), true, selfShape, selfType) : null;
        Tensor? gsrc = null;
        if (Next.Length > 1 && NeedsGrad(1))
        {
            long n = 1;
            foreach (long s in sourceShape)
                n *= s;
            using Tensor sel = g.MaskedSelect(m);
            using Tensor padded = Functional.Pad(sel, [0, n - sel.NumEl]);
            gsrc = padded.Reshape(sourceShape);
        }
        return [gs, gsrc];
    }
}

/// <summary>masked_select: the gradient placed back where the mask is true.</summary>
internal sealed class MaskedSelectBackward(long[] selfShape, DType selfType, SavedTensor mask) : IndexingNode(mask)
{
    public override string Name => "MaskedSelectBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor m = Unpack(0)!;
        long[] shape = Broadcast(selfShape, m.ShapeArray);
        using Tensor zeros = Torch.Zeros(shape, g.DType, g.Device);
        return [Grads.ToInput(zeros.MaskedScatter(m, g), true, selfShape, selfType)];
    }

    private static long[] Broadcast(long[] a, long[] b)
    {
        int n = Math.Max(a.Length, b.Length);
        var r = new long[n];
        for (int i = 0; i < n; i++)
        {
            long x = i - (n - a.Length) >= 0 ? a[i - (n - a.Length)] : 1;
            long y = i - (n - b.Length) >= 0 ? b[i - (n - b.Length)] : 1;
            r[i] = x == 1 ? y : x;
        }
        return r;
    }
}

/// <summary>sort / topk / kthvalue: the gradient scattered back to where the values came from.</summary>
internal sealed class SelectedBackward(string name, long[] selfShape, int dim, bool keepdim, SavedTensor indices) : IndexingNode(indices)
{
    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        Tensor ix = Unpack(0)!;
        using Tensor zeros = Torch.Zeros(selfShape, g.DType, g.Device);
        if (selfShape.Length == 0)
            return [g.Reshape([])];
        if (keepdim)
            return [zeros.ScatterAdd(dim, ix, g)];
        using Tensor gk = g.Unsqueeze(dim);
        using Tensor ik = ix.Unsqueeze(dim);
        return [zeros.ScatterAdd(dim, ik, gk)];
    }
}
