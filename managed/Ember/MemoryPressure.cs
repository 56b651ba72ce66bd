using Ember.Interop;

namespace Ember;

/// <summary>
/// Keeps tensors that nobody disposed from growing native memory without bound. The GC sees only a
/// tensor's small managed object, so on its own it would not collect them while the engine's memory
/// grows; instead the engine's byte count (<c>ember_cpu_bytes_allocated</c>) is sampled every few tensor
/// creations (every one while tensors are large, at most every 16), and when it exceeds a budget a full
/// collection runs and the finalizers of unreachable tensors are waited for. The budget is set after
/// each such collection like a GC heap budget: what is alive then plus as much again (at least 256 MiB,
/// at most a quarter of the memory available to the process). Cost per op: one decrement.
/// </summary>
/// <remarks>
/// <see cref="GC.AddMemoryPressure"/> was measured and rejected here: called every few ops it made a
/// loop of small forgotten tensors about four times slower and still let a fast loop of large ones
/// outrun the finalizer thread.
/// </remarks>
internal static unsafe class MemoryPressure
{
    // Aim to notice about this many new bytes per sample.
    private const long BytesPerSample = 16L << 20;
    private const int MaxInterval = 16;
    private const long MinHeadroom = 256L << 20;

    private static readonly Lock s_lock = new();
    private static readonly long s_maxHeadroom = Math.Max(MinHeadroom, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);
    private static int s_countdown = 1;
    private static int s_interval = 1;
    private static long s_lastSample;
    private static long s_budget = MinHeadroom;
    private static int s_collecting;

    /// <summary>Called once per new tensor; racy decrements only shift when the next sample happens.</summary>
    public static void OnTensorCreated()
    {
        if (--s_countdown <= 0)
            Sample();
    }

    private static void Sample()
    {
        long bytes = Allocated();
        bool overBudget;
        lock (s_lock)
        {
            // Bytes gained per tensor over the last interval predict the next ones. Shrink the interval
            // at once, grow it by doubling: frees by the finalizer can hide one sample's growth.
            long perTensor = Math.Max(bytes - s_lastSample, 0) / Math.Max(s_interval, 1);
            long target = perTensor <= 0 ? MaxInterval : Math.Clamp(BytesPerSample / perTensor, 1, MaxInterval);
            s_interval = (int)Math.Min(target, 2L * s_interval);
            s_countdown = s_interval;
            s_lastSample = bytes;
            overBudget = bytes > s_budget;
        }
        // One thread collects while the others go on; the finalizer thread never creates tensors.
        if (overBudget && Interlocked.Exchange(ref s_collecting, 1) == 0)
        {
            try
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                long alive = Allocated();
                lock (s_lock)
                {
                    s_lastSample = alive;
                    s_budget = alive + Math.Clamp(alive, MinHeadroom, s_maxHeadroom);
                }
            }
            finally
            {
                Volatile.Write(ref s_collecting, 0);
            }
        }
    }

    private static long Allocated()
    {
        long bytes;
        return NativeMethods.ember_cpu_bytes_allocated(&bytes) == ember_status.EMBER_OK ? bytes : 0;
    }
}
