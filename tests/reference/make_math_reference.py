"""Writes PyTorch 1.13 reference values for Ember's math, activation, logic, reduction and scan ops
(tests/Ember.Tests/MathReferenceTests.cs) into tests/Ember.Tests/Data/math_reference.json.

Run from the repository root with the interpreter that has torch:
    /usr/bin/python3 tests/reference/make_math_reference.py

Each case: inputs (dtype, shape, row-major values), the op (a name the C# test maps to Ember) with its
arguments, and the expected outputs. args.t means the op sees the first input transposed (a
non-contiguous view). Cases with "grads" also give PyTorch's gradients (of the floating inputs, in order) of sum(out * gout) with
gout[i] = sin(1 + 0.7 i + 5) (the pattern of AutogradTestUtil.Pattern), for float64 inputs.
Where PyTorch 1.13 has no float16/bfloat16 CPU kernel the reference is the float32 result rounded to
that dtype. Non-finite values are written as the strings "NaN", "Infinity" and "-Infinity".
"""
import json
import math
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "Ember.Tests", "Data", "math_reference.json")
NAMES = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
         torch.bfloat16: "bfloat16", torch.int8: "int8", torch.uint8: "uint8", torch.int16: "int16",
         torch.int32: "int32", torch.int64: "int64", torch.bool: "bool"}


def num(v, single):
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return float("%.9g" % v) if single else v


