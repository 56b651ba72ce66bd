using Ember.Interop;

namespace Ember.Optim;

/// <summary>Per-parameter state of the adaptive optimizers: the step count, up to three state tensors and NAdam's <c>mu_product</c>.</summary>
public sealed class AdaptiveState
{
    internal long Step;
    internal double MuProduct = 1;
    internal readonly Tensor?[] Tensors = new Tensor?[3];

    internal void Dispose()
    {
        foreach (Tensor? t in Tensors)
            t?.Dispose();
    }
}

/// <summary>
/// The machinery shared by Adagrad, RMSprop, Adadelta, Adamax, NAdam and RAdam: per-parameter state of named
/// tensors, parameters batched by step count, one fused native kernel call per batch.
/// </summary>
/// <typeparam name="TOptions">The optimizer's options.</typeparam>
public abstract unsafe class AdaptiveOptimizer<TOptions> : Optimizer<TOptions, AdaptiveState> where TOptions : OptimizerOptions
{
    private protected AdaptiveOptimizer(IEnumerable<ParamGroup> groups, TOptions defaults) : base(groups, defaults)
    {
    }

    /// <summary>PyTorch's names of the state tensors in kernel order; null for a slot these options do not use.</summary>
    private protected abstract string?[] StateNames(TOptions options);

    /// <summary>The value a state tensor starts from (zeros unless an optimizer says otherwise).</summary>
    private protected virtual Tensor InitialState(Tensor parameter, int slot, TOptions options) => Torch.ZerosLike(parameter);

    /// <summary>Whether this optimizer stores <c>mu_product</c> (NAdam).</summary>
    private protected virtual bool HasMuProduct => false;

    /// <summary>Advances per-parameter scalars before the kernel (NAdam's mu product).</summary>
    private protected virtual void Advance(AdaptiveState state, TOptions options)
    {
    }

    /// <summary>Calls the fused kernel on n parameters: handles[0..n) params, then grads, then the three state slots (null pointers for unused slots).</summary>
    private protected abstract ember_status Invoke(ember_tensor* parameters, ember_tensor* grads, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2,
        int n, AdaptiveState first, TOptions options);

    /// <summary>Creates the state of a parameter (used at the first step, or eagerly by Adagrad).</summary>
    private protected AdaptiveState EnsureState(Tensor p, TOptions o)
    {
        if (!State.TryGetValue(p, out AdaptiveState? s))
            State[p] = s = new AdaptiveState();
        string?[] names = StateNames(o);
        for (int k = 0; k < 3; k++)
        {
            if (names[k] is not null && s.Tensors[k] is null)
                s.Tensors[k] = InitialState(p, k, o).DetachFromScope();
        }
        return s;
    }

    /// <inheritdoc/>
    public override void Step()
    {
        using var noGrad = Torch.NoGrad();
        foreach (OptimizerParamGroup<TOptions> group in ParamGroups)
        {
            TOptions o = group.Options;
            var batches = new Dictionary<(long, double), List<(Tensor P, Tensor G, AdaptiveState S)>>();
            foreach (Tensor p in group.Params)
            {
                if (p.Grad is not { } g)
                    continue;
                AdaptiveState s = EnsureState(p, o);
                s.Step++;
                Advance(s, o);
                if (!batches.TryGetValue((s.Step, s.MuProduct), out var list))
                    batches[(s.Step, s.MuProduct)] = list = [];
                list.Add((p, g, s));
            }
            foreach (var items in batches.Values)
                Run(items, o);
        }
    }

