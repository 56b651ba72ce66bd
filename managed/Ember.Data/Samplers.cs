using System;
using System.Collections;
using System.Collections.Generic;

namespace Ember.Data;

/// <summary>
/// The order in which a loader visits dataset indices (<c>torch.utils.data.Sampler</c>). Each
/// enumeration is one pass (one epoch).
/// </summary>
public abstract class Sampler : IEnumerable<int>
{
    /// <summary>The number of indices one pass yields (<c>len(sampler)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>Starts a pass. Random samplers draw a new order for every pass.</summary>
    public abstract IEnumerator<int> GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>0, 1, ..., n-1 (<c>SequentialSampler</c>).</summary>
public sealed class SequentialSampler : Sampler
{
    private readonly int _length;

    /// <summary>Visits the <paramref name="length"/> indices of a dataset in order.</summary>
    public SequentialSampler(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
    }

    /// <inheritdoc/>
    public override int Count => _length;

    /// <inheritdoc/>
    public override IEnumerator<int> GetEnumerator()
    {
        for (int i = 0; i < _length; i++) yield return i;
    }
}

/// <summary>Random indices (<c>RandomSampler</c>).</summary>
/// <remarks>
/// Without replacement a pass is a random permutation; when <c>numSamples</c> exceeds the dataset's
/// length, whole permutations follow one another and the last is cut, as in PyTorch. With replacement
/// every index is drawn uniformly and independently.
/// </remarks>
public sealed class RandomSampler : Sampler
{
    private readonly int _length;
    private readonly int _numSamples;

    /// <summary>Samples indices of a dataset of <paramref name="length"/> samples.</summary>
    /// <param name="length">The dataset's size.</param>
    /// <param name="replacement">Draw with replacement.</param>
    /// <param name="numSamples">Indices per pass; the dataset's size by default.</param>
    /// <param name="generator">Source of randomness; <see cref="DataGenerator.Default"/> when null.</param>
    public RandomSampler(int length, bool replacement = false, int? numSamples = null, DataGenerator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (numSamples is <= 0)
            throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, "RandomSampler: numSamples must be positive.");
        if (length == 0 && numSamples is > 0)
            throw new ArgumentException("RandomSampler: cannot draw samples from an empty dataset.", nameof(length));
        _length = length;
        _numSamples = numSamples ?? length;
        Replacement = replacement;
        Generator = generator;
    }

    /// <summary>Whether indices are drawn with replacement.</summary>
    public bool Replacement { get; }

    /// <summary>The generator given at construction, if any.</summary>
    public DataGenerator? Generator { get; }

    /// <inheritdoc/>
    public override int Count => _numSamples;

    /// <inheritdoc/>
    public override IEnumerator<int> GetEnumerator()
    {
        var gen = Generator ?? DataGenerator.Default;
        if (Replacement)
        {
            for (int i = 0; i < _numSamples; i++) yield return gen.NextInt32(_length);
            yield break;
        }
        int left = _numSamples;
        while (left > 0)
        {
            int[] perm = gen.RandPerm(_length);
            int take = Math.Min(left, _length);
            for (int i = 0; i < take; i++) yield return perm[i];
            left -= take;
        }
    }
}

/// <summary>Indices drawn in proportion to per-sample weights (<c>WeightedRandomSampler</c>).</summary>
/// <remarks>
/// Without replacement each draw picks among the indices not drawn yet in proportion to their weights
/// (the distribution of <c>torch.multinomial(weights, n, replacement=False)</c>), computed with
/// exponential keys in one pass.
/// </remarks>
public sealed class WeightedRandomSampler : Sampler
{
    private readonly double[] _weights;
    private readonly double[] _cumulative;
    private readonly int _numSamples;

