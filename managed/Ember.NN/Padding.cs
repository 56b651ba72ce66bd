using System.Globalization;

namespace Ember.NN;

/// <summary>
/// The padding layers' common part: the pads of the last 1 or 2 dims as (left, right) or
/// (left, right, top, bottom), from one value for every side or one per side.
/// </summary>
public abstract class PadNd : Module<Tensor, Tensor>
{
    private readonly long[] _padding;
    private readonly string _mode;
    private readonly double _value;

    private protected PadNd(int dims, long[] padding, string mode, double value)
    {
        ArgumentNullException.ThrowIfNull(padding);
        if (padding.Length != 1 && padding.Length != 2 * dims)
            throw new ArgumentException($"{TypeName}: padding takes 1 or {2 * dims} values, got {padding.Length}", nameof(padding));
        _padding = padding.Length == 1 ? Enumerable.Repeat(padding[0], 2 * dims).ToArray() : [.. padding];
        (_mode, _value) = (mode, value);
    }

    /// <summary>The pads, (left, right) or (left, right, top, bottom) (<c>padding</c>).</summary>
    public IReadOnlyList<long> Padding => _padding;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Pad(input, _padding, _mode, _value);

    /// <inheritdoc/>
    public override string ExtraRepr() => PaddingTuple;

    private protected string PaddingTuple => "(" + string.Join(", ", _padding.Select(p => p.ToString(CultureInfo.InvariantCulture))) + ")";
}

/// <summary>Pads the last dim with zeros (<c>nn.ZeroPad1d</c>).</summary>
public sealed class ZeroPad1d(params long[] padding) : PadNd(1, padding, "constant", 0);

/// <summary>Pads the last 2 dims with zeros (<c>nn.ZeroPad2d</c>).</summary>
public sealed class ZeroPad2d(params long[] padding) : PadNd(2, padding, "constant", 0);

/// <summary>Pads the last dim with <see cref="Value"/> (<c>nn.ConstantPad1d</c>).</summary>
public sealed class ConstantPad1d(long[] padding, double value) : PadNd(1, padding, "constant", value)
{
    /// <summary>Pads both sides by <paramref name="padding"/>.</summary>
    public ConstantPad1d(long padding, double value) : this([padding], value)
    {
    }

    /// <summary>The fill value (<c>value</c>).</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override string ExtraRepr() => $"padding={PaddingTuple}, value={Layers.PyFloat(Value)}";
}

/// <summary>Pads the last 2 dims with <see cref="Value"/> (<c>nn.ConstantPad2d</c>).</summary>
public sealed class ConstantPad2d(long[] padding, double value) : PadNd(2, padding, "constant", value)
{
    /// <summary>Pads every side by <paramref name="padding"/>.</summary>
    public ConstantPad2d(long padding, double value) : this([padding], value)
    {
    }

    /// <summary>The fill value (<c>value</c>).</summary>
    public double Value { get; } = value;

    /// <inheritdoc/>
    public override string ExtraRepr() => $"padding={PaddingTuple}, value={Layers.PyFloat(Value)}";
}

/// <summary>Pads the last dim with its reflection, the edge not repeated (<c>nn.ReflectionPad1d</c>).</summary>
public sealed class ReflectionPad1d(params long[] padding) : PadNd(1, padding, "reflect", 0);

/// <summary>Pads the last 2 dims with their reflection, the edge not repeated (<c>nn.ReflectionPad2d</c>).</summary>
public sealed class ReflectionPad2d(params long[] padding) : PadNd(2, padding, "reflect", 0);

/// <summary>Pads the last dim by repeating its edge values (<c>nn.ReplicationPad1d</c>).</summary>
public sealed class ReplicationPad1d(params long[] padding) : PadNd(1, padding, "replicate", 0);

/// <summary>Pads the last 2 dims by repeating their edge values (<c>nn.ReplicationPad2d</c>).</summary>
public sealed class ReplicationPad2d(params long[] padding) : PadNd(2, padding, "replicate", 0);

/// <summary>Pads the last dim by wrapping around (<c>nn.CircularPad1d</c>).</summary>
public sealed class CircularPad1d(params long[] padding) : PadNd(1, padding, "circular", 0);

/// <summary>Pads the last 2 dims by wrapping around (<c>nn.CircularPad2d</c>).</summary>
public sealed class CircularPad2d(params long[] padding) : PadNd(2, padding, "circular", 0);
