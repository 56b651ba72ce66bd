namespace Ember.NN;

/// <summary>
/// What the convolution layers share (<c>nn.modules.conv._ConvNd</c>): the arguments, one entry per spatial dim,
/// and the weight and bias, initialised as PyTorch does (kaiming_uniform_ with a = √5, bias U(±1/√fan_in)).
/// </summary>
public abstract class ConvNd : Module<Tensor, Tensor>
{
    private protected ConvNd(string name, long inChannels, long outChannels, long[] kernelSize, long[] stride, long[] padding, string? paddingString,
        long[] dilation, bool transposed, long[] outputPadding, long groups, bool bias, DType? dtype, Device? device)
    {
        if (groups <= 0)
            throw new ArgumentException($"{name}: groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0)
            throw new ArgumentException($"{name}: in_channels ({inChannels}) must be divisible by groups ({groups})", nameof(inChannels));
        if (outChannels % groups != 0)
            throw new ArgumentException($"{name}: out_channels ({outChannels}) must be divisible by groups ({groups})", nameof(outChannels));
        if (kernelSize.Any(k => k <= 0))
            throw new ArgumentException($"{name}: kernel_size must be positive, got {Tuple(kernelSize)}", nameof(kernelSize));
        if (paddingString is not null)
        {
            if (paddingString is not ("same" or "valid"))
                throw new ArgumentException($"{name}: Invalid padding string '{paddingString}', should be one of {{'valid', 'same'}}", nameof(padding));
            if (paddingString == "same" && stride.Any(s => s != 1))
                throw new ArgumentException($"{name}: padding='same' is not supported for strided convolutions", nameof(padding));
        }
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        PaddingString = paddingString;
        Dilation = dilation;
        Transposed = transposed;
        OutputPadding = outputPadding;
        Groups = groups;
        long[] shape = transposed ? [inChannels, outChannels / groups, .. kernelSize] : [outChannels, inChannels / groups, .. kernelSize];
        Weight = Layers.NewParameter(shape, dtype, device);
        Bias = bias ? Layers.NewParameter([outChannels], dtype, device) : null;
        ResetParameters();
    }

    /// <summary>Input channels (<c>in_channels</c>).</summary>
    public long InChannels { get; }

    /// <summary>Output channels (<c>out_channels</c>).</summary>
    public long OutChannels { get; }

    /// <summary>Kernel size per spatial dim (<c>kernel_size</c>).</summary>
    public IReadOnlyList<long> KernelSize { get; }

    /// <summary>Stride per spatial dim (<c>stride</c>).</summary>
    public IReadOnlyList<long> Stride { get; }

    /// <summary>Zero padding on each side per spatial dim (<c>padding</c>); zeros when <see cref="PaddingString"/> is set.</summary>
    public IReadOnlyList<long> Padding { get; }

    /// <summary>"same" or "valid" when the padding was given as a string, else null.</summary>
    public string? PaddingString { get; }

    /// <summary>Spacing of the kernel's taps per spatial dim (<c>dilation</c>).</summary>
    public IReadOnlyList<long> Dilation { get; }

    /// <summary>Whether this is a transposed convolution (<c>transposed</c>).</summary>
    public bool Transposed { get; }

    /// <summary>Extra size added to one side of each output dim of a transposed convolution (<c>output_padding</c>).</summary>
    public IReadOnlyList<long> OutputPadding { get; }

    /// <summary>Number of channel groups (<c>groups</c>).</summary>
    public long Groups { get; }

    /// <summary>The weight: (out_channels, in_channels/groups, k...), or (in_channels, out_channels/groups, k...) when transposed.</summary>
    public Parameter Weight { get; private set; }

    /// <summary>The bias, shape (out_channels), or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Draws new initial values as the constructor does (<c>reset_parameters</c>).</summary>
    public void ResetParameters() => Layers.ResetLikeTorch(Weight, Bias);

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        string s = $"{InChannels}, {OutChannels}, kernel_size={Tuple(KernelSize)}, stride={Tuple(Stride)}";
        if (PaddingString is not null)
            s += $", padding={PaddingString}";
        else if (Padding.Any(p => p != 0))
            s += $", padding={Tuple(Padding)}";
        if (Dilation.Any(d => d != 1))
            s += $", dilation={Tuple(Dilation)}";
        if (OutputPadding.Any(p => p != 0))
            s += $", output_padding={Tuple(OutputPadding)}";
        if (Groups != 1)
            s += $", groups={Groups}";
        if (Bias is null)
            s += ", bias=False";
        return s;
    }

    /// <summary>A Python tuple: (3,) or (3, 3).</summary>
    internal static string Tuple(IReadOnlyList<long> values) => values.Count == 1 ? $"({values[0]},)" : $"({string.Join(", ", values)})";

    /// <summary>n copies of v.</summary>
    private protected static long[] Fill(int n, long v)
    {
        long[] r = new long[n];
        Array.Fill(r, v);
        return r;
    }
}

