namespace Ember;

/// <summary>
/// Disposes every tensor created inside it, unless the tensor was moved out.
/// <code>
/// Tensor Step(Tensor x)
/// {
///     using var scope = Torch.NewScope();
///     var h = (x * 2).Exp();          // disposed when the scope ends
///     return scope.MoveOut(h + 1);    // survives: handed to the enclosing scope (or to the caller)
/// }
/// </code>
/// Scopes nest: a tensor moved out of a scope belongs to the enclosing scope, or to the user when there
/// is none. The current scope flows across <c>await</c> like any <see cref="AsyncLocal{T}"/> value and is
/// shared by work started inside it; a scope may be used from several threads at once.
/// </summary>
public sealed class TensorScope : IDisposable
{
    private static readonly AsyncLocal<TensorScope?> s_current = new();

    // Undisposed scopes in the process: while none exists, creating a tensor skips the AsyncLocal read.
    private static int s_open;

    private readonly Lock _lock = new();
    private Tensor?[] _tensors = new Tensor?[8];
    private int _count;
    private int _live;
    private volatile bool _disposed;

    internal TensorScope()
    {
        Parent = Current;
        s_current.Value = this;
        Interlocked.Increment(ref s_open);
    }

    /// <summary>The innermost undisposed scope of the current execution context, or null.</summary>
    public static TensorScope? Current
    {
        get
        {
            TensorScope? scope = s_current.Value;
            while (scope is { _disposed: true })
                scope = scope.Parent;
            return scope;
        }
    }

    /// <summary>The scope that was current when this one was created.</summary>
    public TensorScope? Parent { get; }

    /// <summary>Number of undisposed tensors the scope owns.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
                return _live;
        }
    }

    /// <summary>True after <see cref="Dispose"/>.</summary>
    public bool IsDisposed => _disposed;

    /// <summary>Hands the tensor to the enclosing scope (to the caller when there is none) and returns it.</summary>
    /// <exception cref="InvalidOperationException">The tensor does not belong to this scope.</exception>
    public Tensor MoveOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Scope != this)
            throw new InvalidOperationException("the tensor does not belong to this scope; only a tensor the scope owns can be moved out of it");
        return tensor.MoveToOuterScope();
    }

    /// <summary>Takes the tensor out of this scope; the caller owns it from now on (dispose it, or leave it to the GC).</summary>
    /// <exception cref="InvalidOperationException">The tensor does not belong to this scope.</exception>
    public Tensor Detach(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Scope != this)
            throw new InvalidOperationException("the tensor does not belong to this scope; only a tensor the scope owns can be detached from it");
        return tensor.DetachFromScope();
    }

    /// <summary>Makes this scope own the tensor (taking it from any other scope) and returns it.</summary>
    public Tensor Attach(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        tensor.Scope?.Remove(tensor);
        Add(tensor);
        return tensor;
    }

    /// <summary>Disposes every tensor the scope still owns (newest first) and makes the parent current again.</summary>
    public void Dispose()
    {
        Tensor?[] tensors;
        int count;
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            tensors = _tensors;
            count = _count;
            _tensors = [];
            _count = _live = 0;
        }
        if (s_current.Value == this)
            s_current.Value = Current;
        Interlocked.Decrement(ref s_open);
        for (int i = count - 1; i >= 0; i--)
        {
            Tensor? tensor = tensors[i];
            if (tensor is null)
                continue;
            tensor.Scope = null;
            tensor.Dispose();
        }
    }

    /// <summary>Registers a new tensor with the current scope, if any.</summary>
    internal static void OnCreated(Tensor tensor)
    {
        if (Volatile.Read(ref s_open) != 0)
            Current?.Add(tensor);
    }

    internal void Add(Tensor tensor)
    {
        lock (_lock)
        {
            if (_disposed)
                return; // the scope ended on another thread: the tensor stays with its creator
            if (_count == _tensors.Length)
                Grow();
            tensor.Scope = this;
            tensor.ScopeSlot = _count;
            _tensors[_count++] = tensor;
            _live++;
        }
    }

    internal void Remove(Tensor tensor)
    {
        lock (_lock)
        {
            if (tensor.Scope != this)
                return;
            _tensors[tensor.ScopeSlot] = null;
            tensor.Scope = null;
            _live--;
        }
    }

    /// <summary>Compacts when most slots were freed by early disposal; doubles otherwise.</summary>
    private void Grow()
    {
        if (_live <= _count / 2)
        {
            int j = 0;
            for (int i = 0; i < _count; i++)
            {
                Tensor? t = _tensors[i];
                if (t is null)
                    continue;
                t.ScopeSlot = j;
                _tensors[j++] = t;
            }
            Array.Clear(_tensors, j, _count - j);
            _count = j;
            if (_count < _tensors.Length)
                return;
        }
        Array.Resize(ref _tensors, _tensors.Length * 2);
    }
}
