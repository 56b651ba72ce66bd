using System.Text.Json;
using Ember.Vision.Datasets;
using Ember.Vision.IO;
using Ember.Vision.Transforms;

namespace Ember.Data.Tests;

/// <summary>ImageFolder against what torchvision's ImageFolder + PIL give (tests/reference/make_imagefolder_fixtures.py).</summary>
public class ImageFolderTests
{
    private static readonly Lazy<JsonElement> s_expected = new(() => Fixtures.Load("imagefolder.json"));

    private static JsonElement Expected => s_expected.Value;

    private static string Root => Fixtures.PathOf("imagefolder");

    [Test]
    public void FindsClassesAndSamplesAsTorchvision()
    {
        var dataset = new ImageFolder(Root);
        string[] classes = [.. Expected.GetProperty("classes").EnumerateArray().Select(e => e.GetString()!)];
        Assert.That(dataset.Classes, Is.EqualTo(classes));   // ['Zebra', 'cat', 'dog']: ordinal
        Assert.That(dataset.ClassToIdx["dog"], Is.EqualTo(2));
        var samples = Expected.GetProperty("samples").EnumerateArray()
            .Select(e => (e[0].GetString()!, e[1].GetInt64())).ToArray();
        Assert.That(dataset.Count, Is.EqualTo(samples.Length));
        for (int i = 0; i < samples.Length; i++)
        {
            Assert.That(Path.GetRelativePath(Root, dataset.Samples[i].Path).Replace('\\', '/'), Is.EqualTo(samples[i].Item1), $"sample {i}");
            Assert.That(dataset.Samples[i].Label, Is.EqualTo(samples[i].Item2));
        }
        Assert.That(dataset.Targets, Is.EqualTo(samples.Select(s => s.Item2)));
    }

    [Test]
    public void DecodesPixelsAsPilConvertRgb()
    {
        foreach (JsonProperty image in Expected.GetProperty("images").EnumerateObject())
        {
            using Tensor t = ImageReader.ReadRgb(Path.Combine(Root, image.Name));
            Assert.That(t.DType, Is.EqualTo(DType.UInt8));
            Assert.That(t.Shape.ToArray(), Is.EqualTo(image.Value.GetProperty("shape").Longs()), image.Name);
            long[] expected = image.Value.GetProperty("pixels").Longs();
            byte[] actual = t.ToArray<byte>();
            // PNG is lossless: exact. JPEG decoders round their inverse DCTs differently: within 2 levels.
            int tolerance = image.Value.GetProperty("exact").GetBoolean() ? 0 : 2;
            int worst = expected.Zip(actual, (e, a) => (int)Math.Abs(e - a)).Max();
            Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{image.Name}: largest difference from PIL {worst}");
        }
    }

    [Test]
    public void SamplesAreTransformedFloatImagesWithLabels()
    {
        var dataset = new ImageFolder(Root, targetTransform: l => l * 10);
        int index = dataset.Samples.Select(s => Path.GetFileName(s.Path)).ToList().IndexOf("c1.png");
        var (image, label) = dataset[index];
        using (image)
        {
            Assert.That(label, Is.EqualTo(10));
            Assert.That(image.DType, Is.EqualTo(DType.Float32));
            long[] pixels = Expected.GetProperty("images").GetProperty("cat/c1.png").GetProperty("pixels").Longs();
            Assert.That(image.ToArray<float>(), Is.EqualTo(pixels.Select(p => (float)p / 255f)).Within(1e-7));
        }

        // uint8 images through an identity transform, batched by a loader with a custom collate.
        var raw = new ImageFolder(Root, transform: new Lambda(x => x));
        var (u8, _) = raw[index];
        using (u8)
            Assert.That(u8.DType, Is.EqualTo(DType.UInt8));
    }

    [Test]
    public void BrokenFilesAndEmptyFoldersGiveClearErrors()
    {
        var broken = new ImageFolder(Fixtures.PathOf("imagefolder_bad"));
        var e = Assert.Throws<InvalidDataException>(() => _ = broken[0]);
        Assert.That(e!.Message, Does.Contain("truncated.png"));

        string root = Fixtures.TempDir();
        var ex = Assert.Throws<FileNotFoundException>(() => _ = new ImageFolder(root));
        Assert.That(ex!.Message, Does.Contain("class folder"));
        Directory.CreateDirectory(Path.Combine(root, "empty"));
        File.WriteAllText(Path.Combine(root, "empty", "readme.txt"), "x");
        ex = Assert.Throws<FileNotFoundException>(() => _ = new ImageFolder(root));
        Assert.That(ex!.Message, Does.Contain("empty").And.Contain(".png"));
        Assert.Throws<DirectoryNotFoundException>(() => _ = new ImageFolder(Path.Combine(root, "nope")));

        // A file that is not an image, named like one.
        root = Fixtures.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "fake"));
        File.WriteAllText(Path.Combine(root, "fake", "a.png"), "definitely not a PNG");
        var fake = new ImageFolder(root, isValidFile: p => p.EndsWith(".png", StringComparison.Ordinal));
        e = Assert.Throws<InvalidDataException>(() => _ = fake[0]);
        Assert.That(e!.Message, Does.Contain("a.png"));
    }

    [Test]
    public void RefusesImagesOverThePixelLimitBeforeDecoding()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageReader.ReadRgb(Path.Combine(Root, "dog", "d0.jpg"), maxPixels: 47));
        Assert.That(e!.Message, Does.Contain("6x8 = 48 pixels"));
    }
}
