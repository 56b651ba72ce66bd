// Shape ops (core/ops_shape.h): small cases whose values are worked out by hand here (the managed
// tests compare the same ops with PyTorch), non-contiguous inputs, and the error messages.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/ops_shape.h"

namespace ember {
namespace {

using V = std::vector<int64_t>;
const Device kCpu{};

// 0, 1, 2, ... as float64 in the given shape.
Tensor iota(const DimVector& sizes, DType dtype = DType::Float64) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  Tensor a =
      ops::arange(Scalar::from_int(0), Scalar::from_int(n), Scalar::from_int(1), dtype, kCpu);
  return ops::reshape(a, std::span<const int64_t>(sizes));
}

// The elements in row-major order, as doubles.
std::vector<double> values(const Tensor& t) {
  Tensor c = ops::contiguous(ops::to_dtype(t, DType::Float64));
  const double* p = c->data_as<double>();
  return std::vector<double>(p, p + c->numel());
}

Tensor from(std::initializer_list<double> v, const DimVector& sizes) {
  Tensor t = empty(sizes, DType::Float64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<double>());
  return t;
}

void expect_error(const std::function<void()>& f, ember_status status,
                  std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    for (const std::string& p : parts) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
    }
  }
}

std::span<const int64_t> S(const V& v) { return {v.data(), v.size()}; }

TEST(Shape, CatPromotesAndSkipsLegacyEmpty) {
  Tensor a = iota({2, 2});
  Tensor b = iota({2, 1}, DType::Int32);
  Tensor legacy = empty({0}, DType::Float32, kCpu);
  Tensor r = ops::cat(std::vector<Tensor>{a, legacy, b}, 1);
  EXPECT_EQ(r->sizes(), DimVector({2, 3}));
  EXPECT_EQ(r->dtype(), DType::Float64);
  EXPECT_EQ(values(r), (std::vector<double>{0, 1, 0, 2, 3, 1}));
  // Non-contiguous input (a transpose).
  Tensor t = ops::transpose(iota({2, 3}), 0, 1);
  EXPECT_EQ(values(ops::cat(std::vector<Tensor>{t, t}, 0)),
            (std::vector<double>{0, 3, 1, 4, 2, 5, 0, 3, 1, 4, 2, 5}));
  expect_error(
      [&] {
        ops::cat(std::vector<Tensor>{a, iota({3, 3})}, 1);
      },
      EMBER_ERROR_SHAPE, {"cat", "[2, 2] float64", "[3, 3] float64"});
  expect_error([&] { ops::cat(std::vector<Tensor>{iota({})}, 0); }, EMBER_ERROR_SHAPE,
               {"cat", "zero-dimensional"});
  expect_error([&] { ops::cat(std::vector<Tensor>{}, 0); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"cat", "non-empty"});
  expect_error([&] { ops::cat(std::vector<Tensor>{a}, 2); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"cat", "dim 2"});
}

TEST(Shape, StackAndFriends) {
  Tensor a = iota({3}), b = ops::binary_scalar(ops::BinaryOp::Add, iota({3}), Scalar::from_int(10));
  EXPECT_EQ(ops::stack(std::vector<Tensor>{a, b}, 1)->sizes(), DimVector({3, 2}));
  EXPECT_EQ(values(ops::stack(std::vector<Tensor>{a, b}, -1)),
            (std::vector<double>{0, 10, 1, 11, 2, 12}));
  EXPECT_EQ(ops::hstack(std::vector<Tensor>{a, b})->sizes(), DimVector({6}));
  EXPECT_EQ(ops::vstack(std::vector<Tensor>{a, b})->sizes(), DimVector({2, 3}));
  expect_error(
      [&] {
        ops::stack(std::vector<Tensor>{a, iota({4})}, 0);
      },
      EMBER_ERROR_SHAPE, {"stack", "[3] float64", "[4] float64"});
}

