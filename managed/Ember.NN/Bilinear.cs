namespace Ember.NN;

/// <summary>
/// y = x1ᵀ·A·x2 + b per output feature (<c>nn.Bilinear</c>): inputs (*, in1_features) and (*, in2_features) with
/// the same leading dims, output (*, out_features). The weight (out_features, in1_features, in2_features) and
/// bias (out_features) start as U(-1/√in1_features, 1/√in1_features), PyTorch's default.
/// </summary>
public sealed class Bilinear : Module<Tensor, Tensor, Tensor>
{
    /// <summary>A bilinear layer; with a bias unless <paramref name="bias"/> is false.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A feature count is negative.</exception>
    public Bilinear(long in1Features, long in2Features, long outFeatures, bool bias = true, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(in1Features);
        ArgumentOutOfRangeException.ThrowIfNegative(in2Features);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        In1Features = in1Features;
        In2Features = in2Features;
        OutFeatures = outFeatures;
        Weight = Layers.NewParameter([outFeatures, in1Features, in2Features], dtype, device);
        Bias = bias ? Layers.NewParameter([outFeatures], dtype, device) : null;
        ResetParameters();
    }

    /// <summary>Size of the first input (<c>in1_features</c>).</summary>
    public long In1Features { get; }

    /// <summary>Size of the second input (<c>in2_features</c>).</summary>
    public long In2Features { get; }

    /// <summary>Output size (<c>out_features</c>).</summary>
    public long OutFeatures { get; }

    /// <summary>The weight, shape (out_features, in1_features, in2_features).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>The bias, shape (out_features), or null.</summary>
    public Parameter? Bias { get; private set; }

    /// <summary>Draws new initial values as the constructor does (<c>reset_parameters</c>).</summary>
    public void ResetParameters()
    {
        double bound = In1Features > 0 ? 1 / Math.Sqrt(In1Features) : 0;
        Init.Uniform_(Weight, -bound, bound);
        if (Bias is not null)
            Init.Uniform_(Bias, -bound, bound);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The inputs' last dims differ from the feature counts or their leading dims differ.</exception>
    public override Tensor Forward(Tensor input1, Tensor input2)
    {
        ArgumentNullException.ThrowIfNull(input1);
        ArgumentNullException.ThrowIfNull(input2);
        long[] s1 = input1.ShapeArray, s2 = input2.ShapeArray;
        if (s1.Length == 0 || s1[^1] != In1Features || s2.Length == 0 || s2[^1] != In2Features || !s1[..^1].AsSpan().SequenceEqual(s2[..^1]))
            throw new ArgumentException($"Bilinear: expected inputs (*, {In1Features}) and (*, {In2Features}) with the same leading dims, but got {input1.Shape} and {input2.Shape}");
        using var scope = Torch.NewScope();
        // x1 (n, in1) · A viewed as (in1, out·in2), then contracted with x2 over in2.
        Tensor x1 = input1.Reshape(-1, In1Features), x2 = input2.Reshape(-1, In2Features);
        Tensor a = Weight.Permute(1, 0, 2).Reshape(In1Features, OutFeatures * In2Features);
        Tensor t = x1.MatMul(a).View(-1, OutFeatures, In2Features);
        Tensor y = (t * x2.Unsqueeze(1)).Sum(2);
        if (Bias is not null)
            y = y + Bias;
        long[] outShape = [.. s1[..^1], OutFeatures];
        return scope.MoveOut(y.Reshape(outShape));
    }

    /// <inheritdoc/>
    public override string ExtraRepr() =>
        $"in1_features={In1Features}, in2_features={In2Features}, out_features={OutFeatures}, bias={PyBool(Bias is not null)}";
}
