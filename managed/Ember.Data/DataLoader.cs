using System.Collections;
using System.Runtime.CompilerServices;

namespace Ember.Data;

/// <summary>
/// Iterates over a dataset in batches (<c>torch.utils.data.DataLoader</c>): sampling, batching,
/// collating and, with <see cref="NumWorkers"/> &gt; 0, loading on background threads ahead of the
/// training step.
/// </summary>
/// <typeparam name="T">The type of one sample.</typeparam>
/// <typeparam name="TBatch">The type of one batch, e.g. <c>(Tensor Images, Tensor Labels)</c>.</typeparam>
/// <remarks>
/// <para><b>Order.</b> Batches come in sampler order whatever <see cref="NumWorkers"/> is: workers
/// fetch batches in parallel and the loader hands them over in sequence. A shuffled order comes from
/// the loader's <see cref="DataGenerator"/>: the same seed gives the same epochs, and every pass
/// draws a new order (see <see cref="DataGenerator"/> for how this differs from PyTorch's stream).
/// Random transforms that draw from <see cref="DataGenerator.Current"/> get a generator seeded from
/// the pass and the batch index, so their results do not depend on <see cref="NumWorkers"/> either.</para>
/// <para><b>Batch lifetime.</b> The loader owns the batches it hands out. It disposes a batch's
/// tensors when the loop asks for the next batch or reaches the end; to keep a batch beyond that,
/// call <see cref="Keep"/> on it (or <see cref="Tensor.Clone"/> what you need), or create the
/// loader with <c>disposeBatches: false</c> and dispose batches yourself. A handed-out batch joins
/// the consumer's current <see cref="TensorScope"/>, if any, so a batch still current when a loop is
/// left early (<c>break</c>, an exception, <c>First()</c>) is freed with that scope, or otherwise
/// belongs to the caller. Tensors created while a batch is fetched that are not part of it (the
/// samples, temporaries of transforms) are disposed once the batch is built: a dataset that keeps
/// tensors across calls creates them beforehand.</para>
/// <para><b>Errors and cancellation.</b> An exception thrown while fetching a batch, on a worker or not,
/// is rethrown by the consumer when it reaches that batch, and ends the pass. Iterating with a
/// <see cref="CancellationToken"/> (<see cref="Enumerate"/>, or <c>await foreach</c> with
/// <see cref="WithCancellation"/>) throws <see cref="OperationCanceledException"/> once it is cancelled
/// and the fetches in flight have finished (a fetch itself is not interrupted).
/// Disposing the enumerator (which <c>foreach</c> does) or the loader stops the workers, waits for
/// them and disposes every batch not handed out.</para>
/// <para><b>Threads.</b> With workers the dataset's indexer (or an iterable dataset's enumerators) and
/// the collate function run on several threads at once. Each pass starts its own worker threads;
/// they never see the consumer's tensor scope.</para>
/// </remarks>
public sealed class DataLoader<T, TBatch> : IEnumerable<TBatch>, IDisposable
{
    private readonly Dataset<T>? _dataset;
    private readonly IterableDataset<T>? _iterable;
    private readonly Func<IReadOnlyList<T>, TBatch> _collate;
    private readonly Func<TBatch, TBatch>? _pin;
    private readonly bool _customCollate;
    private readonly Lock _lock = new();
    private readonly List<BatchIterator> _active = [];
    private bool _disposed;