    private void Run(List<(Tensor P, Tensor G, AdaptiveState S)> items, TOptions o)
    {
        int n = items.Count;
        bool[] used = StateNames(o).Select(name => name is not null).ToArray();
        ember_tensor[] handles = System.Buffers.ArrayPool<ember_tensor>.Shared.Rent(5 * n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                handles[i] = items[i].P.Handle;
                handles[n + i] = items[i].G.Handle;
                for (int k = 0; k < 3; k++)
                    handles[(2 + k) * n + i] = used[k] ? items[i].S.Tensors[k]!.Handle : default;
            }
            ember_status status;
            fixed (ember_tensor* h = handles)
            {
                status = Invoke(h, h + n, used[0] ? h + 2 * n : null, used[1] ? h + 3 * n : null, used[2] ? h + 4 * n : null,
                    n, items[0].S, o);
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
        if (!State.TryGetValue(parameter, out AdaptiveState? s))
            return;
        state["step"] = StepTensor(s.Step);
        if (HasMuProduct)
            state["mu_product"] = Torch.Tensor((float)s.MuProduct);
        string?[] names = StateNames(ParamGroups.First(g => g.Params.Contains(parameter)).Options);
        for (int k = 0; k < 3; k++)
        {
            if (names[k] is { } name && s.Tensors[k] is { } t)
                state[name] = t;
        }
    }

    /// <inheritdoc/>
    protected override void ClearState(Tensor parameter)
    {
        if (State.Remove(parameter, out AdaptiveState? s))
            s.Dispose();
    }

    /// <inheritdoc/>
    protected override void ReadState(Tensor parameter, IReadOnlyDictionary<string, Tensor> state)
    {
        TOptions o = ParamGroups.First(g => g.Params.Contains(parameter)).Options;
        var s = new AdaptiveState();
        if (state.TryGetValue("step", out Tensor? step))
        {
            using Tensor step64 = step.To(DType.Float64);
            s.Step = (long)step64.Item<double>();
        }
        if (state.TryGetValue("mu_product", out Tensor? mu))
        {
            using Tensor mu64 = mu.To(DType.Float64);
            s.MuProduct = mu64.Item<double>();
        }
        string?[] names = StateNames(o);
        for (int k = 0; k < 3; k++)
        {
            if (names[k] is { } name && state.TryGetValue(name, out Tensor? t))
                s.Tensors[k] = CopyStateLike(parameter, t, name);
        }
        State[parameter] = s;
    }

    /// <summary>The common range checks: lr, eps and weight decay non-negative.</summary>
    private protected static void CheckCommon(string name, double lr, double eps, double weightDecay)
    {
        if (!(lr >= 0))
            throw new ArgumentException($"{name}: Invalid learning rate: {lr}");
        if (!(eps >= 0))
            throw new ArgumentException($"{name}: Invalid epsilon value: {eps}");
        if (!(weightDecay >= 0))
            throw new ArgumentException($"{name}: Invalid weight_decay value: {weightDecay}");
    }

    /// <summary>Checks a pair of betas in [0, 1).</summary>
    private protected static void CheckBetas(string name, double beta1, double beta2)
    {
        if (!(beta1 >= 0 && beta1 < 1))
            throw new ArgumentException($"{name}: Invalid beta parameter at index 0: {beta1}");
        if (!(beta2 >= 0 && beta2 < 1))
            throw new ArgumentException($"{name}: Invalid beta parameter at index 1: {beta2}");
    }
}

/// <summary>Options of <see cref="Adagrad"/>, named as PyTorch's.</summary>
public sealed class AdagradOptions : OptimizerOptions
{
    /// <summary>Learning-rate decay per step (<c>lr_decay</c>).</summary>
    public double LrDecay { get; set; }

    /// <summary>L2 penalty (<c>weight_decay</c>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Starting value of the sums of squares (<c>initial_accumulator_value</c>).</summary>
    public double InitialAccumulatorValue { get; set; }

    /// <summary>Added to the denominator (<c>eps</c>).</summary>
    public double Eps { get; set; } = 1e-10;

    /// <summary>Maximise instead of minimise (<c>maximize</c>).</summary>
    public bool Maximize { get; set; }

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["lr_decay"] = LrDecay;
        target["eps"] = Eps;
        target["weight_decay"] = WeightDecay;
        target["initial_accumulator_value"] = InitialAccumulatorValue;
        target["foreach"] = false;
        target["maximize"] = Maximize;
    }

