// Meta functions of the unary, binary and ternary math ops (ops_math.h): result dtypes,
// broadcasting, in-place checks, then the device's kernel.
#include <cmath>
#include <string>

#include "dispatch.h"
#include "error.h"
#include "meta.h"
#include "nn_ops.h"
#include "ops.h"
#include "ops_math.h"

namespace ember {

constinit DispatchStub<MathUnaryFn> math_unary_stub("math_unary");
constinit DispatchStub<MathBinaryFn> math_binary_stub("math_binary");
constinit DispatchStub<MathTernaryFn> math_ternary_stub("math_ternary");

namespace ops {

namespace {

using U = MathUnaryOp;
using B = MathBinaryOp;

// What decides a unary op's result dtype.
enum class Kind { Keep, Promote, Float, Activation, Pow, BoolOut, Bitwise };

Kind unary_kind(U op) {
  switch (op) {
    case U::Abs:
    case U::Sign:
    case U::Square:
    case U::Floor:
    case U::Ceil:
    case U::Trunc:
    case U::Round:
    case U::RoundDecimals:
    case U::Frac:
    case U::Threshold:
    case U::NanToNum:
    case U::Hardtanh:
    case U::Relu6:
      return Kind::Keep;
    case U::Clamp:
      return Kind::Promote;
    case U::Reciprocal:
    case U::Exp2:
    case U::Expm1:
    case U::Log2:
    case U::Log10:
    case U::Log1p:
    case U::Sqrt:
    case U::Rsqrt:
    case U::Sin:
    case U::Cos:
    case U::Tan:
    case U::Asin:
    case U::Acos:
    case U::Atan:
    case U::Sinh:
    case U::Cosh:
    case U::Tanh:
    case U::Erf:
    case U::Erfc:
    case U::Erfinv:
    case U::Sigmoid:
      return Kind::Float;
    case U::LeakyRelu:
    case U::Elu:
    case U::Selu:
    case U::Celu:
    case U::Gelu:
    case U::GeluTanh:
    case U::Silu:
    case U::Mish:
    case U::Softplus:
    case U::Softsign:
    case U::LogSigmoid:
    case U::Hardsigmoid:
    case U::Hardswish:
    case U::Tanhshrink:
      return Kind::Activation;
    case U::PowScalar:
      return Kind::Pow;
    case U::IsNan:
    case U::IsInf:
    case U::IsPosInf:
    case U::IsNegInf:
    case U::IsFinite:
    case U::LogicalNot:
      return Kind::BoolOut;
    case U::BitwiseNot:
      return Kind::Bitwise;
  }
  return Kind::Keep;
}

// The dtype the kernel computes in (the input is converted to it first).
DType unary_compute_dtype(const char* name, U op, const Tensor& a, const MathParams& p) {
  const DType t = a->dtype();
  switch (unary_kind(op)) {
    case Kind::Keep:
      EMBER_CHECK(t != DType::Bool || op == U::Sign || op == U::NanToNum, EMBER_ERROR_DTYPE, name,
                  ": not implemented for bool tensors (got ", meta::describe(a), ")");
      EMBER_CHECK(is_floating(t) || (op != U::Frac && op != U::RoundDecimals), EMBER_ERROR_DTYPE,
                  name, ": not implemented for integer tensors (got ", meta::describe(a), ")");
      return t;
    case Kind::Promote: {
      meta::ResultType rt;
      rt.add(a);
      for (int i = 0; i < 2; ++i) {
        if (p.has[i]) rt.add(p.p[i]);
      }
      const DType r = rt.get();
      EMBER_CHECK(r != DType::Bool, EMBER_ERROR_DTYPE, name,
                  ": not implemented for bool tensors (got ", meta::describe(a), ")");
      return r;
    }
    case Kind::Float:
      return is_floating(t) ? t : kDefaultFloat;
    case Kind::Activation:
      EMBER_CHECK(is_floating(t), EMBER_ERROR_DTYPE, name,
                  ": takes a floating tensor (float32, float64, float16, bfloat16), got ",
                  meta::describe(a));
      return t;
    case Kind::Pow: {
      const DType r = meta::ResultType().add(a).add(p.p[0]).get();
      EMBER_CHECK(r != DType::Bool, EMBER_ERROR_DTYPE, name,
                  ": not implemented for bool tensors with a bool exponent");
      EMBER_CHECK(is_floating(r) || p.p[0].to<double>() >= 0, EMBER_ERROR_INVALID_ARGUMENT, name,
                  ": Integers to negative integer powers are not allowed (", meta::describe(a),
                  " ** ", p.p[0].to<double>(), ")");
      return r;
    }
    case Kind::BoolOut:
      return t;
    case Kind::Bitwise:
      EMBER_CHECK(!is_floating(t), EMBER_ERROR_DTYPE, name, ": takes integer or bool tensors, got ",
                  meta::describe(a));
      return t;
  }
  return t;
}

DType unary_out_dtype(U op, DType compute) {
  return unary_kind(op) == Kind::BoolOut ? DType::Bool : compute;
}

// The transcendental functions and activations of the 16-bit floats compute in float32 buffers
// (the kernels are compiled for float and double only), then round to the result dtype.
DType kernel_dtype(U op, DType result) {
  const Kind k = unary_kind(op);
  const bool wide = k == Kind::Float || k == Kind::Activation || k == Kind::Pow;
  return wide && (result == DType::Float16 || result == DType::BFloat16) ? DType::Float32 : result;
}

// Runs the unary kernel into out (dtype: the op's result dtype, or bool) from a.
void run_unary(const char* name, U op, const Tensor& out, const Tensor& a, DType result,
               const MathParams& params) {
  const DType kd = kernel_dtype(op, result);
  Tensor ta;
  const Tensor& ac = meta::with_dtype(a, kd, ta);
  if (out->dtype() == kd || out->dtype() == DType::Bool) {
    math_unary_stub(name, a->device(), op, out, ac, params);
    return;
  }
  Tensor wide = empty(out->sizes(), kd, out->device());
  math_unary_stub(name, a->device(), op, wide, ac, params);
  copy_stub(name, out->device(), out, wide);
}

const char* binary_name(B op, bool in_place) {
  switch (op) {
    case B::Atan2:
      return in_place ? "atan2_" : "atan2";
    case B::Pow:
      return in_place ? "pow_" : "pow";
    case B::Maximum:
      return "maximum";
    case B::Minimum:
      return "minimum";
    case B::Fmod:
      return in_place ? "fmod_" : "fmod";
    case B::Remainder:
      return in_place ? "remainder_" : "remainder";
    case B::LogicalAnd:
      return in_place ? "logical_and_" : "logical_and";
    case B::LogicalOr:
      return in_place ? "logical_or_" : "logical_or";
    case B::LogicalXor:
      return in_place ? "logical_xor_" : "logical_xor";
    case B::BitwiseAnd:
      return in_place ? "bitwise_and_" : "bitwise_and";
    case B::BitwiseOr:
      return in_place ? "bitwise_or_" : "bitwise_or";
    case B::BitwiseXor:
      return in_place ? "bitwise_xor_" : "bitwise_xor";
    case B::LeftShift:
      return in_place ? "bitwise_left_shift_" : "bitwise_left_shift";
    case B::RightShift:
      return in_place ? "bitwise_right_shift_" : "bitwise_right_shift";
    case B::IsClose:
      return "isclose";
  }
  return "binary";
}

bool is_logical(B op) {
  return op == B::LogicalAnd || op == B::LogicalOr || op == B::LogicalXor || op == B::IsClose;
}

// The dtype the kernel computes in from the promoted dtype of the operands.
DType binary_compute_dtype(const char* name, B op, DType common, const Tensor& a,
                           const char* other) {
  switch (op) {
    case B::Atan2:
      return is_floating(common) ? common : kDefaultFloat;
    case B::Pow:
    case B::Fmod:
    case B::Remainder:
      EMBER_CHECK(common != DType::Bool, EMBER_ERROR_DTYPE, name,
                  ": not implemented for bool tensors (", meta::describe(a), " and ", other, ")");
      return common;
    case B::BitwiseAnd:
    case B::BitwiseOr:
    case B::BitwiseXor:
      EMBER_CHECK(!is_floating(common), EMBER_ERROR_DTYPE, name,
                  ": takes integer or bool tensors, got ", meta::describe(a), " and ", other);
      return common;
    case B::LeftShift:
    case B::RightShift:
      EMBER_CHECK(is_integral(common, false), EMBER_ERROR_DTYPE, name,
                  ": takes integer tensors, got ", meta::describe(a), " and ", other);
      return common;
    default:
      return common;
  }
}

// Runs a kernel into a, or, when the result dtype differs from a's, into a temporary copied back.
template <class Run>
void into(const char* name, const Tensor& a, DType result, Run run) {
  meta::check_can_cast(name, result, a->dtype());
  meta::check_no_internal_overlap(name, a);
  if (a->numel() > 0) {
    if (result == a->dtype()) {
      run(a);
    } else {
      Tensor tmp = empty(a->sizes(), result, a->device());
      run(tmp);
      copy_stub(name, a->device(), a, tmp);
    }
  }
  a->storage()->bump_version();
}

// Integer fmod / remainder by zero fail before anything is written, so that a failed in-place op
// leaves its input unchanged.
void check_divisor(const char* name, B op, DType compute, const Tensor& b) {
  if ((op != B::Fmod && op != B::Remainder) || is_floating(compute) || b->numel() == 0) return;
  const Tensor zero = compare_scalar(CompareOp::Eq, b, Scalar::from_int(0));
  const Tensor hit = to_device(any(zero, {}, false), Device{});  // read on the host
  EMBER_CHECK(!*hit->data_as<bool>(), EMBER_ERROR_INVALID_ARGUMENT, name,
              ": ZeroDivisionError (integer division by zero; divisor ", meta::describe(b), ")");
}

// A Python number as a 0-d tensor of dtype, for the binary kernels.
Tensor scalar_tensor(Scalar s, DType dtype, Device device) {
  Tensor t = empty(DimVector{}, dtype, device);
  fill_stub("scalar", device, t, s);
  return t;
}

std::string scalar_text(const Scalar& s) {
  return s.kind == Scalar::Kind::Float  ? std::to_string(s.f)
         : s.kind == Scalar::Kind::Bool ? (s.i ? "True" : "False")
                                        : std::to_string(s.i);
}

}  // namespace

const char* math_unary_name(U op, bool in_place) {
  switch (op) {
    case U::Abs:
      return in_place ? "abs_" : "abs";
    case U::Sign:
      return in_place ? "sign_" : "sign";
    case U::Square:
      return in_place ? "square_" : "square";
    case U::Floor:
      return in_place ? "floor_" : "floor";
    case U::Ceil:
      return in_place ? "ceil_" : "ceil";
    case U::Trunc:
      return in_place ? "trunc_" : "trunc";
    case U::Round:
    case U::RoundDecimals:
      return in_place ? "round_" : "round";
    case U::Frac:
      return in_place ? "frac_" : "frac";
    case U::Clamp:
      return in_place ? "clamp_" : "clamp";
    case U::Threshold:
      return in_place ? "threshold_" : "threshold";
    case U::NanToNum:
      return in_place ? "nan_to_num_" : "nan_to_num";
    case U::Hardtanh:
      return in_place ? "hardtanh_" : "hardtanh";
    case U::Relu6:
      return in_place ? "relu6_" : "relu6";
    case U::Reciprocal:
      return in_place ? "reciprocal_" : "reciprocal";
    case U::Exp2:
      return in_place ? "exp2_" : "exp2";
    case U::Expm1:
      return in_place ? "expm1_" : "expm1";
    case U::Log2:
      return in_place ? "log2_" : "log2";
    case U::Log10:
      return in_place ? "log10_" : "log10";
    case U::Log1p:
      return in_place ? "log1p_" : "log1p";
    case U::Sqrt:
      return in_place ? "sqrt_" : "sqrt";
    case U::Rsqrt:
      return in_place ? "rsqrt_" : "rsqrt";
    case U::Sin:
      return in_place ? "sin_" : "sin";
    case U::Cos:
      return in_place ? "cos_" : "cos";
    case U::Tan:
      return in_place ? "tan_" : "tan";
    case U::Asin:
      return in_place ? "asin_" : "asin";
    case U::Acos:
      return in_place ? "acos_" : "acos";
    case U::Atan:
      return in_place ? "atan_" : "atan";
    case U::Sinh:
      return in_place ? "sinh_" : "sinh";
    case U::Cosh:
      return in_place ? "cosh_" : "cosh";
    case U::Tanh:
      return in_place ? "tanh_" : "tanh";
    case U::Erf:
      return in_place ? "erf_" : "erf";
    case U::Erfc:
      return in_place ? "erfc_" : "erfc";
    case U::Erfinv:
      return in_place ? "erfinv_" : "erfinv";
    case U::Sigmoid:
      return in_place ? "sigmoid_" : "sigmoid";
    case U::LeakyRelu:
      return in_place ? "leaky_relu_" : "leaky_relu";
    case U::Elu:
      return in_place ? "elu_" : "elu";
    case U::Selu:
      return in_place ? "selu_" : "selu";
    case U::Celu:
      return in_place ? "celu_" : "celu";
    case U::Gelu:
    case U::GeluTanh:
      return "gelu";
    case U::Silu:
      return in_place ? "silu_" : "silu";
    case U::Mish:
      return in_place ? "mish_" : "mish";
    case U::Softplus:
      return "softplus";
    case U::Softsign:
      return "softsign";
    case U::LogSigmoid:
      return "logsigmoid";
    case U::Hardsigmoid:
      return in_place ? "hardsigmoid_" : "hardsigmoid";
    case U::Hardswish:
      return in_place ? "hardswish_" : "hardswish";
    case U::Tanhshrink:
      return "tanhshrink";
    case U::PowScalar:
      return in_place ? "pow_" : "pow";
    case U::IsNan:
      return "isnan";
    case U::IsInf:
      return "isinf";
    case U::IsPosInf:
      return "isposinf";
    case U::IsNegInf:
      return "isneginf";
    case U::IsFinite:
      return "isfinite";
    case U::LogicalNot:
      return in_place ? "logical_not_" : "logical_not";
    case U::BitwiseNot:
      return in_place ? "bitwise_not_" : "bitwise_not";
  }
  return "unary";
}

Tensor math_unary(U op, const Tensor& a, const MathParams& params) {
  const char* name = math_unary_name(op, false);
  const DType compute = unary_compute_dtype(name, op, a, params);
  Tensor out = empty(a->sizes(), unary_out_dtype(op, compute), a->device());
  if (out->numel() == 0) return out;
  run_unary(name, op, out, a, compute, params);
  return out;
}

void math_unary_(U op, const Tensor& a, const MathParams& params) {
  const char* name = math_unary_name(op, true);
  const DType compute = unary_compute_dtype(name, op, a, params);
  const DType result = unary_out_dtype(op, compute);
  into(name, a, result, [&](const Tensor& out) { run_unary(name, op, out, a, compute, params); });
}

Tensor math_binary(B op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op, false);
  meta::check_same_device(name, a, b);
  const DType common = meta::ResultType().add(a).add(b).get();
  const DType compute = binary_compute_dtype(name, op, common, a, meta::describe(b).c_str());
  const DType result = is_logical(op) ? DType::Bool : compute;
  Tensor out = empty(meta::broadcast_shapes(name, a, b), result, a->device());
  if (out->numel() == 0) return out;
  Tensor ta, tb;
  math_binary_stub(name, a->device(), op, out, meta::with_dtype(a, compute, ta),
                   meta::with_dtype(b, compute, tb), MathParams{});
  return out;
}

void math_binary_(B op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op, true);
  meta::check_same_device(name, a, b);
  const DType common = meta::ResultType().add(a).add(b).get();
  const DType compute = binary_compute_dtype(name, op, common, a, meta::describe(b).c_str());
  const DType result = is_logical(op) ? DType::Bool : compute;
  const DimVector shape = meta::broadcast_shapes(name, a, b);
  EMBER_CHECK(meta::same_shape(shape, a->sizes()), EMBER_ERROR_SHAPE, name, ": output with shape ",
              a->sizes(), " doesn't match the broadcast shape ", shape, " (a is ",
              meta::describe(a), ", b is ", meta::describe(b), ")");
  meta::check_no_partial_overlap(name, a, b);
  check_divisor(name, op, compute, b);
  into(name, a, result, [&](const Tensor& out) {
    Tensor ta, tb;
    math_binary_stub(name, a->device(), op, out, meta::with_dtype(a, compute, ta),
                     meta::with_dtype(b, compute, tb), MathParams{});
  });
}

