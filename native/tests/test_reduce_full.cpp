// Reductions of a whole contiguous tensor (cpu/reduce_full.h): sum, mean, amax and amin over sizes
// around the block and lane boundaries, against float64 references computed here; results that do
// not depend on the thread count; NaN and infinities; integer, bool and 16-bit inputs; and
// agreement with the iterator's path, which strided inputs still take.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/ops.h"
#include "core/ops_math.h"
#include "core/parallel.h"

namespace ember {
namespace {

const Device kCpu{};
const std::vector<int64_t> kAll;

std::vector<double> lcg_values(int64_t n, uint64_t seed) {
  std::vector<double> v(static_cast<size_t>(n));
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = -1 + static_cast<double>(s >> 11) * 0x1p-52;  // [-1, 1)
  }
  return v;
}

Tensor tensor_of(const std::vector<double>& values, DType dtype) {
  Tensor t = empty(DimVector{static_cast<int64_t>(values.size())}, DType::Float64, kCpu);
  std::memcpy(t->data(), values.data(), values.size() * sizeof(double));
  return ops::to_dtype(t, dtype);
}

double scalar(const Tensor& t) {
  EXPECT_EQ(t->numel(), 1);
  return *ops::to_dtype(t, DType::Float64)->data_as<double>();
}

// The input's values as the dtype holds them.
std::vector<double> held(const Tensor& t) {
  const Tensor d = ops::to_dtype(t, DType::Float64);
  return std::vector<double>(d->data_as<double>(), d->data_as<double>() + d->numel());
}

class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

// Sizes below, at and above the 32 lanes, the 4096-element block and the 8-block grain.
const int64_t kSizes[] = {1, 2, 8, 9, 31, 33, 4095, 4096, 4097, 32768 + 5, 300001, (1 << 20) + 3};

TEST(ReduceFull, SumMeanMaxMinMatchFloat64References) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (int64_t n : kSizes) {
      const Tensor x = tensor_of(lcg_values(n, static_cast<uint64_t>(n)), dtype);
      double sum = 0, abs_sum = 0, hi = -INFINITY, lo = INFINITY;
      for (double v : held(x)) {
        sum += v;
        abs_sum += std::abs(v);
        hi = std::max(hi, v);
        lo = std::min(lo, v);
      }
      // Pairwise over blocks: the error grows with log(n) times the unit roundoff.
      const double eps = dtype == DType::Float32 ? 0x1p-24 : 0x1p-53;
      const double tol = abs_sum * eps * (std::log2(static_cast<double>(n)) + 8);
      SCOPED_TRACE(testing::Message() << dtype_name(dtype) << " n=" << n);
      EXPECT_NEAR(scalar(ops::sum(x, kAll, false)), sum, tol);
      EXPECT_NEAR(scalar(ops::mean(x, kAll, false)), sum / static_cast<double>(n),
                  tol / static_cast<double>(n) + eps);
      EXPECT_EQ(scalar(ops::amax(x, kAll, false)), hi);
      EXPECT_EQ(scalar(ops::amin(x, kAll, false)), lo);
    }
  }
}

TEST(ReduceFull, ResultsDoNotDependOnThreadCount) {
  const Tensor x = tensor_of(lcg_values((1 << 20) + 77, 5), DType::Float32);
  float results[3][3];
  for (int threads = 1; threads <= 3; ++threads) {
    const ThreadCount scoped(threads);
    results[threads - 1][0] = *ops::sum(x, kAll, false)->data_as<float>();
    results[threads - 1][1] = *ops::mean(x, kAll, false)->data_as<float>();
    results[threads - 1][2] = *ops::amax(x, kAll, false)->data_as<float>();
  }
  EXPECT_EQ(std::memcmp(results[0], results[1], sizeof(results[0])), 0);
  EXPECT_EQ(std::memcmp(results[0], results[2], sizeof(results[0])), 0);
}

