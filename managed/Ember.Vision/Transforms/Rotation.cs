using System.Numerics;
using Ember.Data;

namespace Ember.Vision.Transforms;

/// <summary>
/// Rotates an image by a random angle (<c>transforms.RandomRotation</c>): counter-clockwise by an angle drawn
/// uniformly from <see cref="Degrees"/>, about the centre or a given point, filling the uncovered corners with
/// <see cref="Fill"/>. Use <see cref="GetParams"/> and <see cref="ImageFunctional.Rotate"/> to fix the angle.
/// </summary>
public sealed class RandomRotation : ITransform
{
    private readonly DataGenerator? _generator;
    private readonly double[] _fill;

    /// <summary>Rotates by an angle in [-<paramref name="degrees"/>, <paramref name="degrees"/>].</summary>
    public RandomRotation(double degrees, InterpolationMode interpolation = InterpolationMode.Nearest, bool expand = false,
        (double X, double Y)? center = null, IReadOnlyList<double>? fill = null, DataGenerator? generator = null)
        : this((-degrees, degrees), interpolation, expand, center, fill, generator)
    {
        if (!(degrees >= 0))
            throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "RandomRotation: if degrees is a single number, it must be positive.");
    }

    /// <summary>Rotates by an angle in [<c>degrees.Min</c>, <c>degrees.Max</c>].</summary>
    /// <param name="degrees">The range of angles, counter-clockwise, in degrees.</param>
    /// <param name="interpolation">Nearest (the default, as torchvision) or bilinear.</param>
    /// <param name="expand">Enlarge the output to hold the whole rotated image.</param>
    /// <param name="center">The centre of rotation in pixels (x, y) from the top-left corner; the image centre when null.</param>
    /// <param name="fill">The value of uncovered pixels: one value, or one per channel; 0 by default.</param>
    /// <param name="generator">Source of randomness; <see cref="DataGenerator.Current"/> when null.</param>
    public RandomRotation((double Min, double Max) degrees, InterpolationMode interpolation = InterpolationMode.Nearest, bool expand = false,
        (double X, double Y)? center = null, IReadOnlyList<double>? fill = null, DataGenerator? generator = null)
    {
        if (!(degrees.Min <= degrees.Max))
            throw new ArgumentOutOfRangeException(nameof(degrees), degrees, "RandomRotation: degrees should be (min, max) with min <= max.");
        _fill = fill is null ? [0.0] : [.. fill];
        if (_fill.Length == 0)
            throw new ArgumentException("RandomRotation: fill needs at least one value.", nameof(fill));
        (Degrees, Interpolation, Expand, Center, _generator) = (degrees, interpolation, expand, center, generator);
    }

    /// <summary>The range of angles.</summary>
    public (double Min, double Max) Degrees { get; }

    /// <summary>The resampling.</summary>
    public InterpolationMode Interpolation { get; }

    /// <summary>Whether the output grows to hold the whole rotated image.</summary>
    public bool Expand { get; }

    /// <summary>The centre of rotation, or null for the image centre.</summary>
    public (double X, double Y)? Center { get; }

    /// <summary>The fill values.</summary>
    public IReadOnlyList<double> Fill => _fill;

    /// <summary>Draws an angle uniformly from <paramref name="degrees"/> (<c>get_params</c>).</summary>
    public static double GetParams((double Min, double Max) degrees, DataGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        return degrees.Min + generator.NextDouble() * (degrees.Max - degrees.Min);
    }

    /// <summary>Rotates by a random angle; a batch shares one angle.</summary>
    public Tensor Forward(Tensor image)
    {
        ImageChecks.RequireImage(image, "RandomRotation");
        double angle = GetParams(Degrees, _generator ?? DataGenerator.Current);
        return ImageFunctional.Rotate(image, angle, Interpolation, Expand, Center, _fill);
    }
}

