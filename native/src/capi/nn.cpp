// C ABI: neural-network kernels (ember/nn.h).
#include "ember/nn.h"

#include <array>

#include "core/nn_ops.h"
#include "shim.h"

using namespace ember;
using capi::In;
using ops::CompareOp;

namespace {

// A tensor handle that may be NULL (an optional operand), borrowed for one call.
Tensor optional_in(ember_tensor h) {
  return h ? Tensor::share(reinterpret_cast<TensorImpl*>(h)) : Tensor();
}

ember_tensor hand_out(Tensor t) { return reinterpret_cast<ember_tensor>(t.release_ownership()); }

// (h, w) from a pointer, or fallback when it is NULL.
std::array<int64_t, 2> pair_arg(const int64_t* p, std::array<int64_t, 2> fallback) {
  return p ? std::array<int64_t, 2>{p[0], p[1]} : fallback;
}

ops::Conv2dParams conv_params(const int64_t* stride2, const int64_t* padding2,
                              const int64_t* dilation2, int64_t groups) {
  ops::Conv2dParams p;
  p.stride = pair_arg(stride2, {1, 1});
  p.padding = pair_arg(padding2, {0, 0});
  p.dilation = pair_arg(dilation2, {1, 1});
  p.groups = groups;
  return p;
}

ops::Pool2dParams pool_params(const char* op, const int64_t* kernel2, const int64_t* stride2,
                              const int64_t* padding2, const int64_t* dilation2,
                              int32_t ceil_mode) {
  if (kernel2 == nullptr) capi::null_argument(op, "kernel size");
  ops::Pool2dParams p;
  p.kernel = {kernel2[0], kernel2[1]};
  p.stride = pair_arg(stride2, p.kernel);
  p.padding = pair_arg(padding2, {0, 0});
  p.dilation = pair_arg(dilation2, {1, 1});
  p.ceil_mode = ceil_mode != 0;
  return p;
}

// Ops with two results: both handles are written only once everything succeeded.
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

ember_status compare(const char* name, CompareOp op, ember_tensor a, ember_tensor b,
                     ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) { return ops::compare(op, In(n, a), In(n, b)); });
}

ember_status compare_scalar(const char* name, CompareOp op, ember_tensor a, ember_scalar b,
                            ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) {
    return ops::compare_scalar(op, In(n, a), capi::scalar_arg(n, b));
  });
}

}  // namespace

extern "C" {

// ---- activations ----
EMBER_API ember_status ember_relu(ember_tensor x, ember_tensor* out) {
  return capi::make("relu", out, [&](const char* op) { return ops::relu(In(op, x)); });
}
EMBER_API ember_status ember_relu_(ember_tensor x) {
  return capi::guard("relu_", [&](const char* op) { ops::relu_(In(op, x)); });
}
EMBER_API ember_status ember_threshold_backward(ember_tensor grad, ember_tensor x,
                                                ember_scalar threshold, ember_tensor* out) {
  return capi::make("threshold_backward", out, [&](const char* op) {
    return ops::threshold_backward(In(op, grad), In(op, x), capi::scalar_arg(op, threshold));
  });
}

// ---- comparisons ----
EMBER_API ember_status ember_eq(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return compare("eq", CompareOp::Eq, a, b, out);
}
EMBER_API ember_status ember_ne(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return compare("ne", CompareOp::Ne, a, b, out);
}
EMBER_API ember_status ember_lt(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return compare("lt", CompareOp::Lt, a, b, out);
}
EMBER_API ember_status ember_le(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return compare("le", CompareOp::Le, a, b, out);
}
EMBER_API ember_status ember_gt(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return compare("gt", CompareOp::Gt, a, b, out);
}
EMBER_API ember_status ember_ge(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return compare("ge", CompareOp::Ge, a, b, out);
}
EMBER_API ember_status ember_eq_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return compare_scalar("eq", CompareOp::Eq, a, b, out);
}
EMBER_API ember_status ember_ne_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return compare_scalar("ne", CompareOp::Ne, a, b, out);
}
EMBER_API ember_status ember_lt_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return compare_scalar("lt", CompareOp::Lt, a, b, out);
}
EMBER_API ember_status ember_le_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return compare_scalar("le", CompareOp::Le, a, b, out);
}
EMBER_API ember_status ember_gt_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return compare_scalar("gt", CompareOp::Gt, a, b, out);
}
EMBER_API ember_status ember_ge_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return compare_scalar("ge", CompareOp::Ge, a, b, out);
}

// ---- arg reductions ----
EMBER_API ember_status ember_argmax(ember_tensor x, int32_t dim, int32_t keepdim,
                                    ember_tensor* out) {
  return capi::make("argmax", out,
                    [&](const char* op) { return ops::argmax(In(op, x), dim, keepdim != 0); });
}
EMBER_API ember_status ember_max_dim(ember_tensor x, int32_t dim, int32_t keepdim,
                                     ember_tensor* values_out, ember_tensor* indices_out) {
  return make2("max", values_out, indices_out,
               [&](const char* op) { return ops::max_dim(In(op, x), dim, keepdim != 0); });
}

// ---- linear and convolution ----
EMBER_API ember_status ember_linear(ember_tensor x, ember_tensor w, ember_tensor b,
                                    ember_tensor* out) {
  return capi::make("linear", out, [&](const char* op) {
    return ops::linear(In(op, x), In(op, w), optional_in(b));
  });
}

