// Math kernels: the unary math ops and activations, the binary ops (the integer bitwise and shift
// ops and isclose too) and the ternary ones (where, lerp, addcmul, addcdiv, clamp), with the
// semantics of the CPU kernels (cpu/math_unary.cpp, math_activation.cpp, math_binary.cpp). The op
// is a run-time switch inside one functor per dtype class: a warp takes one branch, and each dtype
// compiles a few kernels rather than a few per op.
#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "map.cuh"
#include "math.cuh"

namespace ember_cuda {

namespace {

using U = ember::ops::MathUnaryOp;
using B = ember::ops::MathBinaryOp;
using Tr = ember::ops::MathTernaryOp;
using ember::ops::MathParams;

// ---- numbers from the host, converted as the CPU's cpu/cast.h does ----

struct Number {
  double f;
  int64_t i;
  int32_t kind;  // ember_scalar_kind
};
Number number(const ember::Scalar& s) { return {s.f, s.i, static_cast<int32_t>(s.kind)}; }
Number number(const ember_scalar& s) { return {s.f, s.i, s.kind}; }

// A double to an integer type as x86-64 converts: toward zero; NaN and out-of-range values give
// the "indefinite" integer (INT64_MIN, or INT32_MIN whose low bits narrower types keep).
template <class I>
I float_to_int(double v) {
  if constexpr (sizeof(I) == 8) {
    if (v >= -0x1p63 && v < 0x1p63) return static_cast<I>(static_cast<int64_t>(v));
    return static_cast<I>(std::numeric_limits<int64_t>::min());
  } else {
    const int32_t w = v > -0x1p31 - 1 && v < 0x1p31 ? static_cast<int32_t>(v)
                                                    : std::numeric_limits<int32_t>::min();
    return static_cast<I>(w);
  }
}

// A number as C (a compute type: bool, an integer type, float or double).
template <class C>
C number_as(Number n) {
  const bool is_float = n.kind == EMBER_SCALAR_FLOAT;
  if constexpr (std::is_same_v<C, bool>) {
    return is_float ? n.f != 0 : n.i != 0;
  } else if constexpr (std::is_integral_v<C>) {
    if (is_float) return float_to_int<C>(n.f);
    return n.kind == EMBER_SCALAR_BOOL ? C(n.i != 0 ? 1 : 0) : static_cast<C>(n.i);
  } else {
    if (is_float) return static_cast<C>(n.f);
    return n.kind == EMBER_SCALAR_BOOL ? C(n.i != 0 ? 1 : 0) : static_cast<C>(n.i);
  }
}

// Scalar::to<int64_t>() and to<double>() of the engine.
int64_t to_int64(const ember::Scalar& s) {
  return s.kind == ember::Scalar::Kind::Float ? static_cast<int64_t>(s.f) : s.i;
}
double to_double(const ember::Scalar& s) {
  return s.kind == ember::Scalar::Kind::Float ? s.f : static_cast<double>(s.i);
}

// Integer arithmetic that wraps: in an unsigned type at least 32 bits wide.
template <class T>
using wide_unsigned_t = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;

// ---- device helpers ----

// base ** e for integers by squaring, wrapping on overflow; e >= 0.
template <class T>
__device__ __forceinline__ T int_pow(T base, uint64_t e) {
  using W = wide_unsigned_t<T>;
  W result = 1, b = static_cast<W>(base);
  for (; e != 0; e >>= 1) {
    if (e & 1) result = static_cast<W>(result * b);
    b = static_cast<W>(b * b);
  }
  return static_cast<T>(result);
}

// log(1 + exp(x)) without overflow.
template <class C>
__device__ __forceinline__ C softplus1(C x) {
  return x > C(20) ? x : fm::log1p(fm::exp(x));
}

// ---- unary ----

// The float ops that keep the dtype or compute in float, and the activations; x in C, the
// compute type. a, b, c hold the op's parameters and has_a, has_b the presence of clamp bounds.
template <class T>
struct FloatUnary {
  using C = acc_t<T>;
  U op;
  C a, b, c;
  bool has_a, has_b;