Tensor math_binary_scalar(B op, const Tensor& a, Scalar s, bool reversed) {
  const char* name = binary_name(op, false);
  const DType common = meta::ResultType().add(a).add(s).get();
  const std::string other = "the number " + scalar_text(s);
  const DType compute = binary_compute_dtype(name, op, common, a, other.c_str());
  const DType result = is_logical(op) ? DType::Bool : compute;
  Tensor out = empty(a->sizes(), result, a->device());
  if (out->numel() == 0) return out;
  Tensor ta;
  const Tensor st = scalar_tensor(s, compute, a->device());
  const Tensor& ac = meta::with_dtype(a, compute, ta);
  if (reversed) {
    math_binary_stub(name, a->device(), op, out, st, ac, MathParams{});
  } else {
    math_binary_stub(name, a->device(), op, out, ac, st, MathParams{});
  }
  return out;
}

void math_binary_scalar_(B op, const Tensor& a, Scalar s) {
  const char* name = binary_name(op, true);
  const DType common = meta::ResultType().add(a).add(s).get();
  const std::string other = "the number " + scalar_text(s);
  const DType compute = binary_compute_dtype(name, op, common, a, other.c_str());
  const DType result = is_logical(op) ? DType::Bool : compute;
  EMBER_CHECK(is_floating(compute) || (op != B::Fmod && op != B::Remainder) || s.to<double>() != 0,
              EMBER_ERROR_INVALID_ARGUMENT, name,
              ": ZeroDivisionError (integer division by zero; dividend ", meta::describe(a), ")");
  into(name, a, result, [&](const Tensor& out) {
    Tensor ta;
    math_binary_stub(name, a->device(), op, out, meta::with_dtype(a, compute, ta),
                     scalar_tensor(s, compute, a->device()), MathParams{});
  });
}

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  const char* name = "isclose";
  meta::check_same_device(name, a, b);
  EMBER_CHECK(a->dtype() == b->dtype(), EMBER_ERROR_DTYPE, name, ": a (", meta::describe(a),
              ") and b (", meta::describe(b), ") must have the same dtype");
  EMBER_CHECK(rtol >= 0 && atol >= 0, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": rtol and atol must be non-negative, got rtol ", rtol, " and atol ", atol);
  Tensor out = empty(meta::broadcast_shapes(name, a, b), DType::Bool, a->device());
  if (out->numel() == 0) return out;
  MathParams p;
  p.p = {Scalar::from_float(rtol), Scalar::from_float(atol), Scalar::from_bool(equal_nan)};
  math_binary_stub(name, a->device(), B::IsClose, out, a, b, p);
  return out;
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  const Tensor close = isclose(a, b, rtol, atol, equal_nan);
  const Tensor r = to_device(all(close, {}, false), Device{});
  return *r->data_as<bool>();
}

