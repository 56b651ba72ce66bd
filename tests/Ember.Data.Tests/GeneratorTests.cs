namespace Ember.Data.Tests;

public class GeneratorTests
{
    // From tests/reference/make_generator_reference.py, an independent Python SplitMix64 + xoshiro256**.
    [TestCase(0UL, new ulong[] { 11091344671253066420, 13793997310169335082, 1900383378846508768, 7684712102626143532 })]
    [TestCase(42UL, new ulong[] { 1546998764402558742, 6990951692964543102, 12544586762248559009, 17057574109182124193 })]
    public void StreamMatchesThePublishedAlgorithm(ulong seed, ulong[] expected)
    {
        var g = new DataGenerator(seed);
        Assert.That(Enumerable.Range(0, 4).Select(_ => g.NextUInt64()), Is.EqualTo(expected));
    }

    [Test]
    public void DoublesUseTheTop53Bits()
    {
        var g = new DataGenerator(7);
        Assert.That(g.NextDouble(), Is.EqualTo(0.7005764821796896));
        Assert.That(g.NextDouble(), Is.EqualTo(0.2787512294737843));
    }

    [Test]
    public void ManualSeedRestartsTheStream()
    {
        var g = new DataGenerator(5);
        ulong first = g.NextUInt64();
        g.NextUInt64();
        Assert.That(g.ManualSeed(5).NextUInt64(), Is.EqualTo(first));
        Assert.That(g.InitialSeed, Is.EqualTo(5UL));
    }

    [Test]
    public void StateRoundTripsAndRejectsBadStates()
    {
        var g = new DataGenerator(9);
        g.NextUInt64();
        byte[] state = g.GetState();
        ulong[] next = [g.NextUInt64(), g.NextUInt64()];
        var h = new DataGenerator(1);
        h.SetState(state);
        Assert.That(new[] { h.NextUInt64(), h.NextUInt64() }, Is.EqualTo(next));
        Assert.That(h.InitialSeed, Is.EqualTo(9UL));
        Assert.Throws<ArgumentException>(() => h.SetState(new byte[39]));
        Assert.Throws<ArgumentException>(() => h.SetState(new byte[40]));
    }

    [Test]
    public void BoundedIntegersStayInRangeAndCoverIt()
    {
        var g = new DataGenerator(3);
        var counts = new int[7];
        for (int i = 0; i < 70000; i++)
            counts[g.NextInt64(7)]++;
        // Each count is binomial(70000, 1/7): mean 10000, sd ~ 92; 6 sd is far outside chance.
        Assert.That(counts, Has.All.InRange(10000 - 550, 10000 + 550));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.NextInt64(0));
        Assert.That(g.NextInt64(1), Is.Zero);
    }

    [Test]
    public void RandPermIsAPermutationAndSeeded()
    {
        int[] a = new DataGenerator(11).RandPerm(1000);
        int[] b = new DataGenerator(11).RandPerm(1000);
        int[] c = new DataGenerator(12).RandPerm(1000);
        Assert.That(a.Order(), Is.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a, Is.Not.EqualTo(c));
        Assert.That(a, Is.Not.EqualTo(Enumerable.Range(0, 1000)));
        Assert.That(new DataGenerator(1).RandPerm(0), Is.Empty);
    }

    [Test]
    public void CurrentIsDefaultOutsideLoaders()
    {
        Assert.That(DataGenerator.Current, Is.SameAs(DataGenerator.Default));
    }
}
