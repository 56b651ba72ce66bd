using System.Globalization;

namespace Ember.NN;

/// <summary>
/// Shared part of <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> (<c>nn.modules.batchnorm._BatchNorm</c>):
/// affine weight (ones) and bias (zeros), running statistics and the <c>num_batches_tracked</c> counter, with
/// PyTorch's state-dict names (<c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>).
/// </summary>
public abstract class BatchNormBase : Module<Tensor, Tensor>
{
    /// <summary>A batch norm over <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">Channels C of the (N, C, *) input.</param>
    /// <param name="eps">Added to the variance (<c>eps</c>).</param>
    /// <param name="momentum">Weight of the new statistics in the running ones; null for a cumulative average (<c>momentum=None</c>).</param>
    /// <param name="affine">Learn a per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Keep running statistics and use them in evaluation; without, batch statistics are used always.</param>
    /// <param name="dtype">Dtype of the parameters and statistics (default: <see cref="Torch.DefaultDType"/>).</param>
    /// <param name="device">Device of the parameters and statistics.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numFeatures"/> is not positive.</exception>
    protected BatchNormBase(long numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats, DType? dtype, Device? device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        DType type = dtype ?? Torch.DefaultDType;
        if (affine)
        {
            using Tensor ones = Torch.Ones([numFeatures], type, device);
            using Tensor zeros = Torch.Zeros([numFeatures], type, device);
            Weight = new Parameter(ones);
            Bias = new Parameter(zeros);
        }
        if (trackRunningStats)
        {
            RunningMean = Torch.Zeros([numFeatures], type, device).DetachFromScope();
            RunningVar = Torch.Ones([numFeatures], type, device).DetachFromScope();
            NumBatchesTracked = Torch.Zeros([], DType.Int64, device).DetachFromScope();
        }
    }

    /// <summary>Number of channels (<c>num_features</c>).</summary>
    public long NumFeatures { get; }

    /// <summary>Added to the variance (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Weight of the new statistics in the running ones, or null for a cumulative average (<c>momentum</c>).</summary>
    public double? Momentum { get; set; }

    /// <summary>Whether the layer has a weight and bias (<c>affine</c>).</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept (<c>track_running_stats</c>).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Per-channel scale (ones at first), or null without <see cref="Affine"/>.</summary>
    public Parameter? Weight { get; private set; }

    /// <summary>Per-channel shift (zeros at first), or null without <see cref="Affine"/>.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Running mean of the channels (<c>running_mean</c>), or null without <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningMean { get; private set; }

    /// <summary>Running unbiased variance of the channels (<c>running_var</c>), or null without <see cref="TrackRunningStats"/>.</summary>
    public Tensor? RunningVar { get; private set; }

    /// <summary>Number of training batches seen (<c>num_batches_tracked</c>, int64 0-d), or null without <see cref="TrackRunningStats"/>.</summary>
    public Tensor? NumBatchesTracked { get; private set; }

    /// <summary>Resets the running statistics to mean 0, variance 1, no batches (<c>reset_running_stats</c>).</summary>
    public void ResetRunningStats()
    {
        if (RunningMean is { } mean)
            Init.Zeros_(mean);
        if (RunningVar is { } variance)
            Init.Ones_(variance);
        if (NumBatchesTracked is { } tracked)
            Init.Zeros_(tracked);
    }

    /// <summary>Resets the statistics and the affine parameters to ones and zeros (<c>reset_parameters</c>).</summary>
    public void ResetParameters()
    {
        ResetRunningStats();
        if (Weight is { } weight)
            Init.Ones_(weight);
        if (Bias is { } bias)
            Init.Zeros_(bias);
    }

    /// <summary>Checks the input's rank; the message names the layer as PyTorch's does.</summary>
    protected abstract void CheckInputDim(Tensor input);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInputDim(input);
        double factor = Momentum ?? 0.0;
        if (Training && TrackRunningStats && NumBatchesTracked is { } tracked)
        {
            using (Torch.NoGrad())
                tracked.Add_(1L);
            if (Momentum is null)
                factor = 1.0 / tracked.Item<long>();
        }
        // Batch statistics while training, or always when there are no running statistics.
        bool useBatchStats = Training || (RunningMean is null && RunningVar is null);
        bool passStats = !Training || TrackRunningStats;
        return Functional.BatchNorm(input, passStats ? RunningMean : null, passStats ? RunningVar : null, Weight, Bias, useBatchStats, factor, Eps);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={Layers.PyFloat(Eps)}, momentum={(Momentum is { } m ? Layers.PyFloat(m) : "None")}, affine={PyBool(Affine)}, track_running_stats={PyBool(TrackRunningStats)}";
}

/// <summary>Batch normalization of (N, C) or (N, C, L) input over the batch (and length) (<c>nn.BatchNorm1d</c>).</summary>
public sealed class BatchNorm1d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType? dtype = null, Device? device = null)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Dim is not (2 or 3))
            throw new ArgumentException($"BatchNorm1d: expected 2D or 3D input (got {input.Dim}D input)");
    }
}

