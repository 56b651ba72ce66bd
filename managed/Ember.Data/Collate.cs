using System.Runtime.CompilerServices;

namespace Ember.Data;

/// <summary>
/// Turns a list of samples into one batch (<c>torch.utils.data.default_collate</c>): tensors are
/// stacked along a new dim 0, numbers become a 1-d tensor, and tuples and arrays are collated
/// position by position.
/// </summary>
/// <remarks>
/// Supported sample types: <see cref="Tensor"/>; <c>long</c>, <c>int</c>, <c>short</c>, <c>byte</c>
/// and <c>sbyte</c> (to int64, as Python ints are), <c>float</c> (float32), <c>double</c>
/// (float64), <c>bool</c>; <c>Tensor[]</c>; value tuples of 2 to 4 such elements, collated to tuples of
/// tensors. Any other sample type needs a collate function of its own.
/// </remarks>
public static class Collate
{
    /// <summary>
    /// The default collate function for samples of type <typeparamref name="T"/> and batches of type
    /// <typeparamref name="TBatch"/>.
    /// </summary>
    /// <exception cref="NotSupportedException">The pair of types is not one the default collate handles.</exception>
    public static Func<IReadOnlyList<T>, TBatch> Default<T, TBatch>()
    {
        Type t = typeof(T), b = typeof(TBatch);
        if (b == typeof(Tensor) && (t == typeof(Tensor) || IsNumber(t)))
            return samples => (TBatch)(object)Column(samples, 0, samples.Count == 0 ? null : samples[0], static (s, _) => s);
        if (t == typeof(Tensor[]) && b == typeof(Tensor[]))
            return samples => (TBatch)(object)StackFields((IReadOnlyList<Tensor[]>)samples);
        int arity = TupleArity(t);
        if (arity > 0 && TupleArity(b) == arity && AllTensors(b) && AllCollatable(t))
            return samples => (TBatch)CollateTuples(samples, arity);
        throw new NotSupportedException(
            $"Collate.Default: cannot collate samples of type {t} into batches of type {b}. The default collate handles Tensor, " +
            "numbers, Tensor[] and value tuples of those (into Tensor, Tensor[] or tuples of Tensor); pass a collate function for other types.");
    }

