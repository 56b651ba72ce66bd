namespace Ember.NN;

/// <summary>Options shared by the Transformer layers, as PyTorch's constructors take them.</summary>
internal readonly record struct TransformerOptions(long DModel, long Nhead, long DimFeedforward, double Dropout, string Activation,
    double LayerNormEps, bool BatchFirst, bool NormFirst, bool Bias, DType? DType, Device? Device)
{
    /// <summary>The activation by name: "relu" or "gelu".</summary>
    public Func<Tensor, Tensor> ActivationFn(string layer) => Activation switch
    {
        "relu" => Functional.Relu,
        "gelu" => x => Functional.Gelu(x),
        _ => throw new ArgumentException($"{layer}: activation should be relu/gelu, not {Activation}"),
    };

    public LayerNorm Norm() => new(DModel, LayerNormEps, bias: Bias, dtype: DType, device: Device);
}

/// <summary>
/// Self-attention then a feed-forward block, each with a residual connection and a layer norm
/// (<c>nn.TransformerEncoderLayer</c>); <c>norm_first</c> puts the norms before the blocks.
/// Members: <c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>, <c>norm2</c>,
/// <c>dropout1</c>, <c>dropout2</c>, as PyTorch names them.
/// </summary>
public sealed class TransformerEncoderLayer : Module<Tensor, Tensor>
{
    private readonly TransformerOptions _options;
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>An encoder layer (<c>nn.TransformerEncoderLayer</c>).</summary>
    /// <param name="dModel">Features of the input (<c>d_model</c>).</param>
    /// <param name="nhead">Number of attention heads.</param>
    /// <param name="dimFeedforward">Width of the feed-forward block.</param>
    /// <param name="dropout">Dropout probability (attention weights and the three dropout layers).</param>
    /// <param name="activation">"relu" or "gelu".</param>
    /// <param name="layerNormEps">eps of the layer norms.</param>
    /// <param name="batchFirst">Inputs are (N, S, E) rather than (S, N, E).</param>
    /// <param name="normFirst">Layer norms before attention and feed-forward rather than after.</param>
    /// <param name="bias">Biases in the linear layers and layer norms.</param>
    /// <param name="dtype">Dtype of the parameters.</param>
    /// <param name="device">Device of the parameters.</param>
    /// <exception cref="ArgumentException">An unknown activation, or <paramref name="nhead"/> does not divide <paramref name="dModel"/>.</exception>
    public TransformerEncoderLayer(long dModel, long nhead, long dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, DType? dtype = null, Device? device = null)
        : this(new TransformerOptions(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, dtype, device))
    {
    }

    private TransformerEncoderLayer(TransformerOptions o)
    {
        _options = o;
        _activation = o.ActivationFn(nameof(TransformerEncoderLayer));
        SelfAttn = new MultiheadAttention(o.DModel, o.Nhead, o.Dropout, o.Bias, batchFirst: o.BatchFirst, dtype: o.DType, device: o.Device);
        Linear1 = new Linear(o.DModel, o.DimFeedforward, o.Bias, o.DType, o.Device);
        Dropout = new Dropout(o.Dropout);
        Linear2 = new Linear(o.DimFeedforward, o.DModel, o.Bias, o.DType, o.Device);
        Norm1 = o.Norm();
        Norm2 = o.Norm();
        Dropout1 = new Dropout(o.Dropout);
        Dropout2 = new Dropout(o.Dropout);
    }

    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>First feed-forward layer (<c>linear1</c>).</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward block (<c>dropout</c>).</summary>
    public Dropout Dropout { get; }

    /// <summary>Second feed-forward layer (<c>linear2</c>).</summary>
    public Linear Linear2 { get; }

    /// <summary>Norm of the attention block (<c>norm1</c>).</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Norm of the feed-forward block (<c>norm2</c>).</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Dropout after the attention (<c>dropout1</c>).</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout after the feed-forward block (<c>dropout2</c>).</summary>
    public Dropout Dropout2 { get; }