public static partial class ImageFunctional
{
    /// <summary>
    /// Rotates counter-clockwise by <paramref name="angle"/> degrees (<c>F.rotate</c> on tensors): an inverse
    /// affine map, a sampling grid at pixel centres and <c>grid_sample(align_corners=False)</c> with a mask
    /// channel that marks the pixels coming from outside, which get <paramref name="fill"/>. Integer images are
    /// sampled as float32 and rounded half to even.
    /// </summary>
    /// <param name="image">A <c>[C, H, W]</c> image or <c>[N, C, H, W]</c> batch.</param>
    /// <param name="angle">Degrees, counter-clockwise.</param>
    /// <param name="interpolation">Nearest or bilinear.</param>
    /// <param name="expand">Enlarge the output to hold the whole rotated image.</param>
    /// <param name="center">Centre of rotation (x, y) in pixels from the top-left corner; the image centre when null.</param>
    /// <param name="fill">One value, or one per channel; 0 when null.</param>
    public static Tensor Rotate(Tensor image, double angle, InterpolationMode interpolation = InterpolationMode.Nearest, bool expand = false,
        (double X, double Y)? center = null, IReadOnlyList<double>? fill = null)
    {
        ImageChecks.RequireImage(image, "Rotate");
        double[] fills = fill is null ? [0.0] : [.. fill];
        long channels = image.GetSize(-3);
        if (fills.Length != 1 && fills.Length != channels)
            throw new ShapeMismatchException($"Rotate: {fills.Length} fill values for an image of {channels} channels (shape {image.Shape}).");
        var (h, w) = ImageOps.Size(image, "Rotate");
        double cx = 0, cy = 0;
        if (center is { } c)
            (cx, cy) = (c.X - w * 0.5, c.Y - h * 0.5);
        double[] matrix = InverseRotation(cx, cy, -angle);
        var (ow, oh) = expand ? ExpandedSize(matrix, w, h) : (w, h);
        return ImageChecks.Wide(image)
            ? RotateAs<double>(image, matrix, oh, ow, interpolation, fills)
            : RotateAs<float>(image, matrix, oh, ow, interpolation, fills);
    }

    /// <summary>torchvision's <c>_get_inverse_affine_matrix</c> for a pure rotation about (cx, cy) (relative to the centre).</summary>
    private static double[] InverseRotation(double cx, double cy, double angle)
    {
        double rot = angle * Math.PI / 180.0;
        double a = Math.Cos(rot), b = -Math.Sin(rot), c = Math.Sin(rot), d = Math.Cos(rot);
        double[] m = [d, -b, 0.0, -c, a, 0.0];
        m[2] += m[0] * -cx + m[1] * -cy;
        m[5] += m[3] * -cx + m[4] * -cy;
        m[2] += cx;
        m[5] += cy;
        return m;
    }

    /// <summary>torchvision's <c>_compute_affine_output_size</c>: the rotated corners' bounding box, in float32, trimmed to 1e-4.</summary>
    private static (int Width, int Height) ExpandedSize(double[] matrix, int w, int h)
    {
        float[] theta = [.. matrix.Select(v => (float)v)];
        float hw = (float)(0.5 * w), hh = (float)(0.5 * h);
        (float X, float Y)[] corners = [(-hw, -hh), (-hw, hh), (hw, hh), (hw, -hh)];
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (var (x, y) in corners)
        {
            float nx = x * theta[0] + y * theta[1] + theta[2];
            float ny = x * theta[3] + y * theta[4] + theta[5];
            (minX, maxX, minY, maxY) = (Math.Min(minX, nx), Math.Max(maxX, nx), Math.Min(minY, ny), Math.Max(maxY, ny));
        }
        minX += hw; maxX += hw; minY += hh; maxY += hh;
        const float tol = 1e-4f;
        float Trim(float v) => MathF.Truncate(v / tol) * tol;
        int width = (int)(MathF.Ceiling(Trim(maxX)) - MathF.Floor(Trim(minX)));
        int height = (int)(MathF.Ceiling(Trim(maxY)) - MathF.Floor(Trim(minY)));
        return (width, height);
    }

