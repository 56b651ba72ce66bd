using System.Runtime.CompilerServices;
using Ember.Interop;

namespace Ember;

/// <summary>
/// Records ops into the autograd graph (the C# counterpart of PyTorch's derivatives.yaml). Each op calls
/// one method here after its native call. The inlined part only reads the inputs' requires-grad flags
/// (and, for views, remembers the base); everything else happens in the non-inlined Record* methods,
/// which run only when an input requires grad.
/// </summary>
internal static unsafe partial class Derivatives
{
    // ---- binary ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Add(Tensor result, Tensor a, Tensor b) => a._requiresGrad | b._requiresGrad ? RecordAdd(result, a, b, false) : result;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Sub(Tensor result, Tensor a, Tensor b) => a._requiresGrad | b._requiresGrad ? RecordAdd(result, a, b, true) : result;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Mul(Tensor result, Tensor a, Tensor b) => a._requiresGrad | b._requiresGrad ? RecordMul(result, a, b) : result;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Div(Tensor result, Tensor a, Tensor b) => a._requiresGrad | b._requiresGrad ? RecordDiv(result, a, b) : result;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor MatMul(Tensor result, Tensor a, Tensor b) => a._requiresGrad | b._requiresGrad ? RecordMatMul(result, a, b) : result;

    // ---- with a number ----

    /// <summary>a + s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor AddScalar(Tensor result, Tensor a) => a._requiresGrad ? RecordUnary(result, a, new PassBackward("AddBackward1", false)) : result;

    /// <summary>a - s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor SubScalar(Tensor result, Tensor a) => a._requiresGrad ? RecordUnary(result, a, new PassBackward("SubBackward1", false)) : result;

    /// <summary>s - a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor RsubScalar(Tensor result, Tensor a) => a._requiresGrad ? RecordUnary(result, a, new PassBackward("RsubBackward1", true)) : result;

    /// <summary>a * s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor MulScalar(Tensor result, Tensor a, double s) => a._requiresGrad ? RecordUnary(result, a, new ScaleBackward("MulBackward1", s, false)) : result;

    /// <summary>a / s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor DivScalar(Tensor result, Tensor a, double s) => a._requiresGrad ? RecordUnary(result, a, new ScaleBackward("DivBackward1", s, true)) : result;

    /// <summary>s / a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor RdivScalar(Tensor result, Tensor a, double s) => a._requiresGrad ? RecordRdiv(result, a, s) : result;

    // ---- unary ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Neg(Tensor result, Tensor a) => a._requiresGrad ? RecordUnary(result, a, new PassBackward("NegBackward0", true)) : result;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Exp(Tensor result, Tensor a) => a._requiresGrad ? RecordExp(result, a) : result;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Log(Tensor result, Tensor a) => a._requiresGrad ? RecordLog(result, a) : result;

    // ---- reductions ----

    /// <summary>sum over <paramref name="dims"/> (all elements when empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Sum(Tensor result, Tensor a, ReadOnlySpan<int> dims, bool keepdim) => a._requiresGrad ? RecordReduce(result, a, dims, keepdim, mean: false) : result;

    /// <summary>mean over <paramref name="dims"/> (all elements when empty).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Mean(Tensor result, Tensor a, ReadOnlySpan<int> dims, bool keepdim) => a._requiresGrad ? RecordReduce(result, a, dims, keepdim, mean: true) : result;

    // ---- copies and casts ----

    /// <summary>clone: a new tensor with its own elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Clone(Tensor result, Tensor a) => a._requiresGrad ? RecordUnary(result, a, new PassBackward("CloneBackward0", false)) : result;

    /// <summary>to(dtype) and to(device): an alias of the input when nothing changes, else a converted copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor To(Tensor result, Tensor a)
    {
        if (Tensor.SameTensor(result, a))
        {
            result._viewBase = a._viewBase ?? a;
            result._inference = a._inference;
        }
        return a._requiresGrad ? RecordTo(result, a) : result;
    }

    /// <summary>contiguous: an alias of the input when it is contiguous, else a copy.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Tensor Contiguous(Tensor result, Tensor a)
    {
        if (Tensor.SameTensor(result, a))
        {
            result._viewBase = a._viewBase ?? a;
            result._inference = a._inference;
        }
        return a._requiresGrad ? RecordContiguous(result, a) : result;
    }

