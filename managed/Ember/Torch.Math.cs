using Ember.Interop;

namespace Ember;

// The torch.* forms of the elementwise math, logic, reduction and random ops (each forwards to the
// Tensor method of the same name, or is a function only, like Where).
public static unsafe partial class Torch
{
    /// <summary>The absolute value, elementwise (<c>torch.abs</c>).</summary>
    public static Ember.Tensor Abs(Ember.Tensor input) => input.Abs();

    /// <summary>The sign: -1, 0 or 1 (0 for NaN), elementwise (<c>torch.sign</c>).</summary>
    public static Ember.Tensor Sign(Ember.Tensor input) => input.Sign();

    /// <summary>The square, elementwise (<c>torch.square</c>).</summary>
    public static Ember.Tensor Square(Ember.Tensor input) => input.Square();

    /// <summary>Rounds down (integers are returned unchanged), elementwise (<c>torch.floor</c>).</summary>
    public static Ember.Tensor Floor(Ember.Tensor input) => input.Floor();

    /// <summary>Rounds up, elementwise (<c>torch.ceil</c>).</summary>
    public static Ember.Tensor Ceil(Ember.Tensor input) => input.Ceil();

    /// <summary>Rounds toward zero, elementwise (<c>torch.trunc</c>).</summary>
    public static Ember.Tensor Trunc(Ember.Tensor input) => input.Trunc();

    /// <summary>Rounds half to even, elementwise (<c>torch.round</c>).</summary>
    public static Ember.Tensor Round(Ember.Tensor input) => input.Round();

    /// <summary>The fractional part x - trunc(x), elementwise (<c>torch.frac</c>).</summary>
    public static Ember.Tensor Frac(Ember.Tensor input) => input.Frac();

    /// <summary>1 / x, elementwise (<c>torch.reciprocal</c>).</summary>
    public static Ember.Tensor Reciprocal(Ember.Tensor input) => input.Reciprocal();

    /// <summary>2^x, elementwise (<c>torch.exp2</c>).</summary>
    public static Ember.Tensor Exp2(Ember.Tensor input) => input.Exp2();

    /// <summary>e^x - 1, accurate near 0, elementwise (<c>torch.expm1</c>).</summary>
    public static Ember.Tensor Expm1(Ember.Tensor input) => input.Expm1();

    /// <summary>The base-2 logarithm, elementwise (<c>torch.log2</c>).</summary>
    public static Ember.Tensor Log2(Ember.Tensor input) => input.Log2();

    /// <summary>The base-10 logarithm, elementwise (<c>torch.log10</c>).</summary>
    public static Ember.Tensor Log10(Ember.Tensor input) => input.Log10();

    /// <summary>log(1 + x), accurate near 0, elementwise (<c>torch.log1p</c>).</summary>
    public static Ember.Tensor Log1p(Ember.Tensor input) => input.Log1p();

    /// <summary>The square root, elementwise (<c>torch.sqrt</c>).</summary>
    public static Ember.Tensor Sqrt(Ember.Tensor input) => input.Sqrt();

    /// <summary>1 / sqrt(x), elementwise (<c>torch.rsqrt</c>).</summary>
    public static Ember.Tensor Rsqrt(Ember.Tensor input) => input.Rsqrt();

    /// <summary>The sine, elementwise (<c>torch.sin</c>).</summary>
    public static Ember.Tensor Sin(Ember.Tensor input) => input.Sin();

    /// <summary>The cosine, elementwise (<c>torch.cos</c>).</summary>
    public static Ember.Tensor Cos(Ember.Tensor input) => input.Cos();

    /// <summary>The tangent, elementwise (<c>torch.tan</c>).</summary>
    public static Ember.Tensor Tan(Ember.Tensor input) => input.Tan();

    /// <summary>The arcsine, elementwise (<c>torch.asin</c>).</summary>
    public static Ember.Tensor Asin(Ember.Tensor input) => input.Asin();

    /// <summary>The arccosine, elementwise (<c>torch.acos</c>).</summary>
    public static Ember.Tensor Acos(Ember.Tensor input) => input.Acos();

    /// <summary>The arctangent, elementwise (<c>torch.atan</c>).</summary>
    public static Ember.Tensor Atan(Ember.Tensor input) => input.Atan();

    /// <summary>The hyperbolic sine, elementwise (<c>torch.sinh</c>).</summary>
    public static Ember.Tensor Sinh(Ember.Tensor input) => input.Sinh();

