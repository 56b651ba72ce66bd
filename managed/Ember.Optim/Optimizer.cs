using System.Globalization;

namespace Ember.Optim;

/// <summary>
/// Parameters that share options in an optimizer (<c>param_groups[i]</c>). Give groups to an optimizer to
/// train parts of a model with different settings; options not named in <see cref="Overrides"/> take the
/// optimizer's defaults:
/// <code>
/// var opt = new SGD([new ParamGroup(model.Features.Parameters()),
///                    new ParamGroup(model.Head.Parameters(), new() { ["lr"] = 1e-3 })],
///                   lr: 1e-2, momentum: 0.9);
/// </code>
/// </summary>
/// <param name="parameters">The tensors to optimise (leaves that require grad).</param>
/// <param name="overrides">Options for this group by PyTorch's names (<c>lr</c>, <c>momentum</c>, <c>weight_decay</c>, ...).</param>
public sealed class ParamGroup(IEnumerable<Tensor> parameters, Dictionary<string, double>? overrides = null)
{
    /// <summary>The tensors of the group.</summary>
    public IReadOnlyList<Tensor> Params { get; } = [.. parameters ?? throw new ArgumentNullException(nameof(parameters))];

    /// <summary>Options given for this group only.</summary>
    public IReadOnlyDictionary<string, double> Overrides { get; } = overrides ?? [];
}

/// <summary>Options shared by every optimizer: the learning rate and the base learning rate a scheduler starts from.</summary>
public abstract class OptimizerOptions
{
    /// <summary>The learning rate (<c>lr</c>); schedulers change it.</summary>
    public double Lr { get; set; }

    /// <summary>The learning rate a scheduler started from (<c>initial_lr</c>), or null before any scheduler.</summary>
    public double? InitialLr { get; set; }

    /// <summary>Writes the options under PyTorch's names (<c>lr</c>, <c>betas</c> as <c>beta1</c>/<c>beta2</c>, ...).</summary>
    public virtual void Write(IDictionary<string, object> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target["lr"] = Lr;
        if (InitialLr is { } initial)
            target["initial_lr"] = initial;
    }

    /// <summary>Reads the options named in <paramref name="source"/>; names not present keep their values.</summary>
    /// <exception cref="ArgumentException">A name is not an option of this optimizer.</exception>
    public void Read(IEnumerable<KeyValuePair<string, double>> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        foreach ((string key, double value) in source)
        {
            if (key == "lr")
                Lr = value;
            else if (key == "initial_lr")
                InitialLr = value;
            else if (!Set(key, value))
                throw new ArgumentException($"{GetType().Name}: unknown option \"{key}\"", nameof(source));
        }
    }

    /// <summary>Sets one option other than <c>lr</c> by its PyTorch name; false when the name is unknown.</summary>
    protected abstract bool Set(string name, double value);

    /// <summary>A copy of these options.</summary>
    public OptimizerOptions Clone() => (OptimizerOptions)MemberwiseClone();

    /// <summary>Reads a boolean option stored as a number.</summary>
    protected static bool Flag(double value) => value != 0;
}

/// <summary>One parameter group with its typed options.</summary>
/// <typeparam name="TOptions">The optimizer's options type.</typeparam>
public sealed class OptimizerParamGroup<TOptions> where TOptions : OptimizerOptions
{
    internal OptimizerParamGroup(IReadOnlyList<Tensor> parameters, TOptions options)
    {
        Params = parameters;
        Options = options;
    }

    /// <summary>The tensors of the group (<c>params</c>).</summary>
    public IReadOnlyList<Tensor> Params { get; }

    /// <summary>The group's options; change them between steps as you would <c>param_groups[i]['lr']</c>.</summary>
    public TOptions Options { get; }
}

/// <summary>
/// Base of the optimizers (<c>torch.optim.Optimizer</c>): parameter groups with per-group options, per
/// parameter state, <see cref="ZeroGrad"/>, <see cref="Step()"/> and state dicts with PyTorch's structure.
/// One optimizer must not be stepped from several threads at once.
/// </summary>
public abstract class Optimizer : IDisposable
{
    /// <summary>The learning rates of the groups, in order; schedulers read and write them.</summary>
    public abstract IReadOnlyList<OptimizerOptions> GroupOptions { get; }

    /// <summary>Every parameter of every group, in order (the index in this list is the state dict's key).</summary>
    public abstract IReadOnlyList<Tensor> AllParams { get; }

    /// <summary>Updates the parameters from their gradients (<c>step()</c>); parameters without a gradient are skipped.</summary>
    public abstract void Step();

