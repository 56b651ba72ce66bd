using System.Globalization;
using System.Text;

namespace Ember;

public static partial class Autograd
{
    /// <summary>
    /// Checks the gradients that autograd computes for <paramref name="fn"/> against central finite
    /// differences (<c>torch.autograd.gradcheck</c>). Every input that requires grad must be float64.
    /// Each analytical Jacobian entry a must match the numerical one n within atol + rtol·|n|.
    /// </summary>
    /// <returns>True when they match; false when they do not and <paramref name="raiseException"/> is false.</returns>
    /// <exception cref="AutogradException">They do not match (with <paramref name="raiseException"/>); the message shows both Jacobians.</exception>
    public static bool GradCheck(Func<Tensor[], Tensor[]> fn, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        ArgumentNullException.ThrowIfNull(inputs);
        return Check(fn, inputs, eps, atol, rtol, raiseException, evaluateWithGrad: false, "GradCheck");
    }

    /// <summary>Checks the gradients of a function with one output; see <see cref="GradCheck(Func{Tensor[], Tensor[]}, Tensor[], double, double, double, bool)"/>.</summary>
    public static bool GradCheck(Func<Tensor[], Tensor> fn, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return GradCheck(x => [fn(x)], inputs, eps, atol, rtol, raiseException);
    }

    /// <summary>
    /// Checks second derivatives (<c>torch.autograd.gradgradcheck</c>): the function taking the inputs and
    /// the output gradients to the input gradients (computed with createGraph) must pass
    /// <see cref="GradCheck(Func{Tensor[], Tensor[]}, Tensor[], double, double, double, bool)"/>.
    /// <paramref name="gradOutputs"/> defaults to fixed pseudo-random float64 values.
    /// </summary>
    public static bool GradGradCheck(Func<Tensor[], Tensor[]> fn, Tensor[] inputs, Tensor[]? gradOutputs = null, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        ArgumentNullException.ThrowIfNull(inputs);
        using TensorScope scope = Torch.NewScope();
        if (gradOutputs is null)
        {
            Tensor[] outputs = fn(inputs);
            using var generator = new Generator(20240101);
            gradOutputs = Array.ConvertAll(outputs, o => Torch.Randn(o.ShapeArray, DType.Float64, o.Device, generator).RequiresGrad_());
        }
        int n = inputs.Length;
        Tensor[] all = [.. inputs, .. gradOutputs];
        Tensor[] Gradients(Tensor[] args)
        {
            Tensor[] x = args[..n];
            Tensor[] v = args[n..];
            Tensor[] outputs = fn(x);
            var outs = new List<Tensor>();
            var vs = new List<Tensor?>();
            for (int i = 0; i < outputs.Length; i++)
            {
                if (!outputs[i]._requiresGrad)
                    continue;
                outs.Add(outputs[i]);
                vs.Add(v[i]);
            }
            Tensor[] wrt = x.Where(t => t._requiresGrad).ToArray();
            Tensor?[] grads = outs.Count == 0 ? new Tensor?[wrt.Length] : Grad(outs, wrt, vs, createGraph: true, allowUnused: true);
            return wrt.Select((t, i) => grads[i] ?? Torch.ZerosLike(t)).ToArray();
        }
        return Check(Gradients, all, eps, atol, rtol, raiseException, evaluateWithGrad: true, "GradGradCheck");
    }

    /// <summary>Checks second derivatives of a function with one output; see <see cref="GradGradCheck(Func{Tensor[], Tensor[]}, Tensor[], Tensor[], double, double, double, bool)"/>.</summary>
    public static bool GradGradCheck(Func<Tensor[], Tensor> fn, Tensor[] inputs, Tensor? gradOutput = null, double eps = 1e-6, double atol = 1e-5,
        double rtol = 1e-3, bool raiseException = true)
    {
        ArgumentNullException.ThrowIfNull(fn);
        return GradGradCheck(x => [fn(x)], inputs, gradOutput is null ? null : [gradOutput], eps, atol, rtol, raiseException);
    }

