using Ember;
using Ember.Benchmarks;

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
