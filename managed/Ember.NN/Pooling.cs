namespace Ember.NN;

/// <summary>1-d max pooling over (N, C, L) or (C, L) input (<c>nn.MaxPool1d</c>); the stride defaults to the kernel size.</summary>
public sealed class MaxPool1d(long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false) : Module<Tensor, Tensor>
{
    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public long KernelSize { get; } = kernelSize;

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public long Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit -inf padding on each side (<c>padding</c>).</summary>
    public long Padding { get; } = padding;

    /// <summary>Spacing of the window's taps (<c>dilation</c>).</summary>
    public long Dilation { get; } = dilation;

    /// <summary>Whether the output size rounds up (<c>ceil_mode</c>).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.MaxPool1d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"kernel_size={KernelSize}, stride={Stride}, padding={Padding}, dilation={Dilation}, ceil_mode={PyBool(CeilMode)}";
}

/// <summary>1-d average pooling over (N, C, L) or (C, L) input (<c>nn.AvgPool1d</c>); the stride defaults to the kernel size.</summary>
public sealed class AvgPool1d(long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true) : Module<Tensor, Tensor>
{
    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public long KernelSize { get; } = kernelSize;

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public long Stride { get; } = stride ?? kernelSize;

    /// <summary>Implicit zero padding on each side (<c>padding</c>).</summary>
    public long Padding { get; } = padding;

    /// <summary>Whether the output size rounds up (<c>ceil_mode</c>).</summary>
    public bool CeilMode { get; } = ceilMode;

    /// <summary>Whether the zero padding counts in each window's divisor (<c>count_include_pad</c>).</summary>
    public bool CountIncludePad { get; } = countIncludePad;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AvgPool1d(input, KernelSize, Stride, Padding, CeilMode, CountIncludePad);

    // PyTorch keeps AvgPool1d's arguments as 1-tuples.
    /// <inheritdoc/>
    public override string ExtraRepr() => $"kernel_size=({KernelSize},), stride=({Stride},), padding=({Padding},)";
}

/// <summary>2-d average pooling over (N, C, H, W) or (C, H, W) input (<c>nn.AvgPool2d</c>); the stride defaults to the kernel size.</summary>
public sealed class AvgPool2d : Module<Tensor, Tensor>
{
    // PyTorch prints each argument as it was given: an int as 2, a pair as (2, 2).
    private readonly string _repr;

    /// <summary>A square window.</summary>
    public AvgPool2d(long kernelSize, long? stride = null, long padding = 0, bool ceilMode = false, bool countIncludePad = true, long? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), ceilMode, countIncludePad, divisorOverride) =>
        _repr = $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";

    /// <summary>A window of (kH, kW); null stride means the kernel size, null padding 0.</summary>
    public AvgPool2d((long H, long W) kernelSize, (long H, long W)? stride = null, (long H, long W)? padding = null, bool ceilMode = false,
        bool countIncludePad = true, long? divisorOverride = null)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        CeilMode = ceilMode;
        CountIncludePad = countIncludePad;
        DivisorOverride = divisorOverride;
        _repr = $"kernel_size={Layers.Pair(KernelSize)}, stride={Layers.Pair(Stride)}, padding={(padding is { } p ? Layers.Pair(p) : "0")}";
    }

    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public (long H, long W) Stride { get; }

    /// <summary>Implicit zero padding on each side (<c>padding</c>).</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Whether the output size rounds up (<c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <summary>Whether the zero padding counts in each window's divisor (<c>count_include_pad</c>).</summary>
    public bool CountIncludePad { get; }

    /// <summary>When set, the divisor of every window (<c>divisor_override</c>).</summary>
    public long? DivisorOverride { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.AvgPool2d(input, [KernelSize.H, KernelSize.W], [Stride.H, Stride.W], [Padding.H, Padding.W], CeilMode, CountIncludePad, DivisorOverride);

    /// <inheritdoc/>
    public override string ExtraRepr() => _repr;
}

/// <summary>Average pooling of (N, C, L) or (C, L) input to a fixed length (<c>nn.AdaptiveAvgPool1d</c>).</summary>
public sealed class AdaptiveAvgPool1d(long outputSize) : Module<Tensor, Tensor>
{
    /// <summary>The output length (<c>output_size</c>).</summary>
    public long OutputSize { get; } = outputSize;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool1d(input, OutputSize);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"output_size={OutputSize}";
}

/// <summary>Average pooling of (N, C, H, W) or (C, H, W) input to a fixed size (<c>nn.AdaptiveAvgPool2d</c>).</summary>
public sealed class AdaptiveAvgPool2d : Module<Tensor, Tensor>
{
    private readonly string _repr;

    /// <summary>A square output.</summary>
    public AdaptiveAvgPool2d(long outputSize)
    {
        OutputSize = (outputSize, outputSize);
        _repr = $"output_size={outputSize}";
    }

    /// <summary>An output of (H, W).</summary>
    public AdaptiveAvgPool2d((long H, long W) outputSize)
    {
        OutputSize = outputSize;
        _repr = $"output_size={Layers.Pair(outputSize)}";
    }

