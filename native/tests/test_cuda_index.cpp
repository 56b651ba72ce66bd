// The CUDA plugin's indexing and sorting kernels (index.cu, sort.cu) against the CPU backend,
// through the public ops, in every dtype each op takes, on strided views, repeated indices and
// empty or odd sizes; and the device error word (device_error.cuh): a bad index found by a kernel
// fails the next synchronising call with the op's name, and the device stays usable. Skips
// without the plugin (see cuda_test_util.h).
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/ops_index.h"
#include "core/ops_shape.h"
#include "core/ops_sort.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

Tensor int64s(const DimVector& sizes, const std::vector<int64_t>& v) {
  Tensor t = empty(sizes, DType::Int64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<int64_t>());
  return t;
}

// Deterministic indices in [0, bound), with repeats.
Tensor some_indices(const DimVector& sizes, int64_t bound, int64_t salt = 0) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = (i * 7 + i / 3 + salt) % bound;
  return int64s(sizes, v);
}

// A bool mask, true where (i * 5 + salt) % 3 == 0.
Tensor some_mask(const DimVector& sizes, int64_t salt = 0) {
  Tensor t = empty(sizes, DType::Bool, kCpu);
  for (int64_t i = 0; i < t->numel(); ++i) t->data_as<bool>()[i] = (i * 5 + salt) % 3 == 0;
  return t;
}

// Small integers in [-4, 4] (ties for sorting, no overflow in products), as dtype.
Tensor small_values(const DimVector& sizes, DType dtype) {
  Tensor t = empty(sizes, DType::Float64, kCpu);
  for (int64_t i = 0; i < t->numel(); ++i)
    t->data_as<double>()[i] = static_cast<double>((i * 37 + i / 5 + 11) % 9 - 4);
  return ops::to_dtype(t, dtype);
}

std::string name_of(DType t) { return dtype_name(t); }

template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

const DType kNoBool[] = {DType::Float32,  DType::Float64, DType::Float16,
                         DType::BFloat16, DType::Int64,   DType::Int32,
                         DType::Int16,    DType::Int8,    DType::UInt8};

// ---- gather / scatter ----

TEST(CudaIndex, GatherMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string what = "gather " + name_of(t);
    const Tensor x = random_cpu({5, 7}, t);
    for (int64_t dim : {0, 1, -1}) {
      const int64_t d = dim < 0 ? 1 : dim;
      const Tensor idx = some_indices({3, 4}, x->size(d), d + 2);
      expect_same(ops::gather(x, dim, idx), ops::gather(on_cuda(x), dim, on_cuda(idx)), what, 0);
    }
    // A strided self and a strided index.
    const Tensor xt = ops::transpose(random_cpu({6, 4, 3}, t), 0, 2);    // [3, 4, 6]
    const Tensor it = ops::transpose(some_indices({5, 4, 2}, 4), 0, 2);  // [2, 4, 5]
    expect_same(ops::gather(xt, 1, it), ops::gather(on_cuda(xt), 1, on_cuda(it)), what, 0);
  }
  // take_along_dim goes through gather too.
  const Tensor x = random_cpu({4, 6}, DType::Float32);
  const Tensor idx = some_indices({4, 3}, 6);
  expect_same(ops::take_along_dim(x, idx, 1, true),
              ops::take_along_dim(on_cuda(x), on_cuda(idx), 1, true), "take_along_dim", 0);
}

