using System.Text.Json;
using Ember.Vision.Transforms;

namespace Ember.Data.Tests;

/// <summary>
/// Resize, rotation, resized crop and the colour adjustments against torchvision's tensor formulas run with
/// PyTorch 1.13 (tests/reference/make_transforms_reference.py writes Fixtures/transforms.json).
/// </summary>
public class TransformReferenceTests
{
    private static readonly Lazy<JsonElement> s_reference = new(() => Fixtures.Load("transforms.json"));

    public static IEnumerable<TestCaseData> Cases()
    {
        JsonElement cases = Fixtures.Load("transforms.json").GetProperty("cases");
        int i = 0;
        foreach (JsonElement c in cases.EnumerateArray())
        {
            string name = $"{i:D2}_{c.GetProperty("kind").GetString()}_{c.GetProperty("input").GetString()}_{c.GetProperty("args").GetRawText()}";
            yield return new TestCaseData(i).SetName(name.Replace(",", ";").Replace("\"", "").Replace(".", "p"));
            i++;
        }
    }

    private static Tensor Input(string name)
    {
        JsonElement t = s_reference.Value.GetProperty("inputs").GetProperty(name);
        return Build(t);
    }

    private static Tensor Build(JsonElement t)
    {
        long[] shape = t.GetProperty("shape").Longs();
        double[] values = t.GetProperty("values").Doubles();
        using Tensor wide = Torch.Tensor<double>(values, shape);
        return wide.To(t.GetProperty("dtype").GetString() switch
        {
            "uint8" => DType.UInt8,
            "float32" => DType.Float32,
            "float64" => DType.Float64,
            var d => throw new InvalidDataException(d),
        });
    }

    private static InterpolationMode Mode(JsonElement args) =>
        args.GetProperty("mode").GetString() == "nearest" ? InterpolationMode.Nearest : InterpolationMode.Bilinear;

    private static double? Factor(JsonElement args, string name) =>
        args.GetProperty(name).ValueKind == JsonValueKind.Null ? null : args.GetProperty(name).GetDouble();

