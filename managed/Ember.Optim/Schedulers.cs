namespace Ember.Optim;

/// <summary>
/// Cosine annealing with warm restarts (SGDR, <c>CosineAnnealingWarmRestarts</c>): the rate falls from the base
/// rate to <c>eta_min</c> along a cosine over <c>T_i</c> epochs, then restarts, each period <c>T_mult</c> times
/// longer than the last. <see cref="Step(double)"/> takes fractional epochs for per-batch updates.
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRScheduler
{
    private readonly int _t0, _tMult;
    private readonly double _etaMin;
    private int _tI;
    private double _tCur;

    /// <summary>A restarting cosine schedule whose first period is <paramref name="t0"/> epochs.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="t0"/> is not positive or <paramref name="tMult"/> is below 1.</exception>
    public CosineAnnealingWarmRestarts(Optimizer optimizer, int t0, int tMult = 1, double etaMin = 0) : base(optimizer)
    {
        if (t0 <= 0)
            throw new ArgumentOutOfRangeException(nameof(t0), t0, $"CosineAnnealingWarmRestarts: Expected positive integer T_0, but got {t0}");
        if (tMult < 1)
            throw new ArgumentOutOfRangeException(nameof(tMult), tMult, $"CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got {tMult}");
        _t0 = t0;
        _tI = t0;
        _tMult = tMult;
        _etaMin = etaMin;
        _tCur = -1;
        Initialize();
    }

    /// <summary>Epochs since the last restart (<c>T_cur</c>).</summary>
    public double TCur => _tCur;

    /// <summary>Length of the current period (<c>T_i</c>).</summary>
    public int TI => _tI;

    /// <inheritdoc/>
    public override void Step()
    {
        if (LastEpoch < 0)
        {
            Step(0.0);
            return;
        }
        _tCur += 1;
        if (_tCur >= _tI)
        {
            _tCur -= _tI;
            _tI *= _tMult;
        }
        LastEpoch++;
        Apply((i, _) => ComputeLr(i, 0));
    }

    /// <inheritdoc/>
    public override void Step(int epoch) => Step((double)epoch);

    /// <summary>Sets the schedule to a possibly fractional <paramref name="epoch"/> (<c>step(epoch)</c>), e.g. <c>epoch + i / iters</c> per batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epoch"/> is negative.</exception>
    public void Step(double epoch)
    {
        if (epoch < 0)
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"CosineAnnealingWarmRestarts: Expected non-negative epoch, but got {epoch}");
        if (epoch >= _t0)
        {
            if (_tMult == 1)
            {
                _tCur = PyFmod(epoch, _t0);
            }
            else
            {
                int n = (int)(Math.Log(epoch / _t0 * (_tMult - 1) + 1) / Math.Log(_tMult));
                _tCur = epoch - _t0 * (Math.Pow(_tMult, n) - 1) / (_tMult - 1);
                _tI = _t0 * (int)Math.Pow(_tMult, n);
            }
        }
        else
        {
            _tI = _t0;
            _tCur = epoch;
        }
        LastEpoch = (int)Math.Floor(epoch);
        Apply((i, _) => ComputeLr(i, 0));
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr) =>
        _etaMin + (BaseLrs[group] - _etaMin) * (1 + Math.Cos(Math.PI * _tCur / _tI)) / 2;

    private static double PyFmod(double a, double b) => a - b * Math.Floor(a / b);
}

/// <summary>How <see cref="OneCycleLR"/> interpolates within a phase (<c>anneal_strategy</c>).</summary>
public enum AnnealStrategy
{
    /// <summary>Along half a cosine (<c>'cos'</c>).</summary>
    Cos,

    /// <summary>Along a straight line (<c>'linear'</c>).</summary>
    Linear,
}

/// <summary>
/// The one-cycle policy (<c>OneCycleLR</c>), stepped once per batch: the rate rises from
/// max_lr / div_factor to max_lr over the first <c>pct_start</c> of the steps, then falls to
/// initial_lr / final_div_factor (with <c>three_phase</c>, back to the initial rate first); momentum (or Adam's
/// beta1) moves the opposite way between <c>max_momentum</c> and <c>base_momentum</c>.
/// </summary>
public sealed class OneCycleLR : LRScheduler
{
    private readonly record struct Phase(double EndStep, int StartLr, int EndLr, int StartMomentum, int EndMomentum);