    /// <summary>Creates a loader over a map-style dataset.</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="shuffle">Visit the samples in a new random order every pass.</param>
    /// <param name="sampler">The order of the indices; excludes <paramref name="shuffle"/>.</param>
    /// <param name="batchSampler">Yields whole batches of indices; excludes batchSize, shuffle, sampler and dropLast.</param>
    /// <param name="numWorkers">Background threads that fetch batches; 0 fetches on the consumer's thread.</param>
    /// <param name="collate">Builds a batch from a list of samples; <see cref="Collate.Default{T,TBatch}"/> when null.</param>
    /// <param name="dropLast">Drop the last batch when it is incomplete.</param>
    /// <param name="generator">Source of the shuffled orders and per-pass seeds; <see cref="DataGenerator.Default"/> when null.</param>
    /// <param name="prefetchFactor">Batches each worker prepares ahead (2 by default).</param>
    /// <param name="workerInit">Runs on each worker thread before it fetches anything, with the worker's id (<c>worker_init_fn</c>).</param>
    /// <param name="disposeBatches">Dispose each batch when the loop moves on (see the remarks).</param>
    /// <param name="pinMemory">Copy each batch's tensors into pinned memory where the batch is fetched (see <see cref="PinMemory"/>).</param>
    /// <exception cref="ArgumentException">An argument is out of range or the arguments conflict, as in PyTorch.</exception>
    /// <exception cref="NotSupportedException">No collate function is given and the default one does not handle the types,
    /// or <paramref name="pinMemory"/> is asked for a batch type the loader cannot pin.</exception>
    /// <exception cref="DeviceException"><paramref name="pinMemory"/> is asked for and no CUDA device is available.</exception>
    public DataLoader(
        Dataset<T> dataset, int batchSize = 1, bool shuffle = false, Sampler? sampler = null,
        IEnumerable<int[]>? batchSampler = null, int numWorkers = 0, Func<IReadOnlyList<T>, TBatch>? collate = null,
        bool dropLast = false, DataGenerator? generator = null, int prefetchFactor = 2,
        Action<int>? workerInit = null, bool disposeBatches = true, bool pinMemory = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        CheckCommon(batchSize, numWorkers, prefetchFactor);
        if (sampler is not null && shuffle)
            throw new ArgumentException("DataLoader: sampler option is mutually exclusive with shuffle.", nameof(sampler));
        if (batchSampler is not null && (batchSize != 1 || shuffle || sampler is not null || dropLast))
            throw new ArgumentException("DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast.", nameof(batchSampler));
        _dataset = dataset;
        Generator = generator;
        Sampler = sampler ?? (shuffle ? new RandomSampler(dataset.Count, generator: generator) : new SequentialSampler(dataset.Count));
        BatchSampler = batchSampler ?? new BatchSampler(Sampler, batchSize, dropLast);
        BatchSize = batchSampler is null ? batchSize : null;
        DropLast = dropLast;
        NumWorkers = numWorkers;
        PrefetchFactor = prefetchFactor;
        WorkerInit = workerInit;
        DisposeBatches = disposeBatches;
        PinMemory = pinMemory;
        _pin = PinFunction(pinMemory);
        _customCollate = collate is not null;
        _collate = collate ?? DefaultCollate(dataset);
    }

    /// <summary>Creates a loader over an iterable dataset (no sampler: the dataset decides the order).</summary>
    /// <param name="dataset">The dataset.</param>
    /// <param name="batchSize">Samples per batch.</param>
    /// <param name="numWorkers">Background threads, each running its own pass over the dataset (see <see cref="IterableDataset{T}"/>).</param>
    /// <param name="collate">Builds a batch from a list of samples; <see cref="Collate.Default{T,TBatch}"/> when null.</param>
    /// <param name="dropLast">Drop each stream's last batch when it is incomplete.</param>
    /// <param name="generator">Source of the per-pass seeds; <see cref="DataGenerator.Default"/> when null.</param>
    /// <param name="prefetchFactor">Batches each worker prepares ahead (2 by default).</param>
    /// <param name="workerInit">Runs on each worker thread before it fetches anything, with the worker's id.</param>
    /// <param name="disposeBatches">Dispose each batch when the loop moves on (see the remarks).</param>
    /// <param name="pinMemory">Copy each batch's tensors into pinned memory where the batch is fetched (see <see cref="PinMemory"/>).</param>
    public DataLoader(
        IterableDataset<T> dataset, int batchSize = 1, int numWorkers = 0, Func<IReadOnlyList<T>, TBatch>? collate = null,
        bool dropLast = false, DataGenerator? generator = null, int prefetchFactor = 2,
        Action<int>? workerInit = null, bool disposeBatches = true, bool pinMemory = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        CheckCommon(batchSize, numWorkers, prefetchFactor);
        _iterable = dataset;
        Generator = generator;
        BatchSize = batchSize;
        DropLast = dropLast;
        NumWorkers = numWorkers;
        PrefetchFactor = prefetchFactor;
        WorkerInit = workerInit;
        DisposeBatches = disposeBatches;
        PinMemory = pinMemory;
        _pin = PinFunction(pinMemory);
        _customCollate = collate is not null;
        _collate = collate ?? Collate.Default<T, TBatch>();
    }

