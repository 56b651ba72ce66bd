namespace Ember.NN;

/// <summary>
/// Initialisation of parameters in place (<c>torch.nn.init</c>). Every function runs without recording
/// gradients and returns the tensor it filled. Random draws come from the default generator unless one is
/// given. Fan-in and fan-out follow PyTorch: for a weight of shape (out, in, k...), fan_in = in·∏k and
/// fan_out = out·∏k.
/// </summary>
public static class Init
{
    /// <summary>The recommended gain for a nonlinearity (<c>calculate_gain</c>): 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu, √(2/(1+slope²)) for leaky_relu (slope 0.01 by default), 3/4 for selu.</summary>
    /// <exception cref="ArgumentException">The nonlinearity is unknown.</exception>
    public static double CalculateGain(string nonlinearity, double? param = null)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        switch (nonlinearity)
        {
            case "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid":
                return 1.0;
            case "tanh":
                return 5.0 / 3;
            case "relu":
                return Math.Sqrt(2.0);
            case "leaky_relu":
                double slope = param ?? 0.01;
                return Math.Sqrt(2.0 / (1 + slope * slope));
            case "selu":
                return 3.0 / 4;
            default:
                throw new ArgumentException($"Init.CalculateGain: unsupported nonlinearity \"{nonlinearity}\"", nameof(nonlinearity));
        }
    }

    /// <summary>fan_in and fan_out of a weight of at least 2 dims (<c>_calculate_fan_in_and_fan_out</c>).</summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dims.</exception>
    public static (long FanIn, long FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Size shape = tensor.Shape;
        if (shape.Count < 2)
            throw new ArgumentException($"Init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (shape {shape})", nameof(tensor));
        long receptive = 1;
        for (int i = 2; i < shape.Count; i++)
            receptive *= shape[i];
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>Fills with samples of U(a, b) (<c>uniform_</c>).</summary>
    public static Tensor Uniform_(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var noGrad = Torch.NoGrad();
        using Tensor r = Torch.Rand(tensor.Shape, SampleDType(tensor), tensor.Device, generator);
        using Tensor scaled = r * (b - a);
        using Tensor shifted = scaled + a;
        return tensor.Copy_(shifted);
    }

    /// <summary>Fills with samples of N(mean, std²) (<c>normal_</c>).</summary>
    public static Tensor Normal_(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var noGrad = Torch.NoGrad();
        using Tensor r = Torch.Randn(tensor.Shape, SampleDType(tensor), tensor.Device, generator);
        using Tensor scaled = r * std;
        using Tensor shifted = scaled + mean;
        return tensor.Copy_(shifted);
    }

    /// <summary>Fills with <paramref name="value"/> (<c>constant_</c>).</summary>
    public static Tensor Constant_(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var noGrad = Torch.NoGrad();
        return tensor.Fill_(value);  // a fill kernel on the tensor's device: no host copy, so CUDA graphs can record it
    }

    /// <summary>Fills with zeros (<c>zeros_</c>).</summary>
    public static Tensor Zeros_(Tensor tensor) => Constant_(tensor, 0);

    /// <summary>Fills with ones (<c>ones_</c>).</summary>
    public static Tensor Ones_(Tensor tensor) => Constant_(tensor, 1);

    /// <summary>Fills a 2-d tensor with the identity matrix (<c>eye_</c>).</summary>
    /// <exception cref="ArgumentException">The tensor is not 2-d.</exception>
    public static Tensor Eye_(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Dim != 2)
            throw new ArgumentException($"Init.Eye_: only tensors with 2 dimensions are supported, got shape {tensor.Shape}", nameof(tensor));
        using var noGrad = Torch.NoGrad();
        using Tensor eye = Torch.Eye(tensor.GetSize(0), tensor.GetSize(1), tensor.DType, tensor.Device);
        return tensor.Copy_(eye);
    }

    /// <summary>Glorot uniform: U(-a, a) with a = gain·√(6/(fan_in+fan_out)) (<c>xavier_uniform_</c>).</summary>
    public static Tensor XavierUniform_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        (long fanIn, long fanOut) = CalculateFanInAndFanOut(tensor);
        double a = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform_(tensor, -a, a, generator);
    }

    /// <summary>Glorot normal: N(0, std²) with std = gain·√(2/(fan_in+fan_out)) (<c>xavier_normal_</c>).</summary>
    public static Tensor XavierNormal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        (long fanIn, long fanOut) = CalculateFanInAndFanOut(tensor);
        return Normal_(tensor, 0, gain * Math.Sqrt(2.0 / (fanIn + fanOut)), generator);
    }

    /// <summary>
    /// He uniform: U(-bound, bound) with bound = gain·√(3/fan), gain = <see cref="CalculateGain"/>(nonlinearity, a),
    /// fan = fan_in or fan_out by <paramref name="mode"/> (<c>kaiming_uniform_</c>). Linear and conv layers use a = √5.
    /// </summary>
    public static Tensor KaimingUniform_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        double std = KaimingStd(tensor, a, mode, nonlinearity);
        double bound = Math.Sqrt(3.0) * std;
        return Uniform_(tensor, -bound, bound, generator);
    }

    /// <summary>He normal: N(0, std²) with std = gain/√fan (<c>kaiming_normal_</c>).</summary>
    public static Tensor KaimingNormal_(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null) =>
        Normal_(tensor, 0, KaimingStd(tensor, a, mode, nonlinearity), generator);

    /// <summary>
    /// Fills with a (semi-)orthogonal matrix times <paramref name="gain"/> (<c>orthogonal_</c>): the Q factor of
    /// the QR decomposition of a standard normal matrix with R's diagonal made positive, which makes Q uniform
    /// over the orthogonal matrices (PyTorch multiplies its QR's Q by sign(diag R) for the same reason). Dims
    /// after the first are flattened: rows = size(0), cols = numel / rows.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dims.</exception>
    public static Tensor Orthogonal_(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Dim < 2)
            throw new ArgumentException($"Init.Orthogonal_: only tensors with 2 or more dimensions are supported, got shape {tensor.Shape}", nameof(tensor));
        if (tensor.NumEl == 0)
            return tensor;
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewScope();
        long rows = tensor.GetSize(0), cols = tensor.NumEl / rows;
        Tensor draw = Torch.Randn([rows, cols], SampleDType(tensor), tensor.Device, generator);
        double[] a = draw.To(DType.Float64).ToArray<double>();
        // The QR of the tall orientation: columns of (m, n) with m >= n, orthonormalised in place.
        bool wide = rows < cols;
        int m = (int)Math.Max(rows, cols), n = (int)Math.Min(rows, cols);
        double[] q = new double[m * n]; // column j at [j * m, (j + 1) * m)
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
                q[j * m + i] = wide ? a[j * cols + i] : a[i * cols + j];
        }
        GramSchmidt(q, m, n);
        double[] result = new double[rows * cols];
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
                result[wide ? j * cols + i : i * cols + j] = q[j * m + i] * gain;
        }
        Tensor values = Torch.Tensor<double>(result, [rows, cols], device: tensor.Device);
        return tensor.Copy_(values.View(tensor.ShapeArray));
    }

    // Orthonormalises the n columns of length m (column-major) from the first on: Gram-Schmidt with a second
    // projection pass, which keeps them orthogonal to rounding. The implied R has a positive diagonal.
    private static void GramSchmidt(double[] q, int m, int n)
    {
        for (int j = 0; j < n; j++)
        {
            Span<double> v = q.AsSpan(j * m, m);
            for (int pass = 0; pass < 2; pass++)
            {
                for (int k = 0; k < j; k++)
                {
                    ReadOnlySpan<double> u = q.AsSpan(k * m, m);
                    double dot = 0;
                    for (int i = 0; i < m; i++)
                        dot += u[i] * v[i];
                    for (int i = 0; i < m; i++)
                        v[i] -= dot * u[i];
                }
            }
            double norm = 0;
            for (int i = 0; i < m; i++)
                norm += v[i] * v[i];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < m; i++)
                v[i] /= norm;
        }
    }

    /// <summary>
    /// Fills with samples of N(mean, std²) truncated to [a, b] (<c>trunc_normal_</c>), by the inverse CDF: uniform
    /// draws between the CDF values of a and b, mapped through erfinv, then clamped against rounding.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="a"/> is not below <paramref name="b"/> or <paramref name="std"/> is not positive.</exception>
    public static Tensor TruncNormal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!(a < b) || !(std > 0))
            throw new ArgumentException($"Init.TruncNormal_: needs a < b and std > 0, got a={a}, b={b}, std={std}");
        using var noGrad = Torch.NoGrad();
        using var scope = Torch.NewScope();
        double lo = NormCdf((a - mean) / std), hi = NormCdf((b - mean) / std);
        Tensor u = Torch.Rand(tensor.Shape, SampleDType(tensor), tensor.Device, generator) * (2 * hi - 2 * lo) + (2 * lo - 1);
        Tensor x = u.Erfinv() * (std * Math.Sqrt(2.0)) + mean;
        return tensor.Copy_(x.Clamp(a, b));
    }

    // The standard normal CDF, as PyTorch's trunc_normal_ computes it (erf from the engine, in float64).
    private static double NormCdf(double x)
    {
        using Tensor t = Torch.Tensor(x / Math.Sqrt(2.0));
        using Tensor e = t.Erf();
        return (1.0 + e.Item<double>()) / 2.0;
    }

    private static double KaimingStd(Tensor tensor, double a, string mode, string nonlinearity)
    {
        (long fanIn, long fanOut) = CalculateFanInAndFanOut(tensor);
        long fan = mode switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"Init: mode {mode} not supported, please use one of fan_in, fan_out", nameof(mode)),
        };
        return CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
    }

    // Low-precision tensors draw in float32 so that the samples are not quantised twice.
    private static DType SampleDType(Tensor tensor)
    {
        DType dtype = tensor.DType;
        if (!dtype.IsFloatingPoint())
            throw new DTypeException($"Init: random initialisation needs a floating tensor, but got dtype {dtype.ToTorchString()}");
        return dtype is DType.Float64 ? DType.Float64 : DType.Float32;
    }
}