bool equal(const Tensor& a, const Tensor& b) {
  meta::check_same_device("equal", a, b);
  if (!meta::same_shape(a->sizes(), b->sizes())) return false;
  const Tensor same = compare(CompareOp::Eq, a, b);
  const Tensor r = to_device(all(same, {}, false), Device{});
  return *r->data_as<bool>();
}

// ---- ternary ----

namespace {

Tensor ternary(const char* name, MathTernaryOp op, const Tensor& a, const Tensor& b,
               const Tensor& c, Scalar value, DType compute, DType c_dtype) {
  meta::check_same_device(name, a, b);
  meta::check_same_device(name, a, c);
  const DimVector ab = meta::broadcast_shapes(name, a, b);
  const DimVector shape = meta::broadcast_shapes(name, ab, c->sizes(), "the third operand");
  Tensor out = empty(shape, compute, a->device());
  if (out->numel() == 0) return out;
  Tensor ta, tb, tc;
  math_ternary_stub(name, a->device(), op, out, meta::with_dtype(a, compute, ta),
                    meta::with_dtype(b, compute, tb), meta::with_dtype(c, c_dtype, tc), value);
  return out;
}

void ternary_(const char* name, MathTernaryOp op, const Tensor& a, const Tensor& b, const Tensor& c,
              Scalar value, DType compute) {
  meta::check_same_device(name, a, b);
  meta::check_same_device(name, a, c);
  // Operands of the output's own shape (an optimizer step, autograd adding into a gradient)
  // broadcast to it as they are: the broadcast shapes need not be built.
  if (!meta::same_shape(a->sizes(), b->sizes()) || !meta::same_shape(a->sizes(), c->sizes())) {
    const DimVector ab = meta::broadcast_shapes(name, a, b);
    const DimVector shape = meta::broadcast_shapes(name, ab, c->sizes(), "the third operand");
    EMBER_CHECK(meta::same_shape(shape, a->sizes()), EMBER_ERROR_SHAPE, name,
                ": output with shape ", a->sizes(), " doesn't match the broadcast shape ", shape);
  }
  meta::check_no_partial_overlap(name, a, b);
  meta::check_no_partial_overlap(name, a, c);
  into(name, a, compute, [&](const Tensor& out) {
    Tensor ta, tb, tc;
    math_ternary_stub(name, a->device(), op, out, meta::with_dtype(a, compute, ta),
                      meta::with_dtype(b, compute, tb), meta::with_dtype(c, compute, tc), value);
  });
}

DType addc_dtype(const char* name, const Tensor& a, const Tensor& t1, const Tensor& t2,
                 Scalar value, bool divide) {
  // Tensors of one dtype promote to it whatever their dims.
  const DType r = a->dtype() == t1->dtype() && a->dtype() == t2->dtype()
                      ? a->dtype()
                      : meta::ResultType().add(a).add(t1).add(t2).get();
  EMBER_CHECK(!divide || is_floating(r), EMBER_ERROR_DTYPE, name,
              ": integer division with addcdiv is not supported (", meta::describe(t1), " / ",
              meta::describe(t2), "); use floating tensors");
  EMBER_CHECK(is_floating(r) || !value.is_floating(), EMBER_ERROR_DTYPE, name,
              ": for integer tensors value must be an integer, got ", value.f);
  EMBER_CHECK(r != DType::Bool, EMBER_ERROR_DTYPE, name, ": not implemented for bool tensors");
  return r;
}

DType lerp_dtype(const char* name, const Tensor& a, const Tensor& end, const Tensor& w) {
  EMBER_CHECK(is_floating(a->dtype()) && a->dtype() == end->dtype() && a->dtype() == w->dtype(),
              EMBER_ERROR_DTYPE, name, ": expected floating tensors of one dtype, got ",
              meta::describe(a), ", ", meta::describe(end), " and weight ", meta::describe(w));
  return a->dtype();
}

}  // namespace

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  const char* name = "where";
  EMBER_CHECK(cond->dtype() == DType::Bool || cond->dtype() == DType::UInt8, EMBER_ERROR_DTYPE,
              name, ": the condition must be a bool tensor, got ", meta::describe(cond));
  const DType common = meta::ResultType().add(a).add(b).get();
  // The condition goes last: ternary kernels take (a, b, c) with c the per-op extra operand.
  return ternary(name, MathTernaryOp::Where, a, b, cond, Scalar{}, common, DType::Bool);
}