TEST(CudaIndex, ScatterKeepsTheLastWriteAsTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string what = "scatter " + name_of(t);
    const Tensor self = random_cpu({6, 5}, t), src = random_cpu({4, 5}, t);
    const Tensor idx = some_indices({4, 5}, 6);  // repeats: several writes meet
    expect_same(ops::scatter(self, 0, idx, src, Scalar::from_int(0), ScatterReduce::None, true),
                ops::scatter(on_cuda(self), 0, on_cuda(idx), on_cuda(src), Scalar::from_int(0),
                             ScatterReduce::None, true),
                what, 0);
    // A number instead of src, along dim 1.
    const Tensor idx1 = some_indices({6, 3}, 5, 1);
    expect_same(
        ops::scatter(self, 1, idx1, Tensor(), Scalar::from_int(3), ScatterReduce::None, true),
        ops::scatter(on_cuda(self), 1, on_cuda(idx1), Tensor(), Scalar::from_int(3),
                     ScatterReduce::None, true),
        what + " value", 0);
  }
  // In place on a transposed view: the base changes the same way.
  const Tensor base = random_cpu({5, 6}, DType::Float32);
  const Tensor gbase = on_cuda(base);
  const Tensor src = random_cpu({4, 5}, DType::Float32), idx = some_indices({4, 5}, 6, 2);
  ops::scatter_(ops::transpose(base, 0, 1), 0, idx, src, Scalar::from_int(0), ScatterReduce::None,
                true);
  ops::scatter_(ops::transpose(gbase, 0, 1), 0, on_cuda(idx), on_cuda(src), Scalar::from_int(0),
                ScatterReduce::None, true);
  expect_same(base, gbase, "scatter_ on a view", 0);
  // one_hot scatters through the same kernel.
  const Tensor classes = some_indices({7}, 4);
  expect_same(ops::one_hot(classes, 5), ops::one_hot(on_cuda(classes), 5), "one_hot", 0);
}

TEST(CudaIndex, ScatterReductionsMatchTheCpu) {
  REQUIRE_CUDA();
  const ScatterReduce reductions[] = {ScatterReduce::Sum, ScatterReduce::Prod, ScatterReduce::Mean,
                                      ScatterReduce::Amax, ScatterReduce::Amin};
  const char* names[] = {"sum", "prod", "mean", "amax", "amin"};
  for (DType t : kNoBool) {
    // Floats from a normal distribution; integers small, so products stay in range.
    const bool fl = is_floating(t);
    Tensor self = fl ? random_cpu({6, 5}, t) : small_values({6, 5}, t);
    const Tensor src = fl ? random_cpu({8, 5}, t) : small_values({8, 5}, t);
    if (fl) {
      // A NaN wins amax and amin on both devices.
      ops::fill_(ops::select(ops::select(self, 0, 2), 0, 1), Scalar::from_float(NAN));
    }
    const Tensor idx = some_indices({8, 5}, 5);  // row 5 receives nothing
    for (size_t r = 0; r < 5; ++r) {
      for (bool include_self : {true, false}) {
        const std::string what = std::string("scatter_reduce ") + names[r] + " " + name_of(t) +
                                 (include_self ? " include_self" : "");
        const double tol =
            reductions[r] == ScatterReduce::Amax || reductions[r] == ScatterReduce::Amin
                ? 0
                : reorder_tolerance(t);
        expect_same(
            ops::scatter(self, 0, idx, src, Scalar::from_int(0), reductions[r], include_self),
            ops::scatter(on_cuda(self), 0, on_cuda(idx), on_cuda(src), Scalar::from_int(0),
                         reductions[r], include_self),
            what, tol);
      }
    }
  }
  // scatter_add along the last dim of a 3-d tensor.
  const Tensor self = random_cpu({3, 4, 6}, DType::Float32),
               src = random_cpu({3, 4, 9}, DType::Float32);
  const Tensor idx = some_indices({3, 4, 9}, 6);
  expect_same(ops::scatter(self, 2, idx, src, Scalar::from_int(0), ScatterReduce::Sum, true),
              ops::scatter(on_cuda(self), 2, on_cuda(idx), on_cuda(src), Scalar::from_int(0),
                           ScatterReduce::Sum, true),
              "scatter_add 3-d", 1e-5);
}

// ---- index_select and the other gather_dims ops ----

