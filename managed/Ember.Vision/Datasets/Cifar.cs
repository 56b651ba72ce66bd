using Ember.Vision.Transforms;

namespace Ember.Vision.Datasets;

/// <summary>
/// CIFAR-10 (<c>torchvision.datasets.CIFAR10</c>): 50000 training and 10000 test 32x32 color images
/// in 10 classes, read from the binary version's files <c>data_batch_1.bin</c> ... <c>data_batch_5.bin</c>
/// and <c>test_batch.bin</c> (records of one label byte and 3072 pixel bytes: the red, green and blue
/// planes, each 32x32 row-major). Nothing is downloaded.
/// </summary>
/// <remarks>
/// The files are looked up in <c>root/cifar-10-batches-bin</c> (where the archive unpacks) and in
/// <c>root</c>. Images are <c>[3, 32, 32]</c> (channels first, unlike torchvision's HWC
/// <c>data</c> array); <see cref="VisionDataset.Data"/> is uint8 <c>[N, 3, 32, 32]</c>. A missing file
/// gives a <see cref="FileNotFoundException"/> naming the files, the paths tried and where to get them;
/// a file whose length is not a whole number of records, or a label out of range, gives an
/// <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public class CIFAR10 : VisionDataset
{
    private const int ImageBytes = 3 * 32 * 32;

    private static readonly CifarSpec Spec = new(
        nameof(CIFAR10), "cifar-10-batches-bin",
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"], ["test_batch.bin"],
        LabelBytes: 1, CoarseClasses: 0,
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "Get cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it in the root folder.");

    /// <summary>Loads the training (<paramref name="train"/>) or test split from <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding cifar-10-batches-bin (or the files themselves).</param>
    /// <param name="train">The training split; the test split when false.</param>
    /// <param name="transform">Applied to each uint8 [3, 32, 32] image; <see cref="ToTensor"/> when null.</param>
    /// <param name="targetTransform">Applied to each label, or null.</param>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated.</exception>
    public CIFAR10(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : this(root, train, transform, targetTransform, Spec) { }

    private protected CIFAR10(string root, bool train, ITransform? transform, Func<long, long>? targetTransform, CifarSpec spec)
        : this(root, train, transform, targetTransform, spec, Load(root, train, spec)) { }

    private CIFAR10(string root, bool train, ITransform? transform, Func<long, long>? targetTransform, CifarSpec spec, Loaded loaded)
        : base(root, loaded.Images, loaded.Fine, transform, targetTransform)
    {
        Train = train;
        Classes = spec.Classes;
        CoarseLabels = loaded.Coarse;
    }

    /// <summary>True for the training split.</summary>
    public bool Train { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> Classes { get; }

    private protected long[]? CoarseLabels { get; }

    private protected sealed record Loaded(Tensor Images, long[] Fine, long[]? Coarse);

    private static Loaded Load(string root, bool train, CifarSpec spec)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        string[] names = train ? spec.TrainFiles : spec.TestFiles;
        string[] folders = [Path.Combine(root, spec.FolderName), root];
        var tried = new List<string>();
        var paths = new string[names.Length];
        var missing = new List<string>();
        for (int f = 0; f < names.Length; f++)
        {
            string? found = null;
            foreach (string folder in folders)
            {
                string candidate = Path.Combine(folder, names[f]);
                tried.Add(candidate);
                if (File.Exists(candidate))
                {
                    found = candidate;
                    break;
                }
            }
            if (found is null)
                missing.Add(names[f]);
            else
                paths[f] = found;
        }
        if (missing.Count > 0)
        {
            throw new FileNotFoundException(
                $"{spec.Name}: cannot find the {(train ? "training" : "test")} files {string.Join(", ", missing)}; the split needs {string.Join(", ", names)}. " +
                $"Looked for: {string.Join(", ", tried)}. {spec.WhereToGet}",
                missing[0]);
        }

        int record = spec.LabelBytes + ImageBytes;
        var lengths = new long[paths.Length];
        long count = 0;
        for (int f = 0; f < paths.Length; f++)
        {
            lengths[f] = new FileInfo(paths[f]).Length;
            if (lengths[f] == 0 || lengths[f] % record != 0)
                throw new InvalidDataException(
                    $"{paths[f]} is {lengths[f]} bytes long, not a whole number of {record}-byte records ({spec.LabelBytes} label byte{(spec.LabelBytes > 1 ? "s" : "")} and {ImageBytes} pixel bytes each): the file is truncated or not a {spec.Name} binary batch.");
            count += lengths[f] / record;
        }
        if (count * ImageBytes > Array.MaxLength)
            throw new InvalidDataException($"{spec.Name}: {count} images are more than can be loaded into one tensor.");

        var pixels = GC.AllocateUninitializedArray<byte>((int)(count * ImageBytes));
        var fine = new long[count];
        var coarse = spec.LabelBytes == 2 ? new long[count] : null;
        var buffer = new byte[record * 1000];
        long n = 0;
        for (int f = 0; f < paths.Length; f++)
        {
            using var stream = new FileStream(paths[f], FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long records = lengths[f] / record;
            for (long done = 0; done < records;)
            {
                int chunk = (int)Math.Min(records - done, 1000);
                int bytes = chunk * record;
                if (stream.ReadAtLeast(buffer.AsSpan(0, bytes), bytes, throwOnEndOfStream: false) < bytes)
                    throw new InvalidDataException($"{paths[f]} ended early: it shrank while being read.");
                for (int r = 0; r < chunk; r++, n++)
                {
                    int at = r * record;
                    if (coarse is not null)
                    {
                        coarse[n] = CheckLabel(buffer[at], spec.CoarseClasses, "coarse label", paths[f], done + r);
                        at++;
                    }
                    fine[n] = CheckLabel(buffer[at], spec.Classes.Length, "label", paths[f], done + r);
                    Buffer.BlockCopy(buffer, at + 1, pixels, (int)(n * ImageBytes), ImageBytes);
                }
                done += chunk;
            }
        }
        return new Loaded(Torch.Tensor<byte>(pixels, [count, 3, 32, 32]), fine, coarse);
    }

    private static long CheckLabel(byte label, int classes, string what, string path, long index)
    {
        if (label >= classes)
            throw new InvalidDataException($"{path}: {what} {label} of record {index} is outside the {classes} classes (0..{classes - 1}).");
        return label;
    }
}

/// <summary>
/// CIFAR-100 (<c>torchvision.datasets.CIFAR100</c>): CIFAR-10's images in 100 fine classes grouped in
/// 20 coarse ones, read from the binary version's <c>train.bin</c> and <c>test.bin</c> (records of a
/// coarse label byte, a fine label byte and 3072 pixel bytes) in <c>root/cifar-100-binary</c> or
/// <c>root</c>. The label of a sample is the fine label; <see cref="CoarseTargets"/> holds the coarse ones.
/// </summary>
public class CIFAR100 : CIFAR10
{
    private static readonly CifarSpec Spec = new(
        nameof(CIFAR100), "cifar-100-binary", ["train.bin"], ["test.bin"], LabelBytes: 2, CoarseClasses: 20,
        [
            "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
            "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
            "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
            "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
            "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
            "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
            "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
            "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
            "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
            "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
        ],
        "Get cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack it in the root folder.");

    /// <summary>Loads the training (<paramref name="train"/>) or test split from <paramref name="root"/> (see <see cref="CIFAR10"/>).</summary>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or truncated.</exception>
    public CIFAR100(string root, bool train = true, ITransform? transform = null, Func<long, long>? targetTransform = null)
        : base(root, train, transform, targetTransform, Spec) { }

    /// <summary>The 20 superclass names; coarse label i names <c>CoarseClasses[i]</c>.</summary>
    public static IReadOnlyList<string> CoarseClasses { get; } =
    [
        "aquatic_mammals", "fish", "flowers", "food_containers", "fruit_and_vegetables", "household_electrical_devices",
        "household_furniture", "insects", "large_carnivores", "large_man-made_outdoor_things", "large_natural_outdoor_scenes",
        "large_omnivores_and_herbivores", "medium_mammals", "non-insect_invertebrates", "people", "reptiles", "small_mammals",
        "trees", "vehicles_1", "vehicles_2",
    ];

    /// <summary>Every coarse label (0..19).</summary>
    public IReadOnlyList<long> CoarseTargets => CoarseLabels!;
}

/// <summary>What distinguishes CIFAR-10 from CIFAR-100: names, files, label bytes per record, classes.</summary>
internal sealed record CifarSpec(
    string Name, string FolderName, string[] TrainFiles, string[] TestFiles, int LabelBytes, int CoarseClasses, string[] Classes, string WhereToGet);
