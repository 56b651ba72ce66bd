// The CUDA plugin's average and adaptive pooling (1-d and 2-d, forward and backward) against the
// CPU backend, in every floating dtype, on contiguous and strided inputs, with padding, ceil_mode,
// count_include_pad and divisor_override. Skips without the plugin (see cuda_test_util.h).
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "core/nn_conv_pool.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

// The same values on both devices, as a contiguous tensor or as a strided view (the last two
// dims stored swapped, so the view handed to the op is not contiguous); with_nan puts a NaN in
// the first row.
struct Input {
  Tensor cpu, cuda;
};

Input make_input(const DimVector& sizes, DType t, bool strided, bool with_nan = false) {
  DimVector stored = sizes;
  if (strided) std::swap(stored[stored.size() - 1], stored[stored.size() - 2]);
  const Tensor base = random_cpu(stored, t);
  if (with_nan) {
    Tensor row = base;
    while (row->dim() > 1) row = ops::select(row, 0, 0);
    ops::fill_(ops::slice(row, 0, 1, 2, 1), Scalar::from_float(NAN));
  }
  if (!strided) return {base, on_cuda(base)};
  const int64_t d = static_cast<int64_t>(sizes.size());
  return {ops::transpose(base, d - 2, d - 1), ops::transpose(on_cuda(base), d - 2, d - 1)};
}

std::string name(const char* op, DType t, bool strided) {
  return std::string(op) + " " + dtype_name(t) + (strided ? " strided" : "");
}

ops::AvgPoolParams avg(int64_t dims, std::array<int64_t, 2> k, std::array<int64_t, 2> s,
                       std::array<int64_t, 2> pad, bool ceil_mode, bool include_pad,
                       int64_t divisor) {
  ops::AvgPoolParams p;
  p.dims = dims;
  p.kernel = k;
  p.stride = s;
  p.padding = pad;
  p.ceil_mode = ceil_mode;
  p.count_include_pad = include_pad;
  p.divisor_override = divisor;
  return p;
}

struct AvgCase {
  DimVector x;
  ops::AvgPoolParams p;
};

const AvgCase kAvgCases[] = {
    {{2, 3, 8, 8}, avg(2, {2, 2}, {2, 2}, {0, 0}, false, true, 0)},
    {{2, 3, 9, 7}, avg(2, {3, 2}, {2, 1}, {1, 1}, false, true, 0)},
    // ceil_mode: the last windows hang over the right and bottom edges, or start in the padding.
    {{1, 2, 10, 11}, avg(2, {3, 3}, {2, 3}, {1, 1}, true, true, 0)},
    {{1, 2, 10, 11}, avg(2, {3, 3}, {2, 3}, {1, 1}, true, false, 0)},
    {{3, 2, 5, 6}, avg(2, {4, 3}, {3, 2}, {2, 1}, true, false, 0)},
    {{2, 2, 7, 9}, avg(2, {3, 4}, {2, 2}, {1, 2}, false, false, 5)},  // divisor_override
    {{2, 1, 6, 5}, avg(2, {5, 5}, {1, 1}, {2, 2}, false, false, 0)},  // windows overlap a lot
    {{4, 3, 1, 13}, avg(1, {1, 3}, {1, 2}, {0, 1}, true, false, 0)},  // avg_pool1d
    {{4, 3, 1, 12}, avg(1, {1, 4}, {1, 4}, {0, 2}, false, true, 3)},
    {{4, 8, 33, 47}, avg(2, {3, 3}, {2, 2}, {1, 1}, true, false, 0)},  // many blocks
};