TEST(CudaIndex, IndexSelectTakeFlipRollEmbeddingMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string what = name_of(t);
    const Tensor x = random_cpu({5, 6, 3}, t);
    const Tensor xt = ops::transpose(x, 0, 2);  // strided
    for (int64_t dim : {0, 1, 2}) {
      const Tensor idx = some_indices({7}, x->size(dim), dim);
      expect_same(ops::index_select(x, dim, idx), ops::index_select(on_cuda(x), dim, on_cuda(idx)),
                  "index_select " + what, 0);
      const Tensor idx_t = some_indices({4}, xt->size(dim), dim);
      expect_same(ops::index_select(xt, dim, idx_t),
                  ops::index_select(ops::transpose(on_cuda(x), 0, 2), dim, on_cuda(idx_t)),
                  "index_select strided " + what, 0);
    }
    const Tensor ti = int64s({2, 3}, {0, -1, 17, 89, -90, 4});
    expect_same(ops::take(x, ti), ops::take(on_cuda(x), on_cuda(ti)), "take " + what, 0);
    const int64_t dims[] = {0, 2};
    expect_same(ops::flip(x, dims), ops::flip(on_cuda(x), dims), "flip " + what, 0);
    const int64_t shifts[] = {2, -1};
    expect_same(ops::roll(x, shifts, dims), ops::roll(on_cuda(x), shifts, dims), "roll " + what, 0);
  }
  const Tensor w = random_cpu({10, 4}, DType::Float32);
  const Tensor ids = some_indices({3, 5}, 10);
  expect_same(ops::embedding(w, ids), ops::embedding(on_cuda(w), on_cuda(ids)), "embedding", 0);
  // An empty index gives an empty result.
  const Tensor none = int64s({0}, {});
  expect_same(ops::index_select(w, 0, none), ops::index_select(on_cuda(w), 0, on_cuda(none)),
              "index_select empty", 0);
}

TEST(CudaIndex, IndexAddCopyFillMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string what = name_of(t);
    const Tensor self = random_cpu({6, 4}, t), src = random_cpu({5, 4}, t);
    const Tensor idx = int64s({5}, {1, 3, 1, 0, 3});  // repeats
    // Additions of repeated rows run as atomics: the float order may differ.
    expect_same(ops::index_add(self, 0, idx, src, Scalar::from_int(1)),
                ops::index_add(on_cuda(self), 0, on_cuda(idx), on_cuda(src), Scalar::from_int(1)),
                "index_add " + what, reorder_tolerance(t));
    if (t != DType::Bool) {
      expect_same(ops::index_add(self, 0, idx, src, Scalar::from_int(3)),
                  ops::index_add(on_cuda(self), 0, on_cuda(idx), on_cuda(src), Scalar::from_int(3)),
                  "index_add alpha " + what, reorder_tolerance(t));
    }
    // The last of repeated rows wins, as on the CPU.
    expect_same(ops::index_copy(self, 0, idx, src),
                ops::index_copy(on_cuda(self), 0, on_cuda(idx), on_cuda(src)), "index_copy " + what,
                0);
    const Tensor cols = int64s({3}, {2, -1, 0});
    expect_same(ops::index_fill(self, 1, cols, Scalar::from_int(1)),
                ops::index_fill(on_cuda(self), 1, on_cuda(cols), Scalar::from_int(1)),
                "index_fill " + what, 0);
  }
  // Along dim 1 of a strided self, in place.
  const Tensor base = random_cpu({4, 7}, DType::Float64);
  const Tensor gbase = on_cuda(base);
  const Tensor src = random_cpu({7, 3}, DType::Float64), idx = int64s({3}, {0, 3, 0});
  ops::index_add_(ops::transpose(base, 0, 1), 1, idx, src, Scalar::from_float(0.5));
  ops::index_add_(ops::transpose(gbase, 0, 1), 1, on_cuda(idx), on_cuda(src),
                  Scalar::from_float(0.5));
  expect_same(base, gbase, "index_add_ on a view", 1e-12);
}

TEST(CudaIndex, AdvancedIndexingMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : {DType::Float32, DType::Float16, DType::Int64, DType::Bool}) {
    const std::string what = name_of(t);
    const Tensor x = random_cpu({5, 4, 3}, t);
    const Tensor i0 = int64s({2, 2}, {0, 4, -1, 2}), i2 = int64s({2}, {2, 0});
    const Tensor mask = some_mask({5, 4});
    // x[i0, :, i2] (broadcast index tensors around a slice) and x[mask].
    const std::vector<Tensor> spread{i0, Tensor(), i2};
    const std::vector<Tensor> spread_g{on_cuda(i0), Tensor(), on_cuda(i2)};
    expect_same(ops::index(x, spread), ops::index(on_cuda(x), spread_g), "index " + what, 0);
    const std::vector<Tensor> masked{mask}, masked_g{on_cuda(mask)};
    expect_same(ops::index(x, masked), ops::index(on_cuda(x), masked_g), "index mask " + what, 0);
    // index_put with repeated positions: the last value wins, or all add up.
    const Tensor rows = int64s({4}, {1, 3, 1, 1});
    const std::vector<Tensor> at{rows}, at_g{on_cuda(rows)};
    const Tensor v = random_cpu({4, 4, 3}, t);
    expect_same(ops::index_put(x, at, v, false),
                ops::index_put(on_cuda(x), at_g, on_cuda(v), false), "index_put " + what, 0);
    expect_same(ops::index_put(x, at, v, true), ops::index_put(on_cuda(x), at_g, on_cuda(v), true),
                "index_put accumulate " + what, reorder_tolerance(t));
  }
}

