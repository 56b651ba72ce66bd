using System.Numerics;
using Ember.Data;

namespace Ember.Vision.Transforms;

/// <summary>
/// Randomly changes brightness, contrast, saturation and hue (<c>transforms.ColorJitter</c>), in a random
/// order, each by a factor drawn uniformly from its range: brightness b gives [max(0, 1 - b), 1 + b] (and
/// likewise contrast and saturation), hue h gives [-h, h] with h at most 0.5. A zero strength leaves that
/// adjustment out. Works on RGB <c>[3, H, W]</c> images and <c>[N, 3, H, W]</c> batches (one draw per call).
/// Use <see cref="GetParams"/> and <see cref="Apply"/> to fix the draw.
/// </summary>
public sealed class ColorJitter : ITransform
{
    private readonly DataGenerator? _generator;

    /// <summary>Creates the transform from strengths, as torchvision's single-number arguments.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A strength is negative, or hue is above 0.5.</exception>
    public ColorJitter(double brightness = 0, double contrast = 0, double saturation = 0, double hue = 0, DataGenerator? generator = null)
        : this(Range(brightness, nameof(brightness)), Range(contrast, nameof(contrast)), Range(saturation, nameof(saturation)),
               HueRange(hue), generator) { }

    /// <summary>Creates the transform from explicit ranges (null leaves an adjustment out).</summary>
    public ColorJitter((double Min, double Max)? brightness, (double Min, double Max)? contrast, (double Min, double Max)? saturation,
        (double Min, double Max)? hue, DataGenerator? generator = null)
    {
        Brightness = Check(brightness, nameof(brightness), 0, double.PositiveInfinity);
        Contrast = Check(contrast, nameof(contrast), 0, double.PositiveInfinity);
        Saturation = Check(saturation, nameof(saturation), 0, double.PositiveInfinity);
        Hue = Check(hue, nameof(hue), -0.5, 0.5);
        // As torchvision: a range that cannot change anything is no adjustment.
        if (Brightness is (1, 1)) Brightness = null;
        if (Contrast is (1, 1)) Contrast = null;
        if (Saturation is (1, 1)) Saturation = null;
        if (Hue is (0, 0)) Hue = null;
        _generator = generator;
    }

    /// <summary>The brightness factor range, or null.</summary>
    public (double Min, double Max)? Brightness { get; }

    /// <summary>The contrast factor range, or null.</summary>
    public (double Min, double Max)? Contrast { get; }

    /// <summary>The saturation factor range, or null.</summary>
    public (double Min, double Max)? Saturation { get; }

    /// <summary>The hue shift range, or null.</summary>
    public (double Min, double Max)? Hue { get; }

    /// <summary>
    /// Draws the order of the four adjustments (0 brightness, 1 contrast, 2 saturation, 3 hue) and their factors
    /// (<c>get_params</c>); a factor is null when its adjustment is left out.
    /// </summary>
    public static ColorJitterParams GetParams((double Min, double Max)? brightness, (double Min, double Max)? contrast,
        (double Min, double Max)? saturation, (double Min, double Max)? hue, DataGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        int[] order = generator.RandPerm(4);
        double? Draw((double Min, double Max)? range) => range is { } r ? r.Min + generator.NextDouble() * (r.Max - r.Min) : null;
        double? b = Draw(brightness), c = Draw(contrast), s = Draw(saturation), h = Draw(hue);
        return new ColorJitterParams(order, b, c, s, h);
    }

    /// <summary>Applies the adjustments in the given order with the given factors.</summary>
    public static Tensor Apply(Tensor image, ColorJitterParams parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ImageChecks.RequireImage(image, "ColorJitter");
        Tensor current = image;
        foreach (int step in parameters.Order)
        {
            Tensor next = step switch
            {
                0 when parameters.Brightness is double b => ImageFunctional.AdjustBrightness(current, b),
                1 when parameters.Contrast is double c => ImageFunctional.AdjustContrast(current, c),
                2 when parameters.Saturation is double s => ImageFunctional.AdjustSaturation(current, s),
                3 when parameters.Hue is double h => ImageFunctional.AdjustHue(current, h),
                _ => current,
            };
            if (!ReferenceEquals(next, current) && !ReferenceEquals(current, image))
                current.Dispose();
            current = next;
        }
        return current;
    }

    /// <summary>Draws parameters and applies them.</summary>
    public Tensor Forward(Tensor image) =>
        Apply(image, GetParams(Brightness, Contrast, Saturation, Hue, _generator ?? DataGenerator.Current));

    private static (double, double)? Range(double strength, string name)
    {
        if (!(strength >= 0))
            throw new ArgumentOutOfRangeException(name, strength, $"ColorJitter: if {name} is a single number, it must be non negative.");
        return strength == 0 ? null : (Math.Max(0, 1 - strength), 1 + strength);
    }