    /// <summary>
    /// Stacks tensors of one shape, dtype and device along a new dim 0 (<c>torch.stack(tensors)</c>):
    /// the result is allocated once and each tensor is copied into its slice.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty, or the tensors differ in shape, dtype or device.</exception>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0)
            throw new ArgumentException("Collate.Stack: expected a non-empty list of tensors.", nameof(tensors));
        Tensor first = tensors[0];
        Size shape = first.Shape;
        DType dtype = first.DType;
        Device device = first.Device;
        for (int i = 1; i < tensors.Count; i++)
        {
            Tensor t = tensors[i];
            if (!t.Shape.Equals(shape))
                throw new ShapeMismatchException($"Collate.Stack: stack expects each tensor to be equal size, but got {shape} at entry 0 and {t.Shape} at entry {i}.");
            if (t.DType != dtype)
                throw new DTypeException($"Collate.Stack: expected every tensor to have dtype {dtype.ToTorchString()}, but entry {i} has {t.DType.ToTorchString()}.");
            if (t.Device != device)
                throw new DeviceException($"Collate.Stack: expected every tensor on {device}, but entry {i} is on {t.Device}.");
        }
        var batchShape = new long[shape.Count + 1];
        batchShape[0] = tensors.Count;
        for (int d = 0; d < shape.Count; d++) batchShape[d + 1] = shape[d];
        Tensor batch = Torch.Empty(batchShape, dtype, device);
        try
        {
            for (int i = 0; i < tensors.Count; i++)
            {
                using Tensor slot = batch.Select(0, i);
                slot.Copy_(tensors[i]);
            }
        }
        catch
        {
            batch.Dispose();
            throw;
        }
        return batch;
    }

    /// <summary>Collates the tensor arrays of a <see cref="TensorDataset"/>-like dataset position by position.</summary>
    private static Tensor[] StackFields(IReadOnlyList<Tensor[]> samples)
    {
        if (samples.Count == 0)
            throw new ArgumentException("Collate.Default: cannot collate an empty list of samples.");
        int fields = samples[0].Length;
        var result = new Tensor[fields];
        var column = new Tensor[samples.Count];
        for (int f = 0; f < fields; f++)
        {
            for (int i = 0; i < samples.Count; i++)
            {
                if (samples[i].Length != fields)
                    throw new ArgumentException($"Collate.Default: each sample should have {fields} tensors, but sample {i} has {samples[i].Length}.");
                column[i] = samples[i][f];
            }
            result[f] = Stack(column);
        }
        return result;
    }

    private static object CollateTuples<T>(IReadOnlyList<T> samples, int arity)
    {
        if (samples.Count == 0)
            throw new ArgumentException("Collate.Default: cannot collate an empty list of samples.");
        var fields = new Tensor[arity];
        for (int f = 0; f < arity; f++)
            fields[f] = Column(samples, f, ((ITuple)samples[0]!)[f], static (s, k) => ((ITuple)s!)[k]);
        return arity switch
        {
            2 => (fields[0], fields[1]),
            3 => (fields[0], fields[1], fields[2]),
            _ => (fields[0], fields[1], fields[2], fields[3]),
        };
    }

    /// <summary>Collates one position of the samples: tensors are stacked, numbers become a 1-d tensor.</summary>
    private static Tensor Column<T>(IReadOnlyList<T> samples, int field, object? first, Func<T, int, object?> get)
    {
        int n = samples.Count;
        switch (first)
        {
            case Tensor:
            {
                var column = new Tensor[n];
                for (int i = 0; i < n; i++)
                    column[i] = get(samples[i], field) as Tensor
                        ?? throw new ArgumentException($"Collate.Default: sample {i} has no tensor at position {field}.");
                return Stack(column);
            }
            case long or int or short or byte or sbyte:
            {
                var values = new long[n];
                for (int i = 0; i < n; i++) values[i] = Convert.ToInt64(get(samples[i], field));
                return Torch.Tensor<long>(values, [n]);
            }
            case float:
            {
                var values = new float[n];
                for (int i = 0; i < n; i++) values[i] = (float)get(samples[i], field)!;
                return Torch.Tensor<float>(values, [n]);
            }
            case double:
            {
                var values = new double[n];
                for (int i = 0; i < n; i++) values[i] = (double)get(samples[i], field)!;
                return Torch.Tensor<double>(values, [n]);
            }
            case bool:
            {
                var values = new bool[n];
                for (int i = 0; i < n; i++) values[i] = (bool)get(samples[i], field)!;
                return Torch.Tensor<bool>(values, [n]);
            }
            default:
                throw n == 0
                    ? new ArgumentException("Collate.Default: cannot collate an empty list of samples.")
                    : new NotSupportedException($"Collate.Default: cannot collate values of type {first?.GetType().ToString() ?? "null"} at position {field}.");
        }
    }

    private static bool IsNumber(Type t) =>
        t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(byte) || t == typeof(sbyte) ||
        t == typeof(float) || t == typeof(double) || t == typeof(bool);

    private static int TupleArity(Type t)
    {
        if (!t.IsGenericType) return 0;
        Type d = t.GetGenericTypeDefinition();
        return d == typeof(ValueTuple<,>) ? 2 : d == typeof(ValueTuple<,,>) ? 3 : d == typeof(ValueTuple<,,,>) ? 4 : 0;
    }

    private static bool AllTensors(Type tuple) => tuple.GetGenericArguments().All(a => a == typeof(Tensor));

    private static bool AllCollatable(Type tuple) => tuple.GetGenericArguments().All(a => a == typeof(Tensor) || IsNumber(a));
}
