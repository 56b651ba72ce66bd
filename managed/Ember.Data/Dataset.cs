using System;
using System.Collections;
using System.Collections.Generic;

namespace Ember.Data;

/// <summary>
/// A map-style dataset (<c>torch.utils.data.Dataset</c>): a fixed number of samples, each fetched by
/// its index. Subclasses implement <see cref="Count"/> (<c>__len__</c>) and the indexer
/// (<c>__getitem__</c>).
/// </summary>
/// <typeparam name="T">The type of one sample, e.g. <c>(Tensor Image, long Label)</c>.</typeparam>
/// <remarks>
/// A <see cref="DataLoader{T,TBatch}"/> with workers calls the indexer from several threads at once,
/// so it must be safe to call concurrently (reading shared tensors is). Samples that are tensors are
/// owned by the caller: the loader disposes them once they are collated into a batch.
/// </remarks>
public abstract class Dataset<T> : IReadOnlyList<T>
{
    /// <summary>The number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>The sample at <paramref name="index"/>, 0 &lt;= index &lt; <see cref="Count"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the dataset.</exception>
    public abstract T this[int index] { get; }

    /// <summary>Enumerates the samples in index order.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return this[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Concatenates two datasets (<c>dataset + other</c> in PyTorch).</summary>
    public static ConcatDataset<T> operator +(Dataset<T> left, Dataset<T> right) => new(left, right);

    /// <summary>Throws the standard out-of-range error for <paramref name="index"/>.</summary>
    protected void CheckIndex(int index)
    {
        if ((uint)index >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(index), index,
                $"{GetType().Name}: index {index} is out of range for a dataset of {Count} samples.");
    }
}

/// <summary>
/// A dataset that can build a whole batch of samples at once, faster than fetching each sample and
/// collating them (PyTorch's <c>__getitems__</c>). <see cref="DataLoader{T,TBatch}"/> uses it when no
/// custom collate function is given.
/// </summary>
public interface IBatchedDataset
{
    /// <summary>
    /// Builds the batch of the samples at <paramref name="indices"/> when this dataset can produce
    /// batches of type <typeparamref name="TBatch"/>; the result must equal what the default collate
    /// gives for the same samples. Returns false, fetching nothing, for any other batch type.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside the dataset.</exception>
    bool TryGetBatch<TBatch>(ReadOnlySpan<int> indices, out TBatch batch);
}