    /// <inheritdoc/>
    protected override bool Set(string name, double value)
    {
        switch (name)
        {
            case "lr_decay": LrDecay = value; return true;
            case "eps": Eps = value; return true;
            case "weight_decay": WeightDecay = value; return true;
            case "initial_accumulator_value": InitialAccumulatorValue = value; return true;
            case "maximize": Maximize = Flag(value); return true;
            case "foreach" or "differentiable": return true;
            default: return false;
        }
    }
}

/// <summary>Adagrad (<c>torch.optim.Adagrad</c>): per-element rates from the sum of squared gradients; one fused kernel per step (<c>ember_adagrad_step</c>).</summary>
public sealed unsafe class Adagrad : AdaptiveOptimizer<AdagradOptions>
{
    /// <summary>Adagrad over one group.</summary>
    public Adagrad(IEnumerable<Tensor> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0,
        double eps = 1e-10, bool maximize = false)
        : this(OneGroup(parameters), lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize)
    {
    }

    /// <summary>Adagrad over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Adagrad(IEnumerable<ParamGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0, double initialAccumulatorValue = 0,
        double eps = 1e-10, bool maximize = false)
        : base(groups, new AdagradOptions { Lr = lr, LrDecay = lrDecay, WeightDecay = weightDecay, InitialAccumulatorValue = initialAccumulatorValue, Eps = eps, Maximize = maximize })
    {
        // PyTorch creates Adagrad's state with the optimizer.
        foreach (OptimizerParamGroup<AdagradOptions> g in ParamGroups)
        {
            foreach (Tensor p in g.Params)
                EnsureState(p, g.Options);
        }
    }

    private protected override void Validate(AdagradOptions o)
    {
        CheckCommon(nameof(Adagrad), o.Lr, o.Eps, o.WeightDecay);
        if (!(o.LrDecay >= 0))
            throw new ArgumentException($"Adagrad: Invalid lr_decay value: {o.LrDecay}");
        if (!(o.InitialAccumulatorValue >= 0))
            throw new ArgumentException($"Adagrad: Invalid initial_accumulator_value value: {o.InitialAccumulatorValue}");
    }

    private protected override string?[] StateNames(AdagradOptions o) => ["sum", null, null];

    private protected override Tensor InitialState(Tensor parameter, int slot, AdagradOptions o) =>
        Torch.Full(parameter.Shape, o.InitialAccumulatorValue, parameter.DType, parameter.Device);

    private protected override ember_status Invoke(ember_tensor* p, ember_tensor* g, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2, int n, AdaptiveState first, AdagradOptions o) =>
        NativeMethods.ember_adagrad_step(p, g, s0, n, first.Step, o.Lr, o.LrDecay, o.WeightDecay, o.Eps, o.Maximize ? 1 : 0);
}

/// <summary>Options of <see cref="RMSprop"/>, named as PyTorch's.</summary>
public sealed class RMSpropOptions : OptimizerOptions
{
    /// <summary>Smoothing constant (<c>alpha</c>).</summary>
    public double Alpha { get; set; } = 0.99;

    /// <summary>Added to the denominator (<c>eps</c>).</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>L2 penalty (<c>weight_decay</c>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Momentum factor (<c>momentum</c>).</summary>
    public double Momentum { get; set; }

    /// <summary>Normalise by the estimated variance of the gradient (<c>centered</c>).</summary>
    public bool Centered { get; set; }

    /// <summary>Maximise instead of minimise (<c>maximize</c>).</summary>
    public bool Maximize { get; set; }

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["momentum"] = Momentum;
        target["alpha"] = Alpha;
        target["eps"] = Eps;
        target["centered"] = Centered;
        target["weight_decay"] = WeightDecay;
        target["foreach"] = false;
        target["maximize"] = Maximize;
        target["differentiable"] = false;
    }

    /// <inheritdoc/>
    protected override bool Set(string name, double value)
    {
        switch (name)
        {
            case "alpha": Alpha = value; return true;
            case "eps": Eps = value; return true;
            case "weight_decay": WeightDecay = value; return true;
            case "momentum": Momentum = value; return true;
            case "centered": Centered = Flag(value); return true;
            case "maximize": Maximize = Flag(value); return true;
            case "foreach" or "differentiable": return true;
            default: return false;
        }
    }
}