/// <summary>Batch normalization of (N, C, H, W) input over the batch and the spatial dims (<c>nn.BatchNorm2d</c>).</summary>
public sealed class BatchNorm2d(long numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true, DType? dtype = null, Device? device = null)
    : BatchNormBase(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    /// <inheritdoc/>
    protected override void CheckInputDim(Tensor input)
    {
        if (input.Dim != 4)
            throw new ArgumentException($"BatchNorm2d: expected 4D input (got {input.Dim}D input)");
    }
}

/// <summary>
/// Instance normalization of (N, C, H, W) or (C, H, W) input: each channel of each sample on its own
/// (<c>nn.InstanceNorm2d</c>). Without affine parameters and running statistics by default, as in PyTorch.
/// </summary>
public sealed class InstanceNorm2d : Module<Tensor, Tensor>
{
    /// <summary>An instance norm over <paramref name="numFeatures"/> channels.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numFeatures"/> is not positive.</exception>
    public InstanceNorm2d(long numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = false, bool trackRunningStats = false, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numFeatures);
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        DType type = dtype ?? Torch.DefaultDType;
        if (affine)
        {
            using Tensor ones = Torch.Ones([numFeatures], type, device);
            using Tensor zeros = Torch.Zeros([numFeatures], type, device);
            Weight = new Parameter(ones);
            Bias = new Parameter(zeros);
        }
        if (trackRunningStats)
        {
            RunningMean = Torch.Zeros([numFeatures], type, device).DetachFromScope();
            RunningVar = Torch.Ones([numFeatures], type, device).DetachFromScope();
            NumBatchesTracked = Torch.Zeros([], DType.Int64, device).DetachFromScope();
        }
    }

    /// <summary>Number of channels (<c>num_features</c>).</summary>
    public long NumFeatures { get; }

    /// <summary>Added to the variance (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Weight of the new statistics in the running ones (<c>momentum</c>).</summary>
    public double Momentum { get; set; }

    /// <summary>Whether the layer has a weight and bias (<c>affine</c>).</summary>
    public bool Affine { get; }

    /// <summary>Whether running statistics are kept and used in evaluation (<c>track_running_stats</c>).</summary>
    public bool TrackRunningStats { get; }

    /// <summary>Per-channel scale, or null.</summary>
    public Parameter? Weight { get; private set; }

    /// <summary>Per-channel shift, or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Running mean (<c>running_mean</c>), or null.</summary>
    public Tensor? RunningMean { get; private set; }

    /// <summary>Running variance (<c>running_var</c>), or null.</summary>
    public Tensor? RunningVar { get; private set; }

    /// <summary>The <c>num_batches_tracked</c> buffer, or null; kept at 0 for state-dict compatibility, as in PyTorch.</summary>
    public Tensor? NumBatchesTracked { get; private set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (3 or 4))
            throw new ArgumentException($"InstanceNorm2d: expected 3D or 4D input (got {input.Dim}D input)");
        if (input.Dim == 3)
        {
            using Tensor batched = input.Unsqueeze(0);
            using Tensor output = Forward(batched);
            return output.Squeeze(0);
        }
        if (input.ShapeArray[1] != NumFeatures)
            throw new ArgumentException($"InstanceNorm2d: expected input's size at dim=1 to match num_features ({NumFeatures}), but got: {input.ShapeArray[1]}.");
        // As PyTorch's _InstanceNorm, training never counts num_batches_tracked.
        bool useInputStats = Training || !TrackRunningStats;
        return Functional.InstanceNorm(input, RunningMean, RunningVar, Weight, Bias, useInputStats, Momentum, Eps);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{NumFeatures}, eps={Layers.PyFloat(Eps)}, momentum={Layers.PyFloat(Momentum)}, affine={PyBool(Affine)}, track_running_stats={PyBool(TrackRunningStats)}";
}

/// <summary>
/// Layer normalization over the last dims (<c>nn.LayerNorm</c>), with an elementwise weight (ones) and bias
/// (zeros) of <see cref="NormalizedShape"/> by default.
/// </summary>
public sealed class LayerNorm : Module<Tensor, Tensor>
{
    /// <summary>A layer norm over the last dims of the given shape.</summary>
    /// <param name="normalizedShape">The trailing dims to normalise over.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="elementwiseAffine">Learn a weight (and bias) of <paramref name="normalizedShape"/>.</param>
    /// <param name="bias">Learn a bias too (when <paramref name="elementwiseAffine"/>).</param>
    /// <param name="dtype">Dtype of the parameters.</param>
    /// <param name="device">Device of the parameters.</param>
    public LayerNorm(long[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        NormalizedShape = [.. normalizedShape];
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            using Tensor ones = Torch.Ones(NormalizedShape, dtype ?? Torch.DefaultDType, device);
            Weight = new Parameter(ones);
            if (bias)
            {
                using Tensor zeros = Torch.Zeros(NormalizedShape, dtype ?? Torch.DefaultDType, device);
                Bias = new Parameter(zeros);
            }
        }
    }

