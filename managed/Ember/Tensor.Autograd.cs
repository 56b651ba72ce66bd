using Ember.Interop;

namespace Ember;

// Autograd on the tensor (torch.Tensor's requires_grad, grad, grad_fn, backward, hooks, detach).
// The graph itself lives in Autograd/; see docs/autograd.md for the model.
public unsafe partial class Tensor
{
    /// <summary>
    /// True when the tensor requires grad: a leaf that asked for it, or the result of a recorded op.
    /// Every op reads it first, so when no input requires grad recording costs nothing more.
    /// Invariant: when true, <see cref="_autograd"/> is set.
    /// </summary>
    internal bool _requiresGrad;

    /// <summary>Autograd state, shared with the aliases autograd makes of this tensor; null until needed.</summary>
    internal AutogradMeta? _autograd;

    /// <summary>
    /// The tensor this one is a view of (set by view ops); itself when it shares its elements without
    /// being a view autograd tracks (detached tensors, the engine's extra references); null when Ember
    /// knows the storage belongs to this tensor alone.
    /// </summary>
    internal Tensor? _viewBase;

    /// <summary>Set when the tensor was created inside <see cref="Torch.InferenceMode"/> (or is a view of such a tensor).</summary>
    internal bool _inference;

    /// <summary>Wraps a native reference without registering with any scope (aliases held by the graph).</summary>
    private Tensor(nint unscopedHandle)
    {
        _native = unscopedHandle;
        _finalizer = TensorFinalizer.Rent(unscopedHandle);
        MemoryPressure.OnTensorCreated();
    }

    /// <summary>
    /// True for an inference tensor (<c>Tensor.is_inference()</c>): one created inside
    /// <see cref="Torch.InferenceMode"/>, or a view of one. Outside inference mode it cannot be saved for
    /// backward, changed in place, or made to require grad; <see cref="Clone"/> gives a normal tensor.
    /// </summary>
    public bool IsInference => _inference;

    /// <summary>
    /// A new object over a new native reference to the same tensor, with the same autograd identity.
    /// <paramref name="scoped"/> false keeps it out of every scope (for references the graph owns).
    /// </summary>
    internal Tensor NewRef(bool scoped)
    {
        ember_tensor r;
        Check(NativeMethods.ember_tensor_retain(Handle, &r), this);
        Tensor t = scoped ? new Tensor(r) : new Tensor(r.Handle);
        t._shape = _shape;
        t._dtype = _dtype;
        t._autograd = _autograd;
        t._requiresGrad = _requiresGrad;
        t._inference = _inference;
        return t;
    }

    /// <summary>
    /// A new reference that autograd knows shares its elements (both are marked shared, with no base to
    /// track: they are the same tensor, not a view that in-place ops would have to reach through).
    /// </summary>
    internal Tensor SharedRef()
    {
        Tensor t = NewRef(scoped: true);
        _viewBase ??= this;
        t._viewBase = t;
        return t;
    }

    /// <summary>
    /// Fills the cached shape and dtype when the caller knows them (the result of an op whose layout follows
    /// from its inputs'), which spares the native metadata reads autograd would otherwise make. Returns this tensor.
    /// </summary>
    internal Tensor KnownLayout(long[] shape, DType dtype)
    {
        _shape ??= shape;
        if (_dtype < 0)
            _dtype = (int)dtype;
        return this;
    }

    /// <summary>Fills the cached device from <paramref name="input"/>'s, when that is known, for a result on the input's device; returns this tensor.</summary>
    internal Tensor KnownDevice(Tensor input)
    {
        if (_device == 0)
            _device = input._device;
        return this;
    }

    /// <summary>Fills the cached shape when the caller knows it; see <see cref="KnownLayout"/>.</summary>
    internal Tensor KnownShape(long[] shape)
    {
        _shape ??= shape;
        return this;
    }

    /// <summary>True when both objects hold a reference to the same native tensor (an op returned its input).</summary>
    internal static bool SameTensor(Tensor a, Tensor b) => a._native == b._native;

    internal AutogradMeta EnsureMeta()
    {
        AutogradMeta? meta = _autograd;
        if (meta is not null)
            return meta;
        var created = new AutogradMeta();
        return Interlocked.CompareExchange(ref _autograd, created, null) ?? created;
    }

