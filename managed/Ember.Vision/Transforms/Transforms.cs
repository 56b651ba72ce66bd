using Ember.Data;

namespace Ember.Vision.Transforms;

/// <summary>
/// An image transform (<c>torchvision.transforms</c>): a tensor image in, a tensor image out. Images
/// are <c>[..., C, H, W]</c> tensors, as <c>torchvision.transforms.v2</c> takes them.
/// </summary>
/// <remarks>
/// <see cref="Forward"/> returns its input unchanged or a new tensor that the caller owns; it never
/// returns a tensor that the transform keeps.
/// </remarks>
public interface ITransform
{
    /// <summary>Applies the transform (<c>transform(img)</c>).</summary>
    Tensor Forward(Tensor image);

    /// <summary>
    /// True when <see cref="Forward"/> also takes a batch <c>[N, C, H, W]</c> and gives every image the
    /// result it would give that image alone; datasets then transform whole batches at once.
    /// Random transforms are not batchable: each image draws its own parameters.
    /// </summary>
    bool IsBatchable => false;
}

/// <summary>Applies transforms one after the other (<c>transforms.Compose</c>).</summary>
public sealed class Compose : ITransform
{
    private readonly ITransform[] _transforms;

    /// <summary>Chains <paramref name="transforms"/> in the given order.</summary>
    public Compose(params ITransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        foreach (var t in transforms)
            ArgumentNullException.ThrowIfNull(t, nameof(transforms));
        _transforms = [.. transforms];
    }

    /// <summary>The chained transforms.</summary>
    public IReadOnlyList<ITransform> Transforms => _transforms;

    /// <summary>True when every chained transform is batchable.</summary>
    public bool IsBatchable => _transforms.All(t => t.IsBatchable);

    /// <summary>Applies each transform to the previous one's result, disposing the intermediate results.</summary>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Tensor current = image;
        foreach (var transform in _transforms)
        {
            Tensor next = transform.Forward(current);
            if (!ReferenceEquals(next, current) && !ReferenceEquals(current, image))
                current.Dispose();
            current = next;
        }
        return current;
    }
}

/// <summary>Wraps a function as a transform (<c>transforms.Lambda</c>).</summary>
public sealed class Lambda : ITransform
{
    private readonly Func<Tensor, Tensor> _function;

    /// <summary>Uses <paramref name="function"/>, which returns its input or a new tensor.</summary>
    /// <param name="function">The transform.</param>
    /// <param name="isBatchable">Whether the function treats a batch image by image (see <see cref="ITransform.IsBatchable"/>).</param>
    public Lambda(Func<Tensor, Tensor> function, bool isBatchable = false)
    {
        ArgumentNullException.ThrowIfNull(function);
        _function = function;
        IsBatchable = isBatchable;
    }

    /// <inheritdoc/>
    public bool IsBatchable { get; }

    /// <inheritdoc/>
    public Tensor Forward(Tensor image) => _function(image);
}

/// <summary>
/// Converts a uint8 image with values 0..255 to a float32 image with values in [0, 1]
/// (<c>transforms.ToTensor</c>): <c>x.to(float32) / 255</c>. Other dtypes pass through unchanged, as
/// in torchvision.
/// </summary>
public sealed class ToTensor : ITransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="channelsLast">The input is <c>[..., H, W, C]</c> (as decoded image files are) and is
    /// permuted to <c>[..., C, H, W]</c>; by default it already is channels-first.</param>
    public ToTensor(bool channelsLast = false) => ChannelsLast = channelsLast;

    /// <summary>Whether the input is <c>[..., H, W, C]</c>.</summary>
    public bool ChannelsLast { get; }

    /// <inheritdoc/>
    public bool IsBatchable => true;

    /// <summary>Converts the image; a 2-d <c>[H, W]</c> image gets a channel dim of 1.</summary>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        Tensor chw;
        if (image.Dim == 2)
            chw = image.Unsqueeze(0);
        else if (ChannelsLast)
        {
            int n = image.Dim;
            if (n < 3)
                throw new ShapeMismatchException($"ToTensor: a channels-last image needs at least 3 dims [..., H, W, C], got shape {image.Shape}.");
            var dims = new int[n];
            for (int i = 0; i < n - 3; i++) dims[i] = i;
            (dims[n - 3], dims[n - 2], dims[n - 1]) = (n - 1, n - 3, n - 2);
            chw = image.Permute(dims);
        }
        else
            chw = image;
        if (chw.DType != DType.UInt8)
            return ReferenceEquals(chw, image) ? image : chw;
        Tensor result = chw.To(DType.Float32);
        if (!ReferenceEquals(chw, image))
            chw.Dispose();
        return result.Div_(255.0);
    }
}

/// <summary>
/// Normalizes each channel: <c>(x - mean[c]) / std[c]</c> (<c>transforms.Normalize</c>), computed as
/// torchvision does (the statistics cast to the image's dtype, then a subtraction and a division).
/// </summary>
public sealed class Normalize : ITransform
{
    private readonly double[] _mean;
    private readonly double[] _std;

