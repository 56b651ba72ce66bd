namespace Ember.Tests;

/// <summary>
/// Gradient checks of scaled_dot_product_attention (values against PyTorch are in Ember.NN.Tests): first order
/// through the fused native backward, second order through the recorded formulas, by finite differences in float64.
/// </summary>
public class AttentionGradCases : GradCaseFixture
{
    private static long[] S(params long[] shape) => shape;

    // A bool keep-mask (true = attend) with every row keeping key 0, so no row is all masked.
    private static Tensor KeepMask(long rows, long cols)
    {
        var data = new bool[rows * cols];
        for (long i = 0; i < rows; i++)
        {
            for (long j = 0; j < cols; j++)
                data[i * cols + j] = j == 0 || (i * 7 + j * 3) % 5 != 0;
        }
        return Torch.Tensor<bool>(data, [rows, cols]);
    }

    private static Tensor DropoutAttention(Tensor[] x)
    {
        // Reseeded per call, so every evaluation of the finite differences draws the same dropout mask;
        // the backward has to regenerate that mask from the seed and offset.
        using var gen = new Generator(1234);
        return Functional.ScaledDotProductAttention(x[0], x[1], x[2], dropoutP: 0.3, generator: gen);
    }

    /// <summary>Cases with the op each covers; <c>FirstOrderOnly</c> where there is no double backward.</summary>
    public static readonly (GradCase Case, bool FirstOrderOnly)[] All =
    [
        (new("sdpa", "ScaledDotProductAttention", [S(2, 3, 4), S(2, 5, 4), S(2, 5, 3)], x => Functional.ScaledDotProductAttention(x[0], x[1], x[2])), false),
        (new("sdpa_causal", "ScaledDotProductAttention", [S(1, 2, 6, 4), S(1, 2, 6, 4), S(1, 2, 6, 2)],
            x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true)), false),
        (new("sdpa_bool_mask", "ScaledDotProductAttention", [S(2, 4, 3), S(2, 5, 3), S(2, 5, 2)], x =>
        {
            using Tensor mask = KeepMask(4, 5);
            return Functional.ScaledDotProductAttention(x[0], x[1], x[2], mask);
        }), false),
        (new("sdpa_float_mask_scale", "ScaledDotProductAttention", [S(2, 4, 3), S(2, 5, 3), S(2, 5, 2)], x =>
        {
            using Tensor mask = AutogradTestUtil.Pattern([2, 1, 5], 0.9);
            return Functional.ScaledDotProductAttention(x[0], x[1], x[2], mask, scale: 0.7);
        }), false),
        (new("sdpa_broadcast_batch", "ScaledDotProductAttention", [S(2, 3, 4, 4), S(3, 5, 4), S(1, 5, 3)],
            x => Functional.ScaledDotProductAttention(x[0], x[1], x[2])), false),
        (new("sdpa_blocks_causal", "ScaledDotProductAttention", [S(1, 70, 3), S(1, 130, 3), S(1, 130, 2)],
            x => Functional.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true)), true),
        (new("sdpa_dropout", "ScaledDotProductAttention", [S(2, 6, 4), S(2, 7, 4), S(2, 7, 3)], DropoutAttention), true),
    ];

    public static IEnumerable<GradCase> Cases => All.Select(c => c.Case);

    public static IEnumerable<GradCase> SecondOrderCases => All.Where(c => !c.FirstOrderOnly).Select(c => c.Case);
}
