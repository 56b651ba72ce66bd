using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>The module system: automatic registration, names, state dicts, modes, conversions, printing, hooks, disposal.</summary>
public class ModuleTests
{
    /// <summary>The seed's MNIST CNN, written as a C# user would.</summary>
    private sealed class Net : Module<Tensor, Tensor>
    {
        private readonly Conv2d _conv1 = new(1, 10, kernelSize: 5);
        private readonly Conv2d _conv2 = new(10, 20, kernelSize: 5);
        private readonly Dropout2d _conv2Drop = new();

        public Linear Fc1 { get; } = new(320, 50);

        public Linear Fc2 { get; } = new(50, 10);

        public override Tensor Forward(Tensor x)
        {
            x = Functional.Relu(Functional.MaxPool2d(_conv1.Call(x), 2));
            x = Functional.Relu(Functional.MaxPool2d(_conv2Drop.Call(_conv2.Call(x)), 2));
            x = x.View(-1, 320);
            x = Functional.Relu(Fc1.Call(x));
            x = Functional.Dropout(x, 0.5, Training);
            return Fc2.Call(x);
        }
    }

    /// <summary>Every kind of member: parameter, buffers (persistent or not), nested module, list of modules, ignored field.</summary>
    private sealed class Block : Module<Tensor, Tensor>
    {
        public Parameter Scale { get; } = new(Torch.Ones(3));

        public Tensor RunningMean { get; } = Torch.Zeros(3);

        [Buffer(Persistent = false)]
        public Tensor Cache { get; } = Torch.Zeros(1);

        private readonly Linear _proj = new(3, 3);
        private readonly List<Linear> _layers = [new Linear(3, 2), new Linear(2, 1)];

        [NotRegistered]
        private readonly Linear _borrowed;

        public Block(Linear borrowed) => _borrowed = borrowed;

        public override Tensor Forward(Tensor x) => _layers[1].Call(_layers[0].Call(_proj.Call(x * Scale)) + _borrowed.Call(x).Sum());
    }

    [Test]
    public void FieldsAndPropertiesRegisterInDeclarationOrderWithPyTorchKeys()
    {
        using var scope = Torch.NewScope();
        JsonElement printing = RefData.Load("printing");
        using var net = new Net();
        Assert.That(net.StateDict().Keys, Is.EqualTo(printing.GetProperty("net_keys").EnumerateArray().Select(e => e.GetString())));
        Assert.That(net.NamedChildren().Select(c => c.Name), Is.EqualTo(new[] { "conv1", "conv2", "conv2_drop", "fc1", "fc2" }));
        Assert.That(net.Parameters().Count(), Is.EqualTo(8));
    }

    [Test]
    public void BuffersListsNestedModulesAndIgnoredFields()
    {
        using var scope = Torch.NewScope();
        using var borrowed = new Linear(3, 1);
        using var block = new Block(borrowed);
        Assert.That(block.NamedParameters().Select(p => p.Name), Is.EqualTo(new[]
        {
            "scale", "proj.weight", "proj.bias", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        }));
        Assert.That(block.NamedBuffers().Select(b => b.Name), Is.EqualTo(new[] { "running_mean", "cache" }));
        Assert.That(block.StateDict().Keys, Is.EqualTo(new[]
        {
            "scale", "running_mean", "proj.weight", "proj.bias", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        }));
        Assert.That(block.Modules().Count(), Is.EqualTo(5)); // block, proj, layers (a ModuleList), layers.0, layers.1
        Assert.That(block.NamedModules().Select(m => m.Name), Is.EqualTo(new[] { "", "proj", "layers", "layers.0", "layers.1" }));
        Assert.That(block.Call(Torch.Ones(2, 3)).Shape.ToArray(), Is.EqualTo(new long[] { 2, 1 }));
    }

