using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>
/// Gradient checks of the losses and distances (their values against PyTorch are in Ember.NN.Tests): first and
/// second order by finite differences in float64. Inputs are sin patterns in (-1, 1); probabilities come through a
/// sigmoid or softmax inside the function, so every point stays inside the op's domain and away from its kinks.
/// </summary>
public class LossGradCases : GradCaseFixture
{
    private static long[] S(params long[] shape) => shape;

    private static Tensor Longs(long[] values, params long[] shape) => Torch.Tensor<long>(values, shape);

    private static Tensor Doubles(double[] values, params long[] shape) => Torch.Tensor<double>(values, shape);

    /// <summary>Cases with the op each covers; <c>FirstOrderOnly</c> where PyTorch has no double backward either.</summary>
    public static readonly (GradCase Case, bool FirstOrderOnly)[] All =
    [
        (new("l1_loss", "L1Loss", [S(3, 4), S(4)], x => F.L1Loss(x[0], x[1])), false),
        (new("smooth_l1_loss_sum", "SmoothL1Loss", [S(3, 4), S(3, 4)], x => F.SmoothL1Loss(x[0], x[1], "sum", beta: 0.6)), false),
        (new("huber_loss_none", "HuberLoss", [S(3, 4), S(3, 4)], x => { using Tensor big = x[0] * 3.0; return F.HuberLoss(big, x[1], "none", delta: 0.9); }), false),
        (new("binary_cross_entropy_weight", "BinaryCrossEntropy", [S(3, 4), S(3, 4), S(4)], x =>
        {
            using Tensor p = x[0].Sigmoid();
            using Tensor t = x[1].Sigmoid();
            return F.BinaryCrossEntropy(p, t, x[2]);
        }), false),
        (new("binary_cross_entropy_with_logits_pos_weight", "BinaryCrossEntropyWithLogits", [S(3, 4), S(3, 4), S(4)], x =>
        {
            using Tensor big = x[0] * 4.0;
            using Tensor t = x[1].Sigmoid();
            using Tensor pw = x[2] + 1.5;
            return F.BinaryCrossEntropyWithLogits(big, t, reduction: "sum", posWeight: pw);
        }), false),
        (new("kl_div_batchmean", "KlDiv", [S(3, 4), S(3, 4)], x =>
        {
            using Tensor logp = F.LogSoftmax(x[0], 1);
            using Tensor t = F.Softmax(x[1], 1);
            return F.KlDiv(logp, t, "batchmean");
        }), false),
        (new("kl_div_log_target", "KlDiv", [S(3, 4), S(3, 4)], x => F.KlDiv(x[0], x[1], "none", logTarget: true)), false),
        (new("poisson_nll_loss_full", "PoissonNllLoss", [S(2, 4), S(2, 4)], x =>
        {
            using Tensor t = x[1] * 3.0 + 3.0;
            return F.PoissonNllLoss(x[0], t, full: true);
        }), false),
        (new("poisson_nll_loss_rate", "PoissonNllLoss", [S(2, 4), S(2, 4)], x => F.PoissonNllLoss(x[0], x[1], logInput: false), Positive: true), false),
        (new("gaussian_nll_loss_shared_var", "GaussianNllLoss", [S(3, 4), S(3, 4), S(3)], x => F.GaussianNllLoss(x[0], x[1], x[2], full: true), Positive: true), false),
        (new("cosine_embedding_loss", "CosineEmbeddingLoss", [S(4, 3), S(4, 3)], x =>
        {
            using Tensor y = Doubles([1, -1, -1, 1], 4);
            return F.CosineEmbeddingLoss(x[0], x[1], y, margin: -0.9);
        }), false),
        (new("margin_ranking_loss", "MarginRankingLoss", [S(5), S(5)], x =>
        {
            using Tensor y = Doubles([1, -1, 1, 1, -1], 5);
            return F.MarginRankingLoss(x[0], x[1], y, margin: 3.0, reduction: "sum");
        }), false),
        (new("triplet_margin_loss_swap", "TripletMarginLoss", [S(3, 4), S(3, 4), S(3, 4)], x => F.TripletMarginLoss(x[0], x[1], x[2], margin: 5.0, p: 3, swap: true)), false),
        (new("ctc_loss", "CtcLoss", [S(6, 2, 4)], x =>
        {
            using Tensor logp = F.LogSoftmax(x[0], 2);
            using Tensor targets = Longs([1, 2, 2, 3, 1, 0], 2, 3);
            return F.CtcLoss(logp, targets, [6L, 5L], [3L, 2L]);
        }), true),
        (new("ctc_loss_concatenated_none", "CtcLoss", [S(5, 2, 3)], x =>
        {
            using Tensor logp = F.LogSoftmax(x[0], 2);
            using Tensor targets = Longs([1, 1, 2], 3);
            return F.CtcLoss(logp, targets, [5L, 4L], [2L, 1L], blank: 0, reduction: "none");
        }), true),
        (new("cosine_similarity", "CosineSimilarity", [S(3, 4), S(4)], x => F.CosineSimilarity(x[0], x[1], dim: -1)), false),
        (new("pairwise_distance_p3", "PairwiseDistance", [S(3, 4), S(3, 4)], x => F.PairwiseDistance(x[0], x[1], p: 3, keepdim: true)), false),
        (new("cdist", "Cdist", [S(3, 4), S(5, 4)], x => Torch.Cdist(x[0], x[1], p: 1.5)), false),
        (new("cdist_mm", "Cdist", [S(2, 3), S(4, 3)], x => Torch.Cdist(x[0], x[1], computeMode: "use_mm_for_euclid_dist")), false),
        (new("cross_entropy_spatial", "CrossEntropy", [S(2, 3, 2)], x =>
        {
            using Tensor t = Longs([0, 2, 1, -100], 2, 2);
            using Tensor w = Doubles([0.5, 2.0, 1.5], 3);
            return F.CrossEntropy(x[0], t, w, labelSmoothing: 0.2);
        }), false),
    ];

    public static IEnumerable<GradCase> Cases => All.Select(c => c.Case);

    public static IEnumerable<GradCase> SecondOrderCases => All.Where(c => !c.FirstOrderOnly).Select(c => c.Case);
}
