using System.Globalization;

namespace Ember.NN;

/// <summary>
/// Resizes (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to <see cref="Size"/> or by <see cref="ScaleFactor"/>
/// (<c>nn.Upsample</c>); see <see cref="Functional.Interpolate(Tensor, long[], double[], string, bool?, bool?)"/>.
/// </summary>
public class Upsample : Module<Tensor, Tensor>
{
    private readonly long[]? _size;
    private readonly double[]? _scale;

    /// <summary>
    /// An upsampling layer to <paramref name="size"/> or by <paramref name="scaleFactor"/> (exactly one; one entry
    /// applies to every spatial dim) with <paramref name="mode"/> "nearest", "nearest-exact", "linear", "bilinear",
    /// "bicubic", "trilinear" or "area".
    /// </summary>
    /// <exception cref="ArgumentException">Both or neither of size and scale factor, or an unknown mode.</exception>
    public Upsample(long[]? size = null, double[]? scaleFactor = null, string mode = "nearest", bool? alignCorners = null, bool? recomputeScaleFactor = null)
    {
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException($"{TypeName}: exactly one of size and scale_factor should be given");
        if (mode is not ("nearest" or "nearest-exact" or "linear" or "bilinear" or "bicubic" or "trilinear" or "area"))
            throw new ArgumentException($"{TypeName}: unknown mode '{mode}'", nameof(mode));
        (_size, _scale, Mode, AlignCorners, RecomputeScaleFactor) = (size?.ToArray(), scaleFactor?.ToArray(), mode, alignCorners, recomputeScaleFactor);
    }

    /// <summary>An upsampling layer by <paramref name="scaleFactor"/> in every spatial dim.</summary>
    public Upsample(double scaleFactor, string mode = "nearest", bool? alignCorners = null)
        : this(null, [scaleFactor], mode, alignCorners)
    {
    }

    /// <summary>The output size (<c>size</c>), or null.</summary>
    public IReadOnlyList<long>? Size => _size;

    /// <summary>The scale factors (<c>scale_factor</c>), or null.</summary>
    public IReadOnlyList<double>? ScaleFactor => _scale;

    /// <summary>The interpolation mode (<c>mode</c>).</summary>
    public string Mode { get; }

    /// <summary>Whether corner pixels are aligned (<c>align_corners</c>); null for the mode's default.</summary>
    public bool? AlignCorners { get; }

    /// <summary>Whether the scale factor is recomputed from the output size (<c>recompute_scale_factor</c>).</summary>
    public bool? RecomputeScaleFactor { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Interpolate(input, _size, _scale, Mode, AlignCorners, RecomputeScaleFactor);

    /// <inheritdoc/>
    public override string ExtraRepr()
    {
        string info = _scale is not null
            ? "scale_factor=" + Tuple(_scale.Select(Layers.PyFloat).ToArray())
            : "size=" + Tuple(_size!.Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray());
        return info + ", mode=" + Mode;
    }

    // One value prints bare, several as a Python tuple.
    private static string Tuple(string[] items) => items.Length == 1 ? items[0] : "(" + string.Join(", ", items) + ")";
}

/// <summary>Nearest-neighbour upsampling of (N, C, H, W) input (<c>nn.UpsamplingNearest2d</c>).</summary>
public sealed class UpsamplingNearest2d : Upsample
{
    /// <summary>Upsamples to <paramref name="size"/> or by <paramref name="scaleFactor"/> (exactly one).</summary>
    public UpsamplingNearest2d(long[]? size = null, double[]? scaleFactor = null) : base(size, scaleFactor, "nearest")
    {
    }

    /// <summary>Upsamples by <paramref name="scaleFactor"/> in both dims.</summary>
    public UpsamplingNearest2d(double scaleFactor) : base(null, [scaleFactor], "nearest")
    {
    }
}

/// <summary>Bilinear upsampling of (N, C, H, W) input with aligned corners (<c>nn.UpsamplingBilinear2d</c>).</summary>
public sealed class UpsamplingBilinear2d : Upsample
{
    /// <summary>Upsamples to <paramref name="size"/> or by <paramref name="scaleFactor"/> (exactly one).</summary>
    public UpsamplingBilinear2d(long[]? size = null, double[]? scaleFactor = null) : base(size, scaleFactor, "bilinear", alignCorners: true)
    {
    }

    /// <summary>Upsamples by <paramref name="scaleFactor"/> in both dims.</summary>
    public UpsamplingBilinear2d(double scaleFactor) : base(null, [scaleFactor], "bilinear", alignCorners: true)
    {
    }
}

/// <summary>Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (<c>nn.PixelShuffle</c>).</summary>
public sealed class PixelShuffle(long upscaleFactor) : Module<Tensor, Tensor>
{
    /// <summary>The factor r (<c>upscale_factor</c>).</summary>
    public long UpscaleFactor { get; } = upscaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.PixelShuffle(input, UpscaleFactor);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"upscale_factor={UpscaleFactor}";
}

/// <summary>Rearranges (*, C, H·r, W·r) into (*, C·r², H, W) (<c>nn.PixelUnshuffle</c>).</summary>
public sealed class PixelUnshuffle(long downscaleFactor) : Module<Tensor, Tensor>
{
    /// <summary>The factor r (<c>downscale_factor</c>).</summary>
    public long DownscaleFactor { get; } = downscaleFactor;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.PixelUnshuffle(input, DownscaleFactor);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"downscale_factor={DownscaleFactor}";
}
