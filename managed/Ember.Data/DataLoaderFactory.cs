namespace Ember.Data;

/// <summary>
/// Creates <see cref="DataLoader{T,TBatch}"/>s with the batch type inferred from the sample type, so
/// that <c>DataLoader.Create(trainSet, batchSize: 64, shuffle: true)</c> reads like PyTorch.
/// </summary>
public static class DataLoader
{
    /// <summary>A loader of (image, label) samples giving <c>(Tensor Images, Tensor Labels)</c> batches, labels as int64.</summary>
    public static DataLoader<(Tensor, long), (Tensor, Tensor)> Create(
        Dataset<(Tensor, long)> dataset, int batchSize = 1, bool shuffle = false, Sampler? sampler = null,
        int numWorkers = 0, bool dropLast = false, DataGenerator? generator = null, int prefetchFactor = 2,
        Action<int>? workerInit = null, bool disposeBatches = true, bool pinMemory = false) =>
        new(dataset, batchSize, shuffle, sampler, null, numWorkers, null, dropLast, generator, prefetchFactor, workerInit, disposeBatches, pinMemory);

    /// <summary>A loader of tensor-array samples (a <see cref="TensorDataset"/>) giving one stacked tensor per field.</summary>
    public static DataLoader<Tensor[], Tensor[]> Create(
        Dataset<Tensor[]> dataset, int batchSize = 1, bool shuffle = false, Sampler? sampler = null,
        int numWorkers = 0, bool dropLast = false, DataGenerator? generator = null, int prefetchFactor = 2,
        Action<int>? workerInit = null, bool disposeBatches = true, bool pinMemory = false) =>
        new(dataset, batchSize, shuffle, sampler, null, numWorkers, null, dropLast, generator, prefetchFactor, workerInit, disposeBatches, pinMemory);

    /// <summary>A loader of tensor samples giving stacked tensors.</summary>
    public static DataLoader<Tensor, Tensor> Create(
        Dataset<Tensor> dataset, int batchSize = 1, bool shuffle = false, Sampler? sampler = null,
        int numWorkers = 0, bool dropLast = false, DataGenerator? generator = null, int prefetchFactor = 2,
        Action<int>? workerInit = null, bool disposeBatches = true, bool pinMemory = false) =>
        new(dataset, batchSize, shuffle, sampler, null, numWorkers, null, dropLast, generator, prefetchFactor, workerInit, disposeBatches, pinMemory);

    /// <summary>A loader with a collate function of its own, which fixes the batch type.</summary>
    public static DataLoader<T, TBatch> Create<T, TBatch>(
        Dataset<T> dataset, Func<IReadOnlyList<T>, TBatch> collate, int batchSize = 1, bool shuffle = false, Sampler? sampler = null,
        int numWorkers = 0, bool dropLast = false, DataGenerator? generator = null, int prefetchFactor = 2,
        Action<int>? workerInit = null, bool disposeBatches = true, bool pinMemory = false) =>
        new(dataset, batchSize, shuffle, sampler, null, numWorkers, collate, dropLast, generator, prefetchFactor, workerInit, disposeBatches, pinMemory);
}
