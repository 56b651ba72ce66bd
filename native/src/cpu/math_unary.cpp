// CPU kernels of the unary math ops (math_unary_stub): one lambda per op through the iterator,
// computing in compute_t<T>; integers wrap around as in PyTorch.
#include <cmath>
#include <type_traits>

#include "cpu/math_fast.h"
#include "cpu/math_kernels.h"

namespace ember::cpu {

namespace {

using U = ops::MathUnaryOp;

template <class T>
using wide_unsigned_t = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;

// base ** e for integers by squaring, wrapping on overflow; e >= 0 (checked by the meta function).
template <class T>
T int_pow(T base, int64_t e) {
  using W = wide_unsigned_t<T>;
  W result = 1, b = static_cast<W>(base);
  for (uint64_t k = static_cast<uint64_t>(e); k != 0; k >>= 1) {
    if (k & 1) result = static_cast<W>(result * b);
    b = static_cast<W>(b * b);
  }
  return static_cast<T>(result);
}

// Clamp with optional bounds; NaN stays NaN.
template <class C>
inline C clamp_value(C x, C lo, C hi, bool has_lo, bool has_hi) {
  if constexpr (std::is_floating_point_v<C>) {
    if (x != x) return x;
  }
  if (has_lo && x < lo) x = lo;
  if (has_hi && x > hi) x = hi;
  return x;
}

template <class T>
void float_unary(DType dtype, U op, const TensorIterator& iter, const ops::MathParams& p) {
  using C = compute_t<T>;
  // The 16-bit floats reach here only for the ops that keep the dtype and the predicates.
  constexpr bool kWide = std::is_same_v<T, float> || std::is_same_v<T, double>;
  switch (op) {
    case U::Abs:
      return map_unary<T>(iter, [](C x) { return std::abs(x); });
    // sign(NaN) is 0, as in PyTorch.
    case U::Sign:
      return map_unary<T>(iter, [](C x) { return C((x > 0) - (x < 0)); });
    case U::Square:
      return map_unary<T>(iter, [](C x) { return x * x; });
    case U::Floor:
      return map_unary<T>(iter, [](C x) { return std::floor(x); });
    case U::Ceil:
      return map_unary<T>(iter, [](C x) { return std::ceil(x); });
    case U::Trunc:
      return map_unary<T>(iter, [](C x) { return std::trunc(x); });
    // Halves round to even, as PyTorch's nearbyint.
    case U::Round:
      return map_unary<T>(iter, [](C x) { return std::nearbyint(x); });
    case U::RoundDecimals: {
      const int64_t d = p.p[0].to<int64_t>();
      const C scale = static_cast<C>(std::pow(10.0, static_cast<double>(d < 0 ? -d : d)));
      if (d >= 0)
        return map_unary<T>(iter, [scale](C x) { return std::nearbyint(x * scale) / scale; });
      return map_unary<T>(iter, [scale](C x) { return std::nearbyint(x / scale) * scale; });
    }
    case U::Frac:
      return map_unary<T>(iter, [](C x) { return x - std::trunc(x); });
    case U::Clamp:
    case U::Hardtanh:
    case U::Relu6: {
      const bool relu6 = op == U::Relu6;
      const C lo = relu6 ? C(0) : scalar_as<C>(p.p[0]), hi = relu6 ? C(6) : scalar_as<C>(p.p[1]);
      const bool has_lo = relu6 || p.has[0], has_hi = relu6 || p.has[1];
      return map_unary<T>(iter, [=](C x) { return clamp_value(x, lo, hi, has_lo, has_hi); });
    }
    case U::Threshold: {
      const C th = scalar_as<C>(p.p[0]), v = scalar_as<C>(p.p[1]);
      return map_unary<T>(iter, [=](C x) { return x <= th ? v : x; });
    }
    case U::NanToNum: {
      const C nan = scalar_as<C>(p.p[0]);
      const C pos = p.has[1] ? scalar_as<C>(p.p[1]) : finite_max<T>();
      const C neg = p.has[2] ? scalar_as<C>(p.p[2]) : -finite_max<T>();
      return map_unary<T>(
          iter, [=](C x) { return x != x ? nan : (std::isinf(x) ? (x > 0 ? pos : neg) : x); });
    }
    case U::IsNan:
      return cpu_kernel(iter, [](T x) -> bool { return C(x) != C(x); });
    case U::IsInf:
      return cpu_kernel(iter, [](T x) -> bool { return std::isinf(C(x)); });
    case U::IsPosInf:
      return cpu_kernel(iter,
                        [](T x) -> bool { return C(x) == std::numeric_limits<C>::infinity(); });
    case U::IsNegInf:
      return cpu_kernel(iter,
                        [](T x) -> bool { return C(x) == -std::numeric_limits<C>::infinity(); });
    case U::IsFinite:
      return cpu_kernel(iter, [](T x) -> bool { return std::isfinite(C(x)); });
    case U::LogicalNot:
      return cpu_kernel(iter, [](T x) -> bool { return C(x) == C(0); });
    default:
      break;
  }
  if constexpr (kWide) {
    switch (op) {
      case U::Reciprocal:
        return map_unary<T>(iter, [](C x) { return C(1) / x; });
      case U::Exp2:
        return map_unary<T>(iter, [](C x) { return std::exp2(x); });
      case U::Expm1:
        return map_unary<T>(iter, [](C x) { return std::expm1(x); });
      case U::Log2:
        return map_unary<T>(iter, [](C x) { return std::log2(x); });
      case U::Log10:
        return map_unary<T>(iter, [](C x) { return std::log10(x); });
      case U::Log1p:
        return map_unary<T>(iter, [](C x) { return std::log1p(x); });
      case U::Sqrt:
        return map_unary<T>(iter, [](C x) { return std::sqrt(x); });
      case U::Rsqrt:
        return map_unary<T>(iter, [](C x) { return C(1) / std::sqrt(x); });
      case U::Sin:
        return map_unary<T>(iter, [](C x) { return std::sin(x); });
      case U::Cos:
        return map_unary<T>(iter, [](C x) { return std::cos(x); });
      case U::Tan:
        return map_unary<T>(iter, [](C x) { return std::tan(x); });
      case U::Asin:
        return map_unary<T>(iter, [](C x) { return std::asin(x); });
      case U::Acos:
        return map_unary<T>(iter, [](C x) { return std::acos(x); });
      case U::Atan:
        return map_unary<T>(iter, [](C x) { return std::atan(x); });
      case U::Sinh:
        return map_unary<T>(iter, [](C x) { return std::sinh(x); });
      case U::Cosh:
        return map_unary<T>(iter, [](C x) { return std::cosh(x); });
      case U::Tanh:
        return map_unary<T>(iter, [](C x) { return std::tanh(x); });
      case U::Erf:
        return map_unary<T>(iter, [](C x) { return std::erf(x); });
      case U::Erfc:
        return map_unary<T>(iter, [](C x) { return std::erfc(x); });
      case U::Erfinv:
        return map_unary<T>(iter, [](C x) { return erfinv(x); });
      case U::Sigmoid:
        return map_unary<T>(iter, [](C x) { return C(1) / (C(1) + fast_exp(-x)); });
      case U::PowScalar: {
        const C e = scalar_as<C>(p.p[0]);
        if (e == C(2)) return map_unary<T>(iter, [](C x) { return x * x; });
        if (e == C(0.5)) return map_unary<T>(iter, [](C x) { return std::sqrt(x); });
        return map_unary<T>(iter, [e](C x) { return std::pow(x, e); });
      }
      default:
        return activation_cpu(op, iter, dtype, p);
    }
  } else {
    EMBER_FAIL(EMBER_ERROR_INTERNAL, ops::math_unary_name(op, false),
               " kernel: ", dtype_name(dtype), " computes in float32");
  }
}

template <class T>
void int_unary(const char* dtype, U op, const TensorIterator& iter, const ops::MathParams& p) {
  using W = wide_unsigned_t<T>;
  switch (op) {
    case U::Abs:
      return cpu_kernel(
          iter, [](T x) -> T { return x < 0 ? static_cast<T>(W(0) - static_cast<W>(x)) : x; });
    case U::Sign:
      return cpu_kernel(iter, [](T x) -> T { return static_cast<T>((x > 0) - (x < 0)); });
    case U::Square:
      return cpu_kernel(
          iter, [](T x) -> T { return static_cast<T>(static_cast<W>(x) * static_cast<W>(x)); });
    case U::Floor:
    case U::Ceil:
    case U::Trunc:
    case U::Round:
    case U::NanToNum:
      return cpu_kernel(iter, [](T x) -> T { return x; });
    case U::Clamp:
    case U::Hardtanh:
    case U::Relu6: {
      const bool relu6 = op == U::Relu6;
      const T lo = relu6 ? T(0) : scalar_as<T>(p.p[0]), hi = relu6 ? T(6) : scalar_as<T>(p.p[1]);
      const bool has_lo = relu6 || p.has[0], has_hi = relu6 || p.has[1];
      return cpu_kernel(iter, [=](T x) -> T { return clamp_value(x, lo, hi, has_lo, has_hi); });
    }
    case U::Threshold: {
      const T th = scalar_as<T>(p.p[0]), v = scalar_as<T>(p.p[1]);
      return cpu_kernel(iter, [=](T x) -> T { return x <= th ? v : x; });
    }
    case U::PowScalar: {
      const int64_t e = p.p[0].to<int64_t>();
      return cpu_kernel(iter, [e](T x) -> T { return int_pow(x, e); });
    }
    case U::IsNan:
    case U::IsInf:
    case U::IsPosInf:
    case U::IsNegInf:
      return cpu_kernel(iter, [](T) -> bool { return false; });
    case U::IsFinite:
      return cpu_kernel(iter, [](T) -> bool { return true; });
    case U::LogicalNot:
      return cpu_kernel(iter, [](T x) -> bool { return x == 0; });
    case U::BitwiseNot:
      return cpu_kernel(iter, [](T x) -> T { return static_cast<T>(~x); });
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, ops::math_unary_name(op, false),
                 " kernel: not implemented for ", dtype);
  }
}

void bool_unary(U op, const TensorIterator& iter) {
  switch (op) {
    case U::Sign:
    case U::NanToNum:
      return cpu_kernel(iter, [](bool x) -> bool { return x; });
    case U::IsNan:
    case U::IsInf:
    case U::IsPosInf:
    case U::IsNegInf:
      return cpu_kernel(iter, [](bool) -> bool { return false; });
    case U::IsFinite:
      return cpu_kernel(iter, [](bool) -> bool { return true; });
    case U::LogicalNot:
    case U::BitwiseNot:
      return cpu_kernel(iter, [](bool x) -> bool { return !x; });
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, ops::math_unary_name(op, false),
                 " kernel: not implemented for bool");
  }
}

void math_unary_cpu(U op, const Tensor& out, const Tensor& a, const ops::MathParams& p) {
  const TensorIterator iter({out.get(), a.get()}, out->sizes());
  dispatch_dtype(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      bool_unary(op, iter);
    } else if constexpr (std::is_integral_v<T>) {
      int_unary<T>(dtype_name(a->dtype()), op, iter, p);
    } else {
      float_unary<T>(a->dtype(), op, iter, p);
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(math_unary_stub, DeviceType::CPU, math_unary_cpu);

}  // namespace ember::cpu
