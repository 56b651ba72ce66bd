// The full sum (every element into one value) on the GPU against the CPU, on the cases its dense
// path has to get right: runs long enough that every thread's batch of loads is in play, lengths
// with a tail shorter than one 16-byte vector, runs shorter than one vector, and views that start
// off a 16-byte boundary (the strided path) or on one (the dense path), in every dtype.
// The values are small integers, so every partial sum is exact in any order and the GPU must give
// the CPU's result exactly (16-bit floats: within their rounding of the exact total).
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

// n small integers of dtype from a hash of the index: -3..3 (0..3 for unsigned and bool), with no
// period that could hide a skipped or repeated stretch.
Tensor small_integers(int64_t n, DType dtype) {
  Tensor t = empty({n}, DType::Int8, kCpu);
  int8_t* p = t->data_as<int8_t>();
  const bool non_negative = dtype == DType::UInt8 || dtype == DType::Bool;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t h = static_cast<uint32_t>(static_cast<uint64_t>(i) * 2654435761u) >> 13;
    p[i] = static_cast<int8_t>(non_negative ? h % 4 : static_cast<int>(h % 7) - 3);
  }
  return ops::to_dtype(t, dtype);
}

void expect_full_sum(const Tensor& x, const std::string& what) {
  const DType t = x->dtype();
  const bool half = t == DType::Float16 || t == DType::BFloat16;
  const Tensor xc = on_cuda(x);
  expect_same(ops::sum(x, {}, false), ops::sum(xc, {}, false), "sum " + what,
              half ? tolerance(t) : 0);
  if (is_floating(t))
    expect_same(ops::mean(x, {}, false), ops::mean(xc, {}, false), "mean " + what, tolerance(t));
}

TEST(CudaSumFull, DenseRunsTailsAndOffsetsMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const int64_t size = element_size(t);
    const int64_t w = 16 / size;  // elements per 16-byte vector
    // 24 MiB: on a GPU of up to 192 SMs, every thread of the dense pass's full grid gets past its
    // first batch of loads (128 KiB per SM) before the one-by-one remainder.
    const int64_t long_n = (int64_t{24} << 20) / size + 3;
    for (int64_t n : {int64_t{1}, w - 1, w + 1, 3 * 256 * w + w / 2 + 1, long_n}) {
      if (n < 1) continue;
      expect_full_sum(small_integers(n, t),
                      std::string(dtype_name(t)) + " of " + std::to_string(n) + " elements");
    }
    // Views of the long run: one element in (off the 16-byte boundary), one vector in with an odd
    // length (on it).
    const Tensor x = small_integers(long_n, t);
    expect_full_sum(ops::slice(x, 0, 1, long_n, 1), std::string(dtype_name(t)) + " from element 1");
    expect_full_sum(ops::slice(x, 0, w, long_n - 1, 1),
                    std::string(dtype_name(t)) + " from element " + std::to_string(w));
  }
}

}  // namespace
}  // namespace ember