    /// <summary>Runs <paramref name="closure"/> (which recomputes the loss and its gradients), then steps; returns the loss (<c>step(closure)</c>).</summary>
    public virtual Tensor Step(Func<Tensor> closure)
    {
        ArgumentNullException.ThrowIfNull(closure);
        Tensor loss = closure();
        Step();
        return loss;
    }

    /// <summary>Clears the gradients of every parameter (<c>zero_grad(set_to_none)</c>): to null by default (disposing the old gradient tensors), else to zeros.</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        Ember.NN.GradUtil.ClearAll(AllParams, setToNone);
    }

    /// <summary>
    /// The optimizer's state with PyTorch's structure (<c>state_dict()</c>): <c>state</c> maps the index of a
    /// parameter (over all groups, in order) to its state by name (tensors, or 0-d tensors for <c>step</c>);
    /// <c>param_groups</c> lists each group's options plus <c>params</c>, the indices of its parameters.
    /// The tensors are the optimizer's own: do not dispose them while the optimizer is in use.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        var dict = new OptimizerStateDict();
        IReadOnlyList<Tensor> all = AllParams;
        for (int i = 0; i < all.Count; i++)
        {
            var state = new Dictionary<string, Tensor>();
            WriteState(all[i], state);
            if (state.Count > 0)
                dict.State[i] = state;
        }
        int next = 0;
        foreach ((OptimizerOptions options, int count) in GroupOptions.Zip(GroupSizes))
        {
            var group = new Dictionary<string, object>();
            options.Write(group);
            group["params"] = Enumerable.Range(next, count).ToList();
            next += count;
            dict.ParamGroups.Add(group);
        }
        return dict;
    }

    /// <summary>
    /// Restores options and state saved by <see cref="StateDict"/> (<c>load_state_dict</c>); the groups must
    /// have the same sizes. State tensors are copied (cast to each parameter's dtype and device).
    /// </summary>
    /// <exception cref="ArgumentException">The numbers of groups or of parameters per group differ, or a state tensor's shape differs.</exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        IReadOnlyList<int> sizes = GroupSizes;
        if (stateDict.ParamGroups.Count != sizes.Count)
            throw new ArgumentException($"{GetType().Name}.LoadStateDict: loaded state dict has {stateDict.ParamGroups.Count} parameter groups, but the optimizer has {sizes.Count}", nameof(stateDict));
        for (int g = 0; g < sizes.Count; g++)
        {
            int saved = stateDict.ParamGroups[g].TryGetValue("params", out object? ids) && ids is IReadOnlyCollection<int> list ? list.Count : -1;
            if (saved != sizes[g])
                throw new ArgumentException($"{GetType().Name}.LoadStateDict: loaded state dict contains a parameter group {g} of {saved} parameters that doesn't match the size of the optimizer's group ({sizes[g]})", nameof(stateDict));
        }
        IReadOnlyList<Tensor> all = AllParams;
        for (int g = 0; g < sizes.Count; g++)
        {
            GroupOptions[g].Read(Numbers(stateDict.ParamGroups[g]));
        }
        // Map saved indices onto the parameters in order, as PyTorch does.
        var savedIds = stateDict.ParamGroups.SelectMany(gr => (IEnumerable<int>)gr["params"]).ToList();
        for (int i = 0; i < all.Count; i++)
        {
            ClearState(all[i]);
            if (stateDict.State.TryGetValue(savedIds[i], out Dictionary<string, Tensor>? state))
                ReadState(all[i], state);
        }
    }

    // Options as numbers; a pair such as betas becomes beta1 and beta2.
    private static IEnumerable<KeyValuePair<string, double>> Numbers(Dictionary<string, object> group)
    {
        foreach ((string key, object value) in group)
        {
            switch (value)
            {
                case double or float or int or long or bool:
                    yield return new(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                    break;
                case IReadOnlyList<double> pair when key == "betas" && pair.Count == 2:
                    yield return new("beta1", pair[0]);
                    yield return new("beta2", pair[1]);
                    break;
            }
        }
    }

    /// <summary>Number of parameters in each group.</summary>
    protected abstract IReadOnlyList<int> GroupSizes { get; }

    /// <summary>Writes the state of one parameter (nothing when it has none yet).</summary>
    protected abstract void WriteState(Tensor parameter, IDictionary<string, Tensor> state);

    /// <summary>Forgets the state of one parameter.</summary>
    protected abstract void ClearState(Tensor parameter);

    /// <summary>Restores the state of one parameter from copies of the given tensors.</summary>
    protected abstract void ReadState(Tensor parameter, IReadOnlyDictionary<string, Tensor> state);

    /// <summary>Disposes the state tensors (momentum buffers, moments); the parameters stay the caller's.</summary>
    public void Dispose()
    {
        foreach (Tensor p in AllParams)
            ClearState(p);
        GC.SuppressFinalize(this);
    }

    /// <summary>A copy of a saved state tensor, laid out like <paramref name="parameter"/>, owned by the optimizer.</summary>
    protected static Tensor CopyStateLike(Tensor parameter, Tensor saved, string name)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        ArgumentNullException.ThrowIfNull(saved);
        if (!saved.Shape.Equals(parameter.Shape))
            throw new ArgumentException($"Optimizer.LoadStateDict: state \"{name}\" has shape {saved.Shape} but its parameter has shape {parameter.Shape}");
        Tensor copy = Torch.Empty(parameter.Shape, parameter.DType, parameter.Device).DetachFromScope();
        using (Torch.NoGrad())
            copy.Copy_(saved);
        return copy;
    }

    /// <summary>A 0-d float32 tensor holding a step count, as PyTorch stores <c>step</c>.</summary>
    protected static Tensor StepTensor(long step) => Torch.Tensor((float)step);
}