    /// <summary>The hyperbolic cosine, elementwise (<c>torch.cosh</c>).</summary>
    public static Ember.Tensor Cosh(Ember.Tensor input) => input.Cosh();

    /// <summary>The hyperbolic tangent, elementwise (<c>torch.tanh</c>).</summary>
    public static Ember.Tensor Tanh(Ember.Tensor input) => input.Tanh();

    /// <summary>The error function, elementwise (<c>torch.erf</c>).</summary>
    public static Ember.Tensor Erf(Ember.Tensor input) => input.Erf();

    /// <summary>The complementary error function, elementwise (<c>torch.erfc</c>).</summary>
    public static Ember.Tensor Erfc(Ember.Tensor input) => input.Erfc();

    /// <summary>The inverse error function, elementwise (<c>torch.erfinv</c>).</summary>
    public static Ember.Tensor Erfinv(Ember.Tensor input) => input.Erfinv();

    /// <summary>The logistic sigmoid 1 / (1 + e^-x), elementwise (<c>torch.sigmoid</c>).</summary>
    public static Ember.Tensor Sigmoid(Ember.Tensor input) => input.Sigmoid();

    /// <summary>x == 0, as a bool tensor (<c>torch.logical_not</c>).</summary>
    public static Ember.Tensor LogicalNot(Ember.Tensor input) => input.LogicalNot();

    /// <summary>Bitwise NOT of an integer tensor (logical NOT of a bool tensor) (<c>torch.bitwise_not</c>).</summary>
    public static Ember.Tensor BitwiseNot(Ember.Tensor input) => input.BitwiseNot();

    /// <summary>True where the element is NaN (<c>torch.isnan</c>).</summary>
    public static Ember.Tensor IsNan(Ember.Tensor input) => input.IsNan();

    /// <summary>True where the element is +inf or -inf (<c>torch.isinf</c>).</summary>
    public static Ember.Tensor IsInf(Ember.Tensor input) => input.IsInf();

    /// <summary>True where the element is +inf (<c>torch.isposinf</c>).</summary>
    public static Ember.Tensor IsPosInf(Ember.Tensor input) => input.IsPosInf();

    /// <summary>True where the element is -inf (<c>torch.isneginf</c>).</summary>
    public static Ember.Tensor IsNegInf(Ember.Tensor input) => input.IsNegInf();

    /// <summary>True where the element is neither NaN nor infinite (<c>torch.isfinite</c>).</summary>
    public static Ember.Tensor IsFinite(Ember.Tensor input) => input.IsFinite();

    /// <summary><paramref name="input"/> where <paramref name="condition"/> (bool) is true, else <paramref name="other"/>; all three broadcast (<c>torch.where</c>).</summary>
    public static Ember.Tensor Where(Ember.Tensor condition, Ember.Tensor input, Ember.Tensor other)
    {
        ember_tensor r;
        ember_status status = NativeMethods.ember_where(condition.Handle, input.Handle, other.Handle, &r);
        GC.KeepAlive(condition);
        Ember.Tensor result = Ember.Tensor.Wrap(status, r, input, other);
        // The condition is saved with the node (x[2]): the caller may dispose it before backward.
        return Derivatives.Multi(result, [input, other], "WhereBackward0", (g, x, _, needs) =>
        {
            Ember.Tensor zero = ZerosLike(g);
            return [needs[0] ? Where(x[2], g, zero) : null, needs[1] ? Where(x[2], zero, g) : null];
        }, extra: [condition]);
    }

    /// <summary>Elementwise power (<c>torch.pow</c>).</summary>
    public static Ember.Tensor Pow(Ember.Tensor input, Ember.Tensor exponent) => input.Pow(exponent);

    /// <summary>Elementwise power to a number (<c>torch.pow</c>).</summary>
    public static Ember.Tensor Pow(Ember.Tensor input, double exponent) => input.Pow(exponent);

    /// <summary>A number raised to every element of <paramref name="exponent"/> (<c>torch.pow(self, exponent)</c> with a number self).</summary>
    public static Ember.Tensor Pow(double self, Ember.Tensor exponent)
    {
        ember_tensor r;
        Ember.Tensor result = Ember.Tensor.Wrap(NativeMethods.ember_pow_rscalar(Scalar.Of(self), exponent.Handle, &r), r, exponent);
        return exponent.RequiresGrad ? Derivatives.Unary(result, exponent, Formulas.PowRscalar(self)) : result;
    }

