using System.Globalization;

namespace Ember.Optim;

/// <summary>Options of <see cref="LBFGS"/>, named as <c>torch.optim.LBFGS</c>'s.</summary>
public sealed class LBFGSOptions : OptimizerOptions
{
    /// <summary>Most iterations per <see cref="LBFGS.Step(Func{Tensor})"/> (<c>max_iter</c>).</summary>
    public int MaxIter { get; set; } = 20;

    /// <summary>Most closure evaluations per step (<c>max_eval</c>; PyTorch's default max_iter · 5 / 4).</summary>
    public int MaxEval { get; set; } = 25;

    /// <summary>Stop when the largest gradient entry is at most this (<c>tolerance_grad</c>).</summary>
    public double ToleranceGrad { get; set; } = 1e-7;

    /// <summary>Stop when the step or the change of the loss is below this (<c>tolerance_change</c>).</summary>
    public double ToleranceChange { get; set; } = 1e-9;

    /// <summary>Number of curvature pairs kept (<c>history_size</c>).</summary>
    public int HistorySize { get; set; } = 100;

    /// <summary>"strong_wolfe" for a line search satisfying the strong Wolfe conditions, or null for a fixed step of lr (<c>line_search_fn</c>).</summary>
    public string? LineSearchFn { get; set; }

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["max_iter"] = MaxIter;
        target["max_eval"] = MaxEval;
        target["tolerance_grad"] = ToleranceGrad;
        target["tolerance_change"] = ToleranceChange;
        target["history_size"] = HistorySize;
        target["line_search_fn"] = LineSearchFn ?? "None";
    }

    /// <inheritdoc/>
    protected override bool Set(string name, double value)
    {
        switch (name)
        {
            case "max_iter": MaxIter = checked((int)value); return true;
            case "max_eval": MaxEval = checked((int)value); return true;
            case "tolerance_grad": ToleranceGrad = value; return true;
            case "tolerance_change": ToleranceChange = value; return true;
            case "history_size": HistorySize = checked((int)value); return true;
            default: return false;
        }
    }
}

/// <summary>
/// Limited-memory BFGS (<c>torch.optim.LBFGS</c>), after minFunc: each <see cref="Step(Func{Tensor})"/> runs up
/// to <c>max_iter</c> quasi-Newton iterations, re-evaluating the closure (which must zero the gradients,
/// compute the loss, call backward and return the loss) as it goes, with a fixed step of <c>lr</c> or a strong
/// Wolfe line search. All parameters form one flat vector: one group only, and the history holds
/// 2 · history_size vectors of that length. The arithmetic follows PyTorch's order, in the parameters' dtype.
/// </summary>
public sealed class LBFGS : Optimizer<LBFGSOptions, LBFGS.ParamState>
{
    /// <summary>The state LBFGS keeps (on the first parameter, as PyTorch does).</summary>
    public sealed class ParamState
    {
        /// <summary>Closure evaluations so far (<c>func_evals</c>).</summary>
        public long FuncEvals { get; internal set; }

        /// <summary>Iterations so far (<c>n_iter</c>).</summary>
        public long NIter { get; internal set; }

        internal Tensor? D, PrevFlatGrad;
        internal double T, HDiag = 1, PrevLoss;
        internal readonly List<Tensor> OldDirs = [], OldStps = [];
        internal readonly List<double> Ro = [];

        internal void Clear()
        {
            D?.Dispose();
            PrevFlatGrad?.Dispose();
            D = PrevFlatGrad = null;
            foreach (Tensor t in OldDirs.Concat(OldStps))
                t.Dispose();
            OldDirs.Clear();
            OldStps.Clear();
            Ro.Clear();
        }
    }

    private readonly IReadOnlyList<Tensor> _params;

