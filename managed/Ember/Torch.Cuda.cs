using Ember.Interop;

namespace Ember;

/// <summary>What a device's allocator holds (<c>torch.cuda.memory_stats</c>, reduced to its main counters).</summary>
/// <param name="Allocated">Bytes in live tensors.</param>
/// <param name="PeakAllocated">The most bytes allocated at once since the last <see cref="Torch.Cuda.ResetPeakMemoryStats"/>.</param>
/// <param name="Reserved">Bytes taken from the device: allocated plus cached for reuse.</param>
/// <param name="NumAllocs">Allocations served so far.</param>
/// <param name="NumOoms">Allocations that failed even after the cache was freed.</param>
public readonly record struct MemoryStats(long Allocated, long PeakAllocated, long Reserved, long NumAllocs, long NumOoms);

public static partial class Torch
{
    /// <summary>
    /// CUDA devices (<c>torch.cuda</c>). The CUDA backend is the plugin <c>libember_cuda</c>, loaded automatically
    /// when it lies beside the core library (or with <see cref="Backends.Load"/>); without it, or without a GPU and
    /// driver, <see cref="IsAvailable"/> is false and <see cref="Backends.Status"/> says why.
    /// </summary>
    public static unsafe class Cuda
    {
        /// <summary>True when the CUDA backend is loaded and sees at least one GPU (<c>torch.cuda.is_available</c>).</summary>
        public static bool IsAvailable() => EmberNative.IsAvailable(DeviceType.CUDA);

        /// <summary>Number of GPUs the CUDA backend sees (<c>torch.cuda.device_count</c>); 0 without it.</summary>
        public static int DeviceCount() => EmberNative.DeviceCount(DeviceType.CUDA);

        /// <summary>
        /// Waits until the GPU has finished the work queued so far (<c>torch.cuda.synchronize</c>); a fault of an
        /// earlier kernel surfaces here as an exception.
        /// </summary>
        public static void Synchronize(int device = 0) => Errors.Check(NativeMethods.ember_device_synchronize(Device.Cuda(device).ToNative()));

        /// <summary>The calling thread's current stream on a GPU (<c>torch.cuda.current_stream</c>).</summary>
        public static CudaStream CurrentStream(int device = 0)
        {
            ember_stream s;
            Errors.Check(NativeMethods.ember_stream_get_current(Device.Cuda(device).ToNative(), &s));
            return CudaStream.Borrow(Device.Cuda(device), s);
        }

        /// <summary>
        /// Makes <paramref name="stream"/> the calling thread's current stream on its device until the returned scope
        /// is disposed (<c>with torch.cuda.stream(s)</c>): the thread's ops on that device then queue on it. The
        /// current stream belongs to the thread, so dispose the scope on the thread that made it.
        /// </summary>
        public static IDisposable UseStream(CudaStream stream)
        {
            CudaStream previous = CurrentStream(stream.Device.Index);
            SetCurrentStream(stream);
            return new StreamScope(previous);
        }

        private static void SetCurrentStream(CudaStream stream) =>
            Errors.Check(NativeMethods.ember_stream_set_current(stream.Device.ToNative(), stream.Handle));

        private sealed class StreamScope(CudaStream previous) : IDisposable
        {
            private bool _done;

            public void Dispose()
            {
                if (_done)
                    return;
                _done = true;
                SetCurrentStream(previous);
            }
        }

