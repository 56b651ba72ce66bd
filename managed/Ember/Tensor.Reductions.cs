using Ember.Interop;

namespace Ember;

// Reductions beyond sum/mean (prod, amax/amin, max/min, var/std, norm, logsumexp, all/any,
// count_nonzero), arg reductions, scans (cumsum, cumprod, cummax, cummin) and order statistics
// (median, mode). Reductions take all elements, one dim or a list of dims (negative dims count from
// the end), with keepdim as in PyTorch; float16/bfloat16 accumulate in float32.
public unsafe partial class Tensor
{
    private delegate ember_status DimsReduction(ember_tensor a, int* dims, int ndims, int keepdim, ember_tensor* result);

    private Tensor Reduce(DimsReduction call, ReadOnlySpan<int> dims, bool keepdim)
    {
        ember_tensor r;
        fixed (int* d = dims)
            return Wrap(call(Handle, d, dims.Length, keepdim ? 1 : 0, &r), r, this);
    }

    // ---- prod, amax, amin, max, min ----

    /// <summary>The product of all elements as a 0-d tensor; integer and bool inputs multiply in int64 (<c>torch.prod</c>).</summary>
    public Tensor Prod() => Prod([], false);

    /// <summary>The product over one dim (<c>torch.prod(dim, keepdim)</c>).</summary>
    public Tensor Prod(int dim, bool keepdim = false) => Prod([dim], keepdim);

    private Tensor Prod(ReadOnlySpan<int> dims, bool keepdim)
    {
        int[] d = dims.ToArray();
        Tensor result = Reduce(NativeMethods.ember_prod, dims, keepdim);
        return Derivatives.Multi(result, [this], dims.Length == 0 ? "ProdBackward0" : "ProdBackward1", (g, x, y, _) =>
        {
            // Where x != 0 the gradient is prod / x; a single zero in a slice gets the product of the others;
            // two or more zeros give 0.
            Tensor a = x[0];
            Tensor ge = ReduceGrad.Expand(g, a, d, keepdim), ye = ReduceGrad.Expand(y!, a, d, keepdim);
            Tensor zero = a.Eq(0.0);
            Tensor safe = Torch.Where(zero, Torch.OnesLike(a), a);
            Tensor others = ReduceGrad.Expand(safe.Prod(d.Length == 0 ? [] : d, true), a, d, true);
            Tensor zeros = ReduceGrad.Expand(zero.Sum(d.Length == 0 ? [.. Enumerable.Range(0, a.Dim)] : d, true), a, d, true);
            Tensor atZero = Torch.Where(zeros.Eq(1L), others, Torch.ZerosLike(others));
            return [ge * Torch.Where(zero, atZero, ye / safe)];
        }, saveResult: true);
    }

    /// <summary>The maximum over the given dims (all when empty); NaN propagates (<c>torch.amax</c>).</summary>
    public Tensor Amax(ReadOnlySpan<int> dims, bool keepdim = false) => Extreme(NativeMethods.ember_amax, dims, keepdim, "AmaxBackward0");

    /// <summary>The maximum over one dim (<c>torch.amax</c>).</summary>
    public Tensor Amax(int dim, bool keepdim = false) => Amax([dim], keepdim);

    /// <summary>The minimum over the given dims (all when empty); NaN propagates (<c>torch.amin</c>).</summary>
    public Tensor Amin(ReadOnlySpan<int> dims, bool keepdim = false) => Extreme(NativeMethods.ember_amin, dims, keepdim, "AminBackward0");

    /// <summary>The minimum over one dim (<c>torch.amin</c>).</summary>
    public Tensor Amin(int dim, bool keepdim = false) => Amin([dim], keepdim);

    /// <summary>The largest element as a 0-d tensor; an error for an empty tensor (<c>torch.max()</c>).</summary>
    public Tensor Max() => Extreme(NativeMethods.ember_amax, [], false, "MaxBackward1");

    /// <summary>The smallest element as a 0-d tensor (<c>torch.min()</c>).</summary>
    public Tensor Min() => Extreme(NativeMethods.ember_amin, [], false, "MinBackward1");

