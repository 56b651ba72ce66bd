"""Writes PyTorch 1.13 reference values for the managed Tensor tests (tests/Ember.Tests) into
tests/Ember.Tests/Data/tensor_reference.json.

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_tensor_reference.py

Each case gives its inputs (dtype, shape, row-major values), the op with its arguments, and the
expected output (dtype, shape, values), or for printing cases the text of str(tensor).
Non-finite values are written as the strings "NaN", "Infinity" and "-Infinity".
"""
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Tests", "Data", "tensor_reference.json")
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
         torch.bfloat16: "bfloat16", torch.int8: "int8", torch.uint8: "uint8", torch.int16: "int16",
         torch.int32: "int32", torch.int64: "int64", torch.bool: "bool"}


def num(v, single=False):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    # 9 significant digits give back the same float32 (and float16/bfloat16) value exactly.
    return float("%.9g" % v) if single else v


def enc(t):
    flat = t.detach().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        flat = flat.double()
    single = t.dtype in (torch.float32, torch.float16, torch.bfloat16)
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": [num(v, single) for v in flat.tolist()]}


cases = []


def case(name, op, inputs, out, **args):
    cases.append({"name": name, "op": op, "inputs": [enc(t) for t in inputs], "args": args,
                  "expected": enc(out)})


def factory(name, op, out, **args):
    case(name, op, [], out, **args)


torch.manual_seed(7)
f = lambda *s: torch.randn(*s)
pos = lambda *s: torch.rand(*s) + 0.1

# ---- factories ----
factory("zeros_2x3", "zeros", torch.zeros(2, 3), shape=[2, 3])
factory("zeros_int32", "zeros", torch.zeros(4, dtype=torch.int32), shape=[4], dtype="int32")
factory("ones_2x2x2_float64", "ones", torch.ones(2, 2, 2, dtype=torch.float64), shape=[2, 2, 2], dtype="float64")
factory("full_float", "full_float", torch.full((2, 3), 2.5), shape=[2, 3], value=2.5)
factory("full_int_infers_int64", "full_int", torch.full((3,), 7), shape=[3], value=7)
factory("full_bool", "full_bool", torch.full((2,), True), shape=[2], value=True)
factory("arange_end_int", "arange_int", torch.arange(5), start=0, end=5, step=1)
factory("arange_step_int", "arange_int", torch.arange(1, 10, 3), start=1, end=10, step=3)
factory("arange_negative_step", "arange_int", torch.arange(10, 0, -3), start=10, end=0, step=-3)
factory("arange_float_step", "arange_float", torch.arange(0, 1, 0.1), start=0.0, end=1.0, step=0.1)
factory("arange_float_end", "arange_float", torch.arange(0.5, 3.0), start=0.5, end=3.0, step=1.0)
factory("arange_float64", "arange_float", torch.arange(-1, 1, 0.25, dtype=torch.float64), start=-1.0, end=1.0, step=0.25, dtype="float64")
factory("eye_3", "eye", torch.eye(3), n=3, m=3)
factory("eye_2x4_int64", "eye", torch.eye(2, 4, dtype=torch.int64), n=2, m=4, dtype="int64")

