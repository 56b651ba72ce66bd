using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>Version counters, in-place errors, and gradients through views changed in place.</summary>
public class InplaceTests
{
    [Test]
    public void InPlaceOnALeafThatRequiresGradIsAnError()
    {
        using Tensor w = Leaf(1.0, 2.0);
        var e = Assert.Throws<AutogradException>(() => w.Mul_(2.0));
        Assert.That(e!.Message, Does.Contain("leaf tensor that requires grad").And.Contain("Mul_"));
        AssertClose(w, [1.0, 2.0], what: "a refused op leaves the tensor untouched");
        using Tensor v = w.Slice(0, 0, 1);
        e = Assert.Throws<AutogradException>(() => v.Add_(1L));
        Assert.That(e!.Message, Does.Contain("view of a leaf"));
        using Tensor other = Leaf(3.0, 4.0);
        using Tensor plain = Vec(0.0, 0.0);
        Assert.DoesNotThrow(() => plain.Add_(other), "in-place into a tensor that does not require grad is fine");
        Assert.That(plain.RequiresGrad && plain.GradFn!.Name == "AddBackward0", Is.True);
    }

    [Test]
    public void ChangingASavedOutputNamesTheOpsAndVersions()
    {
        using Tensor x = Leaf(0.5, 1.0);
        using Tensor y = x.Exp();
        using Tensor z = y.Sum();
        y.Add_(1.0);
        var e = Assert.Throws<AutogradException>(() => z.Backward());
        Assert.That(e!.Message, Does.Contain("one of the variables needed for gradient computation has been modified by an inplace operation")
            .And.Contain("[torch.float64 [2]]").And.Contain("output 0 of AddBackward1").And.Contain("is at version 1; expected version 0")
            .And.Contain("ExpBackward0"));
    }

    [Test]
    public void ChangingASavedInputIsAnError()
    {
        using Tensor x = Leaf(1.0, 2.0), w = Leaf(3.0, 4.0);
        using Tensor h = x * 1.0;
        using Tensor y = (h * w).Sum();
        h.Mul_(2.0);
        var e = Assert.Throws<AutogradException>(() => y.Backward());
        Assert.That(e!.Message, Does.Contain("MulBackward1").And.Contain("needed by MulBackward0"));
    }

    [Test]
    public void ADetachedTensorSharesTheVersionCounter()
    {
        using Tensor x = Leaf(1.0);
        using Tensor y = x.Exp();
        using Tensor d = y.Detach();
        d.Add_(1.0);
        Assert.That(y.Version, Is.EqualTo(1));
        Assert.Throws<AutogradException>(() => y.Backward());
    }

    [Test]
    public void InPlaceOnAViewUpdatesTheBasesGradient()
    {
        using Tensor x = Leaf(1.0, 2.0, 3.0);
        using Tensor y = x * 1.0;
        using (Tensor first = y.Select(0, 0))
            first.Mul_(5.0);
        Assert.That(y.GradFn!.Name, Is.EqualTo("CopySlices"));
        AssertClose(y, [5.0, 2.0, 3.0]);
        using (Tensor s = y.Sum())
            s.Backward();
        AssertClose(x.Grad, [5.0, 1.0, 1.0]);
    }

    [Test]
    public void AViewSeesInPlaceChangesOfItsBase()
    {
        using Tensor x = Leaf(1.0, 2.0, 3.0);
        using Tensor y = x * 1.0;
        using Tensor v = y.Slice(0, 1, 3);
        Assert.That(v.GradFn!.NextFunctions[0].Function!.Name, Is.EqualTo("MulBackward1"));
        y.Mul_(x);
        // The view's history is rebuilt on the base's new one.
        Assert.That(v.GradFn!.Name, Is.EqualTo("SliceBackward0"));
        Assert.That(v.GradFn.NextFunctions[0].Function!.Name, Is.EqualTo("MulBackward0"));
        using (Tensor s = v.Sum())
            s.Backward();
        AssertClose(x.Grad, [0.0, 4.0, 6.0]);
    }

    [Test]
    public void AViewThatAutogradDoesNotTrackIsRefused()
    {
        using Tensor w = Leaf(1.0, 2.0);
        using Tensor z = Torch.Zeros([4], DType.Float64);
        using Tensor part = z.Slice(0, 0, 2);
        var e = Assert.Throws<AutogradException>(() => part.Copy_(w));
        Assert.That(e!.Message, Does.Contain("view that autograd does not track"));
        using Tensor h = w * 1.0;
        Tensor noGradView;
        using (Torch.NoGrad())
            noGradView = h.Slice(0, 0, 1);
        using (noGradView)
            Assert.Throws<AutogradException>(() => noGradView.Mul_(w.Slice(0, 0, 1)));
        using Tensor copy = Torch.Zeros([2], DType.Float64);
        using Tensor same = copy.Contiguous();
        Assert.Throws<AutogradException>(() => same.Add_(w), "an alias of an untracked tensor is a view too");
        using Tensor converted = z.To(DType.Float32);
        using Tensor wf = w.To(DType.Float32);
        using Tensor convertedPart = converted.Slice(0, 0, 2);
        Assert.Throws<AutogradException>(() => convertedPart.Add_(wf));
        using Tensor fresh = z.To(DType.Float32);
        Assert.DoesNotThrow(() => fresh.Slice(0, 0, 2).Exp(), "views may still be read");
    }

    [Test]
    public void CopyIntoATensorThatRequiresNoGradMakesItRequireGrad()
    {
        using Tensor w = Leaf(1.0, 2.0, 3.0);
        using Tensor buffer = Torch.Zeros([3], DType.Float64);
        buffer.Copy_(w);
        Assert.That(buffer.GradFn!.Name, Is.EqualTo("CopyBackwards"));
        using (Tensor s = (buffer * buffer).Sum())
            s.Backward();
        AssertClose(w.Grad, [2.0, 4.0, 6.0]);
    }
}
