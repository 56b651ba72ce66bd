namespace Ember.Tests;

/// <summary>
/// CUDA graphs against eager execution: a replay must give what running the recorded ops again gives, on the new
/// contents of the static inputs. Ignored with the reason where there is no GPU (see <see cref="CudaGraphWithoutGpuTests"/>).
/// </summary>
[Category("cuda")]
public class CudaGraphTests : CudaFixture
{
    private static Tensor Region(Tensor a, Tensor b, Tensor c) => Functional.Relu(a.MatMul(b) + 1) * (c * 0.5).Exp() - c.Square();

    // The largest difference, relative to 1 + |expected|: float32 sums in another order stay far below 1e-4.
    private static double Mismatch(float[] actual, float[] expected) =>
        actual.Zip(expected, (x, e) => Math.Abs(x - e) / (1 + Math.Abs(e))).Max();

    [Test]
    public void ReplayOfElementwiseOpsAndMatmulEqualsEager()
    {
        using var scope = Torch.NewScope();
        Device cuda = Device.Cuda();
        var gen = new Generator(7);
        Tensor a = Torch.Zeros([64, 32], device: cuda), b = Torch.Zeros([32, 16], device: cuda), c = Torch.Zeros([64, 16], device: cuda);
        a.Copy_(Torch.Randn([64, 32], generator: gen));
        b.Copy_(Torch.Randn([32, 16], generator: gen));
        c.Copy_(Torch.Randn([64, 16], generator: gen));
        for (int i = 0; i < 2; i++)
            Region(a, b, c).Dispose();  // warm-up: cuBLAS handle and workspace exist before the recording

        using var graph = new CudaGraph();
        Tensor y;
        using (Torch.Cuda.Graph(graph))
            y = Region(a, b, c);
        Assert.That(y.Device, Is.EqualTo(cuda));

        long allocated = Torch.Cuda.MemoryAllocated();
        for (int round = 0; round < 3; round++)
        {
            using var roundScope = Torch.NewScope();  // the eager run's temporaries go at the end of the round
            Tensor ha = Torch.Randn([64, 32], generator: gen), hb = Torch.Randn([32, 16], generator: gen), hc = Torch.Randn([64, 16], generator: gen);
            a.Copy_(ha);
            b.Copy_(hb);
            c.Copy_(hc);
            graph.Replay();
            float[] replayed = y.Cpu().ToArray<float>();
            using (Tensor eager = Region(a, b, c))
                Assert.That(Mismatch(replayed, eager.Cpu().ToArray<float>()), Is.LessThan(1e-6), $"round {round}: the same kernels on the same data");
            Assert.That(Mismatch(replayed, Region(ha, hb, hc).ToArray<float>()), Is.LessThan(1e-4), $"round {round}: against the CPU");
        }
        Assert.That(Torch.Cuda.MemoryAllocated(), Is.EqualTo(allocated), "replays allocate nothing");
    }

    [Test]
    public void ReplaysOnTheDefaultStreamAndRecordsAgainAfterReset()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Ones([1000], device: Device.Cuda());
        (x * 2).Dispose();  // warm-up: the kernels are loaded before the recording
        (x + 1).Dispose();
        using var graph = new CudaGraph();
        using (Torch.Cuda.Graph(graph))
            x.Mul_(2);
        Assert.That(x.Sum().Item<float>(), Is.EqualTo(1000f), "recording runs nothing");
        for (int i = 0; i < 3; i++)
            graph.Replay();
        Assert.That(x.Sum().Item<float>(), Is.EqualTo(8000f));