/// <summary>RMSprop (<c>torch.optim.RMSprop</c>), optionally centered and with momentum; one fused kernel per step (<c>ember_rmsprop_step</c>).</summary>
public sealed unsafe class RMSprop : AdaptiveOptimizer<RMSpropOptions>
{
    /// <summary>RMSprop over one group.</summary>
    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0,
        bool centered = false, bool maximize = false)
        : this(OneGroup(parameters), lr, alpha, eps, weightDecay, momentum, centered, maximize)
    {
    }

    /// <summary>RMSprop over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public RMSprop(IEnumerable<ParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0,
        bool centered = false, bool maximize = false)
        : base(groups, new RMSpropOptions { Lr = lr, Alpha = alpha, Eps = eps, WeightDecay = weightDecay, Momentum = momentum, Centered = centered, Maximize = maximize })
    {
    }

    private protected override void Validate(RMSpropOptions o)
    {
        CheckCommon(nameof(RMSprop), o.Lr, o.Eps, o.WeightDecay);
        if (!(o.Momentum >= 0))
            throw new ArgumentException($"RMSprop: Invalid momentum value: {o.Momentum}");
        if (!(o.Alpha >= 0))
            throw new ArgumentException($"RMSprop: Invalid alpha value: {o.Alpha}");
    }

    private protected override string?[] StateNames(RMSpropOptions o) => ["square_avg", o.Centered ? "grad_avg" : null, o.Momentum > 0 ? "momentum_buffer" : null];

    private protected override ember_status Invoke(ember_tensor* p, ember_tensor* g, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2, int n, AdaptiveState first, RMSpropOptions o) =>
        NativeMethods.ember_rmsprop_step(p, g, s0, s1, s2, n, o.Lr, o.Alpha, o.Eps, o.WeightDecay, o.Momentum, o.Centered ? 1 : 0, o.Maximize ? 1 : 0);
}

/// <summary>Options of <see cref="Adadelta"/>, named as PyTorch's.</summary>
public sealed class AdadeltaOptions : OptimizerOptions
{
    /// <summary>Decay of the running averages (<c>rho</c>).</summary>
    public double Rho { get; set; } = 0.9;

    /// <summary>Added inside the square roots (<c>eps</c>).</summary>
    public double Eps { get; set; } = 1e-6;

    /// <summary>L2 penalty (<c>weight_decay</c>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Maximise instead of minimise (<c>maximize</c>).</summary>
    public bool Maximize { get; set; }

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["rho"] = Rho;
        target["eps"] = Eps;
        target["weight_decay"] = WeightDecay;
        target["foreach"] = false;
        target["maximize"] = Maximize;
    }

    /// <inheritdoc/>
    protected override bool Set(string name, double value)
    {
        switch (name)
        {
            case "rho": Rho = value; return true;
            case "eps": Eps = value; return true;
            case "weight_decay": WeightDecay = value; return true;
            case "maximize": Maximize = Flag(value); return true;
            case "foreach" or "differentiable": return true;
            default: return false;
        }
    }
}

/// <summary>Adadelta (<c>torch.optim.Adadelta</c>); one fused kernel per step (<c>ember_adadelta_step</c>).</summary>
public sealed unsafe class Adadelta : AdaptiveOptimizer<AdadeltaOptions>
{
    /// <summary>Adadelta over one group.</summary>
    public Adadelta(IEnumerable<Tensor> parameters, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, bool maximize = false)
        : this(OneGroup(parameters), lr, rho, eps, weightDecay, maximize)
    {
    }

