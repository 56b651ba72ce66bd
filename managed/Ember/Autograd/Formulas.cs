namespace Ember;

/// <summary>
/// Derivatives of the one-input math ops and activations (PyTorch's derivatives.yaml entries), as
/// <c>(grad, input, result) =&gt; input gradient</c>. They run inside a scope: temporaries need no disposal.
/// </summary>
internal static class Formulas
{
    private const double Ln2 = 0.69314718055994530942;
    private const double Ln10 = 2.30258509299404568402;
    private const double TwoOverSqrtPi = 1.12837916709551257390;
    private const double InvSqrt2Pi = 0.39894228040143267794;
    internal const double SeluAlpha = 1.6732632423543772848170429916717;
    internal const double SeluScale = 1.0507009873554804934193349852946;

    private static UnaryFormula In(string name, Func<Tensor, Tensor, Tensor> fn) => new(name, true, false, (g, x, _) => fn(g, x!));

    private static UnaryFormula Out(string name, Func<Tensor, Tensor, Tensor> fn) => new(name, false, true, (g, _, y) => fn(g, y!));

    private static UnaryFormula Zero(string name) => new(name, false, false, (g, _, _) => Torch.ZerosLike(g));

    public static readonly UnaryFormula Abs = In("AbsBackward0", (g, x) => g * x.Sign());
    public static readonly UnaryFormula Sign = Zero("SignBackward0");
    public static readonly UnaryFormula Floor = Zero("FloorBackward0");
    public static readonly UnaryFormula Ceil = Zero("CeilBackward0");
    public static readonly UnaryFormula Trunc = Zero("TruncBackward0");
    public static readonly UnaryFormula Round = Zero("RoundBackward0");
    public static readonly UnaryFormula RoundDecimals = Zero("RoundBackward1");
    public static readonly UnaryFormula Frac = new("FracBackward0", false, false, (g, _, _) => g);
    public static readonly UnaryFormula Square = In("PowBackward0", (g, x) => g * x * 2.0);
    public static readonly UnaryFormula Reciprocal = Out("ReciprocalBackward0", (g, y) => -(g * y * y));
    public static readonly UnaryFormula Exp2 = Out("Exp2Backward0", (g, y) => g * y * Ln2);
    public static readonly UnaryFormula Expm1 = Out("Expm1Backward0", (g, y) => g * (y + 1.0));
    public static readonly UnaryFormula Log2 = In("Log2Backward0", (g, x) => g / (x * Ln2));
    public static readonly UnaryFormula Log10 = In("Log10Backward0", (g, x) => g / (x * Ln10));
    public static readonly UnaryFormula Log1p = In("Log1pBackward0", (g, x) => g / (x + 1.0));
    public static readonly UnaryFormula Sqrt = Out("SqrtBackward0", (g, y) => g / (y * 2.0));
    public static readonly UnaryFormula Rsqrt = Out("RsqrtBackward0", (g, y) => g * y * y * y * -0.5);
    public static readonly UnaryFormula Sin = In("SinBackward0", (g, x) => g * x.Cos());
    public static readonly UnaryFormula Cos = In("CosBackward0", (g, x) => -(g * x.Sin()));
    public static readonly UnaryFormula Tan = Out("TanBackward0", (g, y) => g * (y * y + 1.0));
    public static readonly UnaryFormula Asin = In("AsinBackward0", (g, x) => g * (1.0 - x * x).Rsqrt());
    public static readonly UnaryFormula Acos = In("AcosBackward0", (g, x) => -(g * (1.0 - x * x).Rsqrt()));
    public static readonly UnaryFormula Atan = In("AtanBackward0", (g, x) => g / (x * x + 1.0));
    public static readonly UnaryFormula Sinh = In("SinhBackward0", (g, x) => g * x.Cosh());
    public static readonly UnaryFormula Cosh = In("CoshBackward0", (g, x) => g * x.Sinh());
    public static readonly UnaryFormula Tanh = Out("TanhBackward0", (g, y) => g * (1.0 - y * y));
    public static readonly UnaryFormula Erf = In("ErfBackward0", (g, x) => g * (-(x * x)).Exp() * TwoOverSqrtPi);
    public static readonly UnaryFormula Erfc = In("ErfcBackward0", (g, x) => g * (-(x * x)).Exp() * -TwoOverSqrtPi);
    public static readonly UnaryFormula Erfinv = Out("ErfinvBackward0", (g, y) => g * (y * y).Exp() * (0.5 * Math.Sqrt(Math.PI)));
    public static readonly UnaryFormula Sigmoid = Out("SigmoidBackward0", (g, y) => g * y * (1.0 - y));
    public static readonly UnaryFormula NanToNum = In("NanToNumBackward0", (g, x) => g * x.IsFinite());

