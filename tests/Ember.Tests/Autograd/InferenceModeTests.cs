using F = Ember.Functional;
using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// Torch.InferenceMode with PyTorch's rules for inference tensors: made inside, usable outside, but never
/// saved for backward, changed in place or made to require grad outside the mode.
/// </summary>
public class InferenceModeTests
{
    [Test]
    public void TensorsCreatedInsideAreInferenceTensors()
    {
        using Tensor normal = Vec(1.0, 2.0);
        using Tensor w = Leaf(3.0, 4.0);
        Tensor made, product, view, viewOfNormal, factory;
        using (Torch.InferenceMode())
        {
            made = normal.Exp();
            product = made * w;
            view = made.View(2, 1);
            viewOfNormal = normal.View(2, 1);
            factory = Torch.Zeros(3);
        }
        using (made)
        using (product)
        using (view)
        using (viewOfNormal)
        using (factory)
        {
            Assert.That(normal.IsInference, Is.False);
            Assert.That(made.IsInference && product.IsInference && factory.IsInference, Is.True, "op results and factories made inside");
            Assert.That(view.IsInference, Is.True, "a view of an inference tensor");
            Assert.That(viewOfNormal.IsInference, Is.False, "a view of a normal tensor stays normal (as in PyTorch)");
            Assert.That(product.RequiresGrad || product.GradFn is not null, Is.False, "nothing recorded inside");
            using Tensor outside = made * 2.0;
            Assert.That(outside.IsInference, Is.False, "made outside the mode from an inference tensor: normal");
            using Tensor clone = made.Clone();
            Assert.That(clone.IsInference, Is.False);
            using Tensor detached = made.Detach();
            Assert.That(detached.IsInference, Is.True, "detach keeps the kind");
        }
    }

    [Test]
    public void NoGradTensorsAreNotInferenceTensors()
    {
        using Tensor x = Vec(1.0);
        using (Torch.NoGrad())
        {
            using Tensor y = x * 2.0;
            Assert.That(y.IsInference, Is.False);
        }
    }

    [Test]
    public void SavingAnInferenceTensorForBackwardOutsideTheModeThrows()
    {
        Tensor x;
        using (Torch.InferenceMode())
            x = Vec(1.0, 2.0) * 1.0;
        using (x)
        {
            using Tensor w = Leaf(3.0, 4.0);
            // mul saves x for w's gradient: refused, with PyTorch's message.
            var e = Assert.Throws<AutogradException>(() => { using Tensor y = x * w; });
            Assert.That(e!.Message, Does.StartWith(
                "Inference tensors cannot be saved for backward. To work around you can make a clone to get a normal tensor and use it in autograd."));
            Assert.Throws<AutogradException>(() => { using Tensor y = F.Linear(x.View(1, 2), w.View(1, 2)); });
            // add saves nothing: allowed, and the gradient flows to w.
            using (Tensor sum = (x + w).Sum())
                sum.Backward();
            AssertClose(w.Grad, [1.0, 1.0]);
            // the documented workaround
            using Tensor normal = x.Clone();
            using (Tensor y = (normal * w).Sum())
                y.Backward();
            AssertClose(w.Grad, [2.0, 3.0]);
        }
    }

    [Test]
    public void ACustomFunctionCannotSaveAnInferenceTensorOutsideTheMode()
    {
        Tensor x;
        using (Torch.InferenceMode())
            x = Vec(2.0) * 1.0;
        using (x)
        using (Tensor w = Leaf(3.0))
        {
            Assert.Throws<AutogradException>(() => { using Tensor y = new SaveFirst().Apply(x, w)[0]; });
        }
    }

