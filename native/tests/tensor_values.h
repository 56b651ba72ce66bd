// Tensors from and to plain double values, for tests that write their inputs and expected results
// by hand: any dtype goes through float64 on the way.
#pragma once

#include <cstring>
#include <vector>

#include "core/ops.h"

namespace ember::test_util {

// A CPU tensor of sizes and dtype holding values (row-major).
inline Tensor tensor_of(const DimVector& sizes, DType dtype, const std::vector<double>& values) {
  Tensor t = empty(sizes, DType::Float64, Device{});
  std::memcpy(t->data(), values.data(), values.size() * sizeof(double));
  return ops::to_dtype(t, dtype);
}

// The elements of a CPU tensor in row-major order, as doubles.
inline std::vector<double> as_doubles(const Tensor& t) {
  const Tensor d = ops::contiguous(ops::to_dtype(t, DType::Float64));
  const double* p = d->data_as<double>();
  return std::vector<double>(p, p + d->numel());
}

}  // namespace ember::test_util
