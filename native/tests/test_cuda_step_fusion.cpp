// The kernels a training step runs with fewer launches, against the CPU backend: linear with its
// bias in cuBLASLt's epilogue (every floating dtype, TF32 on and off, strided and misaligned
// operands, side streams and CUDA graphs), nll_loss backward and max_pool2d backward as one kernel
// each (weights, ignore_index, padding, dilation, ceil_mode, planes too large for shared memory).
// The one-kernel backwards write every element of their output, zeros included: each test first
// leaves NaN in the memory the caching allocator hands the output next, so a zero that was not
// written shows. Skips without the plugin (see cuda_test_util.h).
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/nn_conv_pool.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

std::string what(const char* op, DType t, const std::string& detail) {
  return std::string(op) + " " + dtype_name(t) + " " + detail;
}

// ---- linear ----

double linear_tolerance(DType t) {
  return t == DType::Float32 ? 1e-4 : t == DType::Float64 ? 1e-10 : 3e-2;
}

struct LinearCase {
  DimVector x;
  int64_t outs;
};

// The seed models' layers at batch 64; a batch of one, one input feature, one output (these take
// the GEMM path); odd sizes; a 3-d input; an empty reduction (in = 0): the output is the bias.
const LinearCase kLinearCases[] = {
    {{64, 784}, 512}, {{64, 512}, 10}, {{64, 320}, 50}, {{64, 50}, 10},
    {{1, 320}, 50},   {{7, 13}, 9},    {{5, 1}, 4},     {{5, 4}, 1},
    {{1, 3}, 1},      {{2, 3, 13}, 9}, {{4, 0}, 5},
};

void expect_linear(const Tensor& x, const Tensor& w, const Tensor& b, const std::string& name,
                   double tol) {
  expect_same(ops::linear(x, w, b), ops::linear(on_cuda(x), on_cuda(w), b ? on_cuda(b) : Tensor()),
              name, tol);
}

TEST(CudaStepFusion, LinearWithBiasMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  for (DType t : kFloats) {
    const double tol = linear_tolerance(t);
    for (const LinearCase& c : kLinearCases) {
      const int64_t in = c.x.back();
      const Tensor x = random_cpu(c.x, t), w = random_cpu({c.outs, in}, t);
      const Tensor b = random_cpu({c.outs}, t);
      std::string shape;
      for (int64_t d : c.x) shape += std::to_string(d) + " ";
      shape += "-> " + std::to_string(c.outs);
      expect_linear(x, w, b, what("linear", t, shape), tol);
      expect_linear(x, w, Tensor(), what("linear without bias", t, shape), tol);
    }
  }
}

// The same view of the same values on both devices: rows [from, to) of a random (rows, cols)
// tensor (of a vector when cols is 0), every step-th one.
struct View {
  Tensor cpu, cuda;
};

View rows_of(int64_t rows, int64_t cols, int64_t from, int64_t to, int64_t step, DType t) {
  const Tensor base = cols == 0 ? random_cpu({rows}, t) : random_cpu({rows, cols}, t);
  return {ops::slice(base, 0, from, to, step), ops::slice(on_cuda(base), 0, from, to, step)};
}

View transposed(int64_t rows, int64_t cols, DType t) {
  const Tensor base = random_cpu({cols, rows}, t);
  return {ops::transpose(base, 0, 1), ops::transpose(on_cuda(base), 0, 1)};
}

void expect_linear(const View& x, const View& w, const View& b, const std::string& name,
                   double tol) {
  expect_same(ops::linear(x.cpu, w.cpu, b.cpu), ops::linear(x.cuda, w.cuda, b.cuda), name, tol);
}

