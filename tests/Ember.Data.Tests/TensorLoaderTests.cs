using System.Collections.Concurrent;

namespace Ember.Data.Tests;

/// <summary>Loaders over tensors: collation, the batched fast path, and who disposes what.</summary>
public class TensorLoaderTests
{
    private static Tensor Matrix(int rows, int cols) =>
        Torch.Tensor<float>([.. Enumerable.Range(0, rows * cols).Select(i => (float)i)], [rows, cols]);

    [Test]
    public void StackCopiesEachTensorIntoItsSlice()
    {
        using var a = Torch.Tensor<int>([1, 2, 3], [3]);
        using var b = Torch.Tensor<int>([4, 5, 6], [3]);
        using var stacked = Collate.Stack([a, b]);
        Assert.That(stacked.Shape.ToArray(), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(stacked.DType, Is.EqualTo(DType.Int32));
        Assert.That(stacked.ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        using var c = Torch.Tensor<int>([1, 2], [2]);
        var e = Assert.Throws<ShapeMismatchException>(() => Collate.Stack([a, c]));
        Assert.That(e!.Message, Does.Contain("[3]").And.Contain("[2]").And.Contain("entry 1"));
        using var d = Torch.Tensor<long>([1, 2, 3], [3]);
        Assert.Throws<DTypeException>(() => Collate.Stack([a, d]));
        Assert.Throws<ArgumentException>(() => Collate.Stack([]));
    }

    [Test]
    public void DefaultCollateOfImageLabelPairs()
    {
        var collate = Collate.Default<(Tensor, long), (Tensor, Tensor)>();
        using var x0 = Torch.Tensor<float>([1, 2], [1, 2]);
        using var x1 = Torch.Tensor<float>([3, 4], [1, 2]);
        var (images, labels) = collate([(x0, 7L), (x1, 2L)]);
        using (images)
        using (labels)
        {
            Assert.That(images.Shape.ToArray(), Is.EqualTo(new long[] { 2, 1, 2 }));
            Assert.That(images.ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4 }));
            Assert.That(labels.DType, Is.EqualTo(DType.Int64), "numbers collate to int64 as Python ints do");
            Assert.That(labels.ToArray<long>(), Is.EqualTo(new long[] { 7, 2 }));
        }
        var doubles = Collate.Default<double, Tensor>();
        using var d = doubles([0.5, 1.5]);
        Assert.That(d.DType, Is.EqualTo(DType.Float64));
        Assert.Throws<NotSupportedException>(() => Collate.Default<string, Tensor>());
    }

