// The CPU iterator: how it broadcasts, orders and coalesces dims, and that elementwise loops and
// reductions visit every element exactly once on any layout, serially and on the pool.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "core/ops.h"
#include "core/parallel.h"
#include "cpu/iterator.h"

namespace ember::cpu {
namespace {

const Device kCpu{};

Tensor iota(const DimVector& sizes, DType dtype = DType::Float32) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return ops::reshape(
      ops::arange(Scalar::from_int(0), Scalar::from_int(n), Scalar::from_int(1), dtype, kCpu),
      sizes);
}

struct Dims {
  std::vector<int64_t> shape;
  std::vector<std::vector<int64_t>> strides;  // [op][dim], bytes
};

Dims dims_of(const TensorIterator& it) {
  Dims d;
  d.strides.resize(static_cast<size_t>(it.ntensors()));
  for (int i = 0; i < it.ndim(); ++i) {
    d.shape.push_back(it.shape(i));
    for (int op = 0; op < it.ntensors(); ++op)
      d.strides[static_cast<size_t>(op)].push_back(it.stride(op, i));
  }
  return d;
}

TEST(Iterator, ContiguousOperandsCoalesceIntoOneRun) {
  const Tensor out = ops::zeros(DimVector{2, 3, 4}, DType::Float32, kCpu);
  const Tensor a = iota({2, 3, 4}), b = iota({2, 3, 4}, DType::Float64);
  const TensorIterator it({out.get(), a.get(), b.get()}, out->sizes());
  const Dims d = dims_of(it);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{24}));
  EXPECT_EQ(d.strides[0], (std::vector<int64_t>{4}));
  EXPECT_EQ(d.strides[2], (std::vector<int64_t>{8}));
}

TEST(Iterator, BroadcastDimsGetStrideZeroAndStillCoalesce) {
  const Tensor out = ops::zeros(DimVector{5, 2, 3}, DType::Float32, kCpu);
  const Tensor row = iota({3});        // broadcast over the two outer dims
  const Tensor col = iota({5, 1, 1});  // broadcast over the two inner dims
  const TensorIterator it({out.get(), row.get(), col.get()}, out->sizes());
  const Dims d = dims_of(it);
  // No two dims merge: row breaks the inner pair (its stride drops to 0), col the outer one.
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 2, 5}));
  EXPECT_EQ(d.strides[0], (std::vector<int64_t>{4, 12, 24}));
  EXPECT_EQ(d.strides[1], (std::vector<int64_t>{4, 0, 0}));
  EXPECT_EQ(d.strides[2], (std::vector<int64_t>{0, 0, 4}));
}

TEST(Iterator, DimsAreOrderedByTheOutputsStrides) {
  // A transposed output: iterating in its memory order makes its innermost dim the tensor's dim 0.
  const Tensor base = ops::zeros(DimVector{4, 3}, DType::Float32, kCpu);
  const Tensor out = ops::transpose(base, 0, 1);  // [3, 4], strides (1, 3)
  const Tensor a = iota({3, 4});
  const TensorIterator it({out.get(), a.get()}, out->sizes());
  const Dims d = dims_of(it);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(d.strides[0], (std::vector<int64_t>{4, 12}));
  EXPECT_EQ(d.strides[1], (std::vector<int64_t>{16, 4}));
}

TEST(Iterator, PermutedButDenseOperandsCoalesceToo) {
  const Tensor base = iota({2, 3, 4});
  const std::vector<int64_t> perm{2, 0, 1};
  const Tensor a = ops::permute(base, perm);  // [4, 2, 3], dense in memory
  const Tensor out = ops::permute(ops::zeros(DimVector{2, 3, 4}, DType::Float32, kCpu), perm);
  const TensorIterator it({out.get(), a.get()}, out->sizes());
  EXPECT_EQ(dims_of(it).shape, (std::vector<int64_t>{24}));
}

