namespace Ember.NN;

/// <summary>How a loss combines the per-element losses (<c>reduction='none'|'mean'|'sum'</c>).</summary>
public enum Reduction
{
    /// <summary>No reduction: one loss per element (<c>'none'</c>).</summary>
    None,

    /// <summary>The (weighted) mean (<c>'mean'</c>, the default).</summary>
    Mean,

    /// <summary>The sum (<c>'sum'</c>).</summary>
    Sum,

    /// <summary>The sum divided by the batch size (<c>'batchmean'</c>); only <see cref="KLDivLoss"/> accepts it.</summary>
    BatchMean,
}

internal static class ReductionNames
{
    /// <summary>The reduction as PyTorch spells it.</summary>
    public static string ToName(this Reduction reduction) => reduction switch
    {
        Reduction.None => "none",
        Reduction.Sum => "sum",
        Reduction.BatchMean => "batchmean",
        _ => "mean",
    };
}

/// <summary>Base of the losses: a module of (input, target) with a <see cref="Reduction"/>.</summary>
public abstract class Loss(Reduction reduction) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined (<c>reduction</c>).</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The reduction as PyTorch spells it.</summary>
    protected string ReductionName => Reduction.ToName();

    /// <inheritdoc/>
    public override string ExtraRepr() => "";
}

/// <summary>
/// Cross entropy between logits (N, C) or (N, C, d...) and class indices (N) or (N, d...)
/// (<c>nn.CrossEntropyLoss</c>): log_softmax followed by the negative log likelihood, with optional class
/// weights, an ignored class index and label smoothing.
/// </summary>
public sealed class CrossEntropyLoss : Loss
{
    /// <summary>A cross-entropy loss.</summary>
    /// <param name="weight">A weight per class (C), or null; the loss keeps its own reference to it.</param>
    /// <param name="ignoreIndex">A target value that contributes neither loss nor gradient (<c>ignore_index</c>).</param>
    /// <param name="reduction">How to combine the per-sample losses.</param>
    /// <param name="labelSmoothing">Amount of smoothing in [0, 1] (<c>label_smoothing</c>).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="labelSmoothing"/> is outside [0, 1].</exception>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
        : base(reduction)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}");
        Weight = weight?.Alias().DetachFromScope();
        IgnoreIndex = ignoreIndex;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The class weights (a buffer, saved as <c>weight</c>), or null.</summary>
    public Tensor? Weight { get; private set; }

    /// <summary>The ignored target value (<c>ignore_index</c>).</summary>
    public long IgnoreIndex { get; }

    /// <summary>The label smoothing (<c>label_smoothing</c>).</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.CrossEntropy(input, target, Weight, IgnoreIndex, ReductionName, LabelSmoothing);
}

/// <summary>Negative log likelihood of log-probabilities (N, C) at class indices (N) (<c>nn.NLLLoss</c>).</summary>
public sealed class NLLLoss : Loss
{
    /// <summary>An NLL loss with optional class weights and an ignored target value.</summary>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
        : base(reduction)
    {
        Weight = weight?.Alias().DetachFromScope();
        IgnoreIndex = ignoreIndex;
    }

    /// <summary>The class weights (a buffer, saved as <c>weight</c>), or null.</summary>
    public Tensor? Weight { get; private set; }

    /// <summary>The ignored target value (<c>ignore_index</c>).</summary>
    public long IgnoreIndex { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.NllLoss(input, target, Weight, IgnoreIndex, ReductionName);
}

/// <summary>Squared error (input - target)² (<c>nn.MSELoss</c>).</summary>
public sealed class MSELoss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.MseLoss(input, target, ReductionName);
}

/// <summary>Absolute error |input - target| (<c>nn.L1Loss</c>).</summary>
public sealed class L1Loss(Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.L1Loss(input, target, ReductionName);
}

/// <summary>Squared error below <see cref="Beta"/>, absolute error above it (<c>nn.SmoothL1Loss</c>).</summary>
public sealed class SmoothL1Loss(Reduction reduction = Reduction.Mean, double beta = 1.0) : Loss(reduction)
{
    /// <summary>Where the loss changes from squared to absolute (<c>beta</c>).</summary>
    public double Beta { get; } = beta;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.SmoothL1Loss(input, target, ReductionName, Beta);
}

/// <summary>Squared error below <see cref="Delta"/>, δ-scaled absolute error above it (<c>nn.HuberLoss</c>).</summary>
public sealed class HuberLoss(Reduction reduction = Reduction.Mean, double delta = 1.0) : Loss(reduction)
{
    /// <summary>Where the loss changes from squared to absolute (<c>delta</c>).</summary>
    public double Delta { get; } = delta;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.HuberLoss(input, target, ReductionName, Delta);
}

/// <summary>Binary cross entropy of probabilities (<c>nn.BCELoss</c>).</summary>
public sealed class BCELoss : Loss
{
    /// <summary>A BCE loss with an optional weight that broadcasts to the input.</summary>
    public BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean)
        : base(reduction) => Weight = weight?.Alias().DetachFromScope();

    /// <summary>The weight (a buffer, saved as <c>weight</c>), or null.</summary>
    public Tensor? Weight { get; private set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.BinaryCrossEntropy(input, target, Weight, ReductionName);
}

/// <summary>Binary cross entropy of logits, numerically stable (<c>nn.BCEWithLogitsLoss</c>).</summary>
public sealed class BCEWithLogitsLoss : Loss
{
    /// <summary>A BCE-with-logits loss with an optional weight and a weight of the positive examples per class.</summary>
    public BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
        : base(reduction)
    {
        Weight = weight?.Alias().DetachFromScope();
        PosWeight = posWeight?.Alias().DetachFromScope();
    }