    private static bool Check(Func<Tensor[], Tensor[]> fn, Tensor[] inputs, double eps, double atol, double rtol, bool raise, bool evaluateWithGrad, string caller)
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i]._requiresGrad && inputs[i].DType != DType.Float64)
                throw new ArgumentException($"Autograd.{caller}: input {i} requires grad but has dtype {inputs[i].DType.ToTorchString()}; finite differences need float64", nameof(inputs));
        }
        int[] diff = Enumerable.Range(0, inputs.Length).Where(i => inputs[i]._requiresGrad).ToArray();
        if (diff.Length == 0)
            throw new ArgumentException($"Autograd.{caller}: no input requires grad", nameof(inputs));

        // Analytical Jacobians: one backward per output element.
        double[][][] analytical; // [output][input (of diff)][out element * in element]
        long[] outputSizes;
        using (TensorScope scope = Torch.NewScope())
        {
            Tensor[] outputs = fn(inputs);
            outputSizes = Array.ConvertAll(outputs, o => o.NumEl);
            Tensor[] wrt = Array.ConvertAll(diff, i => inputs[i]);
            analytical = new double[outputs.Length][][];
            for (int o = 0; o < outputs.Length; o++)
            {
                analytical[o] = Array.ConvertAll(wrt, w => new double[outputSizes[o] * w.NumEl]);
                if (!outputs[o]._requiresGrad)
                    continue;
                for (long k = 0; k < outputSizes[o]; k++)
                {
                    Tensor v = Torch.Zeros([outputSizes[o]], outputs[o].DType, outputs[o].Device);
                    using (Torch.NoGrad())
                    using (Tensor element = v.Select(0, k))
                        element.Add_(1L);
                    Tensor?[] grads = Grad([outputs[o]], wrt, [v.View(outputs[o].ShapeArray)], retainGraph: true, allowUnused: true);
                    for (int w = 0; w < wrt.Length; w++)
                    {
                        if (grads[w] is not { } g)
                            continue;
                        if (!g.ShapeArray.AsSpan().SequenceEqual(wrt[w].ShapeArray) || g.DType != wrt[w].DType)
                            return Fail(raise, $"Autograd.{caller}: the gradient of output {o} with respect to input {diff[w]} has shape {g.Shape} and dtype " +
                                $"{g.DType.ToTorchString()}, but the input has shape {wrt[w].Shape} and dtype {wrt[w].DType.ToTorchString()}");
                        double[] row = Values(g);
                        Array.Copy(row, 0, analytical[o][w], k * row.Length, row.Length);
                    }
                }
            }
        }

        // Numerical Jacobians: central differences, one input element at a time.
        for (int w = 0; w < diff.Length; w++)
        {
            Tensor input = inputs[diff[w]];
            double[] x = Values(input);
            var numerical = Array.ConvertAll(outputSizes, n => new double[n * x.Length]);
            for (int j = 0; j < x.Length; j++)
            {
                double[] plus = Evaluate(fn, inputs, diff[w], x, j, eps, evaluateWithGrad);
                double[] minus = Evaluate(fn, inputs, diff[w], x, j, -eps, evaluateWithGrad);
                for (int o = 0, offset = 0; o < outputSizes.Length; offset += (int)outputSizes[o], o++)
                    for (long k = 0; k < outputSizes[o]; k++)
                        numerical[o][k * x.Length + j] = (plus[offset + k] - minus[offset + k]) / (2 * eps);
            }
            for (int o = 0; o < outputSizes.Length; o++)
            {
                double[] a = analytical[o][w], n = numerical[o];
                for (int e = 0; e < n.Length; e++)
                {
                    if (Math.Abs(a[e] - n[e]) <= atol + rtol * Math.Abs(n[e]))
                        continue;
                    long outElement = e / x.Length, inElement = e % x.Length;
                    return Fail(raise,
                        $"Autograd.{caller}: Jacobian mismatch for output {o} with respect to input {diff[w]}: at output element {outElement}, input element " +
                        $"{inElement}, numerical {Format(n[e])} but analytical {Format(a[e])}.{Environment.NewLine}numerical:{Environment.NewLine}" +
                        $"{Matrix(n, x.Length)}analytical:{Environment.NewLine}{Matrix(a, x.Length)}");
                }
            }
        }
        return true;
    }

    // fn at the inputs with element j of input i moved by delta; every output flattened into one array.
    private static double[] Evaluate(Func<Tensor[], Tensor[]> fn, Tensor[] inputs, int i, double[] x, int j, double delta, bool withGrad)
    {
        using TensorScope scope = Torch.NewScope();
        using GradModeScope mode = withGrad ? Torch.EnableGrad() : Torch.NoGrad();
        double[] moved = (double[])x.Clone();
        moved[j] += delta;
        Tensor[] args = (Tensor[])inputs.Clone();
        args[i] = Torch.Tensor<double>(moved, inputs[i].ShapeArray, device: inputs[i].Device);
        if (inputs[i]._requiresGrad && withGrad)
            args[i].RequiresGrad_();
        return fn(args).SelectMany(Values).ToArray();
    }

    private static double[] Values(Tensor t)
    {
        using GradModeScope noGrad = Torch.NoGrad();
        if (t.DType == DType.Float64)
            return t.ToArray<double>();
        using Tensor d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    private static bool Fail(bool raise, string message) => raise ? throw new AutogradException(message) : false;

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static string Matrix(double[] values, int columns)
    {
        var sb = new StringBuilder();
        int rows = columns == 0 ? 0 : values.Length / columns;
        for (int r = 0; r < Math.Min(rows, 12); r++)
        {
            for (int c = 0; c < Math.Min(columns, 12); c++)
                sb.Append(Format(values[r * columns + c]).PadLeft(12));
            sb.AppendLine(columns > 12 ? " ..." : "");
        }
        if (rows > 12)
            sb.AppendLine(" ...");
        return sb.ToString();
    }
}