    /// <summary>x ** p for a number p.</summary>
    public static UnaryFormula PowScalar(double p) => In("PowBackward0", (g, x) => p == 0 ? Torch.ZerosLike(g) : g * x.Pow(p - 1) * p);

    /// <summary>s ** x for a number s.</summary>
    public static UnaryFormula PowRscalar(double s) => Out("PowBackward2", (g, y) => s == 0 ? Torch.ZerosLike(g) : g * y * Math.Log(s));

    /// <summary>clamp(x, min, max) with numbers: the gradient passes where min &lt;= x &lt;= max.</summary>
    public static UnaryFormula Clamp(double? min, double? max) => In("ClampBackward1", (g, x) =>
    {
        Tensor r = g;
        if (min is double lo)
            r = r * x.Ge(lo);
        if (max is double hi)
            r = r * x.Le(hi);
        return ReferenceEquals(r, g) ? g * 1.0 : r;
    });

    // ---- activations ----

    /// <summary>hardtanh and relu6: the gradient passes strictly inside (min, max).</summary>
    public static UnaryFormula Hardtanh(double min, double max, string name = "HardtanhBackward0") =>
        In(name, (g, x) => g * x.Gt(min).LogicalAnd(x.Lt(max)));

    public static UnaryFormula Threshold(double threshold) => In("ThresholdBackward0", (g, x) => g * x.Gt(threshold));

    public static UnaryFormula LeakyRelu(double slope) => In("LeakyReluBackward0", (g, x) => g * Torch.Where(x.Gt(0.0), Torch.OnesLike(x), Torch.OnesLike(x) * slope));

    /// <summary>elu(x) = x &gt; 0 ? scale x : scale alpha (e^(input_scale x) - 1).</summary>
    public static UnaryFormula Elu(double alpha, double scale, double inputScale, string name = "EluBackward0") => In(name, (g, x) =>
        g * Torch.Where(x.Gt(0.0), Torch.OnesLike(x) * scale, (x * inputScale).Exp() * (alpha * scale * inputScale)));

    public static readonly UnaryFormula Gelu = In("GeluBackward0", (g, x) =>
        g * ((x * Math.Sqrt(0.5)).Erf() * 0.5 + 0.5 + x * (x * x * -0.5).Exp() * InvSqrt2Pi));

    public static readonly UnaryFormula GeluTanh = In("GeluBackward0", (g, x) =>
    {
        double k = Math.Sqrt(2 / Math.PI);
        Tensor x2 = x * x;
        Tensor t = ((x + x2 * x * 0.044715) * k).Tanh();
        Tensor inner = (x2 * (3 * 0.044715) + 1.0) * k;
        return g * ((t + 1.0) * 0.5 + x * (1.0 - t * t) * inner * 0.5);
    });

    public static readonly UnaryFormula Silu = In("SiluBackward0", (g, x) =>
    {
        Tensor s = x.Sigmoid();
        return g * s * (x * (1.0 - s) + 1.0);
    });

    public static readonly UnaryFormula Mish = In("MishBackward0", (g, x) =>
    {
        Tensor t = Functional.Softplus(x).Tanh();
        return g * (t + x * (1.0 - t * t) * x.Sigmoid());
    });

    public static UnaryFormula Softplus(double beta, double threshold) => In("SoftplusBackward0", (g, x) =>
        g * Torch.Where((x * beta).Gt(threshold), Torch.OnesLike(x), (x * beta).Sigmoid()));

    public static readonly UnaryFormula Softsign = In("SoftsignBackward0", (g, x) =>
    {
        Tensor d = x.Abs() + 1.0;
        return g / (d * d);
    });

    public static readonly UnaryFormula LogSigmoid = In("LogSigmoidBackward0", (g, x) => g * (-x).Sigmoid());

    public static readonly UnaryFormula Hardsigmoid = In("HardsigmoidBackward0", (g, x) => g * x.Gt(-3.0).LogicalAnd(x.Lt(3.0)) / 6.0);

    public static readonly UnaryFormula Hardswish = In("HardswishBackward0", (g, x) =>
        g * Torch.Where(x.Lt(-3.0), Torch.ZerosLike(x), Torch.Where(x.Le(3.0), x / 3.0 + 0.5, Torch.OnesLike(x))));

    public static readonly UnaryFormula Tanhshrink = In("TanhshrinkBackward0", (g, x) =>
    {
        Tensor t = x.Tanh();
        return g * t * t;
    });
}
