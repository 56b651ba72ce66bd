namespace Ember.NN;

/// <summary>
/// y = x·Wᵀ + b (<c>nn.Linear</c>). The weight (out_features, in_features) and bias (out_features) start as
/// U(-1/√in_features, 1/√in_features), PyTorch's default.
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>A layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>, with a bias unless <paramref name="bias"/> is false.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is negative.</exception>
    public Linear(long inFeatures, long outFeatures, bool bias = true, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Layers.NewParameter([outFeatures, inFeatures], dtype, device);
        Bias = bias ? Layers.NewParameter([outFeatures], dtype, device) : null;
        ResetParameters();
    }

    /// <summary>Input size (<c>in_features</c>).</summary>
    public long InFeatures { get; }

    /// <summary>Output size (<c>out_features</c>).</summary>
    public long OutFeatures { get; }

    /// <summary>The weight, shape (out_features, in_features).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>The bias, shape (out_features), or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Draws new initial values as the constructor does (<c>reset_parameters</c>).</summary>
    public void ResetParameters() => Layers.ResetLikeTorch(Weight, Bias);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"in_features={InFeatures}, out_features={OutFeatures}, bias={PyBool(Bias is not null)}";
}

/// <summary>Returns its input unchanged (<c>nn.Identity</c>).</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>Flattens dims <c>start_dim</c>..<c>end_dim</c> into one (<c>nn.Flatten</c>); by default all but the batch dim.</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>First dim to flatten (<c>start_dim</c>).</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dim to flatten (<c>end_dim</c>).</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Size shape = input.Shape;
        int n = shape.Count;
        if (n == 0)
            return input.Reshape(1);
        int start = Tensor.NormalizeDim(StartDim, n), end = Tensor.NormalizeDim(EndDim, n);
        if (start > end)
            throw new ArgumentException($"Flatten: start_dim {StartDim} comes after end_dim {EndDim} for input of shape {shape}");
        Span<long> target = stackalloc long[n - (end - start)];
        int k = 0;
        for (int i = 0; i < start; i++)
            target[k++] = shape[i];
        long flat = 1;
        for (int i = start; i <= end; i++)
            flat *= shape[i];
        target[k++] = flat;
        for (int i = end + 1; i < n; i++)
            target[k++] = shape[i];
        return input.Reshape(target);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}

/// <summary>Expands dim <c>dim</c> into the shape <c>unflattened_size</c> (<c>nn.Unflatten</c>); one entry may be -1.</summary>
public sealed class Unflatten : Module<Tensor, Tensor>
{
    private readonly long[] _sizes;

    /// <summary>Unflattens <paramref name="dim"/> into <paramref name="unflattenedSize"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="unflattenedSize"/> is empty.</exception>
    public Unflatten(int dim, params long[] unflattenedSize)
    {
        ArgumentNullException.ThrowIfNull(unflattenedSize);
        if (unflattenedSize.Length == 0)
            throw new ArgumentException("Unflatten: unflattened_size must be non-empty", nameof(unflattenedSize));
        Dim = dim;
        _sizes = [.. unflattenedSize];
    }

    /// <summary>The dim to expand (<c>dim</c>).</summary>
    public int Dim { get; }

    /// <summary>The shape it expands into (<c>unflattened_size</c>).</summary>
    public IReadOnlyList<long> UnflattenedSize => _sizes;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The sizes' product differs from the dim's size.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.Unflatten(Dim, _sizes);
    }

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}, unflattened_size=({string.Join(", ", _sizes)}{(_sizes.Length == 1 ? "," : "")})";
}

/// <summary>Helpers shared by the layers.</summary>
internal static class Layers
{
    /// <summary>An uninitialised parameter of the given shape.</summary>
    public static Parameter NewParameter(ReadOnlySpan<long> shape, DType? dtype, Device? device)
    {
        using Tensor data = Torch.Empty(shape, dtype ?? Torch.DefaultDType, device);
        return new Parameter(data);
    }

    /// <summary>PyTorch's Linear/Conv default: kaiming_uniform_(a=√5) on the weight, U(±1/√fan_in) on the bias.</summary>
    public static void ResetLikeTorch(Parameter weight, Parameter? bias)
    {
        Init.KaimingUniform_(weight, a: Math.Sqrt(5));
        if (bias is null)
            return;
        (long fanIn, _) = Init.CalculateFanInAndFanOut(weight);
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Init.Uniform_(bias, -bound, bound);
    }

    /// <summary>Python's repr of a float: 0.5, 1.0, 1e-05.</summary>
    public static string PyFloat(double value)
    {
        if (double.IsNaN(value))
            return "nan";
        if (double.IsInfinity(value))
            return value > 0 ? "inf" : "-inf";
        string s = value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (s.Contains('E'))
        {
            // .NET writes 1E-05; Python writes 1e-05.
            int e = s.IndexOf('E');
            string mantissa = s[..e];
            int exponent = int.Parse(s[(e + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            return $"{mantissa}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        return s.Contains('.') ? s : s + ".0";
    }

    /// <summary>A pair as PyTorch prints it, (a, b).</summary>
    public static string Pair((long, long) p) => $"({p.Item1}, {p.Item2})";
}
