"""Writes PyTorch 1.13 reference values for the managed shape and indexing tests into
tests/Ember.Tests/Data/shape/reference.json.

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_shape_reference.py

Each case stores its inputs and its outputs (a list: ops like split return several tensors). The C#
tests (tests/Ember.Tests/ShapeOpTests.cs, IndexingOpTests.cs, SortOpTests.cs, LinalgOpTests.cs) run the same op, by case name, on the
stored inputs. Float inputs are sin(1 + 0.7 i + seed) in the given shape; integer inputs are listed.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Tests", "Data", "shape", "reference.json")


def pat(*shape, seed=0.0, dtype=torch.float64):
    n = math.prod(shape)
    return torch.sin(1 + torch.arange(n, dtype=torch.float64) * 0.7 + seed).reshape(shape).to(dtype)


def lt(*values):
    return torch.tensor(values, dtype=torch.int64)


def bt(*values):
    return torch.tensor(values, dtype=torch.bool)


X23 = pat(2, 3)
X34 = pat(3, 4, seed=1)
X234 = pat(2, 3, 4, seed=2)
X3 = pat(3, seed=3)
I34 = torch.arange(12, dtype=torch.int32).reshape(3, 4)

# name -> (inputs, function returning a tensor or a list of tensors)
CASES = {
    # ---- shape ----
    "cat_dim1": ([X23, pat(2, 2, seed=1)], lambda x: torch.cat([x[0], x[1]], 1)),
    "cat_promote": ([pat(2, dtype=torch.float32), lt(4, 5, 6)], lambda x: torch.cat([x[0], x[1]])),
    "cat_legacy_empty": ([X23, torch.zeros(0, dtype=torch.float64)], lambda x: torch.cat([x[0], x[1]], 0)),
    "cat_noncontiguous": ([pat(3, 2), X23], lambda x: torch.cat([x[0].t(), x[1]], 0)),
    "cat_empty_dim": ([torch.zeros(2, 0, dtype=torch.float64), X23], lambda x: torch.cat([x[0], x[1]], 1)),
    "stack_last": ([X23, pat(2, 3, seed=1)], lambda x: torch.stack([x[0], x[1]], -1)),
    "stack_scalars": ([torch.tensor(1.5, dtype=torch.float64), torch.tensor(2.5, dtype=torch.float64)], lambda x: torch.stack([x[0], x[1]])),
    "hstack_1d": ([X3, pat(2)], lambda x: torch.hstack([x[0], x[1]])),
    "hstack_2d": ([X23, pat(2, 1)], lambda x: torch.hstack([x[0], x[1]])),
    "vstack_mixed": ([X3, pat(2, 3)], lambda x: torch.vstack([x[0], x[1]])),
    "split_size": ([pat(5, 2)], lambda x: list(torch.split(x[0], 2))),
    "split_sizes_dim1": ([X34], lambda x: list(torch.split(x[0], [1, 3], 1))),
    "chunk": ([pat(7)], lambda x: list(torch.chunk(x[0], 3))),
    "chunk_fewer": ([pat(2, 5)], lambda x: list(torch.chunk(x[0], 4, 1))),
    "unbind_dim1": ([X23], lambda x: list(torch.unbind(x[0], 1))),
    "flatten_range": ([X234], lambda x: torch.flatten(x[0], 1)),
    "flatten_noncontiguous": ([X234], lambda x: torch.flatten(x[0].transpose(0, 2), 0, 1)),
    "unflatten": ([X234], lambda x: x[0].unflatten(2, (2, -1))),
    "repeat": ([X23], lambda x: x[0].repeat(2, 1, 2)),
    "repeat_scalar": ([torch.tensor(3.0, dtype=torch.float64)], lambda x: x[0].repeat(2, 3)),
    "repeat_noncontiguous": ([X23], lambda x: x[0].t().repeat(1, 2)),
    "tile": ([X23], lambda x: x[0].tile(2)),
    "repeat_interleave_int": ([X23], lambda x: x[0].repeat_interleave(2, 1)),
    "repeat_interleave_flat": ([X23], lambda x: x[0].repeat_interleave(2)),
    "repeat_interleave_tensor": ([X23, lt(1, 0, 3)], lambda x: x[0].repeat_interleave(x[1], 1)),
    "flip": ([X234], lambda x: x[0].flip(0, 2)),
    "flip_noncontiguous": ([X234], lambda x: x[0].transpose(1, 2).flip(-1)),
    "flip_int": ([I34], lambda x: x[0].flip(1)),
    "roll_dim": ([X34], lambda x: x[0].roll(1, 1)),
    "roll_flat": ([X34], lambda x: x[0].roll(-5)),
    "roll_dims": ([X234], lambda x: x[0].roll((2, -1), (2, 0))),
    "movedim": ([X234], lambda x: x[0].movedim(0, -1)),
    "movedim_multi": ([X234], lambda x: torch.movedim(x[0], (0, 1), (2, 0))),
    "swapaxes": ([X234], lambda x: x[0].swapaxes(0, 2)),
    "tril": ([X34], lambda x: x[0].tril()),
    "tril_k": ([X34], lambda x: x[0].tril(-1)),
    "triu_k": ([X234], lambda x: x[0].triu(2)),
    "triu_noncontiguous": ([X34], lambda x: x[0].t().triu(-1)),
    "tril_int": ([I34], lambda x: x[0].tril(1)),
    "diag_vector": ([X3], lambda x: torch.diag(x[0], -1)),
    "diag_matrix": ([X34], lambda x: torch.diag(x[0], 1)),
    "diagonal_3d": ([X234], lambda x: x[0].diagonal(1, 2, 0)),
    "diagonal_negative": ([X34], lambda x: x[0].diagonal(-1)),
    "diag_embed": ([X23], lambda x: torch.diag_embed(x[0], 1)),
    "diag_embed_dims": ([X23], lambda x: torch.diag_embed(x[0], -1, 0, 2)),
    "pad_constant": ([X234], lambda x: F.pad(x[0], (1, 2, 0, 1), value=0.5)),
    "pad_constant_negative": ([X234], lambda x: F.pad(x[0], (-1, 1))),
    "pad_reflect": ([pat(1, 2, 5)], lambda x: F.pad(x[0], (2, 3), mode="reflect")),
    "pad_reflect_2d": ([pat(1, 1, 3, 4)], lambda x: F.pad(x[0], (1, 2, 2, 1), mode="reflect")),
    "pad_replicate": ([pat(1, 2, 3, 3)], lambda x: F.pad(x[0], (2, 1, 1, 2), mode="replicate")),
    "pad_circular": ([pat(1, 2, 4)], lambda x: F.pad(x[0], (2, 3), mode="circular")),
    "meshgrid_ij": ([X3, pat(2)], lambda x: list(torch.meshgrid(x[0], x[1], indexing="ij"))),
    "meshgrid_xy": ([X3, pat(2), pat(4)], lambda x: list(torch.meshgrid(x[0], x[1], x[2], indexing="xy"))),
    # ---- indexing ----
    "index_select": ([X34, lt(2, 0, 2)], lambda x: x[0].index_select(1, x[1])),
    "index_select_noncontiguous": ([X34, lt(3, 1)], lambda x: x[0].t().index_select(0, x[1])),
    "index_select_int32_index": ([X34, torch.tensor([1, 2], dtype=torch.int32)], lambda x: x[0].index_select(0, x[1])),
    "index_add": ([X34, lt(0, 2, 0), pat(3, 3, seed=5)], lambda x: x[0].index_add(1, x[1], x[2], alpha=2.0)),
    "index_copy": ([X34, lt(2, 0), pat(2, 4, seed=5)], lambda x: x[0].index_copy(0, x[1], x[2])),
    "index_fill": ([X34, lt(-1, 0)], lambda x: x[0].index_fill(1, x[1], -2.0)),
    "gather": ([X34, lt(0, 2, 1, 0, 1, 1).reshape(2, 3)], lambda x: x[0].gather(1, x[1])),
    "gather_dim0": ([X34, lt(2, 0, 1, 1, 0, 2, 2, 0).reshape(2, 4)], lambda x: x[0].gather(0, x[1])),
    "scatter": ([torch.zeros(3, 4, dtype=torch.float64), lt(0, 2, 1, 3, 0, 2).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter(1, x[1], x[2])),
    "scatter_value": ([X34, lt(1, 2, 0).reshape(3, 1)], lambda x: x[0].scatter(1, x[1], 7.0)),
    "scatter_add": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_add(1, x[1], x[2])),
    "scatter_reduce_sum": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "sum", include_self=False)),
    "scatter_reduce_prod": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "prod")),
    "scatter_reduce_mean": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "mean")),
    "scatter_reduce_mean_exclude": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "mean", include_self=False)),
    "scatter_reduce_amax": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "amax")),
    "scatter_reduce_amin_exclude": ([X34, lt(0, 0, 2, 1, 1, 1).reshape(2, 3), pat(2, 3, seed=5)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "amin", include_self=False)),
    "scatter_reduce_mean_int": ([I34.long(), lt(0, 0, 2, 1, 1, 1).reshape(2, 3), lt(-3, 4, 5, 1, -7, 2).reshape(2, 3)], lambda x: x[0].scatter_reduce(1, x[1], x[2], "mean")),
    "masked_fill": ([X34, bt(True, False, False, True)], lambda x: x[0].masked_fill(x[1], -1.0)),
    "masked_fill_broadcast": ([X3, bt(True, False, True, False, False, True).reshape(2, 3)], lambda x: x[0].masked_fill(x[1], 9.0)),
    "masked_scatter": ([X34, bt(True, False, False, True), pat(10, seed=5)], lambda x: x[0].masked_scatter(x[1], x[2])),
    "masked_select": ([X34, bt(True, False, False, True, True, False, True, False, False, False, True, True).reshape(3, 4)], lambda x: x[0].masked_select(x[1])),
    "masked_select_broadcast": ([X34, bt(False, True, True, False)], lambda x: x[0].masked_select(x[1])),
    "take": ([X34, lt(0, -1, 5, 11).reshape(2, 2)], lambda x: torch.take(x[0], x[1])),
    "take_along_dim": ([X34, lt(3, 0, 1, 2, 2, 0).reshape(3, 2)], lambda x: torch.take_along_dim(x[0], x[1], 1)),
    "take_along_dim_broadcast": ([X34, lt(1, 0, 2).reshape(3, 1)], lambda x: torch.take_along_dim(x[0], x[1], 0)),
    "take_along_dim_flat": ([X34, lt(11, 0, 4)], lambda x: torch.take_along_dim(x[0], x[1])),
    "nonzero": ([torch.tensor([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], dtype=torch.float64)], lambda x: torch.nonzero(x[0])),
    "argwhere_int": ([I34 % 3], lambda x: torch.argwhere(x[0])),
    "one_hot": ([lt(0, 2, 1, 2)], lambda x: F.one_hot(x[0])),
    "one_hot_classes": ([lt(0, 2, 1, 2).reshape(2, 2)], lambda x: F.one_hot(x[0], 5)),
    "embedding": ([lt(1, 2, 1, 0).reshape(2, 2), X34], lambda x: F.embedding(x[0], x[1])),
    "index_tensor": ([X34, lt(2, 0, 2)], lambda x: x[0][x[1]]),
    "index_second_dim": ([X34, lt(3, 1)], lambda x: x[0][:, x[1]]),
    "index_two_tensors": ([X234, lt(1, 0), lt(2, 1)], lambda x: x[0][x[1], x[2]]),
    "index_broadcast_tensors": ([X234, lt(1, 0).reshape(2, 1), lt(0, 3, 1)], lambda x: x[0][:, x[1], x[2]]),
    "index_nonadjacent": ([X234, lt(1, 0, 1), lt(3, 2, 0)], lambda x: x[0][x[1], :, x[2]]),
    "index_mask": ([X34, bt(True, False, True)], lambda x: x[0][x[1]]),
    "index_mask_2d": ([X34, (X34 > 0)], lambda x: x[0][x[1]]),
    "index_mixed_basic": ([X234, lt(3, 0)], lambda x: x[0][1, 1:, x[1]]),
    "index_ellipsis_newaxis": ([X234], lambda x: x[0][..., None, 1:3]),
    "index_step_negative_int": ([X234], lambda x: x[0][-1, ::2, 1:-1]),
    # ---- sorting and search ----
    "sort": ([X34], lambda x: list(x[0].sort(1))),
    "sort_descending_dim0": ([X34], lambda x: list(x[0].sort(0, descending=True))),
    "sort_stable_ties": ([lt(3, 1, 2, 1, 3, 0, 1)], lambda x: list(x[0].sort(stable=True))),
    "sort_nan": ([torch.tensor([2.0, float("nan"), -1.0, 0.5], dtype=torch.float64)], lambda x: list(x[0].sort())),
    "argsort": ([X34], lambda x: x[0].argsort(1, descending=True)),
    "topk": ([X34], lambda x: list(x[0].topk(2, 1))),
    "topk_smallest_dim0": ([X34], lambda x: list(x[0].topk(2, 0, largest=False))),
    "kthvalue": ([X34], lambda x: list(x[0].kthvalue(3, 1))),
    "kthvalue_keepdim": ([X34], lambda x: list(x[0].kthvalue(2, 0, keepdim=True))),
    "unique": ([lt(3, 1, 2, 1, 3, 0, 1).reshape(7)], lambda x: list(torch.unique(x[0], return_inverse=True, return_counts=True))),
    "unique_float_2d": ([torch.tensor([[1.5, -2.0], [1.5, 0.0]], dtype=torch.float64)], lambda x: list(torch.unique(x[0], return_inverse=True, return_counts=True))),
    "searchsorted": ([torch.tensor([1.0, 2.0, 2.0, 5.0], dtype=torch.float64), torch.tensor([[0.0, 2.0], [3.0, 6.0]], dtype=torch.float64)], lambda x: torch.searchsorted(x[0], x[1])),
    "searchsorted_right_int32": ([torch.tensor([1.0, 2.0, 2.0, 5.0], dtype=torch.float64), torch.tensor([2.0, 5.0, -1.0], dtype=torch.float64)], lambda x: torch.searchsorted(x[0], x[1], right=True, out_int32=True)),
    "searchsorted_batched": ([torch.tensor([[1.0, 3.0, 5.0], [0.0, 1.0, 2.0]], dtype=torch.float64), torch.tensor([[3.0, 4.0], [1.5, 3.0]], dtype=torch.float64)], lambda x: torch.searchsorted(x[0], x[1])),
    "bucketize": ([X34, torch.tensor([-0.5, 0.0, 0.5], dtype=torch.float64)], lambda x: torch.bucketize(x[0], x[1])),
    "histc": ([pat(50, seed=4)], lambda x: torch.histc(x[0], bins=6, min=-1, max=1)),
    "histc_auto_range": ([pat(20, seed=2, dtype=torch.float32)], lambda x: torch.histc(x[0], bins=4)),
    # ---- linear algebra ----
    "mm": ([X23, X34], lambda x: torch.mm(x[0], x[1])),
    "bmm": ([X234, pat(2, 4, 2, seed=5)], lambda x: torch.bmm(x[0], x[1])),
    "mv": ([X34, pat(4, seed=5)], lambda x: torch.mv(x[0], x[1])),
    "dot": ([X3, pat(3, seed=5)], lambda x: torch.dot(x[0], x[1])),
    "vdot": ([X3, pat(3, seed=5)], lambda x: torch.vdot(x[0], x[1])),
    "outer": ([X3, pat(2, seed=5)], lambda x: torch.outer(x[0], x[1])),
    "addmm": ([pat(4, seed=6), pat(3, 2, seed=1), pat(2, 4, seed=7)], lambda x: torch.addmm(x[0], x[1], x[2], beta=0.5, alpha=2.0)),
    "addbmm": ([pat(4, 2, seed=6), X234.transpose(1, 2).contiguous(), pat(2, 3, 2, seed=5)], lambda x: torch.addbmm(x[0], x[1], x[2], beta=2.0, alpha=-1.0)),
    "baddbmm": ([pat(2, 3, 2, seed=6), X234, pat(2, 4, 2, seed=5)], lambda x: torch.baddbmm(x[0], x[1], x[2], alpha=0.5)),
    "kron": ([X23, pat(2, 2, seed=5)], lambda x: torch.kron(x[0], x[1])),
    "kron_ranks": ([X3, pat(2, 2, seed=5)], lambda x: torch.kron(x[0], x[1])),
    "trace": ([X34], lambda x: torch.trace(x[0])),
    "trace_int": ([I34], lambda x: torch.trace(x[0])),
    "einsum_matmul": ([X23, X34], lambda x: torch.einsum("ij,jk->ik", x[0], x[1])),
    "einsum_batch": ([X234, pat(2, 4, 2, seed=5)], lambda x: torch.einsum("bij,bjk->bik", x[0], x[1])),
    "einsum_trace": ([pat(3, 3)], lambda x: torch.einsum("ii", x[0])),
    "einsum_diag": ([pat(3, 3)], lambda x: torch.einsum("ii->i", x[0])),
    "einsum_outer": ([X3, pat(2, seed=5)], lambda x: torch.einsum("i,j->ij", x[0], x[1])),
    "einsum_implicit": ([X23, X34], lambda x: torch.einsum("ij,jk", x[0], x[1])),
    "einsum_ellipsis": ([X234, pat(4, 2, seed=5)], lambda x: torch.einsum("...ij,...jk->...ik", x[0], x[1])),
    "einsum_sum_all": ([X234], lambda x: torch.einsum("ijk->", x[0])),
    "einsum_three": ([X23, X34, pat(4, 2, seed=5)], lambda x: torch.einsum("ij,jk,kl->il", x[0], x[1], x[2])),
    "einsum_transpose": ([X234], lambda x: torch.einsum("ijk->kji", x[0])),
    "einsum_bilinear": ([pat(2, 3), pat(4, 3, 5, seed=1), pat(2, 5, seed=2)], lambda x: torch.einsum("bn,anm,bm->ba", x[0], x[1], x[2])),
    "linalg_inv": ([pat(3, 3, seed=9) + 3 * torch.eye(3, dtype=torch.float64)], lambda x: torch.linalg.inv(x[0])),
    "linalg_inv_batched_float32": ([(pat(2, 3, 3, seed=9) + 3 * torch.eye(3, dtype=torch.float64)).float()], lambda x: torch.linalg.inv(x[0])),
    "linalg_det": ([pat(2, 3, 3, seed=9) + 2 * torch.eye(3, dtype=torch.float64)], lambda x: torch.linalg.det(x[0])),
    "linalg_slogdet": ([pat(2, 3, 3, seed=9) - 2 * torch.eye(3, dtype=torch.float64)], lambda x: list(torch.linalg.slogdet(x[0]))),
    "linalg_solve": ([pat(3, 3, seed=9) + 3 * torch.eye(3, dtype=torch.float64), pat(3, 2, seed=4)], lambda x: torch.linalg.solve(x[0], x[1])),
    "linalg_solve_vector_broadcast": ([pat(2, 3, 3, seed=9) + 3 * torch.eye(3, dtype=torch.float64), pat(3, seed=4)], lambda x: torch.linalg.solve(x[0], x[1])),
    "linalg_cholesky": ([(lambda m: m @ m.T + torch.eye(3, dtype=torch.float64))(pat(3, 3, seed=9))], lambda x: torch.linalg.cholesky(x[0])),
    "linalg_cholesky_upper": ([(lambda m: m @ m.mT + torch.eye(3, dtype=torch.float64))(pat(2, 3, 3, seed=9))], lambda x: torch.linalg.cholesky(x[0], upper=True)),
    "linalg_qr_abs": ([pat(4, 3, seed=9) + 2 * torch.eye(4, 3, dtype=torch.float64)], lambda x: [t.abs() for t in torch.linalg.qr(x[0])]),
    "linalg_qr_complete_abs": ([pat(3, 4, seed=9) + 2 * torch.eye(3, 4, dtype=torch.float64)], lambda x: [t.abs() for t in torch.linalg.qr(x[0], mode="complete")]),
    "linalg_svd_values": ([pat(2, 4, 3, seed=9)], lambda x: torch.linalg.svd(x[0])[1]),
    "linalg_eigh": ([(lambda m: m + m.mT)(pat(3, 3, seed=9))], lambda x: (lambda r: [r[0], r[1].abs()])(torch.linalg.eigh(x[0]))),
    "linalg_lstsq": ([pat(5, 3, seed=9) + 2 * torch.eye(5, 3, dtype=torch.float64), pat(5, 2, seed=4)], lambda x: torch.linalg.lstsq(x[0], x[1]).solution),
    "linalg_pinv": ([pat(3, 5, seed=9)], lambda x: torch.linalg.pinv(x[0])),
    "linalg_pinv_rank_deficient": ([torch.tensor([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]], dtype=torch.float64)], lambda x: torch.linalg.pinv(x[0])),
    "vector_norm": ([X234], lambda x: torch.linalg.vector_norm(x[0])),
    "vector_norm_dims": ([X234], lambda x: torch.linalg.vector_norm(x[0], 3, (0, 2), keepdim=True)),
    "vector_norm_l1": ([X34], lambda x: torch.linalg.vector_norm(x[0], 1, (1,))),
    "vector_norm_inf": ([X34], lambda x: torch.linalg.vector_norm(x[0], float("inf"), (0,))),
    "vector_norm_neg_inf": ([X34], lambda x: torch.linalg.vector_norm(x[0], float("-inf"))),
    "vector_norm_zero": ([torch.tensor([0.0, 1.5, 0.0, -2.0], dtype=torch.float64)], lambda x: torch.linalg.vector_norm(x[0], 0)),
    "matrix_norm_fro": ([X234], lambda x: torch.linalg.matrix_norm(x[0])),
    "matrix_norm_nuc": ([X234], lambda x: torch.linalg.matrix_norm(x[0], "nuc")),
    "matrix_norm_one": ([X234], lambda x: torch.linalg.matrix_norm(x[0], 1)),
    "matrix_norm_neg_one": ([X34], lambda x: torch.linalg.matrix_norm(x[0], -1)),
    "matrix_norm_inf_keepdim": ([X234], lambda x: torch.linalg.matrix_norm(x[0], float("inf"), keepdim=True)),
    "matrix_norm_two": ([X234], lambda x: torch.linalg.matrix_norm(x[0], 2, dim=(2, 0))),
    "matrix_norm_neg_two": ([X34], lambda x: torch.linalg.matrix_norm(x[0], -2)),
}


def number(v, floating):
    if not floating:
        return int(v)
    if math.isnan(v):
        return "NaN"  # JSON has no NaN/Infinity literals; the C# reader accepts these strings
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float("%.15g" % v)


def entry(t):
    t = t.detach()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "data": [number(v, t.is_floating_point()) for v in t.reshape(-1).tolist()]}


def main():
    cases = []
    for name, (inputs, fn) in CASES.items():
        out = fn(inputs)
        outs = out if isinstance(out, list) else [out]
        cases.append({"name": name, "inputs": [entry(t) for t in inputs], "outputs": [entry(t) for t in outs]})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "tests/reference/make_shape_reference.py", "torch": torch.__version__, "cases": cases}, f,
                  separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
