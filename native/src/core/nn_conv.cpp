// conv2d meta functions: PyTorch's shape rules and messages; the 16-bit floats run in float32.
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<Conv2dFn> conv2d_stub("conv2d");
DispatchStub<Conv2dBackwardFn> conv2d_backward_stub("conv2d_backward");

namespace ops {
namespace {

using nn_meta::pair_str;

// Validates x (4-d here), w and b for conv2d and returns the output's (Ho, Wo).
std::array<int64_t, 2> check_conv(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                                  const Conv2dParams& p) {
  EMBER_CHECK(w->dim() == 4, EMBER_ERROR_SHAPE, op,
              ": expected weight to be 4-d (out_channels, in_channels / groups, kH, kW), but got "
              "weight of size ",
              w->sizes());
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(p.stride[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": non-positive stride is not supported, got stride=", pair_str(p.stride));
    EMBER_CHECK(p.dilation[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": dilation should be greater than zero, got dilation=", pair_str(p.dilation));
    EMBER_CHECK(p.padding[i] >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": negative padding is not supported, got padding=", pair_str(p.padding));
  }
  EMBER_CHECK(p.groups > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": non-positive groups is not supported, got groups=", p.groups);
  EMBER_CHECK(w->size(0) % p.groups == 0, EMBER_ERROR_SHAPE, op, ": Given groups=", p.groups,
              ", expected weight to be divisible by ", p.groups,
              " at dimension 0, but got weight of size ", w->sizes(), " instead");
  EMBER_CHECK(x->size(1) == w->size(1) * p.groups, EMBER_ERROR_SHAPE, op,
              ": Given groups=", p.groups, ", weight of size ", w->sizes(), ", expected input",
              x->sizes(), " to have ", w->size(1) * p.groups, " channels, but got ", x->size(1),
              " channels instead");
  if (b) {
    EMBER_CHECK(b->dim() == 1 && b->size(0) == w->size(0), EMBER_ERROR_SHAPE, op,
                ": Given weight of size ", w->sizes(), ", expected bias to be 1-dimensional with ",
                w->size(0), " elements, but got bias of size ", b->sizes(), " instead");
  }
  nn_meta::check_floating(op, "input", x);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &w}, {"bias", &b}});
  std::array<int64_t, 2> out{};
  for (int i = 0; i < 2; ++i) {
    const int64_t padded = x->size(2 + i) + 2 * p.padding[i];
    const int64_t extent = p.dilation[i] * (w->size(2 + i) - 1) + 1;
    EMBER_CHECK(padded >= extent, EMBER_ERROR_SHAPE, op,
                ": Calculated padded input size per channel: (", x->size(2) + 2 * p.padding[0],
                " x ", x->size(3) + 2 * p.padding[1], "). Kernel size: (",
                p.dilation[0] * (w->size(2) - 1) + 1, " x ", p.dilation[1] * (w->size(3) - 1) + 1,
                "). Kernel size can't be greater than actual input size");
    out[i] = (padded - extent) / p.stride[i] + 1;
  }
  return out;
}

// x as 4-d: unbatched (C, H, W) becomes (1, C, H, W); anything else is an error naming op.
Tensor batched(const char* op, const Tensor& x) {
  EMBER_CHECK(x->dim() == 3 || x->dim() == 4, EMBER_ERROR_SHAPE, op,
              ": Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
              x->sizes());
  return x->dim() == 3 ? unsqueeze(x, 0) : x;
}

}  // namespace

Tensor conv2d(const Tensor& x_in, const Tensor& w, const Tensor& b, const Conv2dParams& p) {
  const char* op = "conv2d";
  const Tensor x = batched(op, x_in);
  const auto [ho, wo] = check_conv(op, x, w, b, p);
  const DType ct = nn_meta::compute_dtype(x->dtype());
  const Tensor xc = nn_meta::contiguous_as(x, ct), wc = nn_meta::contiguous_as(w, ct);
  const Tensor bc = b ? nn_meta::contiguous_as(b, ct) : Tensor();
  Tensor out = empty({x->size(0), w->size(0), ho, wo}, ct, x->device());
  conv2d_stub(op, x->device(), out, xc, wc, bc, p);
  out = to_dtype(out, x->dtype());
  return x_in->dim() == 3 ? squeeze_dim(out, 0) : out;
}

Conv2dGrads conv2d_backward(const Tensor& grad_out_in, const Tensor& x_in, const Tensor& w,
                            const Conv2dParams& p, bool need_x, bool need_w, bool need_b) {
  const char* op = "conv2d_backward";
  const Tensor x = batched(op, x_in);
  const auto [ho, wo] = check_conv(op, x, w, Tensor(), p);
  const Tensor grad_out =
      x_in->dim() == 3 && grad_out_in->dim() == 3 ? unsqueeze(grad_out_in, 0) : grad_out_in;
  const DimVector expected{x->size(0), w->size(0), ho, wo};
  EMBER_CHECK(grad_out->sizes() == expected, EMBER_ERROR_SHAPE, op, ": expected grad_out of size ",
              expected, " (the output of conv2d for input ", x_in->sizes(), " and weight ",
              w->sizes(), "), but got ", grad_out_in->sizes());
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
  Conv2dGrads g;
  if (!need_x && !need_w && !need_b) return g;
  const DType ct = nn_meta::compute_dtype(x->dtype());
  const Tensor gy = nn_meta::contiguous_as(grad_out, ct);
  const Tensor xc = need_w ? nn_meta::contiguous_as(x, ct) : x;
  const Tensor wc = need_x ? nn_meta::contiguous_as(w, ct) : w;
  if (need_x) g.grad_x = empty(x->sizes(), ct, x->device());
  if (need_w) g.grad_w = empty(w->sizes(), ct, x->device());
  if (need_b) g.grad_b = empty({w->size(0)}, ct, x->device());
  conv2d_backward_stub(op, x->device(), g.grad_x, g.grad_w, g.grad_b, gy, xc, wc, p);
  if (g.grad_x) {
    g.grad_x = to_dtype(g.grad_x, x->dtype());
    if (x_in->dim() == 3) g.grad_x = squeeze_dim(g.grad_x, 0);
  }
  if (g.grad_w) g.grad_w = to_dtype(g.grad_w, x->dtype());
  if (g.grad_b) g.grad_b = to_dtype(g.grad_b, x->dtype());
  return g;
}

}  // namespace ops
}  // namespace ember