    /// <summary>L-BFGS over <paramref name="parameters"/>.</summary>
    /// <param name="parameters">The tensors to optimise (one group).</param>
    /// <param name="lr">Step length (<c>lr</c>): the fixed step, or the line search's first trial.</param>
    /// <param name="maxIter">Most iterations per step.</param>
    /// <param name="maxEval">Most closure evaluations per step; null for maxIter · 5 / 4.</param>
    /// <param name="toleranceGrad">First-order optimality tolerance.</param>
    /// <param name="toleranceChange">Tolerance on the change of the parameters and the loss.</param>
    /// <param name="historySize">Number of curvature pairs kept.</param>
    /// <param name="lineSearchFn">"strong_wolfe", or null for none.</param>
    /// <exception cref="ArgumentException">The list is empty, or the line search is not "strong_wolfe".</exception>
    public LBFGS(IEnumerable<Tensor> parameters, double lr = 1, int maxIter = 20, int? maxEval = null, double toleranceGrad = 1e-7,
        double toleranceChange = 1e-9, int historySize = 100, string? lineSearchFn = null)
        : base(OneGroup(parameters), new LBFGSOptions
        {
            Lr = lr,
            MaxIter = maxIter,
            MaxEval = maxEval ?? maxIter * 5 / 4,
            ToleranceGrad = toleranceGrad,
            ToleranceChange = toleranceChange,
            HistorySize = historySize,
            LineSearchFn = lineSearchFn,
        })
    {
        _params = ParamGroups[0].Params;
    }

    /// <inheritdoc/>
    private protected override void Validate(LBFGSOptions options)
    {
        if (options.LineSearchFn is not (null or "strong_wolfe"))
            throw new ArgumentException($"LBFGS: only 'strong_wolfe' is supported as line_search_fn, got '{options.LineSearchFn}'");
        if (options.MaxIter < 1 || options.HistorySize < 1)
            throw new ArgumentException($"LBFGS: max_iter ({options.MaxIter}) and history_size ({options.HistorySize}) must be positive");
    }

    /// <summary>LBFGS needs its closure: call <see cref="Step(Func{Tensor})"/>.</summary>
    /// <exception cref="InvalidOperationException">Always.</exception>
    public override void Step() =>
        throw new InvalidOperationException("LBFGS.Step: LBFGS re-evaluates the loss several times per step; pass a closure that recomputes it (Step(closure))");

    /// <summary>
    /// Runs up to <c>max_iter</c> iterations (<c>step(closure)</c>); returns the closure's first loss.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="closure"/> is null.</exception>
    public override Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        LBFGSOptions o = ParamGroups[0].Options;
        if (!State.TryGetValue(_params[0], out ParamState? state))
            State[_params[0]] = state = new ParamState();

        Tensor origLoss = Evaluate(closure);
        double loss = ToDouble(origLoss);
        int currentEvals = 1;
        state.FuncEvals++;
        using var stepScope = Torch.NewScope();
        Tensor flatGrad = GatherFlatGrad();
        if (AbsMax(flatGrad) <= o.ToleranceGrad)
            return origLoss;

