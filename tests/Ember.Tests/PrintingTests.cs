namespace Ember.Tests;

/// <summary>ToString against PyTorch's str(tensor).</summary>
[TestFixture]
public class PrintingTests
{
    private static IEnumerable<TestCaseData> Prints() =>
        Reference.Prints.Select(p => new TestCaseData(p).SetName("Print_" + p.Name));

    [TestCaseSource(nameof(Prints))]
    public void MatchesPyTorch(object boxed)
    {
        var p = (PrintCase)boxed;
        using Tensor t = p.Input.ToTensor();
        Assert.That(t.ToString(), Is.EqualTo(p.Text));
    }

    [Test]
    public void NonContiguousViewsPrintTheirLogicalOrder()
    {
        using var scope = Torch.NewScope();
        Tensor t = Torch.Arange(6.0).View(2, 3).T;
        Assert.That(t.ToString(), Is.EqualTo("tensor([[0., 3.],\n        [1., 4.],\n        [2., 5.]])"));
    }

    // Expected strings are Python's own '{:.4f}' / '{:.4e}' results for the same doubles.
    [TestCase(0.03125, 4, "0.0312")]
    [TestCase(0.15625, 4, "0.1562")]
    [TestCase(2.5, 0, "2")]
    [TestCase(3.5, 0, "4")]
    [TestCase(-0.00001, 4, "-0.0000")]
    [TestCase(1.00005, 4, "1.0001")]
    [TestCase(123456.789, 2, "123456.79")]
    public void FixedRoundsHalfToEvenOnTheExactValue(double value, int decimals, string expected) =>
        Assert.That(TensorFormatter.Fixed(value, decimals), Is.EqualTo(expected));

    [TestCase(1e-5, "1.0000e-05")]
    [TestCase(99999.5, "1.0000e+05")]
    [TestCase(9.99995, "1.0000e+01")]
    [TestCase(99998.5, "9.9998e+04")]
    [TestCase(-2.5e100, "-2.5000e+100")]
    [TestCase(0.0, "0.0000e+00")]
    [TestCase(4.9e-324, "4.9407e-324")]
    public void ScientificMatchesPython(double value, string expected) =>
        Assert.That(TensorFormatter.Scientific(value), Is.EqualTo(expected));

    [Test]
    public void DisposedTensorPrintsAMarkerInsteadOfThrowing()
    {
        var t = Torch.Zeros(2);
        t.Dispose();
        Assert.That(t.ToString(), Is.EqualTo("tensor(<disposed>)"));
    }
}
