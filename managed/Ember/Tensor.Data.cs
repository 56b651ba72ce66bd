using System.Runtime.InteropServices;
using Ember.Interop;

namespace Ember;

// Moving elements in and out of a tensor: host copies, dtype casts, device moves, clones.
public unsafe partial class Tensor
{
    /// <summary>Copies the elements, row-major, into a new array (<c>Tensor.tolist()</c> flattened).</summary>
    /// <typeparam name="T">The .NET type of the tensor's dtype (float for Float32, Half for Float16, ...).</typeparam>
    /// <exception cref="DTypeException"><typeparamref name="T"/> does not match the tensor's dtype.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        CheckElementType<T>(nameof(ToArray));
        long count = NumEl;
        if (count > Array.MaxLength)
            throw new NotSupportedException($"Tensor.ToArray: {count} elements do not fit in one .NET array (at most {Array.MaxLength})");
        T[] result = new T[count];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements, row-major, into <paramref name="destination"/>, which holds exactly <see cref="NumEl"/> elements.</summary>
    /// <exception cref="DTypeException"><typeparamref name="T"/> does not match the tensor's dtype.</exception>
    /// <exception cref="ArgumentException">The destination's length differs from the number of elements.</exception>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckElementType<T>(nameof(CopyTo));
        long count = NumEl;
        if (destination.Length != count)
            throw new ArgumentException($"Tensor.CopyTo: the destination holds {destination.Length} elements but the tensor of shape {Shape} has {count}", nameof(destination));
        fixed (T* p = destination)
            Check(NativeMethods.ember_copy_to_host(Handle, p, count * sizeof(T)), this);
    }

    /// <summary>The value of a one-element tensor (<c>Tensor.item()</c>).</summary>
    /// <exception cref="DTypeException"><typeparamref name="T"/> does not match the tensor's dtype.</exception>
    /// <exception cref="ArgumentException">The tensor does not have exactly one element.</exception>
    public T Item<T>() where T : unmanaged
    {
        CheckElementType<T>(nameof(Item));
        long count = NumEl;
        if (count != 1)
            throw new ArgumentException($"Tensor.Item: a Tensor with {count} elements cannot be converted to Scalar (shape {Shape})");
        T value;
        Check(NativeMethods.ember_copy_to_host(Handle, &value, sizeof(T)), this);
        return value;
    }

    /// <summary>A tensor of the given dtype: this one when it already has it, else a converted copy (<c>Tensor.to(dtype)</c>).</summary>
    public Tensor To(DType dtype) { ember_tensor r; return Derivatives.To(Wrap(NativeMethods.ember_to_dtype(Handle, (int)dtype, &r), r, this), this); }

    /// <summary>A tensor on the given device: this one when it is already there, else a copy (<c>Tensor.to(device)</c>).</summary>
    public Tensor To(Device device) { ember_tensor r; return Derivatives.To(Wrap(NativeMethods.ember_to_device(Handle, device.ToNative(), &r), r, this), this); }

    /// <summary>A copy on the host (<c>Tensor.cpu()</c>).</summary>
    public Tensor Cpu() => To(Device.CPU);

    /// <summary>
    /// A tensor on the given device (<c>Tensor.to(device, non_blocking)</c>). With <paramref name="nonBlocking"/>, a
    /// contiguous tensor in pinned memory (<see cref="PinMemory"/>) is uploaded on the current stream without waiting
    /// for the copy: GPU work queued after it sees the data, and the pinned block is not reused before the copy is done.
    /// Anything else copies as <see cref="To(Device)"/> does.
    /// </summary>
    public Tensor To(Device device, bool nonBlocking)
    {
        if (!nonBlocking)
            return To(device);
        ember_tensor r;
        return Derivatives.To(Wrap(NativeMethods.ember_to_device_async(Handle, device.ToNative(), &r), r, this), this);
    }

    /// <summary>A copy on a GPU (<c>Tensor.cuda()</c>); needs the CUDA backend (see <see cref="Torch.Cuda"/>).</summary>
    public Tensor Cuda(int device = 0, bool nonBlocking = false) => To(Ember.Device.Cuda(device), nonBlocking);

    /// <summary>
    /// A copy of this CPU tensor in page-locked (pinned) host memory, which GPUs read asynchronously
    /// (<c>Tensor.pin_memory()</c>); this tensor itself when it is pinned already. Needs a loaded GPU backend.
    /// </summary>
    public Tensor PinMemory() { ember_tensor r; return Derivatives.To(Wrap(NativeMethods.ember_pin_memory(Handle, &r), r, this), this); }

    /// <summary>True when the tensor lives in pinned host memory (<c>Tensor.is_pinned()</c>).</summary>
    public bool IsPinned
    {
        get
        {
            int pinned;
            Check(NativeMethods.ember_tensor_is_pinned(Handle, &pinned), this);
            return pinned != 0;
        }
    }

    /// <summary>
    /// Marks this GPU tensor as used on <paramref name="stream"/> too (<c>Tensor.record_stream</c>): when it is
    /// disposed, its memory is not reused before the work queued on that stream by then has finished.
    /// </summary>
    public void RecordStream(CudaStream stream) => Errors.Check(NativeMethods.ember_tensor_record_stream(Handle, stream.Handle));

    /// <summary>A copy with its own storage (<c>Tensor.clone()</c>).</summary>
    public Tensor Clone() { ember_tensor r; return Derivatives.Clone(Wrap(NativeMethods.ember_clone(Handle, &r), r, this), this); }

    /// <summary>Copies <paramref name="source"/> into this tensor, broadcasting it and casting to this dtype (<c>Tensor.copy_</c>); returns this tensor.</summary>
    public Tensor Copy_(Tensor source)
    {
        if (InplaceNeedsAutograd(this, source))
            return Derivatives.Copy_(this, source);
        Check(NativeMethods.ember_copy_(Handle, source.Handle), this, source);
        return this;
    }

    /// <summary>Sets every element to <paramref name="value"/> in place, on this tensor's device (<c>Tensor.fill_</c>); returns this tensor.</summary>
    /// <remarks>Under autograd, no gradient flows to what the tensor held before.</remarks>
    public Tensor Fill_(double value) => Fill_(ValueOf(value));

    /// <summary>Sets every element to the integer <paramref name="value"/> in place (<c>Tensor.fill_</c>); returns this tensor.</summary>
    public Tensor Fill_(long value) => Fill_(Scalar.Of(value));

    /// <summary>Sets every element to zero in place (<c>Tensor.zero_</c>); returns this tensor.</summary>
    public Tensor Zero_() => Fill_(Scalar.Of(0L));

    private Tensor Fill_(ember_scalar value)
    {
        if (InplaceNeedsAutograd(this, null))
            return Derivatives.InplaceWith(this, null, "Fill_", new FillBackward(), () => FillNative(value));
        FillNative(value);
        return this;
    }

    private void FillNative(ember_scalar value) => Check(NativeMethods.ember_fill_(Handle, value), this);

    /// <summary>
    /// Zeroes every tensor of the list in one native call (<c>torch._foreach_zero_</c>, what
    /// <c>zero_grad(set_to_none=False)</c> runs): on a GPU one kernel launch for the lot. A tensor that the
    /// in-place rules of <see cref="Zero_"/> apply to (it requires grad, or is an inference tensor) goes through
    /// <see cref="Zero_"/> instead.
    /// </summary>
    internal static void ZeroAll_(IReadOnlyList<Tensor> tensors)
    {
        var plain = new List<Tensor>(tensors.Count);
        foreach (Tensor t in tensors)
        {
            if (InplaceNeedsAutograd(t, null))
                t.Zero_();
            else
                plain.Add(t);
        }
        if (plain.Count == 0)
            return;
        ember_tensor[] handles = System.Buffers.ArrayPool<ember_tensor>.Shared.Rent(plain.Count);
        try
        {
            for (int i = 0; i < plain.Count; i++)
                handles[i] = plain[i].Handle;
            ember_status status;
            fixed (ember_tensor* h = handles)
                status = NativeMethods.ember_foreach_zero_(h, plain.Count);
            GC.KeepAlive(plain);
            Errors.Check(status);
        }
        finally
        {
            System.Buffers.ArrayPool<ember_tensor>.Shared.Return(handles);
        }
    }

    /// <summary>Same as <see cref="Copy_"/>: copies <paramref name="source"/>'s values into this tensor.</summary>
    public Tensor CopyFrom_(Tensor source) => Copy_(source);

    /// <summary>Address of element 0 (CPU tensors only); valid while the tensor is alive and not moved.</summary>
    internal void* DataPointer
    {
        get
        {
            void* p;
            Check(NativeMethods.ember_tensor_data_ptr(Handle, &p), this);
            return p;
        }
    }

    private void CheckElementType<T>(string member) where T : unmanaged
    {
        DType dtype = DType;
        if (DTypeOf<T>.Value != dtype)
            throw new DTypeException(
                $"Tensor.{member}<{typeof(T).Name}>: the tensor has dtype {dtype.ToTorchString()}, whose elements are {dtype.ToClrType().Name}, not {typeof(T).Name}; " +
                $"use {member}<{dtype.ToClrType().Name}>() or convert first with To(DType.{DTypeExtensions.FromClrType(typeof(T))})");
    }
}