def enc(t):
    flat = t.detach().reshape(-1)
    if t.dtype in (torch.float16, torch.bfloat16):
        flat = flat.double()
    single = t.dtype in (torch.float32, torch.float16, torch.bfloat16)
    return {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data": [num(v, single) for v in flat.tolist()]}


def pattern(shape, seed=5.0):
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([math.sin(1 + i * 0.7 + seed) for i in range(n)], dtype=torch.float64).reshape(shape)


cases = []


def case(name, op, inputs, fn, grad=False, **args):
    xs = [x.clone() for x in inputs]
    if grad:
        for x in xs:
            if x.is_floating_point():
                x.requires_grad_(True)
    seen = list(xs)
    if args.get("t"):
        seen[0] = seen[0].t()
    try:
        out = fn(*seen)
    except RuntimeError:
        # PyTorch 1.13's CPU build lacks some float16/bfloat16 kernels: compute in float32 (as Ember
        # does for the 16-bit floats) and round the result to the input's dtype.
        low = seen[0].dtype
        out = fn(*[t.float() if t.dtype == low else t for t in seen])
        out = tuple(o.to(low) if o.is_floating_point() else o for o in out) if isinstance(out, tuple) else (
            out.to(low) if out.is_floating_point() else out)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    c = {"name": name, "op": op, "inputs": [enc(x) for x in inputs], "args": args,
         "expected": [enc(o) if torch.is_tensor(o) else enc(torch.tensor(o)) for o in outs]}
    if grad:
        o = outs[0]
        diff = [x for x in xs if x.requires_grad]
        gs = torch.autograd.grad((o * pattern(list(o.shape))).sum(), diff, allow_unused=True)
        c["grads"] = [enc(g if g is not None else torch.zeros_like(x)) for g, x in zip(gs, diff)]
    cases.append(c)


torch.manual_seed(11)
NAN, INF = float("nan"), float("inf")
special = torch.tensor([NAN, INF, -INF, 0.0, -0.0, 1e-30, -2.5, 0.5, 3.0, -1.0, 100.0, -100.0])
r34 = torch.randn(3, 4)
d34 = torch.randn(3, 4, dtype=torch.float64)
unit = torch.rand(3, 4) * 1.8 - 0.9  # in (-0.9, 0.9): asin, acos, atanh-like domains
unit64 = unit.double()
pos = torch.rand(3, 4) * 3 + 0.1
pos64 = pos.double()

# ---- unary: values incl. NaN/inf, float64, float16/bfloat16, integers, transposed, 0-d, empty ----
UNARY = {
    "Abs": torch.abs, "Sign": torch.sign, "Square": torch.square, "Floor": torch.floor, "Ceil": torch.ceil,
    "Trunc": torch.trunc, "Round": torch.round, "Frac": torch.frac, "Reciprocal": torch.reciprocal,
    "Exp": torch.exp, "Log": torch.log, "Exp2": torch.exp2, "Expm1": torch.expm1, "Log2": torch.log2,
    "Log10": torch.log10, "Log1p": torch.log1p, "Sqrt": torch.sqrt, "Rsqrt": torch.rsqrt, "Sin": torch.sin,
    "Cos": torch.cos, "Tan": torch.tan, "Asin": torch.asin, "Acos": torch.acos, "Atan": torch.atan,
    "Sinh": torch.sinh, "Cosh": torch.cosh, "Tanh": torch.tanh, "Erf": torch.erf, "Erfc": torch.erfc,
    "Erfinv": torch.erfinv, "Sigmoid": torch.sigmoid, "IsNan": torch.isnan, "IsInf": torch.isinf,
    "IsPosInf": torch.isposinf, "IsNegInf": torch.isneginf, "IsFinite": torch.isfinite,
    "LogicalNot": torch.logical_not,
}
DOMAIN = {"Asin": unit, "Acos": unit, "Erfinv": unit, "Log": pos, "Log2": pos, "Log10": pos, "Sqrt": pos,
          "Rsqrt": pos, "Log1p": pos}
NO_GRAD = {"IsNan", "IsInf", "IsPosInf", "IsNegInf", "IsFinite", "LogicalNot", "Frac"}
for name, fn in UNARY.items():
    case(f"{name}_special", "m:" + name, [special], fn)
    base = DOMAIN.get(name, r34)
    case(f"{name}_float32_t", "m:" + name, [base], fn, t=True)
    case(f"{name}_float64", "m:" + name, [base.double()], fn, grad=name not in NO_GRAD)
    case(f"{name}_float16", "m:" + name, [base.half()], fn)
    case(f"{name}_bfloat16", "m:" + name, [base.bfloat16()], fn)
    case(f"{name}_0d", "m:" + name, [base[0, 0].clone()], fn)
    case(f"{name}_empty", "m:" + name, [torch.zeros(0, 3)], fn)
    if name != "Frac":
        case(f"{name}_int32", "m:" + name, [torch.tensor([[-3, 0, 2], [5, -1, 7]], dtype=torch.int32)], fn)
case("Erfinv_edges", "m:Erfinv", [torch.tensor([-1.0, 1.0, 1.5, 0.999999, -0.5, 1e-7])], torch.erfinv)
case("Exp_range", "m:Exp", [torch.tensor([88.5, 88.8, -87.5, -103.0, -110.0, 1e-8, 10.0])], torch.exp)
case("Log_range", "m:Log", [torch.tensor([1e-40, 1e-45, 3.4e38, 1.0, 0.7, 1.5])], torch.log)
case("Exp_big", "m:Exp", [torch.linspace(-20, 20, 1031)], torch.exp)
case("Log_big", "m:Log", [torch.linspace(0.001, 1000, 1031)], torch.log)
for dt in (torch.int8, torch.int64, torch.uint8):
    case(f"Abs_{NAMES[dt]}", "m:Abs", [torch.tensor([-3, 0, 2, 100], dtype=dt) if dt != torch.uint8 else torch.tensor([3, 0, 200], dtype=dt)], torch.abs)
case("Sign_bool", "m:Sign", [torch.tensor([True, False])], torch.sign)
case("BitwiseNot_int16", "m:BitwiseNot", [torch.tensor([0, 5, -7], dtype=torch.int16)], torch.bitwise_not)
case("BitwiseNot_bool", "m:BitwiseNot", [torch.tensor([True, False])], torch.bitwise_not)

# ---- parametrised unary ----
x = torch.tensor([2.5, 0.125, 1234.5, -0.5, 1.5, -1250.0, NAN])
case("round_decimals_2", "round_decimals", [x], lambda a: torch.round(a, decimals=2), decimals=2)
case("round_decimals_-2", "round_decimals", [x], lambda a: torch.round(a, decimals=-2), decimals=-2)
case("round_decimals_grad", "round_decimals", [d34], lambda a: torch.round(a, decimals=1), grad=True, decimals=1)
case("clamp_both", "clamp", [special], lambda a: torch.clamp(a, -1.5, 2.0), min=-1.5, max=2.0)
case("clamp_min", "clamp", [d34], lambda a: torch.clamp(a, min=-0.2), grad=True, min=-0.2)
case("clamp_max_t", "clamp", [r34], lambda a: torch.clamp(a, max=0.3), max=0.3, t=True)
case("clamp_int_int", "clamp_int", [torch.tensor([-5, 0, 3, 9])], lambda a: torch.clamp(a, 0, 5), min=0, max=5)
case("clamp_int_float_promotes", "clamp", [torch.tensor([1, 2, 3])], lambda a: torch.clamp(a, min=1.5), min=1.5)
case("clamp_tensor", "clamp_tensor", [d34, torch.full((4,), -0.3, dtype=torch.float64), torch.full((3, 1), 0.4, dtype=torch.float64)],
     lambda a, lo, hi: torch.clamp(a, lo, hi), grad=True)
case("clamp_tensor_min_only", "clamp_tensor_min", [d34, torch.zeros(4, dtype=torch.float64)], lambda a, lo: torch.clamp(a, min=lo), grad=True)
case("nan_to_num_default", "nan_to_num", [special], torch.nan_to_num)
case("nan_to_num_values", "nan_to_num", [special], lambda a: torch.nan_to_num(a, 1.0, 2.0, -3.0), nan=1.0, posinf=2.0, neginf=-3.0)
case("nan_to_num_float16", "nan_to_num", [special.half()], torch.nan_to_num)
case("nan_to_num_int", "nan_to_num", [torch.tensor([1, -2])], torch.nan_to_num)
case("pow_scalar_float", "pow_scalar", [pos64], lambda a: torch.pow(a, 2.5), grad=True, exponent=2.5)
case("pow_scalar_2", "pow_scalar", [d34], lambda a: torch.pow(a, 2.0), grad=True, exponent=2.0)
case("pow_scalar_int", "pow_scalar_int", [torch.tensor([-3, 0, 2, 5], dtype=torch.int32)], lambda a: torch.pow(a, 3), exponent=3)
case("pow_scalar_int_float_exp", "pow_scalar", [torch.tensor([1, 2, 4])], lambda a: torch.pow(a, 0.5), exponent=0.5)
case("pow_rscalar", "pow_rscalar", [d34], lambda a: torch.pow(2.0, a), grad=True, base=2.0)

# ---- binary ----
a, b = torch.randn(3, 4, dtype=torch.float64), torch.randn(4, dtype=torch.float64)
bp = b.abs() + 0.5
case("pow_tensor", "pow", [pos64, b], torch.pow, grad=True)
case("pow_tensor_int", "pow", [torch.tensor([2, -3, 0, 5]), torch.tensor([3, 2, 0, 1])], torch.pow)
case("atan2", "atan2", [a, b], torch.atan2, grad=True)
case("atan2_int", "atan2", [torch.tensor([1, -2]), torch.tensor([2, 0])], torch.atan2)
case("maximum", "maximum", [a, b], torch.maximum, grad=True)
case("minimum", "minimum", [a, b], torch.minimum, grad=True)
case("maximum_ties", "maximum", [torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), torch.tensor([1.0, 1.0, 4.0], dtype=torch.float64)], torch.maximum, grad=True)
case("maximum_nan", "maximum", [torch.tensor([NAN, 1.0, 2.0]), torch.tensor([0.0, NAN, 1.0])], torch.maximum)
case("minimum_int_float", "minimum", [torch.tensor([1, 5, -2]), torch.tensor([2.5, 0.5, -2.0])], torch.minimum)
case("fmod", "fmod", [a * 4, bp], torch.fmod, grad=True)
case("fmod_int", "fmod", [torch.tensor([-7, 7, -7, 7]), torch.tensor([3, 3, -3, -3])], torch.fmod)
case("remainder", "remainder", [a * 4, bp], torch.remainder, grad=True)
case("remainder_neg", "remainder", [torch.tensor([-3.0, 3.0, -3.5, 5.0]), torch.tensor([2.0, -2.0, 2.0, -2.5])], torch.remainder)
case("remainder_int", "remainder", [torch.tensor([-7, 7, -7, 7], dtype=torch.int8), torch.tensor([3, 3, -3, -3], dtype=torch.int8)], torch.remainder)
case("fmod_scalar", "fmod_scalar", [a * 4], lambda t: torch.fmod(t, 1.5), grad=True, value=1.5)
case("remainder_scalar", "remainder_scalar", [a * 4], lambda t: torch.remainder(t, 1.5), grad=True, value=1.5)
case("remainder_scalar_int", "remainder_scalar_int", [torch.tensor([-7, 7, 0])], lambda t: torch.remainder(t, 3), value=3)
case("fmod_t", "fmod", [r34 * 4, torch.full((3,), 1.3)], torch.fmod, t=True)

