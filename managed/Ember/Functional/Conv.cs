using Ember.Interop;

namespace Ember;

public static unsafe partial class Functional
{
    /// <summary>
    /// 1-d convolution of <paramref name="input"/> (N, C, L) or (C, L) with <paramref name="weight"/>
    /// (O, C/groups, k) plus <paramref name="bias"/> (O) (<c>F.conv1d</c>); empty sizes mean stride 1, padding 0,
    /// dilation 1.
    /// </summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> dilation = default, long groups = 1) =>
        Convolution(input, weight, bias, ConvSpec.Of(1, nameof(Conv1d), stride, padding, dilation, default, groups, false));

    /// <summary>1-d convolution with scalar stride, padding and dilation (<c>F.conv1d</c>).</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long dilation = 1, long groups = 1) =>
        Conv1d(input, weight, bias, [stride], [padding], [dilation], groups);

    /// <summary>1-d convolution with <paramref name="padding"/> "valid" (none) or "same" (output as long as the input; stride 1) (<c>F.conv1d</c>).</summary>
    public static Tensor Conv1d(Tensor input, Tensor weight, Tensor? bias, string padding, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> dilation = default, long groups = 1) =>
        ConvolutionPadded(input, weight, bias, 1, nameof(Conv1d), padding, stride, dilation, groups);

    /// <summary>
    /// 2-d convolution of <paramref name="input"/> (N, C, H, W) or (C, H, W) with <paramref name="weight"/>
    /// (O, C/groups, kH, kW) plus <paramref name="bias"/> (O) (<c>F.conv2d</c>). <paramref name="stride"/>,
    /// <paramref name="padding"/> and <paramref name="dilation"/> take one value for both dims or (height, width);
    /// empty means 1, 0 and 1.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> dilation = default, long groups = 1) =>
        Convolution(input, weight, bias, ConvSpec.Of(2, nameof(Conv2d), stride, padding, dilation, default, groups, false));

    /// <summary>2-d convolution with the same stride, padding and dilation for both dims (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long dilation = 1, long groups = 1) =>
        Conv2d(input, weight, bias, [stride], [padding], [dilation], groups);

    /// <summary>2-d convolution with <paramref name="padding"/> "valid" (none) or "same" (output as large as the input; stride 1) (<c>F.conv2d</c>).</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, string padding, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> dilation = default, long groups = 1) =>
        ConvolutionPadded(input, weight, bias, 2, nameof(Conv2d), padding, stride, dilation, groups);

    /// <summary>
    /// 3-d convolution of <paramref name="input"/> (N, C, D, H, W) or (C, D, H, W) with <paramref name="weight"/>
    /// (O, C/groups, kD, kH, kW) plus <paramref name="bias"/> (O) (<c>F.conv3d</c>); sizes take one value for all
    /// dims or (depth, height, width); empty means 1, 0 and 1.
    /// </summary>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> dilation = default, long groups = 1) =>
        Convolution(input, weight, bias, ConvSpec.Of(3, nameof(Conv3d), stride, padding, dilation, default, groups, false));

    /// <summary>3-d convolution with the same stride, padding and dilation for every dim (<c>F.conv3d</c>).</summary>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long dilation = 1, long groups = 1) =>
        Conv3d(input, weight, bias, [stride], [padding], [dilation], groups);

    /// <summary>3-d convolution with <paramref name="padding"/> "valid" (none) or "same" (output as large as the input; stride 1) (<c>F.conv3d</c>).</summary>
    public static Tensor Conv3d(Tensor input, Tensor weight, Tensor? bias, string padding, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> dilation = default, long groups = 1) =>
        ConvolutionPadded(input, weight, bias, 3, nameof(Conv3d), padding, stride, dilation, groups);

    /// <summary>
    /// 1-d transposed convolution (<c>F.conv_transpose1d</c>): <paramref name="input"/> (N, C, L) or (C, L),
    /// <paramref name="weight"/> (C, O/groups, k), <paramref name="bias"/> (O). The output length is
    /// (L - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1.
    /// </summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> outputPadding = default, long groups = 1, ReadOnlySpan<long> dilation = default) =>
        Convolution(input, weight, bias, ConvSpec.Of(1, nameof(ConvTranspose1d), stride, padding, dilation, outputPadding, groups, true));

