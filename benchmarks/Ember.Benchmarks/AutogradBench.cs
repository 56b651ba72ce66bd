using System.Diagnostics;
using System.Text.Json;
using Ember.Interop;
using F = Ember.Functional;

namespace Ember.Benchmarks;

/// <summary>
/// Autograd's cost on the seed MLP (784-512-512-10, ReLU, cross-entropy) at batch 64:
/// <list type="bullet">
/// <item>autograd_mlp_b64_fwd_bwd: forward + backward through autograd (gradients set to null first, as ZeroGrad does);</item>
/// <item>autograd_mlp_b64_kernels: the same native forward and backward kernels called directly through the bindings, no autograd;</item>
/// <item>autograd_mlp_b64_overhead: (first - second) / second, in percent (issue 4: at most 10);</item>
/// <item>autograd_mlp_b64_saved_bytes / _after_backward: native bytes the graph holds after forward, and what is left beyond the gradients once backward ended (0);</item>
/// <item>mlp_b64_forward_nograd / _inference: the forward alone under Torch.NoGrad() and Torch.InferenceMode().</item>
/// <item>autograd_tiny_fwd_bwd_thread_cpu: the tiny case of Program.cs (<c>(a * w + b).Sum().Backward()</c> on
/// 1-element leaves) in thread CPU time, which time slices lost to other processes do not inflate: on a busy host
/// it tells what the case itself costs, while the wall-clock figure also measures the neighbours.</item>
/// </list>
/// The two timed bodies alternate within each repetition so that machine load hits both alike.
/// </summary>
internal static unsafe class AutogradBench
{
    private const int Batch = 64;

    public static void Run()
    {
        if (Enabled("autograd_tiny_fwd_bwd_thread_cpu"))
            TinyThreadCpu();
        Torch.ManualSeed(0);
        using var x = Torch.Rand([Batch, 784]);
        using var scaled = Torch.Rand([Batch]) * 10;
        using var y = scaled.To(DType.Int64);
        var p = new Mlp();
        try
        {
            if (Enabled("autograd_mlp_b64"))
                Overhead(p, x, y);
            if (Enabled("autograd_mlp_b64_saved_bytes"))
                SavedBytes(p, x, y);
            if (Enabled("mlp_b64_forward"))
                ForwardModes(p, x);
        }
        finally
        {
            p.Dispose();
        }
    }

    private sealed class Mlp : IDisposable
    {
        public readonly Tensor W1 = Param(512, 784), B1 = Param(512), W2 = Param(512, 512), B2 = Param(512), W3 = Param(10, 512), B3 = Param(10);

        public Tensor[] All => [W1, B1, W2, B2, W3, B3];

        private static Tensor Param(params long[] shape)
        {
            using var r = Torch.Rand(shape);
            using var centered = r - 0.5;
            return (centered * 0.1).RequiresGrad_();
        }

        public Tensor Loss(Tensor x, Tensor y)
        {
            using Tensor h1 = F.Linear(x, W1, B1);
            using Tensor a1 = F.Relu(h1);
            using Tensor h2 = F.Linear(a1, W2, B2);
            using Tensor a2 = F.Relu(h2);
            using Tensor logits = F.Linear(a2, W3, B3);
            return F.CrossEntropy(logits, y);
        }

        public void ClearGrads()
        {
            foreach (Tensor t in All)
            {
                t.Grad?.Dispose();
                t.Grad = null;
            }
        }

        public void Dispose()
        {
            ClearGrads();
            foreach (Tensor t in All)
                t.Dispose();
        }
    }

    private static void Overhead(Mlp p, Tensor x, Tensor y)
    {
        void ThroughAutograd()
        {
            p.ClearGrads();
            using Tensor loss = p.Loss(x, y);
            loss.Backward();
        }
        using var kernels = new DirectKernels(p, x, y);
        const int calls = 20, reps = 11;
        var (autograd, direct) = Alternate(ThroughAutograd, kernels.Run, calls, reps);
        Emit("autograd_mlp_b64_fwd_bwd", "ms", Median(autograd) * 1e3, reps);
        Emit("autograd_mlp_b64_kernels", "ms", Median(direct) * 1e3, reps);
        // Each repetition's pair ran back to back; the median of their ratios is the least load-sensitive estimate.
        var ratios = new double[reps];
        for (int i = 0; i < reps; i++)
            ratios[i] = (autograd[i] - direct[i]) / direct[i] * 100;
        Emit("autograd_mlp_b64_overhead", "%", Median(ratios), reps,
            new() { ["min_fwd_bwd_ms"] = autograd.Min() * 1e3, ["min_kernels_ms"] = direct.Min() * 1e3 });
    }

