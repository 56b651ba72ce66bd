// C ABI: the math, activation, logic, reduction and random ops of ember/ops.h beyond the core set.
#include "core/ops_math.h"

#include <cmath>
#include <optional>

#include "core/ops.h"
#include "ember/ops.h"
#include "shim.h"

using namespace ember;
using capi::hand_out;
using capi::In;
using capi::optional_in;
using ops::MathBinaryOp;
using U = ops::MathUnaryOp;

namespace {

Scalar F(double v) { return Scalar::from_float(v); }

// Parameters for the unary ops from up to three scalars.
ops::MathParams scalars(Scalar a = {}, Scalar b = {}, Scalar c = {}) {
  ops::MathParams p;
  p.p = {a, b, c};
  return p;
}

// Ops with two results: both handles are written only once everything succeeded.
template <class Body>
ember_status make2(const char* op, ember_tensor* out1, ember_tensor* out2, Body&& body) noexcept {
  return capi::guard(op, [&](const char* o) {
    capi::check_out(o, out1);
    capi::check_out(o, out2);
    std::pair<Tensor, Tensor> r = body(o);
    *out1 = hand_out(std::move(r.first));
    *out2 = hand_out(std::move(r.second));
  });
}

ember_status unary(U op, ember_tensor a, const ops::MathParams& p, ember_tensor* out) {
  const char* name = ops::math_unary_name(op, false);
  return capi::make(name, out, [&](const char* n) { return ops::math_unary(op, In(n, a), p); });
}

ember_status unary_(U op, ember_tensor a, const ops::MathParams& p) {
  const char* name = ops::math_unary_name(op, true);
  return capi::guard(name, [&](const char* n) { ops::math_unary_(op, In(n, a), p); });
}

ember_status binary(const char* name, MathBinaryOp op, ember_tensor a, ember_tensor b,
                    ember_tensor* out) {
  return capi::make(name, out,
                    [&](const char* n) { return ops::math_binary(op, In(n, a), In(n, b)); });
}

ember_status binary_(const char* name, MathBinaryOp op, ember_tensor a, ember_tensor b) {
  return capi::guard(name, [&](const char* n) { ops::math_binary_(op, In(n, a), In(n, b)); });
}

ember_status binary_scalar(const char* name, MathBinaryOp op, ember_tensor a, ember_scalar b,
                           ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) {
    return ops::math_binary_scalar(op, In(n, a), capi::scalar_arg(n, b));
  });
}

ember_status binary_scalar_(const char* name, MathBinaryOp op, ember_tensor a, ember_scalar b) {
  return capi::guard(
      name, [&](const char* n) { ops::math_binary_scalar_(op, In(n, a), capi::scalar_arg(n, b)); });
}

ops::MathParams nan_to_num_params(double nan, const double* posinf, const double* neginf) {
  ops::MathParams p = scalars(F(nan), F(posinf ? *posinf : 0), F(neginf ? *neginf : 0));
  p.has = {true, posinf != nullptr, neginf != nullptr};
  return p;
}

ops::MathParams clamp_params(const char* op, const ember_scalar* min, const ember_scalar* max) {
  if (min == nullptr && max == nullptr) {
    EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op, ": at least one of min or max must not be None");
  }
  ops::MathParams p = scalars(min ? capi::scalar_arg(op, *min) : Scalar{},
                              max ? capi::scalar_arg(op, *max) : Scalar{});
  p.has = {min != nullptr, max != nullptr, false};
  return p;
}

std::optional<DType> optional_dtype(const char* op, int32_t code) {
  if (code < 0) return std::nullopt;
  return capi::dtype_arg(op, code);
}

}  // namespace

// The shims that only name their op: NAME makes ember_NAME (a new tensor) and, where the macro
// says so, ember_NAME_ (in place); OP is the MathUnaryOp / MathBinaryOp that computes it.
#define EMBER_UNARY_OUT(NAME, OP)                                          \
  EMBER_API ember_status ember_##NAME(ember_tensor a, ember_tensor* out) { \
    return unary(U::OP, a, {}, out);                                       \
  }