    /// <summary>The map-style dataset, or null for an iterable one.</summary>
    public Dataset<T>? Dataset => _dataset;

    /// <summary>The iterable dataset, or null for a map-style one.</summary>
    public IterableDataset<T>? IterableDataset => _iterable;

    /// <summary>Samples per batch; null when a batch sampler was given.</summary>
    public int? BatchSize { get; }

    /// <summary>Whether an incomplete last batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Background threads fetching batches; 0 fetches on the consumer's thread.</summary>
    public int NumWorkers { get; }

    /// <summary>Batches each worker prepares ahead.</summary>
    public int PrefetchFactor { get; }

    /// <summary>Runs on each worker thread when it starts, with the worker's id.</summary>
    public Action<int>? WorkerInit { get; }

    /// <summary>Whether the loader disposes each batch when the loop moves on.</summary>
    public bool DisposeBatches { get; }

    /// <summary>
    /// Whether each batch's tensors are copied into pinned (page-locked) memory on the thread that fetches the batch
    /// (<c>pin_memory</c>), so that <c>batch.To(device, nonBlocking: true)</c> uploads it without waiting. Unlike
    /// PyTorch, which warns and goes on unpinned, a loader asked to pin on a machine without a CUDA device throws at
    /// creation. Tensors a collate function put on a GPU stay there.
    /// </summary>
    public bool PinMemory { get; }

    /// <summary>The generator given at construction, if any.</summary>
    public DataGenerator? Generator { get; }

    /// <summary>The index sampler of a map-style loader (null for an iterable dataset or a given batch sampler).</summary>
    public Sampler? Sampler { get; }

    /// <summary>The batches of indices of a map-style loader.</summary>
    public IEnumerable<int[]>? BatchSampler { get; }

    /// <summary>Batches per pass (<c>len(loader)</c>).</summary>
    /// <exception cref="NotSupportedException">The dataset is iterable, or the batch sampler has no known length.</exception>
    public int Count => BatchSampler switch
    {
        BatchSampler b => b.Count,
        IReadOnlyCollection<int[]> c => c.Count,
        null => throw new NotSupportedException("DataLoader.Count: an iterable dataset has no known number of batches."),
        _ => throw new NotSupportedException("DataLoader.Count: the batch sampler has no known length."),
    };

    /// <summary>Starts a pass; <c>foreach</c> calls this.</summary>
    public IEnumerator<TBatch> GetEnumerator() => Start(CancellationToken.None);

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>A pass that stops with <see cref="OperationCanceledException"/> once <paramref name="cancellationToken"/> is cancelled.</summary>
    public IEnumerable<TBatch> Enumerate(CancellationToken cancellationToken)
    {
        using var iterator = Start(cancellationToken);
        while (iterator.MoveNext())
            yield return iterator.Current;
    }

