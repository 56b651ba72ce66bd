using Ember.NN;
using Ember.Optim;

namespace Ember.Benchmarks;

/// <summary>
/// The seed CNN's training step from C# (issue 5: at most 3.5 ms at batch 64 on 2 threads), on batches
/// already in memory; benchmarks/pytorch/bench_cnn.py times the same step in PyTorch.
/// </summary>
internal static class CnnBench
{
    /// <summary>Times the step (forward, cross-entropy, backward, SGD lr 0.01 momentum 0.5), and its forward alone.</summary>
    public static void Run()
    {
        Torch.ManualSeed(0);
        const int batches = 20;
        using var images = Torch.Rand([batches * 64L, 1, 28, 28]);
        using var scaled = Torch.Rand([batches * 64L]) * 10;
        using var labels = scaled.To(DType.Int64);
        using var model = new FashionMnist.Cnn();  // examples/FashionMnist/Models.cs, compiled in
        using var lossFn = new CrossEntropyLoss();
        using var sgd = new SGD(model.Parameters(), lr: 0.01, momentum: 0.5);
        var ready = Enumerable.Range(0, batches)
            .Select(i => (X: images.Narrow(0, i * 64L, 64).Contiguous(), Y: labels.Narrow(0, i * 64L, 64).Contiguous()))
            .ToArray();
        int next = 0;
        Harness.Run("cnn_step_sgd_b64", "ms", 50, () =>
        {
            var (x, y) = ready[next++ % batches];
            using var scope = Torch.NewScope();
            Tensor loss = lossFn.Call(model.Call(x), y);
            sgd.ZeroGrad();
            loss.Backward();
            sgd.Step();
        });
        Harness.Run("cnn_forward_b64", "ms", 50, () =>
        {
            var (x, y) = ready[next++ % batches];
            using var scope = Torch.NewScope();
            using var noGrad = Torch.NoGrad();
            lossFn.Call(model.Call(x), y);
        });
        foreach (var (x, y) in ready)
        {
            x.Dispose();
            y.Dispose();
        }
    }
}
