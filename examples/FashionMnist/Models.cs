using Ember;
using Ember.NN;
using F = Ember.Functional;

namespace FashionMnist;

/// <summary>The two models of the seed, line for line.</summary>
public static class Models
{
    /// <summary>Creates "mlp" or "cnn".</summary>
    public static Module<Tensor, Tensor> Create(string name) => name switch
    {
        "mlp" => new Mlp(),
        "cnn" => new Cnn(),
        _ => throw new ArgumentException($"unknown model '{name}' (expected mlp or cnn)"),
    };
}

/// <summary>PyTorch's quickstart model: Flatten, Linear 784-512, ReLU, Linear 512-512, ReLU, Linear 512-10.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    private readonly Flatten flatten = new();
    private readonly Sequential linear_relu_stack = new(
        new Linear(28 * 28, 512), new ReLU(),
        new Linear(512, 512), new ReLU(),
        new Linear(512, 10));

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x) => linear_relu_stack.Call(flatten.Call(x));
}

/// <summary>The seed's MNIST CNN: two 5x5 convolutions with max-pooling, dropout, and two linear layers.</summary>
public sealed class Cnn : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1 = new(1, 10, kernelSize: 5);
    private readonly Conv2d conv2 = new(10, 20, kernelSize: 5);
    private readonly Dropout2d conv2_drop = new();
    private readonly Linear fc1 = new(320, 50);
    private readonly Linear fc2 = new(50, 10);

    /// <inheritdoc/>
    public override Tensor Forward(Tensor x)
    {
        using var scope = Torch.NewScope();
        x = F.Relu(F.MaxPool2d(conv1.Call(x), 2));
        x = F.Relu(F.MaxPool2d(conv2_drop.Call(conv2.Call(x)), 2));
        x = x.View(-1, 320);
        x = F.Relu(fc1.Call(x));
        x = F.Dropout(x, 0.5, Training);
        return scope.MoveOut(fc2.Call(x));
    }
}
