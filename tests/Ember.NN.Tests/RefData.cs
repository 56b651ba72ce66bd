using System.Text.Json;

namespace Ember.NN.Tests;

/// <summary>Reads the PyTorch reference files written by tests/reference/make_nn.py.</summary>
internal static class RefData
{
    public static JsonElement Load(string name)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", name + ".json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement;
    }

    /// <summary>A {"shape", "data"} object as a tensor of <paramref name="dtype"/> (float32 unless given; int64 for integer data).</summary>
    public static Tensor Tensor(JsonElement e, DType dtype = DType.Float32)
    {
        long[] shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        if (dtype == DType.Int64)
        {
            long[] ints = e.GetProperty("data").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            return Torch.Tensor<long>(ints, shape);
        }
        double[] data = e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        return Torch.Tensor<double>(data, shape, dtype);
    }

    public static double[] Values(JsonElement e) => e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static long[] Shape(JsonElement e) => e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt64()).ToArray();

    /// <summary>Asserts shape and values: |a - e| &lt;= atol + rtol·|e| elementwise.</summary>
    public static void AssertClose(Tensor actual, JsonElement expected, double rtol = 1e-5, double atol = 1e-6, string what = "")
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(Shape(expected)), $"{what}: shape");
        using Tensor a64 = actual.To(DType.Float64);
        double[] got = a64.ToArray<double>();
        double[] want = Values(expected);
        for (int i = 0; i < want.Length; i++)
        {
            double tol = atol + rtol * Math.Abs(want[i]);
            if (!(Math.Abs(got[i] - want[i]) <= tol))
                Assert.Fail($"{what}: element {i} is {got[i]}, expected {want[i]} (tolerance {tol})");
        }
    }
}
