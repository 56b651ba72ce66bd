using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// <paramref name="input"/> (*, in) @ <paramref name="weight"/> (out, in)ᵀ + <paramref name="bias"/> (out), as one
    /// GEMM (<c>F.linear</c>).
    /// </summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ember_tensor r;
        Check(NativeMethods.ember_linear(input.Handle, weight.Handle, HandleOf(bias), &r), input, weight, bias);
        var result = new Tensor(r);
        if (!(input._requiresGrad | weight._requiresGrad | (bias?._requiresGrad ?? false)) || !GradMode.IsEnabled)
            return result;
        var node = new LinearBackward(weight.ShapeArray)
        {
            Next = [Autograd.EdgeOf(input), Autograd.EdgeOf(weight), bias is null ? default : Autograd.EdgeOf(bias)],
            Input = weight._requiresGrad ? SavedTensor.Of(input) : null,
            Weight = input._requiresGrad ? SavedTensor.Of(weight) : null,
        };
        return Autograd.SetHistory(result, node);
    }

    // grad_input = grad @ W, grad_weight = grad2dᵀ @ input2d, grad_bias = sum of grad over the batch.
    private sealed class LinearBackward(long[] weightShape) : Autograd.Node
    {
        public SavedTensor? Input, Weight;

        public override string Name => "LinearBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor g = grads[0]!;
            long outFeatures = weightShape[0], inFeatures = weightShape[1];
            Tensor? gx = NeedsGrad(0) ? g.MatMul(Weight!.Unpack(this)) : null;
            Tensor? gw = null, gb = null;
            if (NeedsGrad(1) || NeedsGrad(2))
            {
                using Tensor g2 = g.Reshape(-1, outFeatures);
                if (NeedsGrad(1))
                {
                    using Tensor x2 = Input!.Unpack(this).Reshape(-1, inFeatures);
                    using Tensor gt = g2.T;
                    gw = gt.MatMul(x2);
                }
                if (NeedsGrad(2))
                    gb = g2.Sum(0);
            }
            return [gx, gw, gb];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Weight?.Release();
        }
    }
}