        Tensor? d = state.D;
        double t = state.T;
        int nIter = 0;
        while (nIter < o.MaxIter)
        {
            nIter++;
            state.NIter++;
            using var iterScope = Torch.NewScope();
            if (state.NIter == 1)
            {
                // The first iteration ever: steepest descent, an empty history.
                d = Keep(flatGrad.Neg(), d);
                state.HDiag = 1;
            }
            else
            {
                Tensor y = flatGrad - state.PrevFlatGrad!;
                Tensor s = d! * t;
                double ys = Dot(y, s);
                if (ys > 1e-10)
                {
                    if (state.OldDirs.Count == o.HistorySize)
                    {
                        state.OldDirs[0].Dispose();
                        state.OldStps[0].Dispose();
                        state.OldDirs.RemoveAt(0);
                        state.OldStps.RemoveAt(0);
                        state.Ro.RemoveAt(0);
                    }
                    state.OldDirs.Add(y.DetachFromScope());
                    state.OldStps.Add(s.DetachFromScope());
                    state.Ro.Add(1.0 / ys);
                    state.HDiag = ys / Dot(y, y);
                }
                // The two-loop recursion: d = -H g from the stored pairs.
                int numOld = state.OldDirs.Count;
                double[] al = new double[numOld];
                Tensor q = flatGrad.Neg();
                for (int i = numOld - 1; i >= 0; i--)
                {
                    al[i] = Dot(state.OldStps[i], q) * state.Ro[i];
                    using Tensor step = state.OldDirs[i] * -al[i];
                    q.Add_(step);
                }
                Tensor r = q * state.HDiag;
                for (int i = 0; i < numOld; i++)
                {
                    double beI = Dot(state.OldDirs[i], r) * state.Ro[i];
                    using Tensor step = state.OldStps[i] * (al[i] - beI);
                    r.Add_(step);
                }
                d = Keep(r, d);
            }
            if (state.PrevFlatGrad is null)
                state.PrevFlatGrad = flatGrad.Clone().DetachFromScope();
            else
                state.PrevFlatGrad.Copy_(flatGrad);
            state.PrevLoss = loss;

            t = state.NIter == 1 ? Math.Min(1.0, 1.0 / AbsSum(flatGrad)) * o.Lr : o.Lr;
            double gtd = Dot(flatGrad, d!);
            if (gtd > -o.ToleranceChange)
                break;

            int lsFuncEvals;
            bool optCond = false;
            if (o.LineSearchFn is not null)
            {
                Tensor[] xInit = _params.Select(p => p.Clone()).ToArray();
                (loss, Tensor newGrad, t, lsFuncEvals) = StrongWolfe(closure, xInit, t, d!, loss, flatGrad, gtd, o.ToleranceChange);
                flatGrad = MoveTo(stepScope, newGrad);
                AddGrad(t, d!);
                optCond = AbsMax(flatGrad) <= o.ToleranceGrad;
            }
            else
            {
                AddGrad(t, d!);
                lsFuncEvals = 0;
                if (nIter != o.MaxIter)
                {
                    loss = ToDouble(Evaluate(closure));
                    flatGrad = MoveTo(stepScope, GatherFlatGrad());
                    optCond = AbsMax(flatGrad) <= o.ToleranceGrad;
                    lsFuncEvals = 1;
                }
            }
            currentEvals += lsFuncEvals;
            state.FuncEvals += lsFuncEvals;

            if (nIter == o.MaxIter || currentEvals >= o.MaxEval || optCond)
                break;
            using (Tensor move = d! * t)
            {
                if (AbsMax(move) <= o.ToleranceChange)
                    break;
            }
            if (Math.Abs(loss - state.PrevLoss) < o.ToleranceChange)
                break;
        }
        state.D = d;
        state.T = t;
        return origLoss;
    }

    // d outlives the iteration: detach the new one from every scope, dispose the previous.
    private static Tensor Keep(Tensor next, Tensor? previous)
    {
        next.DetachFromScope();
        if (previous is not null && !ReferenceEquals(previous, next))
            previous.Dispose();
        return next;
    }

    private static Tensor MoveTo(TensorScope scope, Tensor t) => scope.Attach(t);

    // The closure runs with gradients on, even when the caller's code has them off.
    private static Tensor Evaluate(Func<Tensor> closure)
    {
        using (Torch.EnableGrad())
            return closure();
    }

    private static double ToDouble(Tensor t)
    {
        using var noGrad = Torch.NoGrad();
        using Tensor d = t.To(DType.Float64);
        return d.Item<double>();
    }

    private static double Dot(Tensor a, Tensor b)
    {
        using Tensor product = a * b;
        using Tensor sum = product.Sum();
        return ToDouble(sum);
    }

    private static double AbsMax(Tensor t)
    {
        using Tensor a = t.Abs();
        using Tensor m = a.Max();
        return ToDouble(m);
    }

    private static double AbsSum(Tensor t)
    {
        using Tensor a = t.Abs();
        using Tensor s = a.Sum();
        return ToDouble(s);
    }

    // The gradients of all parameters as one vector (zeros for a parameter without one).
    private Tensor GatherFlatGrad()
    {
        var views = new Tensor[_params.Count];
        using (var scope = Torch.NewScope())
        {
            for (int i = 0; i < _params.Count; i++)
            {
                Tensor p = _params[i];
                views[i] = p.Grad is { } g ? g.Reshape(-1) : Torch.Zeros([p.NumEl], p.DType, p.Device);
            }
            return scope.MoveOut(Torch.Cat(views));
        }
    }

    // p += stepSize · update[slice of p], for every parameter.
    private void AddGrad(double stepSize, Tensor update)
    {
        using var scope = Torch.NewScope();
        using var noGrad = Torch.NoGrad();
        long offset = 0;
        foreach (Tensor p in _params)
        {
            long n = p.NumEl;
            Tensor part = update.Narrow(0, offset, n).View(p.ShapeArray) * stepSize;
            p.Add_(part);
            offset += n;
        }
    }

    private void SetParams(Tensor[] values)
    {
        using var noGrad = Torch.NoGrad();
        for (int i = 0; i < _params.Count; i++)
            _params[i].Copy_(values[i]);
    }

    // Loss and flat gradient at x + t·d; the parameters are x again afterwards.
    private (double Loss, Tensor Grad) DirectionalEvaluate(Func<Tensor> closure, Tensor[] x, double t, Tensor d)
    {
        AddGrad(t, d);
        double loss = ToDouble(Evaluate(closure));
        Tensor grad = GatherFlatGrad();
        SetParams(x);
        return (loss, grad);
    }

    // The minimiser of the cubic interpolating (x1, f1, g1) and (x2, f2, g2), clamped to the bounds.
    private static double CubicInterpolate(double x1, double f1, double g1, double x2, double f2, double g2, (double Min, double Max)? bounds = null)
    {
        (double lo, double hi) = bounds ?? (x1 <= x2 ? (x1, x2) : (x2, x1));
        double d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2);
        double d2Square = d1 * d1 - g1 * g2;
        if (d2Square >= 0)
        {
            double d2 = Math.Sqrt(d2Square);
            double minPos = x1 <= x2
                ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
                : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
            return Math.Min(Math.Max(minPos, lo), hi);
        }
        return (lo + hi) / 2.0;
    }

    // A line search for the strong Wolfe conditions (as PyTorch's _strong_wolfe, after minFunc): bracketing,
    // then zooming by cubic interpolation. Returns the loss, the flat gradient (owned by the caller), the step
    // and the number of closure evaluations.
    private (double Loss, Tensor Grad, double T, int Evals) StrongWolfe(Func<Tensor> closure, Tensor[] x, double t, Tensor d, double f, Tensor g,
        double gtd, double toleranceChange, double c1 = 1e-4, double c2 = 0.9, int maxLs = 25)
    {
        double dNorm = AbsMax(d);
        (double fNew, Tensor gNew) = DirectionalEvaluate(closure, x, t, d);
        int lsFuncEvals = 1;
        double gtdNew = Dot(gNew, d);
        double tPrev = 0, fPrev = f, gtdPrev = gtd;
        Tensor gPrev = g;
        bool done = false;
        int lsIter = 0;
        double[] bracket, bracketF, bracketGtd = [];
        Tensor[] bracketG;
        while (true)
        {
            if (lsIter >= maxLs)
            {
                bracket = [0, t];
                bracketF = [f, fNew];
                bracketG = [g, gNew];
                break;
            }
            if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev))
            {
                bracket = [tPrev, t];
                bracketF = [fPrev, fNew];
                bracketG = [gPrev, gNew];
                bracketGtd = [gtdPrev, gtdNew];
                break;
            }
            if (Math.Abs(gtdNew) <= -c2 * gtd)
            {
                bracket = [t];
                bracketF = [fNew];
                bracketG = [gNew];
                done = true;
                break;
            }
            if (gtdNew >= 0)
            {
                bracket = [tPrev, t];
                bracketF = [fPrev, fNew];
                bracketG = [gPrev, gNew];
                bracketGtd = [gtdPrev, gtdNew];
                break;
            }
            double minStep = t + 0.01 * (t - tPrev);
            double maxStep = t * 10;
            double tmp = t;
            t = CubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, (minStep, maxStep));
            tPrev = tmp;
            fPrev = fNew;
            gPrev = gNew;
            gtdPrev = gtdNew;
            (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
            lsFuncEvals++;
            gtdNew = Dot(gNew, d);
            lsIter++;
        }

        // Zoom: shrink the bracket until a point satisfies the conditions.
        bool insufProgress = false;
        (int low, int high) = bracketF[0] <= bracketF[^1] ? (0, 1) : (1, 0);
        while (!done && lsIter < maxLs)
        {
            if (Math.Abs(bracket[1] - bracket[0]) * dNorm < toleranceChange)
                break;
            t = CubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1]);
            double bMax = Math.Max(bracket[0], bracket[1]), bMin = Math.Min(bracket[0], bracket[1]);
            double eps = 0.1 * (bMax - bMin);
            if (Math.Min(bMax - t, t - bMin) < eps)
            {
                if (insufProgress || t >= bMax || t <= bMin)
                {
                    t = Math.Abs(t - bMax) < Math.Abs(t - bMin) ? bMax - eps : bMin + eps;
                    insufProgress = false;
                }
                else
                {
                    insufProgress = true;
                }
            }
            else
            {
                insufProgress = false;
            }
            (fNew, gNew) = DirectionalEvaluate(closure, x, t, d);
            lsFuncEvals++;
            gtdNew = Dot(gNew, d);
            lsIter++;
            if (fNew > f + c1 * t * gtd || fNew >= bracketF[low])
            {
                bracket[high] = t;
                bracketF[high] = fNew;
                bracketG[high] = gNew;
                bracketGtd[high] = gtdNew;
                (low, high) = bracketF[0] <= bracketF[1] ? (0, 1) : (1, 0);
            }
            else
            {
                if (Math.Abs(gtdNew) <= -c2 * gtd)
                {
                    done = true;
                }
                else if (gtdNew * (bracket[high] - bracket[low]) >= 0)
                {
                    bracket[high] = bracket[low];
                    bracketF[high] = bracketF[low];
                    bracketG[high] = bracketG[low];
                    bracketGtd[high] = bracketGtd[low];
                }
                bracket[low] = t;
                bracketF[low] = fNew;
                bracketG[low] = gNew;
                bracketGtd[low] = gtdNew;
            }
        }
        // A bracket of one point (done in the first phase) has its only entry at 0.
        int pick = bracket.Length == 1 ? 0 : low;
        return (bracketF[pick], bracketG[pick], bracket[pick], lsFuncEvals);
    }

    /// <inheritdoc/>
    protected override void WriteState(Tensor parameter, IDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!State.TryGetValue(parameter, out ParamState? s))
            return;
        state["func_evals"] = Torch.Tensor(s.FuncEvals).DetachFromScope();
        state["n_iter"] = Torch.Tensor(s.NIter).DetachFromScope();
        if (s.D is null)
            return;
        state["d"] = s.D;
        state["t"] = Torch.Tensor(s.T).DetachFromScope();
        state["H_diag"] = Torch.Tensor(s.HDiag).DetachFromScope();
        state["prev_loss"] = Torch.Tensor(s.PrevLoss).DetachFromScope();
        state["prev_flat_grad"] = s.PrevFlatGrad!;
        state["ro"] = Torch.Tensor<double>(s.Ro.ToArray(), [s.Ro.Count]).DetachFromScope();
        // PyTorch keeps lists of vectors; here they are stacked into (history, numel) matrices.
        if (s.OldDirs.Count > 0)
        {
            state["old_dirs"] = Torch.Stack([.. s.OldDirs]).DetachFromScope();
            state["old_stps"] = Torch.Stack([.. s.OldStps]).DetachFromScope();
        }
    }

    /// <inheritdoc/>
    protected override void ClearState(Tensor parameter)
    {
        if (State.Remove(parameter, out ParamState? s))
            s.Clear();
    }

    /// <inheritdoc/>
    protected override void ReadState(Tensor parameter, IReadOnlyDictionary<string, Tensor> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var s = new ParamState
        {
            FuncEvals = ReadLong(state, "func_evals"),
            NIter = ReadLong(state, "n_iter"),
        };
        if (state.TryGetValue("d", out Tensor? d))
        {
            long n = _params.Sum(p => p.NumEl);
            DType dtype = _params[0].DType;
            Device device = _params[0].Device;
            Tensor Vector(Tensor saved)
            {
                if (saved.NumEl != n)
                    throw new ArgumentException($"LBFGS.LoadStateDict: expected a vector of {n} elements, got shape {saved.Shape}");
                using Tensor flat = saved.Reshape(-1);
                using Tensor moved = flat.To(device);
                using Tensor typed = moved.To(dtype);
                return typed.Clone().DetachFromScope(); // the optimizer's own copy: prev_flat_grad is updated in place
            }
            s.D = Vector(d);
            s.PrevFlatGrad = Vector(state["prev_flat_grad"]);
            s.T = ReadDouble(state, "t");
            s.HDiag = ReadDouble(state, "H_diag");
            s.PrevLoss = ReadDouble(state, "prev_loss");
            using (Tensor ro = state["ro"].To(DType.Float64))
                s.Ro.AddRange(ro.ToArray<double>());
            if (state.TryGetValue("old_dirs", out Tensor? dirs))
            {
                Tensor stps = state["old_stps"];
                for (long i = 0; i < dirs.ShapeArray[0]; i++)
                {
                    using Tensor dir = dirs[i], stp = stps[i];
                    s.OldDirs.Add(Vector(dir));
                    s.OldStps.Add(Vector(stp));
                }
            }
        }
        State[parameter] = s;
    }

    private static long ReadLong(IReadOnlyDictionary<string, Tensor> state, string name) =>
        state.TryGetValue(name, out Tensor? t) ? (long)ToDouble(t) : 0;

    private static double ReadDouble(IReadOnlyDictionary<string, Tensor> state, string name) =>
        state.TryGetValue(name, out Tensor? t)
            ? ToDouble(t)
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"LBFGS.LoadStateDict: state \"{name}\" is missing"));
}