    /// <summary>Adadelta over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Adadelta(IEnumerable<ParamGroup> groups, double lr = 1.0, double rho = 0.9, double eps = 1e-6, double weightDecay = 0, bool maximize = false)
        : base(groups, new AdadeltaOptions { Lr = lr, Rho = rho, Eps = eps, WeightDecay = weightDecay, Maximize = maximize })
    {
    }

    private protected override void Validate(AdadeltaOptions o)
    {
        CheckCommon(nameof(Adadelta), o.Lr, o.Eps, o.WeightDecay);
        if (!(o.Rho >= 0 && o.Rho <= 1))
            throw new ArgumentException($"Adadelta: Invalid rho value: {o.Rho}");
    }

    private protected override string?[] StateNames(AdadeltaOptions o) => ["square_avg", "acc_delta", null];

    private protected override ember_status Invoke(ember_tensor* p, ember_tensor* g, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2, int n, AdaptiveState first, AdadeltaOptions o) =>
        NativeMethods.ember_adadelta_step(p, g, s0, s1, n, o.Lr, o.Rho, o.Eps, o.WeightDecay, o.Maximize ? 1 : 0);
}

/// <summary>Options of <see cref="Adamax"/>, <see cref="NAdam"/> and <see cref="RAdam"/>, named as PyTorch's.</summary>
public sealed class AdamVariantOptions : OptimizerOptions
{
    /// <summary>Decay of the first moment (<c>betas[0]</c>).</summary>
    public double Beta1 { get; set; } = 0.9;

    /// <summary>Decay of the second moment (<c>betas[1]</c>).</summary>
    public double Beta2 { get; set; } = 0.999;

    /// <summary>Added to the denominator (<c>eps</c>).</summary>
    public double Eps { get; set; } = 1e-8;

    /// <summary>L2 penalty (<c>weight_decay</c>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>NAdam's momentum decay (<c>momentum_decay</c>); unused by the others.</summary>
    public double MomentumDecay { get; set; } = 4e-3;

    /// <summary>Maximise instead of minimise (<c>maximize</c>, Adamax only in PyTorch 1.13).</summary>
    public bool Maximize { get; set; }

    internal string Kind { get; init; } = "";

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["betas"] = new[] { Beta1, Beta2 };
        target["eps"] = Eps;
        target["weight_decay"] = WeightDecay;
        if (Kind == nameof(NAdam))
            target["momentum_decay"] = MomentumDecay;
        target["foreach"] = false;
        if (Kind == nameof(Adamax))
            target["maximize"] = Maximize;
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
            case "momentum_decay" when Kind == nameof(NAdam): MomentumDecay = value; return true;
            case "maximize" when Kind == nameof(Adamax): Maximize = Flag(value); return true;
            case "foreach" or "differentiable": return true;
            default: return false;
        }
    }
}

/// <summary>Adamax (<c>torch.optim.Adamax</c>): Adam with the infinity norm; one fused kernel per step (<c>ember_adamax_step</c>).</summary>
public sealed unsafe class Adamax : AdaptiveOptimizer<AdamVariantOptions>
{
    /// <summary>Adamax over one group.</summary>
    public Adamax(IEnumerable<Tensor> parameters, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool maximize = false)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay, maximize)
    {
    }

    /// <summary>Adamax over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public Adamax(IEnumerable<ParamGroup> groups, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, bool maximize = false)
        : base(groups, new AdamVariantOptions
        {
            Kind = nameof(Adamax), Lr = lr, Beta1 = (betas ?? (0.9, 0.999)).Item1, Beta2 = (betas ?? (0.9, 0.999)).Item2, Eps = eps, WeightDecay = weightDecay, Maximize = maximize,
        })
    {
    }

    private protected override void Validate(AdamVariantOptions o)
    {
        CheckCommon(nameof(Adamax), o.Lr, o.Eps, o.WeightDecay);
        CheckBetas(nameof(Adamax), o.Beta1, o.Beta2);
    }

    private protected override string?[] StateNames(AdamVariantOptions o) => ["exp_avg", "exp_inf", null];

    private protected override ember_status Invoke(ember_tensor* p, ember_tensor* g, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2, int n, AdaptiveState first, AdamVariantOptions o) =>
        NativeMethods.ember_adamax_step(p, g, s0, s1, n, first.Step, o.Lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.Maximize ? 1 : 0);
}