// ---- masks and nonzero ----

TEST(CudaIndex, MaskedOpsAndNonzeroMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string what = name_of(t);
    const Tensor x = random_cpu({3, 5, 4}, t);
    const Tensor mask = some_mask({5, 4});  // broadcasts over dim 0
    expect_same(ops::masked_fill(x, mask, Scalar::from_int(7)),
                ops::masked_fill(on_cuda(x), on_cuda(mask), Scalar::from_int(7)),
                "masked_fill " + what, 0);
    Tensor inplace = ops::clone(x), ginplace = on_cuda(x);
    ops::masked_fill_(inplace, mask, Scalar::from_int(-2));
    ops::masked_fill_(ginplace, on_cuda(mask), Scalar::from_int(-2));
    expect_same(inplace, ginplace, "masked_fill_ " + what, 0);
    expect_same(ops::masked_select(x, mask), ops::masked_select(on_cuda(x), on_cuda(mask)),
                "masked_select " + what, 0);
    const Tensor source = random_cpu({70}, t);
    expect_same(ops::masked_scatter(x, mask, source),
                ops::masked_scatter(on_cuda(x), on_cuda(mask), on_cuda(source)),
                "masked_scatter " + what, 0);
    expect_same(ops::nonzero(x), ops::nonzero(on_cuda(x)), "nonzero " + what, 0);
  }
  // Many chunks (4096 positions each) with a strided input, a NaN (non-zero) and a 0-d tensor.
  Tensor big = ops::transpose(small_values({100, 123}, DType::Float32), 0, 1);
  ops::fill_(ops::select(ops::select(big, 0, 5), 0, 7), Scalar::from_float(NAN));
  expect_same(ops::nonzero(big), ops::nonzero(on_cuda(big)), "nonzero big", 0);
  const Tensor bigmask = some_mask({123, 100}, 1);
  expect_same(ops::masked_select(big, bigmask), ops::masked_select(on_cuda(big), on_cuda(bigmask)),
              "masked_select big", 0);
  const Tensor scalar = ops::full({}, Scalar::from_int(3), DType::Int32, kCpu);
  expect_same(ops::nonzero(scalar), ops::nonzero(on_cuda(scalar)), "nonzero 0-d", 0);
  const Tensor zeros = ops::zeros({4, 0, 2}, DType::Float32, kCpu);
  expect_same(ops::nonzero(zeros), ops::nonzero(on_cuda(zeros)), "nonzero empty", 0);
  // Too few source elements: the same error as on the CPU, nothing written.
  const std::string msg = error_of([&] {
    ops::masked_scatter(on_cuda(random_cpu({4, 5}, DType::Float32)), on_cuda(some_mask({4, 5})),
                        on_cuda(random_cpu({2}, DType::Float32)));
  });
  EXPECT_NE(msg.find("masked_scatter: the mask selects 7 elements"), std::string::npos) << msg;
}

// ---- sort, topk, kthvalue ----

