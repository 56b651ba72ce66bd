// The CUDA plugin's convolutions over 3 spatial dims (conv3d and conv_transpose3d, through cuDNN
// and through the vol2col fallback), the 1-d and transposed 2-d ones that share the 2-d kernels,
// and unfold / fold, against the CPU backend: forward, input, weight and bias gradients in every
// floating dtype. Skips without the plugin (see cuda_test_util.h).
#include <array>
#include <string>

#include "core/nn_conv_pool.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

ops::ConvParams conv(int64_t dims, std::array<int64_t, 3> stride, std::array<int64_t, 3> pad,
                     std::array<int64_t, 3> dil, int64_t groups, bool transposed = false,
                     std::array<int64_t, 3> out_pad = {0, 0, 0}) {
  ops::ConvParams p;
  p.dims = dims;
  p.stride = stride;
  p.padding = pad;
  p.dilation = dil;
  p.groups = groups;
  p.transposed = transposed;
  p.output_padding = out_pad;
  return p;
}

struct Case {
  DimVector x, w;
  ops::ConvParams p;
  bool bias;
};

const Case kCases[] = {
    {{2, 3, 5, 6, 7}, {4, 3, 3, 3, 3}, conv(3, {1, 1, 1}, {0, 0, 0}, {1, 1, 1}, 1), true},
    // strided, padded, dilated, grouped
    {{2, 4, 7, 6, 8}, {6, 2, 3, 2, 3}, conv(3, {2, 1, 2}, {1, 0, 1}, {1, 2, 1}, 2), true},
    {{4, 8, 9, 10, 11}, {16, 8, 3, 3, 3}, conv(3, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1), true},
    // depthwise
    {{1, 4, 5, 5, 5}, {4, 1, 3, 3, 3}, conv(3, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 4), false},
    // conv_transpose3d: weight (C_in, C_out / groups, k...)
    {{2, 4, 3, 4, 5},
     {4, 3, 3, 3, 2},
     conv(3, {2, 2, 1}, {1, 0, 0}, {1, 1, 1}, 1, true, {1, 1, 0}),
     true},
    {{1, 4, 3, 3, 3},
     {4, 2, 2, 3, 3},
     conv(3, {1, 2, 2}, {0, 1, 0}, {1, 1, 2}, 2, true, {0, 1, 1}),
     true},
    // the 2-d kernels through convolution: conv1d and conv_transpose2d
    {{2, 3, 11}, {5, 3, 4}, conv(1, {2, 0, 0}, {1, 0, 0}, {2, 0, 0}, 1), true},
    {{2, 3, 5, 6},
     {3, 2, 3, 3},
     conv(2, {2, 2, 1}, {1, 0, 0}, {1, 1, 1}, 1, true, {1, 1, 0}),
     true},
};

std::string what(const char* part, const Case& c, DType t) {
  return std::string(part) + " " + dtype_name(t) + " " + std::to_string(c.p.dims) + "-d" +
         (c.p.transposed ? " transposed" : "") + " x " + std::to_string(c.x[1]) + " channels";
}

