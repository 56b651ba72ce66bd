using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// The cyclic, restarting, plateau and composite schedulers against PyTorch (Data/schedulers_more.json, made by
/// tests/reference/make_nn_schedulers.py): learning rate and momentum of two groups after every step.
/// </summary>
public class SchedulerTests
{
    private static readonly double[] s_metrics =
        [1.0, 0.9, 0.95, 0.95, 0.9, 0.91, 0.92, 0.5, 0.5, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2];

    public static IEnumerable<string> Cases =>
        RefData.Load("schedulers_more").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private static Optimizer MakeOptimizer(bool adam, Parameter a, Parameter b)
    {
        ParamGroup[] groups = [new ParamGroup([a], new() { ["lr"] = 0.1 }), new ParamGroup([b], new() { ["lr"] = 0.05 })];
        return adam ? new Adam(groups, lr: 0.1) : new SGD(groups, lr: 0.1, momentum: 0.9);
    }

    private static double Momentum(OptimizerOptions o) => o switch
    {
        SGDOptions s => s.Momentum,
        AdamOptions a => a.Beta1,
        _ => throw new InvalidOperationException(o.GetType().Name),
    };

    [TestCaseSource(nameof(Cases))]
    public void SequenceMatchesPyTorch(string name)
    {
        JsonElement c = RefData.Load("schedulers_more").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        using var a = new Parameter(Torch.Zeros(1));
        using var b = new Parameter(Torch.Zeros(1));
        using Optimizer opt = MakeOptimizer(name == "OneCycleLR_adam", a, b);
        Action<int> step;
        switch (name)
        {
            case "ReduceLROnPlateau_min":
            {
                var s = new ReduceLROnPlateau(opt, factor: 0.5, patience: 2);
                step = i => s.Step(s_metrics[i]);
                break;
            }
            case "ReduceLROnPlateau_max_abs_cooldown":
            {
                var s = new ReduceLROnPlateau(opt, [0.001, 0.0004], mode: "max", factor: 0.1, patience: 1, threshold: 0.05,
                    thresholdMode: ThresholdMode.Abs, cooldown: 2);
                step = i => s.Step(s_metrics[i]);
                break;
            }
            default:
            {
                LRScheduler s = Scheduler(name, opt);
                step = _ => s.Step();
                break;
            }
        }
        JsonElement[] lrs = [.. c.GetProperty("lrs").EnumerateArray()];
        JsonElement[] moms = [.. c.GetProperty("momentums").EnumerateArray()];
        for (int i = 0; i < lrs.Length; i++)
        {
            if (i > 0)
                step(i - 1);
            for (int g = 0; g < 2; g++)
            {
                OptimizerOptions o = opt.GroupOptions[g];
                double want = lrs[i][g].GetDouble();
                Assert.That(o.Lr, Is.EqualTo(want).Within(1e-12 + 1e-12 * Math.Abs(want)), $"{name} step {i} group {g} lr");
                double wantMomentum = moms[i][g].GetDouble();
                Assert.That(Momentum(o), Is.EqualTo(wantMomentum).Within(1e-12), $"{name} step {i} group {g} momentum");
            }
        }
    }

    private static LRScheduler Scheduler(string name, Optimizer o) => name switch
    {
        "CosineAnnealingWarmRestarts" => new CosineAnnealingWarmRestarts(o, t0: 3, tMult: 2, etaMin: 0.001),
        "CosineAnnealingWarmRestarts_mult1" => new CosineAnnealingWarmRestarts(o, t0: 4),
        "OneCycleLR_cos" => new OneCycleLR(o, [1.0, 0.5], totalSteps: 20),
        "OneCycleLR_linear_three_phase" => new OneCycleLR(o, 0.8, epochs: 4, stepsPerEpoch: 5, pctStart: 0.25,
            annealStrategy: AnnealStrategy.Linear, threePhase: true, divFactor: 10.0, finalDivFactor: 100.0),
        "OneCycleLR_adam" => new OneCycleLR(o, 0.3, totalSteps: 12, baseMomentum: 0.8, maxMomentum: 0.9),
        "CyclicLR_triangular" => new CyclicLR(o, 0.01, 0.1, stepSizeUp: 3),
        "CyclicLR_triangular2" => new CyclicLR(o, [0.01, 0.02], [0.1, 0.2], stepSizeUp: 2, stepSizeDown: 4, mode: CyclicMode.Triangular2),
        "CyclicLR_exp_range" => new CyclicLR(o, 0.01, 0.1, stepSizeUp: 3, mode: CyclicMode.ExpRange, gamma: 0.9, cycleMomentum: false),
        "SequentialLR" => new SequentialLR(o, [new LinearLR(o, startFactor: 0.1, totalIters: 3), new StepLR(o, 2, 0.5), new ExponentialLR(o, 0.9)], [4, 9]),
        "ChainedScheduler" => new ChainedScheduler([new ConstantLR(o, 0.1, 2), new ExponentialLR(o, 0.9)]),
        _ => throw new InvalidDataException(name),
    };

    [Test]
    public void OneCycleRefusesToStepPastItsEnd()
    {
        using var scope = Torch.NewScope();
        using var a = new Parameter(Torch.Zeros(1));
        using var opt = new SGD([a], lr: 0.1, momentum: 0.9);
        var s = new OneCycleLR(opt, 1.0, totalSteps: 3);
        s.Step();
        s.Step();
        s.Step();
        Assert.That(() => s.Step(), Throws.InvalidOperationException.With.Message.Contains("Tried to step 5 times"));
    }

    [Test]
    public void MisconfigurationsAreRejected()
    {
        using var scope = Torch.NewScope();
        using var a = new Parameter(Torch.Zeros(1));
        using var sgd = new SGD([a], lr: 0.1);
        Assert.That(() => new ReduceLROnPlateau(sgd, factor: 1.0), Throws.ArgumentException.With.Message.Contains("Factor should be < 1.0"));
        Assert.That(() => new ReduceLROnPlateau(sgd, mode: "up"), Throws.ArgumentException.With.Message.Contains("mode up is unknown"));
        Assert.That(() => new CosineAnnealingWarmRestarts(sgd, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new OneCycleLR(sgd, 1.0), Throws.ArgumentException.With.Message.Contains("total_steps"));
        Assert.That(() => new SequentialLR(sgd, [new StepLR(sgd, 2)], [1]), Throws.ArgumentException.With.Message.Contains("one more"));
        using var b = new Parameter(Torch.Zeros(1));
        using var other = new SGD([b], lr: 0.1);
        Assert.That(() => new ChainedScheduler([new StepLR(sgd, 2), new StepLR(other, 2)]), Throws.ArgumentException.With.Message.Contains("same optimizer"));
    }

    [Test]
    public void WarmRestartsTakeFractionalEpochs()
    {
        using var scope = Torch.NewScope();
        using var a = new Parameter(Torch.Zeros(1));
        using var opt = new SGD([a], lr: 1.0);
        var s = new CosineAnnealingWarmRestarts(opt, t0: 2, tMult: 2);
        s.Step(2.5); // in the second period (length 4), 0.5 into it
        Assert.That(s.TI, Is.EqualTo(4));
        Assert.That(s.TCur, Is.EqualTo(0.5).Within(1e-12));
        Assert.That(opt.GroupOptions[0].Lr, Is.EqualTo((1 + Math.Cos(Math.PI * 0.5 / 4)) / 2).Within(1e-12));
        Assert.That(s.LastEpoch, Is.EqualTo(2));
    }
}