EMBER_API ember_status ember_conv2d(ember_tensor x, ember_tensor w, ember_tensor b,
                                    const int64_t* stride2, const int64_t* padding2,
                                    const int64_t* dilation2, int64_t groups, ember_tensor* out) {
  return capi::make("conv2d", out, [&](const char* op) {
    return ops::conv2d(In(op, x), In(op, w), optional_in(b),
                       conv_params(stride2, padding2, dilation2, groups));
  });
}

EMBER_API ember_status ember_conv2d_backward(ember_tensor grad_out, ember_tensor x, ember_tensor w,
                                             const int64_t* stride2, const int64_t* padding2,
                                             const int64_t* dilation2, int64_t groups,
                                             int32_t need_input, int32_t need_weight,
                                             int32_t need_bias, ember_tensor* grad_x,
                                             ember_tensor* grad_w, ember_tensor* grad_b) {
  return capi::guard("conv2d_backward", [&](const char* op) {
    if (need_input) capi::check_out(op, grad_x);
    if (need_weight) capi::check_out(op, grad_w);
    if (need_bias) capi::check_out(op, grad_b);
    ops::Conv2dGrads g = ops::conv2d_backward(In(op, grad_out), In(op, x), In(op, w),
                                              conv_params(stride2, padding2, dilation2, groups),
                                              need_input != 0, need_weight != 0, need_bias != 0);
    if (grad_x) *grad_x = hand_out(std::move(g.grad_x));
    if (grad_w) *grad_w = hand_out(std::move(g.grad_w));
    if (grad_b) *grad_b = hand_out(std::move(g.grad_b));
  });
}

// ---- pooling ----
EMBER_API ember_status ember_max_pool2d(ember_tensor x, const int64_t* kernel2,
                                        const int64_t* stride2, const int64_t* padding2,
                                        const int64_t* dilation2, int32_t ceil_mode,
                                        ember_tensor* out, ember_tensor* indices_out) {
  return make2("max_pool2d", out, indices_out, [&](const char* op) {
    return ops::max_pool2d(In(op, x),
                           pool_params(op, kernel2, stride2, padding2, dilation2, ceil_mode));
  });
}

EMBER_API ember_status ember_max_pool2d_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor indices, const int64_t* kernel2,
                                                 const int64_t* stride2, const int64_t* padding2,
                                                 const int64_t* dilation2, int32_t ceil_mode,
                                                 ember_tensor* grad_x) {
  return capi::make("max_pool2d_backward", grad_x, [&](const char* op) {
    return ops::max_pool2d_backward(
        In(op, grad_out), In(op, x), In(op, indices),
        pool_params(op, kernel2, stride2, padding2, dilation2, ceil_mode));
  });
}

// ---- softmax ----
EMBER_API ember_status ember_log_softmax(ember_tensor x, int32_t dim, ember_tensor* out) {
  return capi::make("log_softmax", out,
                    [&](const char* op) { return ops::log_softmax(In(op, x), dim); });
}
EMBER_API ember_status ember_log_softmax_backward(ember_tensor grad_out, ember_tensor output,
                                                  int32_t dim, ember_tensor* grad_x) {
  return capi::make("log_softmax_backward", grad_x, [&](const char* op) {
    return ops::log_softmax_backward(In(op, grad_out), In(op, output), dim);
  });
}
EMBER_API ember_status ember_softmax(ember_tensor x, int32_t dim, ember_tensor* out) {
  return capi::make("softmax", out, [&](const char* op) { return ops::softmax(In(op, x), dim); });
}
EMBER_API ember_status ember_softmax_backward(ember_tensor grad_out, ember_tensor output,
                                              int32_t dim, ember_tensor* grad_x) {
  return capi::make("softmax_backward", grad_x, [&](const char* op) {
    return ops::softmax_backward(In(op, grad_out), In(op, output), dim);
  });
}

// ---- losses ----
EMBER_API ember_status ember_nll_loss(ember_tensor logp, ember_tensor target, ember_tensor weight,
                                      int32_t reduction, int64_t ignore_index, ember_tensor* out,
                                      ember_tensor* total_weight_out) {
  return make2("nll_loss", out, total_weight_out, [&](const char* op) {
    return ops::nll_loss(In(op, logp), In(op, target), optional_in(weight),
                         static_cast<ops::Reduction>(reduction), ignore_index);
  });
}

EMBER_API ember_status ember_nll_loss_backward(ember_tensor grad_out, ember_tensor logp,
                                               ember_tensor target, ember_tensor weight,
                                               int32_t reduction, int64_t ignore_index,
                                               ember_tensor total_weight, ember_tensor* grad_x) {
  return capi::make("nll_loss_backward", grad_x, [&](const char* op) {
    return ops::nll_loss_backward(In(op, grad_out), In(op, logp), In(op, target),
                                  optional_in(weight), static_cast<ops::Reduction>(reduction),
                                  ignore_index, In(op, total_weight));
  });
}

// ---- dropout ----
EMBER_API ember_status ember_dropout(ember_tensor x, double p, int32_t train, ember_generator gen,
                                     ember_tensor* out, ember_tensor* mask_out) {
  return make2("dropout", out, mask_out, [&](const char* op) {
    return ops::dropout(In(op, x), p, train != 0, capi::generator_arg(gen));
  });
}

EMBER_API ember_status ember_feature_dropout(ember_tensor x, double p, int32_t train,
                                             ember_generator gen, ember_tensor* out,
                                             ember_tensor* mask_out) {
  return make2("feature_dropout", out, mask_out, [&](const char* op) {
    return ops::feature_dropout(In(op, x), p, train != 0, capi::generator_arg(gen));
  });
}

}  // extern "C"
