using F = Ember.Functional;
using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// Ember.Functional beyond the gradient table (whose cases compare values and gradients with PyTorch):
/// comparisons and arg reductions, dropout's statistics, argument checks, and identities between losses.
/// </summary>
public class FunctionalTests
{
    [Test]
    public void ComparisonsBroadcastAndGiveBool()
    {
        using Tensor a = T([1, 2, 3, 4], 2, 2);
        using Tensor b = Vec(2, 2);
        using Tensor eq = a.Eq(b), ne = a.Ne(b), lt = a.Lt(b), le = a.Le(b), gt = a.Gt(b), ge = a.Ge(b);
        Assert.That(eq.DType, Is.EqualTo(DType.Bool));
        Assert.That(eq.ToArray<bool>(), Is.EqualTo(new[] { false, true, false, false }));
        Assert.That(ne.ToArray<bool>(), Is.EqualTo(new[] { true, false, true, true }));
        Assert.That(lt.ToArray<bool>(), Is.EqualTo(new[] { true, false, false, false }));
        Assert.That(le.ToArray<bool>(), Is.EqualTo(new[] { true, true, false, false }));
        Assert.That(gt.ToArray<bool>(), Is.EqualTo(new[] { false, false, true, true }));
        Assert.That(ge.ToArray<bool>(), Is.EqualTo(new[] { false, true, true, true }));
        using Tensor s1 = a.Gt(2.5), s2 = a.Eq(4L), s3 = a.Le(1L), s4 = a.Ne(3.0), s5 = a.Lt(2L), s6 = a.Ge(3.0);
        Assert.That(s1.ToArray<bool>(), Is.EqualTo(new[] { false, false, true, true }));
        Assert.That(s2.ToArray<bool>(), Is.EqualTo(new[] { false, false, false, true }));
        Assert.That(s3.ToArray<bool>(), Is.EqualTo(new[] { true, false, false, false }));
        Assert.That(s4.ToArray<bool>(), Is.EqualTo(new[] { true, true, false, true }));
        Assert.That(s5.ToArray<bool>(), Is.EqualTo(new[] { true, false, false, false }));
        Assert.That(s6.ToArray<bool>(), Is.EqualTo(new[] { false, false, true, true }));
        using Tensor x = Leaf(1.0);
        using Tensor c = x.Gt(0.0);
        Assert.That(c.RequiresGrad, Is.False, "comparisons have no gradient");
    }

    [Test]
    public void ArgMaxAndMaxAlongADim()
    {
        using Tensor a = T([1, 7, 3, 9, 2, 9], 2, 3);
        using Tensor am = a.ArgMax(1);
        Assert.That(am.ToArray<long>(), Is.EqualTo(new long[] { 1, 0 }), "the first maximum wins");
        using Tensor amk = a.ArgMax(0, keepdim: true);
        Assert.That(amk.Shape.ToArray(), Is.EqualTo(new long[] { 1, 3 }));
        Assert.That(amk.ToArray<long>(), Is.EqualTo(new long[] { 1, 0, 1 }));
        using Tensor flat = a.ArgMax();
        Assert.That(flat.Dim, Is.EqualTo(0));
        Assert.That(flat.Item<long>(), Is.EqualTo(3));
        (Tensor values, Tensor indices) = a.Max(1);
        using (values)
        using (indices)
        {
            AssertClose(values, [7, 9]);
            Assert.That(indices.ToArray<long>(), Is.EqualTo(new long[] { 1, 0 }));
        }
        using Tensor x = T([1, 7, 3, 9, 2, 9], 2, 3).RequiresGrad_();
        (Tensor v, Tensor i) = x.Max(1, keepdim: true);
        Assert.That(v.GradFn!.Name, Is.EqualTo("MaxBackward0"));
        Assert.That(i.RequiresGrad, Is.False);
        using (Tensor s = v.Sum())
            s.Backward();
        AssertClose(x.Grad, [0, 1, 0, 1, 0, 0], what: "the gradient goes to the first maximum only");
    }

    [Test]
    public void DropoutKeepsScaledElementsWithProbabilityOneMinusP()
    {
        using Tensor x = Torch.Ones([100_000], DType.Float64);
        using var g = new Generator(123);
        using Tensor y = F.Dropout(x, 0.3, training: true, g);
        double[] v = y.ToArray<double>();
        double kept = v.Count(e => e != 0) / (double)v.Length;
        Assert.That(kept, Is.EqualTo(0.7).Within(0.01));
        Assert.That(v.Where(e => e != 0).Distinct(), Is.EqualTo(new[] { 1 / 0.7 }).Within(1e-12));
        using Tensor eval = F.Dropout(x, 0.3, training: false);
        Assert.That(eval.ToArray<double>(), Is.EqualTo(x.ToArray<double>()));
        using Tensor noDrop = F.Dropout(x, 0.0);
        Assert.That(noDrop.SharesStorageWith(x), Is.True, "p = 0 returns an alias");
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using Tensor r1 = F.Dropout(x, 0.5, true, g1), r2 = F.Dropout(x, 0.5, true, g2);
        Assert.That(r1.ToArray<double>(), Is.EqualTo(r2.ToArray<double>()), "the same seed gives the same mask");
    }