TEST(CudaSort, SortMatchesTheCpusStableOrder) {
  REQUIRE_CUDA();
  for (DType t : kNoBool) {
    const std::string what = "sort " + name_of(t);
    Tensor x = small_values({9, 37}, t);  // many ties
    if (is_floating(t)) {
      ops::fill_(ops::select(ops::select(x, 0, 1), 0, 3), Scalar::from_float(NAN));
      ops::fill_(ops::select(ops::select(x, 0, 1), 0, 8), Scalar::from_float(NAN));
      ops::fill_(ops::select(ops::select(x, 0, 2), 0, 0), Scalar::from_float(-0.0));
    }
    for (int64_t dim : {0, 1}) {
      for (bool descending : {false, true}) {
        const auto [v, i] = ops::sort(x, dim, descending, true);
        const auto [vg, ig] = ops::sort(on_cuda(x), dim, descending, true);
        expect_same(v, vg, what, 0);
        expect_same(i, ig, what + " indices", 0);
        // Unstable sorting gives the same values (any order of ties is allowed).
        expect_same(v, ops::sort(on_cuda(x), dim, descending, false).first, what + " unstable", 0);
      }
    }
  }
  // Long rows (several merge passes), a strided input and a 0-d tensor.
  const Tensor longrows = ops::transpose(random_cpu({5000, 3}, DType::Float32), 0, 1);
  const auto [v, i] = ops::sort(longrows, 1, false, true);
  const auto [vg, ig] = ops::sort(on_cuda(longrows), 1, false, true);
  expect_same(v, vg, "sort long", 0);
  expect_same(i, ig, "sort long indices", 0);
  const Tensor scalar = ops::full({}, Scalar::from_float(2.5), DType::Float64, kCpu);
  expect_same(ops::sort(scalar, 0, false, true).second,
              ops::sort(on_cuda(scalar), 0, false, true).second, "sort 0-d", 0);
}

TEST(CudaSort, TopkAndKthvalueMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kNoBool) {
    const std::string what = name_of(t);
    Tensor x = small_values({6, 29}, t);
    if (is_floating(t))
      ops::fill_(ops::select(ops::select(x, 0, 4), 0, 9), Scalar::from_float(NAN));
    for (int64_t k : {1, 5, 29}) {
      for (bool largest : {true, false}) {
        const auto [v, i] = ops::topk(x, k, 1, largest, true);
        const auto [vg, ig] = ops::topk(on_cuda(x), k, 1, largest, true);
        expect_same(v, vg, "topk " + what, 0);
        expect_same(i, ig, "topk indices " + what, 0);
      }
      const auto [v, i] = ops::kthvalue(x, k, 1, false);
      const auto [vg, ig] = ops::kthvalue(on_cuda(x), k, 1, false);
      expect_same(v, vg, "kthvalue " + what, 0);
      expect_same(i, ig, "kthvalue indices " + what, 0);
    }
    const auto [v0, i0] = ops::topk(x, 3, 0, true, true);
    const auto [vg0, ig0] = ops::topk(on_cuda(x), 3, 0, true, true);
    expect_same(v0, vg0, "topk dim 0 " + what, 0);
    expect_same(i0, ig0, "topk dim 0 indices " + what, 0);
  }
}

TEST(CudaSort, SearchsortedBucketizeHistcMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kNoBool) {
    const std::string what = name_of(t);
    // Sorted rows with repeats (and a NaN at the end of the float rows); values with NaN too.
    const Tensor seq = ops::sort(small_values({3, 11}, t), 1, false, true).first;
    Tensor values = small_values({3, 6}, t);
    if (is_floating(t))
      ops::fill_(ops::select(ops::select(values, 0, 1), 0, 2), Scalar::from_float(NAN));
    for (bool right : {false, true}) {
      for (bool int32 : {false, true}) {
        expect_same(ops::searchsorted(seq, values, int32, right),
                    ops::searchsorted(on_cuda(seq), on_cuda(values), int32, right),
                    "searchsorted " + what, 0);
      }
      const Tensor row = ops::select(seq, 0, 1);  // 1-d: shared by every value
      expect_same(ops::bucketize(values, row, false, right),
                  ops::bucketize(on_cuda(values), on_cuda(row), false, right), "bucketize " + what,
                  0);
    }
  }
  for (DType t : kFloats) {
    const std::string what = "histc " + name_of(t);
    Tensor x = random_cpu({7, 9}, t);
    ops::fill_(ops::select(ops::select(x, 0, 0), 0, 0), Scalar::from_float(NAN));
    ops::fill_(ops::select(ops::select(x, 0, 0), 0, 1), Scalar::from_float(1.0));  // at max
    expect_same(ops::histc(x, 10, -1.0, 1.0), ops::histc(on_cuda(x), 10, -1.0, 1.0), what, 0);
    // min == max: the data's own range, found on the host.
    expect_same(ops::histc(x, 7, 0, 0), ops::histc(on_cuda(x), 7, 0, 0), what + " auto", 0);
  }
}

