using static Ember.Tests.AutogradTestUtil;

namespace Ember.Tests;

/// <summary>
/// Gradient checks of the normalisation and embedding functions (their values against PyTorch are in
/// Ember.NN.Tests): first and second order by finite differences in float64.
/// </summary>
public class NNGradCases : GradCaseFixture
{
    private static long[] S(params long[] shape) => shape;

    private static Tensor Indices(params long[] values) => Torch.Tensor<long>(values, [values.Length]);

    /// <summary>Cases with the op each covers; <c>FirstOrderOnly</c> where PyTorch has no double backward either.</summary>
    public static readonly (GradCase Case, bool FirstOrderOnly)[] All =
    [
        (new("batch_norm_train", "BatchNorm", [S(4, 3, 2), S(3), S(3)], x => Functional.BatchNorm(x[0], null, null, x[1], x[2], training: true)), false),
        (new("layer_norm", "LayerNorm", [S(2, 3, 4), S(4), S(4)], x => Functional.LayerNorm(x[0], [4], x[1], x[2])), false),
        (new("rms_norm", "RMSNorm", [S(3, 5), S(5)], x => Functional.RMSNorm(x[0], [5], x[1])), false),
        (new("group_norm", "GroupNorm", [S(2, 4, 3), S(4), S(4)], x => Functional.GroupNorm(x[0], 2, x[1], x[2])), false),
        (new("instance_norm", "InstanceNorm", [S(2, 3, 4), S(3), S(3)], x => Functional.InstanceNorm(x[0], weight: x[1], bias: x[2])), false),
        (new("embedding", "Embedding", [S(5, 3)], x =>
        {
            using Tensor idx = Indices(0, 2, 4, 2);
            return Functional.Embedding(idx, x[0]);
        }), false),
        (new("embedding_bag_mean", "EmbeddingBag", [S(5, 3)], x =>
        {
            using Tensor idx = Indices(0, 2, 4, 2, 1);
            using Tensor offsets = Indices(0, 2);
            return Functional.EmbeddingBag(idx, x[0], offsets);
        }), true),
    ];

    public static IEnumerable<GradCase> Cases => All.Select(c => c.Case);

    public static IEnumerable<GradCase> SecondOrderCases => All.Where(c => !c.FirstOrderOnly).Select(c => c.Case);
}
