namespace Ember.Tests;

/// <summary>Dispose, scopes (nested, across await, moved out) and native memory accounting.</summary>
[TestFixture]
[NonParallelizable]
public class LifetimeTests
{
    [Test]
    public void UseAfterDisposeThrowsAClearObjectDisposedException()
    {
        var t = Torch.Ones(2, 2);
        t.Dispose();
        Assert.That(t.IsDisposed, Is.True);
        var e = Assert.Throws<ObjectDisposedException>(() => _ = t.Exp());
        Assert.That(e!.Message, Does.Contain("tensor has been disposed").And.Contain("Exp"));
        e = Assert.Throws<ObjectDisposedException>(() => _ = t + t);
        Assert.That(e!.Message, Does.Contain("operator +"));
        Assert.Throws<ObjectDisposedException>(() => _ = t.Shape);
        Assert.Throws<ObjectDisposedException>(() => t.ToArray<float>());
        Assert.DoesNotThrow(t.Dispose, "disposing twice is allowed");
    }

    [Test]
    public void DisposingFreesNativeMemoryAtOnce()
    {
        long before = AutogradTestUtil.SettledNativeBytes();
        var t = Torch.Zeros(1000, 1000);
        Assert.That(EmberNative.CpuBytesAllocated - before, Is.GreaterThanOrEqualTo(4_000_000));
        t.Dispose();
        Assert.That(EmberNative.CpuBytesAllocated, Is.EqualTo(before));
    }

    [Test]
    public void AViewKeepsItsStorageAliveAfterTheBaseIsDisposed()
    {
        long before = AutogradTestUtil.SettledNativeBytes();
        var a = Torch.Arange(6.0);
        var v = a.Slice(0, 2, 4);
        a.Dispose();
        Assert.That(v.ToArray<float>(), Is.EqualTo(new float[] { 2, 3 }));
        v.Dispose();
        Assert.That(EmberNative.CpuBytesAllocated, Is.EqualTo(before));
    }

    [Test]
    public void ScopeDisposesWhatWasCreatedInsideIt()
    {
        long before = AutogradTestUtil.SettledNativeBytes();
        Tensor a, b;
        using (var scope = Torch.NewScope())
        {
            a = Torch.Ones(100);
            b = (a * 2 + 1).Exp();
            Assert.That(scope.Count, Is.EqualTo(4));
            Assert.That(TensorScope.Current, Is.SameAs(scope));
        }
        Assert.That(a.IsDisposed && b.IsDisposed, Is.True);
        Assert.That(TensorScope.Current, Is.Null);
        Assert.That(EmberNative.CpuBytesAllocated, Is.EqualTo(before));
    }

    private static Tensor ScaledSum(Tensor x)
    {
        using var scope = Torch.NewScope();
        Tensor y = (x * 3).Sum();
        return scope.MoveOut(y + 1);
    }

    [Test]
    public void MoveOutHandsATensorToTheEnclosingScope()
    {
        Tensor result;
        using (var outer = Torch.NewScope())
        {
            using Tensor x = Torch.Ones(4).DetachFromScope();
            result = ScaledSum(x);
            Assert.That(result.IsDisposed, Is.False);
            Assert.That(result.Item<float>(), Is.EqualTo(13f));
            Assert.That(outer.Count, Is.EqualTo(1), "only the moved-out result belongs to the outer scope");
        }
        Assert.That(result.IsDisposed, Is.True, "the outer scope disposed the moved-out tensor");

        Tensor kept = ScaledSum(Torch.Ones(2));
        Assert.That(kept.IsDisposed, Is.False, "without an outer scope the caller owns it");
        kept.Dispose();
    }

    [Test]
    public void NestedScopesDisposeInnerFirstAndDetachGivesOwnershipToTheUser()
    {
        Tensor outerTensor, innerTensor, detached, moved;
        using (var outer = Torch.NewScope())
        {
            outerTensor = Torch.Zeros(1);
            using (var inner = Torch.NewScope())
            {
                Assert.That(inner.Parent, Is.SameAs(outer));
                innerTensor = Torch.Zeros(1);
                detached = inner.Detach(Torch.Zeros(1));
                moved = Torch.Zeros(1).MoveToOuterScope();
                Assert.Throws<InvalidOperationException>(() => inner.MoveOut(outerTensor));
            }
            Assert.That(innerTensor.IsDisposed, Is.True);
            Assert.That(outerTensor.IsDisposed || moved.IsDisposed || detached.IsDisposed, Is.False);
            Assert.That(TensorScope.Current, Is.SameAs(outer));
        }
        Assert.That(outerTensor.IsDisposed && moved.IsDisposed, Is.True);
        Assert.That(detached.IsDisposed, Is.False);
        detached.Dispose();
    }

    [Test]
    public void AttachAdoptsATensorCreatedOutsideTheScope()
    {
        var t = Torch.Zeros(1);
        using (var scope = Torch.NewScope())
            scope.Attach(t);
        Assert.That(t.IsDisposed, Is.True);
    }

    [Test]
    public void DisposingEarlyInsideAScopeFreesTheSlot()
    {
        using var scope = Torch.NewScope();
        for (int i = 0; i < 1000; i++)
            Torch.Zeros(4).Dispose();
        Assert.That(scope.Count, Is.Zero);
    }

    [Test]
    public async Task ScopeFlowsAcrossAwait()
    {
        Tensor a, b;
        using (var scope = Torch.NewScope())
        {
            a = Torch.Ones(3);
            await Task.Yield();
            await Task.Delay(1).ConfigureAwait(false); // resumes on a pool thread
            b = Torch.Ones(3);
            Assert.That(TensorScope.Current, Is.SameAs(scope));
            Assert.That(scope.Count, Is.EqualTo(2));
        }
        Assert.That(a.IsDisposed && b.IsDisposed, Is.True);
    }

    [Test]
    public async Task ScopeCreatedInAnAsyncMethodDoesNotLeakIntoTheCaller()
    {
        using var outer = Torch.NewScope();
        async Task<Tensor> WorkAsync()
        {
            using var inner = Torch.NewScope();
            await Task.Yield();
            return inner.MoveOut(Torch.Full([2], 2.0));
        }
        Task<Tensor> pending = WorkAsync();
        Assert.That(TensorScope.Current, Is.SameAs(outer));
        Tensor r = await pending;
        Assert.That(r.IsDisposed, Is.False);
        Assert.That(TensorScope.Current, Is.SameAs(outer));
        Assert.That(r.ToArray<float>(), Is.EqualTo(new float[] { 2, 2 }));
    }

    [Test]
    public void ParallelWorkInsideOneScopeRegistersEveryTensor()
    {
        var tensors = new System.Collections.Concurrent.ConcurrentBag<Tensor>();
        using (var scope = Torch.NewScope())
        {
            Parallel.For(0, 400, _ => tensors.Add(Torch.Zeros(2) + 1));
            Assert.That(scope.Count, Is.EqualTo(800));
        }
        Assert.That(tensors.All(t => t.IsDisposed), Is.True);
    }

    [Test]
    public void ForgottenTensorsAreCollectedByTheGC()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = EmberNative.CpuBytesAllocated, peak = 0;
        // 4 GiB in total if nothing were freed; the memory pressure reported to the GC must make it
        // collect the forgotten tensors long before that (their managed objects alone would never).
        for (int i = 0; i < 1000; i++)
        {
            _ = Torch.Empty(1 << 20);
            peak = Math.Max(peak, EmberNative.CpuBytesAllocated - before);
        }
        Assert.That(peak, Is.LessThan(1L << 30), "native bytes held at the worst moment");
    }
}
