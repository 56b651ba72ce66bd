using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// Connectionist temporal classification loss (<c>F.ctc_loss</c>): the negative log likelihood of each target
    /// sequence summed over all its alignments with the input steps. <paramref name="logProbs"/> is (T, N, C) or (T, C)
    /// log-softmax output; <paramref name="targets"/> holds class indices (int64 or int32), padded (N, S) or all
    /// sequences concatenated; <paramref name="inputLengths"/> and <paramref name="targetLengths"/> (N) give each
    /// sequence's lengths. "mean" divides each loss by its target length, then averages over the batch.
    /// <paramref name="zeroInfinity"/> turns the infinite losses of impossible alignments (and their gradients) into 0.
    /// Like PyTorch's, the gradient assumes <paramref name="logProbs"/> came from a log_softmax; there is no second order.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes, dtypes, lengths, targets or blank out of range.</exception>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, long blank = 0, string reduction = "mean",
        bool zeroInfinity = false)
    {
        ArgumentNullException.ThrowIfNull(logProbs);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(inputLengths);
        ArgumentNullException.ThrowIfNull(targetLengths);
        ember_reduction red = ParseReduction(reduction, nameof(CtcLoss));
        using TensorScope scope = Torch.NewScope();
        bool batched = logProbs.Dim != 2;
        if (!batched)
        {
            logProbs = logProbs.Unsqueeze(1);
            targets = targets.Unsqueeze(0);
            inputLengths = inputLengths.Reshape([1]);
            targetLengths = targetLengths.Reshape([1]);
        }
        Tensor loss = CtcLossOp(logProbs, targets, inputLengths, targetLengths, blank, zeroInfinity);
        if (zeroInfinity)
            loss = Torch.Where(loss.IsPosInf(), Torch.ZerosLike(loss), loss);
        if (red == ember_reduction.EMBER_REDUCTION_MEAN)
        {
            Tensor lengths = targetLengths.Clamp(1L, null).To(loss.DType);
            loss = (loss / lengths).Mean();
        }
        else if (red == ember_reduction.EMBER_REDUCTION_SUM)
        {
            loss = loss.Sum();
        }
        else if (!batched)
        {
            loss = loss.Squeeze(0);
        }
        return scope.MoveOut(loss);
    }

    /// <summary><see cref="CtcLoss(Tensor, Tensor, Tensor, Tensor, long, string, bool)"/> with the lengths as arrays.</summary>
    public static Tensor CtcLoss(Tensor logProbs, Tensor targets, long[] inputLengths, long[] targetLengths, long blank = 0, string reduction = "mean",
        bool zeroInfinity = false)
    {
        ArgumentNullException.ThrowIfNull(inputLengths);
        ArgumentNullException.ThrowIfNull(targetLengths);
        using Tensor il = Torch.Tensor<long>(inputLengths, [inputLengths.Length]);
        using Tensor tl = Torch.Tensor<long>(targetLengths, [targetLengths.Length]);
        return CtcLoss(logProbs, targets, il, tl, blank, reduction, zeroInfinity);
    }

    // The per-sequence losses (N), recorded for autograd.
    private static Tensor CtcLossOp(Tensor logProbs, Tensor targets, Tensor inputLengths, Tensor targetLengths, long blank, bool zeroInfinity)
    {
        ember_tensor nll, alpha;
        Check(NativeMethods.ember_ctc_loss(logProbs.Handle, targets.Handle, inputLengths.Handle, targetLengths.Handle, blank, &nll, &alpha),
            logProbs, targets, inputLengths, targetLengths);
        var result = new Tensor(nll);
        var logAlpha = new Tensor(alpha);
        if (!logProbs._requiresGrad || !GradMode.IsEnabled)
        {
            logAlpha.Dispose();
            return result;
        }
        var node = new CtcLossBackward(blank, zeroInfinity)
        {
            Next = [Autograd.EdgeOf(logProbs)],
            LogProbs = SavedTensor.Of(logProbs),
            Targets = SavedTensor.Of(targets),
            InputLengths = SavedTensor.Of(inputLengths),
            TargetLengths = SavedTensor.Of(targetLengths),
            LogAlpha = SavedTensor.Own(logAlpha),
        };
        Autograd.SetHistory(result, node);
        node.Nll = SavedTensor.Of(result);
        return result;
    }

    private sealed class CtcLossBackward(long blank, bool zeroInfinity) : Autograd.Node
    {
        public SavedTensor? LogProbs, Targets, InputLengths, TargetLengths, LogAlpha, Nll;

        public override string Name => "CtcLossBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor grad = grads[0]!;
            if (grad._requiresGrad && GradMode.IsEnabled)
                throw new NotSupportedException("Functional.CtcLoss: the derivative of ctc_loss_backward is not implemented (as in PyTorch); backward with createGraph is not supported through ctc_loss");
            using Tensor g = grad.Contiguous();
            Tensor logProbs = LogProbs!.Unpack(this), targets = Targets!.Unpack(this), nll = Nll!.Unpack(this), logAlpha = LogAlpha!.Unpack(this);
            Tensor inputLengths = InputLengths!.Unpack(this), targetLengths = TargetLengths!.Unpack(this);
            ember_tensor r;
            Check(NativeMethods.ember_ctc_loss_backward(g.Handle, logProbs.Handle, targets.Handle, inputLengths.Handle, targetLengths.Handle,
                nll.Handle, logAlpha.Handle, blank, zeroInfinity ? 1 : 0, &r), g, logProbs, targets, nll);
            GC.KeepAlive(inputLengths);
            GC.KeepAlive(targetLengths);
            GC.KeepAlive(logAlpha);
            return [new Tensor(r)];
        }

        internal override void ReleaseSaved()
        {
            LogProbs?.Release();
            Targets?.Release();
            InputLengths?.Release();
            TargetLengths?.Release();
            LogAlpha?.Release();
            Nll?.Release();
        }
    }
}
