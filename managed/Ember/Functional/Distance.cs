namespace Ember;

// Similarities and distances, and the losses built on them, from differentiable ops.
public static partial class Functional
{
    /// <summary>
    /// Cosine similarity x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along <paramref name="dim"/> of the broadcast inputs
    /// (<c>F.cosine_similarity</c>).
    /// </summary>
    public static Tensor CosineSimilarity(Tensor x1, Tensor x2, int dim = 1, double eps = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        CheckFloatingPair(nameof(CosineSimilarity), x1, x2);
        using TensorScope scope = Torch.NewScope();
        Tensor dot = (x1 * x2).Sum(dim);
        Tensor n1 = x1.Norm(2, [dim]).Clamp(eps, null);
        Tensor n2 = x2.Norm(2, [dim]).Clamp(eps, null);
        return scope.MoveOut(dot / (n1 * n2));
    }

    /// <summary>
    /// The p-norm of x1 - x2 + eps along the last dim of the broadcast inputs (<c>F.pairwise_distance</c>); eps keeps the
    /// gradient defined where the inputs are equal.
    /// </summary>
    public static Tensor PairwiseDistance(Tensor x1, Tensor x2, double p = 2.0, double eps = 1e-6, bool keepdim = false)
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        CheckFloatingPair(nameof(PairwiseDistance), x1, x2);
        if (Math.Max(x1.Dim, x2.Dim) == 0)
            throw new ArgumentException($"Functional.PairwiseDistance: expected inputs of at least 1 dim, got {x1.Shape} and {x2.Shape}", nameof(x1));
        using TensorScope scope = Torch.NewScope();
        Tensor diff = x1 - x2 + eps;
        return scope.MoveOut(diff.Norm(p, [-1], keepdim));
    }

    /// <summary>
    /// 1 - cos(x1, x2) where <paramref name="target"/> is 1, max(0, cos(x1, x2) - margin) where it is -1
    /// (<c>F.cosine_embedding_loss</c>). Inputs (N, D) with target (N), or (D) with a 0-d target.
    /// </summary>
    /// <exception cref="ArgumentException">The dims do not fit.</exception>
    public static Tensor CosineEmbeddingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, string reduction = "mean")
    {
        ArgumentNullException.ThrowIfNull(target);
        var red = LossArgs(input1, input2, reduction, nameof(CosineEmbeddingLoss));
        int dim = target.Dim;
        if (dim > 1)
            throw new ArgumentException($"Functional.CosineEmbeddingLoss: 0D or 1D target tensor expected, multi-target not supported; got target {target.Shape}", nameof(target));
        if (input1.Dim != dim + 1 || input2.Dim != dim + 1)
            throw new ArgumentException(
                $"Functional.CosineEmbeddingLoss: {dim}D target tensor expects {dim + 1}D input tensors, but found inputs with sizes {input1.Shape} and {input2.Shape}", nameof(input1));
        using TensorScope scope = Torch.NewScope();
        // PyTorch's form: the squared magnitudes get 1e-12 so that zero vectors give cos = 0.
        Tensor dot = (input1 * input2).Sum(dim);
        Tensor mag1 = (input1 * input1).Sum(dim) + 1e-12;
        Tensor mag2 = (input2 * input2).Sum(dim) + 1e-12;
        Tensor cos = dot / (mag1 * mag2).Sqrt();
        Tensor zeros = Torch.ZerosLike(cos);
        Tensor pos = Torch.Where(target.Eq(1L), 1.0 - cos, zeros);
        Tensor neg = Torch.Where(target.Eq(-1L), (cos - margin).Clamp(0.0, null), zeros);
        return scope.MoveOut(Reduce(pos + neg, red, null));
    }

    /// <summary>max(0, -y·(x1 - x2) + margin) for targets y of 1 or -1 (<c>F.margin_ranking_loss</c>); the operands broadcast.</summary>
    public static Tensor MarginRankingLoss(Tensor input1, Tensor input2, Tensor target, double margin = 0, string reduction = "mean")
    {
        ArgumentNullException.ThrowIfNull(target);
        var red = LossArgs(input1, input2, reduction, nameof(MarginRankingLoss));
        if (input1.Dim != input2.Dim || input1.Dim != target.Dim)
            throw new ArgumentException(
                $"Functional.MarginRankingLoss: All input tensors should have same dimension but got sizes: input1: {input1.Shape}, input2: {input2.Shape}, target: {target.Shape}", nameof(target));
        using TensorScope scope = Torch.NewScope();
        Tensor loss = (-target * (input1 - input2) + margin).Clamp(0.0, null);
        return scope.MoveOut(Reduce(loss, red, null));
    }

    /// <summary>
    /// max(d(a, p) - d(a, n) + margin, 0) with d the <see cref="PairwiseDistance"/> of norm <paramref name="p"/>
    /// (<c>F.triplet_margin_loss</c>). With <paramref name="swap"/>, d(a, n) is replaced by d(p, n) where that is smaller.
    /// </summary>
    /// <exception cref="ArgumentException">The three inputs differ in their number of dims.</exception>
    public static Tensor TripletMarginLoss(Tensor anchor, Tensor positive, Tensor negative, double margin = 1.0, double p = 2, double eps = 1e-6,
        bool swap = false, string reduction = "mean")
    {
        ArgumentNullException.ThrowIfNull(negative);
        var red = LossArgs(anchor, positive, reduction, nameof(TripletMarginLoss));
        if (anchor.Dim != positive.Dim || anchor.Dim != negative.Dim)
            throw new ArgumentException(
                $"Functional.TripletMarginLoss: The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor {anchor.Dim}D ({anchor.Shape}), positive {positive.Dim}D ({positive.Shape}), and negative {negative.Dim}D ({negative.Shape}) inputs",
                nameof(anchor));
        using TensorScope scope = Torch.NewScope();
        Tensor distPos = PairwiseDistance(anchor, positive, p, eps);
        Tensor distNeg = PairwiseDistance(anchor, negative, p, eps);
        if (swap)
            distNeg = Torch.Minimum(distNeg, PairwiseDistance(positive, negative, p, eps));
        Tensor loss = (distPos - distNeg + margin).Clamp(0.0, null);
        return scope.MoveOut(Reduce(loss, red, null));
    }

    private static void CheckFloatingPair(string op, Tensor x1, Tensor x2)
    {
        if (!x1.IsFloatingPoint || !x2.IsFloatingPoint)
            throw new ArgumentException($"Functional.{op}: expected floating inputs, got x1 ({x1.Shape}, {x1.DType}) and x2 ({x2.Shape}, {x2.DType})", nameof(x1));
    }
}

