"""Writes PyTorch 1.13 reference gradients for the managed autograd tests into
tests/Ember.Tests/Data/autograd/gradients.json.

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_autograd.py

The cases mirror tests/Ember.Tests/Autograd/OpCases.cs by name. Input k of a case holds
sin(1 + 0.7 i + 0.37 k) at element i (float64), or 1.5 + 0.5 times that for "positive" cases, so the
inputs are not stored. For each case the file holds the output, the gradients of the inputs for the
output gradient sin(1 + 0.7 i + 5), and the second-order gradients: the gradients of
sum_k sum(grad_k * sin(1 + 0.7 i + 11 + k)) with respect to the inputs (zeros where unused).
Values are written with 12 significant digits.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Tests", "Data", "autograd", "gradients.json")
torch.set_default_dtype(torch.float64)


def pattern(shape, seed):
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return torch.sin(1 + i * 0.7 + seed).reshape(shape)


def target(*classes):
    return torch.tensor(classes, dtype=torch.int64)


W3 = [0.5, 2.0, 1.5]


def copy_inplace(x):
    t = x[0] * 2
    t.copy_(x[1])
    return t * x[0]


def copy_from_inplace(x):
    t = x[0] + 1.0
    t.copy_(x[1])
    return t * x[0]


def inplace_on_view(x):
    y = x[0] * 1.0
    y.select(0, 1).mul_(x[1])
    return y


def inplace_on_base_then_view(x):
    y = x[0] * x[0]
    v = y[:, 1:3]
    y.mul_(2.0)
    return v


def inplace_on_view_of_view(x):
    y = x[0].clone()
    y.select(0, 1)[:, 0:2].exp_()
    return y


# name -> (shapes, function, positive)
CASES = {
    "add": ([(2, 3), (2, 3)], lambda x: x[0] + x[1], False),
    "add_broadcast": ([(2, 3), (3,)], lambda x: x[0] + x[1], False),
    "add_named": ([(3,), (2, 1)], lambda x: x[0].add(x[1]), False),
    "sub_broadcast": ([(2, 1, 3), (4, 1)], lambda x: x[0] - x[1], False),
    "sub_named": ([(4,), (4,)], lambda x: x[0].sub(x[1]), False),
    "mul": ([(2, 3), (2, 3)], lambda x: x[0] * x[1], False),
    "mul_broadcast": ([(3, 1), (1, 4)], lambda x: x[0] * x[1], False),
    "mul_named": ([(2, 2), ()], lambda x: x[0].mul(x[1]), False),
    "mul_float32_float64": ([(3,), (3,)], lambda x: (x[0].float() * x[1]).double(), False),
    "div": ([(2, 3), (3,)], lambda x: x[0] / x[1], True),
    "div_named": ([(3,), (3,)], lambda x: x[0].div(x[1]), True),
    "neg": ([(2, 2)], lambda x: -x[0], False),
    "neg_named": ([(3,)], lambda x: x[0].neg(), False),
    "add_scalar": ([(3,)], lambda x: x[0] + 2.5, False),
    "add_scalar_left": ([(3,)], lambda x: 2 + x[0], False),
    "add_scalar_named": ([(3,)], lambda x: x[0].add(-1.5), False),
    "sub_scalar": ([(3,)], lambda x: x[0] - 2, False),
    "rsub_scalar": ([(3,)], lambda x: 1.5 - x[0], False),
    "sub_scalar_named": ([(3,)], lambda x: x[0].sub(0.25), False),
    "mul_scalar": ([(3,)], lambda x: x[0] * 3, False),
    "mul_scalar_left": ([(3,)], lambda x: -0.5 * x[0], False),
    "mul_scalar_named": ([(3,)], lambda x: x[0].mul(4.0), False),
    "div_scalar": ([(3,)], lambda x: x[0] / 4, False),
    "rdiv_scalar": ([(3,)], lambda x: 2.0 / x[0], True),
    "div_scalar_named": ([(3,)], lambda x: x[0].div(-2.0), False),
    "exp": ([(2, 3)], lambda x: x[0].exp(), False),
    "log": ([(2, 3)], lambda x: x[0].log(), True),
    "exp_log_chain": ([(4,)], lambda x: (x[0].exp() * x[0]).log(), False),
    "sum_all": ([(2, 3)], lambda x: x[0].sum(), False),
    "sum_dim": ([(2, 3, 4)], lambda x: x[0].sum(1), False),
    "sum_dims_keepdim": ([(2, 3, 4)], lambda x: x[0].sum([0, -1], keepdim=True), False),
    "mean_all": ([(3, 2)], lambda x: x[0].mean(), False),
    "mean_dim": ([(2, 3)], lambda x: x[0].mean(-1), False),
    "mean_dims": ([(2, 3, 2)], lambda x: x[0].mean([0, 2]), False),
    "mean_dim_keepdim": ([(2, 3)], lambda x: x[0].mean(0, keepdim=True), False),
    "matmul_2d": ([(2, 3), (3, 4)], lambda x: x[0].matmul(x[1]), False),
    "matmul_dot": ([(3,), (3,)], lambda x: x[0].matmul(x[1]), False),
    "matmul_mv": ([(2, 3), (3,)], lambda x: x[0].matmul(x[1]), False),
    "matmul_vm": ([(3,), (3, 2)], lambda x: x[0].matmul(x[1]), False),
    "matmul_batched_broadcast": ([(2, 1, 2, 3), (3, 3, 2)], lambda x: x[0].matmul(x[1]), False),
    "matmul_batched_vec": ([(2, 2, 3), (3,)], lambda x: x[0].matmul(x[1]), False),
    "view": ([(2, 3)], lambda x: x[0].view(3, 2), False),
    "reshape": ([(2, 3)], lambda x: x[0].reshape(-1), False),
    "reshape_copy": ([(2, 3)], lambda x: x[0].t().reshape(6), False),
    "transpose": ([(2, 3, 4)], lambda x: x[0].transpose(0, 2), False),
    "t": ([(2, 3)], lambda x: x[0].t(), False),
    "mt": ([(2, 3, 4)], lambda x: x[0].mT, False),
    "permute": ([(2, 3, 4)], lambda x: x[0].permute(2, 0, 1), False),
    "expand": ([(3, 1)], lambda x: x[0].expand(2, 3, 4), False),
    "expand_as": ([(1, 3), (2, 3)], lambda x: x[0].expand_as(x[1]) * x[1], False),
    "squeeze": ([(2, 1, 3, 1)], lambda x: x[0].squeeze(), False),
    "squeeze_dim": ([(2, 1, 3)], lambda x: x[0].squeeze(1), False),
    "unsqueeze": ([(2, 3)], lambda x: x[0].unsqueeze(-1), False),
    "slice": ([(5, 3)], lambda x: x[0][1:5:2], False),
    "slice_clamped": ([(4, 3)], lambda x: x[0][:, -2:], False),
    "narrow": ([(3, 4)], lambda x: x[0].narrow(1, 1, 2), False),
    "select": ([(3, 4)], lambda x: x[0].select(1, 2), False),
    "select_negative": ([(3, 4)], lambda x: x[0].select(0, -1), False),
    "contiguous": ([(2, 3)], lambda x: x[0].t().contiguous(), False),
    "contiguous_alias": ([(2, 3)], lambda x: x[0].contiguous(), False),
    "flatten": ([(2, 3)], lambda x: x[0].flatten(), False),
    "alias": ([(2, 3)], lambda x: x[0].view_as(x[0]), False),
    "view_chain": ([(2, 3, 4)], lambda x: x[0].transpose(0, 1).select(0, 1).unsqueeze(0)[:, :, 1:3], False),
    "clone": ([(2, 3)], lambda x: x[0].clone(), False),
    "to_float32_and_back": ([(3,)], lambda x: (x[0].float() * x[0].float()).double(), False),
    "to_same_dtype": ([(3,)], lambda x: x[0].to(torch.float64), False),
    "to_device": ([(3,)], lambda x: x[0].to("cpu"), False),
    "cpu": ([(3,)], lambda x: x[0].cpu(), False),
    "add_inplace": ([(2, 3), (3,)], lambda x: x[0].clone().add_(x[1]), False),
    "sub_inplace": ([(2, 3), (2, 3)], lambda x: x[0].clone().sub_(x[1]), False),
    "mul_inplace": ([(2, 3), (1, 3)], lambda x: x[0].clone().mul_(x[1]), False),
    "div_inplace": ([(3,), (3,)], lambda x: x[0].clone().div_(x[1]), True),
    "add_scalar_inplace": ([(3,)], lambda x: x[0].clone().add_(2.0), False),
    "sub_scalar_inplace": ([(3,)], lambda x: x[0].clone().sub_(1), False),
    "mul_scalar_inplace": ([(3,)], lambda x: x[0].clone().mul_(-3.0), False),
    "div_scalar_inplace": ([(3,)], lambda x: x[0].clone().div_(2), False),
    "neg_inplace": ([(3,)], lambda x: x[0].clone().neg_(), False),
    "exp_inplace": ([(3,)], lambda x: x[0].clone().exp_(), False),
    "log_inplace": ([(3,)], lambda x: x[0].clone().log_(), True),
    "copy_inplace": ([(2, 3), (3,)], copy_inplace, False),
    "copy_from_inplace": ([(3,), (3,)], copy_from_inplace, False),
    "inplace_on_view": ([(3, 4), (4,)], inplace_on_view, False),
    "inplace_on_base_then_view": ([(3, 4)], inplace_on_base_then_view, False),
    "inplace_on_view_of_view": ([(2, 3, 4)], inplace_on_view_of_view, False),
    "max_dim": ([(3, 4)], lambda x: x[0].max(1).values, False),
    "max_dim_keepdim": ([(3, 4)], lambda x: x[0].max(0, keepdim=True).values, False),
    "relu": ([(2, 5)], lambda x: F.relu(x[0]), False),
    "linear": ([(3, 4), (2, 4), (2,)], lambda x: F.linear(x[0], x[1], x[2]), False),
    "linear_no_bias_3d": ([(2, 2, 3), (4, 3)], lambda x: F.linear(x[0], x[1]), False),
    "linear_1d": ([(3,), (2, 3), (2,)], lambda x: F.linear(x[0], x[1], x[2]), False),
    "conv2d": ([(2, 2, 5, 5), (3, 2, 3, 3), (3,)], lambda x: F.conv2d(x[0], x[1], x[2], stride=2, padding=1), False),
    "conv2d_groups_dilation": ([(1, 4, 6, 5), (4, 2, 2, 2)],
                               lambda x: F.conv2d(x[0], x[1], None, [1, 2], [1, 0], [2, 1], groups=2), False),
    "conv2d_unbatched_scalar_args": ([(2, 4, 4), (2, 2, 3, 3), (2,)], lambda x: F.conv2d(x[0], x[1], x[2], 1, 1), False),
    "max_pool2d": ([(2, 2, 5, 5)], lambda x: F.max_pool2d(x[0], [2, 2]), False),
    "max_pool2d_stride_pad_ceil": ([(1, 2, 5, 6)], lambda x: F.max_pool2d(x[0], [3, 2], [2, 2], [1, 1], [1, 1], ceil_mode=True), False),
    "max_pool2d_scalar_args": ([(2, 4, 4)], lambda x: F.max_pool2d(x[0], 2, stride=1), False),
    "log_softmax": ([(3, 4)], lambda x: F.log_softmax(x[0], 1), False),
    "log_softmax_dim0": ([(3, 4)], lambda x: F.log_softmax(x[0], 0), False),
    "softmax": ([(2, 5)], lambda x: F.softmax(x[0], -1), False),
    "nll_loss": ([(4, 3)], lambda x: F.nll_loss(x[0], target(0, 2, 1, 2)), False),
    "nll_loss_weight_ignore_sum": ([(4, 3)], lambda x: F.nll_loss(x[0], target(0, 2, 1, 2), torch.tensor(W3), ignore_index=1, reduction="sum"), False),
    "nll_loss_none": ([(3, 4)], lambda x: F.nll_loss(x[0], target(3, 0, 1), reduction="none"), False),
    "cross_entropy": ([(4, 5)], lambda x: F.cross_entropy(x[0], target(4, 0, 2, 2)), False),
    "cross_entropy_weight_ignore_smoothing": ([(4, 3)], lambda x: F.cross_entropy(x[0], target(0, 2, 1, 2), torch.tensor(W3), ignore_index=1, reduction="mean", label_smoothing=0.2), False),
    "cross_entropy_smoothing_none": ([(3, 4)], lambda x: F.cross_entropy(x[0], target(3, 0, 1), reduction="none", label_smoothing=0.1), False),
    "cross_entropy_probabilities": ([(3, 4), (3, 4)], lambda x: F.cross_entropy(x[0], F.softmax(x[1], 1), label_smoothing=0.1), False),
    "mse_loss": ([(2, 3), (2, 3)], lambda x: F.mse_loss(x[0], x[1]), False),
    "mse_loss_broadcast_sum": ([(2, 3), (3,)], lambda x: F.mse_loss(x[0], x[1].expand(2, 3), reduction="sum"), False),
    "mse_loss_none": ([(4,), (4,)], lambda x: F.mse_loss(x[0], x[1], reduction="none"), False),
    "dropout_eval": ([(4,)], lambda x: F.dropout(x[0], 0.4, training=False), False),
}


def values(t):
    return [float("%.12g" % v) for v in t.detach().reshape(-1).tolist()]


def inputs_of(shapes, positive):
    xs = []
    for k, shape in enumerate(shapes):
        t = pattern(shape, 0.37 * k)
        if positive:
            t = t * 0.5 + 1.5
        xs.append(t.requires_grad_())
    return xs


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
            second = [torch.zeros_like(xi) if g is None else g for xi, g in zip(x, second)]
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
        json.dump({"generator": "tests/reference/make_autograd.py", "torch": torch.__version__, "cases": cases}, f,
                  separators=(",", ":"))
    print(f"wrote {len(cases)} cases to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