    [Test]
    public void TensorDatasetRowsAndBatches([Values(0, 2)] int workers)
    {
        using var x = Matrix(10, 3);
        using var y = Torch.Tensor<long>([.. Enumerable.Range(100, 10).Select(i => (long)i)], [10]);
        using var dataset = new TensorDataset(x, y);
        Tensor[] row = dataset[4];
        Assert.That(row[0].ToArray<float>(), Is.EqualTo(new float[] { 12, 13, 14 }));
        Assert.That(row[1].Item<long>(), Is.EqualTo(104));
        foreach (var t in row) t.Dispose();

        // The fast path (rows gathered per field) and the default collate of the same samples agree.
        using var fast = DataLoader.Create(dataset, batchSize: 4, shuffle: true, generator: new DataGenerator(3), numWorkers: workers);
        using var slow = DataLoader.Create<Tensor[], Tensor[]>(dataset, s => Collate.Default<Tensor[], Tensor[]>()(s),
            batchSize: 4, shuffle: true, generator: new DataGenerator(3), numWorkers: workers);
        var seen = new List<long>();
        using var a = fast.GetEnumerator();
        using var b = slow.GetEnumerator();
        while (a.MoveNext())
        {
            Assert.That(b.MoveNext(), Is.True);
            Assert.That(a.Current[0].ToArray<float>(), Is.EqualTo(b.Current[0].ToArray<float>()));
            Assert.That(a.Current[1].ToArray<long>(), Is.EqualTo(b.Current[1].ToArray<long>()));
            long[] labels = a.Current[1].ToArray<long>();
            float[] rows = a.Current[0].ToArray<float>();
            for (int k = 0; k < labels.Length; k++)
                Assert.That(rows[3 * k], Is.EqualTo(3 * (labels[k] - 100)), "row k belongs to label k");
            seen.AddRange(labels);
        }
        Assert.That(b.MoveNext(), Is.False);
        Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(100, 10).Select(i => (long)i)));
    }

    [Test]
    public void TensorDatasetOutlivesTheTensorsItWasGiven()
    {
        TensorDataset dataset;
        using (Torch.NewScope())
            dataset = new TensorDataset(Matrix(4, 2));
        using (dataset)
        {
            Tensor[] row = dataset[3];
            Assert.That(row[0].ToArray<float>(), Is.EqualTo(new float[] { 6, 7 }));
            row[0].Dispose();
        }
        Assert.Throws<ShapeMismatchException>(() => new TensorDataset(Matrix(4, 2), Matrix(3, 2)));
    }

    /// <summary>Collate that records every batch tensor it creates.</summary>
    private static Func<IReadOnlyList<int>, Tensor> Recording(ConcurrentQueue<Tensor> made) => s =>
    {
        var t = Torch.Tensor<int>([.. s], [s.Count]);
        made.Enqueue(t);
        return t;
    };

    [Test]
    public void BatchesAreDisposedWhenTheLoopMovesOn([Values(0, 2)] int workers)
    {
        var made = new ConcurrentQueue<Tensor>();
        using var loader = DataLoader.Create(new RangeDataset(10), Recording(made), batchSize: 3, numWorkers: workers);
        Tensor? previous = null;
        foreach (var batch in loader)
        {
            Assert.That(batch.IsDisposed, Is.False);
            if (previous is not null)
                Assert.That(previous.IsDisposed, Is.True, "the previous batch is gone once the next arrives");
            previous = batch;
        }
        Assert.That(made, Has.Count.EqualTo(4));
        Assert.That(made.Select(t => t.IsDisposed), Has.All.True, "the end of the pass disposes the last batch too");
    }

    [Test]
    public void KeepAndDisposeBatchesFalseLeaveBatchesToTheCaller()
    {
        var made = new ConcurrentQueue<Tensor>();
        using var loader = DataLoader.Create(new RangeDataset(10), Recording(made), batchSize: 3);
        Tensor? kept = null;
        foreach (var batch in loader)
        {
            if (kept is null)
                kept = loader.Keep(batch);
        }
        Assert.That(kept!.IsDisposed, Is.False);
        Assert.That(kept.ToArray<int>(), Is.EqualTo(new[] { 0, 1, 2 }));
        kept.Dispose();
        Assert.Throws<InvalidOperationException>(() => loader.Keep(kept));

        var mine = new ConcurrentQueue<Tensor>();
        using var owning = DataLoader.Create(new RangeDataset(10), Recording(mine), batchSize: 3, disposeBatches: false);
        var all = owning.ToList();
        Assert.That(all.Select(t => t.IsDisposed), Has.All.False);
        all.ForEach(t => t.Dispose());
    }

    [Test]
    public void LeavingEarlyDisposesPrefetchedBatchesButNotTheCurrentOne([Values(0, 3)] int workers)
    {
        var made = new ConcurrentQueue<Tensor>();
        using var loader = DataLoader.Create(new RangeDataset(40), Recording(made), batchSize: 2, numWorkers: workers);
        Tensor first = loader.First();
        Assert.That(first.IsDisposed, Is.False, "First() hands the batch to the caller");
        Assert.That(first.ToArray<int>(), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(made.Where(t => !ReferenceEquals(t, first)).Select(t => t.IsDisposed), Has.All.True, "prefetched batches are disposed");
        first.Dispose();
    }

    [Test]
    public void BatchesJoinTheConsumersScope()
    {
        var made = new ConcurrentQueue<Tensor>();
        using var loader = DataLoader.Create(new RangeDataset(10), Recording(made), batchSize: 5, numWorkers: 1);
        Tensor kept;
        using (Torch.NewScope())
        {
            kept = loader.First();
            Assert.That(kept.IsDisposed, Is.False);
        }
        Assert.That(kept.IsDisposed, Is.True, "a batch left behind is freed with the scope");
    }

    [Test]
    public void TemporariesOfAFetchAreDisposed([Values(0, 2)] int workers)
    {
        var temporaries = new ConcurrentQueue<Tensor>();
        using var source = Matrix(8, 2);
        using var dataset = new TemporaryMakingDataset(source, temporaries);
        using var loader = DataLoader.Create(dataset, batchSize: 4, numWorkers: workers);
        foreach (var batch in loader)
            Assert.That(batch.Shape.ToArray(), Is.EqualTo(new long[] { 4, 2 }));
        Assert.That(temporaries, Has.Count.EqualTo(8));
        Assert.That(temporaries.Select(t => t.IsDisposed), Has.All.True);
        Assert.That(source.IsDisposed, Is.False, "tensors made before the fetch are left alone");
    }

    private sealed class TemporaryMakingDataset(Tensor source, ConcurrentQueue<Tensor> temporaries) : Dataset<Tensor>, IDisposable
    {
        public override int Count => (int)source.GetSize(0);

        public override Tensor this[int index]
        {
            get
            {
                var row = source.Select(0, index);
                var doubled = row * 2.0;   // a temporary the dataset does not dispose
                temporaries.Enqueue(doubled);
                return doubled / 2.0;
            }
        }

        public void Dispose() { }
    }
}