  __device__ T operator()(T xt) const { return static_cast<T>(apply(to_acc(xt))); }

  __device__ C apply(C x) const {
    switch (op) {
      case U::Abs:
        return fm::fabs(x);
      case U::Sign:  // sign(NaN) is 0, as in PyTorch
        return C((x > C(0)) - (x < C(0)));
      case U::Square:
        return x * x;
      case U::Floor:
        return fm::floor(x);
      case U::Ceil:
        return fm::ceil(x);
      case U::Trunc:
        return fm::trunc(x);
      case U::Round:  // halves to even
        return fm::nearbyint(x);
      case U::RoundDecimals:  // a: the power of ten, has_a: decimals >= 0
        return has_a ? fm::nearbyint(x * a) / a : fm::nearbyint(x / a) * a;
      case U::Frac:
        return x - fm::trunc(x);
      case U::Clamp:
      case U::Hardtanh:
      case U::Relu6:
        if (x != x) return x;
        if (has_a && x < a) x = a;
        if (has_b && x > b) x = b;
        return x;
      case U::Threshold:
        return x <= a ? b : x;
      case U::NanToNum:
        return x != x ? a : (is_inf(x) ? (x > C(0) ? b : c) : x);
      case U::Reciprocal:
        return C(1) / x;
      case U::Exp2:
        return fm::exp2(x);
      case U::Expm1:
        return fm::expm1(x);
      case U::Log2:
        return fm::log2(x);
      case U::Log10:
        return fm::log10(x);
      case U::Log1p:
        return fm::log1p(x);
      case U::Sqrt:
        return fm::sqrt(x);
      case U::Rsqrt:
        return C(1) / fm::sqrt(x);
      case U::Sin:
        return fm::sin(x);
      case U::Cos:
        return fm::cos(x);
      case U::Tan:
        return fm::tan(x);
      case U::Asin:
        return fm::asin(x);
      case U::Acos:
        return fm::acos(x);
      case U::Atan:
        return fm::atan(x);
      case U::Sinh:
        return fm::sinh(x);
      case U::Cosh:
        return fm::cosh(x);
      case U::Tanh:
        return fm::tanh(x);
      case U::Erf:
        return fm::erf(x);
      case U::Erfc:
        return fm::erfc(x);
      case U::Erfinv:  // +-1 give +-inf, outside [-1, 1] NaN
        return fm::erfinv(x);
      case U::Sigmoid:
        return C(1) / (C(1) + fm::exp(-x));
      case U::LeakyRelu:  // a: the slope
        return x > C(0) ? x : x * a;
      case U::Elu:  // a: alpha * scale, b: scale, c: input scale (selu and celu too)
      case U::Selu:
      case U::Celu:
        return x <= C(0) ? fm::expm1(x * c) * a : x * b;
      case U::Gelu:
        return x * C(0.5) * (C(1) + fm::erf(x * C(0.70710678118654752440)));
      case U::GeluTanh: {
        const C k = C(0.79788456080286535588);  // sqrt(2 / pi)
        return C(0.5) * x * (C(1) + fm::tanh(k * (x + C(0.044715) * x * x * x)));
      }
      case U::Silu:
        return x / (C(1) + fm::exp(-x));
      case U::Mish:
        return x * fm::tanh(softplus1(x));
      case U::Softplus:  // a: beta, b: threshold
        return x * a > b ? x : fm::log1p(fm::exp(x * a)) / a;
      case U::Softsign:
        return x / (C(1) + fm::fabs(x));
      case U::LogSigmoid:
        return (x < C(0) ? x : C(0)) - fm::log1p(fm::exp(-fm::fabs(x)));
      case U::Hardsigmoid: {
        const C r = x + C(3);
        return (r < C(0) ? C(0) : (r > C(6) ? C(6) : r)) / C(6);
      }
      case U::Hardswish: {
        const C r = x + C(3);
        return x * (r < C(0) ? C(0) : (r > C(6) ? C(6) : r)) / C(6);
      }
      case U::Tanhshrink:
        return x - fm::tanh(x);
      case U::PowScalar:  // a: the exponent
        if (a == C(2)) return x * x;
        if (a == C(0.5)) return fm::sqrt(x);
        return fm::pow(x, a);
      default:  // the host refuses every other op
        return x;
    }
  }
};

// SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

// Largest finite value of T (float16: 65504, bfloat16: 3.39e38) in its compute type.
template <class T>
acc_t<T> finite_max() {
  if constexpr (std::is_same_v<T, __half>)
    return 65504.0f;
  else if constexpr (std::is_same_v<T, __nv_bfloat16>)
    return 3.38953139e38f;
  else
    return std::numeric_limits<T>::max();
}

bool float_unary_op(U op) {
  return op != U::BitwiseNot && !(op >= U::IsNan && op <= U::LogicalNot);
}

template <class T>
FloatUnary<T> float_unary(U op, const MathParams& p) {
  using C = acc_t<T>;
  FloatUnary<T> f{op, C(0), C(0), C(0), true, true};
  switch (op) {
    case U::RoundDecimals: {
      const int64_t d = to_int64(p.p[0]);
      f.a = static_cast<C>(std::pow(10.0, static_cast<double>(d < 0 ? -d : d)));
      f.has_a = d >= 0;
      break;
    }
    case U::Clamp:
    case U::Hardtanh:
      f.a = number_as<C>(number(p.p[0]));
      f.b = number_as<C>(number(p.p[1]));
      f.has_a = p.has[0];
      f.has_b = p.has[1];
      break;
    case U::Relu6:
      f.a = C(0);
      f.b = C(6);
      break;
    case U::Threshold:
      f.a = number_as<C>(number(p.p[0]));
      f.b = number_as<C>(number(p.p[1]));
      break;
    case U::NanToNum:
      f.a = number_as<C>(number(p.p[0]));
      f.b = p.has[1] ? number_as<C>(number(p.p[1])) : finite_max<T>();
      f.c = p.has[2] ? number_as<C>(number(p.p[2])) : -finite_max<T>();
      break;
    case U::LeakyRelu:
      f.a = number_as<C>(number(p.p[0]));
      break;
    case U::Elu:
    case U::Selu:
    case U::Celu: {
      double alpha = to_double(p.p[0]), scale = 1, input_scale = 1;
      if (op == U::Elu) {
        scale = to_double(p.p[1]);
        input_scale = to_double(p.p[2]);
      } else if (op == U::Selu) {
        alpha = kSeluAlpha;
        scale = kSeluScale;
      } else {
        input_scale = 1.0 / alpha;
      }
      f.a = C(alpha * scale);
      f.b = C(scale);
      f.c = C(input_scale);
      break;
    }
    case U::Softplus:
      f.a = number_as<C>(number(p.p[0]));
      f.b = number_as<C>(number(p.p[1]));
      break;
    case U::PowScalar:
      f.a = number_as<C>(number(p.p[0]));
      break;
    default:
      break;
  }
  return f;
}

// The predicates (bool results) of any dtype.
template <class T>
struct Predicate {
  U op;
  __device__ bool operator()(T xt) const {
    using C = acc_t<T>;
    const C x = to_acc(xt);
    switch (op) {
      case U::IsNan:
        return is_nan(x);
      case U::IsInf:
        return is_inf(x);
      case U::IsPosInf:
        if constexpr (std::is_floating_point_v<C>)
          return x == C(INFINITY);
        else
          return false;
      case U::IsNegInf:
        if constexpr (std::is_floating_point_v<C>)
          return x == -C(INFINITY);
        else
          return false;
      case U::IsFinite:
        return !is_nan(x) && !is_inf(x);
      default:  // LogicalNot
        return x == C(0);
    }
  }
};

// Integer ops; they wrap around as in PyTorch.
template <class T>
struct IntUnary {
  using W = wide_unsigned_t<T>;
  U op;
  T lo, hi, th, v;
  bool has_lo, has_hi;
  uint64_t e;

