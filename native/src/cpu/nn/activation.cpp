// relu / threshold_backward and the comparisons on the CPU, through the elementwise iterator.
#include <type_traits>

#include "core/nn_dispatch.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {
namespace {

using ops::CompareOp;

void threshold_cpu(const Tensor& out, const Tensor& x, const Tensor& value, Scalar threshold) {
  const TensorIterator iter({out.get(), x.get(), value.get()}, out->sizes());
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const C th = scalar_as<C>(threshold);
    // x <= th is false for NaN, so a NaN x passes value through (relu(NaN) = NaN), as in PyTorch.
    cpu_kernel(iter, [th](T xv, T v) -> T { return C(xv) <= th ? T(C(0)) : v; });
  });
}

template <CompareOp K, class C>
inline bool compare(C a, C b) {
  if constexpr (K == CompareOp::Eq) return a == b;
  if constexpr (K == CompareOp::Ne) return a != b;
  if constexpr (K == CompareOp::Lt) return a < b;
  if constexpr (K == CompareOp::Le) return a <= b;
  if constexpr (K == CompareOp::Gt) return a > b;
  if constexpr (K == CompareOp::Ge) return a >= b;
}

// fn(std::integral_constant<CompareOp, op>) for the run-time op.
template <class F>
void dispatch_compare(CompareOp op, F&& fn) {
  switch (op) {
    case CompareOp::Eq:
      return fn(std::integral_constant<CompareOp, CompareOp::Eq>{});
    case CompareOp::Ne:
      return fn(std::integral_constant<CompareOp, CompareOp::Ne>{});
    case CompareOp::Lt:
      return fn(std::integral_constant<CompareOp, CompareOp::Lt>{});
    case CompareOp::Le:
      return fn(std::integral_constant<CompareOp, CompareOp::Le>{});
    case CompareOp::Gt:
      return fn(std::integral_constant<CompareOp, CompareOp::Gt>{});
    case CompareOp::Ge:
      return fn(std::integral_constant<CompareOp, CompareOp::Ge>{});
  }
}

void compare_cpu(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const TensorIterator iter({out.get(), a.get(), b.get()}, out->sizes());
  dispatch_dtype(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    dispatch_compare(op, [&](auto kop) {
      constexpr CompareOp K = decltype(kop)::value;
      cpu_kernel(iter, [](T x, T y) -> bool { return compare<K>(C(x), C(y)); });
    });
  });
}

void compare_scalar_cpu(CompareOp op, const Tensor& out, const Tensor& a, Scalar s) {
  const TensorIterator iter({out.get(), a.get()}, out->sizes());
  dispatch_dtype(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const C v = scalar_as<C>(s);
    dispatch_compare(op, [&](auto kop) {
      constexpr CompareOp K = decltype(kop)::value;
      cpu_kernel(iter, [v](T x) -> bool { return compare<K>(C(x), v); });
    });
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(threshold_stub, DeviceType::CPU, threshold_cpu);
EMBER_REGISTER_KERNEL(compare_stub, DeviceType::CPU, compare_cpu);
EMBER_REGISTER_KERNEL(compare_scalar_stub, DeviceType::CPU, compare_scalar_cpu);

}  // namespace ember::cpu
