using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// The normalization layers against PyTorch with the same state (Data/norm_modules.json, made by
/// tests/reference/make_nn_norm_modules.py): training steps with running statistics, evaluation, state-dict
/// names; and finite-difference gradient checks of the functional forms, first and second order.
/// </summary>
public class NormalizationTests
{
    private static readonly Dictionary<string, Func<Module<Tensor, Tensor>>> s_modules = new()
    {
        ["batchnorm1d"] = () => new BatchNorm1d(4),
        ["batchnorm1d_3d_cumulative"] = () => new BatchNorm1d(3, momentum: null),
        ["batchnorm2d"] = () => new BatchNorm2d(3),
        ["batchnorm2d_noaffine_momentum"] = () => new BatchNorm2d(3, affine: false, momentum: 0.3),
        ["batchnorm2d_untracked"] = () => new BatchNorm2d(3, trackRunningStats: false),
        ["layernorm"] = () => new LayerNorm([3, 4]),
        ["layernorm_noaffine"] = () => new LayerNorm(7, elementwiseAffine: false, eps: 1e-3),
        ["groupnorm"] = () => new GroupNorm(2, 6),
        ["instancenorm2d"] = () => new InstanceNorm2d(3),
        ["instancenorm2d_affine_tracked"] = () => new InstanceNorm2d(3, affine: true, trackRunningStats: true),
        ["rmsnorm"] = () => new RMSNorm([6]),
    };

    public static IEnumerable<string> ModuleNames => s_modules.Keys;

    private static Dictionary<string, Tensor> State(JsonElement e) =>
        e.EnumerateObject().ToDictionary(p => p.Name, p => RefData.Tensor(p.Value, p.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? DType.Int64 : DType.Float32));

    [TestCaseSource(nameof(ModuleNames))]
    public void TrainingAndEvaluationMatchPyTorch(string name)
    {
        JsonElement c = RefData.Load("norm_modules").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        using Module<Tensor, Tensor> m = s_modules[name]();
        Dictionary<string, Tensor> initial = State(c.GetProperty("initial"));
        Assert.That(m.StateDict().Keys, Is.EqualTo(initial.Keys), "state dict keys and order");
        m.LoadStateDict(initial);
        m.Train();
        int step = 0;
        foreach (JsonElement s in c.GetProperty("train").EnumerateArray())
        {
            step++;
            m.ZeroGrad();
            Tensor x = RefData.Tensor(s.GetProperty("input")).RequiresGrad_();
            Tensor y = m.Call(x);
            RefData.AssertClose(y, s.GetProperty("output"), rtol: 1e-4, atol: 1e-5, what: $"{name} step {step} output");
            y.Backward(RefData.Tensor(s.GetProperty("grad_out")));
            RefData.AssertClose(x.Grad!, s.GetProperty("grad_input"), rtol: 1e-4, atol: 1e-5, what: $"{name} step {step} grad input");
            foreach ((string key, Parameter p) in m.NamedParameters())
                RefData.AssertClose(p.Grad!, s.GetProperty("grads").GetProperty(key), rtol: 1e-4, atol: 1e-5, what: $"{name} step {step} grad {key}");
        }
        m.Eval();
        using (Torch.NoGrad())
        {
            JsonElement e = c.GetProperty("eval");
            Tensor y = m.Call(RefData.Tensor(e.GetProperty("input")));
            RefData.AssertClose(y, e.GetProperty("output"), rtol: 1e-4, atol: 1e-5, what: $"{name} eval output");
        }
        Dictionary<string, Tensor> expected = State(c.GetProperty("final"));
        foreach ((string key, Tensor value) in m.StateDict())
        {
            if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                Assert.That(value.Item<long>(), Is.EqualTo(expected[key].Item<long>()), key);
            else
                RefData.AssertClose(value, c.GetProperty("final").GetProperty(key), rtol: 1e-5, atol: 1e-6, what: $"{name} final {key}");
        }
    }

