using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>Autograd.Functional (Jacobian, Hessian, Vjp, Jvp) and activation checkpointing.</summary>
public class FunctionalApiTests
{
    // A = [[1, 2, 3], [4, 5, 6]]
    private static Tensor A() => T([1, 2, 3, 4, 5, 6], 2, 3);

    [Test]
    public void JacobianOfALinearMapIsItsMatrix()
    {
        using Tensor a = A();
        using Tensor x = Vec(0.5, -1.0, 2.0);
        Tensor j = Ember.Autograd.Functional.Jacobian(v => a.MatMul(v), x);
        Assert.That(j.Shape.ToArray(), Is.EqualTo(new long[] { 2, 3 }));
        AssertClose(j, [1, 2, 3, 4, 5, 6]);
        Assert.That(j.RequiresGrad, Is.False);
        Assert.That(x.RequiresGrad, Is.False, "the input is not changed");
    }

    [Test]
    public void JacobianOfSeveralInputsAndOutputs()
    {
        using Tensor x = Vec(1.0, 2.0), y = Vec(3.0);
        Tensor[,] j = Ember.Autograd.Functional.Jacobian(v => [v[0] * v[1], v[0].Sum()], [x, y]);
        AssertClose(j[0, 0], [3, 0, 0, 3]);
        AssertClose(j[0, 1], [1, 2]);
        Assert.That(j[0, 1].Shape.ToArray(), Is.EqualTo(new long[] { 2, 1 }));
        AssertClose(j[1, 0], [1, 1]);
        AssertClose(j[1, 1], [0], what: "an output that does not depend on an input has zeros");
    }

    [Test]
    public void HessianOfACubicAndOfAQuadraticForm()
    {
        using Tensor x = Vec(1.0, -2.0);
        Tensor h = Ember.Autograd.Functional.Hessian(v => (v * v * v).Sum(), x);
        AssertClose(h, [6, 0, 0, -12]);
        using Tensor m = T([1, 2, 3, 4], 2, 2);
        // f(v) = vᵀ M v has Hessian M + Mᵀ.
        Tensor q = Ember.Autograd.Functional.Hessian(v => v.MatMul(m.MatMul(v)), x);
        AssertClose(q, [2, 5, 5, 8]);
    }

    [Test]
    public void VjpAndJvpMatchTheJacobian()
    {
        using Tensor a = A();
        using Tensor x = Vec(0.5, -1.0, 2.0);
        Func<Tensor, Tensor> f = v => a.MatMul(v * v);
        using Tensor u = Vec(1.0, -1.0);
        (Tensor fx, Tensor vjp) = Ember.Autograd.Functional.Vjp(f, x, u);
        AssertClose(fx, Values(a.MatMul(x * x)));
        // J = A diag(2x): uᵀJ = (uᵀA) * 2x
        AssertClose(vjp, [(1 - 4) * 1.0, (2 - 5) * -2.0, (3 - 6) * 4.0]);
        using Tensor t = Vec(1.0, 0.0, 1.0);
        (_, Tensor jvp) = Ember.Autograd.Functional.Jvp(f, x, t);
        // J t = A (2x * t) = A [1, 0, 4]
        AssertClose(jvp, [1 + 12, 4 + 24]);
        Assert.That(vjp.RequiresGrad || jvp.RequiresGrad, Is.False);
    }

    [Test]
    public void CreateGraphMakesTheJacobianDifferentiable()
    {
        using Tensor x = Leaf(1.0, 2.0);
        Tensor j = Ember.Autograd.Functional.Jacobian(v => v * v * v, x, createGraph: true);
        AssertClose(j, [3, 0, 0, 12]);
        Assert.That(j.RequiresGrad, Is.True);
        using (Tensor s = j.Sum())
            s.Backward();
        // d/dx sum(diag(3x²)) = 6x
        AssertClose(x.Grad, [6, 12]);
    }

    [Test]
    public void CheckpointGivesTheSameGradientsAndRecomputes()
    {
        using Tensor w = Pattern([3, 3]).RequiresGrad_();
        using Tensor x1 = Pattern([2, 3], 1).RequiresGrad_();
        using Tensor x2 = Pattern([2, 3], 1).RequiresGrad_();
        int calls = 0;
        Tensor Block(Tensor v)
        {
            calls++;
            using Tensor h = v.MatMul(w);
            using Tensor e = h.Exp();
            return e * v;
        }

        using (Tensor plain = Block(x1).Sum())
            plain.Backward();
        Tensor wGradPlain = w.Grad!.Clone();
        w.Grad = null;
        calls = 0;

        using Tensor outCk = Ember.Autograd.Checkpoint(Block, x2);
        Assert.That(calls, Is.EqualTo(1));
        Assert.That(outCk.GradFn!.Name, Is.EqualTo("CheckpointFunctionBackward"));
        using (Tensor s = outCk.Sum())
            s.Backward();
        Assert.That(calls, Is.EqualTo(2), "backward runs the function again");
        AssertClose(x2.Grad, Values(x1.Grad!), 1e-12, "input gradient");
        AssertClose(w.Grad, Values(wGradPlain), 1e-12, "gradient of a parameter used inside");
    }

    [Test]
    public void CheckpointWithSeveralInputsAndNoGradIsPlain()
    {
        using Tensor a = Leaf(1.0, 2.0), b = Leaf(3.0, 4.0);
        using Tensor y = Ember.Autograd.Checkpoint(v => v[0] * v[1], a, b);
        using (Tensor s = y.Sum())
            s.Backward();
        AssertClose(a.Grad, [3, 4]);
        AssertClose(b.Grad, [1, 2]);
        using (Torch.NoGrad())
        {
            using Tensor z = Ember.Autograd.Checkpoint(v => v[0] * v[1], a, b);
            Assert.That(z.RequiresGrad, Is.False);
        }
    }

    [Test]
    public void CheckpointReplaysTheRandomNumbersOfTheFirstRun()
    {
        // Dropout inside the checkpoint: the recomputation must draw the same mask, or the gradient
        // would belong to a different function than the output.
        using Tensor x = Torch.Ones([64], DType.Float64).RequiresGrad_();
        Torch.ManualSeed(7);
        using Tensor y = Ember.Autograd.Checkpoint(v => Functional.Dropout(v * 3.0, 0.5), x);
        using Tensor afterForward = Torch.GetRngState();
        using (Tensor s = y.Sum())
            s.Backward();
        // d(sum(dropout(3x)))/dx = 3 * mask / (1 - p) = exactly y where it was kept.
        double[] outputs = y.ToArray<double>();
        double[] grads = x.Grad!.ToArray<double>();
        Assert.That(outputs.Count(v => v == 0), Is.InRange(10, 54), "some but not all elements dropped");
        Assert.That(grads, Is.EqualTo(outputs));
        using Tensor afterBackward = Torch.GetRngState();
        Assert.That(afterBackward.ToArray<byte>(), Is.EqualTo(afterForward.ToArray<byte>()),
            "backward leaves the generator where the forward left it");
    }
}
