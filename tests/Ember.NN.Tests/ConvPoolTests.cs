using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// The convolution and pooling family against PyTorch (Data/conv_pool.json, written by
/// tests/reference/make_nn_conv_pool.py): functions in float64 and float32, forward and gradients, incl.
/// non-contiguous inputs; the modules with PyTorch's weights, their repr and default initialisation; errors.
/// </summary>
public class ConvPoolTests
{
    private static JsonElement Data => s_data.Value;

    private static readonly Lazy<JsonElement> s_data = new(() => RefData.Load("conv_pool"));

    public static IEnumerable<string> FunctionalNames =>
        RefData.Load("conv_pool").GetProperty("functional").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    public static IEnumerable<string> ModuleNames =>
        RefData.Load("conv_pool").GetProperty("modules").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private static JsonElement Case(string group, string name) =>
        Data.GetProperty(group).EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    private static long[] Longs(JsonElement kw, string key, long[] fallback)
    {
        if (!kw.TryGetProperty(key, out JsonElement v))
            return fallback;
        return v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(e => e.GetInt64()).ToArray() : [v.GetInt64()];
    }

    private static long Long(JsonElement kw, string key, long fallback) => kw.TryGetProperty(key, out JsonElement v) ? v.GetInt64() : fallback;

    private static bool Bool(JsonElement kw, string key, bool fallback) => kw.TryGetProperty(key, out JsonElement v) ? v.GetBoolean() : fallback;

    /// <summary>Runs the case's op on x (and w, b): the output and, for max poolings, the indices.</summary>
    private static (Tensor Output, Tensor? Indices) Run(string op, JsonElement kw, Tensor x, Tensor? w, Tensor? b)
    {
        long[] stride = Longs(kw, "stride", []), dilation = Longs(kw, "dilation", []);
        long groups = Long(kw, "groups", 1);
        string? paddingString = kw.TryGetProperty("padding", out JsonElement pv) && pv.ValueKind == JsonValueKind.String ? pv.GetString() : null;
        long[] padding = paddingString is null ? Longs(kw, "padding", []) : [];
        long[] outputPadding = Longs(kw, "output_padding", []);
        return op switch
        {
            "conv1d" when paddingString is not null => (Functional.Conv1d(x, w!, b, paddingString, stride, dilation, groups), null),
            "conv1d" => (Functional.Conv1d(x, w!, b, stride, padding, dilation, groups), null),
            "conv2d" when paddingString is not null => (Functional.Conv2d(x, w!, b, paddingString, stride, dilation, groups), null),
            "conv2d" => (Functional.Conv2d(x, w!, b, stride, padding, dilation, groups), null),
            "conv3d" when paddingString is not null => (Functional.Conv3d(x, w!, b, paddingString, stride, dilation, groups), null),
            "conv3d" => (Functional.Conv3d(x, w!, b, stride, padding, dilation, groups), null),
            "conv_transpose1d" => (Functional.ConvTranspose1d(x, w!, b, stride, padding, outputPadding, groups, dilation), null),
            "conv_transpose2d" => (Functional.ConvTranspose2d(x, w!, b, stride, padding, outputPadding, groups, dilation), null),
            "conv_transpose3d" => (Functional.ConvTranspose3d(x, w!, b, stride, padding, outputPadding, groups, dilation), null),
            "avg_pool1d" => (Functional.AvgPool1d(x, Long(kw, "kernel_size", 0), kw.TryGetProperty("stride", out _) ? Long(kw, "stride", 0) : null,
                Long(kw, "padding", 0), Bool(kw, "ceil_mode", false), Bool(kw, "count_include_pad", true)), null),
            "avg_pool2d" => (Functional.AvgPool2d(x, Longs(kw, "kernel_size", []), stride, padding, Bool(kw, "ceil_mode", false),
                Bool(kw, "count_include_pad", true), kw.TryGetProperty("divisor_override", out JsonElement d) ? d.GetInt64() : null), null),
            "max_pool1d" => Functional.MaxPool1dWithIndices(x, Long(kw, "kernel_size", 0), kw.TryGetProperty("stride", out _) ? Long(kw, "stride", 0) : null,
                Long(kw, "padding", 0), Long(kw, "dilation", 1), Bool(kw, "ceil_mode", false)),
            "adaptive_avg_pool1d" => (Functional.AdaptiveAvgPool1d(x, Long(kw, "output_size", 0)), null),
            "adaptive_avg_pool2d" => (Functional.AdaptiveAvgPool2d(x, Longs(kw, "output_size", [])), null),
            "adaptive_max_pool1d" => Functional.AdaptiveMaxPool1dWithIndices(x, Long(kw, "output_size", 0)),
            "adaptive_max_pool2d" => Functional.AdaptiveMaxPool2dWithIndices(x, Longs(kw, "output_size", [])),
            "unfold" => (Functional.Unfold(x, Longs(kw, "kernel_size", []), dilation, padding, stride), null),
            "fold" => (Functional.Fold(x, Longs(kw, "output_size", []), Longs(kw, "kernel_size", []), dilation, padding, stride), null),
            _ => throw new ArgumentException($"unknown op {op}"),
        };
    }

