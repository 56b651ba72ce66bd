// The GPU's time per call of the seed CNN's convolutions on each path of the CUDA plugin, which is
// what a replayed CUDA graph costs (the host's cost is paid once, at the recording): 20 calls are
// recorded into a graph and each iteration replays it to completion.
//   cuda_conv_gpu/<call>/path:cudnn    cuDNN (a warm-up call outside the recording first)
//   cuda_conv_gpu/<call>/path:im2col   the batched vol2col + cuBLAS path, which eager calls of
//                                      these sizes take (cudnn.enabled off)
//   per_call: seconds of GPU time per call
// The paths differ only in GPU time here; cuda_step_call/conv* gives the eager host cost.
#include <benchmark/benchmark.h>

#include <functional>

#include "bench_cuda_util.h"
#include "core/generator.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "ember/ember.h"
#include "ember/graph.h"
#include "ember/stream.h"

namespace ember {
namespace {

using bench::cuda_ready;
using bench::kCuda;

constexpr int kCallsPerGraph = 20;
const ember_device kDev{EMBER_DEVICE_CUDA, 0};

Tensor randn_cuda(const DimVector& sizes) {
  static Generator g(11);
  return ops::to_device(ops::randn(sizes, DType::Float32, Device{}, g), kCuda);
}

struct Layer {
  DimVector x, w;
  bool grad_x;  // the step's backward needs the input gradient (not for the first layer)
};
const Layer kConv1{{64, 1, 28, 28}, {10, 1, 5, 5}, false};
const Layer kConv2{{64, 10, 12, 12}, {20, 10, 5, 5}, true};

// Records kCallsPerGraph calls of call() on a side stream with cuDNN on or off, then times
// replays. A failure to record or replay skips the case with the reason.
void time_replays(benchmark::State& st, bool cudnn, const std::function<void()>& call) {
  const int64_t was = backend_option("cudnn.enabled");
  set_backend_option("cudnn.enabled", cudnn ? 1 : 0);
  ember_stream side = nullptr;
  ember_cuda_graph graph = nullptr;
  std::string failure;
  if (ember_stream_create(kDev, 0, &side) != EMBER_OK ||
      ember_stream_set_current(kDev, side) != EMBER_OK) {
    failure = ember_last_error();
  } else {
    call();  // outside the recording: what cuDNN does on first use happens here
    synchronize(kCuda);
    if (ember_cuda_graph_create(kDev, &graph) != EMBER_OK ||
        ember_cuda_graph_capture_begin(graph) != EMBER_OK) {
      failure = ember_last_error();
    } else {
      try {
        for (int i = 0; i < kCallsPerGraph; ++i) call();
      } catch (const Error& e) {
        failure = e.what();
      }
      if (ember_cuda_graph_capture_end(graph) != EMBER_OK && failure.empty())
        failure = ember_last_error();
    }
  }
  if (failure.empty()) {
    bench::timed(st, [&] {
      if (ember_cuda_graph_replay(graph) != EMBER_OK) failure = ember_last_error();
    });
    st.counters["per_call"] =
        benchmark::Counter(kCallsPerGraph, benchmark::Counter::kIsIterationInvariantRate |
                                               benchmark::Counter::kInvert);
  }
  if (!failure.empty()) st.SkipWithError(failure.c_str());
  ember_cuda_graph_destroy(graph);
  ember_stream_set_current(kDev, nullptr);
  if (side != nullptr) {
    ember_stream_synchronize(kDev, side);
    ember_stream_destroy(kDev, side);
  }
  set_backend_option("cudnn.enabled", was);
}

void BM_ConvForward(benchmark::State& st, const Layer& l, bool cudnn) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda(l.x), w = randn_cuda(l.w), b = randn_cuda({l.w[0]});
  time_replays(st, cudnn, [&] { benchmark::DoNotOptimize(ops::conv2d(x, w, b, {})); });
}

void BM_ConvBackward(benchmark::State& st, const Layer& l, bool cudnn) {
  if (!cuda_ready(st)) return;
  const Tensor x = randn_cuda(l.x), w = randn_cuda(l.w);
  const Tensor gy = randn_cuda(ops::conv2d(x, w, Tensor(), {})->sizes());
  time_replays(st, cudnn, [&] {
    benchmark::DoNotOptimize(ops::conv2d_backward(gy, x, w, {}, l.grad_x, true, true));
  });
}

#define EMBER_CONV_GPU(fn, layer, call)               \
  BENCHMARK_CAPTURE(fn, layer##_cudnn, layer, true)   \
      ->Name("cuda_conv_gpu/" call "/path:cudnn")     \
      ->UseManualTime()                               \
      ->Unit(benchmark::kMicrosecond);                \
  BENCHMARK_CAPTURE(fn, layer##_im2col, layer, false) \
      ->Name("cuda_conv_gpu/" call "/path:im2col")    \
      ->UseManualTime()                               \
      ->Unit(benchmark::kMicrosecond)

EMBER_CONV_GPU(BM_ConvForward, kConv1, "conv2d_1x28x28_to_10");
EMBER_CONV_GPU(BM_ConvForward, kConv2, "conv2d_10x12x12_to_20");
EMBER_CONV_GPU(BM_ConvBackward, kConv1, "conv2d_backward_1x28x28_to_10_w_b");
EMBER_CONV_GPU(BM_ConvBackward, kConv2, "conv2d_backward_10x12x12_to_20_x_w_b");

#undef EMBER_CONV_GPU

}  // namespace
}  // namespace ember
