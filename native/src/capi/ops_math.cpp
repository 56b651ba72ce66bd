// C ABI: the math, activation, logic, reduction and random ops of ember/ops.h beyond the core set.
#include "core/ops_math.h"

#include <cmath>
#include <optional>

#include "core/ops.h"
#include "ember/ops.h"
#include "shim.h"

using namespace ember;
using capi::In;
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

ember_tensor hand_out(Tensor t) { return reinterpret_cast<ember_tensor>(t.release_ownership()); }

// A tensor handle that may be NULL (an optional operand), borrowed for one call.
Tensor optional_in(ember_tensor h) {
  return h ? Tensor::share(reinterpret_cast<TensorImpl*>(h)) : Tensor();
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

extern "C" {

// ---- unary math and activations ----
EMBER_API ember_status ember_abs(ember_tensor a, ember_tensor* out) {
  return unary(U::Abs, a, {}, out);
}
EMBER_API ember_status ember_abs_(ember_tensor a) { return unary_(U::Abs, a, {}); }
EMBER_API ember_status ember_sign(ember_tensor a, ember_tensor* out) {
  return unary(U::Sign, a, {}, out);
}
EMBER_API ember_status ember_sign_(ember_tensor a) { return unary_(U::Sign, a, {}); }
EMBER_API ember_status ember_square(ember_tensor a, ember_tensor* out) {
  return unary(U::Square, a, {}, out);
}
EMBER_API ember_status ember_square_(ember_tensor a) { return unary_(U::Square, a, {}); }
EMBER_API ember_status ember_floor(ember_tensor a, ember_tensor* out) {
  return unary(U::Floor, a, {}, out);
}
EMBER_API ember_status ember_floor_(ember_tensor a) { return unary_(U::Floor, a, {}); }
EMBER_API ember_status ember_ceil(ember_tensor a, ember_tensor* out) {
  return unary(U::Ceil, a, {}, out);
}
EMBER_API ember_status ember_ceil_(ember_tensor a) { return unary_(U::Ceil, a, {}); }
EMBER_API ember_status ember_trunc(ember_tensor a, ember_tensor* out) {
  return unary(U::Trunc, a, {}, out);
}
EMBER_API ember_status ember_trunc_(ember_tensor a) { return unary_(U::Trunc, a, {}); }
EMBER_API ember_status ember_round(ember_tensor a, ember_tensor* out) {
  return unary(U::Round, a, {}, out);
}
EMBER_API ember_status ember_round_(ember_tensor a) { return unary_(U::Round, a, {}); }
EMBER_API ember_status ember_frac(ember_tensor a, ember_tensor* out) {
  return unary(U::Frac, a, {}, out);
}
EMBER_API ember_status ember_frac_(ember_tensor a) { return unary_(U::Frac, a, {}); }
EMBER_API ember_status ember_reciprocal(ember_tensor a, ember_tensor* out) {
  return unary(U::Reciprocal, a, {}, out);
}
EMBER_API ember_status ember_reciprocal_(ember_tensor a) { return unary_(U::Reciprocal, a, {}); }
EMBER_API ember_status ember_exp2(ember_tensor a, ember_tensor* out) {
  return unary(U::Exp2, a, {}, out);
}
EMBER_API ember_status ember_exp2_(ember_tensor a) { return unary_(U::Exp2, a, {}); }
EMBER_API ember_status ember_expm1(ember_tensor a, ember_tensor* out) {
  return unary(U::Expm1, a, {}, out);
}
EMBER_API ember_status ember_expm1_(ember_tensor a) { return unary_(U::Expm1, a, {}); }
EMBER_API ember_status ember_log2(ember_tensor a, ember_tensor* out) {
  return unary(U::Log2, a, {}, out);
}
EMBER_API ember_status ember_log2_(ember_tensor a) { return unary_(U::Log2, a, {}); }
EMBER_API ember_status ember_log10(ember_tensor a, ember_tensor* out) {
  return unary(U::Log10, a, {}, out);
}
EMBER_API ember_status ember_log10_(ember_tensor a) { return unary_(U::Log10, a, {}); }
EMBER_API ember_status ember_log1p(ember_tensor a, ember_tensor* out) {
  return unary(U::Log1p, a, {}, out);
}
EMBER_API ember_status ember_log1p_(ember_tensor a) { return unary_(U::Log1p, a, {}); }
EMBER_API ember_status ember_sqrt(ember_tensor a, ember_tensor* out) {
  return unary(U::Sqrt, a, {}, out);
}
EMBER_API ember_status ember_sqrt_(ember_tensor a) { return unary_(U::Sqrt, a, {}); }
EMBER_API ember_status ember_rsqrt(ember_tensor a, ember_tensor* out) {
  return unary(U::Rsqrt, a, {}, out);
}
EMBER_API ember_status ember_rsqrt_(ember_tensor a) { return unary_(U::Rsqrt, a, {}); }
EMBER_API ember_status ember_sin(ember_tensor a, ember_tensor* out) {
  return unary(U::Sin, a, {}, out);
}
EMBER_API ember_status ember_sin_(ember_tensor a) { return unary_(U::Sin, a, {}); }
EMBER_API ember_status ember_cos(ember_tensor a, ember_tensor* out) {
  return unary(U::Cos, a, {}, out);
}
EMBER_API ember_status ember_cos_(ember_tensor a) { return unary_(U::Cos, a, {}); }
EMBER_API ember_status ember_tan(ember_tensor a, ember_tensor* out) {
  return unary(U::Tan, a, {}, out);
}
EMBER_API ember_status ember_tan_(ember_tensor a) { return unary_(U::Tan, a, {}); }
EMBER_API ember_status ember_asin(ember_tensor a, ember_tensor* out) {
  return unary(U::Asin, a, {}, out);
}
EMBER_API ember_status ember_asin_(ember_tensor a) { return unary_(U::Asin, a, {}); }
EMBER_API ember_status ember_acos(ember_tensor a, ember_tensor* out) {
  return unary(U::Acos, a, {}, out);
}
EMBER_API ember_status ember_acos_(ember_tensor a) { return unary_(U::Acos, a, {}); }
EMBER_API ember_status ember_atan(ember_tensor a, ember_tensor* out) {
  return unary(U::Atan, a, {}, out);
}
EMBER_API ember_status ember_atan_(ember_tensor a) { return unary_(U::Atan, a, {}); }
EMBER_API ember_status ember_sinh(ember_tensor a, ember_tensor* out) {
  return unary(U::Sinh, a, {}, out);
}
EMBER_API ember_status ember_sinh_(ember_tensor a) { return unary_(U::Sinh, a, {}); }
EMBER_API ember_status ember_cosh(ember_tensor a, ember_tensor* out) {
  return unary(U::Cosh, a, {}, out);
}
EMBER_API ember_status ember_cosh_(ember_tensor a) { return unary_(U::Cosh, a, {}); }
EMBER_API ember_status ember_tanh(ember_tensor a, ember_tensor* out) {
  return unary(U::Tanh, a, {}, out);
}
EMBER_API ember_status ember_tanh_(ember_tensor a) { return unary_(U::Tanh, a, {}); }
EMBER_API ember_status ember_erf(ember_tensor a, ember_tensor* out) {
  return unary(U::Erf, a, {}, out);
}
EMBER_API ember_status ember_erf_(ember_tensor a) { return unary_(U::Erf, a, {}); }
EMBER_API ember_status ember_erfc(ember_tensor a, ember_tensor* out) {
  return unary(U::Erfc, a, {}, out);
}
EMBER_API ember_status ember_erfc_(ember_tensor a) { return unary_(U::Erfc, a, {}); }
EMBER_API ember_status ember_erfinv(ember_tensor a, ember_tensor* out) {
  return unary(U::Erfinv, a, {}, out);
}
EMBER_API ember_status ember_erfinv_(ember_tensor a) { return unary_(U::Erfinv, a, {}); }
EMBER_API ember_status ember_sigmoid(ember_tensor a, ember_tensor* out) {
  return unary(U::Sigmoid, a, {}, out);
}
EMBER_API ember_status ember_sigmoid_(ember_tensor a) { return unary_(U::Sigmoid, a, {}); }
EMBER_API ember_status ember_relu6(ember_tensor a, ember_tensor* out) {
  return unary(U::Relu6, a, {}, out);
}
EMBER_API ember_status ember_relu6_(ember_tensor a) { return unary_(U::Relu6, a, {}); }
EMBER_API ember_status ember_selu(ember_tensor a, ember_tensor* out) {
  return unary(U::Selu, a, {}, out);
}
EMBER_API ember_status ember_selu_(ember_tensor a) { return unary_(U::Selu, a, {}); }
EMBER_API ember_status ember_silu(ember_tensor a, ember_tensor* out) {
  return unary(U::Silu, a, {}, out);
}
EMBER_API ember_status ember_silu_(ember_tensor a) { return unary_(U::Silu, a, {}); }
EMBER_API ember_status ember_mish(ember_tensor a, ember_tensor* out) {
  return unary(U::Mish, a, {}, out);
}
EMBER_API ember_status ember_mish_(ember_tensor a) { return unary_(U::Mish, a, {}); }
EMBER_API ember_status ember_hardsigmoid(ember_tensor a, ember_tensor* out) {
  return unary(U::Hardsigmoid, a, {}, out);
}
EMBER_API ember_status ember_hardsigmoid_(ember_tensor a) { return unary_(U::Hardsigmoid, a, {}); }
EMBER_API ember_status ember_hardswish(ember_tensor a, ember_tensor* out) {
  return unary(U::Hardswish, a, {}, out);
}
EMBER_API ember_status ember_hardswish_(ember_tensor a) { return unary_(U::Hardswish, a, {}); }
EMBER_API ember_status ember_logical_not(ember_tensor a, ember_tensor* out) {
  return unary(U::LogicalNot, a, {}, out);
}
EMBER_API ember_status ember_logical_not_(ember_tensor a) { return unary_(U::LogicalNot, a, {}); }
EMBER_API ember_status ember_bitwise_not(ember_tensor a, ember_tensor* out) {
  return unary(U::BitwiseNot, a, {}, out);
}
EMBER_API ember_status ember_bitwise_not_(ember_tensor a) { return unary_(U::BitwiseNot, a, {}); }
EMBER_API ember_status ember_softsign(ember_tensor a, ember_tensor* out) {
  return unary(U::Softsign, a, {}, out);
}
EMBER_API ember_status ember_logsigmoid(ember_tensor a, ember_tensor* out) {
  return unary(U::LogSigmoid, a, {}, out);
}
EMBER_API ember_status ember_tanhshrink(ember_tensor a, ember_tensor* out) {
  return unary(U::Tanhshrink, a, {}, out);
}
EMBER_API ember_status ember_isnan(ember_tensor a, ember_tensor* out) {
  return unary(U::IsNan, a, {}, out);
}
EMBER_API ember_status ember_isinf(ember_tensor a, ember_tensor* out) {
  return unary(U::IsInf, a, {}, out);
}
EMBER_API ember_status ember_isposinf(ember_tensor a, ember_tensor* out) {
  return unary(U::IsPosInf, a, {}, out);
}
EMBER_API ember_status ember_isneginf(ember_tensor a, ember_tensor* out) {
  return unary(U::IsNegInf, a, {}, out);
}
EMBER_API ember_status ember_isfinite(ember_tensor a, ember_tensor* out) {
  return unary(U::IsFinite, a, {}, out);
}
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
EMBER_API ember_status ember_pow(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("pow", MathBinaryOp::Pow, a, b, out);
}
EMBER_API ember_status ember_pow_(ember_tensor a, ember_tensor b) {
  return binary_("pow_", MathBinaryOp::Pow, a, b);
}
EMBER_API ember_status ember_pow_rscalar(ember_scalar base, ember_tensor a, ember_tensor* out) {
  return capi::make("pow", out, [&](const char* n) {
    return ops::math_binary_scalar(MathBinaryOp::Pow, In(n, a), capi::scalar_arg(n, base), true);
  });
}
EMBER_API ember_status ember_atan2(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("atan2", MathBinaryOp::Atan2, a, b, out);
}
EMBER_API ember_status ember_atan2_(ember_tensor a, ember_tensor b) {
  return binary_("atan2_", MathBinaryOp::Atan2, a, b);
}
EMBER_API ember_status ember_maximum(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("maximum", MathBinaryOp::Maximum, a, b, out);
}
EMBER_API ember_status ember_minimum(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("minimum", MathBinaryOp::Minimum, a, b, out);
}
EMBER_API ember_status ember_fmod(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("fmod", MathBinaryOp::Fmod, a, b, out);
}
EMBER_API ember_status ember_fmod_(ember_tensor a, ember_tensor b) {
  return binary_("fmod_", MathBinaryOp::Fmod, a, b);
}
EMBER_API ember_status ember_fmod_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("fmod", MathBinaryOp::Fmod, a, b, out);
}
EMBER_API ember_status ember_fmod_scalar_(ember_tensor a, ember_scalar b) {
  return binary_scalar_("fmod_", MathBinaryOp::Fmod, a, b);
}
EMBER_API ember_status ember_remainder(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("remainder", MathBinaryOp::Remainder, a, b, out);
}
EMBER_API ember_status ember_remainder_(ember_tensor a, ember_tensor b) {
  return binary_("remainder_", MathBinaryOp::Remainder, a, b);
}
EMBER_API ember_status ember_remainder_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("remainder", MathBinaryOp::Remainder, a, b, out);
}
EMBER_API ember_status ember_remainder_scalar_(ember_tensor a, ember_scalar b) {
  return binary_scalar_("remainder_", MathBinaryOp::Remainder, a, b);
}

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
EMBER_API ember_status ember_addcmul(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                     ember_scalar value, ember_tensor* out) {
  return capi::make("addcmul", out, [&](const char* n) {
    return ops::addcmul(In(n, a), In(n, t1), In(n, t2), capi::scalar_arg(n, value));
  });
}
EMBER_API ember_status ember_addcmul_(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                      ember_scalar value) {
  return capi::guard("addcmul_", [&](const char* n) {
    ops::addcmul_(In(n, a), In(n, t1), In(n, t2), capi::scalar_arg(n, value));
  });
}
EMBER_API ember_status ember_addcdiv(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                     ember_scalar value, ember_tensor* out) {
  return capi::make("addcdiv", out, [&](const char* n) {
    return ops::addcdiv(In(n, a), In(n, t1), In(n, t2), capi::scalar_arg(n, value));
  });
}
EMBER_API ember_status ember_addcdiv_(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                      ember_scalar value) {
  return capi::guard("addcdiv_", [&](const char* n) {
    ops::addcdiv_(In(n, a), In(n, t1), In(n, t2), capi::scalar_arg(n, value));
  });
}

