namespace Ember;

// Backward formulas of the shape ops, written with Ember ops so that they can be differentiated again.

/// <summary>repeat / tile: the gradient folded back by summing over the repeats.</summary>
internal sealed class RepeatBackward(string name, long[] inputShape, long[] repeats) : Autograd.Node
{
    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        int n = repeats.Length, lead = n - inputShape.Length;
        var split = new long[2 * n];
        var sumDims = new int[n];
        for (int i = 0; i < n; i++)
        {
            split[2 * i] = repeats[i];
            split[2 * i + 1] = i < lead ? 1 : inputShape[i - lead];
            sumDims[i] = 2 * i;
        }
        using Tensor r = g.Reshape(split);
        using Tensor s = r.Sum(sumDims);
        return [s.Reshape(inputShape)];
    }
}

/// <summary>repeat_interleave: each input element gets the sum of the gradients of its copies.</summary>
internal sealed class RepeatInterleaveBackward(long[] inputShape, int? dim, long n, long count, SavedTensor? index) : Autograd.Node
{
    public override string Name => "RepeatInterleaveBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        int d = dim ?? 0;
        long[] shape = dim is null ? [n] : inputShape.Length == 0 ? [1] : inputShape;
        Tensor folded;
        if (index is null)
        {
            using Tensor u = g.Unflatten(d, n, count);
            folded = u.Sum(d + 1);
        }
        else
        {
            using Tensor zeros = Torch.Zeros(shape, g.DType, g.Device);
            folded = zeros.IndexAdd(d, index.Unpack(this), g);
        }
        using (folded)
            return [folded.Reshape(inputShape)];
    }

    internal override void ReleaseSaved() => index?.Release();
}

/// <summary>flip: the gradient flipped back.</summary>
internal sealed class FlipBackward(int[] dims) : Autograd.Node
{
    public override string Name => "FlipBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Flip(dims)];
}

/// <summary>roll: the gradient rolled back.</summary>
internal sealed class RollBackward(long[] shifts, int[] dims) : Autograd.Node
{
    public override string Name => "RollBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Roll(Array.ConvertAll(shifts, s => -s), dims)];
}

/// <summary>tril / triu: the same triangle of the gradient.</summary>
internal sealed class TriluBackward(long k, bool upper) : Autograd.Node
{
    public override string Name => upper ? "TriuBackward0" : "TrilBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [upper ? grads[0]!.Triu(k) : grads[0]!.Tril(k)];
}

/// <summary>diagonal (a view): the gradient placed on the diagonal of zeros.</summary>
internal sealed class DiagonalBackward(long[] inputShape, long offset, int dim1, int dim2) : Autograd.Node
{
    public override string Name => "DiagonalBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        return [Embed.View(g, inputShape, g.DType, g.Device, t => t.Diagonal(offset, dim1, dim2))];
    }
}

/// <summary>diag: for a vector input, the diagonal of the gradient; for a matrix input, the gradient placed on the diagonal.</summary>
internal sealed class DiagBackward(long[] inputShape, long k) : Autograd.Node
{
    public override string Name => "DiagBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        if (inputShape.Length == 1)
            return [g.Diagonal(k)];
        return [Embed.View(g, inputShape, g.DType, g.Device, t => t.Diagonal(k))];
    }
}

/// <summary>diag_embed: the diagonal of the gradient.</summary>
internal sealed class DiagEmbedBackward(long offset, int dim1, int dim2) : Autograd.Node
{
    public override string Name => "DiagEmbedBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [grads[0]!.Diagonal(offset, dim1, dim2)];
}

/// <summary>cat / stack / hstack / vstack: each input gets its run of the gradient, reshaped and cast back.</summary>
internal sealed class ConcatBackward(string name, int dim, long[] lengths, long[][] shapes, DType[] dtypes) : Autograd.Node
{
    public override string Name => name;

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        var result = new Tensor?[lengths.Length];
        long at = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            long start = at;
            at += lengths[i];
            if (!NeedsGrad(i))
                continue;
            using Tensor piece = g.Slice(dim, start, at);
            Tensor shaped = piece.Reshape(shapes[i]);
            result[i] = shaped.DType == dtypes[i] ? shaped : Grads.ToInput(shaped, true, shapes[i], dtypes[i]);
        }
        return result;
    }
}

/// <summary>meshgrid (an expanded view): the gradient summed over the grid dims the input does not vary along.</summary>
internal sealed class MeshgridBackward(long[] keepShape, long[] inputShape) : Autograd.Node
{
    public override string Name => "ExpandBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor s = Grads.SumTo(grads[0]!, keepShape);
        Tensor r = s.Reshape(inputShape);
        if (!ReferenceEquals(s, grads[0]) && !ReferenceEquals(s, r))
            s.Dispose();
        return [r];
    }
}

/// <summary>pad: constant padding crops the gradient; the other modes add the gradients of the copies into their source.</summary>
internal sealed class PadBackward(long[] inputShape, long[] pads, PadMode mode) : Autograd.Node
{
    public override string Name => mode switch
    {
        PadMode.Constant => "ConstantPadNdBackward0",
        PadMode.Reflect => "ReflectionPadBackward0",
        PadMode.Replicate => "ReplicationPadBackward0",
        _ => "CircularPadBackward0",
    };

    internal override Tensor?[] Apply(Tensor?[] grads)
    {
        Tensor g = grads[0]!;
        if (mode == PadMode.Constant)
            return [Functional.Pad(g, Array.ConvertAll(pads, p => -p))];
        return [Functional.PadBackward(g, inputShape, pads, mode)];
    }
}

/// <summary>pad_backward: its gradient is the pad of the incoming gradient.</summary>
internal sealed class PadBackwardBackward(long[] pads, PadMode mode) : Autograd.Node
{
    public override string Name => "PadBackwardBackward0";

    internal override Tensor?[] Apply(Tensor?[] grads) => [Functional.Pad(grads[0]!, pads, mode)];
}
