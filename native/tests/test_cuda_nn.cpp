// The CUDA plugin's random fills, dropout, convolutions (cuDNN and the im2col fallback) and
// max pooling against the CPU backend. Skips without the plugin (see cuda_test_util.h).
#include "core/generator.h"
#include "core/ops_math.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

TEST(CudaRandom, FillsEqualTheCpusForOneSeed) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{1001}}) {
      Generator a(42), b(42);
      // Uniforms come from the same bits on both devices: exactly equal.
      expect_same(ops::rand({n}, t, kCpu, a), ops::rand({n}, t, kCuda, b), "rand", 0);
      expect_same(ops::randn({n}, t, kCpu, a), ops::randn({n}, t, kCuda, b), "randn");
      expect_same(ops::randint(-5, 9, {n}, t, kCpu, a), ops::randint(-5, 9, {n}, t, kCuda, b),
                  "randint", 0);
      Tensor uc = empty({n}, t, kCpu), ug = empty({n}, t, kCuda);
      ops::uniform_(uc, -2, 3, a);
      ops::uniform_(ug, -2, 3, b);
      expect_same(uc, ug, "uniform_");
      ops::normal_(uc, 1, 2, a);
      ops::normal_(ug, 1, 2, b);
      expect_same(uc, ug, "normal_");
      ops::exponential_(uc, 1.5, a);
      ops::exponential_(ug, 1.5, b);
      expect_same(uc, ug, "exponential_");
      ops::bernoulli_(uc, 0.3, a);
      ops::bernoulli_(ug, 0.3, b);
      expect_same(uc, ug, "bernoulli_", 0);
      EXPECT_EQ(a.state().offset, b.state().offset) << "both generators advance alike";
    }
  }
  for (DType t : {DType::Int64, DType::Int32, DType::UInt8}) {
    Generator a(7), b(7);
    expect_same(ops::randint(0, 200, {513}, t, kCpu, a), ops::randint(0, 200, {513}, t, kCuda, b),
                "randint", 0);
  }
}

TEST(CudaRandom, DropoutMaskEqualsTheCpus) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    const Tensor x = random_cpu({3, 67}, t);
    Generator a(5), b(5);
    const auto [yc, mc] = ops::dropout(x, 0.4, true, a);
    const auto [yg, mg] = ops::dropout(on_cuda(x), 0.4, true, b);
    expect_same(mc, mg, "dropout mask", 0);
    expect_same(yc, yg, "dropout output");
  }
}

struct ConvCase {
  DimVector x, w;
  ops::Conv2dParams p;
  bool bias;
};

const ConvCase kConvCases[] = {
    {{2, 3, 9, 8}, {4, 3, 3, 3}, {}, true},
    {{2, 4, 11, 10}, {6, 2, 3, 2}, {{2, 1}, {1, 2}, {2, 1}, 2}, true},  // strided, dilated, groups
    {{1, 4, 7, 7}, {4, 1, 5, 5}, {{1, 1}, {2, 2}, {1, 1}, 4}, false},   // depthwise, padded
    {{64, 1, 28, 28}, {10, 1, 5, 5}, {}, true},                         // the seed CNN's layers
    {{64, 10, 12, 12}, {20, 10, 5, 5}, {}, true},
};

