using Ember.Vision.Transforms;

namespace Ember.Vision.Datasets;

/// <summary>
/// MNIST handwritten digits (<c>torchvision.datasets.MNIST</c>): 60000 training and 10000 test
/// images of 28x28 gray pixels, read from the IDX files <c>train-images-idx3-ubyte</c>,
/// <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c> and <c>t10k-labels-idx1-ubyte</c>,
/// plain or gzipped (<c>.gz</c>). Nothing is downloaded.
/// </summary>
/// <remarks>
/// Each file is looked up in <c>root</c>, <c>root/raw</c> and <c>root/&lt;ClassName&gt;/raw</c> (where
/// torchvision puts it), plain before gzipped. A missing file gives a <see cref="FileNotFoundException"/>
/// naming every expected file, every path tried and where to get the files; a corrupt or truncated
/// file, or labels that do not match the images, give an <see cref="InvalidDataException"/> naming the
/// file. Images are <c>[1, H, W]</c>; <see cref="VisionDataset.Data"/> is uint8 <c>[N, 1, H, W]</c>.
/// </remarks>
public class MNIST : VisionDataset
{
    private static readonly IdxSpec Spec = new(
        nameof(MNIST), "train", "t10k",
        ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"],
        "Get them from http://yann.lecun.com/exdb/mnist/ (or a mirror) and put them in one of those folders.");

