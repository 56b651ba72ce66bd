namespace Ember.NN;

/// <summary>
/// 2-d convolution over (N, C, H, W) or (C, H, W) input (<c>nn.Conv2d</c>). The weight has shape
/// (out_channels, in_channels/groups, kH, kW) and starts, like the bias, as PyTorch's default
/// (kaiming_uniform_ with a = √5, bias U(±1/√fan_in)).
/// </summary>
public sealed class Conv2d : Module<Tensor, Tensor>
{
    /// <summary>A square kernel with equal strides, paddings and dilations in both dims.</summary>
    public Conv2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true, DType? dtype = null, Device? device = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, dtype, device)
    {
    }

    /// <summary>A kernel of (kH, kW) with per-dim stride, padding and dilation (null means 1, 0 and 1).</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv2d(long inChannels, long outChannels, (long H, long W) kernelSize, (long H, long W)? stride = null, (long H, long W)? padding = null, (long H, long W)? dilation = null, long groups = 1, bool bias = true, DType? dtype = null, Device? device = null)
    {
        if (groups <= 0)
            throw new ArgumentException($"Conv2d: groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in_channels ({inChannels}) must be divisible by groups ({groups})", nameof(inChannels));
        if (outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: out_channels ({outChannels}) must be divisible by groups ({groups})", nameof(outChannels));
        if (kernelSize.H <= 0 || kernelSize.W <= 0)
            throw new ArgumentException($"Conv2d: kernel_size must be positive, got ({kernelSize.H}, {kernelSize.W})", nameof(kernelSize));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        Weight = Layers.NewParameter([outChannels, inChannels / groups, kernelSize.H, kernelSize.W], dtype, device);
        Bias = bias ? Layers.NewParameter([outChannels], dtype, device) : null;
        ResetParameters();
    }

    /// <summary>Input channels (<c>in_channels</c>).</summary>
    public long InChannels { get; }

    /// <summary>Output channels (<c>out_channels</c>).</summary>
    public long OutChannels { get; }

    /// <summary>Kernel size (<c>kernel_size</c>).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Stride (<c>stride</c>).</summary>
    public (long H, long W) Stride { get; }

    /// <summary>Zero padding on each side (<c>padding</c>).</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Spacing of the kernel's taps (<c>dilation</c>).</summary>
    public (long H, long W) Dilation { get; }

    /// <summary>Number of channel groups (<c>groups</c>).</summary>
    public long Groups { get; }

    /// <summary>The weight, shape (out_channels, in_channels/groups, kH, kW).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>The bias, shape (out_channels), or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Draws new initial values as the constructor does (<c>reset_parameters</c>).</summary>
    public void ResetParameters() => Layers.ResetLikeTorch(Weight, Bias);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.Conv2d(input, Weight, Bias, [Stride.H, Stride.W], [Padding.H, Padding.W], [Dilation.H, Dilation.W], Groups);

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        string s = $"{InChannels}, {OutChannels}, kernel_size={Layers.Pair(KernelSize)}, stride={Layers.Pair(Stride)}";
        if (Padding != (0, 0))
            s += $", padding={Layers.Pair(Padding)}";
        if (Dilation != (1, 1))
            s += $", dilation={Layers.Pair(Dilation)}";
        if (Groups != 1)
            s += $", groups={Groups}";
        if (Bias is null)
            s += ", bias=False";
        return s;
    }
}

/// <summary>2-d max pooling (<c>nn.MaxPool2d</c>); the stride defaults to the kernel size.</summary>
public sealed class MaxPool2d : Module<Tensor, Tensor>
{
    // PyTorch prints each argument as it was given: an int as 2, a pair as (2, 2).
    private readonly string _repr;

    /// <summary>A square window.</summary>
    public MaxPool2d(long kernelSize, long? stride = null, long padding = 0, long dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode) =>
        _repr = $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}, dilation={dilation}, ceil_mode={PyBool(ceilMode)}";

    /// <summary>A window of (kH, kW); null stride means the kernel size, null padding 0, null dilation 1.</summary>
    public MaxPool2d((long H, long W) kernelSize, (long H, long W)? stride = null, (long H, long W)? padding = null, (long H, long W)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
        _repr = $"kernel_size={Layers.Pair(KernelSize)}, stride={Layers.Pair(Stride)}, padding={(padding is { } p ? Layers.Pair(p) : "0")}, " +
                $"dilation={(dilation is { } d ? Layers.Pair(d) : "1")}, ceil_mode={PyBool(CeilMode)}";
    }

    /// <summary>Window size (<c>kernel_size</c>).</summary>
    public (long H, long W) KernelSize { get; }

    /// <summary>Step between windows (<c>stride</c>).</summary>
    public (long H, long W) Stride { get; }

    /// <summary>Implicit -inf padding on each side (<c>padding</c>).</summary>
    public (long H, long W) Padding { get; }

    /// <summary>Spacing of the window's taps (<c>dilation</c>).</summary>
    public (long H, long W) Dilation { get; }

    /// <summary>Whether the output size rounds up (<c>ceil_mode</c>).</summary>
    public bool CeilMode { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.MaxPool2d(input, [KernelSize.H, KernelSize.W], [Stride.H, Stride.W], [Padding.H, Padding.W], [Dilation.H, Dilation.W], CeilMode);

    /// <inheritdoc/>
    public override string ExtraRepr() => _repr;
}
