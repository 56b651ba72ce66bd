using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>Optimizer trajectories and scheduler sequences against PyTorch (Data/optimizers.json, schedulers.json).</summary>
public class OptimTests
{
    public static IEnumerable<string> OptimizerCases =>
        RefData.Load("optimizers").GetProperty("cases").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private static Optimizer Create(JsonElement c, IReadOnlyList<Tensor> parameters)
    {
        JsonElement o = c.GetProperty("options");
        double Get(string name, double fallback) => o.TryGetProperty(name, out JsonElement v) ? v.GetDouble() : fallback;
        bool Flag(string name) => o.TryGetProperty(name, out JsonElement v) && v.GetBoolean();
        (double, double)? betas = o.TryGetProperty("betas", out JsonElement b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;
        return c.GetProperty("optimizer").GetString() switch
        {
            "SGD" => new SGD(parameters, Get("lr", 1e-3), Get("momentum", 0), Get("dampening", 0), Get("weight_decay", 0), Flag("nesterov"), Flag("maximize")),
            "Adam" => new Adam(parameters, Get("lr", 1e-3), betas, Get("eps", 1e-8), Get("weight_decay", 0), Flag("amsgrad"), Flag("maximize")),
            "AdamW" => new AdamW(parameters, Get("lr", 1e-3), betas, Get("eps", 1e-8), Get("weight_decay", 1e-2), Flag("amsgrad"), Flag("maximize")),
            var other => throw new InvalidDataException(other),
        };
    }

    /// <summary>Six steps on sum_k sum(a_k (p_k - c_k)^2) in float64 equal PyTorch's to 1e-5 relative (in practice to rounding).</summary>
    [TestCaseSource(nameof(OptimizerCases))]
    public void TrajectoryMatchesPyTorch(string name)
    {
        JsonElement root = RefData.Load("optimizers");
        JsonElement c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        var parameters = root.GetProperty("p0").EnumerateArray().Select(e => new Parameter(RefData.Tensor(e, DType.Float64))).ToList();
        var a = root.GetProperty("a").EnumerateArray().Select(e => RefData.Tensor(e, DType.Float64)).ToList();
        var target = root.GetProperty("c").EnumerateArray().Select(e => RefData.Tensor(e, DType.Float64)).ToList();
        using Optimizer optimizer = Create(c, parameters);
        int step = 0;
        foreach (JsonElement expected in c.GetProperty("steps").EnumerateArray())
        {
            using var stepScope = Torch.NewScope();
            optimizer.ZeroGrad();
            // The gradient of the loss, set directly so that this test depends on the optimizer alone.
            for (int k = 0; k < parameters.Count; k++)
            {
                using (Torch.NoGrad())
                    parameters[k].Grad = (parameters[k] - target[k]) * a[k] * 2.0;
            }
            optimizer.Step();
            step++;
            for (int k = 0; k < parameters.Count; k++)
                RefData.AssertClose(parameters[k], expected[k], rtol: 1e-5, atol: 1e-9, what: $"{name} step {step} param {k}");
        }
        foreach (Parameter p in parameters)
            p.Dispose();
    }

    [Test]
    public void StateDictHasPyTorchStructureAndResumesExactly()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(5);
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        var x = Torch.Randn(8, 4);
        var y = Torch.Randn(8, 2);
        var loss = new MSELoss();
        var opt = new Adam(model.Parameters(), lr: 0.01, amsgrad: true);
        void Step(Module<Tensor, Tensor> m, Optimizer o)
        {
            o.ZeroGrad();
            loss.Call(m.Call(x), y).Backward();
            o.Step();
        }
        Step(model, opt);
        Step(model, opt);

        OptimizerStateDict state = opt.StateDict();
        Assert.That(state.State.Keys, Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(state.State[0].Keys, Is.EquivalentTo(new[] { "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq" }));
        Assert.That(state.State[0]["step"].Item<float>(), Is.EqualTo(2f));
        Assert.That(state.ParamGroups, Has.Count.EqualTo(1));
        Assert.That(state.ParamGroups[0]["params"], Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(state.ParamGroups[0]["lr"], Is.EqualTo(0.01));
        Assert.That(state.ParamGroups[0]["betas"], Is.EqualTo(new[] { 0.9, 0.999 }));

        // A copy of the model and optimizer restored from the state dicts takes the same next step.
        var model2 = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        model2.LoadStateDict(model.StateDict());
        var opt2 = new Adam(model2.Parameters(), lr: 0.5, amsgrad: true);
        opt2.LoadStateDict(state);
        Assert.That(opt2.ParamGroups[0].Options.Lr, Is.EqualTo(0.01));
        Step(model, opt);
        Step(model2, opt2);
        foreach (((string n, Parameter p1), (_, Parameter p2)) in model.NamedParameters().Zip(model2.NamedParameters()))
            Assert.That(p2.ToArray<float>(), Is.EqualTo(p1.ToArray<float>()), n);
    }

    [Test]
    public void ParamGroupsTakeTheirOwnOptions()
    {
        using var scope = Torch.NewScope();
        var a = new Parameter(Torch.Ones(2));
        var b = new Parameter(Torch.Ones(2));
        var opt = new SGD([new ParamGroup([a]), new ParamGroup([b], new() { ["lr"] = 0.5 })], lr: 0.1);
        a.Grad = Torch.Ones(2);
        b.Grad = Torch.Ones(2);
        opt.Step();
        Assert.That(a.ToArray<float>(), Is.All.EqualTo(0.9f).Within(1e-7));
        Assert.That(b.ToArray<float>(), Is.All.EqualTo(0.5f).Within(1e-7));
        Assert.That(() => new SGD([new ParamGroup([a]), new ParamGroup([a])]), Throws.ArgumentException.With.Message.Contains("more than one"));
        Assert.That(() => new SGD([new ParamGroup([b], new() { ["betas"] = 1 })]), Throws.ArgumentException.With.Message.Contains("unknown option"));
        Assert.That(() => new SGD([a], lr: 0.1, nesterov: true), Throws.ArgumentException.With.Message.Contains("Nesterov"));
    }

    [Test]
    public void ParametersWithoutGradientsAreSkipped()
    {
        using var scope = Torch.NewScope();
        var a = new Parameter(Torch.Ones(2));
        var b = new Parameter(Torch.Ones(2));
        var opt = new SGD([a, b], lr: 0.1, momentum: 0.9);
        a.Grad = Torch.Ones(2);
        opt.Step();
        Assert.That(b.ToArray<float>(), Is.All.EqualTo(1f));
        Assert.That(opt.StateDict().State.Keys, Is.EqualTo(new[] { 0 }));
    }

    public static IEnumerable<string> SchedulerCases =>
        RefData.Load("schedulers").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    [TestCaseSource(nameof(SchedulerCases))]
    public void SchedulerSequenceMatchesPyTorch(string name)
    {
        JsonElement c = RefData.Load("schedulers").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        var p = new Parameter(Torch.Zeros(1));
        var opt = new SGD([p], lr: 0.1);
        LRScheduler scheduler = name switch
        {
            "StepLR" => new StepLR(opt, stepSize: 3, gamma: 0.5),
            "MultiStepLR" => new MultiStepLR(opt, [2, 5, 5, 8], gamma: 0.1),
            "ExponentialLR" => new ExponentialLR(opt, gamma: 0.9),
            "CosineAnnealingLR" => new CosineAnnealingLR(opt, tMax: 4, etaMin: 0.01),
            "LinearLR" => new LinearLR(opt, startFactor: 0.25, endFactor: 1.0, totalIters: 4),
            "ConstantLR" => new ConstantLR(opt, factor: 0.5, totalIters: 3),
            "LambdaLR" => new LambdaLR(opt, e => Math.Pow(0.95, e)),
            _ => throw new InvalidDataException(name),
        };
        var lrs = new List<double> { opt.ParamGroups[0].Options.Lr };
        for (int i = 0; i < 12; i++)
        {
            opt.Step();
            scheduler.Step();
            lrs.Add(opt.ParamGroups[0].Options.Lr);
        }
        double[] expected = c.GetProperty("lrs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.That(lrs, Is.EqualTo(expected).Within(1e-12));
        Assert.That(scheduler.GetLastLr()[0], Is.EqualTo(lrs[^1]));
    }
}