# ---- ternary ----
cond = torch.tensor([[True, False, True, False]] * 3)
case("where", "where", [cond, a, b], torch.where, grad=True)
case("where_promote", "where", [torch.tensor([True, False]), torch.tensor([1, 2]), torch.tensor([0.5, 1.5])], torch.where)
w = torch.rand(3, 4, dtype=torch.float64)
case("lerp_tensor", "lerp", [a, b, w], torch.lerp, grad=True)
case("lerp_scalar", "lerp_scalar", [a, b.expand(3, 4).clone()], lambda s, e: torch.lerp(s, e, 0.3), grad=True, weight=0.3)
case("lerp_scalar_big", "lerp_scalar", [a, b.expand(3, 4).clone()], lambda s, e: torch.lerp(s, e, 0.8), weight=0.8)
case("addcmul", "addcmul", [a, b, w], lambda s, t1, t2: torch.addcmul(s, t1, t2, value=0.5), grad=True, value=0.5)
case("addcmul_int", "addcmul", [torch.tensor([1, 2]), torch.tensor([3, 4]), torch.tensor([5, 6])], lambda s, t1, t2: torch.addcmul(s, t1, t2, value=2), value=2.0)
case("addcdiv", "addcdiv", [a, b, w + 0.5], lambda s, t1, t2: torch.addcdiv(s, t1, t2, value=-1.5), grad=True, value=-1.5)

