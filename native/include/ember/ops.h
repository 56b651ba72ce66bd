/* Ember C ABI: math on tensors. Binary ops broadcast and promote types as PyTorch does.
 * A name ending in '_' works in place on its first argument. */
#ifndef EMBER_OPS_H
#define EMBER_OPS_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arithmetic ---- */
EMBER_API ember_status ember_add(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_sub(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_mul(ember_tensor a, ember_tensor b, ember_tensor* out);
/* True division: integer inputs give the default float dtype. */
EMBER_API ember_status ember_div(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_add_(ember_tensor a, ember_tensor b);
EMBER_API ember_status ember_sub_(ember_tensor a, ember_tensor b);
EMBER_API ember_status ember_mul_(ember_tensor a, ember_tensor b);
EMBER_API ember_status ember_div_(ember_tensor a, ember_tensor b);

EMBER_API ember_status ember_add_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_sub_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_mul_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_div_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* b - a and b / a, for a scalar on the left. */
EMBER_API ember_status ember_rsub_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_rdiv_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_add_scalar_(ember_tensor a, ember_scalar b);
EMBER_API ember_status ember_sub_scalar_(ember_tensor a, ember_scalar b);
EMBER_API ember_status ember_mul_scalar_(ember_tensor a, ember_scalar b);
EMBER_API ember_status ember_div_scalar_(ember_tensor a, ember_scalar b);

/* ---- unary ---- */
EMBER_API ember_status ember_neg(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_exp(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_log(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_neg_(ember_tensor a);
EMBER_API ember_status ember_exp_(ember_tensor a);
EMBER_API ember_status ember_log_(ember_tensor a);

/* ---- reductions ---- */
/* dims == NULL with ndims == 0 reduces over all elements. Integer and bool inputs sum to int64. */
EMBER_API ember_status ember_sum(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 int32_t keepdim, ember_tensor* out);
/* Floating inputs only, as in PyTorch. */
EMBER_API ember_status ember_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out);

/* ---- unary math (integer inputs of the floating functions give float32) ---- */
/* torch.abs(a): |a|; integers keep their dtype. */
EMBER_API ember_status ember_abs(ember_tensor a, ember_tensor* out);
/* torch.abs_(a): in place. */
EMBER_API ember_status ember_abs_(ember_tensor a);
/* torch.sign(a): -1, 0 or 1 (0 for NaN). */
EMBER_API ember_status ember_sign(ember_tensor a, ember_tensor* out);
/* torch.sign_(a): in place. */
EMBER_API ember_status ember_sign_(ember_tensor a);
/* torch.square(a): a * a. */
EMBER_API ember_status ember_square(ember_tensor a, ember_tensor* out);
/* torch.square_(a): in place. */
EMBER_API ember_status ember_square_(ember_tensor a);
/* torch.floor(a): rounds down; integers are returned unchanged. */
EMBER_API ember_status ember_floor(ember_tensor a, ember_tensor* out);
/* torch.floor_(a): in place. */
EMBER_API ember_status ember_floor_(ember_tensor a);
/* torch.ceil(a): rounds up. */
EMBER_API ember_status ember_ceil(ember_tensor a, ember_tensor* out);
/* torch.ceil_(a): in place. */
EMBER_API ember_status ember_ceil_(ember_tensor a);
/* torch.trunc(a): rounds toward zero. */
EMBER_API ember_status ember_trunc(ember_tensor a, ember_tensor* out);
/* torch.trunc_(a): in place. */
EMBER_API ember_status ember_trunc_(ember_tensor a);
/* torch.round(a): rounds half to even. */
EMBER_API ember_status ember_round(ember_tensor a, ember_tensor* out);
/* torch.round_(a): in place. */
EMBER_API ember_status ember_round_(ember_tensor a);
/* torch.frac(a): a - trunc(a), floating only. */
EMBER_API ember_status ember_frac(ember_tensor a, ember_tensor* out);
/* torch.frac_(a): in place. */
EMBER_API ember_status ember_frac_(ember_tensor a);
/* torch.reciprocal(a): 1 / a. */
EMBER_API ember_status ember_reciprocal(ember_tensor a, ember_tensor* out);
/* torch.reciprocal_(a): in place. */
EMBER_API ember_status ember_reciprocal_(ember_tensor a);
/* torch.exp2(a): 2^a. */
EMBER_API ember_status ember_exp2(ember_tensor a, ember_tensor* out);
/* torch.exp2_(a): in place. */
EMBER_API ember_status ember_exp2_(ember_tensor a);
/* torch.expm1(a): e^a - 1. */
EMBER_API ember_status ember_expm1(ember_tensor a, ember_tensor* out);
/* torch.expm1_(a): in place. */
EMBER_API ember_status ember_expm1_(ember_tensor a);
/* torch.log2(a): base-2 logarithm. */
EMBER_API ember_status ember_log2(ember_tensor a, ember_tensor* out);
/* torch.log2_(a): in place. */
EMBER_API ember_status ember_log2_(ember_tensor a);
/* torch.log10(a): base-10 logarithm. */
EMBER_API ember_status ember_log10(ember_tensor a, ember_tensor* out);
/* torch.log10_(a): in place. */
EMBER_API ember_status ember_log10_(ember_tensor a);
/* torch.log1p(a): log(1 + a). */
EMBER_API ember_status ember_log1p(ember_tensor a, ember_tensor* out);
/* torch.log1p_(a): in place. */
EMBER_API ember_status ember_log1p_(ember_tensor a);
/* torch.sqrt(a): square root. */
EMBER_API ember_status ember_sqrt(ember_tensor a, ember_tensor* out);
/* torch.sqrt_(a): in place. */
EMBER_API ember_status ember_sqrt_(ember_tensor a);
/* torch.rsqrt(a): 1 / sqrt(a). */
EMBER_API ember_status ember_rsqrt(ember_tensor a, ember_tensor* out);
/* torch.rsqrt_(a): in place. */
EMBER_API ember_status ember_rsqrt_(ember_tensor a);
/* torch.sin(a): sine. */
EMBER_API ember_status ember_sin(ember_tensor a, ember_tensor* out);
/* torch.sin_(a): in place. */
EMBER_API ember_status ember_sin_(ember_tensor a);
/* torch.cos(a): cosine. */
EMBER_API ember_status ember_cos(ember_tensor a, ember_tensor* out);
/* torch.cos_(a): in place. */
EMBER_API ember_status ember_cos_(ember_tensor a);
/* torch.tan(a): tangent. */
EMBER_API ember_status ember_tan(ember_tensor a, ember_tensor* out);
/* torch.tan_(a): in place. */
EMBER_API ember_status ember_tan_(ember_tensor a);
/* torch.asin(a): arcsine. */
EMBER_API ember_status ember_asin(ember_tensor a, ember_tensor* out);
/* torch.asin_(a): in place. */
EMBER_API ember_status ember_asin_(ember_tensor a);
/* torch.acos(a): arccosine. */
EMBER_API ember_status ember_acos(ember_tensor a, ember_tensor* out);
/* torch.acos_(a): in place. */
EMBER_API ember_status ember_acos_(ember_tensor a);
/* torch.atan(a): arctangent. */
EMBER_API ember_status ember_atan(ember_tensor a, ember_tensor* out);
/* torch.atan_(a): in place. */
EMBER_API ember_status ember_atan_(ember_tensor a);
/* torch.sinh(a): hyperbolic sine. */
EMBER_API ember_status ember_sinh(ember_tensor a, ember_tensor* out);
/* torch.sinh_(a): in place. */
EMBER_API ember_status ember_sinh_(ember_tensor a);
/* torch.cosh(a): hyperbolic cosine. */
EMBER_API ember_status ember_cosh(ember_tensor a, ember_tensor* out);
/* torch.cosh_(a): in place. */
EMBER_API ember_status ember_cosh_(ember_tensor a);
/* torch.tanh(a): hyperbolic tangent. */
EMBER_API ember_status ember_tanh(ember_tensor a, ember_tensor* out);
/* torch.tanh_(a): in place. */
EMBER_API ember_status ember_tanh_(ember_tensor a);
/* torch.erf(a): error function. */
EMBER_API ember_status ember_erf(ember_tensor a, ember_tensor* out);
/* torch.erf_(a): in place. */
EMBER_API ember_status ember_erf_(ember_tensor a);
/* torch.erfc(a): complementary error function. */
EMBER_API ember_status ember_erfc(ember_tensor a, ember_tensor* out);
/* torch.erfc_(a): in place. */
EMBER_API ember_status ember_erfc_(ember_tensor a);
/* torch.erfinv(a): inverse error function. */
EMBER_API ember_status ember_erfinv(ember_tensor a, ember_tensor* out);
/* torch.erfinv_(a): in place. */
EMBER_API ember_status ember_erfinv_(ember_tensor a);
/* torch.sigmoid(a): 1 / (1 + e^-a). */
EMBER_API ember_status ember_sigmoid(ember_tensor a, ember_tensor* out);
/* torch.sigmoid_(a): in place. */
EMBER_API ember_status ember_sigmoid_(ember_tensor a);
/* torch.relu6(a): min(max(a, 0), 6). */
EMBER_API ember_status ember_relu6(ember_tensor a, ember_tensor* out);
/* torch.relu6_(a): in place. */
EMBER_API ember_status ember_relu6_(ember_tensor a);
/* torch.selu(a): scale * elu(a, alpha) with SELU's constants. */
EMBER_API ember_status ember_selu(ember_tensor a, ember_tensor* out);
/* torch.selu_(a): in place. */
EMBER_API ember_status ember_selu_(ember_tensor a);
/* torch.silu(a): a * sigmoid(a). */
EMBER_API ember_status ember_silu(ember_tensor a, ember_tensor* out);
/* torch.silu_(a): in place. */
EMBER_API ember_status ember_silu_(ember_tensor a);
/* torch.mish(a): a * tanh(softplus(a)). */
EMBER_API ember_status ember_mish(ember_tensor a, ember_tensor* out);
/* torch.mish_(a): in place. */
EMBER_API ember_status ember_mish_(ember_tensor a);
/* torch.hardsigmoid(a): min(max(a + 3, 0), 6) / 6. */
EMBER_API ember_status ember_hardsigmoid(ember_tensor a, ember_tensor* out);
/* torch.hardsigmoid_(a): in place. */
EMBER_API ember_status ember_hardsigmoid_(ember_tensor a);
/* torch.hardswish(a): a * hardsigmoid(a). */
EMBER_API ember_status ember_hardswish(ember_tensor a, ember_tensor* out);
/* torch.hardswish_(a): in place. */
EMBER_API ember_status ember_hardswish_(ember_tensor a);
/* torch.logical_not(a): a == 0 as bool. */
EMBER_API ember_status ember_logical_not(ember_tensor a, ember_tensor* out);
/* torch.logical_not_(a): in place. */
EMBER_API ember_status ember_logical_not_(ember_tensor a);
/* torch.bitwise_not(a): ~a (integers), !a (bool). */
EMBER_API ember_status ember_bitwise_not(ember_tensor a, ember_tensor* out);
/* torch.bitwise_not_(a): in place. */
EMBER_API ember_status ember_bitwise_not_(ember_tensor a);
/* torch.softsign(a): a / (1 + |a|). */
EMBER_API ember_status ember_softsign(ember_tensor a, ember_tensor* out);
/* torch.logsigmoid(a): log(sigmoid(a)). */
EMBER_API ember_status ember_logsigmoid(ember_tensor a, ember_tensor* out);
/* torch.tanhshrink(a): a - tanh(a). */
EMBER_API ember_status ember_tanhshrink(ember_tensor a, ember_tensor* out);
/* torch.isnan(a): a != a as bool. */
EMBER_API ember_status ember_isnan(ember_tensor a, ember_tensor* out);
/* torch.isinf(a): |a| == inf as bool. */
EMBER_API ember_status ember_isinf(ember_tensor a, ember_tensor* out);
/* torch.isposinf(a): a == +inf as bool. */
EMBER_API ember_status ember_isposinf(ember_tensor a, ember_tensor* out);
/* torch.isneginf(a): a == -inf as bool. */
EMBER_API ember_status ember_isneginf(ember_tensor a, ember_tensor* out);
/* torch.isfinite(a): not NaN and not infinite, as bool. */
EMBER_API ember_status ember_isfinite(ember_tensor a, ember_tensor* out);
/* ---- parametrised unary ops and activations ---- */
/* torch.round(a, decimals=decimals): halves to even at that decimal place. */
EMBER_API ember_status ember_round_decimals(ember_tensor a, int32_t decimals, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_round_decimals_(ember_tensor a, int32_t decimals);
/* F.leaky_relu(a, negative_slope). */
EMBER_API ember_status ember_leaky_relu(ember_tensor a, double negative_slope, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_leaky_relu_(ember_tensor a, double negative_slope);
/* F.elu / aten.elu(a, alpha, scale, input_scale): a > 0 ? scale * a : scale * alpha * (e^(a *
 * input_scale) - 1). */
EMBER_API ember_status ember_elu(ember_tensor a, double alpha, double scale, double input_scale,
                                 ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_elu_(ember_tensor a, double alpha, double scale, double input_scale);
/* F.celu(a, alpha). */
EMBER_API ember_status ember_celu(ember_tensor a, double alpha, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_celu_(ember_tensor a, double alpha);
/* F.softplus(a, beta, threshold): log(1 + e^(beta a)) / beta, a where beta a > threshold. */
EMBER_API ember_status ember_softplus(ember_tensor a, double beta, double threshold,
                                      ember_tensor* out);
/* F.hardtanh(a, min_val, max_val). */
EMBER_API ember_status ember_hardtanh(ember_tensor a, double min_val, double max_val,
                                      ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_hardtanh_(ember_tensor a, double min_val, double max_val);
/* F.threshold(a, threshold, value): value where a <= threshold, else a. */
EMBER_API ember_status ember_threshold(ember_tensor a, double threshold, double value,
                                       ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_threshold_(ember_tensor a, double threshold, double value);
/* torch.pow(a, exponent) with a number exponent. */
EMBER_API ember_status ember_pow_scalar(ember_tensor a, ember_scalar exponent, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_pow_scalar_(ember_tensor a, ember_scalar exponent);
/* F.gelu(a, approximate): approximate 0 is the exact erf form, 1 the tanh approximation. */
EMBER_API ember_status ember_gelu(ember_tensor a, int32_t approximate, ember_tensor* out);
/* torch.nan_to_num(a, nan, posinf, neginf): posinf / neginf NULL mean the dtype's largest / lowest
 * finite value. */
EMBER_API ember_status ember_nan_to_num(ember_tensor a, double nan, const double* posinf,
                                        const double* neginf, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_nan_to_num_(ember_tensor a, double nan, const double* posinf,
                                         const double* neginf);
/* torch.clamp(a, min, max) with numbers; either may be NULL (not both). The result dtype follows
 * promotion with the bounds (an int tensor clamped by 0.5 gives float32). */
EMBER_API ember_status ember_clamp(ember_tensor a, const ember_scalar* min, const ember_scalar* max,
                                   ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_clamp_(ember_tensor a, const ember_scalar* min,
                                    const ember_scalar* max);
/* torch.clamp(a, min, max) with tensor bounds (broadcast); either may be NULL (not both). */
EMBER_API ember_status ember_clamp_tensor(ember_tensor a, ember_tensor min, ember_tensor max,
                                          ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_clamp_tensor_(ember_tensor a, ember_tensor min, ember_tensor max);

/* ---- binary math (broadcasting and promotion as PyTorch) ---- */
/* torch.pow(a, b). Integer bases with negative integer exponents are an error. */
EMBER_API ember_status ember_pow(ember_tensor a, ember_tensor b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_pow_(ember_tensor a, ember_tensor b);
/* torch.pow(base, a) with a number base. */
EMBER_API ember_status ember_pow_rscalar(ember_scalar base, ember_tensor a, ember_tensor* out);
/* torch.atan2(a, b): the angle of (b, a); integers give float32. */
EMBER_API ember_status ember_atan2(ember_tensor a, ember_tensor b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_atan2_(ember_tensor a, ember_tensor b);
/* torch.maximum(a, b): NaN propagates. */
EMBER_API ember_status ember_maximum(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.minimum(a, b): NaN propagates. */
EMBER_API ember_status ember_minimum(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.fmod(a, b): the remainder with a's sign. Integer division by zero is an error. */
EMBER_API ember_status ember_fmod(ember_tensor a, ember_tensor b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_fmod_(ember_tensor a, ember_tensor b);
/* torch.fmod(a, b) with a number b. */
EMBER_API ember_status ember_fmod_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_fmod_scalar_(ember_tensor a, ember_scalar b);
/* torch.remainder(a, b): the remainder with b's sign (Python's %). */
EMBER_API ember_status ember_remainder(ember_tensor a, ember_tensor b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_remainder_(ember_tensor a, ember_tensor b);
/* torch.remainder(a, b) with a number b. */
EMBER_API ember_status ember_remainder_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_remainder_scalar_(ember_tensor a, ember_scalar b);

/* ---- ternary ---- */
/* torch.where(cond, a, b): a where cond (bool) is true, else b; all three broadcast. */
EMBER_API ember_status ember_where(ember_tensor cond, ember_tensor a, ember_tensor b,
                                   ember_tensor* out);
/* torch.lerp(a, end, weight): a + weight * (end - a), floating tensors of one dtype. */
EMBER_API ember_status ember_lerp(ember_tensor a, ember_tensor end, ember_tensor weight,
                                  ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_lerp_(ember_tensor a, ember_tensor end, ember_tensor weight);
/* torch.lerp(a, end, weight) with a number weight. */
EMBER_API ember_status ember_lerp_scalar(ember_tensor a, ember_tensor end, double weight,
                                         ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_lerp_scalar_(ember_tensor a, ember_tensor end, double weight);
/* torch.addcmul(a, t1, t2, value=value): a + value * t1 * t2. */
EMBER_API ember_status ember_addcmul(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                     ember_scalar value, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_addcmul_(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                      ember_scalar value);
/* torch.addcdiv(a, t1, t2, value=value): a + value * t1 / t2 (floating only). */
EMBER_API ember_status ember_addcdiv(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                     ember_scalar value, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_addcdiv_(ember_tensor a, ember_tensor t1, ember_tensor t2,
                                      ember_scalar value);

/* ---- logic (bool results) and bitwise ops (integer and bool tensors) ---- */
/* torch.logical_and(a, b). */
EMBER_API ember_status ember_logical_and(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.logical_or(a, b). */
EMBER_API ember_status ember_logical_or(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.logical_xor(a, b). */
EMBER_API ember_status ember_logical_xor(ember_tensor a, ember_tensor b, ember_tensor* out);
/* In place: a takes the bool result cast to its dtype. */
EMBER_API ember_status ember_logical_and_(ember_tensor a, ember_tensor b);
/* In place. */
EMBER_API ember_status ember_logical_or_(ember_tensor a, ember_tensor b);
/* In place. */
EMBER_API ember_status ember_logical_xor_(ember_tensor a, ember_tensor b);
/* torch.bitwise_and(a, b). */
EMBER_API ember_status ember_bitwise_and(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.bitwise_or(a, b). */
EMBER_API ember_status ember_bitwise_or(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.bitwise_xor(a, b). */
EMBER_API ember_status ember_bitwise_xor(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.bitwise_left_shift(a, b): 0 for shifts < 0 or >= the bit width. */
EMBER_API ember_status ember_bitwise_left_shift(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.bitwise_right_shift(a, b): arithmetic for signed types. */
EMBER_API ember_status ember_bitwise_right_shift(ember_tensor a, ember_tensor b, ember_tensor* out);
/* In place. */
EMBER_API ember_status ember_bitwise_and_(ember_tensor a, ember_tensor b);
/* In place. */
EMBER_API ember_status ember_bitwise_or_(ember_tensor a, ember_tensor b);
/* In place. */
EMBER_API ember_status ember_bitwise_xor_(ember_tensor a, ember_tensor b);
/* In place. */
EMBER_API ember_status ember_bitwise_left_shift_(ember_tensor a, ember_tensor b);
/* In place. */
EMBER_API ember_status ember_bitwise_right_shift_(ember_tensor a, ember_tensor b);
/* The bitwise ops with a number b. */
EMBER_API ember_status ember_bitwise_and_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* With a number. */
EMBER_API ember_status ember_bitwise_or_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* With a number. */
EMBER_API ember_status ember_bitwise_xor_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* With a number. */
EMBER_API ember_status ember_bitwise_left_shift_scalar(ember_tensor a, ember_scalar b,
                                                       ember_tensor* out);
/* With a number. */
EMBER_API ember_status ember_bitwise_right_shift_scalar(ember_tensor a, ember_scalar b,
                                                        ember_tensor* out);
/* torch.isclose(a, b, rtol, atol, equal_nan): |a - b| <= atol + rtol |b| (same dtype). */
EMBER_API ember_status ember_isclose(ember_tensor a, ember_tensor b, double rtol, double atol,
                                     int32_t equal_nan, ember_tensor* out);
/* torch.allclose: *out = 1 when isclose holds everywhere. */
EMBER_API ember_status ember_allclose(ember_tensor a, ember_tensor b, double rtol, double atol,
                                      int32_t equal_nan, int32_t* out);
/* torch.equal: *out = 1 when a and b have the same shape and values. */
EMBER_API ember_status ember_equal(ember_tensor a, ember_tensor b, int32_t* out);

/* ---- more reductions (dims == NULL with ndims == 0 reduces over all elements) ---- */
/* torch.prod; integers and bool multiply in int64. */
EMBER_API ember_status ember_prod(ember_tensor a, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out);
/* torch.amax: NaN propagates; reducing an empty dim is an error. */
EMBER_API ember_status ember_amax(ember_tensor a, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out);
/* torch.amin. */
EMBER_API ember_status ember_amin(ember_tensor a, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out);
/* torch.all: bool (uint8 for uint8 input). */
EMBER_API ember_status ember_all(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 int32_t keepdim, ember_tensor* out);
/* torch.any. */
EMBER_API ember_status ember_any(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 int32_t keepdim, ember_tensor* out);
/* torch.count_nonzero: int64. */
EMBER_API ember_status ember_count_nonzero(ember_tensor a, const int32_t* dims, int32_t ndims,
                                           ember_tensor* out);
/* torch.var(a, dims, correction=correction, keepdim): floating only. */
EMBER_API ember_status ember_var(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 double correction, int32_t keepdim, ember_tensor* out);
/* torch.std. */
EMBER_API ember_status ember_std(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 double correction, int32_t keepdim, ember_tensor* out);
/* torch.var_mean: both results. */
EMBER_API ember_status ember_var_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                      double correction, int32_t keepdim, ember_tensor* var_out,
                                      ember_tensor* mean_out);
/* torch.std_mean. */
EMBER_API ember_status ember_std_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                      double correction, int32_t keepdim, ember_tensor* std_out,
                                      ember_tensor* mean_out);
/* torch.linalg.vector_norm(a, p, dims, keepdim); p may be +-INFINITY, 0 counts nonzeros. */
EMBER_API ember_status ember_norm(ember_tensor a, double p, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out);
/* torch.logsumexp; integers give float32. */
EMBER_API ember_status ember_logsumexp(ember_tensor a, const int32_t* dims, int32_t ndims,
                                       int32_t keepdim, ember_tensor* out);
/* torch.min(a, dim, keepdim): the minima and the int64 index of the first one. */
EMBER_API ember_status ember_min_dim(ember_tensor a, int32_t dim, int32_t keepdim,
                                     ember_tensor* values_out, ember_tensor* indices_out);
/* torch.argmin(a, dim, keepdim). */
EMBER_API ember_status ember_argmin(ember_tensor a, int32_t dim, int32_t keepdim,
                                    ember_tensor* out);
/* torch.cumsum(a, dim, dtype): dtype -1 for the default (int64 for integer and bool inputs). */
EMBER_API ember_status ember_cumsum(ember_tensor a, int32_t dim, int32_t dtype, ember_tensor* out);
/* torch.cumprod(a, dim, dtype). */
EMBER_API ember_status ember_cumprod(ember_tensor a, int32_t dim, int32_t dtype, ember_tensor* out);
/* torch.cummax(a, dim): running maxima and the index of the last one so far. */
EMBER_API ember_status ember_cummax(ember_tensor a, int32_t dim, ember_tensor* values_out,
                                    ember_tensor* indices_out);
/* torch.cummin(a, dim). */
EMBER_API ember_status ember_cummin(ember_tensor a, int32_t dim, ember_tensor* values_out,
                                    ember_tensor* indices_out);
/* torch.median(a): the lower median of all elements (NaN if any is NaN). */
EMBER_API ember_status ember_median(ember_tensor a, ember_tensor* out);
/* torch.median(a, dim, keepdim): values and indices. */
EMBER_API ember_status ember_median_dim(ember_tensor a, int32_t dim, int32_t keepdim,
                                        ember_tensor* values_out, ember_tensor* indices_out);
/* torch.mode(a, dim, keepdim): the most frequent value (smallest on ties) and its last index. */
EMBER_API ember_status ember_mode(ember_tensor a, int32_t dim, int32_t keepdim,
                                  ember_tensor* values_out, ember_tensor* indices_out);

/* ---- random (gen may be NULL for the default generator; results do not depend on threads) ---- */
/* torch.randint(low, high, sizes, dtype). */
EMBER_API ember_status ember_randint(int64_t low, int64_t high, const int64_t* sizes, int32_t ndim,
                                     int32_t dtype, ember_device device, ember_generator gen,
                                     ember_tensor* out);
/* torch.randperm(n, dtype). */
EMBER_API ember_status ember_randperm(int64_t n, int32_t dtype, ember_device device,
                                      ember_generator gen, ember_tensor* out);
/* torch.bernoulli(p): 1 with probability p[i], in p's dtype. */
EMBER_API ember_status ember_bernoulli(ember_tensor p, ember_generator gen, ember_tensor* out);
/* Tensor.bernoulli_(p): every element 1 with probability p, any dtype. */
EMBER_API ember_status ember_bernoulli_(ember_tensor t, double p, ember_generator gen);
/* torch.multinomial(probs, n, replacement): int64 category indices per row of probs. */
EMBER_API ember_status ember_multinomial(ember_tensor probs, int64_t n, int32_t replacement,
                                         ember_generator gen, ember_tensor* out);
/* torch.normal(mean, std) with tensors (broadcast). */
EMBER_API ember_status ember_normal(ember_tensor mean, ember_tensor std, ember_generator gen,
                                    ember_tensor* out);
/* Tensor.uniform_(from, to). */
EMBER_API ember_status ember_uniform_(ember_tensor t, double from, double to, ember_generator gen);
/* Tensor.normal_(mean, std). */
EMBER_API ember_status ember_normal_(ember_tensor t, double mean, double std, ember_generator gen);
/* Tensor.exponential_(lambd). */
EMBER_API ember_status ember_exponential_(ember_tensor t, double lambd, ember_generator gen);

/* ---- linear algebra ---- */
/* torch.matmul: 1-d/2-d/batched, with broadcasting of the batch dims. */
EMBER_API ember_status ember_matmul(ember_tensor a, ember_tensor b, ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_OPS_H */
