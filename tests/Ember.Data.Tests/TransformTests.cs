using Ember.Vision.Transforms;

namespace Ember.Data.Tests;

/// <summary>Transforms against values computed by hand (torchvision's definitions) on small images.</summary>
public class TransformTests
{
    /// <summary>A [C, H, W] uint8 image whose pixel (c, h, w) is 100c + 10h + w.</summary>
    private static Tensor Image(int c, int h, int w, DType dtype = DType.UInt8)
    {
        var values = new byte[c * h * w];
        for (int k = 0; k < c; k++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    values[(k * h + i) * w + j] = (byte)(100 * k + 10 * i + j);
        using var t = Torch.Tensor<byte>(values, [c, h, w]);
        return t.To(dtype);
    }

    private static double[] Values(Tensor t)
    {
        using var d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    [Test]
    public void ToTensorScalesBytesAndMovesChannelsFirst()
    {
        using var image = Image(1, 2, 2);
        using var x = new ToTensor().Forward(image);
        Assert.That(x.DType, Is.EqualTo(DType.Float32));
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 0f / 255, 1f / 255, 10f / 255, 11f / 255 }));

        // [H=1, W=2, C=3] channels-last becomes [3, 1, 2].
        using var hwc = Torch.Tensor<byte>([1, 2, 3, 4, 5, 6], [1, 2, 3]);
        using var chw = new ToTensor(channelsLast: true).Forward(hwc);
        Assert.That(chw.Shape.ToArray(), Is.EqualTo(new long[] { 3, 1, 2 }));
        Assert.That(Values(chw).Select(v => Math.Round(v * 255)), Is.EqualTo(new double[] { 1, 4, 2, 5, 3, 6 }));