#define EMBER_UNARY(NAME, OP) \
  EMBER_UNARY_OUT(NAME, OP)   \
  EMBER_API ember_status ember_##NAME##_(ember_tensor a) { return unary_(U::OP, a, {}); }
#define EMBER_BINARY_OUT(NAME, OP)                                                         \
  EMBER_API ember_status ember_##NAME(ember_tensor a, ember_tensor b, ember_tensor* out) { \
    return binary(#NAME, MathBinaryOp::OP, a, b, out);                                     \
  }
#define EMBER_BINARY(NAME, OP)                                             \
  EMBER_BINARY_OUT(NAME, OP)                                               \
  EMBER_API ember_status ember_##NAME##_(ember_tensor a, ember_tensor b) { \
    return binary_(#NAME "_", MathBinaryOp::OP, a, b);                     \
  }
#define EMBER_BINARY_SCALAR_OUT(NAME, OP)                                      \
  EMBER_API ember_status ember_##NAME##_scalar(ember_tensor a, ember_scalar b, \
                                               ember_tensor* out) {            \
    return binary_scalar(#NAME, MathBinaryOp::OP, a, b, out);                  \
  }
#define EMBER_BINARY_SCALAR(NAME, OP)                                             \
  EMBER_BINARY_SCALAR_OUT(NAME, OP)                                               \
  EMBER_API ember_status ember_##NAME##_scalar_(ember_tensor a, ember_scalar b) { \
    return binary_scalar_(#NAME "_", MathBinaryOp::OP, a, b);                     \
  }
// ember_NAME and ember_NAME_ for addcmul and addcdiv: a + value * t1 (op) t2.
#define EMBER_ADDC(NAME)                                                                   \
  EMBER_API ember_status ember_##NAME(ember_tensor a, ember_tensor t1, ember_tensor t2,    \
                                      ember_scalar value, ember_tensor* out) {             \
    return capi::make(#NAME, out, [&](const char* n) {                                     \
      return ops::NAME(In(n, a), In(n, t1), In(n, t2), capi::scalar_arg(n, value));        \
    });                                                                                    \
  }                                                                                        \
  EMBER_API ember_status ember_##NAME##_(ember_tensor a, ember_tensor t1, ember_tensor t2, \
                                         ember_scalar value) {                             \
    return capi::guard(#NAME "_", [&](const char* n) {                                     \
      ops::NAME##_(In(n, a), In(n, t1), In(n, t2), capi::scalar_arg(n, value));            \
    });                                                                                    \
  }