void check_conv(DType t, double tol) {
  for (const ConvCase& c : kConvCases) {
    const Tensor x = random_cpu(c.x, t), w = random_cpu(c.w, t);
    const Tensor b = c.bias ? random_cpu({c.w[0]}, t) : Tensor();
    const Tensor y = ops::conv2d(x, w, b, c.p);
    const Tensor yg = ops::conv2d(on_cuda(x), on_cuda(w), c.bias ? on_cuda(b) : Tensor(), c.p);
    expect_same(y, yg, "conv2d " + std::string(dtype_name(t)), tol);
    const Tensor gy = random_cpu(y->sizes(), t);
    const auto g = ops::conv2d_backward(gy, x, w, c.p, true, true, c.bias);
    const auto gg =
        ops::conv2d_backward(on_cuda(gy), on_cuda(x), on_cuda(w), c.p, true, true, c.bias);
    // Weight and bias gradients sum tens of thousands of products (64 images of 24 x 24 for the
    // seed CNN), in an order each algorithm picks (cuDNN's may use FFT or Winograd, off by 0.12 on
    // -37 where the terms are ~200): a bound for such sums, not for single products.
    expect_same(g.grad_x, gg.grad_x, "conv2d grad_x", tol);
    expect_same_sums(g.grad_w, gg.grad_w, "conv2d grad_w", tol * 10);
    if (c.bias) expect_same_sums(g.grad_b, gg.grad_b, "conv2d grad_b", tol * 10);
  }
}

TEST(CudaConv, Conv2dThroughCudnnMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  check_conv(DType::Float32, 1e-4);
  check_conv(DType::Float64, 1e-10);
  check_conv(DType::Float16, 1e-2);
  {
    const OptionScope search("cudnn.benchmark", 1);
    check_conv(DType::Float32, 1e-4);
  }
  {
    const OptionScope det("cudnn.deterministic", 1);
    check_conv(DType::Float32, 1e-4);
  }
}

TEST(CudaConv, Conv2dWithoutCudnnMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope off("cudnn.enabled", 0);
  check_conv(DType::Float32, 1e-4);
  check_conv(DType::Float64, 1e-10);
  check_conv(DType::BFloat16, 5e-2);
}

TEST(CudaConv, MaxPool2dMatchesTheCpu) {
  REQUIRE_CUDA();
  ops::Pool2dParams p2;
  p2.kernel = {2, 2};
  p2.stride = {2, 2};
  ops::Pool2dParams p3;
  p3.kernel = {3, 2};
  p3.stride = {2, 1};
  p3.padding = {1, 1};
  p3.dilation = {1, 2};
  p3.ceil_mode = true;
  for (DType t : kFloats) {
    for (const ops::Pool2dParams& p : {p2, p3}) {
      Tensor x = random_cpu({2, 3, 9, 8}, t);
      // A NaN must win its window on both devices.
      ops::fill_(ops::select(ops::select(ops::select(x, 0, 1), 0, 2), 0, 3),
                 Scalar::from_float(NAN));
      const auto [y, ind] = ops::max_pool2d(x, p);
      const auto [yg, indg] = ops::max_pool2d(on_cuda(x), p);
      expect_same(y, yg, "max_pool2d", 0);
      expect_same(ind, indg, "max_pool2d indices", 0);
      const Tensor gy = random_cpu(y->sizes(), t);
      expect_same(ops::max_pool2d_backward(gy, x, ind, p),
                  ops::max_pool2d_backward(on_cuda(gy), on_cuda(x), indg, p),
                  "max_pool2d_backward");
    }
  }
}

TEST(CudaOptions, Tf32ChangesFloat32MatmulOnlyWhenAllowed) {
  REQUIRE_CUDA();
  const Tensor a = random_cpu({256, 256}, DType::Float32),
               b = random_cpu({256, 256}, DType::Float32);
  const Tensor ref = ops::matmul(a, b);
  {
    const OptionScope off("cuda.matmul.allow_tf32", 0);
    expect_same(ref, ops::matmul(on_cuda(a), on_cuda(b)), "matmul without TF32", 2e-5);
  }
  const OptionScope on("cuda.matmul.allow_tf32", 1);
  const std::vector<double> r = values(ref), g = values(ops::matmul(on_cuda(a), on_cuda(b)));
  double worst = 0;
  for (size_t i = 0; i < r.size(); ++i) worst = std::max(worst, std::abs(r[i] - g[i]));
  // TF32 rounds inputs to 10 mantissa bits: visibly different, still close.
  EXPECT_GT(worst, 1e-4);
  EXPECT_LT(worst, 0.5);
}

}  // namespace
}  // namespace ember
