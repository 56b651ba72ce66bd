using Ember.Interop;

namespace Ember;

// Arithmetic, unary math, reductions and matmul. Binary ops broadcast and promote dtypes as PyTorch does.
// Every op hands its result to Derivatives (Autograd/), which records the op only when an input requires grad.
public unsafe partial class Tensor
{
    // ---- tensor (op) tensor ----

    /// <summary>Elementwise sum with broadcasting (<c>a + b</c>).</summary>
    public static Tensor operator +(Tensor a, Tensor b) { ember_tensor r; return Derivatives.Add(Wrap(NativeMethods.ember_add(a.Handle, b.Handle, &r), r, a, b), a, b); }

    /// <summary>Elementwise difference with broadcasting (<c>a - b</c>).</summary>
    public static Tensor operator -(Tensor a, Tensor b) { ember_tensor r; return Derivatives.Sub(Wrap(NativeMethods.ember_sub(a.Handle, b.Handle, &r), r, a, b), a, b); }

    /// <summary>Elementwise product with broadcasting (<c>a * b</c>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) { ember_tensor r; return Derivatives.Mul(Wrap(NativeMethods.ember_mul(a.Handle, b.Handle, &r), r, a, b), a, b); }

    /// <summary>Elementwise true division with broadcasting (<c>a / b</c>); integer inputs give float32.</summary>
    public static Tensor operator /(Tensor a, Tensor b) { ember_tensor r; return Derivatives.Div(Wrap(NativeMethods.ember_div(a.Handle, b.Handle, &r), r, a, b), a, b); }

    /// <summary>Elementwise negation (<c>-a</c>).</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    // ---- tensor (op) scalar: integer scalars keep integer dtypes, floating scalars promote to float32 ----

    /// <summary>Adds an integer scalar.</summary>
    public static Tensor operator +(Tensor a, long b) { ember_tensor r; return Derivatives.AddScalar(Wrap(NativeMethods.ember_add_scalar(a.Handle, Scalar.Of(b), &r), r, a), a); }

    /// <summary>Adds a floating scalar.</summary>
    public static Tensor operator +(Tensor a, double b) { ember_tensor r; return Derivatives.AddScalar(Wrap(NativeMethods.ember_add_scalar(a.Handle, Scalar.Of(b), &r), r, a), a); }

    /// <summary>Adds an integer scalar.</summary>
    public static Tensor operator +(long a, Tensor b) => b + a;

    /// <summary>Adds a floating scalar.</summary>
    public static Tensor operator +(double a, Tensor b) => b + a;

    /// <summary>Subtracts an integer scalar.</summary>
    public static Tensor operator -(Tensor a, long b) { ember_tensor r; return Derivatives.SubScalar(Wrap(NativeMethods.ember_sub_scalar(a.Handle, Scalar.Of(b), &r), r, a), a); }

    /// <summary>Subtracts a floating scalar.</summary>
    public static Tensor operator -(Tensor a, double b) { ember_tensor r; return Derivatives.SubScalar(Wrap(NativeMethods.ember_sub_scalar(a.Handle, Scalar.Of(b), &r), r, a), a); }

    /// <summary>Subtracts the tensor from an integer scalar.</summary>
    public static Tensor operator -(long a, Tensor b) { ember_tensor r; return Derivatives.RsubScalar(Wrap(NativeMethods.ember_rsub_scalar(b.Handle, Scalar.Of(a), &r), r, b), b); }

    /// <summary>Subtracts the tensor from a floating scalar.</summary>
    public static Tensor operator -(double a, Tensor b) { ember_tensor r; return Derivatives.RsubScalar(Wrap(NativeMethods.ember_rsub_scalar(b.Handle, Scalar.Of(a), &r), r, b), b); }

    /// <summary>Multiplies by an integer scalar.</summary>
    public static Tensor operator *(Tensor a, long b) { ember_tensor r; return Derivatives.MulScalar(Wrap(NativeMethods.ember_mul_scalar(a.Handle, Scalar.Of(b), &r), r, a), a, b); }

    /// <summary>Multiplies by a floating scalar.</summary>
    public static Tensor operator *(Tensor a, double b) { ember_tensor r; return Derivatives.MulScalar(Wrap(NativeMethods.ember_mul_scalar(a.Handle, Scalar.Of(b), &r), r, a), a, b); }

    /// <summary>Multiplies by an integer scalar.</summary>
    public static Tensor operator *(long a, Tensor b) => b * a;

    /// <summary>Multiplies by a floating scalar.</summary>
    public static Tensor operator *(double a, Tensor b) => b * a;

    /// <summary>Divides by an integer scalar (true division).</summary>
    public static Tensor operator /(Tensor a, long b) { ember_tensor r; return Derivatives.DivScalar(Wrap(NativeMethods.ember_div_scalar(a.Handle, Scalar.Of(b), &r), r, a), a, b); }

