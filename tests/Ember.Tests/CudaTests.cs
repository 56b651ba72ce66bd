namespace Ember.Tests;

/// <summary>
/// The managed API on the CUDA backend, against the CPU. On a machine without the plugin or a GPU every
/// test is ignored with the reason (<see cref="Torch.Backends.Status"/>).
/// </summary>
[Category("cuda")]
public class CudaTests
{
    [SetUp]
    public void RequireCuda()
    {
        if (Torch.Cuda.IsAvailable())
            return;
        string why = string.Join("; ", Torch.Backends.Status.Where(s => !s.Loaded).Select(s => $"{s.Name}: {s.Error}"));
        Assert.Ignore($"no CUDA device: {(why.Length > 0 ? why : "the libember_cuda plugin is not beside libember")}");
    }

    [Test]
    public void GradientsOnTheGpuEqualTheCpusAndFlowBackThroughTheMove()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn([8, 5], DType.Float64).RequiresGrad_();
        Tensor w = Torch.Randn([5, 3], DType.Float64).RequiresGrad_();
        Tensor Loss(Tensor a, Tensor b) => Functional.LogSoftmax(Functional.Relu(a.MatMul(b)), 1).Sum();

        Loss(x, w).Backward();
        double[] gx = x.Grad!.ToArray<double>(), gw = w.Grad!.ToArray<double>();
        x.Grad = null;
        w.Grad = null;

        Tensor onGpu = Loss(x.Cuda(), w.Cuda());
        Assert.That(onGpu.Device, Is.EqualTo(Device.Cuda()));
        onGpu.Backward();
        Assert.That(x.Grad!.Device, Is.EqualTo(Device.CPU), "the gradient comes back through Cuda()");
        Assert.That(x.Grad!.ToArray<double>(), Is.EqualTo(gx).Within(1e-10));
        Assert.That(w.Grad!.ToArray<double>(), Is.EqualTo(gw).Within(1e-10));
    }

    [Test]
    public void AllocatorStatisticsFollowTheTensors()
    {
        Torch.Cuda.Synchronize();
        long before = Torch.Cuda.MemoryAllocated();
        using (Tensor t = Torch.Zeros([1 << 20], device: Device.Cuda()))
        {
            Assert.That(Torch.Cuda.MemoryAllocated(), Is.GreaterThanOrEqualTo(before + (4 << 20)));
            Assert.That(Torch.Cuda.MaxMemoryAllocated(), Is.GreaterThanOrEqualTo(Torch.Cuda.MemoryAllocated()));
        }
        Assert.That(Torch.Cuda.MemoryAllocated(), Is.EqualTo(before), "disposing frees at once");
        Assert.That(Torch.Cuda.MemoryReserved(), Is.GreaterThanOrEqualTo(before + (4 << 20)), "the block stays cached");
        Torch.Cuda.EmptyCache();
        Assert.That(Torch.Cuda.MemoryReserved(), Is.EqualTo(Torch.Cuda.MemoryAllocated()));
    }

    [Test]
    public void MixingDevicesIsAClearError()
    {
        using var scope = Torch.NewScope();
        Tensor a = Torch.Ones([3]);
        Tensor b = Torch.Ones([3], device: Device.Cuda());
        var e = Assert.Catch<Exception>(() => _ = a + b)!;
        Assert.That(e.Message, Does.Contain("cpu").And.Contain("cuda:0"));
        Assert.That((b + b).Cpu().ToArray<float>(), Is.EqualTo(new float[] { 2, 2, 2 }), "the device stays usable");
    }
}
