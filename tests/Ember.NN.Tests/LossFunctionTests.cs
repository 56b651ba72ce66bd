using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// The losses and distances against PyTorch (Data/nn_losses.json from tests/reference/make_nn_losses.py): values and
/// gradients in float64 through the functions and through the modules, plus the errors for bad arguments.
/// </summary>
public class LossFunctionTests
{
    private static readonly Lazy<JsonElement[]> s_cases = new(() =>
        [.. RefData.Load("nn_losses").GetProperty("cases").EnumerateArray()]);

    public static IEnumerable<string> CaseNames => s_cases.Value.Select(c => c.GetProperty("name").GetString()!);

    private static JsonElement Case(string name) => s_cases.Value.Single(c => c.GetProperty("name").GetString() == name);

    private static double Number(JsonElement v) => v.ValueKind == JsonValueKind.String
        ? v.GetString() switch
        {
            "inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => double.NaN,
        }
        : v.GetDouble();

    private static Tensor Load(JsonElement e)
    {
        long[] shape = RefData.Shape(e);
        JsonElement data = e.GetProperty("data");
        if (e.GetProperty("dtype").GetString() == "int64")
            return Torch.Tensor<long>(data.EnumerateArray().Select(v => v.GetInt64()).ToArray(), shape);
        return Torch.Tensor<double>(data.EnumerateArray().Select(Number).ToArray(), shape);
    }

