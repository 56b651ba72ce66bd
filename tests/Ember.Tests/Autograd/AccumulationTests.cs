using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// Gradients added straight into leaves' Grad by their producers (one in-place op, no gradient tensor)
/// and the shared seed of ones: the same results as accumulating one gradient at a time, hooks included.
/// </summary>
public class AccumulationTests
{
    [Test]
    public void RepeatedBackwardsAddUp()
    {
        using Tensor a = Leaf(1.0, 2.0);
        using Tensor w = Leaf(3.0, 5.0);
        using Tensor b = Leaf(7.0, 11.0);
        for (int run = 1; run <= 3; run++)
        {
            using (Tensor p = a * w)
            using (Tensor s = p - b)
            using (Tensor y = s.Sum())
                y.Backward();
            // d/da = w, d/dw = a, d/db = -1, once per run
            AssertClose(a.Grad, [3.0 * run, 5.0 * run], what: $"a.Grad after {run}");
            AssertClose(w.Grad, [1.0 * run, 2.0 * run], what: $"w.Grad after {run}");
            AssertClose(b.Grad, [-1.0 * run, -1.0 * run], what: $"b.Grad after {run}");
        }
    }

    [Test]
    public void ALeafUsedTwiceByOneOpGetsBothGradients()
    {
        using Tensor x = Leaf(2.0, -3.0);
        for (int run = 1; run <= 2; run++)
        {
            using Tensor y = (x * x).Sum();
            y.Backward();
            AssertClose(x.Grad, [4.0 * run, -6.0 * run]);
        }
    }

    [Test]
    public void BroadcastOperandsStillReduceTheirGradient()
    {
        using Tensor a = Leaf(1.0, 2.0, 3.0);
        using Tensor w = Leaf(2.0);
        for (int run = 1; run <= 2; run++)
        {
            using Tensor y = (a * w + w).Sum();
            y.Backward();
            AssertClose(a.Grad, [2.0 * run, 2.0 * run, 2.0 * run]);
            AssertClose(w.Grad, [9.0 * run], what: "sum(a) + 3 per run");
        }
    }

    [Test]
    public void ALeafHookSeesTheWholeGradientOnce()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor c = Vec(3.0, 4.0);
        var seen = new List<double[]>();
        using (Tensor y0 = (x * c).Sum())
            y0.Backward(); // x.Grad exists from here on
        using RemovableHandle hook = x.RegisterHook(g => { seen.Add(Values(g)); });
        using (Tensor y = (x * c + x).Sum())
            y.Backward();
        Assert.That(seen, Has.Count.EqualTo(1), "one call with the summed gradient, not one per producer");
        Assert.That(seen[0], Is.EqualTo(new[] { 4.0, 5.0 }));
        AssertClose(x.Grad, [7.0, 9.0]);
    }

    [Test]
    public void PostAccumulateHooksRunOncePerBackward()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor c = Vec(3.0, 4.0);
        var grads = new List<double[]>();
        using RemovableHandle hook = x.RegisterPostAccumulateGradHook(t => grads.Add(Values(t.Grad!)));
        for (int run = 1; run <= 3; run++)
        {
            using Tensor y = (x * c + x).Sum();
            y.Backward();
        }
        Assert.That(grads, Has.Count.EqualTo(3));
        Assert.That(grads[2], Is.EqualTo(new[] { 12.0, 15.0 }), "the hook sees the accumulated gradient");
    }

    [Test]
    public void AutogradGradLeavesGradAlone()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor w = Leaf(3.0, 4.0);
        using (Tensor y0 = (x * w).Sum())
            y0.Backward();
        using Tensor y = (x * w).Sum();
        using Tensor gx = Ember.Autograd.Grad(y, x);
        AssertClose(gx, [3.0, 4.0]);
        AssertClose(x.Grad, [3.0, 4.0], what: "x.Grad unchanged by Grad");
        AssertClose(w.Grad, [1.0, 2.0], what: "w.Grad unchanged by Grad");
    }

    [Test]
    public void CreateGraphStillRecordsTheSum()
    {
        using Tensor x = Leaf(2.0);
        using (Tensor y0 = (x * x).Sum())
            y0.Backward();
        using (Tensor y = (x * x * x).Sum())
            y.Backward(createGraph: true);
        Tensor g = x.Grad!;
        Assert.That(g.RequiresGrad, Is.True, "grad = 2x + 3x^2, the new part differentiable");
        AssertClose(g, [16.0]);
        using Tensor gg = Ember.Autograd.Grad(g, x);
        // the first backward's 2x was not recorded: only 3x^2 differentiates
        AssertClose(gg, [6.0 * 2.0], what: "d/dx (const + 3x^2)");
    }

    [Test]
    public void AHookThatChangesTheSeedInPlaceDoesNotLeakIntoTheNextBackward()
    {
        using Tensor w = Leaf(1.0);
        using (Tensor p = w * 3.0)
        using (Tensor y = p.Sum())
        using (p.RegisterHook(g => { g.Mul_(5.0); }))
            y.Backward();
        AssertClose(w.Grad, [15.0], what: "the hook scaled this backward's gradient");
        using (Tensor y = (w * 3.0).Sum())
            y.Backward();
        AssertClose(w.Grad, [18.0], what: "the next backward starts from a fresh one");
        using (Tensor y = w * 3.0)
            y.Backward();
        AssertClose(w.Grad, [21.0]);
    }

    [Test]
    public void ConcurrentBackwardsIntoASharedLeafLoseNothing()
    {
        using Tensor w = Leaf(1.0, 1.0);
        using (Tensor y0 = (w * w).Sum())
            y0.Backward(); // w.Grad = 2w, then every backward adds in place
        const int perThread = 300;
        Exception? failure = null;
        var threads = new Thread[2];
        for (int t = 0; t < threads.Length; t++)
        {
            double scale = t + 1;
            threads[t] = new Thread(() =>
            {
                try
                {
                    using Tensor x = Vec(scale, 10 * scale);
                    for (int i = 0; i < perThread; i++)
                    {
                        using Tensor y = (w * x).Sum();
                        y.Backward();
                    }
                }
                catch (Exception e)
                {
                    failure = e;
                }
            });
            threads[t].Start();
        }
        foreach (Thread thread in threads)
            thread.Join();
        Assert.That(failure, Is.Null);
        // 2 + 300 * (1 + 2) and 2 + 300 * (10 + 20)
        AssertClose(w.Grad, [2.0 + perThread * 3.0, 2.0 + perThread * 30.0]);
    }
}
