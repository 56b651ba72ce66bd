// 256-bit vector types for the hand-blocked nn kernels. Kernels write their body once as an
// always-inline template and instantiate it twice, plain and EMBER_TARGET_AVX2 (iterator.h),
// choosing with cpu_has_avx2() at run time, so the library stays runnable on baseline x86-64.
#pragma once

#include <cstdint>

#include "cpu/iterator.h"

namespace ember::cpu {

// GCC/Clang vector extensions; lowered to two 128-bit halves in the baseline instantiation.
template <class T>
struct Simd;
template <>
struct Simd<float> {
  typedef float V __attribute__((vector_size(32)));
  static constexpr int kWidth = 8;
};
template <>
struct Simd<double> {
  typedef double V __attribute__((vector_size(32)));
  static constexpr int kWidth = 4;
};

// Vectors pass by reference only: by value in a signature they would change the ABI. Memory is
// accessed through an unaligned, may_alias view of the vector type (as the x86 intrinsics do).
template <class V>
struct Unaligned {
  typedef V type __attribute__((aligned(1), may_alias));
};
template <class V, class T>
EMBER_ALWAYS_INLINE inline void load_vec(V& v, const T* p) {
  v = *reinterpret_cast<const typename Unaligned<V>::type*>(p);
}
template <class V, class T>
EMBER_ALWAYS_INLINE inline void store_vec(T* p, const V& v) {
  *reinterpret_cast<typename Unaligned<V>::type*>(p) = v;
}

}  // namespace ember::cpu
