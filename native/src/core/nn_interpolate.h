// Resampling (F.interpolate): the op, its parameters and its kernel tables. Kernels may assume what
// the meta functions in core/nn_interpolate.cpp guarantee: x / grad_out contiguous (N, C, *spatial)
// on the kernel's device, outputs freshly allocated, sizes positive and consistent with p.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dispatch.h"
#include "tensor.h"

namespace ember {
namespace ops {

// The values of ember_interpolate's mode argument.
enum class InterpolateMode : int32_t {
  Nearest = 0,
  NearestExact = 1,
  Linear = 2,  // linear, bilinear or trilinear by the number of spatial dims
  Cubic = 3,   // bicubic (2 spatial dims)
};

// dims (1 to 3) spatial dims; entries past dims are unused. scales[i] > 0 is the user's scale
// factor for dim i, which maps output to input coordinates as 1 / scale (PyTorch's behaviour when
// the scale factor is not recomputed); 0 maps them by in / out.
struct InterpolateParams {
  InterpolateMode mode = InterpolateMode::Nearest;
  int64_t dims = 2;
  bool align_corners = false;
  std::array<int64_t, 3> in{1, 1, 1};
  std::array<int64_t, 3> out{1, 1, 1};
  std::array<double, 3> scales{0, 0, 0};
};

// x (N, C, *spatial) resized to output_size (dims entries).
Tensor interpolate(const Tensor& x, InterpolateMode mode, std::span<const int64_t> output_size,
                   std::span<const double> scales, bool align_corners);
// The gradient for an input of input_size (dims + 2 entries): adds each output gradient to the
// input elements it was computed from, with the same weights.
Tensor interpolate_backward(const Tensor& grad_out, std::span<const int64_t> input_size,
                            InterpolateMode mode, std::span<const double> scales,
                            bool align_corners);

}  // namespace ops

// out (N, C, *p.out) from x (N, C, *p.in), both contiguous, one floating dtype.
using InterpolateFn = void (*)(const Tensor& out, const Tensor& x, const ops::InterpolateParams& p);
// grad_x (N, C, *p.in), every element written, from grad_out (N, C, *p.out).
using InterpolateBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_out,
                                       const ops::InterpolateParams& p);

extern DispatchStub<InterpolateFn> interpolate_stub;
extern DispatchStub<InterpolateBackwardFn> interpolate_backward_stub;

}  // namespace ember