    /// <summary>The output size (<c>output_size</c>).</summary>
    public (long H, long W) OutputSize { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveAvgPool2d(input, [OutputSize.H, OutputSize.W]);

    /// <inheritdoc/>
    public override string ExtraRepr() => _repr;
}

/// <summary>Max pooling of (N, C, H, W) or (C, H, W) input to a fixed size (<c>nn.AdaptiveMaxPool2d</c>).</summary>
public sealed class AdaptiveMaxPool2d : Module<Tensor, Tensor>
{
    private readonly string _repr;

    /// <summary>A square output.</summary>
    public AdaptiveMaxPool2d(long outputSize)
    {
        OutputSize = (outputSize, outputSize);
        _repr = $"output_size={outputSize}";
    }

    /// <summary>An output of (H, W).</summary>
    public AdaptiveMaxPool2d((long H, long W) outputSize)
    {
        OutputSize = outputSize;
        _repr = $"output_size={Layers.Pair(outputSize)}";
    }

    /// <summary>The output size (<c>output_size</c>).</summary>
    public (long H, long W) OutputSize { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.AdaptiveMaxPool2d(input, [OutputSize.H, OutputSize.W]);

    /// <inheritdoc/>
    public override string ExtraRepr() => _repr;
}

/// <summary>Extracts sliding blocks: (N, C, H, W) to (N, C·kH·kW, L) (<c>nn.Unfold</c>).</summary>
public sealed class Unfold : Module<Tensor, Tensor>
{
    private readonly string _repr;

    /// <summary>Square blocks with equal arguments in both dims.</summary>
    public Unfold(long kernelSize, long dilation = 1, long padding = 0, long stride = 1)
        : this((kernelSize, kernelSize), (dilation, dilation), (padding, padding), (stride, stride)) =>
        _repr = $"kernel_size={kernelSize}, dilation={dilation}, padding={padding}, stride={stride}";

    /// <summary>Blocks of (kH, kW) with per-dim arguments (null means dilation 1, padding 0, stride 1).</summary>
    public Unfold((long H, long W) kernelSize, (long H, long W)? dilation = null, (long H, long W)? padding = null, (long H, long W)? stride = null)
    {
        KernelSize = kernelSize;
        Dilation = dilation ?? (1, 1);
        Padding = padding ?? (0, 0);
        Stride = stride ?? (1, 1);
        _repr = $"kernel_size={Layers.Pair(KernelSize)}, dilation={(dilation is { } d ? Layers.Pair(d) : "1")}, " +
                $"padding={(padding is { } p ? Layers.Pair(p) : "0")}, stride={(stride is { } s ? Layers.Pair(s) : "1")}";
    }

    /// <summary>Block size (<c>kernel_size</c>).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Spacing of a block's taps (<c>dilation</c>).</summary>
    public (long H, long W) Dilation { get; }

    /// <summary>Implicit zero padding on each side (<c>padding</c>).</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Step between blocks (<c>stride</c>).</summary>
    public (long H, long W) Stride { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.Unfold(input, [KernelSize.H, KernelSize.W], [Dilation.H, Dilation.W], [Padding.H, Padding.W], [Stride.H, Stride.W]);

    /// <inheritdoc/>
    public override string ExtraRepr() => _repr;
}

/// <summary>Sums sliding blocks back into an image: (N, C·kH·kW, L) to (N, C, H, W) (<c>nn.Fold</c>).</summary>
public sealed class Fold : Module<Tensor, Tensor>
{
    private readonly string _repr;

    /// <summary>A square image and square blocks with equal arguments in both dims.</summary>
    public Fold(long outputSize, long kernelSize, long dilation = 1, long padding = 0, long stride = 1)
        : this((outputSize, outputSize), (kernelSize, kernelSize), (dilation, dilation), (padding, padding), (stride, stride)) =>
        _repr = $"output_size={outputSize}, kernel_size={kernelSize}, dilation={dilation}, padding={padding}, stride={stride}";

    /// <summary>An image of (H, W), blocks of (kH, kW) with per-dim arguments (null means dilation 1, padding 0, stride 1).</summary>
    public Fold((long H, long W) outputSize, (long H, long W) kernelSize, (long H, long W)? dilation = null, (long H, long W)? padding = null,
        (long H, long W)? stride = null)
    {
        OutputSize = outputSize;
        KernelSize = kernelSize;
        Dilation = dilation ?? (1, 1);
        Padding = padding ?? (0, 0);
        Stride = stride ?? (1, 1);
        _repr = $"output_size={Layers.Pair(OutputSize)}, kernel_size={Layers.Pair(KernelSize)}, dilation={(dilation is { } d ? Layers.Pair(d) : "1")}, " +
                $"padding={(padding is { } p ? Layers.Pair(p) : "0")}, stride={(stride is { } s ? Layers.Pair(s) : "1")}";
    }

    /// <summary>Image size (<c>output_size</c>).</summary>
    public (long H, long W) OutputSize { get; }

    /// <summary>Block size (<c>kernel_size</c>).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Spacing of a block's taps (<c>dilation</c>).</summary>
    public (long H, long W) Dilation { get; }

    /// <summary>Implicit zero padding on each side (<c>padding</c>).</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Step between blocks (<c>stride</c>).</summary>
    public (long H, long W) Stride { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.Fold(input, [OutputSize.H, OutputSize.W], [KernelSize.H, KernelSize.W], [Dilation.H, Dilation.W], [Padding.H, Padding.W],
            [Stride.H, Stride.W]);

    /// <inheritdoc/>
    public override string ExtraRepr() => _repr;
}
