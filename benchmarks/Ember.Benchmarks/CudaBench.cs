using System.Diagnostics;
using System.Text.Json;
using Ember.NN;
using Ember.Optim;

namespace Ember.Benchmarks;

/// <summary>
/// The seed models' training steps on the GPU (issue 7: at most 0.30 ms for the MLP and 0.50 ms for the CNN at batch
/// 64; "with a captured CUDA graph, lower still"): eager, and as one replay of a recorded CUDA graph;
/// benchmarks/pytorch/bench_cuda_steps.py times the same in PyTorch. Runs only where CUDA is available.
/// </summary>
internal static class CudaBench
{
    private const int Batches = 20;

    public static void Run()
    {
        Device cuda = Device.Cuda();
        Torch.ManualSeed(0);
        using var images = Torch.Rand([Batches * 64L, 1, 28, 28], device: cuda);
        using var scaled = Torch.Rand([Batches * 64L], device: cuda) * 10;
        using var labels = scaled.To(DType.Int64);
        var ready = Enumerable.Range(0, Batches)
            .Select(i => (X: images.Narrow(0, i * 64L, 64).Contiguous(), Y: labels.Narrow(0, i * 64L, 64).Contiguous()))
            .ToArray();
        // A 1-element add from C# (the result disposed), per add, with one synchronisation per 1000 adds: what
        // native/bench's cuda_add_1elem_host times in C++, plus the managed layer; small-op batching on and off.
        using (var a = Torch.Ones([1], device: cuda))
        using (var b = Torch.Full([1], 2f, device: cuda))
        {
            Time("cuda_add_1elem_host_managed", () => (a + b).Dispose(), stepsPerRep: 1000, unit: "us");
            Torch.Backends.Cuda.BatchSmallOps = false;
            try
            {
                Time("cuda_add_1elem_host_managed_unbatched", () => (a + b).Dispose(), stepsPerRep: 1000, unit: "us");
            }
            finally
            {
                Torch.Backends.Cuda.BatchSmallOps = true;
            }
        }
        // The MLP with SGD lr 1e-3 and the CNN with SGD lr 0.01 momentum 0.5, as the demo trains them
        // (examples/FashionMnist/Models.cs, compiled in).
        using (var mlp = FashionMnist.Models.Create("mlp"))
            TimeStep("cuda_mlp_step_sgd_b64", mlp, m => new SGD(m.Parameters(), lr: 1e-3), ready, cuda);
        using (var cnn = FashionMnist.Models.Create("cnn"))
            TimeStep("cuda_cnn_step_sgd_b64", cnn, m => new SGD(m.Parameters(), lr: 0.01, momentum: 0.5), ready, cuda);
        foreach (var (x, y) in ready)
        {
            x.Dispose();
            y.Dispose();
        }
    }

    private static void TimeStep(string name, Module<Tensor, Tensor> model, Func<Module<Tensor, Tensor>, SGD> makeSgd,
        (Tensor X, Tensor Y)[] ready, Device cuda)
    {
        model.To(cuda);
        using var lossFn = new CrossEntropyLoss();
        using SGD sgd = makeSgd(model);
        void Step(Tensor x, Tensor y)
        {
            using var scope = Torch.NewScope();
            sgd.ZeroGrad(setToNone: false);
            Tensor loss = lossFn.Call(model.Call(x), y);
            loss.Backward();
            sgd.Step();
        }
        for (int i = 0; i < 3; i++)
            Step(ready[i].X, ready[i].Y);  // warm-up: gradients, cuBLAS/cuDNN handles and workspaces, loaded kernels
        int next = 0;
        Time(name + "_eager", () => { var (x, y) = ready[next++ % Batches]; Step(x, y); });

        // The same step recorded once; each replay first copies the next batch into the recording's inputs, as a
        // training loop does. (The CNN's dropout masks are drawn once, at the recording, and replayed.)
        using var staticX = Torch.Zeros([64, 1, 28, 28], device: cuda);
        using var staticY = Torch.Zeros([64], DType.Int64, cuda);
        using var graph = new CudaGraph();
        using (Torch.NewScope())
        {
            using (Torch.Cuda.Graph(graph))
                Step(staticX, staticY);
        }
        Time(name + "_graph", () =>
        {
            var (x, y) = ready[next++ % Batches];
            staticX.Copy_(x);
            staticY.Copy_(y);
            graph.Replay();
        });
    }

    // Harness.Run's JSON line, but each repetition ends with a synchronisation, so the time per step is the GPU's
    // throughput with the host's cost included (PyTorch's side queues and waits the same way).
    private static void Time(string bench, Action step, int stepsPerRep = 200, int reps = 7, string unit = "ms")
    {
        if (Harness.Filter is not null && !bench.Contains(Harness.Filter, StringComparison.Ordinal))
            return;
        for (int i = 0; i < stepsPerRep / 4; i++)
            step();
        Torch.Cuda.Synchronize();
        var samples = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < stepsPerRep; i++)
                step();
            Torch.Cuda.Synchronize();
            samples[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / stepsPerRep * (unit == "us" ? 1000 : 1);
        }
        Array.Sort(samples);
        var line = new Dictionary<string, object> { ["bench"] = bench, ["impl"] = "ember", ["unit"] = unit, ["median"] = Math.Round(samples[reps / 2], 4), ["n"] = reps };
        Console.WriteLine(JsonSerializer.Serialize(line));
    }
}
