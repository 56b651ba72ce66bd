using Ember.Interop;

namespace Ember;

// Comparisons, logic, bitwise ops and arg reductions (torch.eq ... torch.ge, logical_*, bitwise_*,
// isclose, argmax, max(dim)). Comparisons return bool tensors and are methods only: C#'s == on
// tensors stays reference equality.
public unsafe partial class Tensor
{
    /// <summary>Elementwise equality with broadcasting, as a bool tensor (<c>torch.eq</c>).</summary>
    public Tensor Eq(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_eq(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise inequality with broadcasting, as a bool tensor (<c>torch.ne</c>).</summary>
    public Tensor Ne(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_ne(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise <c>this &lt; other</c> with broadcasting, as a bool tensor (<c>torch.lt</c>).</summary>
    public Tensor Lt(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_lt(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise <c>this &lt;= other</c> with broadcasting, as a bool tensor (<c>torch.le</c>).</summary>
    public Tensor Le(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_le(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise <c>this &gt; other</c> with broadcasting, as a bool tensor (<c>torch.gt</c>).</summary>
    public Tensor Gt(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_gt(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise <c>this &gt;= other</c> with broadcasting, as a bool tensor (<c>torch.ge</c>).</summary>
    public Tensor Ge(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_ge(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise equality with a number (<c>torch.eq</c>).</summary>
    public Tensor Eq(double other) { ember_tensor r; return Wrap(NativeMethods.ember_eq_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise equality with an integer (<c>torch.eq</c>).</summary>
    public Tensor Eq(long other) { ember_tensor r; return Wrap(NativeMethods.ember_eq_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise inequality with a number (<c>torch.ne</c>).</summary>
    public Tensor Ne(double other) { ember_tensor r; return Wrap(NativeMethods.ember_ne_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise inequality with an integer (<c>torch.ne</c>).</summary>
    public Tensor Ne(long other) { ember_tensor r; return Wrap(NativeMethods.ember_ne_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &lt; other</c> for a number (<c>torch.lt</c>).</summary>
    public Tensor Lt(double other) { ember_tensor r; return Wrap(NativeMethods.ember_lt_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &lt; other</c> for an integer (<c>torch.lt</c>).</summary>
    public Tensor Lt(long other) { ember_tensor r; return Wrap(NativeMethods.ember_lt_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &lt;= other</c> for a number (<c>torch.le</c>).</summary>
    public Tensor Le(double other) { ember_tensor r; return Wrap(NativeMethods.ember_le_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &lt;= other</c> for an integer (<c>torch.le</c>).</summary>
    public Tensor Le(long other) { ember_tensor r; return Wrap(NativeMethods.ember_le_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &gt; other</c> for a number (<c>torch.gt</c>).</summary>
    public Tensor Gt(double other) { ember_tensor r; return Wrap(NativeMethods.ember_gt_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &gt; other</c> for an integer (<c>torch.gt</c>).</summary>
    public Tensor Gt(long other) { ember_tensor r; return Wrap(NativeMethods.ember_gt_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &gt;= other</c> for a number (<c>torch.ge</c>).</summary>
    public Tensor Ge(double other) { ember_tensor r; return Wrap(NativeMethods.ember_ge_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Elementwise <c>this &gt;= other</c> for an integer (<c>torch.ge</c>).</summary>
    public Tensor Ge(long other) { ember_tensor r; return Wrap(NativeMethods.ember_ge_scalar(Handle, Scalar.Of(other), &r), r, this); }

    // ---- logic: bool results, any dtypes (nonzero is true) ----

    /// <summary>Elementwise logical AND with broadcasting (<c>torch.logical_and</c>).</summary>
    public Tensor LogicalAnd(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_logical_and(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise logical OR with broadcasting (<c>torch.logical_or</c>).</summary>
    public Tensor LogicalOr(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_logical_or(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise logical XOR with broadcasting (<c>torch.logical_xor</c>).</summary>
    public Tensor LogicalXor(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_logical_xor(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Logical AND in place (the bool result cast to this tensor's dtype); returns this tensor (<c>Tensor.logical_and_</c>).</summary>
    public Tensor LogicalAnd_(Tensor other) { Check(NativeMethods.ember_logical_and_(Handle, other.Handle), this, other); return this; }

    /// <summary>Logical OR in place; returns this tensor (<c>Tensor.logical_or_</c>).</summary>
    public Tensor LogicalOr_(Tensor other) { Check(NativeMethods.ember_logical_or_(Handle, other.Handle), this, other); return this; }

    /// <summary>Logical XOR in place; returns this tensor (<c>Tensor.logical_xor_</c>).</summary>
    public Tensor LogicalXor_(Tensor other) { Check(NativeMethods.ember_logical_xor_(Handle, other.Handle), this, other); return this; }

    // ---- bitwise: integer and bool tensors ----

    /// <summary>Elementwise bitwise AND (<c>torch.bitwise_and</c>, the <c>&amp;</c> operator).</summary>
    public Tensor BitwiseAnd(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_and(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise bitwise OR (<c>torch.bitwise_or</c>, the <c>|</c> operator).</summary>
    public Tensor BitwiseOr(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_or(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Elementwise bitwise XOR (<c>torch.bitwise_xor</c>, the <c>^</c> operator).</summary>
    public Tensor BitwiseXor(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_xor(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Bitwise AND with an integer (<c>torch.bitwise_and</c>).</summary>
    public Tensor BitwiseAnd(long other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_and_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Bitwise OR with an integer (<c>torch.bitwise_or</c>).</summary>
    public Tensor BitwiseOr(long other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_or_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Bitwise XOR with an integer (<c>torch.bitwise_xor</c>).</summary>
    public Tensor BitwiseXor(long other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_xor_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Shifts left; shifts below 0 or beyond the bit width give 0 (<c>torch.bitwise_left_shift</c>, <c>&lt;&lt;</c>).</summary>
    public Tensor BitwiseLeftShift(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_left_shift(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Shifts right, arithmetically for signed types (<c>torch.bitwise_right_shift</c>, <c>&gt;&gt;</c>).</summary>
    public Tensor BitwiseRightShift(Tensor other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_right_shift(Handle, other.Handle, &r), r, this, other); }

    /// <summary>Shifts left by an integer (<c>torch.bitwise_left_shift</c>).</summary>
    public Tensor BitwiseLeftShift(long other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_left_shift_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Shifts right by an integer (<c>torch.bitwise_right_shift</c>).</summary>
    public Tensor BitwiseRightShift(long other) { ember_tensor r; return Wrap(NativeMethods.ember_bitwise_right_shift_scalar(Handle, Scalar.Of(other), &r), r, this); }

    /// <summary>Bitwise AND in place; returns this tensor (<c>Tensor.bitwise_and_</c>).</summary>
    public Tensor BitwiseAnd_(Tensor other) { Check(NativeMethods.ember_bitwise_and_(Handle, other.Handle), this, other); return this; }

    /// <summary>Bitwise OR in place; returns this tensor (<c>Tensor.bitwise_or_</c>).</summary>
    public Tensor BitwiseOr_(Tensor other) { Check(NativeMethods.ember_bitwise_or_(Handle, other.Handle), this, other); return this; }

    /// <summary>Bitwise XOR in place; returns this tensor (<c>Tensor.bitwise_xor_</c>).</summary>
    public Tensor BitwiseXor_(Tensor other) { Check(NativeMethods.ember_bitwise_xor_(Handle, other.Handle), this, other); return this; }

    /// <summary>Left shift in place; returns this tensor (<c>Tensor.bitwise_left_shift_</c>).</summary>
    public Tensor BitwiseLeftShift_(Tensor other) { Check(NativeMethods.ember_bitwise_left_shift_(Handle, other.Handle), this, other); return this; }

    /// <summary>Right shift in place; returns this tensor (<c>Tensor.bitwise_right_shift_</c>).</summary>
    public Tensor BitwiseRightShift_(Tensor other) { Check(NativeMethods.ember_bitwise_right_shift_(Handle, other.Handle), this, other); return this; }

    /// <summary>Bitwise AND (<c>torch.bitwise_and</c>).</summary>
    public static Tensor operator &(Tensor a, Tensor b) => a.BitwiseAnd(b);

    /// <summary>Bitwise OR (<c>torch.bitwise_or</c>).</summary>
    public static Tensor operator |(Tensor a, Tensor b) => a.BitwiseOr(b);

    /// <summary>Bitwise XOR (<c>torch.bitwise_xor</c>).</summary>
    public static Tensor operator ^(Tensor a, Tensor b) => a.BitwiseXor(b);

    /// <summary>Bitwise AND with an integer (<c>torch.bitwise_and</c>).</summary>
    public static Tensor operator &(Tensor a, long b) => a.BitwiseAnd(b);

    /// <summary>Bitwise OR with an integer (<c>torch.bitwise_or</c>).</summary>
    public static Tensor operator |(Tensor a, long b) => a.BitwiseOr(b);

    /// <summary>Bitwise XOR with an integer (<c>torch.bitwise_xor</c>).</summary>
    public static Tensor operator ^(Tensor a, long b) => a.BitwiseXor(b);

    /// <summary>Bitwise NOT (<c>torch.bitwise_not</c>).</summary>
    public static Tensor operator ~(Tensor a) => a.BitwiseNot();

    /// <summary>Left shift (<c>torch.bitwise_left_shift</c>).</summary>
    public static Tensor operator <<(Tensor a, Tensor b) => a.BitwiseLeftShift(b);

    /// <summary>Right shift (<c>torch.bitwise_right_shift</c>).</summary>
    public static Tensor operator >>(Tensor a, Tensor b) => a.BitwiseRightShift(b);

    /// <summary>Left shift by an integer (<c>torch.bitwise_left_shift</c>).</summary>
    public static Tensor operator <<(Tensor a, long b) => a.BitwiseLeftShift(b);

    /// <summary>Right shift by an integer (<c>torch.bitwise_right_shift</c>).</summary>
    public static Tensor operator >>(Tensor a, long b) => a.BitwiseRightShift(b);

    // ---- closeness and equality ----

    /// <summary>|this - other| &lt;= atol + rtol |other| elementwise, as a bool tensor; both must share a dtype (<c>torch.isclose</c>).</summary>
    public Tensor IsClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        ember_tensor r;
        return Wrap(NativeMethods.ember_isclose(Handle, other.Handle, rtol, atol, equalNan ? 1 : 0, &r), r, this, other);
    }

    /// <summary>True when <see cref="IsClose"/> holds for every element (<c>torch.allclose</c>).</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8, bool equalNan = false)
    {
        int result;
        Check(NativeMethods.ember_allclose(Handle, other.Handle, rtol, atol, equalNan ? 1 : 0, &result), this, other);
        return result != 0;
    }

    /// <summary>True when both tensors have the same shape and the same elements (<c>torch.equal</c>).</summary>
    public bool Equal(Tensor other)
    {
        int result;
        Check(NativeMethods.ember_equal(Handle, other.Handle, &result), this, other);
        return result != 0;
    }

    /// <summary>The int64 index of the first maximum along <paramref name="dim"/> (<c>torch.argmax(dim, keepdim)</c>).</summary>
    public Tensor ArgMax(int dim, bool keepdim = false) { ember_tensor r; return Wrap(NativeMethods.ember_argmax(Handle, dim, keepdim ? 1 : 0, &r), r, this); }

    /// <summary>The int64 index of the first maximum of the flattened tensor, as a 0-d tensor (<c>torch.argmax()</c>).</summary>
    public Tensor ArgMax()
    {
        using Tensor flat = Reshape(-1);
        return flat.ArgMax(0);
    }

    /// <summary>
    /// The maxima along <paramref name="dim"/> and the int64 index of the first maximum (<c>torch.max(dim, keepdim)</c>).
    /// The values are differentiable: their gradient goes to the positions of the maxima.
    /// </summary>
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepdim = false)
    {
        ember_tensor values, indices;
        ember_status status = NativeMethods.ember_max_dim(Handle, dim, keepdim ? 1 : 0, &values, &indices);
        GC.KeepAlive(this);
        Errors.Check(status);
        var v = new Tensor(values);
        var i = new Tensor(indices);
        return (Functional.RecordMaxDim(v, i, this, dim, keepdim), i);
    }
}
