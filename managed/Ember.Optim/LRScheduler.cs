namespace Ember.Optim;

/// <summary>
/// Base of the learning-rate schedulers (<c>torch.optim.lr_scheduler.LRScheduler</c>). Creating one records
/// each group's <c>initial_lr</c> and applies the schedule's first value (epoch 0); call <see cref="Step()"/>
/// after each epoch (or batch, for per-iteration schedules), after <c>optimizer.Step()</c>. The
/// learning rates follow PyTorch's recursive formulas, so sequences match PyTorch's to rounding.
/// </summary>
public abstract class LRScheduler
{
    /// <summary>Starts the schedule on <paramref name="optimizer"/>'s groups.</summary>
    protected LRScheduler(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        Optimizer = optimizer;
        foreach (OptimizerOptions g in optimizer.GroupOptions)
            g.InitialLr ??= g.Lr;
        BaseLrs = optimizer.GroupOptions.Select(g => g.InitialLr!.Value).ToArray();
        LastLr = optimizer.GroupOptions.Select(g => g.Lr).ToArray();
    }

    /// <summary>Runs the first step (epoch 0); derived constructors call it last, once their fields are set.</summary>
    protected void Initialize() => Step();

    /// <summary>The optimizer whose learning rates are scheduled.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Each group's learning rate when the schedule started (<c>base_lrs</c>).</summary>
    public IReadOnlyList<double> BaseLrs { get; private protected set; }

    /// <summary>The epoch counter: 0 after construction, +1 per <see cref="Step()"/> (<c>last_epoch</c>).</summary>
    public int LastEpoch { get; private protected set; } = -1;

    /// <summary>The learning rates set by the last step (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr { get; private set; }

    /// <summary>Same as <see cref="LastLr"/> (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => LastLr;

    /// <summary>Advances one epoch and sets the groups' learning rates (<c>step()</c>).</summary>
    public virtual void Step()
    {
        LastEpoch++;
        Apply((i, lr) => ComputeLr(i, lr));
    }

    /// <summary>
    /// Jumps to <paramref name="epoch"/> (<c>step(epoch)</c>): the rate comes from the schedule's closed form
    /// where it has one, else from its recursive form at that epoch, as in PyTorch. <see cref="SequentialLR"/>
    /// uses it to restart a schedule at its milestone.
    /// </summary>
    public virtual void Step(int epoch)
    {
        LastEpoch = epoch;
        Apply((i, lr) => ClosedFormLr(i) ?? ComputeLr(i, lr));
    }

    /// <summary>Sets every group's rate from <paramref name="lr"/> (group, current rate), computed for all groups before any is set.</summary>
    private protected void Apply(Func<int, double, double> lr)
    {
        IReadOnlyList<OptimizerOptions> groups = Optimizer.GroupOptions;
        double[] lrs = new double[groups.Count];
        for (int i = 0; i < groups.Count; i++)
            lrs[i] = lr(i, groups[i].Lr);
        for (int i = 0; i < groups.Count; i++)
            groups[i].Lr = lrs[i];
        LastLr = lrs;
    }

    /// <summary>Records the groups' current rates as <see cref="LastLr"/>.</summary>
    private protected void RecordLastLr() => LastLr = Optimizer.GroupOptions.Select(g => g.Lr).ToArray();

    /// <summary>Moves the epoch counter without touching the rates (SequentialLR's construction).</summary>
    internal void ShiftEpoch(int delta) => LastEpoch += delta;

    /// <summary>The learning rate of group <paramref name="group"/> at <see cref="LastEpoch"/>, given its current rate (<c>get_lr()</c>).</summary>
    protected abstract double ComputeLr(int group, double currentLr);

    /// <summary>The rate of group <paramref name="group"/> at <see cref="LastEpoch"/> from the base rate alone (<c>_get_closed_form_lr()</c>), or null where the schedule has no closed form.</summary>
    protected virtual double? ClosedFormLr(int group) => null;

    /// <summary>Python's modulo (the result has the divisor's sign).</summary>
    protected static int PyMod(int a, int b) => ((a % b) + b) % b;
}

/// <summary>Multiplies the learning rate by <c>gamma</c> every <c>step_size</c> epochs (<c>StepLR</c>).</summary>
public sealed class StepLR : LRScheduler
{
    private readonly int _stepSize;
    private readonly double _gamma;

    /// <summary>A step schedule.</summary>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        _stepSize = stepSize;
        _gamma = gamma;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr) =>
        LastEpoch == 0 || LastEpoch % _stepSize != 0 ? currentLr : currentLr * _gamma;

    /// <inheritdoc/>
    protected override double? ClosedFormLr(int group) => BaseLrs[group] * Math.Pow(_gamma, Math.Floor((double)LastEpoch / _stepSize));
}

/// <summary>Multiplies the learning rate by <c>gamma</c> at each milestone epoch (<c>MultiStepLR</c>).</summary>
public sealed class MultiStepLR : LRScheduler
{
    private readonly Dictionary<int, int> _milestones;
    private readonly double _gamma;

    /// <summary>A schedule with decays at <paramref name="milestones"/> (a repeated milestone decays that many times).</summary>
    public MultiStepLR(Optimizer optimizer, IEnumerable<int> milestones, double gamma = 0.1) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(milestones);
        _milestones = milestones.GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count());
        _gamma = gamma;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr) =>
        _milestones.TryGetValue(LastEpoch, out int count) ? currentLr * Math.Pow(_gamma, count) : currentLr;

    /// <inheritdoc/>
    protected override double? ClosedFormLr(int group) =>
        BaseLrs[group] * Math.Pow(_gamma, _milestones.Where(m => m.Key <= LastEpoch).Sum(m => m.Value));
}

