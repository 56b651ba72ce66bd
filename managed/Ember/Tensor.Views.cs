using Ember.Interop;

namespace Ember;

// View ops: the result shares storage with this tensor (Reshape and Contiguous copy only when they must).
// Negative dims count from the end. Each result goes through Derivatives, which remembers the base and
// records the view when the input requires grad.
public unsafe partial class Tensor
{
    /// <summary>A view with new sizes over the same elements; one size may be -1 (<c>Tensor.view</c>).</summary>
    /// <exception cref="ShapeMismatchException">The strides do not allow the view, or the element counts differ.</exception>
    public Tensor View(params ReadOnlySpan<long> shape)
    {
        ember_tensor r;
        fixed (long* s = shape)
            return Derivatives.View(Wrap(NativeMethods.ember_view(Handle, s, shape.Length, &r), r, this), this);
    }

    /// <summary>Like <see cref="View"/>, but copies when the strides do not allow a view (<c>Tensor.reshape</c>).</summary>
    public Tensor Reshape(params ReadOnlySpan<long> shape)
    {
        ember_tensor r;
        fixed (long* s = shape)
            return Derivatives.Reshape(Wrap(NativeMethods.ember_reshape(Handle, s, shape.Length, &r), r, this), this);
    }

    /// <summary>Swaps two dims (<c>Tensor.transpose</c>).</summary>
    public Tensor Transpose(int dim0, int dim1) { ember_tensor r; return Derivatives.Transpose(Wrap(NativeMethods.ember_transpose(Handle, dim0, dim1, &r), r, this), this, dim0, dim1); }

    /// <summary>The transpose of a tensor of at most 2 dims (<c>Tensor.T</c>).</summary>
    /// <exception cref="ShapeMismatchException">The tensor has more than 2 dims.</exception>
    public Tensor T
    {
        get
        {
            int dim = Dim;
            if (dim > 2)
                throw new ShapeMismatchException($"Tensor.T expects a tensor with at most 2 dims, but got {dim} dims (shape {Shape}); use Permute or MT for batches");
            return dim < 2 ? Alias() : Transpose(0, 1);
        }
    }

    /// <summary>Transposes the last two dims (<c>Tensor.mT</c>).</summary>
    public Tensor MT => Transpose(-2, -1);

    /// <summary>Reorders the dims (<c>Tensor.permute</c>).</summary>
    public Tensor Permute(params ReadOnlySpan<int> dims)
    {
        ember_tensor r;
        fixed (int* d = dims)
            return Derivatives.Permute(Wrap(NativeMethods.ember_permute(Handle, d, dims.Length, &r), r, this), this, dims);
    }

    /// <summary>Broadcasts size-1 dims to larger sizes without copying; -1 keeps a size (<c>Tensor.expand</c>).</summary>
    public Tensor Expand(params ReadOnlySpan<long> shape)
    {
        ember_tensor r;
        fixed (long* s = shape)
            return Derivatives.Expand(Wrap(NativeMethods.ember_expand(Handle, s, shape.Length, &r), r, this), this);
    }

    /// <summary>Expands to the shape of <paramref name="other"/> (<c>Tensor.expand_as</c>).</summary>
    public Tensor ExpandAs(Tensor other) => Expand(other.Shape);

    /// <summary>Removes every dim of size 1 (<c>Tensor.squeeze()</c>).</summary>
    public Tensor Squeeze() { ember_tensor r; return Derivatives.Squeeze(Wrap(NativeMethods.ember_squeeze(Handle, &r), r, this), this); }

    /// <summary>Removes <paramref name="dim"/> when its size is 1, else returns an unchanged view (<c>Tensor.squeeze(dim)</c>).</summary>
    public Tensor Squeeze(int dim) { ember_tensor r; return Derivatives.Squeeze(Wrap(NativeMethods.ember_squeeze_dim(Handle, dim, &r), r, this), this, dim); }

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/> (<c>Tensor.unsqueeze</c>).</summary>
    public Tensor Unsqueeze(int dim) { ember_tensor r; return Derivatives.Unsqueeze(Wrap(NativeMethods.ember_unsqueeze(Handle, dim, &r), r, this), this, dim); }

    /// <summary>
    /// Elements <paramref name="start"/>, start+step, ... below <paramref name="end"/> along <paramref name="dim"/>,
    /// as Python's <c>t[start:end:step]</c>; start and end are clamped, and null means the whole range.
    /// </summary>
    public Tensor Slice(int dim, long? start = null, long? end = null, long step = 1)
    {
        ember_tensor r;
        long from = start ?? 0, to = end ?? long.MaxValue;
        return Derivatives.Slice(Wrap(NativeMethods.ember_slice(Handle, dim, from, to, step, &r), r, this), this, dim, from, to, step);
    }

    /// <summary>Elements <paramref name="start"/> to start+length-1 along <paramref name="dim"/> (<c>Tensor.narrow</c>).</summary>
    public Tensor Narrow(int dim, long start, long length) => Slice(dim, start, start + length);

    /// <summary>Removes <paramref name="dim"/>, keeping the given index along it (<c>Tensor.select</c>, <c>t[i]</c> for dim 0).</summary>
    public Tensor Select(int dim, long index) { ember_tensor r; return Derivatives.Select(Wrap(NativeMethods.ember_select(Handle, dim, index, &r), r, this), this, dim, index); }

    /// <summary>This tensor when it is already contiguous (as a new reference), else a contiguous copy (<c>Tensor.contiguous</c>).</summary>
    public Tensor Contiguous() { ember_tensor r; return Derivatives.Contiguous(Wrap(NativeMethods.ember_contiguous(Handle, &r), r, this), this); }

    /// <summary>A view of all elements as one dim (<c>Tensor.flatten()</c>); copies when the layout needs it.</summary>
    public Tensor Flatten() => Reshape(-1);

    /// <summary>A new tensor object viewing the same elements with the same layout (<c>Tensor.view_as(self)</c>).</summary>
    public Tensor Alias() => View(Shape);
}
