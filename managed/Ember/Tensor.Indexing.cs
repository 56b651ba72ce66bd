using Ember.Interop;

namespace Ember;

// Indexing: the C# indexer (basic indexing as views, advanced indexing through ember_index) and the
// indexing ops (index_select, gather, scatter, masked_*, ...). Index tensors are int64 unless noted.
public unsafe partial class Tensor
{
    // ---- the indexer ----

    /// <summary>
    /// Indexes like PyTorch's <c>x[...]</c>: ints select (removing the dim), ranges and
    /// <see cref="TensorIndex.Slice"/> slice, <see cref="TensorIndex.Ellipsis"/> stands for the remaining dims,
    /// <see cref="TensorIndex.None"/> adds a dim, and integer tensors or boolean masks index by value (advanced
    /// indexing, a copy). Without tensor entries the result is a view. Setting assigns (broadcasting the value):
    /// <c>x[.., 1..3] = y</c>, <c>x[mask] = 0</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Too many indices, two ellipses, or an index out of range.</exception>
    [System.Runtime.CompilerServices.IndexerName("Indexer")] // "Item" is taken by Item<T>()
    public Tensor this[params TensorIndex[] indices]
    {
        get
        {
            (Tensor basic, List<Tensor?>? advanced) = ApplyBasic(indices);
            if (advanced is null)
                return basic;
            using (basic)
                return basic.Index(advanced.ToArray());
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            (Tensor basic, List<Tensor?>? advanced) = ApplyBasic(indices);
            using (basic)
            {
                Tensor v = value.DType == DType ? value : value.To(DType);
                try
                {
                    if (advanced is null)
                        basic.Copy_(v);
                    else
                        basic.IndexPut_(advanced.ToArray(), v);
                }
                finally
                {
                    if (!ReferenceEquals(v, value))
                        v.Dispose();
                }
            }
        }
    }

    /// <summary>A 0-d tensor holding <paramref name="value"/> (float32, as PyTorch's default dtype); lets <c>x[mask] = 1.5</c> compile.</summary>
    public static implicit operator Tensor(double value) => Torch.Tensor((float)value);

    /// <summary>A 0-d int64 tensor holding <paramref name="value"/>; lets <c>x[mask] = 0</c> compile (the indexer casts it to the indexed dtype).</summary>
    public static implicit operator Tensor(long value) => Torch.Tensor(value);

    /// <summary>A 0-d bool tensor holding <paramref name="value"/>.</summary>
    public static implicit operator Tensor(bool value) => Torch.Tensor(value);

    // Applies ints, slices, ellipsis and new axes as views; returns the tensor entries per dim of the view (null when none).
    private (Tensor View, List<Tensor?>? Advanced) ApplyBasic(TensorIndex[] indices)
    {
        int consumed = 0, ellipses = 0;
        foreach (TensorIndex ix in indices)
        {
            consumed += ix.Consumes;
            if (ix.Kind == TensorIndex.Kinds.Ellipsis)
                ellipses++;
        }
        if (ellipses > 1)
            throw new ArgumentException($"index: an index can only have a single ellipsis (indices {string.Join(", ", indices)})");
        int ndim = Dim;
        if (consumed > ndim)
            throw new ArgumentException($"index: too many indices for tensor of dimension {ndim} (shape {Shape}, indices {string.Join(", ", indices)})");
        Tensor cur = Alias();
        List<Tensor?>? advanced = null;
        int d = 0, covered = 0; // covered: dims of the view the entries of advanced account for
        try
        {
            foreach (TensorIndex ix in indices)
            {
                Tensor next;
                switch (ix.Kind)
                {
                    case TensorIndex.Kinds.Single:
                        {
                            long size = cur.GetSize(d);
                            long i = ix.FromEnd ? size - ix.Start : ix.Start;
                            if (i < -size || i >= size || (ix.FromEnd && ix.Start == 0))
                                throw new ArgumentException($"index: index {ix} is out of range for dim {d} with size {size} (shape {Shape})");
                            next = cur.Select(d, i);
                            break;
                        }
                    case TensorIndex.Kinds.Slice:
                        {
                            (long start, long stop) = ix.Resolve(cur.GetSize(d));
                            next = cur.Slice(d, start, stop, ix.Step);
                            d++;
                            break;
                        }
                    case TensorIndex.Kinds.Ellipsis:
                        d += ndim - consumed;
                        continue;
                    case TensorIndex.Kinds.None:
                        next = cur.Unsqueeze(d);
                        d++;
                        break;
                    case TensorIndex.Kinds.Bool:
                        next = cur.Unsqueeze(d);
                        advanced ??= [];
                        PadTo(advanced, ref covered, d);
                        advanced.Add(Torch.Tensor<bool>([ix.BoolValue], [1]));
                        covered++;
                        d++;
                        break;
                    default:
                        {
                            Tensor t = ix.TensorValue!;
                            advanced ??= [];
                            PadTo(advanced, ref covered, d);
                            if (t.DType is DType.Bool or DType.UInt8 && t.Dim == 0)
                            {
                                // A 0-d mask: a new dim of size 1 indexed by a 1-element mask.
                                next = cur.Unsqueeze(d);
                                advanced.Add(t.Reshape(1));
                                covered++;
                                d++;
                                break;
                            }
                            advanced.Add(t);
                            // A mask is one entry of the native index list but covers as many dims as it has.
                            int width = t.DType is DType.Bool or DType.UInt8 ? t.Dim : 1;
                            covered += width;
                            d += width;
                            continue;
                        }
                }
                cur.Dispose();
                cur = next;
            }
        }
        catch
        {
            cur.Dispose();
            throw;
        }
        if (advanced is not null)
        {
            // Trailing nulls keep their dims; drop the ones the native index does not need.
            while (advanced.Count > 0 && advanced[^1] is null)
                advanced.RemoveAt(advanced.Count - 1);
        }
        return (cur, advanced);
    }

