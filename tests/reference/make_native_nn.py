"""Writes PyTorch 1.13 reference values for the native nn and optimizer kernels
(native/tests/test_nn.cpp, native/tests/test_optim.cpp) into native/tests/data/nn/*.txt.

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_native_nn.py

File format (text, one record per line):
    case NAME                          starts a case
    attr KEY V...                      integer or float attributes of the case
    tensor NAME DTYPE NDIM SIZES... full V...          an input given value by value
    tensor NAME DTYPE NDIM SIZES... gen MULT SCALE     an input the test generates itself:
        element i = SCALE * (((i * MULT) mod 2^32) / 2^32 * 2 - 1), computed in float64, then cast
    check NAME NDIM SIZES... SUM L1 DOT K (INDEX VALUE)*K
        an expected output: the sum, the sum of absolute values, the dot product with the pattern
        gen(40503, 1) and K sampled elements (all of them for small outputs), in float64
Large inputs are generated and large outputs summarised so that each file stays a few KB.
"""
import math
import os
import random

import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "native", "tests", "data", "nn")
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64", torch.bool: "bool",
          torch.int32: "int32"}
PATTERN_MULT = 40503
MAX_SAMPLES = 32


def gen(sizes, mult, scale, dtype=torch.float64):
    n = math.prod(sizes)
    i = torch.arange(n, dtype=torch.int64)
    v = ((i * mult) % 4294967296).to(torch.float64) / 4294967296.0 * 2 - 1
    return (scale * v).reshape(sizes).to(dtype)


def fmt(v, digits=17):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{float(v):.{digits}g}"


class Writer:
    def __init__(self, name):
        self.name = name
        self.lines = []
        self.rng = random.Random(name)

    def case(self, name, **attrs):
        self.lines.append(f"case {name}")
        for k, v in attrs.items():
            vals = v if isinstance(v, (list, tuple)) else [v]
            self.lines.append(f"attr {k} " + " ".join(fmt(x) for x in vals))

    def gen(self, name, sizes, mult, scale, dtype):
        t = gen(sizes, mult, scale, dtype)
        self.lines.append(f"tensor {name} {DTYPES[dtype]} {len(sizes)} " + " ".join(map(str, sizes))
                          + f" gen {mult} {fmt(scale)}")
        return t

    def full(self, name, t):
        vals = t.reshape(-1).tolist()
        digits = 9 if t.dtype == torch.float32 else 17
        self.lines.append(f"tensor {name} {DTYPES[t.dtype]} {t.dim()} " + " ".join(map(str, t.shape))
                          + " full " + " ".join(fmt(v, digits) for v in vals))
        return t

    def check(self, name, t):
        t = t.detach()
        d = t.to(torch.float64).reshape(-1)
        n = d.numel()
        pat = gen([n], PATTERN_MULT, 1.0)
        finite = torch.isfinite(d)
        s = d[finite].sum().item()
        l1 = d[finite].abs().sum().item()
        dot = (d[finite] * pat[finite]).sum().item()
        if n <= MAX_SAMPLES:
            idx = list(range(n))
        else:
            idx = sorted(set([0, n - 1] + self.rng.sample(range(n), MAX_SAMPLES - 2)))
        vals = d.tolist()
        digits = 9 if t.dtype == torch.float32 else 17
        self.lines.append(f"check {name} {t.dim()} " + " ".join(map(str, t.shape))
                          + f" {fmt(s)} {fmt(l1)} {fmt(dot)} {len(idx)} "
                          + " ".join(f"{i} {fmt(vals[i], digits)}" for i in idx))

    def save(self):
        path = os.path.join(OUT_DIR, self.name + ".txt")
        with open(path, "w") as f:
            f.write(f"# PyTorch {torch.__version__} reference values; made by tests/reference/make_native_nn.py\n")
            f.write("\n".join(self.lines) + "\n")
        print(f"{path}: {os.path.getsize(path)} bytes")