    // Per-group values, indexed by the phase fields: 0 initial_lr, 1 max_lr, 2 min_lr; momentum 0 max, 1 base.
    private readonly double[][] _lrs;
    private readonly double[][] _momentums;
    private readonly Phase[] _phases;
    private readonly AnnealStrategy _anneal;
    private readonly bool _cycleMomentum, _useBeta1;

    /// <summary>A one-cycle schedule over <paramref name="totalSteps"/> steps, or <paramref name="epochs"/> × <paramref name="stepsPerEpoch"/>.</summary>
    /// <param name="optimizer">The optimizer; with <paramref name="cycleMomentum"/> it needs <c>momentum</c> (SGD) or <c>betas</c> (Adam family).</param>
    /// <param name="maxLr">The peak rate of every group.</param>
    /// <param name="totalSteps">Number of steps of the cycle; null to use epochs × stepsPerEpoch.</param>
    /// <param name="epochs">Epochs, with <paramref name="stepsPerEpoch"/>, when <paramref name="totalSteps"/> is null.</param>
    /// <param name="stepsPerEpoch">Steps per epoch.</param>
    /// <param name="pctStart">Fraction of the steps spent rising (<c>pct_start</c>).</param>
    /// <param name="annealStrategy">Cosine or linear interpolation.</param>
    /// <param name="cycleMomentum">Cycle momentum inversely to the rate.</param>
    /// <param name="baseMomentum">Lowest momentum, at the peak rate.</param>
    /// <param name="maxMomentum">Highest momentum, at the start and end.</param>
    /// <param name="divFactor">initial_lr = max_lr / div_factor.</param>
    /// <param name="finalDivFactor">min_lr = initial_lr / final_div_factor.</param>
    /// <param name="threePhase">Rise, fall back to the initial rate, then anneal to min_lr.</param>
    /// <exception cref="ArgumentException">The step counts, pct_start or the optimizer's options do not fit.</exception>
    public OneCycleLR(Optimizer optimizer, double maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos, bool cycleMomentum = true, double baseMomentum = 0.85,
        double maxMomentum = 0.95, double divFactor = 25.0, double finalDivFactor = 1e4, bool threePhase = false)
        : this(optimizer, PerGroup(optimizer, maxLr), totalSteps, epochs, stepsPerEpoch, pctStart, annealStrategy, cycleMomentum,
            PerGroup(optimizer, baseMomentum), PerGroup(optimizer, maxMomentum), divFactor, finalDivFactor, threePhase)
    {
    }

