// The fused training-step ops (core/nn_fused.h) on the GPU against the CPU backend: linear's
// gradients (every floating dtype, each subset of them, added into existing gradients, empty
// batches, many rows for the bias's column sums), cross entropy over class indices (rows wider
// than a warp, more rows than the kernel's warps, weights, ignored targets, each reduction; a
// target out of range reported at the next synchronising call), feature dropout (the same mask
// bits from the same generator state); the first two recorded into a CUDA graph and replayed on
// new inputs. The backward outputs are written in full: each case first leaves
// NaN where the caching allocator hands out the output next. Skips without the plugin.
#include <algorithm>
#include <string>
#include <vector>

#include "core/nn_fused.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

double tol_for(DType t) {
  return t == DType::Float32   ? 1e-4
         : t == DType::Float64 ? 1e-10
         : t == DType::Float16 ? 2e-2
                               : 6e-2;
}

std::string shape_str(const DimVector& s) {
  std::string r;
  for (int64_t d : s) r += std::to_string(d) + " ";
  return r;
}

// ---- linear_backward ----

struct LinearCase {
  DimVector x;
  int64_t outs;
};

const LinearCase kLinearCases[] = {
    {{64, 784}, 512}, {{64, 512}, 10}, {{64, 320}, 50}, {{64, 50}, 10}, {{1, 3}, 1},
    {{7, 13}, 9},     {{2, 3, 13}, 9}, {{5000, 6}, 10}, {{0, 4}, 3},    {{4, 0}, 5},
};

void expect_linear_backward(const LinearCase& c, DType t, bool nx, bool nw, bool nb, bool into) {
  const int64_t in = c.x.back();
  DimVector gs(c.x);
  gs[gs.size() - 1] = c.outs;
  const Tensor x = random_cpu(c.x, t), w = random_cpu({c.outs, in}, t), g = random_cpu(gs, t);
  const Tensor w0 = random_cpu({c.outs, in}, t), b0 = random_cpu({c.outs}, t);
  const Tensor wi = into && nw ? ops::clone(w0) : Tensor(),
               bi = into && nb ? ops::clone(b0) : Tensor();
  const ops::LinearGrads r =
      ops::linear_backward(g, nw ? x : Tensor(), nx ? w : Tensor(), nx, nw, nb, wi, bi);
  const Tensor wig = into && nw ? on_cuda(w0) : Tensor(), big = into && nb ? on_cuda(b0) : Tensor();
  leave_nan({c.outs, in}, t);
  const ops::LinearGrads got = ops::linear_backward(
      on_cuda(g), nw ? on_cuda(x) : Tensor(), nx ? on_cuda(w) : Tensor(), nx, nw, nb, wig, big);
  const std::string name = std::string("linear_backward ") + dtype_name(t) + " " + shape_str(c.x) +
                           "-> " + std::to_string(c.outs) + (into ? " into" : "") +
                           (nx ? " x" : "") + (nw ? " w" : "") + (nb ? " b" : "");
  const double tol = tol_for(t);
  if (nx) expect_same_sums(r.grad_x, got.grad_x, name + " grad_x", tol);
  if (nw) expect_same_sums(into ? wi : r.grad_w, into ? wig : got.grad_w, name + " grad_w", tol);
  if (nb) expect_same_sums(into ? bi : r.grad_b, into ? big : got.grad_b, name + " grad_b", tol);
  if (into) {
    EXPECT_FALSE(got.grad_w) << name;
    EXPECT_FALSE(got.grad_b) << name;
  }
}

TEST(CudaFused, LinearBackwardMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  for (DType t : kFloats)
    for (const LinearCase& c : kLinearCases)
      for (bool into : {false, true}) expect_linear_backward(c, t, true, true, true, into);
}

TEST(CudaFused, LinearBackwardComputesOnlyWhatIsAskedFor) {
  REQUIRE_CUDA();
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  const LinearCase c{{64, 320}, 50};
  for (bool into : {false, true}) {
    expect_linear_backward(c, DType::Float32, true, false, false, into);
    expect_linear_backward(c, DType::Float32, false, true, false, into);
    expect_linear_backward(c, DType::Float32, false, false, true, into);
    expect_linear_backward(c, DType::Float32, false, true, true, into);
  }
}

// ---- cross_entropy ----