/// <summary>1-d convolution over (N, C, L) or (C, L) input (<c>nn.Conv1d</c>).</summary>
public sealed class Conv1d : ConvNd
{
    /// <summary>A kernel of <paramref name="kernelSize"/> taps.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true,
        DType? dtype = null, Device? device = null)
        : base(nameof(Conv1d), inChannels, outChannels, [kernelSize], [stride], [padding], null, [dilation], false, [0], groups, bias, dtype, device)
    {
    }

    /// <summary>Padding "same" (output as long as the input; stride 1) or "valid" (none).</summary>
    public Conv1d(long inChannels, long outChannels, long kernelSize, string padding, long stride = 1, long dilation = 1, long groups = 1, bool bias = true,
        DType? dtype = null, Device? device = null)
        : base(nameof(Conv1d), inChannels, outChannels, [kernelSize], [stride], [0], padding, [dilation], false, [0], groups, bias, dtype, device)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => PaddingString is { } p
        ? Functional.Conv1d(input, Weight, Bias, p, [.. Stride], [.. Dilation], Groups)
        : Functional.Conv1d(input, Weight, Bias, [.. Stride], [.. Padding], [.. Dilation], Groups);
}

/// <summary>3-d convolution over (N, C, D, H, W) or (C, D, H, W) input (<c>nn.Conv3d</c>).</summary>
public sealed class Conv3d : ConvNd
{
    /// <summary>A cubic kernel with equal strides, paddings and dilations in every dim.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv3d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long dilation = 1, long groups = 1, bool bias = true,
        DType? dtype = null, Device? device = null)
        : base(nameof(Conv3d), inChannels, outChannels, Fill(3, kernelSize), Fill(3, stride), Fill(3, padding), null, Fill(3, dilation), false, Fill(3, 0),
            groups, bias, dtype, device)
    {
    }

    /// <summary>A kernel of (kD, kH, kW) with per-dim stride, padding and dilation (null means 1, 0 and 1).</summary>
    public Conv3d(long inChannels, long outChannels, (long D, long H, long W) kernelSize, (long D, long H, long W)? stride = null,
        (long D, long H, long W)? padding = null, (long D, long H, long W)? dilation = null, long groups = 1, bool bias = true, DType? dtype = null,
        Device? device = null)
        : base(nameof(Conv3d), inChannels, outChannels, Triple(kernelSize), Triple(stride ?? (1, 1, 1)), Triple(padding ?? (0, 0, 0)), null,
            Triple(dilation ?? (1, 1, 1)), false, Fill(3, 0), groups, bias, dtype, device)
    {
    }

    /// <summary>Padding "same" (output as large as the input; stride 1) or "valid" (none).</summary>
    public Conv3d(long inChannels, long outChannels, long kernelSize, string padding, long stride = 1, long dilation = 1, long groups = 1, bool bias = true,
        DType? dtype = null, Device? device = null)
        : base(nameof(Conv3d), inChannels, outChannels, Fill(3, kernelSize), Fill(3, stride), Fill(3, 0), padding, Fill(3, dilation), false, Fill(3, 0),
            groups, bias, dtype, device)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => PaddingString is { } p
        ? Functional.Conv3d(input, Weight, Bias, p, [.. Stride], [.. Dilation], Groups)
        : Functional.Conv3d(input, Weight, Bias, [.. Stride], [.. Padding], [.. Dilation], Groups);

    private static long[] Triple((long D, long H, long W) v) => [v.D, v.H, v.W];
}

/// <summary>1-d transposed convolution over (N, C, L) or (C, L) input (<c>nn.ConvTranspose1d</c>).</summary>
public sealed class ConvTranspose1d : ConvNd
{
    /// <summary>
    /// A kernel of <paramref name="kernelSize"/> taps; the output length is (L - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1.
    /// </summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public ConvTranspose1d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long outputPadding = 0, long groups = 1,
        bool bias = true, long dilation = 1, DType? dtype = null, Device? device = null)
        : base(nameof(ConvTranspose1d), inChannels, outChannels, [kernelSize], [stride], [padding], null, [dilation], true, [outputPadding], groups, bias,
            dtype, device)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.ConvTranspose1d(input, Weight, Bias, [.. Stride], [.. Padding], [.. OutputPadding], Groups, [.. Dilation]);
}

/// <summary>2-d transposed convolution over (N, C, H, W) or (C, H, W) input (<c>nn.ConvTranspose2d</c>).</summary>
public sealed class ConvTranspose2d : ConvNd
{
    /// <summary>A square kernel with equal arguments in both dims.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public ConvTranspose2d(long inChannels, long outChannels, long kernelSize, long stride = 1, long padding = 0, long outputPadding = 0, long groups = 1,
        bool bias = true, long dilation = 1, DType? dtype = null, Device? device = null)
        : base(nameof(ConvTranspose2d), inChannels, outChannels, Fill(2, kernelSize), Fill(2, stride), Fill(2, padding), null, Fill(2, dilation), true,
            Fill(2, outputPadding), groups, bias, dtype, device)
    {
    }

    /// <summary>A kernel of (kH, kW) with per-dim arguments (null means stride 1, padding 0, output padding 0, dilation 1).</summary>
    public ConvTranspose2d(long inChannels, long outChannels, (long H, long W) kernelSize, (long H, long W)? stride = null, (long H, long W)? padding = null,
        (long H, long W)? outputPadding = null, long groups = 1, bool bias = true, (long H, long W)? dilation = null, DType? dtype = null, Device? device = null)
        : base(nameof(ConvTranspose2d), inChannels, outChannels, Two(kernelSize), Two(stride ?? (1, 1)), Two(padding ?? (0, 0)), null, Two(dilation ?? (1, 1)),
            true, Two(outputPadding ?? (0, 0)), groups, bias, dtype, device)
    {
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        Functional.ConvTranspose2d(input, Weight, Bias, [.. Stride], [.. Padding], [.. OutputPadding], Groups, [.. Dilation]);

    private static long[] Two((long H, long W) v) => [v.H, v.W];
}