TEST(CudaStepFusion, LinearWithStridedAndMisalignedOperandsMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  for (DType t : kFloats) {
    const double tol = linear_tolerance(t);
    const View none{Tensor(), Tensor()};
    // x and w stored transposed: views with no unit stride along the rows.
    expect_linear(transposed(7, 13, t), transposed(9, 13, t), rows_of(9, 0, 0, 9, 1, t),
                  what("linear", t, "transposed x and w"), tol);
    // Views that start one element into their storage on the device: contiguous, but not aligned
    // as the allocator's blocks are, so the product is planned for other alignments (or falls
    // back to the GEMM path).
    const View x1 = rows_of(65, 13, 1, 65, 1, t), w1 = rows_of(11, 13, 1, 11, 1, t);
    const View b1 = rows_of(11, 0, 1, 11, 1, t);
    expect_linear(x1, w1, b1, what("linear", t, "offset x, w and bias"), tol);
    expect_linear(x1, w1, none, what("linear", t, "offset x and w, no bias"), tol);
    const View x2 = rows_of(64, 13, 0, 64, 1, t), w2 = rows_of(10, 13, 0, 10, 1, t);
    expect_linear(x2, w1, b1, what("linear", t, "aligned x, offset w and bias"), tol);
    expect_linear(x2, w2, rows_of(11, 0, 1, 11, 1, t), what("linear", t, "offset bias only"), tol);
    // A bias that is a strided view is made contiguous first.
    expect_linear(x2, w2, rows_of(20, 0, 0, 20, 2, t), what("linear", t, "strided bias"), tol);
  }
}

// The largest difference between a float32 linear on the GPU and on the CPU.
double worst_linear_difference(const Tensor& x, const Tensor& w, const Tensor& b) {
  const std::vector<double> r = values(ops::linear(x, w, b));
  const std::vector<double> g = values(ops::linear(on_cuda(x), on_cuda(w), on_cuda(b)));
  double worst = 0;
  for (size_t i = 0; i < r.size(); ++i) worst = std::max(worst, std::abs(r[i] - g[i]));
  return worst;
}

TEST(CudaStepFusion, LinearWithBiasHonoursTf32BothWays) {
  REQUIRE_CUDA();
  const Tensor x = random_cpu({256, 256}, DType::Float32);
  const Tensor w = random_cpu({256, 256}, DType::Float32);
  const Tensor b = random_cpu({256}, DType::Float32);
  // Off, on, off again: the plan made for one setting must not serve the other.
  for (int64_t allow : {0, 1, 0}) {
    const OptionScope tf32("cuda.matmul.allow_tf32", allow);
    const double worst = worst_linear_difference(x, w, b);
    if (allow != 0) {
      // TF32 rounds inputs to 10 mantissa bits: visibly different, still close.
      EXPECT_GT(worst, 1e-4) << "TF32 allowed";
      EXPECT_LT(worst, 0.5) << "TF32 allowed";
    } else {
      // Sums of 256 products of about 1 each, in float32.
      EXPECT_LT(worst, 2e-4) << "TF32 not allowed";
    }
  }
}

TEST(CudaStepFusion, LinearFollowsTheCurrentStream) {
  REQUIRE_CUDA();
  const Tensor x = random_cpu({64, 50}, DType::Float32), w = random_cpu({10, 50}, DType::Float32);
  const Tensor b = random_cpu({10}, DType::Float32);
  const Tensor ref = ops::linear(x, w, b), ref_mm = ops::matmul(x, ops::transpose(w, 0, 1));
  const Tensor xg = on_cuda(x), wg = on_cuda(w), bg = on_cuda(b);
  // The handles' stream and workspace are set only when the stream changes: default, side,
  // default, side again.
  for (int round = 0; round < 2; ++round) {
    expect_same(ref, ops::linear(xg, wg, bg), "linear on the default stream", 1e-4);
    expect_same(ref_mm, ops::matmul(xg, ops::transpose(wg, 0, 1)), "matmul on the default stream",
                1e-4);
    SideStream side;
    expect_same(ref, ops::linear(xg, wg, bg), "linear on a side stream", 1e-4);
    expect_same(ref_mm, ops::matmul(xg, ops::transpose(wg, 0, 1)), "matmul on a side stream", 1e-4);
  }
}

