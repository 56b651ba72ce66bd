using Ember.Data;
using Ember.Vision.IO;
using Ember.Vision.Transforms;

namespace Ember.Vision.Datasets;

/// <summary>
/// Images in one folder per class (<c>torchvision.datasets.ImageFolder</c>): <c>root/cat/x.png</c>,
/// <c>root/dog/y.jpg</c>, ... Sample i is <c>(Transform(image), TargetTransform(label))</c>, where the
/// image is decoded on access as a uint8 RGB <c>[3, H, W]</c> tensor and the default transform is
/// <see cref="ToTensor"/> (float32 in [0, 1]).
/// </summary>
/// <remarks>
/// As torchvision: the classes are the names of the sub-folders of <see cref="Root"/> sorted by code
/// point (ordinal), labelled 0, 1, ... in that order; each class folder is searched recursively, its
/// sub-folders and files visited in sorted order, and a file counts when its name ends, ignoring case,
/// with one of <see cref="Extensions"/> (or when the given predicate accepts it). Images are converted to
/// RGB as PIL's <c>convert("RGB")</c> does (grayscale replicated, alpha dropped, palette expanded). Decoding
/// is done with SixLabors.ImageSharp, which reads PNG, JPEG, BMP, GIF and TGA here; files it cannot read
/// give an <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public sealed class ImageFolder : Dataset<(Tensor Image, long Label)>
{
    /// <summary>The file name extensions torchvision accepts (<c>IMG_EXTENSIONS</c>).</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];

    private readonly (string Path, long Label)[] _samples;

    /// <summary>Scans <paramref name="root"/> for class folders and their images.</summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="transform">Applied to each uint8 <c>[3, H, W]</c> image; <see cref="ToTensor"/> when null.</param>
    /// <param name="targetTransform">Applied to each label, or null.</param>
    /// <param name="isValidFile">Decides which files are samples (by full path) instead of the extension list.</param>
    /// <param name="maxPixels">The largest image (width times height) that is decoded; larger ones are refused
    /// before decoding, as PIL refuses decompression bombs.</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="FileNotFoundException">There is no class folder, or a class folder holds no valid file.</exception>
    public ImageFolder(string root, ITransform? transform = null, Func<long, long>? targetTransform = null,
        Func<string, bool>? isValidFile = null, long maxPixels = ImageReader.DefaultMaxPixels)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"ImageFolder: the root folder '{root}' does not exist.");
        Root = root;
        Transform = transform ?? new ToTensor();
        TargetTransform = targetTransform;
        MaxPixels = maxPixels;

        string[] classes = [.. Directory.EnumerateDirectories(root).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        if (classes.Length == 0)
            throw new FileNotFoundException($"ImageFolder: couldn't find any class folder in '{root}'.");
        Classes = classes;
        ClassToIdx = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => (long)p.i, StringComparer.Ordinal);

        Func<string, bool> valid = isValidFile ?? HasImageExtension;
        var samples = new List<(string, long)>();
        var empty = new List<string>();
        for (int label = 0; label < classes.Length; label++)
        {
            int before = samples.Count;
            foreach (string file in FilesSorted(Path.Combine(root, classes[label])))
            {
                if (valid(file))
                    samples.Add((file, label));
            }
            if (samples.Count == before)
                empty.Add(classes[label]);
        }
        if (empty.Count > 0)
        {
            string accepted = isValidFile is null ? "Supported extensions are: " + string.Join(", ", Extensions) : "No file passed isValidFile";
            throw new FileNotFoundException($"ImageFolder: found no valid file for the classes {string.Join(", ", empty)} in '{root}'. {accepted}.");
        }
        _samples = [.. samples];
    }

    /// <summary>The root folder, as given.</summary>
    public string Root { get; }

    /// <summary>The class names in label order (<c>classes</c>).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The label of each class name (<c>class_to_idx</c>).</summary>
    public IReadOnlyDictionary<string, long> ClassToIdx { get; }

    /// <summary>Every sample's file and label, in order (<c>samples</c>).</summary>
    public IReadOnlyList<(string Path, long Label)> Samples => _samples;

    /// <summary>Every sample's label, in order (<c>targets</c>).</summary>
    public IReadOnlyList<long> Targets => [.. _samples.Select(s => s.Label)];

    /// <summary>Applied to each uint8 <c>[3, H, W]</c> image.</summary>
    public ITransform Transform { get; }

    /// <summary>Applied to each label, or null.</summary>
    public Func<long, long>? TargetTransform { get; }

    /// <summary>The largest number of pixels an image may have.</summary>
    public long MaxPixels { get; }

    /// <inheritdoc/>
    public override int Count => _samples.Length;

    /// <summary>Decodes and transforms sample <paramref name="index"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable image.</exception>
    public override (Tensor Image, long Label) this[int index]
    {
        get
        {
            CheckIndex(index);
            (string path, long label) = _samples[index];
            Tensor image = ImageReader.ReadRgb(path, MaxPixels);
            Tensor result;
            try
            {
                result = Transform.Forward(image);
            }
            catch
            {
                image.Dispose();
                throw;
            }
            if (!ReferenceEquals(result, image))
                image.Dispose();
            return (result, TargetTransform is null ? label : TargetTransform(label));
        }
    }

    /// <summary>torchvision's <c>has_file_allowed_extension</c>.</summary>
    public static bool HasImageExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (string extension in Extensions)
        {
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary>The files under <paramref name="folder"/> in the order of Python's <c>sorted(os.walk(folder))</c>
    /// with each folder's files sorted: folders by full path, ordinal.</summary>
    private static IEnumerable<string> FilesSorted(string folder)
    {
        var folders = new List<string> { folder };
        CollectFolders(folder, folders, new HashSet<string>(StringComparer.Ordinal) { Resolved(folder) });
        folders.Sort(StringComparer.Ordinal);
        foreach (string dir in folders)
        {
            foreach (string file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                yield return file;
        }
    }

    // Links to folders are followed (os.walk(followlinks=True)), but a folder reached twice is skipped so
    // that a link cycle cannot recurse forever.
    private static void CollectFolders(string folder, List<string> into, HashSet<string> visited)
    {
        foreach (string sub in Directory.EnumerateDirectories(folder))
        {
            if (!visited.Add(Resolved(sub)))
                continue;
            into.Add(sub);
            CollectFolders(sub, into, visited);
        }
    }

    private static string Resolved(string folder) =>
        Path.GetFullPath(new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder);
}
