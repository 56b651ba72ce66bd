using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// The checks that every fixture of <see cref="GradCase"/>s runs: gradients and second-order gradients
/// against finite differences in float64. A derived fixture supplies the static sources <c>Cases</c> (first
/// order) and <c>SecondOrderCases</c>, which NUnit finds on it by name (a missing one fails the fixture's tests).
/// </summary>
public abstract class GradCaseFixture
{
    [TestCaseSource("Cases")]
    public void GradCheck(GradCase c)
    {
        using TensorScope scope = Torch.NewScope();
        (double eps, double atol, double rtol) = c.Tolerance;
        Assert.That(Ember.Autograd.GradCheck(c.Fn, c.Inputs(), eps, atol, rtol), Is.True);
    }

    [TestCaseSource("SecondOrderCases")]
    public void GradGradCheck(GradCase c)
    {
        using TensorScope scope = Torch.NewScope();
        (double eps, double atol, double rtol) = c.Tolerance;
        Assert.That(Ember.Autograd.GradGradCheck(c.Fn, c.Inputs(), null, eps, atol, rtol), Is.True);
    }

    /// <summary>
    /// Output, gradients (for an output gradient of Pattern(seed 5)) and second-order gradients (of the sum of
    /// the gradients times Pattern(seed 11 + k)) against PyTorch's, within <paramref name="tol"/> and ten times
    /// that for the second order.
    /// </summary>
    protected static void AssertMatches(GradCase c, TorchCase expected, double tol)
    {
        using TensorScope scope = Torch.NewScope();
        Tensor[] x = c.Inputs();
        Tensor output = c.Fn(x);
        Assert.That(output.Shape.ToArray(), Is.EqualTo(expected.Out.Shape), "output shape");
        AssertClose(output, expected.Out.Data, tol, "output");
        Tensor gout = Pattern(output.ShapeArray, 5.0);
        Tensor?[] grads = Ember.Autograd.Grad([output], x, [gout], createGraph: true, allowUnused: true);
        Tensor[] first = grads.Select((g, k) => g ?? Torch.ZerosLike(x[k])).ToArray();
        for (int k = 0; k < x.Length; k++)
            AssertClose(first[k], expected.Grads[k], tol, $"gradient of input {k}");
        Tensor? s = null;
        for (int k = 0; k < first.Length; k++)
        {
            Tensor term = (first[k] * Pattern(first[k].ShapeArray, 11 + k)).Sum();
            s = s is null ? term : s + term;
        }
        Tensor?[] second = s!.RequiresGrad ? Ember.Autograd.Grad([s], x, allowUnused: true) : new Tensor?[x.Length];
        for (int k = 0; k < x.Length; k++)
            AssertClose(second[k] ?? Torch.ZerosLike(x[k]), expected.Second[k], tol * 10, $"second-order gradient of input {k}");
    }
}
