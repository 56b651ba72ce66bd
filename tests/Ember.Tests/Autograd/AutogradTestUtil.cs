namespace Ember.Tests;

/// <summary>Small helpers shared by the autograd and functional tests.</summary>
public static class AutogradTestUtil
{
    /// <summary>A float64 tensor of the given shape holding <paramref name="values"/>.</summary>
    public static Tensor T(double[] values, params long[] shape) => Torch.Tensor<double>(values, shape.Length == 0 && values.Length != 1 ? [values.Length] : shape);

    /// <summary>A 1-d float64 tensor.</summary>
    public static Tensor Vec(params double[] values) => Torch.Tensor<double>(values, [values.Length]);

    /// <summary>A float64 leaf that requires grad.</summary>
    public static Tensor Leaf(params double[] values) => Vec(values).RequiresGrad_();

    /// <summary>Deterministic values in (-1, 1) for a shape: element i is sin(1 + i * 0.7 + seed).</summary>
    public static Tensor Pattern(long[] shape, double seed = 0, DType dtype = DType.Float64)
    {
        long n = 1;
        foreach (long s in shape)
            n *= s;
        var v = new double[n];
        for (long i = 0; i < n; i++)
            v[i] = Math.Sin(1 + i * 0.7 + seed);
        Tensor t = Torch.Tensor<double>(v, shape);
        if (dtype == DType.Float64)
            return t;
        using (t)
            return t.To(dtype);
    }

    public static double[] Values(Tensor t)
    {
        if (t.DType == DType.Float64)
            return t.ToArray<double>();
        using Tensor d = t.To(DType.Float64);
        return d.ToArray<double>();
    }

    public static void AssertClose(Tensor? actual, double[] expected, double tolerance = 1e-10, string? what = null)
    {
        Assert.That(actual, Is.Not.Null, what ?? "tensor");
        double[] v = Values(actual!);
        Assert.That(v, Has.Length.EqualTo(expected.Length), (what ?? "tensor") + " element count");
        for (int i = 0; i < v.Length; i++)
            Assert.That(v[i], Is.EqualTo(expected[i]).Within(tolerance * Math.Max(1, Math.Abs(expected[i]))), $"{what ?? "tensor"} element {i}");
    }

    /// <summary>Native bytes held now, after letting the GC finalize what earlier tests forgot.</summary>
    public static long SettledNativeBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return EmberNative.CpuBytesAllocated;
    }
}