    private static Tensor Run(string kind, Tensor x, JsonElement a)
    {
        switch (kind)
        {
            case "resize":
            {
                JsonElement size = a.GetProperty("size");
                var resize = size.ValueKind == JsonValueKind.Number
                    ? new Resize(size.GetInt32(), Mode(a), a.TryGetProperty("max_size", out var m) ? m.GetInt32() : null)
                    : new Resize(size[0].GetInt32(), size[1].GetInt32(), Mode(a));
                return resize.Forward(x);
            }
            case "rotate":
            {
                (double, double)? center = a.TryGetProperty("center", out var c) ? (c[0].GetDouble(), c[1].GetDouble()) : null;
                return ImageFunctional.Rotate(x, a.GetProperty("angle").GetDouble(), Mode(a), a.GetProperty("expand").GetBoolean(),
                    center, a.GetProperty("fill").Doubles());
            }
            case "resized_crop":
            {
                JsonElement size = a.GetProperty("size");
                var t = new RandomResizedCrop(size[0].GetInt32(), size[1].GetInt32(), interpolation: Mode(a));
                return t.Apply(x, (a.GetProperty("top").GetInt32(), a.GetProperty("left").GetInt32(),
                    a.GetProperty("height").GetInt32(), a.GetProperty("width").GetInt32()));
            }
            case "brightness": return ImageFunctional.AdjustBrightness(x, a.GetProperty("factor").GetDouble());
            case "contrast": return ImageFunctional.AdjustContrast(x, a.GetProperty("factor").GetDouble());
            case "saturation": return ImageFunctional.AdjustSaturation(x, a.GetProperty("factor").GetDouble());
            case "hue": return ImageFunctional.AdjustHue(x, a.GetProperty("factor").GetDouble());
            case "color_jitter":
                return ColorJitter.Apply(x, new ColorJitterParams([.. a.GetProperty("order").EnumerateArray().Select(e => e.GetInt32())],
                    Factor(a, "brightness"), Factor(a, "contrast"), Factor(a, "saturation"), Factor(a, "hue")));
            default:
                throw new InvalidDataException(kind);
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void MatchesTorchvision(int index)
    {
        JsonElement c = s_reference.Value.GetProperty("cases")[index];
        string kind = c.GetProperty("kind").GetString()!;
        using Tensor x = Input(c.GetProperty("input").GetString()!);
        using Tensor expected = Build(c.GetProperty("expected"));
        Tensor actual = Run(kind, x, c.GetProperty("args"));
        try
        {
            Assert.That(actual.DType, Is.EqualTo(expected.DType));
            Assert.That(actual.Shape.ToArray(), Is.EqualTo(expected.Shape.ToArray()));
            double[] e = expected.To(DType.Float64).ToArray<double>(), v = actual.To(DType.Float64).ToArray<double>();
            double worst = e.Zip(v, (p, q) => Math.Abs(p - q)).DefaultIfEmpty(0).Max();
            int off = e.Zip(v, (p, q) => p != q ? 1 : 0).Sum();
            // float32 kernels may fuse multiply-adds where this code does not: a few ulps. Integer images
            // are rounded or truncated after such a computation, so a value on the edge may move by 1.
            double tolerance = expected.DType switch { DType.UInt8 => 1, DType.Float32 => 2e-6, _ => 1e-12 };
            TestContext.Out.WriteLine($"{kind}: {off} of {e.Length} values differ, largest difference {worst}");
            Assert.That(worst, Is.LessThanOrEqualTo(tolerance));
            if (expected.DType == DType.UInt8)
                Assert.That(off, Is.LessThanOrEqualTo(Math.Max(1, e.Length / 50)), "too many uint8 values off by one");
        }
        finally
        {
            if (!ReferenceEquals(actual, x))
                actual.Dispose();
        }
    }

    [Test]
    public void RandomResizedCropParamsFollowTorchvisionsRules()
    {
        var gen = new DataGenerator(7);
        for (int k = 0; k < 200; k++)
        {
            var (top, left, h, w) = RandomResizedCrop.GetParams(20, 30, (0.08, 1.0), (3.0 / 4, 4.0 / 3), gen);
            Assert.That(h, Is.InRange(1, 20));
            Assert.That(w, Is.InRange(1, 30));
            Assert.That(top + h, Is.LessThanOrEqualTo(20));
            Assert.That(left + w, Is.LessThanOrEqualTo(30));
            Assert.That((double)h * w / 600, Is.InRange(0.08 * 0.8, 1.0), "area fraction");
        }
        // No draw can fit a 1:10 ratio into a square: the centre fallback, hand-computed:
        // in_ratio 1 > max 0.1 -> h = 10, w = round(10 * 0.1) = 1, at ((10 - 10) / 2, (10 - 1) / 2).
        Assert.That(RandomResizedCrop.GetParams(10, 10, (0.9, 1.0), (0.05, 0.1), new DataGenerator(1)), Is.EqualTo((0, 4, 10, 1)));
        Assert.That(RandomResizedCrop.CenterFallback(10, 40, (0.75, 4.0 / 3)), Is.EqualTo((0, 13, 10, 13)));
    }

    [Test]
    public void RandomTransformsDrawFromTheirGeneratorAndApplyTheDraw()
    {
        using Tensor image = Input("colour");
        var jitter = new ColorJitter(brightness: 0.5, contrast: 0.2, saturation: 0, hue: 0.1, generator: new DataGenerator(3));
        Assert.That(jitter.Brightness, Is.EqualTo((0.5, 1.5)));
        Assert.That(jitter.Saturation, Is.Null);
        Assert.That(jitter.Hue, Is.EqualTo((-0.1, 0.1)));
        ColorJitterParams p = ColorJitter.GetParams(jitter.Brightness, jitter.Contrast, jitter.Saturation, jitter.Hue, new DataGenerator(3));
        Assert.That(p.Order.Order(), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(p.Brightness, Is.InRange(0.5, 1.5));
        Assert.That(p.Saturation, Is.Null);
        using Tensor viaForward = jitter.Forward(image);
        using Tensor viaApply = ColorJitter.Apply(image, p);
        Assert.That(viaForward.ToArray<float>(), Is.EqualTo(viaApply.ToArray<float>()));

        var rotation = new RandomRotation(40, generator: new DataGenerator(9));
        double angle = RandomRotation.GetParams((-40, 40), new DataGenerator(9));
        Assert.That(angle, Is.InRange(-40.0, 40.0));
        using Tensor rotated = rotation.Forward(image);
        using Tensor expected = ImageFunctional.Rotate(image, angle);
        Assert.That(rotated.ToArray<float>(), Is.EqualTo(expected.ToArray<float>()));

        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new ColorJitter(hue: 0.7));
        Assert.Throws<ShapeMismatchException>(() => ImageFunctional.AdjustHue(Torch.Zeros(2, 4, 4), 0.1));
        Assert.Throws<ShapeMismatchException>(() => new Resize(3, 3).Forward(Torch.Zeros(4, 4)));
    }
}