TEST(CudaStepFusion, ConvolutionFollowsTheCurrentStream) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  const Tensor x = random_cpu({8, 10, 12, 12}, DType::Float32);
  const Tensor w = random_cpu({20, 10, 5, 5}, DType::Float32);
  const Tensor b = random_cpu({20}, DType::Float32);
  const Tensor y = ops::conv2d(x, w, b, {});
  const Tensor gy = random_cpu(y->sizes(), DType::Float32);
  const auto g = ops::conv2d_backward(gy, x, w, {}, true, true, true);
  const Tensor xg = on_cuda(x), wg = on_cuda(w), bg = on_cuda(b), gyg = on_cuda(gy);
  // cuDNN's handle gets the stream only when it changes: default, side, default, side again.
  const auto check = [&](const std::string& where) {
    expect_same(y, ops::conv2d(xg, wg, bg, {}), "conv2d on " + where, 1e-4);
    const auto gg = ops::conv2d_backward(gyg, xg, wg, {}, true, true, true);
    expect_same(g.grad_x, gg.grad_x, "conv2d grad_x on " + where, 1e-4);
    expect_same_sums(g.grad_w, gg.grad_w, "conv2d grad_w on " + where, 1e-3);
    expect_same_sums(g.grad_b, gg.grad_b, "conv2d grad_b on " + where, 1e-3);
  };
  for (int round = 0; round < 2; ++round) {
    check("the default stream");
    SideStream side;
    check("a side stream");
  }
}

// ---- convolutions: small ones on the batched vol2col path, larger ones through cuDNN ----

struct ConvCase {
  DimVector x, w;
  ops::Conv2dParams p;
  const char* name;
};

void expect_conv(const ConvCase& c, DType t, double tol) {
  const Tensor x = random_cpu(c.x, t), w = random_cpu(c.w, t), b = random_cpu({c.w[0]}, t);
  const Tensor y = ops::conv2d(x, w, b, c.p);
  const Tensor xg = on_cuda(x), wg = on_cuda(w);
  expect_same(y, ops::conv2d(xg, wg, on_cuda(b), c.p), what("conv2d", t, c.name), tol);
  const Tensor gy = random_cpu(y->sizes(), t);
  const auto g = ops::conv2d_backward(gy, x, w, c.p, true, true, true);
  const auto gg = ops::conv2d_backward(on_cuda(gy), xg, wg, c.p, true, true, true);
  expect_same(g.grad_x, gg.grad_x, what("conv2d grad_x", t, c.name), tol);
  expect_same_sums(g.grad_w, gg.grad_w, what("conv2d grad_w", t, c.name), tol * 10);
  expect_same_sums(g.grad_b, gg.grad_b, what("conv2d grad_b", t, c.name), tol * 10);
  // The weight gradient alone reads the input, the input gradient alone does not.
  const auto gw = ops::conv2d_backward(on_cuda(gy), xg, wg, c.p, false, true, false);
  expect_same_sums(g.grad_w, gw.grad_w, what("conv2d grad_w alone", t, c.name), tol * 10);
}

