// Element conversions between the dtypes, defined for every value (no undefined behaviour) and
// matching PyTorch on x86-64: floats to integers truncate toward zero; NaN and out-of-range values
// become the integer "indefinite" value (INT64_MIN for int64, INT32_MIN for narrower types, which
// then keep their low bits, as the hardware conversion does); floats to bool are x != 0 (NaN is
// true); narrower integers wrap.
#pragma once

#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/dtype.h"
#include "core/scalar.h"

namespace ember::cpu {

template <class T>
inline constexpr bool is_float_v =
    std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

template <class I>
inline I float_to_int(double v) {
  if constexpr (sizeof(I) == 8) {
    if (v >= -0x1p63 && v < 0x1p63) return static_cast<I>(static_cast<int64_t>(v));
    return static_cast<I>(std::numeric_limits<int64_t>::min());
  } else {
    const int32_t w = v > -0x1p31 - 1 && v < 0x1p31 ? static_cast<int32_t>(v)
                                                    : std::numeric_limits<int32_t>::min();
    return static_cast<I>(w);
  }
}

template <class To, class From>
inline To cast(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (is_float_v<From>) {
      return compute_t<From>(x) != compute_t<From>(0);
    } else {
      return x != 0;
    }
  } else if constexpr (std::is_same_v<From, bool>) {
    return To(x ? 1 : 0);
  } else if constexpr (std::is_integral_v<To>) {
    if constexpr (is_float_v<From>) {
      return float_to_int<To>(static_cast<double>(compute_t<From>(x)));
    } else {
      return static_cast<To>(x);
    }
  } else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(compute_t<From>(x)));
  } else {
    return static_cast<To>(compute_t<From>(x));
  }
}

// A scalar as T, by the same rules as a tensor of its kind cast to T.
template <class T>
inline T scalar_as(const Scalar& s) {
  switch (s.kind) {
    case Scalar::Kind::Float:
      return cast<T>(s.f);
    case Scalar::Kind::Bool:
      return cast<T>(s.i != 0);
    case Scalar::Kind::Int:
      break;
  }
  return cast<T>(s.i);
}

}  // namespace ember::cpu