    [Test]
    public void ExplicitRegistrationNamesAndErrors()
    {
        using var scope = Torch.NewScope();
        var seq = new Sequential(("encoder", new Linear(4, 3)), ("act", new ReLU()), ("head", new Linear(3, 2)));
        Assert.That(seq.StateDict().Keys, Is.EqualTo(new[] { "encoder.weight", "encoder.bias", "head.weight", "head.bias" }));
        var list = new ModuleList(new Linear(1, 1));
        Assert.That(() => list.RegisterModule("0", new ReLU()), Throws.ArgumentException.With.Message.Contains("already registered"));
        Assert.That(() => list.RegisterModule("a.b", new ReLU()), Throws.ArgumentException.With.Message.Contains("'.'"));
        var block = new Block(new Linear(3, 1));
        Assert.That(() => block.RegisterBuffer("running_mean", Torch.Zeros(1)), Throws.ArgumentException.With.Message.Contains("field"));
        block.RegisterBuffer("extra", Torch.Ones(2));
        Assert.That(block.NamedBuffers().Select(b => b.Name), Does.Contain("extra"));
    }

    [TestCase("_fc1", "fc1")]
    [TestCase("Fc1", "fc1")]
    [TestCase("RunningMean", "running_mean")]
    [TestCase("_conv2Drop", "conv2_drop")]
    [TestCase("<NumBatchesTracked>k__BackingField", "num_batches_tracked")]
    [TestCase("HTTPProxy", "http_proxy")]
    [TestCase("layers", "layers")]
    public void KeyNameRule(string field, string key) => Assert.That(Module.KeyName(field), Is.EqualTo(key));

    [Test]
    public void StateDictRoundTripsIntoAFreshModel()
    {
        using var scope = Torch.NewScope();
        using var a = new Net();
        using var b = new Net();
        var state = a.StateDict();
        b.LoadStateDict(state);
        foreach (((string name, Parameter pa), (_, Parameter pb)) in a.NamedParameters().Zip(b.NamedParameters()))
            Assert.That(pb.ToArray<float>(), Is.EqualTo(pa.ToArray<float>()), name);
        // The state dict shares storage with the model but is not the parameter object.
        Assert.That(state["fc1.weight"], Is.Not.SameAs(a.Fc1.Weight));
        Assert.That(state["fc1.weight"].SharesStorageWith(a.Fc1.Weight), Is.True);
        Assert.That(state["fc1.weight"].RequiresGrad, Is.False);
    }

    [Test]
    public void LoadStateDictReportsMissingUnexpectedAndMismatchedKeys()
    {
        using var scope = Torch.NewScope();
        using var net = new Net();
        var state = net.StateDict();
        state.Remove("fc2.bias");
        state["extra.weight"] = Torch.Zeros(1);
        Assert.That(() => net.LoadStateDict(state), Throws.ArgumentException
            .With.Message.Contains("Missing key(s) in state_dict: \"fc2.bias\"")
            .And.Message.Contains("Unexpected key(s) in state_dict: \"extra.weight\""));
        (IReadOnlyList<string> missing, IReadOnlyList<string> unexpected) = net.LoadStateDict(state, strict: false);
        Assert.That(missing, Is.EqualTo(new[] { "fc2.bias" }));
        Assert.That(unexpected, Is.EqualTo(new[] { "extra.weight" }));
        state.Remove("extra.weight");
        state["fc2.bias"] = Torch.Zeros(3);
        Assert.That(() => net.LoadStateDict(state), Throws.ArgumentException.With.Message.Contains("size mismatch for fc2.bias"));
    }