    // Adds whole-dim (null) entries until the advanced index list accounts for the first d dims.
    private static void PadTo(List<Tensor?> advanced, ref int covered, int d)
    {
        while (covered < d)
        {
            advanced.Add(null);
            covered++;
        }
    }

    // ---- advanced indexing ----

    /// <summary>
    /// <c>x[indices[0], indices[1], ...]</c> with integer tensors (broadcast together) or boolean masks; a null
    /// entry keeps its whole dim (<c>torch.Tensor.__getitem__</c> with tensors, <c>aten::index</c>). A copy.
    /// </summary>
    public Tensor Index(params Tensor?[] indices)
    {
        ember_tensor r;
        var handles = new ember_tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++)
            handles[i] = indices[i] is { } t ? t.Handle : default;
        ember_status s;
        fixed (ember_tensor* h = handles)
            s = NativeMethods.ember_index(Handle, h, handles.Length, &r);
        KeepAliveAll(indices);
        return Derivatives.Index(Wrap(s, r, this), this, indices);
    }

    /// <summary>Writes <paramref name="values"/> (broadcast) at <c>x[indices]</c> in place; <paramref name="accumulate"/> adds instead (<c>Tensor.index_put_</c>). Returns this tensor.</summary>
    public Tensor IndexPut_(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        if (InplaceNeedsAutograd(this, values))
            return Derivatives.IndexPut_(this, indices, values, accumulate);
        IndexPutNative(indices, values, accumulate);
        return this;
    }

    internal void IndexPutNative(Tensor?[] indices, Tensor values, bool accumulate)
    {
        var handles = new ember_tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++)
            handles[i] = indices[i] is { } t ? t.Handle : default;
        ember_status s;
        fixed (ember_tensor* h = handles)
            s = NativeMethods.ember_index_put_(Handle, h, handles.Length, values.Handle, accumulate ? 1 : 0);
        KeepAliveAll(indices);
        Check(s, this, values);
    }

    /// <summary>A copy of this tensor with <paramref name="values"/> written (or added) at <c>x[indices]</c> (<c>Tensor.index_put</c>).</summary>
    public Tensor IndexPut(Tensor?[] indices, Tensor values, bool accumulate = false)
    {
        ember_tensor r;
        var handles = new ember_tensor[indices.Length];
        for (int i = 0; i < indices.Length; i++)
            handles[i] = indices[i] is { } t ? t.Handle : default;
        ember_status s;
        fixed (ember_tensor* h = handles)
            s = NativeMethods.ember_index_put(Handle, h, handles.Length, values.Handle, accumulate ? 1 : 0, &r);
        KeepAliveAll(indices);
        return Derivatives.IndexPut(Wrap(s, r, this, values), this, indices, values, accumulate);
    }

    private static void KeepAliveAll(Tensor?[] tensors)
    {
        foreach (Tensor? t in tensors)
            GC.KeepAlive(t);
    }

    // ---- along one dim ----

    /// <summary>The slices at <paramref name="index"/> (a 0-d or 1-d int64/int32 tensor) along <paramref name="dim"/> (<c>torch.index_select</c>).</summary>
    public Tensor IndexSelect(int dim, Tensor index)
    {
        ember_tensor r;
        return Derivatives.IndexSelect(Wrap(NativeMethods.ember_index_select(Handle, dim, index.Handle, &r), r, this, index), this, dim, index);
    }

    /// <summary>A copy with <paramref name="alpha"/> * source.select(dim, i) added into select(dim, index[i]) (<c>Tensor.index_add</c>).</summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor source, double alpha = 1)
    {
        ember_tensor r;
        Tensor result;
        result = Wrap(NativeMethods.ember_index_add(Handle, dim, index.Handle, source.Handle, AlphaOf(alpha), &r), r, this, source);
        GC.KeepAlive(index);
        return Derivatives.IndexAdd(result, this, dim, index, source, alpha);
    }

    /// <summary>Adds <paramref name="alpha"/> * source.select(dim, i) into select(dim, index[i]) in place (<c>Tensor.index_add_</c>); returns this tensor.</summary>
    public Tensor IndexAdd_(int dim, Tensor index, Tensor source, double alpha = 1)
    {
        if (InplaceNeedsAutograd(this, source))
            return Derivatives.InplaceWith(this, source, "IndexAdd_", Derivatives.IndexAddNode(this, dim, index, source, alpha), () => IndexAddNative(dim, index, source, alpha));
        IndexAddNative(dim, index, source, alpha);
        return this;
    }

    private void IndexAddNative(int dim, Tensor index, Tensor source, double alpha)
    {
        Check(NativeMethods.ember_index_add_(Handle, dim, index.Handle, source.Handle, AlphaOf(alpha)), this, source);
        GC.KeepAlive(index);
    }

    /// <summary>A copy with source.select(dim, i) written to select(dim, index[i]) (<c>Tensor.index_copy</c>).</summary>
    public Tensor IndexCopy(int dim, Tensor index, Tensor source)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_index_copy(Handle, dim, index.Handle, source.Handle, &r), r, this, source);
        GC.KeepAlive(index);
        return Derivatives.IndexCopy(result, this, dim, index, source);
    }

    /// <summary>Writes source.select(dim, i) to select(dim, index[i]) in place (<c>Tensor.index_copy_</c>); returns this tensor.</summary>
    public Tensor IndexCopy_(int dim, Tensor index, Tensor source)
    {
        if (InplaceNeedsAutograd(this, source))
            return Derivatives.InplaceWith(this, source, "IndexCopy_", Derivatives.IndexCopyNode(this, dim, index, source), () => IndexCopyNative(dim, index, source));
        IndexCopyNative(dim, index, source);
        return this;
    }

    private void IndexCopyNative(int dim, Tensor index, Tensor source)
    {
        Check(NativeMethods.ember_index_copy_(Handle, dim, index.Handle, source.Handle), this, source);
        GC.KeepAlive(index);
    }

    /// <summary>A copy with the slices at <paramref name="index"/> along <paramref name="dim"/> set to <paramref name="value"/> (<c>Tensor.index_fill</c>).</summary>
    public Tensor IndexFill(int dim, Tensor index, double value)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_index_fill(Handle, dim, index.Handle, ValueOf(value), &r), r, this, index);
        return Derivatives.IndexFill(result, this, dim, index);
    }

    /// <summary>Sets the slices at <paramref name="index"/> along <paramref name="dim"/> to <paramref name="value"/> in place (<c>Tensor.index_fill_</c>); returns this tensor.</summary>
    public Tensor IndexFill_(int dim, Tensor index, double value)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.InplaceWith(this, null, "IndexFill_", Derivatives.IndexFillNode(this, dim, index), () => IndexFillNative(dim, index, value));
        IndexFillNative(dim, index, value);
        return this;
    }

    private void IndexFillNative(int dim, Tensor index, double value) =>
        Check(NativeMethods.ember_index_fill_(Handle, dim, index.Handle, ValueOf(value)), this, index);

    // ---- elementwise along one dim ----

    /// <summary>out[i][j] = self[index[i][j]][j] for dim 0, and so on (<c>torch.gather</c>); index is int64 of this tensor's rank.</summary>
    public Tensor Gather(int dim, Tensor index)
    {
        ember_tensor r;
        return Derivatives.Gather(Wrap(NativeMethods.ember_gather(Handle, dim, index.Handle, &r), r, this, index), this, dim, index);
    }

    /// <summary>A copy with self[index[i][j]][j] = src[i][j] for dim 0, and so on (<c>Tensor.scatter</c>).</summary>
    public Tensor Scatter(int dim, Tensor index, Tensor src) => ScatterOp(dim, index, src, 0, ScatterKind.None, true);

    /// <summary>A copy with self[index[i][j]][j] = value for dim 0, and so on (<c>Tensor.scatter</c> with a value).</summary>
    public Tensor Scatter(int dim, Tensor index, double value) => ScatterOp(dim, index, null, value, ScatterKind.None, true);

    /// <summary>A copy with src added at the scattered positions (<c>Tensor.scatter_add</c>).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => ScatterOp(dim, index, src, 0, ScatterKind.Sum, true);

    /// <summary>
    /// A copy with src reduced into the scattered positions by <paramref name="reduce"/>: "sum", "prod", "mean",
    /// "amax" or "amin"; <paramref name="includeSelf"/> false leaves the existing values out of the reduction
    /// (<c>Tensor.scatter_reduce</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown reduction.</exception>
    public Tensor ScatterReduce(int dim, Tensor index, Tensor src, string reduce, bool includeSelf = true) =>
        ScatterOp(dim, index, src, 0, ParseReduce(reduce), includeSelf);

    /// <summary>In-place <see cref="Scatter(int, Tensor, Tensor)"/> (<c>Tensor.scatter_</c>); returns this tensor.</summary>
    public Tensor Scatter_(int dim, Tensor index, Tensor src) => ScatterOp_(dim, index, src, 0, ScatterKind.None, true);

    /// <summary>In-place <see cref="Scatter(int, Tensor, double)"/> (<c>Tensor.scatter_</c>); returns this tensor.</summary>
    public Tensor Scatter_(int dim, Tensor index, double value) => ScatterOp_(dim, index, null, value, ScatterKind.None, true);

    /// <summary>In-place <see cref="ScatterAdd"/> (<c>Tensor.scatter_add_</c>); returns this tensor.</summary>
    public Tensor ScatterAdd_(int dim, Tensor index, Tensor src) => ScatterOp_(dim, index, src, 0, ScatterKind.Sum, true);

    /// <summary>In-place <see cref="ScatterReduce"/> (<c>Tensor.scatter_reduce_</c>); returns this tensor.</summary>
    public Tensor ScatterReduce_(int dim, Tensor index, Tensor src, string reduce, bool includeSelf = true) =>
        ScatterOp_(dim, index, src, 0, ParseReduce(reduce), includeSelf);

    internal enum ScatterKind
    {
        None = 0,
        Sum = 1,
        Prod = 2,
        Mean = 3,
        Amax = 4,
        Amin = 5,
    }

    private static ScatterKind ParseReduce(string reduce) => reduce switch
    {
        "sum" => ScatterKind.Sum,
        "prod" => ScatterKind.Prod,
        "mean" => ScatterKind.Mean,
        "amax" => ScatterKind.Amax,
        "amin" => ScatterKind.Amin,
        _ => throw new ArgumentException($"scatter_reduce: reduce argument must be either sum, prod, mean, amax or amin, got \"{reduce}\"", nameof(reduce)),
    };

    internal Tensor ScatterOp(int dim, Tensor index, Tensor? src, double value, ScatterKind kind, bool includeSelf)
    {
        ember_tensor r;
        ember_status s = NativeMethods.ember_scatter(Handle, dim, index.Handle, src is null ? default : src.Handle, ValueOf(value), (int)kind, includeSelf ? 1 : 0, &r);
        GC.KeepAlive(index);
        GC.KeepAlive(src);
        Tensor result = Wrap(s, r, this);
        return Derivatives.Scatter(result, this, dim, index, src, kind, includeSelf);
    }

    private Tensor ScatterOp_(int dim, Tensor index, Tensor? src, double value, ScatterKind kind, bool includeSelf)
    {
        if (InplaceNeedsAutograd(this, src))
        {
            ScatterBackward node = Derivatives.ScatterNode(this, dim, index, src, kind, includeSelf);
            string name = kind == ScatterKind.None ? "Scatter_" : "ScatterReduce_";
            if (node.NeedsResult)
            {
                // The reductions that need their result: computed out of place, then copied in.
                node.ReleaseSaved();
                using Tensor r = ScatterOp(dim, index, src, value, kind, includeSelf);
                return Copy_(r);
            }
            return Derivatives.InplaceWith(this, src, name, node, () => ScatterNative_(dim, index, src, value, kind, includeSelf));
        }
        ScatterNative_(dim, index, src, value, kind, includeSelf);
        return this;
    }

    private void ScatterNative_(int dim, Tensor index, Tensor? src, double value, ScatterKind kind, bool includeSelf)
    {
        ember_status s = NativeMethods.ember_scatter_(Handle, dim, index.Handle, src is null ? default : src.Handle, ValueOf(value), (int)kind, includeSelf ? 1 : 0);
        GC.KeepAlive(index);
        GC.KeepAlive(src);
        Check(s, this);
    }

    /// <summary>The elements at <paramref name="indices"/> along <paramref name="dim"/>, broadcasting the other dims; dim null works on the flattened tensors (<c>torch.take_along_dim</c>).</summary>
    public Tensor TakeAlongDim(Tensor indices, int? dim = null)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_take_along_dim(Handle, indices.Handle, dim ?? 0, dim.HasValue ? 1 : 0, &r), r, this, indices);
        return Derivatives.TakeAlongDim(result, this, indices, dim);
    }

    /// <summary>The elements of the flattened tensor at <paramref name="index"/> (any shape; negative counts from the end) (<c>torch.take</c>).</summary>
    public Tensor Take(Tensor index)
    {
        ember_tensor r;
        return Derivatives.Take(Wrap(NativeMethods.ember_take(Handle, index.Handle, &r), r, this, index), this, index);
    }

    // ---- masks ----

    /// <summary>A copy with <paramref name="value"/> where the bool <paramref name="mask"/> (broadcast) is true (<c>Tensor.masked_fill</c>).</summary>
    public Tensor MaskedFill(Tensor mask, double value)
    {
        ember_tensor r;
        return Derivatives.MaskedFill(Wrap(NativeMethods.ember_masked_fill(Handle, mask.Handle, ValueOf(value), &r), r, this, mask), this, mask);
    }

    /// <summary>Sets the elements where <paramref name="mask"/> is true to <paramref name="value"/> in place (<c>Tensor.masked_fill_</c>); returns this tensor.</summary>
    public Tensor MaskedFill_(Tensor mask, double value)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.InplaceWith(this, null, "MaskedFill_", Derivatives.MaskedFillNode(this, mask), () => MaskedFillNative(mask, value));
        MaskedFillNative(mask, value);
        return this;
    }

    private void MaskedFillNative(Tensor mask, double value) =>
        Check(NativeMethods.ember_masked_fill_(Handle, mask.Handle, ValueOf(value)), this, mask);

    /// <summary>A copy whose elements where <paramref name="mask"/> is true take <paramref name="source"/>'s elements in order (<c>Tensor.masked_scatter</c>).</summary>
    public Tensor MaskedScatter(Tensor mask, Tensor source)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_masked_scatter(Handle, mask.Handle, source.Handle, &r), r, this, source);
        GC.KeepAlive(mask);
        return Derivatives.MaskedScatter(result, this, mask, source);
    }

    /// <summary>In-place <see cref="MaskedScatter"/> (<c>Tensor.masked_scatter_</c>); returns this tensor.</summary>
    public Tensor MaskedScatter_(Tensor mask, Tensor source)
    {
        if (InplaceNeedsAutograd(this, source))
            return Derivatives.InplaceWith(this, source, "MaskedScatter_", Derivatives.MaskedScatterNode(this, mask, source), () => MaskedScatterNative(mask, source));
        MaskedScatterNative(mask, source);
        return this;
    }

    private void MaskedScatterNative(Tensor mask, Tensor source)
    {
        Check(NativeMethods.ember_masked_scatter_(Handle, mask.Handle, source.Handle), this, source);
        GC.KeepAlive(mask);
    }

    /// <summary>The elements where <paramref name="mask"/> (broadcast) is true, as a 1-d tensor (<c>torch.masked_select</c>).</summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        ember_tensor r;
        return Derivatives.MaskedSelect(Wrap(NativeMethods.ember_masked_select(Handle, mask.Handle, &r), r, this, mask), this, mask);
    }

    /// <summary>The indices of the non-zero elements, int64 [count, dims], in row-major order (<c>torch.nonzero</c>).</summary>
    public Tensor Nonzero() { ember_tensor r; return Wrap(NativeMethods.ember_nonzero(Handle, &r), r, this); }

    /// <summary>The same as <see cref="Nonzero"/> (<c>torch.argwhere</c>).</summary>
    public Tensor Argwhere() => Nonzero();

    private ember_scalar ValueOf(double value) => DType.IsFloatingPoint() ? Scalar.Of(value) : value == Math.Floor(value) && Math.Abs(value) < 9.2e18 ? Scalar.Of((long)value) : Scalar.Of(value);

    private ember_scalar AlphaOf(double alpha) => ValueOf(alpha);
}

public static unsafe partial class Functional
{
    /// <summary>One-hot encoding of int64 class indices: shape + [numClasses], int64; -1 infers max + 1 (<c>F.one_hot</c>).</summary>
    public static Tensor OneHot(Tensor input, long numClasses = -1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ember_tensor r;
        return Tensor.Wrap(NativeMethods.ember_one_hot(input.Handle, numClasses, &r), r, input);
    }
}