    // The gradient is shared evenly between the positions that hold the extreme.
    private Tensor Extreme(DimsReduction call, ReadOnlySpan<int> dims, bool keepdim, string name)
    {
        int[] d = dims.ToArray();
        return Derivatives.Multi(Reduce(call, dims, keepdim), [this], name, (g, x, y, _) =>
        {
            Tensor a = x[0];
            Tensor hit = a.Eq(ReduceGrad.Expand(y!, a, d, keepdim));
            Tensor count = ReduceGrad.Expand(hit.Sum(ReduceGrad.AllDims(a, d), true), a, d, true);
            return [ReduceGrad.Expand(g, a, d, keepdim) * hit / count];
        }, saveResult: true);
    }

    /// <summary>
    /// The minima along <paramref name="dim"/> and the int64 index of the first minimum (<c>torch.min(dim, keepdim)</c>).
    /// The values are differentiable: their gradient goes to the positions of the minima.
    /// </summary>
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepdim = false)
    {
        ember_tensor values, indices;
        ember_status status = NativeMethods.ember_min_dim(Handle, dim, keepdim ? 1 : 0, &values, &indices);
        GC.KeepAlive(this);
        Errors.Check(status);
        var i = new Tensor(indices);
        return (Derivatives.Indexed(new Tensor(values), i, this, "MinBackward0", dim, keepdim), i);
    }

    /// <summary>The int64 index of the first minimum along <paramref name="dim"/> (<c>torch.argmin(dim, keepdim)</c>).</summary>
    public Tensor ArgMin(int dim, bool keepdim = false) { ember_tensor r; return Wrap(NativeMethods.ember_argmin(Handle, dim, keepdim ? 1 : 0, &r), r, this); }

    /// <summary>The int64 index of the first minimum of the flattened tensor, as a 0-d tensor (<c>torch.argmin()</c>).</summary>
    public Tensor ArgMin()
    {
        using Tensor flat = Reshape(-1);
        return flat.ArgMin(0);
    }

    // ---- logic and counting ----

    /// <summary>True when every element is nonzero, as a 0-d bool tensor (uint8 for uint8 input) (<c>torch.all</c>).</summary>
    public Tensor All() => Reduce(NativeMethods.ember_all, [], false);

    /// <summary>all over one dim (<c>torch.all(dim, keepdim)</c>).</summary>
    public Tensor All(int dim, bool keepdim = false) => Reduce(NativeMethods.ember_all, [dim], keepdim);

    /// <summary>True when any element is nonzero (<c>torch.any</c>).</summary>
    public Tensor Any() => Reduce(NativeMethods.ember_any, [], false);

    /// <summary>any over one dim (<c>torch.any(dim, keepdim)</c>).</summary>
    public Tensor Any(int dim, bool keepdim = false) => Reduce(NativeMethods.ember_any, [dim], keepdim);

    /// <summary>The number of nonzero elements over the given dims (all when none), as int64 (<c>torch.count_nonzero</c>).</summary>
    public Tensor CountNonzero(params ReadOnlySpan<int> dims)
    {
        ember_tensor r;
        fixed (int* d = dims)
            return Wrap(NativeMethods.ember_count_nonzero(Handle, d, dims.Length, &r), r, this);
    }

    // ---- var, std, norm, logsumexp ----

    /// <summary>The variance of all elements with Bessel's correction by default (<c>torch.var</c>).</summary>
    public Tensor Var(double correction = 1) => Var([], correction, false);

    /// <summary>The variance over one dim (<c>torch.var(dim, correction=, keepdim=)</c>).</summary>
    public Tensor Var(int dim, double correction = 1, bool keepdim = false) => Var([dim], correction, keepdim);

    /// <summary>The variance over the given dims: the sum of squared deviations divided by N - correction (<c>torch.var</c>).</summary>
    public Tensor Var(ReadOnlySpan<int> dims, double correction = 1, bool keepdim = false) => Spread(dims, correction, keepdim, std: false);

    /// <summary>The standard deviation of all elements (<c>torch.std</c>).</summary>
    public Tensor Std(double correction = 1) => Std([], correction, false);

    /// <summary>The standard deviation over one dim (<c>torch.std(dim, correction=, keepdim=)</c>).</summary>
    public Tensor Std(int dim, double correction = 1, bool keepdim = false) => Std([dim], correction, keepdim);

    /// <summary>The standard deviation over the given dims (<c>torch.std</c>).</summary>
    public Tensor Std(ReadOnlySpan<int> dims, double correction = 1, bool keepdim = false) => Spread(dims, correction, keepdim, std: true);

    /// <summary>The variance and the mean over the given dims, in one call (<c>torch.var_mean</c>).</summary>
    public (Tensor Var, Tensor Mean) VarMean(ReadOnlySpan<int> dims, double correction = 1, bool keepdim = false) => SpreadMean(dims, correction, keepdim, std: false);

    /// <summary>The standard deviation and the mean over the given dims (<c>torch.std_mean</c>).</summary>
    public (Tensor Std, Tensor Mean) StdMean(ReadOnlySpan<int> dims, double correction = 1, bool keepdim = false) => SpreadMean(dims, correction, keepdim, std: true);

    private Tensor Spread(ReadOnlySpan<int> dims, double correction, bool keepdim, bool std)
    {
        ember_tensor r;
        ember_status status;
        fixed (int* d = dims)
        {
            status = std
                ? NativeMethods.ember_std(Handle, d, dims.Length, correction, keepdim ? 1 : 0, &r)
                : NativeMethods.ember_var(Handle, d, dims.Length, correction, keepdim ? 1 : 0, &r);
        }
        return RecordSpread(Wrap(status, r, this), dims, correction, keepdim, std);
    }

    private (Tensor, Tensor) SpreadMean(ReadOnlySpan<int> dims, double correction, bool keepdim, bool std)
    {
        ember_tensor v, m;
        ember_status status;
        fixed (int* d = dims)
        {
            status = std
                ? NativeMethods.ember_std_mean(Handle, d, dims.Length, correction, keepdim ? 1 : 0, &v, &m)
                : NativeMethods.ember_var_mean(Handle, d, dims.Length, correction, keepdim ? 1 : 0, &v, &m);
        }
        GC.KeepAlive(this);
        Errors.Check(status);
        Tensor spread = RecordSpread(new Tensor(v), dims, correction, keepdim, std);
        Tensor mean = Derivatives.Mean(new Tensor(m), this, dims, keepdim);
        return (spread, mean);
    }

    // var: grad 2 (x - mean) / (N - correction); std: grad (x - mean) / ((N - correction) std).
    private Tensor RecordSpread(Tensor result, ReadOnlySpan<int> dims, double correction, bool keepdim, bool std)
    {
        int[] d = dims.ToArray();
        return Derivatives.Multi(result, [this], std ? "StdBackward0" : "VarBackward0", (g, x, y, _) =>
        {
            Tensor a = x[0];
            int[] all = ReduceGrad.AllDims(a, d);
            double n = ReduceGrad.Count(a, all) - correction;
            Tensor centered = a - a.Mean(all, true);
            Tensor ge = ReduceGrad.Expand(g, a, d, keepdim);
            return [std ? ge * centered / (ReduceGrad.Expand(y!, a, d, keepdim) * n) : ge * centered * (2 / n)];
        }, saveResult: std);
    }

    /// <summary>The 2-norm of all elements (<c>torch.norm()</c>, <c>torch.linalg.vector_norm</c>).</summary>
    public Tensor Norm(double p = 2) => Norm(p, [], false);

    /// <summary>
    /// The p-norm over the given dims (all when empty): (Σ|x|^p)^(1/p); p may be ±∞ (max/min of |x|) or 0 (the count of
    /// nonzeros); "fro" is p = 2 (<c>torch.linalg.vector_norm</c>).
    /// </summary>
    public Tensor Norm(double p, ReadOnlySpan<int> dims, bool keepdim = false)
    {
        ember_tensor r;
        Tensor result;
        fixed (int* d = dims)
            result = Wrap(NativeMethods.ember_norm(Handle, p, d, dims.Length, keepdim ? 1 : 0, &r), r, this);
        int[] dd = dims.ToArray();
        return Derivatives.Multi(result, [this], "NormBackward1", (g, x, y, _) => [NormGrad(g, x[0], y!, p, dd, keepdim)], saveResult: true);
    }

    /// <summary>The Frobenius norm ("fro") or another named norm over the given dims (<c>torch.norm(p="fro")</c>).</summary>
    public Tensor Norm(string p, ReadOnlySpan<int> dims = default, bool keepdim = false) => p switch
    {
        "fro" => Norm(2, dims, keepdim),
        _ => throw new ArgumentException($"Tensor.Norm: unsupported norm \"{p}\"; use \"fro\" or a number", nameof(p)),
    };

    private static Tensor NormGrad(Tensor g, Tensor x, Tensor y, double p, int[] dims, bool keepdim)
    {
        Tensor ge = ReduceGrad.Expand(g, x, dims, keepdim), ye = ReduceGrad.Expand(y, x, dims, keepdim);
        if (p == 0)
            return Torch.ZerosLike(x);
        if (p == 1)
            return ge * x.Sign();
        if (double.IsInfinity(p))
        {
            Tensor hit = x.Abs().Eq(ye);
            Tensor count = ReduceGrad.Expand(hit.Sum(ReduceGrad.AllDims(x, dims), true), x, dims, true);
            return ge * x.Sign() * hit / count;
        }
        // (|x| / y)^(p - 1) sign(x); where the norm is 0 the gradient is taken as 0.
        Tensor safe = Torch.Where(ye.Eq(0.0), Torch.OnesLike(ye), ye);
        Tensor scaled = p == 2 ? x / safe : x * x.Abs().Pow(p - 2) / safe.Pow(p - 1);
        return ge * Torch.Where(ye.Eq(0.0), Torch.ZerosLike(x), scaled);
    }

    /// <summary>log(Σ e^x) over the given dims, computed stably (<c>torch.logsumexp</c>).</summary>
    public Tensor LogSumExp(ReadOnlySpan<int> dims, bool keepdim = false)
    {
        int[] d = dims.ToArray();
        return Derivatives.Multi(Reduce(NativeMethods.ember_logsumexp, dims, keepdim), [this], "LogsumexpBackward0", (g, x, y, _) =>
            [ReduceGrad.Expand(g, x[0], d, keepdim) * (x[0] - ReduceGrad.Expand(y!, x[0], d, keepdim)).Exp()], saveResult: true);
    }

    /// <summary>logsumexp over one dim (<c>torch.logsumexp</c>).</summary>
    public Tensor LogSumExp(int dim, bool keepdim = false) => LogSumExp([dim], keepdim);

    // ---- scans ----

    /// <summary>Running sums along <paramref name="dim"/>; integers and bool sum in int64 unless <paramref name="dtype"/> is given (<c>torch.cumsum</c>).</summary>
    public Tensor Cumsum(int dim, DType? dtype = null)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_cumsum(Handle, dim, dtype is null ? -1 : (int)dtype, &r), r, this);
        return Derivatives.Multi(result, [this], "CumsumBackward0", (g, _, _, _) => [ReduceGrad.ReverseCumsum(g, dim)]);
    }

    /// <summary>Running products along <paramref name="dim"/> (<c>torch.cumprod</c>).</summary>
    public Tensor Cumprod(int dim, DType? dtype = null)
    {
        ember_tensor r;
        Tensor result = Wrap(NativeMethods.ember_cumprod(Handle, dim, dtype is null ? -1 : (int)dtype, &r), r, this);
        return Derivatives.Multi(result, [this], "CumprodBackward0", (g, x, y, _) => [CumprodGrad(g, x[0], y!, dim)], saveResult: true);
    }

    // d y_k / d x_i = prod_{j <= k, j != i} x_j for k >= i: y_k / x_i when x has no zeros; otherwise the
    // products are formed explicitly, for every i at once along a new dim (n^2 elements per line).
    private static Tensor CumprodGrad(Tensor g, Tensor x, Tensor y, int dim)
    {
        if (x.Dim == 0)
            return g * 1.0;
        int d = NormalizeDim(dim, x.Dim);
        if (!x.Eq(0.0).Any().Item<bool>())
            return ReduceGrad.ReverseCumsum(g * y, d) / x;
        long n = x.ShapeArray[d];
        long[] iShape = new long[x.Dim + 1], kShape = new long[x.Dim + 1];
        Array.Fill(iShape, 1L);
        Array.Fill(kShape, 1L);
        iShape[d] = n;      // the input position i, a new dim at d
        kShape[d + 1] = n;  // the output position k, x's own dim, now at d + 1
        Tensor i = Torch.Arange(n, DType.Int64, x.Device).View(iShape), k = Torch.Arange(n, DType.Int64, x.Device).View(kShape);
        Tensor xk = x.Unsqueeze(d);
        Tensor without = Torch.Where(i.Eq(k), Torch.OnesLike(xk), xk);  // x with x_i replaced by 1, for every i
        return (g.Unsqueeze(d) * without.Cumprod(d + 1) * k.Ge(i)).Sum(d + 1);
    }

    /// <summary>Running maxima along <paramref name="dim"/> and the index of the last maximum so far (<c>torch.cummax</c>).</summary>
    public (Tensor Values, Tensor Indices) Cummax(int dim) => Scan(dim, max: true);

    /// <summary>Running minima along <paramref name="dim"/> and the index of the last minimum so far (<c>torch.cummin</c>).</summary>
    public (Tensor Values, Tensor Indices) Cummin(int dim) => Scan(dim, max: false);

    private (Tensor, Tensor) Scan(int dim, bool max)
    {
        ember_tensor values, indices;
        ember_status status = max ? NativeMethods.ember_cummax(Handle, dim, &values, &indices) : NativeMethods.ember_cummin(Handle, dim, &values, &indices);
        GC.KeepAlive(this);
        Errors.Check(status);
        var i = new Tensor(indices);
        return (Derivatives.Indexed(new Tensor(values), i, this, max ? "CummaxBackward0" : "CumminBackward0", dim, true, scan: true), i);
    }

    // ---- order statistics ----

    /// <summary>The lower median of all elements (NaN if any element is NaN) as a 0-d tensor (<c>torch.median()</c>).</summary>
    public Tensor Median()
    {
        if (NumEl == 0)
        {
            ember_tensor r;
            return Wrap(NativeMethods.ember_median(Handle, &r), r, this);
        }
        using Tensor flat = Reshape(-1);
        (Tensor values, Tensor indices) = flat.Median(0);
        indices.Dispose();
        return values;
    }

    /// <summary>The lower median along <paramref name="dim"/> and its index (<c>torch.median(dim, keepdim)</c>).</summary>
    public (Tensor Values, Tensor Indices) Median(int dim, bool keepdim = false) => Order(NativeMethods.ember_median_dim, dim, keepdim, "MedianBackward1");

    /// <summary>The most frequent value along <paramref name="dim"/> (the smallest on ties) and an index where it occurs (<c>torch.mode</c>).</summary>
    public (Tensor Values, Tensor Indices) Mode(int dim = -1, bool keepdim = false) => Order(NativeMethods.ember_mode, dim, keepdim, "ModeBackward0");

    private delegate ember_status OrderCall(ember_tensor a, int dim, int keepdim, ember_tensor* values, ember_tensor* indices);

    private (Tensor, Tensor) Order(OrderCall call, int dim, bool keepdim, string name)
    {
        ember_tensor values, indices;
        ember_status status = call(Handle, dim, keepdim ? 1 : 0, &values, &indices);
        GC.KeepAlive(this);
        Errors.Check(status);
        var i = new Tensor(indices);
        return (Derivatives.Indexed(new Tensor(values), i, this, name, dim, keepdim), i);
    }
}

