using F = Ember.Functional;
using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>The graph owns what it saved: disposing forward temporaries is safe, and backward frees it all at once.</summary>
[NonParallelizable]
public class MemoryTests
{
    [Test]
    public void SavedTensorsAreFreedTheMomentBackwardEnds()
    {
        using Tensor x = Torch.Randn([64, 100], DType.Float64);
        using Tensor w1 = Torch.Randn([50, 100], DType.Float64).RequiresGrad_();
        using Tensor b1 = Torch.Zeros([50], DType.Float64).RequiresGrad_();
        using Tensor w2 = Torch.Randn([10, 50], DType.Float64).RequiresGrad_();
        using Tensor target = Torch.Zeros([64], DType.Int64);
        // A backward from a one-element loss keeps its thread's seed of ones for the next (Seeds): make it first.
        using (Tensor warm = Torch.Zeros([], DType.Float64).RequiresGrad_())
            warm.Backward();
        long baseline = SettledNativeBytes();

        Tensor loss;
        using (Torch.NewScope())
        {
            Tensor h = F.Relu(F.Linear(x, w1, b1));
            Tensor logits = F.Linear(h, w2);
            loss = F.CrossEntropy(logits.Exp().Log(), target).MoveToOuterScope();
        }
        // Every forward temporary is disposed by now; the graph keeps what backward needs.
        long withGraph = EmberNative.CpuBytesAllocated;
        Assert.That(withGraph - baseline, Is.GreaterThan(64 * 50 * 8), "the saved activations are still held by the graph");

        loss.Backward();
        loss.Dispose();
        long grads = (50 * 100 + 50 + 10 * 50) * 8;
        Assert.That(EmberNative.CpuBytesAllocated - baseline, Is.EqualTo(grads), "after backward only the gradients remain");
        Assert.That(w1.Grad, Is.Not.Null);
        Assert.That(b1.Grad!.Shape.ToArray(), Is.EqualTo(new long[] { 50 }));
    }

    [Test]
    public void RetainedGraphsKeepTheirTensorsUntilTheLastBackward()
    {
        using Tensor w = Pattern([1000]).RequiresGrad_();
        long baseline = SettledNativeBytes();
        Tensor y;
        using (Torch.NewScope())
            y = (w.Exp() * w).Sum().MoveToOuterScope();
        long held = EmberNative.CpuBytesAllocated - baseline;
        Assert.That(held, Is.GreaterThanOrEqualTo(1000 * 8), "exp's result is saved");
        y.Backward(retainGraph: true);
        Assert.That(EmberNative.CpuBytesAllocated - baseline, Is.EqualTo(held + 1000 * 8), "graph kept, gradient added");
        y.Backward();
        Assert.That(EmberNative.CpuBytesAllocated - baseline, Is.EqualTo(1000 * 8 + y.NumEl * 8), "only the gradient and the output remain");
        y.Dispose();
    }

    [Test]
    public void ViewsDoNotKeepTheirBaseAliveForTheGraph()
    {
        using Tensor x = Pattern([100, 10]).RequiresGrad_();
        long baseline = SettledNativeBytes();
        Tensor y;
        using (Torch.NewScope())
        {
            Tensor h = x.Exp();
            Tensor v = h.T.Reshape(-1).View(10, 100).Slice(1, 0, 50);
            y = (v * v).Sum().MoveToOuterScope();
        }
        y.Backward();
        y.Dispose();
        Assert.That(EmberNative.CpuBytesAllocated - baseline, Is.EqualTo(100 * 10 * 8), "only x's gradient remains");
    }

    [Test]
    public void DisposingForwardTemporariesNeverBreaksBackward()
    {
        using Tensor x = Leaf(1.0, 2.0);
        Tensor h = x.Exp();
        Tensor k = h * x;
        Tensor y = k.Sum();
        h.Dispose();
        k.Dispose();
        y.Backward();
        y.Dispose();
        // d/dx (x e^x) = e^x (1 + x)
        AssertClose(x.Grad, [Math.E * 2, Math.Exp(2) * 3]);
    }

    [Test]
    public void ALeafDisposedBeforeBackwardIsAClearError()
    {
        Tensor y;
        using (Torch.NewScope())
        {
            Tensor w = Leaf(1.0, 2.0);
            y = (w * w).Sum().MoveToOuterScope();
        }
        using (y)
        {
            var e = Assert.Throws<AutogradException>(() => y.Backward());
            Assert.That(e!.Message, Does.Contain("MulBackward0").And.Contain("leaf tensor that requires grad").And.Contain("disposed before backward"));
        }
    }

    [Test]
    public void AutogradGradFreesTheGraphToo()
    {
        using Tensor x = Pattern([500]).RequiresGrad_();
        long baseline = SettledNativeBytes();
        Tensor g;
        using (Torch.NewScope())
        {
            Tensor y = (x.Exp() * x.Exp()).Sum();
            g = Ember.Autograd.Grad(y, x).MoveToOuterScope();
        }
        Assert.That(EmberNative.CpuBytesAllocated - baseline, Is.EqualTo(500 * 8));
        g.Dispose();
    }
}
