using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>Forward and backward of every layer against PyTorch with the same weights (Data/layers.json, losses.json).</summary>
public class LayerTests
{
    private static readonly Dictionary<string, Func<Module<Tensor, Tensor>>> s_layers = new()
    {
        ["linear"] = () => new Linear(5, 3),
        ["linear_nobias_3d"] = () => new Linear(4, 2, bias: false),
        ["conv2d"] = () => new Conv2d(2, 3, 3, padding: 1),
        ["conv2d_stride_dilation"] = () => new Conv2d(2, 4, (3, 2), stride: (2, 1), padding: (1, 0), dilation: (1, 2)),
        ["conv2d_groups_nobias"] = () => new Conv2d(4, 2, 3, groups: 2, bias: false),
        ["maxpool2d"] = () => new MaxPool2d(2),
        ["maxpool2d_stride_pad_ceil"] = () => new MaxPool2d(3, stride: 2, padding: 1, ceilMode: true),
        ["relu"] = () => new ReLU(),
        ["flatten"] = () => new Flatten(),
        ["softmax"] = () => new Softmax(1),
        ["logsoftmax"] = () => new LogSoftmax(1),
        ["mlp"] = () => new Sequential(new Flatten(), new Linear(12, 8), new ReLU(), new Linear(8, 3)),
    };

    public static IEnumerable<string> LayerNames => s_layers.Keys;

    [TestCaseSource(nameof(LayerNames))]
    public void ForwardAndBackwardMatchPyTorch(string name)
    {
        JsonElement c = RefData.Load("layers").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        using Module<Tensor, Tensor> layer = s_layers[name]();
        var weights = c.GetProperty("params").EnumerateObject().ToDictionary(p => p.Name, p => RefData.Tensor(p.Value));
        layer.LoadStateDict(weights); // strict: the key names must be PyTorch's
        Tensor x = RefData.Tensor(c.GetProperty("input")).RequiresGrad_();

        Tensor y = layer.Call(x);
        RefData.AssertClose(y, c.GetProperty("output"), what: name + " output");

        y.Backward(RefData.Tensor(c.GetProperty("grad_out"))); // the gradient of sum(y * grad_out)
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), what: name + " grad input");
        foreach ((string key, Parameter p) in layer.NamedParameters())
            RefData.AssertClose(p.Grad!, c.GetProperty("grads").GetProperty(key), what: $"{name} grad {key}");
        Assert.That(layer.NamedParameters().Select(p => p.Name), Is.EquivalentTo(weights.Keys));
    }

    public static IEnumerable<string> LossNames =>
        RefData.Load("losses").EnumerateArray().Select(e => e.GetProperty("name").GetString()!).ToList();

    [TestCaseSource(nameof(LossNames))]
    public void LossesMatchPyTorch(string name)
    {
        JsonElement c = RefData.Load("losses").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        using var scope = Torch.NewScope();
        Reduction reduction = c.GetProperty("reduction").GetString() switch
        {
            "none" => Reduction.None,
            "sum" => Reduction.Sum,
            _ => Reduction.Mean,
        };
        Tensor? weight = c.TryGetProperty("weight", out JsonElement w) ? RefData.Tensor(w) : null;
        double smoothing = c.TryGetProperty("label_smoothing", out JsonElement ls) ? ls.GetDouble() : 0;
        bool classification = !name.StartsWith("mse", StringComparison.Ordinal);
        Tensor target = RefData.Tensor(c.GetProperty("target"), classification ? DType.Int64 : DType.Float32);
        using Loss loss = name switch
        {
            _ when name.StartsWith("ce", StringComparison.Ordinal) => new CrossEntropyLoss(weight, reduction: reduction, labelSmoothing: smoothing),
            _ when name.StartsWith("nll", StringComparison.Ordinal) => new NLLLoss(weight, reduction: reduction),
            _ => new MSELoss(reduction),
        };
        Tensor x = RefData.Tensor(c.GetProperty("input")).RequiresGrad_();

        Tensor y = loss.Call(x, target);
        RefData.AssertClose(y, c.GetProperty("output"), what: name + " output");
        y.Backward(RefData.Tensor(c.GetProperty("grad_out")));
        RefData.AssertClose(x.Grad!, c.GetProperty("grad_input"), what: name + " grad input");
    }

    [Test]
    public void DropoutDropsWhileTrainingAndPassesThroughInEval()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(7);
        var dropout = new Dropout(0.25);
        Tensor x = Torch.Ones(200, 50);
        float[] y = dropout.Call(x).ToArray<float>();
        int dropped = y.Count(v => v == 0);
        Assert.That(y.Where(v => v != 0), Is.All.EqualTo(1 / 0.75f).Within(1e-6));
        Assert.That(dropped / (double)y.Length, Is.EqualTo(0.25).Within(0.02)); // 10000 draws: sd 0.0043
        dropout.Eval();
        Assert.That(dropout.Call(x).ToArray<float>(), Is.All.EqualTo(1f));
    }

    [Test]
    public void Dropout2dDropsWholeChannels()
    {
        using var scope = Torch.NewScope();
        Torch.ManualSeed(8);
        var dropout = new Dropout2d(0.5);
        Tensor x = Torch.Ones(8, 16, 3, 3);
        float[] y = dropout.Call(x).ToArray<float>();
        int droppedChannels = 0;
        for (int ch = 0; ch < 8 * 16; ch++)
        {
            float[] plane = y.AsSpan(ch * 9, 9).ToArray();
            Assert.That(plane.Distinct().Count(), Is.EqualTo(1), "a channel is dropped or kept as a whole");
            Assert.That(plane[0], Is.EqualTo(0f).Or.EqualTo(2f).Within(1e-6));
            droppedChannels += plane[0] == 0 ? 1 : 0;
        }
        Assert.That(droppedChannels, Is.InRange(40, 88)); // 128 channels at p = 0.5: mean 64, sd 5.7
        dropout.Eval();
        Assert.That(dropout.Call(x).ToArray<float>(), Is.All.EqualTo(1f));
    }

    [Test]
    public void IdentityReturnsItsInput()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn(2, 3);
        Assert.That(new Identity().Call(x), Is.SameAs(x));
    }

    [Test]
    public void ErrorsNameTheLayerAndTheShapes()
    {
        using var scope = Torch.NewScope();
        Assert.That(() => new Conv2d(3, 4, 3, groups: 2), Throws.ArgumentException.With.Message.Contains("divisible by groups"));
        Assert.That(() => new Dropout(1.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new Flatten(2, 1).Call(Torch.Zeros(2, 3, 4)), Throws.ArgumentException.With.Message.Contains("start_dim"));
        var linear = new Linear(3, 2);
        Assert.That(() => linear.Call(Torch.Zeros(4, 5)), Throws.InstanceOf<ArgumentException>());
    }
}