struct CeCase {
  int64_t n, classes;
  bool weighted;
  int64_t ignore;
};

const CeCase kCeCases[] = {
    {64, 10, false, -100}, {64, 10, true, 3},     {1, 1, false, -100},  {70, 40, true, 0},
    {3000, 7, false, 2},   {5, 1000, true, -100}, {0, 10, false, -100},
};

Tensor int64_cpu(const std::vector<int64_t>& v) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Int64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<int64_t>());
  return t;
}

// Every class in turn (7 apart), so weights and ignored classes all show.
Tensor targets_cpu(int64_t n, int64_t classes) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < n; ++i) v.push_back((i * 7 + 1) % classes);
  return int64_cpu(v);
}

void expect_cross_entropy(const CeCase& c, DType t, ops::Reduction red) {
  const Tensor x = ops::binary_scalar(ops::BinaryOp::Mul, random_cpu({c.n, c.classes}, t),
                                      Scalar::from_float(3));
  const Tensor target = targets_cpu(c.n, c.classes);
  const Tensor weight =
      c.weighted ? ops::binary_scalar(ops::BinaryOp::Add, ops::rand({c.classes}, t, kCpu, gen()),
                                      Scalar::from_float(0.5))
                 : Tensor();
  const std::string name = std::string("cross_entropy ") + dtype_name(t) + " " +
                           std::to_string(c.n) + "x" + std::to_string(c.classes) +
                           (c.weighted ? " weighted" : "") + " ignore " + std::to_string(c.ignore) +
                           " reduction " + std::to_string(static_cast<int>(red));
  const ops::CrossEntropyResult r = ops::cross_entropy(x, target, weight, red, c.ignore);
  const Tensor xg = on_cuda(x), tg = on_cuda(target), wg = weight ? on_cuda(weight) : Tensor();
  const ops::CrossEntropyResult got = ops::cross_entropy(xg, tg, wg, red, c.ignore);
  const double tol = tol_for(t);
  expect_same(r.loss, got.loss, name + " loss", red == ops::Reduction::None ? tol : tol * 10);
  expect_same(r.total, got.total, name + " total weight", tol * 10);
  expect_same(r.lse, got.lse, name + " logsumexp", tol);
  const Tensor g = red == ops::Reduction::None ? random_cpu({c.n}, t) : random_cpu({}, t);
  const Tensor gx =
      ops::cross_entropy_backward(g, x, target, weight, red, c.ignore, r.lse, r.total);
  leave_nan({c.n, c.classes}, t);
  const Tensor gxg =
      ops::cross_entropy_backward(on_cuda(g), xg, tg, wg, red, c.ignore, got.lse, got.total);
  expect_same(gx, gxg, name + " grad_x", tol);
}

TEST(CudaFused, CrossEntropyMatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats)
    for (const CeCase& c : kCeCases)
      for (ops::Reduction red : {ops::Reduction::None, ops::Reduction::Mean, ops::Reduction::Sum})
        expect_cross_entropy(c, t, red);
}

TEST(CudaFused, CrossEntropyTargetOutOfRangeFailsAtTheNextSynchronisation) {
  REQUIRE_CUDA();
  const Tensor x = on_cuda(random_cpu({4, 5}, DType::Float32));
  const Tensor target = on_cuda(int64_cpu({1, 7, 2, 0}));
  const ops::CrossEntropyResult r =
      ops::cross_entropy(x, target, Tensor(), ops::Reduction::Mean, -100);
  try {
    values(r.loss);
    ADD_FAILURE() << "a target of 7 for 5 classes was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cross_entropy"), std::string::npos) << e.what();
  }
  // The device stays usable.
  const Tensor ok = on_cuda(targets_cpu(4, 5));
  EXPECT_EQ(values(ops::cross_entropy(x, ok, Tensor(), ops::Reduction::Sum, -100).total)[0], 4.0);
}

// ---- feature_dropout ----

