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
            if (Fused)
                return FusedGrads(g, null, null);
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

        // Outside createGraph (whose gradients must be differentiable ops) the three gradients come from one native
        // call: two GEMMs and a column sum, adding straight into the parameters' .grad where ApplyInto may. On a GPU
        // that replaces about ten calls and five launches; on the CPU the two GEMMs run at once, one per thread.
        private static bool Fused => !GradMode.IsEnabled;

        internal override bool AccumulatesInto => true;

        internal override Tensor?[] ApplyInto(Tensor?[] grads, Autograd.GradAccumulator?[] into)
        {
            Tensor g = grads[0]!;
            into[0] = null; // the input's gradient is never added in place
            if (!Fused)
            {
                Array.Clear(into);
                return Apply(grads);
            }
            Tensor? wGrad = NeedsGrad(1) ? into[1]?.BeginInPlace() : null;
            Tensor? bGrad = null;
            try
            {
                bGrad = NeedsGrad(2) ? into[2]?.BeginInPlace() : null;
                return FusedGrads(g, wGrad, bGrad);
            }
            finally
            {
                if (wGrad is null)
                    into[1] = null;
                else
                    into[1]!.EndInPlace();
                if (bGrad is null)
                    into[2] = null;
                else
                    into[2]!.EndInPlace();
            }
        }

        private Tensor?[] FusedGrads(Tensor g, Tensor? wInto, Tensor? bInto)
        {
            bool needX = NeedsGrad(0), needW = NeedsGrad(1), needB = NeedsGrad(2);
            Tensor? x = needW ? Input!.Unpack(this) : null;
            Tensor? w = needX ? Weight!.Unpack(this) : null;
            ember_tensor gx, gw, gb;
            Check(NativeMethods.ember_linear_backward(g.Handle, HandleOf(x), HandleOf(w), needX ? 1 : 0, needW ? 1 : 0, needB ? 1 : 0,
                HandleOf(wInto), HandleOf(bInto), &gx, &gw, &gb), g, x, w, wInto);
            GC.KeepAlive(bInto);
            return [WrapOptional(gx), WrapOptional(gw), WrapOptional(gb)];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Weight?.Release();
        }
    }
}