    private static void AssertClose(Tensor actual, JsonElement expected, string what, double rtol = 1e-7, double atol = 1e-10)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(RefData.Shape(expected)), $"{what}: shape");
        using Tensor a64 = actual.To(DType.Float64);
        double[] got = a64.ToArray<double>();
        double[] want = expected.GetProperty("data").EnumerateArray().Select(Number).ToArray();
        for (int i = 0; i < want.Length; i++)
        {
            if (double.IsNaN(want[i]) || double.IsInfinity(want[i]))
            {
                Assert.That(got[i], Is.EqualTo(want[i]), $"{what}: element {i}");
                continue;
            }
            double tol = atol + rtol * Math.Abs(want[i]);
            if (!(Math.Abs(got[i] - want[i]) <= tol))
                Assert.Fail($"{what}: element {i} is {got[i]}, expected {want[i]} (tolerance {tol})");
        }
    }

    private sealed class Options(JsonElement kwargs)
    {
        public string Reduction => Str("reduction", "mean");

        public double Num(string key, double fallback) => kwargs.TryGetProperty(key, out JsonElement v) ? Number(v) : fallback;

        public long Long(string key, long fallback) => kwargs.TryGetProperty(key, out JsonElement v) ? v.GetInt64() : fallback;

        public bool Bool(string key, bool fallback = false) => kwargs.TryGetProperty(key, out JsonElement v) ? v.GetBoolean() : fallback;

        public string Str(string key, string fallback) => kwargs.TryGetProperty(key, out JsonElement v) ? v.GetString()! : fallback;

        public Reduction ModuleReduction => Reduction switch
        {
            "none" => NN.Reduction.None,
            "sum" => NN.Reduction.Sum,
            "batchmean" => NN.Reduction.BatchMean,
            _ => NN.Reduction.Mean,
        };
    }

    private static Tensor? At(Tensor[] a, int i) => i < a.Length ? a[i] : null;

    private static Tensor Functional_(string fn, Tensor[] a, Options o) => fn switch
    {
        "l1_loss" => Functional.L1Loss(a[0], a[1], o.Reduction),
        "smooth_l1_loss" => Functional.SmoothL1Loss(a[0], a[1], o.Reduction, o.Num("beta", 1.0)),
        "huber_loss" => Functional.HuberLoss(a[0], a[1], o.Reduction, o.Num("delta", 1.0)),
        "mse_loss" => Functional.MseLoss(a[0], a[1], o.Reduction),
        "binary_cross_entropy" => Functional.BinaryCrossEntropy(a[0], a[1], At(a, 2), o.Reduction),
        "binary_cross_entropy_with_logits" => Functional.BinaryCrossEntropyWithLogits(a[0], a[1], At(a, 2), o.Reduction, At(a, 3)),
        "kl_div" => Functional.KlDiv(a[0], a[1], o.Reduction, o.Bool("log_target")),
        "poisson_nll_loss" => Functional.PoissonNllLoss(a[0], a[1], o.Bool("log_input", true), o.Bool("full"), o.Num("eps", 1e-8), o.Reduction),
        "gaussian_nll_loss" => Functional.GaussianNllLoss(a[0], a[1], a[2], o.Bool("full"), o.Num("eps", 1e-6), o.Reduction),
        "cosine_embedding_loss" => Functional.CosineEmbeddingLoss(a[0], a[1], a[2], o.Num("margin", 0), o.Reduction),
        "margin_ranking_loss" => Functional.MarginRankingLoss(a[0], a[1], a[2], o.Num("margin", 0), o.Reduction),
        "triplet_margin_loss" => Functional.TripletMarginLoss(a[0], a[1], a[2], o.Num("margin", 1.0), o.Num("p", 2), o.Num("eps", 1e-6), o.Bool("swap"), o.Reduction),
        "cross_entropy" => Functional.CrossEntropy(a[0], a[1], At(a, 2), o.Long("ignore_index", -100), o.Reduction, o.Num("label_smoothing", 0)),
        "nll_loss" => Functional.NllLoss(a[0], a[1], At(a, 2), o.Long("ignore_index", -100), o.Reduction),
        "ctc_loss" => Functional.CtcLoss(a[0], a[1], a[2], a[3], o.Long("blank", 0), o.Reduction, o.Bool("zero_infinity")),
        "cosine_similarity" => Functional.CosineSimilarity(a[0], a[1], (int)o.Long("dim", 1), o.Num("eps", 1e-8)),
        "pairwise_distance" => Functional.PairwiseDistance(a[0], a[1], o.Num("p", 2), o.Num("eps", 1e-6), o.Bool("keepdim")),
        "cdist" => Torch.Cdist(a[0], a[1], o.Num("p", 2), o.Str("compute_mode", "use_mm_for_euclid_dist_if_necessary")),
        _ => throw new InvalidOperationException($"no function for {fn}"),
    };

    // The same computation through the module, where PyTorch has one (null otherwise).
    private static Tensor? Module_(string fn, Tensor[] a, Options o)
    {
        Reduction red = o.ModuleReduction;
        switch (fn)
        {
            case "l1_loss": using (var m = new L1Loss(red)) return m.Call(a[0], a[1]);
            case "smooth_l1_loss": using (var m = new SmoothL1Loss(red, o.Num("beta", 1.0))) return m.Call(a[0], a[1]);
            case "huber_loss": using (var m = new HuberLoss(red, o.Num("delta", 1.0))) return m.Call(a[0], a[1]);
            case "binary_cross_entropy": using (var m = new BCELoss(At(a, 2), red)) return m.Call(a[0], a[1]);
            case "binary_cross_entropy_with_logits": using (var m = new BCEWithLogitsLoss(At(a, 2), red, At(a, 3))) return m.Call(a[0], a[1]);
            case "kl_div": using (var m = new KLDivLoss(red, o.Bool("log_target"))) return m.Call(a[0], a[1]);
            case "poisson_nll_loss": using (var m = new PoissonNLLLoss(o.Bool("log_input", true), o.Bool("full"), o.Num("eps", 1e-8), red)) return m.Call(a[0], a[1]);
            case "gaussian_nll_loss": using (var m = new GaussianNLLLoss(o.Bool("full"), o.Num("eps", 1e-6), red)) return m.Call(a[0], a[1], a[2]);
            case "cosine_embedding_loss": using (var m = new CosineEmbeddingLoss(o.Num("margin", 0), red)) return m.Call(a[0], a[1], a[2]);
            case "margin_ranking_loss": using (var m = new MarginRankingLoss(o.Num("margin", 0), red)) return m.Call(a[0], a[1], a[2]);
            case "triplet_margin_loss":
                using (var m = new TripletMarginLoss(o.Num("margin", 1.0), o.Num("p", 2), o.Num("eps", 1e-6), o.Bool("swap"), red)) return m.Call(a[0], a[1], a[2]);
            case "cross_entropy":
                using (var m = new CrossEntropyLoss(At(a, 2), o.Long("ignore_index", -100), red, o.Num("label_smoothing", 0))) return m.Call(a[0], a[1]);
            case "ctc_loss": using (var m = new CTCLoss(o.Long("blank", 0), red, o.Bool("zero_infinity"))) return m.Call(a[0], a[1], a[2], a[3]);
            case "cosine_similarity": using (var m = new CosineSimilarity((int)o.Long("dim", 1), o.Num("eps", 1e-8))) return m.Call(a[0], a[1]);
            case "pairwise_distance": using (var m = new PairwiseDistance(o.Num("p", 2), o.Num("eps", 1e-6), o.Bool("keepdim"))) return m.Call(a[0], a[1]);
            default: return null;
        }
    }

    [TestCaseSource(nameof(CaseNames))]
    public void MatchesPyTorch(string name)
    {
        JsonElement c = Case(name);
        using TensorScope scope = Torch.NewScope();
        string fn = c.GetProperty("fn").GetString()!;
        var o = new Options(c.GetProperty("kwargs"));
        bool[] grad = c.GetProperty("requires_grad").EnumerateArray().Select(v => v.GetBoolean()).ToArray();
        Tensor[] args = c.GetProperty("args").EnumerateArray().Select(Load).ToArray();
        for (int i = 0; i < args.Length; i++)
            if (grad[i])
                args[i].RequiresGrad_();

        Tensor output = Functional_(fn, args, o);
        AssertClose(output, c.GetProperty("output"), $"{name} output");
        Tensor gradOut = Load(c.GetProperty("grad_out"));
        if (grad.Any(g => g))
        {
            (output * gradOut).Sum().Backward();
            JsonElement[] expected = [.. c.GetProperty("grads").EnumerateArray()];
            for (int i = 0; i < args.Length; i++)
            {
                if (!grad[i])
                    continue;
                Assert.That(args[i].Grad, Is.Not.Null, $"{name}: grad of argument {i}");
                AssertClose(args[i].Grad!, expected[i], $"{name} grad of argument {i}", rtol: 1e-6, atol: 1e-9);
            }
        }

        Tensor[] detached = args.Select(a => a.Detach()).ToArray();
        Tensor? viaModule = Module_(fn, detached, o);
        if (viaModule is not null)
            AssertClose(viaModule, c.GetProperty("output"), $"{name} module output");
    }

    [Test]
    public void CtcLossInFloat32MatchesTheFloat64Reference()
    {
        JsonElement c = Case("ctc_padded_none");
        using TensorScope scope = Torch.NewScope();
        Tensor[] args = c.GetProperty("args").EnumerateArray().Select(Load).ToArray();
        Tensor lp = args[0].To(DType.Float32).RequiresGrad_();
        Tensor loss = Functional.CtcLoss(lp, args[1], args[2], args[3], reduction: "none");
        Assert.That(loss.DType, Is.EqualTo(DType.Float32));
        AssertClose(loss, c.GetProperty("output"), "float32 ctc", rtol: 1e-5, atol: 1e-5);
        (loss * Load(c.GetProperty("grad_out")).To(DType.Float32)).Sum().Backward();
        AssertClose(lp.Grad!, c.GetProperty("grads")[0], "float32 ctc grad", rtol: 1e-4, atol: 1e-5);
    }

    [Test]
    public void CtcLossTakesLengthArraysAndInt32Targets()
    {
        JsonElement c = Case("ctc_padded_sum");
        using TensorScope scope = Torch.NewScope();
        Tensor[] args = c.GetProperty("args").EnumerateArray().Select(Load).ToArray();
        Tensor loss = Functional.CtcLoss(args[0], args[1].To(DType.Int32), args[2].ToArray<long>(), args[3].ToArray<long>(), reduction: "sum");
        AssertClose(loss, c.GetProperty("output"), "ctc with arrays");
    }

    [Test]
    public void CtcLossIsNotTwiceDifferentiable()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor lp = Torch.Randn([5, 1, 3], DType.Float64).RequiresGrad_();
        Tensor logp = Functional.LogSoftmax(lp, 2);
        Tensor loss = Functional.CtcLoss(logp, Torch.Tensor<long>([1, 2], [1, 2]), [5L], [2L]);
        Tensor g = Torch.Ones([], DType.Float64).RequiresGrad_();
        Assert.That(() => Ember.Autograd.Grad([loss], [lp], [g], createGraph: true),
            Throws.TypeOf<NotSupportedException>().With.Message.Contains("ctc_loss"));
    }

    [Test]
    public void BadArgumentsNameTheOp()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor x = Torch.Rand([3, 4], DType.Float64), y = Torch.Rand([3, 4], DType.Float64);
        Assert.That(() => Functional.BinaryCrossEntropy(x, Torch.Rand([4, 3], DType.Float64)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("BinaryCrossEntropy").And.Message.Contains("[4, 3]"));
        Assert.That(() => Functional.BinaryCrossEntropy(x + 1.5, y),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("between 0 and 1"));
        Assert.That(() => Functional.L1Loss(x, y, "batchmean"), Throws.InstanceOf<ArgumentException>().With.Message.Contains("L1Loss"));
        Assert.That(() => Functional.SmoothL1Loss(x, y, beta: -1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Functional.HuberLoss(x, y, delta: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => Functional.GaussianNllLoss(x, y, Torch.Rand([4], DType.Float64)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("GaussianNllLoss").And.Message.Contains("incorrect size"));
        Assert.That(() => Functional.GaussianNllLoss(x, y, -y), Throws.InstanceOf<ArgumentException>().With.Message.Contains("negative"));
        Assert.That(() => Functional.CosineEmbeddingLoss(x, y, Torch.Ones([3, 1], DType.Float64)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("CosineEmbeddingLoss"));
        Assert.That(() => Functional.TripletMarginLoss(x, y, Torch.Rand([4], DType.Float64)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("TripletMarginLoss").And.Message.Contains("1D"));
        Assert.That(() => Torch.Cdist(x, Torch.Rand([2, 5], DType.Float64)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("Cdist").And.Message.Contains("columns"));
        Assert.That(() => Torch.Cdist(x, Torch.Ones([2, 4], DType.Int64)), Throws.InstanceOf<ArgumentException>().With.Message.Contains("floating"));
        Assert.That(() => Functional.CrossEntropy(Torch.Rand([2, 3, 4]), Torch.Zeros([2, 3], DType.Int64)),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("[2, 4]"));

        Tensor lp = Torch.Rand([5, 2, 4]);
        Tensor targets = Torch.Tensor<long>([1, 2, 3, 1], [2, 2]);
        Assert.That(() => Functional.CtcLoss(lp, targets, [5L, 6L], [2L, 2L]),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("ctc_loss").And.Message.Contains("input_lengths"));
        Assert.That(() => Functional.CtcLoss(lp, targets, [5L, 5L], [2L, 3L]),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("ctc_loss").And.Message.Contains("target_lengths"));
        Assert.That(() => Functional.CtcLoss(lp, Torch.Tensor<long>([1, 2, 3, 4], [2, 2]), [5L, 5L], [2L, 2L]),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("ctc_loss").And.Message.Contains("out of bounds"));
        Assert.That(() => Functional.CtcLoss(lp, targets, [5L, 5L], [2L, 2L], blank: 4),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("blank"));
        Assert.That(() => Functional.CtcLoss(lp, targets.To(DType.Float32), [5L, 5L], [2L, 2L]),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("ctc_loss").And.Message.Contains("float32"));
        Assert.That(() => Functional.CtcLoss(lp, Torch.Tensor<long>([1, 2, 3], [3]), [5L, 5L], [2L, 2L]),
            Throws.InstanceOf<ArgumentException>().With.Message.Contains("concatenated"));
    }
}