# ---- activations ----
ACT = {
    "Relu6": (F.relu6, {}), "LeakyRelu": (lambda t: F.leaky_relu(t, 0.2), {"slope": 0.2}),
    "Elu": (lambda t: F.elu(t, 0.7), {"alpha": 0.7}), "Selu": (F.selu, {}), "Celu": (lambda t: F.celu(t, 1.3), {"alpha": 1.3}),
    "Gelu": (F.gelu, {}), "GeluTanh": (lambda t: F.gelu(t, approximate="tanh"), {}), "Silu": (F.silu, {}), "Mish": (F.mish, {}),
    "Softplus": (lambda t: F.softplus(t, 2.0, 3.0), {"beta": 2.0, "threshold": 3.0}), "Softsign": (F.softsign, {}),
    "LogSigmoid": (F.logsigmoid, {}), "Hardtanh": (lambda t: F.hardtanh(t, -0.5, 0.8), {"min": -0.5, "max": 0.8}),
    "Hardsigmoid": (F.hardsigmoid, {}), "Hardswish": (F.hardswish, {}), "Tanhshrink": (F.tanhshrink, {}),
    "Threshold": (lambda t: F.threshold(t, 0.1, -2.0), {"threshold": 0.1, "value": -2.0}),
    "Sigmoid": (torch.sigmoid, {}), "Tanh": (torch.tanh, {}),
}
wide = torch.tensor([-5.0, -3.5, -3.0, -1.0, -0.3, 0.0, 0.2, 1.0, 2.9, 3.0, 4.0, 30.0, NAN, INF, -INF])
wide64 = torch.tensor([-5.0, -3.5, -2.0, -1.0, -0.3, 0.2, 0.7, 1.0, 2.5, 3.5, 4.0, 12.0], dtype=torch.float64)
# PyTorch 1.13 computes celu's 1 / alpha and hardsigmoid's 1 / 6 in float32 in the backward even
# for float64 tensors; Ember uses the exact constants, so those gradients agree to about 1e-7.
GRAD_TOL = {"Celu": 1e-7, "Hardsigmoid": 1e-7}
for name, (fn, args) in ACT.items():
    case(f"{name}_values", "f:" + name, [wide], fn, **args)
    extra = {"grad_tol": GRAD_TOL[name]} if name in GRAD_TOL else {}
    case(f"{name}_float64_grad", "f:" + name, [wide64], fn, grad=True, **args, **extra)
    case(f"{name}_float16", "f:" + name, [torch.randn(3, 4).half()], fn, **args)
    case(f"{name}_bfloat16_t", "f:" + name, [torch.randn(3, 4).bfloat16()], fn, t=True, **args)

