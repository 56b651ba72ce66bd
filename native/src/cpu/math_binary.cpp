// CPU kernels of the binary and ternary math ops (math_binary_stub, math_ternary_stub), through the
// iterator. Integer fmod/remainder by zero is an error, as in PyTorch; shifts by negative or too
// large amounts give PyTorch's results (0, or the sign for right shifts).
#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/math_kernels.h"

namespace ember::cpu {

namespace {

using B = ops::MathBinaryOp;
using Tr = ops::MathTernaryOp;

template <class T>
[[noreturn]] void zero_division(const char* op) {
  EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op, ": ZeroDivisionError (integer division by zero)");
}

template <class T>
void float_binary(B op, const TensorIterator& iter, const ops::MathParams& p) {
  using C = compute_t<T>;
  auto run = [&](auto f) { cpu_kernel(iter, [f](T x, T y) -> T { return T(f(C(x), C(y))); }); };
  switch (op) {
    case B::Atan2:
      return run([](C a, C b) { return std::atan2(a, b); });
    case B::Pow:
      return run([](C a, C b) { return std::pow(a, b); });
    case B::Maximum:
      return run([](C a, C b) { return nan_max(a, b); });
    case B::Minimum:
      return run([](C a, C b) { return nan_min(a, b); });
    case B::Fmod:
      return run([](C a, C b) { return std::fmod(a, b); });
    case B::Remainder:
      return run([](C a, C b) {
        C m = std::fmod(a, b);
        if (m != C(0) && ((b < C(0)) != (m < C(0)))) m += b;
        return m;
      });
    case B::LogicalAnd:
      return cpu_kernel(iter, [](T x, T y) -> bool { return C(x) != C(0) && C(y) != C(0); });
    case B::LogicalOr:
      return cpu_kernel(iter, [](T x, T y) -> bool { return C(x) != C(0) || C(y) != C(0); });
    case B::LogicalXor:
      return cpu_kernel(iter, [](T x, T y) -> bool { return (C(x) != C(0)) != (C(y) != C(0)); });
    case B::IsClose: {
      const C rtol = scalar_as<C>(p.p[0]), atol = scalar_as<C>(p.p[1]);
      const bool equal_nan = p.p[2].i != 0;
      return cpu_kernel(iter, [=](T xt, T yt) -> bool {
        const C x = C(xt), y = C(yt);
        if (x == y) return true;
        if (x != x || y != y) return equal_nan && x != x && y != y;
        const C diff = std::abs(x - y);
        return std::isfinite(diff) && diff <= atol + rtol * std::abs(y);
      });
    }
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "math binary kernel: op ", static_cast<int>(op),
                 " is not defined for floats");
  }
}

template <class T>
void int_binary(const char* dtype, B op, const TensorIterator& iter) {
  using W = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;
  using S = std::make_signed_t<T>;
  constexpr int kBits = sizeof(T) * 8;
  switch (op) {
    case B::Pow:
      return cpu_kernel(iter, [](T a, T b) -> T {
        if (static_cast<S>(b) < 0) {
          // 1 and -1 have integer negative powers; PyTorch refuses the rest.
          EMBER_CHECK(a == 1 || static_cast<S>(a) == -1, EMBER_ERROR_INVALID_ARGUMENT,
                      "pow: Integers to negative integer powers are not allowed");
          return (a == 1 || (b & 1)) ? a : T(1);
        }
        W r = 1, x = static_cast<W>(a);
        for (uint64_t k = static_cast<uint64_t>(b); k != 0; k >>= 1) {
          if (k & 1) r = static_cast<W>(r * x);
          x = static_cast<W>(x * x);
        }
        return static_cast<T>(r);
      });
    case B::Maximum:
      return cpu_kernel(iter, [](T a, T b) -> T { return a > b ? a : b; });
    case B::Minimum:
      return cpu_kernel(iter, [](T a, T b) -> T { return a < b ? a : b; });
    case B::Fmod:
      return cpu_kernel(iter, [](T a, T b) -> T {
        if (b == 0) zero_division<T>("fmod");
        // INT_MIN % -1 overflows in C++; the result is 0.
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return T(0);
        }
        return static_cast<T>(a % b);
      });
    case B::Remainder:
      return cpu_kernel(iter, [](T a, T b) -> T {
        if (b == 0) zero_division<T>("remainder");
        if constexpr (std::is_signed_v<T>) {
          if (b == T(-1)) return T(0);
          T m = static_cast<T>(a % b);
          if (m != 0 && ((b < 0) != (m < 0))) m = static_cast<T>(m + b);
          return m;
        } else {
          return static_cast<T>(a % b);
        }
      });
    case B::LogicalAnd:
      return cpu_kernel(iter, [](T a, T b) -> bool { return a != 0 && b != 0; });
    case B::LogicalOr:
      return cpu_kernel(iter, [](T a, T b) -> bool { return a != 0 || b != 0; });
    case B::LogicalXor:
      return cpu_kernel(iter, [](T a, T b) -> bool { return (a != 0) != (b != 0); });
    case B::BitwiseAnd:
      return cpu_kernel(iter, [](T a, T b) -> T { return static_cast<T>(a & b); });
    case B::BitwiseOr:
      return cpu_kernel(iter, [](T a, T b) -> T { return static_cast<T>(a | b); });
    case B::BitwiseXor:
      return cpu_kernel(iter, [](T a, T b) -> T { return static_cast<T>(a ^ b); });
    case B::LeftShift:
      return cpu_kernel(iter, [](T a, T b) -> T {
        if (static_cast<S>(b) < 0 || static_cast<int64_t>(b) >= kBits) return T(0);
        return static_cast<T>(static_cast<W>(a) << b);
      });
    case B::RightShift:
      return cpu_kernel(iter, [](T a, T b) -> T {
        if (static_cast<S>(b) < 0 || static_cast<int64_t>(b) >= kBits) {
          return static_cast<T>(a >> (kBits - 1));
        }
        return static_cast<T>(a >> b);
      });
    case B::IsClose:
      return cpu_kernel(iter, [](T a, T b) -> bool { return a == b; });
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "math binary kernel: op ", static_cast<int>(op),
                 " is not defined for ", dtype);
  }
}

