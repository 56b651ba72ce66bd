using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>log(softmax(x)) along <paramref name="dim"/>, computed stably (<c>F.log_softmax</c>).</summary>
    public static Tensor LogSoftmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        Tensor result = Tensor.Wrap(NativeMethods.ember_log_softmax(input.Handle, dim, &r), r, input);
        return RecordSoftmax(result, input, dim, log: true);
    }

    /// <summary>exp(x) / sum(exp(x)) along <paramref name="dim"/> (<c>F.softmax</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        Tensor result = Tensor.Wrap(NativeMethods.ember_softmax(input.Handle, dim, &r), r, input);
        return RecordSoftmax(result, input, dim, log: false);
    }

    private static Tensor RecordSoftmax(Tensor result, Tensor input, int dim, bool log)
    {
        if (!input._requiresGrad || !GradMode.IsEnabled)
            return result;
        var node = new SoftmaxBackward(dim, log) { Next = [Autograd.EdgeOf(input)] };
        Autograd.SetHistory(result, node);
        node.Output = SavedTensor.Of(result);
        return result;
    }

    // Both backwards are formulas in the output: log_softmax: g - exp(out) * sum(g); softmax: out * (g - sum(g * out)).
    // The native kernels compute them; under createGraph the same formulas run as recorded ops.
    private sealed class SoftmaxBackward(int dim, bool log) : Autograd.Node
    {
        public SavedTensor? Output;

        public override string Name => log ? "LogSoftmaxBackward0" : "SoftmaxBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            Tensor output = Output!.Unpack(this);
            if (GradMode.IsEnabled)
            {
                if (log)
                {
                    using Tensor p = output.Exp();
                    using Tensor total = g.Sum(dim, keepdim: true);
                    using Tensor scaled = p * total;
                    return [g - scaled];
                }
                using Tensor product = g * output;
                using Tensor sum = product.Sum(dim, keepdim: true);
                using Tensor centered = g - sum;
                return [output * centered];
            }
            ember_tensor r;
            ember_status status = log
                ? NativeMethods.ember_log_softmax_backward(g.Handle, output.Handle, dim, &r)
                : NativeMethods.ember_softmax_backward(g.Handle, output.Handle, dim, &r);
            return [Tensor.Wrap(status, r, g, output)];
        }

        internal override void ReleaseSaved() => Output?.Release();
    }
}