    /// <summary>Starts a pass for <c>await foreach</c>: waiting for a batch does not block the thread.</summary>
    /// <remarks>
    /// The loader is not itself an <see cref="IAsyncEnumerable{T}"/>, so that LINQ calls on it
    /// (<c>loader.Select(...)</c>) are not ambiguous between <see cref="Enumerable"/> and
    /// <see cref="AsyncEnumerable"/>; <c>await foreach</c> finds this method by name, and
    /// <see cref="AsAsyncEnumerable"/> gives the interface.
    /// </remarks>
    public IAsyncEnumerator<TBatch> GetAsyncEnumerator(CancellationToken cancellationToken = default) => Start(cancellationToken);

    /// <summary>The loader as an <see cref="IAsyncEnumerable{T}"/>, for async LINQ.</summary>
    public IAsyncEnumerable<TBatch> AsAsyncEnumerable() => new AsyncView(this);

    /// <summary><c>await foreach (var batch in loader.WithCancellation(token))</c>: a pass that stops once the token is cancelled.</summary>
    public ConfiguredCancelableAsyncEnumerable<TBatch> WithCancellation(CancellationToken cancellationToken) =>
        AsAsyncEnumerable().WithCancellation(cancellationToken);

    private sealed class AsyncView(DataLoader<T, TBatch> loader) : IAsyncEnumerable<TBatch>
    {
        public IAsyncEnumerator<TBatch> GetAsyncEnumerator(CancellationToken cancellationToken = default) => loader.Start(cancellationToken);
    }

    /// <summary>
    /// Keeps <paramref name="batch"/>, the current batch of a pass over this loader, from being
    /// disposed when the loop moves on; the caller (or its tensor scope) owns it from now on.
    /// </summary>
    /// <returns>The batch.</returns>
    /// <exception cref="InvalidOperationException">The batch is not the current batch of a pass of this loader.</exception>
    public TBatch Keep(TBatch batch)
    {
        lock (_lock)
        {
            foreach (var iterator in _active)
            {
                if (iterator.TryKeep(batch))
                    return batch;
            }
        }
        throw new InvalidOperationException("DataLoader.Keep: the batch is not the current batch of a pass over this loader; it may already have been disposed.");
    }

    /// <summary>Stops every pass in progress: their workers end and unconsumed batches are disposed.</summary>
    public void Dispose()
    {
        BatchIterator[] active;
        lock (_lock)
        {
            _disposed = true;
            active = [.. _active];
        }
        foreach (var iterator in active)
            iterator.Abort();
    }

    private static Func<TBatch, TBatch>? PinFunction(bool pinMemory)
    {
        if (!pinMemory)
            return null;
        Func<TBatch, TBatch> pin = PinnedBatches.For<TBatch>();
        if (!Torch.Cuda.IsAvailable())
            throw new DeviceException(
                "DataLoader: pinMemory needs a CUDA device (pinned memory comes from the CUDA backend), and none is available; " +
                "create the loader with pinMemory: false on this machine (Torch.Backends.Status says why CUDA is missing).");
        return pin;
    }