    private sealed class SaveFirst : Ember.Autograd.Function
    {
        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] inputs)
        {
            ctx.SaveForBackward(inputs[0]);
            return [inputs[0] * inputs[1]];
        }

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] gradOutputs) =>
            [null, gradOutputs[0]! * ctx.SavedTensors[0]];
    }

    [Test]
    public void InPlaceOnAnInferenceTensorIsAllowedOnlyInsideTheMode()
    {
        Tensor x;
        using (Torch.InferenceMode())
        {
            x = Vec(1.0, 2.0) * 1.0;
            x.Add_(1.0).Mul_(x); // inside: fine
        }
        using (x)
        {
            AssertClose(x, [4.0, 9.0]);
            var e = Assert.Throws<AutogradException>(() => x.Add_(1.0));
            Assert.That(e!.Message, Does.StartWith("Inplace update to inference tensor outside InferenceMode is not allowed"));
            using Tensor one = Vec(1.0, 1.0);
            Assert.Throws<AutogradException>(() => x.Sub_(one));
            Assert.Throws<AutogradException>(() => x.Copy_(one));
            using (Torch.NoGrad())
                Assert.Throws<AutogradException>(() => x.Exp_(), "NoGrad is not inference mode");
            AssertClose(x, [4.0, 9.0], what: "the refused ops left the tensor unchanged");
            using (Tensor view = x.View(2, 1))
                Assert.Throws<AutogradException>(() => view.Mul_(2.0), "a view of an inference tensor is one too");
            using (Torch.InferenceMode())
                x.Sub_(one);
            AssertClose(x, [3.0, 8.0]);
        }
    }

    [Test]
    public void AnInferenceTensorHasNoVersion()
    {
        // PyTorch 1.13: x._version raises "Inference tensors do not track version counter." inside and outside the mode,
        // for views of inference tensors too, while normal tensors (and their views made inside) keep theirs.
        using Tensor normal = Vec(1.0, 2.0);
        Tensor x, view, viewOfNormal;
        using (Torch.InferenceMode())
        {
            x = Vec(1.0, 1.0);
            view = x.View(2, 1);
            viewOfNormal = normal.View(2, 1);
            var inside = Assert.Throws<AutogradException>(() => _ = x.Version)!;
            Assert.That(inside.Message, Is.EqualTo("Inference tensors do not track version counter."));
            Assert.That(normal.Version, Is.Zero, "a normal tensor keeps its version inside the mode");
        }
        using (x)
        using (view)
        using (viewOfNormal)
        {
            var outside = Assert.Throws<AutogradException>(() => _ = x.Version)!;
            Assert.That(outside.Message, Is.EqualTo("Inference tensors do not track version counter."));
            Assert.Throws<AutogradException>(() => _ = view.Version, "a view of an inference tensor");
            Assert.That(viewOfNormal.Version, Is.Zero);
            using (Torch.InferenceMode())
                x.Add_(1.0);
            AssertClose(x, [2.0, 2.0], what: "in-place ops inside the mode still work without a visible version");
        }
    }

    [Test]
    public void InPlaceOnANormalTensorInsideTheModeIsAllowed()
    {
        using Tensor x = Vec(1.0, 2.0);
        long before = x.Version;
        using (Torch.InferenceMode())
            x.Mul_(2.0);
        AssertClose(x, [2.0, 4.0]);
        Assert.That(x.IsInference, Is.False);
        Assert.That(x.Version, Is.GreaterThan(before));
    }

    [Test]
    public void AnInferenceTensorCannotBeMadeToRequireGradOutsideTheMode()
    {
        Tensor x;
        using (Torch.InferenceMode())
            x = Vec(1.0, 2.0) * 1.0;
        using (x)
        {
            var e = Assert.Throws<AutogradException>(() => x.RequiresGrad_());
            Assert.That(e!.Message, Does.StartWith("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed"));
            Assert.That(x.RequiresGrad, Is.False);
        }
    }

    [Test]
    public void InferenceModeFalseGivesNormalTensorsAndRecording()
    {
        using Tensor w = Leaf(2.0);
        using (Torch.InferenceMode())
        {
            using (Torch.InferenceMode(false))
            {
                Assert.That(Torch.IsInferenceModeEnabled(), Is.False);
                Assert.That(Torch.IsGradEnabled(), Is.True);
                using Tensor y = w * w;
                Assert.That(y.IsInference, Is.False);
                Assert.That(y.GradFn?.Name, Is.EqualTo("MulBackward0"));
                using Tensor s = y.Sum();
                s.Backward();
            }
            using Tensor z = w * 1.0;
            Assert.That(z.IsInference, Is.True, "back in inference mode after the inner scope");
        }
        AssertClose(w.Grad, [4.0]);
        using (Torch.InferenceMode(false))
        {
            using Tensor y = w * 1.0;
            Assert.That(y.IsInference || Torch.IsInferenceModeEnabled(), Is.False);
        }
    }

    [Test]
    public async Task TheModeFlowsAcrossAwait()
    {
        using (Torch.InferenceMode())
        {
            await Task.Yield();
            using Tensor y = Vec(1.0) * 2.0;
            Assert.That(y.IsInference && Torch.IsInferenceModeEnabled(), Is.True);
            bool inside = await Task.Run(() =>
            {
                using Tensor t = Torch.Ones(1);
                return t.IsInference;
            });
            Assert.That(inside, Is.True, "work started inside the scope sees it");
        }
        await InferenceInsideAnotherMethod();
        Assert.That(Torch.IsInferenceModeEnabled(), Is.False);
        using Tensor z = Vec(1.0) * 2.0;
        Assert.That(z.IsInference, Is.False);
    }

    private static async Task InferenceInsideAnotherMethod()
    {
        using GradModeScope scope = Torch.InferenceMode();
        await Task.Yield();
        using Tensor t = Torch.Ones(1);
        Assert.That(t.IsInference, Is.True);
    }

    [Test]
    public void OtherThreadsAreNotInInferenceMode()
    {
        using (Torch.InferenceMode())
        {
            bool other = false;
            var thread = new Thread(() =>
            {
                using Tensor t = Torch.Ones(1);
                other = t.IsInference || Torch.IsInferenceModeEnabled();
            });
            thread.UnsafeStart(); // no execution context flows to it
            thread.Join();
            Assert.That(other, Is.False, "a thread that did not inherit the scope's execution context");
        }
    }

    [Test]
    public void AForwardPassInsideGivesTheSameValuesAsWithGrad()
    {
        using Tensor x = Pattern([4, 6]);
        using Tensor w = Pattern([3, 6], seed: 1).RequiresGrad_();
        using Tensor b = Pattern([3], seed: 2).RequiresGrad_();
        using Tensor expected = F.Relu(F.Linear(x, w, b));
        Tensor y;
        using (Torch.InferenceMode())
            y = F.Relu(F.Linear(x, w, b));
        using (y)
        {
            Assert.That(y.IsInference && !y.RequiresGrad, Is.True);
            AssertClose(y, Values(expected));
        }
    }
}
