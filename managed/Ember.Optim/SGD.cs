using Ember.Interop;

namespace Ember.Optim;

/// <summary>Options of <see cref="SGD"/>, named as <c>torch.optim.SGD</c>'s.</summary>
public sealed class SGDOptions : OptimizerOptions
{
    /// <summary>Momentum factor (<c>momentum</c>).</summary>
    public double Momentum { get; set; }

    /// <summary>Dampening of the momentum (<c>dampening</c>).</summary>
    public double Dampening { get; set; }

    /// <summary>L2 penalty added to the gradient (<c>weight_decay</c>).</summary>
    public double WeightDecay { get; set; }

    /// <summary>Nesterov momentum (<c>nesterov</c>).</summary>
    public bool Nesterov { get; set; }

    /// <summary>Maximise the objective instead of minimising it (<c>maximize</c>).</summary>
    public bool Maximize { get; set; }

    /// <inheritdoc/>
    public override void Write(IDictionary<string, object> target)
    {
        base.Write(target);
        target["momentum"] = Momentum;
        target["dampening"] = Dampening;
        target["weight_decay"] = WeightDecay;
        target["nesterov"] = Nesterov;
        target["maximize"] = Maximize;
        target["foreach"] = false;
        target["differentiable"] = false;
    }

    /// <inheritdoc/>
    protected override bool Set(string name, double value)
    {
        switch (name)
        {
            case "momentum": Momentum = value; return true;
            case "dampening": Dampening = value; return true;
            case "weight_decay": WeightDecay = value; return true;
            case "nesterov": Nesterov = Flag(value); return true;
            case "maximize": Maximize = Flag(value); return true;
            case "foreach" or "differentiable": return true; // PyTorch's implementation switches; one fused kernel here
            default: return false;
        }
    }
}

/// <summary>
/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum, weight decay and
/// maximisation (<c>torch.optim.SGD</c>). Each step updates every parameter of a group through one fused
/// native kernel (<c>ember_sgd_step</c>).
/// </summary>
public sealed unsafe class SGD : Optimizer<SGDOptions, SGD.ParamState>
{
    /// <summary>Per-parameter state: the momentum buffer (<c>momentum_buffer</c>).</summary>
    public sealed class ParamState
    {
        internal Tensor? MomentumBuffer;
    }

    /// <summary>SGD over one group of parameters (<c>SGD(params, lr, momentum, ...)</c>).</summary>
    public SGD(IEnumerable<Tensor> parameters, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : this(OneGroup(parameters), lr, momentum, dampening, weightDecay, nesterov, maximize)
    {
    }

    /// <summary>SGD over several groups; the arguments are the defaults for options a group does not override.</summary>
    /// <exception cref="ArgumentException">An option is out of range, or Nesterov momentum is asked for without momentum or with dampening.</exception>
    public SGD(IEnumerable<ParamGroup> groups, double lr = 1e-3, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false, bool maximize = false)
        : base(groups, new SGDOptions { Lr = lr, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov, Maximize = maximize })
    {
    }

    private protected override void Validate(SGDOptions o)
    {
        if (!(o.Lr >= 0))
            throw new ArgumentException($"SGD: invalid learning rate: {o.Lr}");
        if (!(o.Momentum >= 0))
            throw new ArgumentException($"SGD: invalid momentum value: {o.Momentum}");
        if (!(o.WeightDecay >= 0))
            throw new ArgumentException($"SGD: invalid weight_decay value: {o.WeightDecay}");
        if (o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0))
            throw new ArgumentException("SGD: Nesterov momentum requires a momentum and zero dampening");
    }

    /// <inheritdoc/>
    public override void Step()
    {
        using var noGrad = Torch.NoGrad();
        foreach (OptimizerParamGroup<SGDOptions> group in ParamGroups)
        {
            SGDOptions o = group.Options;
            // Parameters whose buffer exists take the momentum update; the others start their buffer from
            // the gradient (PyTorch's "buf is None" case): at most two fused calls per group.
            var withBuffer = new List<(Tensor P, Tensor G, Tensor? Buf)>(group.Params.Count);
            var firstStep = new List<(Tensor P, Tensor G, Tensor? Buf)>();
            foreach (Tensor p in group.Params)
            {
                if (p.Grad is not { } g)
                    continue;
                if (o.Momentum == 0)
                {
                    withBuffer.Add((p, g, null));
                    continue;
                }
                if (!State.TryGetValue(p, out ParamState? state))
                    State[p] = state = new ParamState();
                if (state.MomentumBuffer is { } buf)
                {
                    withBuffer.Add((p, g, buf));
                }
                else
                {
                    state.MomentumBuffer = Torch.EmptyLike(p).DetachFromScope();
                    firstStep.Add((p, g, state.MomentumBuffer));
                }
            }
            Run(withBuffer, o, first: false);
            Run(firstStep, o, first: true);
        }
    }

    private static void Run(List<(Tensor P, Tensor G, Tensor? Buf)> items, SGDOptions o, bool first)
    {
        int n = items.Count;
        if (n == 0)
            return;
        bool momentum = o.Momentum != 0;
        ember_tensor[] handles = System.Buffers.ArrayPool<ember_tensor>.Shared.Rent(3 * n);
        try
        {
            for (int i = 0; i < n; i++)
            {
                handles[i] = items[i].P.Handle;
                handles[n + i] = items[i].G.Handle;
                handles[2 * n + i] = momentum ? items[i].Buf!.Handle : default;
            }
            ember_status status;
            fixed (ember_tensor* h = handles)
            {
                status = NativeMethods.ember_sgd_step(h, h + n, momentum ? h + 2 * n : null, n,
                    o.Lr, o.Momentum, o.Dampening, o.WeightDecay, o.Nesterov ? 1 : 0, o.Maximize ? 1 : 0, first ? 1 : 0);
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
        if (State.TryGetValue(parameter, out ParamState? s) && s.MomentumBuffer is { } buf)
            state["momentum_buffer"] = buf;
    }

    /// <inheritdoc/>
    protected override void ClearState(Tensor parameter)
    {
        if (State.Remove(parameter, out ParamState? s))
            s.MomentumBuffer?.Dispose();
    }

    /// <inheritdoc/>
    protected override void ReadState(Tensor parameter, IReadOnlyDictionary<string, Tensor> state)
    {
        if (state.TryGetValue("momentum_buffer", out Tensor? buf))
            State[parameter] = new ParamState { MomentumBuffer = CopyStateLike(parameter, buf, "momentum_buffer") };
    }
}
