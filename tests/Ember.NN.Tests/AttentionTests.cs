using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// scaled_dot_product_attention, MultiheadAttention and the Transformer modules against PyTorch 1.13
/// (tests/reference/make_nn_attention.py): values and gradients, with PyTorch's state dicts loaded.
/// </summary>
public class AttentionTests
{
    private static readonly JsonElement Data = RefData.Load("attention");

    // RefData.Tensor plus what this file's data holds besides numbers: "inf"/"-inf" strings and bool masks.
    private static Tensor T(JsonElement e, DType dtype = DType.Float32)
    {
        long[] shape = RefData.Shape(e);
        double[] values = e.GetProperty("data").EnumerateArray()
            .Select(v => v.ValueKind != JsonValueKind.String ? v.GetDouble() : v.GetString() == "-inf" ? double.NegativeInfinity : double.PositiveInfinity)
            .ToArray();
        if (e.TryGetProperty("bool", out _))
            return Torch.Tensor<bool>(values.Select(v => v != 0).ToArray(), shape);
        return Torch.Tensor<double>(values, shape, dtype);
    }

    private static Tensor? Optional(JsonElement c, string name, DType dtype) => c.TryGetProperty(name, out JsonElement e) ? T(e, dtype) : null;

    private static (double Rtol, double Atol) Tol(DType dtype) => dtype == DType.Float64 ? (1e-6, 1e-7) : (2e-4, 2e-5);

    public static IEnumerable<TestCaseData> SdpaCases() =>
        from c in RefData.Load("attention").GetProperty("sdpa").EnumerateArray()
        from dtype in new[] { DType.Float32, DType.Float64 }
        select new TestCaseData(c.GetProperty("name").GetString(), dtype).SetName($"Sdpa_{c.GetProperty("name").GetString()}_{dtype}");

    [TestCaseSource(nameof(SdpaCases))]
    public void ScaledDotProductAttentionMatchesPyTorch(string name, DType dtype)
    {
        using var scope = Torch.NewScope();
        JsonElement c = Data.GetProperty("sdpa").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        Tensor q = T(c.GetProperty("q"), dtype).RequiresGrad_(), k = T(c.GetProperty("k"), dtype).RequiresGrad_(), v = T(c.GetProperty("v"), dtype).RequiresGrad_();
        Tensor? mask = Optional(c, "mask", dtype);
        double? scale = c.TryGetProperty("scale", out JsonElement s) ? s.GetDouble() : null;
        Tensor out_ = Functional.ScaledDotProductAttention(q, k, v, mask, isCausal: c.GetProperty("causal").GetBoolean(), scale: scale);
        (double rtol, double atol) = Tol(dtype);
        RefData.AssertClose(out_, c.GetProperty("out"), rtol, atol, "out");
        Assert.That(out_.DType, Is.EqualTo(dtype));
        (out_ * T(c.GetProperty("grad_out"), dtype)).Sum().Backward();
        RefData.AssertClose(q.Grad!, c.GetProperty("grad_q"), rtol, atol, "grad_q");
        RefData.AssertClose(k.Grad!, c.GetProperty("grad_k"), rtol, atol, "grad_k");
        RefData.AssertClose(v.Grad!, c.GetProperty("grad_v"), rtol, atol, "grad_v");
    }

    [Test]
    public void SixteenBitInputsComputeInFloat32()
    {
        using var scope = Torch.NewScope();
        JsonElement c = Data.GetProperty("sdpa").EnumerateArray().First(e => e.GetProperty("name").GetString() == "plain");
        foreach (DType half in new[] { DType.Float16, DType.BFloat16 })
        {
            Tensor q = T(c.GetProperty("q"), half), k = T(c.GetProperty("k"), half), v = T(c.GetProperty("v"), half);
            Tensor out_ = Functional.ScaledDotProductAttention(q, k, v);
            Assert.That(out_.DType, Is.EqualTo(half));
            RefData.AssertClose(out_, c.GetProperty("out"), 3e-2, 3e-2, half.ToString());
        }
    }