# ---- logic and bitwise ----
i1 = torch.tensor([[0, 3, -4, 7], [1, 0, 12, -1]], dtype=torch.int32)
i2 = torch.tensor([1, 2, 0, -8], dtype=torch.int32)
f1 = torch.tensor([0.0, NAN, 2.0, -0.0])
for name, fn in {"logical_and": torch.logical_and, "logical_or": torch.logical_or, "logical_xor": torch.logical_xor}.items():
    case(f"{name}_int", name, [i1, i2], fn)
    case(f"{name}_float_bool", name, [f1, torch.tensor([True, True, False, False])], fn)
for name, fn in {"bitwise_and": torch.bitwise_and, "bitwise_or": torch.bitwise_or, "bitwise_xor": torch.bitwise_xor}.items():
    case(f"{name}_int", name, [i1, i2], fn)
    case(f"{name}_bool", name, [torch.tensor([True, True, False]), torch.tensor([True, False, False])], fn)
    case(f"{name}_uint8_int64", name, [torch.tensor([200, 7], dtype=torch.uint8), torch.tensor([-1, 3])], fn)
    case(f"{name}_scalar", name + "_scalar", [i1], lambda t, fn=fn: fn(t, 6), value=6)
sh = torch.tensor([0, 1, 7, 8, 40, -1], dtype=torch.int8)
case("left_shift_int8", "bitwise_left_shift", [torch.tensor([1, -3, 1, 1, 5, 1], dtype=torch.int8), sh], torch.bitwise_left_shift)
case("right_shift_int8", "bitwise_right_shift", [torch.tensor([64, -128, -3, 100, -5, 9], dtype=torch.int8), sh], torch.bitwise_right_shift)
case("left_shift_int64_scalar", "bitwise_left_shift_scalar", [torch.tensor([1, -3, 5])], lambda t: torch.bitwise_left_shift(t, 3), value=3)
case("right_shift_int64_scalar", "bitwise_right_shift_scalar", [torch.tensor([100, -100, 5])], lambda t: torch.bitwise_right_shift(t, 2), value=2)
ca = torch.tensor([1.0, 1.0, NAN, INF, 1e-9, 100.0])
cb = torch.tensor([1.0 + 1e-6, 1.1, NAN, INF, 0.0, 100.001])
case("isclose_default", "isclose", [ca, cb], torch.isclose)
case("isclose_equal_nan_rtol", "isclose", [ca, cb], lambda p, q: torch.isclose(p, q, rtol=1e-3, atol=0.0, equal_nan=True), rtol=1e-3, atol=0.0, equal_nan=True)

