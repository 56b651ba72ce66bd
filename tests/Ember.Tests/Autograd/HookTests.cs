using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>Tensor hooks (observing and replacing gradients) and post-accumulate-grad hooks.</summary>
public class HookTests
{
    [Test]
    public void LeafHookCanReplaceTheGradient()
    {
        using Tensor x = Leaf(1.0, 2.0);
        Tensor? seen = null;
        using RemovableHandle handle = x.RegisterHook(g =>
        {
            seen = g;
            return g * 10.0;
        });
        using (Tensor y = (x * x).Sum())
            y.Backward();
        AssertClose(seen, [2.0, 4.0], what: "the hook sees the incoming gradient");
        AssertClose(x.Grad, [20.0, 40.0]);
        handle.Remove();
        x.Grad = null;
        using (Tensor y = (x * x).Sum())
            y.Backward();
        AssertClose(x.Grad, [2.0, 4.0], what: "a removed hook no longer runs");
    }

    [Test]
    public void NonLeafHookChangesWhatFlowsFurther()
    {
        using Tensor x = Leaf(3.0);
        using Tensor h = x * 2.0;
        int calls = 0;
        h.RegisterHook((Tensor g) => { calls++; });
        h.RegisterHook(g => -g);
        using Tensor y = (h * h).Sum();
        y.Backward();
        Assert.That(calls, Is.EqualTo(1));
        // dy/dh = 2h = 12, negated by the hook, times dh/dx = 2.
        AssertClose(x.Grad, [-24.0]);
    }

    [Test]
    public void HooksRunForAutogradGradToo()
    {
        using Tensor x = Leaf(3.0);
        using Tensor h = x * 2.0;
        h.RegisterHook(g => g * 0.5);
        x.RegisterHook(g => g + 1.0);
        using Tensor y = (h * h).Sum();
        Tensor?[] g = Ember.Autograd.Grad([y], [h, x]);
        AssertClose(g[0], [6.0]);
        AssertClose(g[1], [13.0]);
    }

    [Test]
    public void AHookMayDisposeTheGradientItIsGiven()
    {
        using Tensor x = Leaf(1.0);
        x.RegisterHook((Tensor g) => g.Dispose());
        using (Tensor y = x * 4.0)
            y.Backward();
        AssertClose(x.Grad, [4.0]);
    }

    [Test]
    public void PostAccumulateGradHookSeesTheUpdatedGradient()
    {
        using Tensor w = Leaf(1.0, 1.0);
        var log = new List<double[]>();
        using RemovableHandle handle = w.RegisterPostAccumulateGradHook(p =>
        {
            Assert.That(p, Is.SameAs(w));
            log.Add(Values(p.Grad!));
        });
        using (Tensor y = (w * 3.0).Sum())
            y.Backward();
        using (Tensor y = (w * 2.0).Sum())
            y.Backward();
        Assert.That(log, Has.Count.EqualTo(2));
        Assert.That(log[0], Is.EqualTo(new[] { 3.0, 3.0 }));
        Assert.That(log[1], Is.EqualTo(new[] { 5.0, 5.0 }));
        using Tensor h = w * 1.0;
        Assert.Throws<AutogradException>(() => h.RegisterPostAccumulateGradHook(_ => { }));
        using Tensor plain = Vec(1.0);
        Assert.Throws<AutogradException>(() => plain.RegisterHook(g => g));
    }
}
