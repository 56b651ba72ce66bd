using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>NoGrad, EnableGrad and InferenceMode scopes, also across await and threads.</summary>
public class GradModeTests
{
    [Test]
    public void NoGradStopsRecordingAndEnableGradResumesIt()
    {
        using Tensor x = Leaf(1.0);
        Assert.That(Torch.IsGradEnabled(), Is.True);
        using (Torch.NoGrad())
        {
            Assert.That(Torch.IsGradEnabled(), Is.False);
            using Tensor y = x * 2.0;
            Assert.That(y.RequiresGrad, Is.False);
            using (Torch.EnableGrad())
            {
                using Tensor z = x * 2.0;
                Assert.That(z.RequiresGrad && z.GradFn is not null, Is.True);
            }
            Assert.That(Torch.IsGradEnabled(), Is.False);
        }
        Assert.That(Torch.IsGradEnabled(), Is.True);
    }

    [Test]
    public void InferenceModeDisablesRecording()
    {
        using Tensor x = Leaf(1.0);
        using (Torch.InferenceMode())
        {
            Assert.That(Torch.IsInferenceModeEnabled() && !Torch.IsGradEnabled(), Is.True);
            using Tensor y = x.Exp();
            Assert.That(y.RequiresGrad, Is.False);
            using (Torch.InferenceMode(false))
                Assert.That(Torch.IsInferenceModeEnabled(), Is.False);
        }
        Assert.That(Torch.IsInferenceModeEnabled(), Is.False);
    }

    [Test]
    public void InPlaceOnALeafIsAllowedUnderNoGrad()
    {
        using Tensor w = Leaf(1.0, 2.0);
        using (Torch.NoGrad())
            w.Mul_(3.0).Add_(1L);
        AssertClose(w, [4.0, 7.0]);
        Assert.That(w.IsLeaf && w.RequiresGrad, Is.True);
    }

    [Test]
    public async Task TheModeFlowsAcrossAwait()
    {
        using Tensor x = Leaf(1.0);
        using (Torch.NoGrad())
        {
            await Task.Yield();
            using Tensor y = x * 2.0;
            Assert.That(y.RequiresGrad, Is.False);
            bool insideTask = await Task.Run(() => Torch.IsGradEnabled());
            Assert.That(insideTask, Is.False, "work started inside the scope sees it");
        }
        await NoGradInsideAnotherMethod();
        Assert.That(Torch.IsGradEnabled(), Is.True, "a scope inside an awaited method does not leak out");
        using Tensor z = x * 2.0;
        Assert.That(z.RequiresGrad, Is.True);
    }

    private static async Task NoGradInsideAnotherMethod()
    {
        var scope = Torch.NoGrad();
        await Task.Yield();
        Assert.That(Torch.IsGradEnabled(), Is.False);
        scope.Dispose();
        Assert.That(Torch.IsGradEnabled(), Is.True);
        _ = Torch.NoGrad(); // never disposed: its effect ends with this method's execution context
    }

    [Test]
    public void EachThreadHasItsOwnMode()
    {
        using var ready = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        bool otherThreadEnabled = false;
        var thread = new Thread(() =>
        {
            ready.Wait();
            otherThreadEnabled = Torch.IsGradEnabled();
            done.Set();
        });
        thread.Start();
        using (Torch.NoGrad())
        {
            ready.Set();
            done.Wait();
        }
        thread.Join();
        Assert.That(otherThreadEnabled, Is.True);
    }

    [Test]
    public void SetGradEnabledLastsForTheExecutionContext()
    {
        bool inside = Task.Run(() =>
        {
            Torch.SetGradEnabled(false);
            using Tensor x = Leaf(1.0);
            using Tensor y = x * 2.0;
            bool recorded = y.RequiresGrad;
            Torch.SetGradEnabled(true);
            return !recorded && Torch.IsGradEnabled();
        }).Result;
        Assert.That(inside, Is.True);
        Assert.That(Torch.IsGradEnabled(), Is.True);
    }
}
