// Pieces of the CPU math kernels shared between their translation units (one per op family, so
// they compile in parallel).
#pragma once

#include <limits>
#include <type_traits>

#include "core/dispatch.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

// The activations of math_unary_stub (math_activation.cpp); out and a share a floating dtype.
void activation_cpu(ops::MathUnaryOp op, const TensorIterator& iter, DType dtype,
                    const ops::MathParams& p);

// Writes f(x) for every x, f taking and returning compute_t<T>.
template <class T, class F>
inline void map_unary(const TensorIterator& iter, F f) {
  using C = compute_t<T>;
  cpu_kernel(iter, [f](T x) -> T { return T(f(C(x))); });
}

// The largest finite value of T (float16: 65504, bfloat16: 3.39e38), in T's compute type.
template <class T>
inline compute_t<T> finite_max() {
  if constexpr (std::is_same_v<T, Half>) {
    return 65504.0f;
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return 3.38953139e38f;
  } else {
    return std::numeric_limits<T>::max();
  }
}

// NaN-propagating max and min (std::max would drop a NaN in one position).
template <class C>
inline C nan_max(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    return a != a ? a : (b != b ? b : (a > b ? a : b));
  } else {
    return a > b ? a : b;
  }
}
template <class C>
inline C nan_min(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    return a != a ? a : (b != b ? b : (a < b ? a : b));
  } else {
    return a < b ? a : b;
  }
}

}  // namespace ember::cpu