TEST(CudaFused, FeatureDropoutMatchesTheCpu) {
  REQUIRE_CUDA();
  const DimVector shapes[] = {{64, 20, 8, 8}, {3, 5}, {2, 3, 0, 4}, {1, 1, 5, 5}, {7, 9, 3}};
  for (DType t : kFloats) {
    for (const DimVector& s : shapes) {
      for (double p : {0.5, 0.1, 1.0}) {
        const Tensor x = random_cpu(s, t);
        Generator cpu_gen(99), gpu_gen(99);
        const auto [out, mask] = ops::feature_dropout(x, p, true, cpu_gen);
        leave_nan(s, t);
        const auto [gout, gmask] = ops::feature_dropout(on_cuda(x), p, true, gpu_gen);
        const std::string name = std::string("feature_dropout ") + dtype_name(t) + " " +
                                 shape_str(s) + "p " + std::to_string(p);
        expect_same(mask, gmask, name + " mask", 0);
        expect_same(out, gout, name + " out", tol_for(t));
      }
    }
  }
}

// ---- both in a CUDA graph ----

TEST(CudaFused, RecordedStepsReplayOnNewInputs) {
  REQUIRE_CUDA();
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  SideStream side;
  const DType t = DType::Float32;
  Tensor logits = random_cpu({64, 10}, t), target = targets_cpu(64, 10),
         h = random_cpu({64, 50}, t);
  Tensor w = random_cpu({10, 50}, t);
  const Tensor w0 = random_cpu({10, 50}, t), b0 = random_cpu({10}, t);
  const Tensor lg = on_cuda(logits), tg = on_cuda(target), hg = on_cuda(h), wg = on_cuda(w);
  const Tensor wig = on_cuda(w0), big = on_cuda(b0);
  // Warm: handles, plans and kernels are made outside the recording.
  const ops::CrossEntropyResult warm =
      ops::cross_entropy(lg, tg, Tensor(), ops::Reduction::Mean, -100);
  ops::linear_backward(
      ops::cross_entropy_backward(warm.loss, lg, tg, Tensor(), ops::Reduction::Mean, -100, warm.lse,
                                  warm.total),
      hg, wg, true, true, true, wig, big);
  ember_cuda_graph graph = nullptr;
  std::string failure;
  ops::CrossEntropyResult r;
  Tensor gl;
  ops::LinearGrads lgrads;
  ASSERT_NO_FATAL_FAILURE(record(&graph, &failure, [&] {
    r = ops::cross_entropy(lg, tg, Tensor(), ops::Reduction::Mean, -100);
    // The scalar gradient is the recorded loss itself: the backward reads it on the device.
    gl = ops::cross_entropy_backward(r.loss, lg, tg, Tensor(), ops::Reduction::Mean, -100, r.lse,
                                     r.total);
    lgrads = ops::linear_backward(gl, hg, wg, true, true, true, wig, big);
  }));
  ASSERT_TRUE(failure.empty()) << "did not record: " << failure;
  Tensor w_acc = ops::clone(w0), b_acc = ops::clone(b0);
  ops::copy_(wig, w0);
  ops::copy_(big, b0);
  for (int round = 0; round < 3; ++round) {
    logits = random_cpu({64, 10}, t);
    h = random_cpu({64, 50}, t);
    w = random_cpu({10, 50}, t);
    ops::copy_(lg, logits);
    ops::copy_(hg, h);
    ops::copy_(wg, w);
    ASSERT_EQ(ember_cuda_graph_replay(graph), EMBER_OK) << ember_last_error();
    const ops::CrossEntropyResult e =
        ops::cross_entropy(logits, target, Tensor(), ops::Reduction::Mean, -100);
    const Tensor ge = ops::cross_entropy_backward(e.loss, logits, target, Tensor(),
                                                  ops::Reduction::Mean, -100, e.lse, e.total);
    const ops::LinearGrads le = ops::linear_backward(ge, h, w, true, true, true, w_acc, b_acc);
    const std::string name = "replay " + std::to_string(round);
    expect_same(e.loss, r.loss, name + " loss", 1e-5);
    expect_same(ge, gl, name + " cross_entropy grad", 1e-5);
    expect_same_sums(le.grad_x, lgrads.grad_x, name + " linear grad_x", 1e-4);
    // Each replay adds into the same gradients, as each backward of a training loop does.
    expect_same_sums(w_acc, wig, name + " accumulated grad_w", 1e-4);
    expect_same_sums(b_acc, big, name + " accumulated grad_b", 1e-4);
  }
  EXPECT_EQ(ember_cuda_graph_destroy(graph), EMBER_OK) << ember_last_error();
}

}  // namespace
}  // namespace ember
