using Ember.Interop;

namespace Ember;

// Elementwise math beyond arithmetic: unary functions, powers, rounding, clamping, binary and ternary
// ops (torch.abs ... torch.where). Binary ops broadcast and promote dtypes as PyTorch does; integer
// inputs of the floating functions give float32. Each differentiable op records its formula
// (Autograd/Formulas.cs) when an input requires grad.
public unsafe partial class Tensor
{
    // ---- unary functions ----

    /// <summary>The absolute value, elementwise (<c>torch.abs</c>).</summary>
    public Tensor Abs() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_abs(Handle, &r), r, this), this, Formulas.Abs); }

    /// <summary>The absolute value, in place (<c>Tensor.abs_</c>); returns this tensor.</summary>
    public Tensor Abs_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Abs, "Abs_", () => Check(NativeMethods.ember_abs_(Handle), this))
        : CheckSelf(NativeMethods.ember_abs_(Handle));

    /// <summary>The sign: -1, 0 or 1 (0 for NaN), elementwise (<c>torch.sign</c>).</summary>
    public Tensor Sign() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_sign(Handle, &r), r, this), this, Formulas.Sign); }

    /// <summary>The sign: -1, 0 or 1 (0 for NaN), in place (<c>Tensor.sign_</c>); returns this tensor.</summary>
    public Tensor Sign_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Sign, "Sign_", () => Check(NativeMethods.ember_sign_(Handle), this))
        : CheckSelf(NativeMethods.ember_sign_(Handle));

    /// <summary>The square, elementwise (<c>torch.square</c>).</summary>
    public Tensor Square() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_square(Handle, &r), r, this), this, Formulas.Square); }

    /// <summary>The square, in place (<c>Tensor.square_</c>); returns this tensor.</summary>
    public Tensor Square_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Square, "Square_", () => Check(NativeMethods.ember_square_(Handle), this))
        : CheckSelf(NativeMethods.ember_square_(Handle));

    /// <summary>Rounds down (integers are returned unchanged), elementwise (<c>torch.floor</c>).</summary>
    public Tensor Floor() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_floor(Handle, &r), r, this), this, Formulas.Floor); }

    /// <summary>Rounds down (integers are returned unchanged), in place (<c>Tensor.floor_</c>); returns this tensor.</summary>
    public Tensor Floor_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Floor, "Floor_", () => Check(NativeMethods.ember_floor_(Handle), this))
        : CheckSelf(NativeMethods.ember_floor_(Handle));

    /// <summary>Rounds up, elementwise (<c>torch.ceil</c>).</summary>
    public Tensor Ceil() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_ceil(Handle, &r), r, this), this, Formulas.Ceil); }

    /// <summary>Rounds up, in place (<c>Tensor.ceil_</c>); returns this tensor.</summary>
    public Tensor Ceil_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Ceil, "Ceil_", () => Check(NativeMethods.ember_ceil_(Handle), this))
        : CheckSelf(NativeMethods.ember_ceil_(Handle));

    /// <summary>Rounds toward zero, elementwise (<c>torch.trunc</c>).</summary>
    public Tensor Trunc() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_trunc(Handle, &r), r, this), this, Formulas.Trunc); }

    /// <summary>Rounds toward zero, in place (<c>Tensor.trunc_</c>); returns this tensor.</summary>
    public Tensor Trunc_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Trunc, "Trunc_", () => Check(NativeMethods.ember_trunc_(Handle), this))
        : CheckSelf(NativeMethods.ember_trunc_(Handle));

    /// <summary>Rounds half to even, elementwise (<c>torch.round</c>).</summary>
    public Tensor Round() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_round(Handle, &r), r, this), this, Formulas.Round); }

    /// <summary>Rounds half to even, in place (<c>Tensor.round_</c>); returns this tensor.</summary>
    public Tensor Round_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Round, "Round_", () => Check(NativeMethods.ember_round_(Handle), this))
        : CheckSelf(NativeMethods.ember_round_(Handle));

    /// <summary>The fractional part x - trunc(x), elementwise (<c>torch.frac</c>).</summary>
    public Tensor Frac() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_frac(Handle, &r), r, this), this, Formulas.Frac); }

    /// <summary>The fractional part x - trunc(x), in place (<c>Tensor.frac_</c>); returns this tensor.</summary>
    public Tensor Frac_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Frac, "Frac_", () => Check(NativeMethods.ember_frac_(Handle), this))
        : CheckSelf(NativeMethods.ember_frac_(Handle));

    /// <summary>1 / x, elementwise (<c>torch.reciprocal</c>).</summary>
    public Tensor Reciprocal() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_reciprocal(Handle, &r), r, this), this, Formulas.Reciprocal); }

    /// <summary>1 / x, in place (<c>Tensor.reciprocal_</c>); returns this tensor.</summary>
    public Tensor Reciprocal_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Reciprocal, "Reciprocal_", () => Check(NativeMethods.ember_reciprocal_(Handle), this))
        : CheckSelf(NativeMethods.ember_reciprocal_(Handle));

    /// <summary>2^x, elementwise (<c>torch.exp2</c>).</summary>
    public Tensor Exp2() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_exp2(Handle, &r), r, this), this, Formulas.Exp2); }

    /// <summary>2^x, in place (<c>Tensor.exp2_</c>); returns this tensor.</summary>
    public Tensor Exp2_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Exp2, "Exp2_", () => Check(NativeMethods.ember_exp2_(Handle), this))
        : CheckSelf(NativeMethods.ember_exp2_(Handle));

    /// <summary>e^x - 1, accurate near 0, elementwise (<c>torch.expm1</c>).</summary>
    public Tensor Expm1() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_expm1(Handle, &r), r, this), this, Formulas.Expm1); }

    /// <summary>e^x - 1, accurate near 0, in place (<c>Tensor.expm1_</c>); returns this tensor.</summary>
    public Tensor Expm1_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Expm1, "Expm1_", () => Check(NativeMethods.ember_expm1_(Handle), this))
        : CheckSelf(NativeMethods.ember_expm1_(Handle));

    /// <summary>The base-2 logarithm, elementwise (<c>torch.log2</c>).</summary>
    public Tensor Log2() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_log2(Handle, &r), r, this), this, Formulas.Log2); }

    /// <summary>The base-2 logarithm, in place (<c>Tensor.log2_</c>); returns this tensor.</summary>
    public Tensor Log2_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Log2, "Log2_", () => Check(NativeMethods.ember_log2_(Handle), this))
        : CheckSelf(NativeMethods.ember_log2_(Handle));

    /// <summary>The base-10 logarithm, elementwise (<c>torch.log10</c>).</summary>
    public Tensor Log10() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_log10(Handle, &r), r, this), this, Formulas.Log10); }

    /// <summary>The base-10 logarithm, in place (<c>Tensor.log10_</c>); returns this tensor.</summary>
    public Tensor Log10_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Log10, "Log10_", () => Check(NativeMethods.ember_log10_(Handle), this))
        : CheckSelf(NativeMethods.ember_log10_(Handle));

    /// <summary>log(1 + x), accurate near 0, elementwise (<c>torch.log1p</c>).</summary>
    public Tensor Log1p() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_log1p(Handle, &r), r, this), this, Formulas.Log1p); }

    /// <summary>log(1 + x), accurate near 0, in place (<c>Tensor.log1p_</c>); returns this tensor.</summary>
    public Tensor Log1p_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Log1p, "Log1p_", () => Check(NativeMethods.ember_log1p_(Handle), this))
        : CheckSelf(NativeMethods.ember_log1p_(Handle));

    /// <summary>The square root, elementwise (<c>torch.sqrt</c>).</summary>
    public Tensor Sqrt() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_sqrt(Handle, &r), r, this), this, Formulas.Sqrt); }

    /// <summary>The square root, in place (<c>Tensor.sqrt_</c>); returns this tensor.</summary>
    public Tensor Sqrt_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Sqrt, "Sqrt_", () => Check(NativeMethods.ember_sqrt_(Handle), this))
        : CheckSelf(NativeMethods.ember_sqrt_(Handle));

    /// <summary>1 / sqrt(x), elementwise (<c>torch.rsqrt</c>).</summary>
    public Tensor Rsqrt() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_rsqrt(Handle, &r), r, this), this, Formulas.Rsqrt); }

    /// <summary>1 / sqrt(x), in place (<c>Tensor.rsqrt_</c>); returns this tensor.</summary>
    public Tensor Rsqrt_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Rsqrt, "Rsqrt_", () => Check(NativeMethods.ember_rsqrt_(Handle), this))
        : CheckSelf(NativeMethods.ember_rsqrt_(Handle));

    /// <summary>The sine, elementwise (<c>torch.sin</c>).</summary>
    public Tensor Sin() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_sin(Handle, &r), r, this), this, Formulas.Sin); }

    /// <summary>The sine, in place (<c>Tensor.sin_</c>); returns this tensor.</summary>
    public Tensor Sin_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Sin, "Sin_", () => Check(NativeMethods.ember_sin_(Handle), this))
        : CheckSelf(NativeMethods.ember_sin_(Handle));

    /// <summary>The cosine, elementwise (<c>torch.cos</c>).</summary>
    public Tensor Cos() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_cos(Handle, &r), r, this), this, Formulas.Cos); }

    /// <summary>The cosine, in place (<c>Tensor.cos_</c>); returns this tensor.</summary>
    public Tensor Cos_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Cos, "Cos_", () => Check(NativeMethods.ember_cos_(Handle), this))
        : CheckSelf(NativeMethods.ember_cos_(Handle));

    /// <summary>The tangent, elementwise (<c>torch.tan</c>).</summary>
    public Tensor Tan() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_tan(Handle, &r), r, this), this, Formulas.Tan); }

    /// <summary>The tangent, in place (<c>Tensor.tan_</c>); returns this tensor.</summary>
    public Tensor Tan_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Tan, "Tan_", () => Check(NativeMethods.ember_tan_(Handle), this))
        : CheckSelf(NativeMethods.ember_tan_(Handle));

    /// <summary>The arcsine, elementwise (<c>torch.asin</c>).</summary>
    public Tensor Asin() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_asin(Handle, &r), r, this), this, Formulas.Asin); }

    /// <summary>The arcsine, in place (<c>Tensor.asin_</c>); returns this tensor.</summary>
    public Tensor Asin_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Asin, "Asin_", () => Check(NativeMethods.ember_asin_(Handle), this))
        : CheckSelf(NativeMethods.ember_asin_(Handle));

    /// <summary>The arccosine, elementwise (<c>torch.acos</c>).</summary>
    public Tensor Acos() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_acos(Handle, &r), r, this), this, Formulas.Acos); }

    /// <summary>The arccosine, in place (<c>Tensor.acos_</c>); returns this tensor.</summary>
    public Tensor Acos_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Acos, "Acos_", () => Check(NativeMethods.ember_acos_(Handle), this))
        : CheckSelf(NativeMethods.ember_acos_(Handle));

    /// <summary>The arctangent, elementwise (<c>torch.atan</c>).</summary>
    public Tensor Atan() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_atan(Handle, &r), r, this), this, Formulas.Atan); }

    /// <summary>The arctangent, in place (<c>Tensor.atan_</c>); returns this tensor.</summary>
    public Tensor Atan_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Atan, "Atan_", () => Check(NativeMethods.ember_atan_(Handle), this))
        : CheckSelf(NativeMethods.ember_atan_(Handle));

    /// <summary>The hyperbolic sine, elementwise (<c>torch.sinh</c>).</summary>
    public Tensor Sinh() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_sinh(Handle, &r), r, this), this, Formulas.Sinh); }

    /// <summary>The hyperbolic sine, in place (<c>Tensor.sinh_</c>); returns this tensor.</summary>
    public Tensor Sinh_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Sinh, "Sinh_", () => Check(NativeMethods.ember_sinh_(Handle), this))
        : CheckSelf(NativeMethods.ember_sinh_(Handle));

    /// <summary>The hyperbolic cosine, elementwise (<c>torch.cosh</c>).</summary>
    public Tensor Cosh() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_cosh(Handle, &r), r, this), this, Formulas.Cosh); }

    /// <summary>The hyperbolic cosine, in place (<c>Tensor.cosh_</c>); returns this tensor.</summary>
    public Tensor Cosh_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Cosh, "Cosh_", () => Check(NativeMethods.ember_cosh_(Handle), this))
        : CheckSelf(NativeMethods.ember_cosh_(Handle));

    /// <summary>The hyperbolic tangent, elementwise (<c>torch.tanh</c>).</summary>
    public Tensor Tanh() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_tanh(Handle, &r), r, this), this, Formulas.Tanh); }

    /// <summary>The hyperbolic tangent, in place (<c>Tensor.tanh_</c>); returns this tensor.</summary>
    public Tensor Tanh_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Tanh, "Tanh_", () => Check(NativeMethods.ember_tanh_(Handle), this))
        : CheckSelf(NativeMethods.ember_tanh_(Handle));

    /// <summary>The error function, elementwise (<c>torch.erf</c>).</summary>
    public Tensor Erf() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_erf(Handle, &r), r, this), this, Formulas.Erf); }

    /// <summary>The error function, in place (<c>Tensor.erf_</c>); returns this tensor.</summary>
    public Tensor Erf_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Erf, "Erf_", () => Check(NativeMethods.ember_erf_(Handle), this))
        : CheckSelf(NativeMethods.ember_erf_(Handle));

    /// <summary>The complementary error function, elementwise (<c>torch.erfc</c>).</summary>
    public Tensor Erfc() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_erfc(Handle, &r), r, this), this, Formulas.Erfc); }

    /// <summary>The complementary error function, in place (<c>Tensor.erfc_</c>); returns this tensor.</summary>
    public Tensor Erfc_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Erfc, "Erfc_", () => Check(NativeMethods.ember_erfc_(Handle), this))
        : CheckSelf(NativeMethods.ember_erfc_(Handle));

    /// <summary>The inverse error function, elementwise (<c>torch.erfinv</c>).</summary>
    public Tensor Erfinv() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_erfinv(Handle, &r), r, this), this, Formulas.Erfinv); }

    /// <summary>The inverse error function, in place (<c>Tensor.erfinv_</c>); returns this tensor.</summary>
    public Tensor Erfinv_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Erfinv, "Erfinv_", () => Check(NativeMethods.ember_erfinv_(Handle), this))
        : CheckSelf(NativeMethods.ember_erfinv_(Handle));

    /// <summary>The logistic sigmoid 1 / (1 + e^-x), elementwise (<c>torch.sigmoid</c>).</summary>
    public Tensor Sigmoid() { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_sigmoid(Handle, &r), r, this), this, Formulas.Sigmoid); }

    /// <summary>The logistic sigmoid 1 / (1 + e^-x), in place (<c>Tensor.sigmoid_</c>); returns this tensor.</summary>
    public Tensor Sigmoid_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.Sigmoid, "Sigmoid_", () => Check(NativeMethods.ember_sigmoid_(Handle), this))
        : CheckSelf(NativeMethods.ember_sigmoid_(Handle));

    /// <summary>x == 0, as a bool tensor (<c>torch.logical_not</c>).</summary>
    public Tensor LogicalNot() { ember_tensor r; return Wrap(NativeMethods.ember_logical_not(Handle, &r), r, this); }

    /// <summary>x == 0, as a bool tensor, in place; returns this tensor (<c>Tensor.logical_not_</c>).</summary>
    public Tensor LogicalNot_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.FillInplace(this, "LogicalNot_", () => Check(NativeMethods.ember_logical_not_(Handle), this))
        : CheckSelf(NativeMethods.ember_logical_not_(Handle));

    /// <summary>Bitwise NOT of an integer tensor (logical NOT of a bool tensor) (<c>torch.bitwise_not</c>).</summary>
    public Tensor BitwiseNot() { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_not(Handle, &r), r, this); }

    /// <summary>Bitwise NOT of an integer tensor (logical NOT of a bool tensor), in place; returns this tensor (<c>Tensor.bitwise_not_</c>).</summary>
    public Tensor BitwiseNot_() => InplaceNeedsAutograd(this, null)
        ? Derivatives.FillInplace(this, "BitwiseNot_", () => Check(NativeMethods.ember_bitwise_not_(Handle), this))
        : CheckSelf(NativeMethods.ember_bitwise_not_(Handle));

    /// <summary>True where the element is NaN (<c>torch.isnan</c>).</summary>
    public Tensor IsNan() { ember_tensor r; return Wrap(NativeMethods.ember_isnan(Handle, &r), r, this); }

    /// <summary>True where the element is +inf or -inf (<c>torch.isinf</c>).</summary>
    public Tensor IsInf() { ember_tensor r; return Wrap(NativeMethods.ember_isinf(Handle, &r), r, this); }

    /// <summary>True where the element is +inf (<c>torch.isposinf</c>).</summary>
    public Tensor IsPosInf() { ember_tensor r; return Wrap(NativeMethods.ember_isposinf(Handle, &r), r, this); }

    /// <summary>True where the element is -inf (<c>torch.isneginf</c>).</summary>
    public Tensor IsNegInf() { ember_tensor r; return Wrap(NativeMethods.ember_isneginf(Handle, &r), r, this); }

    /// <summary>True where the element is neither NaN nor infinite (<c>torch.isfinite</c>).</summary>
    public Tensor IsFinite() { ember_tensor r; return Wrap(NativeMethods.ember_isfinite(Handle, &r), r, this); }

    // ---- parametrised unary ops ----

    /// <summary>Rounds half to even at <paramref name="decimals"/> decimal places (negative: to tens, hundreds, ...) (<c>torch.round(decimals=)</c>).</summary>
    public Tensor Round(int decimals)
    {
        ember_tensor r;
        return Derivatives.Unary(Wrap(NativeMethods.ember_round_decimals(Handle, decimals, &r), r, this), this, Formulas.RoundDecimals);
    }

    /// <summary>Rounds at <paramref name="decimals"/> decimal places in place; returns this tensor.</summary>
    public Tensor Round_(int decimals) => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.RoundDecimals, "Round_", () => Check(NativeMethods.ember_round_decimals_(Handle, decimals), this))
        : CheckSelf(NativeMethods.ember_round_decimals_(Handle, decimals));

    /// <summary>
    /// Raises every element to a number (<c>torch.pow(x, exponent)</c>). The result dtype follows promotion:
    /// an integer tensor to an integer power stays integer (negative integer powers of integers are an error).
    /// </summary>
    public Tensor Pow(double exponent) => PowScalar(Scalar.Of(exponent), exponent);

    /// <summary>Raises every element to an integer power (<c>torch.pow(x, exponent)</c>); integer tensors stay integer.</summary>
    public Tensor Pow(long exponent) => PowScalar(Scalar.Of(exponent), exponent);

    private Tensor PowScalar(ember_scalar e, double exponent)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_pow_scalar(Handle, e, &r), r, this);
        return _requiresGrad ? Derivatives.Unary(result, this, Formulas.PowScalar(exponent)) : result;
    }

    /// <summary>Raises every element to a number in place; returns this tensor (<c>Tensor.pow_</c>).</summary>
    public Tensor Pow_(double exponent) => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, Formulas.PowScalar(exponent), "Pow_", () => Check(NativeMethods.ember_pow_scalar_(Handle, Scalar.Of(exponent)), this))
        : CheckSelf(NativeMethods.ember_pow_scalar_(Handle, Scalar.Of(exponent)));

    /// <summary>Elementwise power with broadcasting (<c>torch.pow(x, exponent)</c>).</summary>
    public Tensor Pow(Tensor exponent)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_pow(Handle, exponent.Handle, &r), r, this, exponent);
        return Derivatives.Multi(result, [this, exponent], "PowBackward1", PowGrad, saveResult: true);
    }

    /// <summary>Elementwise power in place; returns this tensor (<c>Tensor.pow_</c>).</summary>
    public Tensor Pow_(Tensor exponent) => InplaceNeedsAutograd(this, exponent)
        ? Derivatives.MultiInplace(this, [exponent], "PowBackward1", "Pow_", PowGradNoResult, () => Check(NativeMethods.ember_pow_(Handle, exponent.Handle), this, exponent))
        : CheckSelf(NativeMethods.ember_pow_(Handle, exponent.Handle), exponent);

    private static Tensor?[] PowGrad(Tensor g, Tensor[] x, Tensor? y, bool[] needs)
    {
        Tensor a = x[0], b = x[1];
        Tensor? ga = needs[0] ? g * b * a.Pow(b - 1.0) : null;
        Tensor? gb = null;
        if (needs[1])
        {
            // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (the limit), as PyTorch does.
            Tensor value = (y ?? a.Pow(b)) * a.Log();
            Tensor zero = a.Eq(0.0).LogicalAnd(b.Ge(0.0));
            gb = g * Torch.Where(zero, Torch.ZerosLike(value), value);
        }
        return [ga, gb];
    }

    private static Tensor?[] PowGradNoResult(Tensor g, Tensor[] x, Tensor? y, bool[] needs) => PowGrad(g, x, null, needs);

    /// <summary>
    /// Limits every element to [<paramref name="min"/>, <paramref name="max"/>] (<c>torch.clamp</c>); either bound may be
    /// null. NaN stays NaN. An integer tensor clamped by floating bounds gives float32, as in PyTorch.
    /// </summary>
    public Tensor Clamp(double? min = null, double? max = null)
    {
        ember_scalar lo = Scalar.Of(min ?? 0), hi = Scalar.Of(max ?? 0);
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_clamp(Handle, min is null ? null : &lo, max is null ? null : &hi, &r), r, this);
        return _requiresGrad ? Derivatives.Unary(result, this, Formulas.Clamp(min, max)) : result;
    }

    /// <summary>Limits every element to integer bounds; integer tensors keep their dtype (<c>torch.clamp</c>).</summary>
    public Tensor Clamp(long? min, long? max)
    {
        ember_scalar lo = Scalar.Of(min ?? 0), hi = Scalar.Of(max ?? 0);
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_clamp(Handle, min is null ? null : &lo, max is null ? null : &hi, &r), r, this);
        return _requiresGrad ? Derivatives.Unary(result, this, Formulas.Clamp(min, max)) : result;
    }

    /// <summary>Clamps in place; returns this tensor (<c>Tensor.clamp_</c>).</summary>
    public Tensor Clamp_(double? min = null, double? max = null)
    {
        ember_scalar lo = Scalar.Of(min ?? 0), hi = Scalar.Of(max ?? 0);
        if (!InplaceNeedsAutograd(this, null))
            return CheckSelf(NativeMethods.ember_clamp_(Handle, min is null ? null : &lo, max is null ? null : &hi));
        return Derivatives.UnaryInplace(this, Formulas.Clamp(min, max), "Clamp_", () =>
        {
            ember_scalar l = Scalar.Of(min ?? 0), h = Scalar.Of(max ?? 0);
            Check(NativeMethods.ember_clamp_(Handle, min is null ? null : &l, max is null ? null : &h), this);
        });
    }

    /// <summary>Limits every element to tensor bounds (broadcast); either may be null (<c>torch.clamp(min=Tensor, max=Tensor)</c>).</summary>
    public Tensor Clamp(Tensor? min, Tensor? max)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_clamp_tensor(Handle, min is null ? default : min.Handle, max is null ? default : max.Handle, &r);
        GC.KeepAlive(min);
        GC.KeepAlive(max);
        Tensor result = Wrap(status, r, this);
        Tensor[] inputs = min is null ? [this, max!] : max is null ? [this, min] : [this, min, max];
        return Derivatives.Multi(result, inputs, "ClampBackward0", (g, x, _, needs) => ClampGrad(g, x, needs, min is not null, max is not null));
    }

    // x in [lo, hi] passes the gradient to x; below lo to lo, above hi to hi.
    private static Tensor?[] ClampGrad(Tensor g, Tensor[] x, bool[] needs, bool hasMin, bool hasMax)
    {
        Tensor v = x[0];
        Tensor? lo = hasMin ? x[1] : null, hi = hasMax ? x[hasMin ? 2 : 1] : null;
        Tensor inside = Torch.OnesLike(v, DType.Bool);
        if (lo is not null)
            inside = inside.LogicalAnd(v.Ge(lo));
        if (hi is not null)
            inside = inside.LogicalAnd(v.Le(hi));
        var grads = new Tensor?[x.Length];
        grads[0] = needs[0] ? g * inside : null;
        if (lo is not null && needs[1])
            grads[1] = g * v.Lt(lo);
        if (hi is not null && needs[x.Length - 1])
            grads[x.Length - 1] = g * v.Gt(hi).LogicalAnd(inside.LogicalNot());
        return grads;
    }

    /// <summary>Replaces NaN by <paramref name="nan"/> and the infinities by <paramref name="posinf"/> / <paramref name="neginf"/> (default: the dtype's largest / lowest finite values) (<c>torch.nan_to_num</c>).</summary>
    public Tensor NanToNum(double nan = 0, double? posinf = null, double? neginf = null)
    {
        double p = posinf ?? 0, n = neginf ?? 0;
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_nan_to_num(Handle, nan, posinf is null ? null : &p, neginf is null ? null : &n, &r), r, this);
        return Derivatives.Unary(result, this, Formulas.NanToNum);
    }

    /// <summary>nan_to_num in place; returns this tensor (<c>Tensor.nan_to_num_</c>).</summary>
    public Tensor NanToNum_(double nan = 0, double? posinf = null, double? neginf = null)
    {
        double p = posinf ?? 0, n = neginf ?? 0;
        if (!InplaceNeedsAutograd(this, null))
            return CheckSelf(NativeMethods.ember_nan_to_num_(Handle, nan, posinf is null ? null : &p, neginf is null ? null : &n));
        return Derivatives.UnaryInplace(this, Formulas.NanToNum, "NanToNum_", () =>
        {
            double p2 = posinf ?? 0, n2 = neginf ?? 0;
            Check(NativeMethods.ember_nan_to_num_(Handle, nan, posinf is null ? null : &p2, neginf is null ? null : &n2), this);
        });
    }

    // ---- binary ----

    /// <summary>The angle of (other, this), elementwise with broadcasting (<c>torch.atan2</c>).</summary>
    public Tensor Atan2(Tensor other)
    {
        ember_tensor r;
        return Derivatives.Multi(Wrap(NativeMethods.ember_atan2(Handle, other.Handle, &r), r, this, other), [this, other], "Atan2Backward0", Atan2Grad);
    }

    /// <summary>atan2 in place; returns this tensor (<c>Tensor.atan2_</c>).</summary>
    public Tensor Atan2_(Tensor other) => InplaceNeedsAutograd(this, other)
        ? Derivatives.MultiInplace(this, [other], "Atan2Backward0", "Atan2_", Atan2Grad, () => Check(NativeMethods.ember_atan2_(Handle, other.Handle), this, other))
        : CheckSelf(NativeMethods.ember_atan2_(Handle, other.Handle), other);

    private static Tensor?[] Atan2Grad(Tensor g, Tensor[] x, Tensor? y, bool[] needs)
    {
        Tensor a = x[0], b = x[1];
        Tensor d = a * a + b * b;
        return [needs[0] ? g * b / d : null, needs[1] ? -(g * a) / d : null];
    }

    /// <summary>The larger of two elements with broadcasting; NaN propagates (<c>torch.maximum</c>).</summary>
    public Tensor Maximum(Tensor other)
    {
        ember_tensor r;
        return Derivatives.Multi(Wrap(NativeMethods.ember_maximum(Handle, other.Handle, &r), r, this, other), [this, other], "MaximumBackward0",
            (g, x, _, needs) => ExtremeGrad(g, x, needs, max: true));
    }

    /// <summary>The smaller of two elements with broadcasting; NaN propagates (<c>torch.minimum</c>).</summary>
    public Tensor Minimum(Tensor other)
    {
        ember_tensor r;
        return Derivatives.Multi(Wrap(NativeMethods.ember_minimum(Handle, other.Handle, &r), r, this, other), [this, other], "MinimumBackward0",
            (g, x, _, needs) => ExtremeGrad(g, x, needs, max: false));
    }

    // The gradient goes to the chosen operand; ties split it in half.
    private static Tensor?[] ExtremeGrad(Tensor g, Tensor[] x, bool[] needs, bool max)
    {
        Tensor a = x[0], b = x[1];
        Tensor half = g * a.Eq(b) * 0.5;
        Tensor? ga = needs[0] ? g * (max ? a.Gt(b) : a.Lt(b)) + half : null;
        Tensor? gb = needs[1] ? g * (max ? a.Lt(b) : a.Gt(b)) + half : null;
        return [ga, gb];
    }

    /// <summary>The remainder of division with the sign of this tensor (C's fmod) (<c>torch.fmod</c>).</summary>
    public Tensor Fmod(Tensor other)
    {
        ember_tensor r;
        return Derivatives.Multi(Wrap(NativeMethods.ember_fmod(Handle, other.Handle, &r), r, this, other), [this, other], "FmodBackward1",
            (g, x, _, needs) => [needs[0] ? g : null, needs[1] ? -(g * (x[0] / x[1]).Trunc()) : null]);
    }

    /// <summary>fmod by a number (<c>torch.fmod</c>).</summary>
    public Tensor Fmod(double other) { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_fmod_scalar(Handle, Scalar.Of(other), &r), r, this), this, PassGrad("FmodBackward0")); }

    /// <summary>fmod by an integer (<c>torch.fmod</c>); integer tensors stay integer (division by zero is an error).</summary>
    public Tensor Fmod(long other) { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_fmod_scalar(Handle, Scalar.Of(other), &r), r, this), this, PassGrad("FmodBackward0")); }

    /// <summary>fmod in place; returns this tensor (<c>Tensor.fmod_</c>).</summary>
    public Tensor Fmod_(double other) => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, PassGrad("FmodBackward0"), "Fmod_", () => Check(NativeMethods.ember_fmod_scalar_(Handle, Scalar.Of(other)), this))
        : CheckSelf(NativeMethods.ember_fmod_scalar_(Handle, Scalar.Of(other)));

    /// <summary>fmod by an integer in place; integer tensors stay integer (<c>Tensor.fmod_</c>).</summary>
    public Tensor Fmod_(long other) => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, PassGrad("FmodBackward0"), "Fmod_", () => Check(NativeMethods.ember_fmod_scalar_(Handle, Scalar.Of(other)), this))
        : CheckSelf(NativeMethods.ember_fmod_scalar_(Handle, Scalar.Of(other)));

    /// <summary>The remainder of division with the sign of the divisor (Python's %) (<c>torch.remainder</c>).</summary>
    public Tensor Remainder(Tensor other)
    {
        ember_tensor r;
        return Derivatives.Multi(Wrap(NativeMethods.ember_remainder(Handle, other.Handle, &r), r, this, other), [this, other], "RemainderBackward1",
            (g, x, _, needs) => [needs[0] ? g : null, needs[1] ? -(g * (x[0] / x[1]).Floor()) : null]);
    }

    /// <summary>remainder by a number (<c>torch.remainder</c>).</summary>
    public Tensor Remainder(double other) { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_remainder_scalar(Handle, Scalar.Of(other), &r), r, this), this, PassGrad("RemainderBackward0")); }

    /// <summary>remainder by an integer (<c>torch.remainder</c>); integer tensors stay integer.</summary>
    public Tensor Remainder(long other) { ember_tensor r; return Derivatives.Unary(Wrap(NativeMethods.ember_remainder_scalar(Handle, Scalar.Of(other), &r), r, this), this, PassGrad("RemainderBackward0")); }

    /// <summary>remainder in place; returns this tensor (<c>Tensor.remainder_</c>).</summary>
    public Tensor Remainder_(double other) => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, PassGrad("RemainderBackward0"), "Remainder_", () => Check(NativeMethods.ember_remainder_scalar_(Handle, Scalar.Of(other)), this))
        : CheckSelf(NativeMethods.ember_remainder_scalar_(Handle, Scalar.Of(other)));

    /// <summary>remainder by an integer in place; integer tensors stay integer (<c>Tensor.remainder_</c>).</summary>
    public Tensor Remainder_(long other) => InplaceNeedsAutograd(this, null)
        ? Derivatives.UnaryInplace(this, PassGrad("RemainderBackward0"), "Remainder_", () => Check(NativeMethods.ember_remainder_scalar_(Handle, Scalar.Of(other)), this))
        : CheckSelf(NativeMethods.ember_remainder_scalar_(Handle, Scalar.Of(other)));

    /// <summary>Python's % (<c>torch.remainder</c>).</summary>
    public static Tensor operator %(Tensor a, Tensor b) => a.Remainder(b);

    /// <summary>Python's % with a number (<c>torch.remainder</c>).</summary>
    public static Tensor operator %(Tensor a, double b) => a.Remainder(b);

    /// <summary>Python's % with an integer (<c>torch.remainder</c>).</summary>
    public static Tensor operator %(Tensor a, long b) => a.Remainder(b);

    private static UnaryFormula PassGrad(string name) => new(name, false, false, (g, _, _) => g);

    // ---- ternary ----

    /// <summary>this + weight * (end - this) with tensors of one floating dtype, broadcast (<c>torch.lerp</c>).</summary>
    public Tensor Lerp(Tensor end, Tensor weight)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_lerp(Handle, end.Handle, weight.Handle, &r);
        GC.KeepAlive(weight);
        return Derivatives.Multi(Wrap(status, r, this, end), [this, end, weight], "LerpBackward1", LerpGrad);
    }

    /// <summary>this + weight * (end - this) with a number weight (<c>torch.lerp</c>).</summary>
    public Tensor Lerp(Tensor end, double weight)
    {
        ember_tensor r;
        return Derivatives.Multi(Wrap(NativeMethods.ember_lerp_scalar(Handle, end.Handle, weight, &r), r, this, end), [this, end], "LerpBackward0",
            (g, _, _, needs) => [needs[0] ? g * (1 - weight) : null, needs[1] ? g * weight : null]);
    }

    /// <summary>lerp in place; returns this tensor (<c>Tensor.lerp_</c>).</summary>
    public Tensor Lerp_(Tensor end, double weight) => InplaceNeedsAutograd(this, end)
        ? Derivatives.MultiInplace(this, [end], "LerpBackward0", "Lerp_", (g, _, _, needs) => [needs[0] ? g * (1 - weight) : null, needs[1] ? g * weight : null],
            () => Check(NativeMethods.ember_lerp_scalar_(Handle, end.Handle, weight), this, end))
        : CheckSelf(NativeMethods.ember_lerp_scalar_(Handle, end.Handle, weight), end);

    /// <summary>lerp with a tensor weight in place; returns this tensor (<c>Tensor.lerp_</c>).</summary>
    public Tensor Lerp_(Tensor end, Tensor weight)
    {
        if (!InplaceNeedsAutograd(this, end) && !weight._requiresGrad)
        {
            ember_status status = NativeMethods.ember_lerp_(Handle, end.Handle, weight.Handle);
            GC.KeepAlive(weight);
            return CheckSelf(status, end);
        }
        return Derivatives.MultiInplace(this, [end, weight], "LerpBackward1", "Lerp_", LerpGrad, () =>
        {
            ember_status status = NativeMethods.ember_lerp_(Handle, end.Handle, weight.Handle);
            GC.KeepAlive(weight);
            Check(status, this, end);
        });
    }

    private static Tensor?[] LerpGrad(Tensor g, Tensor[] x, Tensor? y, bool[] needs)
    {
        Tensor a = x[0], e = x[1], w = x[2];
        return [needs[0] ? g * (1.0 - w) : null, needs[1] ? g * w : null, needs[2] ? g * (e - a) : null];
    }

    /// <summary>this + value * t1 * t2, broadcast (<c>torch.addcmul</c>).</summary>
    public Tensor Addcmul(Tensor tensor1, Tensor tensor2, double value = 1)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_addcmul(Handle, tensor1.Handle, tensor2.Handle, AddcValue(value), &r);
        GC.KeepAlive(tensor2);
        return Derivatives.Multi(Wrap(status, r, this, tensor1), [this, tensor1, tensor2], "AddcmulBackward0", (g, x, _, needs) => AddcmulGrad(g, x, needs, value));
    }

    /// <summary>addcmul in place; returns this tensor (<c>Tensor.addcmul_</c>).</summary>
    public Tensor Addcmul_(Tensor tensor1, Tensor tensor2, double value = 1)
    {
        void Run()
        {
            ember_status status = NativeMethods.ember_addcmul_(Handle, tensor1.Handle, tensor2.Handle, AddcValue(value));
            GC.KeepAlive(tensor2);
            Check(status, this, tensor1);
        }
        if (!InplaceNeedsAutograd(this, tensor1) && !tensor2._requiresGrad)
        {
            Run();
            return this;
        }
        return Derivatives.MultiInplace(this, [tensor1, tensor2], "AddcmulBackward0", "Addcmul_", (g, x, _, needs) => AddcmulGrad(g, x, needs, value), Run);
    }

    private static Tensor?[] AddcmulGrad(Tensor g, Tensor[] x, bool[] needs, double value) =>
        [needs[0] ? g : null, needs[1] ? g * x[2] * value : null, needs[2] ? g * x[1] * value : null];

    /// <summary>this + value * t1 / t2, broadcast, floating only (<c>torch.addcdiv</c>).</summary>
    public Tensor Addcdiv(Tensor tensor1, Tensor tensor2, double value = 1)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_addcdiv(Handle, tensor1.Handle, tensor2.Handle, AddcValue(value), &r);
        GC.KeepAlive(tensor2);
        return Derivatives.Multi(Wrap(status, r, this, tensor1), [this, tensor1, tensor2], "AddcdivBackward0", (g, x, _, needs) => AddcdivGrad(g, x, needs, value));
    }

    /// <summary>addcdiv in place; returns this tensor (<c>Tensor.addcdiv_</c>).</summary>
    public Tensor Addcdiv_(Tensor tensor1, Tensor tensor2, double value = 1)
    {
        void Run()
        {
            ember_status status = NativeMethods.ember_addcdiv_(Handle, tensor1.Handle, tensor2.Handle, AddcValue(value));
            GC.KeepAlive(tensor2);
            Check(status, this, tensor1);
        }
        if (!InplaceNeedsAutograd(this, tensor1) && !tensor2._requiresGrad)
        {
            Run();
            return this;
        }
        return Derivatives.MultiInplace(this, [tensor1, tensor2], "AddcdivBackward0", "Addcdiv_", (g, x, _, needs) => AddcdivGrad(g, x, needs, value), Run);
    }

    private static Tensor?[] AddcdivGrad(Tensor g, Tensor[] x, bool[] needs, double value) =>
        [needs[0] ? g : null, needs[1] ? g * value / x[2] : null, needs[2] ? -(g * value * x[1]) / (x[2] * x[2]) : null];

    // A whole-number value stays an integer scalar, so integer tensors keep their dtype.
    private static ember_scalar AddcValue(double value) => value == Math.Floor(value) && Math.Abs(value) < 9e15 ? Scalar.Of((long)value) : Scalar.Of(value);

    /// <summary>This tensor where <paramref name="condition"/> is true, else <paramref name="other"/> (<c>Tensor.where</c>).</summary>
    public Tensor Where(Tensor condition, Tensor other) => Torch.Where(condition, this, other);

    /// <summary>Checks the status of an in-place op on this tensor and returns it.</summary>
    private Tensor CheckSelf(ember_status status)
    {
        Check(status, this);
        return this;
    }

    /// <summary>Checks the status of an in-place op on this tensor with an operand and returns this tensor.</summary>
    private Tensor CheckSelf(ember_status status, Tensor other)
    {
        Check(status, this, other);
        return this;
    }
}
