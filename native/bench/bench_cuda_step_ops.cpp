// The host's cost of each op of the seed CNN's training step on the GPU (issue 7: the eager step is
// bound by host time, not by the GPU's): every call at the step's shapes (batch 64, float32),
// timed on the host alone as cuda_add_1elem_call is. An op that costs much more than one launch
// (~3.2 us on the H200 host, cuda_add_1elem_call ~3.9 us) makes several library calls or launches.
//   cuda_step_call/<op>/impl:ember   per_call: seconds of host time per call
#include <benchmark/benchmark.h>

#include "bench_cuda_util.h"
#include "core/backend.h"
#include "core/generator.h"
#include "core/nn_ops.h"
#include "core/ops.h"

namespace ember {
namespace {

using bench::cuda_ready;
using bench::host_timed;
using bench::kCuda;

Tensor randn_cuda(const DimVector& sizes) {
  static Generator g(7);
  return ops::to_device(ops::randn(sizes, DType::Float32, Device{}, g), kCuda);
}

// The seed CNN's two convolutions: x, weight and bias shapes.
struct ConvLayer {
  DimVector x, w;
};
const ConvLayer kConv1{{64, 1, 28, 28}, {10, 1, 5, 5}};
const ConvLayer kConv2{{64, 10, 12, 12}, {20, 10, 5, 5}};

// With and without the bias: the difference is what adding the bias costs the host.
void BM_Conv2d(benchmark::State& st, const ConvLayer& l, bool bias) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda(l.x), w = randn_cuda(l.w);
  const Tensor b = bias ? randn_cuda({l.w[0]}) : Tensor();
  host_timed(st, [&] { benchmark::DoNotOptimize(ops::conv2d(x, w, b, {})); });
}
BENCHMARK_CAPTURE(BM_Conv2d, conv1, kConv1, true)
    ->Name("cuda_step_call/conv2d_1x28x28_to_10/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Conv2d, conv2, kConv2, true)
    ->Name("cuda_step_call/conv2d_10x12x12_to_20/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Conv2d, conv2_no_bias, kConv2, false)
    ->Name("cuda_step_call/conv2d_10x12x12_to_20_no_bias/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The step's backward: no input gradient for the first layer (its input is the batch). Without
// the bias gradient too, for what that costs.
void BM_Conv2dBackward(benchmark::State& st, const ConvLayer& l, bool need_x, bool need_b) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda(l.x), w = randn_cuda(l.w);
  const Tensor gy = randn_cuda(ops::conv2d(x, w, Tensor(), {})->sizes());
  host_timed(st, [&] {
    benchmark::DoNotOptimize(ops::conv2d_backward(gy, x, w, {}, need_x, true, need_b));
  });
}
BENCHMARK_CAPTURE(BM_Conv2dBackward, conv1, kConv1, false, true)
    ->Name("cuda_step_call/conv2d_backward_1x28x28_to_10_w_b/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Conv2dBackward, conv2, kConv2, true, true)
    ->Name("cuda_step_call/conv2d_backward_10x12x12_to_20_x_w_b/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Conv2dBackward, conv2_x_w, kConv2, true, false)
    ->Name("cuda_step_call/conv2d_backward_10x12x12_to_20_x_w/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_MaxPool(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  ops::Pool2dParams p;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  const Tensor x = randn_cuda({64, 10, 24, 24});
  host_timed(st, [&] { benchmark::DoNotOptimize(ops::max_pool2d(x, p)); });
}
BENCHMARK(BM_MaxPool)
    ->Name("cuda_step_call/max_pool2d_10x24x24/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_MaxPoolBackward(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  ops::Pool2dParams p;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  const Tensor x = randn_cuda({64, 10, 24, 24});
  const auto [y, ind] = ops::max_pool2d(x, p);
  const Tensor gy = randn_cuda(y->sizes());
  host_timed(st, [&] { benchmark::DoNotOptimize(ops::max_pool2d_backward(gy, x, ind, p)); });
}
BENCHMARK(BM_MaxPoolBackward)
    ->Name("cuda_step_call/max_pool2d_backward_10x24x24/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_Linear(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda({64, 320}), w = randn_cuda({50, 320}), b = randn_cuda({50});
  host_timed(st, [&] { benchmark::DoNotOptimize(ops::linear(x, w, b)); });
}
BENCHMARK(BM_Linear)
    ->Name("cuda_step_call/linear_320_to_50/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The linear backward's products: the input gradient (g @ W) and the weight gradient (g^T @ x).
void BM_LinearGrads(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda({64, 320}), w = randn_cuda({50, 320}), g = randn_cuda({64, 50});
  host_timed(st, [&] {
    benchmark::DoNotOptimize(ops::matmul(g, w));
    benchmark::DoNotOptimize(ops::matmul(ops::transpose(g, 0, 1), x));
  });
}
BENCHMARK(BM_LinearGrads)
    ->Name("cuda_step_call/linear_320_to_50_two_grad_matmuls/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_Relu(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda({64, 10, 12, 12});
  host_timed(st, [&] { benchmark::DoNotOptimize(ops::relu(x)); });
}
BENCHMARK(BM_Relu)
    ->Name("cuda_step_call/relu_10x12x12/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_CrossEntropyBackward(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor logp = ops::log_softmax(randn_cuda({64, 10}), 1);
  Generator gen(3);
  const Tensor target = ops::to_dtype(
      ops::binary_scalar(ops::BinaryOp::Mul, ops::rand({64}, DType::Float32, kCuda, gen),
                         Scalar::from_int(10)),
      DType::Int64);
  const auto [loss, total] = ops::nll_loss(logp, target, Tensor(), ops::Reduction::Mean, -100);
  const Tensor one = ops::full({}, Scalar::from_float(1), DType::Float32, kCuda);
  host_timed(st, [&] {
    const Tensor g =
        ops::nll_loss_backward(one, logp, target, Tensor(), ops::Reduction::Mean, -100, total);
    benchmark::DoNotOptimize(ops::log_softmax_backward(g, logp, 1));
  });
}
BENCHMARK(BM_CrossEntropyBackward)
    ->Name("cuda_step_call/nll_loss_and_log_softmax_backward/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ember