  __device__ T operator()(T x) const {
    switch (op) {
      case U::Abs:
        if constexpr (std::is_signed_v<T>)
          return x < 0 ? static_cast<T>(W(0) - static_cast<W>(x)) : x;
        else
          return x;
      case U::Sign:
        if constexpr (std::is_signed_v<T>)
          return static_cast<T>((x > 0) - (x < 0));
        else
          return static_cast<T>(x > 0);
      case U::Square:
        return static_cast<T>(static_cast<W>(x) * static_cast<W>(x));
      case U::Clamp:
      case U::Hardtanh:
      case U::Relu6:
        if (has_lo && x < lo) x = lo;
        if (has_hi && x > hi) x = hi;
        return x;
      case U::Threshold:
        return x <= th ? v : x;
      case U::PowScalar:
        return int_pow(x, e);
      case U::BitwiseNot:
        return static_cast<T>(~x);
      default:  // floor, ceil, trunc, round, nan_to_num: integers are already whole and finite
        return x;
    }
  }
};

bool int_unary_op(U op) {
  switch (op) {
    case U::Abs:
    case U::Sign:
    case U::Square:
    case U::Floor:
    case U::Ceil:
    case U::Trunc:
    case U::Round:
    case U::NanToNum:
    case U::Clamp:
    case U::Hardtanh:
    case U::Relu6:
    case U::Threshold:
    case U::PowScalar:
    case U::BitwiseNot:
      return true;
    default:
      return false;
  }
}

template <class T>
IntUnary<T> int_unary(U op, const MathParams& p) {
  IntUnary<T> f{op, T(0), T(0), T(0), T(0), false, false, 0};
  if (op == U::Relu6) {
    f.lo = T(0);
    f.hi = T(6);
    f.has_lo = f.has_hi = true;
  } else if (op == U::Clamp || op == U::Hardtanh) {
    f.lo = number_as<T>(number(p.p[0]));
    f.hi = number_as<T>(number(p.p[1]));
    f.has_lo = p.has[0];
    f.has_hi = p.has[1];
  } else if (op == U::Threshold) {
    f.th = number_as<T>(number(p.p[0]));
    f.v = number_as<T>(number(p.p[1]));
  } else if (op == U::PowScalar) {
    f.e = static_cast<uint64_t>(to_int64(p.p[0]));  // >= 0, checked by the engine
  }
  return f;
}

// bool: sign and nan_to_num keep the value, bitwise_not negates.
struct BoolUnary {
  bool negate;
  __device__ bool operator()(bool x) const { return negate ? !x : x; }
};

bool is_predicate(U op) { return op >= U::IsNan && op <= U::LogicalNot; }

[[noreturn]] void refuse(const char* family, int32_t op, int32_t dtype) {
  fail(EMBER_ERROR_INTERNAL, std::string(family) + " kernel: op " + std::to_string(op) +
                                 " is not defined for " + dtype_name(dtype) + " on cuda");
}

ember_status math_unary(void*, int32_t op_code, const ember_kernel_tensor* out,
                        const ember_kernel_tensor* a, const void* params) {
  return guard([&] {
    const auto op = static_cast<U>(op_code);
    const MathParams& p = *static_cast<const MathParams*>(params);
    dispatch(a->dtype, "math_unary", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (is_predicate(op)) {
        if (out->dtype != EMBER_BOOL) fail(EMBER_ERROR_DTYPE, "math_unary: predicates give bool");
        return map1<bool, T>(out, a, Predicate<T>{op});
      }
      if (out->dtype != a->dtype) fail(EMBER_ERROR_DTYPE, "math_unary: output dtype differs");
      if constexpr (std::is_same_v<T, bool>) {
        if (op != U::Sign && op != U::NanToNum && op != U::BitwiseNot)
          refuse("math_unary", op_code, a->dtype);
        map1<bool, bool>(out, a, BoolUnary{op == U::BitwiseNot});
      } else if constexpr (std::is_integral_v<T>) {
        if (!int_unary_op(op)) refuse("math_unary", op_code, a->dtype);
        map1<T, T>(out, a, int_unary<T>(op, p));
      } else {
        if (!float_unary_op(op)) refuse("math_unary", op_code, a->dtype);
        map1<T, T>(out, a, float_unary<T>(op, p));
      }
    });
  });
}

// ---- binary ----

template <class T>
struct FloatBinary {
  using C = acc_t<T>;
  B op;
  __device__ T operator()(T xt, T yt) const {
    const C x = to_acc(xt), y = to_acc(yt);
    switch (op) {
      case B::Atan2:
        return static_cast<T>(fm::atan2(x, y));
      case B::Pow:
        return static_cast<T>(fm::pow(x, y));
      case B::Maximum:
        return static_cast<T>(nan_max(x, y));
      case B::Minimum:
        return static_cast<T>(nan_min(x, y));
      case B::Fmod:
        return static_cast<T>(fm::fmod(x, y));
      default: {  // Remainder: the sign of the divisor, as Python's %
        C m = fm::fmod(x, y);
        if (m != C(0) && ((y < C(0)) != (m < C(0)))) m += y;
        return static_cast<T>(m);
      }
    }
  }
};

// The logical ops and isclose of floats (bool results).
template <class T>
struct FloatBinaryBool {
  using C = acc_t<T>;
  B op;
  C rtol, atol;
  bool equal_nan;
  __device__ bool operator()(T xt, T yt) const {
    const C x = to_acc(xt), y = to_acc(yt);
    switch (op) {
      case B::LogicalAnd:
        return x != C(0) && y != C(0);
      case B::LogicalOr:
        return x != C(0) || y != C(0);
      case B::LogicalXor:
        return (x != C(0)) != (y != C(0));
      default: {  // IsClose
        if (x == y) return true;
        if (x != x || y != y) return equal_nan && x != x && y != y;
        const C diff = fm::fabs(x - y);
        return !is_inf(diff) && diff <= atol + rtol * fm::fabs(y);
      }
    }
  }
};

// Integer ops that keep the dtype. *bad records a division by zero (1) or a negative power of an
// integer other than +-1 (2) for the host to report.
template <class T>
struct IntBinary {
  using W = wide_unsigned_t<T>;
  using S = std::make_signed_t<T>;
  static constexpr int kBits = sizeof(T) * 8;
  B op;
  int* bad;
  __device__ T operator()(T a, T b) const {
    switch (op) {
      case B::Pow: {
        if (static_cast<S>(b) < 0) {
          // 1 and -1 have integer negative powers; PyTorch refuses the rest.
          if (!(a == 1 || static_cast<S>(a) == -1)) {
            *bad = 2;
            return T(0);
          }
          return (a == 1 || (b & 1)) ? a : T(1);
        }
        return int_pow(a, static_cast<uint64_t>(b));
      }
      case B::Maximum:
        return a > b ? a : b;
      case B::Minimum:
        return a < b ? a : b;
      case B::Fmod:
      case B::Remainder: {
        if (b == 0) {
          *bad = 1;
          return T(0);
        }
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return T(0);  // INT_MIN % -1 overflows in C++; the result is 0
          T m = static_cast<T>(a % b);
          if (op == B::Remainder && m != 0 && ((b < 0) != (m < 0))) m = static_cast<T>(m + b);
          return m;
        } else {
          return static_cast<T>(a % b);
        }
      }
      case B::BitwiseAnd:
        return static_cast<T>(a & b);
      case B::BitwiseOr:
        return static_cast<T>(a | b);
      case B::BitwiseXor:
        return static_cast<T>(a ^ b);
      case B::LeftShift:
        if (static_cast<S>(b) < 0 || static_cast<int64_t>(b) >= kBits) return T(0);
        return static_cast<T>(static_cast<W>(a) << b);
      default:  // RightShift: too far gives the sign
        if (static_cast<S>(b) < 0 || static_cast<int64_t>(b) >= kBits)
          return static_cast<T>(a >> (kBits - 1));
        return static_cast<T>(a >> b);
    }
  }
};

