using Ember.Interop;

namespace Ember;

/// <summary>
/// A CUDA graph (<c>torch.cuda.CUDAGraph</c>): the GPU work of a region recorded once, then replayed with a
/// single launch, without the per-op cost on the host. Record with <see cref="Torch.Cuda.Graph"/> (or
/// <see cref="CaptureBegin"/>/<see cref="CaptureEnd"/> on a current stream that is not the default one), then
/// <see cref="Replay"/>.
/// </summary>
/// <remarks>
/// <para>A replay runs the same kernels on the same memory as the recording: it reads the tensors the recording
/// read and writes the tensors it made. Keep those tensors (the static inputs and outputs), copy new inputs into
/// them with <see cref="Tensor.Copy_"/> before each replay, and read results from the outputs after it. Memory
/// the recording allocates comes from a pool of the graph's own and stays reserved for replays until the graph is
/// disposed (<see cref="Reset"/> frees it too); tensors from it that are still alive keep their memory.</para>
/// <para>Nothing executes while recording, so work that waits for the GPU on the host (reading a value with
/// <c>Item</c> or <c>ToArray</c>, <c>Cpu()</c>, <see cref="Torch.Cuda.Synchronize"/>, uploading CPU data) throws
/// <see cref="EmberBackendException"/> there and leaves the recording intact. Random ops replay the numbers of
/// the recording. The graph is for one thread at a time; end a capture on the thread that began it.</para>
/// </remarks>
public sealed unsafe class CudaGraph : IDisposable
{
    private ember_cuda_graph _handle;

    /// <summary>Creates an empty graph for CUDA device <paramref name="device"/>.</summary>
    /// <exception cref="DeviceException">No CUDA device is available (no plugin, driver or GPU).</exception>
    public CudaGraph(int device = 0)
    {
        Device = Device.Cuda(device);
        if (!Torch.Cuda.IsAvailable())
        {
            string why = string.Join("; ", Torch.Backends.Status.Where(s => !s.Loaded).Select(s => $"{s.Name}: {s.Error}"));
            throw new DeviceException($"CudaGraph: CUDA graphs need a GPU, and no CUDA device is available ({(why.Length > 0 ? why : "the libember_cuda plugin is not loaded")})");
        }
        ember_cuda_graph g;
        Errors.Check(NativeMethods.ember_cuda_graph_create(Device.ToNative(), &g));
        _handle = g;
    }

    /// <summary>The device whose work the graph records.</summary>
    public Device Device { get; }

    private ember_cuda_graph Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsNull, this);
            return _handle;
        }
    }

    /// <summary>
    /// Starts recording the calling thread's current stream of <see cref="Device"/> (<c>capture_begin</c>), which must
    /// not be the default stream. Allocations on that stream come from the graph's pool from now on.
    /// </summary>
    public void CaptureBegin() => Errors.Check(NativeMethods.ember_cuda_graph_capture_begin(Handle));

    /// <summary>Ends the recording and prepares the graph for <see cref="Replay"/> (<c>capture_end</c>).</summary>
    public void CaptureEnd() => Errors.Check(NativeMethods.ember_cuda_graph_capture_end(Handle));

    /// <summary>Queues the recorded work on the current stream and returns at once (<c>replay</c>).</summary>
    public void Replay() => Errors.Check(NativeMethods.ember_cuda_graph_replay(Handle));

    /// <summary>Drops the recording and frees its pool, so that the graph can record again (<c>reset</c>).</summary>
    public void Reset() => Errors.Check(NativeMethods.ember_cuda_graph_reset(Handle));

    /// <summary>Frees the graph; its pool's memory returns to the GPU once the tensors made from it are disposed.</summary>
    public void Dispose()
    {
        if (_handle.IsNull)
            return;
        Errors.Check(NativeMethods.ember_cuda_graph_destroy(_handle));
        _handle = default;
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees a graph nobody disposed (its status is ignored: there is no one to tell).</summary>
    ~CudaGraph()
    {
        if (!_handle.IsNull)
            NativeMethods.ember_cuda_graph_destroy(_handle);
    }
}