    [Test]
    public void DropoutIsReproducibleAndIndependentOfThreads()
    {
        using var scope = Torch.NewScope();
        Tensor q = Torch.Randn([2, 3, 70, 8]), k = Torch.Randn([2, 3, 90, 8]), v = Torch.Ones([2, 3, 90, 1]);
        int threads = Torch.GetNumThreads();
        try
        {
            Torch.SetNumThreads(1);
            using var g1 = new Generator(7);
            Tensor a = Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.4, generator: g1);
            Torch.SetNumThreads(2);
            using var g2 = new Generator(7);
            Tensor b = Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.4, generator: g2);
            Assert.That(a.Equal(b), Is.True);
            // With value = 1 each output is sum_j p_ij z_ij, whose mean over rows is 1 (E[z] = 1).
            double mean = a.Mean().Item<float>();
            Assert.That(mean, Is.EqualTo(1).Within(0.03));
            Tensor c = Functional.ScaledDotProductAttention(q, k, v, dropoutP: 0.4, generator: g2);
            Assert.That(a.Equal(c), Is.False, "a fresh draw gives a fresh mask");
        }
        finally
        {
            Torch.SetNumThreads(threads);
        }
        Tensor dropped = Functional.ScaledDotProductAttention(q, k, v, dropoutP: 1);
        Assert.That(dropped.Abs().Max().Item<float>(), Is.EqualTo(0f));
    }

    [Test]
    public void ShapeErrorsNameTheOp()
    {
        using var scope = Torch.NewScope();
        Tensor q = Torch.Zeros([2, 4, 3]), k = Torch.Zeros([2, 5, 4]), v = Torch.Zeros([2, 5, 2]);
        var e = Assert.Throws<ShapeMismatchException>(() => Functional.ScaledDotProductAttention(q, k, v));
        Assert.That(e!.Message, Does.Contain("scaled_dot_product_attention").And.Contain("[2, 5, 4]"));
        Tensor k3 = Torch.Zeros([2, 5, 3]), badMask = Torch.Ones([4, 6], DType.Bool);
        e = Assert.Throws<ShapeMismatchException>(() => Functional.ScaledDotProductAttention(q, k3, v, badMask));
        Assert.That(e!.Message, Does.Contain("attn_mask"));
        Assert.Throws<ArgumentOutOfRangeException>(() => Functional.ScaledDotProductAttention(q, k3, v, dropoutP: 2));
        using var mha = new MultiheadAttention(8, 2);
        var m = Assert.Throws<ArgumentException>(() => mha.Forward(Torch.Zeros([3, 2, 8]), Torch.Zeros([4, 2, 6]), Torch.Zeros([4, 2, 8])));
        Assert.That(m!.Message, Does.Contain("MultiheadAttention"));
        Assert.Throws<ArgumentException>(() => new MultiheadAttention(10, 3));
    }

    // ---------------------------------------------------------------- modules

    private static Dictionary<string, Tensor> State(JsonElement state) =>
        state.EnumerateObject().ToDictionary(p => p.Name, p => T(p.Value));

    private static long? OptLong(JsonElement o, string name) => o.TryGetProperty(name, out JsonElement e) ? e.GetInt64() : null;

    private static bool Flag(JsonElement o, string name, bool fallback) => o.TryGetProperty(name, out JsonElement e) ? e.GetBoolean() : fallback;

    public static IEnumerable<string> MhaCases() => RefData.Load("attention").GetProperty("mha").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    [TestCaseSource(nameof(MhaCases))]
    public void MultiheadAttentionMatchesPyTorch(string name)
    {
        using var scope = Torch.NewScope();
        JsonElement c = Data.GetProperty("mha").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        JsonElement ctor = c.GetProperty("ctor"), fwd = c.GetProperty("forward");
        using var mha = new MultiheadAttention(ctor.GetProperty("embed_dim").GetInt64(), ctor.GetProperty("num_heads").GetInt64(),
            bias: Flag(ctor, "bias", true), addBiasKv: Flag(ctor, "add_bias_kv", false), kdim: OptLong(ctor, "kdim"), vdim: OptLong(ctor, "vdim"),
            batchFirst: Flag(ctor, "batch_first", false));
        mha.LoadStateDict(State(c.GetProperty("state")));
        mha.Eval();
        Tensor query = T(c.GetProperty("query")).RequiresGrad_();
        bool self = c.GetProperty("self").GetBoolean();
        Tensor key = self ? query : T(c.GetProperty("key")), value = self ? query : T(c.GetProperty("value"));
        bool needWeights = fwd.GetProperty("need_weights").GetBoolean();
        (Tensor output, Tensor? weights) = mha.Forward(query, key, value, Optional(c, "key_padding_mask", DType.Float32), needWeights,
            Optional(c, "attn_mask", DType.Float32), Flag(fwd, "average_attn_weights", true));
        RefData.AssertClose(output, c.GetProperty("out"), 2e-4, 2e-5, "out");
        if (needWeights)
            RefData.AssertClose(weights!, c.GetProperty("weights"), 2e-4, 2e-5, "weights");
        else
            Assert.That(weights, Is.Null);
        (output * T(c.GetProperty("grad_out"))).Sum().Backward();
        RefData.AssertClose(query.Grad!, c.GetProperty("grad_query"), 2e-4, 2e-5, "grad_query");
        string first = c.GetProperty("first_param").GetString()!;
        Parameter p = mha.NamedParameters().First(n => n.Name == first).Parameter;
        RefData.AssertClose(p.Grad!, c.GetProperty("grad_first_param"), 2e-4, 2e-5, first);
    }

    public static IEnumerable<string> LayerCases() => RefData.Load("attention").GetProperty("layers").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    [TestCaseSource(nameof(LayerCases))]
    public void TransformerModulesMatchPyTorch(string name)
    {
        using var scope = Torch.NewScope();
        JsonElement c = Data.GetProperty("layers").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        JsonElement kw = c.GetProperty("kwargs"), inputs = c.GetProperty("inputs");
        long d = c.GetProperty("d_model").GetInt64(), h = c.GetProperty("nhead").GetInt64(), ff = c.GetProperty("dim_feedforward").GetInt64();
        string activation = kw.GetProperty("activation").GetString()!;
        bool batchFirst = Flag(kw, "batch_first", false), normFirst = Flag(kw, "norm_first", false);
        Tensor? In(string key) => inputs.TryGetProperty(key, out JsonElement e) ? T(e) : null;
        Tensor? first = (In("src") ?? In("tgt"))!.RequiresGrad_();
        Tensor? src = inputs.TryGetProperty("src", out _) ? first : null;
        Tensor? tgt = src is null ? first : In("tgt");
        Module module;
        Tensor output;
        switch (c.GetProperty("kind").GetString())
        {
            case "encoder_layer":
            {
                var m = new TransformerEncoderLayer(d, h, ff, 0.1, activation, batchFirst: batchFirst, normFirst: normFirst);
                module = Load(m, c);
                output = m.Forward(src!, In("src_mask"), In("src_key_padding_mask"));
                break;
            }
            case "decoder_layer":
            {
                var m = new TransformerDecoderLayer(d, h, ff, 0.1, activation, batchFirst: batchFirst, normFirst: normFirst);
                module = Load(m, c);
                output = m.Forward(tgt!, In("memory")!, In("tgt_mask"), memoryKeyPaddingMask: In("memory_key_padding_mask"));
                break;
            }
            case "encoder":
            {
                using var layer = new TransformerEncoderLayer(d, h, ff, activation: activation, batchFirst: batchFirst);
                var m = new TransformerEncoder(layer, 2, new LayerNorm(d));
                module = Load(m, c);
                output = m.Forward(src!, srcKeyPaddingMask: In("src_key_padding_mask"));
                break;
            }
            case "decoder":
            {
                using var layer = new TransformerDecoderLayer(d, h, ff, activation: activation, batchFirst: batchFirst);
                var m = new TransformerDecoder(layer, 2, new LayerNorm(d));
                module = Load(m, c);
                output = m.Forward(tgt!, In("memory")!, In("tgt_mask"), tgtKeyPaddingMask: In("tgt_key_padding_mask"));
                break;
            }
            default:
            {
                var m = new Transformer(d, h, 2, 1, ff, activation: activation, batchFirst: batchFirst);
                module = Load(m, c);
                output = m.Forward(src!, In("tgt")!, tgtMask: In("tgt_mask"), srcKeyPaddingMask: In("src_key_padding_mask"),
                    memoryKeyPaddingMask: In("memory_key_padding_mask"));
                break;
            }
        }
        using (module)
        {
            RefData.AssertClose(output, c.GetProperty("out"), 2e-4, 5e-5, "out");
            (output * T(c.GetProperty("grad_out"))).Sum().Backward();
            RefData.AssertClose(first.Grad!, c.GetProperty("grad_first_input"), 5e-4, 5e-5, "grad of the first input");
        }
    }

    private static Module Load(Module m, JsonElement c)
    {
        m.LoadStateDict(State(c.GetProperty("state"))); // strict: every PyTorch key exists here and no other
        m.Eval();
        return m;
    }

    [Test]
    public void SquareSubsequentMaskMatchesPyTorch()
    {
        using var scope = Torch.NewScope();
        Tensor mask = Transformer.GenerateSquareSubsequentMask(3);
        Tensor expected = T(Data.GetProperty("square_subsequent_mask_3"));
        Assert.That(mask.Equal(expected), Is.True);
    }

    [Test]
    public void DefaultInitialisationFollowsPyTorch()
    {
        using var scope = Torch.NewScope();
        using var mha = new MultiheadAttention(16, 4, addBiasKv: true);
        double bound = Math.Sqrt(6.0 / (16 + 48));
        Assert.That(mha.InProjWeight!.Abs().Max().Item<float>(), Is.LessThanOrEqualTo(bound).And.GreaterThan(bound * 0.8));
        Assert.That(mha.InProjBias!.Abs().Max().Item<float>(), Is.EqualTo(0f));
        Assert.That(mha.OutProj.Bias!.Abs().Max().Item<float>(), Is.EqualTo(0f));
        Assert.That(mha.StateDict().Keys, Is.EqualTo(new[] { "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias" }));
        using var model = new Transformer(8, 2, 1, 1, 16);
        foreach ((string name, Parameter p) in model.NamedParameters())
        {
            if (p.Dim < 2)
                continue;
            long fanOut = p.Shape[0], fanIn = p.Shape[1];
            double xavier = Math.Sqrt(6.0 / (fanIn + fanOut));
            Assert.That(p.Abs().Max().Item<float>(), Is.LessThanOrEqualTo(xavier), name);
        }
        Assert.That(model.StateDict().Keys, Does.Contain("encoder.layers.0.self_attn.in_proj_weight").And.Contain("decoder.layers.0.multihead_attn.out_proj.bias")
            .And.Contain("decoder.norm.weight").And.Contain("encoder.layers.0.norm2.bias"));
    }

    [Test]
    public void TrainingModeAppliesDropout()
    {
        using var scope = Torch.NewScope();
        using var layer = new TransformerEncoderLayer(8, 2, 16, dropout: 0.5);
        Tensor x = Torch.Randn([5, 3, 8]);
        layer.Eval();
        Tensor a = layer.Forward(x), b = layer.Forward(x);
        Assert.That(a.Equal(b), Is.True);
        layer.Train();
        Tensor c = layer.Forward(x);
        Assert.That(c.Equal(a), Is.False);
    }
}
