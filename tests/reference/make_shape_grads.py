"""Writes PyTorch 1.13 reference gradients for the shape, indexing and sorting ops into
tests/Ember.Tests/Data/shape/gradients.json, in the format of make_autograd.py (whose inputs,
output gradient and second-order scheme it reuses).

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_shape_grads.py

The cases mirror tests/Ember.Tests/Autograd/ShapeGradCases.cs by name.
"""
import json
import os

import torch
import torch.nn.functional as F

from make_autograd import inputs_of, pattern, values

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Tests", "Data", "shape", "gradients.json")
torch.set_default_dtype(torch.float64)


def L(*v):
    return torch.tensor(v, dtype=torch.int64)


def B(*v):
    return torch.tensor(v, dtype=torch.bool)


I23 = L(0, 2, 1, 1, 1, 3).reshape(2, 3)

CASES = {
    # ---- shape ----
    "cat": ([(2, 3), (2, 2)], lambda x: torch.cat([x[0], x[1]], 1), False),
    "concat": ([(2,), (3,)], lambda x: torch.concat([x[0], x[1]]), False),
    "stack": ([(2, 3), (2, 3)], lambda x: torch.stack([x[0], x[1]], 1), False),
    "hstack": ([(3,), (2,)], lambda x: torch.hstack([x[0], x[1]]), False),
    "vstack": ([(3,), (2, 3)], lambda x: torch.vstack([x[0], x[1]]), False),
    "split": ([(5, 2)], lambda x: torch.cat(list(reversed(torch.split(x[0], 2)))), False),
    "split_sizes": ([(3, 4)], lambda x: (lambda p: p[1] * p[0])(torch.split(x[0], [2, 2], 1)), False),
    "chunk": ([(7,)], lambda x: (lambda p: torch.cat([p[2], p[0]]))(torch.chunk(x[0], 3)), False),
    "unbind": ([(2, 3)], lambda x: (lambda p: p[0] * p[2])(torch.unbind(x[0], 1)), False),
    "unflatten": ([(2, 6)], lambda x: x[0].unflatten(1, (3, 2)), False),
    "view_as": ([(2, 3), (3, 2)], lambda x: x[0].view_as(x[1]) * x[1], False),
    "movedim": ([(2, 3, 4)], lambda x: x[0].movedim(0, -1), False),
    "swapaxes": ([(2, 3, 4)], lambda x: x[0].swapaxes(0, 2), False),
    "swapdims": ([(2, 3)], lambda x: x[0].swapdims(0, 1), False),
    "repeat": ([(2, 3)], lambda x: x[0].repeat(2, 1, 2), False),
    "tile": ([(2, 3)], lambda x: x[0].tile(2), False),
    "repeat_interleave": ([(2, 3)], lambda x: x[0].repeat_interleave(2, 1), False),
    "repeat_interleave_flat": ([(2, 2)], lambda x: x[0].repeat_interleave(3), False),
    "repeat_interleave_tensor": ([(2, 3)], lambda x: x[0].repeat_interleave(L(2, 0, 1), 1), False),
    "flip": ([(2, 3, 2)], lambda x: x[0].flip(0, 2), False),
    "roll": ([(3, 4)], lambda x: x[0].roll(1, 1), False),
    "roll_flat": ([(3, 4)], lambda x: x[0].roll(-5), False),
    "tril": ([(3, 4)], lambda x: x[0].tril(-1), False),
    "triu": ([(2, 3, 3)], lambda x: x[0].triu(1), False),
    "tril_inplace": ([(3, 3)], lambda x: x[0].clone().tril_(), False),
    "triu_inplace": ([(3, 3)], lambda x: x[0].clone().triu_(-1), False),
    "diagonal": ([(2, 3, 4)], lambda x: x[0].diagonal(1, 2, 0), False),
    "diag_vector": ([(3,)], lambda x: torch.diag(x[0], 1), False),
    "diag_matrix": ([(3, 4)], lambda x: torch.diag(x[0], -1), False),
    "diag_embed": ([(2, 3)], lambda x: torch.diag_embed(x[0], 1), False),
    "pad_constant": ([(2, 3)], lambda x: F.pad(x[0], (1, 2, -1, 1), value=0.5), False),
    "pad_reflect": ([(1, 2, 4)], lambda x: F.pad(x[0], (2, 3), mode="reflect"), False),
    "pad_replicate": ([(1, 1, 3, 3)], lambda x: F.pad(x[0], (2, 1, 1, 2), mode="replicate"), False),
    "pad_circular": ([(1, 2, 3)], lambda x: F.pad(x[0], (2, 3), mode="circular"), False),
    "meshgrid": ([(3,), (2,)], lambda x: (lambda g: g[0] * g[1])(torch.meshgrid(x[0], x[1], indexing="xy")), False),
    # ---- indexing ----
    "index": ([(3, 4)], lambda x: x[0][L(2, 0, 2)], False),
    "indexer_mask": ([(3, 4)], lambda x: x[0][x[0].detach() > 0], False),
    "indexer_mixed": ([(2, 3, 4)], lambda x: x[0][1, 1:, L(3, 0)], False),
    "index_put": ([(3, 4), (2, 4)], lambda x: x[0].index_put((L(2, 0),), x[1]), False),
    "index_put_accumulate": ([(3, 4), (4,)], lambda x: x[0].index_put((L(2, 2),), x[1], accumulate=True), False),
    "index_put_inplace": ([(3, 4), (3,)], lambda x: x[0].clone().index_put_((L(0, 1, 2), L(1, 3, 0)), x[1]), False),
    "index_select": ([(3, 4)], lambda x: x[0].index_select(1, L(3, 0, 3)), False),
    "index_add": ([(3, 4), (3, 2)], lambda x: x[0].index_add(1, L(3, 3), x[1], alpha=2.0), False),
    "index_add_inplace": ([(3, 4), (1, 4)], lambda x: x[0].clone().index_add_(0, L(1), x[1]), False),
    "index_copy": ([(3, 4), (2, 4)], lambda x: x[0].index_copy(0, L(2, 0), x[1]), False),
    "index_copy_inplace": ([(3, 4), (3, 1)], lambda x: x[0].clone().index_copy_(1, L(2), x[1]), False),
    "index_fill": ([(3, 4)], lambda x: x[0].index_fill(1, L(0, 2), 1.5), False),
    "index_fill_inplace": ([(3, 4)], lambda x: x[0].clone().index_fill_(0, L(1), -1.0), False),
    "gather": ([(3, 4)], lambda x: x[0].gather(1, I23), False),
    "scatter": ([(3, 4), (2, 3)], lambda x: x[0].scatter(1, L(0, 2, 1, 3, 0, 2).reshape(2, 3), x[1]), False),
    "scatter_value": ([(3, 4)], lambda x: x[0].scatter(1, L(1, 2, 0).reshape(3, 1), 7.0), False),
    "scatter_inplace": ([(3, 4), (2, 3)], lambda x: x[0].clone().scatter_(1, L(0, 2, 1, 3, 0, 2).reshape(2, 3), x[1]), False),
    "scatter_add": ([(3, 4), (2, 3)], lambda x: x[0].scatter_add(1, I23, x[1]), False),
    "scatter_add_inplace": ([(3, 4), (2, 3)], lambda x: x[0].clone().scatter_add_(1, I23, x[1]), False),
    "scatter_reduce_sum": ([(3, 4), (2, 3)], lambda x: x[0].scatter_reduce(1, I23, x[1], "sum", include_self=False), False),
    "scatter_reduce_mean": ([(3, 4), (2, 3)], lambda x: x[0].scatter_reduce(1, I23, x[1], "mean"), False),
    "scatter_reduce_mean_exclude": ([(3, 4), (2, 3)], lambda x: x[0].scatter_reduce(1, I23, x[1], "mean", include_self=False), False),
    "scatter_reduce_amax": ([(3, 4), (2, 3)], lambda x: x[0].scatter_reduce(1, I23, x[1], "amax"), False),
    "scatter_reduce_amin_exclude": ([(3, 4), (2, 3)], lambda x: x[0].scatter_reduce(1, I23, x[1], "amin", include_self=False), False),
    "scatter_reduce_prod": ([(3, 4), (2, 3)], lambda x: x[0].scatter_reduce(1, I23, x[1], "prod"), True),
    "scatter_reduce_inplace": ([(3, 4), (2, 3)], lambda x: x[0].clone().scatter_reduce_(1, I23, x[1], "amax"), False),
    "take_along_dim": ([(3, 4)], lambda x: torch.take_along_dim(x[0], L(1, 0, 2).reshape(3, 1), 0), False),
    "take_along_dim_flat": ([(3, 4)], lambda x: torch.take_along_dim(x[0], L(11, 0, 11)), False),
    "take": ([(3, 4)], lambda x: torch.take(x[0], L(0, -1, 5, 11, 5).reshape(5)), False),
    "masked_fill": ([(3, 4)], lambda x: x[0].masked_fill(B(True, False, False, True), -1.0), False),
    "masked_fill_broadcast": ([(3,)], lambda x: x[0].masked_fill(B(True, False, True, False, False, True).reshape(2, 3), 9.0), False),
    "masked_fill_inplace": ([(2, 3)], lambda x: x[0].clone().masked_fill_(B(False, True, True), 2.0), False),
    "masked_scatter": ([(3, 4), (10,)], lambda x: x[0].masked_scatter(B(True, False, False, True), x[1]), False),
    "masked_scatter_inplace": ([(2, 3), (4,)], lambda x: x[0].clone().masked_scatter_(B(False, True, True), x[1]), False),
    "masked_select": ([(3, 4)], lambda x: x[0].masked_select(B(False, True, True, False)), False),
    # ---- sorting ----
    "sort": ([(3, 4)], lambda x: x[0].sort(1, descending=True).values, False),
    "topk": ([(3, 4)], lambda x: x[0].topk(2, 0).values, False),
    "kthvalue": ([(3, 4)], lambda x: x[0].kthvalue(2, 1).values, False),
    "kthvalue_keepdim": ([(3, 4)], lambda x: x[0].kthvalue(3, 0, keepdim=True).values, False),
    # ---- linear algebra ----
    "mm": ([(2, 3), (3, 4)], lambda x: x[0].mm(x[1]), False),
    "bmm": ([(2, 2, 3), (2, 3, 2)], lambda x: x[0].bmm(x[1]), False),
    "mv": ([(2, 3), (3,)], lambda x: x[0].mv(x[1]), False),
    "dot": ([(3,), (3,)], lambda x: x[0].dot(x[1]), False),
    "vdot": ([(3,), (3,)], lambda x: x[0].vdot(x[1]), False),
    "outer": ([(3,), (2,)], lambda x: x[0].outer(x[1]), False),
    "addmm": ([(3,), (2, 4), (4, 3)], lambda x: x[0].addmm(x[1], x[2], beta=0.5, alpha=2.0), False),
    "addbmm": ([(2, 3), (2, 2, 4), (2, 4, 3)], lambda x: x[0].addbmm(x[1], x[2], alpha=-1.5), False),
    "baddbmm": ([(2, 2, 3), (2, 2, 4), (2, 4, 3)], lambda x: x[0].baddbmm(x[1], x[2], beta=2.0), False),
    "kron": ([(2, 3), (2, 2)], lambda x: x[0].kron(x[1]), False),
    "trace": ([(3, 4)], lambda x: x[0].trace(), False),
    "einsum_matmul": ([(2, 3), (3, 4)], lambda x: torch.einsum("ij,jk->ik", x[0], x[1]), False),
    "einsum_diag": ([(3, 3)], lambda x: torch.einsum("ii->i", x[0]), False),
    "einsum_trace_outer": ([(3, 3), (2,)], lambda x: torch.einsum("ii,j->j", x[0], x[1]), False),
    "einsum_ellipsis": ([(2, 2, 3), (3, 2)], lambda x: torch.einsum("...ij,...jk->...ik", x[0], x[1]), False),
    "einsum_sum_out": ([(2, 3), (3,)], lambda x: torch.einsum("ij,j->", x[0], x[1]), False),
    "einsum_three": ([(2, 3), (3, 2), (2,)], lambda x: torch.einsum("ij,jk,k", x[0], x[1], x[2]), False),
    "linalg_inv": ([(3, 3)], lambda x: torch.linalg.inv(x[0] + 3 * torch.eye(3)), False),
    "linalg_det": ([(2, 3, 3)], lambda x: torch.linalg.det(x[0] + 2 * torch.eye(3)), False),
    "linalg_slogdet": ([(3, 3)], lambda x: torch.linalg.slogdet(x[0] - 2 * torch.eye(3)).logabsdet, False),
    "linalg_solve": ([(3, 3), (3, 2)], lambda x: torch.linalg.solve(x[0] + 3 * torch.eye(3), x[1]), False),
    "linalg_solve_vector": ([(2, 3, 3), (3,)], lambda x: torch.linalg.solve(x[0] + 3 * torch.eye(3), x[1]), False),
    "linalg_cholesky": ([(3, 3)], lambda x: torch.linalg.cholesky(x[0] @ x[0].mT + torch.eye(3)), False),
    "linalg_cholesky_upper": ([(3, 3)], lambda x: torch.linalg.cholesky(x[0] @ x[0].mT + torch.eye(3), upper=True), False),
    "linalg_eigh_values": ([(3, 3)], lambda x: torch.linalg.eigh(x[0] + x[0].mT).eigenvalues, False),
    "linalg_eigh_vectors": ([(3, 3)], lambda x: (lambda v: v * v)(torch.linalg.eigh(x[0] + x[0].mT).eigenvectors), False),
    "vector_norm": ([(2, 3)], lambda x: torch.linalg.vector_norm(x[0]), False),
    "vector_norm_l1_dim": ([(2, 3)], lambda x: torch.linalg.vector_norm(x[0], 1, (1,)), False),
    "vector_norm_p3_keepdim": ([(2, 3)], lambda x: torch.linalg.vector_norm(x[0], 3, (0,), keepdim=True), False),
    "vector_norm_inf": ([(2, 3)], lambda x: torch.linalg.vector_norm(x[0], float("inf"), (1,)), False),
    "matrix_norm_fro": ([(2, 3, 2)], lambda x: torch.linalg.matrix_norm(x[0]), False),
    "matrix_norm_nuc": ([(3, 2)], lambda x: torch.linalg.matrix_norm(x[0], "nuc"), False),
    "matrix_norm_two": ([(2, 3, 2)], lambda x: torch.linalg.matrix_norm(x[0], 2), False),
    "matrix_norm_neg_one": ([(3, 2)], lambda x: torch.linalg.matrix_norm(x[0], -1), False),
    "matrix_norm_inf_dims": ([(3, 2, 2)], lambda x: torch.linalg.matrix_norm(x[0], float("inf"), dim=(2, 0), keepdim=True), False),
    "linalg_qr_tall": ([(4, 3)], lambda x: (lambda r: torch.cat([(r.Q * r.Q).reshape(-1), (r.R * r.R).reshape(-1)]))(torch.linalg.qr(x[0] + torch.eye(4, 3))), False),
    "linalg_qr_wide": ([(2, 3)], lambda x: (lambda r: torch.cat([(r.Q * r.Q).reshape(-1), (r.R * r.R).reshape(-1)]))(torch.linalg.qr(x[0] + torch.eye(2, 3), mode="complete")), False),
    "linalg_pinv": ([(3, 2)], lambda x: torch.linalg.pinv(x[0]), False),
    "linalg_lstsq": ([(4, 2), (4, 2)], lambda x: torch.linalg.lstsq(x[0], x[1]).solution, False),
    "linalg_svd_values": ([(3, 2)], lambda x: torch.linalg.svd(x[0]).S, False),
    "linalg_svd_vectors": ([(3, 2)], lambda x: (lambda r: (r.U * r.U).sum(0) * 2 + (r.Vh * r.Vh).sum(1) + r.U[1] ** 2 + r.Vh[:, 0] ** 2)(torch.linalg.svd(x[0], full_matrices=False)), False),
}


def main():
    cases = []
    for name, (shapes, fn, positive) in CASES.items():
        x = inputs_of(shapes, positive)
        out = fn(x)
        gout = pattern(tuple(out.shape), 5.0)
        grads = torch.autograd.grad(out, x, gout, create_graph=True, allow_unused=True)
        first = [torch.zeros_like(xi) if g is None else g for xi, g in zip(x, grads)]
        s = sum((g * pattern(tuple(g.shape), 11 + k)).sum() for k, g in enumerate(first))
        if s.requires_grad:
            second = torch.autograd.grad(s, x, allow_unused=True)
            second = [torch.zeros_like(xi) if g is None else g.clone() for xi, g in zip(x, second)]
        else:
            second = [torch.zeros_like(xi) for xi in x]
        cases.append({
            "name": name,
            "out": {"shape": list(out.shape), "data": values(out)},
            "grads": [values(g) for g in first],
            "second": [values(g) for g in second],
        })
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"generator": "tests/reference/make_shape_grads.py", "torch": torch.__version__, "cases": cases}, f,
                  separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
