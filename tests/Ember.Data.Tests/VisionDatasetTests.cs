using System.Diagnostics;
using System.Text.Json;
using Ember.Vision.Datasets;
using Ember.Vision.Transforms;

namespace Ember.Data.Tests;

public class VisionDatasetTests
{
    private static readonly string[] IdxFiles =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    private static JsonElement Idx => Fixtures.Expected.GetProperty("idx");

    /// <summary>A root folder with the tiny IDX fixtures at <paramref name="subfolder"/>, plain or gzipped.</summary>
    private static string IdxRoot(string subfolder, bool gzip)
    {
        string root = Fixtures.TempDir();
        Fixtures.CopyInto(Path.Combine(root, subfolder), Fixtures.PathOf("idx"), [.. IdxFiles.Select(f => gzip ? f + ".gz" : f)]);
        return root;
    }

    private static byte[] Pixels(Tensor images) => images.ToArray<byte>();

    [TestCase("", false)]
    [TestCase("", true)]
    [TestCase("raw", true)]
    [TestCase("FashionMNIST/raw", false)]
    public void ReadsIdxFilesWhereTorchvisionLooks(string subfolder, bool gzip)
    {
        string root = IdxRoot(subfolder, gzip);
        using var train = new FashionMNIST(root);
        using var test = new FashionMNIST(root, train: false);
        Assert.That(train.Count, Is.EqualTo(7));
        Assert.That(test.Count, Is.EqualTo(3));
        Assert.That(train.Targets, Is.EqualTo(Idx.GetProperty("train_labels").Longs()));
        Assert.That(test.Targets, Is.EqualTo(Idx.GetProperty("test_labels").Longs()));
        Assert.That(train.Data.Shape.ToArray(), Is.EqualTo(new long[] { 7, 1, 5, 4 }));
        Assert.That(train.Data.DType, Is.EqualTo(DType.UInt8));
        Assert.That(Pixels(train.Data).Select(b => (long)b), Is.EqualTo(Idx.GetProperty("train_pixels").Longs()));
        Assert.That(Pixels(test.Data).Select(b => (long)b), Is.EqualTo(Idx.GetProperty("test_pixels").Longs()));
        Assert.That(train.Classes, Has.Count.EqualTo(10));
        Assert.That(train.Classes[9], Is.EqualTo("Ankle boot"));
    }

    [Test]
    public void SamplesAreToTensorImagesAndLabels()
    {
        using var train = new MNIST(IdxRoot("", false));
        var (image, label) = train[2];
        using (image)
        {
            Assert.That(label, Is.EqualTo(Idx.GetProperty("train_labels")[2].GetInt64()));
            Assert.That(image.Shape.ToArray(), Is.EqualTo(new long[] { 1, 5, 4 }));
            Assert.That(image.DType, Is.EqualTo(DType.Float32));
            // torchvision's ToTensor of the same bytes, computed by torch.
            Assert.That(image.ToArray<float>(), Is.EqualTo(Idx.GetProperty("train2_to_tensor").Doubles().Select(d => (float)d)));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = train[7]);
    }

    [Test]
    public void NormalizeMatchesTorchvision()
    {
        var mean = Idx.GetProperty("normalize_mean").Doubles();
        var std = Idx.GetProperty("normalize_std").Doubles();
        using var train = new KMNIST(IdxRoot("KMNIST/raw", true), transform: new Compose(new ToTensor(), new Normalize(mean, std)));
        var (image, _) = train[2];
        using (image)
            Assert.That(image.ToArray<float>(), Is.EqualTo(Idx.GetProperty("train2_normalized").Doubles().Select(d => (float)d)).Within(1e-6));
    }

    [Test]
    public void BatchedLoadingEqualsSampleBySample([Values(0, 2)] int workers)
    {
        var transform = new Compose(new ToTensor(), new Normalize([0.25], [0.5]));
        using var train = new MNIST(IdxRoot("", true), transform: transform, targetTransform: l => l + 100);
        using var fast = DataLoader.Create(train, batchSize: 3, shuffle: true, generator: new DataGenerator(4), numWorkers: workers);
        using var slow = new DataLoader<(Tensor, long), (Tensor, Tensor)>(train, batchSize: 3, shuffle: true, generator: new DataGenerator(4),
            collate: Collate.Default<(Tensor, long), (Tensor, Tensor)>());
        var fastBatches = fast.Select(b => (b.Item1.ToArray<float>(), b.Item2.ToArray<long>(), b.Item1.Shape.ToArray())).ToList();
        var slowBatches = slow.Select(b => (b.Item1.ToArray<float>(), b.Item2.ToArray<long>(), b.Item1.Shape.ToArray())).ToList();
        Assert.That(fastBatches, Has.Count.EqualTo(3));
        Assert.That(fastBatches, Is.EqualTo(slowBatches));
        Assert.That(fastBatches[0].Item3, Is.EqualTo(new long[] { 3, 1, 5, 4 }));
        Assert.That(fastBatches.SelectMany(b => b.Item2).Order(),
            Is.EqualTo(Idx.GetProperty("train_labels").Longs().Select(l => l + 100).Order()));
    }

