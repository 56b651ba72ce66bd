using Ember.Data;

namespace Ember.Vision.Transforms;

/// <summary>
/// Pads the borders of an image with a constant (<c>transforms.Pad</c> with
/// <c>padding_mode="constant"</c>; the reflect, edge and symmetric modes need a pad op Ember does
/// not have yet).
/// </summary>
public sealed class Pad : ITransform
{
    /// <summary>Pads every side by <paramref name="padding"/> pixels.</summary>
    public Pad(int padding, double fill = 0) : this(padding, padding, padding, padding, fill) { }

    /// <summary>Pads each side by its own number of pixels.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A padding is negative.</exception>
    public Pad(int left, int top, int right, int bottom, double fill = 0)
    {
        if (left < 0 || top < 0 || right < 0 || bottom < 0)
            throw new ArgumentOutOfRangeException(nameof(left), $"Pad: paddings must not be negative, got left {left}, top {top}, right {right}, bottom {bottom}.");
        (Left, Top, Right, Bottom, Fill) = (left, top, right, bottom, fill);
    }

    /// <summary>Pixels added on the left.</summary>
    public int Left { get; }

    /// <summary>Pixels added on top.</summary>
    public int Top { get; }

    /// <summary>Pixels added on the right.</summary>
    public int Right { get; }

    /// <summary>Pixels added at the bottom.</summary>
    public int Bottom { get; }

    /// <summary>The value of the added pixels.</summary>
    public double Fill { get; }

    /// <inheritdoc/>
    public bool IsBatchable => true;

    /// <inheritdoc/>
    public Tensor Forward(Tensor image) => ImageOps.Pad(image, Left, Top, Right, Bottom, Fill);
}

/// <summary>Crops the center of an image, padding with zeros when it is smaller (<c>transforms.CenterCrop</c>).</summary>
public sealed class CenterCrop : ITransform
{
    /// <summary>Crops a <paramref name="size"/> x <paramref name="size"/> square.</summary>
    public CenterCrop(int size) : this(size, size) { }

    /// <summary>Crops <paramref name="height"/> x <paramref name="width"/> pixels.</summary>
    public CenterCrop(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        (Height, Width) = (height, width);
    }

    /// <summary>The crop's height.</summary>
    public int Height { get; }

    /// <summary>The crop's width.</summary>
    public int Width { get; }

    /// <inheritdoc/>
    public bool IsBatchable => true;

    /// <summary>A view of the center (a new padded tensor when the image is smaller than the crop).</summary>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = ImageOps.Size(image, "CenterCrop");
        Tensor source = image;
        if (Height > h || Width > w)
        {
            // As torchvision: pad to at least the crop size, the odd pixel going right/bottom.
            int padW = Math.Max(Width - w, 0), padH = Math.Max(Height - h, 0);
            source = ImageOps.Pad(image, padW / 2, padH / 2, (padW + 1) / 2, (padH + 1) / 2, 0);
            (h, w) = ImageOps.Size(source, "CenterCrop");
            if (h == Height && w == Width)
                return source;
        }
        // Python's round() rounds halves to even, as Math.Round does.
        int top = (int)Math.Round((h - Height) / 2.0), left = (int)Math.Round((w - Width) / 2.0);
        Tensor crop = ImageOps.Crop(source, top, left, Height, Width);
        if (!ReferenceEquals(source, image))
            source.Dispose();
        return crop;
    }
}

/// <summary>Crops a random window, optionally after padding (<c>transforms.RandomCrop</c>, constant padding).</summary>
public sealed class RandomCrop : ITransform
{
    private readonly DataGenerator? _generator;

    /// <summary>Crops a random <paramref name="size"/> x <paramref name="size"/> square.</summary>
    public RandomCrop(int size, int padding = 0, bool padIfNeeded = false, double fill = 0, DataGenerator? generator = null)
        : this(size, size, padding, padIfNeeded, fill, generator) { }

    /// <summary>Crops a random <paramref name="height"/> x <paramref name="width"/> window.</summary>
    /// <param name="height">The crop's height.</param>
    /// <param name="width">The crop's width.</param>
    /// <param name="padding">Pixels of <paramref name="fill"/> added on every side first.</param>
    /// <param name="padIfNeeded">Pad an image smaller than the crop up to its size.</param>
    /// <param name="fill">The value of padded pixels.</param>
    /// <param name="generator">Source of the crop positions; <see cref="DataGenerator.Current"/> when null.</param>
    public RandomCrop(int height, int width, int padding = 0, bool padIfNeeded = false, double fill = 0, DataGenerator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        (Height, Width, Padding, PadIfNeeded, Fill) = (height, width, padding, padIfNeeded, fill);
        _generator = generator;
    }

    /// <summary>The crop's height.</summary>
    public int Height { get; }

    /// <summary>The crop's width.</summary>
    public int Width { get; }

    /// <summary>Pixels added on every side before cropping.</summary>
    public int Padding { get; }

