using Ember.Interop;

namespace Ember;

// Sorting and search (torch.sort, argsort, topk, kthvalue, unique, searchsorted, bucketize, histc).
// Indices are int64; NaN sorts as the largest value. Sorted values are differentiable.
public unsafe partial class Tensor
{
    /// <summary>The elements sorted along <paramref name="dim"/> and their original indices (<c>torch.sort</c>); <paramref name="stable"/> keeps equal elements in order.</summary>
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false, bool stable = false)
    {
        ember_tensor v, i;
        Check(NativeMethods.ember_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, &v, &i), this);
        return SelectedValues(new Tensor(v), new Tensor(i), dim, keepdim: true, "SortBackward0");
    }

    /// <summary>The indices that sort the elements along <paramref name="dim"/> (<c>torch.argsort</c>).</summary>
    public Tensor Argsort(int dim = -1, bool descending = false, bool stable = false)
    {
        ember_tensor v, i;
        Check(NativeMethods.ember_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, &v, &i), this);
        new Tensor(v).Dispose();
        return new Tensor(i);
    }

    /// <summary>The <paramref name="k"/> largest (or smallest) elements along <paramref name="dim"/>, sorted, and their indices (<c>torch.topk</c>).</summary>
    public (Tensor Values, Tensor Indices) Topk(long k, int dim = -1, bool largest = true, bool sorted = true)
    {
        ember_tensor v, i;
        Check(NativeMethods.ember_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, &v, &i), this);
        return SelectedValues(new Tensor(v), new Tensor(i), dim, keepdim: true, "TopkBackward0");
    }

    /// <summary>The <paramref name="k"/>-th smallest element (k from 1) along <paramref name="dim"/> and its index (<c>torch.kthvalue</c>).</summary>
    public (Tensor Values, Tensor Indices) Kthvalue(long k, int dim = -1, bool keepdim = false)
    {
        ember_tensor v, i;
        Check(NativeMethods.ember_kthvalue(Handle, k, dim, keepdim ? 1 : 0, &v, &i), this);
        return SelectedValues(new Tensor(v), new Tensor(i), dim, keepdim, "KthvalueBackward0");
    }

    private (Tensor Values, Tensor Indices) SelectedValues(Tensor values, Tensor indices, int dim, bool keepdim, string name)
    {
        if (_requiresGrad)
            values = Derivatives.Selected(values, this, indices, dim, keepdim, name);
        return (values, indices);
    }

    /// <summary>
    /// The unique elements in ascending order (<c>torch.unique</c>, over all elements), with the index of each
    /// element's value among them (this tensor's shape) and how often each occurs.
    /// </summary>
    public (Tensor Values, Tensor Inverse, Tensor Counts) Unique()
    {
        ember_tensor v, inv, c;
        Check(NativeMethods.ember_unique(Handle, &v, &inv, &c), this);
        return (new Tensor(v), new Tensor(inv), new Tensor(c));
    }

    /// <summary>
    /// For each of <paramref name="values"/>, where it would be inserted in this sorted tensor's last dim to keep
    /// it sorted (<c>torch.searchsorted(self, values)</c>): the leftmost place, or the rightmost when <paramref name="right"/>.
    /// </summary>
    public Tensor Searchsorted(Tensor values, bool outInt32 = false, bool right = false)
    {
        ember_tensor r;
        return Wrap(NativeMethods.ember_searchsorted(Handle, values.Handle, outInt32 ? 1 : 0, right ? 1 : 0, &r), r, this, values);
    }

    /// <summary>The bucket of each element in the sorted 1-d <paramref name="boundaries"/> (<c>torch.bucketize</c>).</summary>
    public Tensor Bucketize(Tensor boundaries, bool outInt32 = false, bool right = false)
    {
        ember_tensor r;
        return Wrap(NativeMethods.ember_bucketize(Handle, boundaries.Handle, outInt32 ? 1 : 0, right ? 1 : 0, &r), r, this, boundaries);
    }

    /// <summary>A histogram of <paramref name="bins"/> equal bins over [min, max]; min == max uses the data's range (<c>torch.histc</c>).</summary>
    public Tensor Histc(long bins = 100, double min = 0, double max = 0)
    {
        ember_tensor r;
        return Wrap(NativeMethods.ember_histc(Handle, bins, min, max, &r), r, this);
    }
}