    /// <summary>Draws <paramref name="numSamples"/> indices into <paramref name="weights"/>.</summary>
    /// <exception cref="ArgumentException">A weight is negative or not finite, all are zero, or more
    /// samples are asked for without replacement than there are positive weights.</exception>
    public WeightedRandomSampler(IReadOnlyList<double> weights, int numSamples, bool replacement = true, DataGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (numSamples <= 0)
            throw new ArgumentOutOfRangeException(nameof(numSamples), numSamples, "WeightedRandomSampler: numSamples must be positive.");
        _weights = [.. weights];
        _cumulative = new double[_weights.Length];
        double total = 0;
        int positive = 0;
        for (int i = 0; i < _weights.Length; i++)
        {
            double w = _weights[i];
            if (!(w >= 0) || double.IsInfinity(w))
                throw new ArgumentException($"WeightedRandomSampler: weight {i} is {w}; weights must be finite and non-negative.", nameof(weights));
            if (w > 0) positive++;
            total += w;
            _cumulative[i] = total;
        }
        if (total <= 0)
            throw new ArgumentException($"WeightedRandomSampler: the {_weights.Length} weights add up to zero.", nameof(weights));
        if (!replacement && numSamples > positive)
            throw new ArgumentException(
                $"WeightedRandomSampler: cannot draw {numSamples} samples without replacement from {positive} indices of positive weight.",
                nameof(numSamples));
        _numSamples = numSamples;
        Replacement = replacement;
        Generator = generator;
    }

    /// <summary>Whether indices are drawn with replacement.</summary>
    public bool Replacement { get; }

    /// <summary>The generator given at construction, if any.</summary>
    public DataGenerator? Generator { get; }

    /// <summary>The weights, one per dataset index.</summary>
    public IReadOnlyList<double> Weights => _weights;

    /// <inheritdoc/>
    public override int Count => _numSamples;

    /// <inheritdoc/>
    public override IEnumerator<int> GetEnumerator()
    {
        var gen = Generator ?? DataGenerator.Default;
        return Replacement ? WithReplacement(gen) : WithoutReplacement(gen);
    }

    private IEnumerator<int> WithReplacement(DataGenerator gen)
    {
        double total = _cumulative[^1];
        for (int n = 0; n < _numSamples; n++)
        {
            double u = gen.NextDouble() * total;
            // First running total strictly above u; its weight is positive.
            int lo = 0, hi = _cumulative.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (_cumulative[mid] > u) hi = mid; else lo = mid + 1;
            }
            // u can round up to the total itself: take the last index of positive weight.
            while (lo >= _weights.Length || _weights[lo] == 0) lo--;
            yield return lo;
        }
    }

    private IEnumerator<int> WithoutReplacement(DataGenerator gen)
    {
        // Efraimidis-Spirakis: key = log(u) / w, the largest keys in decreasing order are a weighted
        // sample without replacement in draw order.
        var keys = new List<(double Key, int Index)>(_weights.Length);
        for (int i = 0; i < _weights.Length; i++)
        {
            double u = gen.NextDouble();
            if (_weights[i] > 0) keys.Add((Math.Log(1.0 - u) / _weights[i], i));
        }
        keys.Sort((a, b) => b.Key != a.Key ? b.Key.CompareTo(a.Key) : a.Index.CompareTo(b.Index));
        for (int n = 0; n < _numSamples; n++) yield return keys[n].Index;
    }
}

