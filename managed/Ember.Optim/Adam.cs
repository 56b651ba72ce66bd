using Ember.Interop;

namespace Ember.Optim;

/// <summary>Options of <see cref="Adam"/> and <see cref="AdamW"/>, named as PyTorch's.</summary>
public sealed class AdamOptions : OptimizerOptions
{
    /// <summary>Decay of the first moment (<c>betas[0]</c>).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Decay of the second moment (<c>betas[1]</c>).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Added to the denominator for stability (<c>eps</c>).</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>Weight decay: an L2 penalty for Adam, decoupled decay for AdamW (<c>weight_decay</c>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Use the maximum of past second moments (<c>amsgrad</c>).</summary>
    public bool Amsgrad { get; set; }

    /// <summary>Maximise the objective instead of minimising it (<c>maximize</c>).</summary>
    public bool Maximize { get; set; }

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["betas"] = new[] { Beta1, Beta2 };
        target["eps"] = Eps;
        target["weight_decay"] = WeightDecay;
        target["amsgrad"] = Amsgrad;
        target["maximize"] = Maximize;
        target["foreach"] = false;
        target["capturable"] = false;
        target["differentiable"] = false;
        target["fused"] = false;
    }

    /// <inheritdoc/>
    protected override bool Set(string name, double value)
    {
        switch (name)
        {
            case "beta1": Beta1 = value; return true;
            case "beta2": Beta2 = value; return true;
            case "eps": Eps = value; return true;
            case "weight_decay": WeightDecay = value; return true;
            case "amsgrad": Amsgrad = Flag(value); return true;
            case "maximize": Maximize = Flag(value); return true;
            case "foreach" or "capturable" or "differentiable" or "fused": return true; // implementation switches of PyTorch
            default: return false;
        }
    }
}

/// <summary>
/// Adam (<c>torch.optim.Adam</c>): adaptive moments with bias correction, optional L2 weight decay and
/// AMSGrad. Each step updates every parameter of a group through one fused native kernel (<c>ember_adam_step</c>).
/// </summary>
public class Adam : Optimizer<AdamOptions, Adam.ParamState>
{
    /// <summary>Per-parameter state: <c>step</c>, <c>exp_avg</c>, <c>exp_avg_sq</c> and, with AMSGrad, <c>max_exp_avg_sq</c>.</summary>
    public sealed class ParamState
    {
        internal long Step;
        internal Tensor ExpAvg = null!;
        internal Tensor ExpAvgSq = null!;
        internal Tensor? MaxExpAvgSq;

        internal void Dispose()
        {
            ExpAvg.Dispose();
            ExpAvgSq.Dispose();
            MaxExpAvgSq?.Dispose();
        }
    }

    private readonly bool _decoupled;