TEST(ReduceFull, NanPropagatesAndInfinitiesCount) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int64_t n : {int64_t{5}, int64_t{4097}, int64_t{300001}}) {
    for (int64_t at : {int64_t{0}, n / 2, n - 1}) {
      std::vector<double> v = lcg_values(n, 11);
      v[static_cast<size_t>(at)] = nan;
      const Tensor x = tensor_of(v, DType::Float32);
      SCOPED_TRACE(testing::Message() << "n=" << n << " NaN at " << at);
      EXPECT_TRUE(std::isnan(scalar(ops::amax(x, kAll, false))));
      EXPECT_TRUE(std::isnan(scalar(ops::amin(x, kAll, false))));
      EXPECT_TRUE(std::isnan(scalar(ops::sum(x, kAll, false))));
    }
    std::vector<double> v = lcg_values(n, 12);
    v[static_cast<size_t>(n / 3)] = INFINITY;
    v[static_cast<size_t>(n - 1)] = -INFINITY;
    const Tensor x = tensor_of(v, DType::Float32);
    EXPECT_EQ(scalar(ops::amax(x, kAll, false)), INFINITY);
    EXPECT_EQ(scalar(ops::amin(x, kAll, false)), -INFINITY);
    EXPECT_TRUE(std::isnan(scalar(ops::sum(x, kAll, false))));  // inf + -inf
  }
}

TEST(ReduceFull, IntegersSumExactlyIntoInt64AndBoolsCount) {
  const int64_t n = 300001;
  std::vector<double> v(static_cast<size_t>(n));
  int64_t expected = 0, ones = 0;
  for (int64_t i = 0; i < n; ++i) {
    v[static_cast<size_t>(i)] = static_cast<double>((i * 7919) % 2001 - 1000) * 1000.0;
    expected += static_cast<int64_t>(v[static_cast<size_t>(i)]);
    ones += v[static_cast<size_t>(i)] != 0;
  }
  const Tensor s = ops::sum(tensor_of(v, DType::Int32), kAll, false);
  ASSERT_EQ(s->dtype(), DType::Int64);
  EXPECT_EQ(*s->data_as<int64_t>(), expected);
  const Tensor count = ops::sum(tensor_of(v, DType::Bool), kAll, false);
  EXPECT_EQ(*count->data_as<int64_t>(), ones);
  EXPECT_EQ(*ops::amax(tensor_of(v, DType::Int32), kAll, false)->data_as<int32_t>(), 1000000);
  EXPECT_EQ(*ops::amin(tensor_of(v, DType::Int32), kAll, false)->data_as<int32_t>(), -1000000);
}

TEST(ReduceFull, HalfAndBFloat16AccumulateInFloat32) {
  // 2^20 + 3 ones: a float16 accumulator would stop at 2048, a bfloat16 one at 256.
  const std::vector<double> v(static_cast<size_t>((1 << 20) + 3), 1.0);
  for (DType dtype : {DType::Float16, DType::BFloat16}) {
    SCOPED_TRACE(dtype_name(dtype));
    const Tensor x = tensor_of(v, dtype);
    const Tensor s = ops::sum(x, kAll, false);
    EXPECT_EQ(s->dtype(), dtype);
    // The float32 sum is exact; rounding it to the 16-bit dtype is the only error.
    EXPECT_EQ(scalar(s), scalar(ops::to_dtype(tensor_of({1048579.0}, DType::Float32), dtype)));
    EXPECT_EQ(scalar(ops::mean(x, kAll, false)), 1.0);
  }
}

TEST(ReduceFull, AgreesWithTheIteratorOnStridedInputs) {
  // A transposed view is not contiguous and takes the iterator; its contiguous copy takes the full
  // path.
  const Tensor x = ops::transpose(ops::reshape(tensor_of(lcg_values(700 * 300, 3), DType::Float64),
                                               std::vector<int64_t>{700, 300}),
                                  0, 1);
  ASSERT_FALSE(x->is_contiguous());
  const Tensor c = ops::contiguous(x);
  EXPECT_NEAR(scalar(ops::sum(x, kAll, false)), scalar(ops::sum(c, kAll, false)), 1e-9);
  EXPECT_EQ(scalar(ops::amax(x, kAll, false)), scalar(ops::amax(c, kAll, false)));
  // keepdim and an explicit list of every dim are full reductions too.
  const std::vector<int64_t> both{0, 1};
  const Tensor kept = ops::sum(c, both, true);
  EXPECT_EQ(kept->dim(), 2);
  EXPECT_EQ(scalar(kept), scalar(ops::sum(c, kAll, false)));
}

}  // namespace
}  // namespace ember