    /// <summary>Whether the norms come first (<c>norm_first</c>).</summary>
    public bool NormFirst => _options.NormFirst;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>Runs the layer on <paramref name="src"/> with optional masks (<c>forward(src, src_mask, src_key_padding_mask)</c>).</summary>
    /// <param name="src">(S, N, E), (N, S, E) when batch first, or (S, E).</param>
    /// <param name="srcMask">(S, S) or (N·nhead, S, S): bool (true = not allowed) or floating (added).</param>
    /// <param name="srcKeyPaddingMask">(N, S): bool (true = padding) or floating (added).</param>
    public Tensor Forward(Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        using var scope = Torch.NewScope();
        Tensor x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Forward(x), srcMask, srcKeyPaddingMask);
            x = x + FeedForwardBlock(Norm2.Forward(x));
        }
        else
        {
            x = Norm1.Forward(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask));
            x = Norm2.Forward(x + FeedForwardBlock(x));
        }
        return scope.MoveOut(x);
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? padding) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, padding, needWeights: false, attnMask: mask).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout2.Forward(Linear2.Forward(Dropout.Forward(_activation(Linear1.Forward(x)))));

    /// <summary>A new layer with the same options and a copy of the parameters (what PyTorch's deepcopy gives the stacks).</summary>
    internal TransformerEncoderLayer Clone()
    {
        var copy = new TransformerEncoderLayer(_options);
        copy.LoadStateDict(StateDict());
        return copy;
    }
}

/// <summary>
/// Self-attention, attention over the encoder's output (memory), then a feed-forward block, each with a residual
/// connection and a layer norm (<c>nn.TransformerDecoderLayer</c>). Members: <c>self_attn</c>, <c>multihead_attn</c>,
/// <c>linear1</c>, <c>dropout</c>, <c>linear2</c>, <c>norm1</c>..<c>norm3</c>, <c>dropout1</c>..<c>dropout3</c>.
/// </summary>
public sealed class TransformerDecoderLayer : Module<Tensor, Tensor, Tensor>
{
    private readonly TransformerOptions _options;
    private readonly Func<Tensor, Tensor> _activation;

    /// <summary>A decoder layer (<c>nn.TransformerDecoderLayer</c>); the options are those of <see cref="TransformerEncoderLayer"/>.</summary>
    /// <exception cref="ArgumentException">An unknown activation, or <paramref name="nhead"/> does not divide <paramref name="dModel"/>.</exception>
    public TransformerDecoderLayer(long dModel, long nhead, long dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, DType? dtype = null, Device? device = null)
        : this(new TransformerOptions(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, dtype, device))
    {
    }

    private TransformerDecoderLayer(TransformerOptions o)
    {
        _options = o;
        _activation = o.ActivationFn(nameof(TransformerDecoderLayer));
        SelfAttn = new MultiheadAttention(o.DModel, o.Nhead, o.Dropout, o.Bias, batchFirst: o.BatchFirst, dtype: o.DType, device: o.Device);
        MultiheadAttn = new MultiheadAttention(o.DModel, o.Nhead, o.Dropout, o.Bias, batchFirst: o.BatchFirst, dtype: o.DType, device: o.Device);
        Linear1 = new Linear(o.DModel, o.DimFeedforward, o.Bias, o.DType, o.Device);
        Dropout = new Dropout(o.Dropout);
        Linear2 = new Linear(o.DimFeedforward, o.DModel, o.Bias, o.DType, o.Device);
        Norm1 = o.Norm();
        Norm2 = o.Norm();
        Norm3 = o.Norm();
        Dropout1 = new Dropout(o.Dropout);
        Dropout2 = new Dropout(o.Dropout);
        Dropout3 = new Dropout(o.Dropout);
    }

    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The attention over the memory (<c>multihead_attn</c>).</summary>
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>First feed-forward layer (<c>linear1</c>).</summary>
    public Linear Linear1 { get; }

    /// <summary>Dropout inside the feed-forward block (<c>dropout</c>).</summary>
    public Dropout Dropout { get; }

    /// <summary>Second feed-forward layer (<c>linear2</c>).</summary>
    public Linear Linear2 { get; }

    /// <summary>Norm of the self-attention block (<c>norm1</c>).</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Norm of the memory attention block (<c>norm2</c>).</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Norm of the feed-forward block (<c>norm3</c>).</summary>
    public LayerNorm Norm3 { get; }

    /// <summary>Dropout after the self-attention (<c>dropout1</c>).</summary>
    public Dropout Dropout1 { get; }

    /// <summary>Dropout after the memory attention (<c>dropout2</c>).</summary>
    public Dropout Dropout2 { get; }

