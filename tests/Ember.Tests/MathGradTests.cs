using static Ember.Tests.AutogradTestUtil;
using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>
/// Second derivatives of the math ops and activations (finite differences of their backward, float64),
/// in-place forms under autograd, random fills, and error messages.
/// </summary>
[TestFixture]
public class MathGradTests
{
    private static Tensor P(params long[] shape) => Pattern(shape, 0.37);

    private static Tensor Positive(params long[] shape)
    {
        using Tensor p = Pattern(shape, 0.11);
        using Tensor half = p * 0.5;
        return half + 1.5;
    }

    public static IEnumerable<TestCaseData> SecondOrder()
    {
        (string, Func<Tensor[], Tensor>, Func<Tensor[]>)[] cases =
        [
            ("abs", x => x[0].Abs(), () => [P(2, 3)]),
            ("square", x => x[0].Square(), () => [P(2, 3)]),
            ("reciprocal", x => x[0].Reciprocal(), () => [Positive(4)]),
            ("exp2", x => x[0].Exp2(), () => [P(4)]),
            ("expm1", x => x[0].Expm1(), () => [P(4)]),
            ("log2_log10_log1p", x => x[0].Log2() + x[0].Log10() + x[0].Log1p(), () => [Positive(4)]),
            ("sqrt_rsqrt", x => x[0].Sqrt() * x[0].Rsqrt().Square(), () => [Positive(4)]),
            ("trig", x => x[0].Sin() + x[0].Cos() * x[0].Tan(), () => [P(5)]),
            ("inverse_trig", x => x[0].Asin() + x[0].Acos() * x[0].Atan(), () => [P(5) * 0.8]),
            ("hyperbolic", x => x[0].Sinh() + x[0].Cosh() * x[0].Tanh(), () => [P(5)]),
            ("erf_erfc_erfinv", x => x[0].Erf() + x[0].Erfc() * (x[0] * 0.5).Erfinv(), () => [P(5)]),
            ("sigmoid", x => x[0].Sigmoid(), () => [P(5)]),
            ("pow_scalar", x => x[0].Pow(2.5), () => [Positive(4)]),
            ("pow_tensor", x => x[0].Pow(x[1]), () => [Positive(3), P(3)]),
            ("pow_rscalar", x => Torch.Pow(3.0, x[0]), () => [P(3)]),
            ("atan2", x => x[0].Atan2(x[1]), () => [P(2, 3), Positive(3)]),
            ("maximum_minimum", x => x[0].Maximum(x[1]) * x[0].Minimum(x[1]), () => [P(2, 3), Positive(3) - 1.7]),
            ("clamp", x => x[0].Clamp(-0.5, 0.6) * x[0], () => [P(6)]),
            ("clamp_tensor", x => x[0].Clamp(x[1], x[2]) * x[0], () => [P(2, 3), P(3) - 0.5, P(2, 1) + 0.2]),
            ("fmod_remainder", x => x[0].Fmod(x[1]) + x[0].Remainder(x[1]), () => [P(4) * 3, Positive(4)]),
            ("where", x => Torch.Where(x[0].Gt(0.0), x[0] * x[1], x[1].Exp()), () => [P(2, 3), P(3)]),
            ("lerp", x => x[0].Lerp(x[1], x[2]), () => [P(3), P(3) * 2, P(3).Sigmoid()]),
            ("addcmul_addcdiv", x => x[0].Addcmul(x[1], x[2], 0.5).Addcdiv(x[1], x[2], -2), () => [P(2, 3), P(3), Positive(2, 3)]),
            ("nan_to_num", x => x[0].NanToNum() * x[0], () => [P(4)]),
            ("leaky_relu", x => F.LeakyRelu(x[0], 0.2) * x[0], () => [P(6)]),
            ("elu_selu_celu", x => F.Elu(x[0], 0.7) + F.Selu(x[0]) + F.Celu(x[0], 1.3), () => [P(6)]),
            ("gelu", x => F.Gelu(x[0]) + F.Gelu(x[0], "tanh"), () => [P(6) * 2]),
            ("silu_mish", x => F.Silu(x[0]) + F.Mish(x[0]), () => [P(6) * 2]),
            ("softplus_softsign", x => F.Softplus(x[0], 2, 3) + F.Softsign(x[0]), () => [P(6) * 2]),
            ("logsigmoid_tanhshrink", x => F.LogSigmoid(x[0]) + F.Tanhshrink(x[0]), () => [P(6) * 2]),
            ("hard", x => (F.Hardtanh(x[0], -0.5, 0.7) + F.Relu6(x[0] * 4) + F.Hardsigmoid(x[0] * 4) + F.Hardswish(x[0] * 4)) * x[0], () => [P(8)]),
            ("threshold", x => F.Threshold(x[0], 0.1, -2) * x[0], () => [P(6)]),
            ("prod", x => x[0].Prod(1), () => [P(2, 4)]),
            ("amax_min", x => x[0].Amax([1]) + x[0].Min(), () => [P(2, 4)]),
            ("var_std", x => x[0].Var(1) + x[0].Std([0, 1], correction: 0), () => [P(3, 4)]),
            ("norm", x => x[0].Norm() + x[0].Norm(3, [1]).Sum() + x[0].Norm(1, [0]).Sum(), () => [P(3, 4)]),
            ("logsumexp", x => x[0].LogSumExp(0), () => [P(3, 4)]),
            ("cumsum_cumprod", x => x[0].Cumsum(1) + x[0].Cumprod(1), () => [Positive(2, 4)]),
            ("cumprod_with_zeros", x => (x[0] * x[1]).Cumprod(0), () => [P(4, 2), Torch.Tensor<double>([1, 0, 1, 1, 0, 0, 1, 1], [4, 2])]),
            ("cummax_median_mode", x => x[0].Cummax(1).Values.Sum(1) + x[0].Median(1).Values + x[0].Mode(1).Values, () => [P(3, 5)]),
        ];
        foreach (var (name, fn, inputs) in cases)
            yield return new TestCaseData(fn, inputs).SetName("MathGradGrad_" + name);
    }