    /// <summary>A layer norm over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm(long normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true, DType? dtype = null, Device? device = null)
        : this([normalizedShape], eps, elementwiseAffine, bias, dtype, device)
    {
    }

    /// <summary>The trailing dims normalised over (<c>normalized_shape</c>).</summary>
    public long[] NormalizedShape { get; }

    /// <summary>Added to the variance (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a weight (<c>elementwise_affine</c>).</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>Elementwise scale, or null.</summary>
    public Parameter? Weight { get; private set; }

    /// <summary>Elementwise shift, or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{Norms.Tuple(NormalizedShape)}, eps={Layers.PyFloat(Eps)}, elementwise_affine={PyBool(ElementwiseAffine)}";
}

/// <summary>Root-mean-square normalization over the last dims with an elementwise weight (<c>nn.RMSNorm</c>, PyTorch 2.4).</summary>
public sealed class RMSNorm : Module<Tensor, Tensor>
{
    /// <summary>An RMS norm over the last dims of the given shape; a null <paramref name="eps"/> means the input dtype's machine epsilon.</summary>
    public RMSNorm(long[] normalizedShape, double? eps = null, bool elementwiseAffine = true, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        NormalizedShape = [.. normalizedShape];
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        if (elementwiseAffine)
        {
            using Tensor ones = Torch.Ones(NormalizedShape, dtype ?? Torch.DefaultDType, device);
            Weight = new Parameter(ones);
        }
    }

    /// <summary>An RMS norm over the last dim of size <paramref name="normalizedShape"/>.</summary>
    public RMSNorm(long normalizedShape, double? eps = null, bool elementwiseAffine = true, DType? dtype = null, Device? device = null)
        : this([normalizedShape], eps, elementwiseAffine, dtype, device)
    {
    }

    /// <summary>The trailing dims normalised over (<c>normalized_shape</c>).</summary>
    public long[] NormalizedShape { get; }

    /// <summary>Added to the mean square, or null for the machine epsilon (<c>eps</c>).</summary>
    public double? Eps { get; }

    /// <summary>Whether the layer has a weight (<c>elementwise_affine</c>).</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>Elementwise scale (ones at first), or null.</summary>
    public Parameter? Weight { get; private set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.RMSNorm(input, NormalizedShape, Weight, Eps);

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"{Norms.Tuple(NormalizedShape)}, eps={(Eps is { } e ? Layers.PyFloat(e) : "None")}, elementwise_affine={PyBool(ElementwiseAffine)}";
}

/// <summary>Group normalization (<c>nn.GroupNorm</c>): channels in groups, each normalised per sample, with a per-channel weight and bias.</summary>
public sealed class GroupNorm : Module<Tensor, Tensor>
{
    /// <summary>A group norm of <paramref name="numChannels"/> channels in <paramref name="numGroups"/> groups.</summary>
    /// <exception cref="ArgumentException"><paramref name="numChannels"/> is not divisible by <paramref name="numGroups"/>.</exception>
    public GroupNorm(long numGroups, long numChannels, double eps = 1e-5, bool affine = true, DType? dtype = null, Device? device = null)
    {
        if (numGroups <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: num_channels ({numChannels}) must be divisible by num_groups ({numGroups})");
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        Affine = affine;
        if (affine)
        {
            using Tensor ones = Torch.Ones([numChannels], dtype ?? Torch.DefaultDType, device);
            using Tensor zeros = Torch.Zeros([numChannels], dtype ?? Torch.DefaultDType, device);
            Weight = new Parameter(ones);
            Bias = new Parameter(zeros);
        }
    }

    /// <summary>Number of groups (<c>num_groups</c>).</summary>
    public long NumGroups { get; }

    /// <summary>Number of channels (<c>num_channels</c>).</summary>
    public long NumChannels { get; }

    /// <summary>Added to the variance (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>Whether the layer has a weight and bias (<c>affine</c>).</summary>
    public bool Affine { get; }

    /// <summary>Per-channel scale, or null.</summary>
    public Parameter? Weight { get; private set; }

    /// <summary>Per-channel shift, or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.GroupNorm(input, NumGroups, Weight, Bias, Eps);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={Layers.PyFloat(Eps)}, affine={PyBool(Affine)}";
}

internal static class Norms
{
    /// <summary>A shape as a Python tuple: (10,) or (5, 6).</summary>
    public static string Tuple(long[] shape) => shape.Length == 1
        ? $"({shape[0].ToString(CultureInfo.InvariantCulture)},)"
        : $"({string.Join(", ", shape.Select(v => v.ToString(CultureInfo.InvariantCulture)))})";
}
