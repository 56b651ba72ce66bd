using Ember.Interop;

namespace Ember;

// Comparisons and arg reductions (torch.eq ... torch.ge, argmax, max(dim)). Comparisons return bool
// tensors and are methods only: C#'s == on tensors stays reference equality.
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