        /// <summary>
        /// Records the calling thread's GPU work on <paramref name="graph"/>'s device into the graph until the returned
        /// scope is disposed (<c>with torch.cuda.graph(g):</c>); then <see cref="CudaGraph.Replay"/> runs it again.
        /// As PyTorch does, it waits for the device, then records on <paramref name="stream"/> (by default a side
        /// stream of the device kept for recordings), which is the current stream inside the scope.
        /// </summary>
        /// <remarks>
        /// <para>Warm up first: run the region two or three times before recording it (PyTorch runs its warm-up on a
        /// side stream too). The first runs make what must exist before a recording: cuBLAS handles and workspaces,
        /// the gradients (<c>ZeroGrad(setToNone: false)</c> keeps them), optimizer state. A recording only queues
        /// work, so the tensors made inside the scope (the loss, the outputs) hold no values until a replay; keep
        /// them, and the inputs the region read, for as long as the graph is replayed.</para>
        /// <code>
        /// using var graph = new CudaGraph();
        /// for (int i = 0; i &lt; 3; i++) Step(staticInput, staticTarget);   // warm-up
        /// Tensor loss;
        /// using (Torch.Cuda.Graph(graph))
        ///     loss = Step(staticInput, staticTarget);
        /// foreach (var (x, y) in loader)
        /// {
        ///     staticInput.Copy_(x); staticTarget.Copy_(y);
        ///     graph.Replay();
        /// }
        /// </code>
        /// <para>A region that throws (for example because it read a value back, which a recording cannot do)
        /// still ends the recording when the scope is disposed; dispose or <see cref="CudaGraph.Reset"/> such a
        /// graph. Dispose the scope on the thread that made it.</para>
        /// </remarks>
        public static IDisposable Graph(CudaGraph graph, CudaStream? stream = null)
        {
            ArgumentNullException.ThrowIfNull(graph);
            int device = graph.Device.Index;
            CudaStream side = stream ?? CaptureStream(device);
            CudaStream previous = CurrentStream(device);
            Synchronize(device);  // the recording starts from an idle device: no earlier work to order it after
            SetCurrentStream(side);
            try
            {
                graph.CaptureBegin();
            }
            catch
            {
                SetCurrentStream(previous);
                throw;
            }
            return new GraphScope(graph, previous);
        }

        private static readonly Dictionary<int, CudaStream> CaptureStreams = [];

        // One recording stream per device for the process, as PyTorch keeps one (never destroyed).
        private static CudaStream CaptureStream(int device)
        {
            lock (CaptureStreams)
            {
                if (!CaptureStreams.TryGetValue(device, out CudaStream? s))
                    CaptureStreams[device] = s = new CudaStream(device);
                return s;
            }
        }

        private sealed class GraphScope(CudaGraph graph, CudaStream previous) : IDisposable
        {
            private bool _done;

            public void Dispose()
            {
                if (_done)
                    return;
                _done = true;
                try
                {
                    graph.CaptureEnd();
                }
                finally
                {
                    SetCurrentStream(previous);
                }
            }
        }

        /// <summary>The caching allocator's counters of a GPU.</summary>
        public static MemoryStats MemoryStats(int device = 0) => Torch.MemoryStats(Device.Cuda(device));

        /// <summary>Bytes in live tensors on the GPU (<c>torch.cuda.memory_allocated</c>).</summary>
        public static long MemoryAllocated(int device = 0) => MemoryStats(device).Allocated;

        /// <summary>The peak of <see cref="MemoryAllocated"/> (<c>torch.cuda.max_memory_allocated</c>).</summary>
        public static long MaxMemoryAllocated(int device = 0) => MemoryStats(device).PeakAllocated;

        /// <summary>Bytes the allocator holds, live or cached (<c>torch.cuda.memory_reserved</c>).</summary>
        public static long MemoryReserved(int device = 0) => MemoryStats(device).Reserved;

        /// <summary>Restarts the peak counter from the bytes allocated now (<c>torch.cuda.reset_peak_memory_stats</c>).</summary>
        public static void ResetPeakMemoryStats(int device = 0) =>
            Errors.Check(NativeMethods.ember_device_reset_peak_memory(Device.Cuda(device).ToNative()));

        /// <summary>Returns cached, unused blocks to the GPU (<c>torch.cuda.empty_cache</c>).</summary>
        public static void EmptyCache(int device = 0) => Errors.Check(NativeMethods.ember_device_empty_cache(Device.Cuda(device).ToNative()));
    }

    /// <summary>The allocator's counters of any device; for the CPU, <c>Reserved</c> includes the freed large blocks it keeps for reuse.</summary>
    public static unsafe MemoryStats MemoryStats(Device device)
    {
        ember_memory_stats s;
        Errors.Check(NativeMethods.ember_device_memory_stats(device.ToNative(), &s));
        return new MemoryStats(s.allocated, s.peak_allocated, s.reserved, s.num_allocs, s.num_ooms);
    }
}
