namespace Ember.NN;

/// <summary>
/// A lookup table of <see cref="NumEmbeddings"/> vectors of size <see cref="EmbeddingDim"/> (<c>nn.Embedding</c>):
/// integer input of any shape gives input.shape + [embedding_dim]. The weight starts as N(0, 1), with the row at
/// <see cref="PaddingIdx"/> zeroed; that row never receives a gradient.
/// </summary>
public sealed class Embedding : Module<Tensor, Tensor>
{
    /// <summary>A table of <paramref name="numEmbeddings"/> rows of size <paramref name="embeddingDim"/>.</summary>
    /// <param name="numEmbeddings">Number of rows.</param>
    /// <param name="embeddingDim">Size of each row.</param>
    /// <param name="paddingIdx">A row that stays fixed (no gradient), negative counting from the end; null for none.</param>
    /// <param name="maxNorm">Rows looked up with a larger norm are rescaled to it in place.</param>
    /// <param name="normType">The p of the norm for <paramref name="maxNorm"/>.</param>
    /// <param name="scaleGradByFreq">Divide each row's gradient by its frequency in the batch.</param>
    /// <param name="weight">Initial weight (numEmbeddings, embeddingDim) to copy instead of drawing one.</param>
    /// <param name="dtype">Dtype of the weight.</param>
    /// <param name="device">Device of the weight.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddingIdx"/> is outside the table.</exception>
    public Embedding(long numEmbeddings, long embeddingDim, long? paddingIdx = null, double? maxNorm = null, double normType = 2.0,
        bool scaleGradByFreq = false, Tensor? weight = null, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numEmbeddings);
        ArgumentOutOfRangeException.ThrowIfNegative(embeddingDim);
        if (paddingIdx is { } p)
        {
            if (p >= numEmbeddings || p < -numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, "Embedding: Padding_idx must be within num_embeddings");
            paddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx;
        MaxNorm = maxNorm;
        NormType = normType;
        ScaleGradByFreq = scaleGradByFreq;
        if (weight is not null)
        {
            if (!weight.Shape.Equals(new Size([numEmbeddings, embeddingDim])))
                throw new ArgumentException($"Embedding: Shape of weight {weight.Shape} does not match num_embeddings and embedding_dim ({numEmbeddings}, {embeddingDim})", nameof(weight));
            using Tensor detached = weight.Detach();
            using Tensor copy = detached.Clone();
            Weight = new Parameter(copy);
        }
        else
        {
            using Tensor data = Torch.Empty([numEmbeddings, embeddingDim], dtype ?? Torch.DefaultDType, device);
            Weight = new Parameter(data);
            ResetParameters();
        }
    }

    /// <summary>An embedding whose weight is a copy of <paramref name="embeddings"/> (<c>nn.Embedding.from_pretrained</c>); frozen unless <paramref name="freeze"/> is false.</summary>
    public static Embedding FromPretrained(Tensor embeddings, bool freeze = true, long? paddingIdx = null, double? maxNorm = null, double normType = 2.0,
        bool scaleGradByFreq = false)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Dim != 2)
            throw new ArgumentException("Embedding.FromPretrained: Embeddings parameter is expected to be 2-dimensional", nameof(embeddings));
        var e = new Embedding(embeddings.ShapeArray[0], embeddings.ShapeArray[1], paddingIdx, maxNorm, normType, scaleGradByFreq, embeddings);
        e.Weight.RequiresGrad_(!freeze);
        return e;
    }

    /// <summary>Number of rows (<c>num_embeddings</c>).</summary>
    public long NumEmbeddings { get; }

    /// <summary>Size of each row (<c>embedding_dim</c>).</summary>
    public long EmbeddingDim { get; }

    /// <summary>The row that gets no gradient, as a non-negative index (<c>padding_idx</c>), or null.</summary>
    public long? PaddingIdx { get; }

    /// <summary>Rows looked up are renormalised to at most this norm (<c>max_norm</c>), or null.</summary>
    public double? MaxNorm { get; }

    /// <summary>The p of the norm for <see cref="MaxNorm"/> (<c>norm_type</c>).</summary>
    public double NormType { get; }

    /// <summary>Whether gradients are divided by the frequency of each index (<c>scale_grad_by_freq</c>).</summary>
    public bool ScaleGradByFreq { get; }

    /// <summary>The table, shape (num_embeddings, embedding_dim).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>Draws N(0, 1) values and zeroes the padding row (<c>reset_parameters</c>).</summary>
    public void ResetParameters()
    {
        Init.Normal_(Weight);
        if (PaddingIdx is { } p)
        {
            using var noGrad = Torch.NoGrad();
            using Tensor row = Weight.Narrow(0, p, 1);
            Init.Zeros_(row);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Embedding(input, Weight, PaddingIdx, MaxNorm, NormType, ScaleGradByFreq);

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        string s = $"{NumEmbeddings}, {EmbeddingDim}";
        if (PaddingIdx is { } p)
            s += $", padding_idx={p}";
        if (MaxNorm is { } m)
            s += $", max_norm={Layers.PyFloat(m)}";
        if (NormType != 2)
            s += $", norm_type={Layers.PyFloat(NormType)}";
        if (ScaleGradByFreq)
            s += ", scale_grad_by_freq=True";
        return s;
    }
}

