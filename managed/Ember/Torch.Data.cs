using System.Runtime.InteropServices;
using Ember.Interop;

namespace Ember;

// Tensors from .NET data (torch.tensor). The elements are copied; the dtype follows the .NET element
// type (float -> Float32, double -> Float64, Half, BFloat16, sbyte, byte, short, int, long, bool)
// unless a dtype is given, as torch.from_numpy follows the NumPy dtype.
public static unsafe partial class Torch
{
    /// <summary>
    /// A tensor holding a copy of an array of any rank (<c>T[]</c>, <c>T[,]</c>, <c>T[,,]</c>, ...), with the
    /// array's shape (<c>torch.tensor</c>). The dtype follows the element type unless <paramref name="dtype"/> is given.
    /// </summary>
    /// <exception cref="DTypeException">The element type maps to no dtype (e.g. a jagged array).</exception>
    public static Ember.Tensor Tensor(Array data, DType? dtype = null, Device? device = null) => FromArray(data, dtype, device);

    /// <summary>A tensor holding a copy of an array of any rank; same as <see cref="Tensor(Array, DType?, Device?)"/>.</summary>
    /// <exception cref="DTypeException">The element type maps to no dtype (e.g. a jagged array).</exception>
    public static Ember.Tensor FromArray(Array data, DType? dtype = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Type elementType = data.GetType().GetElementType()!;
        if (elementType.IsArray)
            throw new DTypeException($"Torch.Tensor: jagged arrays ({data.GetType()}) are not supported; use a multi-dimensional array such as {elementType.GetElementType()}[,]");
        DType source = DTypeExtensions.FromClrType(elementType);
        int rank = data.Rank;
        Span<long> shape = stackalloc long[rank];
        for (int i = 0; i < rank; i++)
            shape[i] = data.GetLongLength(i);
        // A multi-dimensional .NET array stores its elements row-major, as a contiguous tensor does.
        ref byte first = ref MemoryMarshal.GetArrayDataReference(data);
        fixed (byte* p = &first)
            return FromData(p, data.LongLength * source.ElementSize(), shape, source, dtype, device);
    }

    /// <summary>A tensor of the given shape holding a copy of <paramref name="data"/> (row-major).</summary>
    /// <exception cref="ShapeMismatchException">The shape's element count differs from the data's length.</exception>
    public static Ember.Tensor Tensor<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape, DType? dtype = null, Device? device = null) where T : unmanaged
    {
        long count = 1;
        foreach (long s in shape)
        {
            if (s < 0)
                throw new ArgumentException($"Torch.Tensor: negative size {s} in shape {new Size(shape)}", nameof(shape));
            count *= s;
        }
        if (count != data.Length)
            throw new ShapeMismatchException($"Torch.Tensor: shape {new Size(shape)} holds {count} elements but the data has {data.Length}");
        fixed (T* p = data)
            return FromData(p, (long)data.Length * sizeof(T), shape, DTypeOf<T>.Value, dtype, device);
    }

    /// <summary>A 0-d tensor holding one value (<c>torch.tensor(3.5)</c>); the dtype follows <typeparamref name="T"/> unless given.</summary>
    public static Ember.Tensor Tensor<T>(T value, DType? dtype = null, Device? device = null) where T : unmanaged =>
        FromData(&value, sizeof(T), [], DTypeOf<T>.Value, dtype, device);

    private static Ember.Tensor FromData(void* data, long nbytes, ReadOnlySpan<long> shape, DType source, DType? dtype, Device? device)
    {
        ember_tensor r;
        Ember.Tensor host;
        fixed (long* s = shape)
            host = Ember.Tensor.Wrap(NativeMethods.ember_from_data(data, nbytes, s, shape.Length, (int)source, &r), r);
        if ((dtype is null || dtype == source) && (device is null || device == Device.CPU))
            return host;
        using (host)
        {
            if (device is not { } target || target == Device.CPU)
                return host.To(dtype!.Value);
            Ember.Tensor moved = host.To(target);
            if (dtype is not { } d || d == source)
                return moved;
            using (moved)
                return moved.To(d);
        }
    }
}
