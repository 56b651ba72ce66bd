// The seed MLP's products at batch 64 (Flatten, 784-512-512-10): the forward x @ Wᵀ, the input
// gradient g @ W and the weight gradient gᵀ @ x of each layer, as the training step runs them
// (through ops::matmul on transposed views).
#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "core/nn_fused.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

// out = a @ b with a (m x k) stored transposed when ta, b (k x n) stored transposed when tb.
void mlp_product(benchmark::State& state, bool ta, bool tb, int64_t m, int64_t n, int64_t k) {
  set_num_threads(bench::threads());
  Tensor a = ta ? ops::transpose(bench::randn({k, m}), 0, 1) : bench::randn({m, k});
  Tensor b = tb ? ops::transpose(bench::randn({n, k}), 0, 1) : bench::randn({k, n});
  for (auto _ : state) benchmark::DoNotOptimize(ops::matmul(a, b));
  state.counters["flop"] = 2.0 * m * n * k;
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate);
}

#define MLP_PRODUCT(label, ta, tb, m, n, k)              \
  BENCHMARK_CAPTURE(mlp_product, label, ta, tb, m, n, k) \
      ->Name("mlp_gemm_" #label "/impl:ember")           \
      ->Unit(benchmark::kMicrosecond)                    \
      ->UseRealTime();
MLP_PRODUCT(fwd1, false, true, 64, 512, 784)
MLP_PRODUCT(fwd2, false, true, 64, 512, 512)
MLP_PRODUCT(gin2, false, false, 64, 512, 512)
MLP_PRODUCT(gw2, true, false, 512, 512, 64)
MLP_PRODUCT(gw1, true, false, 512, 784, 64)

}  // namespace
}  // namespace ember

namespace ember {
namespace {

// Every kernel of one seed-MLP SGD step at batch 64, called directly, in the order the autograd
// engine runs them: the floor that the managed step (benchmarks/Ember.Benchmarks, mlp_step_sgd_b64)
// adds its own bookkeeping to.
void mlp_step_kernels(benchmark::State& state) {
  set_num_threads(bench::threads());
  const int64_t batch = 64;
  Tensor x = bench::randn({batch, 784});
  Tensor target = ops::full({batch}, Scalar(int64_t{3}), DType::Int64, Device{});
  Tensor w1 = bench::randn({512, 784}), b1 = bench::randn({512}), w2 = bench::randn({512, 512}),
         b2 = bench::randn({512}), w3 = bench::randn({10, 512}), b3 = bench::randn({10});
  for (auto _ : state) {
    Tensor h1 = ops::relu(ops::linear(x, w1, b1));
    Tensor h2 = ops::relu(ops::linear(h1, w2, b2));
    Tensor logits = ops::linear(h2, w3, b3);
    Tensor logp = ops::log_softmax(logits, 1);
    auto [loss, total] = ops::nll_loss(logp, target, Tensor{}, ops::Reduction::Mean, -100);
    Tensor one = ops::full({}, Scalar(1.0), DType::Float32, Device{});
    Tensor g_logp =
        ops::nll_loss_backward(one, logp, target, Tensor{}, ops::Reduction::Mean, -100, total);
    Tensor g3 = ops::log_softmax_backward(g_logp, logp, 1);
    // Each layer's gradients from one call, as LinearBackward runs them (the two GEMMs at once).
    ops::LinearGrads l3 = ops::linear_backward(g3, h2, w3, true, true, true, Tensor(), Tensor());
    Tensor g2 = ops::threshold_backward(l3.grad_x, h2, Scalar(0.0));
    ops::LinearGrads l2 = ops::linear_backward(g2, h1, w2, true, true, true, Tensor(), Tensor());
    Tensor g1 = ops::threshold_backward(l2.grad_x, h1, Scalar(0.0));
    ops::LinearGrads l1 =
        ops::linear_backward(g1, x, Tensor(), false, true, true, Tensor(), Tensor());
    Tensor gw3 = l3.grad_w, gb3 = l3.grad_b, gw2 = l2.grad_w, gb2 = l2.grad_b, gw1 = l1.grad_w,
           gb1 = l1.grad_b;
    const Tensor params[] = {w1, b1, w2, b2, w3, b3}, grads[] = {gw1, gb1, gw2, gb2, gw3, gb3};
    ops::SgdOptions o;
    o.lr = 1e-6;
    ops::sgd_step(params, grads, {}, o);
  }
}
BENCHMARK(mlp_step_kernels)
    ->Name("mlp_step_sgd_b64_kernels/impl:ember")
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace ember
