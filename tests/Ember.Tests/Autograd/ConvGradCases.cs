using static Ember.Tests.AutogradTestUtil;
using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>
/// Gradient checks of the convolution and pooling family beside conv2d / max_pool2d (their values against PyTorch
/// are in Ember.NN.Tests/ConvPoolTests): first and second order by finite differences in float64.
/// </summary>
public class ConvGradCases : GradCaseFixture
{
    private static long[] S(params long[] shape) => shape;

    /// <summary>Cases with the op each covers.</summary>
    public static readonly GradCase[] All =
    [
        new("conv1d", "Conv1d", [S(2, 2, 7), S(3, 2, 3), S(3)], x => F.Conv1d(x[0], x[1], x[2], stride: [2], padding: [1])),
        new("conv1d_groups_dilation_scalar", "Conv1d", [S(1, 4, 8), S(4, 2, 2)], x => F.Conv1d(x[0], x[1], null, 1, 1, 2, groups: 2)),
        new("conv1d_same_asymmetric", "Conv1d", [S(2, 2, 6), S(2, 2, 4), S(2)], x => F.Conv1d(x[0], x[1], x[2], "same")),
        new("conv2d_same", "Conv2d", [S(1, 2, 4, 5), S(2, 2, 2, 3)], x => F.Conv2d(x[0], x[1], null, "same", dilation: [1, 2])),
        new("conv3d", "Conv3d", [S(1, 2, 4, 3, 4), S(2, 2, 2, 2, 2), S(2)], x => F.Conv3d(x[0], x[1], x[2], [2, 1, 1], [1, 0, 1])),
        new("conv3d_groups_dilation_scalar", "Conv3d", [S(1, 2, 4, 4, 3), S(2, 1, 2, 2, 2)], x => F.Conv3d(x[0], x[1], null, 1, 0, 2, groups: 2)),
        new("conv3d_same", "Conv3d", [S(1, 1, 3, 3, 4), S(2, 1, 2, 3, 2)], x => F.Conv3d(x[0], x[1], null, "same")),
        new("conv_transpose1d", "ConvTranspose1d", [S(2, 2, 4), S(2, 3, 3), S(3)], x => F.ConvTranspose1d(x[0], x[1], x[2], [2], [1], [1])),
        new("conv_transpose1d_groups_dilation_scalar", "ConvTranspose1d", [S(1, 4, 3), S(4, 1, 2)], x => F.ConvTranspose1d(x[0], x[1], null, 2, 0, 1, 2, 2)),
        new("conv_transpose2d", "ConvTranspose2d", [S(1, 2, 3, 3), S(2, 2, 3, 2), S(2)], x => F.ConvTranspose2d(x[0], x[1], x[2], [2, 1], [1, 0], [1, 0])),
        new("conv_transpose2d_groups_scalar", "ConvTranspose2d", [S(2, 4, 2, 3)], x =>
        {
            using Tensor w = Pattern(S(4, 1, 2, 2), 0.9);
            return F.ConvTranspose2d(x[0], w, null, 2, groups: 2);
        }),
        new("conv_transpose3d", "ConvTranspose3d", [S(1, 2, 2, 3, 2), S(2, 1, 2, 2, 2), S(1)], x => F.ConvTranspose3d(x[0], x[1], x[2], [1, 2, 1], [0, 1, 0])),
        new("avg_pool1d", "AvgPool1d", [S(2, 2, 7)], x => F.AvgPool1d(x[0], 3, 2, 1, ceilMode: true, countIncludePad: false)),
        new("avg_pool2d", "AvgPool2d", [S(1, 2, 5, 6)], x => F.AvgPool2d(x[0], [3, 2], [2, 2], [1, 1], ceilMode: true)),
        new("avg_pool2d_divisor_scalar", "AvgPool2d", [S(2, 4, 4)], x => F.AvgPool2d(x[0], 2, 1, divisorOverride: 3)),
        new("max_pool1d", "MaxPool1d", [S(2, 2, 8)], x => F.MaxPool1d(x[0], 3, 2, 1, ceilMode: true)),
        new("max_pool1d_with_indices", "MaxPool1dWithIndices", [S(2, 7)], x =>
        {
            (Tensor values, Tensor indices) = F.MaxPool1dWithIndices(x[0], 2, 1, dilation: 2);
            indices.Dispose();
            return values;
        }),
        new("adaptive_avg_pool1d", "AdaptiveAvgPool1d", [S(2, 2, 7)], x => F.AdaptiveAvgPool1d(x[0], 3)),
        new("adaptive_avg_pool2d", "AdaptiveAvgPool2d", [S(1, 2, 5, 7)], x => F.AdaptiveAvgPool2d(x[0], [3, 4])),
        new("adaptive_avg_pool2d_scalar", "AdaptiveAvgPool2d", [S(2, 3, 4)], x => F.AdaptiveAvgPool2d(x[0], 2)),
        new("adaptive_max_pool1d", "AdaptiveMaxPool1d", [S(2, 2, 7)], x => F.AdaptiveMaxPool1d(x[0], 3)),
        new("adaptive_max_pool1d_with_indices", "AdaptiveMaxPool1dWithIndices", [S(2, 6)], x =>
        {
            (Tensor values, Tensor indices) = F.AdaptiveMaxPool1dWithIndices(x[0], 4);
            indices.Dispose();
            return values;
        }),
        new("adaptive_max_pool2d", "AdaptiveMaxPool2d", [S(1, 2, 5, 7)], x => F.AdaptiveMaxPool2d(x[0], [3, 4])),
        new("adaptive_max_pool2d_scalar", "AdaptiveMaxPool2d", [S(2, 4, 5)], x => F.AdaptiveMaxPool2d(x[0], 2)),
        new("adaptive_max_pool2d_with_indices", "AdaptiveMaxPool2dWithIndices", [S(2, 5, 5)], x =>
        {
            (Tensor values, Tensor indices) = F.AdaptiveMaxPool2dWithIndices(x[0], [2, 3]);
            indices.Dispose();
            return values;
        }),
        new("unfold", "Unfold", [S(2, 2, 4, 5)], x => F.Unfold(x[0], [2, 3], [1, 1], [1, 0], [2, 1])),
        new("unfold_scalar", "Unfold", [S(2, 3, 3)], x => F.Unfold(x[0], 2)),
        new("fold", "Fold", [S(2, 2 * 6, 9)], x => F.Fold(x[0], [4, 5], [2, 3], [1, 1], [1, 0], [2, 1])),
        new("fold_scalar", "Fold", [S(8, 4)], x => F.Fold(x[0], 3, 2)),
    ];

    public static IEnumerable<GradCase> Cases => All;

    public static IEnumerable<GradCase> SecondOrderCases => All;
}
