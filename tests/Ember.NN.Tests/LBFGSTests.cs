using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>
/// LBFGS trajectories against PyTorch (Data/lbfgs.json, made by tests/reference/make_nn_lbfgs.py): a Rosenbrock
/// function coupled with a quartic bowl in float64, four calls of Step(closure) per case, with and without the
/// strong Wolfe line search.
/// </summary>
public class LBFGSTests
{
    public static IEnumerable<string> Cases =>
        RefData.Load("lbfgs").GetProperty("cases").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    private static Tensor Loss(Tensor x, Tensor w, Tensor a, Tensor c)
    {
        Tensor head = x.Narrow(0, 0, 3), tail = x.Narrow(0, 1, 3);
        Tensor r = tail - head * head;
        Tensor one = 1.0 - head;
        Tensor rosen = (r * r * 100.0 + one * one).Sum();
        Tensor d = w - c;
        Tensor coupling = x.Sum() * w.Sum();
        return rosen + (a * d * d * d * d).Sum() + coupling * coupling * 0.1;
    }

    [TestCaseSource(nameof(Cases))]
    public void TrajectoryMatchesPyTorch(string name)
    {
        JsonElement root = RefData.Load("lbfgs");
        JsonElement c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        JsonElement o = c.GetProperty("options");
        double Get(string key, double fallback) => o.TryGetProperty(key, out JsonElement v) ? v.GetDouble() : fallback;
        using var scope = Torch.NewScope();
        using var x = new Parameter(RefData.Tensor(root.GetProperty("x0"), DType.Float64));
        using var w = new Parameter(RefData.Tensor(root.GetProperty("w0"), DType.Float64));
        Tensor a = RefData.Tensor(root.GetProperty("a"), DType.Float64), target = RefData.Tensor(root.GetProperty("c"), DType.Float64);
        using var opt = new LBFGS([x, w], lr: Get("lr", 1), maxIter: (int)Get("max_iter", 20),
            maxEval: o.TryGetProperty("max_eval", out JsonElement me) ? me.GetInt32() : null,
            toleranceChange: Get("tolerance_change", 1e-9), historySize: (int)Get("history_size", 100),
            lineSearchFn: o.TryGetProperty("line_search_fn", out JsonElement ls) ? ls.GetString() : null);
        Tensor Closure()
        {
            opt.ZeroGrad();
            Tensor loss = Loss(x, w, a, target);
            loss.Backward();
            return loss;
        }
        int step = 0;
        foreach (JsonElement expected in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            using var stepScope = Torch.NewScope();
            Tensor loss = opt.Step(Closure);
            double want = expected.GetProperty("loss").GetDouble();
            Assert.That(loss.Item<double>(), Is.EqualTo(want).Within(1e-5 * Math.Abs(want) + 1e-9), $"{name} step {step} loss");
            RefData.AssertClose(x, expected.GetProperty("x"), rtol: 1e-5, atol: 1e-8, what: $"{name} step {step} x");
            RefData.AssertClose(w, expected.GetProperty("w"), rtol: 1e-5, atol: 1e-8, what: $"{name} step {step} w");
            OptimizerStateDict state = opt.StateDict();
            Assert.That(state.State[0]["func_evals"].Item<long>(), Is.EqualTo(expected.GetProperty("func_evals").GetInt64()), $"{name} step {step} func_evals");
            Assert.That(state.State[0]["n_iter"].Item<long>(), Is.EqualTo(expected.GetProperty("n_iter").GetInt64()), $"{name} step {step} n_iter");
        }
    }

    [Test]
    public void StateDictRoundTripResumesExactly()
    {
        JsonElement root = RefData.Load("lbfgs");
        using var scope = Torch.NewScope();
        Tensor a = RefData.Tensor(root.GetProperty("a"), DType.Float64), target = RefData.Tensor(root.GetProperty("c"), DType.Float64);
        (Parameter X, Parameter W, LBFGS Opt) Make()
        {
            var x = new Parameter(RefData.Tensor(root.GetProperty("x0"), DType.Float64));
            var w = new Parameter(RefData.Tensor(root.GetProperty("w0"), DType.Float64));
            return (x, w, new LBFGS([x, w], maxIter: 4, historySize: 3, lineSearchFn: "strong_wolfe"));
        }
        Func<Tensor> Closure(Parameter x, Parameter w, LBFGS opt) => () =>
        {
            opt.ZeroGrad();
            Tensor loss = Loss(x, w, a, target);
            loss.Backward();
            return loss;
        };
        var (x1, w1, opt1) = Make();
        opt1.Step(Closure(x1, w1, opt1));
        opt1.Step(Closure(x1, w1, opt1));
        OptimizerStateDict saved = opt1.StateDict();
        Assert.That(saved.State[0].Keys, Is.SupersetOf(new[] { "func_evals", "n_iter", "d", "t", "H_diag", "prev_flat_grad", "prev_loss", "ro", "old_dirs", "old_stps" }));
        Assert.That(saved.ParamGroups[0]["history_size"], Is.EqualTo(3));

        var (x2, w2, opt2) = Make();
        using (Torch.NoGrad())
        {
            x2.Copy_(x1);
            w2.Copy_(w1);
        }
        opt2.LoadStateDict(saved);
        opt1.Step(Closure(x1, w1, opt1));
        opt2.Step(Closure(x2, w2, opt2));
        Assert.That(x2.ToArray<double>(), Is.EqualTo(x1.ToArray<double>()));
        Assert.That(w2.ToArray<double>(), Is.EqualTo(w1.ToArray<double>()));
        foreach (IDisposable d in new IDisposable[] { opt1, opt2, x1, w1, x2, w2 })
            d.Dispose();
    }

    [Test]
    public void NeedsAClosureAndOneGroup()
    {
        using var scope = Torch.NewScope();
        using var p = new Parameter(Torch.Zeros(2));
        using var opt = new LBFGS([p]);
        Assert.That(() => opt.Step(), Throws.InvalidOperationException.With.Message.Contains("closure"));
        Assert.That(() => new LBFGS([p], lineSearchFn: "backtracking"), Throws.ArgumentException.With.Message.Contains("strong_wolfe"));
    }

    [Test]
    public void StopsAtAStationaryPointWithoutMoving()
    {
        using var scope = Torch.NewScope();
        using var p = new Parameter(Torch.Tensor<double>([1.0, 2.0], [2]));
        using var opt = new LBFGS([p]);
        Tensor target = Torch.Tensor<double>([1.0, 2.0], [2]);
        Tensor loss = opt.Step(() =>
        {
            opt.ZeroGrad();
            Tensor d = p - target;
            Tensor l = (d * d).Sum();
            l.Backward();
            return l;
        });
        Assert.That(loss.Item<double>(), Is.EqualTo(0.0));
        Assert.That(p.ToArray<double>(), Is.EqualTo(new[] { 1.0, 2.0 }));
        Assert.That(opt.StateDict().State[0]["func_evals"].Item<long>(), Is.EqualTo(1));
    }
}
