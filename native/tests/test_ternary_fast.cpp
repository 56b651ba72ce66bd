// The in-place ternary ops' shortcut for operands of the output's own shape (no broadcast shape is
// built) and addc's for operands of one dtype (no promotion table): results against float64
// references computed here, element by element, for operands the shortcut takes (contiguous,
// strided, one element) and for those it leaves to the general path (broadcast, mixed dtypes), and
// the errors both paths must still raise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/ops_math.h"
#include "tensor_values.h"

namespace ember {
namespace {

using test_util::as_doubles;
using test_util::tensor_of;

const Device kCpu{};

std::vector<double> ramp(int64_t n, double start, double step) {
  std::vector<double> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = start + step * static_cast<double>(i);
  return v;
}

// a[i][j] + value * t1(i, j) * t2(i, j) over a 3 x 4 output, t1 and t2 given as functions of (i,
// j).
std::vector<double> reference(const std::vector<double>& a, double value,
                              const std::function<double(int, int)>& t1,
                              const std::function<double(int, int)>& t2) {
  std::vector<double> r(a.size());
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 4; ++j) r[i * 4 + j] = a[i * 4 + j] + value * t1(i, j) * t2(i, j);
  }
  return r;
}

void expect_near_all(const std::vector<double>& got, const std::vector<double>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

ember_status status_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return EMBER_OK;
}

TEST(TernaryInPlace, SameShapeContiguousOperands) {
  const auto av = ramp(12, -1.0, 0.25), bv = ramp(12, 0.5, 0.5), cv = ramp(12, 2.0, -0.3);
  Tensor a = tensor_of({3, 4}, DType::Float32, av);
  ops::addcmul_(a, tensor_of({3, 4}, DType::Float32, bv), tensor_of({3, 4}, DType::Float32, cv),
                Scalar::from_float(0.5));
  expect_near_all(as_doubles(a),
                  reference(
                      av, 0.5, [&](int i, int j) { return bv[i * 4 + j]; },
                      [&](int i, int j) { return cv[i * 4 + j]; }),
                  1e-5);
}

TEST(TernaryInPlace, OneElementOperands) {
  Tensor a = tensor_of({1}, DType::Float32, {1.5});
  ops::addcmul_(a, tensor_of({1}, DType::Float32, {2.0}), tensor_of({1}, DType::Float32, {-3.0}),
                Scalar::from_int(1));
  EXPECT_EQ(as_doubles(a), std::vector<double>{-4.5});
  Tensor z = tensor_of({}, DType::Float64, {0.25});  // 0-d operands take the same path
  ops::addcmul_(z, tensor_of({}, DType::Float64, {4.0}), tensor_of({}, DType::Float64, {0.5}),
                Scalar::from_float(-2.0));
  EXPECT_EQ(as_doubles(z), std::vector<double>{-3.75});
}

TEST(TernaryInPlace, SameShapeStridedOperands) {
  // t1 is the transpose of a 4 x 3 tensor and t2 a column slice of a 3 x 8 one: same sizes as the
  // output, other strides.
  const auto av = ramp(12, 0.0, 1.0), tv = ramp(12, 1.0, 0.5), wv = ramp(24, -2.0, 0.125);
  Tensor a = tensor_of({3, 4}, DType::Float32, av);
  const Tensor t1 = ops::transpose(tensor_of({4, 3}, DType::Float32, tv), 0, 1);
  const Tensor wide = tensor_of({3, 8}, DType::Float32, wv);
  const Tensor t2 = make_view(wide, {3, 4}, {8, 2}, 1);  // columns 1, 3, 5, 7
  ASSERT_FALSE(t1->is_contiguous());
  ASSERT_FALSE(t2->is_contiguous());
  ops::addcmul_(a, t1, t2, Scalar::from_float(2.0));
  expect_near_all(as_doubles(a),
                  reference(
                      av, 2.0, [&](int i, int j) { return tv[j * 3 + i]; },
                      [&](int i, int j) { return wv[i * 8 + 1 + 2 * j]; }),
                  1e-5);
}

