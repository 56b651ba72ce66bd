using Ember.Interop;

namespace Ember;

/// <summary>
/// A CUDA stream (<c>torch.cuda.Stream</c>): a queue of GPU work that runs in order, alongside other streams.
/// Make it current with <see cref="Torch.Cuda.UseStream"/> so that the thread's ops go to it; order work between
/// streams with <see cref="CudaEvent"/>s or <see cref="WaitStream"/>. A tensor made on one stream and used on
/// another needs <see cref="Tensor.RecordStream"/> before it is disposed.
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private ember_stream _handle;
    private readonly bool _owned;

    /// <summary>Creates a stream on CUDA device <paramref name="device"/>; lower <paramref name="priority"/> runs first (CUDA's rule).</summary>
    public CudaStream(int device = 0, int priority = 0)
    {
        Device = Device.Cuda(device);
        ember_stream s;
        Errors.Check(NativeMethods.ember_stream_create(Device.ToNative(), priority, &s));
        _handle = s;
        _owned = true;
    }

    private CudaStream(Device device, ember_stream handle)
    {
        Device = device;
        _handle = handle;
    }

    /// <summary>The device's default stream (<c>torch.cuda.default_stream</c>).</summary>
    public static CudaStream Default(int device = 0) => new(Device.Cuda(device), default);

    internal static CudaStream Borrow(Device device, ember_stream handle) => new(device, handle);

    /// <summary>The device the stream belongs to.</summary>
    public Device Device { get; }

    /// <summary>True for the device's default stream.</summary>
    public bool IsDefault => _handle.IsNull;

    internal ember_stream Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_owned && _handle.IsNull, this);
            return _handle;
        }
    }

    /// <summary>Waits until everything queued on the stream has finished.</summary>
    public void Synchronize() => Errors.Check(NativeMethods.ember_stream_synchronize(Device.ToNative(), Handle));

    /// <summary>True when everything queued on the stream has finished.</summary>
    public bool Query()
    {
        int done;
        Errors.Check(NativeMethods.ember_stream_query(Device.ToNative(), Handle, &done));
        return done != 0;
    }

    /// <summary>Work queued on this stream from now on waits for the work <paramref name="e"/> recorded.</summary>
    public void WaitEvent(CudaEvent e) => Errors.Check(NativeMethods.ember_stream_wait_event(Device.ToNative(), Handle, e.Handle));

    /// <summary>Work queued on this stream from now on waits for the work queued on <paramref name="other"/> so far.</summary>
    public void WaitStream(CudaStream other)
    {
        using var e = new CudaEvent(device: Device.Index);
        e.Record(other);
        WaitEvent(e);
    }

    /// <summary>Records an event on this stream (a new one unless <paramref name="e"/> is given) and returns it.</summary>
    public CudaEvent RecordEvent(CudaEvent? e = null)
    {
        e ??= new CudaEvent(device: Device.Index);
        e.Record(this);
        return e;
    }

    /// <summary>Destroys a stream this object created; the default and borrowed streams are left alone.</summary>
    public void Dispose()
    {
        if (!_owned || _handle.IsNull)
            return;
        ember_stream h = _handle;
        _handle = default;
        Errors.Check(NativeMethods.ember_stream_destroy(Device.ToNative(), h));
    }

    /// <inheritdoc/>
    public override string ToString() => IsDefault ? $"CudaStream(default, {Device})" : $"CudaStream(0x{_handle.Handle:x}, {Device})";
}

/// <summary>
/// A CUDA event (<c>torch.cuda.Event</c>): a marker in a stream's work, to wait for, to order streams by, or,
/// with timing enabled, to measure GPU time between two of them.
/// </summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private ember_event _handle;

    /// <summary>Creates an event on CUDA device <paramref name="device"/>; <paramref name="enableTiming"/> lets <see cref="ElapsedTime"/> read it.</summary>
    public CudaEvent(bool enableTiming = false, int device = 0)
    {
        Device = Device.Cuda(device);
        ember_event e;
        Errors.Check(NativeMethods.ember_event_create(Device.ToNative(), enableTiming ? 1 : 0, &e));
        _handle = e;
    }

    /// <summary>The device the event belongs to.</summary>
    public Device Device { get; }

    internal ember_event Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsNull, this);
            return _handle;
        }
    }

    /// <summary>Marks the work queued so far on <paramref name="stream"/> (the current stream when null).</summary>
    public void Record(CudaStream? stream = null)
    {
        ember_stream s = stream?.Handle ?? Torch.Cuda.CurrentStream(Device.Index).Handle;
        Errors.Check(NativeMethods.ember_event_record(Device.ToNative(), Handle, s));
    }

    /// <summary>Waits on the host until the recorded work has finished.</summary>
    public void Synchronize() => Errors.Check(NativeMethods.ember_event_synchronize(Device.ToNative(), Handle));

    /// <summary>True when the recorded work has finished (or nothing was recorded).</summary>
    public bool Query()
    {
        int done;
        Errors.Check(NativeMethods.ember_event_query(Device.ToNative(), Handle, &done));
        return done != 0;
    }

    /// <summary>Makes <paramref name="stream"/> (the current stream when null) wait for the recorded work.</summary>
    public void Wait(CudaStream? stream = null) => (stream ?? Torch.Cuda.CurrentStream(Device.Index)).WaitEvent(this);

    /// <summary>Milliseconds of GPU time from this event to <paramref name="end"/>; both need timing enabled and must have completed.</summary>
    public float ElapsedTime(CudaEvent end)
    {
        float ms;
        Errors.Check(NativeMethods.ember_event_elapsed_ms(Device.ToNative(), Handle, end.Handle, &ms));
        return ms;
    }

    /// <summary>Destroys the event.</summary>
    public void Dispose()
    {
        if (_handle.IsNull)
            return;
        ember_event h = _handle;
        _handle = default;
        Errors.Check(NativeMethods.ember_event_destroy(Device.ToNative(), h));
    }
}
