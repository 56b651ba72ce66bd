using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Ember.Vision.IO;

/// <summary>
/// Decodes image files into tensors (<c>torchvision.io.read_image(path, ImageReadMode.RGB)</c>) with
/// SixLabors.ImageSharp: PNG, JPEG, BMP, GIF (first frame) and TGA.
/// </summary>
public static class ImageReader
{
    /// <summary>The default pixel limit: PIL's decompression-bomb limit (2 x 89,478,485 pixels).</summary>
    public const long DefaultMaxPixels = 2 * 89_478_485L;

    /// <summary>
    /// Reads an image as a uint8 RGB tensor <c>[3, H, W]</c>, converted as PIL's <c>convert("RGB")</c>:
    /// grayscale channels replicated, alpha dropped, palettes expanded.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPixels">Images with more pixels (width times height) are refused before they are decoded.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an image ImageSharp can read, is corrupt or truncated, or is too large.</exception>
    public static Tensor ReadRgb(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"ImageReader: the image '{path}' does not exist.", path);
        try
        {
            // Identify reads only the header: refuse a huge image before allocating its pixels.
            IImageInfo? info = Image.Identify(path)
                ?? throw new InvalidDataException($"ImageReader: '{path}' is not an image in a format ImageSharp reads (PNG, JPEG, BMP, GIF, TGA).");
            long pixels = (long)info.Width * info.Height;
            if (pixels > maxPixels)
                throw new InvalidDataException($"ImageReader: '{path}' is {info.Width}x{info.Height} = {pixels} pixels, more than the limit of {maxPixels}.");
            using Image<Rgb24> image = Image.Load<Rgb24>(path);
            return ToChw(image);
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException)
        {
            throw new InvalidDataException($"ImageReader: '{path}' could not be decoded: {e.Message}", e);
        }
    }

    /// <summary>Copies interleaved RGB rows into a channels-first uint8 tensor.</summary>
    private static Tensor ToChw(Image<Rgb24> image)
    {
        int h = image.Height, w = image.Width;
        var hwc = new byte[checked(h * w * 3)];
        image.CopyPixelDataTo(hwc);
        var chw = new byte[hwc.Length];
        int plane = h * w;
        for (int p = 0; p < plane; p++)
        {
            chw[p] = hwc[3 * p];
            chw[plane + p] = hwc[3 * p + 1];
            chw[2 * plane + p] = hwc[3 * p + 2];
        }
        return Torch.Tensor<byte>(chw, [3, h, w]);
    }
}