    private static Tensor RotateAs<T>(Tensor image, double[] matrix, int oh, int ow, InterpolationMode mode, double[] fill)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = ImageBuffer<T>.From(image);
        int ih = src.Height, iw = src.Width, channels = src.Channels, images = src.Images;
        // The affine grid: pixel centres of the output, mapped by theta^T / (w/2, h/2) to [-1, 1] coordinates.
        T[] theta = [.. matrix.Select(v => T.CreateChecked(v))];
        T sx = T.CreateChecked(0.5 * iw), sy = T.CreateChecked(0.5 * ih);
        T r00 = theta[0] / sx, r10 = theta[1] / sx, r20 = theta[2] / sx;
        T r01 = theta[3] / sy, r11 = theta[4] / sy, r21 = theta[5] / sy;
        T one = T.One, half = ImageBuffer<T>.C(0.5);
        T scaleX = T.CreateChecked(iw) / T.CreateChecked(2), scaleY = T.CreateChecked(ih) / T.CreateChecked(2);
        T[] fills = [.. Enumerable.Range(0, channels).Select(ch => T.CreateChecked(fill.Length == 1 ? fill[0] : fill[ch]))];
        var output = new T[(long)images * channels * oh * ow];
        T[] data = src.Data;
        for (int y = 0; y < oh; y++)
        {
            T gy0 = T.CreateChecked(-oh * 0.5 + 0.5 + y);
            for (int x = 0; x < ow; x++)
            {
                T gx0 = T.CreateChecked(-ow * 0.5 + 0.5 + x);
                T gx = gx0 * r00 + gy0 * r10 + r20;
                T gy = gx0 * r01 + gy0 * r11 + r21;
                // grid_sample's unnormalize for align_corners=False, as its vectorized CPU kernel computes it.
                T ix = (gx + one) * scaleX - half;
                T iy = (gy + one) * scaleY - half;
                for (int n = 0; n < images; n++)
                {
                    for (int ch = 0; ch < channels; ch++)
                    {
                        int plane = (n * channels + ch) * ih * iw;
                        T value, mask;
                        if (mode == InterpolationMode.Nearest)
                        {
                            int nx = int.CreateSaturating(T.Round(ix, MidpointRounding.ToEven));
                            int ny = int.CreateSaturating(T.Round(iy, MidpointRounding.ToEven));
                            bool inside = nx >= 0 && nx < iw && ny >= 0 && ny < ih;
                            value = inside ? data[plane + ny * iw + nx] : T.Zero;
                            mask = inside ? one : T.Zero;
                            // The mask channel decides: a pixel whose sampled mask is below 0.5 takes the fill.
                            if (mask < half)
                                value = fills[ch];
                        }
                        else
                        {
                            (value, mask) = Bilinear(data, plane, iw, ih, ix, iy);
                            value = value * mask + (one - mask) * fills[ch];
                        }
                        output[((n * channels + ch) * oh + y) * ow + x] = value;
                    }
                }
            }
        }
        long[] shape = [.. src.Shape];
        shape[^2] = oh;
        shape[^1] = ow;
        return src.ToTensor(output, shape, round: true);
    }

    /// <summary>Bilinear <c>grid_sample</c> with zero padding at (ix, iy), for the plane and for its all-ones mask.</summary>
    private static (T Value, T Mask) Bilinear<T>(T[] data, int plane, int w, int h, T ix, T iy) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T x0f = T.Floor(ix), y0f = T.Floor(iy);
        T we = ix - x0f, wn = iy - y0f;          // distances from the west column and the north row
        T ww = T.One - we, ws = T.One - wn;
        T nw = ws * ww, ne = ws * we, sw = wn * ww, se = wn * we;
        int x0 = int.CreateSaturating(x0f), y0 = int.CreateSaturating(y0f);
        T value = T.Zero, mask = T.Zero;
        Accumulate(x0, y0, nw);
        Accumulate(x0 + 1, y0, ne);
        Accumulate(x0, y0 + 1, sw);
        Accumulate(x0 + 1, y0 + 1, se);
        return (value, mask);

        void Accumulate(int x, int y, T weight)
        {
            bool inside = x >= 0 && x < w && y >= 0 && y < h;
            value += (inside ? data[plane + y * w + x] : T.Zero) * weight;
            mask += (inside ? T.One : T.Zero) * weight;
        }
    }
}
