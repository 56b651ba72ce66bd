using Ember.Interop;

namespace Ember;

// Activation functions (torch.nn.functional.*). Each records its derivative (Autograd/Formulas.cs)
// when the input requires grad; inplace: true writes into the input and returns it, as F.*(inplace=True).
public static unsafe partial class Functional
{
    /// <summary>min(max(x, 0), 6) (<c>F.relu6</c>).</summary>
    public static Tensor Relu6(Tensor input, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Hardtanh(0, 6, "HardtanhBackward0"), "Relu6_", () => NativeMethods.ember_relu6_(input.Handle))
            : Unary(input, Formulas.Hardtanh(0, 6), (ember_tensor* r) => NativeMethods.ember_relu6(input.Handle, r));

    /// <summary>x where x &gt; 0, else negativeSlope * x (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.LeakyRelu(negativeSlope), "LeakyRelu_", () => NativeMethods.ember_leaky_relu_(input.Handle, negativeSlope))
            : Unary(input, Formulas.LeakyRelu(negativeSlope), (ember_tensor* r) => NativeMethods.ember_leaky_relu(input.Handle, negativeSlope, r));

    /// <summary>x where x &gt; 0, else alpha (e^x - 1) (<c>F.elu</c>).</summary>
    public static Tensor Elu(Tensor input, double alpha = 1.0, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Elu(alpha, 1, 1), "Elu_", () => NativeMethods.ember_elu_(input.Handle, alpha, 1, 1))
            : Unary(input, Formulas.Elu(alpha, 1, 1), (ember_tensor* r) => NativeMethods.ember_elu(input.Handle, alpha, 1, 1, r));

    /// <summary>scale * elu(x, alpha) with SELU's fixed alpha and scale (<c>F.selu</c>).</summary>
    public static Tensor Selu(Tensor input, bool inplace = false)
    {
        UnaryFormula f = Formulas.Elu(Formulas.SeluAlpha, Formulas.SeluScale, 1, "EluBackward0");
        return inplace ? Inplace(input, f, "Selu_", () => NativeMethods.ember_selu_(input.Handle))
            : Unary(input, f, (ember_tensor* r) => NativeMethods.ember_selu(input.Handle, r));
    }

    /// <summary>max(0, x) + min(0, alpha (e^(x / alpha) - 1)) (<c>F.celu</c>).</summary>
    public static Tensor Celu(Tensor input, double alpha = 1.0, bool inplace = false)
    {
        UnaryFormula f = Formulas.Elu(alpha, 1, 1 / alpha, "CeluBackward0");
        return inplace ? Inplace(input, f, "Celu_", () => NativeMethods.ember_celu_(input.Handle, alpha))
            : Unary(input, f, (ember_tensor* r) => NativeMethods.ember_celu(input.Handle, alpha, r));
    }

