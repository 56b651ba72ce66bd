// Shared by the CUDA test files: loading the plugin (EMBER_CUDA_PLUGIN), random CPU inputs, and
// comparing a GPU result with the CPU reference.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"

namespace ember::cuda_test {

inline const Device kCpu{};
inline const Device kCuda{DeviceType::CUDA, 0};

// Loads the plugin once; the reason it is unusable, or empty when it is ready.
inline const std::string& cuda_unavailable() {
  static const std::string reason = [] {
    const char* path = std::getenv("EMBER_CUDA_PLUGIN");
    if (path == nullptr || *path == 0)
      return std::string("EMBER_CUDA_PLUGIN is not set (no CUDA plugin built on this machine)");
    try {
      load_backend(path);
    } catch (const Error& e) {
      return std::string("the CUDA plugin did not load: ") + e.what();
    }
    return std::string();
  }();
  return reason;
}

#define REQUIRE_CUDA()                                                   \
  do {                                                                   \
    if (!cuda_unavailable().empty()) GTEST_SKIP() << cuda_unavailable(); \
  } while (0)

// Restores a backend option when the test ends, whatever happens.
class OptionScope {
 public:
  OptionScope(const char* name, int64_t value) : name_(name), old_(backend_option(name)) {
    set_backend_option(name, value);
  }
  ~OptionScope() { set_backend_option(name_, old_); }

 private:
  const char* name_;
  int64_t old_;
};

inline Generator& gen() {
  static Generator g(1234);
  return g;
}

// Random values of dtype on the CPU (integers in [-20, 20), bool as > 0).
inline Tensor random_cpu(const DimVector& sizes, DType dtype) {
  Tensor r = ops::randn(sizes, DType::Float64, kCpu, gen());
  if (is_floating(dtype)) return ops::to_dtype(r, dtype);
  Tensor scaled = ops::binary_scalar(ops::BinaryOp::Mul, r, Scalar::from_float(8));
  return ops::to_dtype(scaled, dtype);
}

inline std::vector<double> values(const Tensor& t) {
  Tensor host = ops::to_dtype(ops::contiguous(ops::to_device(t, kCpu)), DType::Float64);
  const double* p = host->data_as<double>();
  return std::vector<double>(p, p + host->numel());
}

inline double tolerance(DType t) {
  switch (t) {
    case DType::Float16:
      return 2e-3;
    case DType::BFloat16:
      return 1.6e-2;
    case DType::Float32:
      return 2e-5;
    default:
      return 1e-12;
  }
}

// Sums and products the GPU adds in another order (atomics, other trees): a few units in the last
// place of 16-bit floats.
inline double reorder_tolerance(DType t) {
  switch (t) {
    case DType::Float16:
      return 1e-2;
    case DType::BFloat16:
      return 6e-2;
    case DType::Float32:
      return 1e-5;
    case DType::Float64:
      return 1e-12;
    default:
      return 0;
  }
}

// GPU result equals the CPU one: same shape, dtype, and values within the dtype's tolerance
// (NaN where the CPU has NaN).
inline void expect_same(const Tensor& cpu, const Tensor& cuda, const std::string& what,
                        double tol = -1) {
  ASSERT_EQ(cuda->device(), kCuda) << what;
  ASSERT_EQ(cpu->dtype(), cuda->dtype()) << what;
  ASSERT_EQ(cpu->sizes(), cuda->sizes()) << what;
  if (tol < 0) tol = tolerance(cpu->dtype());
  const std::vector<double> a = values(cpu), b = values(cuda);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << what << " at " << i;
      continue;
    }
    if (std::isinf(a[i])) {  // the tolerance below would be inf * 0 = NaN
      EXPECT_EQ(b[i], a[i]) << what << " at " << i;
      continue;
    }
    EXPECT_NEAR(b[i], a[i], tol * (1 + std::abs(a[i]))) << what << " at " << i;
    if (::testing::Test::HasFailure()) return;
  }
}

// As expect_same, for results that are long sums whose terms cancel (a weight gradient over a
// batch): the rounding error follows the size of the terms, not of each result, so the bound is
// tol times the largest result.
inline void expect_same_sums(const Tensor& cpu, const Tensor& cuda, const std::string& what,
                             double tol) {
  double largest = 0;
  for (double v : values(cpu)) largest = std::max(largest, std::abs(v));
  expect_same(cpu, cuda, what, tol * (1 + largest));
}

inline Tensor on_cuda(const Tensor& t) { return ops::to_device(t, kCuda); }

// Allocates a device tensor of sizes and dtype filled with NaN and frees it: the caching allocator
// hands the same block to the next allocation of that size on this stream, so a kernel that leaves
// part of its output unwritten shows NaN there.
inline void leave_nan(const DimVector& sizes, DType t) {
  const Tensor junk = ops::full(sizes, Scalar::from_float(NAN), t, kCuda);
  values(junk);  // waits for the fill
}

inline ops::Conv2dParams conv2d_params(std::array<int64_t, 2> stride, std::array<int64_t, 2> pad,
                                       std::array<int64_t, 2> dil, int64_t groups) {
  ops::Conv2dParams p;
  p.stride = stride;
  p.padding = pad;
  p.dilation = dil;
  p.groups = groups;
  return p;
}

inline const DType kFloats[] = {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16};
inline const DType kAll[] = {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16,
                             DType::Int64,   DType::Int32,   DType::Int16,   DType::Int8,
                             DType::UInt8,   DType::Bool};

}  // namespace ember::cuda_test
