namespace Ember.NN;

/// <summary>Removes a hook when disposed (<c>RemovableHandle.remove()</c>).</summary>
public sealed class HookHandle : IDisposable
{
    private Action? _remove;

    internal HookHandle(Action remove) => _remove = remove;

    /// <summary>Removes the hook; doing it twice does nothing.</summary>
    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>Same as <see cref="Remove"/>.</summary>
    public void Dispose() => Remove();
}

/// <summary>
/// A module with one input and one output (<c>nn.Module</c> whose <c>forward</c> takes one argument).
/// Call it with <see cref="Call"/>, which runs the forward pre-hooks, <see cref="Forward"/>, then the
/// forward hooks, as <c>module(x)</c> does in PyTorch. Use tuples for several outputs
/// (<c>Module&lt;Tensor, (Tensor, Tensor)&gt;</c>).
/// </summary>
/// <typeparam name="TIn">The input type, usually <see cref="Tensor"/>.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public abstract class Module<TIn, TOut> : Module
{
    private Func<Module, TIn, TIn>[] _preHooks = [];
    private Func<Module, TIn, TOut, TOut>[] _hooks = [];

    /// <summary>The computation (<c>forward</c>). Call modules through <see cref="Call"/> so that hooks run.</summary>
    public abstract TOut Forward(TIn input);

    /// <summary>Runs the module: pre-hooks, <see cref="Forward"/>, hooks (<c>module(input)</c>).</summary>
    public TOut Call(TIn input)
    {
        Func<Module, TIn, TIn>[] pre = _preHooks;
        Func<Module, TIn, TOut, TOut>[] post = _hooks;
        if (pre.Length == 0 && post.Length == 0)
            return Forward(input);
        foreach (Func<Module, TIn, TIn> hook in pre)
            input = hook(this, input);
        TOut output = Forward(input);
        foreach (Func<Module, TIn, TOut, TOut> hook in post)
            output = hook(this, input, output);
        return output;
    }

    /// <summary>
    /// Adds a hook that runs before <see cref="Forward"/> and returns the input to use (return the argument to
    /// keep it) (<c>register_forward_pre_hook</c>).
    /// </summary>
    public HookHandle RegisterForwardPreHook(Func<Module, TIn, TIn> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _preHooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _preHooks, hook));
    }

    /// <summary>
    /// Adds a hook that runs after <see cref="Forward"/> and returns the output to use (return the argument to
    /// keep it) (<c>register_forward_hook</c>).
    /// </summary>
    public HookHandle RegisterForwardHook(Func<Module, TIn, TOut, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _hooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _hooks, hook));
    }
}

/// <summary>A module with two inputs (<c>forward(a, b)</c>), such as a loss (input, target). See <see cref="Module{TIn, TOut}"/>.</summary>
/// <typeparam name="T1">The first input type.</typeparam>
/// <typeparam name="T2">The second input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public abstract class Module<T1, T2, TOut> : Module
{
    private Func<Module, (T1, T2), (T1, T2)>[] _preHooks = [];
    private Func<Module, (T1, T2), TOut, TOut>[] _hooks = [];

    /// <summary>The computation (<c>forward</c>). Call modules through <see cref="Call"/> so that hooks run.</summary>
    public abstract TOut Forward(T1 input1, T2 input2);

    /// <summary>Runs the module: pre-hooks, <see cref="Forward"/>, hooks (<c>module(a, b)</c>).</summary>
    public TOut Call(T1 input1, T2 input2)
    {
        Func<Module, (T1, T2), (T1, T2)>[] pre = _preHooks;
        Func<Module, (T1, T2), TOut, TOut>[] post = _hooks;
        if (pre.Length == 0 && post.Length == 0)
            return Forward(input1, input2);
        (T1, T2) inputs = (input1, input2);
        foreach (var hook in pre)
            inputs = hook(this, inputs);
        TOut output = Forward(inputs.Item1, inputs.Item2);
        foreach (var hook in post)
            output = hook(this, inputs, output);
        return output;
    }

    /// <summary>Adds a hook that runs before <see cref="Forward"/> and returns the inputs to use (<c>register_forward_pre_hook</c>).</summary>
    public HookHandle RegisterForwardPreHook(Func<Module, (T1, T2), (T1, T2)> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _preHooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _preHooks, hook));
    }

    /// <summary>Adds a hook that runs after <see cref="Forward"/> and returns the output to use (<c>register_forward_hook</c>).</summary>
    public HookHandle RegisterForwardHook(Func<Module, (T1, T2), TOut, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _hooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _hooks, hook));
    }
}

/// <summary>Copy-on-write hook arrays: Call reads them without locks.</summary>
internal static class Hooks
{
    public static void Add<T>(ref T[] hooks, T hook) where T : class
    {
        T[] old, updated;
        do
        {
            old = Volatile.Read(ref hooks);
            updated = [.. old, hook];
        } while (Interlocked.CompareExchange(ref hooks, updated, old) != old);
    }

    public static void Remove<T>(ref T[] hooks, T hook) where T : class
    {
        T[] old, updated;
        do
        {
            old = Volatile.Read(ref hooks);
            int i = Array.IndexOf(old, hook);
            if (i < 0)
                return;
            updated = [.. old[..i], .. old[(i + 1)..]];
        } while (Interlocked.CompareExchange(ref hooks, updated, old) != old);
    }
}
