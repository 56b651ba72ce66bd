namespace Ember;

/// <summary>
/// A tensor a node keeps for its backward formula. It holds its own native reference (so disposing the
/// forward tensor or its scope never breaks backward) and the version the tensor had when it was saved
/// (so an in-place change before backward is an error, not a wrong gradient). The alias shares the
/// tensor's autograd meta: for higher-order gradients it is the same variable as the original.
/// </summary>
/// <remarks>
/// The state lives in a <see cref="SavedSlot"/>; a node that saves tensors on every call of a hot op
/// (<see cref="MulBackward"/>) embeds slots in itself instead of allocating these objects.
/// </remarks>
internal sealed class SavedTensor
{
    private SavedSlot _slot;

    private SavedTensor(SavedSlot slot) => _slot = slot;

    /// <summary>Saves <paramref name="tensor"/>; see <see cref="SavedSlot.Of"/>.</summary>
    public static SavedTensor Of(Tensor tensor) => new(SavedSlot.Of(tensor));

    /// <summary>Takes ownership of <paramref name="owned"/>, a tensor nobody else holds (e.g. a copy made before an in-place op).</summary>
    public static SavedTensor Own(Tensor owned) => new(SavedSlot.Own(owned));

    /// <summary>The saved tensor, checked against the version it was saved at; see <see cref="SavedSlot.Unpack"/>.</summary>
    public Tensor Unpack(Autograd.Node node) => _slot.Unpack(node);

    /// <summary>Drops the graph's native reference now.</summary>
    public void Release() => _slot.Release();
}

/// <summary>
/// The state of a saved tensor (see <see cref="SavedTensor"/>), as a struct that a node can hold in a field. Use it
/// only through a mutable field (never a copy): <see cref="Release"/> clears it in place. The default value holds
/// nothing and unpacks as a freed one.
/// </summary>
internal struct SavedSlot
{
    private Tensor? _value;
    private long _version;
    private bool _owned;

    private SavedSlot(Tensor value, long version, bool owned)
    {
        _value = value;
        _version = version;
        _owned = owned;
    }

    /// <summary>
    /// Saves <paramref name="tensor"/>; the version is read now, after the op that saves it ran. The graph
    /// takes a new native reference, except to a leaf that requires grad (a parameter) created as such by
    /// its owner, who keeps it for longer than any graph: that one is referred to as it is. (Extra
    /// references to a leaf, such as those the engine makes, are marked shared and get their own reference.)
    /// </summary>
    public static SavedSlot Of(Tensor tensor)
    {
        if (tensor._inference)
            Inference.CheckSave(tensor);
        return tensor._requiresGrad && tensor._viewBase is null && tensor._autograd is { GradFn: null, View: null }
            ? new(tensor, tensor.VersionCounter, owned: false)
            : new(tensor.NewRef(scoped: false), tensor.VersionCounter, owned: true);
    }

    /// <summary>Takes ownership of <paramref name="owned"/>, a tensor nobody else holds (e.g. a copy made before an in-place op).</summary>
    public static SavedSlot Own(Tensor owned) => new(owned.DetachFromScope(), owned.VersionCounter, owned: true);

    /// <summary>The saved tensor, checked against the version it was saved at.</summary>
    /// <exception cref="AutogradException">The graph was freed, or the tensor was modified in place since it was saved.</exception>
    public Tensor Unpack(Autograd.Node node)
    {
        Tensor? value = Volatile.Read(ref _value);
        if (value is { IsDisposed: true } && !_owned)
            throw new AutogradException(
                $"{node.Name} needs a leaf tensor that requires grad, but it was disposed before backward; keep parameters alive until backward has run");
        if (value is null || value.IsDisposed)
            throw new AutogradException(
                $"Trying to backward through the graph a second time (or to use saved tensors after they were freed): {node.Name} needs a tensor that " +
                "was freed when backward or Autograd.Grad ran without retainGraph. Saved tensors are released as soon as backward ends; pass retainGraph: true " +
                "to the first backward if you need to run backward through the graph again.");
        long now = value.VersionCounter;
        if (now != _version)
        {
            AutogradMeta? meta = value._autograd;
            string producer = meta?.GradFn is { } fn ? $", which is output {meta.OutputNr} of {fn.Name}," : "";
            throw new AutogradException(
                $"one of the variables needed for gradient computation has been modified by an inplace operation: [{value.DType.ToTorchString()} {value.Shape}]{producer} " +
                $"is at version {now}; expected version {_version} instead (needed by {node.Name}). Hint: the in-place op that changed it ran after the " +
                "forward op that saved it; use an out-of-place op, or Clone() the tensor before changing it.");
        }
        return value;
    }

    /// <summary>Drops the graph's native reference now.</summary>
    public void Release()
    {
        Tensor? value = Interlocked.Exchange(ref _value, null);
        if (_owned)
            value?.Dispose();
    }
}
