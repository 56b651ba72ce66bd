// Pooling meta functions: max, average and adaptive pooling over 1 or 2 dims, with PyTorch's
// output-size rules (incl. ceil_mode) and messages. 1-d pooling runs on the 2-d kernels with a
// size-1 height.
#include <string>

#include "error.h"
#include "nn_conv_pool.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<MaxPool2dFn> max_pool2d_stub("max_pool2d");
DispatchStub<MaxPool2dBackwardFn> max_pool2d_backward_stub("max_pool2d_backward");
DispatchStub<AvgPool2dFn> avg_pool2d_stub("avg_pool2d");
DispatchStub<AvgPool2dBackwardFn> avg_pool2d_backward_stub("avg_pool2d_backward");
DispatchStub<AdaptiveAvgPool2dFn> adaptive_avg_pool2d_stub("adaptive_avg_pool2d");
DispatchStub<AdaptiveAvgPool2dBackwardFn> adaptive_avg_pool2d_backward_stub(
    "adaptive_avg_pool2d_backward");
DispatchStub<AdaptiveMaxPool2dFn> adaptive_max_pool2d_stub("adaptive_max_pool2d");

namespace ops {
namespace {

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

// "(a, b)" for 2-d pooling, "a" for 1-d (the second entry), as the user gave them.
std::string arg_str(const std::array<int64_t, 2>& v, int64_t dims) {
  return dims == 1 ? std::to_string(v[1]) : nn_meta::pair_str(v);
}

// x seen as (N, C, H, W): 2-d pooling takes (C, H, W) or (N, C, H, W); 1-d takes (C, L) or
// (N, C, L) and gets H = 1. Non-batch dims must be non-empty.
Tensor as_4d(const char* op, const Tensor& x, int64_t dims) {
  const int64_t d = x->dim();
  bool ok = d == dims + 1 || d == dims + 2;
  for (int64_t i = 0; ok && i < dims + 1; ++i) ok = x->size(d - 1 - i) > 0;
  EMBER_CHECK(ok, EMBER_ERROR_SHAPE, op, ": Expected ", dims + 1, "D or ", dims + 2,
              "D (batch mode) tensor with optional 0 dim batch size for input, but got: ",
              meta::describe(x));
  Tensor t = d == dims + 1 ? unsqueeze(x, 0) : x;
  return dims == 1 ? unsqueeze(t, 2) : t;
}

// A 4-d result back in x's layout (drops the lifted height and the added batch dim).
Tensor from_4d(const Tensor& t, const Tensor& x, int64_t dims) {
  Tensor r = dims == 1 ? squeeze_dim(t, 2) : t;
  return x->dim() == dims + 1 ? squeeze_dim(r, 0) : r;
}

// grad_out seen as 4-d like x; must have the given 4-d sizes.
Tensor grad_4d(const char* op, const Tensor& grad_out, const Tensor& x, int64_t dims,
               const DimVector& sizes4, const char* what = "grad_out") {
  DimVector expected = sizes4;
  if (dims == 1) expected.erase(2);
  if (x->dim() == dims + 1) expected.erase(0);
  EMBER_CHECK(grad_out->sizes() == expected, EMBER_ERROR_SHAPE, op, ": expected ", what,
              " of size ", expected, " (the pooled output for input ", meta::describe(x),
              "), but got ", meta::describe(grad_out));
  Tensor t = x->dim() == dims + 1 ? unsqueeze(grad_out, 0) : grad_out;
  return dims == 1 ? unsqueeze(t, 2) : t;
}

// Validates x4 and p; returns (N, C, Ho, Wo).
DimVector check_max_pool(const char* op, const Tensor& x4, const Tensor& x, const Pool2dParams& p,
                         int64_t dims) {
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(
        p.kernel[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
        ": kernel size should be greater than zero, but got kernel_size=", arg_str(p.kernel, dims));
    EMBER_CHECK(p.stride[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": stride should be greater than zero, but got stride=", arg_str(p.stride, dims));
    EMBER_CHECK(
        p.dilation[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
        ": dilation should be greater than zero, but got dilation=", arg_str(p.dilation, dims));
    EMBER_CHECK(p.padding[i] >= 0 && p.padding[i] <= p.kernel[i] / 2, EMBER_ERROR_INVALID_ARGUMENT,
                op, ": pad should be at least 0 and at most half of kernel size, but got padding=",
                arg_str(p.padding, dims), " and kernel_size=", arg_str(p.kernel, dims));
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

std::pair<Tensor, Tensor> max_pool(const char* op, const Tensor& x, const Pool2dParams& p,
                                   int64_t dims) {
  const Tensor x4 = as_4d(op, x, dims);
  const DimVector sizes = check_max_pool(op, x4, x, p, dims);
  Tensor out = empty(sizes, x->dtype(), x->device());
  Tensor indices = empty(sizes, DType::Int64, x->device());
  if (out->numel() > 0) max_pool2d_stub(op, x->device(), out, indices, ops::contiguous(x4), p);
  return {from_4d(out, x, dims), from_4d(indices, x, dims)};
}

// Scatters grad_out to the input positions in indices (flat within each plane).
Tensor scatter_to_max(const char* op, const Tensor& grad_out, const Tensor& x,
                      const Tensor& indices, int64_t dims, const DimVector& sizes) {
  const Tensor g = grad_4d(op, grad_out, x, dims, sizes);
  const Tensor ix = grad_4d(op, indices, x, dims, sizes, "indices");
  EMBER_CHECK(indices->dtype() == DType::Int64, EMBER_ERROR_DTYPE, op,
              ": expected indices of dtype int64, but got ", meta::describe(indices));
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
  meta::check_same_device(op, x, indices);
  Tensor gx = empty(as_4d(op, x, dims)->sizes(), x->dtype(), x->device());
  if (gx->numel() > 0) {
    max_pool2d_backward_stub(op, x->device(), gx, ops::contiguous(g), ops::contiguous(ix));
  }
  return from_4d(gx, x, dims);
}

Pool2dParams pool_1d(int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                     bool ceil_mode) {
  Pool2dParams p;
  p.kernel = {1, kernel};
  p.stride = {1, stride};
  p.padding = {0, padding};
  p.dilation = {1, dilation};
  p.ceil_mode = ceil_mode;
  return p;
}

}  // namespace

std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const Pool2dParams& p) {
  return max_pool("max_pool2d", x, p, 2);
}

Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                           const Pool2dParams& p) {
  const char* op = "max_pool2d_backward";
  const DimVector sizes = check_max_pool(op, as_4d(op, x, 2), x, p, 2);
  return scatter_to_max(op, grad_out, x, indices, 2, sizes);
}

std::pair<Tensor, Tensor> max_pool1d(const Tensor& x, int64_t kernel, int64_t stride,
                                     int64_t padding, int64_t dilation, bool ceil_mode) {
  return max_pool("max_pool1d", x, pool_1d(kernel, stride, padding, dilation, ceil_mode), 1);
}

Tensor max_pool1d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                           int64_t kernel, int64_t stride, int64_t padding, int64_t dilation,
                           bool ceil_mode) {
  const char* op = "max_pool1d_backward";
  const Pool2dParams p = pool_1d(kernel, stride, padding, dilation, ceil_mode);
  const DimVector sizes = check_max_pool(op, as_4d(op, x, 1), x, p, 1);
  return scatter_to_max(op, grad_out, x, indices, 1, sizes);
}

// ---- average pooling ----
namespace {

DimVector check_avg_pool(const char* op, const Tensor& x4, const Tensor& x,
                         const AvgPoolParams& p) {
  EMBER_CHECK(p.dims == 1 || p.dims == 2, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected 1 or 2 pooled dims, got ", p.dims);
  for (int i = 2 - static_cast<int>(p.dims); i < 2; ++i) {
    EMBER_CHECK(p.kernel[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": kernel size should be greater than zero, but got kernel_size=",
                arg_str(p.kernel, p.dims));
    EMBER_CHECK(p.stride[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": stride should be greater than zero, but got stride=", arg_str(p.stride, p.dims));
    EMBER_CHECK(p.padding[i] >= 0 && p.padding[i] <= p.kernel[i] / 2, EMBER_ERROR_INVALID_ARGUMENT,
                op, ": pad should be at least 0 and at most half of kernel size, but got padding=",
                arg_str(p.padding, p.dims), " and kernel_size=", arg_str(p.kernel, p.dims));
  }
  EMBER_CHECK(p.divisor_override >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": divisor must be not zero, got divisor_override=", p.divisor_override);
  nn_meta::check_floating(op, "input", x);
  const int64_t ho =
      pooled_size(x4->size(2), p.kernel[0], p.padding[0], p.stride[0], 1, p.ceil_mode);
  const int64_t wo =
      pooled_size(x4->size(3), p.kernel[1], p.padding[1], p.stride[1], 1, p.ceil_mode);
  EMBER_CHECK(ho >= 1 && wo >= 1, EMBER_ERROR_SHAPE, op, ": Given input size: (", x4->size(1), "x",
              x4->size(2), "x", x4->size(3), "). Calculated output size: (", x4->size(1), "x", ho,
              "x", wo, "). Output size is too small");
  return {x4->size(0), x4->size(1), ho, wo};
}

// The 2-d kernel's parameters: a 1-d pool is a (1, k) window.
AvgPoolParams avg_2d(AvgPoolParams p) {
  if (p.dims == 1) {
    p.kernel[0] = p.stride[0] = 1;
    p.padding[0] = 0;
  }
  p.dims = 2;
  return p;
}

const char* avg_name(const AvgPoolParams& p, bool backward) {
  if (p.dims == 1) return backward ? "avg_pool1d_backward" : "avg_pool1d";
  return backward ? "avg_pool2d_backward" : "avg_pool2d";
}

}  // namespace

Tensor avg_pool(const Tensor& x, const AvgPoolParams& p) {
  const char* op = avg_name(p, false);
  const AvgPoolParams q = avg_2d(p);
  const Tensor x4 = as_4d(op, x, p.dims == 1 ? 1 : 2);
  const DimVector sizes = check_avg_pool(op, x4, x, p);
  Tensor out = empty(sizes, x->dtype(), x->device());
  if (out->numel() > 0) avg_pool2d_stub(op, x->device(), out, ops::contiguous(x4), q);
  return from_4d(out, x, p.dims);
}

Tensor avg_pool_backward(const Tensor& grad_out, const Tensor& x, const AvgPoolParams& p) {
  const char* op = avg_name(p, true);
  const Tensor x4 = as_4d(op, x, p.dims == 1 ? 1 : 2);
  const DimVector sizes = check_avg_pool(op, x4, x, p);
  const Tensor g = grad_4d(op, grad_out, x, p.dims, sizes);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
  Tensor gx = empty(x4->sizes(), x->dtype(), x->device());
  if (gx->numel() > 0) {
    avg_pool2d_backward_stub(op, x->device(), gx, ops::contiguous(g), avg_2d(p));
  }
  return from_4d(gx, x, p.dims);
}

// ---- adaptive pooling ----
namespace {

// The pooled dims (1 or 2) from output_size; returns the 4-d output sizes for x4.
DimVector check_adaptive(const char* op, const Tensor& x4, const Tensor& x,
                         std::span<const int64_t> output_size) {
  for (int64_t s : output_size) {
    EMBER_CHECK(s >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": elements of output_size must be greater than or equal to 0 but got ",
                DimVector(output_size));
  }
  nn_meta::check_floating(op, "input", x);
  return {x4->size(0), x4->size(1), output_size.size() == 1 ? 1 : output_size[0],
          output_size.back()};
}

int64_t adaptive_dims(const char* op, std::span<const int64_t> output_size) {
  EMBER_CHECK(output_size.size() == 1 || output_size.size() == 2, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": output_size must have 1 or 2 elements, got ", output_size.size());
  return static_cast<int64_t>(output_size.size());
}

}  // namespace

Tensor adaptive_avg_pool(const Tensor& x, std::span<const int64_t> output_size) {
  const char* op = output_size.size() == 1 ? "adaptive_avg_pool1d" : "adaptive_avg_pool2d";
  const int64_t dims = adaptive_dims(op, output_size);
  const Tensor x4 = as_4d(op, x, dims);
  Tensor out = empty(check_adaptive(op, x4, x, output_size), x->dtype(), x->device());
  if (out->numel() > 0) adaptive_avg_pool2d_stub(op, x->device(), out, ops::contiguous(x4));
  return from_4d(out, x, dims);
}

Tensor adaptive_avg_pool_backward(const Tensor& grad_out, const Tensor& x, int64_t dims) {
  EMBER_CHECK(dims == 1 || dims == 2, EMBER_ERROR_INVALID_ARGUMENT,
              "adaptive_avg_pool_backward: expected 1 or 2 pooled dims, got ", dims);
  const char* op = dims == 1 ? "adaptive_avg_pool1d_backward" : "adaptive_avg_pool2d_backward";
  const Tensor x4 = as_4d(op, x, dims);
  EMBER_CHECK(grad_out->dim() == x->dim(), EMBER_ERROR_SHAPE, op,
              ": expected grad_out with as many dims as input ", meta::describe(x), ", but got ",
              meta::describe(grad_out));
  const int64_t d = grad_out->dim();
  const DimVector sizes{x4->size(0), x4->size(1), dims == 1 ? 1 : grad_out->size(d - 2),
                        grad_out->size(d - 1)};
  const Tensor g = grad_4d(op, grad_out, x, dims, sizes);
  nn_meta::check_floating(op, "input", x);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
  Tensor gx = empty(x4->sizes(), x->dtype(), x->device());
  if (gx->numel() > 0) {
    if (g->numel() == 0) {
      fill_(gx, Scalar::from_int(0));
    } else {
      adaptive_avg_pool2d_backward_stub(op, x->device(), gx, ops::contiguous(g));
    }
  }
  return from_4d(gx, x, dims);
}

std::pair<Tensor, Tensor> adaptive_max_pool(const Tensor& x, std::span<const int64_t> output_size) {
  const char* op = output_size.size() == 1 ? "adaptive_max_pool1d" : "adaptive_max_pool2d";
  const int64_t dims = adaptive_dims(op, output_size);
  const Tensor x4 = as_4d(op, x, dims);
  const DimVector sizes = check_adaptive(op, x4, x, output_size);
  Tensor out = empty(sizes, x->dtype(), x->device());
  Tensor indices = empty(sizes, DType::Int64, x->device());
  if (out->numel() > 0) {
    adaptive_max_pool2d_stub(op, x->device(), out, indices, ops::contiguous(x4));
  }
  return {from_4d(out, x, dims), from_4d(indices, x, dims)};
}

Tensor adaptive_max_pool_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                                  int64_t dims) {
  EMBER_CHECK(dims == 1 || dims == 2, EMBER_ERROR_INVALID_ARGUMENT,
              "adaptive_max_pool_backward: expected 1 or 2 pooled dims, got ", dims);
  const char* op = dims == 1 ? "adaptive_max_pool1d_backward" : "adaptive_max_pool2d_backward";
  const Tensor x4 = as_4d(op, x, dims);
  EMBER_CHECK(grad_out->dim() == x->dim(), EMBER_ERROR_SHAPE, op,
              ": expected grad_out with as many dims as input ", meta::describe(x), ", but got ",
              meta::describe(grad_out));
  const int64_t d = grad_out->dim();
  const DimVector sizes{x4->size(0), x4->size(1), dims == 1 ? 1 : grad_out->size(d - 2),
                        grad_out->size(d - 1)};
  nn_meta::check_floating(op, "input", x);
  return scatter_to_max(op, grad_out, x, indices, dims, sizes);
}

}  // namespace ops
}  // namespace ember
