using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// 2-d convolution of <paramref name="input"/> (N, C, H, W) or (C, H, W) with <paramref name="weight"/>
    /// (O, C/groups, kH, kW) plus <paramref name="bias"/> (O) (<c>F.conv2d</c>). <paramref name="stride"/>,
    /// <paramref name="padding"/> and <paramref name="dilation"/> take one value for both dims or (height, width);
    /// empty means 1, 0 and 1.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> dilation = default, long groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        var p = new ConvParams(Pair(stride, 1, nameof(stride), nameof(Conv2d)), Pair(padding, 0, nameof(padding), nameof(Conv2d)),
            Pair(dilation, 1, nameof(dilation), nameof(Conv2d)), groups);
        return Conv2d(input, weight, bias, p);
    }

    /// <summary>2-d convolution with the same stride, padding and dilation for both dims (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long dilation = 1, long groups = 1) =>
        Conv2d(input, weight, bias, [stride], [padding], [dilation], groups);

    private readonly record struct ConvParams((long H, long W) Stride, (long H, long W) Padding, (long H, long W) Dilation, long Groups);

    private static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, ConvParams p)
    {
        long* s = stackalloc long[] { p.Stride.H, p.Stride.W };
        long* pad = stackalloc long[] { p.Padding.H, p.Padding.W };
        long* d = stackalloc long[] { p.Dilation.H, p.Dilation.W };
        ember_tensor r;
        Check(NativeMethods.ember_conv2d(input.Handle, weight.Handle, HandleOf(bias), s, pad, d, p.Groups, &r), input, weight, bias);
        var result = new Tensor(r);
        if (!(input._requiresGrad | weight._requiresGrad | (bias?._requiresGrad ?? false)) || !GradMode.IsEnabled)
            return result;
        var node = new ConvolutionBackward(p)
        {
            Next = [Autograd.EdgeOf(input), Autograd.EdgeOf(weight), bias is null ? default : Autograd.EdgeOf(bias)],
            Input = SavedTensor.Of(input),
            Weight = SavedTensor.Of(weight),
        };
        return Autograd.SetHistory(result, node);
    }

    /// <summary>conv2d's backward as a differentiable op: the gradients of input, weight and bias for the chosen ones.</summary>
    private static (Tensor? Input, Tensor? Weight, Tensor? Bias) Conv2dBackward(Tensor grad, Tensor input, Tensor weight, ConvParams p,
        bool needInput, bool needWeight, bool needBias)
    {
        long* s = stackalloc long[] { p.Stride.H, p.Stride.W };
        long* pad = stackalloc long[] { p.Padding.H, p.Padding.W };
        long* d = stackalloc long[] { p.Dilation.H, p.Dilation.W };
        ember_tensor gx, gw, gb;
        Check(NativeMethods.ember_conv2d_backward(grad.Handle, input.Handle, weight.Handle, s, pad, d, p.Groups,
            needInput ? 1 : 0, needWeight ? 1 : 0, needBias ? 1 : 0, &gx, &gw, &gb), grad, input, weight);
        Tensor? rx = WrapOptional(gx), rw = WrapOptional(gw), rb = WrapOptional(gb);
        if ((grad._requiresGrad | input._requiresGrad | weight._requiresGrad) && GradMode.IsEnabled)
        {
            var node = new ConvolutionBackwardBackward(p)
            {
                Next = [Autograd.EdgeOf(grad), Autograd.EdgeOf(input), Autograd.EdgeOf(weight)],
                Grad = SavedTensor.Of(grad),
                Input = SavedTensor.Of(input),
                Weight = SavedTensor.Of(weight),
            };
            if (rx is not null)
                Autograd.SetHistory(rx, node, 0);
            if (rw is not null)
                Autograd.SetHistory(rw, node, 1);
            if (rb is not null)
                Autograd.SetHistory(rb, node, 2);
        }
        return (rx, rw, rb);
    }

    private sealed class ConvolutionBackward(ConvParams p) : Autograd.Node
    {
        public SavedTensor? Input, Weight;

        public override string Name => "ConvolutionBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            (Tensor? gx, Tensor? gw, Tensor? gb) = Conv2dBackward(grads[0]!, Input!.Unpack(this), Weight!.Unpack(this), p, NeedsGrad(0), NeedsGrad(1), NeedsGrad(2));
            return [gx, gw, gb];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Weight?.Release();
        }
    }

    // conv2d is bilinear in (input, weight), so each gradient of its backward is again a conv2d or a conv2d backward:
    // d/dgrad = conv(ggx, w) + conv(x, ggw) + ggb; d/dx = input-grad of conv(., ggw) at grad; d/dw = weight-grad of conv(ggx, .) at grad.
    private sealed class ConvolutionBackwardBackward(ConvParams p) : Autograd.Node
    {
        public SavedTensor? Grad, Input, Weight;

        public override string Name => "ConvolutionBackwardBackward0";

        internal override int NumOutputs => 3;

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            Tensor? ggx = grads[0], ggw = grads[1], ggb = grads[2];
            Tensor grad = Grad!.Unpack(this), input = Input!.Unpack(this), weight = Weight!.Unpack(this);
            Tensor? dGrad = null, dInput = null, dWeight = null;
            if (NeedsGrad(0))
            {
                if (ggx is not null)
                    dGrad = Conv2d(ggx, weight, null, p);
                if (ggw is not null)
                    dGrad = Accumulate(dGrad, Conv2d(input, ggw, null, p));
                if (ggb is not null)
                {
                    long[] biasShape = new long[grad.Dim];
                    Array.Fill(biasShape, 1L);
                    biasShape[grad.Dim - 3] = ggb.ShapeArray[0];
                    using Tensor b = ggb.View(biasShape);
                    if (dGrad is null)
                    {
                        dGrad = b.Expand(grad.ShapeArray);
                    }
                    else
                    {
                        Tensor withBias = dGrad + b;
                        dGrad.Dispose();
                        dGrad = withBias;
                    }
                }
            }
            if (NeedsGrad(1) && ggw is not null)
                dInput = Conv2dBackward(grad, input, ggw, p, true, false, false).Input;
            if (NeedsGrad(2) && ggx is not null)
                dWeight = Conv2dBackward(grad, ggx, weight, p, false, true, false).Weight;
            return [dGrad, dInput, dWeight];
        }

        // Adds a new term: returns the sum and disposes both parts (or the term itself when it is the first).
        private static Tensor Accumulate(Tensor? sum, Tensor term)
        {
            if (sum is null)
                return term;
            Tensor total = sum + term;
            sum.Dispose();
            term.Dispose();
            return total;
        }

        internal override void ReleaseSaved()
        {
            Grad?.Release();
            Input?.Release();
            Weight?.Release();
        }
    }
}
