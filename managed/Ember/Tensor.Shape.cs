using Ember.Interop;

namespace Ember;

// Joining, splitting and rearranging (torch.cat, split, flip, roll, tril, diagonal, ...). Results that
// share storage with the input are views, recorded as such by Derivatives; the others are new tensors.
public unsafe partial class Tensor
{
    // ---- splitting (views) ----

    /// <summary>Splits into pieces of <paramref name="splitSize"/> along <paramref name="dim"/>, the last one smaller when needed (<c>Tensor.split(int)</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="splitSize"/> is not positive for a non-empty dim.</exception>
    public Tensor[] Split(long splitSize, int dim = 0)
    {
        long size = GetSize(dim);
        if (splitSize <= 0 && !(splitSize == 0 && size == 0))
            throw new ArgumentException($"split: split_size must be positive, got {splitSize} (dim {dim} of shape {Shape})", nameof(splitSize));
        long n = size == 0 ? 1 : (size + splitSize - 1) / splitSize;
        var sizes = new long[n];
        for (long i = 0; i < n; i++)
            sizes[i] = Math.Min(splitSize, size - i * splitSize);
        return Split(sizes, dim);
    }

    /// <summary>Splits into pieces of the given sizes along <paramref name="dim"/>; they must add up to its size (<c>Tensor.split(list)</c>).</summary>
    public Tensor[] Split(long[] splitSizes, int dim = 0)
    {
        var handles = new ember_tensor[splitSizes.Length];
        fixed (long* s = splitSizes)
        fixed (ember_tensor* h = handles)
            Check(NativeMethods.ember_split_with_sizes(Handle, s, splitSizes.Length, dim, h), this);
        var result = new Tensor[handles.Length];
        int d = NormalizeDim(dim, Dim);
        long start = 0;
        for (int i = 0; i < handles.Length; i++)
        {
            result[i] = Derivatives.Slice(new Tensor(handles[i]), this, d, start, start + splitSizes[i], 1);
            start += splitSizes[i];
        }
        return result;
    }

    /// <summary>Splits into <paramref name="chunks"/> pieces of equal size (the last smaller) along <paramref name="dim"/>; may return fewer (<c>Tensor.chunk</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="chunks"/> is not positive.</exception>
    public Tensor[] Chunk(int chunks, int dim = 0)
    {
        if (chunks <= 0)
            throw new ArgumentException($"chunk: number of chunks must be positive, got {chunks}", nameof(chunks));
        long size = GetSize(dim);
        long splitSize = (size + chunks - 1) / chunks;
        if (splitSize == 0 && size == 0)
            return Split(new long[chunks], dim);
        return Split(splitSize, dim);
    }

    /// <summary>The slices along <paramref name="dim"/>, each without that dim (<c>Tensor.unbind</c>).</summary>
    public Tensor[] Unbind(int dim = 0)
    {
        if (Dim == 0)
            throw new ShapeMismatchException($"unbind: cannot unbind a 0-dim tensor (shape {Shape})");
        var handles = new ember_tensor[GetSize(dim)];
        fixed (ember_tensor* h = handles)
            Check(NativeMethods.ember_unbind(Handle, dim, h), this);
        int d = NormalizeDim(dim, Dim);
        var result = new Tensor[handles.Length];
        for (int i = 0; i < handles.Length; i++)
            result[i] = Derivatives.Select(new Tensor(handles[i]), this, d, i);
        return result;
    }

    // ---- reshaping ----

    /// <summary>Merges dims <paramref name="startDim"/> to <paramref name="endDim"/> into one (<c>Tensor.flatten</c>); a view when the layout allows.</summary>
    public Tensor Flatten(int startDim, int endDim = -1) { ember_tensor r; return Derivatives.Reshape(Wrap(NativeMethods.ember_flatten(Handle, startDim, endDim, &r), r, this), this); }

    /// <summary>Splits <paramref name="dim"/> into the given sizes, one of which may be -1 (<c>Tensor.unflatten</c>).</summary>
    public Tensor Unflatten(int dim, params ReadOnlySpan<long> sizes)
    {
        ember_tensor r;
        fixed (long* s = sizes)
            return Derivatives.Reshape(Wrap(NativeMethods.ember_unflatten(Handle, dim, s, sizes.Length, &r), r, this), this);
    }

    /// <summary>A view with the shape of <paramref name="other"/> (<c>Tensor.view_as</c>).</summary>
    public Tensor ViewAs(Tensor other) => View(other.Shape);