    /// <summary>Dropout after the feed-forward block (<c>dropout3</c>).</summary>
    public Dropout Dropout3 { get; }

    /// <summary>Whether the norms come first (<c>norm_first</c>).</summary>
    public bool NormFirst => _options.NormFirst;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input1, Tensor input2) => Forward(input1, input2, null, null, null, null);

    /// <summary>
    /// Runs the layer (<c>forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)</c>);
    /// masks follow <see cref="MultiheadAttention.Forward"/>.
    /// </summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        ArgumentNullException.ThrowIfNull(memory);
        using var scope = Torch.NewScope();
        Tensor x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Forward(x), tgtMask, tgtKeyPaddingMask);
            x = x + MemoryBlock(Norm2.Forward(x), memory, memoryMask, memoryKeyPaddingMask);
            x = x + FeedForwardBlock(Norm3.Forward(x));
        }
        else
        {
            x = Norm1.Forward(x + SelfAttentionBlock(x, tgtMask, tgtKeyPaddingMask));
            x = Norm2.Forward(x + MemoryBlock(x, memory, memoryMask, memoryKeyPaddingMask));
            x = Norm3.Forward(x + FeedForwardBlock(x));
        }
        return scope.MoveOut(x);
    }

    private Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? padding) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, padding, needWeights: false, attnMask: mask).Output);

    private Tensor MemoryBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? padding) =>
        Dropout2.Forward(MultiheadAttn.Forward(x, memory, memory, padding, needWeights: false, attnMask: mask).Output);

    private Tensor FeedForwardBlock(Tensor x) => Dropout3.Forward(Linear2.Forward(Dropout.Forward(_activation(Linear1.Forward(x)))));

    /// <summary>A new layer with the same options and a copy of the parameters.</summary>
    internal TransformerDecoderLayer Clone()
    {
        var copy = new TransformerDecoderLayer(_options);
        copy.LoadStateDict(StateDict());
        return copy;
    }
}

/// <summary>A stack of <c>num_layers</c> copies of an encoder layer, then an optional norm (<c>nn.TransformerEncoder</c>).</summary>
public sealed class TransformerEncoder : Module<Tensor, Tensor>
{
    /// <summary>Stacks <paramref name="numLayers"/> copies of <paramref name="encoderLayer"/> (each with its own parameters, equal at first).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numLayers"/> is negative.</exception>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(encoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        Layers = new ModuleList(Enumerable.Range(0, numLayers).Select(_ => (Module)encoderLayer.Clone()));
        Norm = norm;
    }

    /// <summary>The layers (<c>layers</c>).</summary>
    public ModuleList Layers { get; }

    /// <summary>The final norm (<c>norm</c>), or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>Number of layers (<c>num_layers</c>).</summary>
    public int NumLayers => Layers.Count;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, null, null);

    /// <summary>Runs every layer, then the norm (<c>forward(src, mask, src_key_padding_mask)</c>).</summary>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        using var scope = Torch.NewScope();
        Tensor x = src;
        foreach (Module layer in Layers)
            x = ((TransformerEncoderLayer)layer).Forward(x, mask, srcKeyPaddingMask);
        if (Norm is not null)
            x = Norm.Forward(x);
        return scope.MoveOut(x);
    }
}

/// <summary>A stack of <c>num_layers</c> copies of a decoder layer, then an optional norm (<c>nn.TransformerDecoder</c>).</summary>
public sealed class TransformerDecoder : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Stacks <paramref name="numLayers"/> copies of <paramref name="decoderLayer"/> (each with its own parameters, equal at first).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numLayers"/> is negative.</exception>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(decoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        Layers = new ModuleList(Enumerable.Range(0, numLayers).Select(_ => (Module)decoderLayer.Clone()));
        Norm = norm;
    }

    /// <summary>The layers (<c>layers</c>).</summary>
    public ModuleList Layers { get; }

    /// <summary>The final norm (<c>norm</c>), or null.</summary>
    public LayerNorm? Norm { get; }

    /// <summary>Number of layers (<c>num_layers</c>).</summary>
    public int NumLayers => Layers.Count;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input1, Tensor input2) => Forward(input1, input2, null, null, null, null);

    /// <summary>Runs every layer on (tgt, memory), then the norm (<c>forward(tgt, memory, tgt_mask, memory_mask, ...)</c>).</summary>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null, Tensor? tgtKeyPaddingMask = null,
        Tensor? memoryKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        using var scope = Torch.NewScope();
        Tensor x = tgt;
        foreach (Module layer in Layers)
            x = ((TransformerDecoderLayer)layer).Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
        if (Norm is not null)
            x = Norm.Forward(x);
        return scope.MoveOut(x);
    }
}