    /// <summary>Native bytes held by the graph after forward, and left over (beyond the gradients) after backward.</summary>
    private static void SavedBytes(Mlp p, Tensor x, Tensor y)
    {
        // One backward first: the seed of ones its thread keeps and the gradients' first allocation are not what is measured.
        p.ClearGrads();
        using (Tensor warm = p.Loss(x, y))
            warm.Backward();
        p.ClearGrads();
        long baseline = Settled();
        Tensor loss = p.Loss(x, y);
        long held = EmberNative.CpuBytesAllocated - baseline;
        loss.Backward();
        loss.Dispose();
        long grads = p.All.Sum(t => t.NumEl * t.ElementSize);
        long left = EmberNative.CpuBytesAllocated - baseline - grads;
        Emit("autograd_mlp_b64_saved_bytes", "bytes", held, 1);
        Emit("autograd_mlp_b64_saved_bytes_after_backward", "bytes", left, 1);
        p.ClearGrads();
    }

    private static void ForwardModes(Mlp p, Tensor x)
    {
        void Forward()
        {
            using Tensor h1 = F.Linear(x, p.W1, p.B1);
            using Tensor a1 = F.Relu(h1);
            using Tensor h2 = F.Linear(a1, p.W2, p.B2);
            using Tensor a2 = F.Relu(h2);
            using Tensor logits = F.Linear(a2, p.W3, p.B3);
        }
        void NoGrad()
        {
            using (Torch.NoGrad())
                Forward();
        }
        void Inference()
        {
            using (Torch.InferenceMode())
                Forward();
        }
        const int calls = 50, reps = 11;
        var (noGrad, inference) = Alternate(NoGrad, Inference, calls, reps);
        Emit("mlp_b64_forward_nograd", "ms", Median(noGrad) * 1e3, reps);
        Emit("mlp_b64_forward_inference", "ms", Median(inference) * 1e3, reps);
    }

    /// <summary>
    /// The kernels autograd runs for this MLP, called through the bindings: forward linear/relu/log_softmax/nll_loss,
    /// backward nll_loss_backward, log_softmax_backward, and per layer matmul (input gradient), reshape + transpose +
    /// matmul (weight gradient), sum (bias gradient), threshold_backward (ReLU), as LinearBackward and the others do,
    /// in the engine's order. Each intermediate is released after its last use, as the graph releases it, so that
    /// both sides see the same memory traffic; the weight gradients live until the next call, as Grad does.
    /// </summary>
    private sealed class DirectKernels(Mlp p, Tensor x, Tensor y) : IDisposable
    {
        private readonly Tensor _seed = Torch.Ones([]);
        private readonly List<ember_tensor> _grads = [];

        private static ember_tensor Ok(ember_status status, ember_tensor t) =>
            status == ember_status.EMBER_OK ? t : throw new InvalidOperationException($"native call failed: {status}");

        private static void Release(ember_tensor t) => NativeMethods.ember_tensor_release(t);

        private static ember_tensor Linear(ember_tensor input, Tensor w, Tensor b)
        {
            ember_tensor r;
            return Ok(NativeMethods.ember_linear(input, w.Handle, b.Handle, &r), r);
        }

        private static ember_tensor Relu(ember_tensor input)
        {
            ember_tensor r;
            return Ok(NativeMethods.ember_relu(input, &r), r);
        }

        /// <summary>LinearBackward's kernels; returns the input's gradient (default when not needed) and keeps the weight's and bias's.</summary>
        private ember_tensor LinearBackward(ember_tensor g, ember_tensor input, Tensor w, bool needInput)
        {
            ember_tensor gx = default, g2, x2, gt, gw, gb;
            if (needInput)
                Ok(NativeMethods.ember_matmul(g, w.Handle, &gx), gx);
            long outF = w.ShapeArray[0], inF = w.ShapeArray[1];
            long* s = stackalloc long[2];
            s[0] = -1;
            s[1] = outF;
            Ok(NativeMethods.ember_reshape(g, s, 2, &g2), g2);
            s[1] = inF;
            Ok(NativeMethods.ember_reshape(input, s, 2, &x2), x2);
            Ok(NativeMethods.ember_transpose(g2, 0, 1, &gt), gt);
            _grads.Add(Ok(NativeMethods.ember_matmul(gt, x2, &gw), gw));
            Release(gt);
            Release(x2);
            int dim0 = 0;
            _grads.Add(Ok(NativeMethods.ember_sum(g2, &dim0, 1, 0, &gb), gb));
            Release(g2);
            return gx;
        }

        private static ember_tensor ThresholdBackward(ember_tensor g, ember_tensor result)
        {
            ember_tensor r;
            return Ok(NativeMethods.ember_threshold_backward(g, result, Scalar.Of(0.0), &r), r);
        }