TEST(CudaIndex, TrilTriuMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const Tensor x = random_cpu({2, 4, 5}, t);
    for (int64_t k : {-2, 0, 1, 6}) {
      expect_same(ops::tril(x, k), ops::tril(on_cuda(x), k), "tril " + name_of(t), 0);
      expect_same(ops::triu(x, k), ops::triu(on_cuda(x), k), "triu " + name_of(t), 0);
    }
  }
  // In place on a transposed view.
  const Tensor base = random_cpu({5, 4}, DType::Float32);
  const Tensor gbase = on_cuda(base);
  ops::triu_(ops::transpose(base, 0, 1), 1);
  ops::triu_(ops::transpose(gbase, 0, 1), 1);
  expect_same(base, gbase, "triu_ on a view", 0);
}

// ---- bad indices found on the device ----

// The op ran without an error; the next synchronising call reports it once, naming the op and
// the value; the device keeps working.
void expect_reported_later(const std::function<void()>& op, const std::string& expected,
                           const std::function<void()>& sync) {
  ASSERT_NO_THROW(op());
  const std::string msg = error_of(sync);
  EXPECT_NE(msg.find(expected), std::string::npos) << msg;
  EXPECT_NE(msg.find("cuda:0"), std::string::npos) << msg;
  EXPECT_NO_THROW(synchronize(kCuda));
  const Tensor x = random_cpu({3, 4}, DType::Float32), idx = some_indices({3, 2}, 4);
  expect_same(ops::gather(x, 1, idx), ops::gather(on_cuda(x), 1, on_cuda(idx)), "after the error",
              0);
}

TEST(CudaIndexErrors, BadIndicesFailTheNextSynchronisingCall) {
  REQUIRE_CUDA();
  const Tensor x = on_cuda(random_cpu({3, 4}, DType::Float32));
  const Tensor bad = on_cuda(int64s({2, 2}, {0, 1, 4, 2}));  // 4 is out of bounds for dim 1
  Tensor out;
  // Found by synchronize.
  expect_reported_later([&] { out = ops::gather(x, 1, bad); },
                        "gather: index 4 is out of bounds for dimension 1 with size 4",
                        [] { synchronize(kCuda); });
  // Found by a copy to the host.
  expect_reported_later([&] { out = ops::gather(x, 1, bad); }, "gather: index 4",
                        [&] { ops::to_device(out, kCpu); });
  // Found by the next op that reads a value back (masked_select counts on the host), which
  // names the op that failed, not itself.
  expect_reported_later([&] { out = ops::gather(x, 1, bad); }, "gather: index 4",
                        [&] {
                          ops::masked_select(x, on_cuda(some_mask({3, 4})));
                        });
  // scatter_ and a negative index.
  const Tensor neg = on_cuda(int64s({1, 2}, {-1, 0}));
  const Tensor src = on_cuda(random_cpu({1, 2}, DType::Float32));
  expect_reported_later(
      [&] { ops::scatter_(x, 0, neg, src, Scalar::from_int(0), ScatterReduce::Sum, true); },
      "scatter_add_: index -1 is out of bounds for dimension 0 with size 3",
      [] { synchronize(kCuda); });
}

TEST(CudaIndexErrors, NllLossAndMaxPoolBackwardNoLongerSynchronise) {
  REQUIRE_CUDA();
  const Tensor logp = on_cuda(random_cpu({3, 5}, DType::Float32));
  const Tensor target = on_cuda(int64s({3}, {0, 7, 2}));
  expect_reported_later([&] { ops::nll_loss(logp, target, Tensor(), ops::Reduction::Mean, -100); },
                        "nll_loss: target 7 of sample 1 is out of bounds [0, 5)",
                        [] { synchronize(kCuda); });

  ops::Pool2dParams p;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  const Tensor x = on_cuda(random_cpu({1, 1, 4, 4}, DType::Float32));
  const Tensor gy = on_cuda(random_cpu({1, 1, 2, 2}, DType::Float32));
  const Tensor ind = on_cuda(int64s({1, 1, 2, 2}, {0, 3, 16, 15}));
  expect_reported_later([&] { ops::max_pool2d_backward(gy, x, ind, p); },
                        "max_pool2d_backward: index 16 is out of bounds for a plane of 16 elements",
                        [] { synchronize(kCuda); });
}

}  // namespace
}  // namespace ember