    [Test]
    public void ToStringMatchesPyTorchPrint()
    {
        using var scope = Torch.NewScope();
        JsonElement printing = RefData.Load("printing");
        using var mlp = new Sequential(new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));
        Assert.That(mlp.ToString(), Is.EqualTo(printing.GetProperty("mlp").GetString()));
        using var net = new Net();
        Assert.That(net.ToString(), Is.EqualTo(printing.GetProperty("net").GetString()));
        using var misc = new Sequential(new Conv2d(3, 8, 3, stride: 2, padding: 1, bias: false), new MaxPool2d(2), new MaxPool2d((2, 3), stride: (1, 2)),
            new Dropout(0.25), new Identity(), new Softmax(1), new LogSoftmax(-1));
        Assert.That(misc.ToString(), Is.EqualTo(printing.GetProperty("misc").GetString()));
    }

    [Test]
    public void TrainEvalReachEverySubmodule()
    {
        using var scope = Torch.NewScope();
        using var net = new Net();
        Assert.That(net.Modules().All(m => m.Training), Is.True);
        net.Eval();
        Assert.That(net.Modules().Any(m => m.Training), Is.False);
        net.Train();
        Assert.That(net.Modules().All(m => m.Training), Is.True);
    }

    [Test]
    public void ParametersSurviveScopesAndDieWithTheModule()
    {
        Net net;
        using (Torch.NewScope())
            net = new Net();
        Assert.That(net.Parameters().All(p => !p.IsDisposed), Is.True);
        Assert.That(net.Parameters().All(p => p.RequiresGrad && p.IsLeaf), Is.True);
        var parameters = net.Parameters().ToList();
        net.Dispose();
        Assert.That(parameters.All(p => p.IsDisposed), Is.True);
    }

    [Test]
    public void ZeroGradRequiresGradAndApply()
    {
        using var scope = Torch.NewScope();
        using var model = new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 1));
        model.Call(Torch.Randn(4, 3)).Backward(Torch.Ones(4, 1));
        Assert.That(model.Parameters().All(p => p.Grad is not null), Is.True);
        model.ZeroGrad(setToNone: false);
        Assert.That(model.Parameters().All(p => p.Grad!.ToArray<float>().All(v => v == 0)), Is.True);
        model.ZeroGrad();
        Assert.That(model.Parameters().All(p => p.Grad is null), Is.True);
        model.RequiresGrad_(false);
        Assert.That(model.Parameters().Any(p => p.RequiresGrad), Is.False);
        var visited = new List<string>();
        model.Apply(m => visited.Add(m.GetType().Name));
        Assert.That(visited, Is.EqualTo(new[] { "Linear", "ReLU", "Linear", "Sequential" }));
    }

    [Test]
    public void ToDTypeConvertsParametersAndBuffers()
    {
        using var scope = Torch.NewScope();
        using var borrowed = new Linear(3, 1);
        using var block = new Block(borrowed);
        float[] before = block.NamedParameters().First(p => p.Name == "proj.weight").Parameter.ToArray<float>();
        block.To(DType.Float64);
        Assert.That(block.Parameters().All(p => p.DType == DType.Float64 && p.RequiresGrad), Is.True);
        Assert.That(block.Buffers().All(b => b.DType == DType.Float64), Is.True);
        double[] after = block.NamedParameters().First(p => p.Name == "proj.weight").Parameter.ToArray<double>();
        Assert.That(after, Is.EqualTo(before.Select(v => (double)v)));
        Assert.That(borrowed.Weight.DType, Is.EqualTo(DType.Float32), "a [NotRegistered] field is not converted");
        borrowed.To(DType.Float64);
        Assert.That(block.Call(Torch.Ones([2, 3], DType.Float64)).DType, Is.EqualTo(DType.Float64));
    }

    [Test]
    public void HooksRunAroundForwardAndCanBeRemoved()
    {
        using var scope = Torch.NewScope();
        var relu = new ReLU();
        var calls = new List<string>();
        HookHandle pre = relu.RegisterForwardPreHook((m, x) => { calls.Add("pre"); return x * -1; });
        HookHandle post = relu.RegisterForwardHook((m, x, y) => { calls.Add("post"); return y + 1; });
        float[] y = relu.Call(Torch.Tensor(new float[] { 1, -2 })).ToArray<float>();
        Assert.That(y, Is.EqualTo(new float[] { 1, 3 }));
        Assert.That(calls, Is.EqualTo(new[] { "pre", "post" }));
        pre.Dispose();
        post.Remove();
        Assert.That(relu.Call(Torch.Tensor(new float[] { 1, -2 })).ToArray<float>(), Is.EqualTo(new float[] { 1, 0 }));
    }

    [Test]
    public void ParameterIsATensorSharingItsData()
    {
        using var scope = Torch.NewScope();
        Tensor data = Torch.Ones(2, 2);
        var p = new Parameter(data);
        Assert.That(p.RequiresGrad && p.IsLeaf, Is.True);
        Assert.That(p.SharesStorageWith(data), Is.True);
        Assert.That(p.ToString(), Does.StartWith("Parameter containing:"));
        Assert.That(new Parameter(data, requiresGrad: false).RequiresGrad, Is.False);
        scope.Dispose();
        Assert.That(p.IsDisposed, Is.False, "a scope never disposes a parameter");
        p.Dispose();
    }
}