    private static (double, double)? HueRange(double hue)
    {
        if (!(hue >= 0 && hue <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(hue), hue, "ColorJitter: hue must lie in [0, 0.5].");
        return hue == 0 ? null : (-hue, hue);
    }

    private static (double Min, double Max)? Check((double Min, double Max)? range, string name, double low, double high)
    {
        if (range is { } r && !(low <= r.Min && r.Min <= r.Max && r.Max <= high))
            throw new ArgumentOutOfRangeException(name, r, $"ColorJitter: {name} values should be between {low} and {high}, with min <= max.");
        return range;
    }
}

/// <summary>One draw of <see cref="ColorJitter"/>: the order of the adjustments and their factors (null: left out).</summary>
/// <param name="Order">A permutation of 0 (brightness), 1 (contrast), 2 (saturation), 3 (hue).</param>
/// <param name="Brightness">The brightness factor.</param>
/// <param name="Contrast">The contrast factor.</param>
/// <param name="Saturation">The saturation factor.</param>
/// <param name="Hue">The hue shift.</param>
public sealed record ColorJitterParams(IReadOnlyList<int> Order, double? Brightness, double? Contrast, double? Saturation, double? Hue);

public static partial class ImageFunctional
{
    /// <summary>Scales the values by <paramref name="factor"/> (<c>F.adjust_brightness</c>): <c>clamp(f * x, 0, max)</c>.</summary>
    public static Tensor AdjustBrightness(Tensor image, double factor) => Blend(image, factor, BlendPartner.Black, "AdjustBrightness");

    /// <summary>Blends with the image's mean grey level (<c>F.adjust_contrast</c>).</summary>
    public static Tensor AdjustContrast(Tensor image, double factor) => Blend(image, factor, BlendPartner.MeanGray, "AdjustContrast");

    /// <summary>Blends with the image's greyscale version (<c>F.adjust_saturation</c>).</summary>
    public static Tensor AdjustSaturation(Tensor image, double factor) => Blend(image, factor, BlendPartner.Gray, "AdjustSaturation");

    /// <summary>Rotates the hue by <paramref name="factor"/> turns, in [-0.5, 0.5] (<c>F.adjust_hue</c>), through HSV.</summary>
    public static Tensor AdjustHue(Tensor image, double factor)
    {
        if (!(factor >= -0.5 && factor <= 0.5))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "AdjustHue: hue_factor is not in [-0.5, 0.5].");
        RequireRgb(image, "AdjustHue");
        return ImageChecks.Wide(image) ? HueAs<double>(image, factor) : HueAs<float>(image, factor);
    }

    private static void RequireRgb(Tensor image, string op)
    {
        ImageChecks.RequireImage(image, op);
        if (image.GetSize(-3) != 3)
            throw new ShapeMismatchException($"{op}: expected an RGB image with 3 channels, got shape {image.Shape}.");
    }

    /// <summary>What an image is blended with: black, its greyscale version, or its mean grey level.</summary>
    private enum BlendPartner { Black, Gray, MeanGray }