/// <summary>
/// An optimizer's state as PyTorch structures it (<c>optimizer.state_dict()</c>): per-parameter state keyed
/// by parameter index, and the groups' options with their <c>params</c> index lists.
/// </summary>
public sealed class OptimizerStateDict
{
    /// <summary>Parameter index → state name (<c>momentum_buffer</c>, <c>exp_avg</c>, <c>step</c>, ...) → tensor.</summary>
    public Dictionary<int, Dictionary<string, Tensor>> State { get; } = [];

    /// <summary>One dictionary per group: the options (numbers and booleans) and <c>params</c> (a list of indices).</summary>
    public List<Dictionary<string, object>> ParamGroups { get; } = [];
}

/// <summary>The shared machinery of an optimizer with typed options and per-parameter state.</summary>
/// <typeparam name="TOptions">The options type.</typeparam>
/// <typeparam name="TState">The per-parameter state type.</typeparam>
public abstract class Optimizer<TOptions, TState> : Optimizer
    where TOptions : OptimizerOptions
    where TState : class
{
    private readonly List<OptimizerParamGroup<TOptions>> _groups = [];
    private readonly List<Tensor> _all = [];

    /// <summary>The per-parameter state (keyed by the parameter object).</summary>
    private protected Dictionary<Tensor, TState> State { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Builds the groups: each takes a copy of <paramref name="defaults"/> with its overrides applied.</summary>
    /// <exception cref="ArgumentException">A group is empty, a tensor appears twice, or an option is unknown.</exception>
    private protected Optimizer(IEnumerable<ParamGroup> groups, TOptions defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (ParamGroup group in groups)
        {
            if (group.Params.Count == 0)
                throw new ArgumentException($"{GetType().Name}: optimizer got an empty parameter list");
            foreach (Tensor p in group.Params)
            {
                if (!seen.Add(p))
                    throw new ArgumentException($"{GetType().Name}: some parameters appear in more than one parameter group");
            }
            var options = (TOptions)defaults.Clone();
            options.Read(group.Overrides);
            Validate(options);
            _groups.Add(new OptimizerParamGroup<TOptions>(group.Params, options));
            _all.AddRange(group.Params);
        }
        if (_groups.Count == 0)
            throw new ArgumentException($"{GetType().Name}: optimizer got an empty parameter list");
    }

    /// <summary>The groups with their typed options (<c>param_groups</c>).</summary>
    public IReadOnlyList<OptimizerParamGroup<TOptions>> ParamGroups => _groups;

    /// <inheritdoc/>
    public override IReadOnlyList<OptimizerOptions> GroupOptions => _groups.Select(g => (OptimizerOptions)g.Options).ToList();

    /// <inheritdoc/>
    public override IReadOnlyList<Tensor> AllParams => _all;

    /// <inheritdoc/>
    protected override IReadOnlyList<int> GroupSizes => _groups.Select(g => g.Params.Count).ToList();

    /// <summary>Checks the options of one group.</summary>
    private protected abstract void Validate(TOptions options);

    /// <summary>Wraps a flat parameter list as one group.</summary>
    private protected static IEnumerable<ParamGroup> OneGroup(IEnumerable<Tensor> parameters) =>
        [new ParamGroup(parameters ?? throw new ArgumentNullException(nameof(parameters)))];
}
