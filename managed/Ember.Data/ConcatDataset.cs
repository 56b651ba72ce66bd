using System;
using System.Collections.Generic;

namespace Ember.Data;

/// <summary>Several datasets one after the other (<c>torch.utils.data.ConcatDataset</c>).</summary>
/// <typeparam name="T">The type of one sample.</typeparam>
public sealed class ConcatDataset<T> : Dataset<T>, IBatchedDataset
{
    private readonly Dataset<T>[] _datasets;
    private readonly int[] _cumulativeSizes;

    /// <summary>Concatenates <paramref name="datasets"/> in the given order.</summary>
    /// <exception cref="ArgumentException">No dataset was given, or the total exceeds <see cref="int.MaxValue"/> samples.</exception>
    public ConcatDataset(params IEnumerable<Dataset<T>> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        _datasets = [.. datasets];
        if (_datasets.Length == 0)
            throw new ArgumentException("ConcatDataset: at least one dataset is needed.", nameof(datasets));
        _cumulativeSizes = new int[_datasets.Length];
        long total = 0;
        for (int i = 0; i < _datasets.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(_datasets[i], nameof(datasets));
            total += _datasets[i].Count;
            if (total > int.MaxValue)
                throw new ArgumentException($"ConcatDataset: {total} samples in all exceed the limit of {int.MaxValue}.", nameof(datasets));
            _cumulativeSizes[i] = (int)total;
        }
    }

    /// <summary>The concatenated datasets.</summary>
    public IReadOnlyList<Dataset<T>> Datasets => _datasets;

    /// <summary>The running totals of the dataset sizes (<c>cumulative_sizes</c>).</summary>
    public IReadOnlyList<int> CumulativeSizes => _cumulativeSizes;

    /// <inheritdoc/>
    public override int Count => _cumulativeSizes[^1];

    /// <inheritdoc/>
    public override T this[int index]
    {
        get
        {
            CheckIndex(index);
            int part = Locate(index);
            return _datasets[part][index - Start(part)];
        }
    }

    /// <summary>Builds the batch in one call when every index falls into the same batched dataset.</summary>
    public bool TryGetBatch<TBatch>(ReadOnlySpan<int> indices, out TBatch batch)
    {
        batch = default!;
        if (indices.IsEmpty) return false;
        CheckIndex(indices[0]);
        int part = Locate(indices[0]);
        if (_datasets[part] is not IBatchedDataset inner) return false;
        int start = Start(part), end = _cumulativeSizes[part];
        var local = new int[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            CheckIndex(indices[k]);
            if (indices[k] < start || indices[k] >= end) return false;
            local[k] = indices[k] - start;
        }
        return inner.TryGetBatch(local, out batch);
    }

    private int Locate(int index)
    {
        // First dataset whose running total exceeds the index.
        int found = Array.BinarySearch(_cumulativeSizes, index + 1);
        if (found < 0) return ~found;
        while (found > 0 && _cumulativeSizes[found - 1] == index + 1) found--;
        return found;
    }

    private int Start(int part) => part == 0 ? 0 : _cumulativeSizes[part - 1];
}