def conv2d_cases():
    w_ = Writer("conv2d")
    cases = [
        # name, N, C, H, W, O, kh, kw, stride, padding, dilation, groups, bias, dtype
        ("seed1", 2, 1, 28, 28, 10, 5, 5, (1, 1), (0, 0), (1, 1), 1, True, torch.float32),
        ("seed2", 2, 10, 12, 12, 20, 5, 5, (1, 1), (0, 0), (1, 1), 1, True, torch.float32),
        ("strided_padded", 2, 3, 9, 8, 4, 3, 2, (2, 1), (1, 2), (1, 1), 1, True, torch.float32),
        ("dilated_groups", 2, 4, 9, 10, 6, 3, 2, (2, 3), (2, 1), (2, 2), 2, False, torch.float64),
        ("depthwise", 3, 4, 7, 6, 8, 3, 3, (1, 1), (1, 1), (1, 1), 4, True, torch.float64),
        ("pointwise_f64", 2, 6, 5, 5, 3, 1, 1, (1, 1), (0, 0), (1, 1), 1, True, torch.float64),
        ("kernel_beyond_padding", 1, 2, 3, 4, 2, 4, 3, (3, 2), (2, 2), (1, 2), 1, True, torch.float32),
        # Stride 1 with rows barely wider than the output: the kernel's implicit-im2col path.
        ("implicit_padded_groups", 2, 4, 9, 16, 6, 3, 3, (1, 1), (1, 2), (2, 1), 2, True, torch.float64),
        # Large enough per image for the BLAS path of the kernel.
        ("blas_sized", 2, 32, 20, 20, 64, 3, 3, (1, 1), (1, 1), (1, 1), 1, True, torch.float64),
    ]
    for (name, n, c, h, wd, o, kh, kw, st, pd, dl, g, bias, dt) in cases:
        w_.case(name, stride=st, padding=pd, dilation=dl, groups=g)
        x = w_.gen("x", [n, c, h, wd], 2654435761, 1.0, dt).requires_grad_()
        w = w_.gen("w", [o, c // g, kh, kw], 2246822519, 0.5, dt).requires_grad_()
        b = w_.gen("b", [o], 3266489917, 0.3, dt).requires_grad_() if bias else None
        y = F.conv2d(x, w, b, st, pd, dl, g)
        gy = w_.gen("grad_out", list(y.shape), 668265263, 1.0, dt)
        y.backward(gy)
        w_.check("out", y)
        w_.check("grad_x", x.grad)
        w_.check("grad_w", w.grad)
        if bias:
            w_.check("grad_b", b.grad)
    # Unbatched (C, H, W) input.
    w_.case("unbatched", stride=(1, 1), padding=(1, 0), dilation=(1, 1), groups=1)
    x = w_.gen("x", [3, 5, 6], 2654435761, 1.0, torch.float64).requires_grad_()
    w = w_.gen("w", [2, 3, 3, 3], 2246822519, 0.5, torch.float64).requires_grad_()
    b = w_.gen("b", [2], 3266489917, 0.3, torch.float64).requires_grad_()
    y = F.conv2d(x, w, b, 1, (1, 0))
    gy = w_.gen("grad_out", list(y.shape), 668265263, 1.0, torch.float64)
    y.backward(gy)
    for k, v in (("out", y), ("grad_x", x.grad), ("grad_w", w.grad), ("grad_b", b.grad)):
        w_.check(k, v)
    w_.save()


def max_pool2d_cases():
    w_ = Writer("max_pool2d")
    cases = [
        ("seed1", [2, 10, 24, 24], (2, 2), (2, 2), (0, 0), (1, 1), False, torch.float32),
        ("seed2", [2, 20, 8, 8], (2, 2), (2, 2), (0, 0), (1, 1), False, torch.float32),
        ("overlap_padded", [2, 3, 9, 10], (3, 2), (2, 1), (1, 1), (1, 2), False, torch.float64),
        ("ceil_mode", [1, 2, 7, 9], (3, 3), (2, 2), (1, 0), (1, 1), True, torch.float32),
        ("ceil_mode_dilated", [2, 2, 10, 8], (2, 3), (3, 2), (1, 1), (2, 1), True, torch.float64),
        ("unbatched", [3, 6, 5], (2, 2), (1, 2), (0, 1), (1, 1), False, torch.float64),
    ]
    for (name, sizes, k, st, pd, dl, ceil, dt) in cases:
        w_.case(name, kernel=k, stride=st, padding=pd, dilation=dl, ceil_mode=int(ceil))
        x = w_.gen("x", sizes, 2654435761, 1.0, dt).requires_grad_()
        y, idx = F.max_pool2d(x, k, st, pd, dl, ceil_mode=ceil, return_indices=True)
        gy = w_.gen("grad_out", list(y.shape), 668265263, 1.0, dt)
        y.backward(gy)
        w_.check("out", y)
        w_.check("indices", idx)
        w_.check("grad_x", x.grad)
    w_.save()


def softmax_cases():
    w_ = Writer("softmax")
    cases = [
        ("rows_f32", [4, 37], 1, 3.0, torch.float32),
        ("rows_wide_f32", [3, 1000], -1, 8.0, torch.float32),
        ("cols_f64", [6, 5], 0, 2.0, torch.float64),
        ("inner_f32", [2, 7, 3, 5], 1, 4.0, torch.float32),
        ("large_values_f64", [3, 300], 1, 800.0, torch.float64),
        ("large_values_f32", [2, 33], 1, 90.0, torch.float32),
        ("vector_f64", [9], 0, 1.0, torch.float64),
    ]
    for (name, sizes, dim, scale, dt) in cases:
        w_.case(name, dim=dim)
        x = w_.gen("x", sizes, 2654435761, scale, dt)
        gy = w_.gen("grad_out", sizes, 668265263, 1.0, dt)
        for fn, tag in ((torch.log_softmax, "log_softmax"), (torch.softmax, "softmax")):
            xx = x.clone().requires_grad_()
            y = fn(xx, dim)
            y.backward(gy)
            w_.check(tag, y)
            w_.check(tag + "_grad_x", xx.grad)
    w_.case("infinities", dim=1)
    x = w_.full("x", torch.tensor([[1.0, -math.inf, 2.0, 0.5], [-math.inf, 3.0, -math.inf, -1.0]],
                                  dtype=torch.float64))
    w_.check("log_softmax", torch.log_softmax(x, 1))
    w_.check("softmax", torch.softmax(x, 1))
    w_.save()


def nll_loss_cases():
    w_ = Writer("nll_loss")
    logits = gen([6, 5], 2654435761, 2.0)
    target = torch.tensor([0, 4, 2, 2, 1, 3])
    weight = torch.tensor([0.5, 1.0, 2.0, 0.25, 1.5], dtype=torch.float64)
    variants = [(torch.float64, False, -100), (torch.float64, True, 2), (torch.float64, False, 2),
                (torch.float32, True, 2)]
    for dt, use_w, ignore in variants:
        for red, rname in ((0, "none"), (1, "mean"), (2, "sum")):
            name = f"{DTYPES[dt]}_{'w' if use_w else 'nw'}_ig{ignore}_{rname}"
            w_.case(name, reduction=red, ignore_index=ignore)
            lp = w_.full("logp", torch.log_softmax(logits, 1).to(dt)).requires_grad_()
            w_.full("target", target)
            wt = w_.full("weight", weight.to(dt)) if use_w else None
            loss = F.nll_loss(lp, target, wt, ignore_index=ignore,
                              reduction=["none", "mean", "sum"][red])
            g = w_.gen("grad_out", list(loss.shape), 668265263, 1.0, dt)
            loss.backward(g)
            tw = weight[target[target != ignore]].sum() if use_w else (target != ignore).sum()
            w_.check("out", loss)
            w_.check("total_weight", tw.to(dt))
            w_.check("grad_x", lp.grad)
    # A single sample: logp (C), target 0-d.
    w_.case("unbatched_mean", reduction=1, ignore_index=-100)
    lp = w_.full("logp", torch.log_softmax(gen([5], 2654435761, 2.0), 0)).requires_grad_()
    t = w_.full("target", torch.tensor(3))
    loss = F.nll_loss(lp, t)
    loss.backward()
    w_.gen("grad_out", [], 668265263, 1.0, torch.float64)  # element 0 of the pattern is -1
    w_.check("out", loss)
    w_.check("total_weight", torch.tensor(1.0, dtype=torch.float64))
    w_.check("grad_x", -lp.grad)
    # Everything ignored with mean reduction gives nan (0 / 0), as in PyTorch.
    w_.case("all_ignored_mean", reduction=1, ignore_index=1)
    lp = w_.full("logp", torch.log_softmax(gen([2, 3], 2654435761, 1.0), 1))
    w_.full("target", torch.tensor([1, 1]))
    w_.check("out", F.nll_loss(lp, torch.tensor([1, 1]), ignore_index=1))
    w_.save()


def linear_cases():
    w_ = Writer("linear")
    for name, xs, o, bias, dt in (("matrix_f32", [3, 5], 4, True, torch.float32),
                                  ("batched_f64", [2, 3, 7], 6, True, torch.float64),
                                  ("vector_nobias_f64", [5], 3, False, torch.float64),
                                  ("mlp_f32", [8, 784], 16, True, torch.float32)):
        w_.case(name)
        x = w_.gen("x", xs, 2654435761, 1.0, dt)
        w = w_.gen("w", [o, xs[-1]], 2246822519, 0.5, dt)
        b = w_.gen("b", [o], 3266489917, 0.3, dt) if bias else None
        w_.check("out", F.linear(x, w, b))
    w_.save()


def argmax_cases():
    w_ = Writer("argmax")
    x = gen([3, 4, 5], 2654435761, 1.0, torch.float32)
    for dim in (0, 1, 2, -1):
        for keep in (0, 1):
            w_.case(f"dim{dim}_keep{keep}", dim=dim, keepdim=keep)
            w_.gen("x", [3, 4, 5], 2654435761, 1.0, torch.float32)
            v, i = torch.max(x, dim, keepdim=bool(keep))
            w_.check("values", v)
            w_.check("indices", i)
            w_.check("argmax", torch.argmax(x, dim, keepdim=bool(keep)))
    w_.case("ties_and_nan", dim=1, keepdim=0)
    t = w_.full("x", torch.tensor([[1.0, 3.0, 3.0, 2.0], [math.nan, 1.0, math.nan, 5.0],
                                   [-1.0, -1.0, -1.0, -1.0], [2.0, 7.0, math.inf, math.inf]],
                                  dtype=torch.float64))
    v, i = torch.max(t, 1)
    w_.check("values", v)
    w_.check("indices", i)
    w_.check("argmax", torch.argmax(t, 1))
    w_.case("int64_dim0", dim=0, keepdim=1)
    t = w_.full("x", torch.tensor([[4, -2, 9], [4, 8, 9], [1, 8, -3]], dtype=torch.int64))
    v, i = torch.max(t, 0, keepdim=True)
    w_.check("values", v)
    w_.check("indices", i)
    w_.check("argmax", torch.argmax(t, 0, keepdim=True))
    w_.save()


def activation_cases():
    w_ = Writer("activation")
    w_.case("relu_f32")
    x = w_.full("x", torch.tensor([[-1.5, 0.0, 2.0], [math.nan, -0.0, 3.25]], dtype=torch.float32))
    w_.check("relu", torch.relu(x))
    w_.case("relu_int64")
    x = w_.full("x", torch.tensor([-3, 0, 7, -1, 2], dtype=torch.int64))
    w_.check("relu", torch.relu(x))
    w_.case("threshold_backward_f64", threshold=0.5)
    x = w_.gen("x", [4, 6], 2654435761, 1.0, torch.float64)
    g = w_.gen("grad", [4, 6], 668265263, 2.0, torch.float64)
    w_.check("out", torch.ops.aten.threshold_backward(g, x, 0.5))
    w_.case("threshold_backward_broadcast", threshold=0.0)
    x = w_.gen("x", [3, 1, 5], 2654435761, 1.0, torch.float32)
    g = w_.gen("grad", [4, 5], 668265263, 2.0, torch.float32)
    w_.check("out", torch.ops.aten.threshold_backward(g, x, 0.0))
    w_.save()


def compare_cases():
    w_ = Writer("compare")
    ops = [("eq", torch.eq), ("ne", torch.ne), ("lt", torch.lt), ("le", torch.le), ("gt", torch.gt),
           ("ge", torch.ge)]
    w_.case("tensor_f32_broadcast")
    a = w_.full("a", torch.tensor([[1.0, 2.0, math.nan], [0.5, -1.0, 2.0]], dtype=torch.float32))
    b = w_.full("b", torch.tensor([1.0, 3.0, math.nan], dtype=torch.float32))
    for n, f in ops:
        w_.check(n, f(a, b))
    w_.case("tensor_int64_vs_f64")
    a = w_.full("a", torch.tensor([[1, 2], [3, 4]], dtype=torch.int64))
    b = w_.full("b", torch.tensor([[1.0], [3.5]], dtype=torch.float64))
    for n, f in ops:
        w_.check(n, f(a, b))
    w_.case("scalar_int64_float", scalar=2.5)
    a = w_.full("a", torch.tensor([1, 2, 3, 4], dtype=torch.int64))
    for n, f in ops:
        w_.check(n, f(a, 2.5))
    w_.case("scalar_f32_int", scalar=2)
    a = w_.full("a", torch.tensor([1.0, 2.0, 2.5, math.nan], dtype=torch.float32))
    for n, f in ops:
        w_.check(n, f(a, 2))
    w_.save()


def optim_cases():
    w_ = Writer("optim")
    steps = 5
    shape = [2, 3]

    def trajectory(make_opt, name, dt, **attrs):
        w_.case(name, steps=steps, **attrs)
        p = w_.gen("param", shape, 2654435761, 1.0, dt).requires_grad_()
        opt = make_opt([p])
        for s in range(steps):
            p.grad = w_.gen(f"grad{s}", shape, 668265263 + 2 * s, 0.5 + 0.25 * s, dt)
            opt.step()
            w_.check(f"param{s}", p)
        st = opt.state[p]
        for k in ("momentum_buffer", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            if k in st and st[k] is not None:
                w_.check(k, st[k])

    for dt in (torch.float32, torch.float64):
        t = DTYPES[dt]
        for (lr, mom, damp, wd, nest, mx) in ((0.1, 0.0, 0.0, 0.0, 0, 0), (0.05, 0.9, 0.0, 0.0, 0, 0),
                                               (0.05, 0.9, 0.0, 0.01, 1, 0),
                                               (0.02, 0.8, 0.3, 0.1, 0, 1)):
            trajectory(lambda ps: torch.optim.SGD(ps, lr=lr, momentum=mom, dampening=damp,
                                                  weight_decay=wd, nesterov=bool(nest),
                                                  maximize=bool(mx)),
                       f"sgd_{t}_m{mom}_d{damp}_wd{wd}_n{nest}_max{mx}", dt, lr=lr, momentum=mom,
                       dampening=damp, weight_decay=wd, nesterov=nest, maximize=mx)
        for (cls, dec) in ((torch.optim.Adam, 0), (torch.optim.AdamW, 1)):
            for (lr, b1, b2, eps, wd, ams, mx) in ((1e-2, 0.9, 0.999, 1e-8, 0.0, 0, 0),
                                                   (5e-2, 0.8, 0.9, 1e-6, 0.1, 1, 0),
                                                   (1e-2, 0.9, 0.99, 1e-3, 0.05, 0, 1)):
                trajectory(lambda ps: cls(ps, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd,
                                          amsgrad=bool(ams), maximize=bool(mx)),
                           f"{cls.__name__.lower()}_{t}_wd{wd}_ams{ams}_max{mx}", dt, lr=lr,
                           beta1=b1, beta2=b2, eps=eps, weight_decay=wd, amsgrad=ams, maximize=mx,
                           decoupled=dec)
    w_.save()


if __name__ == "__main__":
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.manual_seed(0)
    conv2d_cases()
    max_pool2d_cases()
    softmax_cases()
    nll_loss_cases()
    linear_cases()
    argmax_cases()
    activation_cases()
    compare_cases()
    optim_cases()
