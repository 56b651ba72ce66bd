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
}

/// <summary>Base of the losses: a module of (input, target) with a <see cref="Reduction"/>.</summary>
public abstract class Loss(Reduction reduction) : Module<Tensor, Tensor, Tensor>
{
    /// <summary>How the per-element losses are combined (<c>reduction</c>).</summary>
    public Reduction Reduction { get; } = reduction;

    /// <summary>The reduction as PyTorch spells it.</summary>
    protected string ReductionName => Reduction switch
    {
        Reduction.None => "none",
        Reduction.Sum => "sum",
        _ => "mean",
    };

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
