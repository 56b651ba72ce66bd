// CUDA streams and events through the C ABI: work on a side stream, ordering by events, timing,
// and the allocator holding back memory recorded on a busy stream. Skips without the plugin.
#include "core/tensor.h"
#include "cuda_test_util.h"
#include "ember/stream.h"

namespace ember {
namespace {

using namespace cuda_test;

const ember_device kDev{EMBER_DEVICE_CUDA, 0};

TEST(CudaStream, SideStreamWorkIsOrderedByEventsAndTimed) {
  REQUIRE_CUDA();
  ember_stream side = nullptr, current = nullptr;
  ember_event start = nullptr, end = nullptr;
  ASSERT_EQ(ember_stream_create(kDev, 0, &side), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_event_create(kDev, 1, &start), EMBER_OK);
  ASSERT_EQ(ember_event_create(kDev, 1, &end), EMBER_OK);
  const Tensor x = random_cpu({512, 512}, DType::Float32);
  const Tensor xg = on_cuda(x);  // copied on the default stream, which has finished by now
  ASSERT_EQ(ember_stream_set_current(kDev, side), EMBER_OK);
  ASSERT_EQ(ember_stream_get_current(kDev, &current), EMBER_OK);
  EXPECT_EQ(current, side);
  ASSERT_EQ(ember_event_record(kDev, start, side), EMBER_OK);
  const Tensor y = ops::matmul(xg, xg);
  ASSERT_EQ(ember_event_record(kDev, end, side), EMBER_OK);
  ASSERT_EQ(ember_stream_set_current(kDev, nullptr), EMBER_OK);
  // The default stream waits for the side stream's product before reading it.
  ASSERT_EQ(ember_stream_wait_event(kDev, nullptr, end), EMBER_OK);
  expect_same(ops::matmul(x, x), y, "matmul on a side stream", 1e-4);
  int32_t done = 0;
  ASSERT_EQ(ember_event_query(kDev, end, &done), EMBER_OK);
  EXPECT_EQ(done, 1);
  ASSERT_EQ(ember_stream_query(kDev, side, &done), EMBER_OK);
  EXPECT_EQ(done, 1);
  float ms = -1;
  ASSERT_EQ(ember_event_elapsed_ms(kDev, start, end, &ms), EMBER_OK) << ember_last_error();
  EXPECT_GT(ms, 0.0f);
  EXPECT_EQ(ember_event_destroy(kDev, start), EMBER_OK);
  EXPECT_EQ(ember_event_destroy(kDev, end), EMBER_OK);
  EXPECT_EQ(ember_stream_destroy(kDev, side), EMBER_OK);
}

TEST(CudaStream, EveryDtypesOpsRunOnASideStream) {
  REQUIRE_CUDA();
  ember_stream side = nullptr;
  ASSERT_EQ(ember_stream_create(kDev, -1, &side), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_stream_set_current(kDev, side), EMBER_OK);
  for (DType t : kFloats) {
    const Tensor a = random_cpu({33, 17}, t), b = random_cpu({17}, t);
    // Copies to and from the device go through the current stream, so no extra waits are needed.
    expect_same(ops::binary(ops::BinaryOp::Mul, a, b),
                ops::binary(ops::BinaryOp::Mul, on_cuda(a), on_cuda(b)), "mul on a side stream");
    expect_same(ops::log_softmax(a, 1), ops::log_softmax(on_cuda(a), 1), "log_softmax");
  }
  ASSERT_EQ(ember_stream_set_current(kDev, nullptr), EMBER_OK);
  EXPECT_EQ(ember_stream_destroy(kDev, side), EMBER_OK);
}

TEST(CudaStream, MisuseIsAnError) {
  REQUIRE_CUDA();
  EXPECT_EQ(ember_event_record(kDev, nullptr, nullptr), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(ember_stream_create(ember_device{EMBER_DEVICE_CUDA, 99}, 0, nullptr),
            EMBER_ERROR_DEVICE);
  const std::string msg = ember_last_error();
  EXPECT_NE(msg.find("cuda:99"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ember
