// max_pool2d meta functions: PyTorch's output-size rule (incl. ceil_mode) and messages.
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<MaxPool2dFn> max_pool2d_stub("max_pool2d");
DispatchStub<MaxPool2dBackwardFn> max_pool2d_backward_stub("max_pool2d_backward");

namespace ops {
namespace {

using nn_meta::pair_str;

// floor division for a possibly negative numerator
int64_t div_floor(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// torch's pooling_output_shape: a last window that would start in the right padding is dropped.
int64_t pooled_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation,
                    bool ceil_mode) {
  int64_t out =
      div_floor(in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// Validates x (3-d or 4-d) and p; returns (N, C, Ho, Wo) for the 4-d view of x.
DimVector check_pool(const char* op, const Tensor& x4, const Tensor& x, const Pool2dParams& p) {
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(
        p.kernel[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
        ": kernel size should be greater than zero, but got kernel_size=", pair_str(p.kernel));
    EMBER_CHECK(p.stride[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": stride should be greater than zero, but got stride=", pair_str(p.stride));
    EMBER_CHECK(p.dilation[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": dilation should be greater than zero, but got dilation=", pair_str(p.dilation));
    EMBER_CHECK(p.padding[i] >= 0 && p.padding[i] <= p.kernel[i] / 2, EMBER_ERROR_INVALID_ARGUMENT,
                op, ": pad should be at least 0 and at most half of kernel size, but got padding=",
                pair_str(p.padding), " and kernel_size=", pair_str(p.kernel));
  }
  nn_meta::check_floating(op, "input", x);
  const int64_t ho =
      pooled_size(x4->size(2), p.kernel[0], p.padding[0], p.stride[0], p.dilation[0], p.ceil_mode);
  const int64_t wo =
      pooled_size(x4->size(3), p.kernel[1], p.padding[1], p.stride[1], p.dilation[1], p.ceil_mode);
  EMBER_CHECK(ho >= 1 && wo >= 1, EMBER_ERROR_SHAPE, op, ": Given input size: (", x4->size(1), "x",
              x4->size(2), "x", x4->size(3), "). Calculated output size: (", x4->size(1), "x", ho,
              "x", wo, "). Output size is too small");
  return {x4->size(0), x4->size(1), ho, wo};
}

Tensor batched(const char* op, const Tensor& x) {
  EMBER_CHECK((x->dim() == 3 || x->dim() == 4) && x->size(x->dim() - 1) > 0 &&
                  x->size(x->dim() - 2) > 0 && x->size(x->dim() - 3) > 0,
              EMBER_ERROR_SHAPE, op,
              ": Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
              "but got: ",
              meta::describe(x));
  return x->dim() == 3 ? unsqueeze(x, 0) : x;
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const Pool2dParams& p) {
  const char* op = "max_pool2d";
  const Tensor x4 = batched(op, x);
  const DimVector sizes = check_pool(op, x4, x, p);
  const Tensor xc = ops::contiguous(x4);
  Tensor out = empty(sizes, x->dtype(), x->device());
  Tensor indices = empty(sizes, DType::Int64, x->device());
  if (out->numel() > 0) max_pool2d_stub(op, x->device(), out, indices, xc, p);
  if (x->dim() == 3) return {squeeze_dim(out, 0), squeeze_dim(indices, 0)};
  return {out, indices};
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                           const Pool2dParams& p) {
  const char* op = "max_pool2d_backward";
  const Tensor x4 = batched(op, x);
  const DimVector sizes = check_pool(op, x4, x, p);
  const DimVector& expected = x->dim() == 3 ? DimVector{sizes[1], sizes[2], sizes[3]} : sizes;
  EMBER_CHECK(grad_out->sizes() == expected && indices->sizes() == expected, EMBER_ERROR_SHAPE, op,
              ": expected grad_out and indices of size ", expected,
              " (the output of max_pool2d for input ", meta::describe(x), "), but got grad_out ",
              meta::describe(grad_out), " and indices ", meta::describe(indices));
  EMBER_CHECK(indices->dtype() == DType::Int64, EMBER_ERROR_DTYPE, op,
              ": expected indices of dtype int64, but got ", meta::describe(indices));
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
  meta::check_same_device(op, x, indices);
  const Tensor g = ops::contiguous(grad_out->dim() == 3 ? unsqueeze(grad_out, 0) : grad_out);
  const Tensor ix = ops::contiguous(indices->dim() == 3 ? unsqueeze(indices, 0) : indices);
  Tensor gx = empty(x4->sizes(), x->dtype(), x->device());
  if (gx->numel() > 0) max_pool2d_backward_stub(op, x->device(), gx, g, ix);
  return x->dim() == 3 ? squeeze_dim(gx, 0) : gx;
}

}  // namespace ops
}  // namespace ember