template <class T>
struct IntBinaryBool {
  B op;
  __device__ bool operator()(T a, T b) const {
    switch (op) {
      case B::LogicalAnd:
        return a != 0 && b != 0;
      case B::LogicalOr:
        return a != 0 || b != 0;
      case B::LogicalXor:
        return (a != 0) != (b != 0);
      default:  // IsClose: integers are close when equal
        return a == b;
    }
  }
};

struct BoolBinary {
  B op;
  __device__ bool operator()(bool a, bool b) const {
    switch (op) {
      case B::Maximum:
      case B::LogicalOr:
      case B::BitwiseOr:
        return a || b;
      case B::Minimum:
      case B::LogicalAnd:
      case B::BitwiseAnd:
        return a && b;
      case B::LogicalXor:
      case B::BitwiseXor:
        return a != b;
      default:  // IsClose
        return a == b;
    }
  }
};

bool bool_result(B op) {
  return op == B::LogicalAnd || op == B::LogicalOr || op == B::LogicalXor || op == B::IsClose;
}

ember_status math_binary(void*, int32_t op_code, const ember_kernel_tensor* out,
                         const ember_kernel_tensor* a, const ember_kernel_tensor* b,
                         const void* params) {
  return guard([&] {
    const auto op = static_cast<B>(op_code);
    const MathParams& p = *static_cast<const MathParams*>(params);
    if (a->dtype != b->dtype) fail(EMBER_ERROR_DTYPE, "math_binary: operand dtypes differ");
    if (out->dtype != (bool_result(op) ? static_cast<int32_t>(EMBER_BOOL) : a->dtype))
      fail(EMBER_ERROR_DTYPE, "math_binary: unexpected output dtype");
    dispatch(a->dtype, "math_binary", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, bool>) {
        if (op == B::Atan2 || op == B::Pow || op == B::Fmod || op == B::Remainder ||
            op == B::LeftShift || op == B::RightShift)
          refuse("math_binary", op_code, a->dtype);
        map2<bool, bool, bool>(out, a, b, BoolBinary{op});
      } else if constexpr (std::is_integral_v<T>) {
        if (op == B::Atan2) refuse("math_binary", op_code, a->dtype);
        if (bool_result(op)) return map2<bool, T, T>(out, a, b, IntBinaryBool<T>{op});
        const bool checked = op == B::Pow || op == B::Fmod || op == B::Remainder;
        if (!checked || out->numel == 0) return map2<T, T, T>(out, a, b, IntBinary<T>{op, nullptr});
        use_device(out);
        Scratch flag(out->device_index, sizeof(int));
        EC_CUDA(cudaMemsetAsync(flag.as<int>(), 0, sizeof(int), stream()));
        map2<T, T, T>(out, a, b, IntBinary<T>{op, flag.as<int>()});
        // One synchronisation: a bad divisor or exponent must be an error, as on the CPU.
        int bad = 0;
        read_back(&bad, flag.as<int>(), sizeof bad);
        if (bad == 1)
          fail(EMBER_ERROR_INVALID_ARGUMENT, std::string(op == B::Fmod ? "fmod" : "remainder") +
                                                 ": ZeroDivisionError (integer division by zero)");
        if (bad == 2)
          fail(EMBER_ERROR_INVALID_ARGUMENT,
               "pow: Integers to negative integer powers are not allowed");
      } else {
        if (op >= B::BitwiseAnd && op <= B::RightShift) refuse("math_binary", op_code, a->dtype);
        using C = acc_t<T>;
        if (bool_result(op)) {
          return map2<bool, T, T>(out, a, b,
                                  FloatBinaryBool<T>{op, number_as<C>(number(p.p[0])),
                                                     number_as<C>(number(p.p[1])), p.p[2].i != 0});
        }
        map2<T, T, T>(out, a, b, FloatBinary<T>{op});
      }
    });
  });
}