    /// <summary>Whether a smaller image is padded up to the crop size.</summary>
    public bool PadIfNeeded { get; }

    /// <summary>The value of padded pixels.</summary>
    public double Fill { get; }

    /// <summary>Crops the image; the result is a view unless padding was needed.</summary>
    /// <exception cref="ArgumentException">The (padded) image is smaller than the crop.</exception>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Tensor source = Padding > 0 ? ImageOps.Pad(image, Padding, Padding, Padding, Padding, Fill) : image;
        var (h, w) = ImageOps.Size(source, "RandomCrop");
        if (PadIfNeeded && (w < Width || h < Height))
        {
            // torchvision pads both sides by the whole difference, width first.
            int padW = Math.Max(Width - w, 0), padH = Math.Max(Height - h, 0);
            Tensor padded = ImageOps.Pad(source, padW, padH, padW, padH, Fill);
            if (!ReferenceEquals(source, image))
                source.Dispose();
            source = padded;
            (h, w) = ImageOps.Size(source, "RandomCrop");
        }
        if (h < Height || w < Width)
            throw new ArgumentException($"RandomCrop: required crop size ({Height}, {Width}) is larger than input image size ({h}, {w}).", nameof(image));
        var gen = _generator ?? DataGenerator.Current;
        int top = 0, left = 0;
        if (h != Height || w != Width)
        {
            top = gen.NextInt32(h - Height + 1);
            left = gen.NextInt32(w - Width + 1);
        }
        Tensor crop = ImageOps.Crop(source, top, left, Height, Width);
        if (!ReferenceEquals(source, image))
            source.Dispose();
        return crop;
    }
}

/// <summary>Mirrors an image left to right with probability <c>p</c> (<c>transforms.RandomHorizontalFlip</c>).</summary>
public sealed class RandomHorizontalFlip : ITransform
{
    private readonly DataGenerator? _generator;

    /// <summary>Flips with probability <paramref name="p"/>, drawing from <paramref name="generator"/> (or <see cref="DataGenerator.Current"/>).</summary>
    public RandomHorizontalFlip(double p = 0.5, DataGenerator? generator = null)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "RandomHorizontalFlip: p must lie in [0, 1].");
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of a flip.</summary>
    public double P { get; }

    /// <summary>A flipped copy, or the input itself.</summary>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ImageOps.Size(image, "RandomHorizontalFlip");
        return (_generator ?? DataGenerator.Current).NextDouble() < P ? ImageOps.Flip(image, -1) : image;
    }
}

/// <summary>Mirrors an image top to bottom with probability <c>p</c> (<c>transforms.RandomVerticalFlip</c>).</summary>
public sealed class RandomVerticalFlip : ITransform
{
    private readonly DataGenerator? _generator;

    /// <summary>Flips with probability <paramref name="p"/>, drawing from <paramref name="generator"/> (or <see cref="DataGenerator.Current"/>).</summary>
    public RandomVerticalFlip(double p = 0.5, DataGenerator? generator = null)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "RandomVerticalFlip: p must lie in [0, 1].");
        P = p;
        _generator = generator;
    }

    /// <summary>The probability of a flip.</summary>
    public double P { get; }

    /// <summary>A flipped copy, or the input itself.</summary>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        ImageOps.Size(image, "RandomVerticalFlip");
        return (_generator ?? DataGenerator.Current).NextDouble() < P ? ImageOps.Flip(image, -2) : image;
    }
}

/// <summary>
/// Erases a random rectangle of an image with probability <c>p</c> (<c>transforms.RandomErasing</c>),
/// choosing its area and aspect ratio as torchvision does (up to 10 tries, else nothing is erased).
/// </summary>
public sealed class RandomErasing : ITransform
{
    private readonly double[] _value;
    private readonly DataGenerator? _generator;

