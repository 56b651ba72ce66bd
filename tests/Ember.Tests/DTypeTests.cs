namespace Ember.Tests;

/// <summary>Every dtype goes in from .NET data and comes back unchanged; mismatched element types are refused.</summary>
[TestFixture]
public class DTypeTests
{
    private static void RoundTrip<T>(T[] values, DType dtype) where T : unmanaged
    {
        using Tensor t = Torch.Tensor(values);
        Assert.That(t.DType, Is.EqualTo(dtype));
        Assert.That(t.Shape.ToArray(), Is.EqualTo(new long[] { values.Length }));
        Assert.That(t.ToArray<T>(), Is.EqualTo(values));
        Assert.That(t.ElementSize, Is.EqualTo(dtype.ElementSize()));
        using Tensor first = t.Select(0, 0);
        Assert.That(first.Item<T>(), Is.EqualTo(values[0]));
        using Tensor scalar = Torch.Tensor(values[^1]);
        Assert.That(scalar.Dim, Is.Zero);
        Assert.That(scalar.DType, Is.EqualTo(dtype));
        Assert.That(scalar.Item<T>(), Is.EqualTo(values[^1]));
    }

    [Test] public void Float32() => RoundTrip(new[] { 1.5f, -0f, float.MaxValue, float.Epsilon, float.NegativeInfinity }, DType.Float32);

    [Test] public void Float64() => RoundTrip(new[] { Math.PI, -1e300, double.Epsilon, double.PositiveInfinity }, DType.Float64);

    [Test] public void Float16() => RoundTrip(new[] { (Half)1.5, Half.MaxValue, Half.Epsilon, (Half)(-0.099975586) }, DType.Float16);

    [Test] public void BFloat16Values() => RoundTrip(new[] { (BFloat16)1.5f, (BFloat16)(-3.0e38f), (BFloat16)1e-30f, Ember.BFloat16.FromBits(0x0001) }, DType.BFloat16);

    [Test] public void Int8() => RoundTrip(new sbyte[] { sbyte.MinValue, -1, 0, sbyte.MaxValue }, DType.Int8);

    [Test] public void UInt8() => RoundTrip(new byte[] { 0, 1, 128, 255 }, DType.UInt8);

    [Test] public void Int16() => RoundTrip(new short[] { short.MinValue, -2, short.MaxValue }, DType.Int16);

    [Test] public void Int32() => RoundTrip(new[] { int.MinValue, 0, int.MaxValue }, DType.Int32);

    [Test] public void Int64() => RoundTrip(new[] { long.MinValue, 1L << 53, long.MaxValue }, DType.Int64);

    [Test] public void Bool() => RoundTrip(new[] { true, false, true }, DType.Bool);

