using System.Collections.Concurrent;

namespace Ember.Data.Tests;

/// <summary>Samples (index, a draw from DataGenerator.Current), optionally slow, optionally failing at one index.</summary>
internal sealed class ProbeDataset(int count, int failAt = -1, int maxDelayMs = 0) : Dataset<(int Index, long Draw)>
{
    public override int Count => count;

    public override (int Index, long Draw) this[int index]
    {
        get
        {
            CheckIndex(index);
            if (maxDelayMs > 0)
                Thread.Sleep((index * 7919) % (maxDelayMs + 1)); // uneven delays scramble completion order
            if (index == failAt)
                throw new InvalidOperationException($"sample {index} is broken");
            return (index, DataGenerator.Current.NextInt64(1_000_000));
        }
    }
}

/// <summary>Yields 0..count-1, or only this worker's share (i = id, id + workers, ...) inside loader workers.</summary>
internal sealed class StreamDataset(int count) : IterableDataset<int>
{
    public override IEnumerator<int> GetEnumerator()
    {
        var worker = WorkerInfo.Current;
        int start = worker?.Id ?? 0, step = worker?.NumWorkers ?? 1;
        for (int i = start; i < count; i += step)
            yield return i;
    }
}

public class DataLoaderTests
{
    private static int[][] Run<T>(DataLoader<T, int[]> loader) => [.. loader];

    private static DataLoader<int, int[]> RangeLoader(int n, int batchSize, bool dropLast = false, int workers = 0) =>
        DataLoader.Create<int, int[]>(new RangeDataset(n), s => [.. s], batchSize: batchSize, dropLast: dropLast, numWorkers: workers);

    [Test]
    public void SequentialBatchesAndDropLast([Values(0, 2)] int workers)
    {
        using var loader = RangeLoader(10, 3, workers: workers);
        Assert.That(Run(loader), Is.EqualTo(new[] { new[] { 0, 1, 2 }, [3, 4, 5], [6, 7, 8], [9] }));
        Assert.That(loader.Count, Is.EqualTo(4));
        using var dropping = RangeLoader(10, 3, dropLast: true, workers: workers);
        Assert.That(Run(dropping), Is.EqualTo(new[] { new[] { 0, 1, 2 }, [3, 4, 5], [6, 7, 8] }));
        Assert.That(dropping.Count, Is.EqualTo(3));
        using var empty = RangeLoader(0, 3, workers: workers);
        Assert.That(Run(empty), Is.Empty);
    }

