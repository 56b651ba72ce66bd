using System;
using System.Buffers;
using System.Collections.Generic;

namespace Ember.Data;

/// <summary>The samples of a dataset at the given indices (<c>torch.utils.data.Subset</c>).</summary>
/// <typeparam name="T">The type of one sample.</typeparam>
public sealed class Subset<T> : Dataset<T>, IBatchedDataset
{
    private readonly int[] _indices;

    /// <summary>Creates a view of <paramref name="dataset"/> holding the samples at <paramref name="indices"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside <paramref name="dataset"/>.</exception>
    public Subset(Dataset<T> dataset, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(indices);
        Dataset = dataset;
        _indices = [.. indices];
        int count = dataset.Count;
        foreach (int i in _indices)
        {
            if ((uint)i >= (uint)count)
                throw new ArgumentOutOfRangeException(nameof(indices), i,
                    $"Subset: index {i} is out of range for a dataset of {count} samples.");
        }
    }

    /// <summary>The underlying dataset.</summary>
    public Dataset<T> Dataset { get; }

    /// <summary>The indices into <see cref="Dataset"/>, in subset order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc/>
    public override int Count => _indices.Length;

    /// <inheritdoc/>
    public override T this[int index]
    {
        get
        {
            CheckIndex(index);
            return Dataset[_indices[index]];
        }
    }

    /// <inheritdoc/>
    public bool TryGetBatch<TBatch>(ReadOnlySpan<int> indices, out TBatch batch)
    {
        if (Dataset is not IBatchedDataset inner)
        {
            batch = default!;
            return false;
        }
        int[] mapped = ArrayPool<int>.Shared.Rent(indices.Length);
        try
        {
            for (int k = 0; k < indices.Length; k++)
            {
                CheckIndex(indices[k]);
                mapped[k] = _indices[indices[k]];
            }
            return inner.TryGetBatch(mapped.AsSpan(0, indices.Length), out batch);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(mapped);
        }
    }
}
