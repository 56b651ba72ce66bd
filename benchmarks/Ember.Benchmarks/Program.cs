using Ember;
using Ember.Benchmarks;
using Ember.Data;
using Ember.NN;
using Ember.Optim;

// Managed call-to-result benchmarks: what a C# caller pays, P/Invoke and handle included.
int threads = 2;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--threads") threads = int.Parse(args[++i]);
    else if (args[i] == "--filter") Harness.Filter = args[++i];
}
Torch.SetNumThreads(threads);

// 1-element add, call to result (the result is disposed each time, as a scope would).
using (var a = Torch.Ones(1))
using (var b = Torch.Ones(1))
{
    Harness.Run("add_1elem", "us", 200_000, () => { using var c = a + b; });
}

// 16M-element float32 add: 3 x 64 MiB moved per call.
using (var a = Torch.Rand(16L << 20))
using (var b = Torch.Rand(16L << 20))
{
    double bytes = 3.0 * 4 * (16L << 20);
    Harness.Run("add_16M_f32", "ms", 20, () => { using var c = a + b; }, extra: new() { ["bytes"] = bytes });
}

// sgemm 1024^3 through the managed API.
using (var a = Torch.Randn(1024, 1024))
using (var b = Torch.Randn(1024, 1024))
{
    Harness.Run("matmul_1024_f32", "ms", 10, () => { using var c = a.MatMul(b); }, extra: new() { ["flop"] = 2.0 * 1024 * 1024 * 1024 });
}

// Autograd's fixed cost: forward and backward of y = (a * w + b).Sum() on 1-element tensors that require grad.
using (var a = Torch.Ones(1).RequiresGrad_())
using (var w = Torch.Ones(1).RequiresGrad_())
using (var b = Torch.Ones(1).RequiresGrad_())
{
    Harness.Run("autograd_tiny_fwd_bwd", "us", 100_000, () =>
    {
        using var p = a * w;
        using var s = p + b;
        using var y = s.Sum();
        y.Backward();
    });
}

// The seed MLP's training step (Flatten, 784-512-512-10 with ReLU, cross-entropy, SGD lr 1e-3, batch 64) on
// batches already in memory, and 100 such steps fed by a shuffling DataLoader with one worker: the loader
// must keep the step busy (issue 6: within 5 % of the steps alone).
{
    Torch.ManualSeed(0);
    const int batches = 100;
    using var images = Torch.Rand([batches * 64L, 1, 28, 28]);
    using var scaled = Torch.Rand([batches * 64L]) * 10;
    using var labels = scaled.To(DType.Int64);
    using var model = new Sequential(new Flatten(), new Linear(784, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 10));
    using var lossFn = new CrossEntropyLoss();
    using var sgd = new SGD(model.Parameters(), lr: 1e-3);
    var ready = Enumerable.Range(0, batches)
        .Select(i => (X: images.Narrow(0, i * 64L, 64).Contiguous(), Y: labels.Narrow(0, i * 64L, 64).Contiguous()))
        .ToArray();
    void Step(Tensor x, Tensor y)
    {
        using var scope = Torch.NewScope();
        Tensor loss = lossFn.Call(model.Call(x), y);
        sgd.ZeroGrad();
        loss.Backward();
        sgd.Step();
    }
    int next = 0;
    Harness.Run("mlp_step_sgd_b64", "ms", 50, () => { var (x, y) = ready[next++ % batches]; Step(x, y); });
    Harness.Run("mlp_100_steps_ready", "ms", 1, () => { foreach (var (x, y) in ready) Step(x, y); });
    using var dataset = new TensorDataset(images, labels);
    using var loader = DataLoader.Create(dataset, batchSize: 64, shuffle: true, numWorkers: 1);
    Harness.Run("mlp_100_steps_loader", "ms", 1, () =>
    {
        foreach (Tensor[] batch in loader)
        {
            Step(batch[0], batch[1]);
            foreach (Tensor t in batch)
                t.Dispose();
        }
    });
    foreach (var (x, y) in ready)
    {
        x.Dispose();
        y.Dispose();
    }
}
// The seed models' steps at batch 1, the gradients zeroed in place as CudaBench's steps do: the products are small,
// so what is left is the per-op cost of the managed layer and the engine, plus the passes over the parameters
// (zeroing, accumulating and updating the MLP's 670k parameters are most of its step).
foreach (string name in new[] { "mlp", "cnn" })
{
    Torch.ManualSeed(0);
    using var model = FashionMnist.Models.Create(name);
    using var lossFn = new CrossEntropyLoss();
    using var sgd = new SGD(model.Parameters(), lr: 1e-3, momentum: name == "cnn" ? 0.5 : 0);
    using var x = Torch.Rand([1, 1, 28, 28]);
    using var y = Torch.Zeros([1], DType.Int64);
    Harness.Run($"{name}_step_sgd_b1", "us", 2000, () =>
    {
        using var scope = Torch.NewScope();
        sgd.ZeroGrad(setToNone: false);
        lossFn.Call(model.Call(x), y).Backward();
        sgd.Step();
    });
}
CnnBench.Run();
AutogradBench.Run();
if (Torch.Cuda.IsAvailable())
    CudaBench.Run();
