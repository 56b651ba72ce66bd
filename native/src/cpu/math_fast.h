// Float exp and log in plain and 8-lane vector forms (std::exp and std::log are library calls the
// compiler cannot widen, and it will not if-convert the range checks of scalar code that may raise
// floating-point exceptions), a loop that runs them over the iterator's runs, and erfinv, which the
// C library lacks. The vector and plain forms take the same steps, so lanes agree with the tail.
// Two float exps share one core: the full-range one for the elementwise ops and a flush-to-zero
// one with a single scale factor for softmax and attention.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>

#include "cpu/iterator.h"
#include "cpu/nn/simd.h"

namespace ember::cpu {

// The core both float logs share, on a float or 8 lanes: log(1 + f) + ef ln2 for f = m - 1 with m
// in [sqrt(1/2), sqrt(2)), by Cephes' degree-9 polynomial with ln2 added in two parts.
template <class V>
EMBER_ALWAYS_INLINE inline void log_reduced(const V& f, const V& ef, V& r) {
  const V z = f * f;
  V y = V{} + 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  y += -2.12194440e-4f * ef;
  y += -0.5f * z;
  r = f + y + 0.693359375f * ef;
}

// log(x) for float to within 1 ulp: x = m 2^e with m in [sqrt(1/2), sqrt(2)), then log_reduced.
// Subnormals are scaled up first; 0 gives -inf, negatives and NaN give NaN, +inf stays +inf.
EMBER_ALWAYS_INLINE inline float log_float(float x) {
  const bool tiny = x < 1.17549435e-38f;       // subnormal, zero or negative
  const float xs = tiny ? x * 8388608.0f : x;  // * 2^23
  int32_t ix;
  std::memcpy(&ix, &xs, sizeof ix);
  const int32_t e = ((ix >> 23) & 0xff) - 126;
  const int32_t mi = (ix & 0x007fffff) | 0x3f000000;  // mantissa in [0.5, 1)
  float m;
  std::memcpy(&m, &mi, sizeof m);
  const bool low = m < 0.707106781186547524f;
  const float ef = static_cast<float>(e) - (low ? 1.0f : 0.0f) - (tiny ? 23.0f : 0.0f);
  const float f = low ? m + m - 1.0f : m - 1.0f;
  float r;
  log_reduced(f, ef, r);
  r = x == std::numeric_limits<float>::infinity() ? x : r;
  r = x == 0.0f ? -std::numeric_limits<float>::infinity() : r;
  return x < 0.0f || x != x ? std::numeric_limits<float>::quiet_NaN() : r;
}

// The core both float exps share, on a float or 8 lanes: x = n ln2 + r with |r| <= ln2 / 2
// (Cody-Waite split of ln2), exp(r) by Cephes' degree-6 polynomial. Writes n and p = exp(r)
// (through references: vectors passed by value would change the ABI of the non-AVX build).
template <class V>
EMBER_ALWAYS_INLINE inline void exp_reduced(const V& xc, V& n, V& p) {
  const float shifter = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  n = (xc * 1.44269504088896341f + shifter) - shifter;
  const V r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  p = V{} + 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
}

// exp(x) for float over its whole range, with 2^n applied as two factors so that results near the
// top of the range and in the subnormal range come out right; above 88.72 gives +inf, below
// -103.98 gives 0, NaN stays NaN.
EMBER_ALWAYS_INLINE inline float exp_float_full(float x) {
  const float xc = x < -103.972f ? -103.972f : (x > 88.7228394f ? 88.7228394f : x);
  float n, p;
  exp_reduced(xc, n, p);
  const int32_t ni = static_cast<int32_t>(n == n ? n : 0.0f);
  const int32_t n1 = ni / 2, n2 = ni - n1;
  const int32_t b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, sizeof s1);
  std::memcpy(&s2, &b2, sizeof s2);
  const float e = p * s1 * s2;
  const float inf = std::numeric_limits<float>::infinity();
  return x > 88.7228394f ? inf : (x < -103.972f ? 0.0f : (x != x ? x : e));
}

