namespace Ember.Data;

/// <summary>
/// Samples that are rows of tensors (<c>torch.utils.data.TensorDataset</c>): sample i is
/// <c>[t0[i], t1[i], ...]</c>, views into the tensors.
/// </summary>
/// <remarks>
/// The dataset holds its own references to the tensors (they are not copied), so disposing the
/// tensors given to it, or the scope they were created in, does not affect it; dispose the dataset
/// to release them. A loader without a custom collate builds each batch by copying the rows
/// straight into one new tensor per field, without creating per-sample tensors.
/// </remarks>
public sealed class TensorDataset : Dataset<Tensor[]>, IBatchedDataset, IDisposable
{
    private readonly Tensor[] _tensors;

    /// <summary>Creates the dataset; all tensors must have the same size in dim 0.</summary>
    /// <exception cref="ArgumentException">No tensor is given, one is 0-d, or the sizes of dim 0 differ.</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
            throw new ArgumentException("TensorDataset: at least one tensor is needed.", nameof(tensors));
        for (int i = 0; i < tensors.Length; i++)
        {
            ArgumentNullException.ThrowIfNull(tensors[i], nameof(tensors));
            if (tensors[i].Dim == 0)
                throw new ShapeMismatchException($"TensorDataset: tensor {i} is 0-d; every tensor needs a first dim to index.");
            if (tensors[i].GetSize(0) != tensors[0].GetSize(0))
                throw new ShapeMismatchException(
                    $"TensorDataset: size mismatch between tensors: tensor 0 has shape {tensors[0].Shape} but tensor {i} has shape {tensors[i].Shape}.");
        }
        long rows = tensors[0].GetSize(0);
        if (rows > int.MaxValue)
            throw new ArgumentException($"TensorDataset: {rows} rows exceed the limit of {int.MaxValue} samples.", nameof(tensors));
        _tensors = new Tensor[tensors.Length];
        for (int i = 0; i < tensors.Length; i++)
            _tensors[i] = tensors[i].Alias().DetachFromScope();
    }

    /// <summary>The tensors (the dataset's own references; do not dispose them).</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <inheritdoc/>
    public override int Count => (int)_tensors[0].GetSize(0);

    /// <summary>Views of row <paramref name="index"/> of every tensor.</summary>
    public override Tensor[] this[int index]
    {
        get
        {
            CheckIndex(index);
            var row = new Tensor[_tensors.Length];
            for (int i = 0; i < row.Length; i++)
                row[i] = _tensors[i].Select(0, index);
            return row;
        }
    }

    /// <summary>Builds a <c>Tensor[]</c> batch: one new tensor per field holding the chosen rows.</summary>
    public bool TryGetBatch<TBatch>(ReadOnlySpan<int> indices, out TBatch batch)
    {
        if (typeof(TBatch) != typeof(Tensor[]))
        {
            batch = default!;
            return false;
        }
        foreach (int i in indices)
            CheckIndex(i);
        var fields = new Tensor[_tensors.Length];
        for (int f = 0; f < fields.Length; f++)
            fields[f] = Rows.Gather(_tensors[f], indices);
        batch = (TBatch)(object)fields;
        return true;
    }

    /// <summary>Releases the dataset's references to the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in _tensors)
            t.Dispose();
    }
}

/// <summary>Row gathers (<c>index_select</c> along dim 0) expressed with slices and copies.</summary>
internal static class Rows
{
    /// <summary>
    /// A new tensor holding <c>source[indices[0]], source[indices[1]], ...</c>: allocated once, filled
    /// with one copy per run of consecutive indices.
    /// </summary>
    public static Tensor Gather(Tensor source, ReadOnlySpan<int> indices)
    {
        long rows = source.GetSize(0);
        var shape = source.Shape.ToArray();
        shape[0] = indices.Length;
        Tensor result = Torch.Empty(shape, source.DType, source.Device);
        try
        {
            int k = 0;
            while (k < indices.Length)
            {
                int start = indices[k];
                if ((uint)start >= (ulong)rows)
                    throw new ArgumentOutOfRangeException(nameof(indices), start, $"index {start} is out of range for a tensor of {rows} rows");
                int length = 1;
                while (k + length < indices.Length && indices[k + length] == start + length)
                    length++;
                using Tensor from = source.Slice(0, start, start + length);
                using Tensor to = result.Slice(0, k, k + length);
                to.Copy_(from);
                k += length;
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
        return result;
    }
}