/// <summary>
/// Sums, averages or takes the maximum of bags of embeddings without forming them (<c>nn.EmbeddingBag</c>).
/// Call it with 2-d input (each row a bag), or 1-d input plus offsets; optional per-sample weights scale rows in mode "sum".
/// </summary>
public sealed class EmbeddingBag : Module<Tensor, Tensor?, Tensor>
{
    /// <summary>A bag layer over a table of <paramref name="numEmbeddings"/> rows of size <paramref name="embeddingDim"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="mode"/> is not "sum", "mean" or "max".</exception>
    public EmbeddingBag(long numEmbeddings, long embeddingDim, double? maxNorm = null, double normType = 2.0, string mode = "mean",
        bool includeLastOffset = false, long? paddingIdx = null, DType? dtype = null, Device? device = null)
    {
        if (mode is not ("sum" or "mean" or "max"))
            throw new ArgumentException($"EmbeddingBag: mode has to be one of sum, mean or max, but got {mode}", nameof(mode));
        if (paddingIdx is { } p)
        {
            if (p >= numEmbeddings || p < -numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, "EmbeddingBag: padding_idx must be within num_embeddings");
            paddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        MaxNorm = maxNorm;
        NormType = normType;
        Mode = mode;
        IncludeLastOffset = includeLastOffset;
        PaddingIdx = paddingIdx;
        using Tensor data = Torch.Empty([numEmbeddings, embeddingDim], dtype ?? Torch.DefaultDType, device);
        Weight = new Parameter(data);
        Init.Normal_(Weight);
        if (paddingIdx is { } pad)
        {
            using var noGrad = Torch.NoGrad();
            using Tensor row = Weight.Narrow(0, pad, 1);
            Init.Zeros_(row);
        }
    }

    /// <summary>Number of rows (<c>num_embeddings</c>).</summary>
    public long NumEmbeddings { get; }

    /// <summary>Size of each row (<c>embedding_dim</c>).</summary>
    public long EmbeddingDim { get; }

    /// <summary>Rows looked up are renormalised to at most this norm (<c>max_norm</c>), or null.</summary>
    public double? MaxNorm { get; }

    /// <summary>The p of the norm for <see cref="MaxNorm"/> (<c>norm_type</c>).</summary>
    public double NormType { get; }

    /// <summary>"sum", "mean" or "max" (<c>mode</c>).</summary>
    public string Mode { get; }

    /// <summary>Whether offsets end with the end of the last bag (<c>include_last_offset</c>).</summary>
    public bool IncludeLastOffset { get; }

    /// <summary>An index left out of every bag (<c>padding_idx</c>), or null.</summary>
    public long? PaddingIdx { get; }

    /// <summary>The table, shape (num_embeddings, embedding_dim).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>The bags of <paramref name="input"/>: 2-d input with null offsets, or 1-d input with offsets.</summary>
    public override Tensor Forward(Tensor input, Tensor? offsets) => Forward(input, offsets, null);

    /// <summary>The bags of <paramref name="input"/> with per-sample weights (mode "sum").</summary>
    public Tensor Forward(Tensor input, Tensor? offsets, Tensor? perSampleWeights) =>
        Functional.EmbeddingBag(input, Weight, offsets, MaxNorm, NormType, Mode, perSampleWeights, IncludeLastOffset, PaddingIdx);

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        string s = $"{NumEmbeddings}, {EmbeddingDim}";
        if (MaxNorm is { } m)
            s += $", max_norm={Layers.PyFloat(m)}";
        if (NormType != 2)
            s += $", norm_type={Layers.PyFloat(NormType)}";
        s += $", mode='{Mode}'";
        if (PaddingIdx is { } p)
            s += $", padding_idx={p}";
        return s;
    }
}