    private static void CheckFunctional(string name, DType dtype, double rtol, double atol)
    {
        JsonElement c = Case("functional", name);
        using var scope = Torch.NewScope();
        Tensor stored = RefData.Tensor(c.GetProperty("input"), dtype);
        // "nlc": the input was stored channels-last; moving the channels to dim 1 gives a non-contiguous view.
        Tensor x = (c.GetProperty("input_layout").GetString() == "nlc" ? stored.Movedim(-1, 1) : stored).RequiresGrad_();
        if (c.GetProperty("input_layout").GetString() == "nlc")
            Assert.That(x.IsContiguous, Is.False);
        Tensor? w = c.TryGetProperty("weight", out JsonElement we) ? RefData.Tensor(we, dtype).RequiresGrad_() : null;
        Tensor? b = c.TryGetProperty("bias", out JsonElement be) ? RefData.Tensor(be, dtype).RequiresGrad_() : null;

        (Tensor y, Tensor? indices) = Run(c.GetProperty("op").GetString()!, c.GetProperty("kwargs"), x, w, b);
        Assert.That(y.DType, Is.EqualTo(dtype));
        RefData.AssertClose(y, c.GetProperty("output"), rtol, atol, name + " output");
        if (c.TryGetProperty("indices", out JsonElement ie))
        {
            Assert.That(indices, Is.Not.Null);
            Assert.That(indices!.ToArray<long>(), Is.EqualTo(ie.GetProperty("data").EnumerateArray().Select(v => v.GetInt64()).ToArray()), name + " indices");
        }

        y.Backward(RefData.Tensor(c.GetProperty("grad_out"), dtype));
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), rtol, atol, name + " grad input");
        if (w is not null)
            RefData.AssertClose(w.Grad!, c.GetProperty("grad_weight"), rtol, atol, name + " grad weight");
        if (b is not null)
            RefData.AssertClose(b.Grad!, c.GetProperty("grad_bias"), rtol, atol, name + " grad bias");
    }

    [TestCaseSource(nameof(FunctionalNames))]
    public void FunctionalMatchesPyTorchInFloat64(string name) => CheckFunctional(name, DType.Float64, 1e-10, 1e-11);

    [TestCaseSource(nameof(FunctionalNames))]
    public void FunctionalMatchesPyTorchInFloat32(string name) => CheckFunctional(name, DType.Float32, 1e-4, 1e-4);

    // float16 / bfloat16 run in float32 (convolutions) or natively with float32 accumulation (pooling): the result is
    // the float32 result rounded.
    [TestCase("conv2d_groups_dil_stride", DType.BFloat16)]
    [TestCase("conv_transpose1d_basic", DType.Float16)]
    [TestCase("conv3d_basic", DType.Float16)]
    [TestCase("avg_pool2d_ceil", DType.BFloat16)]
    [TestCase("adaptive_avg_pool2d", DType.Float16)]
    [TestCase("unfold", DType.BFloat16)]
    public void HalfPrecisionForwardMatchesFloat32(string name, DType dtype)
    {
        JsonElement c = Case("functional", name);
        using var scope = Torch.NewScope();
        Tensor x = RefData.Tensor(c.GetProperty("input"), dtype);
        Tensor? w = c.TryGetProperty("weight", out JsonElement we) ? RefData.Tensor(we, dtype) : null;
        Tensor? b = c.TryGetProperty("bias", out JsonElement be) ? RefData.Tensor(be, dtype) : null;
        string op = c.GetProperty("op").GetString()!;
        Tensor y = Run(op, c.GetProperty("kwargs"), x, w, b).Output;
        Assert.That(y.DType, Is.EqualTo(dtype));
        Tensor y32 = Run(op, c.GetProperty("kwargs"), x.To(DType.Float32), w?.To(DType.Float32), b?.To(DType.Float32)).Output;
        double[] got = y.To(DType.Float64).ToArray<double>(), want = y32.To(DType.Float64).ToArray<double>();
        double eps = dtype == DType.BFloat16 ? 1.0 / 128 : 1.0 / 1024;
        for (int i = 0; i < want.Length; i++)
            Assert.That(got[i], Is.EqualTo(want[i]).Within(eps * Math.Abs(want[i]) + 1e-6), $"{name} element {i}");
    }

    private static Module<Tensor, Tensor> NewModule(string name) => name switch
    {
        "conv1d" => new Conv1d(3, 4, 3, stride: 2, padding: 1),
        "conv1d_same_groups" => new Conv1d(4, 6, 4, padding: "same", dilation: 2, groups: 2, bias: false),
        "conv3d" => new Conv3d(2, 3, (2, 3, 2), stride: (1, 2, 1), padding: (1, 0, 1)),
        "conv3d_same" => new Conv3d(2, 2, 3, padding: "same"),
        "conv_transpose1d" => new ConvTranspose1d(3, 2, 3, stride: 2, padding: 1, outputPadding: 1),
        "conv_transpose2d" => new ConvTranspose2d(4, 2, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, dilation: 1),
        "conv_transpose2d_rect" => new ConvTranspose2d(2, 3, (2, 3), stride: (2, 1), padding: (0, 1), bias: false, dilation: (1, 2)),
        "maxpool1d" => new MaxPool1d(3, stride: 2, padding: 1, ceilMode: true),
        "avgpool1d" => new AvgPool1d(3, stride: 2, padding: 1, countIncludePad: false),
        "avgpool2d" => new AvgPool2d(2),
        "avgpool2d_rect" => new AvgPool2d((3, 2), stride: (2, 1), padding: (1, 0), ceilMode: true, divisorOverride: 4),
        "adaptiveavgpool1d" => new AdaptiveAvgPool1d(3),
        "adaptiveavgpool2d" => new AdaptiveAvgPool2d((2, 3)),
        "adaptiveavgpool2d_square" => new AdaptiveAvgPool2d(1),
        "adaptivemaxpool2d" => new AdaptiveMaxPool2d((3, 2)),
        "unfold" => new Unfold((2, 3), padding: (1, 1), stride: (2, 2)),
        "fold" => new Fold((4, 5), (2, 2)),
        _ => throw new ArgumentException(name),
    };

    [TestCaseSource(nameof(ModuleNames))]
    public void ModuleMatchesPyTorch(string name)
    {
        JsonElement c = Case("modules", name);
        using var scope = Torch.NewScope();
        using Module<Tensor, Tensor> layer = NewModule(name);
        var weights = c.GetProperty("params").EnumerateObject().ToDictionary(p => p.Name, p => RefData.Tensor(p.Value));
        layer.LoadStateDict(weights); // strict: the key names and shapes must be PyTorch's
        Tensor x = RefData.Tensor(c.GetProperty("input")).RequiresGrad_();

        Tensor y = layer.Call(x);
        RefData.AssertClose(y, c.GetProperty("output"), 1e-5, 1e-5, name + " output");
        y.Backward(RefData.Tensor(c.GetProperty("grad_out")));
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), 1e-5, 1e-5, name + " grad input");
        foreach ((string key, Parameter p) in layer.NamedParameters())
            RefData.AssertClose(p.Grad!, c.GetProperty("grads").GetProperty(key), 1e-4, 1e-5, $"{name} grad {key}");
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EquivalentTo(weights.Keys));
    }

    [TestCaseSource(nameof(ModuleNames))]
    public void ModulePrintsLikePyTorch(string name)
    {
        using Module<Tensor, Tensor> layer = NewModule(name);
        Assert.That(layer.ToString(), Is.EqualTo(Case("modules", name).GetProperty("repr").GetString()));
    }

    // kaiming_uniform_(a = √5) and the bias both draw from U(±1/√fan_in), fan_in = weight.size(1) · kernel volume
    // (for a transposed convolution too, as in PyTorch): every value inside, and a spread that fills the range.
    [Test]
    public void ConvolutionLayersStartLikePyTorch()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(3);
        ConvNd[] layers =
        [
            new Conv1d(8, 16, 5), new Conv3d(4, 8, 3), new ConvTranspose1d(6, 12, 4, groups: 2), new ConvTranspose2d(8, 6, 3),
        ];
        foreach (ConvNd layer in layers)
        {
            long fanIn = layer.Weight.Shape.ToArray()[1] * layer.KernelSize.Aggregate(1L, (a, k) => a * k);
            double bound = 1 / Math.Sqrt(fanIn);
            foreach (Tensor p in new Tensor[] { layer.Weight, layer.Bias! })
            {
                float[] v = p.ToArray<float>();
                Assert.That(v, Is.All.InRange(-bound, bound), layer.ToString());
                Assert.That(v.Max() - v.Min(), Is.GreaterThan(bound), layer.ToString());
            }
            layer.Dispose();
        }
    }

    [Test]
    public void BadShapesAndArgumentsGiveClearErrors()
    {
        using var scope = Torch.NewScope();
        Tensor x1 = Torch.Randn(2, 3, 5), x2 = Torch.Randn(2, 3, 5, 5), x3 = Torch.Randn(1, 2, 3, 3, 3);
        Assert.That(() => Functional.Conv1d(x1, Torch.Randn(4, 2, 3)), Throws.Exception.With.Message.Contains("conv1d").And.Message.Contains("to have 2 channels, but got 3"));
        Assert.That(() => Functional.Conv1d(x1, Torch.Randn(4, 3, 7)), Throws.Exception.With.Message.Contains("Kernel size can't be greater than actual input size"));
        Assert.That(() => Functional.Conv1d(x2, Torch.Randn(4, 3, 3)), Throws.Exception.With.Message.Contains("Expected 2D (unbatched) or 3D (batched) input to conv1d"));
        Assert.That(() => Functional.Conv3d(x3, Torch.Randn(2, 2, 3, 3)), Throws.Exception.With.Message.Contains("conv3d: expected weight to be 5-d"));
        Assert.That(() => Functional.Conv3d(x3, Torch.Randn([2, 2, 3, 3, 3], DType.Float64)), Throws.Exception.With.Message.Contains("same dtype"));
        Assert.That(() => Functional.Conv2d(x2, Torch.Randn(4, 3, 3, 3), null, "same", stride: [2]), Throws.ArgumentException.With.Message.Contains("strided"));
        Assert.That(() => Functional.Conv2d(x2, Torch.Randn(4, 3, 3, 3), null, "full"), Throws.ArgumentException.With.Message.Contains("Invalid padding string"));
        Assert.That(() => Functional.ConvTranspose2d(x2, Torch.Randn(3, 2, 3, 3), null, stride: [2], outputPadding: [2]),
            Throws.Exception.With.Message.Contains("conv_transpose2d: output padding must be").And.Message.Contains("smaller than either stride or dilation"));
        Assert.That(() => Functional.ConvTranspose1d(x1, Torch.Randn(2, 2, 3)), Throws.Exception.With.Message.Contains("conv_transpose1d").And.Message.Contains("channels"));
        Assert.That(() => Functional.AvgPool2d(x2, 3, padding: 2), Throws.Exception.With.Message.Contains("avg_pool2d: pad should be at least 0 and at most half of kernel size"));
        Assert.That(() => Functional.AvgPool1d(x1, 7), Throws.Exception.With.Message.Contains("avg_pool1d").And.Message.Contains("Output size is too small"));
        Assert.That(() => Functional.MaxPool1d(x2, 2), Throws.Exception.With.Message.Contains("max_pool1d: Expected 2D or 3D (batch mode) tensor"));
        Assert.That(() => Functional.AdaptiveAvgPool2d(x2, [-1, 2]), Throws.Exception.With.Message.Contains("adaptive_avg_pool2d").And.Message.Contains("output_size"));
        Assert.That(() => Functional.AdaptiveMaxPool2d(Torch.Ones([2, 3, 4, 4], DType.Int64), 2), Throws.Exception.With.Message.Contains("floating"));
        Assert.That(() => Functional.Unfold(x2, 7), Throws.Exception.With.Message.Contains("unfold").And.Message.Contains("sliding blocks"));
        Assert.That(() => Functional.Fold(Torch.Randn(2, 12, 5), 4, 2), Throws.Exception.With.Message.Contains("fold").And.Message.Contains("number of sliding blocks"));
        Assert.That(() => Functional.Fold(Torch.Randn(2, 10, 9), 4, 2), Throws.Exception.With.Message.Contains("divisible by the product of kernel_size"));
        Assert.That(() => new Conv1d(3, 4, 3, groups: 2), Throws.ArgumentException.With.Message.Contains("divisible by groups"));
        Assert.That(() => new Conv3d(3, 4, 3, padding: "same", stride: 2), Throws.ArgumentException.With.Message.Contains("strided"));
    }
}
