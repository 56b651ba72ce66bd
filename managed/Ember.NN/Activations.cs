namespace Ember.NN;

/// <summary>max(0, x) (<c>nn.ReLU</c>); with <c>inplace</c> it overwrites its input.</summary>
public sealed class ReLU(bool inplace = false) : Module<Tensor, Tensor>
{
    /// <summary>Whether the input is overwritten (<c>inplace</c>).</summary>
    public bool Inplace { get; } = inplace;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Inplace ? Functional.Threshold(input, 0, 0, inplace: true) : Functional.Relu(input);

    /// <inheritdoc/>
    public override string ExtraRepr() => Inplace ? "inplace=True" : "";
}

/// <summary>Softmax along <see cref="Dim"/> (<c>nn.Softmax(dim)</c>).</summary>
public sealed class Softmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dim that sums to 1 (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Softmax(input, Dim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}";
}

/// <summary>Log of softmax along <see cref="Dim"/>, computed stably (<c>nn.LogSoftmax(dim)</c>).</summary>
public sealed class LogSoftmax(int dim) : Module<Tensor, Tensor>
{
    /// <summary>The dim of the softmax (<c>dim</c>).</summary>
    public int Dim { get; } = dim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LogSoftmax(input, Dim);

    /// <inheritdoc/>
    public override string ExtraRepr() => $"dim={Dim}";
}
