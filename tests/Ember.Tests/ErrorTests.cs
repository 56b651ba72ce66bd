namespace Ember.Tests;

/// <summary>Bad input gives typed exceptions naming op, shapes and dtypes, changes nothing and leaks nothing.</summary>
[TestFixture]
[NonParallelizable]
public class ErrorTests
{
    [Test]
    public void ShapeMismatchNamesTheOpAndBothShapes()
    {
        using var scope = Torch.NewScope();
        Tensor a = Torch.Ones(2, 3), b = Torch.Ones(4);
        var e = Assert.Throws<ShapeMismatchException>(() => _ = a + b);
        Assert.That(e!.Message, Does.Contain("add").And.Contain("[2, 3]").And.Contain("[4]"));
        Assert.That(e, Is.InstanceOf<ArgumentException>());
        e = Assert.Throws<ShapeMismatchException>(() => a.MatMul(Torch.Ones(4, 2)));
        Assert.That(e!.Message, Does.Contain("matmul").And.Contain("[2, 3]").And.Contain("[4, 2]"));
        Assert.Throws<ShapeMismatchException>(() => a.View(4, 2));
    }

    [Test]
    public void WrongDTypeIsADTypeException()
    {
        using var scope = Torch.NewScope();
        var e = Assert.Throws<DTypeException>(() => Torch.Arange(5).Mean());
        Assert.That(e!.Message, Does.Contain("mean").And.Contain("int64").IgnoreCase);
        // An in-place result must fit the destination's dtype, as in PyTorch.
        Tensor i = Torch.Zeros([3], DType.Int32);
        e = Assert.Throws<DTypeException>(() => i.Add_(Torch.Ones(3)));
        Assert.That(e!.Message, Does.Contain("float").And.Contain("int").IgnoreCase);
    }

    [Test]
    public void NegativeSizesAndBadDimsAreArgumentErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => Torch.Zeros(2, -1));
        Assert.That(e!.Message, Does.Contain("-1"));
        using var scope = Torch.NewScope();
        Tensor t = Torch.Zeros(2, 3);
        Assert.That(() => t.Transpose(0, 5), Throws.InstanceOf<ArgumentException>().With.Message.Contain("5"));
        Assert.That(() => t.Select(0, 7), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => t.Sum(3), Throws.InstanceOf<ArgumentException>());
        Assert.That(() => t.GetSize(-3), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void AFailedOpLeavesItsInputsUntouchedAndLeaksNothing()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long baseline = EmberNative.CpuBytesAllocated;
        using (var scope = Torch.NewScope())
        {
            Tensor a = Torch.Tensor(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
            Tensor b = Torch.Tensor(new float[] { 1, 2 });
            Tensor counts = Torch.Tensor(new[] { 7, 8, 9 });
            long inUse = EmberNative.CpuBytesAllocated;
            for (int i = 0; i < 100; i++)
            {
                Assert.Throws<ShapeMismatchException>(() => a.Add_(b));
                Assert.Throws<ShapeMismatchException>(() => _ = a * b);
                Assert.Throws<DTypeException>(() => counts.Add_(a));
            }
            Assert.That(a.ToArray<float>(), Is.EqualTo(new float[] { 1, 2, 3, 4, 5, 6 }));
            Assert.That(a.Version, Is.Zero);
            Assert.That(b.ToArray<float>(), Is.EqualTo(new float[] { 1, 2 }));
            Assert.That(counts.ToArray<int>(), Is.EqualTo(new[] { 7, 8, 9 }));
            Assert.That(counts.Version, Is.Zero);
            Assert.That(EmberNative.CpuBytesAllocated, Is.EqualTo(inUse), "failed ops left nothing allocated");
        }
        Assert.That(EmberNative.CpuBytesAllocated, Is.EqualTo(baseline), "native bytes back to baseline");
    }

    [Test]
    public void TheProcessSurvivesManyErrorsAndTheMessageIsPerThread()
    {
        using var scope = Torch.NewScope();
        Tensor a = Torch.Ones(2), b = Torch.Ones(3);
        Parallel.For(0, 200, i =>
        {
            if (i % 2 == 0)
            {
                var e = Assert.Throws<ShapeMismatchException>(() => _ = a - b);
                Assert.That(e!.Message, Does.Contain("[2]").And.Contain("[3]"));
            }
            else
            {
                var e = Assert.Throws<DTypeException>(() => Torch.Arange(3).Mean());
                Assert.That(e!.Message, Does.Contain("mean"));
            }
        });
    }
}
