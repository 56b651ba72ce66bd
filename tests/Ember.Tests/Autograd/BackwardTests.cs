using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>Backward, gradient accumulation, retained and freed graphs, higher order, Autograd.Grad, detach.</summary>
public class BackwardTests
{
    [Test]
    public void TinyGraphGivesHandComputedGradients()
    {
        using Tensor a = Leaf(3.0), w = Leaf(-2.0), b = Leaf(0.5);
        using Tensor prod = a * w;
        using Tensor sum = prod + b;
        using Tensor y = sum.Sum();
        y.Backward();
        AssertClose(a.Grad, [-2.0]);
        AssertClose(w.Grad, [3.0]);
        AssertClose(b.Grad, [1.0]);
        Assert.That(y.GradFn!.Name, Is.EqualTo("SumBackward0"));
        Assert.That(sum.GradFn!.Name, Is.EqualTo("AddBackward0"));
        Assert.That(prod.GradFn!.Name, Is.EqualTo("MulBackward0"));
        Assert.That(y.GradFn.NextFunctions[0].Function!.Name, Is.EqualTo("AddBackward0"));
        Assert.That(prod.GradFn.NextFunctions[0].Function!.Name, Is.EqualTo("AccumulateGrad"));
        Assert.That(sum.GradFn.NextFunctions[0].Function, Is.SameAs(prod.GradFn));
        Assert.That(sum.GradFn.NextFunctions[1].Function!.Name, Is.EqualTo("AccumulateGrad"));
        Assert.That(a.IsLeaf && !y.IsLeaf && y.RequiresGrad && a.GradFn is null, Is.True);
    }

    [Test]
    public void BroadcastGradientsAreSummedBackToEachShape()
    {
        using Tensor x = Pattern([2, 3]).RequiresGrad_();
        using Tensor bias = Leaf(1, 2, 3);
        using Tensor s = Torch.Tensor(2.0).RequiresGrad_();
        using Tensor y = (x * s + bias).Sum();
        y.Backward();
        AssertClose(bias.Grad, [2, 2, 2]);
        AssertClose(x.Grad, [2, 2, 2, 2, 2, 2]);
        AssertClose(s.Grad, [Values(x).Sum()]);
    }

    [Test]
    public void GradientsAccumulateAcrossBackwardsAndConsumers()
    {
        using Tensor x = Leaf(2.0, -1.0);
        // x is used three times: d/dx (x*x + 3x) = 2x + 3.
        using (Tensor y = (x * x + x * 3.0).Sum())
            y.Backward();
        AssertClose(x.Grad, [7.0, 1.0]);
        using (Tensor y = (x * 2.0).Sum())
            y.Backward();
        AssertClose(x.Grad, [9.0, 3.0]);
        Tensor first = x.Grad!;
        using (Tensor y = x.Sum())
            y.Backward();
        Assert.That(x.Grad, Is.SameAs(first), "accumulation without createGraph adds in place");
        AssertClose(x.Grad, [10.0, 4.0]);
    }