    /// <summary>A one-cycle schedule with a peak rate and momenta per group.</summary>
    /// <exception cref="ArgumentException">A list's length differs from the number of groups, or as the other constructor.</exception>
    public OneCycleLR(Optimizer optimizer, IReadOnlyList<double> maxLr, int? totalSteps = null, int? epochs = null, int? stepsPerEpoch = null,
        double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos, bool cycleMomentum = true, IReadOnlyList<double>? baseMomentum = null,
        IReadOnlyList<double>? maxMomentum = null, double divFactor = 25.0, double finalDivFactor = 1e4, bool threePhase = false)
        : base(Prepare(optimizer, maxLr, divFactor))
    {
        int groups = optimizer.GroupOptions.Count;
        int total = totalSteps ?? CheckedProduct(epochs, stepsPerEpoch);
        if (total <= 0)
            throw new ArgumentException($"OneCycleLR: Expected positive integer total_steps, but got {total}", nameof(totalSteps));
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), pctStart, $"OneCycleLR: Expected float between 0 and 1 pct_start, but got {pctStart}");
        TotalSteps = total;
        _anneal = annealStrategy;
        _phases = threePhase
            ? [new(pctStart * total - 1, 0, 1, 0, 1), new(2 * pctStart * total - 2, 1, 0, 1, 0), new(total - 1, 0, 2, 0, 0)]
            : [new(pctStart * total - 1, 0, 1, 0, 1), new(total - 1, 1, 2, 1, 0)];
        _lrs = new double[groups][];
        for (int g = 0; g < groups; g++)
        {
            double initial = maxLr[g] / divFactor;
            _lrs[g] = [initial, maxLr[g], initial / finalDivFactor];
        }
        _cycleMomentum = cycleMomentum;
        _momentums = new double[groups][];
        if (cycleMomentum)
        {
            var names = new Dictionary<string, object>();
            optimizer.GroupOptions[0].Write(names);
            if (!names.ContainsKey("momentum") && !names.ContainsKey("betas"))
                throw new ArgumentException("OneCycleLR: optimizer must support momentum with `cycle_momentum` option enabled", nameof(optimizer));
            _useBeta1 = names.ContainsKey("betas");
            IReadOnlyList<double> maxM = maxMomentum ?? PerGroup(optimizer, 0.95);
            IReadOnlyList<double> baseM = baseMomentum ?? PerGroup(optimizer, 0.85);
            CheckCount(optimizer, maxM, "max_momentum");
            CheckCount(optimizer, baseM, "base_momentum");
            for (int g = 0; g < groups; g++)
            {
                _momentums[g] = [maxM[g], baseM[g]];
                SetMomentum(g, maxM[g]);
            }
        }
        Initialize();
    }

    /// <summary>Number of steps in the cycle (<c>total_steps</c>).</summary>
    public int TotalSteps { get; }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Stepped more than <see cref="TotalSteps"/> times.</exception>
    protected override double ComputeLr(int group, double currentLr)
    {
        int stepNum = LastEpoch;
        if (stepNum > TotalSteps)
            throw new InvalidOperationException($"OneCycleLR: Tried to step {stepNum + 1} times. The specified number of total steps is {TotalSteps}");
        double startStep = 0;
        for (int i = 0; i < _phases.Length; i++)
        {
            Phase phase = _phases[i];
            if (stepNum <= phase.EndStep || i == _phases.Length - 1)
            {
                double pct = (stepNum - startStep) / (phase.EndStep - startStep);
                if (_cycleMomentum)
                    SetMomentum(group, Anneal(_momentums[group][phase.StartMomentum], _momentums[group][phase.EndMomentum], pct));
                return Anneal(_lrs[group][phase.StartLr], _lrs[group][phase.EndLr], pct);
            }
            startStep = phase.EndStep;
        }
        throw new InvalidOperationException("OneCycleLR: no phase"); // unreachable: the last phase always matches
    }

    private double Anneal(double start, double end, double pct) => _anneal == AnnealStrategy.Cos
        ? end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1)
        : (end - start) * pct + start;

    private void SetMomentum(int group, double value) =>
        Optimizer.GroupOptions[group].Read([new(_useBeta1 ? "beta1" : "momentum", value)]);

    // Sets each group's initial_lr to max_lr / div_factor before the base records it, as PyTorch does.
    private static Optimizer Prepare(Optimizer optimizer, IReadOnlyList<double> maxLr, double divFactor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(maxLr);
        CheckCount(optimizer, maxLr, "max_lr");
        for (int g = 0; g < maxLr.Count; g++)
            optimizer.GroupOptions[g].InitialLr = maxLr[g] / divFactor;
        return optimizer;
    }

    private static int CheckedProduct(int? epochs, int? stepsPerEpoch)
    {
        if (epochs is null || stepsPerEpoch is null)
            throw new ArgumentException("OneCycleLR: You must define either total_steps OR (epochs AND steps_per_epoch)");
        if (epochs <= 0)
            throw new ArgumentException($"OneCycleLR: Expected positive integer epochs, but got {epochs}", nameof(epochs));
        if (stepsPerEpoch <= 0)
            throw new ArgumentException($"OneCycleLR: Expected positive integer steps_per_epoch, but got {stepsPerEpoch}", nameof(stepsPerEpoch));
        return epochs.Value * stepsPerEpoch.Value;
    }

    internal static double[] PerGroup(Optimizer optimizer, double value)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return Enumerable.Repeat(value, optimizer.GroupOptions.Count).ToArray();
    }

    internal static void CheckCount(Optimizer optimizer, IReadOnlyList<double> values, string name)
    {
        if (values.Count != optimizer.GroupOptions.Count)
            throw new ArgumentException($"expected {optimizer.GroupOptions.Count} values for {name}, got {values.Count}", name);
    }
}

/// <summary>The built-in amplitude policies of <see cref="CyclicLR"/> (<c>mode</c>).</summary>
public enum CyclicMode
{
    /// <summary>Constant amplitude (<c>'triangular'</c>).</summary>
    Triangular,

    /// <summary>Amplitude halved each cycle (<c>'triangular2'</c>).</summary>
    Triangular2,

