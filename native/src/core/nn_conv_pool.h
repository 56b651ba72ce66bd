// Convolution over 1 to 3 spatial dims (plain and transposed), the pooling family beside
// max_pool2d, and unfold/fold: the ops (used by the shims in src/capi/conv_pool.cpp), their
// parameters and their kernel tables. Kernels may assume what the meta functions in
// core/nn_conv.cpp and core/nn_pool.cpp guarantee: tensors contiguous on the kernel's device,
// outputs freshly allocated, shapes consistent.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "dispatch.h"
#include "nn_ops.h"

namespace ember {
namespace ops {

// aten::convolution's arguments for `dims` (1 to 3) spatial dims; entries past dims are unused.
// Transposed: w is (C_in, C_out / groups, k...) and the output size per dim is
// (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1.
struct ConvParams {
  int64_t dims = 2;
  std::array<int64_t, 3> stride{1, 1, 1};
  std::array<int64_t, 3> padding{0, 0, 0};
  std::array<int64_t, 3> dilation{1, 1, 1};
  std::array<int64_t, 3> output_padding{0, 0, 0};
  int64_t groups = 1;
  bool transposed = false;
};
// x (N, C, *) or unbatched (C, *); b (O) or null.
Tensor convolution(const Tensor& x, const Tensor& w, const Tensor& b, const ConvParams& p);
// The gradients of convolution's input, weight and bias (null where not asked for).
Conv2dGrads convolution_backward(const Tensor& grad_out, const Tensor& x, const Tensor& w,
                                 const ConvParams& p, bool need_x, bool need_w, bool need_b);

// avg_pool1d (dims 1: only the second entries count) and avg_pool2d.
struct AvgPoolParams {
  int64_t dims = 2;
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  bool ceil_mode = false;
  bool count_include_pad = true;
  int64_t divisor_override = 0;  // 0: none
};
Tensor avg_pool(const Tensor& x, const AvgPoolParams& p);
Tensor avg_pool_backward(const Tensor& grad_out, const Tensor& x, const AvgPoolParams& p);

// max_pool1d over (N, C, L) or (C, L): (values, int64 positions along L).
std::pair<Tensor, Tensor> max_pool1d(const Tensor& x, int64_t kernel, int64_t stride,
                                     int64_t padding, int64_t dilation, bool ceil_mode);
Tensor max_pool1d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                           int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                           bool ceil_mode);

// Adaptive pooling to output_size (1 or 2 entries: the pooled dims). Max pooling's indices are
// flat positions within each input plane (h * W + w; along L for 1-d), as PyTorch's.
Tensor adaptive_avg_pool(const Tensor& x, std::span<const int64_t> output_size);
Tensor adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& x, int64_t dims);
std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& x, std::span<const int64_t> output_size);
Tensor adaptive_max_pool_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                                  int64_t dims);

// F.unfold / F.fold (im2col / col2im) over 2 spatial dims.
struct UnfoldParams {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> dilation{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> stride{1, 1};
};
// x (N, C, H, W) or (C, H, W) -> (N, C * kH * kW, L).
Tensor unfold(const Tensor& x, const UnfoldParams& p);
// cols (N, C * kH * kW, L) or (C * kH * kW, L) -> (N, C, H, W) with (H, W) = output_size, summing
// overlapping taps.
Tensor fold(const Tensor& cols, std::array<int64_t, 2> output_size, const UnfoldParams& p);

}  // namespace ops

// 5-d NCDHW, one of float / double; p.dims == 3; b (O) may be null. Backward writes whichever of
// grad_x, grad_w, grad_b is not null; it reads x's data only for grad_w.
using Conv3dFn = void (*)(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b,
                          const ops::ConvParams& p);
using Conv3dBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                                  const Tensor& grad_out, const Tensor& x, const Tensor& w,
                                  const ops::ConvParams& p);
// 4-d (N, C, H, W) input, out (N, C, Ho, Wo); p.dims == 2 (1-d runs with H == 1).
using AvgPool2dFn = void (*)(const Tensor& out, const Tensor& x, const ops::AvgPoolParams& p);
using AvgPool2dBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_out,
                                     const ops::AvgPoolParams& p);
// 4-d; windows [floor(o * I / O), ceil((o + 1) * I / O)) per dim.
using AdaptiveAvgPool2dFn = void (*)(const Tensor& out, const Tensor& x);
using AdaptiveAvgPool2dBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_out);
using AdaptiveMaxPool2dFn = void (*)(const Tensor& out, const Tensor& indices, const Tensor& x);
// x (N, C, H, W) float / double; cols (N, C * kH * kW, Ho * Wo). col2im writes every element of x.
using Im2ColFn = void (*)(const Tensor& cols, const Tensor& x, const ops::UnfoldParams& p);
using Col2ImFn = void (*)(const Tensor& x, const Tensor& cols, const ops::UnfoldParams& p);

extern DispatchStub<Conv3dFn> conv3d_stub;
extern DispatchStub<Conv3dBackwardFn> conv3d_backward_stub;
extern DispatchStub<AvgPool2dFn> avg_pool2d_stub;
extern DispatchStub<AvgPool2dBackwardFn> avg_pool2d_backward_stub;
extern DispatchStub<AdaptiveAvgPool2dFn> adaptive_avg_pool2d_stub;
extern DispatchStub<AdaptiveAvgPool2dBackwardFn> adaptive_avg_pool2d_backward_stub;
extern DispatchStub<AdaptiveMaxPool2dFn> adaptive_max_pool2d_stub;
extern DispatchStub<Im2ColFn> im2col_stub;
extern DispatchStub<Col2ImFn> col2im_stub;

}  // namespace ember