extern "C" {

// ---- unary math and activations ----
EMBER_UNARY(abs, Abs)
EMBER_UNARY(sign, Sign)
EMBER_UNARY(square, Square)
EMBER_UNARY(floor, Floor)
EMBER_UNARY(ceil, Ceil)
EMBER_UNARY(trunc, Trunc)
EMBER_UNARY(round, Round)
EMBER_UNARY(frac, Frac)
EMBER_UNARY(reciprocal, Reciprocal)
EMBER_UNARY(exp2, Exp2)
EMBER_UNARY(expm1, Expm1)
EMBER_UNARY(log2, Log2)
EMBER_UNARY(log10, Log10)
EMBER_UNARY(log1p, Log1p)
EMBER_UNARY(sqrt, Sqrt)
EMBER_UNARY(rsqrt, Rsqrt)
EMBER_UNARY(sin, Sin)
EMBER_UNARY(cos, Cos)
EMBER_UNARY(tan, Tan)
EMBER_UNARY(asin, Asin)
EMBER_UNARY(acos, Acos)
EMBER_UNARY(atan, Atan)
EMBER_UNARY(sinh, Sinh)
EMBER_UNARY(cosh, Cosh)
EMBER_UNARY(tanh, Tanh)
EMBER_UNARY(erf, Erf)
EMBER_UNARY(erfc, Erfc)
EMBER_UNARY(erfinv, Erfinv)
EMBER_UNARY(sigmoid, Sigmoid)
EMBER_UNARY(relu6, Relu6)
EMBER_UNARY(selu, Selu)
EMBER_UNARY(silu, Silu)
EMBER_UNARY(mish, Mish)
EMBER_UNARY(hardsigmoid, Hardsigmoid)
EMBER_UNARY(hardswish, Hardswish)
EMBER_UNARY(logical_not, LogicalNot)
EMBER_UNARY(bitwise_not, BitwiseNot)
EMBER_UNARY_OUT(softsign, Softsign)
EMBER_UNARY_OUT(logsigmoid, LogSigmoid)
EMBER_UNARY_OUT(tanhshrink, Tanhshrink)
EMBER_UNARY_OUT(isnan, IsNan)
EMBER_UNARY_OUT(isinf, IsInf)
EMBER_UNARY_OUT(isposinf, IsPosInf)
EMBER_UNARY_OUT(isneginf, IsNegInf)
EMBER_UNARY_OUT(isfinite, IsFinite)
EMBER_API ember_status ember_round_decimals(ember_tensor a, int32_t decimals, ember_tensor* out) {
  return capi::make("round_decimals", out, [&](const char* n) {
    return ops::math_unary(U::RoundDecimals, In(n, a), scalars(Scalar::from_int(decimals)));
  });
}
EMBER_API ember_status ember_round_decimals_(ember_tensor a, int32_t decimals) {
  return capi::guard("round_decimals_", [&](const char* n) {
    ops::math_unary_(U::RoundDecimals, In(n, a), scalars(Scalar::from_int(decimals)));
  });
}
EMBER_API ember_status ember_leaky_relu(ember_tensor a, double negative_slope, ember_tensor* out) {
  return capi::make("leaky_relu", out, [&](const char* n) {
    return ops::math_unary(U::LeakyRelu, In(n, a), scalars(F(negative_slope)));
  });
}
EMBER_API ember_status ember_leaky_relu_(ember_tensor a, double negative_slope) {
  return capi::guard("leaky_relu_", [&](const char* n) {
    ops::math_unary_(U::LeakyRelu, In(n, a), scalars(F(negative_slope)));
  });
}
EMBER_API ember_status ember_elu(ember_tensor a, double alpha, double scale, double input_scale,
                                 ember_tensor* out) {
  return capi::make("elu", out, [&](const char* n) {
    return ops::math_unary(U::Elu, In(n, a), scalars(F(alpha), F(scale), F(input_scale)));
  });
}
EMBER_API ember_status ember_elu_(ember_tensor a, double alpha, double scale, double input_scale) {
  return capi::guard("elu_", [&](const char* n) {
    ops::math_unary_(U::Elu, In(n, a), scalars(F(alpha), F(scale), F(input_scale)));
  });
}
EMBER_API ember_status ember_celu(ember_tensor a, double alpha, ember_tensor* out) {
  return capi::make("celu", out, [&](const char* n) {
    return ops::math_unary(U::Celu, In(n, a), scalars(F(alpha)));
  });
}
EMBER_API ember_status ember_celu_(ember_tensor a, double alpha) {
  return capi::guard(
      "celu_", [&](const char* n) { ops::math_unary_(U::Celu, In(n, a), scalars(F(alpha))); });
}
EMBER_API ember_status ember_softplus(ember_tensor a, double beta, double threshold,
                                      ember_tensor* out) {
  return capi::make("softplus", out, [&](const char* n) {
    return ops::math_unary(U::Softplus, In(n, a), scalars(F(beta), F(threshold)));
  });
}
EMBER_API ember_status ember_hardtanh(ember_tensor a, double min_val, double max_val,
                                      ember_tensor* out) {
  return capi::make("hardtanh", out, [&](const char* n) {
    return ops::math_unary(U::Hardtanh, In(n, a), scalars(F(min_val), F(max_val)));
  });
}
EMBER_API ember_status ember_hardtanh_(ember_tensor a, double min_val, double max_val) {
  return capi::guard("hardtanh_", [&](const char* n) {
    ops::math_unary_(U::Hardtanh, In(n, a), scalars(F(min_val), F(max_val)));
  });
}
EMBER_API ember_status ember_threshold(ember_tensor a, double threshold, double value,
                                       ember_tensor* out) {
  return capi::make("threshold", out, [&](const char* n) {
    return ops::math_unary(U::Threshold, In(n, a), scalars(F(threshold), F(value)));
  });
}
EMBER_API ember_status ember_threshold_(ember_tensor a, double threshold, double value) {
  return capi::guard("threshold_", [&](const char* n) {
    ops::math_unary_(U::Threshold, In(n, a), scalars(F(threshold), F(value)));
  });
}
EMBER_API ember_status ember_pow_scalar(ember_tensor a, ember_scalar exponent, ember_tensor* out) {
  return capi::make("pow_scalar", out, [&](const char* n) {
    return ops::math_unary(U::PowScalar, In(n, a), scalars(capi::scalar_arg(n, exponent)));
  });
}
EMBER_API ember_status ember_pow_scalar_(ember_tensor a, ember_scalar exponent) {
  return capi::guard("pow_scalar_", [&](const char* n) {
    ops::math_unary_(U::PowScalar, In(n, a), scalars(capi::scalar_arg(n, exponent)));
  });
}
EMBER_API ember_status ember_gelu(ember_tensor a, int32_t approximate, ember_tensor* out) {
  return unary(approximate ? U::GeluTanh : U::Gelu, a, {}, out);
}
EMBER_API ember_status ember_nan_to_num(ember_tensor a, double nan, const double* posinf,
                                        const double* neginf, ember_tensor* out) {
  return unary(U::NanToNum, a, nan_to_num_params(nan, posinf, neginf), out);
}
EMBER_API ember_status ember_nan_to_num_(ember_tensor a, double nan, const double* posinf,
                                         const double* neginf) {
  return unary_(U::NanToNum, a, nan_to_num_params(nan, posinf, neginf));
}
EMBER_API ember_status ember_clamp(ember_tensor a, const ember_scalar* min, const ember_scalar* max,
                                   ember_tensor* out) {
  return capi::make("clamp", out, [&](const char* n) {
    return ops::math_unary(U::Clamp, In(n, a), clamp_params(n, min, max));
  });
}
EMBER_API ember_status ember_clamp_(ember_tensor a, const ember_scalar* min,
                                    const ember_scalar* max) {
  return capi::guard("clamp_", [&](const char* n) {
    ops::math_unary_(U::Clamp, In(n, a), clamp_params(n, min, max));
  });
}
EMBER_API ember_status ember_clamp_tensor(ember_tensor a, ember_tensor min, ember_tensor max,
                                          ember_tensor* out) {
  return capi::make("clamp", out, [&](const char* n) {
    return ops::clamp_tensor(In(n, a), optional_in(min), optional_in(max));
  });
}
EMBER_API ember_status ember_clamp_tensor_(ember_tensor a, ember_tensor min, ember_tensor max) {
  return capi::guard("clamp_", [&](const char* n) {
    ops::clamp_tensor_(In(n, a), optional_in(min), optional_in(max));
  });
}

// ---- binary math ----
EMBER_BINARY(pow, Pow)
EMBER_API ember_status ember_pow_rscalar(ember_scalar base, ember_tensor a, ember_tensor* out) {
  return capi::make("pow", out, [&](const char* n) {
    return ops::math_binary_scalar(MathBinaryOp::Pow, In(n, a), capi::scalar_arg(n, base), true);
  });
}
EMBER_BINARY(atan2, Atan2)
EMBER_BINARY_OUT(maximum, Maximum)
EMBER_BINARY_OUT(minimum, Minimum)
EMBER_BINARY(fmod, Fmod)
EMBER_BINARY_SCALAR(fmod, Fmod)
EMBER_BINARY(remainder, Remainder)
EMBER_BINARY_SCALAR(remainder, Remainder)

// ---- ternary ----
EMBER_API ember_status ember_where(ember_tensor cond, ember_tensor a, ember_tensor b,
                                   ember_tensor* out) {
  return capi::make("where", out,
                    [&](const char* n) { return ops::where(In(n, cond), In(n, a), In(n, b)); });
}
EMBER_API ember_status ember_lerp(ember_tensor a, ember_tensor end, ember_tensor weight,
                                  ember_tensor* out) {
  return capi::make("lerp", out,
                    [&](const char* n) { return ops::lerp(In(n, a), In(n, end), In(n, weight)); });
}
EMBER_API ember_status ember_lerp_(ember_tensor a, ember_tensor end, ember_tensor weight) {
  return capi::guard("lerp_",
                     [&](const char* n) { ops::lerp_(In(n, a), In(n, end), In(n, weight)); });
}
EMBER_API ember_status ember_lerp_scalar(ember_tensor a, ember_tensor end, double weight,
                                         ember_tensor* out) {
  return capi::make("lerp", out, [&](const char* n) {
    const In x(n, a);
    return ops::lerp(x, In(n, end), ops::full({}, F(weight), x->dtype(), x->device()));
  });
}
EMBER_API ember_status ember_lerp_scalar_(ember_tensor a, ember_tensor end, double weight) {
  return capi::guard("lerp_", [&](const char* n) {
    const In x(n, a);
    ops::lerp_(x, In(n, end), ops::full({}, F(weight), x->dtype(), x->device()));
  });
}
EMBER_ADDC(addcmul)
EMBER_ADDC(addcdiv)

// ---- logic and bitwise ----
EMBER_BINARY(logical_and, LogicalAnd)
EMBER_BINARY(logical_or, LogicalOr)
EMBER_BINARY(logical_xor, LogicalXor)
EMBER_BINARY(bitwise_and, BitwiseAnd)
EMBER_BINARY(bitwise_or, BitwiseOr)
EMBER_BINARY(bitwise_xor, BitwiseXor)
EMBER_BINARY(bitwise_left_shift, LeftShift)
EMBER_BINARY(bitwise_right_shift, RightShift)
EMBER_BINARY_SCALAR_OUT(bitwise_and, BitwiseAnd)
EMBER_BINARY_SCALAR_OUT(bitwise_or, BitwiseOr)
EMBER_BINARY_SCALAR_OUT(bitwise_xor, BitwiseXor)
EMBER_BINARY_SCALAR_OUT(bitwise_left_shift, LeftShift)
EMBER_BINARY_SCALAR_OUT(bitwise_right_shift, RightShift)
EMBER_API ember_status ember_isclose(ember_tensor a, ember_tensor b, double rtol, double atol,
                                     int32_t equal_nan, ember_tensor* out) {
  return capi::make("isclose", out, [&](const char* n) {
    return ops::isclose(In(n, a), In(n, b), rtol, atol, equal_nan != 0);
  });
}
EMBER_API ember_status ember_allclose(ember_tensor a, ember_tensor b, double rtol, double atol,
                                      int32_t equal_nan, int32_t* out) {
  return capi::get("allclose", out, [&](const char* n) -> int32_t {
    return ops::allclose(In(n, a), In(n, b), rtol, atol, equal_nan != 0) ? 1 : 0;
  });
}
EMBER_API ember_status ember_equal(ember_tensor a, ember_tensor b, int32_t* out) {
  return capi::get("equal", out, [&](const char* n) -> int32_t {
    return ops::equal(In(n, a), In(n, b)) ? 1 : 0;
  });
}

// ---- reductions ----
#define EMBER_DIMS_REDUCTION(NAME)                                                        \
  EMBER_API ember_status ember_##NAME(ember_tensor a, const int32_t* dims, int32_t ndims, \
                                      int32_t keepdim, ember_tensor* out) {               \
    return capi::make(#NAME, out, [&](const char* n) {                                    \
      return ops::NAME(In(n, a), capi::dims_arg(n, dims, ndims), keepdim != 0);           \
    });                                                                                   \
  }
