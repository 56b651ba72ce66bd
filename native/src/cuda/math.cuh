// Device math shared by math.cu and reduce_ex.cu: float and double overloads of the CUDA math
// functions under one name (whether the global float overloads exist depends on the host's C++
// library, so these call expf / exp explicitly), and the NaN-aware helpers of the CPU kernels.
#pragma once

#include <type_traits>

#include "common.cuh"

namespace ember_cuda {

namespace fm {
#define EC_MATH1(name)                                                    \
  __device__ __forceinline__ float name(float x) { return ::name##f(x); } \
  __device__ __forceinline__ double name(double x) { return ::name(x); }
#define EC_MATH2(name)                                                                \
  __device__ __forceinline__ float name(float x, float y) { return ::name##f(x, y); } \
  __device__ __forceinline__ double name(double x, double y) { return ::name(x, y); }
EC_MATH1(fabs)
EC_MATH1(floor)
EC_MATH1(ceil)
EC_MATH1(trunc)
EC_MATH1(nearbyint)
EC_MATH1(exp)
EC_MATH1(exp2)
EC_MATH1(expm1)
EC_MATH1(log)
EC_MATH1(log2)
EC_MATH1(log10)
EC_MATH1(log1p)
EC_MATH1(sqrt)
EC_MATH1(sin)
EC_MATH1(cos)
EC_MATH1(tan)
EC_MATH1(asin)
EC_MATH1(acos)
EC_MATH1(atan)
EC_MATH1(sinh)
EC_MATH1(cosh)
EC_MATH1(tanh)
EC_MATH1(erf)
EC_MATH1(erfc)
EC_MATH1(erfinv)
EC_MATH2(pow)
EC_MATH2(atan2)
EC_MATH2(fmod)
#undef EC_MATH1
#undef EC_MATH2
}  // namespace fm

template <class C>
__device__ __forceinline__ bool is_nan(C x) {
  if constexpr (std::is_floating_point_v<C>)
    return x != x;
  else
    return false;
}

template <class C>
__device__ __forceinline__ bool is_inf(C x) {
  if constexpr (std::is_floating_point_v<C>)
    return x == C(INFINITY) || x == -C(INFINITY);
  else
    return false;
}

// NaN-propagating max and min of compute-type values (fmax/fmin would drop a NaN), as the CPU's.
template <class C>
__device__ __forceinline__ C nan_max(C a, C b) {
  if constexpr (std::is_floating_point_v<C>)
    return a != a ? a : (b != b ? b : (a > b ? a : b));
  else
    return a > b ? a : b;
}
template <class C>
__device__ __forceinline__ C nan_min(C a, C b) {
  if constexpr (std::is_floating_point_v<C>)
    return a != a ? a : (b != b ? b : (a < b ? a : b));
  else
    return a < b ? a : b;
}

}  // namespace ember_cuda