    /// <summary>Moves dim <paramref name="source"/> to position <paramref name="destination"/> (<c>torch.movedim</c>); a view.</summary>
    public Tensor Movedim(int source, int destination) => Movedim([source], [destination]);

    /// <summary>Moves dims <paramref name="source"/>[i] to positions <paramref name="destination"/>[i], keeping the others in order (<c>torch.movedim</c>); a view.</summary>
    public Tensor Movedim(ReadOnlySpan<int> source, ReadOnlySpan<int> destination)
    {
        ember_tensor r;
        Tensor result;
        fixed (int* s = source)
        fixed (int* d = destination)
            result = Wrap(NativeMethods.ember_movedim(Handle, s, d, source.Length, &r), r, this);
        int n = Dim;
        var perm = new int[n];
        for (int i = 0; i < n; i++)
            perm[i] = -1;
        var used = new bool[n];
        for (int i = 0; i < source.Length; i++)
        {
            int s = NormalizeDim(source[i], n);
            perm[NormalizeDim(destination[i], n)] = s;
            used[s] = true;
        }
        int next = 0;
        for (int i = 0; i < n; i++)
        {
            if (perm[i] >= 0)
                continue;
            while (used[next])
                next++;
            perm[i] = next++;
        }
        return Derivatives.Permute(result, this, perm);
    }

    /// <summary>Swaps two dims (<c>torch.swapaxes</c>, the same as <see cref="Transpose"/>).</summary>
    public Tensor Swapaxes(int axis0, int axis1) => Transpose(axis0, axis1);

    /// <summary>Swaps two dims (<c>torch.swapdims</c>, the same as <see cref="Transpose"/>).</summary>
    public Tensor Swapdims(int dim0, int dim1) => Transpose(dim0, dim1);

    // ---- repeating ----

    /// <summary>Repeats the tensor along each dim; <paramref name="repeats"/> has at least as many entries as dims (<c>Tensor.repeat</c>).</summary>
    public Tensor Repeat(params ReadOnlySpan<long> repeats)
    {
        ember_tensor r;
        fixed (long* p = repeats)
            return Derivatives.Repeat(Wrap(NativeMethods.ember_repeat(Handle, p, repeats.Length, &r), r, this), this, repeats);
    }

    /// <summary>Like <see cref="Repeat"/>, with leading 1s added when fewer repeats than dims are given (<c>torch.tile</c>).</summary>
    public Tensor Tile(params ReadOnlySpan<long> repeats)
    {
        ember_tensor r;
        Tensor result;
        fixed (long* p = repeats)
            result = Wrap(NativeMethods.ember_tile(Handle, p, repeats.Length, &r), r, this);
        int n = Math.Max(Dim, repeats.Length);
        var full = new long[n];
        for (int i = 0; i < n; i++)
            full[i] = i < n - repeats.Length ? 1 : repeats[i - (n - repeats.Length)];
        return Derivatives.Repeat(result, this, full, "TileBackward0");
    }