    [Test]
    public void Dropout2dDropsWholeChannels()
    {
        using Tensor x = Torch.Ones([8, 16, 3, 3], DType.Float64);
        using var g = new Generator(9);
        using Tensor y = F.Dropout2d(x, 0.5, true, g);
        double[] v = y.ToArray<double>();
        int dropped = 0;
        for (int c = 0; c < 8 * 16; c++)
        {
            var channel = v.Skip(c * 9).Take(9).Distinct().ToArray();
            Assert.That(channel, Has.Length.EqualTo(1), $"channel {c} is all kept or all dropped");
            Assert.That(channel[0], Is.EqualTo(0.0).Or.EqualTo(2.0));
            dropped += channel[0] == 0 ? 1 : 0;
        }
        Assert.That(dropped, Is.InRange(30, 98));
    }

    [Test]
    public void CrossEntropyIsNllOfLogSoftmax()
    {
        using Tensor logits = Pattern([5, 4]);
        using Tensor target = Torch.Tensor<long>([3, 0, 1, 1, 2], [5]);
        using Tensor weight = Vec(1.0, 2.0, 0.5, 1.5);
        foreach (string reduction in new[] { "mean", "sum", "none" })
        {
            using Tensor ce = F.CrossEntropy(logits, target, weight, ignoreIndex: 1, reduction: reduction);
            using Tensor logp = F.LogSoftmax(logits, 1);
            using Tensor nll = F.NllLoss(logp, target, weight, ignoreIndex: 1, reduction: reduction);
            AssertClose(ce, Values(nll), 1e-12, reduction);
        }
    }

    [Test]
    public void NllLossWeightsTheMeanByTheTargetsWeights()
    {
        // Hand-computed: -(w0 * lp[0,0] + w2 * lp[1,2]) / (w0 + w2)
        using Tensor logp = T([-1, -2, -3, -0.5, -1.5, -2.5], 2, 3);
        using Tensor target = Torch.Tensor<long>([0, 2], [2]);
        using Tensor weight = Vec(2.0, 1.0, 4.0);
        using Tensor loss = F.NllLoss(logp, target, weight);
        AssertClose(loss, [(2 * 1.0 + 4 * 2.5) / 6.0]);
        using Tensor ignored = F.NllLoss(logp, target, weight, ignoreIndex: 2, reduction: "sum");
        AssertClose(ignored, [2.0]);
    }

    [Test]
    public void MseLossAndSoftmaxSmallCases()
    {
        using Tensor a = Vec(1, 2, 3), b = Vec(1, 0, 6);
        using Tensor mean = F.MseLoss(a, b), sum = F.MseLoss(a, b, "sum"), none = F.MseLoss(a, b, "none");
        AssertClose(mean, [13.0 / 3]);
        AssertClose(sum, [13.0]);
        AssertClose(none, [0, 4, 9]);
        using Tensor s = F.Softmax(Vec(0.0, Math.Log(3.0)), 0);
        AssertClose(s, [0.25, 0.75]);
        using Tensor r = F.Relu(Vec(-1, 0, 2));
        AssertClose(r, [0, 0, 2]);
    }

    [Test]
    public void BadArgumentsAreClearErrors()
    {
        using Tensor x = Pattern([1, 1, 4, 4]);
        using Tensor target = Torch.Tensor<long>([0], [1]);
        var e = Assert.Throws<ArgumentException>(() => F.MseLoss(x, x, "average"));
        Assert.That(e!.Message, Does.Contain("average").And.Contain("reduction"));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(x, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => F.CrossEntropy(x.View(1, 16), target, labelSmoothing: 2));
        Assert.Throws<ArgumentException>(() => F.MaxPool2d(x, ReadOnlySpan<long>.Empty));
        Assert.Throws<ArgumentException>(() => F.Conv2d(x, x, null, stride: [1, 1, 1]));
        using Tensor w = Pattern([3]).RequiresGrad_();
        using Tensor logp = Pattern([2, 3]);
        using Tensor t2 = Torch.Tensor<long>([0, 1], [2]);
        Assert.Throws<ArgumentException>(() => F.NllLoss(logp, t2, w), "a weight that requires grad is refused, as PyTorch cannot differentiate it");
    }
}