Tensor lerp(const Tensor& a, const Tensor& end, const Tensor& weight) {
  const DType t = lerp_dtype("lerp", a, end, weight);
  return ternary("lerp", MathTernaryOp::Lerp, a, end, weight, Scalar{}, t, t);
}

void lerp_(const Tensor& a, const Tensor& end, const Tensor& weight) {
  ternary_("lerp_", MathTernaryOp::Lerp, a, end, weight, Scalar{},
           lerp_dtype("lerp_", a, end, weight));
}

Tensor addcmul(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value) {
  const DType r = addc_dtype("addcmul", a, t1, t2, value, false);
  return ternary("addcmul", MathTernaryOp::Addcmul, a, t1, t2, value, r, r);
}

void addcmul_(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value) {
  ternary_("addcmul_", MathTernaryOp::Addcmul, a, t1, t2, value,
           addc_dtype("addcmul_", a, t1, t2, value, false));
}

Tensor addcdiv(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value) {
  const DType r = addc_dtype("addcdiv", a, t1, t2, value, true);
  return ternary("addcdiv", MathTernaryOp::Addcdiv, a, t1, t2, value, r, r);
}

void addcdiv_(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value) {
  ternary_("addcdiv_", MathTernaryOp::Addcdiv, a, t1, t2, value,
           addc_dtype("addcdiv_", a, t1, t2, value, true));
}

