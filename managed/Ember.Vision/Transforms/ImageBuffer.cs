using System.Numerics;

namespace Ember.Vision.Transforms;

/// <summary>
/// An image or batch of images copied out of a tensor into a managed array of the dtype torchvision computes
/// in (float64 for float64 images, float32 for everything else), with the planes [N*C] of [H, W] row-major,
/// and the way back into a tensor of the original dtype. The geometric and colour transforms run their
/// per-pixel formulas on these arrays, in the same precision and order as PyTorch's kernels.
/// </summary>
internal sealed class ImageBuffer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private ImageBuffer(T[] data, long[] shape, DType dtype)
    {
        Data = data;
        Shape = shape;
        SourceDType = dtype;
    }

    /// <summary>The values, planes one after the other.</summary>
    public T[] Data { get; }

    /// <summary>The tensor's shape: [C, H, W] or [N, C, H, W].</summary>
    public long[] Shape { get; }

    /// <summary>The dtype of the tensor the values came from.</summary>
    public DType SourceDType { get; }

    public int Height => (int)Shape[^2];

    public int Width => (int)Shape[^1];

    public int Channels => (int)Shape[^3];

    /// <summary>Images in the batch (1 for a [C, H, W] image).</summary>
    public int Images => Shape.Length == 4 ? (int)Shape[0] : 1;

    public static ImageBuffer<T> From(Tensor image)
    {
        using Tensor cast = image.To(typeof(T) == typeof(double) ? DType.Float64 : DType.Float32);
        return new ImageBuffer<T>(cast.ToArray<T>(), image.Shape.ToArray(), image.DType);
    }

    /// <summary>A tensor of <paramref name="shape"/> from <paramref name="data"/>, cast back to the source dtype:
    /// integer dtypes are rounded half to even first (<paramref name="round"/>, as torchvision's resize and
    /// rotate) or truncated (as its colour adjustments).</summary>
    public Tensor ToTensor(T[] data, long[] shape, bool round)
    {
        if (round && !SourceDType.IsFloatingPoint())
        {
            for (int i = 0; i < data.Length; i++)
                data[i] = T.Round(data[i], MidpointRounding.ToEven);
        }
        Tensor result = Torch.Tensor<T>(data, shape);
        if (result.DType == SourceDType)
            return result;
        using (result)
            return result.To(SourceDType);
    }

    public static T C(double value) => T.CreateChecked(value);
}

/// <summary>Checks shared by the image transforms.</summary>
internal static class ImageChecks
{
    /// <summary>Requires a [C, H, W] or [N, C, H, W] tensor of a real dtype.</summary>
    public static void RequireImage(Tensor image, string op)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Dim is not (3 or 4))
            throw new ShapeMismatchException($"{op}: expected an image [C, H, W] or a batch [N, C, H, W], got shape {image.Shape}.");
        if (image.DType is DType.Bool)
            throw new DTypeException($"{op}: bool images are not supported, got dtype {image.DType.ToTorchString()}.");
    }

    /// <summary>True when the image is computed in float64 (float64 images); everything else uses float32.</summary>
    public static bool Wide(Tensor image) => image.DType == DType.Float64;
}