    /// <summary>Creates the transform.</summary>
    /// <param name="p">Probability of erasing.</param>
    /// <param name="scale">Range of the erased area as a fraction of the image; (0.02, 0.33) by default.</param>
    /// <param name="ratio">Range of the erased rectangle's aspect ratio; (0.3, 3.3) by default.</param>
    /// <param name="value">The fill: one value, or one per channel; 0 by default.</param>
    /// <param name="random">Fill with standard normal noise instead of <paramref name="value"/> (torchvision's <c>value="random"</c>).</param>
    /// <param name="inplace">Erase in the input itself.</param>
    /// <param name="generator">Source of randomness; <see cref="DataGenerator.Current"/> when null.</param>
    public RandomErasing(double p = 0.5, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        IReadOnlyList<double>? value = null, bool random = false, bool inplace = false, DataGenerator? generator = null)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "RandomErasing: p must lie in [0, 1].");
        Scale = scale ?? (0.02, 0.33);
        Ratio = ratio ?? (0.3, 3.3);
        if (!(Scale.Min >= 0 && Scale.Min <= Scale.Max && Scale.Max <= 1))
            throw new ArgumentOutOfRangeException(nameof(scale), Scale, "RandomErasing: scale must satisfy 0 <= min <= max <= 1.");
        if (!(Ratio.Min > 0 && Ratio.Min <= Ratio.Max))
            throw new ArgumentOutOfRangeException(nameof(ratio), Ratio, "RandomErasing: ratio must satisfy 0 < min <= max.");
        _value = value is null ? [0.0] : [.. value];
        if (_value.Length == 0)
            throw new ArgumentException("RandomErasing: value needs at least one entry.", nameof(value));
        P = p;
        Random = random;
        Inplace = inplace;
        _generator = generator;
    }

    /// <summary>The probability of erasing.</summary>
    public double P { get; }

    /// <summary>The range of the erased area's fraction.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>The range of the aspect ratio.</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>Whether the rectangle is filled with normal noise.</summary>
    public bool Random { get; }

    /// <summary>Whether the input is modified in place.</summary>
    public bool Inplace { get; }

    /// <summary>The image with a rectangle erased, or the input unchanged.</summary>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = ImageOps.Size(image, "RandomErasing");
        long channels = image.Dim >= 3 ? image.GetSize(-3) : 1;
        if (!Random && _value.Length != 1 && _value.Length != channels)
            throw new ShapeMismatchException($"RandomErasing: {_value.Length} fill values for an image of {channels} channels.");
        var gen = _generator ?? DataGenerator.Current;
        if (gen.NextDouble() >= P)
            return image;
        double logMin = Math.Log(Ratio.Min), logMax = Math.Log(Ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double area = (double)h * w * (Scale.Min + gen.NextDouble() * (Scale.Max - Scale.Min));
            double aspect = Math.Exp(logMin + gen.NextDouble() * (logMax - logMin));
            int eh = (int)Math.Round(Math.Sqrt(area * aspect));
            int ew = (int)Math.Round(Math.Sqrt(area / aspect));
            if (!(eh < h && ew < w))
                continue;
            int top = gen.NextInt32(h - eh + 1), left = gen.NextInt32(w - ew + 1);
            Tensor result = Inplace ? image : image.Clone();
            using Tensor region = ImageOps.Crop(result, top, left, eh, ew);
            using Tensor fill = Random ? Noise(gen, channels, eh, ew) : Torch.Tensor<double>(_value, [_value.Length, 1, 1]);
            using Tensor fit = image.Dim >= 3 ? fill.Alias() : fill.Select(0, 0); // a 2-d image has no channel dim
            region.Copy_(fit);
            return result;
        }
        return image;
    }

    /// <summary>Standard normal values [C, h, w] from the generator (Box-Muller), so that workers stay deterministic.</summary>
    private static Tensor Noise(DataGenerator gen, long channels, int h, int w)
    {
        var values = new float[channels * h * w];
        for (int i = 0; i < values.Length; i += 2)
        {
            double u1 = 1.0 - gen.NextDouble(), u2 = gen.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            values[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < values.Length)
                values[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
        return Torch.Tensor<float>(values, [channels, h, w]);
    }
}

/// <summary>Image operations built from slices and copies, on the last two dims of <c>[..., H, W]</c>.</summary>
internal static class ImageOps
{
    /// <summary>Height and width of an image of at least 2 dims.</summary>
    public static (int Height, int Width) Size(Tensor image, string op)
    {
        if (image.Dim < 2)
            throw new ShapeMismatchException($"{op}: expected an image of shape [..., H, W], got shape {image.Shape}.");
        return ((int)image.GetSize(-2), (int)image.GetSize(-1));
    }

    /// <summary>A view of rows top..top+height and columns left..left+width.</summary>
    public static Tensor Crop(Tensor image, int top, int left, int height, int width)
    {
        using Tensor rows = image.Slice(-2, top, top + height);
        return rows.Slice(-1, left, left + width);
    }

    /// <summary>A new tensor with constant borders around the image.</summary>
    public static Tensor Pad(Tensor image, int left, int top, int right, int bottom, double fill)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (h, w) = Size(image, "Pad");
        long[] shape = image.Shape.ToArray();
        shape[^2] = h + top + bottom;
        shape[^1] = w + left + right;
        Tensor result = Torch.Full(shape, fill, image.DType, image.Device);
        using Tensor inner = Crop(result, top, left, h, w);
        inner.Copy_(image);
        return result;
    }

    /// <summary>A new tensor with the order of <paramref name="dim"/> (-1 or -2) reversed, copied slice by slice.</summary>
    public static Tensor Flip(Tensor image, int dim)
    {
        Tensor result = Torch.Empty(image.Shape, image.DType, image.Device);
        long n = image.GetSize(dim);
        for (long i = 0; i < n; i++)
        {
            using Tensor to = result.Select(dim, i);
            using Tensor from = image.Select(dim, n - 1 - i);
            to.Copy_(from);
        }
        return result;
    }
}
