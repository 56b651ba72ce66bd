using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// Bilinear against PyTorch (Data/extra_layers.json, made by tests/reference/make_nn_extra_layers.py), Unflatten,
/// AlphaDropout's values and moments, and the orthogonal and truncated-normal initialisers.
/// </summary>
public class ExtraLayerTests
{
    [Test]
    public void BilinearMatchesPyTorch()
    {
        JsonElement c = RefData.Load("extra_layers").GetProperty("bilinear");
        using var scope = Torch.NewScope();
        using var layer = new Bilinear(4, 5, 3);
        Assert.That(layer.StateDict().Keys, Is.EqualTo(new[] { "weight", "bias" }));
        layer.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = RefData.Tensor(c.GetProperty("weight")), ["bias"] = RefData.Tensor(c.GetProperty("bias")) });
        Tensor x1 = RefData.Tensor(c.GetProperty("x1")).RequiresGrad_(), x2 = RefData.Tensor(c.GetProperty("x2")).RequiresGrad_();
        Tensor y = layer.Call(x1, x2);
        RefData.AssertClose(y, c.GetProperty("output"), rtol: 1e-5, atol: 1e-5, what: "output");
        y.Backward(RefData.Tensor(c.GetProperty("grad_out")));
        RefData.AssertClose(x1.Grad!, c.GetProperty("grad_x1"), rtol: 1e-5, atol: 1e-5, what: "grad x1");
        RefData.AssertClose(x2.Grad!, c.GetProperty("grad_x2"), rtol: 1e-5, atol: 1e-5, what: "grad x2");
        RefData.AssertClose(layer.Weight.Grad!, c.GetProperty("grad_weight"), rtol: 1e-5, atol: 1e-5, what: "grad weight");
        RefData.AssertClose(layer.Bias!.Grad!, c.GetProperty("grad_bias"), rtol: 1e-5, atol: 1e-5, what: "grad bias");
        Assert.That(layer.ToString(), Is.EqualTo("Bilinear(in1_features=4, in2_features=5, out_features=3, bias=True)"));
        Assert.That(() => layer.Call(Torch.Zeros(2, 4), Torch.Zeros(3, 5)), Throws.ArgumentException.With.Message.Contains("same leading dims"));
    }

    [Test]
    public void BilinearDefaultInitIsUniformWithinOneOverSqrtIn1()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(1);
        using var layer = new Bilinear(16, 7, 40);
        double bound = 1 / Math.Sqrt(16);
        float[] w = layer.Weight.ToArray<float>();
        Assert.That(w.Max(), Is.LessThanOrEqualTo(bound).And.GreaterThan(0.95 * bound));
        Assert.That(w.Min(), Is.GreaterThanOrEqualTo(-bound).And.LessThan(-0.95 * bound));
        // U(-b, b) has variance b²/3; 4480 samples put the estimate within a few percent.
        double variance = w.Select(v => (double)v * v).Average();
        Assert.That(variance, Is.EqualTo(bound * bound / 3).Within(0.1 * bound * bound / 3));
    }

    [Test]
    public void UnflattenExpandsOneDim()
    {
        using var scope = Torch.NewScope();
        using var m = new Unflatten(1, 2, -1);
        Tensor y = m.Call(Torch.Arange(24).Reshape(2, 12));
        Assert.That(y.Shape.ToArray(), Is.EqualTo(new long[] { 2, 2, 6 }));
        Assert.That(y.ToArray<long>(), Is.EqualTo(Enumerable.Range(0, 24).Select(i => (long)i).ToArray()));
        Assert.That(m.ToString(), Is.EqualTo("Unflatten(dim=1, unflattened_size=(2, -1))"));
        using var bad = new Unflatten(1, 5, 2);
        Assert.That(() => bad.Call(Torch.Zeros(2, 12)), Throws.Exception);
    }

    [Test]
    public void AlphaDropoutKeepsZeroMeanUnitVarianceAndIsIdentityInEval()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(2);
        const double p = 0.2, alpha = 1.7580993408473766;
        double a = 1 / Math.Sqrt((alpha * alpha * p + 1) * (1 - p));
        using var m = new AlphaDropout(p);
        Tensor x = Torch.Randn([200000], DType.Float64);
        Tensor y = m.Call(x);
        double[] xs = x.ToArray<double>(), ys = y.ToArray<double>();
        int dropped = 0;
        for (int i = 0; i < xs.Length; i++)
        {
            double kept = xs[i] * a + alpha * a * p, gone = -alpha * a + alpha * a * p;
            if (Math.Abs(ys[i] - gone) < 1e-12)
                dropped++;
            else
                Assert.That(ys[i], Is.EqualTo(kept).Within(1e-12), $"element {i}");
        }
        Assert.That(dropped / (double)xs.Length, Is.EqualTo(p).Within(0.01));
        Assert.That(ys.Average(), Is.EqualTo(0).Within(0.02));
        Assert.That(ys.Select(v => v * v).Average(), Is.EqualTo(1).Within(0.02));
        m.Eval();
        Assert.That(ReferenceEquals(m.Call(x), x), Is.True);
        Assert.That(m.ToString(), Is.EqualTo("AlphaDropout(p=0.2, inplace=False)"));
    }

    [TestCase(3, 5)]
    [TestCase(6, 2)]
    public void OrthogonalGivesOrthonormalRowsOrColumns(int rows, int cols)
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(3);
        Tensor w = Init.Orthogonal_(Torch.Empty([rows, cols], DType.Float64), gain: 2.0);
        // The smaller Gram matrix is gain² I.
        Tensor gram = rows <= cols ? w.MatMul(w.T) : w.T.MatMul(w);
        int n = Math.Min(rows, cols);
        double[] g = gram.ToArray<double>();
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < n; j++)
                Assert.That(g[i * n + j], Is.EqualTo(i == j ? 4.0 : 0.0).Within(1e-10), $"gram[{i},{j}]");
        }
        Tensor conv = Init.Orthogonal_(Torch.Empty([4, 2, 3], DType.Float32));
        double[] flat = conv.Reshape(4, 6).To(DType.Float64).ToArray<double>();
        for (int i = 0; i < 4; i++)
            Assert.That(Enumerable.Range(0, 6).Sum(k => flat[i * 6 + k] * flat[i * 6 + k]), Is.EqualTo(1.0).Within(1e-5));
        Assert.That(() => Init.Orthogonal_(Torch.Empty([3])), Throws.ArgumentException);
    }

    [Test]
    public void TruncNormalStaysInBoundsWithTheTruncatedMoments()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(4);
        foreach (JsonElement c in RefData.Load("extra_layers").GetProperty("trunc_normal").EnumerateArray())
        {
            double mean = c.GetProperty("mean").GetDouble(), std = c.GetProperty("std").GetDouble();
            double a = c.GetProperty("a").GetDouble(), b = c.GetProperty("b").GetDouble();
            double[] v = Init.TruncNormal_(Torch.Empty([400000], DType.Float64), mean, std, a, b).ToArray<double>();
            Assert.That(v.Min(), Is.GreaterThanOrEqualTo(a));
            Assert.That(v.Max(), Is.LessThanOrEqualTo(b));
            double m = v.Average(), variance = v.Select(x => (x - m) * (x - m)).Average();
            Assert.That(m, Is.EqualTo(c.GetProperty("expected_mean").GetDouble()).Within(0.01 * std), $"mean of {mean}, {std}, [{a}, {b}]");
            Assert.That(variance / c.GetProperty("expected_var").GetDouble(), Is.EqualTo(1).Within(0.02), $"variance of {mean}, {std}, [{a}, {b}]");
        }
    }
}
