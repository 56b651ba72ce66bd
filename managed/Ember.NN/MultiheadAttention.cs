namespace Ember.NN;

/// <summary>
/// Multi-head attention (<c>nn.MultiheadAttention</c>): projects query, key and value, attends in
/// <see cref="NumHeads"/> heads and projects the concatenated heads back. Parameters carry PyTorch's names
/// (<c>in_proj_weight</c>, or <c>q_proj_weight</c>/<c>k_proj_weight</c>/<c>v_proj_weight</c> when kdim or vdim
/// differ from embed_dim; <c>in_proj_bias</c>, <c>bias_k</c>, <c>bias_v</c>, <c>out_proj</c>), so PyTorch state
/// dicts load. Without attention weights to return it runs the fused
/// <see cref="Functional.ScaledDotProductAttention"/>.
/// </summary>
public sealed class MultiheadAttention : Module
{
    /// <summary>An attention layer of <paramref name="embedDim"/> features split into <paramref name="numHeads"/> heads.</summary>
    /// <param name="embedDim">Features of the query and of the output (<c>embed_dim</c>).</param>
    /// <param name="numHeads">Number of heads; has to divide <paramref name="embedDim"/>.</param>
    /// <param name="dropout">Dropout probability on the attention weights while training.</param>
    /// <param name="bias">Biases on the input and output projections.</param>
    /// <param name="addBiasKv">Append a learned key and value (<c>bias_k</c>, <c>bias_v</c>) to every sequence.</param>
    /// <param name="kdim">Features of the key; embed_dim when null.</param>
    /// <param name="vdim">Features of the value; embed_dim when null.</param>
    /// <param name="batchFirst">Inputs and outputs are (N, L, E) rather than (L, N, E).</param>
    /// <param name="dtype">Dtype of the parameters.</param>
    /// <param name="device">Device of the parameters.</param>
    /// <exception cref="ArgumentException">A size is not positive, or <paramref name="numHeads"/> does not divide <paramref name="embedDim"/>.</exception>
    public MultiheadAttention(long embedDim, long numHeads, double dropout = 0, bool bias = true, bool addBiasKv = false, long? kdim = null,
        long? vdim = null, bool batchFirst = false, DType? dtype = null, Device? device = null)
    {
        if (embedDim <= 0 || numHeads <= 0)
            throw new ArgumentException($"MultiheadAttention: embed_dim and num_heads must be greater than 0, got embed_dim={embedDim} and num_heads={numHeads}");
        if (embedDim % numHeads != 0)
            throw new ArgumentException($"MultiheadAttention: embed_dim ({embedDim}) must be divisible by num_heads ({numHeads})");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"MultiheadAttention: dropout probability has to be between 0 and 1, but got {dropout}");
        EmbedDim = embedDim;
        NumHeads = numHeads;
        HeadDim = embedDim / numHeads;
        Dropout = dropout;
        Kdim = kdim ?? embedDim;
        Vdim = vdim ?? embedDim;
        BatchFirst = batchFirst;
        if (Kdim <= 0 || Vdim <= 0)
            throw new ArgumentException($"MultiheadAttention: kdim and vdim must be greater than 0, got kdim={Kdim} and vdim={Vdim}");
        if (QkvSameEmbedDim)
        {
            InProjWeight = Layers.NewParameter([3 * embedDim, embedDim], dtype, device);
        }
        else
        {
            QProjWeight = Layers.NewParameter([embedDim, embedDim], dtype, device);
            KProjWeight = Layers.NewParameter([embedDim, Kdim], dtype, device);
            VProjWeight = Layers.NewParameter([embedDim, Vdim], dtype, device);
        }
        InProjBias = bias ? Layers.NewParameter([3 * embedDim], dtype, device) : null;
        if (addBiasKv)
        {
            BiasK = Layers.NewParameter([1, 1, embedDim], dtype, device);
            BiasV = Layers.NewParameter([1, 1, embedDim], dtype, device);
        }
        OutProj = new Linear(embedDim, embedDim, bias, dtype, device);
        ResetParameters();
    }

    /// <summary>Features of the query and output (<c>embed_dim</c>).</summary>
    public long EmbedDim { get; }

    /// <summary>Number of heads (<c>num_heads</c>).</summary>
    public long NumHeads { get; }

    /// <summary>Features per head (<c>head_dim</c>).</summary>
    public long HeadDim { get; }

    /// <summary>Dropout probability on the attention weights while training (<c>dropout</c>).</summary>
    public double Dropout { get; }

    /// <summary>Features of the key (<c>kdim</c>).</summary>
    public long Kdim { get; }

    /// <summary>Features of the value (<c>vdim</c>).</summary>
    public long Vdim { get; }

    /// <summary>Whether inputs and outputs are (N, L, E) (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }

    private bool QkvSameEmbedDim => Kdim == EmbedDim && Vdim == EmbedDim;

    /// <summary>The packed query, key and value projection (3·embed_dim, embed_dim) when kdim = vdim = embed_dim, else null.</summary>
    public Parameter? InProjWeight { get; private set; }

    /// <summary>The query projection (embed_dim, embed_dim) when kdim or vdim differ from embed_dim, else null.</summary>
    public Parameter? QProjWeight { get; private set; }

    /// <summary>The key projection (embed_dim, kdim) when kdim or vdim differ from embed_dim, else null.</summary>
    public Parameter? KProjWeight { get; private set; }

    /// <summary>The value projection (embed_dim, vdim) when kdim or vdim differ from embed_dim, else null.</summary>
    public Parameter? VProjWeight { get; private set; }

    /// <summary>The packed projection biases (3·embed_dim), or null.</summary>
    public Parameter? InProjBias { get; private set; }

    /// <summary>The key appended to every sequence (1, 1, embed_dim), or null.</summary>
    public Parameter? BiasK { get; private set; }

    /// <summary>The value appended to every sequence (1, 1, embed_dim), or null.</summary>
    public Parameter? BiasV { get; private set; }

    /// <summary>The output projection (<c>out_proj</c>).</summary>
    public Linear OutProj { get; private set; }

    /// <summary>
    /// PyTorch's initialisation: xavier_uniform_ on the input projections, zero biases (input and output
    /// projection), xavier_normal_ on bias_k and bias_v; the output weight keeps Linear's default.
    /// </summary>
    public void ResetParameters()
    {
        foreach (Parameter? w in new[] { InProjWeight, QProjWeight, KProjWeight, VProjWeight })
        {
            if (w is not null)
                Init.XavierUniform_(w);
        }
        if (InProjBias is not null)
        {
            Init.Zeros_(InProjBias);
            Init.Zeros_(OutProj.Bias!);
        }
        if (BiasK is not null)
            Init.XavierNormal_(BiasK);
        if (BiasV is not null)
            Init.XavierNormal_(BiasV);
    }

    /// <summary>
    /// Attention of <paramref name="query"/> over <paramref name="key"/>/<paramref name="value"/>
    /// (<c>forward</c>). Shapes: (L, N, E), (S, N, kdim), (S, N, vdim), or batch first, or unbatched (L, E).
    /// </summary>
    /// <param name="query">Queries.</param>
    /// <param name="key">Keys.</param>
    /// <param name="value">Values.</param>
    /// <param name="keyPaddingMask">(N, S): bool (true = ignore that key) or floating (added to the scores).</param>
    /// <param name="needWeights">Also return the attention weights (then the scores are formed explicitly).</param>
    /// <param name="attnMask">(L, S) or (N·num_heads, L, S): bool (true = not allowed to attend) or floating (added).</param>
    /// <param name="averageAttnWeights">Average the returned weights over the heads: (N, L, S) instead of (N, num_heads, L, S).</param>
    /// <returns>The output, shaped like the query but with embed_dim features, and the weights when asked for.</returns>
    /// <exception cref="ArgumentException">The shapes of the inputs or masks do not fit.</exception>
    public (Tensor Output, Tensor? Weights) Forward(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null, bool needWeights = true,
        Tensor? attnMask = null, bool averageAttnWeights = true)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        bool batched = query.Dim == 3;
        if ((query.Dim != 3 && query.Dim != 2) || key.Dim != query.Dim || value.Dim != query.Dim)
            throw new ArgumentException($"MultiheadAttention: expected query, key and value all 3-d (batched) or all 2-d (unbatched), but got query {query.Shape}, key {key.Shape} and value {value.Shape}");
        bool selfAttention = ReferenceEquals(query, key) && ReferenceEquals(key, value);
        using var scope = Torch.NewScope();
        Tensor q = query, k = key, v = value;
        Tensor? kpm = keyPaddingMask;
        if (!batched)
        {
            q = q.Unsqueeze(0);
            k = k.Unsqueeze(0);
            v = v.Unsqueeze(0);
            kpm = kpm?.Unsqueeze(0);
        }
        else if (!BatchFirst)
        {
            q = q.Transpose(0, 1);
            k = k.Transpose(0, 1);
            v = v.Transpose(0, 1);
        }
        // From here on (N, L, E), (N, S, kdim), (N, S, vdim).
        long n = q.Shape[0], l = q.Shape[1], s = k.Shape[1];
        if (q.Shape[2] != EmbedDim || k.Shape[2] != Kdim || v.Shape[2] != Vdim || k.Shape[0] != n || v.Shape[0] != n || v.Shape[1] != s)
            throw new ArgumentException($"MultiheadAttention: expected query (…, {EmbedDim}), key (…, {Kdim}) and value (…, {Vdim}) with one batch size and key and value of one length, but got query {query.Shape}, key {key.Shape} and value {value.Shape} (batch_first={PyBool(BatchFirst)})");

        (Tensor qp, Tensor kp, Tensor vp) = Project(q, k, v, selfAttention);
        Tensor? mask = CombinedMask(attnMask, kpm, n, l, s, qp.DType, batched);
        if (BiasK is not null && BiasV is not null)
        {
            kp = Torch.Cat([kp, BiasK.Expand(n, 1, EmbedDim)], 1);
            vp = Torch.Cat([vp, BiasV.Expand(n, 1, EmbedDim)], 1);
            if (mask is not null) // the appended key is always visible
                mask = Torch.Cat([mask, Torch.Zeros([.. mask.ShapeArray[..^1], 1], mask.DType, mask.Device)], -1);
        }
        Tensor qh = SplitHeads(qp, n), kh = SplitHeads(kp, n), vh = SplitHeads(vp, n);
        double p = Training ? Dropout : 0;
        Tensor heads;
        Tensor? weights = null;
        if (needWeights)
        {
            Tensor scores = qh.MatMul(kh.MT) * (1 / Math.Sqrt(HeadDim));
            if (mask is not null)
                scores = scores + mask;
            weights = Functional.Softmax(scores, -1);
            if (p > 0)
                weights = Functional.Dropout(weights, p);
            heads = weights.MatMul(vh);
            if (averageAttnWeights)
                weights = weights.Mean(1);
            if (!batched)
                weights = weights.Squeeze(0);
        }
        else
        {
            heads = Functional.ScaledDotProductAttention(qh, kh, vh, mask, p);
        }
        Tensor output = OutProj.Forward(heads.Transpose(1, 2).Reshape(n, l, EmbedDim));
        if (!batched)
            output = output.Squeeze(0);
        else if (!BatchFirst)
            output = output.Transpose(0, 1);
        return (scope.MoveOut(output), weights is null ? null : scope.MoveOut(weights));
    }

    private (Tensor Q, Tensor K, Tensor V) Project(Tensor q, Tensor k, Tensor v, bool selfAttention)
    {
        Tensor[]? b = InProjBias?.Chunk(3, 0);
        if (InProjWeight is null)
            return (Functional.Linear(q, QProjWeight!, b?[0]), Functional.Linear(k, KProjWeight!, b?[1]), Functional.Linear(v, VProjWeight!, b?[2]));
        if (selfAttention)
        {
            Tensor[] qkv = Functional.Linear(q, InProjWeight, InProjBias).Chunk(3, -1);
            return (qkv[0], qkv[1], qkv[2]);
        }
        Tensor[] w = InProjWeight.Chunk(3, 0);
        return (Functional.Linear(q, w[0], b?[0]), Functional.Linear(k, w[1], b?[1]), Functional.Linear(v, w[2], b?[2]));
    }

    // (N, T, E) -> (N, heads, T, head_dim)
    private Tensor SplitHeads(Tensor x, long n) => x.Reshape(n, -1, NumHeads, HeadDim).Transpose(1, 2);

    // attn_mask and key_padding_mask as one additive mask that broadcasts to (N, heads, L, S): bool masks
    // become -inf where true, floating masks are added.
    private Tensor? CombinedMask(Tensor? attnMask, Tensor? keyPaddingMask, long n, long l, long s, DType dtype, bool batched)
    {
        Tensor? mask = null;
        if (attnMask is not null)
        {
            long[] shape = attnMask.ShapeArray;
            bool twoD = shape.Length == 2 && shape[0] == l && shape[1] == s;
            bool threeD = shape.Length == 3 && shape[0] == n * NumHeads && shape[1] == l && shape[2] == s;
            if (!twoD && !threeD)
                throw new ArgumentException($"MultiheadAttention: expected attn_mask of shape ({l}, {s}) or ({n * NumHeads}, {l}, {s}), but got {attnMask.Shape}");
            mask = Additive(attnMask, dtype);
            if (threeD)
                mask = mask.Reshape(n, NumHeads, l, s);
        }
        if (keyPaddingMask is not null)
        {
            if (!keyPaddingMask.ShapeArray.AsSpan().SequenceEqual([n, s]))
                throw new ArgumentException($"MultiheadAttention: expected key_padding_mask of shape {(batched ? $"({n}, {s})" : $"({s})")}, but got {(batched ? keyPaddingMask.Shape : keyPaddingMask.Squeeze(0).Shape)}");
            Tensor padding = Additive(keyPaddingMask, dtype).Reshape(n, 1, 1, s);
            mask = mask is null ? padding : mask + padding;
        }
        return mask;
    }

    private static Tensor Additive(Tensor mask, DType dtype) => mask.DType == DType.Bool
        ? Torch.Zeros(mask.Shape, dtype, mask.Device).MaskedFill(mask, double.NegativeInfinity)
        : mask.To(dtype);
}
