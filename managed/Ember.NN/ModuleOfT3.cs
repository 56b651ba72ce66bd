namespace Ember.NN;

/// <summary>A module with three inputs (<c>forward(a, b, c)</c>), such as a loss of two inputs and a target. See <see cref="Module{TIn, TOut}"/>.</summary>
/// <typeparam name="T1">The first input type.</typeparam>
/// <typeparam name="T2">The second input type.</typeparam>
/// <typeparam name="T3">The third input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public abstract class Module<T1, T2, T3, TOut> : Module
{
    private Func<Module, (T1, T2, T3), (T1, T2, T3)>[] _preHooks = [];
    private Func<Module, (T1, T2, T3), TOut, TOut>[] _hooks = [];

    /// <summary>The computation (<c>forward</c>). Call modules through <see cref="Call"/> so that hooks run.</summary>
    public abstract TOut Forward(T1 input1, T2 input2, T3 input3);

    /// <summary>Runs the module: pre-hooks, <see cref="Forward"/>, hooks (<c>module(a, b, c)</c>).</summary>
    public TOut Call(T1 input1, T2 input2, T3 input3)
    {
        var pre = _preHooks;
        var post = _hooks;
        if (pre.Length == 0 && post.Length == 0)
            return Forward(input1, input2, input3);
        (T1, T2, T3) inputs = (input1, input2, input3);
        foreach (var hook in pre)
            inputs = hook(this, inputs);
        TOut output = Forward(inputs.Item1, inputs.Item2, inputs.Item3);
        foreach (var hook in post)
            output = hook(this, inputs, output);
        return output;
    }

    /// <summary>Adds a hook that runs before <see cref="Forward"/> and returns the inputs to use (<c>register_forward_pre_hook</c>).</summary>
    public HookHandle RegisterForwardPreHook(Func<Module, (T1, T2, T3), (T1, T2, T3)> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _preHooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _preHooks, hook));
    }

    /// <summary>Adds a hook that runs after <see cref="Forward"/> and returns the output to use (<c>register_forward_hook</c>).</summary>
    public HookHandle RegisterForwardHook(Func<Module, (T1, T2, T3), TOut, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _hooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _hooks, hook));
    }
}

/// <summary>A module with four inputs (<c>forward(a, b, c, d)</c>), such as the CTC loss. See <see cref="Module{TIn, TOut}"/>.</summary>
/// <typeparam name="T1">The first input type.</typeparam>
/// <typeparam name="T2">The second input type.</typeparam>
/// <typeparam name="T3">The third input type.</typeparam>
/// <typeparam name="T4">The fourth input type.</typeparam>
/// <typeparam name="TOut">The output type.</typeparam>
public abstract class Module<T1, T2, T3, T4, TOut> : Module
{
    private Func<Module, (T1, T2, T3, T4), (T1, T2, T3, T4)>[] _preHooks = [];
    private Func<Module, (T1, T2, T3, T4), TOut, TOut>[] _hooks = [];

    /// <summary>The computation (<c>forward</c>). Call modules through <see cref="Call"/> so that hooks run.</summary>
    public abstract TOut Forward(T1 input1, T2 input2, T3 input3, T4 input4);

    /// <summary>Runs the module: pre-hooks, <see cref="Forward"/>, hooks (<c>module(a, b, c, d)</c>).</summary>
    public TOut Call(T1 input1, T2 input2, T3 input3, T4 input4)
    {
        var pre = _preHooks;
        var post = _hooks;
        if (pre.Length == 0 && post.Length == 0)
            return Forward(input1, input2, input3, input4);
        (T1, T2, T3, T4) inputs = (input1, input2, input3, input4);
        foreach (var hook in pre)
            inputs = hook(this, inputs);
        TOut output = Forward(inputs.Item1, inputs.Item2, inputs.Item3, inputs.Item4);
        foreach (var hook in post)
            output = hook(this, inputs, output);
        return output;
    }

    /// <summary>Adds a hook that runs before <see cref="Forward"/> and returns the inputs to use (<c>register_forward_pre_hook</c>).</summary>
    public HookHandle RegisterForwardPreHook(Func<Module, (T1, T2, T3, T4), (T1, T2, T3, T4)> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _preHooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _preHooks, hook));
    }

    /// <summary>Adds a hook that runs after <see cref="Forward"/> and returns the output to use (<c>register_forward_hook</c>).</summary>
    public HookHandle RegisterForwardHook(Func<Module, (T1, T2, T3, T4), TOut, TOut> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        Hooks.Add(ref _hooks, hook);
        return new HookHandle(() => Hooks.Remove(ref _hooks, hook));
    }
}