    /// <summary>1-d transposed convolution with scalar arguments (<c>F.conv_transpose1d</c>).</summary>
    public static Tensor ConvTranspose1d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long outputPadding = 0,
        long groups = 1, long dilation = 1) =>
        ConvTranspose1d(input, weight, bias, [stride], [padding], [outputPadding], groups, [dilation]);

    /// <summary>
    /// 2-d transposed convolution (<c>F.conv_transpose2d</c>): <paramref name="input"/> (N, C, H, W) or (C, H, W),
    /// <paramref name="weight"/> (C, O/groups, kH, kW), <paramref name="bias"/> (O); sizes take one value for both
    /// dims or (height, width). Its forward is conv2d's input gradient, its input gradient a conv2d.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> outputPadding = default, long groups = 1, ReadOnlySpan<long> dilation = default) =>
        Convolution(input, weight, bias, ConvSpec.Of(2, nameof(ConvTranspose2d), stride, padding, dilation, outputPadding, groups, true));

    /// <summary>2-d transposed convolution with the same arguments for both dims (<c>F.conv_transpose2d</c>).</summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias, long stride, long padding = 0, long outputPadding = 0,
        long groups = 1, long dilation = 1) =>
        ConvTranspose2d(input, weight, bias, [stride], [padding], [outputPadding], groups, [dilation]);

    /// <summary>
    /// 3-d transposed convolution (<c>F.conv_transpose3d</c>): <paramref name="input"/> (N, C, D, H, W) or
    /// (C, D, H, W), <paramref name="weight"/> (C, O/groups, kD, kH, kW), <paramref name="bias"/> (O).
    /// </summary>
    public static Tensor ConvTranspose3d(Tensor input, Tensor weight, Tensor? bias = null, ReadOnlySpan<long> stride = default,
        ReadOnlySpan<long> padding = default, ReadOnlySpan<long> outputPadding = default, long groups = 1, ReadOnlySpan<long> dilation = default) =>
        Convolution(input, weight, bias, ConvSpec.Of(3, nameof(ConvTranspose3d), stride, padding, dilation, outputPadding, groups, true));

    /// <summary>
    /// aten::convolution's arguments. Arrays hold one entry per spatial dim.
    /// </summary>
    private sealed record ConvSpec(int Dims, long[] Stride, long[] Padding, long[] Dilation, long[] OutputPadding, long Groups, bool Transposed)
    {
        /// <summary>Expands 0 (default), 1 (all dims) or Dims values per argument.</summary>
        public static ConvSpec Of(int dims, string op, ReadOnlySpan<long> stride, ReadOnlySpan<long> padding, ReadOnlySpan<long> dilation,
            ReadOnlySpan<long> outputPadding, long groups, bool transposed) =>
            new(dims, Expand(stride, dims, 1, nameof(stride), op), Expand(padding, dims, 0, nameof(padding), op),
                Expand(dilation, dims, 1, nameof(dilation), op), Expand(outputPadding, dims, 0, nameof(outputPadding), op), groups, transposed);
    }

    /// <summary>dims values from 0 (the default), 1 (every dim) or dims values.</summary>
    private static long[] Expand(ReadOnlySpan<long> values, int dims, long fallback, string name, string op)
    {
        if (values.Length == dims)
            return values.ToArray();
        if (values.Length > 1)
            throw new ArgumentException($"Functional.{op}: {name} takes 1 or {dims} values, but got {values.Length}", name);
        long[] r = new long[dims];
        Array.Fill(r, values.Length == 0 ? fallback : values[0]);
        return r;
    }

    // PyTorch's padding="same" / "valid": "same" pads each dim by dilation·(k - 1) in total, the odd one on the
    // right (through an explicit pad of the input, as PyTorch does).
    private static Tensor ConvolutionPadded(Tensor input, Tensor weight, Tensor? bias, int dims, string op, string padding,
        ReadOnlySpan<long> stride, ReadOnlySpan<long> dilation, long groups)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(padding);
        ConvSpec spec = ConvSpec.Of(dims, op, stride, default, dilation, default, groups, false);
        if (padding == "valid")
            return Convolution(input, weight, bias, spec);
        if (padding != "same")
            throw new ArgumentException($"Functional.{op}: Invalid padding string '{padding}', should be one of {{'valid', 'same'}}", nameof(padding));
        if (spec.Stride.Any(s => s != 1))
            throw new ArgumentException($"Functional.{op}: padding='same' is not supported for strided convolutions, got stride=({string.Join(", ", spec.Stride)})", nameof(padding));
        if (weight.Dim != dims + 2)
            throw new ArgumentException($"Functional.{op}: expected weight to be {dims + 2}-d, but got weight of size [{string.Join(", ", weight.ShapeArray)}]", nameof(weight));
        long[] left = new long[dims];
        long[] extraPad = new long[2 * dims];  // F.pad order: last dim first, (before, after) pairs
        bool asymmetric = false;
        for (int i = 0; i < dims; i++)
        {
            long total = spec.Dilation[i] * (weight.ShapeArray[2 + i] - 1);
            left[i] = total / 2;
            long extra = total - 2 * left[i];
            extraPad[2 * (dims - 1 - i) + 1] = extra;
            asymmetric |= extra != 0;
        }
        spec = spec with { Padding = left };
        if (!asymmetric)
            return Convolution(input, weight, bias, spec);
        using Tensor padded = Pad(input, extraPad);
        return Convolution(padded, weight, bias, spec);
    }

    private static Tensor Convolution(Tensor input, Tensor weight, Tensor? bias, ConvSpec p)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        ember_tensor r;
        fixed (long* s = p.Stride)
        fixed (long* pad = p.Padding)
        fixed (long* d = p.Dilation)
        fixed (long* op = p.OutputPadding)
            Check(NativeMethods.ember_convolution(input.Handle, weight.Handle, HandleOf(bias), p.Dims, s, pad, d, p.Transposed ? 1 : 0, op, p.Groups, &r),
                input, weight, bias);
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

    /// <summary>convolution's backward as a differentiable op: the gradients of input, weight and bias for the chosen ones.</summary>
    private static (Tensor? Input, Tensor? Weight, Tensor? Bias) ConvolutionBackwardOp(Tensor grad, Tensor input, Tensor weight, ConvSpec p,
        bool needInput, bool needWeight, bool needBias)
    {
        ember_tensor gx, gw, gb;
        fixed (long* s = p.Stride)
        fixed (long* pad = p.Padding)
        fixed (long* d = p.Dilation)
        fixed (long* op = p.OutputPadding)
            Check(NativeMethods.ember_convolution_backward(grad.Handle, input.Handle, weight.Handle, p.Dims, s, pad, d, p.Transposed ? 1 : 0, op, p.Groups,
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

    private sealed class ConvolutionBackward(ConvSpec p) : Autograd.Node
    {
        public SavedTensor? Input, Weight;

        public override string Name => "ConvolutionBackward0";

        internal override Tensor?[] Apply(Tensor?[] grads)
        {
            (Tensor? gx, Tensor? gw, Tensor? gb) = ConvolutionBackwardOp(grads[0]!, Input!.Unpack(this), Weight!.Unpack(this), p,
                NeedsGrad(0), NeedsGrad(1), NeedsGrad(2));
            return [gx, gw, gb];
        }

        internal override void ReleaseSaved()
        {
            Input?.Release();
            Weight?.Release();
        }
    }

    // A convolution (plain or transposed) is bilinear in (input, weight), so each gradient of its backward is
    // again a convolution or a convolution backward: d/dgrad = conv(ggx, w) + conv(x, ggw) + ggb; d/dx = input-grad
    // of conv(., ggw) at grad; d/dw = weight-grad of conv(ggx, .) at grad.
    private sealed class ConvolutionBackwardBackward(ConvSpec p) : Autograd.Node
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
                    dGrad = Convolution(ggx, weight, null, p);
                if (ggw is not null)
                    dGrad = Accumulate(dGrad, Convolution(input, ggw, null, p));
                if (ggb is not null)
                {
                    long[] biasShape = new long[grad.Dim];
                    Array.Fill(biasShape, 1L);
                    biasShape[grad.Dim - 1 - p.Dims] = ggb.ShapeArray[0];
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
                dInput = ConvolutionBackwardOp(grad, input, ggw, p, true, false, false).Input;
            if (NeedsGrad(2) && ggx is not null)
                dWeight = ConvolutionBackwardOp(grad, ggx, weight, p, false, true, false).Weight;
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
