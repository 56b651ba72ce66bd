namespace Ember.NN;

// The activations of Functional as modules, with PyTorch's arguments and printing. Those with an
// `inplace` argument overwrite their input when it is true, as nn.*(inplace=True).

/// <summary>min(max(x, 0), 6) (<c>nn.ReLU6</c>).</summary>
public sealed class ReLU6(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Relu6(input, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => ActivationRepr.Inplace(Inplace);
}

/// <summary>x where x &gt; 0, else negative_slope · x (<c>nn.LeakyReLU</c>).</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01, bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>The slope for negative inputs (<c>negative_slope</c>).</summary>
    public double NegativeSlope { get; } = negativeSlope;

    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LeakyRelu(input, NegativeSlope, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"negative_slope={Layers.PyFloat(NegativeSlope)}{ActivationRepr.InplaceSuffix(Inplace)}";
}

/// <summary>x where x &gt; 0, else alpha (e^x - 1) (<c>nn.ELU</c>).</summary>
public sealed class ELU(double alpha = 1.0, bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>The negative saturation (<c>alpha</c>).</summary>
    public double Alpha { get; } = alpha;

    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Elu(input, Alpha, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"alpha={Layers.PyFloat(Alpha)}{ActivationRepr.InplaceSuffix(Inplace)}";
}

/// <summary>Scaled ELU with the fixed constants of self-normalising networks (<c>nn.SELU</c>).</summary>
public sealed class SELU(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Selu(input, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => ActivationRepr.Inplace(Inplace);
}

/// <summary>max(0, x) + min(0, alpha (e^(x / alpha) - 1)) (<c>nn.CELU</c>).</summary>
public sealed class CELU(double alpha = 1.0, bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>The negative saturation (<c>alpha</c>).</summary>
    public double Alpha { get; } = alpha;

    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Celu(input, Alpha, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"alpha={Layers.PyFloat(Alpha)}{ActivationRepr.InplaceSuffix(Inplace)}";
}

/// <summary>x Φ(x); approximate "tanh" uses the tanh approximation (<c>nn.GELU</c>).</summary>
public sealed class GELU : Module<Tensor, Tensor>
{
    /// <summary>A GELU layer; <paramref name="approximate"/> is "none" or "tanh".</summary>
    /// <exception cref="ArgumentException">Another approximation was asked for.</exception>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"GELU: approximate must be \"none\" or \"tanh\", got \"{approximate}\"", nameof(approximate));
        Approximate = approximate;
    }

    /// <summary>"none" or "tanh" (<c>approximate</c>).</summary>
    public string Approximate { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Gelu(input, Approximate);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"approximate='{Approximate}'";
}

/// <summary>x · sigmoid(x) (<c>nn.SiLU</c>).</summary>
public sealed class SiLU(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Silu(input, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => ActivationRepr.Inplace(Inplace);
}

/// <summary>x · tanh(softplus(x)) (<c>nn.Mish</c>).</summary>
public sealed class Mish(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Mish(input, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => ActivationRepr.Inplace(Inplace);
}

/// <summary>log(1 + e^(beta x)) / beta, or x where beta x &gt; threshold (<c>nn.Softplus</c>).</summary>
public sealed class Softplus(double beta = 1, double threshold = 20) : Module<Tensor, Tensor>
{
    /// <summary>The sharpness (<c>beta</c>).</summary>
    public double Beta { get; } = beta;

    /// <summary>Above beta · x = threshold the layer is linear (<c>threshold</c>).</summary>
    public double Threshold { get; } = threshold;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softplus(input, Beta, Threshold);

    // PyTorch's defaults are the ints 1 and 20, printed without a decimal point.
    /// <inheritdoc/>
    public override string ExtraRepr() => $"beta={ActivationRepr.Number(Beta)}, threshold={ActivationRepr.Number(Threshold)}";
}

/// <summary>x / (1 + |x|) (<c>nn.Softsign</c>).</summary>
public sealed class Softsign : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softsign(input);
}

/// <summary>1 / (1 + e^-x) (<c>nn.Sigmoid</c>).</summary>
public sealed class Sigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Sigmoid(input);
}

/// <summary>log(sigmoid(x)) (<c>nn.LogSigmoid</c>).</summary>
public sealed class LogSigmoid : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LogSigmoid(input);
}

/// <summary>tanh(x) (<c>nn.Tanh</c>).</summary>
public sealed class Tanh : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Tanh(input);
}

/// <summary>x clamped to [min_val, max_val] (<c>nn.Hardtanh</c>).</summary>
public sealed class Hardtanh : Module<Tensor, Tensor>
{
    /// <summary>A Hardtanh layer clamping to [<paramref name="minVal"/>, <paramref name="maxVal"/>].</summary>
    /// <exception cref="ArgumentException"><paramref name="maxVal"/> is not above <paramref name="minVal"/>.</exception>
    public Hardtanh(double minVal = -1, double maxVal = 1, bool inplace = false)
    {
        if (!(maxVal > minVal))
            throw new ArgumentException($"Hardtanh: max_val ({maxVal}) must be greater than min_val ({minVal})", nameof(maxVal));
        (MinVal, MaxVal, Inplace) = (minVal, maxVal, inplace);
    }

    /// <summary>The lower bound (<c>min_val</c>).</summary>
    public double MinVal { get; }

    /// <summary>The upper bound (<c>max_val</c>).</summary>
    public double MaxVal { get; }

    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Hardtanh(input, MinVal, MaxVal, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"min_val={Layers.PyFloat(MinVal)}, max_val={Layers.PyFloat(MaxVal)}{ActivationRepr.InplaceSuffix(Inplace)}";
}

/// <summary>min(max(x + 3, 0), 6) / 6 (<c>nn.Hardsigmoid</c>).</summary>
public sealed class Hardsigmoid(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Hardsigmoid(input, Inplace);
}

/// <summary>x · hardsigmoid(x) (<c>nn.Hardswish</c>).</summary>
public sealed class Hardswish(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Hardswish(input, Inplace);
}

/// <summary>x - tanh(x) (<c>nn.Tanhshrink</c>).</summary>
public sealed class Tanhshrink : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Tanhshrink(input);
}

/// <summary>value where x &lt;= threshold, else x (<c>nn.Threshold</c>).</summary>
public sealed class Threshold(double threshold, double value, bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>The bound at or below which elements are replaced (<c>threshold</c>).</summary>
    public double ThresholdValue { get; } = threshold;

    /// <summary>The replacement (<c>value</c>).</summary>
    public double Value { get; } = value;

    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Threshold(input, ThresholdValue, Value, Inplace);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"threshold={Layers.PyFloat(ThresholdValue)}, value={Layers.PyFloat(Value)}{ActivationRepr.InplaceSuffix(Inplace)}";
}

/// <summary>softmax(-x) along <see cref="Dim"/> (<c>nn.Softmin(dim)</c>).</summary>
public sealed class Softmin(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dim that sums to 1 (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softmin(input, Dim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Softmax over the channels of (N, C, H, W) or (C, H, W) input, at every position (<c>nn.Softmax2d</c>).</summary>
public sealed class Softmax2d : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The input is neither 3-d nor 4-d.</exception>
    public override Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dim is not (3 or 4))
            throw new ArgumentException($"Softmax2d: expected input of 3 or 4 dims (C, H, W) or (N, C, H, W), got shape {input.Shape}", nameof(input));
        return Functional.Softmax(input, -3);
    }
}

/// <summary>
/// x where x &gt; 0, else a · x with a learned slope a, one for all channels or one per channel (dim 1)
/// (<c>nn.PReLU</c>); the slopes start at <c>init</c> (0.25).
/// </summary>
public sealed class PReLU : Module<Tensor, Tensor>
{
    /// <summary>A PReLU layer with <paramref name="numParameters"/> slopes (1, or the channel count) starting at <paramref name="init"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numParameters"/> is below 1.</exception>
    public PReLU(long numParameters = 1, double init = 0.25, DType? dtype = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numParameters, 1);
        NumParameters = numParameters;
        Init = init;
        using Tensor data = Torch.Full([numParameters], init, dtype ?? Torch.DefaultDType, device);
        Weight = new Parameter(data);
    }

    /// <summary>The number of slopes (<c>num_parameters</c>).</summary>
    public long NumParameters { get; }

    /// <summary>The slopes' initial value (<c>init</c>).</summary>
    public double Init { get; }

    /// <summary>The slopes, shape (num_parameters).</summary>
    public Parameter Weight { get; private set; }

    /// <summary>Sets the slopes back to <see cref="Init"/> (<c>reset_parameters</c>).</summary>
    public void ResetParameters() => NN.Init.Constant_(Weight, Init);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Prelu(input, Weight);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"num_parameters={NumParameters}";
}

/// <summary>Gated linear unit: a · sigmoid(b) over the two halves of <see cref="Dim"/> (<c>nn.GLU</c>).</summary>
public sealed class GLU(int dim = -1) : Module<Tensor, Tensor>
{
    /// <summary>The dim that is split in half (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Glu(input, Dim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>x where |x| &gt; lambd, else 0 (<c>nn.Hardshrink</c>).</summary>
public sealed class Hardshrink(double lambd = 0.5) : Module<Tensor, Tensor>
{
    /// <summary>The half-width of the zeroed band (<c>lambd</c>).</summary>
    public double Lambd { get; } = lambd;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Hardshrink(input, Lambd);

    /// <inheritdoc/>
    public override string ExtraRepr() => Layers.PyFloat(Lambd);
}

/// <summary>x ∓ lambd outside [-lambd, lambd], else 0 (<c>nn.Softshrink</c>).</summary>
public sealed class Softshrink : Module<Tensor, Tensor>
{
    /// <summary>A Softshrink layer; <paramref name="lambd"/> must be &gt;= 0.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lambd"/> is negative.</exception>
    public Softshrink(double lambd = 0.5)
    {
        if (!(lambd >= 0))
            throw new ArgumentOutOfRangeException(nameof(lambd), lambd, $"Softshrink: lambda must be greater or equal to 0, but found to be {lambd}");
        Lambd = lambd;
    }

    /// <summary>The half-width of the zeroed band (<c>lambd</c>).</summary>
    public double Lambd { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softshrink(input, Lambd);

    /// <inheritdoc/>
    public override string ExtraRepr() => Layers.PyFloat(Lambd);
}

/// <summary>The pieces of the activations' printed arguments.</summary>
internal static class ActivationRepr
{
    public static string Inplace(bool inplace) => inplace ? "inplace=True" : "";

    public static string InplaceSuffix(bool inplace) => inplace ? ", inplace=True" : "";

    /// <summary>A whole number without a decimal point (as PyTorch's int defaults print), anything else as Python's float.</summary>
    public static string Number(double value) =>
        value == Math.Floor(value) && Math.Abs(value) < 1e15 ? ((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture) : Layers.PyFloat(value);
}
