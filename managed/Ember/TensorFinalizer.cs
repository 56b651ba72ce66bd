using Ember.Interop;

namespace Ember;

/// <summary>
/// The safety net of an undisposed <see cref="Tensor"/>: a finalizable object that the tensor alone refers to, so
/// that when a forgotten tensor becomes unreachable its finalizer releases the native reference.
/// </summary>
/// <remarks>
/// Registering an object for finalization is the expensive part of allocating one (about 85 ns here, far more than
/// the rest of a small op's managed cost), so the finalizers of disposed tensors are reused rather than made anew:
/// <see cref="Tensor.Dispose"/> clears the handle and puts the object back in its thread's pool, still registered,
/// and the next tensor takes it. A pooled object holds no handle, so its finalizer (if its thread ended) does nothing.
/// </remarks>
internal sealed class TensorFinalizer
{
    // Enough for the temporaries of a training step's worth of small ops; more are dropped.
    private const int PoolCapacity = 256;

    private sealed class Pool
    {
        public readonly TensorFinalizer?[] Items = new TensorFinalizer?[PoolCapacity];
        public int Count;
    }

    [ThreadStatic]
    private static Pool? t_pool;

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
        Pool? pool = t_pool;
        if (pool is not null && pool.Count > 0)
        {
            int i = --pool.Count;
            TensorFinalizer f = pool.Items[i]!;
            pool.Items[i] = null;
            f._handle = handle;
            return f;
        }
        return new TensorFinalizer(handle);
    }

    /// <summary>Called by the owner after it released the handle itself: the finalizer goes back to this thread's pool.</summary>
    public void Return()
    {
        _handle = 0;
        Pool pool = t_pool ??= new Pool();
        if (pool.Count < PoolCapacity)
            pool.Items[pool.Count++] = this;
        else
            GC.SuppressFinalize(this);
    }
}