// ---- ternary ----

template <class Tout, class F, class Ta, class Tb, class Tc>
__global__ void map_strided3(int64_t n, Layout lo, Tout* out, F f, Layout la, const Ta* a,
                             Layout lb, const Tb* b, Layout lc, const Tc* c) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[offset_of(lo, i)] = f(a[offset_of(la, i)], b[offset_of(lb, i)], c[offset_of(lc, i)]);
}

// out = f(a, b, c) over out's shape (the operands broadcast to it), as map2 in map.cuh.
template <class Tout, class Ta, class Tb, class Tc, class F>
void map3(const ember_kernel_tensor* out, const ember_kernel_tensor* a,
          const ember_kernel_tensor* b, const ember_kernel_tensor* c, F f) {
  const int64_t n = out->numel;
  if (n == 0) return;
  use_device(out);
  if (dense(out, n) && dense(a, n) && dense(b, n) && dense(c, n))
    return launch_dense(n, data<Tout>(out), f, data<const Ta>(a), data<const Tb>(b),
                        data<const Tc>(c));
  map_strided3<<<blocks_for(n), kThreads, 0, stream()>>>(
      n, layout_in(out, out), data<Tout>(out), f, layout_in(a, out), data<const Ta>(a),
      layout_in(b, out), data<const Tb>(b), layout_in(c, out), data<const Tc>(c));
  EC_LAUNCHED("elementwise");
}

