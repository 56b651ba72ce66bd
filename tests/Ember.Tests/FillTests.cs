namespace Ember.Tests;

/// <summary>Tensor.Fill_ / Zero_ (<c>Tensor.fill_</c>, <c>zero_</c>) and the initialisers built on them.</summary>
public class FillTests
{
    [Test]
    public void FillSetsEveryElementInTheTensorsOwnDtype()
    {
        using Tensor f = Torch.Empty([2, 3]);
        Assert.That(f.Fill_(2.5).ToArray<float>(), Is.EqualTo(Enumerable.Repeat(2.5f, 6)));
        using Tensor i = Torch.Empty([4], DType.Int64);
        Assert.That(i.Fill_(-7L).ToArray<long>(), Is.EqualTo(new long[] { -7, -7, -7, -7 }));
        using Tensor b = Torch.Empty([3], DType.Int32);
        Assert.That(b.Fill_(9.0).ToArray<int>(), Is.EqualTo(new[] { 9, 9, 9 }));
        Assert.That(f.Zero_().ToArray<float>(), Is.EqualTo(new float[6]));
    }

    [Test]
    public void FillWritesThroughAViewAndBumpsTheVersion()
    {
        using Tensor t = Torch.Zeros([3, 4]);
        long before = t.Version;
        using (Tensor column = t[.., 1])
            column.Fill_(5.0);
        Assert.That(t.Version, Is.GreaterThan(before));
        float[] v = t.ToArray<float>();
        for (int k = 0; k < 12; k++)
            Assert.That(v[k], Is.EqualTo(k % 4 == 1 ? 5f : 0f), $"element {k}");
    }

    [Test]
    public void FillingAnExpandedTensorIsAnErrorThatChangesNothing()
    {
        using Tensor t = Torch.Zeros([1, 3]);
        using Tensor wide = t.Expand(4, 3);
        var e = Assert.Throws<ArgumentException>(() => wide.Fill_(1.0))!;
        Assert.That(e.Message, Does.Contain("fill_"));
        Assert.That(t.ToArray<float>(), Is.EqualTo(new float[3]));
    }

    [Test]
    public void FillOnALeafThatRequiresGradIsRefusedOutsideNoGrad()
    {
        using Tensor w = Torch.Ones(3).RequiresGrad_();
        Assert.Throws<AutogradException>(() => w.Fill_(0.0));
        using (Torch.NoGrad())
            w.Zero_();
        Assert.That(w.ToArray<float>(), Is.EqualTo(new float[3]));
    }

    [Test]
    public void NoGradientFlowsThroughWhatAFilledTensorHeld()
    {
        using Tensor x = Torch.Tensor(new float[] { 1, 2, 3 }).RequiresGrad_();
        using Tensor y = x * 2.0;
        y.Fill_(3.0);
        Assert.That(y.GradFn!.Name, Is.EqualTo("FillBackward0"));
        using Tensor z = y * x;  // d/dx = y = 3, nothing through y's old history (2x)
        using Tensor s = z.Sum();
        s.Backward();
        Assert.That(x.Grad!.ToArray<float>(), Is.EqualTo(new float[] { 3, 3, 3 }));
    }
}
