namespace Ember.NN.Tests;

/// <summary>Default initialisation follows PyTorch's distributions: bounds, means and variances.</summary>
public class InitTests
{
    private static (double Min, double Max, double Mean, double Var) Moments(Tensor t)
    {
        using Tensor t64 = t.To(DType.Float64);
        double[] v = t64.ToArray<double>();
        double mean = v.Average();
        return (v.Min(), v.Max(), mean, v.Select(x => (x - mean) * (x - mean)).Average());
    }

    /// <summary>U(-b, b): within the bounds, mean 0 and variance b²/3, within 5 standard errors.</summary>
    private static void AssertUniform(Tensor t, double bound)
    {
        (double min, double max, double mean, double var) = Moments(t);
        long n = t.NumEl;
        Assert.That(min, Is.GreaterThanOrEqualTo(-bound));
        Assert.That(max, Is.LessThanOrEqualTo(bound));
        Assert.That(max, Is.GreaterThan(bound * 0.9), "samples reach near the bound");
        Assert.That(mean, Is.EqualTo(0).Within(5 * bound / Math.Sqrt(3 * n)));
        Assert.That(var, Is.EqualTo(bound * bound / 3).Within(5 * bound * bound * 0.2981 / Math.Sqrt(n)));
    }

    [Test]
    public void LinearDefaultIsUniformOverOneOverSqrtFanIn()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(11);
        using var linear = new Linear(784, 512);
        AssertUniform(linear.Weight, 1 / Math.Sqrt(784));
        AssertUniform(linear.Bias!, 1 / Math.Sqrt(784));
        Assert.That(linear.Weight.Shape.ToArray(), Is.EqualTo(new long[] { 512, 784 }));
    }

    [Test]
    public void Conv2dDefaultUsesFanInOfChannelsTimesKernel()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(12);
        using var conv = new Conv2d(10, 200, 5);
        AssertUniform(conv.Weight, 1 / Math.Sqrt(10 * 25));
        Assert.That(conv.Weight.Shape.ToArray(), Is.EqualTo(new long[] { 200, 10, 5, 5 }));
    }

    [Test]
    public void KaimingXavierNormalAndConstants()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(13);
        Tensor w = Torch.Empty(400, 300);
        Init.KaimingNormal_(w, mode: "fan_out", nonlinearity: "relu");
        (_, _, double mean, double var) = Moments(w);
        double std = Math.Sqrt(2.0) / Math.Sqrt(400);
        Assert.That(mean, Is.EqualTo(0).Within(5 * std / Math.Sqrt(120000)));
        Assert.That(Math.Sqrt(var), Is.EqualTo(std).Within(0.02 * std));

        Init.XavierUniform_(w, gain: Init.CalculateGain("tanh"));
        AssertUniform(w, 5.0 / 3 * Math.Sqrt(6.0 / 700));

        Init.Constant_(w, 0.25);
        Assert.That(w.ToArray<float>(), Is.All.EqualTo(0.25f));
        Init.Eye_(w);
        float[] eye = w.ToArray<float>();
        Assert.That(eye.Sum(), Is.EqualTo(300f));
        Assert.That(eye[301], Is.EqualTo(1f));
        Assert.That(Init.CalculateGain("leaky_relu", 0.2), Is.EqualTo(Math.Sqrt(2 / 1.04)).Within(1e-15));
        Assert.That(() => Init.KaimingUniform_(Torch.Empty(3)), Throws.ArgumentException.With.Message.Contains("fewer than 2"));
    }

    [Test]
    public void ClipGradNormScalesToTheMaximum()
    {
        using var scope = Torch.NewScope();
        var a = new Parameter(Torch.Tensor(new float[] { 1, 2 }));
        var b = new Parameter(Torch.Tensor(new float[] { 2 }));
        a.Grad = Torch.Tensor(new float[] { 2, 4 });
        b.Grad = Torch.Tensor(new float[] { 4 }); // norm 6
        double norm = Utils.ClipGradNorm_([a, b], 3);
        Assert.That(norm, Is.EqualTo(6).Within(1e-6));
        Assert.That(a.Grad!.ToArray<float>(), Is.EqualTo(new[] { 1f, 2f }).Within(1e-5));
        Assert.That(b.Grad!.ToArray<float>(), Is.EqualTo(new[] { 2f }).Within(1e-5));
        Assert.That(Utils.ClipGradNorm_([a, b], 100, double.PositiveInfinity), Is.EqualTo(2).Within(1e-5));
    }
}
