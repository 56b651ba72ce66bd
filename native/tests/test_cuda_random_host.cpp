// randperm and multinomial on the GPU: drawn on the host and moved, so a GPU result must equal the
// CPU's for the same generator state, and bad weights on the GPU must fail as on the CPU (they are
// read on the host; reading device memory there would crash the process).
#include "core/ops_math.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

TEST(CudaRandomOnHost, RandpermEqualsTheCpusForTheSameSeed) {
  REQUIRE_CUDA();
  for (DType t : {DType::Int64, DType::Int32, DType::Float32}) {
    Generator a(7), b(7);
    const Tensor cpu = ops::randperm(1000, t, kCpu, a);
    const Tensor gpu = ops::randperm(1000, t, kCuda, b);
    ASSERT_EQ(gpu->device().type, DeviceType::CUDA);
    ASSERT_EQ(gpu->dtype(), t);
    EXPECT_EQ(values(gpu), values(cpu)) << dtype_name(t);
  }
  Generator g(1);
  EXPECT_EQ(ops::randperm(0, DType::Int64, kCuda, g)->numel(), 0);
}

TEST(CudaRandomOnHost, MultinomialEqualsTheCpusForTheSameSeed) {
  REQUIRE_CUDA();
  Generator w(3);
  const Tensor probs = ops::rand({4, 30}, DType::Float32, kCpu, w);
  const Tensor probs_gpu = ops::to_device(probs, kCuda);
  for (bool replacement : {true, false}) {
    Generator a(11), b(11);
    const Tensor cpu = ops::multinomial(probs, 12, replacement, a);
    const Tensor gpu = ops::multinomial(probs_gpu, 12, replacement, b);
    ASSERT_EQ(gpu->device().type, DeviceType::CUDA);
    EXPECT_EQ(values(gpu), values(cpu)) << "replacement " << replacement;
  }
}

TEST(CudaRandomOnHost, MultinomialWithBadWeightsOnTheGpuIsAClearError) {
  REQUIRE_CUDA();
  const Tensor bad = ops::to_device(ops::full({5}, Scalar(-1.0), DType::Float32, kCpu), kCuda);
  Generator g(0);
  try {
    ops::multinomial(bad, 2, true, g);
    FAIL() << "negative weights were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multinomial"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ember
