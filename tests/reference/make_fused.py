"""Writes PyTorch 1.13 reference values for the fused training-step ops (native/tests/test_fused.cpp):
cross entropy over class indices, forward and backward, and linear's gradients, into
native/tests/data/nn/cross_entropy.txt and linear_backward.txt, in make_native_nn.py's format.

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_fused.py
"""
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_native_nn as ref  # noqa: E402  (the format and its writer)


class Writer(ref.Writer):
    def save(self):
        path = os.path.join(ref.OUT_DIR, self.name + ".txt")
        with open(path, "w") as f:
            f.write(f"# PyTorch {torch.__version__} reference values; made by tests/reference/make_fused.py\n")
            f.write("\n".join(self.lines) + "\n")
        print(f"{path}: {os.path.getsize(path)} bytes")


REDUCTIONS = ((0, "none"), (1, "mean"), (2, "sum"))


def cross_entropy_case(w_, name, x, target, weight, ignore, red, dt):
    """x: logits, or (sizes, mult, scale) for logits the test generates itself."""
    rname = dict(REDUCTIONS)[red]
    w_.case(name, reduction=red, ignore_index=ignore)
    if isinstance(x, tuple):
        x = w_.gen("x", *x, dt).requires_grad_()
    else:
        x = w_.full("x", x.detach().to(dt).clone()).requires_grad_()
    w_.full("target", target)
    wt = w_.full("weight", weight.to(dt)) if weight is not None else None
    loss = F.cross_entropy(x, target, wt, ignore_index=ignore, reduction=rname)
    g = w_.gen("grad_out", list(loss.shape), 668265263, 1.0, dt)
    loss.backward(g)
    kept = target != ignore
    tw = weight[target[kept]].sum() if weight is not None else kept.sum()
    w_.check("loss", loss)
    w_.check("total_weight", tw.to(dt))
    w_.check("logsumexp", torch.logsumexp(x.detach().to(torch.float64), 1))
    w_.check("grad_x", x.grad)


def cross_entropy_cases():
    w_ = Writer("cross_entropy")
    logits = ref.gen([7, 5], 2654435761, 3.0)
    target = torch.tensor([0, 4, 2, 2, 1, 3, 4])
    weight = torch.tensor([0.5, 1.0, 2.0, 0.25, 1.5], dtype=torch.float64)
    for dt, use_w, ignore in ((torch.float64, False, -100), (torch.float64, True, 2),
                              (torch.float32, False, 4), (torch.float32, True, -100)):
        for red, rname in REDUCTIONS:
            name = f"{ref.DTYPES[dt]}_{'w' if use_w else 'nw'}_ig{ignore}_{rname}"
            cross_entropy_case(w_, name, logits, target, weight if use_w else None, ignore, red, dt)
    # Rows wider than a warp (a GPU kernel gives each row 32 lanes) and more rows than its warps.
    cross_entropy_case(w_, "wide_mean", ([3, 100], 2246822519, 6.0), torch.tensor([0, 99, 57]), None, -100, 1, torch.float64)
    cross_entropy_case(w_, "many_rows_sum", ([70, 3], 3266489917, 2.0), torch.arange(70) % 3, None, -100, 2, torch.float64)
    # Everything ignored with mean reduction gives nan (0 / 0) and zero gradients, as in PyTorch.
    cross_entropy_case(w_, "all_ignored_mean", ref.gen([2, 3], 2654435761, 1.0), torch.tensor([1, 1]),
                       None, 1, 1, torch.float64)
    w_.save()


def linear_backward_cases():
    w_ = Writer("linear_backward")
    for name, xs, o, dt in (("matrix_f32", [6, 5], 4, torch.float32),
                            ("batched_f64", [2, 3, 7], 6, torch.float64),
                            ("vector_f64", [5], 3, torch.float64)):
        w_.case(name)
        x = w_.gen("x", xs, 2654435761, 1.0, dt).requires_grad_()
        w = w_.gen("w", [o, xs[-1]], 2246822519, 1.0, dt).requires_grad_()
        b = w_.gen("b", [o], 3266489917, 1.0, dt).requires_grad_()
        y = F.linear(x, w, b)
        y.backward(w_.gen("grad_out", list(y.shape), 668265263, 1.0, dt))
        w_.check("grad_x", x.grad)
        w_.check("grad_w", w.grad)
        w_.check("grad_b", b.grad)
    w_.save()


if __name__ == "__main__":
    os.makedirs(ref.OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    cross_entropy_cases()
    linear_backward_cases()