    /// <summary>Creates the transform with per-channel statistics (one value applies to every channel).</summary>
    /// <exception cref="ArgumentException">The lengths differ or are zero, or a standard deviation is zero.</exception>
    public Normalize(IReadOnlyList<double> mean, IReadOnlyList<double> std, bool inplace = false)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException($"Normalize: mean ({mean.Count} values) and std ({std.Count} values) must have the same, non-zero length.");
        if (std.Any(s => s == 0))
            throw new ArgumentException($"Normalize: std evaluated to zero ([{string.Join(", ", std)}]), leading to division by zero.", nameof(std));
        _mean = [.. mean];
        _std = [.. std];
        Inplace = inplace;
    }

    /// <summary>The per-channel means.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The per-channel standard deviations.</summary>
    public IReadOnlyList<double> Std => _std;

    /// <summary>Whether the input is modified in place.</summary>
    public bool Inplace { get; }

    /// <inheritdoc/>
    public bool IsBatchable => true;

    /// <summary>Normalizes a floating <c>[..., C, H, W]</c> image.</summary>
    /// <exception cref="DTypeException">The image is not floating point.</exception>
    /// <exception cref="ShapeMismatchException">The image has fewer than 3 dims or a different number of channels.</exception>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!image.IsFloatingPoint)
            throw new DTypeException($"Normalize: the input should be a float tensor, got {image.DType.ToTorchString()}; apply ToTensor or ConvertImageDtype first.");
        if (image.Dim < 3)
            throw new ShapeMismatchException($"Normalize: expected a tensor image of size [..., C, H, W], got shape {image.Shape}.");
        long channels = image.GetSize(-3);
        if (_mean.Length != 1 && _mean.Length != channels)
            throw new ShapeMismatchException($"Normalize: {_mean.Length} means and stds for an image of {channels} channels (shape {image.Shape}).");
        using Tensor mean = Statistics(_mean, image.DType);
        using Tensor std = Statistics(_std, image.DType);
        Tensor result = Inplace ? image : image.Clone();
        return result.Sub_(mean).Div_(std);
    }

    private static Tensor Statistics(double[] values, DType dtype)
    {
        using Tensor t = Torch.Tensor<double>(values, [values.Length, 1, 1]);
        return t.To(dtype);
    }
}

/// <summary>
/// Converts an image to another dtype, rescaling the values (<c>transforms.ConvertImageDtype</c>):
/// integers span 0..max of their type, floats span [0, 1].
/// </summary>
/// <remarks>Narrowing one integer dtype to another needs floor division, which Ember does not have yet;
/// that case throws <see cref="NotSupportedException"/>.</remarks>
public sealed class ConvertImageDtype : ITransform
{
    /// <summary>Converts to <paramref name="dtype"/>.</summary>
    public ConvertImageDtype(DType dtype) => DType = dtype;

    /// <summary>The target dtype.</summary>
    public DType DType { get; }

    /// <inheritdoc/>
    public bool IsBatchable => true;

    /// <summary>Converts the image.</summary>
    /// <exception cref="DTypeException">The conversion loses the range (float32 to int32/int64, float64 to int64) or involves bool.</exception>
    public Tensor Forward(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        DType from = image.DType, to = DType;
        if (from == to)
            return image;
        if (from == DType.Bool || to == DType.Bool)
            throw new DTypeException($"ConvertImageDtype: cannot convert {from.ToTorchString()} images to {to.ToTorchString()}.");
        if (from.IsFloatingPoint() && to.IsFloatingPoint())
            return image.To(to);
        if (from.IsFloatingPoint())
        {
            if ((from == DType.Float32 && to is DType.Int32 or DType.Int64) || (from == DType.Float64 && to == DType.Int64))
                throw new DTypeException($"ConvertImageDtype: the cast from {from.ToTorchString()} to {to.ToTorchString()} cannot be performed safely.");
            // As torchvision: scale by max + 1 - eps so that 1.0 maps to max, then truncate.
            using Tensor scaled = image * (MaxValue(to) + 1.0 - 1e-3);
            return scaled.To(to);
        }
        if (to.IsFloatingPoint())
            return image.To(to).Div_(MaxValue(from));
        long inMax = IntegerMax(from), outMax = IntegerMax(to);
        if (inMax > outMax)
            throw new NotSupportedException(
                $"ConvertImageDtype: narrowing {from.ToTorchString()} to {to.ToTorchString()} needs floor division, which Ember does not have yet.");
        long factor = (long)(((UInt128)(ulong)outMax + 1) / ((ulong)inMax + 1));
        return image.To(to).Mul_(factor);
    }

    /// <summary>The largest value of an image of this dtype, as a double (torchvision's <c>float(_max_value(dtype))</c>).</summary>
    private static double MaxValue(DType dtype) => dtype.IsFloatingPoint() ? 1.0 : IntegerMax(dtype);

    private static long IntegerMax(DType dtype) => dtype switch
    {
        DType.UInt8 => byte.MaxValue,
        DType.Int8 => sbyte.MaxValue,
        DType.Int16 => short.MaxValue,
        DType.Int32 => int.MaxValue,
        _ => long.MaxValue,
    };
}