/// <summary>Shapes for the gradients of reductions.</summary>
internal static class ReduceGrad
{
    /// <summary>The reduced dims, normalized; every dim when <paramref name="dims"/> is empty.</summary>
    public static int[] AllDims(Tensor input, int[] dims)
    {
        int n = input.Dim;
        if (dims.Length == 0)
            return [.. Enumerable.Range(0, n)];
        return Array.ConvertAll(dims, d => Tensor.NormalizeDim(d, Math.Max(n, 1)));
    }

    /// <summary>The number of elements folded into each output.</summary>
    public static double Count(Tensor input, int[] normalized)
    {
        double c = 1;
        long[] shape = input.ShapeArray;
        foreach (int d in normalized)
            c *= shape.Length == 0 ? 1 : shape[d];
        return c;
    }

    /// <summary>A reduction's output (or gradient) broadcast back over the input's shape.</summary>
    public static Tensor Expand(Tensor reduced, Tensor input, int[] dims, bool keepdim)
    {
        long[] shape = input.ShapeArray;
        if (!keepdim && shape.Length > 0)
        {
            long[] kept = (long[])shape.Clone();
            foreach (int d in AllDims(input, dims))
                kept[d] = 1;
            reduced = reduced.Reshape(kept);
        }
        return reduced.Expand(shape);
    }

    /// <summary>Σ_{j ≥ i} g_j along dim: the gradient of cumsum.</summary>
    public static Tensor ReverseCumsum(Tensor g, int dim) => g.Sum(dim, keepdim: true) - g.Cumsum(dim) + g;
}