TEST(CudaStepFusion, SmallConvolutionsMatchTheCpuInEveryDtype) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  const ConvCase cases[] = {
      {{64, 1, 28, 28}, {10, 1, 5, 5}, {}, "seed CNN layer 1"},
      {{64, 10, 12, 12}, {20, 10, 5, 5}, {}, "seed CNN layer 2"},
      // More groups than images: one product per image over the groups.
      {{2, 8, 9, 9}, {8, 1, 3, 3}, conv2d_params({1, 1}, {1, 1}, {1, 1}, 8), "depthwise, 2 images"},
      {{5, 6, 11, 10}, {4, 3, 3, 2}, conv2d_params({2, 1}, {1, 2}, {2, 1}, 2), "strided, dilated"},
      // Columns of 18.9 MB an image: three images a pass, then one alone (added into grad_w).
      {{4, 8, 256, 256}, {4, 8, 3, 3}, conv2d_params({1, 1}, {1, 1}, {1, 1}, 1), "4 large images"},
  };
  for (const ConvCase& c : cases) {
    expect_conv(c, DType::Float32, 1e-4);
    expect_conv(c, DType::Float64, 1e-10);
    expect_conv(c, DType::Float16, 1e-2);
    expect_conv(c, DType::BFloat16, 5e-2);
  }
}

TEST(CudaStepFusion, LargerConvolutionsStillMatchTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  // 6e8 FLOPs: above the small-convolution bound, so through cuDNN where the plugin has it.
  const ConvCase c{{8, 64, 32, 32}, {64, 64, 3, 3}, conv2d_params({1, 1}, {1, 1}, {1, 1}, 1), "64"};
  expect_conv(c, DType::Float32, 1e-4);
  const OptionScope det("cudnn.deterministic", 1);
  expect_conv(c, DType::Float32, 1e-4);
}

TEST(CudaStepFusion, SmallConvolutionsFollowCudnnAllowTf32) {
  REQUIRE_CUDA();
  // The vol2col path stands in for cuDNN: TF32 for matmuls does not make it inexact.
  const OptionScope matmul("cuda.matmul.allow_tf32", 1);
  const OptionScope exact("cudnn.allow_tf32", 0);
  const Tensor x = random_cpu({64, 10, 12, 12}, DType::Float32);
  const Tensor w = random_cpu({20, 10, 5, 5}, DType::Float32);
  const std::vector<double> r = values(ops::conv2d(x, w, Tensor(), {}));
  const std::vector<double> g = values(ops::conv2d(on_cuda(x), on_cuda(w), Tensor(), {}));
  double worst = 0;
  for (size_t i = 0; i < r.size(); ++i) worst = std::max(worst, std::abs(r[i] - g[i]));
  EXPECT_LT(worst, 2e-4) << "sums of 250 products of about 1 each, in float32";
}

// Records linear(x, w, b) into a graph (on a shape linear has run before, or on one it has not:
// then the plan is made during the recording), replays it on new inputs, and checks each replay.
void expect_linear_replays(const DimVector& xs, int64_t outs, bool warm) {
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  SideStream side;
  const std::string name = std::string("linear in a graph, ") + (warm ? "warm" : "cold");
  const int64_t in = xs.back();
  Tensor x = random_cpu(xs, DType::Float32), w = random_cpu({outs, in}, DType::Float32);
  Tensor b = random_cpu({outs}, DType::Float32);
  const Tensor xg = on_cuda(x), wg = on_cuda(w), bg = on_cuda(b);
  if (warm) expect_same(ops::linear(x, w, b), ops::linear(xg, wg, bg), name + " eager", 1e-4);
  ember_cuda_graph g = nullptr;
  Tensor y;
  std::string failure;
  ASSERT_NO_FATAL_FAILURE(record(&g, &failure, [&] { y = ops::linear(xg, wg, bg); }));
  ASSERT_TRUE(failure.empty()) << name << " did not record: " << failure;
  for (int round = 0; round < 3; ++round) {
    x = random_cpu(xs, DType::Float32);
    w = random_cpu({outs, in}, DType::Float32);
    b = random_cpu({outs}, DType::Float32);
    ops::copy_(xg, x);
    ops::copy_(wg, w);
    ops::copy_(bg, b);
    ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
    expect_same(ops::linear(x, w, b), y, name + " replay " + std::to_string(round), 1e-4);
  }
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK) << ember_last_error();
}

