namespace Ember.NN.Tests;

/// <summary>
/// A whole training step (forward, cross-entropy, backward, SGD) recorded into a CUDA graph: N replays on new
/// batches must train the model as N eager steps do. Ignored with the reason where there is no GPU.
/// </summary>
[Category("cuda")]
public class CudaGraphTrainingTests : CudaFixture
{
    // The seed's MLP.
    private static Sequential Mlp() =>
        new(new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));

    // One step as a training loop writes it; ZeroGrad keeps the gradient tensors, so a recorded step adds into them.
    private static Tensor Step(Sequential model, SGD optimizer, Tensor x, Tensor y)
    {
        optimizer.ZeroGrad(setToNone: false);
        Tensor loss = Functional.CrossEntropy(model.Call(x), y);
        loss.Backward();
        optimizer.Step();
        return loss;
    }

    [Test]
    public void ReplayingARecordedTrainingStepEqualsEagerSteps()
    {
        using var scope = Torch.NewScope();
        Device cuda = Device.Cuda();
        var gen = new Generator(11);
        const int steps = 6;
        Tensor[] xs = Enumerable.Range(0, steps).Select(_ => Torch.Randn([64, 1, 28, 28], generator: gen)).ToArray();
        Tensor[] ys = Enumerable.Range(0, steps).Select(_ => Torch.Randint(0, 10, [64], generator: gen)).ToArray();

        using Sequential eager = Mlp(), graphed = Mlp();
        graphed.LoadStateDict(eager.StateDict());
        eager.To(cuda);
        graphed.To(cuda);
        var eagerSgd = new SGD(eager.Parameters(), lr: 0.05);
        var graphSgd = new SGD(graphed.Parameters(), lr: 0.05);

        var eagerLosses = new float[steps];
        for (int i = 0; i < steps; i++)
        {
            using var step = Torch.NewScope();
            eagerLosses[i] = Step(eager, eagerSgd, xs[i].To(cuda), ys[i].To(cuda)).Item<float>();
        }

        Tensor staticX = Torch.Zeros([64, 1, 28, 28], device: cuda), staticY = Torch.Zeros([64], DType.Int64, cuda);
        staticX.Copy_(xs[0]);
        staticY.Copy_(ys[0]);
        using (Torch.NewScope())  // warm-up: makes the gradients and loads every kernel of the step
            Assert.That(Step(graphed, graphSgd, staticX, staticY).Item<float>(), Is.EqualTo(eagerLosses[0]).Within(1e-6));

        using var graph = new CudaGraph();
        Tensor loss;
        using (Torch.Cuda.Graph(graph))
            loss = Step(graphed, graphSgd, staticX, staticY);
        long allocated = Torch.Cuda.MemoryAllocated();
        for (int i = 1; i < steps; i++)
        {
            staticX.Copy_(xs[i]);
            staticY.Copy_(ys[i]);
            graph.Replay();
            Assert.That(loss.Item<float>(), Is.EqualTo(eagerLosses[i]).Within(1e-5), $"loss of step {i}");
        }
        Assert.That(Torch.Cuda.MemoryAllocated(), Is.EqualTo(allocated), "replays allocate nothing");

        var e = eager.Parameters().ToList();
        var g = graphed.Parameters().ToList();
        for (int k = 0; k < e.Count; k++)
            Assert.That(g[k].Cpu().ToArray<float>(), Is.EqualTo(e[k].Cpu().ToArray<float>()).Within(1e-5), $"parameter {k} after {steps} steps");
    }
}