    [Test]
    public void BackwardTwiceNeedsRetainGraph()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        AssertClose(x.Grad, [4.0, 8.0]);
        var e = Assert.Throws<AutogradException>(() => y.Backward());
        Assert.That(e!.Message, Does.Contain("backward through the graph a second time").And.Contain("MulBackward0").And.Contain("retainGraph"));
    }

    [Test]
    public void NonScalarOutputsNeedAGradient()
    {
        using Tensor x = Leaf(1.0, 2.0, 3.0);
        using Tensor y = x * 2.0;
        var e = Assert.Throws<AutogradException>(() => y.Backward());
        Assert.That(e!.Message, Does.Contain("implicitly created only for outputs of one element").And.Contain("[3]"));
        using Tensor g = Vec(1.0, 0.5, -1.0);
        y.Backward(g);
        AssertClose(x.Grad, [2.0, 1.0, -2.0]);
        Assert.That(g.IsDisposed, Is.False, "the caller's gradient tensor stays the caller's");
        using Tensor wrong = Vec(1.0, 2.0);
        Assert.Throws<ShapeMismatchException>(() => y.Backward(wrong));
    }

    [Test]
    public void BackwardOfATensorWithoutGradIsAnError()
    {
        using Tensor x = Vec(1.0);
        var e = Assert.Throws<AutogradException>(() => x.Backward());
        Assert.That(e!.Message, Does.Contain("does not require grad"));
        using Tensor leaf = Leaf(2.0);
        leaf.Backward();
        AssertClose(leaf.Grad, [1.0]);
    }

    [Test]
    public void BackwardFromAFullReductionHonoursHooksAndRetainGrad()
    {
        using Tensor x = Leaf(1.0, 2.0, 3.0, 4.0);
        using (Tensor m = (x * 2.0).Mean())
            m.Backward();
        AssertClose(x.Grad, [0.5, 0.5, 0.5, 0.5]);
        x.Grad = null;
        using Tensor y = (x * 2.0).Sum();
        y.RetainGrad();
        y.RegisterHook(g => g * 3.0);
        y.Backward();
        AssertClose(y.Grad, [3.0]);
        AssertClose(x.Grad, [6.0, 6.0, 6.0, 6.0]);
    }

    [Test]
    public void RetainGradKeepsANonLeafGradient()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor h = x * 3.0;
        h.RetainGrad();
        Assert.That(h.RetainsGrad, Is.True);
        using Tensor y = (h * h).Sum();
        y.Backward();
        AssertClose(h.Grad, [6.0, 12.0]);
        AssertClose(x.Grad, [18.0, 36.0]);
        using Tensor other = x * 2.0;
        Assert.That(other.Grad, Is.Null, "non-leaves keep no gradient unless asked");
    }

    [Test]
    public void CreateGraphGivesGradientsOfGradientsToAnyOrder()
    {
        using Tensor x = Leaf(2.0);
        using Tensor y = x * x * x;
        Tensor d1 = Ember.Autograd.Grad(y, x, createGraph: true);
        AssertClose(d1, [12.0]);
        Tensor d2 = Ember.Autograd.Grad(d1, x, createGraph: true);
        AssertClose(d2, [12.0]);
        Tensor d3 = Ember.Autograd.Grad(d2, x, createGraph: true);
        AssertClose(d3, [6.0]);
        Assert.That(d3.RequiresGrad, Is.False, "the third derivative of x^3 is a constant");
        Assert.That(x.Grad, Is.Null, "Autograd.Grad leaves Grad alone");
    }

    [Test]
    public void BackwardWithCreateGraphAccumulatesDifferentiableGradients()
    {
        using Tensor x = Leaf(1.5);
        using (Tensor y = (x * x * x).Sum())
            y.Backward(createGraph: true);
        Tensor grad = x.Grad!;
        Assert.That(grad.RequiresGrad, Is.True);
        AssertClose(grad, [6.75]);
        using Tensor g2 = Ember.Autograd.Grad(grad.Sum(), x);
        AssertClose(g2, [9.0]);
    }

    [Test]
    public void GradReturnsGradientsForSeveralInputsAndReportsUnused()
    {
        using Tensor a = Leaf(1.0, 2.0), b = Leaf(3.0), unused = Leaf(5.0);
        using Tensor y = (a * b).Sum();
        Tensor?[] g = Ember.Autograd.Grad([y], [a, b, unused], retainGraph: true, allowUnused: true);
        AssertClose(g[0], [3.0, 3.0]);
        AssertClose(g[1], [3.0]);
        Assert.That(g[2], Is.Null);
        var e = Assert.Throws<AutogradException>(() => Ember.Autograd.Grad([y], [unused], retainGraph: true));
        Assert.That(e!.Message, Does.Contain("not have been used").And.Contain("allowUnused"));
        using Tensor constant = Vec(1.0);
        Assert.Throws<AutogradException>(() => Ember.Autograd.Grad([y], [constant]));
        Assert.That(a.Grad, Is.Null);
    }

    [Test]
    public void GradWithRespectToAnIntermediateStopsThere()
    {
        using Tensor x = Leaf(2.0);
        using Tensor h = x * x;
        using Tensor y = h * 3.0;
        Tensor gh = Ember.Autograd.Grad(y, h, retainGraph: true);
        AssertClose(gh, [3.0]);
        Tensor?[] both = Ember.Autograd.Grad([y], [h, x, h]);
        AssertClose(both[0], [3.0]);
        AssertClose(both[1], [12.0]);
        AssertClose(both[2], [3.0]);
    }

    [Test]
    public void DetachSharesElementsButNotTheGraph()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor h = x * 2.0;
        using Tensor d = h.Detach();
        Assert.That(d.RequiresGrad || d.GradFn is not null, Is.False);
        Assert.That(d.SharesStorageWith(h), Is.True);
        using Tensor y = (h * d).Sum();
        y.Backward();
        AssertClose(x.Grad, [4.0, 8.0], what: "only the attached factor gets a gradient: d(2x * c)/dx = 2c");

        using Tensor k = x * 3.0;
        k.Detach_();
        Assert.That(k.RequiresGrad || !k.IsLeaf, Is.False);
        Assert.Throws<AutogradException>(() => k.Backward(Vec(1.0, 1.0)));
    }

    [Test]
    public void RequiresGradRules()
    {
        using Tensor i = Torch.Arange(3);
        Assert.Throws<DTypeException>(() => i.RequiresGrad_());
        using Tensor x = Leaf(1.0);
        using Tensor y = x * 2.0;
        Assert.Throws<AutogradException>(() => y.RequiresGrad = false);
        Assert.DoesNotThrow(() => y.RequiresGrad = true);
        x.RequiresGrad = false;
        using Tensor z = x * 2.0;
        Assert.That(z.RequiresGrad, Is.False);
    }

    [Test]
    public void GradCanBeAssignedAndCleared()
    {
        using Tensor x = Leaf(1.0, 2.0);
        x.Grad = Vec(10.0, 20.0);
        using (Tensor y = x.Sum())
            y.Backward();
        AssertClose(x.Grad, [11.0, 21.0]);
        Assert.Throws<ShapeMismatchException>(() => x.Grad = Vec(1.0));
        Tensor old = x.Grad!;
        x.Grad = null;
        Assert.That(x.Grad, Is.Null);
        Assert.That(old.IsDisposed, Is.False, "clearing Grad hands the old tensor back to whoever holds it");
        old.Dispose();
    }

    [Test]
    public void GradientsDoNotDependOnTheCallersScope()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using (Torch.NewScope())
        {
            Tensor y = (x * x).Sum();
            y.Backward();
        }
        Assert.That(x.Grad!.IsDisposed, Is.False, "the leaf owns its gradient");
        AssertClose(x.Grad, [2.0, 4.0]);
    }
}