    /// <summary>Amplitude scaled by gamma^iteration (<c>'exp_range'</c>).</summary>
    ExpRange,
}

/// <summary>
/// Cyclical learning rates (<c>CyclicLR</c>), stepped once per batch: the rate goes from <c>base_lr</c> up to
/// <c>max_lr</c> over <c>step_size_up</c> steps and back over <c>step_size_down</c>, the amplitude scaled by
/// the mode's policy or a custom <c>scale_fn</c>; momentum cycles the opposite way.
/// </summary>
public sealed class CyclicLR : LRScheduler
{
    private readonly double[] _baseLrs, _maxLrs, _baseMomentums = [], _maxMomentums = [];
    private readonly double _totalSize, _stepRatio, _gamma;
    private readonly Func<double, double> _scaleFn;
    private readonly bool _scaleByCycle, _cycleMomentum;

    /// <summary>A cyclic schedule with the same bounds for every group.</summary>
    /// <exception cref="ArgumentException">cycleMomentum is asked of an optimizer without momentum.</exception>
    public CyclicLR(Optimizer optimizer, double baseLr, double maxLr, int stepSizeUp = 2000, int? stepSizeDown = null,
        CyclicMode mode = CyclicMode.Triangular, double gamma = 1.0, bool cycleMomentum = true, double baseMomentum = 0.8, double maxMomentum = 0.9)
        : this(optimizer, OneCycleLR.PerGroup(optimizer, baseLr), OneCycleLR.PerGroup(optimizer, maxLr), stepSizeUp, stepSizeDown, mode, gamma,
            cycleMomentum, OneCycleLR.PerGroup(optimizer, baseMomentum), OneCycleLR.PerGroup(optimizer, maxMomentum))
    {
    }

    /// <summary>A cyclic schedule with bounds per group and a built-in policy.</summary>
    /// <exception cref="ArgumentException">A list's length differs from the number of groups, or as the other constructors.</exception>
    public CyclicLR(Optimizer optimizer, IReadOnlyList<double> baseLr, IReadOnlyList<double> maxLr, int stepSizeUp = 2000, int? stepSizeDown = null,
        CyclicMode mode = CyclicMode.Triangular, double gamma = 1.0, bool cycleMomentum = true, IReadOnlyList<double>? baseMomentum = null,
        IReadOnlyList<double>? maxMomentum = null)
        : this(optimizer, baseLr, maxLr, stepSizeUp, stepSizeDown, null, mode != CyclicMode.ExpRange, cycleMomentum, baseMomentum, maxMomentum, mode, gamma)
    {
    }

    /// <summary>A cyclic schedule with a custom amplitude policy <paramref name="scaleFn"/>, given the cycle number (<paramref name="scaleByCycle"/>) or the step.</summary>
    /// <exception cref="ArgumentException">As the other constructors.</exception>
    public CyclicLR(Optimizer optimizer, IReadOnlyList<double> baseLr, IReadOnlyList<double> maxLr, Func<double, double> scaleFn, bool scaleByCycle = true,
        int stepSizeUp = 2000, int? stepSizeDown = null, bool cycleMomentum = true, IReadOnlyList<double>? baseMomentum = null, IReadOnlyList<double>? maxMomentum = null)
        : this(optimizer, baseLr, maxLr, stepSizeUp, stepSizeDown, scaleFn ?? throw new ArgumentNullException(nameof(scaleFn)), scaleByCycle, cycleMomentum,
            baseMomentum, maxMomentum, CyclicMode.Triangular, 1.0)
    {
    }

