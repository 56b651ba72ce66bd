// Small helpers shared by the CPU nn kernels.
#pragma once

#include <cstdint>

#include "core/dtype.h"
#include "core/error.h"

namespace ember::cpu {

// fn(CppTypeTag<T>{}) for the floating dtypes (float, double, Half, BFloat16).
template <class F>
decltype(auto) dispatch_floating(const char* op, DType t, F&& fn) {
  switch (t) {
    case DType::Float32:
      return fn(CppTypeTag<float>{});
    case DType::Float64:
      return fn(CppTypeTag<double>{});
    case DType::Float16:
      return fn(CppTypeTag<Half>{});
    case DType::BFloat16:
      return fn(CppTypeTag<BFloat16>{});
    default:
      EMBER_FAIL(EMBER_ERROR_DTYPE, op, ": no CPU kernel for dtype ", dtype_name(t));
  }
}

// fn for float and double only (BLAS-backed and hand-blocked kernels; the meta functions compute
// the 16-bit floats in float32).
template <class F>
decltype(auto) dispatch_float_double(const char* op, DType t, F&& fn) {
  switch (t) {
    case DType::Float32:
      return fn(CppTypeTag<float>{});
    case DType::Float64:
      return fn(CppTypeTag<double>{});
    default:
      EMBER_FAIL(EMBER_ERROR_DTYPE, op, ": no CPU kernel for dtype ", dtype_name(t));
  }
}

}  // namespace ember::cpu