    private static void CheckCommon(int batchSize, int numWorkers, int prefetchFactor)
    {
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "DataLoader: batchSize must be positive.");
        if (numWorkers < 0)
            throw new ArgumentOutOfRangeException(nameof(numWorkers), numWorkers, "DataLoader: numWorkers option should be non-negative.");
        if (prefetchFactor <= 0)
            throw new ArgumentOutOfRangeException(nameof(prefetchFactor), prefetchFactor, "DataLoader: prefetchFactor must be positive.");
    }

    /// <summary>The default collate, unless the dataset builds whole batches of this type itself: then
    /// the collate is only the fallback and must not fail at construction.</summary>
    private static Func<IReadOnlyList<T>, TBatch> DefaultCollate(Dataset<T> dataset)
    {
        try
        {
            return Collate.Default<T, TBatch>();
        }
        catch (NotSupportedException) when (dataset is IBatchedDataset)
        {
            return _ => throw new NotSupportedException(
                $"DataLoader: {dataset.GetType().Name} could not build a batch of type {typeof(TBatch)} and the default collate cannot either; pass a collate function.");
        }
    }

    private BatchIterator Start(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            // A new seed per pass, drawn before the sampler draws its order (as PyTorch's base_seed).
            ulong baseSeed = (Generator ?? DataGenerator.Default).NextUInt64();
            BatchIterator iterator = _iterable is not null
                ? new IterableIterator(this, baseSeed, cancellationToken)
                : new MapIterator(this, baseSeed, cancellationToken);
            _active.Add(iterator);
            return iterator;
        }
    }

    private void OnFinished(BatchIterator iterator)
    {
        lock (_lock)
            _active.Remove(iterator);
    }

    /// <summary>Builds one batch inside its own tensor scope, so that everything but the batch is freed.</summary>
    private TBatch Fetch(DataGenerator generator, Func<TBatch> build)
    {
        using var useGenerator = DataGenerator.Use(generator);
        using var scope = Torch.NewScope();
        TBatch batch = build();
        if (_pin is not null)
            batch = _pin(batch);  // the unpinned tensors go with the scope
        BatchTensors.ForEach(batch, static t => t.DetachFromScope());
        return batch;
    }

    private TBatch FetchMap(ReadOnlySpan<int> indices, ulong baseSeed, long batchIndex)
    {
        int[] copy = indices.ToArray();
        return Fetch(DataGenerator.Derive(baseSeed, batchIndex), () =>
        {
            if (!_customCollate && _dataset is IBatchedDataset batched && batched.TryGetBatch(copy, out TBatch batch))
                return batch;
            var samples = new T[copy.Length];
            for (int k = 0; k < copy.Length; k++)
                samples[k] = _dataset![copy[k]];
            return _collate(samples);
        });
    }

    /// <summary>One result slot: a batch, the end of the pass, or the error that ended it.</summary>
    private readonly record struct Slot(TBatch? Batch, System.Runtime.ExceptionServices.ExceptionDispatchInfo? Error, bool End)
    {
        public static Slot Done => new(default, null, true);
        public static Slot Of(TBatch batch) => new(batch, null, false);
        public static Slot Fail(Exception e) => new(default, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e), false);
    }

    /// <summary>
    /// One pass. The consumer takes slots 0, 1, 2, ... in order; producers (the consumer itself, or
    /// worker threads) fill them. The base class owns the handover, batch disposal, Keep and shutdown.
    /// </summary>
    private abstract class BatchIterator : IEnumerator<TBatch>, IAsyncEnumerator<TBatch>
    {
        protected readonly DataLoader<T, TBatch> Loader;
        protected readonly ulong BaseSeed;
        protected readonly CancellationToken StopToken;
        private readonly CancellationTokenSource _stop;
        private readonly CancellationToken _userToken;
        private readonly Dictionary<long, TaskCompletionSource<Slot>> _slots = [];
        private readonly Lock _slotLock = new();
        private readonly List<Thread> _workers = [];
        private Slot? _fatal;
        private TBatch? _current;
        private bool _hasCurrent;
        private bool _keepCurrent;
        private bool _finished;
        private int _disposed;
        private int _aborted;
        private int _shutDown;

        protected BatchIterator(DataLoader<T, TBatch> loader, ulong baseSeed, CancellationToken token)
        {
            Loader = loader;
            BaseSeed = baseSeed;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(token);
            StopToken = _stop.Token;
            _userToken = token;
        }

        public TBatch Current => _hasCurrent ? _current! : throw new InvalidOperationException("DataLoader: there is no current batch.");

        object? IEnumerator.Current => Current;

        public bool MoveNext() => MoveNextCore(synchronous: true).GetAwaiter().GetResult();

        public ValueTask<bool> MoveNextAsync() => MoveNextCore(synchronous: false);

        public void Reset() => throw new NotSupportedException("DataLoader: start a new pass instead of resetting one.");

        private async ValueTask<bool> MoveNextCore(bool synchronous)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            ReleaseCurrent();
            if (Volatile.Read(ref _aborted) != 0)
                throw LoaderDisposed();
            if (_finished)
                return false;
            Slot slot;
            try
            {
                _userToken.ThrowIfCancellationRequested();
                slot = await NextSlot(synchronous).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (Volatile.Read(ref _aborted) != 0 && !_userToken.IsCancellationRequested)
            {
                throw LoaderDisposed();
            }
            catch
            {
                Finish();
                throw;
            }
            if (slot.End)
            {
                Finish();
                return false;
            }
            if (slot.Error is not null)
            {
                Finish();
                slot.Error.Throw();
            }
            _current = slot.Batch;
            _hasCurrent = true;
            _keepCurrent = !Loader.DisposeBatches;
            // The batch joins the consumer's scope, so that a batch left behind by an early exit is freed with it.
            if (TensorScope.Current is { } scope)
                BatchTensors.ForEach(_current, t => scope.Attach(t));
            return true;
        }

        private static ObjectDisposedException LoaderDisposed() =>
            new(typeof(DataLoader<T, TBatch>).Name, "DataLoader: the pass was stopped because the loader was disposed.");

        /// <summary>Produces or waits for the next slot.</summary>
        protected abstract ValueTask<Slot> NextSlot(bool synchronous);

        /// <summary>Marks the current batch as kept when it is <paramref name="batch"/>.</summary>
        public bool TryKeep(TBatch batch)
        {
            if (!_hasCurrent || !EqualityComparer<TBatch>.Default.Equals(_current!, batch))
                return false;
            _keepCurrent = true;
            return true;
        }

        private void ReleaseCurrent()
        {
            if (!_hasCurrent)
                return;
            if (!_keepCurrent)
                BatchTensors.Dispose(_current);
            _current = default;
            _hasCurrent = false;
        }

        /// <summary>Starts a worker thread that does not inherit the consumer's execution context (its tensor scope).</summary>
        protected void StartWorker(int id, Action<int> body)
        {
            var thread = new Thread(() =>
            {
                try
                {
                    Loader.WorkerInit?.Invoke(id);
                    body(id);
                }
                catch (Exception e)
                {
                    Fail(e);
                }
                finally
                {
                    WorkerInfo.SetCurrent(null);
                }
            })
            {
                IsBackground = true,
                Name = $"Ember DataLoader worker {id}",
            };
            _workers.Add(thread);
            thread.UnsafeStart();
        }

        private TaskCompletionSource<Slot> SlotAtLocked(long index)
        {
            if (!_slots.TryGetValue(index, out var tcs))
            {
                tcs = new TaskCompletionSource<Slot>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_fatal is { } fatal)
                    tcs.SetResult(fatal);
                _slots[index] = tcs;
            }
            return tcs;
        }

        /// <summary>Fills a slot; returns false (and disposes the batch) once the pass is shut down.</summary>
        protected bool Publish(long index, Slot slot)
        {
            lock (_slotLock)
            {
                if (Volatile.Read(ref _shutDown) == 0 && SlotAtLocked(index).TrySetResult(slot))
                    return true;
            }
            BatchTensors.Dispose(slot.Batch);
            return false;
        }

        /// <summary>A failure outside any batch (a worker's init): every slot waited for from now on fails with it.</summary>
        private void Fail(Exception e)
        {
            var slot = Slot.Fail(e);
            lock (_slotLock)
            {
                _fatal ??= slot;
                foreach (var pending in _slots.Values)
                    pending.TrySetResult(slot);
            }
        }

        /// <summary>Takes the slot at <paramref name="index"/>, waiting until it is filled.</summary>
        protected async ValueTask<Slot> Take(long index, bool synchronous)
        {
            Task<Slot> task;
            lock (_slotLock)
                task = SlotAtLocked(index).Task;
            Slot slot;
            if (synchronous)
            {
                task.Wait(Timeout.Infinite, StopToken);
                slot = task.Result;
            }
            else
            {
                slot = await task.WaitAsync(StopToken).ConfigureAwait(false);
            }
            lock (_slotLock)
                _slots.Remove(index);
            return slot;
        }

        private void Finish()
        {
            _finished = true;
            Shutdown();
        }

        /// <summary>Stops the loader's pass from another thread (the loader is being disposed).</summary>
        public void Abort()
        {
            Volatile.Write(ref _aborted, 1);
            Shutdown();
        }

        /// <summary>Stops the workers, waits for them and disposes what they produced that was not handed out. Runs once.</summary>
        private void Shutdown()
        {
            if (Interlocked.Exchange(ref _shutDown, 1) != 0)
                return;
            _stop.Cancel();
            foreach (var worker in _workers)
                worker.Join();
            lock (_slotLock)
            {
                foreach (var tcs in _slots.Values)
                {
                    if (tcs.Task.IsCompletedSuccessfully)
                        BatchTensors.Dispose(tcs.Task.Result.Batch);
                }
                _slots.Clear();
            }
            OnShutdown();
            Loader.OnFinished(this);
            _stop.Dispose();
        }

        /// <summary>Releases what a subclass holds once its workers have stopped.</summary>
        protected abstract void OnShutdown();

        /// <summary>Ends the pass; a batch still current stays with the caller (and its scope).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            Shutdown();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A pass over a map-style dataset: batches of indices from the batch sampler.</summary>
    private sealed class MapIterator : BatchIterator
    {
        private readonly IEnumerator<int[]> _batches;
        private readonly Lock _samplerLock = new();
        private readonly SemaphoreSlim? _budget;
        private long _nextToAssign;
        private long _nextToTake;
        private bool _exhausted;

        public MapIterator(DataLoader<T, TBatch> loader, ulong baseSeed, CancellationToken token) : base(loader, baseSeed, token)
        {
            _batches = loader.BatchSampler!.GetEnumerator();
            int workers = loader.NumWorkers;
            if (workers == 0)
                return;
            _budget = new SemaphoreSlim(workers * loader.PrefetchFactor);
            for (int w = 0; w < workers; w++)
                StartWorker(w, Work);
        }

        protected override ValueTask<Slot> NextSlot(bool synchronous)
        {
            if (_budget is null)
            {
                // No workers: fetch on the consumer's thread; an error propagates as it is.
                if (!_batches.MoveNext())
                    return ValueTask.FromResult(Slot.Done);
                return ValueTask.FromResult(Slot.Of(Loader.FetchMap(_batches.Current, BaseSeed, _nextToTake++)));
            }
            return TakeAndRelease(synchronous);
        }

        private async ValueTask<Slot> TakeAndRelease(bool synchronous)
        {
            Slot slot = await Take(_nextToTake, synchronous).ConfigureAwait(false);
            _nextToTake++;
            _budget!.Release();
            return slot;
        }

        private void Work(int id)
        {
            WorkerInfo.SetCurrent(new WorkerInfo(id, Loader.NumWorkers, BaseSeed + (ulong)id));
            try
            {
                while (true)
                {
                    _budget!.Wait(StopToken);
                    long index;
                    int[] indices;
                    lock (_samplerLock)
                    {
                        if (_exhausted)
                            return;
                        index = _nextToAssign++;
                        try
                        {
                            if (!_batches.MoveNext())
                            {
                                _exhausted = true;
                                Publish(index, Slot.Done);
                                return;
                            }
                            indices = _batches.Current;
                        }
                        catch (Exception e)
                        {
                            _exhausted = true;
                            Publish(index, Slot.Fail(e));
                            return;
                        }
                    }
                    Slot slot;
                    try
                    {
                        slot = Slot.Of(Loader.FetchMap(indices, BaseSeed, index));
                    }
                    catch (Exception e)
                    {
                        slot = Slot.Fail(e);
                    }
                    if (!Publish(index, slot))
                        return;
                }
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
            }
        }

        protected override void OnShutdown()
        {
            _batches.Dispose();
            _budget?.Dispose();
        }
    }

    /// <summary>
    /// A pass over an iterable dataset. Without workers the consumer reads the stream; with N workers
    /// each reads its own stream and the consumer takes batches from workers 0..N-1 in turn, skipping
    /// those that have ended (PyTorch's order).
    /// </summary>
    private sealed class IterableIterator : BatchIterator
    {
        private readonly IEnumerator<T>? _stream;
        private readonly SemaphoreSlim[] _budgets = [];
        private readonly List<int> _live = [];
        private readonly long[] _taken = [];
        private int _turn;
        private long _localBatch;

        public IterableIterator(DataLoader<T, TBatch> loader, ulong baseSeed, CancellationToken token) : base(loader, baseSeed, token)
        {
            int workers = loader.NumWorkers;
            if (workers == 0)
            {
                _stream = loader._iterable!.GetEnumerator();
                return;
            }
            _budgets = new SemaphoreSlim[workers];
            _taken = new long[workers];
            for (int w = 0; w < workers; w++)
            {
                _budgets[w] = new SemaphoreSlim(loader.PrefetchFactor);
                _live.Add(w);
            }
            for (int w = 0; w < workers; w++)
                StartWorker(w, Work);
        }

        private long Key(int worker, long k) => k * _budgets.Length + worker;

        protected override async ValueTask<Slot> NextSlot(bool synchronous)
        {
            if (_stream is not null)
                return ReadBatch(_stream, DataGenerator.Derive(BaseSeed, _localBatch++));
            while (_live.Count > 0)
            {
                _turn %= _live.Count;
                int worker = _live[_turn];
                Slot slot = await Take(Key(worker, _taken[worker]), synchronous).ConfigureAwait(false);
                _taken[worker]++;
                _budgets[worker].Release();
                if (slot.End)
                {
                    _live.RemoveAt(_turn); // the next worker moves into this turn
                    continue;
                }
                _turn++;
                return slot;
            }
            return Slot.Done;
        }

        /// <summary>Reads up to a batch of samples from a stream and collates them; Done at the end.</summary>
        private Slot ReadBatch(IEnumerator<T> stream, DataGenerator generator)
        {
            bool end = false;
            TBatch batch = Loader.Fetch(generator, () =>
            {
                var samples = new List<T>(Loader.BatchSize!.Value);
                while (samples.Count < Loader.BatchSize && stream.MoveNext())
                    samples.Add(stream.Current);
                if (samples.Count == 0 || (Loader.DropLast && samples.Count < Loader.BatchSize))
                {
                    end = true;
                    return default!;
                }
                return Loader._collate(samples);
            });
            return end ? Slot.Done : Slot.Of(batch);
        }

        private void Work(int id)
        {
            WorkerInfo.SetCurrent(new WorkerInfo(id, Loader.NumWorkers, BaseSeed + (ulong)id));
            long k = 0;
            try
            {
                using var stream = Loader._iterable!.GetEnumerator();
                while (true)
                {
                    _budgets[id].Wait(StopToken);
                    Slot slot;
                    try
                    {
                        slot = ReadBatch(stream, DataGenerator.Derive(BaseSeed + (ulong)id, k));
                    }
                    catch (Exception e)
                    {
                        slot = Slot.Fail(e);
                    }
                    if (!Publish(Key(id, k++), slot) || slot.End || slot.Error is not null)
                        return;
                }
            }
            catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                Publish(Key(id, k), Slot.Fail(e)); // GetEnumerator or Dispose of the stream failed
            }
        }

        protected override void OnShutdown()
        {
            _stream?.Dispose();
            foreach (var budget in _budgets)
                budget.Dispose();
        }
    }
}