    /// <summary>Rounds half to even at <paramref name="decimals"/> decimal places (<c>torch.round</c>).</summary>
    public static Ember.Tensor Round(Ember.Tensor input, int decimals) => input.Round(decimals);

    /// <summary>Limits the elements to [min, max] (<c>torch.clamp</c>).</summary>
    public static Ember.Tensor Clamp(Ember.Tensor input, double? min = null, double? max = null) => input.Clamp(min, max);

    /// <summary>Limits the elements to tensor bounds (<c>torch.clamp</c>).</summary>
    public static Ember.Tensor Clamp(Ember.Tensor input, Ember.Tensor? min, Ember.Tensor? max) => input.Clamp(min, max);

    /// <summary>Replaces NaN and infinities (<c>torch.nan_to_num</c>).</summary>
    public static Ember.Tensor NanToNum(Ember.Tensor input, double nan = 0, double? posinf = null, double? neginf = null) => input.NanToNum(nan, posinf, neginf);

    /// <summary>The angle of (other, input) (<c>torch.atan2</c>).</summary>
    public static Ember.Tensor Atan2(Ember.Tensor input, Ember.Tensor other) => input.Atan2(other);

    /// <summary>The elementwise maximum (<c>torch.maximum</c>).</summary>
    public static Ember.Tensor Maximum(Ember.Tensor input, Ember.Tensor other) => input.Maximum(other);

    /// <summary>The elementwise minimum (<c>torch.minimum</c>).</summary>
    public static Ember.Tensor Minimum(Ember.Tensor input, Ember.Tensor other) => input.Minimum(other);

    /// <summary>C's fmod (<c>torch.fmod</c>).</summary>
    public static Ember.Tensor Fmod(Ember.Tensor input, Ember.Tensor other) => input.Fmod(other);

    /// <summary>Python's % (<c>torch.remainder</c>).</summary>
    public static Ember.Tensor Remainder(Ember.Tensor input, Ember.Tensor other) => input.Remainder(other);

    /// <summary>Linear interpolation (<c>torch.lerp</c>).</summary>
    public static Ember.Tensor Lerp(Ember.Tensor input, Ember.Tensor end, Ember.Tensor weight) => input.Lerp(end, weight);

    /// <summary>Linear interpolation with a number weight (<c>torch.lerp</c>).</summary>
    public static Ember.Tensor Lerp(Ember.Tensor input, Ember.Tensor end, double weight) => input.Lerp(end, weight);

    /// <summary>input + value * t1 * t2 (<c>torch.addcmul</c>).</summary>
    public static Ember.Tensor Addcmul(Ember.Tensor input, Ember.Tensor tensor1, Ember.Tensor tensor2, double value = 1) => input.Addcmul(tensor1, tensor2, value);

    /// <summary>input + value * t1 / t2 (<c>torch.addcdiv</c>).</summary>
    public static Ember.Tensor Addcdiv(Ember.Tensor input, Ember.Tensor tensor1, Ember.Tensor tensor2, double value = 1) => input.Addcdiv(tensor1, tensor2, value);

    /// <summary>Elementwise logical AND (<c>torch.logical_and</c>).</summary>
    public static Ember.Tensor LogicalAnd(Ember.Tensor input, Ember.Tensor other) => input.LogicalAnd(other);

    /// <summary>Elementwise logical OR (<c>torch.logical_or</c>).</summary>
    public static Ember.Tensor LogicalOr(Ember.Tensor input, Ember.Tensor other) => input.LogicalOr(other);

    /// <summary>Elementwise logical XOR (<c>torch.logical_xor</c>).</summary>
    public static Ember.Tensor LogicalXor(Ember.Tensor input, Ember.Tensor other) => input.LogicalXor(other);

    /// <summary>Elementwise closeness (<c>torch.isclose</c>).</summary>
    public static Ember.Tensor IsClose(Ember.Tensor input, Ember.Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        input.IsClose(other, rtol, atol, equalNan);

    /// <summary>True when every element is close (<c>torch.allclose</c>).</summary>
    public static bool AllClose(Ember.Tensor input, Ember.Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false) =>
        input.AllClose(other, rtol, atol, equalNan);

    /// <summary>True when both tensors have the same shape and elements (<c>torch.equal</c>).</summary>
    public static bool Equal(Ember.Tensor input, Ember.Tensor other) => input.Equal(other);
}