EMBER_DIMS_REDUCTION(prod)
EMBER_DIMS_REDUCTION(amax)
EMBER_DIMS_REDUCTION(amin)
EMBER_DIMS_REDUCTION(all)
EMBER_DIMS_REDUCTION(any)
EMBER_DIMS_REDUCTION(logsumexp)
#undef EMBER_DIMS_REDUCTION

EMBER_API ember_status ember_count_nonzero(ember_tensor a, const int32_t* dims, int32_t ndims,
                                           ember_tensor* out) {
  return capi::make("count_nonzero", out, [&](const char* n) {
    return ops::count_nonzero(In(n, a), capi::dims_arg(n, dims, ndims));
  });
}
EMBER_API ember_status ember_var(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 double correction, int32_t keepdim, ember_tensor* out) {
  return capi::make("var", out, [&](const char* n) {
    return ops::var(In(n, a), capi::dims_arg(n, dims, ndims), correction, keepdim != 0);
  });
}
EMBER_API ember_status ember_std(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 double correction, int32_t keepdim, ember_tensor* out) {
  return capi::make("std", out, [&](const char* n) {
    return ops::std(In(n, a), capi::dims_arg(n, dims, ndims), correction, keepdim != 0);
  });
}
EMBER_API ember_status ember_var_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                      double correction, int32_t keepdim, ember_tensor* var_out,
                                      ember_tensor* mean_out) {
  return make2("var_mean", var_out, mean_out, [&](const char* n) {
    return ops::var_mean(In(n, a), capi::dims_arg(n, dims, ndims), correction, keepdim != 0);
  });
}
EMBER_API ember_status ember_std_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                      double correction, int32_t keepdim, ember_tensor* std_out,
                                      ember_tensor* mean_out) {
  return make2("std_mean", std_out, mean_out, [&](const char* n) {
    return ops::std_mean(In(n, a), capi::dims_arg(n, dims, ndims), correction, keepdim != 0);
  });
}
EMBER_API ember_status ember_norm(ember_tensor a, double p, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out) {
  return capi::make("norm", out, [&](const char* n) {
    return ops::norm(In(n, a), p, capi::dims_arg(n, dims, ndims), keepdim != 0);
  });
}
EMBER_API ember_status ember_min_dim(ember_tensor a, int32_t dim, int32_t keepdim,
                                     ember_tensor* values_out, ember_tensor* indices_out) {
  return make2("min", values_out, indices_out,
               [&](const char* n) { return ops::min_dim(In(n, a), dim, keepdim != 0); });
}
EMBER_API ember_status ember_argmin(ember_tensor a, int32_t dim, int32_t keepdim,
                                    ember_tensor* out) {
  return capi::make("argmin", out,
                    [&](const char* n) { return ops::argmin(In(n, a), dim, keepdim != 0); });
}
EMBER_API ember_status ember_cumsum(ember_tensor a, int32_t dim, int32_t dtype, ember_tensor* out) {
  return capi::make("cumsum", out, [&](const char* n) {
    return ops::cumsum(In(n, a), dim, optional_dtype(n, dtype));
  });
}
EMBER_API ember_status ember_cumprod(ember_tensor a, int32_t dim, int32_t dtype,
                                     ember_tensor* out) {
  return capi::make("cumprod", out, [&](const char* n) {
    return ops::cumprod(In(n, a), dim, optional_dtype(n, dtype));
  });
}
EMBER_API ember_status ember_cummax(ember_tensor a, int32_t dim, ember_tensor* values_out,
                                    ember_tensor* indices_out) {
  return make2("cummax", values_out, indices_out,
               [&](const char* n) { return ops::cummax(In(n, a), dim); });
}
EMBER_API ember_status ember_cummin(ember_tensor a, int32_t dim, ember_tensor* values_out,
                                    ember_tensor* indices_out) {
  return make2("cummin", values_out, indices_out,
               [&](const char* n) { return ops::cummin(In(n, a), dim); });
}
EMBER_API ember_status ember_median(ember_tensor a, ember_tensor* out) {
  return capi::make("median", out, [&](const char* n) { return ops::median(In(n, a)); });
}
EMBER_API ember_status ember_median_dim(ember_tensor a, int32_t dim, int32_t keepdim,
                                        ember_tensor* values_out, ember_tensor* indices_out) {
  return make2("median", values_out, indices_out,
               [&](const char* n) { return ops::median_dim(In(n, a), dim, keepdim != 0); });
}
EMBER_API ember_status ember_mode(ember_tensor a, int32_t dim, int32_t keepdim,
                                  ember_tensor* values_out, ember_tensor* indices_out) {
  return make2("mode", values_out, indices_out,
               [&](const char* n) { return ops::mode(In(n, a), dim, keepdim != 0); });
}

