using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// The negative log likelihood of the classes in <paramref name="target"/> (int64, (N), (N, d1, ...) or 0-d) under
    /// <paramref name="input"/> log-probabilities ((N, C), (N, C, d1, ...) or (C)) (<c>F.nll_loss</c>). <paramref name="weight"/>
    /// (C) weighs the classes; targets equal to <paramref name="ignoreIndex"/> count for nothing;
    /// <paramref name="reduction"/> is "mean" (weighted by the targets' weights), "sum" or "none".
    /// </summary>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean")
    {
        Tensor loss = NllLoss(input, target, weight, ignoreIndex, ParseReduction(reduction, nameof(NllLoss)), out Tensor totalWeight);
        totalWeight.Dispose();
        return loss;
    }

    /// <summary>
    /// Cross entropy between <paramref name="input"/> logits ((N, C), (N, C, d1, ...) or (C)) and <paramref name="target"/>
    /// (<c>F.cross_entropy</c>): class indices (int64, (N), (N, d1, ...) or 0-d), or class probabilities shaped like the
    /// input. <paramref name="weight"/> (C) weighs the classes and targets equal to <paramref name="ignoreIndex"/> count for
    /// nothing (both as in <see cref="NllLoss(Tensor, Tensor, Tensor?, long, string)"/>; the mean of probability targets is
    /// over the samples). <paramref name="labelSmoothing"/> in [0, 1] mixes the target with the uniform distribution.
    /// </summary>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, string reduction = "mean", double labelSmoothing = 0.0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        ember_reduction red = ParseReduction(reduction, nameof(CrossEntropy));
        if (labelSmoothing < 0 || labelSmoothing > 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Functional.CrossEntropy: labelSmoothing must be between 0.0 and 1.0");
        if (labelSmoothing == 0 && input.Dim == 2 && !target.IsFloatingPoint && input.Device.Type != DeviceType.CPU)
            return FusedCrossEntropy(input, target, weight, ignoreIndex, red);
        int classDim = input.Dim == 1 ? 0 : 1;
        long classes = input.GetSize(classDim);
        using Tensor logp = LogSoftmax(input, classDim);
        // Shaped so that the class weights broadcast along the class dim.
        using Tensor? w = weight?.View(WeightShape(input.Dim, classDim, classes));
        if (target.IsFloatingPoint)
            return SoftTargetCrossEntropy(logp, target, w, classDim, classes, red, labelSmoothing);

        Tensor nll = NllLoss(logp, target, weight, ignoreIndex, red, out Tensor totalWeight);
        if (labelSmoothing == 0)
        {
            totalWeight.Dispose();
            return nll;
        }
        using (totalWeight)
        using (nll)
        {
            // Smoothing term: -sum_c w_c logp_c per sample, zero at ignored targets, reduced like the loss.
            Tensor perSample;
            using (Tensor? weighted = w is null ? null : logp * w)
                perSample = (weighted ?? logp).Sum(classDim);
            Tensor masked;
            using (perSample)
            using (Tensor kept = target.Ne(ignoreIndex))
            using (Tensor keptMask = kept.To(input.DType))
                masked = perSample * keptMask;
            using Tensor smooth = Reduce(masked, red, totalWeight);
            using Tensor a = nll * (1 - labelSmoothing);
            using Tensor b = smooth * (-labelSmoothing / classes);
            return a + b;
        }
    }

    /// <summary>Mean squared error between <paramref name="input"/> and <paramref name="target"/>, which broadcast (<c>F.mse_loss</c>).</summary>
    public static Tensor MseLoss(Tensor input, Tensor target, string reduction = "mean")
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        ember_reduction red = ParseReduction(reduction, nameof(MseLoss));
        Tensor result;
        long count;
        using (Torch.NoGrad())
        {
            Tensor squared;
            using (Tensor diff = input - target)
                squared = diff * diff;
            count = squared.NumEl;
            result = Reduce(squared, red, null);
        }
        if (!(input._requiresGrad | target._requiresGrad) || !GradMode.IsEnabled)
            return result;
        var node = new MseLossBackward(input.ShapeArray, input.DType, target.ShapeArray, target.DType, red == ember_reduction.EMBER_REDUCTION_MEAN ? count : 1)
        {
            Next = [Autograd.EdgeOf(input), Autograd.EdgeOf(target)],
            Input = SavedTensor.Of(input),
            Target = SavedTensor.Of(target),
        };
        return Autograd.SetHistory(result, node);
    }

    // Logits (N, C) and class indices on a GPU: log_softmax and nll_loss as one native op, and its backward as one (a
    // launch and a host call each, where the pair costs two of each), reading the incoming gradient on the device.
    private static Tensor FusedCrossEntropy(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, ember_reduction reduction)
    {
        if (weight is { _requiresGrad: true } && GradMode.IsEnabled)
            throw new ArgumentException("Functional.CrossEntropy: the gradient with respect to weight is not implemented (as in PyTorch); pass weight.Detach()", nameof(weight));
        ember_tensor r, lse, total;
        Check(NativeMethods.ember_cross_entropy(input.Handle, target.Handle, HandleOf(weight), (int)reduction, ignoreIndex, &r, &lse, &total),
            input, target, weight);
        var result = new Tensor(r);
        var logSumExp = new Tensor(lse);
        var totalWeight = new Tensor(total);
        if (!input._requiresGrad || !GradMode.IsEnabled)
        {
            logSumExp.Dispose();
            totalWeight.Dispose();
            return result;
        }
        var node = new CrossEntropyBackward(reduction, ignoreIndex)
        {
            Next = [Autograd.EdgeOf(input)],
            Input = SavedTensor.Of(input),
            Target = SavedTensor.Of(target),
            Weight = weight is null ? null : SavedTensor.Of(weight),
            LogSumExp = SavedTensor.Own(logSumExp),
            Total = SavedTensor.Own(totalWeight),
        };
        return Autograd.SetHistory(result, node);
    }

    // (softmax(input) - onehot(target)) scaled by the target's weight and the incoming gradient, zero in ignored rows.
    // Under createGraph the same gradient is built from differentiable ops: nll_loss's backward and log_softmax's.
    private sealed class CrossEntropyBackward(ember_reduction reduction, long ignoreIndex) : Autograd.Node
    {
        public SavedTensor? Input, Target, Weight, LogSumExp, Total;

        public override string Name => "CrossEntropyBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            Tensor input = Input!.Unpack(this), target = Target!.Unpack(this), total = Total!.Unpack(this);
            Tensor? weight = Weight?.Unpack(this);
            if (GradMode.IsEnabled)
            {
                using Tensor logp = LogSoftmax(input, 1);
                using Tensor gl = NllLossBackwardOp(g, logp, target, weight, total, reduction, ignoreIndex);
                using Tensor p = logp.Exp();
                using Tensor rowSum = gl.Sum(1, keepdim: true);
                using Tensor spread = p * rowSum;
                return [gl - spread];
            }
            ember_tensor r;
            Check(NativeMethods.ember_cross_entropy_backward(g.Handle, input.Handle, target.Handle, HandleOf(weight), (int)reduction, ignoreIndex,
                LogSumExp!.Unpack(this).Handle, total.Handle, &r), g, input, target, weight);
            return [new Tensor(r)];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Target?.Release();
            Weight?.Release();
            LogSumExp?.Release();
            Total?.Release();
        }
    }

    private static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, ember_reduction reduction, out Tensor totalWeight)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (input.Dim > 2)
            return SpatialNllLoss(input, target, weight, ignoreIndex, reduction, out totalWeight);
        if (weight is { _requiresGrad: true } && GradMode.IsEnabled)
            throw new ArgumentException("Functional.NllLoss: the gradient with respect to weight is not implemented (as in PyTorch); pass weight.Detach()", nameof(weight));
        ember_tensor r, total;
        Check(NativeMethods.ember_nll_loss(input.Handle, target.Handle, HandleOf(weight), (int)reduction, ignoreIndex, &r, &total), input, target, weight);
        var result = new Tensor(r);
        totalWeight = new Tensor(total);
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new NllLossBackward(reduction, ignoreIndex)
        {
            Next = [Autograd.EdgeOf(input)],
            Input = SavedTensor.Of(input),
            Target = SavedTensor.Of(target),
            Weight = weight is null ? null : SavedTensor.Of(weight),
            Total = SavedTensor.Of(totalWeight),
        };
        return Autograd.SetHistory(result, node);
    }

    // (N, C, d1, ...) with targets (N, d1, ...): the class dim moved last and everything else flattened into the batch.
    private static Tensor SpatialNllLoss(Tensor input, Tensor target, Tensor? weight, long ignoreIndex, ember_reduction reduction, out Tensor totalWeight)
    {
        long[] inShape = input.ShapeArray;
        long[] expected = [inShape[0], .. inShape[2..]];
        if (!target.ShapeArray.SequenceEqual(expected))
            throw new ArgumentException(
                $"Functional.NllLoss: expected target of shape [{string.Join(", ", expected)}] for input of shape {input.Shape}, got target {target.Shape}", nameof(target));
        using Tensor moved = input.Movedim(1, -1);
        using Tensor flat = moved.Reshape([-1, inShape[1]]);
        using Tensor flatTarget = target.Reshape([-1]);
        Tensor loss = NllLoss(flat, flatTarget, weight, ignoreIndex, reduction, out totalWeight);
        if (reduction != ember_reduction.EMBER_REDUCTION_NONE)
            return loss;
        using (loss)
            return loss.Reshape(expected);
    }

    /// <summary>nll_loss's backward as a differentiable op. It is linear in the gradient, and its adjoint is nll_loss itself.</summary>
    private static Tensor NllLossBackwardOp(Tensor grad, Tensor input, Tensor target, Tensor? weight, Tensor total, ember_reduction reduction, long ignoreIndex)
    {
        ember_tensor r;
        Check(NativeMethods.ember_nll_loss_backward(grad.Handle, input.Handle, target.Handle, HandleOf(weight), (int)reduction, ignoreIndex, total.Handle, &r),
            grad, input, target, total);
        GC.KeepAlive(weight);
        var result = new Tensor(r);
        if (!grad._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new NllLossBackwardBackward(reduction, ignoreIndex)
        {
            Next = [Autograd.EdgeOf(grad)],
            Target = SavedTensor.Of(target),
            Weight = weight is null ? null : SavedTensor.Of(weight),
        };
        return Autograd.SetHistory(result, node);
    }

    private static long[] WeightShape(int ndim, int classDim, long classes)
    {
        long[] shape = new long[ndim];
        Array.Fill(shape, 1L);
        shape[classDim] = classes;
        return shape;
    }

    /// <summary>Takes ownership of <paramref name="loss"/> and reduces it: the mean (divided by <paramref name="divisor"/> when given), the sum, or itself.</summary>
    private static Tensor Reduce(Tensor loss, ember_reduction reduction, Tensor? divisor)
    {
        if (reduction == ember_reduction.EMBER_REDUCTION_NONE)
            return loss;
        using (loss)
        {
            if (reduction == ember_reduction.EMBER_REDUCTION_SUM)
                return loss.Sum();
            if (divisor is null)
                return loss.Mean();
            using Tensor sum = loss.Sum();
            return sum / divisor;
        }
    }

    // Cross entropy with class probabilities: -sum_c w_c target_c logp_c per sample; the mean is over samples.
    private static Tensor SoftTargetCrossEntropy(Tensor logp, Tensor target, Tensor? w, int classDim, long classes, ember_reduction red, double labelSmoothing)
    {
        using Tensor? smoothed = labelSmoothing == 0 ? null : SmoothTarget(target, classes, labelSmoothing);
        using Tensor product = logp * (smoothed ?? target);
        Tensor perSample;
        using (Tensor? weighted = w is null ? null : product * w)
            perSample = (weighted ?? product).Sum(classDim);
        Tensor loss;
        using (perSample)
            loss = -perSample;
        return Reduce(loss, red, null);
    }

    private static Tensor SmoothTarget(Tensor target, long classes, double labelSmoothing)
    {
        using Tensor scaled = target * (1 - labelSmoothing);
        return scaled + labelSmoothing / classes;
    }

    private sealed class NllLossBackward(ember_reduction reduction, long ignoreIndex) : Autograd.Node
    {
        public SavedTensor? Input, Target, Weight, Total;

        public override string Name => "NllLossBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads) =>
            [NllLossBackwardOp(grads[0]!, Input!.Unpack(this), Target!.Unpack(this), Weight?.Unpack(this), Total!.Unpack(this), reduction, ignoreIndex)];

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Target?.Release();
            Weight?.Release();
            Total?.Release();
        }
    }

    private sealed class NllLossBackwardBackward(ember_reduction reduction, long ignoreIndex) : Autograd.Node
    {
        public SavedTensor? Target, Weight;

        public override string Name => "NllLossBackwardBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor loss = NllLoss(grads[0]!, Target!.Unpack(this), Weight?.Unpack(this), ignoreIndex, reduction, out Tensor total);
            total.Dispose();
            return [loss];
        }

        internal override void ReleaseSaved()
        {
            Target?.Release();
            Weight?.Release();
        }
    }

    // d/dinput = scale * (input - target) * grad, d/dtarget = its negation; scale is 2, or 2/n for the mean.
    private sealed class MseLossBackward(long[] inputShape, DType inputType, long[] targetShape, DType targetType, long count) : Autograd.Node
    {
        public SavedTensor? Input, Target;

        public override string Name => "MseLossBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            using Tensor diff = Input!.Unpack(this) - Target!.Unpack(this);
            using Tensor scaled = diff * (2.0 / count);
            Tensor common = scaled * grads[0]!;
            Tensor? gTarget = NeedsGrad(1) ? Grads.ToInput(-common, true, targetShape, targetType) : null;
            Tensor? gInput = NeedsGrad(0) ? Grads.ToInput(common, true, inputShape, inputType) : null;
            if (!NeedsGrad(0))
                common.Dispose();
            return [gInput, gTarget];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Target?.Release();
        }
    }
}