        graph.Reset();
        Assert.Catch<ArgumentException>(() => graph.Replay(), "a reset graph has nothing to replay");
        using (Torch.Cuda.Graph(graph))
            x.Add_(1);
        graph.Replay();
        Assert.That(x.Sum().Item<float>(), Is.EqualTo(9000f));
    }

    [Test]
    public void DisposingTheGraphAndItsTensorsGivesThePoolBack()
    {
        GC.Collect();  // tensors other tests left to the finalizer must not be freed while this one counts
        GC.WaitForPendingFinalizers();
        Torch.Cuda.Synchronize();
        Torch.Cuda.EmptyCache();
        long allocated = Torch.Cuda.MemoryAllocated(), reserved = Torch.Cuda.MemoryReserved();
        using (var scope = Torch.NewScope())
        {
            Tensor x = Torch.Ones([1 << 20], device: Device.Cuda());
            (x * 2).Dispose();  // warm-up
            (x + 1).Dispose();
            var graph = new CudaGraph();
            Tensor y;
            long beforeCapture = Torch.Cuda.MemoryReserved();
            using (Torch.Cuda.Graph(graph))
            {
                using Tensor t = x * 3;  // freed inside the recording: back to the graph's pool only
                y = t + 1;
            }
            Assert.That(Torch.Cuda.MemoryReserved(), Is.EqualTo(beforeCapture + (8L << 20)), "the pool holds both 4 MiB blocks");
            graph.Replay();
            Assert.That(y.Max().Item<float>(), Is.EqualTo(4f));
            graph.Dispose();
            Assert.That(y.Min().Item<float>(), Is.EqualTo(4f), "a tensor from the pool outlives its graph");
        }
        Torch.Cuda.EmptyCache();
        Assert.That(Torch.Cuda.MemoryAllocated(), Is.EqualTo(allocated));
        Assert.That(Torch.Cuda.MemoryReserved(), Is.EqualTo(reserved), "the pool went back to the device");
    }

    [Test]
    public void WaitingForTheGpuWhileRecordingIsAClearErrorAndTheProcessGoesOn()
    {
        using var scope = Torch.NewScope();
        Tensor x = Torch.Ones([4], device: Device.Cuda());
        (x * 2).Sum().Dispose();  // warm-up
        using var graph = new CudaGraph();
        var e = Assert.Throws<EmberBackendException>(() =>
        {
            using (Torch.Cuda.Graph(graph))
                _ = (x * 2).Sum().Item<float>();
        })!;
        Assert.That(e.Message, Does.Contain("CUDA graph").And.Contain("host"));
        graph.Replay();  // the recording stayed intact up to the refused read

        var graph2 = new CudaGraph();
        e = Assert.Throws<EmberBackendException>(() =>
        {
            using (Torch.Cuda.Graph(graph2))
                Torch.Cuda.Synchronize();
        })!;
        Assert.That(e.Message, Does.Contain("synchronize").And.Contain("CUDA graph"));
        graph2.Dispose();
        using var graph3 = new CudaGraph();
        e = Assert.Throws<EmberBackendException>(() =>
        {
            using (Torch.Cuda.Graph(graph3))
                _ = Torch.Ones([4]).Cuda();
        })!;
        Assert.That(e.Message, Does.Contain("CUDA graph"));

        Assert.That((x + 1).Cpu().ToArray<float>(), Is.EqualTo(new float[] { 2, 2, 2, 2 }), "the device stays usable");
        Assert.That(Torch.Cuda.CurrentStream().IsDefault, Is.True, "the scope gave the stream back");
    }

    [Test]
    public void RecordingOnTheDefaultStreamIsRefused()
    {
        using var graph = new CudaGraph();
        var e = Assert.Throws<ArgumentException>(graph.CaptureBegin)!;
        Assert.That(e.Message, Does.Contain("default stream"));
        Assert.Throws<ArgumentException>(graph.CaptureEnd);
    }
}

/// <summary>CUDA graphs where there is no GPU: a clear error at creation.</summary>
public class CudaGraphWithoutGpuTests
{
    [Test]
    public void CreatingAGraphNeedsAGpu()
    {
        if (Torch.Cuda.IsAvailable())
            Assert.Ignore("a GPU is present: CudaGraphTests cover graphs there");
        var e = Assert.Throws<DeviceException>(() => new CudaGraph())!;
        Assert.That(e.Message, Does.Contain("CudaGraph").And.Contain("need a GPU"));
    }
}
