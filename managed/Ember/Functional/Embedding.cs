using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// Looks up the rows of <paramref name="weight"/> (num_embeddings, D) named by the integer
    /// <paramref name="input"/>: the result has shape input.shape + [D] (<c>F.embedding</c>). The row at
    /// <paramref name="paddingIdx"/> gets no gradient. With <paramref name="maxNorm"/>, each looked-up row whose
    /// <paramref name="normType"/>-norm exceeds it is first rescaled in place to that norm. With
    /// <paramref name="scaleGradByFreq"/> each row's gradient is divided by how often it occurs in the input.
    /// </summary>
    /// <exception cref="ArgumentException">An index is out of range, or <paramref name="paddingIdx"/> is outside the table.</exception>
    public static Tensor Embedding(Tensor input, Tensor weight, long? paddingIdx = null, double? maxNorm = null, double normType = 2.0,
        bool scaleGradByFreq = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        long rows = weight.Dim == 2 ? weight.ShapeArray[0] : 0;
        long padding = NormalizePadding(paddingIdx, rows, nameof(Embedding));
        if (maxNorm is { } max)
        {
            using Tensor flat = input.Contiguous();
            Check(NativeMethods.ember_embedding_renorm_(weight.Handle, flat.Handle, max, normType), weight, flat);
        }
        ember_tensor r;
        Check(NativeMethods.ember_embedding(weight.Handle, input.Handle, &r), weight, input);
        var result = new Tensor(r);
        if (!weight._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new EmbeddingBackward(rows, padding, scaleGradByFreq) { Next = [Autograd.EdgeOf(weight)], Indices = SavedTensor.Of(input) };
        return Autograd.SetHistory(result, node);
    }

    /// <summary>
    /// Sums, averages or takes the maximum of bags of embeddings without forming them (<c>F.embedding_bag</c>).
    /// <paramref name="input"/> is either 2-d (B, L), each row one bag (then <paramref name="offsets"/> must be
    /// null), or 1-d with <paramref name="offsets"/> giving where each bag starts (with
    /// <paramref name="includeLastOffset"/>, the last offset is the end of the last bag).
    /// <paramref name="mode"/> is "sum", "mean" or "max"; <paramref name="perSampleWeights"/> (like the input)
    /// scale the rows in mode "sum". Entries equal to <paramref name="paddingIdx"/> are left out of their bag.
    /// </summary>
    /// <exception cref="ArgumentException">The mode is unknown, offsets are given with 2-d input or missing with 1-d input, or indices are out of range.</exception>
    public static Tensor EmbeddingBag(Tensor input, Tensor weight, Tensor? offsets = null, double? maxNorm = null, double normType = 2.0,
        string mode = "mean", Tensor? perSampleWeights = null, bool includeLastOffset = false, long? paddingIdx = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ember_bag_mode bagMode = mode switch
        {
            "sum" => ember_bag_mode.EMBER_BAG_SUM,
            "mean" => ember_bag_mode.EMBER_BAG_MEAN,
            "max" => ember_bag_mode.EMBER_BAG_MAX,
            _ => throw new ArgumentException($"Functional.EmbeddingBag: mode has to be one of sum, mean or max, but got {mode}", nameof(mode)),
        };
        long rows = weight.Dim == 2 ? weight.ShapeArray[0] : 0;
        long padding = NormalizePadding(paddingIdx, rows, nameof(EmbeddingBag));
        using var scope = Torch.NewScope();
        Tensor indices = input, bagOffsets;
        Tensor? weights = perSampleWeights;
        if (input.Dim == 2)
        {
            if (offsets is not null)
                throw new ArgumentException("Functional.EmbeddingBag: if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences");
            long bags = input.ShapeArray[0], length = input.ShapeArray[1];
            indices = input.Reshape(-1);
            weights = perSampleWeights?.Reshape(-1);
            bagOffsets = Torch.Arange(0, bags * length, Math.Max(length, 1), DType.Int64, input.Device);
            if (length == 0)
                bagOffsets = Torch.Zeros([bags], DType.Int64, input.Device);
            includeLastOffset = false;
        }
        else if (input.Dim == 1)
        {
            bagOffsets = offsets ?? throw new ArgumentException("Functional.EmbeddingBag: offsets has to be a 1D Tensor but got None", nameof(offsets));
        }
        else
        {
            throw new ArgumentException($"Functional.EmbeddingBag: input has to be 1D or 2D Tensor, but got Tensor of dimension {input.Dim}", nameof(input));
        }
        if (maxNorm is { } max)
            Check(NativeMethods.ember_embedding_renorm_(weight.Handle, indices.Handle, max, normType), weight, indices);
        ember_tensor r, mi;
        Check(NativeMethods.ember_embedding_bag(weight.Handle, indices.Handle, bagOffsets.Handle, (int)bagMode, HandleOf(weights),
            includeLastOffset ? 1 : 0, padding, &r, &mi), weight, indices, bagOffsets, weights);
        Tensor result = scope.MoveOut(new Tensor(r));
        Tensor? maxIndices = WrapOptional(mi);
        bool needs = weight._requiresGrad | (weights?._requiresGrad ?? false);
        if (!needs || !GradMode.IsEnabled)
        {
            maxIndices?.Dispose();
            return result;
        }
        var node = new EmbeddingBagBackward(rows, (int)bagMode, includeLastOffset, padding)
        {
            Next = [Autograd.EdgeOf(weight), weights is null ? default : Autograd.EdgeOf(weights)],
            Indices = SavedTensor.Of(indices),
            Offsets = SavedTensor.Of(bagOffsets),
            MaxIndices = maxIndices is null ? null : SavedTensor.Own(maxIndices.DetachFromScope()),
            Weight = SavedTensor.Of(weight),
            PerSampleWeights = weights is null ? null : SavedTensor.Of(weights),
        };
        return Autograd.SetHistory(result, node);
    }

    // PyTorch's rule: a negative padding index counts from the end; none is -1 for the kernels.
    private static long NormalizePadding(long? paddingIdx, long rows, string op)
    {
        if (paddingIdx is not { } p)
            return -1;
        if (p >= rows || p < -rows)
            throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"Functional.{op}: padding_idx must be within num_embeddings ({rows})");
        return p < 0 ? p + rows : p;
    }

    /// <summary>embedding's backward as a differentiable op: the weight gradient, whose own gradient (for grad) is a lookup again.</summary>
    private static Tensor EmbeddingDenseBackward(Tensor grad, Tensor indices, long rows, long padding, bool scaleGradByFreq)
    {
        ember_tensor r;
        Check(NativeMethods.ember_embedding_backward(grad.Handle, indices.Handle, rows, padding, scaleGradByFreq ? 1 : 0, &r), grad, indices);
        var result = new Tensor(r);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        if (scaleGradByFreq)
            throw new NotSupportedException("Functional.Embedding: gradients of gradients with scale_grad_by_freq are not supported");
        var node = new EmbeddingBackwardBackward(padding) { Next = [Autograd.EdgeOf(grad)], Indices = SavedTensor.Of(indices) };
        return Autograd.SetHistory(result, node);
    }

    private sealed class EmbeddingBackward(long rows, long padding, bool scaleGradByFreq) : Autograd.Node
    {
        public SavedTensor? Indices;

        public override string Name => "EmbeddingBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) =>
            [EmbeddingDenseBackward(grads[0]!, Indices!.Unpack(this), rows, padding, scaleGradByFreq)];

        internal override void ReleaseSaved() => Indices?.Release();
    }

    // d(grad_weight)/d(grad) read back: row indices[i] of the incoming gradient, zero at the padding index.
    private sealed class EmbeddingBackwardBackward(long padding) : Autograd.Node
    {
        public SavedTensor? Indices;

        public override string Name => "EmbeddingDenseBackwardBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor indices = Indices!.Unpack(this);
            Tensor looked = Embedding(indices, grads[0]!);
            if (padding < 0)
                return [looked];
            using Tensor keep = indices.Ne(padding);
            using Tensor mask = keep.To(looked.DType);
            using Tensor column = mask.Unsqueeze(-1);
            using (looked)
                return [looked * column];
        }

        internal override void ReleaseSaved() => Indices?.Release();
    }

    private sealed class EmbeddingBagBackward(long rows, int mode, bool includeLastOffset, long padding) : Autograd.Node
    {
        public SavedTensor? Indices, Offsets, MaxIndices, Weight, PerSampleWeights;

        public override string Name => "EmbeddingBagBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            Tensor indices = Indices!.Unpack(this), offsets = Offsets!.Unpack(this);
            Tensor? maxIndices = MaxIndices?.Unpack(this), psw = PerSampleWeights?.Unpack(this);
            Tensor? gw = null, gpsw = null;
            if (NeedsGrad(0))
            {
                ember_tensor r;
                Check(NativeMethods.ember_embedding_bag_backward(g.Handle, indices.Handle, offsets.Handle, HandleOf(maxIndices), rows, mode,
                    HandleOf(psw), includeLastOffset ? 1 : 0, padding, &r), g, indices, offsets, psw);
                GC.KeepAlive(maxIndices);
                gw = new Tensor(r);
            }
            if (NeedsGrad(1))
            {
                Tensor weight = Weight!.Unpack(this);
                ember_tensor r;
                Check(NativeMethods.ember_embedding_bag_per_sample_weights_backward(g.Handle, weight.Handle, indices.Handle, offsets.Handle,
                    includeLastOffset ? 1 : 0, padding, &r), g, weight, indices, offsets);
                gpsw = new Tensor(r);
            }
            return [gw, gpsw];
        }

        internal override void ReleaseSaved()
        {
            Indices?.Release();
            Offsets?.Release();
            MaxIndices?.Release();
            Weight?.Release();
            PerSampleWeights?.Release();
        }
    }
}