    /// <summary>Whether autograd records operations on this tensor (<c>Tensor.requires_grad</c>); setting it is <see cref="RequiresGrad_"/>.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad;
        set => RequiresGrad_(value);
    }

    /// <summary>Sets whether autograd records operations on this leaf (<c>Tensor.requires_grad_</c>); returns this tensor.</summary>
    /// <exception cref="AutogradException">Turning it off on a tensor computed by recorded ops.</exception>
    /// <exception cref="DTypeException">Turning it on for a tensor that is not floating point.</exception>
    public Tensor RequiresGrad_(bool requiresGrad = true)
    {
        if (_autograd?.GradFn is not null)
        {
            if (!requiresGrad)
                throw new AutogradException(
                    "RequiresGrad can only be changed on leaf tensors; this tensor was computed by recorded ops " +
                    $"(GradFn {_autograd.GradFn.Name}). Use Detach() to get a tensor that does not require grad.");
            return this;
        }
        if (requiresGrad && _inference && !GradMode.IsInference)
            throw new AutogradException("Setting requires_grad=True on inference tensor outside InferenceMode is not allowed (RequiresGrad_); Clone() it to get a normal tensor.");
        if (requiresGrad && !IsFloatingPoint)
            throw new DTypeException($"only tensors of floating point dtype can require gradients, but this tensor has dtype {DType.ToTorchString()}");
        if (requiresGrad)
        {
            EnsureMeta();
            // Read once here, so that results of recorded ops inherit it (KnownDevice) and y.Backward() need not ask.
            _ = Device;
        }
        _requiresGrad = requiresGrad;
        return this;
    }

    /// <summary>
    /// The gradient accumulated by <see cref="Backward"/> (<c>Tensor.grad</c>); null until a backward reaches
    /// this leaf. The tensor owns it (no scope disposes it). Assigning a tensor hands it to this tensor
    /// (it leaves its scope); assigning null forgets the gradient without disposing it.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The assigned gradient's shape differs from the tensor's.</exception>
    /// <exception cref="DTypeException">The assigned gradient's dtype differs from the tensor's.</exception>
    public Tensor? Grad
    {
        get => _autograd?.Grad;
        set
        {
            if (value is null)
            {
                if (_autograd is { } m)
                    m.Grad = null;
                return;
            }
            if (!value.ShapeArray.AsSpan().SequenceEqual(ShapeArray))
                throw new ShapeMismatchException($"Tensor.Grad: assigned grad has shape {value.Shape}, but the tensor has shape {Shape}");
            if (value.DType != DType)
                throw new DTypeException($"Tensor.Grad: assigned grad has dtype {value.DType.ToTorchString()}, but the tensor has dtype {DType.ToTorchString()}");
            EnsureMeta().Grad = value.DetachFromScope();
        }
    }

    /// <summary>The node that computed this tensor (<c>Tensor.grad_fn</c>); null for leaves and tensors that do not require grad.</summary>
    public Autograd.Node? GradFn =>
        // EdgeOf brings a view's node up to date after in-place changes of its base.
        _autograd?.GradFn is null ? null : Autograd.EdgeOf(this).Node;

    /// <summary>True for tensors that were not computed by recorded ops (<c>Tensor.is_leaf</c>): every tensor that does not require grad, and leaves that do.</summary>
    public bool IsLeaf => _autograd?.GradFn is null;

    /// <summary>True after <see cref="RetainGrad"/> on a non-leaf (<c>Tensor.retains_grad</c>).</summary>
    public bool RetainsGrad => _autograd?.RetainsGrad ?? false;

    /// <summary>Makes backward store this non-leaf's gradient in <see cref="Grad"/> too (<c>Tensor.retain_grad</c>); nothing to do for a leaf.</summary>
    /// <exception cref="AutogradException">The tensor does not require grad.</exception>
    public void RetainGrad()
    {
        if (!_requiresGrad)
            throw new AutogradException("can't RetainGrad on a tensor that has RequiresGrad false");
        AutogradMeta meta = _autograd!;
        if (meta.GradFn is null || meta.RetainsGrad)
            return;
        meta.RetainsGrad = true;
        Autograd.Edge edge = Autograd.EdgeOf(this);
        edge.Node!.SetRetainGrad(edge.InputNr, meta);
    }

    /// <summary>
    /// Computes the gradient of this tensor with respect to the graph's leaves and adds it into their
    /// <see cref="Grad"/> (<c>Tensor.backward</c>). A tensor of one element needs no
    /// <paramref name="gradient"/>; others need the gradient of some scalar with respect to this tensor.
    /// Without <paramref name="retainGraph"/> (which defaults to <paramref name="createGraph"/>) every
    /// saved tensor of the graph is released when backward ends; <paramref name="createGraph"/> records
    /// the backward itself so that gradients can be differentiated again.
    /// </summary>
    /// <exception cref="AutogradException">The tensor does not require grad, or the graph was already freed.</exception>
    public void Backward(Tensor? gradient = null, bool? retainGraph = null, bool createGraph = false)
    {
        if (gradient is null && !createGraph && Autograd.TryBackwardOfFullReduction(this, retainGraph))
            return;
        Autograd.Backward([this], gradient is null ? null : [gradient], retainGraph, createGraph);
    }

    /// <summary>A new tensor sharing the elements (and version counter) but not the graph (<c>Tensor.detach</c>); it does not require grad.</summary>
    public Tensor Detach()
    {
        Tensor t = NewRef(scoped: true);
        t._autograd = null;
        t._requiresGrad = false;
        // Shared elements, but not a view autograd reaches through: in-place changes only bump the version.
        t._viewBase = t;
        return t;
    }

    /// <summary>Cuts this tensor from its graph in place (<c>Tensor.detach_</c>): it becomes a leaf that does not require grad. Returns this tensor.</summary>
    /// <exception cref="AutogradException">The tensor is a view of a tensor that requires grad.</exception>
    public Tensor Detach_()
    {
        if (_autograd?.View is not null)
            throw new AutogradException("Can't Detach_() a view of a tensor that requires grad; use Detach() instead, which returns a new tensor");
        // The meta may be shared with the graph's aliases of this tensor: replace it rather than change it.
        _autograd = _autograd?.DetachedCopy();
        _requiresGrad = false;
        return this;
    }

    /// <summary>
    /// Registers a hook called with this tensor's gradient each time one is computed (<c>Tensor.register_hook</c>);
    /// a non-null result replaces the gradient. The gradient passed in is the hook's to keep (dispose it or let its scope do).
    /// </summary>
    /// <exception cref="AutogradException">The tensor does not require grad.</exception>
    public RemovableHandle RegisterHook(Func<Tensor, Tensor?> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!_requiresGrad)
            throw new AutogradException("cannot register a hook on a tensor that doesn't require gradient");
        AutogradMeta meta = _autograd!;
        if (meta.GradFn is null)
        {
            HookList<Func<Tensor, Tensor?>> list;
            lock (meta)
                list = meta.LeafHooks ??= new();
            return list.Add(hook);
        }
        Autograd.Edge edge = Autograd.EdgeOf(this);
        return edge.Node!.AddTensorPreHook(edge.InputNr, hook);
    }

    /// <summary>Registers a hook that observes this tensor's gradient without replacing it (<c>Tensor.register_hook</c>).</summary>
    public RemovableHandle RegisterHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return RegisterHook(g =>
        {
            hook(g);
            return null;
        });
    }

    /// <summary>
    /// Registers a hook called with this leaf after its gradient was accumulated into <see cref="Grad"/>
    /// (<c>Tensor.register_post_accumulate_grad_hook</c>), e.g. to start reducing gradients early.
    /// </summary>
    /// <exception cref="AutogradException">The tensor is not a leaf that requires grad.</exception>
    public RemovableHandle RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (!_requiresGrad)
            throw new AutogradException("cannot register a hook on a tensor that doesn't require gradient");
        AutogradMeta meta = _autograd!;
        if (meta.GradFn is not null)
            throw new AutogradException("post accumulate grad hooks cannot be registered on non-leaf tensors");
        HookList<Action> list;
        lock (meta)
            list = meta.PostAccumulateHooks ??= new();
        return list.Add(() => hook(this));
    }
}