    private CyclicLR(Optimizer optimizer, IReadOnlyList<double> baseLr, IReadOnlyList<double> maxLr, int stepSizeUp, int? stepSizeDown,
        Func<double, double>? scaleFn, bool scaleByCycle, bool cycleMomentum, IReadOnlyList<double>? baseMomentum, IReadOnlyList<double>? maxMomentum,
        CyclicMode mode, double gamma)
        : base(Prepare(optimizer, baseLr))
    {
        OneCycleLR.CheckCount(optimizer, maxLr, "max_lr");
        if (stepSizeUp <= 0 || stepSizeDown <= 0)
            throw new ArgumentOutOfRangeException(nameof(stepSizeUp), "CyclicLR: step sizes must be positive");
        _baseLrs = [.. baseLr];
        _maxLrs = [.. maxLr];
        double up = stepSizeUp, down = stepSizeDown ?? stepSizeUp;
        _totalSize = up + down;
        _stepRatio = up / _totalSize;
        _gamma = gamma;
        _scaleByCycle = scaleByCycle;
        _scaleFn = scaleFn ?? mode switch
        {
            CyclicMode.Triangular => _ => 1.0,
            CyclicMode.Triangular2 => x => 1 / Math.Pow(2.0, x - 1),
            _ => x => Math.Pow(_gamma, x),
        };
        _cycleMomentum = cycleMomentum;
        if (cycleMomentum)
        {
            var names = new Dictionary<string, object>();
            optimizer.GroupOptions[0].Write(names);
            if (!names.ContainsKey("momentum"))
                throw new ArgumentException("CyclicLR: optimizer must support momentum with `cycle_momentum` option enabled", nameof(optimizer));
            _baseMomentums = [.. baseMomentum ?? OneCycleLR.PerGroup(optimizer, 0.8)];
            _maxMomentums = [.. maxMomentum ?? OneCycleLR.PerGroup(optimizer, 0.9)];
            OneCycleLR.CheckCount(optimizer, _baseMomentums, "base_momentum");
            OneCycleLR.CheckCount(optimizer, _maxMomentums, "max_momentum");
            for (int g = 0; g < _baseMomentums.Length; g++)
                optimizer.GroupOptions[g].Read([new("momentum", _baseMomentums[g])]);
        }
        BaseLrs = _baseLrs;
        Initialize();
    }

    /// <inheritdoc/>
    protected override double ComputeLr(int group, double currentLr)
    {
        double cycle = Math.Floor(1 + LastEpoch / _totalSize);
        double x = 1.0 + LastEpoch / _totalSize - cycle;
        double scaleFactor = x <= _stepRatio ? x / _stepRatio : (x - 1) / (_stepRatio - 1);
        double scale = _scaleFn(_scaleByCycle ? cycle : LastEpoch);
        if (_cycleMomentum)
        {
            double height = (_maxMomentums[group] - _baseMomentums[group]) * scaleFactor;
            Optimizer.GroupOptions[group].Read([new("momentum", _maxMomentums[group] - height * scale)]);
        }
        return _baseLrs[group] + (_maxLrs[group] - _baseLrs[group]) * scaleFactor * scale;
    }

    // Sets each group's rate to its base_lr before the base records initial_lr, as PyTorch does.
    private static Optimizer Prepare(Optimizer optimizer, IReadOnlyList<double> baseLr)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(baseLr);
        OneCycleLR.CheckCount(optimizer, baseLr, "base_lr");
        for (int g = 0; g < baseLr.Count; g++)
            optimizer.GroupOptions[g].Lr = baseLr[g];
        return optimizer;
    }
}

/// <summary>
/// Runs schedulers one after another (<c>SequentialLR</c>): <c>schedulers[i]</c> drives the rate from milestone
/// i − 1 on, restarted at its milestone as <c>step(0)</c> does.
/// </summary>
public sealed class SequentialLR : LRScheduler
{
    private readonly LRScheduler[] _schedulers;
    private readonly int[] _milestones;

    /// <summary>Chains <paramref name="schedulers"/> at <paramref name="milestones"/> (one fewer than the schedulers).</summary>
    /// <exception cref="ArgumentException">A scheduler belongs to another optimizer, or the counts do not fit.</exception>
    public SequentialLR(Optimizer optimizer, IReadOnlyList<LRScheduler> schedulers, IReadOnlyList<int> milestones) : base(optimizer)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        ArgumentNullException.ThrowIfNull(milestones);
        for (int i = 0; i < schedulers.Count; i++)
        {
            if (!ReferenceEquals(schedulers[i].Optimizer, optimizer))
                throw new ArgumentException($"SequentialLR: Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index {i} to be different than the optimizer passed in.", nameof(schedulers));
        }
        if (schedulers.Count == 0 || milestones.Count != schedulers.Count - 1)
            throw new ArgumentException($"SequentialLR: Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers {schedulers.Count} and the number of milestones to be equal to {milestones.Count}", nameof(milestones));
        _schedulers = [.. schedulers];
        _milestones = [.. milestones];
        LastEpoch = 0;
        foreach (OptimizerOptions g in optimizer.GroupOptions)
            g.Lr = g.InitialLr!.Value;
        foreach (LRScheduler s in _schedulers)
            s.ShiftEpoch(-1);
        _schedulers[0].Step();
        RecordLastLr();
    }

    /// <inheritdoc/>
    public override void Step()
    {
        LastEpoch++;
        int idx = BisectRight(_milestones, LastEpoch);
        LRScheduler scheduler = _schedulers[idx];
        if (idx > 0 && _milestones[idx - 1] == LastEpoch)
            scheduler.Step(0);
        else
            scheduler.Step();
        RecordLastLr();
    }

    /// <summary>Not supported: PyTorch's SequentialLR steps one epoch at a time.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Step(int epoch) => throw new NotSupportedException("SequentialLR.Step takes no epoch");

    /// <summary>The rates come from the wrapped schedulers; this returns the current rate.</summary>
    protected override double ComputeLr(int group, double currentLr) => currentLr;

    private static int BisectRight(int[] sorted, int value)
    {
        int i = 0;
        while (i < sorted.Length && sorted[i] <= value)
            i++;
        return i;
    }
}