TEST(CudaStepFusion, LinearWithBiasRecordsIntoGraphs) {
  REQUIRE_CUDA();
  expect_linear_replays({64, 320}, 50, true);
  expect_linear_replays({3, 29}, 7, false);  // a shape no other test uses
}

// ---- nll_loss backward ----

Tensor targets(int64_t n, int64_t classes, const std::vector<std::pair<int64_t, int64_t>>& set) {
  Tensor t = ops::to_dtype(
      ops::binary_scalar(ops::BinaryOp::Mul, ops::rand({n}, DType::Float64, kCpu, gen()),
                         Scalar::from_int(classes)),
      DType::Int64);
  for (const auto& [i, v] : set) t->data_as<int64_t>()[i] = v;
  return t;
}

void check_nll_backward(DType t, const Tensor& logp, const Tensor& target, int64_t ignore_index,
                        const std::string& detail) {
  const Tensor weight = ops::rand({logp->size(logp->dim() - 1)}, t, kCpu, gen());
  for (auto r : {ops::Reduction::None, ops::Reduction::Mean, ops::Reduction::Sum}) {
    for (const Tensor& w : {Tensor(), weight}) {
      const Tensor wc = w ? on_cuda(w) : Tensor();
      const auto [loss, tw] = ops::nll_loss(logp, target, w, r, ignore_index);
      const auto [lossc, twc] = ops::nll_loss(on_cuda(logp), on_cuda(target), wc, r, ignore_index);
      const bool per_sample = r == ops::Reduction::None && logp->dim() == 2;
      const Tensor g = per_sample ? random_cpu({logp->size(0)}, t)
                                  : ops::full({}, Scalar::from_float(0.7), t, kCpu);
      const std::string name = what("nll_loss backward", t, detail) + " reduction " +
                               std::to_string(static_cast<int>(r)) + (w ? " weighted" : "");
      const Tensor gc = on_cuda(g), logpc = on_cuda(logp), targetc = on_cuda(target);
      leave_nan(logp->sizes(), t);  // after the uploads, so that the gradient gets the block
      expect_same(ops::nll_loss_backward(g, logp, target, w, r, ignore_index, tw),
                  ops::nll_loss_backward(gc, logpc, targetc, wc, r, ignore_index, twc), name);
    }
  }
}

TEST(CudaStepFusion, NllLossBackwardIsOneKernelThatWritesEveryElement) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    const Tensor logp = ops::log_softmax(random_cpu({64, 10}, t), 1);
    // Ignored samples (the default -100) among ordinary ones.
    check_nll_backward(t, logp, targets(64, 10, {{3, -100}, {40, -100}}), -100, "ignore -100");
    // An ignore_index that is a class: its samples' rows are all zero, the class's column
    // elsewhere is not.
    check_nll_backward(t, logp, targets(64, 10, {{0, 2}, {5, 2}, {6, 3}}), 2, "ignore class 2");
    // Every sample ignored: mean divides by a total weight of 0 (NaN, as on the CPU).
    check_nll_backward(t, logp, ops::full({64}, Scalar::from_int(-100), DType::Int64, kCpu), -100,
                       "all ignored");
    // More classes than threads in a block, and a single sample (1-d input, 0-d target).
    check_nll_backward(t, ops::log_softmax(random_cpu({3, 2000}, t), 1), targets(3, 2000, {}), -100,
                       "2000 classes");
    check_nll_backward(t, ops::log_softmax(random_cpu({10}, t), 0),
                       ops::full({}, Scalar::from_int(4), DType::Int64, kCpu), -100, "1-d");
    // An empty batch: nothing to write, nothing launched.
    check_nll_backward(t, ops::log_softmax(random_cpu({0, 10}, t), 1), targets(0, 10, {}), -100,
                       "empty batch");
  }
}

// ---- max_pool2d backward ----

