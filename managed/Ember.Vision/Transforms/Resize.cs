using System.Numerics;
using Ember.Data;

namespace Ember.Vision.Transforms;

/// <summary>How pixels are resampled (<c>transforms.InterpolationMode</c>).</summary>
public enum InterpolationMode
{
    /// <summary>The nearest source pixel (<c>NEAREST</c>, PyTorch's <c>mode="nearest"</c>).</summary>
    Nearest,

    /// <summary>Linear in both directions (<c>BILINEAR</c>).</summary>
    Bilinear,
}

/// <summary>
/// Resizes an image (<c>transforms.Resize</c> on tensors, with <c>antialias=False</c>): to
/// <c>(height, width)</c>, or with one size the smaller edge to that size and the other edge in proportion
/// (<c>int(size * long / short)</c>), optionally capping the longer edge at <see cref="MaxSize"/>.
/// </summary>
/// <remarks>
/// The values are <c>torch.nn.functional.interpolate(mode, align_corners=False)</c>'s: bilinear sampling at
/// <c>scale * (i + 0.5) - 0.5</c> (clamped at 0) with <c>scale = in / out</c>, nearest taking
/// <c>floor(i * scale)</c>, computed in float32 (float64 for float64 images). Integer images are resampled
/// as float32 and rounded half to even, as torchvision does. Works on <c>[C, H, W]</c> and <c>[N, C, H, W]</c>.
/// </remarks>
public sealed class Resize : ITransform
{
    /// <summary>Resizes to <paramref name="height"/> x <paramref name="width"/>.</summary>
    public Resize(int height, int width, InterpolationMode interpolation = InterpolationMode.Bilinear)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        (Height, Width, Interpolation) = (height, width, interpolation);
    }

    /// <summary>Resizes the smaller edge to <paramref name="size"/>, keeping the aspect ratio.</summary>
    /// <param name="size">The new length of the smaller edge.</param>
    /// <param name="interpolation">The resampling.</param>
    /// <param name="maxSize">The longest the longer edge may become; the image is shrunk further to fit.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is not larger than <paramref name="size"/>.</exception>
    public Resize(int size, InterpolationMode interpolation = InterpolationMode.Bilinear, int? maxSize = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (maxSize is int max && max <= size)
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, $"Resize: max_size = {max} must be strictly greater than the requested size for the smaller edge = {size}.");
        (SmallerEdge, Interpolation, MaxSize) = (size, interpolation, maxSize);
    }

    /// <summary>The output height, or null when the smaller edge is given.</summary>
    public int? Height { get; }

    /// <summary>The output width, or null when the smaller edge is given.</summary>
    public int? Width { get; }

    /// <summary>The length of the smaller edge, or null when both sizes are given.</summary>
    public int? SmallerEdge { get; }

    /// <summary>The cap on the longer edge, or null.</summary>
    public int? MaxSize { get; }

    /// <summary>The resampling.</summary>
    public InterpolationMode Interpolation { get; }

    /// <inheritdoc/>
    public bool IsBatchable => true;

    /// <summary>The output size for an input of <paramref name="height"/> x <paramref name="width"/>.</summary>
    public (int Height, int Width) OutputSize(int height, int width)
    {
        if (SmallerEdge is not int size)
            return (Height!.Value, Width!.Value);
        int shortEdge = Math.Min(height, width), longEdge = Math.Max(height, width);
        int newShort = size, newLong = (int)((double)size * longEdge / shortEdge);
        if (MaxSize is int max && newLong > max)
            (newShort, newLong) = ((int)((double)max * newShort / newLong), max);
        return width <= height ? (newLong, newShort) : (newShort, newLong);
    }

    /// <summary>The resized image; the input itself when it already has the output size.</summary>
    public Tensor Forward(Tensor image)
    {
        ImageChecks.RequireImage(image, "Resize");
        var (h, w) = OutputSize((int)image.GetSize(-2), (int)image.GetSize(-1));
        return ImageFunctional.Resize(image, h, w, Interpolation);
    }
}

/// <summary>
/// Crops a random part of the image and resizes it (<c>transforms.RandomResizedCrop</c>): the part covers a
/// fraction of the area drawn from <see cref="Scale"/> and has an aspect ratio drawn log-uniformly from
/// <see cref="Ratio"/>; after 10 failed draws it falls back to a centre crop. Use <see cref="GetParams"/> to
/// see or fix the crop.
/// </summary>
public sealed class RandomResizedCrop : ITransform
{
    private readonly DataGenerator? _generator;