    /// <summary>Divides by a floating scalar.</summary>
    public static Tensor operator /(Tensor a, double b) { ember_tensor r; return Derivatives.DivScalar(Wrap(NativeMethods.ember_div_scalar(a.Handle, Scalar.Of(b), &r), r, a), a, b); }

    /// <summary>Divides an integer scalar by the tensor (true division).</summary>
    public static Tensor operator /(long a, Tensor b) { ember_tensor r; return Derivatives.RdivScalar(Wrap(NativeMethods.ember_rdiv_scalar(b.Handle, Scalar.Of(a), &r), r, b), b, a); }

    /// <summary>Divides a floating scalar by the tensor.</summary>
    public static Tensor operator /(double a, Tensor b) { ember_tensor r; return Derivatives.RdivScalar(Wrap(NativeMethods.ember_rdiv_scalar(b.Handle, Scalar.Of(a), &r), r, b), b, a); }

    // ---- named forms (torch.add / Tensor.add ...) ----

    /// <summary>Elementwise sum (<c>Tensor.add</c>).</summary>
    public Tensor Add(Tensor other) => this + other;

    /// <summary>Adds a scalar (<c>Tensor.add</c>).</summary>
    public Tensor Add(double other) => this + other;

    /// <summary>Elementwise difference (<c>Tensor.sub</c>).</summary>
    public Tensor Sub(Tensor other) => this - other;

    /// <summary>Subtracts a scalar (<c>Tensor.sub</c>).</summary>
    public Tensor Sub(double other) => this - other;

    /// <summary>Elementwise product (<c>Tensor.mul</c>).</summary>
    public Tensor Mul(Tensor other) => this * other;

    /// <summary>Multiplies by a scalar (<c>Tensor.mul</c>).</summary>
    public Tensor Mul(double other) => this * other;

    /// <summary>Elementwise true division (<c>Tensor.div</c>).</summary>
    public Tensor Div(Tensor other) => this / other;

    /// <summary>Divides by a scalar (<c>Tensor.div</c>).</summary>
    public Tensor Div(double other) => this / other;

    // ---- in place: the result must fit this tensor's shape and dtype ----

    /// <summary>Adds <paramref name="other"/> into this tensor (<c>Tensor.add_</c>); returns this tensor.</summary>
    public Tensor Add_(Tensor other)
    {
        if (InplaceNeedsAutograd(this, other))
            return Derivatives.Inplace(this, other, InplaceOp.Add);
        Check(NativeMethods.ember_add_(Handle, other.Handle), this, other);
        return this;
    }

    /// <summary>Subtracts <paramref name="other"/> from this tensor (<c>Tensor.sub_</c>); returns this tensor.</summary>
    public Tensor Sub_(Tensor other)
    {
        if (InplaceNeedsAutograd(this, other))
            return Derivatives.Inplace(this, other, InplaceOp.Sub);
        Check(NativeMethods.ember_sub_(Handle, other.Handle), this, other);
        return this;
    }

    /// <summary>Multiplies this tensor by <paramref name="other"/> (<c>Tensor.mul_</c>); returns this tensor.</summary>
    public Tensor Mul_(Tensor other)
    {
        if (InplaceNeedsAutograd(this, other))
            return Derivatives.Inplace(this, other, InplaceOp.Mul);
        Check(NativeMethods.ember_mul_(Handle, other.Handle), this, other);
        return this;
    }

    /// <summary>Divides this tensor by <paramref name="other"/> (<c>Tensor.div_</c>); returns this tensor.</summary>
    public Tensor Div_(Tensor other)
    {
        if (InplaceNeedsAutograd(this, other))
            return Derivatives.Inplace(this, other, InplaceOp.Div);
        Check(NativeMethods.ember_div_(Handle, other.Handle), this, other);
        return this;
    }