    [Test]
    public void ShuffleIsReproducibleAndNewEachEpoch()
    {
        int[][] Epochs(ulong seed)
        {
            using var loader = DataLoader.Create<int, int[]>(new RangeDataset(20), s => [.. s], batchSize: 20, shuffle: true, generator: new DataGenerator(seed));
            return [.. Enumerable.Range(0, 3).Select(_ => loader.Single())];
        }
        int[][] a = Epochs(8), b = Epochs(8), c = Epochs(9);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a[0], Is.Not.EqualTo(a[1]));
        Assert.That(a[0], Is.Not.EqualTo(c[0]));
        foreach (int[] epoch in a)
            Assert.That(epoch.Order(), Is.EqualTo(Enumerable.Range(0, 20)));
    }

    [Test]
    public void WorkersGiveTheSameBatchesAsTheConsumerThread([Values(1, 2, 3)] int workers, [Values(1, 2)] int prefetch)
    {
        (int, long)[][] Load(int numWorkers)
        {
            using var loader = DataLoader.Create<(int Index, long Draw), (int, long)[]>(
                new ProbeDataset(37, maxDelayMs: 3), s => [.. s], batchSize: 4, shuffle: true,
                generator: new DataGenerator(21), numWorkers: numWorkers, prefetchFactor: prefetch);
            return [.. loader.Concat(loader)]; // two epochs
        }
        var reference = Load(0);
        Assert.That(Load(workers), Is.EqualTo(reference));
        Assert.That(reference.Take(10).SelectMany(b => b).Select(s => s.Item1).Order(), Is.EqualTo(Enumerable.Range(0, 37)));
    }

    [Test]
    public void FetchErrorsReachTheConsumerAtTheirBatch([Values(0, 1, 3)] int workers)
    {
        using var loader = DataLoader.Create<(int Index, long Draw), int[]>(
            new ProbeDataset(30, failAt: 13, maxDelayMs: 2), s => [.. s.Select(x => x.Index)], batchSize: 4, numWorkers: workers);
        var seen = new List<int[]>();
        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var batch in loader)
                seen.Add(batch);
        });
        Assert.That(error!.Message, Is.EqualTo("sample 13 is broken"));
        Assert.That(error.StackTrace, Does.Contain(nameof(ProbeDataset)), "the original stack trace is kept");
        Assert.That(seen, Is.EqualTo(new[] { new[] { 0, 1, 2, 3 }, [4, 5, 6, 7], [8, 9, 10, 11] }));
        // The loader is still usable for a new pass.
        Assert.Throws<InvalidOperationException>(() => loader.ToList());
    }

    [Test]
    public void CancellationStopsThePass([Values(0, 2)] int workers)
    {
        using var loader = DataLoader.Create<(int Index, long Draw), int[]>(
            new ProbeDataset(100, maxDelayMs: 2), s => [.. s.Select(x => x.Index)], batchSize: 5, numWorkers: workers);
        using var cts = new CancellationTokenSource();
        int count = 0;
        Assert.Throws(Is.InstanceOf<OperationCanceledException>(), () =>
        {
            foreach (var _ in loader.Enumerate(cts.Token))
            {
                if (++count == 2)
                    cts.Cancel();
            }
        });
        Assert.That(count, Is.EqualTo(2));
    }

    [Test]
    public void CancellationWhileWaitingStopsTheWorkers()
    {
        var dataset = new SlowDataset(40, delayMs: 100);
        using var loader = DataLoader.Create<int, int[]>(dataset, s => [.. s], batchSize: 1, numWorkers: 2);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(250));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Throws(Is.InstanceOf<OperationCanceledException>(), () => loader.Enumerate(cts.Token).ToList());
        // The whole pass takes 2 s on two workers; the cancelled one ends once the fetches in flight finish.
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)));
        int fetched = dataset.Fetched;
        Thread.Sleep(300);
        Assert.That(dataset.Fetched, Is.EqualTo(fetched), "no worker fetches anything after the pass ended");
        Assert.That(fetched, Is.LessThan(40));
    }

    private sealed class SlowDataset(int count, int delayMs) : Dataset<int>
    {
        private int _fetched;

        public int Fetched => Volatile.Read(ref _fetched);

        public override int Count => count;

        public override int this[int index]
        {
            get
            {
                Thread.Sleep(delayMs);
                Interlocked.Increment(ref _fetched);
                return index;
            }
        }
    }

    [Test]
    public async Task AsyncEnumerationMatchesSync([Values(0, 2)] int workers)
    {
        using var loader = DataLoader.Create<(int Index, long Draw), (int, long)[]>(
            new ProbeDataset(17, maxDelayMs: 2), s => [.. s], batchSize: 3, shuffle: true, generator: new DataGenerator(2), numWorkers: workers);
        var asyncBatches = new List<(int, long)[]>();
        await foreach (var batch in loader)
            asyncBatches.Add(batch);
        var syncLoader = DataLoader.Create<(int Index, long Draw), (int, long)[]>(
            new ProbeDataset(17), s => [.. s], batchSize: 3, shuffle: true, generator: new DataGenerator(2));
        Assert.That(asyncBatches, Is.EqualTo(syncLoader.ToList()));

        using var cts = new CancellationTokenSource();
        int count = 0;
        Assert.ThrowsAsync(Is.InstanceOf<OperationCanceledException>(), async () =>
        {
            await foreach (var _ in loader.WithCancellation(cts.Token))
            {
                if (++count == 1)
                    await cts.CancelAsync();
            }
        });
    }

    [Test]
    public void PrefetchingIsBounded([Values(1, 3)] int workers)
    {
        int produced = 0;
        const int prefetch = 2;
        using var loader = DataLoader.Create<int, int[]>(new RangeDataset(40), s =>
        {
            Interlocked.Increment(ref produced);
            return [.. s];
        }, batchSize: 1, numWorkers: workers, prefetchFactor: prefetch);
        int taken = 0;
        foreach (var _ in loader)
        {
            taken++;
            Thread.Sleep(5);
            Assert.That(Volatile.Read(ref produced), Is.LessThanOrEqualTo(taken + workers * prefetch));
        }
        Assert.That(taken, Is.EqualTo(40));
    }

    [Test]
    public void IterableDatasetBatchesTheStream()
    {
        using var loader = new DataLoader<int, int[]>(new StreamDataset(10), batchSize: 4, collate: s => [.. s]);
        Assert.That(loader.ToArray(), Is.EqualTo(new[] { new[] { 0, 1, 2, 3 }, [4, 5, 6, 7], [8, 9] }));
        using var dropping = new DataLoader<int, int[]>(new StreamDataset(10), batchSize: 4, collate: s => [.. s], dropLast: true);
        Assert.That(dropping.ToArray(), Is.EqualTo(new[] { new[] { 0, 1, 2, 3 }, [4, 5, 6, 7] }));
        Assert.Throws<NotSupportedException>(() => _ = loader.Count);
    }

    [Test]
    public void IterableWorkersInterleaveInWorkerOrder()
    {
        // PyTorch's order for the same sharded stream: worker 0's batch, worker 1's, worker 2's, then
        // round again, skipping workers whose stream has ended.
        using var loader = new DataLoader<int, int[]>(new StreamDataset(8), batchSize: 2, numWorkers: 3, collate: s => [.. s]);
        Assert.That(loader.ToArray(), Is.EqualTo(new[] { new[] { 0, 3 }, [1, 4], [2, 5], [6], [7] }));
        Assert.That(loader.ToArray(), Is.EqualTo(new[] { new[] { 0, 3 }, [1, 4], [2, 5], [6], [7] }), "a second pass starts over");
    }

    [Test]
    public void WorkerInitRunsOnEveryWorkerThread()
    {
        var ids = new ConcurrentBag<int>();
        var infos = new ConcurrentBag<(int, int)>();
        using var loader = DataLoader.Create<int, int[]>(new RangeDataset(12), s =>
        {
            var info = WorkerInfo.Current!;
            infos.Add((info.Id, info.NumWorkers));
            return [.. s];
        }, batchSize: 2, numWorkers: 3, workerInit: id => ids.Add(id));
        Assert.That(loader.ToArray(), Has.Length.EqualTo(6));
        Assert.That(ids.Order(), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(infos.Select(i => i.Item2), Has.All.EqualTo(3));
        Assert.That(WorkerInfo.Current, Is.Null, "no worker info on the consumer's thread");
    }

    [Test]
    public void WorkerInitFailureIsRethrown()
    {
        using var loader = DataLoader.Create<int, int[]>(new RangeDataset(12), s => [.. s], batchSize: 2, numWorkers: 2,
            workerInit: id => throw new FormatException($"init {id} failed"));
        Assert.Throws<FormatException>(() => loader.ToList());
    }

    [Test]
    public void ArgumentsAreCheckedAsInTorch()
    {
        var ds = new RangeDataset(4);
        Func<IReadOnlyList<int>, int[]> collate = s => [.. s];
        Assert.Throws<ArgumentException>(() => new DataLoader<int, int[]>(ds, shuffle: true, sampler: new SequentialSampler(4), collate: collate));
        Assert.Throws<ArgumentException>(() => new DataLoader<int, int[]>(ds, batchSize: 2, batchSampler: [[0, 1]], collate: collate));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<int, int[]>(ds, batchSize: 0, collate: collate));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<int, int[]>(ds, numWorkers: -1, collate: collate));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<int, int[]>(ds, prefetchFactor: 0, collate: collate));
        Assert.Throws<NotSupportedException>(() => new DataLoader<int, string>(ds));
        using var custom = new DataLoader<int, int[]>(ds, batchSampler: [[3, 0], [1]], collate: collate);
        Assert.That(custom.ToArray(), Is.EqualTo(new[] { new[] { 3, 0 }, [1] }));
        Assert.That(custom.Count, Is.EqualTo(2));
        Assert.That(custom.BatchSize, Is.Null);
    }

    [Test]
    public void DisposedLoaderStopsItsPasses()
    {
        var loader = DataLoader.Create<int, int[]>(new RangeDataset(50), s => [.. s], batchSize: 2, numWorkers: 2);
        using var pass = loader.GetEnumerator();
        Assert.That(pass.MoveNext(), Is.True);
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => pass.MoveNext());
        Assert.Throws<ObjectDisposedException>(() => loader.GetEnumerator());
    }
}