TEST(TernaryInPlace, BroadcastOperands) {
  const auto av = ramp(12, 3.0, -0.5), rowv = ramp(4, 1.0, 1.0), colv = ramp(3, -1.0, 0.75);
  Tensor a = tensor_of({3, 4}, DType::Float32, av);
  ops::addcmul_(a, tensor_of({4}, DType::Float32, rowv), tensor_of({3, 1}, DType::Float32, colv),
                Scalar::from_float(1.5));
  expect_near_all(
      as_doubles(a),
      reference(
          av, 1.5, [&](int, int j) { return rowv[j]; }, [&](int i, int) { return colv[i]; }),
      1e-5);
}

TEST(TernaryInPlace, MixedDtypes) {
  // float32 output, float64 and float32 operands: computed in float64, stored rounded.
  const auto av = ramp(12, 0.1, 0.2), bv = ramp(12, 1.0 / 3.0, 0.1), cv = ramp(12, 0.7, 0.05);
  Tensor a = tensor_of({3, 4}, DType::Float32, av);
  ops::addcmul_(a, tensor_of({3, 4}, DType::Float64, bv), tensor_of({3, 4}, DType::Float32, cv),
                Scalar::from_float(0.25));
  const std::vector<double> a32 = as_doubles(tensor_of({3, 4}, DType::Float32, av));
  const std::vector<double> c32 = as_doubles(tensor_of({3, 4}, DType::Float32, cv));
  expect_near_all(as_doubles(a),
                  reference(
                      a32, 0.25, [&](int i, int j) { return bv[i * 4 + j]; },
                      [&](int i, int j) { return c32[i * 4 + j]; }),
                  1e-6);
  // Integers of one dtype stay integers.
  Tensor n = tensor_of({2}, DType::Int64, {5, -7});
  ops::addcmul_(n, tensor_of({2}, DType::Int64, {3, 2}), tensor_of({2}, DType::Int64, {4, 6}),
                Scalar::from_int(2));
  EXPECT_EQ(n->dtype(), DType::Int64);
  EXPECT_EQ(as_doubles(n), (std::vector<double>{29, 17}));
}

TEST(TernaryInPlace, ErrorsOnBothPaths) {
  Tensor a = tensor_of({3, 4}, DType::Float32, ramp(12, 0, 1));
  // An operand that broadcasts past the output's shape.
  EXPECT_EQ(status_of([&] {
              ops::addcmul_(a, tensor_of({2, 3, 4}, DType::Float32, ramp(24, 0, 1)),
                            tensor_of({3, 4}, DType::Float32, ramp(12, 0, 1)),
                            Scalar::from_float(1.0));
            }),
            EMBER_ERROR_SHAPE);
  // Shapes that do not broadcast.
  EXPECT_EQ(status_of([&] {
              ops::addcmul_(a, tensor_of({3, 3}, DType::Float32, ramp(9, 0, 1)),
                            tensor_of({3, 4}, DType::Float32, ramp(12, 0, 1)),
                            Scalar::from_float(1.0));
            }),
            EMBER_ERROR_SHAPE);
  // One dtype, but one the op refuses: bool, and a fractional value for integers.
  Tensor flags = tensor_of({2}, DType::Bool, {1, 0});
  EXPECT_EQ(status_of([&] { ops::addcmul_(flags, flags, flags, Scalar::from_int(1)); }),
            EMBER_ERROR_DTYPE);
  Tensor n = tensor_of({2}, DType::Int32, {1, 2});
  EXPECT_EQ(status_of([&] { ops::addcmul_(n, n, n, Scalar::from_float(0.5)); }), EMBER_ERROR_DTYPE);
  EXPECT_EQ(status_of([&] { ops::addcdiv_(n, n, n, Scalar::from_int(1)); }), EMBER_ERROR_DTYPE);
  // The output overlapping an operand in part.
  Tensor base = tensor_of({8}, DType::Float32, ramp(8, 0, 1));
  const Tensor lo = make_view(base, {4}, {1}, 0), mid = make_view(base, {4}, {1}, 2);
  EXPECT_EQ(status_of([&] { ops::addcmul_(lo, mid, mid, Scalar::from_float(1.0)); }),
            EMBER_ERROR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace ember
