using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// F.interpolate in every mode (align_corners both ways, up and down, by size and by scale factor), the pixel
/// (un)shuffles and the upsampling and padding modules, against PyTorch (Data/interpolate.json, made by
/// tests/reference/make_nn_interpolate.py): values and input gradients.
/// </summary>
public class InterpolateTests
{
    private static JsonElement Data => RefData.Load("interpolate");

    private static IEnumerable<string> CaseNames() => Data.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    private static long[]? Longs(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    private static double[]? Doubles(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static bool? Bool(JsonElement e) => e.ValueKind == JsonValueKind.Null ? null : e.GetBoolean();

    [TestCaseSource(nameof(CaseNames))]
    public void InterpolateMatchesPyTorch(string name)
    {
        JsonElement c = Data.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        bool f32 = c.GetProperty("float32").GetBoolean();
        DType dtype = f32 ? DType.Float32 : DType.Float64;
        double tol = f32 ? 2e-5 : 1e-10;
        Tensor x = RefData.Tensor(c.GetProperty("input"), dtype).RequiresGrad_();
        Tensor y = Functional.Interpolate(x, Longs(c.GetProperty("size")), Doubles(c.GetProperty("scale_factor")), c.GetProperty("mode").GetString()!,
            Bool(c.GetProperty("align_corners")), Bool(c.GetProperty("recompute")));
        Assert.That(y.DType, Is.EqualTo(dtype));
        RefData.AssertClose(y, c.GetProperty("output"), tol, tol, "output");
        y.Backward(RefData.Tensor(c.GetProperty("g_out"), dtype));
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), tol, tol, "grad input");
    }

