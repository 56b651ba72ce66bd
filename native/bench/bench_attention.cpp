// scaled_dot_product_attention benchmarks; tests/reference/bench_attention_torch.py times the same
// cases in PyTorch. (B, H, L = S, E) = (8, 8, 1024, 64) float32, plain and causal, forward and
// forward + backward. Reported also as GFLOP/s of the matrix products (forward 4 B H L S E; the
// backward recomputes the scores and adds four more products: 10 B H L S E for forward + backward;
// causal halves both).
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>

#include "bench_util.h"
#include "core/attention.h"
#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

void attention_case(bool causal, bool backward) {
  const int64_t B = 8, H = 8, L = 1024, E = 64;
  const std::string name = std::string(backward ? "sdpa_fwd_bwd" : "sdpa_fwd") +
                           (causal ? "_causal" : "") + "/8x8x1024x64";
  benchmark::RegisterBenchmark(
      name.c_str(),
      [=](benchmark::State& st) {
        set_num_threads(bench::threads());
        Generator gen(0);
        const Tensor q = ops::randn({B, H, L, E}, DType::Float32, Device{}, gen);
        const Tensor k = ops::randn({B, H, L, E}, DType::Float32, Device{}, gen);
        const Tensor v = ops::randn({B, H, L, E}, DType::Float32, Device{}, gen);
        const Tensor g = ops::randn({B, H, L, E}, DType::Float32, Device{}, gen);
        for (auto _ : st) {
          ops::SdpaResult r =
              ops::scaled_dot_product_attention(q, k, v, Tensor(), 0, causal, NAN, gen);
          if (backward) {
            benchmark::DoNotOptimize(ops::scaled_dot_product_attention_backward(
                g, q, k, v, Tensor(), r.out, r.lse, 0, causal, NAN, 0, 0));
          }
          benchmark::DoNotOptimize(r);
        }
        const double flops = (backward ? 10.0 : 4.0) * B * H * L * L * E * (causal ? 0.5 : 1.0);
        st.counters["GFLOPS"] = benchmark::Counter(
            flops * 1e-9 * static_cast<double>(st.iterations()), benchmark::Counter::kIsRate);
      })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

const bool registered = [] {
  for (bool backward : {false, true}) {
    for (bool causal : {false, true}) attention_case(causal, backward);
  }
  return true;
}();

}  // namespace
}  // namespace ember
