using Ember.Interop;

namespace Ember.NN;

/// <summary>
/// A tensor that is a module's parameter (<c>torch.nn.Parameter</c>): a leaf that requires grad by default
/// and is listed by <see cref="Module.Parameters"/> when a module holds it in a field or registers it.
/// <c>new Parameter(tensor)</c> shares the tensor's storage (no copy) and is usable anywhere a
/// <see cref="Tensor"/> is. A parameter belongs to the module that holds it: no <see cref="TensorScope"/>
/// disposes it, disposing the module does.
/// </summary>
public sealed unsafe class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/>'s elements (shared, not copied) as a parameter.</summary>
    /// <param name="data">The values; the caller keeps its own reference to it and may dispose it.</param>
    /// <param name="requiresGrad">Whether autograd computes a gradient for it (<c>requires_grad</c>).</param>
    public Parameter(Tensor data, bool requiresGrad = true) : base(Retain(data))
    {
        DetachFromScope();
        RequiresGrad = requiresGrad;
    }

    // A detached alias: the parameter is a fresh leaf even when data is the output of a graph.
    private static ember_tensor Retain(Tensor data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ember_tensor r;
        ember_status status = NativeMethods.ember_tensor_retain(data.Handle, &r);
        GC.KeepAlive(data);
        Errors.Check(status);
        return r;
    }

    /// <summary>Prints as PyTorch does: <c>Parameter containing:</c> then the tensor.</summary>
    public override string ToString() => "Parameter containing:" + Environment.NewLine + base.ToString();
}
