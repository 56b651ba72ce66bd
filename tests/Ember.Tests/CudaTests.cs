namespace Ember.Tests;

/// <summary>
/// The managed API on the CUDA backend, against the CPU. On a machine without the plugin or a GPU every
/// test is ignored with the reason (<see cref="Torch.Backends.Status"/>).
/// </summary>
[Category("cuda")]
public class CudaTests : CudaFixture
{
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

    [Test]
    public void ConvNetGradientsOnTheGpuEqualTheCpus()
    {
        using var scope = Torch.NewScope();
        bool tf32 = Torch.Backends.Cudnn.AllowTF32;
        Torch.Backends.Cudnn.AllowTF32 = false;
        try
        {
            Tensor x = Torch.Randn([4, 1, 12, 12]).RequiresGrad_();
            Tensor w1 = Torch.Randn([3, 1, 3, 3]).RequiresGrad_();
            Tensor b1 = Torch.Randn([3]).RequiresGrad_();
            Tensor w2 = Torch.Randn([5, 3 * 5 * 5]).RequiresGrad_();
            Tensor Loss(Tensor input, Tensor c1, Tensor c1b, Tensor fc) =>
                Functional.LogSoftmax(Functional.Relu(Functional.MaxPool2d(Functional.Conv2d(input, c1, c1b), 2)).Flatten(1).MatMul(fc.T), 1).Sum();

            Loss(x, w1, b1, w2).Backward();
            Tensor[] leaves = [x, w1, b1, w2];
            float[][] expected = leaves.Select(t => t.Grad!.ToArray<float>()).ToArray();
            foreach (Tensor t in leaves)
                t.Grad = null;

            Loss(x.Cuda(), w1.Cuda(), b1.Cuda(), w2.Cuda()).Backward();
            for (int i = 0; i < leaves.Length; i++)
                Assert.That(leaves[i].Grad!.ToArray<float>(), Is.EqualTo(expected[i]).Within(1e-3), $"leaf {i}");
        }
        finally
        {
            Torch.Backends.Cudnn.AllowTF32 = tf32;
        }
    }