    /// <summary>Loads the training (<paramref name="train"/>) or test split from <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding the files (or their raw/ subfolders).</param>
    /// <param name="train">The training split; the test split when false.</param>
    /// <param name="transform">Applied to each uint8 [1, H, W] image; <see cref="ToTensor"/> when null.</param>
    /// <param name="targetTransform">Applied to each label, or null.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, or the files disagree.</exception>
    public MNIST(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : this(root, train, transform, targetTransform, Spec) { }

    private protected MNIST(string root, bool train, ITransform? transform, Func<long, long>? targetTransform, IdxSpec spec)
        : this(root, train, transform, targetTransform, spec, IdxDatasetLoader.Load(root, train, spec))
    {
    }

    private MNIST(string root, bool train, ITransform? transform, Func<long, long>? targetTransform, IdxSpec spec, (Tensor Images, long[] Labels) loaded)
        : base(root, loaded.Images, loaded.Labels, transform, targetTransform)
    {
        Train = train;
        Classes = spec.Classes;
    }

    /// <summary>True for the training split.</summary>
    public bool Train { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Classes { get; }
}

/// <summary>
/// Fashion-MNIST (<c>torchvision.datasets.FashionMNIST</c>): Zalando's 28x28 gray images of clothes in
/// 10 classes, in MNIST's file format and names. Debian's <c>dataset-fashion-mnist</c> package puts the
/// gzipped files in <see cref="DebianFolder"/>.
/// </summary>
public class FashionMNIST : MNIST
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the files.</summary>
    public const string DebianFolder = "/usr/share/datasets/fashion-mnist";

    private static readonly IdxSpec Spec = new(
        nameof(FashionMNIST), "train", "t10k",
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        $"Install them with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu; they land in {DebianFolder}) " +
        "or get them from https://github.com/zalandoresearch/fashion-mnist and put them in one of those folders.");

    /// <summary>Loads the training (<paramref name="train"/>) or test split from <paramref name="root"/> (see <see cref="MNIST"/>).</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, or the files disagree.</exception>
    public FashionMNIST(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : base(root, train, transform, targetTransform, Spec) { }
}

/// <summary>Kuzushiji-MNIST (<c>torchvision.datasets.KMNIST</c>): 28x28 images of 10 cursive Japanese characters, in MNIST's format.</summary>
public class KMNIST : MNIST
{
    private static readonly IdxSpec Spec = new(
        nameof(KMNIST), "train", "t10k",
        ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"],
        "Get them from https://github.com/rois-codh/kmnist (the MNIST-format files) and put them in one of those folders.");

    /// <summary>Loads the training (<paramref name="train"/>) or test split from <paramref name="root"/> (see <see cref="MNIST"/>).</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, or the files disagree.</exception>
    public KMNIST(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : base(root, train, transform, targetTransform, Spec) { }
}

/// <summary>
/// Extended MNIST (<c>torchvision.datasets.EMNIST</c>): letters and digits in six splits, read from
/// <c>emnist-&lt;split&gt;-train-images-idx3-ubyte</c> and the like. As in torchvision the images keep
/// the orientation of the files (transposed relative to MNIST).
/// </summary>
public class EMNIST : MNIST
{
    private const string Digits = "0123456789";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const string Lower = "abcdefghijklmnopqrstuvwxyz";
    // Lowercase letters that look like their capitals are merged into them in bymerge and balanced.
    private const string Merged = "cijklmopsuvwxyz";

    /// <summary>The split names, as torchvision spells them.</summary>
    public static IReadOnlyList<string> Splits { get; } = ["byclass", "bymerge", "balanced", "letters", "digits", "mnist"];

    /// <summary>Loads a split of EMNIST from <paramref name="root"/> (see <see cref="MNIST"/> for the lookup).</summary>
    /// <param name="root">The folder holding the files (or their raw/ subfolders).</param>
    /// <param name="split">One of <see cref="Splits"/>.</param>
    /// <param name="train">The training part; the test part when false.</param>
    /// <param name="transform">Applied to each uint8 [1, H, W] image; <see cref="ToTensor"/> when null.</param>
    /// <param name="targetTransform">Applied to each label, or null.</param>
    /// <exception cref="ArgumentException">The split is unknown.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated, or the files disagree.</exception>
    public EMNIST(string root, string split, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : base(root, train, transform, targetTransform, SpecFor(split))
    {
        Split = split;
    }

    /// <summary>The split.</summary>
    public string Split { get; }

    private static IdxSpec SpecFor(string split)
    {
        ArgumentNullException.ThrowIfNull(split);
        string[] classes = split switch
        {
            "byclass" => [.. (Digits + Upper + Lower).Select(c => c.ToString())],
            "bymerge" or "balanced" => [.. (Digits + Upper + Lower).Where(c => !Merged.Contains(c)).Select(c => c.ToString())],
            "letters" => ["N/A", .. Lower.Select(c => c.ToString())],
            "digits" or "mnist" => [.. Digits.Select(c => c.ToString())],
            _ => throw new ArgumentException($"EMNIST: unknown split '{split}'; expected one of {string.Join(", ", Splits)}.", nameof(split)),
        };
        return new IdxSpec(nameof(EMNIST), $"emnist-{split}-train", $"emnist-{split}-test", classes,
            "Get gzip.zip from https://www.nist.gov/itl/products-and-services/emnist-dataset, unpack it and put the files in one of those folders.");
    }
}

/// <summary>What distinguishes the datasets of the MNIST family: folder name, file prefixes, classes, where to get them.</summary>
internal sealed record IdxSpec(string FolderName, string TrainPrefix, string TestPrefix, string[] Classes, string WhereToGet);

/// <summary>Finds and reads the image and label files of one split.</summary>
internal static class IdxDatasetLoader
{
    public static (Tensor Images, long[] Labels) Load(string root, bool train, IdxSpec spec)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        string prefix = train ? spec.TrainPrefix : spec.TestPrefix;
        string imagesName = $"{prefix}-images-idx3-ubyte", labelsName = $"{prefix}-labels-idx1-ubyte";
        string[] folders = [root, Path.Combine(root, "raw"), Path.Combine(root, spec.FolderName, "raw")];
        var tried = new List<string>();
        string? imagesPath = Find(folders, imagesName, tried);
        string? labelsPath = Find(folders, labelsName, tried);
        if (imagesPath is null || labelsPath is null)
        {
            var missing = new[] { (imagesName, imagesPath), (labelsName, labelsPath) }.Where(f => f.Item2 is null).Select(f => f.Item1);
            throw new FileNotFoundException(
                $"{spec.FolderName}: cannot find the {(train ? "training" : "test")} files {string.Join(" and ", missing)} (plain or .gz); " +
                $"the split needs {imagesName} and {labelsName}. Looked for: {string.Join(", ", tried)}. {spec.WhereToGet}",
                imagesPath is null ? imagesName : labelsName);
        }

        var (pixels, sizes) = IdxReader.Read(imagesPath, 3, "images");
        var (labelBytes, labelSizes) = IdxReader.Read(labelsPath, 1, "labels");
        if (labelSizes[0] != sizes[0])
            throw new InvalidDataException($"{labelsPath} holds {labelSizes[0]} labels but {imagesPath} holds {sizes[0]} images; the files do not belong together.");
        var labels = new long[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labelBytes[i] >= spec.Classes.Length)
                throw new InvalidDataException($"{labelsPath}: label {labelBytes[i]} at index {i} is outside the {spec.Classes.Length} classes of {spec.FolderName} (0..{spec.Classes.Length - 1}).");
            labels[i] = labelBytes[i];
        }
        Tensor images = Torch.Tensor<byte>(pixels, [sizes[0], 1, sizes[1], sizes[2]]);
        return (images, labels);
    }

    /// <summary>The first existing candidate: each folder in turn, the plain file before the gzipped one.</summary>
    internal static string? Find(string[] folders, string name, List<string> tried)
    {
        foreach (string folder in folders)
        {
            foreach (string candidate in new[] { Path.Combine(folder, name), Path.Combine(folder, name + ".gz") })
            {
                tried.Add(candidate);
                if (File.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }
}