/// <summary>Steps several schedulers of one optimizer together, each on the rate the previous one left (<c>ChainedScheduler</c>).</summary>
public sealed class ChainedScheduler : LRScheduler
{
    private readonly LRScheduler[] _schedulers;

    /// <summary>Chains <paramref name="schedulers"/>, which must share one optimizer.</summary>
    /// <exception cref="ArgumentException">The list is empty or its schedulers have different optimizers.</exception>
    public ChainedScheduler(IReadOnlyList<LRScheduler> schedulers) : base(First(schedulers).Optimizer)
    {
        for (int i = 1; i < schedulers.Count; i++)
        {
            if (!ReferenceEquals(schedulers[i].Optimizer, schedulers[0].Optimizer))
                throw new ArgumentException($"ChainedScheduler: ChainedScheduler expects all schedulers to belong to the same optimizer, but got schedulers at index 0 and {i} to be different", nameof(schedulers));
        }
        _schedulers = [.. schedulers];
        LastEpoch = 0;
        RecordLastLr();
    }

    /// <inheritdoc/>
    public override void Step()
    {
        foreach (LRScheduler s in _schedulers)
            s.Step();
        LastEpoch++;
        RecordLastLr();
    }

    /// <summary>Not supported: PyTorch's ChainedScheduler steps one epoch at a time.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override void Step(int epoch) => throw new NotSupportedException("ChainedScheduler.Step takes no epoch");

    /// <summary>The rates come from the wrapped schedulers; this returns the current rate.</summary>
    protected override double ComputeLr(int group, double currentLr) => currentLr;

    private static LRScheduler First(IReadOnlyList<LRScheduler> schedulers)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        if (schedulers.Count == 0)
            throw new ArgumentException("ChainedScheduler: needs at least one scheduler", nameof(schedulers));
        return schedulers[0];
    }
}

/// <summary>How <see cref="ReduceLROnPlateau"/> measures improvement (<c>threshold_mode</c>).</summary>
public enum ThresholdMode
{
    /// <summary>Relative to the best value (<c>'rel'</c>).</summary>
    Rel,

    /// <summary>An absolute margin (<c>'abs'</c>).</summary>
    Abs,
}

