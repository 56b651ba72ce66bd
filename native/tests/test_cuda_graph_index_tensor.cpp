// The ops indexed by a tensor of indices on CUDA: index_select, take, embedding (and its
// backward), index_add, index_copy and index_fill gather or scatter with the index on the device,
// never reading it back. So they match the CPU eagerly, record into CUDA graphs (each recording is
// replayed with new values AND new indices and compared with the CPU on the same inputs), and a bad
// index is reported at the next synchronising call, naming the op. Skips without the plugin.
#include <functional>

#include "core/ops_index.h"
#include "core/ops_math.h"
#include "core/ops_shape.h"
#include "core/tensor.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"
#include "ember/graph.h"
#include "ember/stream.h"

namespace ember {
namespace {

using namespace cuda_test;

// One input of a region: a new CPU value each time it is called.
using Make = std::function<Tensor()>;
using Region = std::function<Tensor(const std::vector<Tensor>&)>;

Make values_of(const DimVector& sizes, DType t) {
  return [=] { return random_cpu(sizes, t); };
}

// Indices in [lo, hi) (with repeats), as dtype.
Make indices_of(int64_t lo, int64_t hi, const DimVector& sizes, DType t = DType::Int64) {
  return [=] { return ops::to_dtype(ops::randint(lo, hi, sizes, DType::Int64, kCpu, gen()), t); };
}

std::vector<Tensor> make_all(const std::vector<Make>& inputs) {
  std::vector<Tensor> v;
  for (const Make& m : inputs) v.push_back(m());
  return v;
}

std::vector<Tensor> to_cuda(const std::vector<Tensor>& host) {
  std::vector<Tensor> v;
  for (const Tensor& t : host) v.push_back(on_cuda(t));
  return v;
}

void expect_eager_same(const std::string& what, const std::vector<Make>& inputs,
                       const Region& region, double tol = -1) {
  const std::vector<Tensor> host = make_all(inputs);
  expect_same(region(host), region(to_cuda(host)), what, tol);
}

// Records region on CUDA inputs, then three rounds of: new values (and indices) copied into the
// recorded inputs, a replay, and the recorded output against region on the CPU.
void expect_replays_follow_inputs(const std::string& what, const std::vector<Make>& inputs,
                                  const Region& region, double tol = -1) {
  SideStream side;
  std::vector<Tensor> host = make_all(inputs);
  const std::vector<Tensor> dev = to_cuda(host);
  expect_same(region(host), region(dev), what + " eager", tol);  // and the warm-up
  ember_cuda_graph g = nullptr;
  Tensor y;
  std::string failure;
  ASSERT_NO_FATAL_FAILURE(record(&g, &failure, [&] { y = region(dev); }));
  ASSERT_TRUE(failure.empty()) << what << " did not record: " << failure;
  for (int round = 0; round < 3; ++round) {
    host = make_all(inputs);
    for (size_t i = 0; i < host.size(); ++i) ops::copy_(dev[i], host[i]);
    ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
    expect_same(region(host), y, what + " replay " + std::to_string(round), tol);
  }
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK) << ember_last_error();
}

// Each op once on a few dtypes, index dtypes and dims; runs eagerly or records, as `check` does.
using Check =
    std::function<void(const std::string&, const std::vector<Make>&, const Region&, double)>;

void every_op(const Check& check) {
  for (DType t : {DType::Float32, DType::Float64, DType::Float16, DType::Int64}) {
    const std::string n = dtype_name(t);
    for (DType it : {DType::Int64, DType::Int32}) {
      const std::string in = n + " index " + dtype_name(it);
      for (int64_t dim : {0, 1, 2}) {
        const DimVector shape{4, 5, 6};
        check(
            "index_select dim " + std::to_string(dim) + " " + in,
            {values_of(shape, t), indices_of(0, shape[dim], {7}, it)},
            [dim](const std::vector<Tensor>& v) { return ops::index_select(v[0], dim, v[1]); }, 0);
      }
      check(
          "embedding " + in, {values_of({9, 3}, t), indices_of(0, 9, {2, 5}, it)},
          [](const std::vector<Tensor>& v) { return ops::embedding(v[0], v[1]); }, 0);
      // Repeated rows: index_copy keeps the last write as the CPU does.
      check(
          "index_copy " + in,
          {values_of({6, 4}, t), indices_of(0, 6, {8}, it), values_of({8, 4}, t)},
          [](const std::vector<Tensor>& v) { return ops::index_copy(v[0], 0, v[1], v[2]); }, 0);
      check(
          "index_add dim 1 " + in,
          {values_of({3, 5}, t), indices_of(0, 5, {9}, it), values_of({3, 9}, t)},
          [](const std::vector<Tensor>& v) {
            return ops::index_add(v[0], 1, v[1], v[2], Scalar::from_int(1));
          },
          reorder_tolerance(t));
    }
    if (is_floating(t)) {
      // The backward of embedding sums rows into their embeddings (atomics on the GPU); with a
      // padding row and scaled by how often each index occurs.
      for (int64_t pad : {int64_t{-1}, int64_t{2}}) {
        for (bool freq : {false, true}) {
          check(
              "embedding_backward " + n + " pad " + std::to_string(pad) + (freq ? " freq" : ""),
              {values_of({3, 5, 4}, t), indices_of(0, 7, {3, 5})},
              [pad, freq](const std::vector<Tensor>& v) {
                return ops::embedding_backward(v[0], v[1], 7, pad, freq);
              },
              reorder_tolerance(t));
        }
      }
    }
    // take and index_fill wrap negative indices.
    check(
        "index_fill " + n, {values_of({4, 6}, t), indices_of(-6, 6, {5})},
        [](const std::vector<Tensor>& v) {
          return ops::index_fill(v[0], 1, v[1], Scalar::from_int(7));
        },
        0);
    check(
        "take " + n, {values_of({3, 4}, t), indices_of(-12, 12, {2, 7})},
        [](const std::vector<Tensor>& v) { return ops::take(v[0], v[1]); }, 0);
    const Scalar alpha = is_floating(t) ? Scalar::from_float(0.5) : Scalar::from_int(3);
    check(
        "index_add alpha " + n,
        {values_of({6, 4}, t), indices_of(0, 6, {10}), values_of({10, 4}, t)},
        [alpha](const std::vector<Tensor>& v) {
          return ops::index_add(v[0], 0, v[1], v[2], alpha);
        },
        reorder_tolerance(t));
  }
}

TEST(CudaGraphIndexTensor, EagerMatchesTheCpu) {
  REQUIRE_CUDA();
  every_op([](const std::string& what, const std::vector<Make>& in, const Region& r, double tol) {
    expect_eager_same(what, in, r, tol);
  });
  // 0-d self and index, an empty index, a strided self and index, in-place forms.
  const Tensor x = random_cpu({}, DType::Float32), i0 = ops::zeros({}, DType::Int64, kCpu);
  expect_same(ops::index_select(x, 0, i0), ops::index_select(on_cuda(x), 0, on_cuda(i0)),
              "index_select 0-d", 0);
  const Tensor w = random_cpu({5, 8}, DType::Float32);
  const Tensor none = ops::zeros({0}, DType::Int64, kCpu);
  expect_same(ops::index_select(w, 1, none), ops::index_select(on_cuda(w), 1, on_cuda(none)),
              "index_select empty", 0);
  expect_same(ops::embedding(w, none), ops::embedding(on_cuda(w), on_cuda(none)), "embedding empty",
              0);
  const Tensor wide = ops::randint(0, 5, {12}, DType::Int64, kCpu, gen());
  const Tensor every_other = ops::slice(wide, 0, 0, 12, 2);
  const Tensor wt = ops::transpose(w, 0, 1);
  expect_same(ops::index_select(wt, 1, every_other),
              ops::index_select(ops::transpose(on_cuda(w), 0, 1), 1,
                                ops::slice(on_cuda(wide), 0, 0, 12, 2)),
              "index_select strided", 0);
  const Tensor self = random_cpu({5, 3}, DType::Float64), src = random_cpu({6, 3}, DType::Float64);
  const Tensor gself = on_cuda(self);
  ops::index_add_(self, 0, every_other, src, Scalar::from_float(-2));
  ops::index_add_(gself, 0, ops::slice(on_cuda(wide), 0, 0, 12, 2), on_cuda(src),
                  Scalar::from_float(-2));
  expect_same(self, gself, "index_add_ in place", 1e-12);
  ops::index_copy_(self, 0, every_other, src);
  ops::index_copy_(gself, 0, on_cuda(every_other), on_cuda(src));
  expect_same(self, gself, "index_copy_ in place", 0);
}

TEST(CudaGraphIndexTensor, RecordingsFollowNewIndices) {
  REQUIRE_CUDA();
  every_op([](const std::string& what, const std::vector<Make>& in, const Region& r, double tol) {
    expect_replays_follow_inputs(what, in, r, tol);
  });
  // A small step in one recording: embedding rows, a selection of columns, a sum into rows.
  expect_replays_follow_inputs(
      "embedding, index_select and index_add",
      {values_of({10, 6}, DType::Float32), indices_of(0, 10, {4, 3}), indices_of(0, 6, {5}),
       indices_of(0, 10, {4})},
      [](const std::vector<Tensor>& v) {
        const Tensor e = ops::embedding(v[0], v[1]);                           // [4, 3, 6]
        const Tensor cols = ops::index_select(ops::select(e, 1, 2), 1, v[2]);  // [4, 5]
        const Tensor acc = ops::zeros({10, 5}, DType::Float32, v[0]->device());
        return ops::index_add(acc, 0, v[3], cols, Scalar::from_int(1));
      },
      reorder_tolerance(DType::Float32));
}

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

// The op returns; the next synchronize reports the bad index once, naming the op; the device
// keeps working.
void expect_reported_at_synchronize(const std::function<void()>& op, const std::string& expected) {
  ASSERT_NO_THROW(op()) << expected;
  const std::string msg = error_of([] { synchronize(kCuda); });
  EXPECT_NE(msg.find(expected), std::string::npos) << msg;
  EXPECT_NE(msg.find("cuda:0"), std::string::npos) << msg;
  EXPECT_NO_THROW(synchronize(kCuda));
  const Tensor w = random_cpu({4, 3}, DType::Float32);
  const Tensor idx = ops::randint(0, 4, {5}, DType::Int64, kCpu, gen());
  expect_same(ops::index_select(w, 0, idx), ops::index_select(on_cuda(w), 0, on_cuda(idx)),
              "index_select after the error", 0);
}

TEST(CudaGraphIndexTensor, BadIndicesFailTheNextSynchronize) {
  REQUIRE_CUDA();
  const Tensor w = on_cuda(random_cpu({4, 3}, DType::Float32));
  const Tensor bad = on_cuda(ops::full({2}, Scalar::from_int(4), DType::Int64, kCpu));
  const Tensor neg = on_cuda(ops::full({2}, Scalar::from_int(-1), DType::Int32, kCpu));
  const Tensor src = on_cuda(random_cpu({2, 3}, DType::Float32));
  Tensor out;
  expect_reported_at_synchronize(
      [&] { out = ops::index_select(w, 0, bad); },
      "index_select: index 4 is out of bounds for dimension 0 with size 4");
  // index_select takes no negative indices (as on the CPU and in PyTorch).
  expect_reported_at_synchronize([&] { out = ops::index_select(w, 0, neg); },
                                 "index_select: index -1 is out of bounds");
  expect_reported_at_synchronize([&] { out = ops::embedding(w, bad); },
                                 "embedding: index 4 is out of bounds");
  expect_reported_at_synchronize([&] { out = ops::embedding_backward(src, bad, 4, -1, false); },
                                 "embedding_backward: index 4 is out of bounds");
  expect_reported_at_synchronize([&] { out = ops::index_add(w, 0, bad, src, Scalar::from_int(1)); },
                                 "index_add: index 4 is out of bounds");
  expect_reported_at_synchronize([&] { ops::index_copy_(w, 0, neg, src); },
                                 "index_copy_: index -1 is out of bounds");
  expect_reported_at_synchronize(
      [&] { ops::index_fill_(w, 1, bad, Scalar::from_int(0)); },
      "index_fill_: index 4 is out of bounds for dimension 1 with size 3");
  // take wraps [-12, 0) and reports what is still out of range after wrapping (12 stays 12).
  const Tensor far = on_cuda(ops::full({3}, Scalar::from_int(12), DType::Int64, kCpu));
  expect_reported_at_synchronize([&] { out = ops::take(w, far); },
                                 "take: index 12 is out of bounds for dimension 0 with size 12");
  // The CPU still refuses at once.
  EXPECT_NE(error_of([&] {
              ops::index_select(ops::to_device(w, kCpu), 0, ops::to_device(bad, kCpu));
            }).find("index_select: index 4 is out of bounds"),
            std::string::npos);
}

}  // namespace
}  // namespace ember
