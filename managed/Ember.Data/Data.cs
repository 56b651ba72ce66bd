using System;
using System.Collections.Generic;

namespace Ember.Data;

/// <summary>Free functions of <c>torch.utils.data</c>.</summary>
/// <remarks>
/// Code inside a namespace that starts with <c>Ember</c> sees <c>Data</c> as the namespace
/// <c>Ember.Data</c>; write <c>Ember.Data.Data.RandomSplit(...)</c> there.
/// </remarks>
public static class Data
{
    /// <summary>
    /// Splits <paramref name="dataset"/> into non-overlapping random subsets of the given lengths
    /// (<c>torch.utils.data.random_split</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The lengths are negative or do not add up to the dataset's size.</exception>
    public static Subset<T>[] RandomSplit<T>(Dataset<T> dataset, IReadOnlyList<int> lengths, DataGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(lengths);
        long sum = 0;
        foreach (int length in lengths)
        {
            if (length < 0)
                throw new ArgumentException($"RandomSplit: lengths must not be negative, got [{string.Join(", ", lengths)}].", nameof(lengths));
            sum += length;
        }
        if (sum != dataset.Count)
            throw new ArgumentException(
                $"RandomSplit: the lengths [{string.Join(", ", lengths)}] add up to {sum}, not to the dataset's {dataset.Count} samples.",
                nameof(lengths));
        int[] perm = (generator ?? DataGenerator.Default).RandPerm(dataset.Count);
        var subsets = new Subset<T>[lengths.Count];
        int offset = 0;
        for (int i = 0; i < subsets.Length; i++)
        {
            subsets[i] = new Subset<T>(dataset, new ArraySegment<int>(perm, offset, lengths[i]));
            offset += lengths[i];
        }
        return subsets;
    }

    /// <summary>
    /// Splits <paramref name="dataset"/> into random subsets holding the given fractions of it: each
    /// gets floor(fraction * size) samples and the remainder goes one by one to the first subsets,
    /// as PyTorch does.
    /// </summary>
    /// <exception cref="ArgumentException">A fraction is outside [0, 1] or they do not add up to 1.</exception>
    public static Subset<T>[] RandomSplit<T>(Dataset<T> dataset, IReadOnlyList<double> fractions, DataGenerator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return RandomSplit(dataset, SplitLengths(dataset.Count, fractions), generator);
    }

    /// <summary>The subset lengths <see cref="RandomSplit{T}(Dataset{T}, IReadOnlyList{double}, DataGenerator?)"/> uses.</summary>
    public static int[] SplitLengths(int count, IReadOnlyList<double> fractions)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        double total = 0;
        foreach (double f in fractions)
        {
            if (!(f >= 0 && f <= 1))
                throw new ArgumentException($"RandomSplit: fractions must lie in [0, 1], got [{string.Join(", ", fractions)}].", nameof(fractions));
            total += f;
        }
        if (Math.Abs(total - 1) > 1e-9 || fractions.Count == 0)
            throw new ArgumentException($"RandomSplit: the fractions [{string.Join(", ", fractions)}] add up to {total}, not 1.", nameof(fractions));
        var lengths = new int[fractions.Count];
        int assigned = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = (int)Math.Floor(count * fractions[i]);
            assigned += lengths[i];
        }
        for (int i = 0; assigned < count; i = (i + 1) % lengths.Length, assigned++) lengths[i]++;
        return lengths;
    }
}