    [Test]
    public void MissingFilesAreNamedWithWhereToGetThem()
    {
        string root = Fixtures.TempDir();
        Fixtures.CopyInto(root, Fixtures.PathOf("idx"), "train-images-idx3-ubyte");
        var e = Assert.Throws<FileNotFoundException>(() => new FashionMNIST(root));
        Assert.That(e!.Message, Does.Contain("train-labels-idx1-ubyte"));
        Assert.That(e.Message, Does.Contain("train-images-idx3-ubyte"), "every expected file is named");
        Assert.That(e.Message, Does.Contain(Path.Combine(root, "raw", "train-labels-idx1-ubyte.gz")));
        Assert.That(e.Message, Does.Contain(Path.Combine(root, "FashionMNIST", "raw", "train-labels-idx1-ubyte")));
        Assert.That(e.Message, Does.Contain("apt-get install dataset-fashion-mnist"));
        var m = Assert.Throws<FileNotFoundException>(() => new EMNIST(root, "letters", train: false));
        Assert.That(m!.Message, Does.Contain("emnist-letters-test-images-idx3-ubyte").And.Contain("emnist-letters-test-labels-idx1-ubyte"));
        Assert.Throws<ArgumentException>(() => new EMNIST(root, "cursive"));
    }

    private static IEnumerable<string> BrokenIdx() =>
        Fixtures.Load("expected.json").GetProperty("idx_bad").EnumerateObject().Select(p => p.Name);