using VecF = Simd<float>::V;
typedef int32_t VecI __attribute__((vector_size(32)));

// exp_float_full on 8 lanes.
EMBER_ALWAYS_INLINE inline void exp_vec_full(VecF& x) {
  const VecF lo = VecF{} + -103.972f, hi = VecF{} + 88.7228394f;
  const VecF xc = x < lo ? lo : (x > hi ? hi : x);
  VecF n, p;
  exp_reduced(xc, n, p);
  const VecI ni = __builtin_convertvector(n == n ? n : VecF{}, VecI);
  const VecI n1 = ni / 2, n2 = ni - n1;
  const VecI b1 = (n1 + 127) << 23, b2 = (n2 + 127) << 23;
  const VecF e = p * reinterpret_cast<VecF>(b1) * reinterpret_cast<VecF>(b2);
  const VecF inf = VecF{} + std::numeric_limits<float>::infinity();
  x = x > hi ? inf : (x < lo ? VecF{} : (x != x ? x : e));
}

// exp(x) for float to within 2 ulp with one scale factor, for softmax and attention (arguments at
// most 0 there): NaN stays NaN; results below float's normal range flush to 0; x above 88.37
// saturates.
EMBER_ALWAYS_INLINE inline float exp_float(float x) {
  const float xc = x < -87.33654f ? -87.33654f : (x > 88.37626f ? 88.37626f : x);
  float n, p;
  exp_reduced(xc, n, p);
  const float n_ok = n == n ? n : 0.0f;  // NaN input: keep the int conversion defined
  const int32_t bits = (static_cast<int32_t>(n_ok) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  const float e = p * scale;
  return x < -87.33654f ? 0.0f : e;
}

// exp_float on 8 lanes at once (same steps, so the same results lane by lane).
EMBER_ALWAYS_INLINE inline void exp_vec(VecF& x) {
  const VecF lo = VecF{} + -87.33654f, hi = VecF{} + 88.37626f;
  const VecF xc = x < lo ? lo : (x > hi ? hi : x);
  VecF n, p;
  exp_reduced(xc, n, p);
  const VecF n_ok = n == n ? n : VecF{};
  const VecI bits = (__builtin_convertvector(n_ok, VecI) + 127) << 23;
  const VecF e = p * reinterpret_cast<VecF>(bits);
  x = x < lo ? VecF{} : e;
}

// log_float on 8 lanes.
EMBER_ALWAYS_INLINE inline void log_vec(VecF& x) {
  const VecF one = VecF{} + 1.0f;
  const VecI tiny = x < 1.17549435e-38f;
  const VecF xs = tiny ? x * 8388608.0f : x;
  const VecI ix = reinterpret_cast<VecI>(xs);
  const VecI e = ((ix >> 23) & 0xff) - 126;
  const VecI mi = (ix & 0x007fffff) | 0x3f000000;
  const VecF m = reinterpret_cast<VecF>(mi);
  const VecI low = m < 0.707106781186547524f;
  const VecF ef =
      __builtin_convertvector(e, VecF) - (low ? one : VecF{}) - (tiny ? one * 23.0f : VecF{});
  const VecF f = low ? m + m - 1.0f : m - 1.0f;
  VecF r;
  log_reduced(f, ef, r);
  const VecF inf = VecF{} + std::numeric_limits<float>::infinity();
  r = x == inf ? x : r;
  r = x == 0.0f ? -inf : r;
  x = (x < 0.0f) | (x != x) ? VecF{} + std::numeric_limits<float>::quiet_NaN() : r;
}

// The functions as policies: vec on 8 lanes, one on a float, and the C library's for double.
struct ExpFloat {
  static EMBER_ALWAYS_INLINE void vec(VecF& v) { exp_vec_full(v); }
  static EMBER_ALWAYS_INLINE float one(float x) { return exp_float_full(x); }
  static double lib(double x) { return std::exp(x); }
};
struct LogFloat {
  static EMBER_ALWAYS_INLINE void vec(VecF& v) { log_vec(v); }
  static EMBER_ALWAYS_INLINE float one(float x) { return log_float(x); }
  static double lib(double x) { return std::log(x); }
};
struct ExpFloatFlushed {
  static EMBER_ALWAYS_INLINE void vec(VecF& v) { exp_vec(v); }
  static EMBER_ALWAYS_INLINE float one(float x) { return exp_float(x); }
  static double lib(double x) { return std::exp(x); }
};

namespace detail {
template <class Fn>
EMBER_ALWAYS_INLINE inline void vec_unary_body(float* out, const float* in, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    VecF v;
    load_vec(v, in + i);
    Fn::vec(v);
    store_vec(out + i, v);
  }
  for (; i < n; ++i) out[i] = Fn::one(in[i]);
}
template <class Fn>
void vec_unary_loop(float* out, const float* in, int64_t n) {
  vec_unary_body<Fn>(out, in, n);
}
#if EMBER_X86_CLONES
template <class Fn>
EMBER_TARGET_AVX2 void vec_unary_loop_avx2(float* out, const float* in, int64_t n) {
  vec_unary_body<Fn>(out, in, n);
}
#endif
}  // namespace detail

