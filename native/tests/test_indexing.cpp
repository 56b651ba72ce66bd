// Indexing and sorting ops (core/ops_index.h, ops_sort.h): hand-computed cases, non-contiguous
// inputs, and the guarantee that a failed op names op, index and size and changes nothing.
#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/ops_index.h"
#include "core/ops_shape.h"
#include "core/ops_sort.h"

namespace ember {
namespace {

const Device kCpu{};

Tensor from(std::initializer_list<double> v, const DimVector& sizes, DType dtype = DType::Float64) {
  Tensor t = empty(sizes, DType::Float64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<double>());
  return ops::to_dtype(t, dtype);
}

Tensor longs(std::initializer_list<double> v, const DimVector& sizes) {
  return from(v, sizes, DType::Int64);
}

std::vector<double> values(const Tensor& t) {
  Tensor c = ops::contiguous(ops::to_dtype(t, DType::Float64));
  const double* p = c->data_as<double>();
  return std::vector<double>(p, p + c->numel());
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

using V = std::vector<double>;

TEST(Indexing, GatherScatter) {
  Tensor x = from({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(values(ops::gather(x, 1, longs({2, 0, 1, 1}, {2, 2}))), (V{3, 1, 5, 5}));
  Tensor z = ops::zeros({2, 3}, DType::Float64, kCpu);
  Tensor src = from({10, 20, 30, 40}, {2, 2});
  EXPECT_EQ(values(ops::scatter(z, 1, longs({2, 0, 1, 1}, {2, 2}), src, Scalar::from_int(0),
                                ScatterReduce::Sum, true)),
            (V{20, 0, 10, 0, 70, 0}));
  EXPECT_EQ(values(ops::scatter(x, 1, longs({1, 1}, {2, 1}), Tensor(), Scalar::from_float(-1),
                                ScatterReduce::None, true)),
            (V{1, -1, 3, 4, -1, 6}));
  // mean over the received values only
  EXPECT_EQ(values(ops::scatter(x, 1, longs({0, 0, 0, 0}, {2, 2}), src, Scalar::from_int(0),
                                ScatterReduce::Mean, false)),
            (V{15, 2, 3, 35, 5, 6}));
}

TEST(Indexing, FailedScatterLeavesInputUntouched) {
  Tensor x = from({1, 2, 3, 4, 5, 6}, {2, 3});
  expect_error(
      [&] {
        ops::scatter_(x, 1, longs({0, 3}, {1, 2}), Tensor(), Scalar::from_int(9),
                      ScatterReduce::None, true);
      },
      EMBER_ERROR_INVALID_ARGUMENT, {"scatter_", "index 3", "size 3", "[2, 3] float64"});
  EXPECT_EQ(values(x), (V{1, 2, 3, 4, 5, 6}));
  expect_error(
      [&] {
        ops::gather(x, 0, from({0}, {1, 1}));
      },
      EMBER_ERROR_DTYPE, {"gather", "int64"});
}

TEST(Indexing, IndexAddCopyFillOnTransposedSelf) {
  Tensor base = ops::zeros({3, 2}, DType::Float64, kCpu);
  Tensor t = ops::transpose(base, 0, 1);  // [2, 3] view with strides [1, 2]
  ops::index_add_(t, 1, longs({2, 2}, {2}), from({1, 2, 3, 4}, {2, 2}), Scalar::from_int(1));
  EXPECT_EQ(values(t), (V{0, 0, 3, 0, 0, 7}));
  ops::index_fill_(t, 1, longs({-3}, {1}), Scalar::from_float(5));
  EXPECT_EQ(values(t), (V{5, 0, 3, 5, 0, 7}));
  EXPECT_EQ(values(ops::index_copy(t, 0, longs({1}, {1}), from({9, 8, 7}, {1, 3}))),
            (V{5, 0, 3, 9, 8, 7}));
  expect_error(
      [&] {
        ops::index_add_(t, 0, longs({2}, {1}), from({1, 1, 1}, {1, 3}), Scalar::from_int(1));
      },
      EMBER_ERROR_INVALID_ARGUMENT, {"index_add_", "index 2"});
}

TEST(Indexing, MasksAndNonzero) {
  Tensor x = from({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor m = from({1, 0, 1}, {3}, DType::Bool);
  EXPECT_EQ(values(ops::masked_fill(x, m, Scalar::from_int(0))), (V{0, 2, 0, 0, 5, 0}));
  EXPECT_EQ(values(ops::masked_select(x, m)), (V{1, 3, 4, 6}));
  EXPECT_EQ(values(ops::masked_scatter(x, m, from({7, 8, 9, 10}, {4}))), (V{7, 2, 8, 9, 5, 10}));
  expect_error([&] { ops::masked_scatter(x, m, from({7}, {1})); }, EMBER_ERROR_SHAPE,
               {"masked_scatter", "4 elements"});
  Tensor nz = ops::nonzero(from({0, 3, 0, 0, 0, 1}, {2, 3}));
  EXPECT_EQ(nz->sizes(), DimVector({2, 2}));
  EXPECT_EQ(values(nz), (V{0, 1, 1, 2}));
  EXPECT_EQ(ops::nonzero(from({2}, {}))->sizes(), DimVector({1, 0}));
}

TEST(Indexing, AdvancedIndexAndPut) {
  Tensor x = from({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  std::vector<Tensor> ix{Tensor(), longs({3, 0}, {2})};
  Tensor r = ops::index(x, ix);
  EXPECT_EQ(r->sizes(), DimVector({3, 2}));
  EXPECT_EQ(values(r), (V{3, 0, 7, 4, 11, 8}));
  std::vector<Tensor> mask{from({1, 0, 1}, {3}, DType::Bool)};
  EXPECT_EQ(ops::index(x, mask)->sizes(), DimVector({2, 4}));
  std::vector<Tensor> two{longs({0, 2}, {2}), longs({-1, 1}, {2})};
  EXPECT_EQ(values(ops::index(x, two)), (V{3, 9}));
  ops::index_put_(x, two, from({-1}, {}), false);
  EXPECT_EQ(values(ops::index(x, two)), (V{-1, -1}));
  std::vector<Tensor> dup{longs({0, 0}, {2})};
  Tensor acc = ops::zeros({2}, DType::Float64, kCpu);
  ops::index_put_(acc, dup, from({1, 2}, {2}), true);
  EXPECT_EQ(values(acc), (V{3, 0}));
  std::vector<Tensor> bad{longs({3}, {1})};
  expect_error([&] { ops::index(x, bad); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"index", "index 3", "size 3"});
}

TEST(Sorting, SortTopkKthUnique) {
  Tensor x = from({3, 1, 2, 9, 7, 8}, {2, 3});
  auto [v, i] = ops::sort(x, 1, false, true);
  EXPECT_EQ(values(v), (V{1, 2, 3, 7, 8, 9}));
  EXPECT_EQ(values(i), (V{1, 2, 0, 1, 2, 0}));
  auto [tv, ti] = ops::topk(ops::transpose(x, 0, 1), 1, 0, true, true);
  EXPECT_EQ(values(tv), (V{3, 9}));
  auto [kv, ki] = ops::kthvalue(x, 2, 1, false);
  EXPECT_EQ(values(kv), (V{2, 8}));
  EXPECT_EQ(values(ki), (V{2, 2}));
  auto u = ops::unique(longs({2, 1, 2, 5}, {4}));
  EXPECT_EQ(values(u[0]), (V{1, 2, 5}));
  EXPECT_EQ(values(u[1]), (V{1, 0, 1, 2}));
  EXPECT_EQ(values(u[2]), (V{1, 2, 1}));
  EXPECT_EQ(values(ops::searchsorted(from({1, 3, 5}, {3}), from({0, 3, 6}, {3}), false, true)),
            (V{0, 2, 3}));
  EXPECT_EQ(values(ops::histc(from({0, 0.5, 1, 2}, {4}), 2, 0, 1)), (V{1, 2}));
  expect_error([&] { ops::topk(x, 4, 1, true, true); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"topk", "k (4)", "[2, 3] float64"});
}

}  // namespace
}  // namespace ember