TEST(Shape, SplitUnbindAreViews) {
  Tensor t = iota({5, 2});
  std::vector<Tensor> parts = ops::split_with_sizes(t, S(V{2, 0, 3}), 0);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[1]->sizes(), DimVector({0, 2}));
  EXPECT_EQ(values(parts[2]), (std::vector<double>{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(parts[2]->storage().get(), t->storage().get());
  expect_error(
      [&] {
        ops::split_with_sizes(t, S(V{2, 2}), 0);
      },
      EMBER_ERROR_SHAPE, {"split", "[2, 2]", "5"});
  std::vector<Tensor> cols = ops::unbind(t, 1);
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(values(cols[1]), (std::vector<double>{1, 3, 5, 7, 9}));
}

TEST(Shape, FlattenUnflattenMovedim) {
  Tensor t = iota({2, 3, 4});
  EXPECT_EQ(ops::flatten(t, 1, 2)->sizes(), DimVector({2, 12}));
  EXPECT_EQ(ops::flatten(iota({}), 0, -1)->sizes(), DimVector({1}));
  EXPECT_EQ(ops::unflatten(t, 2, S(V{2, -1}))->sizes(), DimVector({2, 3, 2, 2}));
  expect_error(
      [&] {
        ops::unflatten(t, 2, S(V{3, 2}));
      },
      EMBER_ERROR_SHAPE, {"unflatten", "[3, 2]"});
  Tensor m = ops::movedim(t, S(V{0}), S(V{-1}));
  EXPECT_EQ(m->sizes(), DimVector({3, 4, 2}));
  EXPECT_EQ(m->storage().get(), t->storage().get());
  expect_error(
      [&] {
        ops::movedim(t, S(V{0, 0}), S(V{1, 2}));
      },
      EMBER_ERROR_INVALID_ARGUMENT, {"movedim", "repeated"});
}

TEST(Shape, RepeatTileInterleave) {
  Tensor t = from({1, 2}, {2});
  EXPECT_EQ(values(ops::repeat(t, S(V{2, 2}))), (std::vector<double>{1, 2, 1, 2, 1, 2, 1, 2}));
  EXPECT_EQ(ops::repeat(t, S(V{3, 0}))->sizes(), DimVector({3, 0}));
  expect_error([&] { ops::repeat(iota({2, 2}), S(V{2})); }, EMBER_ERROR_SHAPE, {"repeat"});
  EXPECT_EQ(ops::tile(iota({2, 2}), S(V{2}))->sizes(), DimVector({2, 4}));
  EXPECT_EQ(values(ops::repeat_interleave(t, 2, 0, false)), (std::vector<double>{1, 1, 2, 2}));
  Tensor reps = ops::arange(Scalar::from_int(1), Scalar::from_int(3), Scalar::from_int(1),
                            DType::Int64, kCpu);
  Tensor m = iota({2, 2});
  EXPECT_EQ(values(ops::repeat_interleave(m, reps, 0, true)),
            (std::vector<double>{0, 1, 2, 3, 2, 3}));
  expect_error([&] { ops::repeat_interleave(m, -1, 0, true); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"repeat_interleave", "negative"});
}

TEST(Shape, FlipRoll) {
  Tensor t = iota({2, 3});
  EXPECT_EQ(values(ops::flip(t, S(V{0, 1}))), (std::vector<double>{5, 4, 3, 2, 1, 0}));
  Tensor tr = ops::transpose(t, 0, 1);  // non-contiguous [3, 2]
  EXPECT_EQ(values(ops::flip(tr, S(V{0}))), (std::vector<double>{2, 5, 1, 4, 0, 3}));
  EXPECT_EQ(values(ops::roll(t, S(V{1}), S(V{1}))), (std::vector<double>{2, 0, 1, 5, 3, 4}));
  EXPECT_EQ(values(ops::roll(t, S(V{-1}), S(V{}))), (std::vector<double>{1, 2, 3, 4, 5, 0}));
  expect_error(
      [&] {
        ops::flip(t, S(V{0, -2}));
      },
      EMBER_ERROR_INVALID_ARGUMENT, {"flip", "multiple times"});
}

TEST(Shape, TriangleAndDiagonal) {
  Tensor t = iota({3, 3});
  EXPECT_EQ(values(ops::tril(t, 0)), (std::vector<double>{0, 0, 0, 3, 4, 0, 6, 7, 8}));
  EXPECT_EQ(values(ops::triu(t, 1)), (std::vector<double>{0, 1, 2, 0, 0, 5, 0, 0, 0}));
  EXPECT_EQ(values(ops::triu(t, -1)), (std::vector<double>{0, 1, 2, 3, 4, 5, 0, 7, 8}));
  EXPECT_EQ(values(ops::diagonal(t, 1, 0, 1)), (std::vector<double>{1, 5}));
  EXPECT_EQ(values(ops::diagonal(t, -2, 0, 1)), (std::vector<double>{6}));
  EXPECT_EQ(ops::diagonal(t, 5, 0, 1)->sizes(), DimVector({0}));
  EXPECT_EQ(values(ops::diag(from({1, 2}, {2}), 1)),
            (std::vector<double>{0, 1, 0, 0, 0, 2, 0, 0, 0}));
  Tensor e = ops::diag_embed(iota({2, 2}), 0, -2, -1);
  EXPECT_EQ(e->sizes(), DimVector({2, 2, 2}));
  EXPECT_EQ(values(e), (std::vector<double>{0, 0, 0, 1, 2, 0, 0, 3}));
  expect_error([&] { ops::tril(iota({3}), 0); }, EMBER_ERROR_SHAPE, {"tril", "[3] float64"});
  expect_error([&] { ops::diagonal(t, 0, 1, -1); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"diagonal", "identical"});
}

TEST(Shape, PadModes) {
  Tensor t = from({1, 2, 3}, {1, 3});
  const Scalar nine = Scalar::from_float(9);
  EXPECT_EQ(values(ops::pad(t, S(V{2, 1}), ops::PadMode::Constant, nine)),
            (std::vector<double>{9, 9, 1, 2, 3, 9}));
  EXPECT_EQ(values(ops::pad(t, S(V{-1, 0}), ops::PadMode::Constant, nine)),
            (std::vector<double>{2, 3}));
  EXPECT_EQ(values(ops::pad(t, S(V{2, 2}), ops::PadMode::Reflect, nine)),
            (std::vector<double>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(values(ops::pad(t, S(V{2, 1}), ops::PadMode::Replicate, nine)),
            (std::vector<double>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(values(ops::pad(t, S(V{1, 2}), ops::PadMode::Circular, nine)),
            (std::vector<double>{3, 1, 2, 3, 1, 2}));
  expect_error(
      [&] {
        ops::pad(t, S(V{3, 0}), ops::PadMode::Reflect, nine);
      },
      EMBER_ERROR_SHAPE, {"pad (reflect)", "(3, 0)", "[1, 3] float64"});
  expect_error([&] { ops::pad(t, S(V{1}), ops::PadMode::Constant, nine); },
               EMBER_ERROR_INVALID_ARGUMENT, {"pad", "divisible by 2"});
}

TEST(Shape, Meshgrid) {
  Tensor x = from({1, 2, 3}, {3}), y = from({4, 5}, {2});
  std::vector<Tensor> ij = ops::meshgrid(std::vector<Tensor>{x, y}, false);
  EXPECT_EQ(ij[0]->sizes(), DimVector({3, 2}));
  EXPECT_EQ(values(ij[1]), (std::vector<double>{4, 5, 4, 5, 4, 5}));
  std::vector<Tensor> xy = ops::meshgrid(std::vector<Tensor>{x, y}, true);
  EXPECT_EQ(xy[0]->sizes(), DimVector({2, 3}));
  EXPECT_EQ(values(xy[0]), (std::vector<double>{1, 2, 3, 1, 2, 3}));
}

TEST(Shape, IndexSelect) {
  Tensor t = iota({3, 2});
  Tensor idx = from({2, 0, 2}, {3});
  Tensor i64 = ops::to_dtype(idx, DType::Int64);
  EXPECT_EQ(values(ops::index_select(t, 0, i64)), (std::vector<double>{4, 5, 0, 1, 4, 5}));
  EXPECT_EQ(values(ops::index_select(ops::transpose(t, 0, 1), 1, i64)),
            (std::vector<double>{4, 0, 4, 5, 1, 5}));
  expect_error([&] { ops::index_select(t, 1, i64); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"index_select", "index 2", "size 2"});
  expect_error([&] { ops::index_select(t, 0, idx); }, EMBER_ERROR_DTYPE,
               {"index_select", "float64"});
}

}  // namespace
}  // namespace ember