// out = Fn(a) for float32 operands 0 (out) and 1 (a) of iter: vectors on contiguous runs (AVX2 when
// the CPU has it), the plain form on strided ones.
template <class Fn>
void vec_unary_float(const TensorIterator& iter) {
  iter.for_each([](char** data, const int64_t* s, int64_t n) {
    if (s[0] == sizeof(float) && s[1] == sizeof(float)) {
      float* out = reinterpret_cast<float*>(data[0]);
      const float* in = reinterpret_cast<const float*>(data[1]);
#if EMBER_X86_CLONES
      if (cpu_has_avx2()) {
        detail::vec_unary_loop_avx2<Fn>(out, in, n);
        return;
      }
#endif
      detail::vec_unary_loop<Fn>(out, in, n);
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<float*>(data[0] + i * s[0]) =
          Fn::one(*reinterpret_cast<const float*>(data[1] + i * s[1]));
    }
  });
}

// Fn in the compute type C: its vectorizable float version for float, the C library's for double.
template <class Fn, class C>
EMBER_ALWAYS_INLINE inline C float_fast(C x) {
  if constexpr (std::is_same_v<C, float>) {
    return Fn::one(x);
  } else {
    return Fn::lib(x);
  }
}
template <class C>
EMBER_ALWAYS_INLINE inline C fast_exp(C x) {
  return float_fast<ExpFloat>(x);
}
template <class C>
EMBER_ALWAYS_INLINE inline C fast_log(C x) {
  return float_fast<LogFloat>(x);
}
// Softmax's and attention's exp.
template <class C>
EMBER_ALWAYS_INLINE inline C exp_compute(C x) {
  return float_fast<ExpFloatFlushed>(x);
}

// Inverse error function: Giles' single-precision approximation ("Approximating the erfinv
// function", 2010) refined by two Newton steps on erf in double, which bring it to double accuracy.
template <class C>
inline C erfinv(C yc) {
  const double y = static_cast<double>(yc);
  if (!(y > -1.0 && y < 1.0)) {
    if (y == 1.0) return std::numeric_limits<C>::infinity();
    if (y == -1.0) return -std::numeric_limits<C>::infinity();
    return std::numeric_limits<C>::quiet_NaN();
  }
  double w = -std::log((1.0 - y) * (1.0 + y));
  double p;
  if (w < 5.0) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * y;
  const double k = 2.0 / std::sqrt(std::numbers::pi);
  for (int i = 0; i < 2; ++i) x -= (std::erf(x) - y) / (k * std::exp(-x * x));
  return static_cast<C>(x);
}

}  // namespace ember::cpu
