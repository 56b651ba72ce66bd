using F = Ember.Functional;

namespace Ember.Tests;

/// <summary>
/// Differentiable uses of the shape, indexing and sorting ops, in the form of <see cref="GradCases"/>;
/// tests/reference/make_shape_grads.py builds the same functions by name for PyTorch's gradients.
/// </summary>
internal static class ShapeGradCases
{
    private static long[] S(params long[] shape) => shape;

    private static Tensor L(params long[] v) => Torch.Tensor<long>(v, [v.Length]);

    private static Tensor B(params bool[] v) => Torch.Tensor<bool>(v, [v.Length]);

    private static Tensor Eye3() => Torch.Eye(3, null, DType.Float64);

    private static Tensor I23 => Torch.Tensor<long>([0, 2, 1, 1, 1, 3], [2, 3]);

    public static readonly GradCase[] All =
    [
        // ---- shape ----
        new("cat", "Cat", [S(2, 3), S(2, 2)], x => Torch.Cat([x[0], x[1]], 1)),
        new("concat", "Concat", [S(2), S(3)], x => Torch.Concat([x[0], x[1]])),
        new("stack", "Stack", [S(2, 3), S(2, 3)], x => Torch.Stack([x[0], x[1]], 1)),
        new("hstack", "HStack", [S(3), S(2)], x => Torch.HStack([x[0], x[1]])),
        new("vstack", "VStack", [S(3), S(2, 3)], x => Torch.VStack([x[0], x[1]])),
        new("split", "Split", [S(5, 2)], x => { Tensor[] p = x[0].Split(2); return Torch.Cat([p[2], p[1], p[0]]); }),
        new("split_sizes", "Split", [S(3, 4)], x => { Tensor[] p = x[0].Split([2, 2], 1); return p[1] * p[0]; }),
        new("chunk", "Chunk", [S(7)], x => { Tensor[] p = x[0].Chunk(3); return Torch.Cat([p[2], p[0]]); }),
        new("unbind", "Unbind", [S(2, 3)], x => { Tensor[] p = x[0].Unbind(1); return p[0] * p[2]; }),
        new("unflatten", "Unflatten", [S(2, 6)], x => x[0].Unflatten(1, 3, 2)),
        new("view_as", "ViewAs", [S(2, 3), S(3, 2)], x => x[0].ViewAs(x[1]) * x[1]),
        new("movedim", "Movedim", [S(2, 3, 4)], x => x[0].Movedim(0, -1)),
        new("swapaxes", "Swapaxes", [S(2, 3, 4)], x => x[0].Swapaxes(0, 2)),
        new("swapdims", "Swapdims", [S(2, 3)], x => x[0].Swapdims(0, 1)),
        new("repeat", "Repeat", [S(2, 3)], x => x[0].Repeat(2, 1, 2)),
        new("tile", "Tile", [S(2, 3)], x => x[0].Tile(2)),
        new("repeat_interleave", "RepeatInterleave", [S(2, 3)], x => x[0].RepeatInterleave(2, 1)),
        new("repeat_interleave_flat", "RepeatInterleave", [S(2, 2)], x => x[0].RepeatInterleave(3)),
        new("repeat_interleave_tensor", "RepeatInterleave", [S(2, 3)], x => x[0].RepeatInterleave(L(2, 0, 1), 1)),
        new("flip", "Flip", [S(2, 3, 2)], x => x[0].Flip(0, 2)),
        new("roll", "Roll", [S(3, 4)], x => x[0].Roll(1, 1)),
        new("roll_flat", "Roll", [S(3, 4)], x => x[0].Roll(-5)),
        new("tril", "Tril", [S(3, 4)], x => x[0].Tril(-1)),
        new("triu", "Triu", [S(2, 3, 3)], x => x[0].Triu(1)),
        new("tril_inplace", "Tril_", [S(3, 3)], x => x[0].Clone().Tril_()),
        new("triu_inplace", "Triu_", [S(3, 3)], x => x[0].Clone().Triu_(-1)),
        new("diagonal", "Diagonal", [S(2, 3, 4)], x => x[0].Diagonal(1, 2, 0)),
        new("diag_vector", "Diag", [S(3)], x => x[0].Diag(1)),
        new("diag_matrix", "Diag", [S(3, 4)], x => x[0].Diag(-1)),
        new("diag_embed", "DiagEmbed", [S(2, 3)], x => x[0].DiagEmbed(1)),
        new("pad_constant", "Pad", [S(2, 3)], x => F.Pad(x[0], [1, 2, -1, 1], value: 0.5)),
        new("pad_reflect", "Pad", [S(1, 2, 4)], x => F.Pad(x[0], [2, 3], "reflect")),
        new("pad_replicate", "Pad", [S(1, 1, 3, 3)], x => F.Pad(x[0], [2, 1, 1, 2], "replicate")),
        new("pad_circular", "Pad", [S(1, 2, 3)], x => F.Pad(x[0], [2, 3], "circular")),
        new("meshgrid", "Meshgrid", [S(3), S(2)], x => { Tensor[] g = Torch.Meshgrid([x[0], x[1]], "xy"); return g[0] * g[1]; }),

        // ---- indexing ----
        new("index", "Index", [S(3, 4)], x => x[0].Index(L(2, 0, 2))),
        new("indexer_mask", "get_Indexer", [S(3, 4)], x => x[0][x[0].Gt(0.0)]),
        new("indexer_mixed", "get_Indexer", [S(2, 3, 4)], x => x[0][1, 1.., L(3, 0)]),
        new("index_put", "IndexPut", [S(3, 4), S(2, 4)], x => x[0].IndexPut([L(2, 0)], x[1])),
        new("index_put_accumulate", "IndexPut", [S(3, 4), S(4)], x => x[0].IndexPut([L(2, 2)], x[1], accumulate: true)),
        new("index_put_inplace", "IndexPut_", [S(3, 4), S(3)], x => x[0].Clone().IndexPut_([L(0, 1, 2), L(1, 3, 0)], x[1])),
        new("index_select", "IndexSelect", [S(3, 4)], x => x[0].IndexSelect(1, L(3, 0, 3))),
        new("index_add", "IndexAdd", [S(3, 4), S(3, 2)], x => x[0].IndexAdd(1, L(3, 3), x[1], 2.0)),
        new("index_add_inplace", "IndexAdd_", [S(3, 4), S(1, 4)], x => x[0].Clone().IndexAdd_(0, L(1), x[1])),
        new("index_copy", "IndexCopy", [S(3, 4), S(2, 4)], x => x[0].IndexCopy(0, L(2, 0), x[1])),
        new("index_copy_inplace", "IndexCopy_", [S(3, 4), S(3, 1)], x => x[0].Clone().IndexCopy_(1, L(2), x[1])),
        new("index_fill", "IndexFill", [S(3, 4)], x => x[0].IndexFill(1, L(0, 2), 1.5)),
        new("index_fill_inplace", "IndexFill_", [S(3, 4)], x => x[0].Clone().IndexFill_(0, L(1), -1.0)),
        new("gather", "Gather", [S(3, 4)], x => x[0].Gather(1, I23)),
        new("scatter", "Scatter", [S(3, 4), S(2, 3)], x => x[0].Scatter(1, Torch.Tensor<long>([0, 2, 1, 3, 0, 2], [2, 3]), x[1])),
        new("scatter_value", "Scatter", [S(3, 4)], x => x[0].Scatter(1, Torch.Tensor<long>([1, 2, 0], [3, 1]), 7.0)),
        new("scatter_inplace", "Scatter_", [S(3, 4), S(2, 3)], x => x[0].Clone().Scatter_(1, Torch.Tensor<long>([0, 2, 1, 3, 0, 2], [2, 3]), x[1])),
        new("scatter_add", "ScatterAdd", [S(3, 4), S(2, 3)], x => x[0].ScatterAdd(1, I23, x[1])),
        new("scatter_add_inplace", "ScatterAdd_", [S(3, 4), S(2, 3)], x => x[0].Clone().ScatterAdd_(1, I23, x[1])),
        new("scatter_reduce_sum", "ScatterReduce", [S(3, 4), S(2, 3)], x => x[0].ScatterReduce(1, I23, x[1], "sum", includeSelf: false)),
        new("scatter_reduce_mean", "ScatterReduce", [S(3, 4), S(2, 3)], x => x[0].ScatterReduce(1, I23, x[1], "mean")),
        new("scatter_reduce_mean_exclude", "ScatterReduce", [S(3, 4), S(2, 3)], x => x[0].ScatterReduce(1, I23, x[1], "mean", includeSelf: false)),
        new("scatter_reduce_amax", "ScatterReduce", [S(3, 4), S(2, 3)], x => x[0].ScatterReduce(1, I23, x[1], "amax")),
        new("scatter_reduce_amin_exclude", "ScatterReduce", [S(3, 4), S(2, 3)], x => x[0].ScatterReduce(1, I23, x[1], "amin", includeSelf: false)),
        new("scatter_reduce_prod", "ScatterReduce", [S(3, 4), S(2, 3)], x => x[0].ScatterReduce(1, I23, x[1], "prod"), Positive: true),
        new("scatter_reduce_inplace", "ScatterReduce_", [S(3, 4), S(2, 3)], x => x[0].Clone().ScatterReduce_(1, I23, x[1], "amax")),
        new("take_along_dim", "TakeAlongDim", [S(3, 4)], x => x[0].TakeAlongDim(Torch.Tensor<long>([1, 0, 2], [3, 1]), 0)),
        new("take_along_dim_flat", "TakeAlongDim", [S(3, 4)], x => x[0].TakeAlongDim(L(11, 0, 11))),
        new("take", "Take", [S(3, 4)], x => x[0].Take(L(0, -1, 5, 11, 5))),
        new("masked_fill", "MaskedFill", [S(3, 4)], x => x[0].MaskedFill(B(true, false, false, true), -1.0)),
        new("masked_fill_broadcast", "MaskedFill", [S(3)], x => x[0].MaskedFill(Torch.Tensor<bool>([true, false, true, false, false, true], [2, 3]), 9.0)),
        new("masked_fill_inplace", "MaskedFill_", [S(2, 3)], x => x[0].Clone().MaskedFill_(B(false, true, true), 2.0)),
        new("masked_scatter", "MaskedScatter", [S(3, 4), S(10)], x => x[0].MaskedScatter(B(true, false, false, true), x[1])),
        new("masked_scatter_inplace", "MaskedScatter_", [S(2, 3), S(4)], x => x[0].Clone().MaskedScatter_(B(false, true, true), x[1])),
        new("masked_select", "MaskedSelect", [S(3, 4)], x => x[0].MaskedSelect(B(false, true, true, false))),

        // ---- sorting ----
        new("sort", "Sort", [S(3, 4)], x => x[0].Sort(1, descending: true).Values),
        new("topk", "Topk", [S(3, 4)], x => x[0].Topk(2, 0).Values),
        new("kthvalue", "Kthvalue", [S(3, 4)], x => x[0].Kthvalue(2, 1).Values),
        new("kthvalue_keepdim", "Kthvalue", [S(3, 4)], x => x[0].Kthvalue(3, 0, keepdim: true).Values),

        // ---- linear algebra ----
        new("mm", "Mm", [S(2, 3), S(3, 4)], x => x[0].Mm(x[1])),
        new("bmm", "Bmm", [S(2, 2, 3), S(2, 3, 2)], x => x[0].Bmm(x[1])),
        new("mv", "Mv", [S(2, 3), S(3)], x => x[0].Mv(x[1])),
        new("dot", "Dot", [S(3), S(3)], x => x[0].Dot(x[1])),
        new("vdot", "Vdot", [S(3), S(3)], x => x[0].Vdot(x[1])),
        new("outer", "Outer", [S(3), S(2)], x => x[0].Outer(x[1])),
        new("addmm", "Addmm", [S(3), S(2, 4), S(4, 3)], x => x[0].Addmm(x[1], x[2], beta: 0.5, alpha: 2.0)),
        new("addbmm", "Addbmm", [S(2, 3), S(2, 2, 4), S(2, 4, 3)], x => x[0].Addbmm(x[1], x[2], alpha: -1.5)),
        new("baddbmm", "Baddbmm", [S(2, 2, 3), S(2, 2, 4), S(2, 4, 3)], x => x[0].Baddbmm(x[1], x[2], beta: 2.0)),
        new("kron", "Kron", [S(2, 3), S(2, 2)], x => x[0].Kron(x[1])),
        new("trace", "Trace", [S(3, 4)], x => x[0].Trace()),
        new("einsum_matmul", "Einsum", [S(2, 3), S(3, 4)], x => Torch.Einsum("ij,jk->ik", x[0], x[1])),
        new("einsum_diag", "Einsum", [S(3, 3)], x => Torch.Einsum("ii->i", x[0])),
        new("einsum_trace_outer", "Einsum", [S(3, 3), S(2)], x => Torch.Einsum("ii,j->j", x[0], x[1])),
        new("einsum_ellipsis", "Einsum", [S(2, 2, 3), S(3, 2)], x => Torch.Einsum("...ij,...jk->...ik", x[0], x[1])),
        new("einsum_sum_out", "Einsum", [S(2, 3), S(3)], x => Torch.Einsum("ij,j->", x[0], x[1])),
        new("einsum_three", "Einsum", [S(2, 3), S(3, 2), S(2)], x => Torch.Einsum("ij,jk,k", x[0], x[1], x[2])),
        new("linalg_inv", "Inv", [S(3, 3)], x => Linalg.Inv(x[0] + Eye3() * 3.0)),
        new("linalg_det", "Det", [S(2, 3, 3)], x => Linalg.Det(x[0] + Eye3() * 2.0)),
        new("linalg_slogdet", "Slogdet", [S(3, 3)], x => Linalg.Slogdet(x[0] - Eye3() * 2.0).LogAbsDet),
        new("linalg_solve", "Solve", [S(3, 3), S(3, 2)], x => Linalg.Solve(x[0] + Eye3() * 3.0, x[1])),
        new("linalg_solve_vector", "Solve", [S(2, 3, 3), S(3)], x => Linalg.Solve(x[0] + Eye3() * 3.0, x[1])),
        new("linalg_cholesky", "Cholesky", [S(3, 3)], x => Linalg.Cholesky(x[0].MatMul(x[0].MT) + Eye3())),
        new("linalg_cholesky_upper", "Cholesky", [S(3, 3)], x => Linalg.Cholesky(x[0].MatMul(x[0].MT) + Eye3(), upper: true)),
        new("linalg_eigh_values", "Eigh", [S(3, 3)], x => Linalg.Eigh(x[0] + x[0].MT).Eigenvalues),
        new("linalg_eigh_vectors", "Eigh", [S(3, 3)], x => { Tensor v = Linalg.Eigh(x[0] + x[0].MT).Eigenvectors; return v * v; }),
        new("vector_norm", "VectorNorm", [S(2, 3)], x => Linalg.VectorNorm(x[0])),
        new("vector_norm_l1_dim", "VectorNorm", [S(2, 3)], x => Linalg.VectorNorm(x[0], 1, [1])),
        new("vector_norm_p3_keepdim", "VectorNorm", [S(2, 3)], x => Linalg.VectorNorm(x[0], 3, [0], keepdim: true)),
        new("vector_norm_inf", "VectorNorm", [S(2, 3)], x => Linalg.VectorNorm(x[0], double.PositiveInfinity, [1])),
        new("matrix_norm_fro", "MatrixNorm", [S(2, 3, 2)], x => Linalg.MatrixNorm(x[0])),
        new("matrix_norm_nuc", "MatrixNorm", [S(3, 2)], x => Linalg.MatrixNorm(x[0], "nuc")),
        new("matrix_norm_two", "MatrixNorm", [S(2, 3, 2)], x => Linalg.MatrixNorm(x[0], 2)),
        new("matrix_norm_neg_one", "MatrixNorm", [S(3, 2)], x => Linalg.MatrixNorm(x[0], -1)),
        new("matrix_norm_inf_dims", "MatrixNorm", [S(3, 2, 2)], x => Linalg.MatrixNorm(x[0], double.PositiveInfinity, 2, 0, keepdim: true)),
        new("linalg_qr_tall", "Qr", [S(4, 3)], x => { var (q, r) = Linalg.Qr(x[0] + Torch.Eye(4, 3, DType.Float64)); return Torch.Cat([(q * q).Reshape(-1), (r * r).Reshape(-1)]); }),
        new("linalg_qr_wide", "Qr", [S(2, 3)], x => { var (q, r) = Linalg.Qr(x[0] + Torch.Eye(2, 3, DType.Float64), "complete"); return Torch.Cat([(q * q).Reshape(-1), (r * r).Reshape(-1)]); }),
        new("linalg_pinv", "Pinv", [S(3, 2)], x => Linalg.Pinv(x[0])),
        new("linalg_lstsq", "Lstsq", [S(4, 2), S(4, 2)], x => Linalg.Lstsq(x[0], x[1])),
        new("linalg_svd_values", "Svd", [S(3, 2)], x => Linalg.Svd(x[0]).S),
        new("linalg_svd_vectors", "Svd", [S(3, 2)], x =>
        {
            var (u, _, vh) = Linalg.Svd(x[0], fullMatrices: false);
            return (u * u).Sum(0) * 2.0 + (vh * vh).Sum(1) + u[1].Pow(2.0) + vh[.., 0].Pow(2.0);
        }),
    ];

    /// <summary>Public ops of these groups whose results carry no gradient.</summary>
    public static readonly string[] NonDifferentiable =
    [
        "Nonzero", "Argwhere", "OneHot", "Argsort", "Unique", "Searchsorted", "Bucketize", "Histc", "op_Implicit",
    ];
}