ops::Pool2dParams pool(std::array<int64_t, 2> k, std::array<int64_t, 2> s,
                       std::array<int64_t, 2> pad, std::array<int64_t, 2> dil, bool ceil_mode) {
  ops::Pool2dParams p;
  p.kernel = k;
  p.stride = s;
  p.padding = pad;
  p.dilation = dil;
  p.ceil_mode = ceil_mode;
  return p;
}

struct PoolCase {
  DimVector x;
  ops::Pool2dParams p;
  const char* name;
};

const PoolCase kPoolCases[] = {
    // The seed CNN's two poolings.
    {{64, 10, 24, 24}, pool({2, 2}, {2, 2}, {0, 0}, {1, 1}, false), "seed CNN pool 1"},
    {{64, 20, 8, 8}, pool({2, 2}, {2, 2}, {0, 0}, {1, 1}, false), "seed CNN pool 2"},
    // Overlapping windows: one input can be the maximum of several, and gets their sum.
    {{2, 3, 9, 8}, pool({3, 3}, {1, 1}, {1, 1}, {1, 1}, false), "3x3 stride 1 padding 1"},
    {{2, 3, 9, 8}, pool({3, 2}, {2, 1}, {1, 1}, {1, 2}, true), "dilation and ceil_mode"},
    {{1, 2, 11, 10}, pool({2, 3}, {3, 2}, {1, 1}, {2, 1}, true), "ceil_mode, uneven"},
    // Planes too large for the shared-memory sums (more than 48 KiB in the compute type).
    {{1, 2, 120, 121}, pool({2, 2}, {2, 2}, {0, 0}, {1, 1}, false), "large planes"},
    {{1, 1, 130, 130}, pool({3, 3}, {2, 2}, {1, 1}, {1, 1}, true), "large, overlapping"},
};

TEST(CudaStepFusion, MaxPool2dBackwardIsOneKernelThatWritesEveryElement) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const PoolCase& c : kPoolCases) {
      Tensor x = random_cpu(c.x, t);
      // A NaN wins its windows on both devices, and its gradient is summed like any other.
      ops::fill_(ops::select(ops::select(ops::select(x, 0, 0), 0, 0), 0, 2),
                 Scalar::from_float(NAN));
      const Tensor xg = on_cuda(x);
      const auto [y, ind] = ops::max_pool2d(x, c.p);
      const auto [yg, indg] = ops::max_pool2d(xg, c.p);
      expect_same(y, yg, what("max_pool2d", t, c.name), 0);
      expect_same(ind, indg, what("max_pool2d indices", t, c.name), 0);
      const Tensor gy = random_cpu(y->sizes(), t);
      const Tensor gyg = on_cuda(gy);
      leave_nan(x->sizes(), t);
      // Overlapping windows add their gradients with atomics, in any order.
      expect_same(ops::max_pool2d_backward(gy, x, ind, c.p),
                  ops::max_pool2d_backward(gyg, xg, indg, c.p),
                  what("max_pool2d_backward", t, c.name), reorder_tolerance(t));
    }
  }
}

TEST(CudaStepFusion, AdaptiveMaxPoolBackwardSharesTheOneKernel) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const std::vector<int64_t>& size : {std::vector<int64_t>{5, 4}, {3, 7}}) {
      const Tensor x = random_cpu({2, 3, 11, 9}, t), xg = on_cuda(x);
      const auto [y, ind] = ops::adaptive_max_pool(x, size);
      const auto [yg, indg] = ops::adaptive_max_pool(xg, size);
      expect_same(ind, indg, what("adaptive_max_pool indices", t, ""), 0);
      const Tensor gy = random_cpu(y->sizes(), t), gyg = on_cuda(gy);
      leave_nan(x->sizes(), t);
      expect_same(ops::adaptive_max_pool_backward(gy, x, ind, 2),
                  ops::adaptive_max_pool_backward(gyg, xg, indg, 2),
                  what("adaptive_max_pool_backward", t, ""), reorder_tolerance(t));
    }
  }
}

}  // namespace
}  // namespace ember
