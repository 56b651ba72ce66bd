// CPU kernels of the arithmetic ops. Each op is one lambda run by the iterator; arithmetic happens
// in compute_t<T> (float for the 16-bit floats) and wraps around for integers, as in PyTorch.
#include <cmath>
#include <type_traits>

#include "core/dispatch.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"
#include "cpu/math_fast.h"

namespace ember::cpu {

namespace {

using ops::BinaryOp;
using ops::UnaryOp;

// Integer arithmetic through unsigned types: wraps instead of overflowing (which C++ leaves
// undefined). Types narrower than int are widened first so that the promotion to int cannot
// overflow.
template <class T>
using wrap_t = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;

template <BinaryOp kOp, class C>
inline C apply(C a, C b) {
  if constexpr (std::is_same_v<C, bool>) {
    return kOp == BinaryOp::Add ? (a || b) : (a && b);  // the only bool ops that reach a kernel
  } else if constexpr (std::is_integral_v<C>) {
    using W = wrap_t<C>;
    if constexpr (kOp == BinaryOp::Add)
      return static_cast<C>(static_cast<W>(a) + static_cast<W>(b));
    if constexpr (kOp == BinaryOp::Sub)
      return static_cast<C>(static_cast<W>(a) - static_cast<W>(b));
    if constexpr (kOp == BinaryOp::Mul)
      return static_cast<C>(static_cast<W>(a) * static_cast<W>(b));
    return C(0);  // integer division never reaches a kernel: true division computes in float
  } else {
    if constexpr (kOp == BinaryOp::Add) return a + b;
    if constexpr (kOp == BinaryOp::Sub) return a - b;
    if constexpr (kOp == BinaryOp::Mul) return a * b;
    return a / b;
  }
}

// Calls fn(std::integral_constant<BinaryOp, op>) for the run-time op.
template <class F>
void dispatch_binary(BinaryOp op, F&& fn) {
  switch (op) {
    case BinaryOp::Add:
      return fn(std::integral_constant<BinaryOp, BinaryOp::Add>{});
    case BinaryOp::Sub:
      return fn(std::integral_constant<BinaryOp, BinaryOp::Sub>{});
    case BinaryOp::Mul:
      return fn(std::integral_constant<BinaryOp, BinaryOp::Mul>{});
    case BinaryOp::Div:
      return fn(std::integral_constant<BinaryOp, BinaryOp::Div>{});
  }
}

// Meta functions promote bool sub/div and integer div away; a kernel asked for them is a bug.
template <class T>
void check_supported(BinaryOp op) {
  if constexpr (std::is_same_v<T, bool>) {
    EMBER_CHECK(op == BinaryOp::Add || op == BinaryOp::Mul, EMBER_ERROR_INTERNAL,
                "binary kernel: bool supports only add and mul");
  } else if constexpr (std::is_integral_v<T>) {
    EMBER_CHECK(op != BinaryOp::Div, EMBER_ERROR_INTERNAL,
                "binary kernel: integer division must be promoted to float first");
  }
}

void binary_kernel(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const TensorIterator iter({out.get(), a.get(), b.get()}, out->sizes());
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    check_supported<T>(op);
    dispatch_binary(op, [&](auto kop) {
      constexpr BinaryOp K = decltype(kop)::value;
      cpu_kernel(iter, [](T x, T y) -> T { return T(apply<K>(C(x), C(y))); });
    });
  });
}

void binary_scalar_kernel(BinaryOp op, const Tensor& out, const Tensor& a, Scalar s,
                          bool reversed) {
  const TensorIterator iter({out.get(), a.get()}, out->sizes());
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    check_supported<T>(op);
    // The scalar takes the tensor's dtype first (0.1 becomes float16's 0.0999755859375), as in
    // PyTorch, then arithmetic happens in C.
    const C v = static_cast<C>(scalar_as<T>(s));
    dispatch_binary(op, [&](auto kop) {
      constexpr BinaryOp K = decltype(kop)::value;
      if (reversed) {
        cpu_kernel(iter, [v](T x) -> T { return T(apply<K>(v, C(x))); });
      } else {
        cpu_kernel(iter, [v](T x) -> T { return T(apply<K>(C(x), v)); });
      }
    });
  });
}

void unary_kernel(UnaryOp op, const Tensor& out, const Tensor& a) {
  const TensorIterator iter({out.get(), a.get()}, out->sizes());
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    if constexpr (std::is_same_v<T, bool>) {
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "unary kernel: bool is promoted or rejected first");
    } else if constexpr (std::is_integral_v<T>) {
      EMBER_CHECK(op == UnaryOp::Neg, EMBER_ERROR_INTERNAL,
                  "unary kernel: exp and log of integers compute in float");
      using W = wrap_t<T>;
      cpu_kernel(iter, [](T x) -> T { return static_cast<T>(W(0) - static_cast<W>(x)); });
    } else {
      switch (op) {
        case UnaryOp::Neg:
          cpu_kernel(iter, [](T x) -> T { return T(-C(x)); });
          break;
        case UnaryOp::Exp:
          // float32 takes the 8-lane exp and log, the 16-bit floats their plain float forms.
          if constexpr (std::is_same_v<T, float>) {
            vec_unary_float<ExpFloat>(iter);
          } else {
            cpu_kernel(iter, [](T x) -> T { return T(fast_exp(C(x))); });
          }
          break;
        case UnaryOp::Log:
          if constexpr (std::is_same_v<T, float>) {
            vec_unary_float<LogFloat>(iter);
          } else {
            cpu_kernel(iter, [](T x) -> T { return T(fast_log(C(x))); });
          }
          break;
      }
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(binary_stub, DeviceType::CPU, binary_kernel);
EMBER_REGISTER_KERNEL(binary_scalar_stub, DeviceType::CPU, binary_scalar_kernel);
EMBER_REGISTER_KERNEL(unary_stub, DeviceType::CPU, unary_kernel);

}  // namespace ember::cpu