# ---- arithmetic, broadcasting and promotion ----
a, b = f(2, 3), f(3)
case("add_broadcast_row", "add", [a, b], a + b)
case("sub_broadcast_row", "sub", [a, b], a - b)
a, b = f(2, 1, 3), f(4, 1)
case("mul_broadcast_3d", "mul", [a, b], a * b)
a, b = f(3, 4), pos(3, 1)
case("div_broadcast_col", "div", [a, b], a / b)
a, b = torch.tensor([7, -7, 9, 0], dtype=torch.int64), torch.tensor([2, 2, -4, 3], dtype=torch.int64)
case("div_int_is_true_division", "div", [a, b], a / b)
case("add_int64", "add", [a, b], a + b)
a, b = torch.tensor([1, 2, 3], dtype=torch.int32), torch.tensor([10, 20, 30], dtype=torch.int64)
case("add_int32_int64_promotes", "add", [a, b], a + b)
a, b = torch.tensor([1.5, 2.25]), torch.tensor([0.1, 0.2], dtype=torch.float64)
case("add_float32_float64_promotes", "add", [a, b], a + b)
a, b = torch.tensor([200, 3], dtype=torch.uint8), torch.tensor([-1, 5], dtype=torch.int8)
case("mul_uint8_int8_gives_int16", "mul", [a, b], a * b)
a, b = torch.tensor([1, 2, 3], dtype=torch.int32), torch.tensor([0.5, 1.5, 2.5])
case("mul_int32_float32", "mul", [a, b], a * b)
a = torch.tensor([[1, 2], [3, 4]], dtype=torch.int32)
case("add_int_scalar_keeps_int32", "add_scalar", [a], a + 5, value=5, kind="int")
case("add_float_scalar_gives_float32", "add_scalar", [a], a + 0.5, value=0.5, kind="float")
case("div_int_scalar", "div_scalar", [a], a / 2, value=2, kind="int")
case("rsub_int_scalar", "rsub_scalar", [a], 10 - a, value=10, kind="int")
x = f(2, 3)
case("add_scalar_float", "add_scalar", [x], x + 1.5, value=1.5, kind="float")
case("sub_scalar_float", "sub_scalar", [x], x - 2.0, value=2.0, kind="float")
case("mul_scalar_int_on_float", "mul_scalar", [x], x * 3, value=3, kind="int")
case("div_scalar_float", "div_scalar", [x], x / 4.0, value=4.0, kind="float")
case("rsub_scalar_float", "rsub_scalar", [x], 1.0 - x, value=1.0, kind="float")
y = pos(2, 3)
case("rdiv_scalar_float", "rdiv_scalar", [y], 2.0 / y, value=2.0, kind="float")
h = torch.tensor([1.5, -2.0, 3.25], dtype=torch.float16)
case("add_float16", "add", [h, h], h + h)
bf = torch.tensor([1.5, -2.0, 3.25], dtype=torch.bfloat16)
case("mul_bfloat16", "mul", [bf, bf], bf * bf)
a, b = f(2, 3), f(3)
case("add_inplace_broadcast", "add_", [a, b], a + b)
case("mul_inplace", "mul_", [a, a], a * a)
case("neg", "neg", [x], -x)
case("neg_int", "neg", [torch.tensor([1, -2, 0], dtype=torch.int32)], -torch.tensor([1, -2, 0], dtype=torch.int32))
case("exp", "exp", [x], x.exp())
case("log", "log", [y], y.log())
z = torch.tensor([0.0, -1.0, 1.0, float("inf")])
case("log_zero_negative_inf", "log", [z], z.log())
case("exp_int_gives_float", "exp", [torch.tensor([0, 1, 2])], torch.tensor([0, 1, 2]).exp())

# ---- reductions ----
x = f(2, 3, 4)
case("sum_all", "sum", [x], x.sum())
case("sum_dim1", "sum", [x], x.sum(1), dims=[1], keepdim=False)
case("sum_dims_keepdim", "sum", [x], x.sum((0, 2), keepdim=True), dims=[0, 2], keepdim=True)
case("sum_negative_dim", "sum", [x], x.sum(-1), dims=[-1], keepdim=False)
i = torch.tensor([[1, 2, 3], [4, 5, 6]], dtype=torch.int32)
case("sum_int32_gives_int64", "sum", [i], i.sum())
bo = torch.tensor([True, False, True])
case("sum_bool_gives_int64", "sum", [bo], bo.sum())
case("mean_all", "mean", [x], x.mean())
case("mean_dim0", "mean", [x], x.mean(0), dims=[0], keepdim=False)
case("mean_dims_keepdim", "mean", [x], x.mean((1, 2), keepdim=True), dims=[1, 2], keepdim=True)

# ---- matmul ----
a, b = f(3, 4), f(4, 5)
case("matmul_2d", "matmul", [a, b], a @ b)
a, b = f(4), f(4, 2)
case("matmul_1d_2d", "matmul", [a, b], a @ b)
a, b = f(3, 4), f(4)
case("matmul_2d_1d", "matmul", [a, b], a @ b)
a, b = f(4), f(4)
case("matmul_dot", "matmul", [a, b], a @ b)
a, b = f(2, 1, 3, 4), f(5, 4, 2)
case("matmul_batch_broadcast", "matmul", [a, b], a @ b)
a, b = f(3, 4).double(), f(4, 2).double()
case("matmul_float64", "matmul", [a, b], a @ b)
a, b = torch.tensor([[1, 2], [3, 4]]), torch.tensor([[5, 6], [7, 8]])
case("matmul_int64", "matmul", [a, b], a @ b)

# ---- views ----
x = torch.arange(24.0).reshape(2, 3, 4)
case("transpose", "transpose", [x], x.transpose(0, 2), dim0=0, dim1=2)
case("permute", "permute", [x], x.permute(2, 0, 1), dims=[2, 0, 1])
case("reshape_of_transposed", "reshape_t", [x], x.transpose(1, 2).reshape(6, 4), shape=[6, 4])
case("view_infer", "view", [x], x.view(4, -1), shape=[4, -1])
col = torch.tensor([[1.0], [2.0]])
case("expand", "expand", [col], col.expand(3, 2, 4), shape=[3, 2, 4])
case("squeeze_all", "squeeze", [torch.ones(1, 3, 1, 2)], torch.ones(1, 3, 1, 2).squeeze())
case("squeeze_dim", "squeeze_dim", [torch.ones(1, 3, 1, 2)], torch.ones(1, 3, 1, 2).squeeze(2), dim=2)
case("unsqueeze_negative", "unsqueeze", [x], x.unsqueeze(-1), dim=-1)
case("slice_step", "slice", [x], x[:, :, 1:4:2], dim=2, start=1, end=4, step=2)
case("slice_clamped", "slice", [x], x[:, -2:100], dim=1, start=-2, end=100, step=1)
case("select_negative", "select", [x], x[:, -1], dim=1, index=-1)
case("contiguous_of_permuted", "contiguous_p", [x], x.permute(1, 0, 2).contiguous(), dims=[1, 0, 2])
case("t_2d", "t", [torch.arange(6.0).reshape(2, 3)], torch.arange(6.0).reshape(2, 3).t())