void bool_binary(B op, const TensorIterator& iter) {
  switch (op) {
    case B::Maximum:
    case B::LogicalOr:
    case B::BitwiseOr:
      return cpu_kernel(iter, [](bool a, bool b) -> bool { return a || b; });
    case B::Minimum:
    case B::LogicalAnd:
    case B::BitwiseAnd:
      return cpu_kernel(iter, [](bool a, bool b) -> bool { return a && b; });
    case B::LogicalXor:
    case B::BitwiseXor:
      return cpu_kernel(iter, [](bool a, bool b) -> bool { return a != b; });
    case B::IsClose:
      return cpu_kernel(iter, [](bool a, bool b) -> bool { return a == b; });
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "math binary kernel: op ", static_cast<int>(op),
                 " is not defined for bool");
  }
}

void math_binary_cpu(B op, const Tensor& out, const Tensor& a, const Tensor& b,
                     const ops::MathParams& p) {
  const TensorIterator iter({out.get(), a.get(), b.get()}, out->sizes());
  dispatch_dtype(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, bool>) {
      bool_binary(op, iter);
    } else if constexpr (std::is_integral_v<T>) {
      int_binary<T>(dtype_name(a->dtype()), op, iter);
    } else {
      float_binary<T>(op, iter, p);
    }
  });
}

template <class T>
void ternary(Tr op, const TensorIterator& iter, Scalar value) {
  using C = compute_t<T>;
  switch (op) {
    case Tr::Where:
      return cpu_kernel(iter, [](T a, T b, bool c) -> T { return c ? a : b; });
    case Tr::Clamp:
      return cpu_kernel(
          iter, [](T x, T lo, T hi) -> T { return T(nan_min(nan_max(C(x), C(lo)), C(hi))); });
    default:
      break;
  }
  if constexpr (std::is_same_v<T, bool>) {
    EMBER_FAIL(EMBER_ERROR_INTERNAL, "math ternary kernel: not defined for bool");
  } else if constexpr (std::is_integral_v<T>) {
    using W = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;
    const W v = static_cast<W>(scalar_as<T>(value));
    EMBER_CHECK(op == Tr::Addcmul, EMBER_ERROR_INTERNAL, "math ternary kernel: integer op ",
                static_cast<int>(op));
    cpu_kernel(iter, [v](T a, T b, T c) -> T {
      return static_cast<T>(static_cast<W>(a) + v * static_cast<W>(b) * static_cast<W>(c));
    });
  } else {
    const C v = scalar_as<C>(value);
    switch (op) {
      case Tr::Lerp:
        return cpu_kernel(iter, [](T at, T et, T wt) -> T {
          const C a = C(at), e = C(et), w = C(wt);
          return T(std::abs(w) < C(0.5) ? a + w * (e - a) : e - (e - a) * (C(1) - w));
        });
      case Tr::Addcmul:
        return cpu_kernel(iter, [v](T a, T b, T c) -> T { return T(C(a) + v * C(b) * C(c)); });
      case Tr::Addcdiv:
        return cpu_kernel(iter, [v](T a, T b, T c) -> T { return T(C(a) + v * C(b) / C(c)); });
      default:
        EMBER_FAIL(EMBER_ERROR_INTERNAL, "math ternary kernel: op ", static_cast<int>(op));
    }
  }
}

void math_ternary_cpu(Tr op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c,
                      Scalar value) {
  const TensorIterator iter({out.get(), a.get(), b.get(), c.get()}, out->sizes());
  dispatch_dtype(out->dtype(),
                 [&](auto tag) { ternary<typename decltype(tag)::type>(op, iter, value); });
}

}  // namespace

EMBER_REGISTER_KERNEL(math_binary_stub, DeviceType::CPU, math_binary_cpu);
EMBER_REGISTER_KERNEL(math_ternary_stub, DeviceType::CPU, math_ternary_cpu);

}  // namespace ember::cpu