/// <summary>
/// The encoder-decoder model of "Attention Is All You Need" (<c>nn.Transformer</c>): an encoder stack and a decoder
/// stack, each ending in a layer norm; every weight matrix starts xavier_uniform_ as PyTorch's.
/// </summary>
public sealed class Transformer : Module<Tensor, Tensor, Tensor>
{
    /// <summary>A Transformer (<c>nn.Transformer</c>); a custom encoder or decoder replaces the stack built from the options.</summary>
    /// <exception cref="ArgumentException">An unknown activation, or <paramref name="nhead"/> does not divide <paramref name="dModel"/>.</exception>
    public Transformer(long dModel = 512, long nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6, long dimFeedforward = 2048,
        double dropout = 0.1, string activation = "relu", TransformerEncoder? customEncoder = null, TransformerDecoder? customDecoder = null,
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, DType? dtype = null, Device? device = null)
    {
        DModel = dModel;
        Nhead = nhead;
        BatchFirst = batchFirst;
        Encoder = customEncoder ?? new TransformerEncoder(
            new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, dtype, device),
            numEncoderLayers, new LayerNorm(dModel, layerNormEps, bias: bias, dtype: dtype, device: device));
        Decoder = customDecoder ?? new TransformerDecoder(
            new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, dtype, device),
            numDecoderLayers, new LayerNorm(dModel, layerNormEps, bias: bias, dtype: dtype, device: device));
        foreach (Parameter p in Parameters())
        {
            if (p.Dim > 1)
                Init.XavierUniform_(p);
        }
    }

    /// <summary>The encoder stack (<c>encoder</c>).</summary>
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder stack (<c>decoder</c>).</summary>
    public TransformerDecoder Decoder { get; }

    /// <summary>Features of the model (<c>d_model</c>).</summary>
    public long DModel { get; }

    /// <summary>Number of heads (<c>nhead</c>).</summary>
    public long Nhead { get; }

    /// <summary>Whether inputs are (N, S, E) (<c>batch_first</c>).</summary>
    public bool BatchFirst { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input1, Tensor input2) => Forward(input1, input2, null, null, null, null, null, null);

    /// <summary>
    /// Encodes <paramref name="src"/> and decodes <paramref name="tgt"/> against it (<c>forward(src, tgt, src_mask, tgt_mask,
    /// memory_mask, src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask)</c>).
    /// </summary>
    /// <exception cref="ArgumentException">src and tgt differ in batch size or feature count.</exception>
    public Tensor Forward(Tensor src, Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(tgt);
        bool batched = src.Dim == 3;
        int batchDim = BatchFirst ? 0 : 1;
        if (src.ShapeArray[^1] != DModel || tgt.ShapeArray[^1] != DModel)
            throw new ArgumentException($"Transformer: the feature number of src and tgt must be equal to d_model ({DModel}), but got src {src.Shape} and tgt {tgt.Shape}");
        if (batched && (tgt.Dim != 3 || src.Shape[batchDim] != tgt.Shape[batchDim]))
            throw new ArgumentException($"Transformer: the batch number of src and tgt must be equal, but got src {src.Shape} and tgt {tgt.Shape} (batch_first={PyBool(BatchFirst)})");
        using var scope = Torch.NewScope();
        Tensor memory = Encoder.Forward(src, srcMask, srcKeyPaddingMask);
        Tensor output = Decoder.Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask);
        return scope.MoveOut(output);
    }

    /// <summary>
    /// A float (sz, sz) mask with -inf above the diagonal and 0 elsewhere, so position i attends to positions up to i
    /// (<c>generate_square_subsequent_mask</c>).
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(long sz, Device? device = null, DType? dtype = null)
    {
        using Tensor full = Torch.Full([sz, sz], double.NegativeInfinity, dtype ?? Torch.DefaultDType, device);
        return full.Triu(1);
    }
}