    [Test]
    public void MultiDimensionalArraysKeepTheirShapeAndRowMajorOrder()
    {
        using var scope = Torch.NewScope();
        Tensor m = Torch.Tensor(new int[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.That(m.Shape.ToArray(), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(m.ToArray<int>(), Is.EqualTo(new[] { 1, 2, 3, 4, 5, 6 }));
        Tensor cube = Torch.FromArray(new double[2, 1, 3] { { { 1, 2, 3 } }, { { 4, 5, 6 } } });
        Assert.That(cube.Shape.ToArray(), Is.EqualTo(new long[] { 2, 1, 3 }));
        Assert.That(cube.Select(0, 1).ToArray<double>(), Is.EqualTo(new double[] { 4, 5, 6 }));
        Tensor four = Torch.Tensor(new short[2, 2, 2, 2]);
        Assert.That(four.Dim, Is.EqualTo(4));
        Assert.That(Torch.Tensor(new float[0, 3]).Shape.ToArray(), Is.EqualTo(new long[] { 0, 3 }));
    }

    [Test]
    public void SpanWithShapeAndConversionOnTheWay()
    {
        using var scope = Torch.NewScope();
        ReadOnlySpan<float> data = [1, 2, 3, 4, 5, 6];
        Tensor t = Torch.Tensor(data, [3, 2]);
        Assert.That(t.Shape.ToArray(), Is.EqualTo(new long[] { 3, 2 }));
        Assert.That(t.Select(0, 2).ToArray<float>(), Is.EqualTo(new float[] { 5, 6 }));
        Tensor asInt = Torch.Tensor(new[] { 1.9, -1.9 }, DType.Int32);
        Assert.That(asInt.ToArray<int>(), Is.EqualTo(new[] { 1, -1 }));
        float[] six = data.ToArray();
        Assert.Throws<ShapeMismatchException>(() => Torch.Tensor<float>(six, [4, 2]));
    }

    [Test]
    public void ToArrayWithTheWrongElementTypeThrowsDTypeException()
    {
        using Tensor t = Torch.Zeros(3);
        var e = Assert.Throws<DTypeException>(() => t.ToArray<double>());
        Assert.That(e!.Message, Does.Contain("torch.float32").And.Contain("Double").And.Contain("Single"));
        Assert.Throws<DTypeException>(() => t.Sum().Item<int>());
        Assert.Throws<DTypeException>(() => Torch.Tensor(new decimal[] { 1m }));
        Assert.Throws<DTypeException>(() => Torch.Tensor(new[] { new float[] { 1 } }));
    }

    [Test]
    public void ItemNeedsExactlyOneElement()
    {
        using Tensor t = Torch.Zeros(2);
        var e = Assert.Throws<ArgumentException>(() => t.Item<float>());
        Assert.That(e!.Message, Does.Contain("2 elements"));
    }

    [Test]
    public void CastsBetweenEveryPairOfDTypes()
    {
        DType[] all = Enum.GetValues<DType>();
        using var scope = Torch.NewScope();
        Tensor source = Torch.Tensor(new double[] { 0, 1, 2, 3 });
        foreach (DType from in all)
        {
            Tensor a = source.To(from);
            Assert.That(a.DType, Is.EqualTo(from));
            foreach (DType to in all)
            {
                Tensor b = a.To(to);
                Assert.That(b.DType, Is.EqualTo(to));
                double[] expected = from == DType.Bool || to == DType.Bool ? [0, 1, 1, 1] : [0, 1, 2, 3];
                Assert.That(Assertions.Values(b), Is.EqualTo(expected), $"{from} -> {to}");
            }
        }
    }

    [Test]
    public void DTypeMetadataMatchesPyTorch()
    {
        Assert.That((int)DType.Float32, Is.EqualTo(6));
        Assert.That((int)DType.Bool, Is.EqualTo(11));
        Assert.That((int)DType.BFloat16, Is.EqualTo(15));
        Assert.That(DType.BFloat16.ToTorchString(), Is.EqualTo("torch.bfloat16"));
        Assert.That(DType.Float16.IsFloatingPoint(), Is.True);
        Assert.That(DType.Int64.IsFloatingPoint(), Is.False);
        Assert.That(DTypeExtensions.FromClrType(typeof(Half)), Is.EqualTo(DType.Float16));
    }

    [Test]
    public void BFloat16RoundsToNearestEven()
    {
        Assert.That(((BFloat16)1.00390625f).RawValue, Is.EqualTo(0x3F80), "tie goes to even");
        Assert.That(((BFloat16)1.01171875f).RawValue, Is.EqualTo(0x3F82), "tie goes to even (up)");
        Assert.That((float)(BFloat16)3.14159265f, Is.EqualTo(3.140625f));
        Assert.That(Ember.BFloat16.IsNaN((BFloat16)float.NaN), Is.True);
    }

    [Test]
    public void DeviceParsesAndPrintsLikePyTorch()
    {
        Assert.That(Device.Parse("cuda:1"), Is.EqualTo(Device.Cuda(1)));
        Assert.That(Device.Parse("cuda").ToString(), Is.EqualTo("cuda:0"));
        Assert.That(Device.CPU.ToString(), Is.EqualTo("cpu"));
        Assert.That(new Device("cpu"), Is.EqualTo(Device.CPU));
        Assert.Throws<FormatException>(() => Device.Parse("tpu:0"));
        Assert.Throws<FormatException>(() => Device.Parse("cuda:-1"));
        Assert.That(Device.TryParse("gpu", out _), Is.False);
        using Tensor t = Torch.Zeros(1);
        Assert.That(t.Device, Is.EqualTo(Device.CPU));
    }
}