    /// <summary>Repeats each element <paramref name="repeats"/> times along <paramref name="dim"/>, or over the flattened tensor when dim is null (<c>torch.repeat_interleave</c>).</summary>
    public Tensor RepeatInterleave(long repeats, int? dim = null)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_repeat_interleave_int(Handle, repeats, dim ?? 0, dim.HasValue ? 1 : 0, &r), r, this);
        return _requiresGrad ? Derivatives.RepeatInterleave(result, this, null, repeats, dim) : result;
    }

    /// <summary>Repeats element i <paramref name="repeats"/>[i] times along <paramref name="dim"/>, or over the flattened tensor when dim is null (<c>torch.repeat_interleave</c>).</summary>
    public Tensor RepeatInterleave(Tensor repeats, int? dim = null)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_repeat_interleave(Handle, repeats.Handle, dim ?? 0, dim.HasValue ? 1 : 0, &r), r, this, repeats);
        return _requiresGrad ? Derivatives.RepeatInterleave(result, this, repeats, 0, dim) : result;
    }

    // ---- reordering ----

    /// <summary>Reverses the order of elements along the given dims (<c>torch.flip</c>); a copy.</summary>
    public Tensor Flip(params ReadOnlySpan<int> dims)
    {
        ember_tensor r;
        fixed (int* d = dims)
            return Derivatives.Flip(Wrap(NativeMethods.ember_flip(Handle, d, dims.Length, &r), r, this), this, dims);
    }

    /// <summary>Rolls the elements along <paramref name="dim"/> by <paramref name="shift"/>, wrapping around; dim null rolls the flattened tensor (<c>torch.roll</c>).</summary>
    public Tensor Roll(long shift, int? dim = null) => dim is { } d ? Roll([shift], [d]) : Roll([shift], []);

    /// <summary>Rolls along each of <paramref name="dims"/> by the matching shift; no dims rolls the flattened tensor by shifts[0] (<c>torch.roll</c>).</summary>
    public Tensor Roll(ReadOnlySpan<long> shifts, ReadOnlySpan<int> dims)
    {
        ember_tensor r;
        fixed (long* s = shifts)
        fixed (int* d = dims)
            return Derivatives.Roll(Wrap(NativeMethods.ember_roll(Handle, s, shifts.Length, d, dims.Length, &r), r, this), this, shifts, dims);
    }

    // ---- triangles and diagonals ----

    /// <summary>The lower triangle of the last two dims, on and below diagonal <paramref name="diagonal"/>; the rest zero (<c>torch.tril</c>).</summary>
    public Tensor Tril(long diagonal = 0) { ember_tensor r; return Derivatives.Trilu(Wrap(NativeMethods.ember_tril(Handle, diagonal, &r), r, this), this, diagonal, upper: false); }

    /// <summary>The upper triangle of the last two dims, on and above diagonal <paramref name="diagonal"/>; the rest zero (<c>torch.triu</c>).</summary>
    public Tensor Triu(long diagonal = 0) { ember_tensor r; return Derivatives.Trilu(Wrap(NativeMethods.ember_triu(Handle, diagonal, &r), r, this), this, diagonal, upper: true); }

    /// <summary>Zeroes the elements above diagonal <paramref name="diagonal"/> in place (<c>Tensor.tril_</c>); returns this tensor.</summary>
    public Tensor Tril_(long diagonal = 0)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Trilu_(this, diagonal, upper: false);
        Check(NativeMethods.ember_tril_(Handle, diagonal), this);
        return this;
    }

    /// <summary>Zeroes the elements below diagonal <paramref name="diagonal"/> in place (<c>Tensor.triu_</c>); returns this tensor.</summary>
    public Tensor Triu_(long diagonal = 0)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.Trilu_(this, diagonal, upper: true);
        Check(NativeMethods.ember_triu_(Handle, diagonal), this);
        return this;
    }

    /// <summary>A view of the diagonal of dims <paramref name="dim1"/> and <paramref name="dim2"/>, which become the last dim (<c>torch.diagonal</c>).</summary>
    public Tensor Diagonal(long offset = 0, int dim1 = 0, int dim2 = 1)
    {
        ember_tensor r;
        return Derivatives.Diagonal(Wrap(NativeMethods.ember_diagonal(Handle, offset, dim1, dim2, &r), r, this), this, offset, dim1, dim2);
    }

    /// <summary>For a 1-d tensor, a square matrix with it on diagonal <paramref name="diagonal"/>; for a 2-d tensor, a copy of that diagonal (<c>torch.diag</c>).</summary>
    public Tensor Diag(long diagonal = 0) { ember_tensor r; return Derivatives.Diag(Wrap(NativeMethods.ember_diag(Handle, diagonal, &r), r, this), this, diagonal); }

    /// <summary>Places the last dim on the diagonal of new dims <paramref name="dim1"/>, <paramref name="dim2"/> of a zero tensor (<c>torch.diag_embed</c>).</summary>
    public Tensor DiagEmbed(long offset = 0, int dim1 = -2, int dim2 = -1)
    {
        ember_tensor r;
        return Derivatives.DiagEmbed(Wrap(NativeMethods.ember_diag_embed(Handle, offset, dim1, dim2, &r), r, this), this, offset, dim1, dim2);
    }

    // ---- helpers for ops that take lists of tensors ----

    /// <summary>The handles of a list of tensors, for a native call; the caller keeps the tensors alive (<see cref="KeepAlive"/>).</summary>
    internal static ember_tensor[] HandlesOf(ReadOnlySpan<Tensor> tensors)
    {
        var handles = new ember_tensor[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
            handles[i] = tensors[i].Handle;
        return handles;
    }

    /// <summary>Keeps a list of tensors alive up to this point (after the native call that used their handles).</summary>
    internal static void KeepAlive(ReadOnlySpan<Tensor> tensors)
    {
        foreach (Tensor t in tensors)
            GC.KeepAlive(t);
    }
}

