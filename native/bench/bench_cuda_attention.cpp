// The CUDA plugin's fused scaled_dot_product_attention in float16 (issue 7), beside
// benchmarks/pytorch/bench_cuda_attention.py: batch 8, 16 heads, L = S = 2048, head dims 64 and
// 128, causal or not. Runs where the plugin is given in EMBER_CUDA_PLUGIN (tests/cuda/bench.sh);
// elsewhere each case reports that it was skipped. Every iteration ends with a device
// synchronisation, so the host clock measures call to completion. cuda_sdpa/.../e:E/causal:C/bwd:B
// times the forward (output and logsumexp; FLOP = 4 B H L S E) or, with bwd:1, the forward and
// the backward (FLOP = 14 B H L S E, the backward being 2.5 forwards); causal cases count half of
// those, as FlashAttention's figures do (TFLOPS counter).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>

#include "bench_cuda_util.h"
#include "core/attention.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/ops.h"

namespace ember {
namespace {

using bench::cuda_ready;
using bench::kCuda;
using bench::timed;

constexpr int64_t kBatch = 8, kHeads = 16, kLen = 2048;

Tensor randn_cuda(const DimVector& sizes, Generator& gen) {
  return ops::randn(sizes, DType::Float16, kCuda, gen);
}

void BM_CudaSdpa(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const int64_t e = st.range(0);
  const bool causal = st.range(1) != 0, backward = st.range(2) != 0;
  Generator gen(0);
  const Tensor q = randn_cuda({kBatch, kHeads, kLen, e}, gen);
  const Tensor k = randn_cuda({kBatch, kHeads, kLen, e}, gen);
  const Tensor v = randn_cuda({kBatch, kHeads, kLen, e}, gen);
  const Tensor g = randn_cuda({kBatch, kHeads, kLen, e}, gen);
  timed(st, [&] {
    const ops::SdpaResult r =
        ops::scaled_dot_product_attention(q, k, v, Tensor(), 0, causal, NAN, gen);
    if (backward) {
      benchmark::DoNotOptimize(ops::scaled_dot_product_attention_backward(
          g, q, k, v, Tensor(), r.out, r.lse, 0, causal, NAN, r.seed, r.base));
    }
    benchmark::DoNotOptimize(r.out);
  });
  const double flop = (backward ? 14.0 : 4.0) * kBatch * kHeads * kLen * kLen * e;
  st.counters["TFLOPS"] = benchmark::Counter((causal ? 0.5 : 1.0) * flop * 1e-12,
                                             benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CudaSdpa)
    ->Name("cuda_sdpa/impl:ember")
    ->ArgsProduct({{64, 128}, {0, 1}, {0, 1}})
    ->ArgNames({"e", "causal", "bwd"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ember
