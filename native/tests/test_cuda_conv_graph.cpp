// Convolutions on each of the CUDA plugin's paths against the CPU backend: a small convolution's
// first eager call (cuDNN, where the plugin has it), its later eager calls (the batched vol2col
// path), and a recorded CUDA graph (cuDNN for what ran on it before, vol2col otherwise), replayed
// on new inputs; a recording on a thread that never made a cuDNN handle; a recording with cuDNN
// off. Skips without the plugin (see cuda_test_util.h).
#include <array>
#include <string>
#include <thread>

#include "core/nn_conv_pool.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

struct Case {
  DimVector x, w;
  ops::Conv2dParams p;
  bool bias, grad_x;
  const char* name;
};

const Case kCases[] = {
    {{64, 1, 28, 28}, {10, 1, 5, 5}, {}, true, false, "seed CNN layer 1"},
    {{64, 10, 12, 12}, {20, 10, 5, 5}, {}, true, true, "seed CNN layer 2"},
    {{3, 6, 11, 10},
     {4, 3, 3, 2},
     conv2d_params({2, 1}, {1, 2}, {2, 1}, 2),
     false,
     true,
     "strided, dilated, grouped, no bias"},
    {{2, 8, 9, 9}, {8, 1, 3, 3}, conv2d_params({1, 1}, {1, 1}, {1, 1}, 8), true, true, "depthwise"},
    // Columns of 18.9 MB an image: the vol2col path takes three images a pass, then one alone.
    {{4, 8, 256, 256},
     {4, 8, 3, 3},
     conv2d_params({1, 1}, {1, 1}, {1, 1}, 1),
     true,
     true,
     "4 large images"},
};

double tol_for(DType t) {
  return t == DType::Float32   ? 1e-4
         : t == DType::Float64 ? 1e-10
         : t == DType::Float16 ? 1e-2
                               : 5e-2;
}

// The CPU's forward and backward of one convolution, and its inputs on the GPU.
struct Reference {
  Tensor x, w, b, gy, y;
  ops::Conv2dGrads g;
  Tensor xg, wg, bg, gyg;

  Reference(const Case& c, DType t) {
    x = random_cpu(c.x, t);
    w = random_cpu(c.w, t);
    if (c.bias) b = random_cpu({c.w[0]}, t);
    y = ops::conv2d(x, w, b, c.p);
    gy = random_cpu(y->sizes(), t);
    g = ops::conv2d_backward(gy, x, w, c.p, c.grad_x, true, c.bias);
    xg = on_cuda(x);
    wg = on_cuda(w);
    if (c.bias) bg = on_cuda(b);
    gyg = on_cuda(gy);
  }
};

// GPU results of one forward and backward of c.
struct Results {
  Tensor y;
  ops::Conv2dGrads g;
};

Results run(const Case& c, const Reference& r) {
  return {ops::conv2d(r.xg, r.wg, r.bg, c.p),
          ops::conv2d_backward(r.gyg, r.xg, r.wg, c.p, c.grad_x, true, c.bias)};
}

void expect_matches(const Case& c, const Reference& r, const Results& got, DType t,
                    const std::string& where) {
  const double tol = tol_for(t);
  const std::string what = std::string(c.name) + " " + dtype_name(t) + " " + where;
  expect_same(r.y, got.y, "conv2d " + what, tol);
  if (c.grad_x) expect_same(r.g.grad_x, got.g.grad_x, "grad_x " + what, tol);
  expect_same_sums(r.g.grad_w, got.g.grad_w, "grad_w " + what, tol * 10);
  if (c.bias) expect_same_sums(r.g.grad_b, got.g.grad_b, "grad_b " + what, tol * 10);
}

// Records forward + backward of c, then replays it twice on new inputs copied into the recording's.
void expect_replays_match(const Case& c, Reference& r, DType t, const std::string& where) {
  SideStream side;
  ember_cuda_graph graph = nullptr;
  std::string failure;
  Results got;
  ASSERT_NO_FATAL_FAILURE(record(&graph, &failure, [&] { got = run(c, r); }));
  ASSERT_TRUE(failure.empty()) << c.name << " " << where << " did not record: " << failure;
  for (int round = 0; round < 2; ++round) {
    const Reference fresh(c, t);
    ops::copy_(r.xg, fresh.x);
    ops::copy_(r.wg, fresh.w);
    if (c.bias) ops::copy_(r.bg, fresh.b);
    ops::copy_(r.gyg, fresh.gy);
    ASSERT_EQ(ember_cuda_graph_replay(graph), EMBER_OK) << ember_last_error();
    expect_matches(c, fresh, got, t, where + " replay " + std::to_string(round));
  }
  EXPECT_EQ(ember_cuda_graph_destroy(graph), EMBER_OK) << ember_last_error();
  // r's inputs on the GPU hold its own values again, for the checks after the recording.
  ops::copy_(r.xg, r.x);
  ops::copy_(r.wg, r.w);
  if (c.bias) ops::copy_(r.bg, r.b);
  ops::copy_(r.gyg, r.gy);
}

TEST(CudaConvGraph, EveryPathMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  for (const DType t : kFloats) {
    for (const Case& c : kCases) {
      Reference r(c, t);
      // First call of the shape (cuDNN where the plugin has it), then the eager path after it.
      expect_matches(c, r, run(c, r), t, "first call");
      expect_matches(c, r, run(c, r), t, "second call");
      ASSERT_NO_FATAL_FAILURE(expect_replays_match(c, r, t, "recorded"));
      // Eager again after the recording: the eager path is unchanged by it.
      expect_matches(c, r, run(c, r), t, "after the recording");
    }
  }
}

TEST(CudaConvGraph, AShapeFirstSeenWhileRecordingRecords) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  // A shape no other test uses, with benchmark on: nothing of it may be searched while recording.
  const OptionScope bench("cudnn.benchmark", 1);
  const Case c{{5, 3, 13, 13}, {7, 3, 3, 3}, conv2d_params({1, 1}, {1, 1}, {1, 1}, 1),
               true,           true,         "first seen in a recording"};
  Reference r(c, DType::Float32);
  ASSERT_NO_FATAL_FAILURE(expect_replays_match(c, r, DType::Float32, "cold"));
  expect_matches(c, r, run(c, r), DType::Float32, "eager after");
}

TEST(CudaConvGraph, ARecordingOnAThreadWithoutACudnnHandleRecords) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  // 6e8 FLOPs: cuDNN's eagerly, warmed on this thread; recorded on a thread that never made a
  // cuDNN handle (capture_begin makes it: cudnnCreate cannot run while recording).
  const Case c{{8, 64, 32, 32},
               {64, 64, 3, 3},
               conv2d_params({1, 1}, {1, 1}, {1, 1}, 1),
               true,
               true,
               "large, recorded on a new thread"};
  Reference r(c, DType::Float32);
  expect_matches(c, r, run(c, r), DType::Float32, "eager");
  std::thread other([&] { expect_replays_match(c, r, DType::Float32, "other thread"); });
  other.join();
}

TEST(CudaConvGraph, ARecordingWithCudnnOffMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope off("cudnn.enabled", 0);
  const Case& c = kCases[1];
  Reference r(c, DType::Float32);
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  expect_matches(c, r, run(c, r), DType::Float32, "cudnn off");
  ASSERT_NO_FATAL_FAILURE(expect_replays_match(c, r, DType::Float32, "cudnn off recorded"));
}

}  // namespace
}  // namespace ember