    /// <summary>Creates the transform.</summary>
    /// <param name="height">Output height.</param>
    /// <param name="width">Output width.</param>
    /// <param name="scale">Range of the crop's area as a fraction of the image's; (0.08, 1) by default.</param>
    /// <param name="ratio">Range of the crop's aspect ratio (width / height); (3/4, 4/3) by default.</param>
    /// <param name="interpolation">The resampling.</param>
    /// <param name="generator">Source of randomness; <see cref="DataGenerator.Current"/> when null.</param>
    public RandomResizedCrop(int height, int width, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        InterpolationMode interpolation = InterpolationMode.Bilinear, DataGenerator? generator = null)
    {
        Resize = new Resize(height, width, interpolation);
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        if (!(Scale.Min >= 0 && Scale.Min <= Scale.Max))
            throw new ArgumentOutOfRangeException(nameof(scale), Scale, "RandomResizedCrop: scale should be of kind (min, max) with 0 <= min <= max.");
        if (!(Ratio.Min > 0 && Ratio.Min <= Ratio.Max))
            throw new ArgumentOutOfRangeException(nameof(ratio), Ratio, "RandomResizedCrop: ratio should be of kind (min, max) with 0 < min <= max.");
        _generator = generator;
    }

    /// <summary>A square output of <paramref name="size"/>.</summary>
    public RandomResizedCrop(int size, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        InterpolationMode interpolation = InterpolationMode.Bilinear, DataGenerator? generator = null)
        : this(size, size, scale, ratio, interpolation, generator) { }

    /// <summary>The resize applied to the crop.</summary>
    public Resize Resize { get; }

    /// <summary>The range of the area fraction.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>The range of the aspect ratio.</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>
    /// Draws a crop for an image of <paramref name="height"/> x <paramref name="width"/> (<c>get_params</c>):
    /// up to 10 tries of area and log-ratio, sizes rounded half to even as Python's <c>round</c>, else the
    /// centre crop closest to the allowed ratios.
    /// </summary>
    public static (int Top, int Left, int Height, int Width) GetParams(int height, int width, (double Min, double Max) scale,
        (double Min, double Max) ratio, DataGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        double area = (double)height * width;
        double logMin = Math.Log(ratio.Min), logMax = Math.Log(ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = area * (scale.Min + generator.NextDouble() * (scale.Max - scale.Min));
            double aspect = Math.Exp(logMin + generator.NextDouble() * (logMax - logMin));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int top = generator.NextInt32(height - h + 1);
                int left = generator.NextInt32(width - w + 1);
                return (top, left, h, w);
            }
        }
        return CenterFallback(height, width, ratio);
    }

    /// <summary>The crop <see cref="GetParams"/> falls back to: the whole image, trimmed to the nearest allowed ratio.</summary>
    public static (int Top, int Left, int Height, int Width) CenterFallback(int height, int width, (double Min, double Max) ratio)
    {
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < ratio.Min)
        {
            cw = width;
            ch = (int)Math.Round(cw / ratio.Min, MidpointRounding.ToEven);
        }
        else if (inRatio > ratio.Max)
        {
            ch = height;
            cw = (int)Math.Round(ch * ratio.Max, MidpointRounding.ToEven);
        }
        else
        {
            (cw, ch) = (width, height);
        }
        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <summary>Crops the given window and resizes it (<c>F.resized_crop</c>).</summary>
    public Tensor Apply(Tensor image, (int Top, int Left, int Height, int Width) crop)
    {
        ImageChecks.RequireImage(image, "RandomResizedCrop");
        var (h, w) = ImageOps.Size(image, "RandomResizedCrop");
        if (crop.Top < 0 || crop.Left < 0 || crop.Height <= 0 || crop.Width <= 0 || crop.Top + crop.Height > h || crop.Left + crop.Width > w)
            throw new ArgumentOutOfRangeException(nameof(crop), crop, $"RandomResizedCrop: the crop lies outside the {h}x{w} image.");
        using Tensor window = ImageOps.Crop(image, crop.Top, crop.Left, crop.Height, crop.Width);
        Tensor resized = Resize.Forward(window);
        return ReferenceEquals(resized, window) ? window.Clone() : resized;
    }

    /// <summary>Draws a crop and applies it.</summary>
    public Tensor Forward(Tensor image)
    {
        ImageChecks.RequireImage(image, "RandomResizedCrop");
        var (h, w) = ImageOps.Size(image, "RandomResizedCrop");
        return Apply(image, GetParams(h, w, Scale, Ratio, _generator ?? DataGenerator.Current));
    }
}

