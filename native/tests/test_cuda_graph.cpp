// CUDA graphs through the C ABI: a recorded region replayed on new inputs equals the CPU, replays
// allocate nothing and the pool goes back with the graph, and a synchronising call while recording
// fails without breaking the recording. Skips without the plugin.
#include "core/tensor.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"
#include "ember/graph.h"
#include "ember/stream.h"

namespace ember {
namespace {

using namespace cuda_test;

Tensor region(const Tensor& x, const Tensor& w) {
  const Tensor h = ops::relu(ops::matmul(x, w));
  return ops::log_softmax(ops::binary_scalar(ops::BinaryOp::Add, h, Scalar::from_float(1)), 1);
}

TEST(CudaGraph, ReplaysFollowNewInputsAndAllocateNothing) {
  REQUIRE_CUDA();
  SideStream side;
  const Tensor x = on_cuda(random_cpu({64, 32}, DType::Float32));
  const Tensor w = on_cuda(random_cpu({32, 16}, DType::Float32));
  region(x, w);  // warm-up: the cuBLAS handle and the kernels exist before the recording
  ember_cuda_graph g = nullptr;
  ASSERT_EQ(ember_cuda_graph_create(kDev, &g), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_cuda_graph_capture_begin(g), EMBER_OK) << ember_last_error();
  const Tensor y = region(x, w);
  ASSERT_EQ(ember_cuda_graph_capture_end(g), EMBER_OK) << ember_last_error();
  const int64_t allocated = memory_stats(kCuda).allocated;
  for (int round = 0; round < 3; ++round) {
    const Tensor hx = random_cpu({64, 32}, DType::Float32),
                 hw = random_cpu({32, 16}, DType::Float32);
    ops::copy_(x, hx);
    ops::copy_(w, hw);
    ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
    expect_same(region(hx, hw), y, "replay round " + std::to_string(round));
  }
  EXPECT_EQ(memory_stats(kCuda).allocated, allocated);
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK) << ember_last_error();
}

TEST(CudaGraph, WaitingWhileRecordingFailsAndTheRecordingSurvives) {
  REQUIRE_CUDA();
  SideStream side;
  const Tensor x = on_cuda(ops::full({256}, Scalar::from_float(1), DType::Float32, kCpu));
  ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(3));  // warm-up
  ember_cuda_graph g = nullptr;
  ASSERT_EQ(ember_cuda_graph_create(kDev, &g), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_cuda_graph_capture_begin(g), EMBER_OK) << ember_last_error();
  const Tensor y = ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(3));
  EXPECT_EQ(ember_device_synchronize(kDev), EMBER_ERROR_BACKEND);
  std::string msg = ember_last_error();
  EXPECT_NE(msg.find("CUDA graph"), std::string::npos) << msg;
  try {
    values(y);
    ADD_FAILURE() << "reading a value back while recording succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_BACKEND);
    EXPECT_NE(std::string(e.what()).find("CUDA graph"), std::string::npos) << e.what();
  }
  ASSERT_EQ(ember_cuda_graph_capture_end(g), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
  for (double v : values(y)) ASSERT_EQ(v, 3.0);
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK);
}

TEST(CudaGraph, ThePoolGoesBackWithTheGraph) {
  REQUIRE_CUDA();
  ASSERT_EQ(ember_device_empty_cache(kDev), EMBER_OK);
  const ember_memory_stats before = memory_stats(kCuda);
  {
    SideStream side;
    const Tensor x = on_cuda(ops::full({1 << 20}, Scalar::from_float(1), DType::Float32, kCpu));
    ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(2));  // warm-up
    ember_cuda_graph g = nullptr;
    ASSERT_EQ(ember_cuda_graph_create(kDev, &g), EMBER_OK);
    const int64_t reserved = memory_stats(kCuda).reserved;
    ASSERT_EQ(ember_cuda_graph_capture_begin(g), EMBER_OK) << ember_last_error();
    {
      const Tensor t = ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(2));
      ops::binary_scalar(ops::BinaryOp::Add, t, Scalar::from_float(1));
    }  // both freed while recording: back to the graph's pool, not to the cache
    ASSERT_EQ(ember_cuda_graph_capture_end(g), EMBER_OK) << ember_last_error();
    EXPECT_EQ(memory_stats(kCuda).reserved, reserved + (8 << 20));
    // Eager work takes the cached warm-up block, then new memory: never the pool's free blocks.
    const Tensor z = ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(2));
    const Tensor z2 = ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(2));
    EXPECT_EQ(memory_stats(kCuda).reserved, reserved + (12 << 20));
    ASSERT_EQ(ember_cuda_graph_reset(g), EMBER_OK);
    EXPECT_EQ(memory_stats(kCuda).reserved, reserved + (4 << 20));
    EXPECT_EQ(ember_cuda_graph_replay(g), EMBER_ERROR_INVALID_ARGUMENT);
    EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK);
  }
  ASSERT_EQ(ember_device_empty_cache(kDev), EMBER_OK);
  EXPECT_EQ(memory_stats(kCuda).reserved, before.reserved);
  EXPECT_EQ(memory_stats(kCuda).allocated, before.allocated);
}

TEST(CudaGraph, TheDefaultStreamCannotBeRecorded) {
  REQUIRE_CUDA();
  ember_cuda_graph g = nullptr;
  ASSERT_EQ(ember_cuda_graph_create(kDev, &g), EMBER_OK);
  EXPECT_EQ(ember_cuda_graph_capture_begin(g), EMBER_ERROR_INVALID_ARGUMENT);
  const std::string msg = ember_last_error();
  EXPECT_NE(msg.find("default stream"), std::string::npos) << msg;
  EXPECT_EQ(ember_cuda_graph_capture_end(g), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK);
}

}  // namespace
}  // namespace ember