    /// <summary>Adds an integer scalar in place; returns this tensor.</summary>
    public Tensor Add_(long other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Add);
        Check(NativeMethods.ember_add_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Adds a floating scalar in place; returns this tensor.</summary>
    public Tensor Add_(double other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Add);
        Check(NativeMethods.ember_add_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Subtracts an integer scalar in place; returns this tensor.</summary>
    public Tensor Sub_(long other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Sub);
        Check(NativeMethods.ember_sub_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Subtracts a floating scalar in place; returns this tensor.</summary>
    public Tensor Sub_(double other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Sub);
        Check(NativeMethods.ember_sub_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Multiplies by an integer scalar in place; returns this tensor.</summary>
    public Tensor Mul_(long other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Mul);
        Check(NativeMethods.ember_mul_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Multiplies by a floating scalar in place; returns this tensor.</summary>
    public Tensor Mul_(double other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Mul);
        Check(NativeMethods.ember_mul_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Divides by an integer scalar in place; returns this tensor.</summary>
    public Tensor Div_(long other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Div);
        Check(NativeMethods.ember_div_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    /// <summary>Divides by a floating scalar in place; returns this tensor.</summary>
    public Tensor Div_(double other)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Inplace(this, Scalar.Of(other), InplaceOp.Div);
        Check(NativeMethods.ember_div_scalar_(Handle, Scalar.Of(other)), this);
        return this;
    }

    // ---- unary ----

    /// <summary>Elementwise negation (<c>Tensor.neg</c>).</summary>
    public Tensor Neg() { ember_tensor r; return Derivatives.Neg(Wrap(NativeMethods.ember_neg(Handle, &r), r, this), this); }

    /// <summary>Elementwise e^x (<c>Tensor.exp</c>).</summary>
    public Tensor Exp() { ember_tensor r; return Derivatives.Exp(Wrap(NativeMethods.ember_exp(Handle, &r), r, this), this); }

    /// <summary>Elementwise natural logarithm (<c>Tensor.log</c>).</summary>
    public Tensor Log() { ember_tensor r; return Derivatives.Log(Wrap(NativeMethods.ember_log(Handle, &r), r, this), this); }

    /// <summary>Negates in place (<c>Tensor.neg_</c>); returns this tensor.</summary>
    public Tensor Neg_()
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Neg_(this);
        Check(NativeMethods.ember_neg_(Handle), this);
        return this;
    }

    /// <summary>e^x in place (<c>Tensor.exp_</c>); returns this tensor.</summary>
    public Tensor Exp_()
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Exp_(this);
        Check(NativeMethods.ember_exp_(Handle), this);
        return this;
    }

    /// <summary>Natural logarithm in place (<c>Tensor.log_</c>); returns this tensor.</summary>
    public Tensor Log_()
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Log_(this);
        Check(NativeMethods.ember_log_(Handle), this);
        return this;
    }

    // ---- reductions ----

    /// <summary>Sum of all elements as a 0-d tensor (<c>Tensor.sum()</c>); integer and bool inputs sum to int64.</summary>
    public Tensor Sum() { ember_tensor r; return Derivatives.Sum(Wrap(NativeMethods.ember_sum(Handle, null, 0, 0, &r), r, this), this, [], false); }

    /// <summary>Sum over one dim (<c>Tensor.sum(dim, keepdim)</c>).</summary>
    public Tensor Sum(int dim, bool keepdim = false) => Sum([dim], keepdim);

    /// <summary>Sum over the given dims (<c>Tensor.sum(dims, keepdim)</c>); negative dims count from the end.</summary>
    public Tensor Sum(ReadOnlySpan<int> dims, bool keepdim = false)
    {
        ember_tensor r;
        fixed (int* d = dims)
            return Derivatives.Sum(Wrap(NativeMethods.ember_sum(Handle, d, dims.Length, keepdim ? 1 : 0, &r), r, this), this, dims, keepdim);
    }

    /// <summary>Mean of all elements as a 0-d tensor (<c>Tensor.mean()</c>); floating dtypes only.</summary>
    public Tensor Mean() { ember_tensor r; return Derivatives.Mean(Wrap(NativeMethods.ember_mean(Handle, null, 0, 0, &r), r, this), this, [], false); }

    /// <summary>Mean over one dim (<c>Tensor.mean(dim, keepdim)</c>).</summary>
    public Tensor Mean(int dim, bool keepdim = false) => Mean([dim], keepdim);

    /// <summary>Mean over the given dims (<c>Tensor.mean(dims, keepdim)</c>).</summary>
    public Tensor Mean(ReadOnlySpan<int> dims, bool keepdim = false)
    {
        ember_tensor r;
        fixed (int* d = dims)
            return Derivatives.Mean(Wrap(NativeMethods.ember_mean(Handle, d, dims.Length, keepdim ? 1 : 0, &r), r, this), this, dims, keepdim);
    }

    // ---- linear algebra ----

    /// <summary>Matrix product with batch broadcasting, 1-d and 2-d operands as <c>torch.matmul</c>.</summary>
    public Tensor MatMul(Tensor other) { ember_tensor r; return Derivatives.MatMul(Wrap(NativeMethods.ember_matmul(Handle, other.Handle, &r), r, this, other), this, other); }

    /// <summary>
    /// An in-place op goes through autograd (<see cref="Derivatives"/>) when it touches anything that
    /// requires grad: this tensor, the operand, or the base this tensor is a view of. An inference tensor
    /// outside inference mode is refused here (<see cref="Inference.CheckInplace"/>).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static bool InplaceNeedsAutograd(Tensor self, Tensor? other) =>
        (self._inference && Inference.CheckInplace(self)) || self._requiresGrad || (other is not null && other._requiresGrad) || (self._viewBase is { _requiresGrad: true });
}
