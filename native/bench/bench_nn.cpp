// nn kernel benchmarks; tests/reference/bench_nn_torch.py times the same cases in PyTorch.
//   conv2d on the seed CNN's shapes (batch 64): forward, and forward + backward (the first conv
//   needs no input gradient, as in training);
//   max_pool2d with 2x2 windows on the seed CNN's two pooled shapes, forward and forward +
//   backward; log_softmax / softmax (and backward) and layer_norm on (64, 4096) float32; one Adam
//   step over 10M float32 parameters, reported also as GB/s of memory traffic: it reads param,
//   grad, exp_avg, exp_avg_sq and writes param, exp_avg, exp_avg_sq (7 x 4 bytes/element).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_util.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

void conv_case(const std::string& name, int64_t n, int64_t c, int64_t hw, int64_t o, int64_t k,
               bool need_input) {
  // Inputs are made on the first run, not at registration: kernels register during static
  // initialisation too, in an order that is not defined.
  struct Inputs {
    Tensor x, w, b, gy;
  };
  auto make = [=] {
    set_num_threads(bench::threads());
    return Inputs{bench::randn({n, c, hw, hw}), bench::randn({o, c, k, k}), bench::randn({o}),
                  bench::randn({n, o, hw - k + 1, hw - k + 1})};
  };
  const ops::Conv2dParams p;
  benchmark::RegisterBenchmark(("conv2d_fwd/" + name).c_str(),
                               [=](benchmark::State& st) {
                                 const Inputs in = make();
                                 for (auto _ : st)
                                   benchmark::DoNotOptimize(ops::conv2d(in.x, in.w, in.b, p));
                               })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("conv2d_fwd_bwd/" + name).c_str(),
                               [=](benchmark::State& st) {
                                 const Inputs in = make();
                                 for (auto _ : st) {
                                   benchmark::DoNotOptimize(ops::conv2d(in.x, in.w, in.b, p));
                                   benchmark::DoNotOptimize(ops::conv2d_backward(
                                       in.gy, in.x, in.w, p, need_input, true, true));
                                 }
                               })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  // The two halves of the backward alone, to see where its time goes.
  benchmark::RegisterBenchmark(
      ("conv2d_bwd_weight/" + name).c_str(),
      [=](benchmark::State& st) {
        const Inputs in = make();
        for (auto _ : st)
          benchmark::DoNotOptimize(ops::conv2d_backward(in.gy, in.x, in.w, p, false, true, false));
      })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  if (need_input) {
    benchmark::RegisterBenchmark(("conv2d_bwd_input/" + name).c_str(),
                                 [=](benchmark::State& st) {
                                   const Inputs in = make();
                                   for (auto _ : st)
                                     benchmark::DoNotOptimize(ops::conv2d_backward(
                                         in.gy, in.x, in.w, p, true, false, false));
                                 })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  }
}

// max_pool2d with the seed CNN's 2x2 windows: forward, and forward + backward.
void pool_case(const std::string& name, int64_t n, int64_t c, int64_t hw) {
  ops::Pool2dParams p;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  benchmark::RegisterBenchmark(("max_pool2d_fwd/" + name).c_str(),
                               [=](benchmark::State& st) {
                                 set_num_threads(bench::threads());
                                 const Tensor x = bench::randn({n, c, hw, hw});
                                 for (auto _ : st) benchmark::DoNotOptimize(ops::max_pool2d(x, p));
                               })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(
      ("max_pool2d_fwd_bwd/" + name).c_str(),
      [=](benchmark::State& st) {
        set_num_threads(bench::threads());
        const Tensor x = bench::randn({n, c, hw, hw});
        const Tensor gy = bench::randn({n, c, hw / 2, hw / 2});
        for (auto _ : st) {
          const auto [y, idx] = ops::max_pool2d(x, p);
          benchmark::DoNotOptimize(ops::max_pool2d_backward(gy, x, idx, p));
        }
      })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

void softmax_cases() {
  auto reg = [](const char* name, auto fn) {
    benchmark::RegisterBenchmark(
        name,
        [fn](benchmark::State& st) {
          set_num_threads(bench::threads());
          const Tensor x = bench::randn({64, 4096}), g = bench::randn({64, 4096});
          const Tensor y = fn(x, g, Tensor());  // the forward result, for the backward cases
          for (auto _ : st) benchmark::DoNotOptimize(fn(x, g, y));
        })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  };
  // fn(x, g, y): the op, where y (when given) is the forward output the backward takes.
  reg("log_softmax/64x4096",
      [](const Tensor& x, const Tensor&, const Tensor&) { return ops::log_softmax(x, 1); });
  reg("softmax/64x4096",
      [](const Tensor& x, const Tensor&, const Tensor&) { return ops::softmax(x, 1); });
  reg("log_softmax_backward/64x4096", [](const Tensor& x, const Tensor& g, const Tensor& y) {
    return y ? ops::log_softmax_backward(g, y, 1) : ops::log_softmax(x, 1);
  });
  reg("softmax_backward/64x4096", [](const Tensor& x, const Tensor& g, const Tensor& y) {
    return y ? ops::softmax_backward(g, y, 1) : ops::softmax(x, 1);
  });
  // layer_norm over the last 4096 with weight and bias, as nn.LayerNorm(4096) runs it.
  reg("layer_norm/64x4096", [](const Tensor& x, const Tensor&, const Tensor&) {
    static const Tensor w = bench::randn({4096}), b = bench::randn({4096});
    const int64_t shape[] = {4096};
    return ops::layer_norm(x, shape, w, b, 1e-5, false).out;
  });
}

void adam_case() {
  benchmark::RegisterBenchmark("adam_step/10M_f32",
                               [](benchmark::State& st) {
                                 set_num_threads(bench::threads());
                                 const int64_t n = 10'000'000;
                                 const Tensor p = bench::randn({n}), g = bench::randn({n});
                                 const Tensor m = ops::zeros({n}, DType::Float32, Device{});
                                 const Tensor v = ops::zeros({n}, DType::Float32, Device{});
                                 const Tensor ps[] = {p}, gs[] = {g}, ms[] = {m}, vs[] = {v};
                                 ops::AdamOptions o;
                                 o.step = 0;
                                 for (auto _ : st) {
                                   ++o.step;
                                   ops::adam_step(ps, gs, ms, vs, {}, o);
                                 }
                                 st.counters["GBps"] = benchmark::Counter(
                                     static_cast<double>(n) * 4 * 7 / 1e9,
                                     benchmark::Counter::kIsIterationInvariantRate);
                               })
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

const bool registered = [] {
  conv_case("64x1x28x28_k5_c10", 64, 1, 28, 10, 5, false);
  conv_case("64x10x12x12_k5_c20", 64, 10, 12, 20, 5, true);
  pool_case("64x10x24x24", 64, 10, 24);
  pool_case("64x20x8x8", 64, 20, 8);
  softmax_cases();
  adam_case();
  return true;
}();

}  // namespace
}  // namespace ember