    /// <summary>Adam over one group of parameters (<c>Adam(params, lr, betas, eps, weight_decay, amsgrad)</c>).</summary>
    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize)
    {
    }

    /// <summary>Adam over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(groups, lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize, decoupled: false)
    {
    }

    private protected Adam(IEnumerable<ParamGroup> groups, double lr, (double, double)? betas, double eps, double weightDecay, bool amsgrad, bool maximize, bool decoupled)
        : base(groups, new AdamOptions
        {
            Lr = lr,
            Beta1 = (betas ?? (0.9, 0.999)).Item1,
            Beta2 = (betas ?? (0.9, 0.999)).Item2,
            Eps = eps,
            WeightDecay = weightDecay,
            Amsgrad = amsgrad,
            Maximize = maximize,
        }) => _decoupled = decoupled;

    private protected override void Validate(AdamOptions o)
    {
        string name = GetType().Name;
        if (!(o.Lr >= 0))
            throw new ArgumentException($"{name}: invalid learning rate: {o.Lr}");
        if (!(o.Eps >= 0))
            throw new ArgumentException($"{name}: invalid epsilon value: {o.Eps}");
        if (!(o.Beta1 >= 0 && o.Beta1 < 1))
            throw new ArgumentException($"{name}: invalid beta parameter at index 0: {o.Beta1}");
        if (!(o.Beta2 >= 0 && o.Beta2 < 1))
            throw new ArgumentException($"{name}: invalid beta parameter at index 1: {o.Beta2}");
        if (!(o.WeightDecay >= 0))
            throw new ArgumentException($"{name}: invalid weight_decay value: {o.WeightDecay}");
    }

    /// <inheritdoc/>
    public override void Step()
    {
        using var noGrad = Torch.NoGrad();
        foreach (OptimizerParamGroup<AdamOptions> group in ParamGroups)
        {
            AdamOptions o = group.Options;
            // Parameters are batched by their step count (they differ only when some missed gradients).
            var byStep = new Dictionary<long, List<(Tensor P, Tensor G, ParamState S)>>();
            foreach (Tensor p in group.Params)
            {
                if (p.Grad is not { } g)
                    continue;
                if (!State.TryGetValue(p, out ParamState? s))
                {
                    State[p] = s = new ParamState
                    {
                        ExpAvg = Torch.ZerosLike(p).DetachFromScope(),
                        ExpAvgSq = Torch.ZerosLike(p).DetachFromScope(),
                    };
                }
                if (o.Amsgrad)
                    s.MaxExpAvgSq ??= Torch.ZerosLike(p).DetachFromScope();
                s.Step++;
                if (!byStep.TryGetValue(s.Step, out var list))
                    byStep[s.Step] = list = [];
                list.Add((p, g, s));
            }
            foreach ((long step, var items) in byStep)
                Run(items, step, o, _decoupled);
        }
    }

    private static unsafe void Run(List<(Tensor P, Tensor G, ParamState S)> items, long step, AdamOptions o, bool decoupled)
    {
        int n = items.Count;
        ember_tensor[] handles = System.Buffers.ArrayPool<ember_tensor>.Shared.Rent(5 * n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                handles[i] = items[i].P.Handle;
                handles[n + i] = items[i].G.Handle;
                handles[2 * n + i] = items[i].S.ExpAvg.Handle;
                handles[3 * n + i] = items[i].S.ExpAvgSq.Handle;
                handles[4 * n + i] = o.Amsgrad ? items[i].S.MaxExpAvgSq!.Handle : default;
            }
            ember_status status;
            fixed (ember_tensor* h = handles)
            {
                status = NativeMethods.ember_adam_step(h, h + n, h + 2 * n, h + 3 * n, o.Amsgrad ? h + 4 * n : null, n,
                    step, o.Lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Amsgrad ? 1 : 0, o.Maximize ? 1 : 0, decoupled ? 1 : 0);
            }
            GC.KeepAlive(items);
            Errors.Check(status);
        }
        finally
        {
            System.Buffers.ArrayPool<ember_tensor>.Shared.Return(handles);
        }
    }

    /// <inheritdoc/>
    protected override void WriteState(Tensor parameter, IDictionary<string, Tensor> state)
    {
        if (!State.TryGetValue(parameter, out ParamState? s))
            return;
        state["step"] = StepTensor(s.Step);
        state["exp_avg"] = s.ExpAvg;
        state["exp_avg_sq"] = s.ExpAvgSq;
        if (s.MaxExpAvgSq is { } max)
            state["max_exp_avg_sq"] = max;
    }

    /// <inheritdoc/>
    protected override void ClearState(Tensor parameter)
    {
        if (State.Remove(parameter, out ParamState? s))
            s.Dispose();
    }

    /// <inheritdoc/>
    protected override void ReadState(Tensor parameter, IReadOnlyDictionary<string, Tensor> state)
    {
        if (!state.TryGetValue("exp_avg", out Tensor? m) || !state.TryGetValue("exp_avg_sq", out Tensor? v) || !state.TryGetValue("step", out Tensor? step))
            throw new ArgumentException($"{GetType().Name}.LoadStateDict: a parameter's state needs step, exp_avg and exp_avg_sq");
        using Tensor step64 = step.To(DType.Float64);
        State[parameter] = new ParamState
        {
            Step = (long)step64.Item<double>(),
            ExpAvg = CopyStateLike(parameter, m, "exp_avg"),
            ExpAvgSq = CopyStateLike(parameter, v, "exp_avg_sq"),
            MaxExpAvgSq = state.TryGetValue("max_exp_avg_sq", out Tensor? max) ? CopyStateLike(parameter, max, "max_exp_avg_sq") : null,
        };
    }
}

/// <summary>
/// AdamW (<c>torch.optim.AdamW</c>): Adam with decoupled weight decay (p ← p·(1 − lr·weight_decay) before the
/// Adam update); the default weight decay is 0.01 as in PyTorch.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over one group of parameters.</summary>
    public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(OneGroup(parameters), lr, betas, eps, weightDecay, amsgrad, maximize, decoupled: true)
    {
    }

    /// <summary>AdamW over several groups; the arguments are the defaults for options a group does not override.</summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, maximize, decoupled: true)
    {
    }
}