# ---- casts ----
v = torch.tensor([-2.7, -0.5, 0.0, 0.49, 1.5, 2.5, 100.9])
for d in (torch.int32, torch.int64, torch.int16, torch.int8, torch.bool, torch.float16, torch.bfloat16, torch.float64):
    case(f"cast_float32_to_{NAMES[d]}", "to", [v], v.to(d), dtype=NAMES[d])
case("cast_uint8_to_float32", "to", [torch.tensor([0, 7, 255], dtype=torch.uint8)], torch.tensor([0, 7, 255], dtype=torch.uint8).float(), dtype="float32")
case("cast_bool_to_int32", "to", [torch.tensor([True, False])], torch.tensor([True, False]).int(), dtype="int32")
r = torch.tensor([1.00390625, 1.01171875, 3.14159265, 65504.0, 1e-8])
case("cast_float32_to_bfloat16_rounding", "to", [r], r.bfloat16(), dtype="bfloat16")
case("cast_float32_to_float16_rounding", "to", [r], r.half(), dtype="float16")

# ---- printing: str(tensor) ----
prints = []


def show(name, t):
    prints.append({"name": name, "input": enc(t), "text": str(t)})


show("float_2x2", torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
show("float_fractions", torch.tensor([1.5, -0.25, 3.0]))
show("float_random_3x4", torch.randn(3, 4))
show("float_sci_small", torch.tensor([1e-5, 1.0, 2.0]))
show("float_sci_large", torch.tensor([1e10, 1.0]))
show("float_int_mode_sci", torch.tensor([1.0, 5000.0]))
show("float_negative_int_mode", torch.tensor([-1.0, 20.0, -300.0]))
show("float_nan_inf", torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5]))
show("float_all_zero", torch.zeros(2, 2))
show("float64", torch.tensor([0.1, 0.2], dtype=torch.float64))
show("float16", torch.tensor([0.1, 2.5, -3.0], dtype=torch.float16))
show("bfloat16", torch.tensor([0.1, 2.5, -3.0], dtype=torch.bfloat16))
show("scalar_float", torch.tensor(3.5))
show("scalar_int", torch.tensor(42))
show("scalar_int32", torch.tensor(-3, dtype=torch.int32))
show("int64", torch.tensor([[1, -20], [300, 4]]))
show("int32", torch.tensor([1, 2, 3], dtype=torch.int32))
show("uint8", torch.tensor([0, 255, 7], dtype=torch.uint8))
show("int8", torch.tensor([-128, 127], dtype=torch.int8))
show("int16", torch.tensor([[-5]], dtype=torch.int16))
show("bool", torch.tensor([[True, False], [False, True]]))
show("empty_1d", torch.zeros(0))
show("empty_2d", torch.zeros(2, 0))
show("empty_int64", torch.zeros(0, dtype=torch.int64))
show("empty_int32_3d", torch.zeros(0, 2, 3, dtype=torch.int32))
show("line_wrap", torch.arange(40.0) * 1.5)
show("line_wrap_int", torch.arange(0, 100000, 2500))
show("three_d", torch.arange(24.0).reshape(2, 3, 4))
show("four_d", torch.arange(16, dtype=torch.int32).reshape(2, 2, 2, 2))
show("summarized_1d", torch.arange(2000))
show("summarized_2d", torch.randn(50, 40))
show("summarized_3d", torch.arange(2000.0).reshape(20, 10, 10) / 7)
show("not_summarized_1000", torch.arange(1000.0).reshape(10, 100))
show("summarized_edge_small_dim", torch.arange(1001).reshape(1001, 1))
show("long_dtype_suffix_wrap", torch.arange(26, dtype=torch.int16) * 1000)
show("tie_rounding", torch.tensor([0.03125, 0.15625, 1.00005, 2.5]))
show("negative_zero", torch.tensor([-0.0, 1.5]))

with open(OUT, "w") as fh:
    json.dump({"generator": "tests/reference/make_tensor_reference.py", "torch": torch.__version__,
               "cases": cases, "prints": prints}, fh, indent=None, separators=(",", ":"))
    fh.write("\n")
print(f"wrote {len(cases)} op cases and {len(prints)} print cases to {os.path.normpath(OUT)}")
