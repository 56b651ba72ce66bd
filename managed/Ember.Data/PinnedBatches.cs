namespace Ember.Data;

/// <summary>
/// A batch type of your own that a loader created with <c>pinMemory: true</c> can pin (PyTorch calls a custom batch's
/// <c>pin_memory()</c> method the same way).
/// </summary>
/// <typeparam name="TBatch">The batch type itself.</typeparam>
public interface IPinnableBatch<TBatch>
{
    /// <summary>The batch with its CPU tensors copied into pinned memory (<see cref="Tensor.PinMemory"/>).</summary>
    TBatch PinMemory();
}

/// <summary>Copies the tensors of a batch into pinned memory, keeping the batch's type.</summary>
internal static class PinnedBatches
{
    /// <summary>The function that pins batches of type <typeparamref name="TBatch"/>.</summary>
    /// <exception cref="NotSupportedException">The loader cannot pin batches of that type.</exception>
    public static Func<TBatch, TBatch> For<TBatch>()
    {
        Type b = typeof(TBatch);
        if (b == typeof(Tensor))
            return batch => (TBatch)(object)Pin((Tensor)(object)batch!);
        if (b == typeof(Tensor[]))
            return batch => (TBatch)(object)Array.ConvertAll((Tensor[])(object)batch!, Pin);
        if (b == typeof((Tensor, Tensor)))
            return batch =>
            {
                var (x, y) = ((Tensor, Tensor))(object)batch!;
                return (TBatch)(object)(Pin(x), Pin(y));
            };
        if (b == typeof((Tensor, Tensor, Tensor)))
            return batch =>
            {
                var (x, y, z) = ((Tensor, Tensor, Tensor))(object)batch!;
                return (TBatch)(object)(Pin(x), Pin(y), Pin(z));
            };
        if (b == typeof((Tensor, Tensor, Tensor, Tensor)))
            return batch =>
            {
                var (x, y, z, w) = ((Tensor, Tensor, Tensor, Tensor))(object)batch!;
                return (TBatch)(object)(Pin(x), Pin(y), Pin(z), Pin(w));
            };
        if (typeof(IPinnableBatch<TBatch>).IsAssignableFrom(b))
            return batch => ((IPinnableBatch<TBatch>)batch!).PinMemory();
        throw new NotSupportedException(
            $"DataLoader: pinMemory cannot pin batches of type {b}; it pins Tensor, Tensor[] and value tuples of 2 to 4 " +
            "tensors (what the default collate makes), and batch types that implement IPinnableBatch<TBatch>.");
    }

    // A tensor a collate function already put on a GPU stays there.
    private static Tensor Pin(Tensor t) => t.Device == Device.CPU ? t.PinMemory() : t;
}
