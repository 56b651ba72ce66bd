using System.Runtime.CompilerServices;

namespace Ember.Tests;

/// <summary>Zero-copy spans over tensors, tensors over pinned arrays, and multi-dimensional arrays out.</summary>
public class InteropTests
{
    [Test]
    public void AsSpanSeesAndChangesTheTensorsOwnMemory()
    {
        using Tensor t = Torch.Arange(6, dtype: DType.Float32).Reshape(2, 3);
        Span<float> span = t.AsSpan<float>();
        Assert.That(span.ToArray(), Is.EqualTo(new float[] { 0, 1, 2, 3, 4, 5 }));
        span[4] = 40;
        Assert.That(t[1, 1].Item<float>(), Is.EqualTo(40));
        t.Mul_(2.0);
        Assert.That(t.AsSpan<float>()[1], Is.EqualTo(2));
    }

    [Test]
    public void AsSpanRefusesWhatItCannotView()
    {
        using Tensor t = Torch.Zeros([2, 3]);
        using Tensor transposed = t.T;
        Assert.That(() => transposed.AsSpan<float>(), Throws.InvalidOperationException.With.Message.Contains("not contiguous"));
        Assert.That(() => t.AsSpan<double>(), Throws.TypeOf<DTypeException>().With.Message.Contains("float32"));
    }

    [Test]
    public void AsMemoryOutlivesTheTensorObject()
    {
        Memory<float> memory;
        using (Tensor t = Torch.Full([4], 2.5))
            memory = t.AsMemory<float>();
        GC.Collect();
        Assert.That(memory.Span.ToArray(), Is.EqualTo(new float[] { 2.5f, 2.5f, 2.5f, 2.5f }));
        using System.Buffers.MemoryHandle pin = memory.Pin();
        unsafe
        {
            Assert.That(((float*)pin.Pointer)[3], Is.EqualTo(2.5f));
        }
    }

    [Test]
    public void AsTensorSharesAnArraysMemoryBothWays()
    {
        var data = new double[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        using Tensor t = Torch.AsTensor(data);
        Assert.That(t.Shape.ToArray(), Is.EqualTo(new long[] { 2, 3 }));
        Assert.That(t.DType, Is.EqualTo(DType.Float64));
        data[1, 2] = 60;
        Assert.That(t[1, 2].Item<double>(), Is.EqualTo(60), "the array's writes show in the tensor");
        t.Mul_(2);
        Assert.That(data[0, 1], Is.EqualTo(4), "the tensor's writes show in the array");

        var flat = new int[] { 1, 2, 3, 4, 5, 6 };
        using Tensor m = Torch.AsTensor(flat, [3, 2]);
        flat[5] = 9;
        Assert.That(m[2, 1].Item<int>(), Is.EqualTo(9));
        Assert.That(() => Torch.AsTensor(flat, [4, 2]), Throws.TypeOf<ShapeMismatchException>().With.Message.Contains("6"));
    }

    [Test]
    public void AViewKeepsTheArrayPinnedAndTheLastOneUnpinsIt()
    {
        WeakReference array = ViewOfADroppedArray(out Tensor view);
        Collect();
        Assert.That(view.Sum().Item<float>(), Is.EqualTo(6), "the view reads the pinned array after the first tensor is gone");
        Assert.That(array.IsAlive, Is.True);
        view.Dispose();
        Collect();
        Assert.That(array.IsAlive, Is.False, "disposing the last view released the pin");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference ViewOfADroppedArray(out Tensor view)
    {
        var data = new float[] { 1, 2, 3 };
        using Tensor t = Torch.AsTensor(data);
        view = t.Unsqueeze(0);
        view.DetachFromScope();
        return new WeakReference(data);
    }

    private static void Collect()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    [Test]
    public void ToNDArrayKeepsTheShape()
    {
        using Tensor t = Torch.Arange(24, dtype: DType.Int64).Reshape(2, 3, 4);
        var a = (long[,,])t.ToNDArray<long>();
        Assert.That(a.GetLength(0), Is.EqualTo(2));
        Assert.That(a.GetLength(2), Is.EqualTo(4));
        Assert.That(a[1, 2, 3], Is.EqualTo(23));
        using Tensor back = Torch.Tensor(a);
        Assert.That(back.Equal(t), Is.True);
        using Tensor scalar = Torch.Tensor(3.5f);
        Assert.That((float[])scalar.ToNDArray<float>(), Is.EqualTo(new[] { 3.5f }));
        using Tensor transposed = Torch.Arange(6, dtype: DType.Float32).Reshape(2, 3).T;
        Assert.That(((float[,])transposed.ToNDArray<float>())[2, 1], Is.EqualTo(5), "a strided view comes out in its logical order");
    }
}