# ---- reductions ----
R = torch.randn(3, 4, 5, dtype=torch.float64)
RED = [("prod", lambda t: torch.prod(t)), ("prod_dim", lambda t: torch.prod(t, 1)), ("amax_dims", lambda t: torch.amax(t, (0, 2))),
       ("amin_keep", lambda t: torch.amin(t, -1, keepdim=True)), ("max_all", lambda t: torch.max(t)), ("min_all", lambda t: torch.min(t)),
       ("var_all", lambda t: torch.var(t)), ("var_dims_c0", lambda t: torch.var(t, (0, 2), correction=0)),
       ("std_dim_keep", lambda t: torch.std(t, 1, keepdim=True)), ("norm_2", lambda t: torch.linalg.vector_norm(t)),
       ("norm_1_dim", lambda t: torch.linalg.vector_norm(t, 1, (1,))), ("norm_inf", lambda t: torch.linalg.vector_norm(t, INF, (0, 1))),
       ("norm_neginf", lambda t: torch.linalg.vector_norm(t, -INF, (2,))), ("norm_3", lambda t: torch.linalg.vector_norm(t, 3.0, (0, 2), keepdim=True)),
       ("norm_0", lambda t: torch.linalg.vector_norm(t, 0, (2,))),
       ("logsumexp_dim", lambda t: torch.logsumexp(t, 1)), ("logsumexp_dims_keep", lambda t: torch.logsumexp(t, (0, 2), keepdim=True)),
       ("cumsum_dim1", lambda t: torch.cumsum(t, 1)), ("cumprod_dim2", lambda t: torch.cumprod(t, 2)),
       ("cummax_dim0", lambda t: torch.cummax(t, 0)), ("cummin_dim2", lambda t: torch.cummin(t, 2)),
       ("median_dim", lambda t: torch.median(t, 1)), ("min_dim", lambda t: torch.min(t, 2)), ("mode_dim", lambda t: torch.mode(t, 0)),
       ("var_mean", lambda t: torch.var_mean(t, (1,))), ("std_mean_keep", lambda t: torch.std_mean(t, (0, 1), keepdim=True)),
       ("median_all", lambda t: torch.median(t))]
for name, fn in RED:
    case(f"{name}_float64", "r:" + name, [R], fn, grad=True)
    case(f"{name}_float32", "r:" + name, [R.float()], fn)
R2 = torch.randn(5, 6)
for name, fn in [("prod_dim", lambda t: torch.prod(t, 0)), ("amax_dims", lambda t: torch.amax(t, 0)), ("var_all", torch.var),
                 ("norm_2", lambda t: torch.linalg.vector_norm(t)), ("cumsum_dim1", lambda t: torch.cumsum(t, 1)),
                 ("median_dim", lambda t: torch.median(t, 1)), ("logsumexp_dim", lambda t: torch.logsumexp(t, 1))]:
    case(f"{name}_t", "r:" + name, [R2], fn, t=True)
    case(f"{name}_float16", "r:" + name, [R2.half()], fn)
    case(f"{name}_bfloat16", "r:" + name, [R2.bfloat16()], fn)
# Large float16 sums keep float32 accuracy.
case("prod_dim_ones16", "r:prod_dim", [torch.full((3, 4, 5), 1.01).half()], lambda t: torch.prod(t, 1))
zeros = torch.tensor([[1.5, 0.0, 2.0], [0.0, 0.0, 3.0], [2.0, -1.0, 0.5]], dtype=torch.float64)
case("prod_zeros_grad", "r:prod_dim1", [zeros], lambda t: torch.prod(t, 1), grad=True)
case("cumprod_zeros_grad", "r:cumprod_dim1", [zeros], lambda t: torch.cumprod(t, 1), grad=True)
case("cumprod_zeros_dim0_grad", "r:cumprod_dim0", [zeros.t().contiguous()], lambda t: torch.cumprod(t, 0), grad=True)
case("prod_all_one_zero_grad", "r:prod", [torch.tensor([1.5, 0.0, 2.0, -3.0], dtype=torch.float64)], torch.prod, grad=True)
ints = torch.tensor([[3, -1, 4, 1], [5, 9, -2, 6]], dtype=torch.int32)
for name, fn in [("prod", torch.prod), ("amax_dims", lambda t: torch.amax(t, (0,))), ("cumsum_dim1", lambda t: torch.cumsum(t, 1)),
                 ("cumprod_dim1", lambda t: torch.cumprod(t, 1)), ("cummax_dim1", lambda t: torch.cummax(t, 1)),
                 ("mode_dim1", lambda t: torch.mode(t, 1)), ("median_dim", lambda t: torch.median(t, 1)), ("min_dim1", lambda t: torch.min(t, 1))]:
    case(f"{name}_int32", "r:" + name, [ints], fn)