    /// <summary>x Φ(x) with the normal CDF Φ; <paramref name="approximate"/> "tanh" uses the tanh approximation (<c>F.gelu</c>).</summary>
    public static Tensor Gelu(Tensor input, string approximate = "none")
    {
        bool tanh = approximate switch
        {
            "none" => false,
            "tanh" => true,
            _ => throw new ArgumentException($"Functional.Gelu: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate)),
        };
        return Unary(input, tanh ? Formulas.GeluTanh : Formulas.Gelu, (ember_tensor* r) => NativeMethods.ember_gelu(input.Handle, tanh ? 1 : 0, r));
    }

    /// <summary>x * sigmoid(x) (<c>F.silu</c>).</summary>
    public static Tensor Silu(Tensor input, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Silu, "Silu_", () => NativeMethods.ember_silu_(input.Handle))
            : Unary(input, Formulas.Silu, (ember_tensor* r) => NativeMethods.ember_silu(input.Handle, r));

    /// <summary>x * tanh(softplus(x)) (<c>F.mish</c>).</summary>
    public static Tensor Mish(Tensor input, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Mish, "Mish_", () => NativeMethods.ember_mish_(input.Handle))
            : Unary(input, Formulas.Mish, (ember_tensor* r) => NativeMethods.ember_mish(input.Handle, r));

    /// <summary>log(1 + e^(beta x)) / beta, or x where beta x &gt; threshold (<c>F.softplus</c>).</summary>
    public static Tensor Softplus(Tensor input, double beta = 1, double threshold = 20) =>
        Unary(input, Formulas.Softplus(beta, threshold), (ember_tensor* r) => NativeMethods.ember_softplus(input.Handle, beta, threshold, r));

    /// <summary>x / (1 + |x|) (<c>F.softsign</c>).</summary>
    public static Tensor Softsign(Tensor input) => Unary(input, Formulas.Softsign, (ember_tensor* r) => NativeMethods.ember_softsign(input.Handle, r));

    /// <summary>1 / (1 + e^-x) (<c>F.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>tanh(x) (<c>F.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>log(sigmoid(x)), computed without overflow (<c>F.logsigmoid</c>).</summary>
    public static Tensor LogSigmoid(Tensor input) => Unary(input, Formulas.LogSigmoid, (ember_tensor* r) => NativeMethods.ember_logsigmoid(input.Handle, r));

    /// <summary>x clamped to [minVal, maxVal] (<c>F.hardtanh</c>).</summary>
    public static Tensor Hardtanh(Tensor input, double minVal = -1, double maxVal = 1, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Hardtanh(minVal, maxVal), "Hardtanh_", () => NativeMethods.ember_hardtanh_(input.Handle, minVal, maxVal))
            : Unary(input, Formulas.Hardtanh(minVal, maxVal), (ember_tensor* r) => NativeMethods.ember_hardtanh(input.Handle, minVal, maxVal, r));

    /// <summary>min(max(x + 3, 0), 6) / 6 (<c>F.hardsigmoid</c>).</summary>
    public static Tensor Hardsigmoid(Tensor input, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Hardsigmoid, "Hardsigmoid_", () => NativeMethods.ember_hardsigmoid_(input.Handle))
            : Unary(input, Formulas.Hardsigmoid, (ember_tensor* r) => NativeMethods.ember_hardsigmoid(input.Handle, r));

    /// <summary>x * hardsigmoid(x) (<c>F.hardswish</c>).</summary>
    public static Tensor Hardswish(Tensor input, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Hardswish, "Hardswish_", () => NativeMethods.ember_hardswish_(input.Handle))
            : Unary(input, Formulas.Hardswish, (ember_tensor* r) => NativeMethods.ember_hardswish(input.Handle, r));

    /// <summary>x - tanh(x) (<c>F.tanhshrink</c>).</summary>
    public static Tensor Tanhshrink(Tensor input) => Unary(input, Formulas.Tanhshrink, (ember_tensor* r) => NativeMethods.ember_tanhshrink(input.Handle, r));

    /// <summary><paramref name="value"/> where x &lt;= <paramref name="threshold"/>, else x (<c>F.threshold</c>).</summary>
    public static Tensor Threshold(Tensor input, double threshold, double value, bool inplace = false) =>
        inplace ? Inplace(input, Formulas.Threshold(threshold), "Threshold_", () => NativeMethods.ember_threshold_(input.Handle, threshold, value))
            : Unary(input, Formulas.Threshold(threshold), (ember_tensor* r) => NativeMethods.ember_threshold(input.Handle, threshold, value, r));

    private delegate ember_status NativeUnary(ember_tensor* result);

    private static Tensor Unary(Tensor input, UnaryFormula formula, NativeUnary call)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        return Derivatives.Unary(Tensor.Wrap(call(&r), r, input), input, formula);
    }

    private static Tensor Inplace(Tensor input, UnaryFormula formula, string op, Func<ember_status> call)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Tensor.InplaceNeedsAutograd(input, null))
        {
            Tensor.Check(call(), input);
            return input;
        }
        return Derivatives.UnaryInplace(input, formula, op, () => Tensor.Check(call(), input));
    }
}
