using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// Adagrad, RMSprop, Adadelta, Adamax, NAdam and RAdam against torch.optim 1.13 (Data/optimizers_adaptive.json, made by
/// tests/reference/make_nn_optim.py): 8-step trajectories, state-dict structure and values, resuming from a state dict.
/// </summary>
public class AdaptiveOptimTests
{
    public static IEnumerable<string> Cases =>
        RefData.Load("optimizers_adaptive").GetProperty("cases").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private static Optimizer Create(JsonElement c, IReadOnlyList<Tensor> ps)
    {
        JsonElement o = c.GetProperty("options");
        double Get(string name, double fallback) => o.TryGetProperty(name, out JsonElement v) ? v.GetDouble() : fallback;
        bool Flag(string name) => o.TryGetProperty(name, out JsonElement v) && v.GetBoolean();
        (double, double)? betas = o.TryGetProperty("betas", out JsonElement b) ? (b[0].GetDouble(), b[1].GetDouble()) : null;
        return c.GetProperty("optimizer").GetString() switch
        {
            "Adagrad" => new Adagrad(ps, Get("lr", 1e-2), Get("lr_decay", 0), Get("weight_decay", 0), Get("initial_accumulator_value", 0), Get("eps", 1e-10), Flag("maximize")),
            "RMSprop" => new RMSprop(ps, Get("lr", 1e-2), Get("alpha", 0.99), Get("eps", 1e-8), Get("weight_decay", 0), Get("momentum", 0), Flag("centered"), Flag("maximize")),
            "Adadelta" => new Adadelta(ps, Get("lr", 1.0), Get("rho", 0.9), Get("eps", 1e-6), Get("weight_decay", 0), Flag("maximize")),
            "Adamax" => new Adamax(ps, Get("lr", 2e-3), betas, Get("eps", 1e-8), Get("weight_decay", 0), Flag("maximize")),
            "NAdam" => new NAdam(ps, Get("lr", 2e-3), betas, Get("eps", 1e-8), Get("weight_decay", 0), Get("momentum_decay", 4e-3)),
            "RAdam" => new RAdam(ps, Get("lr", 1e-3), betas, Get("eps", 1e-8), Get("weight_decay", 0)),
            var other => throw new InvalidDataException(other),
        };
    }

    private static void SetGradients(IReadOnlyList<Parameter> ps, IReadOnlyList<Tensor> a, IReadOnlyList<Tensor> c)
    {
        for (int k = 0; k < ps.Count; k++)
        {
            using (Torch.NoGrad())
                ps[k].Grad = (ps[k] - c[k]) * a[k] * 2.0;
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void TrajectoryAndStateMatchPyTorch(string name)
    {
        JsonElement root = RefData.Load("optimizers_adaptive");
        JsonElement c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        var ps = root.GetProperty("p0").EnumerateArray().Select(e => new Parameter(RefData.Tensor(e, DType.Float64))).ToList();
        var a = root.GetProperty("a").EnumerateArray().Select(e => RefData.Tensor(e, DType.Float64)).ToList();
        var target = root.GetProperty("c").EnumerateArray().Select(e => RefData.Tensor(e, DType.Float64)).ToList();
        using Optimizer opt = Create(c, ps);
        int step = 0;
        OptimizerStateDict? midway = null;
        List<Tensor>? midwayParams = null;
        foreach (JsonElement expected in c.GetProperty("steps").EnumerateArray())
        {
            using var stepScope = Torch.NewScope();
            opt.ZeroGrad();
            SetGradients(ps, a, target);
            opt.Step();
            step++;
            for (int k = 0; k < ps.Count; k++)
                RefData.AssertClose(ps[k], expected[k], rtol: 1e-5, atol: 1e-9, what: $"{name} step {step} param {k}");
            if (step == 4)
            {
                midway = Snapshot(opt.StateDict());
                midwayParams = ps.Select(p => p.Detach().Clone().DetachFromScope()).ToList();
            }
        }

        // State dict: PyTorch's keys and the values after the last step.
        OptimizerStateDict sd = opt.StateDict();
        Assert.That(sd.ParamGroups[0].Keys.OrderBy(k => k, StringComparer.Ordinal),
            Is.EqualTo(c.GetProperty("group_keys").EnumerateArray().Select(e => e.GetString()!).ToList()), "param_groups keys");
        foreach (JsonProperty entry in c.GetProperty("state").EnumerateObject())
        {
            Dictionary<string, Tensor> state = sd.State[int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture)];
            Assert.That(state.Keys, Is.EquivalentTo(entry.Value.EnumerateObject().Select(p => p.Name)), $"state {entry.Name} keys");
            foreach (JsonProperty s in entry.Value.EnumerateObject())
                RefData.AssertClose(state[s.Name], s.Value, rtol: 1e-5, atol: 1e-9, what: $"{name} state {entry.Name} {s.Name}");
        }

        // A fresh optimizer loaded with the step-4 state continues exactly like the original.
        var ps2 = midwayParams!.Select(p => new Parameter(p)).ToList();
        using Optimizer opt2 = Create(c, ps2);
        opt2.LoadStateDict(midway!);
        JsonElement[] steps = c.GetProperty("steps").EnumerateArray().ToArray();
        for (int s = 4; s < steps.Length; s++)
        {
            using var stepScope = Torch.NewScope();
            opt2.ZeroGrad();
            SetGradients(ps2, a, target);
            opt2.Step();
            for (int k = 0; k < ps2.Count; k++)
                RefData.AssertClose(ps2[k], steps[s][k], rtol: 1e-5, atol: 1e-9, what: $"{name} resumed step {s + 1} param {k}");
        }
    }

    // A state dict whose tensors are copies (the optimizer keeps updating its own).
    private static OptimizerStateDict Snapshot(OptimizerStateDict sd)
    {
        var copy = new OptimizerStateDict();
        foreach ((int id, Dictionary<string, Tensor> state) in sd.State)
            copy.State[id] = state.ToDictionary(kv => kv.Key, kv => kv.Value.Clone().DetachFromScope());
        foreach (Dictionary<string, object> g in sd.ParamGroups)
            copy.ParamGroups.Add(new Dictionary<string, object>(g));
        return copy;
    }

    [Test]
    public void ParamGroupsAndErrors()
    {
        using var scope = Torch.NewScope();
        var a = new Parameter(Torch.Ones(2));
        var b = new Parameter(Torch.Ones(2));
        var opt = new RMSprop([new ParamGroup([a]), new ParamGroup([b], new() { ["lr"] = 0.5, ["momentum"] = 0.9 })], lr: 0.1);
        Assert.That(opt.ParamGroups[1].Options.Momentum, Is.EqualTo(0.9));
        a.Grad = Torch.Ones(2);
        b.Grad = Torch.Ones(2);
        opt.Step();
        Assert.That(opt.StateDict().State[1].Keys, Is.EquivalentTo(new[] { "step", "square_avg", "momentum_buffer" }));
        Assert.That(opt.StateDict().State[0].Keys, Is.EquivalentTo(new[] { "step", "square_avg" }));
        Assert.That(() => new Adamax([a], betas: (1.0, 0.9)), Throws.ArgumentException.With.Message.Contains("beta parameter at index 0"));
        Assert.That(() => new Adagrad([a], lr: -1), Throws.ArgumentException.With.Message.Contains("Invalid learning rate"));
        Assert.That(() => new RAdam([new ParamGroup([a], new() { ["maximize"] = 1 })]), Throws.ArgumentException.With.Message.Contains("unknown option"));
    }
}
