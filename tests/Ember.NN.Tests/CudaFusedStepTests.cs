namespace Ember.NN.Tests;

/// <summary>
/// The fused backward ops a training step runs on the GPU (one native call for linear's three gradients, added into
/// existing .grad in place; cross entropy as one op forward and one backward) against the CPU, which runs the same
/// formulas as separate ops: gradients from a fresh start and accumulated over two backwards, every reduction with
/// class weights and an ignored class, and gradients of gradients. Ignored with the reason where there is no GPU.
/// </summary>
[Category("cuda")]
public class CudaFusedStepTests : CudaFixture
{
    private static void AssertClose(Tensor? cpu, Tensor? gpu, double tolerance, string what)
    {
        if (cpu is null || gpu is null)
        {
            Assert.Fail($"{what}: no gradient on the {(cpu is null ? "CPU" : "GPU")}");
            return;
        }
        Assert.That(gpu.Shape, Is.EqualTo(cpu.Shape), what);
        Assert.That(gpu.Cpu().To(DType.Float64).ToArray<double>(), Is.EqualTo(cpu.To(DType.Float64).ToArray<double>()).Within(tolerance), what);
    }

    [TestCase(true, true)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    public void LinearGradientsMatchTheCpuAndAccumulate(bool inputNeedsGrad, bool bias)
    {
        using var scope = Torch.NewScope();
        var gen = new Generator(3);
        Tensor x = Torch.Randn([2, 5, 7], DType.Float64, generator: gen), w = Torch.Randn([4, 7], DType.Float64, generator: gen);
        Tensor b = Torch.Randn([4], DType.Float64, generator: gen), g1 = Torch.Randn([2, 5, 4], DType.Float64, generator: gen);
        Tensor g2 = Torch.Randn([2, 5, 4], DType.Float64, generator: gen);
        (Tensor? X, Tensor W, Tensor? B) Run(Device device)
        {
            Tensor xd = x.To(device), wd = w.To(device).RequiresGrad_();
            Tensor? bd = bias ? b.To(device).RequiresGrad_() : null;
            if (inputNeedsGrad)
                xd.RequiresGrad_();
            // The first backward makes .grad, the second adds into it (in place on the GPU).
            foreach (Tensor g in new[] { g1, g2 })
            {
                Tensor y = Functional.Linear(xd, wd, bd);
                y.Backward(g.To(device));
            }
            return (xd.Grad, wd.Grad!, bd?.Grad);
        }
        var cpu = Run(Device.CPU);
        var gpu = Run(Device.Cuda());
        if (inputNeedsGrad)
            AssertClose(cpu.X, gpu.X, 1e-10, "input grad");
        AssertClose(cpu.W, gpu.W, 1e-10, "weight grad");
        if (bias)
            AssertClose(cpu.B, gpu.B, 1e-10, "bias grad");
    }

    [Test]
    public void LinearGradientsInFloat32MatchTheCpu()
    {
        using var scope = Torch.NewScope();
        var gen = new Generator(5);
        Tensor x = Torch.Randn([64, 320], generator: gen), w = Torch.Randn([50, 320], generator: gen);
        Tensor b = Torch.Randn([50], generator: gen), g = Torch.Randn([64, 50], generator: gen);
        (Tensor X, Tensor W, Tensor B) Run(Device device)
        {
            Tensor xd = x.To(device).RequiresGrad_(), wd = w.To(device).RequiresGrad_(), bd = b.To(device).RequiresGrad_();
            Functional.Linear(xd, wd, bd).Backward(g.To(device));
            return (xd.Grad!, wd.Grad!, bd.Grad!);
        }
        var cpu = Run(Device.CPU);
        var gpu = Run(Device.Cuda());
        AssertClose(cpu.X, gpu.X, 1e-4, "input grad");
        AssertClose(cpu.W, gpu.W, 1e-3, "weight grad");
        AssertClose(cpu.B, gpu.B, 1e-4, "bias grad");
    }

    [TestCase("mean", false, -100L)]
    [TestCase("mean", true, 3L)]
    [TestCase("sum", true, 0L)]
    [TestCase("none", false, 3L)]
    [TestCase("none", true, 0L)]
    public void CrossEntropyMatchesTheCpu(string reduction, bool weighted, long ignoreIndex)
    {
        using var scope = Torch.NewScope();
        var gen = new Generator(7);
        // 40 classes: wider than a warp; 70 rows: more than one row per warp of the GPU kernel's block.
        Tensor logits = Torch.Randn([70, 40], DType.Float64, generator: gen) * 3;
        long[] classes = Enumerable.Range(0, 70).Select(i => (long)(i * 17 % 40)).ToArray();
        classes[1] = 3;  // rows 0 (class 0) and 1 are ignored when ignoreIndex is 0 or 3
        Tensor target = Torch.Tensor(classes);
        Tensor weight = Torch.Rand([40], DType.Float64, generator: gen) + 0.5;
        (Tensor Loss, Tensor Grad) Run(Device device)
        {
            Tensor xd = logits.To(device).RequiresGrad_();
            Tensor loss = Functional.CrossEntropy(xd, target.To(device), weighted ? weight.To(device) : null, ignoreIndex, reduction);
            Tensor g = loss.Dim == 0
                ? Torch.Full([], 0.75, DType.Float64)
                : Torch.Tensor(Enumerable.Range(0, 70).Select(i => -1 + 2.0 * i / 69).ToArray());
            loss.Backward(g.To(device));
            return (loss, xd.Grad!);
        }
        var cpu = Run(Device.CPU);
        var gpu = Run(Device.Cuda());
        AssertClose(cpu.Loss, gpu.Loss, 1e-10, "loss");
        AssertClose(cpu.Grad, gpu.Grad, 1e-12, "input grad");
    }

    [Test]
    public void CrossEntropyGradientsOfGradientsMatchTheCpu()
    {
        using var scope = Torch.NewScope();
        var gen = new Generator(9);
        Tensor logits = Torch.Randn([6, 5], DType.Float64, generator: gen);
        Tensor target = Torch.Randint(0, 5, [6], generator: gen);
        Tensor Run(Device device)
        {
            Tensor xd = logits.To(device).RequiresGrad_();
            Tensor loss = Functional.CrossEntropy(xd, target.To(device));
            Tensor g = Ember.Autograd.Grad(loss, xd, createGraph: true);
            (g * g).Sum().Backward();
            return xd.Grad!;
        }
        AssertClose(Run(Device.CPU), Run(Device.Cuda()), 1e-12, "gradient of the squared gradient");
    }
}
