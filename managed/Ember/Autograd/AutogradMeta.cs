namespace Ember;

/// <summary>
/// Autograd state of a tensor. It is shared by the user's tensor object and the aliases autograd makes
/// of it (saved tensors, view bases), so that all of them are the same variable for the graph.
/// </summary>
internal sealed class AutogradMeta
{
    // Monitor-locked on itself (it is never handed out): hook lists, view refresh, history changes.
    // Accumulation into Grad takes the lighter EnterGrad/ExitGrad instead.

    /// <summary>The node that produced the tensor; null for a leaf.</summary>
    public Autograd.Node? GradFn;

    /// <summary>Which output of <see cref="GradFn"/> the tensor is.</summary>
    public int OutputNr;

    /// <summary>The accumulated gradient (<c>Tensor.grad</c>); owned by the tensor, in no scope.</summary>
    public Tensor? Grad;

    // 1 while a thread adds into Grad (see EnterGrad); a byte, so that the object stays at 72 bytes.
    private byte _gradLock;

    /// <summary>
    /// Takes the lock that serialises accumulation into <see cref="Grad"/> (release with <see cref="ExitGrad"/> in a
    /// finally). A compare-exchange flag, not a Monitor: entering a Monitor reads the thread's id through a
    /// thread-static, which makes an enter and exit cost about 50 ns on Linux against about 8 here, and a backward
    /// takes it once per leaf gradient. It is not reentrant: the code under it only runs tensor ops, which never take it.
    /// </summary>
    public void EnterGrad()
    {
        if (Interlocked.CompareExchange(ref _gradLock, (byte)1, (byte)0) != 0)
            EnterGradContended();
    }

    private void EnterGradContended()
    {
        var spin = new SpinWait();
        while (Interlocked.CompareExchange(ref _gradLock, (byte)1, (byte)0) != 0)
            spin.SpinOnce();
    }

    /// <summary>Releases the lock taken by <see cref="EnterGrad"/>.</summary>
    public void ExitGrad() => Volatile.Write(ref _gradLock, (byte)0);

    /// <summary>True after <see cref="Tensor.RetainGrad"/> on a non-leaf.</summary>
    public bool RetainsGrad;

    /// <summary>Set when the tensor is a view of a tensor that requires grad.</summary>
    public ViewInfo? View;

    /// <summary>Hooks of a leaf, run on its gradient before it is accumulated.</summary>
    public HookList<Func<Tensor, Tensor?>>? LeafHooks;

    /// <summary>Hooks of a leaf, run after its gradient was accumulated.</summary>
    public HookList<Action>? PostAccumulateHooks;

    private Autograd.GradAccumulator? _accumulator;

    /// <summary>The node that accumulates the gradient of this leaf into <see cref="Grad"/>; one per leaf.</summary>
    public Autograd.GradAccumulator Accumulator(Tensor leaf)
    {
        Autograd.GradAccumulator? acc = Volatile.Read(ref _accumulator);
        if (acc is not null)
            return acc;
        var created = new Autograd.GradAccumulator(this, leaf.ShapeArray, leaf.DType);
        return Interlocked.CompareExchange(ref _accumulator, created, null) ?? created;
    }

    /// <summary>The accumulator when one was made (a leaf that was used by a recorded op).</summary>
    public Autograd.GradAccumulator? ExistingAccumulator => Volatile.Read(ref _accumulator);

    /// <summary>A fresh meta holding only what survives <see cref="Tensor.Detach_"/>: the gradient.</summary>
    public AutogradMeta? DetachedCopy() => Grad is null ? null : new AutogradMeta { Grad = Grad };
}

/// <summary>
/// What autograd knows about a view of a tensor that requires grad. It holds no reference to the base's
/// elements (a view must not keep its base's storage alive for the graph): only the base's autograd
/// state and shape, how to take the same view of a gradient shaped like the base, and how to rebuild
/// the view's chain of backward nodes on top of the base's current history.
/// </summary>
internal sealed class ViewInfo(AutogradMeta baseMeta, long[] baseShape, Func<Tensor, Tensor> replay, Func<Autograd.Edge, Autograd.Edge> rebuild, long version)
{
    /// <summary>The autograd state of the root base (a tensor that is not itself a view).</summary>
    public AutogradMeta BaseMeta { get; } = baseMeta;

    public long[] BaseShape { get; } = baseShape;

    /// <summary>Takes this view of a tensor shaped like the base (used on gradients).</summary>
    public Func<Tensor, Tensor> Replay { get; } = replay;

    /// <summary>Makes the view's backward nodes again, on top of the given edge of the base; returns the view's edge.</summary>
    public Func<Autograd.Edge, Autograd.Edge> Rebuild { get; } = rebuild;

    /// <summary>The version counter's value when the view's GradFn was last set.</summary>
    public long Version { get; set; } = version;

    /// <summary>The edge the base's gradient enters the graph through now.</summary>
    public Autograd.Edge BaseEdge() => BaseMeta.GradFn is { } fn
        ? new Autograd.Edge(fn, BaseMeta.OutputNr)
        : new Autograd.Edge(BaseMeta.ExistingAccumulator ?? throw new AutogradException("internal: the base of a view has no history"), 0);

    /// <summary>True when the base is a leaf that requires grad.</summary>
    public bool BaseIsLeaf => BaseMeta.GradFn is null;
}

/// <summary>A copy-on-write list of hooks: running them takes a snapshot without locking.</summary>
internal sealed class HookList<T> where T : class
{
    private readonly Lock _lock = new();
    private T[] _items = [];

    public T[] Snapshot => Volatile.Read(ref _items);

    public RemovableHandle Add(T hook)
    {
        lock (_lock)
            _items = [.. _items, hook];
        return new RemovableHandle(() => Remove(hook));
    }

    private void Remove(T hook)
    {
        lock (_lock)
        {
            int i = Array.FindIndex(_items, h => ReferenceEquals(h, hook));
            if (i >= 0)
                _items = [.. _items.AsSpan(0, i), .. _items.AsSpan(i + 1)];
        }
    }
}

/// <summary>Removes a hook when disposed (<c>torch.utils.hooks.RemovableHandle</c>).</summary>
public sealed class RemovableHandle : IDisposable
{
    private Action? _remove;

    internal RemovableHandle(Action remove) => _remove = remove;

    /// <summary>Removes the hook; doing it twice does nothing (<c>RemovableHandle.remove()</c>).</summary>
    public void Remove() => Interlocked.Exchange(ref _remove, null)?.Invoke();

    /// <summary>Same as <see cref="Remove"/>.</summary>
    public void Dispose() => Remove();
}

/// <summary>An autograd error: backward through a freed graph, a stale saved tensor, an in-place op autograd cannot allow (PyTorch's <c>RuntimeError</c>).</summary>
public class AutogradException : InvalidOperationException
{
    /// <summary>Creates the exception with a message.</summary>
    public AutogradException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public AutogradException(string message, Exception? innerException) : base(message, innerException) { }
}
