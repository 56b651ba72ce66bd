// F.interpolate on a feature map of a small CNN, (8, 16, 64, 64) float32 to twice its size:
// bilinear and nearest, forward alone and forward + backward.
// benchmarks/pytorch/bench_resample.py times the same cases in PyTorch.
#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "core/nn_interpolate.h"
#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

void upsample2x(benchmark::State& state, ops::InterpolateMode mode, bool with_backward) {
  set_num_threads(bench::threads());
  static Ref<Generator> gen = Ref<Generator>::make(0);
  const Tensor x = ops::randn({8, 16, 64, 64}, DType::Float32, Device{}, *gen);
  const int64_t out_size[] = {128, 128}, in_size[] = {8, 16, 64, 64};
  for (auto _ : state) {
    Tensor y = ops::interpolate(x, mode, out_size, {}, false);
    if (with_backward)
      benchmark::DoNotOptimize(ops::interpolate_backward(y, in_size, mode, {}, false));
    benchmark::DoNotOptimize(y);
  }
}

#define UPSAMPLE(name, mode, bwd)                   \
  BENCHMARK_CAPTURE(upsample2x, name, mode, bwd)    \
      ->Name("interpolate_" #name "_2x/impl:ember") \
      ->Unit(benchmark::kMicrosecond)               \
      ->UseRealTime();
UPSAMPLE(bilinear_fwd, ops::InterpolateMode::Linear, false)
UPSAMPLE(bilinear_fwd_bwd, ops::InterpolateMode::Linear, true)
UPSAMPLE(nearest_fwd, ops::InterpolateMode::Nearest, false)
UPSAMPLE(nearest_fwd_bwd, ops::InterpolateMode::Nearest, true)

}  // namespace
}  // namespace ember
