// Convolution meta functions (conv2d, and convolution over 1 to 3 dims, plain or transposed) and
// unfold / fold: PyTorch's shape rules and messages; the 16-bit floats run in float32. 1-d runs on
// the 2-d kernels with a size-1 height; a transposed convolution runs the plain one's backward
// kernels (its forward is the input gradient of a convolution, and its input gradient is one).
#include <string>

#include "error.h"
#include "nn_conv_pool.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<Conv2dFn> conv2d_stub("conv2d");
DispatchStub<Conv2dBackwardFn> conv2d_backward_stub("conv2d_backward");
DispatchStub<Conv3dFn> conv3d_stub("conv3d");
DispatchStub<Conv3dBackwardFn> conv3d_backward_stub("conv3d_backward");
DispatchStub<Im2ColFn> im2col_stub("im2col");
DispatchStub<Col2ImFn> col2im_stub("col2im");

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

// ---- convolution over 1 to 3 dims ----
namespace {

// "[a, b]" of the first n entries, for messages.
template <std::size_t N>
std::string list_str(const std::array<int64_t, N>& v, int64_t n) {
  std::string s = "[";
  for (int64_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

std::string conv_name(const ConvParams& p, const char* suffix = "") {
  return str(p.transposed ? "conv_transpose" : "conv", p.dims, "d", suffix);
}

// x with a batch dim: (C, *) becomes (1, C, *); anything but dims + 1 or dims + 2 dims is an error.
Tensor batched_nd(const char* op, const Tensor& x, int64_t dims) {
  EMBER_CHECK(x->dim() == dims + 1 || x->dim() == dims + 2, EMBER_ERROR_SHAPE, op, ": Expected ",
              dims + 1, "D (unbatched) or ", dims + 2, "D (batched) input to ", op,
              ", but got input of size: ", x->sizes());
  return x->dim() == dims + 1 ? unsqueeze(x, 0) : x;
}

// Validates x (batched), w, b and p; returns the output's sizes (N, C_out, spatial...).
DimVector check_convolution(const char* op, const Tensor& x, const Tensor& w, const Tensor& b,
                            const ConvParams& p) {
  const int64_t nd = p.dims;
  EMBER_CHECK(
      w->dim() == nd + 2, EMBER_ERROR_SHAPE, op, ": expected weight to be ", nd + 2, "-d (",
      p.transposed ? "in_channels, out_channels / groups" : "out_channels, in_channels / groups",
      ", kernel...), but got weight of size ", w->sizes());
  for (int64_t i = 0; i < nd; ++i) {
    EMBER_CHECK(p.stride[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": non-positive stride is not supported, got stride=", list_str(p.stride, nd));
    EMBER_CHECK(p.dilation[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": dilation should be greater than zero, got dilation=", list_str(p.dilation, nd));
    EMBER_CHECK(p.padding[i] >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": negative padding is not supported, got padding=", list_str(p.padding, nd));
    if (p.transposed) {
      EMBER_CHECK(p.output_padding[i] >= 0 &&
                      (p.output_padding[i] < p.stride[i] || p.output_padding[i] < p.dilation[i]),
                  EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": output padding must be non-negative and smaller than either stride or "
                  "dilation, but got output_padding=",
                  list_str(p.output_padding, nd), ", stride=", list_str(p.stride, nd),
                  ", dilation=", list_str(p.dilation, nd));
    } else {
      EMBER_CHECK(p.output_padding[i] == 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": output_padding is only supported for transposed convolutions, got ",
                  list_str(p.output_padding, nd));
    }
  }
  EMBER_CHECK(p.groups > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": non-positive groups is not supported, got groups=", p.groups);
  EMBER_CHECK(w->size(0) % p.groups == 0, EMBER_ERROR_SHAPE, op, ": Given groups=", p.groups,
              ", expected weight to be divisible by ", p.groups,
              " at dimension 0, but got weight of size ", w->sizes(), " instead");
  const int64_t in_channels = p.transposed ? w->size(0) : w->size(1) * p.groups;
  const int64_t out_channels = p.transposed ? w->size(1) * p.groups : w->size(0);
  EMBER_CHECK(x->size(1) == in_channels, EMBER_ERROR_SHAPE, op, ": Given groups=", p.groups,
              ", weight of size ", w->sizes(), ", expected input", x->sizes(), " to have ",
              in_channels, " channels, but got ", x->size(1), " channels instead");
  if (b) {
    EMBER_CHECK(b->dim() == 1 && b->size(0) == out_channels, EMBER_ERROR_SHAPE, op,
                ": Given weight of size ", w->sizes(), ", expected bias to be 1-dimensional with ",
                out_channels, " elements, but got bias of size ", b->sizes(), " instead");
  }
  nn_meta::check_floating(op, "input", x);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &w}, {"bias", &b}});
  DimVector out{x->size(0), out_channels};
  for (int64_t i = 0; i < nd; ++i) {
    const int64_t in = x->size(2 + i), extent = p.dilation[i] * (w->size(2 + i) - 1) + 1;
    if (p.transposed) {
      const int64_t o = (in - 1) * p.stride[i] - 2 * p.padding[i] + extent + p.output_padding[i];
      EMBER_CHECK(o > 0, EMBER_ERROR_SHAPE, op, ": the output size of dim ", i, " would be ", o,
                  " for input ", x->sizes(), ", weight ", w->sizes(),
                  ", stride=", list_str(p.stride, nd), ", padding=", list_str(p.padding, nd),
                  ", dilation=", list_str(p.dilation, nd), "; it must be positive");
      out.push_back(o);
    } else {
      EMBER_CHECK(in + 2 * p.padding[i] >= extent, EMBER_ERROR_SHAPE, op,
                  ": Calculated padded input size per channel: ", in + 2 * p.padding[i], " in dim ",
                  i, " of input ", x->sizes(), ". Kernel size: ", extent,
                  " (with dilation). Kernel size can't be greater than actual input size");
      out.push_back((in + 2 * p.padding[i] - extent) / p.stride[i] + 1);
    }
  }
  return out;
}

// The kernels know 2 and 3 spatial dims: a 1-d tensor gets a size-1 height.
Tensor lift(const Tensor& t, int64_t dims) { return dims == 1 ? unsqueeze(t, 2) : t; }
DimVector lift(DimVector s, int64_t dims) {
  if (dims == 1) s.insert(2, 1);
  return s;
}
Tensor unlift(const Tensor& t, int64_t dims) { return dims == 1 ? squeeze_dim(t, 2) : t; }

Conv2dParams params_2d(const ConvParams& p) {
  Conv2dParams q;
  q.groups = p.groups;
  if (p.dims == 1) {
    q.stride = {1, p.stride[0]};
    q.padding = {0, p.padding[0]};
    q.dilation = {1, p.dilation[0]};
  } else {
    q.stride = {p.stride[0], p.stride[1]};
    q.padding = {p.padding[0], p.padding[1]};
    q.dilation = {p.dilation[0], p.dilation[1]};
  }
  return q;
}

// The plain convolution's forward and backward kernels on lifted tensors.
void conv_forward(const char* op, const Tensor& out, const Tensor& x, const Tensor& w,
                  const Tensor& b, const ConvParams& p) {
  if (p.dims == 3) {
    conv3d_stub(op, x->device(), out, x, w, b, p);
  } else {
    conv2d_stub(op, x->device(), out, x, w, b, params_2d(p));
  }
}

void conv_backward(const char* op, const Tensor& gx, const Tensor& gw, const Tensor& gb,
                   const Tensor& gy, const Tensor& x, const Tensor& w, const ConvParams& p) {
  if (p.dims == 3) {
    conv3d_backward_stub(op, gy->device(), gx, gw, gb, gy, x, w, p);
  } else {
    conv2d_backward_stub(op, gy->device(), gx, gw, gb, gy, x, w, params_2d(p));
  }
}

// Sum of a (N, C, *) tensor over every dim but 1.
Tensor sum_but_channels(const Tensor& t) {
  DimVector dims{0};
  for (int64_t d = 2; d < t->dim(); ++d) dims.push_back(d);
  return sum(t, std::span<const int64_t>(dims.data(), dims.size()), false);
}

// out (N, C, *) += b (C) broadcast.
void add_bias(const Tensor& out, const Tensor& b) {
  DimVector shape(out->dim(), 1);
  shape[1] = b->numel();
  binary_(BinaryOp::Add, out, view(b, std::span<const int64_t>(shape.data(), shape.size())));
}

}  // namespace

Tensor convolution(const Tensor& x_in, const Tensor& w, const Tensor& b, const ConvParams& p) {
  EMBER_CHECK(p.dims >= 1 && p.dims <= 3, EMBER_ERROR_INVALID_ARGUMENT,
              "convolution: expected 1 to 3 spatial dims, got ", p.dims);
  const std::string name = conv_name(p);
  const char* op = name.c_str();
  const Tensor x = batched_nd(op, x_in, p.dims);
  const DimVector out_sizes = check_convolution(op, x, w, b, p);
  const DType ct = nn_meta::compute_dtype(x->dtype());
  Tensor out = empty(lift(out_sizes, p.dims), ct, x->device());
  if (out->numel() > 0) {
    const Tensor xc = lift(nn_meta::contiguous_as(x, ct), p.dims);
    const Tensor wc = lift(nn_meta::contiguous_as(w, ct), p.dims);
    const Tensor bc = b ? nn_meta::contiguous_as(b, ct) : Tensor();
    if (x->numel() == 0 || w->numel() == 0) {
      fill_(out, Scalar::from_int(
                     0));  // no input channels (or no input positions): only the bias remains
    } else if (!p.transposed) {
      conv_forward(op, out, xc, wc, bc, p);
    } else {
      // out is only read for its sizes there (no weight gradient asked for).
      conv_backward(op, out, Tensor(), Tensor(), xc, out, wc, p);
    }
    if (bc && (p.transposed || x->numel() == 0 || w->numel() == 0)) add_bias(out, bc);
  }
  out = to_dtype(unlift(out, p.dims), x->dtype());
  return x_in->dim() == p.dims + 1 ? squeeze_dim(out, 0) : out;
}

Conv2dGrads convolution_backward(const Tensor& grad_out_in, const Tensor& x_in, const Tensor& w,
                                 const ConvParams& p, bool need_x, bool need_w, bool need_b) {
  EMBER_CHECK(p.dims >= 1 && p.dims <= 3, EMBER_ERROR_INVALID_ARGUMENT,
              "convolution_backward: expected 1 to 3 spatial dims, got ", p.dims);
  const std::string name = conv_name(p, "_backward");
  const char* op = name.c_str();
  const Tensor x = batched_nd(op, x_in, p.dims);
  const DimVector out_sizes = check_convolution(op, x, w, Tensor(), p);
  const bool unbatched = x_in->dim() == p.dims + 1;
  const Tensor grad_out =
      unbatched && grad_out_in->dim() == p.dims + 1 ? unsqueeze(grad_out_in, 0) : grad_out_in;
  EMBER_CHECK(grad_out->sizes() == out_sizes, EMBER_ERROR_SHAPE, op, ": expected grad_out of size ",
              out_sizes, " (the output of ", conv_name(p), " for input ", x_in->sizes(),
              " and weight ", w->sizes(), "), but got ", grad_out_in->sizes());
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
  Conv2dGrads g;
  const DType ct = nn_meta::compute_dtype(x->dtype());
  const int64_t nd = p.dims;
  if (need_x) g.grad_x = empty(lift(x->sizes(), nd), ct, x->device());
  if (need_w) g.grad_w = empty(lift(w->sizes(), nd), ct, x->device());
  if (need_b)
    g.grad_b = empty({p.transposed ? w->size(1) * p.groups : w->size(0)}, ct, x->device());
  if (grad_out->numel() == 0 || x->numel() == 0 || w->numel() == 0) {
    for (const Tensor* t : {&g.grad_x, &g.grad_w, &g.grad_b}) {
      if (*t) fill_(*t, Scalar::from_int(0));
    }
  } else if (need_x || need_w || need_b) {
    const Tensor gy = lift(nn_meta::contiguous_as(grad_out, ct), nd);
    const Tensor xc = lift(need_w ? nn_meta::contiguous_as(x, ct) : x, nd);
    const Tensor wc = lift(nn_meta::contiguous_as(w, ct), nd);
    if (!p.transposed) {
      conv_backward(op, g.grad_x, g.grad_w, g.grad_b, gy, xc, wc, p);
    } else {
      // y = conv^T(x): dx = conv(dy), dw = conv's weight gradient with x as its output gradient.
      if (need_x) conv_forward(op, g.grad_x, gy, wc, Tensor(), p);
      if (need_w) conv_backward(op, Tensor(), g.grad_w, Tensor(), xc, gy, wc, p);
      if (need_b) copy_(g.grad_b, sum_but_channels(gy));
    }
  }
  if (g.grad_x) {
    g.grad_x = to_dtype(unlift(g.grad_x, nd), x->dtype());
    if (unbatched) g.grad_x = squeeze_dim(g.grad_x, 0);
  }
  if (g.grad_w) g.grad_w = to_dtype(unlift(g.grad_w, nd), x->dtype());
  if (g.grad_b) g.grad_b = to_dtype(g.grad_b, x->dtype());
  return g;
}

// ---- unfold / fold ----
namespace {

void check_unfold_params(const char* op, const UnfoldParams& p) {
  for (int i = 0; i < 2; ++i) {
    EMBER_CHECK(
        p.kernel[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
        ": kernel size should be greater than zero, but got kernel_size=", pair_str(p.kernel));
    EMBER_CHECK(p.dilation[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": dilation should be greater than zero, but got dilation=", pair_str(p.dilation));
    EMBER_CHECK(p.padding[i] >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": padding should be non-negative, but got padding=", pair_str(p.padding));
    EMBER_CHECK(p.stride[i] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": stride should be greater than zero, but got stride=", pair_str(p.stride));
  }
}

// The number of sliding blocks along each dim of an (h, w) plane (may be < 1: callers check).
std::array<int64_t, 2> blocks(int64_t h, int64_t w, const UnfoldParams& p) {
  const int64_t in[2] = {h, w};
  std::array<int64_t, 2> out{};
  for (int i = 0; i < 2; ++i) {
    out[i] = (in[i] + 2 * p.padding[i] - (p.dilation[i] * (p.kernel[i] - 1) + 1)) / p.stride[i] + 1;
    if (in[i] + 2 * p.padding[i] < p.dilation[i] * (p.kernel[i] - 1) + 1) out[i] = 0;
  }
  return out;
}

std::string blocks_message(const char* op, int64_t h, int64_t w, const UnfoldParams& p,
                           std::array<int64_t, 2> b) {
  return str(op, ": Given input with spatial size (", h, ", ", w,
             "), kernel_size=", pair_str(p.kernel), ", dilation=", pair_str(p.dilation),
             ", padding=", pair_str(p.padding),
             ", calculated shape of the array of sliding blocks as ", pair_str(b),
             ", but its components must be at least one.");
}

}  // namespace

Tensor unfold(const Tensor& x_in, const UnfoldParams& p) {
  const char* op = "unfold";
  EMBER_CHECK((x_in->dim() == 3 || x_in->dim() == 4) && x_in->size(x_in->dim() - 1) > 0 &&
                  x_in->size(x_in->dim() - 2) > 0 && x_in->size(x_in->dim() - 3) > 0,
              EMBER_ERROR_SHAPE, op,
              ": Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
              "but got: ",
              meta::describe(x_in));
  check_unfold_params(op, p);
  nn_meta::check_floating(op, "input", x_in);
  const Tensor x = x_in->dim() == 3 ? unsqueeze(x_in, 0) : x_in;
  const auto b = blocks(x->size(2), x->size(3), p);
  EMBER_CHECK(b[0] >= 1 && b[1] >= 1, EMBER_ERROR_SHAPE,
              blocks_message(op, x->size(2), x->size(3), p, b));
  const DType ct = nn_meta::compute_dtype(x->dtype());
  Tensor cols =
      empty({x->size(0), x->size(1) * p.kernel[0] * p.kernel[1], b[0] * b[1]}, ct, x->device());
  if (cols->numel() > 0) im2col_stub(op, x->device(), cols, nn_meta::contiguous_as(x, ct), p);
  cols = to_dtype(cols, x->dtype());
  return x_in->dim() == 3 ? squeeze_dim(cols, 0) : cols;
}

Tensor fold(const Tensor& cols_in, std::array<int64_t, 2> output_size, const UnfoldParams& p) {
  const char* op = "fold";
  EMBER_CHECK((cols_in->dim() == 2 || cols_in->dim() == 3) &&
                  cols_in->size(cols_in->dim() - 1) > 0 && cols_in->size(cols_in->dim() - 2) > 0,
              EMBER_ERROR_SHAPE, op,
              ": Expected 2D or 3D (batch mode) input tensor with non-zero dims 1 and 2 "
              "(optional 0 dim batch size), but got: ",
              meta::describe(cols_in));
  check_unfold_params(op, p);
  EMBER_CHECK(
      output_size[0] > 0 && output_size[1] > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
      ": output_size should be greater than zero, but got output_size=", pair_str(output_size));
  nn_meta::check_floating(op, "input", cols_in);
  const Tensor cols = cols_in->dim() == 2 ? unsqueeze(cols_in, 0) : cols_in;
  const int64_t k = p.kernel[0] * p.kernel[1];
  EMBER_CHECK(cols->size(1) % k == 0, EMBER_ERROR_SHAPE, op,
              ": Expected size of input's dimension 1 to be divisible by the product of "
              "kernel_size, but got input.size(1)=",
              cols->size(1), " and kernel_size=", pair_str(p.kernel));
  const auto b = blocks(output_size[0], output_size[1], p);
  EMBER_CHECK(b[0] >= 1 && b[1] >= 1, EMBER_ERROR_SHAPE,
              blocks_message(op, output_size[0], output_size[1], p, b));
  EMBER_CHECK(cols->size(2) == b[0] * b[1], EMBER_ERROR_SHAPE, op,
              ": Given output_size=", pair_str(output_size), ", kernel_size=", pair_str(p.kernel),
              ", dilation=", pair_str(p.dilation), ", padding=", pair_str(p.padding),
              ", stride=", pair_str(p.stride),
              ", expected size of input's dimension 2 to match the calculated "
              "number of sliding blocks ",
              b[0], " * ", b[1], " = ", b[0] * b[1], ", but got input.size(2)=", cols->size(2),
              ".");
  const DType ct = nn_meta::compute_dtype(cols->dtype());
  Tensor out =
      empty({cols->size(0), cols->size(1) / k, output_size[0], output_size[1]}, ct, cols->device());
  if (out->numel() > 0) col2im_stub(op, cols->device(), out, nn_meta::contiguous_as(cols, ct), p);
  out = to_dtype(out, cols->dtype());
  return cols_in->dim() == 2 ? squeeze_dim(out, 0) : out;
}

}  // namespace ops
}  // namespace ember