    [Test]
    public void BatchNormStateDictNamesAndPrinting()
    {
        var model = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2));
        Assert.That(model.StateDict().Keys, Is.EqualTo(new[]
        {
            "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
        }));
        Assert.That(model.Buffers().Count(), Is.EqualTo(3));
        Assert.That(new BatchNorm2d(3).ToString(), Is.EqualTo("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"));
        Assert.That(new BatchNorm1d(3, momentum: null).ToString(), Is.EqualTo("BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, track_running_stats=True)"));
        Assert.That(new LayerNorm(10).ToString(), Is.EqualTo("LayerNorm((10,), eps=1e-05, elementwise_affine=True)"));
        Assert.That(new GroupNorm(2, 4).ToString(), Is.EqualTo("GroupNorm(2, 4, eps=1e-05, affine=True)"));
        Assert.That(new InstanceNorm2d(3).ToString(), Is.EqualTo("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)"));
        model.Dispose();
    }

    [Test]
    public void ShapeErrorsNameTheLayer()
    {
        using var scope = Torch.NewScope();
        using var bn = new BatchNorm2d(3);
        Assert.That(() => bn.Call(Torch.Zeros(2, 3)), Throws.ArgumentException.With.Message.Contains("expected 4D input (got 2D input)"));
        using var bn1 = new BatchNorm1d(3);
        Assert.That(() => bn1.Call(Torch.Zeros(1, 3)), Throws.Exception.With.Message.Contains("Expected more than 1 value per channel"));
        Assert.That(() => new GroupNorm(4, 6), Throws.ArgumentException.With.Message.Contains("divisible"));
        using var ln = new LayerNorm(5);
        Assert.That(() => ln.Call(Torch.Zeros(2, 4)), Throws.Exception.With.Message.Contains("normalized_shape=[5]"));
    }

    private static Tensor Rand64(params long[] shape)
    {
        using Tensor r = Torch.Randn(shape, DType.Float64);
        return (r * 1.5 + 0.3).RequiresGrad_();
    }

    public static IEnumerable<string> FunctionalNames => ["batch_norm", "batch_norm_eval", "layer_norm", "group_norm", "rms_norm", "instance_norm"];

    private static Func<Tensor[], Tensor> Functional(string name, out Tensor[] inputs)
    {
        Torch.ManualSeed(3);
        switch (name)
        {
            case "batch_norm":
                inputs = [Rand64(4, 3, 2), Rand64(3), Rand64(3)];
                return a => Ember.Functional.BatchNorm(a[0], null, null, a[1], a[2], training: true);
            case "batch_norm_eval":
            {
                Tensor rm = Torch.Randn([3], DType.Float64), rv = Torch.Rand([3], DType.Float64) + 0.5;
                inputs = [Rand64(4, 3, 2), Rand64(3), Rand64(3)];
                return a => Ember.Functional.BatchNorm(a[0], rm, rv, a[1], a[2], training: false);
            }
            case "layer_norm":
                inputs = [Rand64(3, 2, 5), Rand64(2, 5), Rand64(2, 5)];
                return a => Ember.Functional.LayerNorm(a[0], [2, 5], a[1], a[2]);
            case "group_norm":
                inputs = [Rand64(2, 4, 3), Rand64(4), Rand64(4)];
                return a => Ember.Functional.GroupNorm(a[0], 2, a[1], a[2]);
            case "rms_norm":
                inputs = [Rand64(3, 5), Rand64(5)];
                return a => Ember.Functional.RMSNorm(a[0], [5], a[1], 1e-5);
            default:
                inputs = [Rand64(2, 3, 4), Rand64(3), Rand64(3)];
                return a => Ember.Functional.InstanceNorm(a[0], null, null, a[1], a[2]);
        }
    }

    [TestCaseSource(nameof(FunctionalNames))]
    public void GradientsPassFiniteDifferenceChecks(string name)
    {
        using var scope = Torch.NewScope();
        Func<Tensor[], Tensor> fn = Functional(name, out Tensor[] inputs);
        Assert.That(Autograd.GradCheck(fn, inputs), Is.True);
        Assert.That(Autograd.GradGradCheck(fn, inputs), Is.True);
    }

    [Test]
    public void BackwardNodesHavePyTorchNames()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn(4, 3).RequiresGrad_();
        Assert.That(Ember.Functional.BatchNorm(x, null, null, training: true).GradFn!.Name, Is.EqualTo("NativeBatchNormBackward0"));
        Assert.That(Ember.Functional.LayerNorm(x, [3]).GradFn!.Name, Is.EqualTo("NativeLayerNormBackward0"));
        Assert.That(Ember.Functional.GroupNorm(x, 3).GradFn!.Name, Is.EqualTo("NativeGroupNormBackward0"));
    }
}