void check(DType t, double tol) {
  for (const Case& c : kCases) {
    const Tensor x = random_cpu(c.x, t), w = random_cpu(c.w, t);
    const Tensor b =
        c.bias ? random_cpu({c.p.transposed ? c.w[1] * c.p.groups : c.w[0]}, t) : Tensor();
    const Tensor y = ops::convolution(x, w, b, c.p);
    const Tensor yg = ops::convolution(on_cuda(x), on_cuda(w), c.bias ? on_cuda(b) : Tensor(), c.p);
    expect_same_sums(y, yg, what("convolution", c, t), tol);
    const Tensor gy = random_cpu(y->sizes(), t);
    const auto g = ops::convolution_backward(gy, x, w, c.p, true, true, c.bias);
    const auto gg =
        ops::convolution_backward(on_cuda(gy), on_cuda(x), on_cuda(w), c.p, true, true, c.bias);
    expect_same_sums(g.grad_x, gg.grad_x, what("grad_x", c, t), tol);
    // Weight and bias gradients sum over every image and position: a bound for such sums.
    expect_same_sums(g.grad_w, gg.grad_w, what("grad_w", c, t), tol * 10);
    if (c.bias) expect_same_sums(g.grad_b, gg.grad_b, what("grad_b", c, t), tol * 10);
    // Only the input gradient (the path a transposed convolution's forward takes).
    const auto gx_only =
        ops::convolution_backward(on_cuda(gy), on_cuda(x), on_cuda(w), c.p, true, false, false);
    expect_same_sums(g.grad_x, gx_only.grad_x, what("grad_x alone", c, t), tol);
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(CudaConv3d, ThroughCudnnMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope exact("cudnn.allow_tf32", 0);
  check(DType::Float32, 1e-4);
  check(DType::Float64, 1e-10);
  check(DType::Float16, 1e-2);
  check(DType::BFloat16, 5e-2);
  {
    const OptionScope search("cudnn.benchmark", 1);
    check(DType::Float32, 1e-4);
  }
  {
    const OptionScope det("cudnn.deterministic", 1);
    check(DType::Float32, 1e-4);
  }
}

TEST(CudaConv3d, WithoutCudnnMatchesTheCpu) {
  REQUIRE_CUDA();
  const OptionScope off("cudnn.enabled", 0);
  const OptionScope exact("cuda.matmul.allow_tf32", 0);
  check(DType::Float32, 1e-4);
  check(DType::Float64, 1e-10);
  check(DType::Float16, 1e-2);
  check(DType::BFloat16, 5e-2);
}

TEST(CudaConv3d, UnbatchedInput) {
  REQUIRE_CUDA();
  const ops::ConvParams p = conv(3, {1, 2, 1}, {1, 1, 0}, {1, 1, 1}, 1);
  const Tensor x = random_cpu({2, 4, 5, 6}, DType::Float64),
               w = random_cpu({3, 2, 2, 3, 2}, DType::Float64);
  expect_same(ops::convolution(x, w, Tensor(), p),
              ops::convolution(on_cuda(x), on_cuda(w), Tensor(), p), "conv3d unbatched");
}

ops::UnfoldParams unfold_params(std::array<int64_t, 2> k, std::array<int64_t, 2> dil,
                                std::array<int64_t, 2> pad, std::array<int64_t, 2> stride) {
  ops::UnfoldParams p;
  p.kernel = k;
  p.dilation = dil;
  p.padding = pad;
  p.stride = stride;
  return p;
}

TEST(CudaUnfold, UnfoldAndFoldMatchTheCpu) {
  REQUIRE_CUDA();
  const ops::UnfoldParams params[] = {
      unfold_params({2, 2}, {1, 1}, {0, 0}, {2, 2}),
      unfold_params({3, 2}, {1, 2}, {1, 1}, {2, 1}),
      unfold_params({3, 3}, {2, 1}, {2, 0}, {1, 3}),
  };
  for (DType t : kFloats) {
    for (const ops::UnfoldParams& p : params) {
      const Tensor x = random_cpu({2, 3, 9, 8}, t);
      const Tensor cols = ops::unfold(x, p);
      expect_same(cols, ops::unfold(on_cuda(x), p), std::string("unfold ") + dtype_name(t), 0);
      // fold sums the overlapping blocks: the adjoint of unfold, unfold's backward.
      const Tensor gc = random_cpu(cols->sizes(), t);
      expect_same(ops::fold(gc, {9, 8}, p), ops::fold(on_cuda(gc), {9, 8}, p),
                  std::string("fold ") + dtype_name(t));
      // Unbatched columns.
      const Tensor one = ops::select(gc, 0, 1);
      expect_same(ops::fold(one, {9, 8}, p), ops::fold(on_cuda(one), {9, 8}, p),
                  std::string("fold unbatched ") + dtype_name(t));
    }
  }
}

}  // namespace
}  // namespace ember