        using var floats = Torch.Tensor<float>([0.5f], [1, 1, 1]);
        Assert.That(new ToTensor().Forward(floats), Is.SameAs(floats), "float images pass through as in torchvision");
        using var gray = Torch.Tensor<byte>([255, 0], [1, 2]);
        using var g = new ToTensor().Forward(gray);
        Assert.That(g.Shape.ToArray(), Is.EqualTo(new long[] { 1, 1, 2 }));
    }

    [Test]
    public void NormalizeIsPerChannelAndChecksItsInput()
    {
        using var image = Image(2, 1, 2, DType.Float32);   // channel 0: 0, 1; channel 1: 100, 101
        using var x = new Normalize([1, 100], [2, 4]).Forward(image);
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { -0.5f, 0f, 0f, 0.25f }));
        Assert.That(image.ToArray<float>(), Is.EqualTo(new[] { 0f, 1, 100, 101 }), "not in place by default");
        using var batch = Collate.Stack([image, image]);
        using var xb = new Normalize([1, 100], [2, 4]).Forward(batch);
        Assert.That(xb.ToArray<float>(), Is.EqualTo(new[] { -0.5f, 0f, 0f, 0.25f, -0.5f, 0f, 0f, 0.25f }));
        using var bytes = Image(2, 1, 2);
        Assert.Throws<DTypeException>(() => new Normalize([0], [1]).Forward(bytes));
        Assert.Throws<ShapeMismatchException>(() => new Normalize([0, 0, 0], [1, 1, 1]).Forward(image));
        Assert.Throws<ArgumentException>(() => new Normalize([0], [0]));
        var inplace = new Normalize([1], [1], inplace: true);
        Assert.That(inplace.Forward(image), Is.SameAs(image));
    }

    [Test]
    public void ConvertImageDtypeRescales()
    {
        using var bytes = Torch.Tensor<byte>([0, 51, 255], [1, 1, 3]);
        using var f = new ConvertImageDtype(DType.Float32).Forward(bytes);
        Assert.That(f.ToArray<float>(), Is.EqualTo(new[] { 0f, 51f / 255, 1f }));
        // float -> uint8 multiplies by 255 + 1 - 1e-3 and truncates: 0.5 -> 127.9995 -> 127.
        using var half = Torch.Tensor<float>([0f, 0.5f, 1f], [1, 1, 3]);
        using var b = new ConvertImageDtype(DType.UInt8).Forward(half);
        Assert.That(b.ToArray<byte>(), Is.EqualTo(new byte[] { 0, 127, 255 }));
        // int8 -> int16 widens by (32767 + 1) / (127 + 1) = 256.
        using var small = Torch.Tensor<sbyte>([-2, 0, 127], [1, 1, 3]);
        using var wide = new ConvertImageDtype(DType.Int16).Forward(small);
        Assert.That(wide.ToArray<short>(), Is.EqualTo(new short[] { -512, 0, 32512 }));
        Assert.Throws<DTypeException>(() => new ConvertImageDtype(DType.Int32).Forward(half));
        Assert.Throws<NotSupportedException>(() => new ConvertImageDtype(DType.UInt8).Forward(wide));
    }

    [Test]
    public void CenterCropRoundsLikePythonAndPads()
    {
        using var image = Image(1, 5, 4);
        using var crop = new CenterCrop(3, 2).Forward(image);     // top round(1.0) = 1, left round(1.0) = 1
        Assert.That(Values(crop), Is.EqualTo(new double[] { 11, 12, 21, 22, 31, 32 }));
        using var even = new CenterCrop(4, 4).Forward(image);      // top round(0.5) = 0 (half to even)
        Assert.That(Values(even).Take(4), Is.EqualTo(new double[] { 0, 1, 2, 3 }));
        using var padded = new CenterCrop(5, 7).Forward(image);    // pads 1 left and 2 right
        Assert.That(Values(padded).Take(7), Is.EqualTo(new double[] { 0, 0, 1, 2, 3, 0, 0 }));
    }

    [Test]
    public void PadAddsConstantBorders()
    {
        using var image = Image(1, 1, 2);
        using var padded = new Pad(1, 0, 2, 1, fill: 9).Forward(image);
        Assert.That(padded.Shape.ToArray(), Is.EqualTo(new long[] { 1, 2, 5 }));
        Assert.That(Values(padded), Is.EqualTo(new double[] { 9, 0, 1, 9, 9, 9, 9, 9, 9, 9 }));
    }

    [Test]
    public void RandomCropTakesAWindowOfThePaddedImage()
    {
        using var image = Image(1, 4, 4, DType.Float32);
        var seen = new HashSet<(double, double)>();
        var crop = new RandomCrop(4, padding: 1, fill: -1, generator: new DataGenerator(5));
        for (int i = 0; i < 200; i++)
        {
            using var c = crop.Forward(image);
            Assert.That(c.Shape.ToArray(), Is.EqualTo(new long[] { 1, 4, 4 }));
            double[] v = Values(c);
            // The window of the 6x6 padded image starting at (top, left) in 0..2: find it from the first inner pixel.
            int top = -1, left = -1;
            for (int k = 0; k < 16 && top < 0; k++)
            {
                if (v[k] >= 0)
                {
                    int r = k / 4, col = k % 4, value = (int)v[k];
                    top = value / 10 + 1 - r;
                    left = value % 10 + 1 - col;
                }
            }
            Assert.That(top, Is.InRange(0, 2));
            Assert.That(left, Is.InRange(0, 2));
            for (int k = 0; k < 16; k++)
            {
                int pr = k / 4 + top - 1, pc = k % 4 + left - 1;
                double expected = pr is >= 0 and < 4 && pc is >= 0 and < 4 ? 10 * pr + pc : -1;
                Assert.That(v[k], Is.EqualTo(expected));
            }
            seen.Add((top, left));
        }
        Assert.That(seen, Has.Count.EqualTo(9), "every position occurs");
        Assert.Throws<ArgumentException>(() => new RandomCrop(5).Forward(image));
        using var grown = new RandomCrop(5, padIfNeeded: true, generator: new DataGenerator(1)).Forward(image);
        Assert.That(grown.Shape.ToArray(), Is.EqualTo(new long[] { 1, 5, 5 }));
    }

    [Test]
    public void FlipsReverseTheAxis()
    {
        using var image = Image(2, 2, 3);
        using var h = new RandomHorizontalFlip(p: 1).Forward(image);
        Assert.That(Values(h), Is.EqualTo(new double[] { 2, 1, 0, 12, 11, 10, 102, 101, 100, 112, 111, 110 }));
        using var v = new RandomVerticalFlip(p: 1).Forward(image);
        Assert.That(Values(v), Is.EqualTo(new double[] { 10, 11, 12, 0, 1, 2, 110, 111, 112, 100, 101, 102 }));
        Assert.That(new RandomHorizontalFlip(p: 0).Forward(image), Is.SameAs(image));
        int flipped = 0;
        var coin = new RandomHorizontalFlip(generator: new DataGenerator(6));
        for (int i = 0; i < 400; i++)
        {
            var r = coin.Forward(image);
            if (!ReferenceEquals(r, image)) { flipped++; r.Dispose(); }
        }
        Assert.That(flipped, Is.InRange(150, 250));
    }

    [Test]
    public void RandomErasingFillsOneRectangle()
    {
        using var image = Image(3, 10, 10, DType.Float32);
        double[] before = Values(image);
        var erase = new RandomErasing(p: 1, value: [-7], generator: new DataGenerator(2));
        for (int i = 0; i < 50; i++)
        {
            using var erased = erase.Forward(image);
            double[] after = Values(erased);
            var changed = Enumerable.Range(0, after.Length).Where(k => after[k] != before[k]).ToArray();
            Assert.That(changed.Select(k => after[k]), Has.All.EqualTo(-7.0));
            // Same rectangle in every channel, and a rectangle: rows x cols = count per channel.
            int perChannel = changed.Length / 3;
            var rows = changed.Select(k => k % 100 / 10).Distinct().Count();
            var cols = changed.Select(k => k % 10).Distinct().Count();
            Assert.That(changed.Length, Is.EqualTo(3 * perChannel));
            Assert.That(rows * cols, Is.EqualTo(perChannel));
            Assert.That(perChannel, Is.InRange(1, 45), "2% to 33% of the area, give or take rounding");
        }
        Assert.That(Values(image), Is.EqualTo(before), "not in place by default");
        using var noisy = new RandomErasing(p: 1, random: true, generator: new DataGenerator(3)).Forward(image);
        Assert.That(Values(noisy).Count(v => v % 1 != 0), Is.GreaterThan(0));
    }

    [Test]
    public void ComposeChainsAndFreesIntermediates()
    {
        using var image = Image(1, 2, 2);
        var intermediates = new List<Tensor>();
        var record = new Lambda(t => { intermediates.Add(t); return t * 2.0; }, isBatchable: true);
        var compose = new Compose(new ToTensor(), record, new Normalize([0], [2]));
        Assert.That(compose.IsBatchable, Is.True);
        Assert.That(new Compose(new ToTensor(), new RandomHorizontalFlip()).IsBatchable, Is.False);
        using var x = compose.Forward(image);
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 0f, 1f / 255, 10f / 255, 11f / 255 }));
        Assert.That(intermediates.Single().IsDisposed, Is.True);
        Assert.That(image.IsDisposed, Is.False);
    }
}