        public void Run()
        {
            foreach (ember_tensor t in _grads)
                Release(t); // as ClearGrads does at the start of each autograd call
            _grads.Clear();
            ember_tensor xs = x.Handle, ys = y.Handle, none = default;
            // forward
            ember_tensor h1 = Linear(xs, p.W1, p.B1), a1 = Relu(h1);
            Release(h1);
            ember_tensor h2 = Linear(a1, p.W2, p.B2), a2 = Relu(h2);
            Release(h2);
            ember_tensor logits = Linear(a2, p.W3, p.B3), logp, loss, total, gLogp, gLogits;
            Ok(NativeMethods.ember_log_softmax(logits, 1, &logp), logp);
            Release(logits);
            Ok(NativeMethods.ember_nll_loss(logp, ys, none, (int)ember_reduction.EMBER_REDUCTION_MEAN, -100, &loss, &total), loss);
            // backward
            Ok(NativeMethods.ember_nll_loss_backward(_seed.Handle, logp, ys, none, (int)ember_reduction.EMBER_REDUCTION_MEAN, -100, total, &gLogp), gLogp);
            Release(total);
            Ok(NativeMethods.ember_log_softmax_backward(gLogp, logp, 1, &gLogits), gLogits);
            Release(gLogp);
            Release(logp);
            ember_tensor gA2 = LinearBackward(gLogits, a2, p.W3, needInput: true);
            Release(gLogits);
            ember_tensor gH2 = ThresholdBackward(gA2, a2);
            Release(gA2);
            Release(a2);
            ember_tensor gA1 = LinearBackward(gH2, a1, p.W2, needInput: true);
            Release(gH2);
            ember_tensor gH1 = ThresholdBackward(gA1, a1);
            Release(gA1);
            Release(a1);
            LinearBackward(gH1, xs, p.W1, needInput: false);
            Release(gH1);
            Release(loss);
            GC.KeepAlive(x);
            GC.KeepAlive(y);
        }

        public void Dispose()
        {
            foreach (ember_tensor t in _grads)
                Release(t);
            _grads.Clear();
            _seed.Dispose();
        }
    }

    private static void TinyThreadCpu()
    {
        using Tensor a = Torch.Ones(1).RequiresGrad_(), w = Torch.Ones(1).RequiresGrad_(), b = Torch.Ones(1).RequiresGrad_();
        void Body()
        {
            using Tensor p = a * w;
            using Tensor s = p + b;
            using Tensor y = s.Sum();
            y.Backward();
        }
        const int calls = 20_000, reps = 21;
        for (int i = 0; i < calls; i++)
            Body(); // warm up: JIT tiers, the leaves' gradients, the engine's reused state
        var ns = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = ThreadCpuNs();
            for (int i = 0; i < calls; i++)
                Body();
            ns[r] = (ThreadCpuNs() - start) / (double)calls;
        }
        Emit("autograd_tiny_fwd_bwd_thread_cpu", "us", Median(ns) / 1e3, reps, new() { ["min_us"] = ns.Min() / 1e3 });
    }

    // CLOCK_THREAD_CPUTIME_ID: CPU time of the calling thread (Linux; elsewhere the process's CPU time).
    private static long ThreadCpuNs()
    {
        if (!OperatingSystem.IsLinux())
            return (long)(Environment.CpuUsage.TotalTime.Ticks * 100);
        Timespec ts;
        _ = clock_gettime(3, &ts);
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }

    private struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int clock_gettime(int clock, Timespec* ts);

    private static (double[] A, double[] B) Alternate(Action a, Action b, int calls, int reps)
    {
        for (int i = 0; i < Math.Max(2, calls / 4); i++)
        {
            a();
            b();
        }
        var ta = new double[reps];
        var tb = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
                a();
            ta[r] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
            start = Stopwatch.GetTimestamp();
            for (int i = 0; i < calls; i++)
                b();
            tb[r] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
        }
        return (ta, tb);
    }

    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return EmberNative.CpuBytesAllocated;
    }

    private static double Median(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    private static bool Enabled(string bench) => Harness.Filter is null || bench.Contains(Harness.Filter, StringComparison.Ordinal)
        || Harness.Filter.Contains(bench, StringComparison.Ordinal);

    private static void Emit(string bench, string unit, double median, int n, Dictionary<string, double>? extra = null)
    {
        if (Harness.Filter is not null && !bench.Contains(Harness.Filter, StringComparison.Ordinal))
            return;
        var line = new Dictionary<string, object> { ["bench"] = bench, ["impl"] = "ember", ["unit"] = unit, ["median"] = Math.Round(median, 4), ["n"] = n };
        if (extra is not null)
            foreach (var (k, v) in extra)
                line[k] = Math.Round(v, 4);
        Console.WriteLine(JsonSerializer.Serialize(line));
    }
}