namespace {

DType clamp_dtype(const char* name, const Tensor& a, const Tensor& lo, const Tensor& hi) {
  EMBER_CHECK(lo || hi, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": at least one of min or max must not be None (input ", meta::describe(a), ")");
  meta::ResultType rt;
  rt.add(a);
  if (lo) rt.add(lo);
  if (hi) rt.add(hi);
  const DType r = rt.get();
  EMBER_CHECK(r != DType::Bool, EMBER_ERROR_DTYPE, name, ": not implemented for bool tensors");
  return r;
}

}  // namespace

Tensor clamp_tensor(const Tensor& a, const Tensor& lo, const Tensor& hi) {
  const char* name = "clamp";
  const DType r = clamp_dtype(name, a, lo, hi);
  if (lo && hi) return ternary(name, MathTernaryOp::Clamp, a, lo, hi, Scalar{}, r, r);
  Tensor ta;
  return math_binary(lo ? B::Maximum : B::Minimum, meta::with_dtype(a, r, ta), lo ? lo : hi);
}

void clamp_tensor_(const Tensor& a, const Tensor& lo, const Tensor& hi) {
  const char* name = "clamp_";
  const DType r = clamp_dtype(name, a, lo, hi);
  if (lo && hi) {
    ternary_(name, MathTernaryOp::Clamp, a, lo, hi, Scalar{}, r);
    return;
  }
  meta::check_can_cast(name, r, a->dtype());
  math_binary_(lo ? B::Maximum : B::Minimum, a, lo ? lo : hi);
}

}  // namespace ops
}  // namespace ember
