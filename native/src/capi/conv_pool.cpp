// C ABI: convolution over 1 to 3 dims, the pooling family beside max_pool2d, unfold / fold
// (ember/conv_pool.h).
#include "ember/conv_pool.h"

#include <array>
#include <utility>

#include "core/nn_conv_pool.h"
#include "shim.h"

using namespace ember;
using capi::hand_out;
using capi::In;
using capi::optional_in;

namespace {

template <std::size_t N>
std::array<int64_t, N> array_arg(const int64_t* p, int64_t n, int64_t fallback) {
  std::array<int64_t, N> a{};
  a.fill(fallback);
  if (p) {
    for (int64_t i = 0; i < n; ++i) a[i] = p[i];
  }
  return a;
}

ops::ConvParams conv_params(const char* op, int32_t dims, const int64_t* stride,
                            const int64_t* padding, const int64_t* dilation, int32_t transposed,
                            const int64_t* output_padding, int64_t groups) {
  EMBER_CHECK(dims >= 1 && dims <= 3, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected 1 to 3 spatial dims, got ", dims);
  ops::ConvParams p;
  p.dims = dims;
  p.stride = array_arg<3>(stride, dims, 1);
  p.padding = array_arg<3>(padding, dims, 0);
  p.dilation = array_arg<3>(dilation, dims, 1);
  p.output_padding = array_arg<3>(output_padding, dims, 0);
  p.groups = groups;
  p.transposed = transposed != 0;
  return p;
}

// 1-d pooling arguments sit in the second entry (the kernels see a (1, k) window).
ops::AvgPoolParams avg_params(const char* op, int32_t dims, const int64_t* kernel,
                              const int64_t* stride, const int64_t* padding, int32_t ceil_mode,
                              int32_t count_include_pad, int64_t divisor_override) {
  EMBER_CHECK(dims == 1 || dims == 2, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected 1 or 2 pooled dims, got ", dims);
  if (kernel == nullptr) capi::null_argument(op, "kernel size");
  ops::AvgPoolParams p;
  p.dims = dims;
  const int first = 2 - dims;
  for (int i = 0; i < dims; ++i) {
    p.kernel[first + i] = kernel[i];
    p.stride[first + i] = stride ? stride[i] : kernel[i];
    p.padding[first + i] = padding ? padding[i] : 0;
  }
  p.ceil_mode = ceil_mode != 0;
  p.count_include_pad = count_include_pad != 0;
  p.divisor_override = divisor_override;
  return p;
}

ops::UnfoldParams unfold_params(const char* op, const int64_t* kernel2, const int64_t* dilation2,
                                const int64_t* padding2, const int64_t* stride2) {
  if (kernel2 == nullptr) capi::null_argument(op, "kernel size");
  ops::UnfoldParams p;
  p.kernel = {kernel2[0], kernel2[1]};
  p.dilation = array_arg<2>(dilation2, 2, 1);
  p.padding = array_arg<2>(padding2, 2, 0);
  p.stride = array_arg<2>(stride2, 2, 1);
  return p;
}

std::span<const int64_t> sizes_of(const char* op, const int64_t* output_size, int32_t dims) {
  EMBER_CHECK(dims == 1 || dims == 2, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected 1 or 2 pooled dims, got ", dims);
  if (output_size == nullptr) capi::null_argument(op, "output size");
  return {output_size, static_cast<std::size_t>(dims)};
}

template <class F>
ember_status make2(const char* op, ember_tensor* out1, ember_tensor* out2, F&& body) noexcept {
  return capi::guard(op, [&](const char* o) {
    capi::check_out(o, out1);
    capi::check_out(o, out2);
    std::pair<Tensor, Tensor> r = body(o);
    *out1 = hand_out(std::move(r.first));
    *out2 = hand_out(std::move(r.second));
  });
}

}  // namespace

// ---- convolution ----
EMBER_API ember_status ember_convolution(ember_tensor x, ember_tensor w, ember_tensor b,
                                         int32_t dims, const int64_t* stride,
                                         const int64_t* padding, const int64_t* dilation,
                                         int32_t transposed, const int64_t* output_padding,
                                         int64_t groups, ember_tensor* out) {
  return capi::make("convolution", out, [&](const char* op) {
    return ops::convolution(
        In(op, x), In(op, w), optional_in(b),
        conv_params(op, dims, stride, padding, dilation, transposed, output_padding, groups));
  });
}

EMBER_API ember_status ember_convolution_backward(
    ember_tensor grad_out, ember_tensor x, ember_tensor w, int32_t dims, const int64_t* stride,
    const int64_t* padding, const int64_t* dilation, int32_t transposed,
    const int64_t* output_padding, int64_t groups, int32_t need_input, int32_t need_weight,
    int32_t need_bias, ember_tensor* grad_x, ember_tensor* grad_w, ember_tensor* grad_b) {
  return capi::guard("convolution_backward", [&](const char* op) {
    if (need_input) capi::check_out(op, grad_x);
    if (need_weight) capi::check_out(op, grad_w);
    if (need_bias) capi::check_out(op, grad_b);
    ops::Conv2dGrads g = ops::convolution_backward(
        In(op, grad_out), In(op, x), In(op, w),
        conv_params(op, dims, stride, padding, dilation, transposed, output_padding, groups),
        need_input != 0, need_weight != 0, need_bias != 0);
    if (grad_x) *grad_x = hand_out(std::move(g.grad_x));
    if (grad_w) *grad_w = hand_out(std::move(g.grad_w));
    if (grad_b) *grad_b = hand_out(std::move(g.grad_b));
  });
}

// ---- pooling ----
EMBER_API ember_status ember_avg_pool(ember_tensor x, int32_t dims, const int64_t* kernel,
                                      const int64_t* stride, const int64_t* padding,
                                      int32_t ceil_mode, int32_t count_include_pad,
                                      int64_t divisor_override, ember_tensor* out) {
  return capi::make("avg_pool", out, [&](const char* op) {
    return ops::avg_pool(In(op, x), avg_params(op, dims, kernel, stride, padding, ceil_mode,
                                               count_include_pad, divisor_override));
  });
}

EMBER_API ember_status ember_avg_pool_backward(ember_tensor grad_out, ember_tensor x, int32_t dims,
                                               const int64_t* kernel, const int64_t* stride,
                                               const int64_t* padding, int32_t ceil_mode,
                                               int32_t count_include_pad, int64_t divisor_override,
                                               ember_tensor* grad_x) {
  return capi::make("avg_pool_backward", grad_x, [&](const char* op) {
    return ops::avg_pool_backward(In(op, grad_out), In(op, x),
                                  avg_params(op, dims, kernel, stride, padding, ceil_mode,
                                             count_include_pad, divisor_override));
  });
}

EMBER_API ember_status ember_max_pool1d(ember_tensor x, int64_t kernel, int64_t stride,
                                        int64_t padding, int64_t dilation, int32_t ceil_mode,
                                        ember_tensor* out, ember_tensor* indices_out) {
  return make2("max_pool1d", out, indices_out, [&](const char* op) {
    return ops::max_pool1d(In(op, x), kernel, stride, padding, dilation, ceil_mode != 0);
  });
}

EMBER_API ember_status ember_max_pool1d_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor indices, int64_t kernel,
                                                 int64_t stride, int64_t padding, int64_t dilation,
                                                 int32_t ceil_mode, ember_tensor* grad_x) {
  return capi::make("max_pool1d_backward", grad_x, [&](const char* op) {
    return ops::max_pool1d_backward(In(op, grad_out), In(op, x), In(op, indices), kernel, stride,
                                    padding, dilation, ceil_mode != 0);
  });
}

EMBER_API ember_status ember_adaptive_avg_pool(ember_tensor x, const int64_t* output_size,
                                               int32_t dims, ember_tensor* out) {
  return capi::make("adaptive_avg_pool", out, [&](const char* op) {
    return ops::adaptive_avg_pool(In(op, x), sizes_of(op, output_size, dims));
  });
}

EMBER_API ember_status ember_adaptive_avg_pool_backward(ember_tensor grad_out, ember_tensor x,
                                                        int32_t dims, ember_tensor* grad_x) {
  return capi::make("adaptive_avg_pool_backward", grad_x, [&](const char* op) {
    return ops::adaptive_avg_pool_backward(In(op, grad_out), In(op, x), dims);
  });
}

EMBER_API ember_status ember_adaptive_max_pool(ember_tensor x, const int64_t* output_size,
                                               int32_t dims, ember_tensor* out,
                                               ember_tensor* indices_out) {
  return make2("adaptive_max_pool", out, indices_out, [&](const char* op) {
    return ops::adaptive_max_pool(In(op, x), sizes_of(op, output_size, dims));
  });
}

EMBER_API ember_status ember_adaptive_max_pool_backward(ember_tensor grad_out, ember_tensor x,
                                                        ember_tensor indices, int32_t dims,
                                                        ember_tensor* grad_x) {
  return capi::make("adaptive_max_pool_backward", grad_x, [&](const char* op) {
    return ops::adaptive_max_pool_backward(In(op, grad_out), In(op, x), In(op, indices), dims);
  });
}

// ---- unfold / fold ----
EMBER_API ember_status ember_unfold(ember_tensor x, const int64_t* kernel2,
                                    const int64_t* dilation2, const int64_t* padding2,
                                    const int64_t* stride2, ember_tensor* out) {
  return capi::make("unfold", out, [&](const char* op) {
    return ops::unfold(In(op, x), unfold_params(op, kernel2, dilation2, padding2, stride2));
  });
}

EMBER_API ember_status ember_fold(ember_tensor x, const int64_t* output_size2,
                                  const int64_t* kernel2, const int64_t* dilation2,
                                  const int64_t* padding2, const int64_t* stride2,
                                  ember_tensor* out) {
  return capi::make("fold", out, [&](const char* op) {
    if (output_size2 == nullptr) capi::null_argument(op, "output size");
    return ops::fold(In(op, x), {output_size2[0], output_size2[1]},
                     unfold_params(op, kernel2, dilation2, padding2, stride2));
  });
}