/// <summary>
/// Reduces the learning rates by <c>factor</c> when a metric has stopped improving for <c>patience</c> epochs
/// (<c>ReduceLROnPlateau</c>); call <see cref="Step"/> with the metric after each validation.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly double[] _minLrs;
    private int _cooldownCounter;

    /// <summary>A plateau detector on <paramref name="optimizer"/>'s groups.</summary>
    /// <param name="optimizer">The optimizer whose rates are reduced.</param>
    /// <param name="mode">"min": the metric should fall; "max": it should rise.</param>
    /// <param name="factor">new_lr = lr · factor (below 1).</param>
    /// <param name="patience">Epochs without improvement tolerated before a reduction.</param>
    /// <param name="threshold">Margin a value must beat the best by to count as an improvement.</param>
    /// <param name="thresholdMode">Whether the margin is relative or absolute.</param>
    /// <param name="cooldown">Epochs to wait after a reduction before counting again.</param>
    /// <param name="minLr">Lower bound of every group's rate, or null for 0; see the other constructor for one per group.</param>
    /// <param name="eps">Reductions smaller than this are skipped.</param>
    /// <exception cref="ArgumentException"><paramref name="factor"/> is not below 1 or the mode is unknown.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, string mode = "min", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
        : this(optimizer, OneCycleLR.PerGroup(optimizer, minLr), mode, factor, patience, threshold, thresholdMode, cooldown, eps)
    {
    }

    /// <summary>A plateau detector with a lower bound per group.</summary>
    /// <exception cref="ArgumentException">As the other constructor, or <paramref name="minLrs"/>' length differs from the number of groups.</exception>
    public ReduceLROnPlateau(Optimizer optimizer, IReadOnlyList<double> minLrs, string mode = "min", double factor = 0.1, int patience = 10,
        double threshold = 1e-4, ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(minLrs);
        if (factor >= 1.0)
            throw new ArgumentException("ReduceLROnPlateau: Factor should be < 1.0.", nameof(factor));
        if (mode is not ("min" or "max"))
            throw new ArgumentException($"ReduceLROnPlateau: mode {mode} is unknown!", nameof(mode));
        if (minLrs.Count != optimizer.GroupOptions.Count)
            throw new ArgumentException($"ReduceLROnPlateau: expected {optimizer.GroupOptions.Count} min_lrs, got {minLrs.Count}", nameof(minLrs));
        Optimizer = optimizer;
        _minLrs = [.. minLrs];
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        Eps = eps;
        Best = mode == "min" ? double.PositiveInfinity : double.NegativeInfinity;
        LastLr = optimizer.GroupOptions.Select(g => g.Lr).ToArray();
    }

    /// <summary>The optimizer whose rates are reduced.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>"min" or "max" (<c>mode</c>).</summary>
    public string Mode { get; }

    /// <summary>Multiplier of a reduction (<c>factor</c>).</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement tolerated (<c>patience</c>).</summary>
    public int Patience { get; }

    /// <summary>Improvement margin (<c>threshold</c>).</summary>
    public double Threshold { get; }

    /// <summary>Relative or absolute margin (<c>threshold_mode</c>).</summary>
    public ThresholdMode ThresholdMode { get; }

    /// <summary>Epochs to wait after a reduction (<c>cooldown</c>).</summary>
    public int Cooldown { get; }

    /// <summary>Smallest reduction applied (<c>eps</c>).</summary>
    public double Eps { get; }

    /// <summary>The best metric so far (<c>best</c>).</summary>
    public double Best { get; private set; }

    /// <summary>Consecutive epochs without improvement (<c>num_bad_epochs</c>).</summary>
    public int NumBadEpochs { get; private set; }

    /// <summary>Number of <see cref="Step"/> calls (<c>last_epoch</c>).</summary>
    public int LastEpoch { get; private set; }

    /// <summary>The rates after the last step (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> LastLr { get; private set; }

    /// <summary>Whether a cooldown is running (<c>in_cooldown</c>).</summary>
    public bool InCooldown => _cooldownCounter > 0;

    /// <summary>Records one epoch's <paramref name="metric"/> and reduces the rates after too many epochs without improvement (<c>step(metrics)</c>).</summary>
    public void Step(double metric)
    {
        LastEpoch++;
        if (IsBetter(metric, Best))
        {
            Best = metric;
            NumBadEpochs = 0;
        }
        else
        {
            NumBadEpochs++;
        }
        if (InCooldown)
        {
            _cooldownCounter--;
            NumBadEpochs = 0;
        }
        if (NumBadEpochs > Patience)
        {
            ReduceLr();
            _cooldownCounter = Cooldown;
            NumBadEpochs = 0;
        }
        LastLr = Optimizer.GroupOptions.Select(g => g.Lr).ToArray();
    }

    private void ReduceLr()
    {
        IReadOnlyList<OptimizerOptions> groups = Optimizer.GroupOptions;
        for (int i = 0; i < groups.Count; i++)
        {
            double old = groups[i].Lr;
            double next = Math.Max(old * Factor, _minLrs[i]);
            if (old - next > Eps)
                groups[i].Lr = next;
        }
    }

    private bool IsBetter(double a, double best) => (Mode, ThresholdMode) switch
    {
        ("min", ThresholdMode.Rel) => a < best * (1.0 - Threshold),
        ("min", ThresholdMode.Abs) => a < best - Threshold,
        (_, ThresholdMode.Rel) => a > best * (Threshold + 1.0),
        _ => a > best + Threshold,
    };
}