    [TestCaseSource(nameof(SecondOrder))]
    public void GradGradCheck(Func<Tensor[], Tensor> fn, Func<Tensor[]> inputs)
    {
        using TensorScope scope = Torch.NewScope();
        Tensor[] x = inputs().Select(t => t.Detach().RequiresGrad_()).ToArray();
        Assert.That(Ember.Autograd.GradCheck(fn, x), Is.True);
        Assert.That(Ember.Autograd.GradGradCheck(fn, x), Is.True);
    }

    public static IEnumerable<TestCaseData> InplaceUnary() =>
        MathGradCases.InplaceUnary.Select(n => new TestCaseData(n).SetName("MathInplaceGrad_" + n));

    // Op_ on a non-leaf gives the gradient of Op (through the clone), also to second order.
    [TestCaseSource(nameof(InplaceUnary))]
    public void InPlaceFormsHaveTheGradientsOfTheirOutOfPlaceForms(string name)
    {
        using TensorScope scope = Torch.NewScope();
        System.Reflection.MethodInfo op = typeof(Tensor).GetMethod(name, Type.EmptyTypes)!, inplace = typeof(Tensor).GetMethod(name + "_", Type.EmptyTypes)!;
        bool positive = name is "Log2" or "Log10" or "Log1p" or "Sqrt" or "Rsqrt";
        bool unit = name is "Asin" or "Acos" or "Erfinv";
        Tensor x = (positive ? Positive(2, 3) : unit ? P(2, 3) * 0.8 : P(2, 3) * 2).Detach().RequiresGrad_();
        Tensor Out(Tensor t) => (Tensor)op.Invoke(t, null)!;
        Tensor In(Tensor t)
        {
            Tensor y = t * 1.0;
            Assert.That(inplace.Invoke(y, null), Is.SameAs(y));
            return y;
        }
        Tensor g = Pattern([2, 3], 5.0);
        Tensor expected = Ember.Autograd.Grad([Out(x)], [x], [g])[0]!;
        Tensor actual = Ember.Autograd.Grad([In(x)], [x], [g])[0]!;
        AssertClose(actual, Values(expected), 1e-14);
        Assert.That(Ember.Autograd.GradGradCheck(t => In(t[0]), [x]), Is.True);
    }

