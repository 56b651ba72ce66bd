// Branch-free exp that the compiler vectorizes (std::exp is a library call it cannot widen).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu/iterator.h"
#include "cpu/nn/simd.h"

namespace ember::cpu {

// exp(x) for float to within 2 ulp: x = n ln2 + r with |r| <= ln2 / 2 (Cody-Waite split of ln2),
// exp(r) by a degree-6 polynomial (Cephes' coefficients), 2^n built in the exponent bits.
// NaN stays NaN; results below float's normal range flush to 0; x above 88.37 saturates.
EMBER_ALWAYS_INLINE inline float exp_float(float x) {
  const float xc = x < -87.33654f ? -87.33654f : (x > 88.37626f ? 88.37626f : x);
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (xc * 1.44269504088896341f + shifter) - shifter;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float n_ok = n == n ? n : 0.0f;  // NaN input: keep the int conversion defined
  const int32_t bits = (static_cast<int32_t>(n_ok) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float e = p * scale;
  return x < -87.33654f ? 0.0f : e;
}

// exp_float on 8 lanes at once (same steps, so the same results lane by lane).
EMBER_ALWAYS_INLINE inline void exp_vec(Simd<float>::V& x) {
  using V = Simd<float>::V;
  typedef int32_t VI __attribute__((vector_size(32)));
  const V lo = V{} + -87.33654f, hi = V{} + 88.37626f;
  const V xc = x < lo ? lo : (x > hi ? hi : x);
  const float shifter = 12582912.0f;
  const V n = (xc * 1.44269504088896341f + shifter) - shifter;
  const V r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  V p = V{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const V n_ok = n == n ? n : V{};
  const VI bits = (__builtin_convertvector(n_ok, VI) + 127) << 23;
  const V e = p * reinterpret_cast<V>(bits);
  x = x < lo ? V{} : e;
}

template <class C>
EMBER_ALWAYS_INLINE inline C exp_compute(C x) {
  if constexpr (std::is_same_v<C, float>) {
    return exp_float(x);
  } else {
    return std::exp(x);
  }
}

}  // namespace ember::cpu