/// <summary>
/// The tensor functions behind the geometric and colour transforms (<c>torchvision.transforms.functional</c>):
/// each takes a <c>[C, H, W]</c> image or an <c>[N, C, H, W]</c> batch and returns a new tensor of the same
/// dtype (or the input when nothing changes).
/// </summary>
public static partial class ImageFunctional
{
    /// <summary>Resizes to <paramref name="height"/> x <paramref name="width"/> (<c>F.resize</c>, <c>antialias=False</c>); see <see cref="Transforms.Resize"/>.</summary>
    public static Tensor Resize(Tensor image, int height, int width, InterpolationMode interpolation = InterpolationMode.Bilinear)
    {
        ImageChecks.RequireImage(image, "Resize");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if (image.GetSize(-2) == height && image.GetSize(-1) == width)
            return image;
        return ImageChecks.Wide(image)
            ? ResizeAs<double>(image, height, width, interpolation)
            : ResizeAs<float>(image, height, width, interpolation);
    }

    private static Tensor ResizeAs<T>(Tensor image, int oh, int ow, InterpolationMode mode) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = ImageBuffer<T>.From(image);
        int ih = src.Height, iw = src.Width, planes = src.Data.Length / Math.Max(ih * iw, 1);
        var output = new T[(long)planes * oh * ow];
        if (mode == InterpolationMode.Nearest)
        {
            int[] rows = NearestIndices(ih, oh), cols = NearestIndices(iw, ow);
            for (int p = 0; p < planes; p++)
            {
                int inBase = p * ih * iw, outBase = p * oh * ow;
                for (int y = 0; y < oh; y++)
                {
                    int row = inBase + rows[y] * iw;
                    for (int x = 0; x < ow; x++)
                        output[outBase + y * ow + x] = src.Data[row + cols[x]];
                }
            }
        }
        else
        {
            var rows = LinearWeights<T>(ih, oh);
            var cols = LinearWeights<T>(iw, ow);
            T[] data = src.Data;
            for (int p = 0; p < planes; p++)
            {
                int inBase = p * ih * iw, outBase = p * oh * ow;
                for (int y = 0; y < oh; y++)
                {
                    var (r0, r1, h0, h1) = rows[y];
                    int row0 = inBase + r0 * iw, row1 = inBase + r1 * iw;
                    for (int x = 0; x < ow; x++)
                    {
                        var (c0, c1, w0, w1) = cols[x];
                        // PyTorch's order: each row interpolated along the width, then the rows along the height.
                        T top = data[row0 + c0] * w0 + data[row0 + c1] * w1;
                        T bottom = data[row1 + c0] * w0 + data[row1 + c1] * w1;
                        output[outBase + y * ow + x] = top * h0 + bottom * h1;
                    }
                }
            }
        }
        long[] shape = [.. src.Shape];
        shape[^2] = oh;
        shape[^1] = ow;
        return src.ToTensor(output, shape, round: true);
    }

    /// <summary>PyTorch's <c>nearest_idx</c>: <c>min(floor(i * (in / out)), in - 1)</c> in float32, with exact identity and doubling.</summary>
    private static int[] NearestIndices(int inSize, int outSize)
    {
        var result = new int[outSize];
        float scale = (float)inSize / outSize;
        for (int i = 0; i < outSize; i++)
        {
            result[i] = outSize == inSize ? i
                : outSize == 2 * inSize ? i >> 1
                : Math.Min((int)MathF.Floor(i * scale), inSize - 1);
        }
        return result;
    }

    /// <summary>PyTorch's <c>compute_source_index_and_lambda</c> for <c>align_corners=False</c>, in the compute type.</summary>
    private static (int I0, int I1, T L0, T L1)[] LinearWeights<T>(int inSize, int outSize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new (int, int, T, T)[outSize];
        T scale = T.CreateChecked(inSize) / T.CreateChecked(outSize);
        T half = ImageBuffer<T>.C(0.5);
        for (int i = 0; i < outSize; i++)
        {
            if (inSize == outSize)
            {
                result[i] = (i, i, T.One, T.Zero);
                continue;
            }
            T real = scale * (T.CreateChecked(i) + half) - half;
            if (real < T.Zero)
                real = T.Zero;
            int i0 = int.CreateTruncating(real);
            int i1 = i0 + (i0 < inSize - 1 ? 1 : 0);
            T l1 = T.Min(T.Max(real - T.CreateChecked(i0), T.Zero), T.One);
            result[i] = (i0, i1, T.One - l1, l1);
        }
        return result;
    }
}