// ---- random ----
EMBER_API ember_status ember_randint(int64_t low, int64_t high, const int64_t* sizes, int32_t ndim,
                                     int32_t dtype, ember_device device, ember_generator gen,
                                     ember_tensor* out) {
  return capi::make("randint", out, [&](const char* n) {
    return ops::randint(low, high, capi::sizes_arg(n, sizes, ndim), capi::dtype_arg(n, dtype),
                        capi::device_arg(n, device), capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_randperm(int64_t n, int32_t dtype, ember_device device,
                                      ember_generator gen, ember_tensor* out) {
  return capi::make("randperm", out, [&](const char* op) {
    return ops::randperm(n, capi::dtype_arg(op, dtype), capi::device_arg(op, device),
                         capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_bernoulli(ember_tensor p, ember_generator gen, ember_tensor* out) {
  return capi::make("bernoulli", out, [&](const char* n) {
    return ops::bernoulli(In(n, p), capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_bernoulli_(ember_tensor t, double p, ember_generator gen) {
  return capi::guard(
      "bernoulli_", [&](const char* n) { ops::bernoulli_(In(n, t), p, capi::generator_arg(gen)); });
}
EMBER_API ember_status ember_multinomial(ember_tensor probs, int64_t n, int32_t replacement,
                                         ember_generator gen, ember_tensor* out) {
  return capi::make("multinomial", out, [&](const char* op) {
    return ops::multinomial(In(op, probs), n, replacement != 0, capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_normal(ember_tensor mean, ember_tensor std, ember_generator gen,
                                    ember_tensor* out) {
  return capi::make("normal", out, [&](const char* n) {
    return ops::normal(In(n, mean), In(n, std), capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_uniform_(ember_tensor t, double from, double to, ember_generator gen) {
  return capi::guard("uniform_", [&](const char* n) {
    ops::uniform_(In(n, t), from, to, capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_normal_(ember_tensor t, double mean, double std, ember_generator gen) {
  return capi::guard("normal_", [&](const char* n) {
    ops::normal_(In(n, t), mean, std, capi::generator_arg(gen));
  });
}
EMBER_API ember_status ember_exponential_(ember_tensor t, double lambd, ember_generator gen) {
  return capi::guard("exponential_", [&](const char* n) {
    ops::exponential_(In(n, t), lambd, capi::generator_arg(gen));
  });
}

}  // extern "C"

#undef EMBER_UNARY_OUT
#undef EMBER_UNARY
#undef EMBER_BINARY_OUT
#undef EMBER_BINARY
#undef EMBER_BINARY_SCALAR_OUT
#undef EMBER_BINARY_SCALAR
#undef EMBER_ADDC