    [Test]
    public void DropoutOnTheGpuDrawsTheCpusMask()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Ones([1000]);
        using var cpu = new Generator(11);
        using var gpu = new Generator(11);
        float[] onCpu = Functional.Dropout(x, 0.3, generator: cpu).ToArray<float>();
        float[] onGpu = Functional.Dropout(x.Cuda(), 0.3, generator: gpu).Cpu().ToArray<float>();
        Assert.That(onGpu, Is.EqualTo(onCpu));
        Assert.That(onCpu.Count(v => v == 0), Is.InRange(230, 370), "about 30 % dropped");
    }

    [Test]
    public void SmallOpsGiveTheSameTrainingBatchedOrNot()
    {
        // A 1-element regression trained by hand: every op of the loop is small, so with batching on all of them
        // but the loss read-back share launches; the CPU and the unbatched GPU are the references.
        float[] Train(Device device)
        {
            using var scope = Torch.NewScope();
            Tensor x = Torch.Tensor(Enumerable.Range(0, 16).Select(i => i / 7.5f - 1).ToArray()).To(device);
            Tensor y = x * 3 + 0.5f;
            Tensor w = Torch.Zeros([1], device: device).RequiresGrad_(), b = Torch.Zeros([1], device: device).RequiresGrad_();
            var losses = new List<float>();
            for (int step = 0; step < 40; ++step)
            {
                using var stepScope = Torch.NewScope();
                Tensor loss = (x * w + b - y).Pow(2).Mean();
                loss.Backward();
                using (Torch.NoGrad())
                {
                    w.Sub_(w.Grad! * 0.2f);
                    b.Sub_(b.Grad! * 0.2f);
                }
                w.Grad = null;
                b.Grad = null;
                if (step % 8 == 0) losses.Add(loss.Item<float>());
            }
            losses.Add(w.Item<float>());
            losses.Add(b.Item<float>());
            return [.. losses];
        }

        float[] cpu = Train(Device.CPU), batched = Train(Device.Cuda());
        Torch.Backends.Cuda.BatchSmallOps = false;
        float[] unbatched;
        try
        {
            unbatched = Train(Device.Cuda());
        }
        finally
        {
            Torch.Backends.Cuda.BatchSmallOps = true;
        }
        Assert.That(batched, Is.EqualTo(unbatched), "batched ops compute what their own kernels compute");
        Assert.That(batched, Is.EqualTo(cpu).Within(1e-5));
        Assert.That(batched[^2], Is.EqualTo(3).Within(0.05), "w learned");
    }

    [Test]
    public void StreamsOrderWorkAndEventsTimeIt()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn([1024, 1024]);
        Tensor xg = x.Cuda();
        using var side = new CudaStream();
        using var start = new CudaEvent(enableTiming: true);
        using var end = new CudaEvent(enableTiming: true);
        side.WaitStream(Torch.Cuda.CurrentStream()); // xg was copied on the default stream
        Tensor y;
        using (Torch.Cuda.UseStream(side))
        {
            Assert.That(Torch.Cuda.CurrentStream().IsDefault, Is.False);
            start.Record();
            y = Functional.Relu(xg.MatMul(xg));
            end.Record();
        }
        Assert.That(Torch.Cuda.CurrentStream().IsDefault, Is.True, "the scope restores the default stream");
        end.Wait(); // the default stream reads y only after the side stream made it
        end.Synchronize();
        Assert.That(end.Query() && side.Query(), Is.True);
        Assert.That(start.ElapsedTime(end), Is.GreaterThan(0));
        Assert.That(y.Cpu().ToArray<float>(), Is.EqualTo(Functional.Relu(x.MatMul(x)).ToArray<float>()).Within(0.05));
        y.RecordStream(side);
    }

    [Test]
    public void RecordedMemoryIsNotReusedWhileTheOtherStreamRuns()
    {
        using var scope = Torch.NewScope();
        using var side = new CudaStream();
        Tensor big = Torch.Randn([4096, 4096], device: Device.Cuda());
        side.WaitStream(Torch.Cuda.CurrentStream());
        Tensor t = Torch.Ones([1 << 20], device: Device.Cuda());
        Torch.Cuda.EmptyCache(); // no cached block the new allocation below could take instead
        long before = Torch.Cuda.MemoryReserved();
        using (Torch.Cuda.UseStream(side))
        {
            for (int i = 0; i < 4; i++)
                big = big.MatMul(big) / 4096.0; // keeps the side stream busy for milliseconds
            _ = t.Sum();
        }
        t.RecordStream(side);
        t.Dispose();
        // The freed block waits for the side stream, so this allocation cannot take it.
        using Tensor u = Torch.Ones([1 << 20], device: Device.Cuda());
        Assert.That(Torch.Cuda.MemoryReserved(), Is.GreaterThan(before), "a new block was needed");
        side.Synchronize();
        Assert.That(big.Cpu().IsFinite().All().Item<bool>(), Is.True);
    }

    [Test]
    public void PinnedTensorsUploadWithoutBlocking()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Randn([256, 256]);
        Assert.That(x.IsPinned, Is.False);
        Tensor pinned = x.PinMemory();
        Assert.That(pinned.IsPinned, Is.True);
        Assert.That(pinned.PinMemory().IsPinned, Is.True);
        Tensor onGpu = pinned.Cuda(nonBlocking: true);
        pinned.Dispose(); // the block is held back until the queued copy has read it
        using Tensor other = Torch.Zeros([256, 256]).PinMemory(); // may not take the same block early
        Assert.That(onGpu.Cpu().ToArray<float>(), Is.EqualTo(x.ToArray<float>()));
    }
}