    // ---- slow paths ----

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordAdd(Tensor result, Tensor a, Tensor b, bool subtract)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new AddBackward(a.ShapeArray, a.DType, b.ShapeArray, b.DType, subtract) { Next = [Autograd.EdgeOf(a), Autograd.EdgeOf(b)] };
        return Autograd.SetHistory(SameLayoutResult(result, a, b), node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordMul(Tensor result, Tensor a, Tensor b)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new MulBackward(a.ShapeArray, a.DType, b.ShapeArray, b.DType)
        {
            Next = [Autograd.EdgeOf(a), Autograd.EdgeOf(b)],
            A = b._requiresGrad ? SavedSlot.Of(a) : default,
            B = a._requiresGrad ? SavedSlot.Of(b) : default,
        };
        return Autograd.SetHistory(SameLayoutResult(result, a, b), node);
    }

    /// <summary>An elementwise result of two inputs of one shape and one floating dtype has that shape and dtype.</summary>
    private static Tensor SameLayoutResult(Tensor result, Tensor a, Tensor b)
    {
        DType dtype = a.DType;
        if (dtype == b.DType && dtype.IsFloatingPoint() && Grads.SameLayout(a.ShapeArray, dtype, b.ShapeArray, dtype))
        {
            result.KnownLayout(a.ShapeArray, dtype);
            if (a._device == b._device)
                result.KnownDevice(a);
        }
        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordDiv(Tensor result, Tensor a, Tensor b)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new DivBackward(a.ShapeArray, a.DType, b.ShapeArray, b.DType)
        {
            Next = [Autograd.EdgeOf(a), Autograd.EdgeOf(b)],
            A = b._requiresGrad ? SavedTensor.Of(a) : null,
            B = SavedTensor.Of(b),
        };
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordMatMul(Tensor result, Tensor a, Tensor b)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new MatmulBackward(a.ShapeArray, a.DType, b.ShapeArray, b.DType)
        {
            Next = [Autograd.EdgeOf(a), Autograd.EdgeOf(b)],
            A = b._requiresGrad ? SavedTensor.Of(a) : null,
            B = a._requiresGrad ? SavedTensor.Of(b) : null,
        };
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordUnary(Tensor result, Tensor a, Autograd.Node node)
    {
        if (!GradMode.IsEnabled)
            return result;
        node.Next = [Autograd.EdgeOf(a)];
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordRdiv(Tensor result, Tensor a, double s)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new RdivBackward(s) { Next = [Autograd.EdgeOf(a)], A = SavedTensor.Of(a) };
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordExp(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new ExpBackward { Next = [Autograd.EdgeOf(a)] };
        Autograd.SetHistory(result, node);
        node.Result = SavedTensor.Of(result);
        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordLog(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        var node = new LogBackward { Next = [Autograd.EdgeOf(a)], A = SavedTensor.Of(a) };
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordReduce(Tensor result, Tensor a, ReadOnlySpan<int> dims, bool keepdim, bool mean)
    {
        if (!GradMode.IsEnabled)
            return result;
        long[] shape = a.ShapeArray;
        int[]? normalized = null;
        long count = 1;
        if (dims.Length == 0)
        {
            foreach (long s in shape)
                count *= s;
        }
        else
        {
            normalized = new int[dims.Length];
            for (int i = 0; i < dims.Length; i++)
            {
                normalized[i] = Tensor.NormalizeDim(dims[i], shape.Length);
                count *= shape.Length == 0 ? 1 : shape[normalized[i]];
            }
        }
        string name = mean ? (dims.Length == 0 ? "MeanBackward0" : "MeanBackward1") : (dims.Length == 0 ? "SumBackward0" : "SumBackward1");
        DType dtype = a.DType;
        if (dims.Length == 0 && dtype.IsFloatingPoint())
            result.KnownLayout([], dtype); // a full reduction of floats is a 0-d tensor of the same dtype
        result.KnownDevice(a);
        var node = new ReduceBackward(name, shape, dtype, shape.Length == 0 ? null : normalized, keepdim, mean ? count : 0) { Next = [Autograd.EdgeOf(a)] };
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordTo(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        if (Tensor.SameTensor(result, a))
            return ViewTracking.RecordView(result, a, () => new PassBackward("AliasBackward0", false), t => t.Alias());
        var node = new ToCopyBackward(a.DType, a.Device) { Next = [Autograd.EdgeOf(a)] };
        return Autograd.SetHistory(result, node);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Tensor RecordContiguous(Tensor result, Tensor a)
    {
        if (!GradMode.IsEnabled)
            return result;
        if (Tensor.SameTensor(result, a))
            return ViewTracking.RecordView(result, a, () => new PassBackward("AliasBackward0", false), t => t.Alias());
        return RecordUnary(result, a, new PassBackward("CloneBackward0", false));
    }
}
