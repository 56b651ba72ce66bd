using System.Runtime.CompilerServices;

namespace Ember;

// Recording of view ops. The fast path also remembers the base (one field write), so that an in-place
// op on a view that autograd does not track can be refused instead of silently losing gradients.
internal static partial class Derivatives
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MarkView(Tensor result, Tensor input)
    {
        result._viewBase = input._viewBase ?? input;
        result._inference = input._inference; // a view is of its base's kind, also when made inside inference mode
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor View(Tensor result, Tensor a)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordView(result, a) : result;
    }

    /// <summary>reshape: a view when the strides allow it, else a copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Reshape(Tensor result, Tensor a)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordReshape(result, a) : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Transpose(Tensor result, Tensor a, int dim0, int dim1)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordTranspose(result, a, dim0, dim1) : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Permute(Tensor result, Tensor a, ReadOnlySpan<int> dims)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordPermute(result, a, dims) : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Expand(Tensor result, Tensor a)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordExpand(result, a) : result;
    }

    /// <summary>squeeze() of every size-1 dim.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Squeeze(Tensor result, Tensor a)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordSqueeze(result, a, null) : result;
    }

    /// <summary>squeeze(dim).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Squeeze(Tensor result, Tensor a, int dim)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordSqueeze(result, a, dim) : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Unsqueeze(Tensor result, Tensor a, int dim)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordUnsqueeze(result, a, dim) : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Slice(Tensor result, Tensor a, int dim, long start, long end, long step)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordSlice(result, a, dim, start, end, step) : result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Select(Tensor result, Tensor a, int dim, long index)
    {
        MarkView(result, a);
        return a._requiresGrad ? RecordSelect(result, a, dim, index) : result;
    }

    // ---- slow paths ----

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordView(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        long[] shape = result.ShapeArray;
        long[] inputShape = a.ShapeArray;
        return ViewTracking.RecordView(result, a, () => new ViewBackward("ViewBackward0", inputShape), t => t.View(shape));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordReshape(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        long[] shape = result.ShapeArray;
        if (result.SharesStorageWith(a))
        {
            long[] inputShape = a.ShapeArray;
            return ViewTracking.RecordView(result, a, () => new ViewBackward("ViewBackward0", inputShape), t => t.Reshape(shape));
        }
        result._viewBase = null; // a copy after all: its elements are its own
        return RecordUnary(result, a, new ViewBackward("UnsafeViewBackward0", a.ShapeArray));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordTranspose(Tensor result, Tensor a, int dim0, int dim1)
    {
        if (!GradMode.IsEnabled)
            return result;
        return ViewTracking.RecordView(result, a, () => new TransposeBackward(dim0, dim1), t => t.Transpose(dim0, dim1));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordPermute(Tensor result, Tensor a, ReadOnlySpan<int> dims)
    {
        if (!GradMode.IsEnabled)
            return result;
        int n = a.Dim;
        int[] forward = new int[dims.Length];
        int[] inverse = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            forward[i] = Tensor.NormalizeDim(dims[i], n);
            inverse[forward[i]] = i;
        }
        return ViewTracking.RecordView(result, a, () => new PermuteBackward(inverse), t => t.Permute(forward));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordExpand(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        long[] shape = result.ShapeArray, inputShape = a.ShapeArray;
        return ViewTracking.RecordView(result, a, () => new ExpandBackward(inputShape), t => t.Expand(shape));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordSqueeze(Tensor result, Tensor a, int? dim)
    {
        if (!GradMode.IsEnabled)
            return result;
        long[] inputShape = a.ShapeArray;
        string name = dim is null ? "SqueezeBackward0" : "SqueezeBackward1";
        return ViewTracking.RecordView(result, a, () => new ViewBackward(name, inputShape), dim is { } d ? t => t.Squeeze(d) : t => t.Squeeze());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordUnsqueeze(Tensor result, Tensor a, int dim)
    {
        if (!GradMode.IsEnabled)
            return result;
        int normalized = Tensor.NormalizeDim(dim, a.Dim + 1);
        return ViewTracking.RecordView(result, a, () => new UnsqueezeBackward(normalized), t => t.Unsqueeze(normalized));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordSlice(Tensor result, Tensor a, int dim, long start, long end, long step)
    {
        if (!GradMode.IsEnabled)
            return result;
        int d = Tensor.NormalizeDim(dim, a.Dim);
        long[] inputShape = a.ShapeArray;
        return ViewTracking.RecordView(result, a, () => new SliceBackward(inputShape, d, start, end, step), t => t.Slice(d, start, end, step));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordSelect(Tensor result, Tensor a, int dim, long index)
    {
        if (!GradMode.IsEnabled)
            return result;
        int d = Tensor.NormalizeDim(dim, a.Dim);
        long[] inputShape = a.ShapeArray;
        return ViewTracking.RecordView(result, a, () => new SelectBackward(inputShape, d, index), t => t.Select(d, index));
    }
}
