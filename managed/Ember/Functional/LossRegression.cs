using Ember.Interop;

namespace Ember;

// Elementwise losses built from differentiable ops, so autograd (and higher orders) come from their
// parts; only binary_cross_entropy has a node of its own, for PyTorch's clamped backward.
public static partial class Functional
{
    /// <summary>Absolute error |input - target|; the operands broadcast (<c>F.l1_loss</c>).</summary>
    public static Tensor L1Loss(Tensor input, Tensor target, string reduction = "mean")
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(L1Loss));
        using Tensor diff = input - target;
        return Reduce(diff.Abs(), red, null);
    }

    /// <summary>
    /// 0.5·d²/β where |d| &lt; β, else |d| - 0.5·β, with d = input - target (<c>F.smooth_l1_loss</c>); β = 0 is the L1 loss.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="beta"/> is negative.</exception>
    public static Tensor SmoothL1Loss(Tensor input, Tensor target, string reduction = "mean", double beta = 1.0)
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(SmoothL1Loss));
        if (!(beta >= 0))
            throw new ArgumentOutOfRangeException(nameof(beta), beta, $"Functional.SmoothL1Loss: beta must be non-negative, got {beta}");
        if (beta == 0)
            return L1Loss(input, target, reduction);
        using TensorScope scope = Torch.NewScope();
        Tensor z = (input - target).Abs();
        Tensor loss = Torch.Where(z.Lt(beta), z * z * (0.5 / beta), z - 0.5 * beta);
        return scope.MoveOut(Reduce(loss, red, null));
    }

    /// <summary>
    /// 0.5·d² where |d| &lt; δ, else δ·(|d| - 0.5·δ), with d = input - target (<c>F.huber_loss</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is not positive.</exception>
    public static Tensor HuberLoss(Tensor input, Tensor target, string reduction = "mean", double delta = 1.0)
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(HuberLoss));
        if (!(delta > 0))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, $"Functional.HuberLoss: delta must be positive, got {delta}");
        using TensorScope scope = Torch.NewScope();
        Tensor z = (input - target).Abs();
        Tensor loss = Torch.Where(z.Lt(delta), z * z * 0.5, (z - 0.5 * delta) * delta);
        return scope.MoveOut(Reduce(loss, red, null));
    }

    /// <summary>
    /// Binary cross entropy -w·(t·log x + (1 - t)·log(1 - x)) between probabilities <paramref name="input"/> in [0, 1]
    /// and <paramref name="target"/> of the same shape (<c>F.binary_cross_entropy</c>). Each log is clamped at -100, as
    /// PyTorch does, so the loss stays finite; <paramref name="weight"/> broadcasts to the input.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ, or an input value lies outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean")
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(BinaryCrossEntropy));
        if (!input.ShapeArray.SequenceEqual(target.ShapeArray))
            throw new ArgumentException(
                $"Functional.BinaryCrossEntropy: target of shape {target.Shape} must have the input's shape {input.Shape}", nameof(target));
        CheckFloatingLoss(nameof(BinaryCrossEntropy), input, target);
        Tensor loss;
        using (Torch.NoGrad())
        using (TensorScope scope = Torch.NewScope())
        {
            Tensor outside = input.Lt(0.0) | input.Gt(1.0);
            if (outside.Any().Item<bool>())
                throw new ArgumentException($"Functional.BinaryCrossEntropy: all elements of input ({input.Shape}, {input.DType}) should be between 0 and 1", nameof(input));
            Tensor logX = input.Log().Clamp(-100.0, null);
            Tensor log1mX = (1.0 - input).Log().Clamp(-100.0, null);
            loss = -(target * logX + (1.0 - target) * log1mX);
            if (weight is not null)
                loss = loss * weight;
            scope.MoveOut(loss);
        }
        Tensor[] inputs = weight is null ? [input, target] : [input, target, weight];
        loss = Derivatives.Multi(loss, inputs, "BinaryCrossEntropyBackward0", BceGrads);
        return Reduce(loss, red, null);
    }

    // PyTorch's formulas: d/dx = w·(x - t) / max(x·(1 - x), 1e-12), d/dt = w·(log(1 - x) - log x), d/dw = the unweighted loss.
    private static Tensor?[] BceGrads(Tensor g, Tensor[] x, Tensor? result, bool[] needs)
    {
        Tensor input = x[0], target = x[1];
        Tensor? w = x.Length > 2 ? x[2] : null;
        Tensor gw = w is null ? g : g * w;
        Tensor? gInput = null, gTarget = null, gWeight = null;
        if (needs[0])
            gInput = gw * (input - target) / (input * (1.0 - input)).Clamp(1e-12, null);
        if (needs[1])
            gTarget = gw * ((1.0 - input).Log() - input.Log());
        if (w is not null && needs[2])
            gWeight = g * -(target * input.Log().Clamp(-100.0, null) + (1.0 - target) * (1.0 - input).Log().Clamp(-100.0, null));
        return w is null ? [gInput, gTarget] : [gInput, gTarget, gWeight];
    }

    /// <summary>
    /// Binary cross entropy of logits: sigmoid and <see cref="BinaryCrossEntropy"/> in one numerically stable expression,
    /// (1 - t)·x - (1 + (p - 1)·t)·log σ(x), times <paramref name="weight"/> (<c>F.binary_cross_entropy_with_logits</c>).
    /// <paramref name="posWeight"/> (p) weighs the positive examples and broadcasts along the last (class) dim.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, string reduction = "mean", Tensor? posWeight = null)
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(BinaryCrossEntropyWithLogits));
        if (!input.ShapeArray.SequenceEqual(target.ShapeArray))
            throw new ArgumentException(
                $"Functional.BinaryCrossEntropyWithLogits: target of shape {target.Shape} must have the input's shape {input.Shape}", nameof(target));
        CheckFloatingLoss(nameof(BinaryCrossEntropyWithLogits), input, target);
        using TensorScope scope = Torch.NewScope();
        Tensor logSig = LogSigmoid(input);
        // log(1 + (p - 1)·t) weighs the positive term; without pos_weight it is 1.
        Tensor positive = posWeight is null ? logSig : ((posWeight - 1.0) * target + 1.0) * logSig;
        Tensor loss = (1.0 - target) * input - positive;
        if (weight is not null)
            loss = loss * weight;
        return scope.MoveOut(Reduce(loss, red, null));
    }

    /// <summary>
    /// Kullback-Leibler divergence t·(log t - x) of the target distribution from the log-probabilities
    /// <paramref name="input"/> (<c>F.kl_div</c>); the target holds probabilities, or log-probabilities with
    /// <paramref name="logTarget"/>. <paramref name="reduction"/> may also be "batchmean": the sum divided by the batch size
    /// (the mathematically correct KL divergence; "mean" averages over every element, as PyTorch does).
    /// </summary>
    public static Tensor KlDiv(Tensor input, Tensor target, string reduction = "mean", bool logTarget = false)
    {
        bool batchMean = reduction == "batchmean";
        ember_reduction red = LossArgs(input, target, batchMean ? "sum" : reduction, nameof(KlDiv));
        using TensorScope scope = Torch.NewScope();
        Tensor loss;
        if (logTarget)
        {
            loss = target.Exp() * (target - input);
        }
        else
        {
            // t·log t is taken as 0 at t = 0 (xlogy); the log sees 1 there so no NaN reaches the gradient.
            Tensor positive = target.Gt(0.0);
            Tensor safe = Torch.Where(positive, target, Torch.OnesLike(target));
            Tensor xlogy = Torch.Where(positive, target * safe.Log(), Torch.ZerosLike(target));
            loss = xlogy - target * input;
        }
        Tensor reduced = Reduce(loss, red, null);
        if (batchMean && input.Dim > 0)
            reduced = reduced / input.Shape[0];
        return scope.MoveOut(reduced);
    }

    /// <summary>
    /// Negative log likelihood of <paramref name="target"/> under a Poisson distribution (<c>F.poisson_nll_loss</c>):
    /// exp(x) - t·x when <paramref name="logInput"/> (the input is the log of the rate), else x - t·log(x + eps).
    /// <paramref name="full"/> adds Stirling's approximation of log(t!) for targets above 1.
    /// </summary>
    public static Tensor PoissonNllLoss(Tensor input, Tensor target, bool logInput = true, bool full = false, double eps = 1e-8, string reduction = "mean")
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(PoissonNllLoss));
        using TensorScope scope = Torch.NewScope();
        Tensor loss = logInput ? input.Exp() - target * input : input - target * (input + eps).Log();
        if (full)
        {
            // t·log t - t + 0.5·log(2πt), only where t > 1; elsewhere the log sees 1 so no NaN reaches the gradient.
            Tensor above = target.Gt(1.0);
            Tensor t = Torch.Where(above, target, Torch.OnesLike(target));
            Tensor stirling = t * t.Log() - t + (t * (2 * Math.PI)).Log() * 0.5;
            loss = loss + Torch.Where(above, stirling, Torch.ZerosLike(stirling));
        }
        return scope.MoveOut(Reduce(loss, red, null));
    }

    /// <summary>
    /// Negative log likelihood of <paramref name="target"/> under Gaussians of mean <paramref name="input"/> and variance
    /// <paramref name="var"/>: 0.5·(log v + (x - t)² / v), plus 0.5·log 2π with <paramref name="full"/>
    /// (<c>F.gaussian_nll_loss</c>). <paramref name="var"/> has the input's shape, or lacks (or has size 1 in) its last
    /// dim (one variance shared by the last dim). Variances below <paramref name="eps"/> are raised to it for the value;
    /// the gradient passes to <paramref name="var"/> unchanged, as in PyTorch.
    /// </summary>
    /// <exception cref="ArgumentException">The variance has a shape that does not fit, or a negative entry.</exception>
    public static Tensor GaussianNllLoss(Tensor input, Tensor target, Tensor var, bool full = false, double eps = 1e-6, string reduction = "mean")
    {
        ember_reduction red = LossArgs(input, target, reduction, nameof(GaussianNllLoss));
        ArgumentNullException.ThrowIfNull(var);
        using TensorScope scope = Torch.NewScope();
        long[] inShape = input.ShapeArray, varShape = var.ShapeArray;
        if (!inShape.SequenceEqual(varShape))
        {
            bool lacksLast = inShape.Length > 0 && inShape[..^1].SequenceEqual(varShape);
            bool lastIsOne = inShape.Length > 0 && varShape.Length == inShape.Length && varShape[^1] == 1 && inShape[..^1].SequenceEqual(varShape[..^1]);
            if (lacksLast)
                var = var.Unsqueeze(-1);
            else if (!lastIsOne)
                throw new ArgumentException($"Functional.GaussianNllLoss: var of shape {var.Shape} is of incorrect size for input of shape {input.Shape}", nameof(var));
        }
        using (Torch.NoGrad())
        {
            if (var.Lt(0.0).Any().Item<bool>())
                throw new ArgumentException($"Functional.GaussianNllLoss: var ({var.Shape}, {var.DType}) has negative entry/entries", nameof(var));
        }
        // The clamp only moves the value: its difference from var is added detached.
        Tensor raised;
        using (Torch.NoGrad())
            raised = var.Clamp(eps, null) - var;
        Tensor v = var + raised;
        Tensor diff = input - target;
        Tensor loss = (v.Log() + diff * diff / v) * 0.5;
        if (full)
            loss = loss + 0.5 * Math.Log(2 * Math.PI);
        return scope.MoveOut(Reduce(loss, red, null));
    }

    /// <summary>Validates a loss's two main operands and parses its reduction.</summary>
    private static ember_reduction LossArgs(Tensor input, Tensor target, string reduction, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        return ParseReduction(reduction, op);
    }

    private static void CheckFloatingLoss(string op, Tensor input, Tensor target)
    {
        if (!input.IsFloatingPoint || !target.IsFloatingPoint)
            throw new ArgumentException($"Functional.{op}: expected floating input and target, got input ({input.Shape}, {input.DType}) and target ({target.Shape}, {target.DType})", nameof(input));
    }
}