// ---- logic and bitwise ----
EMBER_API ember_status ember_logical_and(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("logical_and", MathBinaryOp::LogicalAnd, a, b, out);
}
EMBER_API ember_status ember_logical_or(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("logical_or", MathBinaryOp::LogicalOr, a, b, out);
}
EMBER_API ember_status ember_logical_xor(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("logical_xor", MathBinaryOp::LogicalXor, a, b, out);
}
EMBER_API ember_status ember_logical_and_(ember_tensor a, ember_tensor b) {
  return binary_("logical_and_", MathBinaryOp::LogicalAnd, a, b);
}
EMBER_API ember_status ember_logical_or_(ember_tensor a, ember_tensor b) {
  return binary_("logical_or_", MathBinaryOp::LogicalOr, a, b);
}
EMBER_API ember_status ember_logical_xor_(ember_tensor a, ember_tensor b) {
  return binary_("logical_xor_", MathBinaryOp::LogicalXor, a, b);
}
EMBER_API ember_status ember_bitwise_and(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("bitwise_and", MathBinaryOp::BitwiseAnd, a, b, out);
}
EMBER_API ember_status ember_bitwise_or(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("bitwise_or", MathBinaryOp::BitwiseOr, a, b, out);
}
EMBER_API ember_status ember_bitwise_xor(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("bitwise_xor", MathBinaryOp::BitwiseXor, a, b, out);
}
EMBER_API ember_status ember_bitwise_left_shift(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("bitwise_left_shift", MathBinaryOp::LeftShift, a, b, out);
}
EMBER_API ember_status ember_bitwise_right_shift(ember_tensor a, ember_tensor b,
                                                 ember_tensor* out) {
  return binary("bitwise_right_shift", MathBinaryOp::RightShift, a, b, out);
}
EMBER_API ember_status ember_bitwise_and_(ember_tensor a, ember_tensor b) {
  return binary_("bitwise_and_", MathBinaryOp::BitwiseAnd, a, b);
}
EMBER_API ember_status ember_bitwise_or_(ember_tensor a, ember_tensor b) {
  return binary_("bitwise_or_", MathBinaryOp::BitwiseOr, a, b);
}
EMBER_API ember_status ember_bitwise_xor_(ember_tensor a, ember_tensor b) {
  return binary_("bitwise_xor_", MathBinaryOp::BitwiseXor, a, b);
}
EMBER_API ember_status ember_bitwise_left_shift_(ember_tensor a, ember_tensor b) {
  return binary_("bitwise_left_shift_", MathBinaryOp::LeftShift, a, b);
}
EMBER_API ember_status ember_bitwise_right_shift_(ember_tensor a, ember_tensor b) {
  return binary_("bitwise_right_shift_", MathBinaryOp::RightShift, a, b);
}
EMBER_API ember_status ember_bitwise_and_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("bitwise_and", MathBinaryOp::BitwiseAnd, a, b, out);
}
EMBER_API ember_status ember_bitwise_or_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("bitwise_or", MathBinaryOp::BitwiseOr, a, b, out);
}
EMBER_API ember_status ember_bitwise_xor_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("bitwise_xor", MathBinaryOp::BitwiseXor, a, b, out);
}
EMBER_API ember_status ember_bitwise_left_shift_scalar(ember_tensor a, ember_scalar b,
                                                       ember_tensor* out) {
  return binary_scalar("bitwise_left_shift", MathBinaryOp::LeftShift, a, b, out);
}
EMBER_API ember_status ember_bitwise_right_shift_scalar(ember_tensor a, ember_scalar b,
                                                        ember_tensor* out) {
  return binary_scalar("bitwise_right_shift", MathBinaryOp::RightShift, a, b, out);
}
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
