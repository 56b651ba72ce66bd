using System.Runtime.CompilerServices;

namespace Ember;

/// <summary>
/// Whether ops record autograd history. The mode set by scopes lives in an <see cref="AsyncLocal{T}"/>,
/// so it flows across <c>await</c> and into tasks started inside a scope. The backward engine overrides
/// it on its own thread for the duration of a run (<see cref="AutogradThread"/>, cheaper than an async-local write).
/// It is read only when an op has an input that requires grad; while no scope is open and no backward runs,
/// the read is two static loads.
/// </summary>
internal static class GradMode
{
    // null means the default: grad enabled, not inference mode.
    private static readonly AsyncLocal<State?> s_state = new();

    // Scopes open in the process (plus one once SetGradEnabled was used): while 0, the mode is the default.
    private static int s_active;

    // InferenceMode scopes open in the process: while 0, a new tensor is never an inference tensor, and
    // creating one reads this counter only.
    private static int s_inferenceActive;

    // Threads whose engine override (AutogradThread.Override) is set now: while 0, finding the mode reads no
    // thread-static, so recording an op outside backward costs no TLS lookup. Scopes opened inside a backward
    // take precedence over its override.
    private static int s_overrides;

    internal sealed class State(bool enabled, bool inference)
    {
        public static readonly State Enabled = new(true, false);
        public static readonly State Disabled = new(false, false);
        public static readonly State Inference = new(false, true);

        public bool IsEnabled { get; } = enabled;
        public bool IsInference { get; } = inference;
    }

    private static State? Effective =>
        (Volatile.Read(ref s_overrides) == 0 ? null : AutogradThread.CurrentOrNull?.Override) ?? (Volatile.Read(ref s_active) == 0 ? null : s_state.Value);

    public static bool IsEnabled => Effective?.IsEnabled ?? true;

    public static bool IsInference => Effective?.IsInference ?? false;

    /// <summary>True when tensors created now are inference tensors; one static read while no InferenceMode scope is open.</summary>
    public static bool CreatesInferenceTensors
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref s_inferenceActive) != 0 && IsInference;
    }

    /// <summary>The engine's override for <paramref name="thread"/> (the calling thread's state); returns the previous one to restore.</summary>
    public static State? Override(AutogradThread thread, State? state)
    {
        State? previous = thread.Override;
        SetOverride(thread, state);
        return previous;
    }

    private static void SetOverride(AutogradThread thread, State? state)
    {
        if ((thread.Override is null) != (state is null))
            Interlocked.Add(ref s_overrides, state is null ? -1 : 1);
        thread.Override = state;
    }

    internal static (State? Async, State? Override) Enter(State state)
    {
        Interlocked.Increment(ref s_active);
        if (state.IsInference)
            Interlocked.Increment(ref s_inferenceActive);
        AutogradThread? thread = AutogradThread.CurrentOrNull;
        (State? Async, State? Override) previous = (s_state.Value, thread?.Override);
        s_state.Value = state;
        if (thread is not null)
            SetOverride(thread, null);
        return previous;
    }

    internal static void Exit(State state, (State? Async, State? Override) previous)
    {
        s_state.Value = previous.Async;
        // (The scope may end on another thread than it began, after an await: the override restored is this thread's.)
        if (previous.Override is not null || AutogradThread.CurrentOrNull is not null)
            SetOverride(AutogradThread.Current, previous.Override);
        if (state.IsInference)
            Interlocked.Decrement(ref s_inferenceActive);
        Interlocked.Decrement(ref s_active);
    }

    internal static void SetForContext(State state)
    {
        // Permanent: from now on the async-local is always read.
        if (Interlocked.CompareExchange(ref s_setPermanently, 1, 0) == 0)
            Interlocked.Increment(ref s_active);
        s_state.Value = state;
        if (AutogradThread.CurrentOrNull is { } thread)
            SetOverride(thread, null);
    }

    private static int s_setPermanently;
}

/// <summary>
/// Restores the previous grad mode when disposed; returned by <see cref="Torch.NoGrad"/>,
/// <see cref="Torch.EnableGrad"/> and <see cref="Torch.InferenceMode"/>. Use it with <c>using</c>.
/// </summary>
public sealed class GradModeScope : IDisposable
{
    private readonly GradMode.State _state;
    private readonly (GradMode.State? Async, GradMode.State? Override) _previous;
    private int _disposed;

    internal GradModeScope(GradMode.State state)
    {
        _state = state;
        _previous = GradMode.Enter(state);
    }

    /// <summary>Makes the grad mode that was current before this scope current again.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
            GradMode.Exit(_state, _previous);
    }
}

public static partial class Torch
{
    /// <summary>
    /// Disables gradient recording until the returned scope is disposed (<c>torch.no_grad()</c>):
    /// <c>using (Torch.NoGrad()) { ... }</c>. Results of ops inside do not require grad, and in-place ops
    /// on leaves that require grad are allowed. The mode flows across <c>await</c>.
    /// </summary>
    public static GradModeScope NoGrad() => new(GradMode.State.Disabled);

    /// <summary>Enables gradient recording until the returned scope is disposed, also inside <see cref="NoGrad"/> (<c>torch.enable_grad()</c>).</summary>
    public static GradModeScope EnableGrad() => new(GradMode.State.Enabled);

    /// <summary>
    /// Inference mode until the returned scope is disposed (<c>torch.inference_mode()</c>): no gradient
    /// recording, as in <see cref="NoGrad"/>, and every tensor created inside is an inference tensor
    /// (<see cref="Tensor.IsInference"/>; a view takes the kind of its base). Outside inference mode an
    /// inference tensor cannot be saved for backward (an op that would record it throws), changed in
    /// place, or made to require grad: <see cref="Tensor.Clone"/> gives a normal tensor.
    /// <paramref name="mode"/> false gives back normal grad mode (inside an inference scope too). The mode
    /// flows across <c>await</c>.
    /// </summary>
    public static GradModeScope InferenceMode(bool mode = true) => new(mode ? GradMode.State.Inference : GradMode.State.Enabled);

    /// <summary>True when ops record gradient history here (<c>torch.is_grad_enabled()</c>).</summary>
    public static bool IsGradEnabled() => GradMode.IsEnabled;

    /// <summary>True inside <see cref="InferenceMode"/> (<c>torch.is_inference_mode_enabled()</c>).</summary>
    public static bool IsInferenceModeEnabled() => GradMode.IsInference;

    /// <summary>
    /// Turns gradient recording on or off for the rest of the current execution context
    /// (<c>torch.set_grad_enabled(mode)</c>); prefer the scoped <see cref="NoGrad"/> and <see cref="EnableGrad"/>.
    /// </summary>
    public static void SetGradEnabled(bool enabled) => GradMode.SetForContext(enabled ? GradMode.State.Enabled : GradMode.State.Disabled);
}
