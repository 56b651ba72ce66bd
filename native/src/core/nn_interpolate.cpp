// F.interpolate meta functions: mode and size checks with PyTorch's messages, output allocation,
// and the kernel tables.
#include "nn_interpolate.h"

#include "error.h"
#include "nn_meta.h"
#include "ops.h"

namespace ember {

DispatchStub<InterpolateFn> interpolate_stub("interpolate");
DispatchStub<InterpolateBackwardFn> interpolate_backward_stub("interpolate_backward");

namespace ops {
namespace {

const char* mode_name(InterpolateMode mode, int64_t dims) {
  switch (mode) {
    case InterpolateMode::Nearest:
      return "nearest";
    case InterpolateMode::NearestExact:
      return "nearest-exact";
    case InterpolateMode::Linear:
      return dims == 1 ? "linear" : dims == 2 ? "bilinear" : "trilinear";
    case InterpolateMode::Cubic:
      return "bicubic";
  }
  return "?";
}

// Checks everything but the tensors and fills p; input has dims + 2 sizes.
InterpolateParams make_params(const char* op, std::span<const int64_t> input, InterpolateMode mode,
                              std::span<const int64_t> output_size, std::span<const double> scales,
                              bool align_corners) {
  const auto m = static_cast<int32_t>(mode);
  EMBER_CHECK(m >= 0 && m <= 3, EMBER_ERROR_INVALID_ARGUMENT, op, ": unknown mode ", m,
              " (0 nearest, 1 nearest-exact, 2 linear, 3 cubic)");
  const auto dims = static_cast<int64_t>(output_size.size());
  EMBER_CHECK(dims >= 1 && dims <= 3, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected 1 to 3 spatial dims, got ", dims);
  EMBER_CHECK(static_cast<int64_t>(input.size()) == dims + 2, EMBER_ERROR_SHAPE, op,
              ": expected an input of ", dims + 2, " dims (N, C and ", dims,
              " spatial) for an output size of ", dims, " entries, got ", input.size(), " dims");
  EMBER_CHECK(scales.empty() || scales.size() == output_size.size(), EMBER_ERROR_INVALID_ARGUMENT,
              op, ": expected ", dims, " scale factors, got ", scales.size());
  EMBER_CHECK(mode != InterpolateMode::Cubic || dims == 2, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": bicubic interpolation needs 2 spatial dims (4-d input), got ", dims);
  const bool interpolating = mode == InterpolateMode::Linear || mode == InterpolateMode::Cubic;
  EMBER_CHECK(interpolating || !align_corners, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": align_corners option can only be set with the interpolating modes: linear | "
              "bilinear | bicubic | trilinear (got ",
              mode_name(mode, dims), ")");
  InterpolateParams p;
  p.mode = mode;
  p.dims = dims;
  p.align_corners = align_corners;
  for (int64_t i = 0; i < dims; ++i) {
    p.in[i] = input[i + 2];
    p.out[i] = output_size[i];
    p.scales[i] = scales.empty() ? 0.0 : scales[i];
    EMBER_CHECK(p.in[i] > 0 && p.out[i] > 0, EMBER_ERROR_SHAPE, op, " (", mode_name(mode, dims),
                "): input and output sizes should be greater than 0, but got input ",
                DimVector(input), " and output size ", output_size[i], " in spatial dim ", i);
    EMBER_CHECK(p.scales[i] >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": scale factors must be positive, got ", p.scales[i]);
  }
  return p;
}

DimVector sizes_with(const DimVector& nc, const InterpolateParams& p,
                     const std::array<int64_t, 3>& spatial) {
  DimVector sizes{nc[0], nc[1]};
  for (int64_t i = 0; i < p.dims; ++i) sizes.push_back(spatial[i]);
  return sizes;
}

}  // namespace

Tensor interpolate(const Tensor& x, InterpolateMode mode, std::span<const int64_t> output_size,
                   std::span<const double> scales, bool align_corners) {
  const char* op = "interpolate";
  const DimVector& in = x->sizes();
  EMBER_CHECK(x->dim() >= 3 && x->dim() <= 5, EMBER_ERROR_SHAPE, op,
              ": only 3-d, 4-d and 5-d input tensors are supported (N, C and 1 to 3 spatial dims), "
              "got ",
              meta::describe(x));
  const InterpolateParams p =
      make_params(op, std::span<const int64_t>(in.data(), static_cast<std::size_t>(in.size())),
                  mode, output_size, scales, align_corners);
  nn_meta::check_floating(op, "input", x);
  Tensor out = empty(sizes_with(in, p, p.out), x->dtype(), x->device());
  if (out->numel() > 0) interpolate_stub(op, x->device(), out, ops::contiguous(x), p);
  return out;
}

Tensor interpolate_backward(const Tensor& grad_out, std::span<const int64_t> input_size,
                            InterpolateMode mode, std::span<const double> scales,
                            bool align_corners) {
  const char* op = "interpolate_backward";
  EMBER_CHECK(input_size.size() >= 3 && input_size.size() <= 5 &&
                  grad_out->dim() == static_cast<int64_t>(input_size.size()),
              EMBER_ERROR_SHAPE, op, ": expected grad_out with as many dims as input_size (",
              input_size.size(), ", 3 to 5), got ", meta::describe(grad_out));
  const DimVector& g = grad_out->sizes();
  const std::span<const int64_t> out_size(g.data() + 2, static_cast<std::size_t>(g.size() - 2));
  const InterpolateParams p = make_params(op, input_size, mode, out_size, scales, align_corners);
  EMBER_CHECK(g[0] == input_size[0] && g[1] == input_size[1], EMBER_ERROR_SHAPE, op, ": grad_out ",
              meta::describe(grad_out), " and input size ", DimVector(input_size),
              " differ in N or C");
  nn_meta::check_floating(op, "grad_out", grad_out);
  DimVector nc{input_size[0], input_size[1]};
  Tensor gx = empty(sizes_with(nc, p, p.in), grad_out->dtype(), grad_out->device());
  if (gx->numel() > 0) {
    interpolate_backward_stub(op, grad_out->device(), gx, ops::contiguous(grad_out), p);
  }
  return gx;
}

}  // namespace ops
}  // namespace ember
