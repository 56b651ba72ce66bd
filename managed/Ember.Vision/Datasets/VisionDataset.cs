using Ember.Data;
using Ember.Vision.Transforms;

namespace Ember.Vision.Datasets;

/// <summary>
/// An image classification dataset held in memory as one uint8 tensor (<c>torchvision.datasets.VisionDataset</c>).
/// Sample i is <c>(Transform(image i), TargetTransform(label i))</c>, where the image is a uint8
/// <c>[C, H, W]</c> view; the default transform is <see cref="ToTensor"/>, giving float32 values in [0, 1].
/// </summary>
/// <remarks>
/// When the transform is batchable (<see cref="ITransform.IsBatchable"/>: ToTensor, Normalize, Compose
/// of those, ...) a <see cref="DataLoader{T,TBatch}"/> with batches of <c>(Tensor Images, Tensor Labels)</c>
/// builds each batch with a few native ops: the rows are gathered into one uint8 tensor
/// <c>[N, C, H, W]</c> and transformed at once; the labels become one int64 tensor <c>[N]</c>.
/// Dispose the dataset to free the images.
/// </remarks>
public abstract class VisionDataset : Dataset<(Tensor Image, long Label)>, IBatchedDataset, IDisposable
{
    private readonly Tensor _images;
    private readonly long[] _targets;

    /// <summary>Takes ownership of <paramref name="images"/> (uint8 <c>[N, C, H, W]</c>) and their labels.</summary>
    private protected VisionDataset(string root, Tensor images, long[] targets, ITransform? transform, Func<long, long>? targetTransform)
    {
        Root = root;
        _images = images.DetachFromScope();
        _targets = targets;
        Transform = transform ?? new ToTensor();
        TargetTransform = targetTransform;
    }

    /// <summary>The folder the files were read from, as given.</summary>
    public string Root { get; }

    /// <summary>The class names; label i names <c>Classes[i]</c>.</summary>
    public abstract IReadOnlyList<string> Classes { get; }

    /// <summary>Every image, uint8 <c>[N, C, H, W]</c> (the dataset's own tensor; do not dispose it).</summary>
    public Tensor Data => _images;

    /// <summary>Every label, before <see cref="TargetTransform"/>.</summary>
    public IReadOnlyList<long> Targets => _targets;

    /// <summary>Applied to each uint8 <c>[C, H, W]</c> image; <see cref="ToTensor"/> unless another was given.</summary>
    public ITransform Transform { get; }

    /// <summary>Applied to each label, or null.</summary>
    public Func<long, long>? TargetTransform { get; }

    /// <inheritdoc/>
    public override int Count => _targets.Length;

    /// <summary>The transformed image and the label of sample <paramref name="index"/>.</summary>
    public override (Tensor Image, long Label) this[int index]
    {
        get
        {
            CheckIndex(index);
            Tensor image = _images.Select(0, index);
            Tensor result = Transform.Forward(image);
            if (!ReferenceEquals(result, image))
                image.Dispose();
            long label = _targets[index];
            return (result, TargetTransform is null ? label : TargetTransform(label));
        }
    }

    /// <summary>
    /// Builds a <c>(Tensor Images, Tensor Labels)</c> batch at once when the transform is batchable;
    /// returns false otherwise, and the loader collates sample by sample.
    /// </summary>
    public bool TryGetBatch<TBatch>(ReadOnlySpan<int> indices, out TBatch batch)
    {
        if (typeof(TBatch) != typeof((Tensor, Tensor)) || !Transform.IsBatchable)
        {
            batch = default!;
            return false;
        }
        var labels = new long[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            CheckIndex(indices[k]);
            long label = _targets[indices[k]];
            labels[k] = TargetTransform is null ? label : TargetTransform(label);
        }
        Tensor images = Rows.Gather(_images, indices);
        Tensor transformed;
        try
        {
            transformed = Transform.Forward(images);
        }
        catch
        {
            images.Dispose();
            throw;
        }
        // The transform returned its input or a new tensor (a view keeps the storage it needs alive).
        if (!ReferenceEquals(transformed, images))
            images.Dispose();
        batch = (TBatch)(object)(transformed, Torch.Tensor<long>(labels, [labels.Length]));
        return true;
    }

    /// <summary>Frees the images.</summary>
    public void Dispose() => _images.Dispose();
}