public static unsafe partial class Torch
{
    /// <summary>Concatenates tensors along <paramref name="dim"/>; dtypes promote (<c>torch.cat</c>).</summary>
    /// <exception cref="ShapeMismatchException">The sizes differ outside <paramref name="dim"/>, or a tensor is 0-d.</exception>
    public static Ember.Tensor Cat(ReadOnlySpan<Ember.Tensor> tensors, int dim = 0)
    {
        Ember.Tensor result = CallWithList(tensors, (h, n, r) => NativeMethods.ember_cat(h, n, dim, r));
        return Derivatives.Concat(result, tensors, "CatBackward0", Ember.Tensor.NormalizeDim(dim, FirstRank(tensors)), stacked: false);
    }

    /// <summary>The same as <see cref="Cat"/> (<c>torch.concat</c>).</summary>
    public static Ember.Tensor Concat(ReadOnlySpan<Ember.Tensor> tensors, int dim = 0) => Cat(tensors, dim);

    /// <summary>Stacks tensors of one shape along a new dim <paramref name="dim"/> (<c>torch.stack</c>).</summary>
    public static Ember.Tensor Stack(ReadOnlySpan<Ember.Tensor> tensors, int dim = 0)
    {
        Ember.Tensor result = CallWithList(tensors, (h, n, r) => NativeMethods.ember_stack(h, n, dim, r));
        return Derivatives.Concat(result, tensors, "StackBackward0", Ember.Tensor.NormalizeDim(dim, result.Dim), stacked: true);
    }

    /// <summary>Concatenates along dim 1, or dim 0 when every tensor is 1-d (<c>torch.hstack</c>).</summary>
    public static Ember.Tensor HStack(ReadOnlySpan<Ember.Tensor> tensors)
    {
        Ember.Tensor result = CallWithList(tensors, (h, n, r) => NativeMethods.ember_hstack(h, n, r));
        bool all1d = true;
        foreach (Ember.Tensor t in tensors)
            all1d &= t.Dim <= 1;
        return Derivatives.Concat(result, tensors, "CatBackward0", all1d ? 0 : 1, stacked: false);
    }

    /// <summary>Concatenates along dim 0 after making every tensor at least 2-d (<c>torch.vstack</c>).</summary>
    public static Ember.Tensor VStack(ReadOnlySpan<Ember.Tensor> tensors)
    {
        Ember.Tensor result = CallWithList(tensors, (h, n, r) => NativeMethods.ember_vstack(h, n, r));
        return Derivatives.Concat(result, tensors, "CatBackward0", 0, stacked: false);
    }

    /// <summary>
    /// Coordinate grids of 0-d or 1-d tensors (<c>torch.meshgrid</c>): result i varies along dim i ("ij"),
    /// or with the first two dims swapped ("xy"). The results are expanded views.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="indexing"/> is neither "ij" nor "xy".</exception>
    public static Ember.Tensor[] Meshgrid(ReadOnlySpan<Ember.Tensor> tensors, string indexing = "ij")
    {
        if (indexing != "ij" && indexing != "xy")
            throw new ArgumentException($"meshgrid: indexing must be \"ij\" or \"xy\", got \"{indexing}\"", nameof(indexing));
        var handles = new ember_tensor[tensors.Length];
        ember_tensor[] inputs = Ember.Tensor.HandlesOf(tensors);
        ember_status s;
        fixed (ember_tensor* outs = handles)
        fixed (ember_tensor* h = inputs)
            s = NativeMethods.ember_meshgrid(h, inputs.Length, indexing == "xy" ? 1 : 0, outs);
        Ember.Tensor.KeepAlive(tensors);
        Errors.Check(s);
        var result = new Ember.Tensor[handles.Length];
        for (int i = 0; i < handles.Length; i++)
            result[i] = Derivatives.Meshgrid(new Ember.Tensor(handles[i]), tensors[i]);
        return result;
    }

    /// <summary>A native call taking a list of tensors (handle array, count, result pointer), wrapped.</summary>
    internal delegate ember_status ListCall(ember_tensor* handles, int n, ember_tensor* result);

    internal static Ember.Tensor CallWithList(ReadOnlySpan<Ember.Tensor> tensors, ListCall call)
    {
        ember_tensor[] handles = Ember.Tensor.HandlesOf(tensors);
        ember_tensor r;
        ember_status s;
        fixed (ember_tensor* h = handles)
            s = call(h, handles.Length, &r);
        Ember.Tensor.KeepAlive(tensors);
        return Ember.Tensor.Wrap(s, r);
    }

    private static int FirstRank(ReadOnlySpan<Ember.Tensor> tensors)
    {
        foreach (Ember.Tensor t in tensors)
            if (!(t.Dim == 1 && t.NumEl == 0))
                return t.Dim;
        return tensors.Length > 0 ? tensors[0].Dim : 1;
    }
}
