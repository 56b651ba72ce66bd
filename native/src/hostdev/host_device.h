// The room for formulas that the CPU kernels and the CUDA plugin both compile, so each is written
// once: a function marked EMBER_HOST_DEVICE is __host__ __device__ under nvcc or clang in CUDA/HIP
// mode and a plain (always inlined) function in the C++ engine. The math helpers below call the
// device's C function for the type on the GPU and the std one on the CPU, as the kernels did.
#pragma once

#include <cmath>
#include <type_traits>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define EMBER_HOST_DEVICE __host__ __device__ __forceinline__
#elif defined(__GNUC__)
#define EMBER_HOST_DEVICE inline __attribute__((always_inline))
#else
#define EMBER_HOST_DEVICE inline
#endif
// #pragma unroll in the device pass only: the host compiler (g++, also under nvcc) warns about it.
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
#define EMBER_UNROLL _Pragma("unroll")
#else
#define EMBER_UNROLL
#endif

namespace ember::hd {

// On the device the C functions are named per type (sqrtf, sqrt): no overload set is assumed.
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
#define EMBER_HD_MATH(NAME)                 \
  template <class T>                        \
  EMBER_HOST_DEVICE T NAME(T v) {           \
    if constexpr (std::is_same_v<T, float>) \
      return ::NAME##f(v);                  \
    else                                    \
      return ::NAME(v);                     \
  }
#else
#define EMBER_HD_MATH(NAME)       \
  template <class T>              \
  EMBER_HOST_DEVICE T NAME(T v) { \
    return std::NAME(v);          \
  }
#endif
EMBER_HD_MATH(sqrt)
EMBER_HD_MATH(fabs)
EMBER_HD_MATH(floor)
#undef EMBER_HD_MATH

}  // namespace ember::hd
