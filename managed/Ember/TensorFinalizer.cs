using Ember.Interop;

namespace Ember;

/// <summary>
/// The safety net of an undisposed <see cref="Tensor"/>: a finalizable object that the tensor alone refers to, so
/// that when a forgotten tensor becomes unreachable its finalizer releases the native reference.
/// </summary>
/// <remarks>
/// Registering an object for finalization is the expensive part of allocating one (about 85 ns here, far more than
/// the rest of a small op's managed cost), so the finalizers of disposed tensors are reused rather than made anew:
/// <see cref="Tensor.Dispose"/> clears the handle and puts the object back in the pool, still registered,
/// and the next tensor takes it. A pooled object holds no handle, so its finalizer would do nothing.
/// </remarks>
internal sealed class TensorFinalizer
{
    // Enough for the temporaries of a training step's worth of small ops; more are dropped.
    private const int PoolCapacity = 256;

    // One pool for the process, taken with one compare-exchange. A [ThreadStatic] pool was tried: on Linux each
    // thread-static access goes through __tls_get_addr (about 14 ns here), a rent and a return cost two of them,
    // against one uncontended compare-exchange each (about 8 ns). A thread that finds the pool busy allocates (Rent)
    // or drops the object (Return) instead of waiting.
    private static readonly TensorFinalizer?[] s_items = new TensorFinalizer?[PoolCapacity];
    private static int s_count;
    private static int s_busy;

    // Written by the owning tensor only; read by the finalizer once the tensor is unreachable.
    private nint _handle;

    private TensorFinalizer(nint handle) => _handle = handle;

    ~TensorFinalizer()
    {
        if (_handle != 0)
            _ = NativeMethods.ember_tensor_release(new ember_tensor(_handle));
    }

    /// <summary>A finalizer that releases <paramref name="handle"/> unless it is returned first.</summary>
    public static TensorFinalizer Rent(nint handle)
    {
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) == 0)
        {
            int n = s_count;
            if (n > 0)
            {
                TensorFinalizer f = s_items[--n]!;
                s_items[n] = null;
                s_count = n;
                Volatile.Write(ref s_busy, 0);
                f._handle = handle;
                return f;
            }
            Volatile.Write(ref s_busy, 0);
        }
        return new TensorFinalizer(handle);
    }

    /// <summary>Called by the owner after it released the handle itself: the finalizer goes back to the pool.</summary>
    public void Return()
    {
        _handle = 0;
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) == 0)
        {
            int n = s_count;
            if (n < PoolCapacity)
            {
                s_items[n] = this;
                s_count = n + 1;
                Volatile.Write(ref s_busy, 0);
                return;
            }
            Volatile.Write(ref s_busy, 0);
        }
        GC.SuppressFinalize(this);
    }
}
