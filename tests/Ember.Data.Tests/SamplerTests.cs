namespace Ember.Data.Tests;

public class SamplerTests
{
    [Test]
    public void SequentialVisitsEveryIndexInOrder()
    {
        Assert.That(new SequentialSampler(5), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(new SequentialSampler(5).Count, Is.EqualTo(5));
        Assert.That(new SequentialSampler(0), Is.Empty);
    }

    [Test]
    public void RandomWithoutReplacementIsAPermutationPerPass()
    {
        var sampler = new RandomSampler(50, generator: new DataGenerator(1));
        int[] first = [.. sampler], second = [.. sampler];
        Assert.That(first.Order(), Is.EqualTo(Enumerable.Range(0, 50)));
        Assert.That(second.Order(), Is.EqualTo(Enumerable.Range(0, 50)));
        Assert.That(first, Is.Not.EqualTo(second), "each pass draws a new order");
        var again = new RandomSampler(50, generator: new DataGenerator(1));
        Assert.That(again.ToArray(), Is.EqualTo(first), "same seed, same first pass");
        Assert.That(again.ToArray(), Is.EqualTo(second), "same seed, same second pass");
    }

    [Test]
    public void RandomWithMoreSamplesThanItemsChainsPermutations()
    {
        int[] drawn = [.. new RandomSampler(4, numSamples: 10, generator: new DataGenerator(2))];
        Assert.That(drawn, Has.Length.EqualTo(10));
        Assert.That(drawn[..4].Order(), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(drawn[4..8].Order(), Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(drawn[8..].Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public void RandomWithReplacementDrawsIndependently()
    {
        var sampler = new RandomSampler(3, replacement: true, numSamples: 30000, generator: new DataGenerator(4));
        int[] drawn = [.. sampler];
        Assert.That(sampler.Count, Is.EqualTo(30000));
        Assert.That(drawn, Has.All.InRange(0, 2));
        foreach (int i in new[] { 0, 1, 2 })
            Assert.That(drawn.Count(d => d == i), Is.InRange(9500, 10500));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomSampler(3, numSamples: 0));
        Assert.Throws<ArgumentException>(() => new RandomSampler(0, replacement: true, numSamples: 2));
    }

    [Test]
    public void WeightedWithReplacementFollowsTheWeights()
    {
        double[] weights = [1, 0, 3, 6];
        int[] drawn = [.. new WeightedRandomSampler(weights, 100000, generator: new DataGenerator(5))];
        Assert.That(drawn.Count(d => d == 1), Is.Zero, "zero weight is never drawn");
        Assert.That(drawn.Count(d => d == 0), Is.InRange(9400, 10600));
        Assert.That(drawn.Count(d => d == 2), Is.InRange(29200, 30800));
        Assert.That(drawn.Count(d => d == 3), Is.InRange(59200, 60800));
    }

    [Test]
    public void WeightedWithoutReplacementDrawsDistinctIndices()
    {
        double[] weights = [5, 0, 1, 1, 1];
        int firstZero = 0;
        for (int seed = 0; seed < 2000; seed++)
        {
            int[] drawn = [.. new WeightedRandomSampler(weights, 4, replacement: false, generator: new DataGenerator((ulong)seed))];
            Assert.That(drawn.Distinct().Count(), Is.EqualTo(4));
            Assert.That(drawn, Does.Not.Contain(1));
            if (drawn[0] == 0) firstZero++;
        }
        // P(first draw = index 0) = 5/8.
        Assert.That(firstZero / 2000.0, Is.EqualTo(0.625).Within(0.04));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler(weights, 5, replacement: false));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, -1], 1));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([0, 0], 1));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, double.NaN], 1));
    }

    [Test]
    public void BatchSamplerMatchesTorch()
    {
        // list(BatchSampler(SequentialSampler(range(10)), 3, drop_last)) in PyTorch 1.13.
        var keep = new BatchSampler(new SequentialSampler(10), 3, dropLast: false);
        Assert.That(keep.ToArray(), Is.EqualTo(new[] { new[] { 0, 1, 2 }, [3, 4, 5], [6, 7, 8], [9] }));
        Assert.That(keep.Count, Is.EqualTo(4));
        var drop = new BatchSampler(new SequentialSampler(10), 3, dropLast: true);
        Assert.That(drop.ToArray(), Is.EqualTo(new[] { new[] { 0, 1, 2 }, [3, 4, 5], [6, 7, 8] }));
        Assert.That(drop.Count, Is.EqualTo(3));
        Assert.That(new BatchSampler(new[] { 7, 8 }, 5, false).Count, Is.EqualTo(1));
        Assert.Throws<NotSupportedException>(() => _ = new BatchSampler(Enumerable.Range(0, 3).Where(i => i >= 0), 2, false).Count);
    }

    // DistributedSampler(range(n), num_replicas=R, rank=r, shuffle=False, drop_last=d) in PyTorch 1.13.
    private static readonly object[] s_distributed =
    [
        new object[] { 10, 3, false, new[] { new[] { 0, 3, 6, 9 }, [1, 4, 7, 0], [2, 5, 8, 1] } },
        new object[] { 10, 3, true, new[] { new[] { 0, 3, 6 }, [1, 4, 7], [2, 5, 8] } },
        new object[] { 10, 4, false, new[] { new[] { 0, 4, 8 }, [1, 5, 9], [2, 6, 0], [3, 7, 1] } },
        new object[] { 2, 4, false, new[] { new[] { 0 }, [1], [0], [1] } },
        new object[] { 7, 7, true, new[] { new[] { 0 }, [1], [2], [3], [4], [5], [6] } },
        new object[] { 11, 4, true, new[] { new[] { 0, 4 }, [1, 5], [2, 6], [3, 7] } },
    ];

    [TestCaseSource(nameof(s_distributed))]
    public void DistributedShardsLikeTorch(int n, int replicas, bool dropLast, int[][] expected)
    {
        for (int rank = 0; rank < replicas; rank++)
        {
            var sampler = new DistributedSampler(n, replicas, rank, shuffle: false, dropLast: dropLast);
            Assert.That(sampler.ToArray(), Is.EqualTo(expected[rank]), $"rank {rank}");
            Assert.That(sampler.Count, Is.EqualTo(expected[rank].Length));
        }
    }

    [Test]
    public void DistributedShuffleAgreesAcrossRanksAndChangesWithEpoch()
    {
        const int n = 23, replicas = 4;
        int[][] Shards(int epoch) => [.. Enumerable.Range(0, replicas).Select(r =>
        {
            var s = new DistributedSampler(n, replicas, r, shuffle: true, seed: 17);
            s.SetEpoch(epoch);
            return s.ToArray();
        })];
        int[][] e0 = Shards(0), again = Shards(0), e1 = Shards(1);
        Assert.That(again, Is.EqualTo(e0), "the same seed and epoch give the same shards");
        Assert.That(e1, Is.Not.EqualTo(e0), "a new epoch gives a new order");
        // 23 samples on 4 ranks: 6 each, 24 in all, so exactly one index appears twice (padding).
        int[] all = [.. e0.SelectMany(s => s)];
        Assert.That(all, Has.Length.EqualTo(24));
        Assert.That(all.Distinct().Order(), Is.EqualTo(Enumerable.Range(0, n)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(10, 0, 0));
    }
}
