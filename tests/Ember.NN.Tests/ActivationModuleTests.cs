using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// The activation modules: each one's output and gradient equal those of its functional op (which are checked
/// against PyTorch elsewhere), in place where PyTorch offers it; the composite functions prelu, glu, softmin,
/// hardshrink and softshrink, and the printed form of every module, against PyTorch (Data/rnn.json, made by
/// tests/reference/make_nn_rnn.py).
/// </summary>
public class ActivationModuleTests
{
    private static Tensor Input() => ((Torch.Arange(24).To(DType.Float64) - 11.5) / 3).Reshape(2, 4, 3);

    public static IEnumerable<TestCaseData> ModulesAndOps()
    {
        static TestCaseData C(string name, Func<Module<Tensor, Tensor>> m, Func<Tensor, Tensor> f) => new TestCaseData(m, f).SetName(name);
        yield return C("ReLU", () => new ReLU(), Functional.Relu);
        yield return C("ReLU6", () => new ReLU6(), x => Functional.Relu6(x));
        yield return C("LeakyReLU", () => new LeakyReLU(0.2), x => Functional.LeakyRelu(x, 0.2));
        yield return C("ELU", () => new ELU(0.7), x => Functional.Elu(x, 0.7));
        yield return C("SELU", () => new SELU(), x => Functional.Selu(x));
        yield return C("CELU", () => new CELU(1.5), x => Functional.Celu(x, 1.5));
        yield return C("GELU", () => new GELU(), x => Functional.Gelu(x));
        yield return C("GELU_tanh", () => new GELU("tanh"), x => Functional.Gelu(x, "tanh"));
        yield return C("SiLU", () => new SiLU(), x => Functional.Silu(x));
        yield return C("Mish", () => new Mish(), x => Functional.Mish(x));
        yield return C("Softplus", () => new Softplus(2, 3), x => Functional.Softplus(x, 2, 3));
        yield return C("Softsign", () => new Softsign(), Functional.Softsign);
        yield return C("Sigmoid", () => new Sigmoid(), Functional.Sigmoid);
        yield return C("LogSigmoid", () => new LogSigmoid(), Functional.LogSigmoid);
        yield return C("Tanh", () => new Tanh(), Functional.Tanh);
        yield return C("Hardtanh", () => new Hardtanh(-2, 3), x => Functional.Hardtanh(x, -2, 3));
        yield return C("Hardsigmoid", () => new Hardsigmoid(), x => Functional.Hardsigmoid(x));
        yield return C("Hardswish", () => new Hardswish(), x => Functional.Hardswish(x));
        yield return C("Tanhshrink", () => new Tanhshrink(), Functional.Tanhshrink);
        yield return C("Threshold", () => new Threshold(0.5, -7), x => Functional.Threshold(x, 0.5, -7));
        yield return C("Softmin", () => new Softmin(1), x => Functional.Softmin(x, 1));
        yield return C("Softmax2d", () => new Softmax2d(), x => Functional.Softmax(x, 0));
        yield return C("GLU", () => new GLU(1), x => Functional.Glu(x, 1));
        yield return C("Hardshrink", () => new Hardshrink(1), x => Functional.Hardshrink(x, 1));
        yield return C("Softshrink", () => new Softshrink(1), x => Functional.Softshrink(x, 1));
    }

