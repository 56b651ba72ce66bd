// A number passed by value, with the kind that type promotion looks at (see ember_scalar).
#pragma once

#include <cstdint>

#include "dtype.h"

namespace ember {

struct Scalar {
  enum class Kind : int32_t { Int = EMBER_SCALAR_INT, Float = EMBER_SCALAR_FLOAT, Bool = EMBER_SCALAR_BOOL };
  double f = 0;
  int64_t i = 0;
  Kind kind = Kind::Int;

  static Scalar from_int(int64_t v) { return {static_cast<double>(v), v, Kind::Int}; }
  static Scalar from_float(double v) { return {v, static_cast<int64_t>(v), Kind::Float}; }
  static Scalar from_bool(bool v) { return {v ? 1.0 : 0.0, v ? 1 : 0, Kind::Bool}; }

  bool is_floating() const { return kind == Kind::Float; }
  template <class T>
  T to() const {
    if constexpr (std::is_same_v<T, bool>) return kind == Kind::Float ? f != 0 : i != 0;
    else if constexpr (std::is_integral_v<T>) return kind == Kind::Float ? static_cast<T>(f) : static_cast<T>(i);
    else return kind == Kind::Float ? T(static_cast<float>(f)) : T(static_cast<float>(i));
  }
};

template <>
inline double Scalar::to<double>() const {
  return kind == Kind::Float ? f : static_cast<double>(i);
}

}  // namespace ember