TEST(Iterator, SizeOneZeroDimAndEmpty) {
  const Tensor s = ops::zeros(DimVector{}, DType::Float32, kCpu);
  const TensorIterator it0({s.get(), s.get()}, s->sizes());
  EXPECT_EQ(it0.ndim(), 1);
  EXPECT_EQ(it0.numel(), 1);
  const Tensor e = ops::zeros(DimVector{3, 0, 2}, DType::Float32, kCpu);
  const TensorIterator ite({e.get()}, e->sizes());
  EXPECT_EQ(ite.numel(), 0);
  int calls = 0;
  ite.for_each([&](char**, const int64_t*, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(Iterator, ReductionKeepsKeptAndReducedDimsApart) {
  const Tensor in = iota({2, 3, 4});
  const Tensor out = ops::zeros(DimVector{2, 1, 4}, DType::Float32, kCpu);
  const TensorIterator it({in.get(), out.get()}, in->sizes());
  const Dims d = dims_of(it);
  EXPECT_EQ(d.shape, (std::vector<int64_t>{4, 3, 2}));
  EXPECT_EQ(d.strides[1], (std::vector<int64_t>{4, 0, 16}));
  const detail::ReduceGeometry g(it);
  EXPECT_EQ(g.nk, 2);
  EXPECT_EQ(g.nr, 1);
  EXPECT_EQ(g.kept, 8);
  EXPECT_EQ(g.reduced, 3);
}

// Writes, for every element, a + 1000 * b through cpu_kernel and checks each against its indices.
void check_elementwise(const Tensor& out, const Tensor& a, const Tensor& b, int64_t grain) {
  const TensorIterator it({out.get(), a.get(), b.get()}, out->sizes());
  cpu_kernel(
      it, [](float x, double y) -> float { return x + 1000.0f * static_cast<float>(y); }, grain);
  const Tensor ra = ops::contiguous(ops::expand(a, out->sizes()));
  const Tensor rb = ops::contiguous(ops::expand(b, out->sizes()));
  const Tensor ro = ops::contiguous(out);
  for (int64_t i = 0; i < ro->numel(); ++i) {
    const float want =
        ra->data_as<float>()[i] + 1000.0f * static_cast<float>(rb->data_as<double>()[i]);
    ASSERT_EQ(ro->data_as<float>()[i], want) << "element " << i;
  }
}

TEST(Iterator, ElementwiseOverMixedLayoutsSeriallyAndInParallel) {
  const Tensor base = iota({70, 90});
  const Tensor a = ops::slice(ops::transpose(base, 0, 1), 0, 0, 90, 2);  // [45, 70], strided
  const Tensor b = ops::unsqueeze(iota({70}, DType::Float64), 0);        // [1, 70], broadcast
  for (int64_t grain : {int64_t{1} << 40, int64_t{64}}) {
    const Tensor out = ops::zeros(DimVector{45, 70}, DType::Float32, kCpu);
    check_elementwise(out, a, b, grain);
    const Tensor out_t = ops::transpose(ops::zeros(DimVector{70, 45}, DType::Float32, kCpu), 0, 1);
    check_elementwise(out_t, a, b, grain);
  }
}

TEST(Iterator, TransposedOperandsWalkInTilesAcrossBatches) {
  // Batches of matrices whose input is transposed (tiled walk), with partial tiles at the edges,
  // serially and split over the pool.
  const Tensor a = ops::transpose(iota({3, 70, 37}), 1, 2);  // [3, 37, 70]
  const Tensor b = iota({3, 1, 70}, DType::Float64);
  for (int64_t grain : {int64_t{1} << 40, int64_t{100}}) {
    check_elementwise(ops::zeros(DimVector{3, 37, 70}, DType::Float32, kCpu), a, b, grain);
  }
}

TEST(Iterator, ForEachVisitsEveryElementOnce) {
  const Tensor out = ops::zeros(DimVector{7, 11, 13}, DType::Int32, kCpu);
  const Tensor view = ops::permute(out, std::vector<int64_t>{1, 2, 0});
  const TensorIterator it({view.get()}, view->sizes());
  it.for_each(
      [](char** data, const int64_t* strides, int64_t n) {
        for (int64_t i = 0; i < n; ++i) ++*reinterpret_cast<int32_t*>(data[0] + i * strides[0]);
      },
      /*grain=*/50);
  const int32_t* p = out->data_as<int32_t>();
  for (int64_t i = 0; i < out->numel(); ++i) ASSERT_EQ(p[i], 1) << i;
}

struct MaxOps {
  float identity = -1e30f;
  float reduce(float a, float x) const { return a > x ? a : x; }
  float combine(float a, float b) const { return a > b ? a : b; }
  float project(float a) const { return a; }
};

TEST(Iterator, ReduceTakesAnyFoldAndEveryLayout) {
  // Max over each dim of a permuted tensor with a distinct value per element: exact checks.
  const Tensor x = ops::permute(iota({6, 40, 50}), std::vector<int64_t>{2, 0, 1});  // [50, 6, 40]
  for (int64_t dim = 0; dim < 3; ++dim) {
    DimVector keep = x->sizes();
    keep[dim] = 1;
    const Tensor out = ops::zeros(keep, DType::Float32, kCpu);
    const TensorIterator it({x.get(), out.get()}, x->sizes());
    reduce<float, float, float>(it, MaxOps{});
    const Tensor xc = ops::contiguous(x);
    const DimVector s = x->sizes();
    for (int64_t i = 0; i < keep[0]; ++i) {
      for (int64_t j = 0; j < keep[1]; ++j) {
        for (int64_t k = 0; k < keep[2]; ++k) {
          float want = -1e30f;
          for (int64_t r = 0; r < s[dim]; ++r) {
            int64_t idx[3] = {i, j, k};
            idx[dim] = r;
            want = std::max(want, xc->data_as<float>()[(idx[0] * s[1] + idx[1]) * s[2] + idx[2]]);
          }
          ASSERT_EQ(out->data_as<float>()[(i * keep[1] + j) * keep[2] + k], want);
        }
      }
    }
  }
}

TEST(Iterator, ReductionResultsDoNotDependOnThreadCount) {
  const Tensor x = ops::rand(DimVector{3, 300001}, DType::Float32, kCpu, default_generator());
  const std::vector<int64_t> dims{1};
  const int saved = num_threads();
  set_num_threads(1);
  const Tensor one = ops::sum(x, dims, false);
  const Tensor col_one = ops::sum(ops::transpose(x, 0, 1), std::vector<int64_t>{0}, false);
  set_num_threads(2);
  const Tensor two = ops::sum(x, dims, false);
  const Tensor col_two = ops::sum(ops::transpose(x, 0, 1), std::vector<int64_t>{0}, false);
  set_num_threads(saved);
  EXPECT_EQ(std::memcmp(one->data(), two->data(), 3 * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(col_one->data(), col_two->data(), 3 * sizeof(float)), 0);
}

}  // namespace
}  // namespace ember::cpu
