using Ember.Interop;

namespace Ember;

// Recording and backward of scaled_dot_product_attention (Functional/Attention.cs).
internal static unsafe partial class Derivatives
{
    /// <summary>What the backward needs besides the tensors: the options and where the dropout mask was drawn.</summary>
    internal readonly record struct AttentionArgs(double DropoutP, bool IsCausal, double Scale, ulong Seed, ulong Offset);

    /// <summary>Records the attention node, keeping the logsumexp; disposes it when nothing needs a gradient.</summary>
    public static Tensor ScaledDotProductAttention(Tensor result, Tensor logsumexp, Tensor q, Tensor k, Tensor v, Tensor? mask, AttentionArgs args)
    {
        if (!(q._requiresGrad || k._requiresGrad || v._requiresGrad) || !GradMode.IsEnabled)
        {
            logsumexp.Dispose();
            return result;
        }
        var node = new AttentionBackward(args)
        {
            Next = [Autograd.EdgeOf(q), Autograd.EdgeOf(k), Autograd.EdgeOf(v)],
            Query = SavedTensor.Of(q),
            Key = SavedTensor.Of(k),
            Value = SavedTensor.Of(v),
            Mask = mask is null ? null : SavedTensor.Of(mask),
            LogSumExp = SavedTensor.Own(logsumexp),
        };
        Autograd.SetHistory(result, node);
        node.Output = SavedTensor.Of(result);
        return result;
    }

    // First order: the fused native backward, which recomputes the score blocks from the logsumexp.
    // Under createGraph: the same formulas as recorded ops (P = softmax(scores); dV = Pᵀ dO; dS = P (dO Vᵀ - rowsum(dO O));
    // dQ = scale dS K; dK = scale dSᵀ Q), so that higher-order gradients work (without dropout).
    private sealed class AttentionBackward(AttentionArgs args) : Autograd.Node
    {
        public SavedTensor? Query, Key, Value, Mask, LogSumExp, Output;

        public override string Name => "ScaledDotProductAttentionBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            Tensor q = Query!.Unpack(this), k = Key!.Unpack(this), v = Value!.Unpack(this);
            Tensor? mask = Mask?.Unpack(this);
            if (GradMode.IsEnabled)
                return Recorded(g, q, k, v, mask);
            Tensor output = Output!.Unpack(this), lse = LogSumExp!.Unpack(this);
            ember_tensor gq, gk, gv;
            ember_status status = NativeMethods.ember_scaled_dot_product_attention_backward(g.Handle, q.Handle, k.Handle, v.Handle,
                mask is null ? default : mask.Handle, output.Handle, lse.Handle, args.DropoutP, args.IsCausal ? 1 : 0, args.Scale,
                args.Seed, args.Offset, &gq, &gk, &gv);
            GC.KeepAlive(g);
            GC.KeepAlive(q);
            GC.KeepAlive(k);
            GC.KeepAlive(v);
            GC.KeepAlive(mask);
            GC.KeepAlive(output);
            GC.KeepAlive(lse);
            Errors.Check(status);
            var rq = new Tensor(gq);
            var rk = new Tensor(gk);
            var rv = new Tensor(gv);
            return [Keep(rq, 0), Keep(rk, 1), Keep(rv, 2)];
        }

        private Tensor? Keep(Tensor t, int input)
        {
            if (NeedsGrad(input))
                return t;
            t.Dispose();
            return null;
        }

        private Tensor?[] Recorded(Tensor g, Tensor q, Tensor k, Tensor v, Tensor? mask)
        {
            if (args.DropoutP > 0)
                throw new NotSupportedException("ScaledDotProductAttentionBackward0: double backward with dropout_p > 0 is not supported");
            double scale = double.IsNaN(args.Scale) ? 1 / Math.Sqrt(q.ShapeArray[^1]) : args.Scale;
            using TensorScope scope = Torch.NewScope();
            Tensor scores = q.MatMul(k.MT) * scale;
            if (mask is not null && mask.DType == DType.Bool)
                scores = scores.MaskedFill(mask.LogicalNot(), double.NegativeInfinity);
            else if (mask is not null)
                scores = scores + mask.To(scores.DType);
            else if (args.IsCausal)
            {
                long l = q.ShapeArray[^2], s = k.ShapeArray[^2];
                Tensor keep = Torch.Ones([l, s], DType.Bool, q.Device).Tril();
                scores = scores.MaskedFill(keep.LogicalNot(), double.NegativeInfinity);
            }
            Tensor p = Functional.Softmax(scores, -1);
            Tensor dp = g.MatMul(v.MT);
            Tensor ds = p * (dp - (dp * p).Sum(-1, keepdim: true));
            Tensor? gq = NeedsGrad(0) ? scope.MoveOut(Grads.SumTo(ds.MatMul(k) * scale, q.ShapeArray)) : null;
            Tensor? gk = NeedsGrad(1) ? scope.MoveOut(Grads.SumTo(ds.MT.MatMul(q) * scale, k.ShapeArray)) : null;
            Tensor? gv = NeedsGrad(2) ? scope.MoveOut(Grads.SumTo(p.MT.MatMul(g), v.ShapeArray)) : null;
            return [gq, gk, gv];
        }

        internal override void ReleaseSaved()
        {
            Query?.Release();
            Key?.Release();
            Value?.Release();
            Mask?.Release();
            LogSumExp?.Release();
            Output?.Release();
        }
    }
}
