using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>Embedding and EmbeddingBag against PyTorch (Data/embedding.json, made by tests/reference/make_nn_embedding.py).</summary>
public class EmbeddingTests
{
    public static IEnumerable<string> CaseNames =>
        RefData.Load("embedding").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private static long? OptionLong(JsonElement o, string name) => o.TryGetProperty(name, out JsonElement v) ? v.GetInt64() : null;

    private static double? OptionDouble(JsonElement o, string name) => o.TryGetProperty(name, out JsonElement v) ? v.GetDouble() : null;

    private static bool OptionFlag(JsonElement o, string name) => o.TryGetProperty(name, out JsonElement v) && v.GetBoolean();

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        JsonElement c = RefData.Load("embedding").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        JsonElement o = c.GetProperty("options");
        using var scope = Torch.NewScope();
        using var weight = new Parameter(RefData.Tensor(c.GetProperty("weight")));
        Tensor input = RefData.Tensor(c.GetProperty("input"), DType.Int64);
        Tensor? psw = c.TryGetProperty("per_sample_weights", out JsonElement p) ? RefData.Tensor(p).RequiresGrad_() : null;
        Tensor output = c.GetProperty("kind").GetString() == "embedding"
            ? Functional.Embedding(input, weight, OptionLong(o, "padding_idx"), OptionDouble(o, "max_norm"), scaleGradByFreq: OptionFlag(o, "scale_grad_by_freq"))
            : Functional.EmbeddingBag(input, weight, c.TryGetProperty("offsets", out JsonElement off) ? RefData.Tensor(off, DType.Int64) : null,
                mode: c.GetProperty("mode").GetString()!, perSampleWeights: psw, includeLastOffset: OptionFlag(o, "include_last_offset"),
                paddingIdx: OptionLong(o, "padding_idx"));
        RefData.AssertClose(output, c.GetProperty("output"), what: name + " output");
        output.Backward(RefData.Tensor(c.GetProperty("grad_out")));
        RefData.AssertClose(weight.Grad!, c.GetProperty("grad_weight"), what: name + " grad weight");
        if (c.TryGetProperty("weight_after", out JsonElement after))
            RefData.AssertClose(weight, after, what: name + " weight after max_norm");
        if (psw is not null)
            RefData.AssertClose(psw.Grad!, c.GetProperty("grad_per_sample_weights"), what: name + " grad per_sample_weights");
    }

    [Test]
    public void ModulesHavePyTorchDefaultsAndNames()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(0);
        using var e = new Embedding(1000, 16, paddingIdx: -1);
        Assert.That(e.PaddingIdx, Is.EqualTo(999));
        Assert.That(e.StateDict().Keys, Is.EqualTo(new[] { "weight" }));
        float[] w = e.Weight.ToArray<float>();
        Assert.That(w.Skip(999 * 16), Is.All.EqualTo(0f), "padding row");
        double mean = w.Take(999 * 16).Average(), var = w.Take(999 * 16).Select(v => (v - mean) * (v - mean)).Average();
        Assert.That(mean, Is.EqualTo(0).Within(0.03));
        Assert.That(var, Is.EqualTo(1).Within(0.05));
        Assert.That(e.ToString(), Is.EqualTo("Embedding(1000, 16, padding_idx=999)"));
        using var bag = new EmbeddingBag(10, 3, mode: "sum");
        Assert.That(bag.ToString(), Is.EqualTo("EmbeddingBag(10, 3, mode='sum')"));
        Tensor y = bag.Call(Torch.Tensor<long>([1, 2, 3, 4], [2, 2]), null);
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new long[] { 2, 3 }));
    }

    [Test]
    public void PaddingRowGetsNoGradientAndSecondOrderWorks()
    {
        using var scope = Torch.NewScope();
        Tensor w = Torch.Randn([5, 3], DType.Float64).RequiresGrad_();
        Tensor idx = Torch.Tensor<long>([0, 1, 1, 4], [4]);
        // The padding row is read by the forward but gets no gradient on purpose, so finite differences see the
        // lookup without padding; the padding rule is checked directly.
        Assert.That(Autograd.GradCheck(a => Functional.Embedding(idx, a[0]), [w]), Is.True);
        Assert.That(Autograd.GradGradCheck(a => Functional.Embedding(idx, a[0]) * a[0].Sum(), [w]), Is.True);
        Functional.Embedding(idx, w, paddingIdx: 1).Sum().Backward();
        Assert.That(w.Grad!.ToArray<double>(), Is.EqualTo(new double[] { 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 }));
        Tensor wb = Torch.Randn([6, 2], DType.Float64).RequiresGrad_();
        Tensor psw = Torch.Rand([5], DType.Float64).RequiresGrad_();
        Tensor bagIdx = Torch.Tensor<long>([0, 5, 2, 2, 3], [5]);
        Tensor offsets = Torch.Tensor<long>([0, 2], [2]);
        Assert.That(Autograd.GradCheck(a => Functional.EmbeddingBag(bagIdx, a[0], offsets, mode: "sum", perSampleWeights: a[1]), [wb, psw]), Is.True);
        Assert.That(Autograd.GradCheck(a => Functional.EmbeddingBag(bagIdx, a[0], offsets, mode: "max"), [wb]), Is.True);
    }

    [Test]
    public void BadIndicesGiveClearErrors()
    {
        using var scope = Torch.NewScope();
        Tensor w = Torch.Randn(4, 2);
        Assert.That(() => Functional.EmbeddingBag(Torch.Tensor<long>([0, 7], [2]), w, Torch.Tensor<long>([0], [1])),
            Throws.Exception.With.Message.Contains("index 7 is out of range for 4 embeddings"));
        Assert.That(() => Functional.EmbeddingBag(Torch.Tensor<long>([0, 1], [2]), w, Torch.Tensor<long>([1], [1])),
            Throws.Exception.With.Message.Contains("offsets[0] has to be 0"));
        Assert.That(() => Functional.EmbeddingBag(Torch.Tensor<long>([0, 1], [2]), w), Throws.ArgumentException.With.Message.Contains("offsets has to be a 1D Tensor"));
        Assert.That(() => new Embedding(4, 2, paddingIdx: 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
