using Ember.Interop;

namespace Ember;

/// <summary>Element type of a tensor; the values are PyTorch's <c>ScalarType</c> numbers (<c>torch.dtype</c>).</summary>
public enum DType
{
    /// <summary>8-bit unsigned integer (<c>torch.uint8</c>).</summary>
    UInt8 = (int)ember_dtype.EMBER_UINT8,
    /// <summary>8-bit signed integer (<c>torch.int8</c>).</summary>
    Int8 = (int)ember_dtype.EMBER_INT8,
    /// <summary>16-bit signed integer (<c>torch.int16</c>).</summary>
    Int16 = (int)ember_dtype.EMBER_INT16,
    /// <summary>32-bit signed integer (<c>torch.int32</c>).</summary>
    Int32 = (int)ember_dtype.EMBER_INT32,
    /// <summary>64-bit signed integer (<c>torch.int64</c>).</summary>
    Int64 = (int)ember_dtype.EMBER_INT64,
    /// <summary>IEEE half precision (<c>torch.float16</c>).</summary>
    Float16 = (int)ember_dtype.EMBER_FLOAT16,
    /// <summary>IEEE single precision (<c>torch.float32</c>), the default dtype.</summary>
    Float32 = (int)ember_dtype.EMBER_FLOAT32,
    /// <summary>IEEE double precision (<c>torch.float64</c>).</summary>
    Float64 = (int)ember_dtype.EMBER_FLOAT64,
    /// <summary>Boolean stored in one byte (<c>torch.bool</c>).</summary>
    Bool = (int)ember_dtype.EMBER_BOOL,
    /// <summary>Brain floating point (<c>torch.bfloat16</c>).</summary>
    BFloat16 = (int)ember_dtype.EMBER_BFLOAT16,
}

/// <summary>Properties of <see cref="DType"/> values.</summary>
public static class DTypeExtensions
{
    /// <summary>Size of one element in bytes (<c>torch.dtype.itemsize</c>).</summary>
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.UInt8 or DType.Int8 or DType.Bool => 1,
        DType.Int16 or DType.Float16 or DType.BFloat16 => 2,
        DType.Int32 or DType.Float32 => 4,
        DType.Int64 or DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>True for the floating dtypes (<c>torch.dtype.is_floating_point</c>).</summary>
    public static bool IsFloatingPoint(this DType dtype) =>
        dtype is DType.Float16 or DType.BFloat16 or DType.Float32 or DType.Float64;

    /// <summary>PyTorch's spelling of the dtype, e.g. <c>torch.float32</c>.</summary>
    public static string ToTorchString(this DType dtype) => dtype switch
    {
        DType.UInt8 => "torch.uint8",
        DType.Int8 => "torch.int8",
        DType.Int16 => "torch.int16",
        DType.Int32 => "torch.int32",
        DType.Int64 => "torch.int64",
        DType.Float16 => "torch.float16",
        DType.Float32 => "torch.float32",
        DType.Float64 => "torch.float64",
        DType.Bool => "torch.bool",
        DType.BFloat16 => "torch.bfloat16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The .NET element type that holds one value of the dtype (Half for Float16, <see cref="Ember.BFloat16"/> for BFloat16).</summary>
    public static Type ToClrType(this DType dtype) => dtype switch
    {
        DType.UInt8 => typeof(byte),
        DType.Int8 => typeof(sbyte),
        DType.Int16 => typeof(short),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.Float16 => typeof(Half),
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Bool => typeof(bool),
        DType.BFloat16 => typeof(BFloat16),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The dtype whose elements are the .NET type <paramref name="type"/>.</summary>
    /// <exception cref="DTypeException">No dtype stores values of that type.</exception>
    public static DType FromClrType(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (type == typeof(float)) return DType.Float32;
        if (type == typeof(double)) return DType.Float64;
        if (type == typeof(Half)) return DType.Float16;
        if (type == typeof(BFloat16)) return DType.BFloat16;
        if (type == typeof(sbyte)) return DType.Int8;
        if (type == typeof(byte)) return DType.UInt8;
        if (type == typeof(short)) return DType.Int16;
        if (type == typeof(int)) return DType.Int32;
        if (type == typeof(long)) return DType.Int64;
        if (type == typeof(bool)) return DType.Bool;
        throw new DTypeException(
            $"no Ember dtype holds elements of .NET type {type}; use float, double, Half, BFloat16, sbyte, byte, short, int, long or bool");
    }
}

/// <summary>Compile-time map from a .NET element type to its dtype (folded by the JIT).</summary>
internal static class DTypeOf<T> where T : unmanaged
{
    public static readonly DType Value = DTypeExtensions.FromClrType(typeof(T));
}