    [TestCaseSource(nameof(BrokenIdx))]
    public void CorruptIdxFilesAreRejected(string defect)
    {
        string hint = Fixtures.Expected.GetProperty("idx_bad").GetProperty(defect).GetString()!;
        string root = Fixtures.TempDir();
        string source = Fixtures.PathOf("idx_bad", defect);
        Fixtures.CopyInto(root, source, [.. Directory.GetFiles(source).Select(Path.GetFileName).OfType<string>()]);
        var e = Assert.Throws<InvalidDataException>(() => new MNIST(root));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(root), "the message names the file");
        Assert.That(e.Message, Does.Contain(hint).IgnoreCase);
    }

    [Test]
    public void EmnistSplitsHaveTorchvisionsClasses()
    {
        string root = Fixtures.TempDir();
        foreach (string f in IdxFiles)
            File.Copy(Fixtures.PathOf("idx", f), Path.Combine(root, f.Replace("train", "emnist-balanced-train").Replace("t10k", "emnist-balanced-test")));
        using var balanced = new EMNIST(root, "balanced", train: false);
        Assert.That(balanced.Count, Is.EqualTo(3));
        Assert.That(balanced.Classes, Has.Count.EqualTo(47));
        Assert.That(string.Concat(balanced.Classes.Skip(36)), Is.EqualTo("abdefghnqrt"));
        Assert.That(balanced.Split, Is.EqualTo("balanced"));
    }

    private static long[] ChannelSums(Tensor images)
    {
        using var sums = images.Sum([2, 3]);
        return sums.ToArray<long>();
    }

    [Test]
    public void Cifar10BinaryBatches([Values("", "cifar-10-batches-bin")] string layout)
    {
        string root = Fixtures.TempDir();
        string source = Fixtures.PathOf("cifar", "cifar-10-batches-bin");
        Fixtures.CopyInto(Path.Combine(root, layout), source, [.. Directory.GetFiles(source).Select(Path.GetFileName).OfType<string>()]);
        var expected = Fixtures.Expected.GetProperty("cifar10");
        using var train = new CIFAR10(root);
        using var test = new CIFAR10(root, train: false);
        Assert.That(train.Count, Is.EqualTo(9));
        Assert.That(train.Targets, Is.EqualTo(expected.GetProperty("train_labels").Longs()));
        Assert.That(test.Targets, Is.EqualTo(expected.GetProperty("test_labels").Longs()));
        Assert.That(train.Data.Shape.ToArray(), Is.EqualTo(new long[] { 9, 3, 32, 32 }));
        Assert.That(ChannelSums(train.Data), Is.EqualTo(expected.GetProperty("train_channel_sums").EnumerateArray().SelectMany(Fixtures.Longs)));
        Assert.That(ChannelSums(test.Data), Is.EqualTo(expected.GetProperty("test_channel_sums").EnumerateArray().SelectMany(Fixtures.Longs)));
        byte[] pixels = train.Data.ToArray<byte>();
        foreach (var probe in expected.GetProperty("train_probe").EnumerateArray())
        {
            long[] p = probe.Longs();
            Assert.That(pixels[((p[0] * 3 + p[1]) * 32 + p[2]) * 32 + p[3]], Is.EqualTo(p[4]));
        }
        var (image, label) = test[1];
        using (image)
        {
            Assert.That(image.Shape.ToArray(), Is.EqualTo(new long[] { 3, 32, 32 }));
            Assert.That(label, Is.EqualTo(expected.GetProperty("test_labels")[1].GetInt64()));
        }
        Assert.That(train.Classes[1], Is.EqualTo("automobile"));
    }

    [Test]
    public void Cifar100HasFineAndCoarseLabels()
    {
        string root = Fixtures.TempDir();
        Fixtures.CopyInto(Path.Combine(root, "cifar-100-binary"), Fixtures.PathOf("cifar", "cifar-100-binary"), "train.bin", "test.bin");
        var expected = Fixtures.Expected.GetProperty("cifar100");
        using var train = new CIFAR100(root);
        Assert.That(train.Targets, Is.EqualTo(expected.GetProperty("train").GetProperty("fine").Longs()));
        Assert.That(train.CoarseTargets, Is.EqualTo(expected.GetProperty("train").GetProperty("coarse").Longs()));
        Assert.That(ChannelSums(train.Data), Is.EqualTo(expected.GetProperty("train").GetProperty("channel_sums").EnumerateArray().SelectMany(Fixtures.Longs)));
        Assert.That(train.Classes, Has.Count.EqualTo(100));
        Assert.That(train.Classes.Distinct().Count(), Is.EqualTo(100));
        Assert.That(CIFAR100.CoarseClasses, Has.Count.EqualTo(20));
        using var test = new CIFAR100(root, train: false);
        Assert.That(test.Targets, Is.EqualTo(expected.GetProperty("test").GetProperty("fine").Longs()));
    }

    [TestCase("truncated", "not a whole number")]
    [TestCase("label_range", "label 10")]
    public void CorruptCifarFilesAreRejected(string defect, string hint)
    {
        string root = Fixtures.TempDir();
        Fixtures.CopyInto(root, Fixtures.PathOf("cifar_bad", defect), "test_batch.bin");
        var e = Assert.Throws<InvalidDataException>(() => new CIFAR10(root, train: false));
        Assert.That(e!.Message, Does.Contain(Path.Combine(root, "test_batch.bin")).And.Contain(hint));
        var missing = Assert.Throws<FileNotFoundException>(() => new CIFAR10(root, train: true));
        Assert.That(missing!.Message, Does.Contain("data_batch_5.bin").And.Contain("cs.toronto.edu"));
    }

    [Test]
    public void RealFashionMnistWhenInstalled()
    {
        if (!File.Exists(Path.Combine(FashionMNIST.DebianFolder, "train-images-idx3-ubyte.gz")))
            Assert.Ignore($"Fashion-MNIST is not installed in {FashionMNIST.DebianFolder} (apt-get install dataset-fashion-mnist).");
        var reference = Fixtures.Load("fashion_mnist_reference.json");
        foreach (var (split, train) in new[] { ("train", true), ("test", false) })
        {
            var expected = reference.GetProperty(split);
            var watch = Stopwatch.StartNew();
            using var dataset = new FashionMNIST(FashionMNIST.DebianFolder, train);
            TestContext.Out.WriteLine($"{split}: loaded {dataset.Count} images in {watch.ElapsedMilliseconds} ms");
            int count = (int)expected.GetProperty("count").GetInt64();
            Assert.That(dataset.Count, Is.EqualTo(count));
            long[] histogram = new long[10];
            foreach (long label in dataset.Targets) histogram[label]++;
            Assert.That(histogram, Is.EqualTo(expected.GetProperty("label_histogram").Longs()));
            Assert.That(histogram, Has.All.EqualTo(count / 10));
            Assert.That(dataset.Targets.Take(16), Is.EqualTo(expected.GetProperty("first_labels").Longs()));
            using (var sum = dataset.Data.Sum())
                Assert.That(sum.Item<long>(), Is.EqualTo(expected.GetProperty("pixel_sum").GetInt64()));
            using (var row = dataset.Data.Select(0, 0))
            using (var r14 = row.Select(1, 14))
                Assert.That(r14.ToArray<byte>().Select(b => (long)b), Is.EqualTo(expected.GetProperty("first_image_row14").Longs()));
            using (var last = dataset.Data.Select(0, count - 1))
            using (var r20 = last.Select(1, 20))
                Assert.That(r20.ToArray<byte>().Select(b => (long)b), Is.EqualTo(expected.GetProperty("last_image_row20").Longs()));
            var (image, _) = dataset[1];
            using (image)
            {
                float[] values = image.ToArray<float>();
                foreach (var probe in expected.GetProperty("image1_probe").EnumerateArray())
                    Assert.That(values[probe[0].GetInt32()], Is.EqualTo((float)probe[1].GetDouble()));
            }
        }
    }
}
