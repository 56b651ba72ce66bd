// The engine's math, activation, logic, reduction and random ops beyond the core set in ops.h
// (the C ABI's ember/ops.h). Each runs its meta function here in core (dtypes, broadcasting,
// in-place checks), then the kernel the dispatch table holds for the inputs' device.
// Errors throw ember::Error naming the op, the shapes and the dtypes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "generator.h"
#include "scalar.h"
#include "tensor.h"

namespace ember::ops {

// ---- unary elementwise ----
// Integer and bool inputs of the "float" ops compute in the default float dtype; the "keep" ops
// keep the input's dtype; activations take floating inputs only.
enum class MathUnaryOp : int32_t {
  // keep the dtype
  Abs,
  Sign,
  Square,
  Floor,
  Ceil,
  Trunc,
  Round,
  RoundDecimals,
  Frac,
  Threshold,
  NanToNum,
  Hardtanh,
  Relu6,
  // keep the dtype, promoted with the bounds
  Clamp,
  // float results
  Reciprocal,
  Exp2,
  Expm1,
  Log2,
  Log10,
  Log1p,
  Sqrt,
  Rsqrt,
  Sin,
  Cos,
  Tan,
  Asin,
  Acos,
  Atan,
  Sinh,
  Cosh,
  Tanh,
  Erf,
  Erfc,
  Erfinv,
  Sigmoid,
  // activations (floating only)
  LeakyRelu,
  Elu,
  Selu,
  Celu,
  Gelu,
  GeluTanh,
  Silu,
  Mish,
  Softplus,
  Softsign,
  LogSigmoid,
  Hardsigmoid,
  Hardswish,
  Tanhshrink,
  // x ** p with a number p (the result dtype follows promotion with p)
  PowScalar,
  // bool results
  IsNan,
  IsInf,
  IsPosInf,
  IsNegInf,
  IsFinite,
  LogicalNot,
  // integer and bool only
  BitwiseNot,
};

// Parameters of the parametrised unary ops (unused ones are ignored):
//   RoundDecimals: p[0] decimals; Clamp: p[0] min, p[1] max (has[i] false: no bound);
//   Threshold: p[0] threshold, p[1] value; NanToNum: p[0] nan, p[1] posinf, p[2] neginf (has[i]
//   false: the dtype's largest / lowest finite value); LeakyRelu: p[0] slope; Elu: p[0] alpha,
//   p[1] scale, p[2] input scale; Celu: p[0] alpha; Hardtanh: p[0] min, p[1] max; Softplus: p[0]
//   beta, p[1] threshold; PowScalar: p[0] exponent.
struct MathParams {
  std::array<Scalar, 3> p{};
  std::array<bool, 3> has{true, true, true};
};

Tensor math_unary(MathUnaryOp op, const Tensor& a, const MathParams& params = {});
void math_unary_(MathUnaryOp op, const Tensor& a, const MathParams& params = {});  // bumps version
// The name of the op as PyTorch spells it ("abs", "leaky_relu"; in_place adds '_').
const char* math_unary_name(MathUnaryOp op, bool in_place);

// ---- binary elementwise (broadcasting and promotion as PyTorch) ----
enum class MathBinaryOp : int32_t {
  Atan2,
  Pow,
  Maximum,
  Minimum,
  Fmod,
  Remainder,
  LogicalAnd,
  LogicalOr,
  LogicalXor,
  BitwiseAnd,
  BitwiseOr,
  BitwiseXor,
  LeftShift,
  RightShift,
  // bool result; params p[0] rtol, p[1] atol, p[2] equal_nan
  IsClose,
};
Tensor math_binary(MathBinaryOp op, const Tensor& a, const Tensor& b);
void math_binary_(MathBinaryOp op, const Tensor& a, const Tensor& b);
// a (op) s, or s (op) a when reversed, with a Python number s.
Tensor math_binary_scalar(MathBinaryOp op, const Tensor& a, Scalar s, bool reversed = false);
void math_binary_scalar_(MathBinaryOp op, const Tensor& a, Scalar s);

// ---- ternary elementwise ----
enum class MathTernaryOp : int32_t { Where, Lerp, Addcmul, Addcdiv, Clamp };
// where(cond, a, b); lerp(a, end, weight); addcmul/addcdiv(a, t1, t2, value); clamp(a, lo, hi).
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor lerp(const Tensor& a, const Tensor& end, const Tensor& weight);
void lerp_(const Tensor& a, const Tensor& end, const Tensor& weight);
Tensor addcmul(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value);
void addcmul_(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value);
Tensor addcdiv(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value);
void addcdiv_(const Tensor& a, const Tensor& t1, const Tensor& t2, Scalar value);
// Either bound may be null (but not both).
Tensor clamp_tensor(const Tensor& a, const Tensor& lo, const Tensor& hi);
void clamp_tensor_(const Tensor& a, const Tensor& lo, const Tensor& hi);
// |a - b| <= atol + rtol * |b| elementwise (NaNs equal when equal_nan).
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
// Same shape and same values (torch.equal).
bool equal(const Tensor& a, const Tensor& b);

// ---- reductions (empty dims = all) ----
Tensor prod(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
Tensor amax(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
Tensor amin(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
Tensor all(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
Tensor any(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
Tensor count_nonzero(const Tensor& a, std::span<const int64_t> dims);
Tensor var(const Tensor& a, std::span<const int64_t> dims, double correction, bool keepdim);
Tensor std(const Tensor& a, std::span<const int64_t> dims, double correction, bool keepdim);
// (var, mean) and (std, mean).
std::pair<Tensor, Tensor> var_mean(const Tensor& a, std::span<const int64_t> dims,
                                   double correction, bool keepdim);
std::pair<Tensor, Tensor> std_mean(const Tensor& a, std::span<const int64_t> dims,
                                   double correction, bool keepdim);
// The p-norm over dims (p may be +-inf; 0 counts nonzeros).
Tensor norm(const Tensor& a, double p, std::span<const int64_t> dims, bool keepdim);
Tensor logsumexp(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
// (values, int64 indices) of the first minimum / maximum along dim; argmin.
std::pair<Tensor, Tensor> min_dim(const Tensor& a, int64_t dim, bool keepdim);
Tensor argmin(const Tensor& a, int64_t dim, bool keepdim);

// ---- scans and order statistics along one dim ----
enum class ScanOp : int32_t { Sum, Prod, Max, Min };
// cumsum / cumprod (dtype: the result dtype, or nullopt for the default: int64 for integers).
Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dtype);
Tensor cumprod(const Tensor& a, int64_t dim, std::optional<DType> dtype);
// cummax / cummin: (values, int64 indices of the last extreme so far).
std::pair<Tensor, Tensor> cummax(const Tensor& a, int64_t dim);
std::pair<Tensor, Tensor> cummin(const Tensor& a, int64_t dim);
// The lower median of all elements (0-d), and along dim with its index.
Tensor median(const Tensor& a);
std::pair<Tensor, Tensor> median_dim(const Tensor& a, int64_t dim, bool keepdim);
// The most frequent value along dim (the smallest on ties) and an index where it occurs.
std::pair<Tensor, Tensor> mode(const Tensor& a, int64_t dim, bool keepdim);

// ---- random ----
Tensor randint(int64_t low, int64_t high, const DimVector& sizes, DType dtype, Device device,
               Generator& gen);
Tensor randperm(int64_t n, DType dtype, Device device, Generator& gen);
// 1 with probability p[i], else 0, in p's dtype (p in [0, 1]).
Tensor bernoulli(const Tensor& p, Generator& gen);
void bernoulli_(const Tensor& t, double p, Generator& gen);
// Samples n category indices per row of probs (1-d or 2-d, non-negative weights).
Tensor multinomial(const Tensor& probs, int64_t n, bool replacement, Generator& gen);
// mean and std broadcast; the result has their promoted floating dtype.
Tensor normal(const Tensor& mean, const Tensor& std, Generator& gen);
void uniform_(const Tensor& t, double from, double to, Generator& gen);
void normal_(const Tensor& t, double mean, double std, Generator& gen);
void exponential_(const Tensor& t, double lambd, Generator& gen);

}  // namespace ember::ops