    /// <summary>The weight (a buffer, saved as <c>weight</c>), or null.</summary>
    public Tensor? Weight { get; private set; }

    /// <summary>The weight of the positive examples (a buffer, saved as <c>pos_weight</c>), or null.</summary>
    public Tensor? PosWeight { get; private set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) =>
        Functional.BinaryCrossEntropyWithLogits(input, target, Weight, ReductionName, PosWeight);
}

/// <summary>Kullback-Leibler divergence of the target from log-probabilities (<c>nn.KLDivLoss</c>); use <see cref="Reduction.BatchMean"/> for the true KL divergence.</summary>
public sealed class KLDivLoss(Reduction reduction = Reduction.Mean, bool logTarget = false) : Loss(reduction)
{
    /// <summary>Whether the target holds log-probabilities (<c>log_target</c>).</summary>
    public bool LogTarget { get; } = logTarget;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.KlDiv(input, target, ReductionName, LogTarget);
}

/// <summary>Negative log likelihood under a Poisson distribution (<c>nn.PoissonNLLLoss</c>).</summary>
public sealed class PoissonNLLLoss(bool logInput = true, bool full = false, double eps = 1e-8, Reduction reduction = Reduction.Mean) : Loss(reduction)
{
    /// <summary>Whether the input is the log of the rate (<c>log_input</c>).</summary>
    public bool LogInput { get; } = logInput;

    /// <summary>Whether Stirling's term is added (<c>full</c>).</summary>
    public bool Full { get; } = full;

    /// <summary>Added to the rate before its log when <see cref="LogInput"/> is false (<c>eps</c>).</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target) => Functional.PoissonNllLoss(input, target, LogInput, Full, Eps, ReductionName);
}

/// <summary>Base of the losses of three tensors (two inputs and a target, or a triplet).</summary>
public abstract class Loss3(Reduction reduction) : Module<Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined (<c>reduction</c>).</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The reduction as PyTorch spells it.</summary>
    protected string ReductionName => Reduction.ToName();

    /// <inheritdoc/>
    public override string ExtraRepr() => "";
}

/// <summary>Negative log likelihood under Gaussians of predicted mean and variance (<c>nn.GaussianNLLLoss</c>); forward(input, target, var).</summary>
public sealed class GaussianNLLLoss(bool full = false, double eps = 1e-6, Reduction reduction = Reduction.Mean) : Loss3(reduction)
{
    /// <summary>Whether the constant 0.5·log 2π is added (<c>full</c>).</summary>
    public bool Full { get; } = full;

    /// <summary>The smallest variance used (<c>eps</c>).</summary>
    public double Eps { get; } = eps;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input, Tensor target, Tensor var) => Functional.GaussianNllLoss(input, target, var, Full, Eps, ReductionName);
}

/// <summary>Whether two inputs are similar (target 1) or not (-1) by their cosine (<c>nn.CosineEmbeddingLoss</c>); forward(input1, input2, target).</summary>
public sealed class CosineEmbeddingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : Loss3(reduction)
{
    /// <summary>The cosine below which dissimilar pairs cost nothing (<c>margin</c>).</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input1, Tensor input2, Tensor target) =>
        Functional.CosineEmbeddingLoss(input1, input2, target, Margin, ReductionName);
}

/// <summary>Ranks input1 above input2 where the target is 1, below where it is -1 (<c>nn.MarginRankingLoss</c>); forward(input1, input2, target).</summary>
public sealed class MarginRankingLoss(double margin = 0, Reduction reduction = Reduction.Mean) : Loss3(reduction)
{
    /// <summary>The margin (<c>margin</c>).</summary>
    public double Margin { get; } = margin;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input1, Tensor input2, Tensor target) =>
        Functional.MarginRankingLoss(input1, input2, target, Margin, ReductionName);
}

/// <summary>Pulls the anchor towards the positive and away from the negative (<c>nn.TripletMarginLoss</c>); forward(anchor, positive, negative).</summary>
public sealed class TripletMarginLoss(double margin = 1.0, double p = 2, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction.Mean)
    : Loss3(reduction)
{
    /// <summary>The margin (<c>margin</c>).</summary>
    public double Margin { get; } = margin;

    /// <summary>The norm of the distances (<c>p</c>).</summary>
    public double P { get; } = p;

    /// <summary>Added to the differences so the distance has a gradient at 0 (<c>eps</c>).</summary>
    public double Eps { get; } = eps;

    /// <summary>Whether the distance swap is used (<c>swap</c>).</summary>
    public bool Swap { get; } = swap;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor anchor, Tensor positive, Tensor negative) =>
        Functional.TripletMarginLoss(anchor, positive, negative, Margin, P, Eps, Swap, ReductionName);
}

/// <summary>Connectionist temporal classification loss (<c>nn.CTCLoss</c>); forward(log_probs, targets, input_lengths, target_lengths).</summary>
public sealed class CTCLoss(long blank = 0, Reduction reduction = Reduction.Mean, bool zeroInfinity = false) : Module<Tensor, Tensor, Tensor, Tensor, Tensor>
{
    /// <summary>The blank class (<c>blank</c>).</summary>
    public long Blank { get; } = blank;

    /// <summary>How the per-sequence losses are combined (<c>reduction</c>).</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>Whether infinite losses and their gradients become 0 (<c>zero_infinity</c>).</summary>
    public bool ZeroInfinity { get; } = zeroInfinity;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths) =>
        Functional.CtcLoss(logProbs, targets, inputLengths, targetLengths, Blank, Reduction.ToName(), ZeroInfinity);

    /// <inheritdoc/>
    public override string ExtraRepr() => "";
}