/// <summary>
/// NAdam (<c>torch.optim.NAdam</c>): Adam with Nesterov momentum and momentum decay, as PyTorch 1.13 computes it;
/// one fused kernel per step (<c>ember_nadam_step</c>).
/// </summary>
public sealed unsafe class NAdam : AdaptiveOptimizer<AdamVariantOptions>
{
    /// <summary>NAdam over one group.</summary>
    public NAdam(IEnumerable<Tensor> parameters, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay, momentumDecay)
    {
    }

    /// <summary>NAdam over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public NAdam(IEnumerable<ParamGroup> groups, double lr = 2e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0, double momentumDecay = 4e-3)
        : base(groups, new AdamVariantOptions
        {
            Kind = nameof(NAdam), Lr = lr, Beta1 = (betas ?? (0.9, 0.999)).Item1, Beta2 = (betas ?? (0.9, 0.999)).Item2, Eps = eps, WeightDecay = weightDecay,
            MomentumDecay = momentumDecay,
        })
    {
    }

    private protected override void Validate(AdamVariantOptions o)
    {
        CheckCommon(nameof(NAdam), o.Lr, o.Eps, o.WeightDecay);
        CheckBetas(nameof(NAdam), o.Beta1, o.Beta2);
        if (!(o.MomentumDecay >= 0))
            throw new ArgumentException($"NAdam: Invalid momentum_decay value: {o.MomentumDecay}");
    }

    private protected override bool HasMuProduct => true;

    private protected override void Advance(AdaptiveState state, AdamVariantOptions o) =>
        state.MuProduct *= o.Beta1 * (1 - 0.5 * Math.Pow(0.96, state.Step * o.MomentumDecay));

    private protected override string?[] StateNames(AdamVariantOptions o) => ["exp_avg", "exp_avg_sq", null];

    private protected override ember_status Invoke(ember_tensor* p, ember_tensor* g, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2, int n, AdaptiveState first, AdamVariantOptions o) =>
        NativeMethods.ember_nadam_step(p, g, s0, s1, n, first.Step, o.Lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay, o.MomentumDecay, first.MuProduct);
}

/// <summary>RAdam (<c>torch.optim.RAdam</c>): Adam with a rectified adaptive rate; one fused kernel per step (<c>ember_radam_step</c>).</summary>
public sealed unsafe class RAdam : AdaptiveOptimizer<AdamVariantOptions>
{
    /// <summary>RAdam over one group.</summary>
    public RAdam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : this(OneGroup(parameters), lr, betas, eps, weightDecay)
    {
    }

    /// <summary>RAdam over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public RAdam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8, double weightDecay = 0)
        : base(groups, new AdamVariantOptions
        {
            Kind = nameof(RAdam), Lr = lr, Beta1 = (betas ?? (0.9, 0.999)).Item1, Beta2 = (betas ?? (0.9, 0.999)).Item2, Eps = eps, WeightDecay = weightDecay,
        })
    {
    }

    private protected override void Validate(AdamVariantOptions o)
    {
        CheckCommon(nameof(RAdam), o.Lr, o.Eps, o.WeightDecay);
        CheckBetas(nameof(RAdam), o.Beta1, o.Beta2);
    }

    private protected override string?[] StateNames(AdamVariantOptions o) => ["exp_avg", "exp_avg_sq", null];

    private protected override ember_status Invoke(ember_tensor* p, ember_tensor* g, ember_tensor* s0, ember_tensor* s1, ember_tensor* s2, int n, AdaptiveState first, AdamVariantOptions o) =>
        NativeMethods.ember_radam_step(p, g, s0, s1, n, first.Step, o.Lr, o.Beta1, o.Beta2, o.Eps, o.WeightDecay);
}