    [Test]
    public void NonContiguousAndHalfInputsInterpolate()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn([2, 5, 4, 3], DType.Float64);
        Tensor t = x.Transpose(2, 3); // (2, 5, 3, 4), strided
        Tensor expected = Functional.Interpolate(t.Contiguous(), [7, 5], null, "bicubic", alignCorners: true);
        Tensor got = Functional.Interpolate(t, [7, 5], null, "bicubic", alignCorners: true);
        Assert.That(got.ToArray<double>(), Is.EqualTo(expected.ToArray<double>()));
        Tensor h = Functional.Interpolate(t.To(DType.Float16), [7, 5], null, "bilinear");
        Tensor f = Functional.Interpolate(t.To(DType.Float32), [7, 5], null, "bilinear");
        Assert.That(h.DType, Is.EqualTo(DType.Float16));
        float[] hv = h.To(DType.Float32).ToArray<float>(), fv = f.ToArray<float>();
        for (int i = 0; i < fv.Length; i++)
            Assert.That(hv[i], Is.EqualTo(fv[i]).Within(1e-2 + 1e-2 * Math.Abs(fv[i])));
    }

    [Test]
    public void PixelShuffleAndUnshuffleMatchPyTorchAndInvertEachOther()
    {
        JsonElement s = Data.GetProperty("pixel_shuffle");
        using var scope = Torch.NewScope();
        Tensor x = Torch.Arange(2 * 8 * 2 * 3).To(DType.Float64).Reshape(2, 8, 2, 3);
        using var shuffle = new PixelShuffle(2);
        Tensor y = shuffle.Call(x);
        RefData.AssertClose(y, s.GetProperty("shuffle"), 0, 0, "pixel_shuffle");
        using var unshuffle = new PixelUnshuffle(2);
        Assert.That(unshuffle.Call(y).ToArray<double>(), Is.EqualTo(x.ToArray<double>()));
        Tensor z = Torch.Arange(48).To(DType.Float64).Reshape(1, 2, 4, 6);
        RefData.AssertClose(Functional.PixelUnshuffle(z, 2), s.GetProperty("unshuffle"), 0, 0, "pixel_unshuffle");
        Assert.That(() => Functional.PixelShuffle(Torch.Zeros(1, 3, 2, 2), 2), Throws.ArgumentException.With.Message.Contains("divisible"));
        Assert.That(() => Functional.PixelUnshuffle(Torch.Zeros(1, 3, 5, 4), 2), Throws.ArgumentException.With.Message.Contains("divisible"));
    }

    [Test]
    public void UpsampleModulesRunInterpolate()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn(1, 2, 3, 4);
        using var up = new Upsample(size: [5, 6], mode: "bilinear", alignCorners: true);
        Assert.That(up.Call(x).ToArray<float>(), Is.EqualTo(Functional.Interpolate(x, [5, 6], null, "bilinear", true).ToArray<float>()));
        using var bilinear = new UpsamplingBilinear2d(2.0);
        Assert.That(bilinear.Call(x).ToArray<float>(), Is.EqualTo(Functional.Interpolate(x, 2.0, "bilinear", true).ToArray<float>()));
        using var nearest = new UpsamplingNearest2d(2.0);
        Tensor n = nearest.Call(x);
        Assert.That(n.Shape.ToArray(), Is.EqualTo(new long[] { 1, 2, 6, 8 }));
        Assert.That(n[0, 1, 5, 7].ToArray<float>()[0], Is.EqualTo(x[0, 1, 2, 3].ToArray<float>()[0]));
    }

    [Test]
    public void PaddingModulesPadAsFunctionalPad()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn(1, 2, 4, 5);
        (Module<Tensor, Tensor> Module, long[] Pad, string Mode, double Value)[] cases =
        [
            (new ZeroPad2d(1, 2, 0, 3), [1, 2, 0, 3], "constant", 0),
            (new ConstantPad2d(2, -1.5), [2, 2, 2, 2], "constant", -1.5),
            (new ReflectionPad2d(2, 1, 3, 0), [2, 1, 3, 0], "reflect", 0),
            (new ReplicationPad2d(1), [1, 1, 1, 1], "replicate", 0),
            (new CircularPad2d(1, 2, 2, 1), [1, 2, 2, 1], "circular", 0),
        ];
        foreach (var (m, pad, mode, value) in cases)
        {
            Assert.That(m.Call(x).ToArray<float>(), Is.EqualTo(Functional.Pad(x, pad, mode, value).ToArray<float>()), m.ToString());
            m.Dispose();
        }
        Tensor s = Torch.Randn(2, 3, 6);
        (Module<Tensor, Tensor> Module, long[] Pad, string Mode, double Value)[] oneD =
        [
            (new ZeroPad1d(2), [2, 2], "constant", 0),
            (new ConstantPad1d([1, 3], 4), [1, 3], "constant", 4),
            (new ReflectionPad1d(3, 1), [3, 1], "reflect", 0),
            (new ReplicationPad1d(0, 2), [0, 2], "replicate", 0),
            (new CircularPad1d(2), [2, 2], "circular", 0),
        ];
        foreach (var (m, pad, mode, value) in oneD)
        {
            Tensor y = m.Call(s);
            Assert.That(y.Shape[^1], Is.EqualTo(6 + pad[0] + pad[1]));
            Assert.That(y.ToArray<float>(), Is.EqualTo(Functional.Pad(s, pad, mode, value).ToArray<float>()), m.ToString());
            m.Dispose();
        }
        Assert.That(() => new ZeroPad2d(1, 2, 3), Throws.ArgumentException.With.Message.Contains("1 or 4"));
    }

    [Test]
    public void ModulesPrintAsPyTorch()
    {
        var modules = new Dictionary<string, Module>
        {
            ["Upsample(scale 2)"] = new Upsample(2.0),
            ["Upsample(size (4, 5), bilinear, align)"] = new Upsample(size: [4, 5], mode: "bilinear", alignCorners: true),
            ["Upsample(scale (2, 1.5), bicubic)"] = new Upsample(scaleFactor: [2.0, 1.5], mode: "bicubic"),
            ["UpsamplingNearest2d(scale 2)"] = new UpsamplingNearest2d(2.0),
            ["UpsamplingBilinear2d(size 3)"] = new UpsamplingBilinear2d(size: [3]),
            ["PixelShuffle(2)"] = new PixelShuffle(2),
            ["PixelUnshuffle(3)"] = new PixelUnshuffle(3),
            ["ZeroPad2d(2)"] = new ZeroPad2d(2),
            ["ZeroPad2d(1, 2, 3, 0)"] = new ZeroPad2d(1, 2, 3, 0),
            ["ConstantPad1d(2, 3.5)"] = new ConstantPad1d(2, 3.5),
            ["ConstantPad2d((1, 0, 2, 1), -1)"] = new ConstantPad2d([1, 0, 2, 1], -1.0),
            ["ReflectionPad1d(2)"] = new ReflectionPad1d(2),
            ["ReflectionPad2d(1, 1, 2, 0)"] = new ReflectionPad2d(1, 1, 2, 0),
            ["ReplicationPad1d(1, 2)"] = new ReplicationPad1d(1, 2),
            ["ReplicationPad2d(1)"] = new ReplicationPad2d(1),
        };
        var expected = Data.GetProperty("reprs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.That(modules.Keys, Is.EquivalentTo(expected.Keys));
        foreach ((string key, Module m) in modules)
            Assert.That(m.ToString(), Is.EqualTo(expected[key]), key);
    }

    [Test]
    public void BadArgumentsAreClearErrors()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Zeros(1, 2, 3, 4);
        Assert.That(() => Functional.Interpolate(x, [5], [2.0]), Throws.ArgumentException.With.Message.Contains("only one of size or scale_factor"));
        Assert.That(() => Functional.Interpolate(x), Throws.ArgumentException.With.Message.Contains("either size or scale_factor"));
        Assert.That(() => Functional.Interpolate(x, 5, "linear"), Throws.ArgumentException.With.Message.Contains("linear mode needs 3D input"));
        Assert.That(() => Functional.Interpolate(x, 5, "nearest", alignCorners: true), Throws.ArgumentException.With.Message.Contains("align_corners"));
        Assert.That(() => Functional.Interpolate(x, 5, "cubic"), Throws.ArgumentException.With.Message.Contains("modes are supported"));
        Assert.That(() => Functional.Interpolate(Torch.Zeros(3, 4), 5), Throws.ArgumentException.With.Message.Contains("Only 3D, 4D and 5D"));
        Assert.That(() => Functional.Interpolate(x, [5, 6, 7]), Throws.ArgumentException.With.Message.Contains("same number of spatial dimensions"));
        Assert.That(() => Functional.Interpolate(x, 0.1), Throws.InstanceOf<Exception>().With.Message.Contains("greater than 0"));
        Assert.That(() => Functional.Interpolate(Torch.Zeros([1, 2, 3, 4], DType.Int64), 5), Throws.InstanceOf<Exception>().With.Message.Contains("floating"));
    }
}
