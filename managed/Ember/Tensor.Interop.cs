using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ember.Interop;

namespace Ember;

// Zero-copy views between tensors and .NET memory: spans over a tensor's elements, tensors over
// pinned arrays (torch.from_numpy's sharing), and multi-dimensional arrays out.
public unsafe partial class Tensor
{
    /// <summary>
    /// The elements of a contiguous CPU tensor as a span over its own memory, without a copy: writes change the
    /// tensor. The span is valid while the tensor is alive; keep the tensor referenced (and undisposed) while
    /// you use it, or use <see cref="AsMemory{T}"/>, which holds the tensor itself.
    /// </summary>
    /// <exception cref="DTypeException"><typeparamref name="T"/> does not match the tensor's dtype.</exception>
    /// <exception cref="InvalidOperationException">The tensor is on a GPU or not contiguous (call <see cref="Contiguous"/> first).</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        CheckSpanable<T>(nameof(AsSpan));
        return new Span<T>(DataPointer, checked((int)NumEl));
    }

    /// <summary>
    /// The elements of a contiguous CPU tensor as <see cref="Memory{T}"/> over its own memory, without a copy. The
    /// memory holds a reference to the tensor's storage, so it stays valid after this tensor is disposed, until the
    /// memory's owner is collected.
    /// </summary>
    /// <exception cref="DTypeException"><typeparamref name="T"/> does not match the tensor's dtype.</exception>
    /// <exception cref="InvalidOperationException">The tensor is on a GPU or not contiguous.</exception>
    public Memory<T> AsMemory<T>() where T : unmanaged
    {
        CheckSpanable<T>(nameof(AsMemory));
        ember_tensor r;
        Check(NativeMethods.ember_tensor_retain(Handle, &r), this);
        Tensor keep = Wrap(ember_status.EMBER_OK, r);
        keep.DetachFromScope(); // lives as long as the memory, not as the current scope
        return new TensorMemory<T>(keep, DataPointer, checked((int)NumEl)).Memory;
    }

    /// <summary>
    /// Copies the elements into a new array of the tensor's rank and shape (<c>T[,]</c> for a matrix, <c>T[,,]</c>
    /// for rank 3; a 0-d tensor gives a one-element <c>T[]</c>).
    /// </summary>
    /// <exception cref="DTypeException"><typeparamref name="T"/> does not match the tensor's dtype.</exception>
    public Array ToNDArray<T>() where T : unmanaged
    {
        CheckElementType<T>(nameof(ToNDArray));
        long[] s = Shape.ToArray();
        // Spelled out per rank: creating an array type at run time would not survive Native AOT.
        Array result = s.Length switch
        {
            0 => new T[1],
            1 => new T[s[0]],
            2 => new T[s[0], s[1]],
            3 => new T[s[0], s[1], s[2]],
            4 => new T[s[0], s[1], s[2], s[3]],
            5 => new T[s[0], s[1], s[2], s[3], s[4]],
            6 => new T[s[0], s[1], s[2], s[3], s[4], s[5]],
            _ => throw new NotSupportedException($"Tensor.ToNDArray: rank {s.Length} is above 6; use ToArray<T>() and the shape"),
        };
        // A multi-dimensional .NET array stores its elements row-major, as a contiguous tensor does.
        var all = MemoryMarshal.CreateSpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(result)), checked((int)result.LongLength));
        CopyTo(all);
        return result;
    }

    private void CheckSpanable<T>(string member) where T : unmanaged
    {
        CheckElementType<T>(member);
        if (Device != Device.CPU)
            throw new InvalidOperationException($"Tensor.{member}: the tensor is on {Device}; only CPU memory can be seen as a span (copy with Cpu() first)");
        if (!IsContiguous)
            throw new InvalidOperationException($"Tensor.{member}: the tensor of shape {Shape} is not contiguous; call Contiguous() first");
        if (NumEl > int.MaxValue)
            throw new NotSupportedException($"Tensor.{member}: {NumEl} elements do not fit in one span (at most {int.MaxValue})");
    }

    /// <summary>
    /// Holds its own reference to the tensor for as long as the memory is reachable (the reference's handle is
    /// released when it is disposed or collected); keep the <see cref="Memory{T}"/> reachable while using a span of it.
    /// </summary>
    private sealed class TensorMemory<T>(Tensor keep, void* data, int length) : MemoryManager<T> where T : unmanaged
    {
        public override Span<T> GetSpan() => new(data, length);

        // The storage never moves, so pinning is free.
        public override MemoryHandle Pin(int elementIndex = 0) => new((T*)data + elementIndex);

        public override void Unpin() { }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                keep.Dispose();
        }
    }
}

public static unsafe partial class Torch
{
    /// <summary>
    /// A CPU tensor over <paramref name="array"/>'s own memory, without a copy (<c>torch.from_numpy</c>,
    /// <c>torch.as_tensor</c>): the tensor has the array's rank and shape (<c>T[]</c>, <c>T[,]</c>, ...) and its
    /// element type's dtype, and writes through either side show in the other. The array stays pinned until the
    /// tensor and every view of it are gone.
    /// </summary>
    /// <exception cref="DTypeException">The element type maps to no dtype (e.g. a jagged array).</exception>
    public static Ember.Tensor AsTensor(Array array)
    {
        ArgumentNullException.ThrowIfNull(array);
        Type elementType = array.GetType().GetElementType()!;
        if (elementType.IsArray)
            throw new DTypeException($"Torch.AsTensor: jagged arrays ({array.GetType()}) are not supported; use a multi-dimensional array such as {elementType.GetElementType()}[,]");
        DType dtype = DTypeExtensions.FromClrType(elementType);
        var shape = new long[array.Rank];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = array.GetLongLength(i);
        return Pin(array, shape, dtype, array.LongLength * dtype.ElementSize());
    }

    /// <summary>
    /// A CPU tensor of the given shape over a one-dimensional array's memory, without a copy; the array stays
    /// pinned until the tensor and every view of it are gone.
    /// </summary>
    /// <exception cref="ShapeMismatchException">The shape does not hold exactly the array's length.</exception>
    public static Ember.Tensor AsTensor<T>(T[] array, ReadOnlySpan<long> shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(array);
        long count = 1;
        foreach (long s in shape)
            count *= s;
        if (count != array.LongLength)
            throw new ShapeMismatchException($"Torch.AsTensor: shape {new Size(shape)} holds {count} elements but the array has {array.LongLength}");
        return Pin(array, shape.ToArray(), DTypeOf<T>.Value, array.LongLength * sizeof(T));
    }

    private static Ember.Tensor Pin(Array array, long[] shape, DType dtype, long nbytes)
    {
        GCHandle pin = GCHandle.Alloc(array, GCHandleType.Pinned);
        ember_tensor r;
        ember_status status;
        fixed (long* s = shape)
        {
            status = NativeMethods.ember_from_blob((void*)pin.AddrOfPinnedObject(), nbytes, s, shape.Length, (int)dtype,
                &ReleasePin, (void*)GCHandle.ToIntPtr(pin), &r);
        }
        if (status != ember_status.EMBER_OK)
        {
            pin.Free(); // the engine kept nothing
            Errors.Throw(status);
        }
        return Ember.Tensor.Wrap(status, r);
    }

    // Called by the engine, on whichever thread drops the last reference, once per pinned array.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void ReleasePin(void* ctx) => GCHandle.FromIntPtr((nint)ctx).Free();
}
