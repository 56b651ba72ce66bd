"""Writes PyTorch 1.13 reference values for the normalization kernels (batch, layer, rms, group
norm; native/tests/test_nn_norm.cpp) into native/tests/data/nn/norm.txt, in the format described
in make_native_nn.py (whose Writer this script reuses).

    /usr/bin/python3 tests/reference/make_nn_norm.py

rms_norm is not in PyTorch 1.13: its reference is the definition x * rsqrt(mean(x^2) + eps) * w
evaluated with torch ops in float64, and its gradients come from autograd through that.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
from make_native_nn import OUT_DIR, Writer, gen  # noqa: E402


class NormWriter(Writer):
    def small(self, name, sizes, mult, scale, dtype, offset=0.0):
        """A small input with an offset, written value by value."""
        return self.full(name, gen(sizes, mult, scale, dtype) + offset)

    def save(self):
        super().save()
        path = os.path.join(OUT_DIR, self.name + ".txt")
        with open(path) as f:
            lines = f.readlines()
        lines[0] = lines[0].replace("make_native_nn.py", "make_nn_norm.py")
        with open(path, "w") as f:
            f.writelines(lines)

F32, F64 = torch.float32, torch.float64


def batch_norm_cases(w_):
    cases = [
        # name, shape, affine, running stats, training, momentum, eps, dtype
        ("train_4d_affine", [4, 3, 5, 6], True, True, True, 0.1, 1e-5, F32),
        ("train_4d_f64", [3, 4, 2, 5], True, True, True, 0.3, 1e-3, F64),
        ("train_2d_no_affine", [16, 5], False, True, True, 0.1, 1e-5, F32),
        ("train_3d_no_running", [4, 3, 7], True, False, True, 0.1, 1e-5, F64),
        ("eval_4d", [2, 3, 4, 4], True, True, False, 0.1, 1e-5, F32),
        ("eval_2d_f64", [6, 4], False, True, False, 0.1, 1e-2, F64),
        ("train_large", [8, 6, 20, 20], True, True, True, 0.1, 1e-5, F32),
    ]
    for (name, shape, affine, running, training, momentum, eps, dt) in cases:
        c = shape[1]
        w_.case("batch_norm_" + name, training=int(training), momentum=momentum, eps=eps,
                affine=int(affine), running=int(running))
        x = w_.gen("x", shape, 2654435761, 2.0, dt).requires_grad_()
        w = w_.small("w", [c], 2246822519, 0.5, dt, 1.0).requires_grad_() if affine else None
        b = w_.small("b", [c], 3266489917, 0.3, dt).requires_grad_() if affine else None
        rm = w_.small("running_mean", [c], 374761393, 0.2, dt) if running else None
        rv = w_.small("running_var", [c], 668265263, 0.3, dt, 1.0) if running else None
        out, save_mean, save_invstd = torch.native_batch_norm(x, w, b, rm, rv, training, momentum, eps)
        gy = w_.gen("grad_out", shape, 3812015801, 1.0, dt)
        if training:
            grads = torch.autograd.grad(out, [t for t in (x, w, b) if t is not None], gy)
        else:
            # Evaluation: F.batch_norm with the running stats as constants.
            x2 = x.detach().requires_grad_()
            ins = [x2] + [t for t in (w, b) if t is not None]
            y2 = torch.nn.functional.batch_norm(x2, rm.clone(), rv.clone(), w, b, False, momentum, eps)
            grads = torch.autograd.grad(y2, ins, gy)
        w_.check("out", out)
        if training:
            w_.check("save_mean", save_mean)
            w_.check("save_invstd", save_invstd)
        if running:
            w_.check("running_mean_after", rm)
            w_.check("running_var_after", rv)
        w_.check("grad_x", grads[0])
        if affine:
            w_.check("grad_w", grads[1])
            w_.check("grad_b", grads[2])


def layer_norm_cases(w_):
    cases = [
        ("last_dim", [4, 7, 10], [10], True, 1e-5, F32),
        ("two_dims_f64", [3, 5, 6], [5, 6], True, 1e-5, F64),
        ("no_affine", [6, 33], [33], False, 1e-3, F32),
        ("rows_large", [32, 1000], [1000], False, 1e-5, F32),
        ("one_row_f64", [9], [9], True, 1e-6, F64),
    ]
    for (name, shape, ns, affine, eps, dt) in cases:
        w_.case("layer_norm_" + name, eps=eps, affine=int(affine), normalized=ns)
        x = w_.gen("x", shape, 2654435761, 2.0, dt).requires_grad_()
        w = w_.small("w", ns, 2246822519, 0.5, dt, 1.0).requires_grad_() if affine else None
        b = w_.small("b", ns, 3266489917, 0.3, dt).requires_grad_() if affine else None
        out, mean, rstd = torch.native_layer_norm(x, ns, w, b, eps)
        gy = w_.gen("grad_out", shape, 3812015801, 1.0, dt)
        grads = torch.autograd.grad(out, [t for t in (x, w, b) if t is not None], gy)
        w_.check("out", out)
        w_.check("mean", mean)
        w_.check("rstd", rstd)
        w_.check("grad_x", grads[0])
        if affine:
            w_.check("grad_w", grads[1])
            w_.check("grad_b", grads[2])


def rms_norm_cases(w_):
    cases = [
        ("last_dim", [4, 7, 10], [10], True, 1e-6, F32),
        ("two_dims_f64", [3, 5, 6], [5, 6], True, 1e-5, F64),
        ("no_weight", [5, 17], [17], False, 1.1920928955078125e-07, F32),
    ]
    for (name, shape, ns, affine, eps, dt) in cases:
        w_.case("rms_norm_" + name, eps=eps, affine=int(affine), normalized=ns)
        x = w_.gen("x", shape, 2654435761, 2.0, dt)
        w = w_.small("w", ns, 2246822519, 0.5, dt, 1.0) if affine else None
        gy = w_.gen("grad_out", shape, 3812015801, 1.0, dt)
        x64 = x.to(F64).requires_grad_()
        w64 = w.to(F64).requires_grad_() if affine else None
        dims = tuple(range(-len(ns), 0))
        rstd = torch.rsqrt(x64.pow(2).mean(dims, keepdim=True) + eps)
        out = x64 * rstd
        if affine:
            out = out * w64
        grads = torch.autograd.grad(out, [t for t in (x64, w64) if t is not None], gy.to(F64))
        w_.check("out", out.to(dt))
        w_.check("rstd", rstd.to(dt))
        w_.check("grad_x", grads[0].to(dt))
        if affine:
            w_.check("grad_w", grads[1].to(dt))


def group_norm_cases(w_):
    cases = [
        ("groups3", [3, 6, 5, 4], 3, True, 1e-5, F32),
        ("groups1_f64", [2, 4, 3, 3], 1, True, 1e-5, F64),
        ("instance_like", [2, 5, 4, 6], 5, False, 1e-5, F32),
        ("3d_f64", [4, 6, 7], 2, True, 1e-3, F64),
        ("no_spatial", [5, 8], 4, True, 1e-5, F32),
    ]
    for (name, shape, groups, affine, eps, dt) in cases:
        c = shape[1]
        w_.case("group_norm_" + name, eps=eps, affine=int(affine), groups=groups)
        x = w_.gen("x", shape, 2654435761, 2.0, dt).requires_grad_()
        w = w_.small("w", [c], 2246822519, 0.5, dt, 1.0).requires_grad_() if affine else None
        b = w_.small("b", [c], 3266489917, 0.3, dt).requires_grad_() if affine else None
        n = shape[0]
        hw = 1
        for s in shape[2:]:
            hw *= s
        out, mean, rstd = torch.native_group_norm(x, w, b, n, c, hw, groups, eps)
        gy = w_.gen("grad_out", shape, 3812015801, 1.0, dt)
        grads = torch.autograd.grad(out, [t for t in (x, w, b) if t is not None], gy)
        w_.check("out", out)
        w_.check("mean", mean)
        w_.check("rstd", rstd)
        w_.check("grad_x", grads[0])
        if affine:
            w_.check("grad_w", grads[1])
            w_.check("grad_b", grads[2])


if __name__ == "__main__":
    os.makedirs(OUT_DIR, exist_ok=True)
    w_ = NormWriter("norm")
    batch_norm_cases(w_)
    layer_norm_cases(w_)
    rms_norm_cases(w_)
    group_norm_cases(w_)
    w_.save()
