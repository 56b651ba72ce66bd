namespace Ember.Data.Tests;

/// <summary>A dataset of the integers 0..n-1 (times a factor), with no tensors involved.</summary>
internal sealed class RangeDataset(int count, int factor = 1) : Dataset<int>
{
    public override int Count => count;

    public override int this[int index]
    {
        get
        {
            CheckIndex(index);
            return index * factor;
        }
    }
}

public class DatasetTests
{
    [Test]
    public void SubsetMapsIndices()
    {
        var subset = new Subset<int>(new RangeDataset(10, 10), [7, 2, 2]);
        Assert.That(subset.Count, Is.EqualTo(3));
        Assert.That(subset.ToArray(), Is.EqualTo(new[] { 70, 20, 20 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = subset[3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Subset<int>(new RangeDataset(3), [3]));
    }

    [Test]
    public void ConcatFindsTheRightPartAcrossEmptyOnes()
    {
        var concat = new ConcatDataset<int>(new RangeDataset(2, 1), new RangeDataset(0), new RangeDataset(3, 10), new RangeDataset(1, 100));
        Assert.That(concat.Count, Is.EqualTo(6));
        Assert.That(concat.ToArray(), Is.EqualTo(new[] { 0, 1, 0, 10, 20, 0 }));
        Assert.That(concat.CumulativeSizes, Is.EqualTo(new[] { 2, 2, 5, 6 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = concat[6]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = concat[-1]);
        Assert.That((new RangeDataset(1) + new RangeDataset(2)).Count, Is.EqualTo(3));
        Assert.Throws<ArgumentException>(() => new ConcatDataset<int>());
    }

    [Test]
    public void RandomSplitByLengthsIsADisjointCover()
    {
        var parts = Data.RandomSplit(new RangeDataset(10), [3, 7], new DataGenerator(3));
        Assert.That(parts.Select(p => p.Count), Is.EqualTo(new[] { 3, 7 }));
        Assert.That(parts.SelectMany(p => p).Order(), Is.EqualTo(Enumerable.Range(0, 10)));
        var again = Data.RandomSplit(new RangeDataset(10), [3, 7], new DataGenerator(3));
        Assert.That(again[0].ToArray(), Is.EqualTo(parts[0].ToArray()));
        Assert.Throws<ArgumentException>(() => Data.RandomSplit(new RangeDataset(10), [3, 8]));
        Assert.Throws<ArgumentException>(() => Data.RandomSplit(new RangeDataset(10), [-1, 11]));
    }

    // Subset lengths of random_split(range(n), fractions) in PyTorch 1.13.
    [TestCase(10, new[] { 0.3, 0.3, 0.4 }, new[] { 3, 3, 4 })]
    [TestCase(11, new[] { 0.5, 0.5 }, new[] { 6, 5 })]
    [TestCase(7, new[] { 0.1, 0.2, 0.7 }, new[] { 1, 2, 4 })]
    [TestCase(5, new[] { 1 / 3.0, 1 / 3.0, 1 / 3.0 }, new[] { 2, 2, 1 })]
    public void RandomSplitByFractionsMatchesTorch(int n, double[] fractions, int[] lengths)
    {
        Assert.That(Data.SplitLengths(n, fractions), Is.EqualTo(lengths));
        var parts = Data.RandomSplit(new RangeDataset(n), fractions, new DataGenerator(1));
        Assert.That(parts.Select(p => p.Count), Is.EqualTo(lengths));
    }

    [Test]
    public void RandomSplitRejectsBadFractions()
    {
        Assert.Throws<ArgumentException>(() => Data.SplitLengths(10, [0.5, 0.6]));
        Assert.Throws<ArgumentException>(() => Data.SplitLengths(10, [1.5, -0.5]));
    }
}