template <class T>
struct Where {
  __device__ T operator()(T a, T b, bool c) const { return c ? a : b; }
};

template <class T>
struct ClampTensors {
  __device__ T operator()(T x, T lo, T hi) const {
    return static_cast<T>(nan_min(nan_max(to_acc(x), to_acc(lo)), to_acc(hi)));
  }
};

template <class T>
struct FloatTernary {
  using C = acc_t<T>;
  Tr op;
  C v;
  __device__ T operator()(T at, T bt, T ct) const {
    const C a = to_acc(at), b = to_acc(bt), c = to_acc(ct);
    switch (op) {
      case Tr::Lerp:  // b: end, c: weight
        return static_cast<T>(fm::fabs(c) < C(0.5) ? a + c * (b - a) : b - (b - a) * (C(1) - c));
      case Tr::Addcmul:
        return static_cast<T>(a + v * b * c);
      default:  // Addcdiv
        return static_cast<T>(a + v * b / c);
    }
  }
};

template <class T>
struct IntAddcmul {
  using W = wide_unsigned_t<T>;
  W v;
  __device__ T operator()(T a, T b, T c) const {
    return static_cast<T>(static_cast<W>(a) + v * static_cast<W>(b) * static_cast<W>(c));
  }
};

ember_status math_ternary(void*, int32_t op_code, const ember_kernel_tensor* out,
                          const ember_kernel_tensor* a, const ember_kernel_tensor* b,
                          const ember_kernel_tensor* c, ember_scalar value) {
  return guard([&] {
    const auto op = static_cast<Tr>(op_code);
    if (a->dtype != out->dtype || b->dtype != out->dtype ||
        c->dtype != (op == Tr::Where ? static_cast<int32_t>(EMBER_BOOL) : out->dtype))
      fail(EMBER_ERROR_DTYPE, "math_ternary: unexpected operand dtypes");
    dispatch(out->dtype, "math_ternary", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (op == Tr::Where) return map3<T, T, T, bool>(out, a, b, c, Where<T>{});
      if (op == Tr::Clamp) return map3<T, T, T, T>(out, a, b, c, ClampTensors<T>{});
      if constexpr (std::is_same_v<T, bool>) {
        refuse("math_ternary", op_code, out->dtype);
      } else if constexpr (std::is_integral_v<T>) {
        if (op != Tr::Addcmul) refuse("math_ternary", op_code, out->dtype);
        using W = wide_unsigned_t<T>;
        map3<T, T, T, T>(out, a, b, c, IntAddcmul<T>{static_cast<W>(number_as<T>(number(value)))});
      } else {
        map3<T, T, T, T>(out, a, b, c, FloatTernary<T>{op, number_as<acc_t<T>>(number(value))});
      }
    });
  });
}

}  // namespace

ember_status register_math(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "math_unary", math_unary);
  if (s == EMBER_OK) s = register_kernel(host, "math_binary", math_binary);
  if (s == EMBER_OK) s = register_kernel(host, "math_ternary", math_ternary);
  return s;
}

}  // namespace ember_cuda