/// <summary>Groups the indices of another sampler into batches (<c>BatchSampler</c>).</summary>
public sealed class BatchSampler : IEnumerable<int[]>
{
    /// <summary>Batches of <paramref name="batchSize"/> indices from <paramref name="sampler"/>; the
    /// last one is shorter unless <paramref name="dropLast"/> drops it.</summary>
    public BatchSampler(IEnumerable<int> sampler, int batchSize, bool dropLast)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "BatchSampler: batchSize must be positive.");
        Sampler = sampler;
        BatchSize = batchSize;
        DropLast = dropLast;
    }

    /// <summary>The sampler whose indices are grouped.</summary>
    public IEnumerable<int> Sampler { get; }

    /// <summary>Indices per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether a last, incomplete batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Batches per pass, when the sampler's length is known (a <see cref="Ember.Data.Sampler"/> or a collection).</summary>
    /// <exception cref="NotSupportedException">The sampler has no known length.</exception>
    public int Count
    {
        get
        {
            int n = Sampler switch
            {
                Sampler s => s.Count,
                IReadOnlyCollection<int> c => c.Count,
                ICollection<int> c => c.Count,
                _ => throw new NotSupportedException("BatchSampler.Count: the underlying sampler has no known length."),
            };
            return DropLast ? n / BatchSize : (n + BatchSize - 1) / BatchSize;
        }
    }

    /// <summary>Starts a pass over the underlying sampler.</summary>
    public IEnumerator<int[]> GetEnumerator()
    {
        var batch = new int[BatchSize];
        int filled = 0;
        foreach (int index in Sampler)
        {
            batch[filled++] = index;
            if (filled == BatchSize)
            {
                yield return batch;
                batch = new int[BatchSize];
                filled = 0;
            }
        }
        if (filled > 0 && !DropLast) yield return batch[..filled];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// The share of a dataset that one process of a distributed job visits
/// (<c>torch.utils.data.distributed.DistributedSampler</c>).
/// </summary>
/// <remarks>
/// Every replica gets <see cref="NumSamples"/> indices: the (shuffled) index list is padded by
/// repeating its start (or cut, with <c>dropLast</c>) to <see cref="TotalSize"/> and replica
/// <c>r</c> takes every <c>NumReplicas</c>-th element from position <c>r</c>, exactly as in PyTorch.
/// Shuffling uses a generator seeded with <c>seed + epoch</c>: call <see cref="SetEpoch"/> before each
/// epoch so that the order changes while all replicas agree on it.
/// </remarks>
public sealed class DistributedSampler : Sampler
{
    private readonly int _length;

    /// <summary>Creates the sampler of replica <paramref name="rank"/> out of <paramref name="numReplicas"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rank is outside [0, numReplicas) or numReplicas is not positive.</exception>
    public DistributedSampler(int length, int numReplicas, int rank, bool shuffle = true, ulong seed = 0, bool dropLast = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (numReplicas <= 0)
            throw new ArgumentOutOfRangeException(nameof(numReplicas), numReplicas, "DistributedSampler: numReplicas must be positive.");
        if (rank < 0 || rank >= numReplicas)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"DistributedSampler: invalid rank {rank}, rank should be in the interval [0, {numReplicas - 1}].");
        _length = length;
        NumReplicas = numReplicas;
        Rank = rank;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        NumSamples = dropLast && length % numReplicas != 0
            ? (int)Math.Ceiling((length - numReplicas) / (double)numReplicas)
            : (int)Math.Ceiling(length / (double)numReplicas);
        TotalSize = NumSamples * numReplicas;
    }

    /// <summary>How many processes share the dataset (the world size).</summary>
    public int NumReplicas { get; }

    /// <summary>This process's index among them.</summary>
    public int Rank { get; }

    /// <summary>Whether the order is shuffled each epoch.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed shared by all replicas.</summary>
    public ulong Seed { get; }

    /// <summary>Whether the tail that does not divide evenly is dropped instead of padded.</summary>
    public bool DropLast { get; }

    /// <summary>The current epoch, mixed into the shuffling seed.</summary>
    public int Epoch { get; private set; }

    /// <summary>Indices this replica visits per pass.</summary>
    public int NumSamples { get; }

    /// <summary>Indices all replicas visit together per pass.</summary>
    public int TotalSize { get; }

    /// <inheritdoc/>
    public override int Count => NumSamples;

    /// <summary>Sets the epoch for the next pass (<c>set_epoch</c>).</summary>
    public void SetEpoch(int epoch) => Epoch = epoch;

    /// <inheritdoc/>
    public override IEnumerator<int> GetEnumerator()
    {
        int[] indices = Shuffle
            ? new DataGenerator(Seed + (ulong)(long)Epoch).RandPerm(_length)
            : CreateRange(_length);
        // Position p of the padded (or cut) list is indices[p % length]; the replica takes p = rank, rank + R, ...
        for (int p = Rank; p < TotalSize; p += NumReplicas)
            yield return indices[p % indices.Length];
    }

    private static int[] CreateRange(int n)
    {
        var range = new int[n];
        for (int i = 0; i < n; i++) range[i] = i;
        return range;
    }
}