TEST(CudaPool, AvgPoolMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const AvgCase& c : kAvgCases) {
      for (bool strided : {false, true}) {
        // 1-d pooling takes (N, C, L): drop the size-1 height.
        DimVector sizes = c.x;
        if (c.p.dims == 1) sizes.erase(2);
        const Input x = make_input(sizes, t, strided);
        const Tensor y = ops::avg_pool(x.cpu, c.p);
        const Tensor yg = ops::avg_pool(x.cuda, c.p);
        expect_same(y, yg, name("avg_pool", t, strided));
        const Input gy = make_input(y->sizes(), t, strided);
        expect_same(ops::avg_pool_backward(gy.cpu, x.cpu, c.p),
                    ops::avg_pool_backward(gy.cuda, x.cuda, c.p),
                    name("avg_pool_backward", t, strided));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(CudaPool, AvgPoolUnbatchedInput) {
  REQUIRE_CUDA();
  const ops::AvgPoolParams p = avg(2, {3, 3}, {2, 2}, {1, 1}, true, false, 0);
  const Tensor x = random_cpu({3, 9, 10}, DType::Float32);
  const Tensor y = ops::avg_pool(x, p);
  expect_same(y, ops::avg_pool(on_cuda(x), p), "avg_pool unbatched");
  const Tensor gy = random_cpu(y->sizes(), DType::Float32);
  expect_same(ops::avg_pool_backward(gy, x, p), ops::avg_pool_backward(on_cuda(gy), on_cuda(x), p),
              "avg_pool_backward unbatched");
}

struct AdaptiveCase {
  DimVector x;
  std::vector<int64_t> out;
};

// Output sizes that divide the input, that do not (overlapping windows), larger than the input,
// 1 (global pooling), and 1-d.
const AdaptiveCase kAdaptiveCases[] = {
    {{2, 3, 8, 8}, {4, 4}},   {{2, 3, 10, 7}, {3, 4}}, {{1, 2, 5, 3}, {7, 6}},
    {{3, 4, 9, 11}, {1, 1}},  {{2, 3, 1, 13}, {5}},    {{2, 3, 1, 4}, {9}},
    {{4, 8, 37, 29}, {7, 5}},
};

TEST(CudaPool, AdaptiveAvgPoolMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const AdaptiveCase& c : kAdaptiveCases) {
      for (bool strided : {false, true}) {
        const auto dims = static_cast<int64_t>(c.out.size());
        DimVector sizes = c.x;
        if (dims == 1) sizes.erase(2);
        const Input x = make_input(sizes, t, strided);
        const std::span<const int64_t> size(c.out.data(), c.out.size());
        const Tensor y = ops::adaptive_avg_pool(x.cpu, size);
        expect_same(y, ops::adaptive_avg_pool(x.cuda, size), name("adaptive_avg_pool", t, strided));
        const Input gy = make_input(y->sizes(), t, strided);
        expect_same(ops::adaptive_avg_pool_backward(gy.cpu, x.cpu, dims),
                    ops::adaptive_avg_pool_backward(gy.cuda, x.cuda, dims),
                    name("adaptive_avg_pool_backward", t, strided));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(CudaPool, AdaptiveMaxPoolMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const AdaptiveCase& c : kAdaptiveCases) {
      for (bool strided : {false, true}) {
        const auto dims = static_cast<int64_t>(c.out.size());
        DimVector sizes = c.x;
        if (dims == 1) sizes.erase(2);
        // A NaN must win its windows on both devices (and give the same index).
        const Input x = make_input(sizes, t, strided, true);
        const std::span<const int64_t> size(c.out.data(), c.out.size());
        const auto [y, ind] = ops::adaptive_max_pool(x.cpu, size);
        const auto [yg, indg] = ops::adaptive_max_pool(x.cuda, size);
        expect_same(y, yg, name("adaptive_max_pool", t, strided), 0);
        expect_same(ind, indg, name("adaptive_max_pool indices", t, strided), 0);
        const Input gy = make_input(y->sizes(), t, strided);
        expect_same(ops::adaptive_max_pool_backward(gy.cpu, x.cpu, ind, dims),
                    ops::adaptive_max_pool_backward(gy.cuda, x.cuda, indg, dims),
                    name("adaptive_max_pool_backward", t, strided));
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// The strided cases above pass views whose last two dims are swapped; this one also slices with
// a step, so the input has gaps.
TEST(CudaPool, SlicedInputs) {
  REQUIRE_CUDA();
  const Tensor base = random_cpu({2, 6, 12, 14}, DType::Float64);
  const Tensor x = ops::slice(ops::slice(base, 1, 1, 6, 2), 3, 0, 14, 3);
  const Tensor xg = ops::slice(ops::slice(on_cuda(base), 1, 1, 6, 2), 3, 0, 14, 3);
  const ops::AvgPoolParams p = avg(2, {3, 2}, {2, 2}, {1, 1}, true, true, 0);
  expect_same(ops::avg_pool(x, p), ops::avg_pool(xg, p), "avg_pool sliced");
  const std::vector<int64_t> out{5, 3};
  const std::span<const int64_t> size(out.data(), out.size());
  expect_same(ops::adaptive_avg_pool(x, size), ops::adaptive_avg_pool(xg, size),
              "adaptive_avg_pool sliced");
  expect_same(ops::adaptive_max_pool(x, size).first, ops::adaptive_max_pool(xg, size).first,
              "adaptive_max_pool sliced");
}

}  // namespace
}  // namespace ember