    private static Tensor Blend(Tensor image, double factor, BlendPartner partner, string op)
    {
        if (!(factor >= 0))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"{op}: the factor must be non-negative.");
        if (partner == BlendPartner.Black)
            ImageChecks.RequireImage(image, op);
        else
            RequireRgb(image, op);
        return ImageChecks.Wide(image) ? BlendAs<double>(image, factor, partner) : BlendAs<float>(image, factor, partner);
    }

    /// <summary>torchvision's <c>_blend</c>: <c>(f * x + (1 - f) * other).clamp(0, bound).to(dtype)</c>, in the compute type,
    /// integer results truncated as <c>.to(uint8)</c> does.</summary>
    private static Tensor BlendAs<T>(Tensor image, double factor, BlendPartner partner) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = ImageBuffer<T>.From(image);
        int plane = src.Height * src.Width, channels = src.Channels;
        T[]? gray = partner == BlendPartner.Black ? null : GrayAs(src);
        T[]? means = partner == BlendPartner.MeanGray ? MeanAs(src, gray!) : null;
        T f = T.CreateChecked(factor), g = T.CreateChecked(1.0 - factor);
        bool integer = !src.SourceDType.IsFloatingPoint();
        T bound = integer ? T.CreateChecked(255.0) : T.One;
        var output = new T[src.Data.Length];
        for (int n = 0; n < src.Images; n++)
        {
            for (int ch = 0; ch < channels; ch++)
            {
                int start = (n * channels + ch) * plane;
                for (int p = 0; p < plane; p++)
                {
                    T other = means is not null ? means[n] : gray is not null ? gray[n * plane + p] : T.Zero;
                    T v = T.Clamp(f * src.Data[start + p] + g * other, T.Zero, bound);
                    output[start + p] = integer ? T.Truncate(v) : v;
                }
            }
        }
        return src.ToTensor(output, src.Shape, round: false);
    }

    /// <summary>torchvision's <c>rgb_to_grayscale</c> per pixel, [N][H*W], truncated for integer images.</summary>
    private static T[] GrayAs<T>(ImageBuffer<T> src) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = src.Height * src.Width;
        bool integer = !src.SourceDType.IsFloatingPoint();
        // The weights are Python floats multiplied into the compute type (float32 for uint8 and float32).
        T wr = T.CreateChecked(0.2989), wg = T.CreateChecked(0.587), wb = T.CreateChecked(0.114);
        var gray = new T[src.Images * plane];
        for (int n = 0; n < src.Images; n++)
        {
            int r = n * 3 * plane, g = r + plane, b = g + plane;
            for (int p = 0; p < plane; p++)
            {
                T v = wr * src.Data[r + p] + wg * src.Data[g + p] + wb * src.Data[b + p];
                gray[n * plane + p] = integer ? T.Truncate(v) : v;
            }
        }
        return gray;
    }

    /// <summary>The mean grey level of each image, summed in float64 and rounded once to the compute type.</summary>
    private static T[] MeanAs<T>(ImageBuffer<T> src, T[] gray) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = src.Height * src.Width;
        var means = new T[src.Images];
        for (int n = 0; n < src.Images; n++)
        {
            double sum = 0;
            for (int p = 0; p < plane; p++)
                sum += double.CreateChecked(gray[n * plane + p]);
            means[n] = T.CreateChecked(sum / plane);
        }
        return means;
    }

    private static Tensor HueAs<T>(Tensor image, double factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = ImageBuffer<T>.From(image);
        bool integer = !src.SourceDType.IsFloatingPoint();
        int plane = src.Height * src.Width;
        T one = T.One, zero = T.Zero, six = T.CreateChecked(6.0), two = T.CreateChecked(2.0), four = T.CreateChecked(4.0);
        T shift = T.CreateChecked(factor), u255 = T.CreateChecked(255.0);
        var output = new T[src.Data.Length];
        for (int n = 0; n < src.Images; n++)
        {
            int ri = n * 3 * plane, gi = ri + plane, bi = gi + plane;
            for (int p = 0; p < plane; p++)
            {
                T r = src.Data[ri + p], g = src.Data[gi + p], b = src.Data[bi + p];
                if (integer)
                    (r, g, b) = (r / u255, g / u255, b / u255);
                // _rgb2hsv
                T maxc = T.Max(r, T.Max(g, b)), minc = T.Min(r, T.Min(g, b));
                bool eqc = maxc == minc;
                T cr = maxc - minc;
                T s = cr / (eqc ? one : maxc);
                T divisor = eqc ? one : cr;
                T rc = (maxc - r) / divisor, gc = (maxc - g) / divisor, bc = (maxc - b) / divisor;
                T hr = maxc == r ? bc - gc : zero;
                T hg = maxc == g && maxc != r ? two + rc - bc : zero;
                T hb = maxc != g && maxc != r ? four + gc - rc : zero;
                T h = (hr + hg + hb) / six + one;
                h %= one;                       // torch.fmod (C# % on floats is fmod)
                h = Remainder(h + shift, one);  // (h + hue_factor) % 1.0
                // _hsv2rgb
                T i = T.Floor(h * six);
                T f = h * six - i;
                T pv = T.Clamp(maxc * (one - s), zero, one);
                T qv = T.Clamp(maxc * (one - s * f), zero, one);
                T tv = T.Clamp(maxc * (one - s * (one - f)), zero, one);
                int sector = ((int.CreateTruncating(i) % 6) + 6) % 6;
                T v = maxc;
                (T nr, T ng, T nb) = sector switch
                {
                    0 => (v, tv, pv),
                    1 => (qv, v, pv),
                    2 => (pv, v, tv),
                    3 => (pv, qv, v),
                    4 => (tv, pv, v),
                    _ => (v, pv, qv),
                };
                if (integer)
                    (nr, ng, nb) = (T.Truncate(nr * u255), T.Truncate(ng * u255), T.Truncate(nb * u255));
                output[ri + p] = nr;
                output[gi + p] = ng;
                output[bi + p] = nb;
            }
        }
        return src.ToTensor(output, src.Shape, round: false);
    }

    /// <summary><c>torch.remainder</c> for floats: fmod, moved to the divisor's sign.</summary>
    private static T Remainder<T>(T a, T b) where T : IFloatingPointIeee754<T>
    {
        T mod = a % b;
        if (mod != T.Zero && (b < T.Zero) != (mod < T.Zero))
            mod += b;
        return mod;
    }
}
