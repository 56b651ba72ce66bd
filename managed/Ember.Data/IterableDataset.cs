using System.Collections;
using System.Collections.Generic;

namespace Ember.Data;

/// <summary>
/// A stream of samples (<c>torch.utils.data.IterableDataset</c>), for data that cannot be indexed:
/// files read line by line, generated data, a queue.
/// </summary>
/// <typeparam name="T">The type of one sample.</typeparam>
/// <remarks>
/// With <c>NumWorkers</c> = N &gt; 0 the loader calls <see cref="GetEnumerator"/> once on each of N
/// worker threads and interleaves their batches in worker order (worker 0, 1, ..., N-1, 0, ...),
/// skipping workers that have finished, as PyTorch does. Without sharding every worker would yield
/// the whole stream: read <see cref="WorkerInfo.Current"/> inside <see cref="GetEnumerator"/> and
/// yield only this worker's share.
/// </remarks>
public abstract class IterableDataset<T> : IEnumerable<T>
{
    /// <summary>Starts a new pass over the samples (<c>__iter__</c>).</summary>
    public abstract IEnumerator<T> GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// What a loader worker is (<c>torch.utils.data.get_worker_info()</c>): available on the worker's
/// thread while it fetches, <c>null</c> elsewhere.
/// </summary>
public sealed class WorkerInfo
{
    [System.ThreadStatic] private static WorkerInfo? t_current;

    internal WorkerInfo(int id, int numWorkers, ulong seed)
    {
        Id = id;
        NumWorkers = numWorkers;
        Seed = seed;
    }

    /// <summary>The worker's index, 0 &lt;= Id &lt; <see cref="NumWorkers"/>.</summary>
    public int Id { get; }

    /// <summary>How many workers the loader runs.</summary>
    public int NumWorkers { get; }

    /// <summary>A seed for this worker: the loader's base seed for this pass plus <see cref="Id"/>.</summary>
    public ulong Seed { get; }

    /// <summary>The worker running on this thread, or <c>null</c> outside loader workers.</summary>
    public static WorkerInfo? Current => t_current;

    internal static void SetCurrent(WorkerInfo? info) => t_current = info;
}