nanr = torch.tensor([[1.0, NAN, 3.0], [2.0, 5.0, -1.0]])
for name, fn in [("amax_dims", lambda t: torch.amax(t, (1,))), ("cummax_dim1", lambda t: torch.cummax(t, 1)),
                 ("median_dim", lambda t: torch.median(t, 1)), ("min_dim1", lambda t: torch.min(t, 1)), ("max_all", torch.max)]:
    case(f"{name}_nan", "r:" + name, [nanr], fn)
case("mode_ties", "r:mode_dim1", [torch.tensor([[3.0, 1, 3, 1, 2], [1, 2, 2, 1, 5]])], lambda t: torch.mode(t, 1))
case("cummax_ties", "r:cummax_dim0", [torch.tensor([1.0, 3, 3, 2, 5])], lambda t: torch.cummax(t, 0))
case("cumsum_bool", "r:cumsum_dim0", [torch.tensor([True, False, True])], lambda t: torch.cumsum(t, 0))
case("cumsum_dtype", "r:cumsum_dim0_float64", [torch.tensor([1, 2, 3])], lambda t: torch.cumsum(t, 0, dtype=torch.float64))
bools = torch.tensor([[True, False, True], [True, True, True]])
for name, fn in [("all", torch.all), ("any", torch.any), ("all_dim1", lambda t: torch.all(t, 1)), ("any_dim0_keep", lambda t: torch.any(t, 0, keepdim=True)),
                 ("count_nonzero", torch.count_nonzero), ("count_nonzero_dim1", lambda t: torch.count_nonzero(t, 1))]:
    case(f"{name}_bool", "r:" + name, [bools], fn)
    case(f"{name}_float", "r:" + name, [torch.tensor([[0.0, NAN, 2.0], [0.0, 0.0, -1.0]])], fn)
case("all_uint8", "r:all", [torch.tensor([1, 2], dtype=torch.uint8)], torch.all)
case("any_empty", "r:any", [torch.zeros(0, 3)], torch.any)
case("all_empty", "r:all", [torch.zeros(0, 3)], torch.all)
case("prod_empty", "r:prod", [torch.zeros(0, 3)], torch.prod)
case("logsumexp_inf", "r:logsumexp_dim", [torch.tensor([[-INF, -INF, -INF], [INF, 1.0, 2.0], [NAN, 1.0, 0.0]])], lambda t: torch.logsumexp(t, 1))
case("logsumexp_int", "r:logsumexp_dim", [torch.tensor([[1, 2, 3], [0, 0, 0], [5, 5, 5]])], lambda t: torch.logsumexp(t, 1))
case("var_0d", "r:var_all", [torch.tensor(2.5)], torch.var)
case("norm_0d", "r:norm_2", [torch.tensor(-2.5)], lambda t: torch.linalg.vector_norm(t))
case("median_all_even", "r:median_all", [torch.tensor([4.0, 1.0, 3.0, 2.0])], torch.median)
case("argmin_dim", "r:argmin_dim1", [torch.tensor([[3.0, 1.0, 1.0], [NAN, 2.0, 0.0]])], lambda t: torch.argmin(t, 1))
case("argmin_all", "r:argmin", [torch.tensor([[3.0, 1.0], [0.5, 2.0]])], torch.argmin)

json.dump({"cases": cases}, open(OUT, "w"), indent=None, separators=(",", ":"))
print(f"wrote {len(cases)} cases to {OUT}")