    [Test]
    public void InPlaceOpsRecordTheirGradient()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor a = P(2, 3).RequiresGrad_();
        Tensor y = a * 1.0;
        y.Sin_().Clamp_(-0.5, 0.5).Pow_(3.0);
        Assert.That(y.GradFn!.Name, Is.EqualTo("PowBackward0"));
        y.Sum().Backward();
        Tensor expected = a.Detach().Sin();
        Tensor mask = expected.Ge(-0.5).LogicalAnd(expected.Le(0.5));
        Tensor g = expected.Clamp(-0.5, 0.5).Square() * 3.0 * mask * a.Detach().Cos();
        AssertClose(a.Grad, Values(g), 1e-12);
        Assert.Throws<AutogradException>(() => a.Abs_());
    }

    [Test]
    public void InPlaceFormsWriteIntoTheTensorAndReturnIt()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor t = Torch.Tensor(new float[] { -1.5f, 0.25f, 4f });
        Assert.That(t.Abs_(), Is.SameAs(t));
        Assert.That(t.ToArray<float>(), Is.EqualTo(new[] { 1.5f, 0.25f, 4f }));
        t.Sqrt_().Reciprocal_();
        Assert.That(t.ToArray<float>(), Is.EqualTo(new[] { 1 / MathF.Sqrt(1.5f), 2f, 0.5f }).Within(1e-6));
        Tensor i = Torch.Tensor(new long[] { 5, -7, 9 });
        i.Remainder_(4);
        Assert.That(i.ToArray<long>(), Is.EqualTo(new long[] { 1, 1, 1 }));
        Tensor f = Torch.Tensor(new double[] { 0.5, -3 });
        Assert.That(F.LeakyRelu(f, 0.1, inplace: true), Is.SameAs(f));
        Assert.That(f.ToArray<double>(), Is.EqualTo(new[] { 0.5, -0.3 }).Within(1e-15));
        var ex = Assert.Throws<DTypeException>(() => i.Sqrt_());
        Assert.That(ex!.Message, Does.Contain("sqrt_: result type float32 can't be cast to the desired output type int64"));
    }

    [Test]
    public void ErrorsNameOpShapesAndDtypes()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor a = Torch.Zeros(2, 3), b = Torch.Zeros(4);
        var shape = Assert.Throws<ShapeMismatchException>(() => a.Atan2(b));
        Assert.That(shape!.Message, Does.Contain("atan2").And.Contain("[2, 3] float32").And.Contain("[4] float32"));
        Tensor ints = Torch.Tensor(new int[] { 1, 2 }), zeros = Torch.Tensor(new int[] { 0, 1 });
        var div = Assert.Throws<ArgumentException>(() => ints.Fmod(zeros));
        Assert.That(div!.Message, Does.Contain("fmod: ZeroDivisionError"));
        var dtype = Assert.Throws<DTypeException>(() => F.Silu(ints));
        Assert.That(dtype!.Message, Does.Contain("silu: takes a floating tensor").And.Contain("[2] int32"));
        var empty = Assert.Throws<ArgumentException>(() => Torch.Zeros(0, 3).Amax([0]));
        Assert.That(empty!.Message, Does.Contain("amax: Expected reduction dim to have non-zero size").And.Contain("[0, 3] float32"));
    }

    [Test]
    public void RandomOpsRepeatWithAGeneratorAndRespectTheirArguments()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor Draw(long seed)
        {
            using var g = new Generator(seed);
            Tensor t = Torch.Empty(1000).Uniform_(2, 3, g);
            Tensor n = Torch.Normal(1.0, 2.0, [1000], generator: g);
            Tensor r = Torch.Randint(-3, 4, [1000], generator: g);
            Tensor p = Torch.Randperm(50, generator: g);
            Tensor e = Torch.Empty([1000], DType.Float64).Exponential_(2, g);
            Tensor b = Torch.Bernoulli(Torch.Full([1000], 0.5), g);
            Tensor m = Torch.Multinomial(Torch.Tensor(new float[] { 1, 0, 2 }), 4, replacement: true, generator: g);
            return Torch.Tensor(Assertions.Values(t).Concat(Assertions.Values(n)).Concat(Assertions.Values(r)).Concat(Assertions.Values(p))
                .Concat(Assertions.Values(e)).Concat(Assertions.Values(b)).Concat(Assertions.Values(m)).ToArray());
        }
        double[] one = Draw(42).ToArray<double>(), two = Draw(42).ToArray<double>(), other = Draw(43).ToArray<double>();
        Assert.That(one, Is.EqualTo(two));
        Assert.That(one, Is.Not.EqualTo(other));
        double[] u = one[..1000], r = one[2000..3000], perm = one[3000..3050], m = one[^4..];
        Assert.That(u.Min(), Is.GreaterThanOrEqualTo(2));
        Assert.That(u.Max(), Is.LessThan(3));
        Assert.That(r.Min(), Is.EqualTo(-3));
        Assert.That(r.Max(), Is.EqualTo(3));
        Assert.That(perm.OrderBy(v => v), Is.EqualTo(Enumerable.Range(0, 50).Select(v => (double)v)));
        Assert.That(m, Has.None.EqualTo(1.0));
    }

    [Test]
    public void RandomFillOfATensorThatRequiresGradIsRefusedOnLeavesAndCutsTheGradient()
    {
        using TensorScope scope = Torch.NewScope();
        Tensor leaf = Torch.Zeros(3).RequiresGrad_();
        Assert.Throws<AutogradException>(() => leaf.Normal_());
        Tensor y = leaf * 2.0;
        y.Uniform_();
        (y * leaf).Sum().Backward();
        Assert.That(leaf.Grad!.ToArray<float>(), Is.EqualTo(Values(y).Select(v => (float)v).ToArray()).Within(1e-6));
    }
}
