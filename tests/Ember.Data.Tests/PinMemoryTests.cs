using System.Collections;

namespace Ember.Data.Tests;

/// <summary>Small (image, label) samples whose values tell their index.</summary>
internal sealed class LabelledDataset(int count) : Dataset<(Tensor, long)>
{
    public override int Count => count;

    public override (Tensor, long) this[int index]
    {
        get
        {
            CheckIndex(index);
            return (Torch.Full([2, 3], (double)index), index % 10);
        }
    }
}

/// <summary>A batch type of a program's own that knows how to pin itself.</summary>
internal sealed class PairBatch(Tensor first, Tensor second) : IPinnableBatch<PairBatch>, IEnumerable<Tensor>
{
    public Tensor First { get; } = first;

    public Tensor Second { get; } = second;

    public PairBatch PinMemory() => new(First.PinMemory(), Second.PinMemory());

    public IEnumerator<Tensor> GetEnumerator() => new List<Tensor> { First, Second }.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public static PairBatch Collate(IReadOnlyList<(Tensor, long)> samples)
    {
        var (images, labels) = Ember.Data.Collate.Default<(Tensor, long), (Tensor, Tensor)>()(samples);
        return new PairBatch(images, labels);
    }
}

/// <summary>The loader's pinMemory option where there may be no GPU: what it refuses, and how.</summary>
public class PinMemoryTests
{
    [Test]
    public void PinningWithoutAGpuIsAClearErrorAtCreation()
    {
        if (Torch.Cuda.IsAvailable())
            Assert.Ignore("a GPU is present: PinMemoryCudaTests cover pinning there");
        var e = Assert.Throws<DeviceException>(() => DataLoader.Create(new LabelledDataset(8), batchSize: 4, pinMemory: true))!;
        Assert.That(e.Message, Does.Contain("pinMemory").And.Contain("CUDA"));
        // A batch type of its own that can pin itself is accepted; only the missing GPU is refused.
        Assert.Throws<DeviceException>(() => DataLoader.Create<(Tensor, long), PairBatch>(new LabelledDataset(8), PairBatch.Collate, batchSize: 4, pinMemory: true));

        using var unpinned = DataLoader.Create(new LabelledDataset(8), batchSize: 4, numWorkers: 1);
        Assert.That(unpinned.PinMemory, Is.False);
        foreach (var (images, labels) in unpinned)
            Assert.That(images.IsPinned || labels.IsPinned, Is.False);
    }

    [Test]
    public void PinningRefusesBatchTypesItCannotPin()
    {
        var e = Assert.Throws<NotSupportedException>(() =>
            DataLoader.Create<int, int[]>(new RangeDataset(8), s => [.. s], batchSize: 4, pinMemory: true))!;
        Assert.That(e.Message, Does.Contain("pinMemory").And.Contain("Int32[]").And.Contain("IPinnableBatch"));
    }
}

/// <summary>The loader's pinMemory option on a GPU: pinned batches with the unpinned loader's values.</summary>
[Category("cuda")]
public class PinMemoryCudaTests : CudaFixture
{
    [Test]
    public void BatchesArePinnedAndUploadWithoutWaiting([Values(0, 2)] int workers)
    {
        using var pinned = DataLoader.Create(new LabelledDataset(10), batchSize: 4, numWorkers: workers, pinMemory: true);
        using var plain = DataLoader.Create(new LabelledDataset(10), batchSize: 4, numWorkers: workers);
        Assert.That(pinned.PinMemory, Is.True);
        using var a = pinned.GetEnumerator();
        using var b = plain.GetEnumerator();
        int batches = 0;
        while (a.MoveNext())
        {
            Assert.That(b.MoveNext(), Is.True);
            var (images, labels) = a.Current;
            Assert.That(images.IsPinned && labels.IsPinned, Is.True, $"batch {batches}");
            Assert.That(b.Current.Item1.IsPinned, Is.False);
            Assert.That(images.ToArray<float>(), Is.EqualTo(b.Current.Item1.ToArray<float>()));
            Assert.That(labels.ToArray<long>(), Is.EqualTo(b.Current.Item2.ToArray<long>()));
            using Tensor onGpu = images.To(Device.Cuda(), nonBlocking: true);
            Assert.That(onGpu.Cpu().ToArray<float>(), Is.EqualTo(b.Current.Item1.ToArray<float>()));
            batches++;
        }
        Assert.That(b.MoveNext(), Is.False);
        Assert.That(batches, Is.EqualTo(3));
    }

    [Test]
    public void TensorArraysAndPinnableBatchTypesArePinned()
    {
        using var x = Torch.Randn([6, 3]);
        using var y = Torch.Randn([6]);
        using var dataset = new TensorDataset(x, y);
        using var loader = DataLoader.Create(dataset, batchSize: 3, numWorkers: 1, pinMemory: true);
        foreach (Tensor[] batch in loader)
            Assert.That(batch.All(t => t.IsPinned), Is.True);

        using var custom = DataLoader.Create<(Tensor, long), PairBatch>(new LabelledDataset(6), PairBatch.Collate, batchSize: 3, pinMemory: true);
        foreach (PairBatch batch in custom)
            Assert.That(batch.First.IsPinned && batch.Second.IsPinned, Is.True);
    }
}