    [TestCaseSource(nameof(ModulesAndOps))]
    public void ModuleEqualsItsFunctionalOp(Func<Module<Tensor, Tensor>> make, Func<Tensor, Tensor> op)
    {
        using var scope = Torch.NewScope();
        using Module<Tensor, Tensor> m = make();
        Tensor x = Input().RequiresGrad_();
        Tensor y = m.Call(x);
        y.Sum().Backward();
        Tensor x2 = Input().RequiresGrad_();
        Tensor expected = op(x2);
        expected.Sum().Backward();
        Assert.That(y.ToArray<double>(), Is.EqualTo(expected.ToArray<double>()));
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(x2.Grad!.ToArray<double>()));
        // Not the identity: the op changes some element (guards against a module that returns its input).
        Assert.That(y.Shape.ToArray().SequenceEqual(x.Shape.ToArray()) && y.ToArray<double>().SequenceEqual(x.ToArray<double>()), Is.False);
    }

    public static IEnumerable<TestCaseData> InplaceModules()
    {
        static TestCaseData C(string name, Func<Module<Tensor, Tensor>> inplace, Func<Module<Tensor, Tensor>> plain) => new TestCaseData(inplace, plain).SetName(name);
        yield return C("ReLU_inplace", () => new ReLU(true), () => new ReLU());
        yield return C("ReLU6_inplace", () => new ReLU6(true), () => new ReLU6());
        yield return C("LeakyReLU_inplace", () => new LeakyReLU(0.1, true), () => new LeakyReLU(0.1));
        yield return C("ELU_inplace", () => new ELU(1, true), () => new ELU());
        yield return C("SELU_inplace", () => new SELU(true), () => new SELU());
        yield return C("CELU_inplace", () => new CELU(1, true), () => new CELU());
        yield return C("SiLU_inplace", () => new SiLU(true), () => new SiLU());
        yield return C("Mish_inplace", () => new Mish(true), () => new Mish());
        yield return C("Hardtanh_inplace", () => new Hardtanh(inplace: true), () => new Hardtanh());
        yield return C("Hardsigmoid_inplace", () => new Hardsigmoid(true), () => new Hardsigmoid());
        yield return C("Hardswish_inplace", () => new Hardswish(true), () => new Hardswish());
        yield return C("Threshold_inplace", () => new Threshold(0, 2, true), () => new Threshold(0, 2));
    }

    [TestCaseSource(nameof(InplaceModules))]
    public void InplaceModuleOverwritesItsInputAndStillDifferentiates(Func<Module<Tensor, Tensor>> makeInplace, Func<Module<Tensor, Tensor>> makePlain)
    {
        using var scope = Torch.NewScope();
        using Module<Tensor, Tensor> inplace = makeInplace(), plain = makePlain();
        Tensor leaf = Input().RequiresGrad_();
        Tensor x = leaf * 1.0;
        Tensor y = inplace.Call(x);
        Assert.That(ReferenceEquals(y, x), Is.True, "returns its input");
        y.Sum().Backward();
        Tensor leaf2 = Input().RequiresGrad_();
        Tensor expected = plain.Call(leaf2);
        expected.Sum().Backward();
        Assert.That(x.ToArray<double>(), Is.EqualTo(expected.ToArray<double>()));
        Assert.That(leaf.Grad!.ToArray<double>(), Is.EqualTo(leaf2.Grad!.ToArray<double>()));
    }

    [Test]
    public void PReLULearnsOneSlopePerChannel()
    {
        using var scope = Torch.NewScope();
        using var m = new PReLU(4);
        Assert.That(m.StateDict().Keys, Is.EqualTo(new[] { "weight" }));
        Assert.That(m.Weight.ToArray<float>(), Is.EqualTo(new[] { 0.25f, 0.25f, 0.25f, 0.25f }));
        Tensor x = Torch.Full([2, 4, 3], -2.0);
        Tensor y = m.Call(x);
        Assert.That(y.ToArray<float>(), Is.All.EqualTo(-0.5f));
        y.Sum().Backward();
        // d/dw_c of sum(w_c x) over the 6 elements of channel c, each -2.
        Assert.That(m.Weight.Grad!.ToArray<float>(), Is.EqualTo(new[] { -12f, -12f, -12f, -12f }));
        Assert.That(() => m.Call(Torch.Zeros(2, 3, 3)), Throws.ArgumentException.With.Message.Contains("prelu"));
    }

    private static IEnumerable<string> FunctionalCaseNames() => RefData.Load("rnn").GetProperty("activations").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    [TestCaseSource(nameof(FunctionalCaseNames))]
    public void CompositeFunctionMatchesPyTorch(string name)
    {
        JsonElement c = RefData.Load("rnn").GetProperty("activations").EnumerateArray().First(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        Tensor x = RefData.Tensor(c.GetProperty("input"), DType.Float64).RequiresGrad_();
        Tensor? w = name switch
        {
            "prelu_shared" => Torch.Tensor<double>([0.3], [1]).RequiresGrad_(),
            "prelu_channels" => Torch.Tensor<double>([0.1, -0.2, 0.5, 2.0], [4]).RequiresGrad_(),
            _ => null,
        };
        Tensor y = name switch
        {
            "prelu_shared" or "prelu_channels" => Functional.Prelu(x, w!),
            "glu_last" => Functional.Glu(x.Reshape(2, 3, 4)),
            "glu_dim1" => Functional.Glu(x, 1),
            "softmin_dim1" => Functional.Softmin(x, 1),
            "hardshrink" => Functional.Hardshrink(x),
            "hardshrink_1" => Functional.Hardshrink(x, 1.0),
            "softshrink" => Functional.Softshrink(x),
            "softshrink_2" => Functional.Softshrink(x, 2.0),
            "softmax2d" => new Softmax2d().Call(x.Reshape(2, 4, 3, 1)),
            _ => throw new InvalidOperationException(name),
        };
        RefData.AssertClose(y, c.GetProperty("output"), 1e-10, 1e-10, "output");
        y.Backward(RefData.Tensor(c.GetProperty("g_out"), DType.Float64));
        JsonElement[] grads = c.GetProperty("grads").EnumerateArray().ToArray();
        RefData.AssertClose(x.Grad!, grads[0], 1e-10, 1e-10, "grad input");
        if (w is not null)
            RefData.AssertClose(w.Grad!, grads[1], 1e-10, 1e-10, "grad weight");
    }

    [Test]
    public void EveryModulePrintsAsPyTorch()
    {
        var modules = new Dictionary<string, Module>
        {
            ["ReLU()"] = new ReLU(), ["ReLU(inplace)"] = new ReLU(true), ["ReLU6()"] = new ReLU6(),
            ["LeakyReLU()"] = new LeakyReLU(), ["LeakyReLU(0.2, inplace)"] = new LeakyReLU(0.2, true),
            ["ELU()"] = new ELU(), ["ELU(0.5)"] = new ELU(0.5), ["SELU()"] = new SELU(), ["CELU(2)"] = new CELU(2),
            ["GELU()"] = new GELU(), ["GELU(tanh)"] = new GELU("tanh"), ["SiLU()"] = new SiLU(), ["Mish()"] = new Mish(),
            ["Softplus()"] = new Softplus(), ["Softplus(0.5, 10)"] = new Softplus(0.5, 10), ["Softsign()"] = new Softsign(),
            ["Sigmoid()"] = new Sigmoid(), ["LogSigmoid()"] = new LogSigmoid(), ["Tanh()"] = new Tanh(), ["Hardtanh()"] = new Hardtanh(),
            ["Hardtanh(-2, 3)"] = new Hardtanh(-2, 3), ["Hardsigmoid()"] = new Hardsigmoid(), ["Hardswish()"] = new Hardswish(),
            ["Tanhshrink()"] = new Tanhshrink(), ["Threshold(0.1, 20)"] = new Threshold(0.1, 20), ["Softmin(1)"] = new Softmin(1),
            ["Softmax2d()"] = new Softmax2d(), ["PReLU()"] = new PReLU(), ["PReLU(3)"] = new PReLU(3), ["GLU()"] = new GLU(),
            ["GLU(1)"] = new GLU(1), ["Hardshrink()"] = new Hardshrink(), ["Softshrink(1)"] = new Softshrink(1),
        };
        var expected = RefData.Load("rnn").GetProperty("reprs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.That(modules.Keys, Is.EquivalentTo(expected.Keys));
        foreach ((string key, Module m) in modules)
        {
            Assert.That(m.ToString(), Is.EqualTo(expected[key]), key);
            m.Dispose();
        }
    }

    [Test]
    public void BadArgumentsAreClearErrors()
    {
        using var scope = Torch.NewScope();
        Assert.That(() => new GELU("erf"), Throws.ArgumentException.With.Message.Contains("approximate"));
        Assert.That(() => new Hardtanh(1, 1), Throws.ArgumentException.With.Message.Contains("max_val"));
        Assert.That(() => new Softshrink(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new GLU().Call(Torch.Zeros(2, 3)), Throws.ArgumentException.With.Message.Contains("even"));
        Assert.That(() => new Softmax2d().Call(Torch.Zeros(2, 3)), Throws.ArgumentException.With.Message.Contains("3 or 4 dims"));
    }
}