/// <summary>Multiplies the learning rate by <c>gamma</c> every epoch (<c>ExponentialLR</c>).</summary>
public sealed class ExponentialLR : LRScheduler
{
    private readonly double _gamma;

    /// <summary>An exponential decay.</summary>
    public ExponentialLR(Optimizer optimizer, double gamma) : base(optimizer)
    {
        _gamma = gamma;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr) => LastEpoch == 0 ? currentLr : currentLr * _gamma;

    /// <inheritdoc/>
    protected override double? ClosedFormLr(int group) => BaseLrs[group] * Math.Pow(_gamma, LastEpoch);
}

/// <summary>Cosine annealing from the base rate to <c>eta_min</c> over <c>T_max</c> epochs (<c>CosineAnnealingLR</c>).</summary>
public sealed class CosineAnnealingLR : LRScheduler
{
    private readonly int _tMax;
    private readonly double _etaMin;

    /// <summary>A cosine schedule with half-period <paramref name="tMax"/>.</summary>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0) : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tMax, 1);
        _tMax = tMax;
        _etaMin = etaMin;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr)
    {
        int e = LastEpoch;
        if (e == 0)
            return currentLr;
        if (PyMod(e - 1 - _tMax, 2 * _tMax) == 0)
            return currentLr + (BaseLrs[group] - _etaMin) * (1 - Math.Cos(Math.PI / _tMax)) / 2;
        return (1 + Math.Cos(Math.PI * e / _tMax)) / (1 + Math.Cos(Math.PI * (e - 1) / _tMax)) * (currentLr - _etaMin) + _etaMin;
    }

    /// <inheritdoc/>
    protected override double? ClosedFormLr(int group) =>
        _etaMin + (BaseLrs[group] - _etaMin) * (1 + Math.Cos(Math.PI * LastEpoch / _tMax)) / 2;
}

/// <summary>
/// Scales the learning rate linearly from <c>start_factor</c> to <c>end_factor</c> of the base rate over
/// <c>total_iters</c> epochs (<c>LinearLR</c>).
/// </summary>
public sealed class LinearLR : LRScheduler
{
    private readonly double _start, _end;
    private readonly int _total;

    /// <summary>A linear warm-up or decay.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A factor is outside (0, 1] (start) or [0, 1] (end).</exception>
    public LinearLR(Optimizer optimizer, double startFactor = 1.0 / 3, double endFactor = 1.0, int totalIters = 5) : base(optimizer)
    {
        if (!(startFactor > 0 && startFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(startFactor), startFactor, "LinearLR: starting multiplicative factor expected to be greater than 0 and less or equal to 1");
        if (!(endFactor >= 0 && endFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(endFactor), endFactor, "LinearLR: ending multiplicative factor expected to be between 0 and 1");
        _start = startFactor;
        _end = endFactor;
        _total = totalIters;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr)
    {
        int e = LastEpoch;
        if (e == 0)
            return currentLr * _start;
        if (e > _total)
            return currentLr;
        return currentLr * (1 + (_end - _start) / (_total * _start + (e - 1) * (_end - _start)));
    }

    /// <inheritdoc/>
    protected override double? ClosedFormLr(int group) =>
        BaseLrs[group] * (_start + (_end - _start) * Math.Min(_total, LastEpoch) / _total);
}

/// <summary>Multiplies the learning rate by <c>factor</c> until epoch <c>total_iters</c> (<c>ConstantLR</c>).</summary>
public sealed class ConstantLR : LRScheduler
{
    private readonly double _factor;
    private readonly int _total;

    /// <summary>A constant factor for the first <paramref name="totalIters"/> epochs.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="factor"/> is outside [0, 1].</exception>
    public ConstantLR(Optimizer optimizer, double factor = 1.0 / 3, int totalIters = 5) : base(optimizer)
    {
        if (!(factor >= 0 && factor <= 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "ConstantLR: constant multiplicative factor expected to be between 0 and 1");
        _factor = factor;
        _total = totalIters;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr)
    {
        if (LastEpoch == 0)
            return currentLr * _factor;
        return LastEpoch != _total ? currentLr : currentLr * (1 / _factor);
    }

    /// <inheritdoc/>
    protected override double? ClosedFormLr(int group) => BaseLrs[group] * (_factor + (LastEpoch >= _total ? 1 - _factor : 0));
}

/// <summary>Sets the learning rate to the base rate times <c>lr_lambda(epoch)</c> (<c>LambdaLR</c>).</summary>
public sealed class LambdaLR : LRScheduler
{
    private readonly Func<int, double>[] _lambdas;

    /// <summary>One function for every group.</summary>
    public LambdaLR(Optimizer optimizer, Func<int, double> lrLambda) : this(optimizer, Enumerable.Repeat(lrLambda, optimizer?.GroupOptions.Count ?? 0).ToArray())
    {
    }

    /// <summary>One function per group.</summary>
    /// <exception cref="ArgumentException">The number of functions differs from the number of groups.</exception>
    public LambdaLR(Optimizer optimizer, IReadOnlyList<Func<int, double>> lrLambdas) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(lrLambdas);
        if (lrLambdas.Count != optimizer.GroupOptions.Count)
            throw new ArgumentException($"LambdaLR: expected {optimizer.GroupOptions.Count} lr_lambdas, but got {lrLambdas.Count}", nameof(lrLambdas));
        _lambdas = [.. lrLambdas];
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr) => BaseLrs[group] * _lambdas[group](LastEpoch);
}