public static partial class Torch
{
    /// <summary>
    /// The p-norm distance between each row of <paramref name="x1"/> (…, P, M) and each row of <paramref name="x2"/>
    /// (…, R, M), batch dims broadcast: a (…, P, R) tensor (<c>torch.cdist</c>). For p = 2 the default
    /// <paramref name="computeMode"/> ("use_mm_for_euclid_dist_if_necessary") computes through a matrix product,
    /// ‖x1‖² - 2·x1·x2ᵀ + ‖x2‖², when P or R exceeds 25; "use_mm_for_euclid_dist" always does, and
    /// "donot_use_mm_for_euclid_dist" never does (exact, but it holds a (…, P, R, M) difference).
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 dims, different row lengths, integer inputs, a negative p, or an unknown mode.</exception>
    public static Tensor Cdist(Tensor x1, Tensor x2, double p = 2.0, string computeMode = "use_mm_for_euclid_dist_if_necessary")
    {
        ArgumentNullException.ThrowIfNull(x1);
        ArgumentNullException.ThrowIfNull(x2);
        if (x1.Dim < 2 || x2.Dim < 2)
            throw new ArgumentException($"Torch.Cdist: cdist only supports at least 2D tensors, X1 got: {x1.Dim}D ({x1.Shape}), X2 got: {x2.Dim}D ({x2.Shape})", nameof(x1));
        if (x1.GetSize(-1) != x2.GetSize(-1))
            throw new ArgumentException($"Torch.Cdist: X1 and X2 must have the same number of columns. X1: {x1.GetSize(-1)} X2: {x2.GetSize(-1)} (shapes {x1.Shape} and {x2.Shape})", nameof(x2));
        if (!x1.IsFloatingPoint || !x2.IsFloatingPoint)
            throw new ArgumentException($"Torch.Cdist: cdist only supports floating-point dtypes, got X1 {x1.DType} and X2 {x2.DType}", nameof(x1));
        if (!(p >= 0))
            throw new ArgumentOutOfRangeException(nameof(p), p, "Torch.Cdist: cdist only supports non-negative p values");
        bool useMm = computeMode switch
        {
            "use_mm_for_euclid_dist_if_necessary" => p == 2 && (x1.GetSize(-2) > 25 || x2.GetSize(-2) > 25),
            "use_mm_for_euclid_dist" => p == 2,
            "donot_use_mm_for_euclid_dist" => false,
            _ => throw new ArgumentException($"Torch.Cdist: {computeMode} is not a valid value for compute_mode", nameof(computeMode)),
        };
        using TensorScope scope = NewScope();
        Tensor result;
        if (useMm)
        {
            Tensor sq1 = (x1 * x1).Sum(-1, keepdim: true);
            Tensor sq2 = (x2 * x2).Sum(-1, keepdim: true).Transpose(-1, -2);
            Tensor cross = x1.MatMul(x2.Transpose(-1, -2));
            // Rounding can push the squared distance of (nearly) equal rows below 0: those give 0, with gradient 0
            // (sqrt sees 1 there, so no infinity reaches the gradient).
            Tensor squared = sq1 - cross * 2.0 + sq2;
            Tensor positive = squared.Gt(0.0);
            Tensor safe = Where(positive, squared, OnesLike(squared));
            result = Where(positive, safe.Sqrt(), ZerosLike(squared));
        }
        else
        {
            Tensor diff = x1.Unsqueeze(-2) - x2.Unsqueeze(-3);
            result = diff.Norm(p, [-1]);
        }
        return scope.MoveOut(result);
    }
}
