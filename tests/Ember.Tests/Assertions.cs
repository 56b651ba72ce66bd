namespace Ember.Tests;

/// <summary>Value comparisons between tensors and expected data.</summary>
internal static class Assertions
{
    /// <summary>Reads any tensor's elements as doubles (exact for every dtype except int64 beyond 2^53).</summary>
    public static double[] Values(Tensor t)
    {
        return t.DType switch
        {
            DType.Float32 => t.ToArray<float>().Select(v => (double)v).ToArray(),
            DType.Float64 => t.ToArray<double>(),
            DType.Float16 => t.ToArray<Half>().Select(v => (double)v).ToArray(),
            DType.BFloat16 => t.ToArray<BFloat16>().Select(v => (double)v).ToArray(),
            DType.Int8 => t.ToArray<sbyte>().Select(v => (double)v).ToArray(),
            DType.UInt8 => t.ToArray<byte>().Select(v => (double)v).ToArray(),
            DType.Int16 => t.ToArray<short>().Select(v => (double)v).ToArray(),
            DType.Int32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
            DType.Int64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
            DType.Bool => t.ToArray<bool>().Select(v => v ? 1.0 : 0.0).ToArray(),
            _ => throw new NotSupportedException(t.DType.ToString()),
        };
    }

    /// <summary>Same dtype, same shape, values within the dtype's tolerance (NaN matches NaN).</summary>
    public static void Matches(Tensor actual, RefTensor expected, double? tolerance = null)
    {
        DType dtype = Reference.ParseDType(expected.DType);
        Assert.That(actual.DType, Is.EqualTo(dtype), "dtype");
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(expected.Shape), "shape");
        double tol = tolerance ?? dtype switch
        {
            DType.Float32 => 1e-5,
            DType.Float64 => 1e-12,
            DType.Float16 => 1e-3,
            DType.BFloat16 => 1e-2,
            _ => 0,
        };
        double[] values = Values(actual);
        Assert.That(values, Has.Length.EqualTo(expected.Data.Length), "element count");
        for (int i = 0; i < values.Length; i++)
        {
            double e = expected.Data[i], a = values[i];
            if (double.IsNaN(e))
                Assert.That(a, Is.NaN, $"element {i}");
            else if (double.IsInfinity(e))
                Assert.That(a, Is.EqualTo(e), $"element {i}");
            else
                Assert.That(a, Is.EqualTo(e).Within(tol * Math.Max(1, Math.Abs(e))), $"element {i}");
        }
    }
}
