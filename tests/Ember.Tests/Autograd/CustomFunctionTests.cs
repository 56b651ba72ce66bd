using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>Custom Autograd.Function subclasses: saved tensors, several outputs, non-differentiable outputs, higher order.</summary>
public class CustomFunctionTests
{
    private sealed class Cube : Ember.Autograd.Function
    {
        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] x)
        {
            ctx.SaveForBackward(x[0]);
            using Tensor sq = x[0] * x[0];
            return [sq * x[0]];
        }

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] g)
        {
            Tensor x = ctx.SavedTensors[0];
            using Tensor sq = x * x;
            using Tensor three = sq * 3.0;
            return [g[0]! * three];
        }
    }

    // Two outputs (x * y and x + y), and the argmax of x, which has no gradient.
    private sealed class ProductSumArgMax : Ember.Autograd.Function
    {
        public bool[]? Needs;

        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] x)
        {
            Needs = ctx.NeedsInputGrad.ToArray();
            ctx.SaveForBackward(x[0], x[1]);
            Tensor index = x[0].ArgMax(0);
            ctx.MarkNonDifferentiable(index);
            ctx.Items["scale"] = 1.0;
            return [x[0] * x[1], x[0] + x[1], index];
        }

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] g)
        {
            Tensor a = ctx.SavedTensors[0], b = ctx.SavedTensors[1];
            double scale = (double)ctx.Items["scale"]!;
            Assert.That(g[1], Is.Not.Null, "an unused output's gradient arrives as zeros");
            using Tensor ga = g[0]! * b;
            using Tensor gb = g[0]! * a;
            return [(ga + g[1]!) * scale, (gb + g[1]!) * scale];
        }
    }

    private sealed class Identity : Ember.Autograd.Function
    {
        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] x) => [x[0]];

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] g) => [g[0]];
    }

    private sealed class WrongCount : Ember.Autograd.Function
    {
        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] x) => [x[0] * 2.0];

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] g) => [g[0], g[0]];
    }

    private sealed class WrongFormula : Ember.Autograd.Function
    {
        public override Tensor[] Forward(Ember.Autograd.FunctionContext ctx, Tensor[] x) => [x[0] * x[0]];

        public override Tensor?[] Backward(Ember.Autograd.FunctionContext ctx, Tensor?[] g) => [g[0]! * 2.0];
    }

    [Test]
    public void CustomFunctionGivesItsGradientAndNode()
    {
        using Tensor x = Leaf(1.0, -2.0);
        using Tensor y = new Cube().ApplySingle(x);
        AssertClose(y, [1.0, -8.0]);
        Assert.That(y.GradFn!.Name, Is.EqualTo("CubeBackward"));
        using (Tensor s = y.Sum())
            s.Backward();
        AssertClose(x.Grad, [3.0, 12.0]);
    }

    [Test]
    public void CustomFunctionPassesGradCheckAndGradGradCheck()
    {
        using Tensor x = Pattern([3]).RequiresGrad_();
        Assert.That(Ember.Autograd.GradCheck(i => new Cube().ApplySingle(i[0]), [x]), Is.True);
        Assert.That(Ember.Autograd.GradGradCheck(i => new Cube().ApplySingle(i[0]), [x]), Is.True);
    }

    [Test]
    public void SeveralOutputsAndNonDifferentiableOnes()
    {
        using Tensor a = Leaf(1.0, 3.0, 2.0), b = Leaf(4.0, 5.0, 6.0);
        var fn = new ProductSumArgMax();
        Tensor[] outs = fn.Apply(a, b);
        Assert.That(fn.Needs, Is.EqualTo(new[] { true, true }));
        Assert.That(outs[2].RequiresGrad, Is.False);
        Assert.That(outs[2].Item<long>(), Is.EqualTo(1));
        Assert.That(outs[0].GradFn, Is.SameAs(outs[1].GradFn));
        using (Tensor s = outs[0].Sum())
            s.Backward();
        AssertClose(a.Grad, [4.0, 5.0, 6.0]);
        AssertClose(b.Grad, [1.0, 3.0, 2.0]);
        foreach (Tensor o in outs)
            o.Dispose();
    }

    [Test]
    public void ReturningAnInputGivesANewTensor()
    {
        using Tensor x = Leaf(2.0);
        using Tensor y = new Identity().ApplySingle(x);
        Assert.That(y, Is.Not.SameAs(x));
        Assert.That(y.GradFn!.Name, Is.EqualTo("IdentityBackward"));
        y.Backward();
        AssertClose(x.Grad, [1.0]);
    }

    [Test]
    public void WithoutInputsThatRequireGradNothingIsRecorded()
    {
        using Tensor x = Vec(2.0);
        using Tensor y = new Cube().ApplySingle(x);
        Assert.That(y.RequiresGrad, Is.False);
        AssertClose(y, [8.0]);
    }

    [Test]
    public void AWrongNumberOfGradientsIsAnError()
    {
        using Tensor x = Leaf(2.0);
        using Tensor y = new WrongCount().ApplySingle(x);
        var e = Assert.Throws<AutogradException>(() => y.Backward());
        Assert.That(e!.Message, Does.Contain("WrongCountBackward").And.Contain("expected 1, got 2"));
    }

    [Test]
    public void GradCheckFindsAWrongFormula()
    {
        using Tensor x = Pattern([2]).RequiresGrad_();
        Assert.That(Ember.Autograd.GradCheck(i => new WrongFormula().ApplySingle(i[0]), [x], raiseException: false), Is.False);
        var e = Assert.Throws<AutogradException>(() => Ember.Autograd.GradCheck(i => new WrongFormula().ApplySingle(i[0]), [x]));
        Assert.That(e!.Message, Does.Contain("Jacobian mismatch").And.Contain("numerical").And.Contain("analytical"));
        using Tensor f32 = Torch.Ones(2).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => Ember.Autograd.GradCheck(i => i[0] * 2.0, [f32]));
    }

    [Test]
    public void SavedTensorsOfACustomFunctionAreVersionChecked()
    {
        using Tensor x = Leaf(1.0, 2.0);
        using Tensor h = x * 1.0;
        using Tensor y = new Cube().ApplySingle(h);
        h.Add_(1.0);
        var e = Assert.Throws<AutogradException>(() => y.Backward(Vec(1.0, 1.0)));
        Assert.That(e!.Message, Does.Contain("modified by an inplace operation").And.Contain("CubeBackward"));
    }
}
