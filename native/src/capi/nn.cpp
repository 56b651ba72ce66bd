// C ABI: neural-network kernels (ember/nn.h).
#include "ember/nn.h"

#include <array>

#include "core/nn_ops.h"
#include "shim.h"

using namespace ember;
using capi::hand_out;
using capi::In;
using capi::optional_in;
using ops::CompareOp;

namespace {

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

// ---- normalization ----
namespace {

// Three results (out, mean, rstd; mean may be absent for rms_norm), handed out together.
void hand_norm(ember_tensor* out, ember_tensor* mean, ember_tensor* rstd, ops::NormResult r) {
  *out = hand_out(std::move(r.out));
  if (mean) *mean = hand_out(std::move(r.mean));
  *rstd = hand_out(std::move(r.rstd));
}

void check_grad_outs(const char* op, int32_t need_x, ember_tensor* gx, int32_t need_w,
                     ember_tensor* gw, int32_t need_b, ember_tensor* gb) {
  if (need_x) capi::check_out(op, gx);
  if (need_w) capi::check_out(op, gw);
  if (need_b) capi::check_out(op, gb);
}

void hand_grads(ops::NormGrads g, ember_tensor* gx, ember_tensor* gw, ember_tensor* gb) {
  if (gx) *gx = hand_out(std::move(g.grad_x));
  if (gw) *gw = hand_out(std::move(g.grad_w));
  if (gb) *gb = hand_out(std::move(g.grad_b));
}

std::span<const int64_t> normalized_arg(const char* op, const int64_t* shape, int32_t ndim) {
  EMBER_CHECK(ndim >= 1, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": normalized_shape needs at least one dim, got ndim ", ndim);
  return capi::shape_arg(op, shape, ndim);
}

}  // namespace

extern "C" {

EMBER_API ember_status ember_batch_norm(ember_tensor x, ember_tensor weight, ember_tensor bias,
                                        ember_tensor running_mean, ember_tensor running_var,
                                        int32_t training, double momentum, double eps,
                                        ember_tensor* out, ember_tensor* save_mean,
                                        ember_tensor* save_invstd) {
  return capi::guard("batch_norm", [&](const char* op) {
    capi::check_out(op, out);
    capi::check_out(op, save_mean);
    capi::check_out(op, save_invstd);
    hand_norm(out, save_mean, save_invstd,
              ops::batch_norm(In(op, x), optional_in(weight), optional_in(bias),
                              optional_in(running_mean), optional_in(running_var), training != 0,
                              momentum, eps));
  });
}

EMBER_API ember_status ember_batch_norm_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor weight, ember_tensor save_mean,
                                                 ember_tensor save_invstd, int32_t training,
                                                 int32_t need_input, int32_t need_weight,
                                                 int32_t need_bias, ember_tensor* grad_x,
                                                 ember_tensor* grad_w, ember_tensor* grad_b) {
  return capi::guard("batch_norm_backward", [&](const char* op) {
    check_grad_outs(op, need_input, grad_x, need_weight, grad_w, need_bias, grad_b);
    hand_grads(ops::batch_norm_backward(In(op, grad_out), In(op, x), optional_in(weight),
                                        In(op, save_mean), In(op, save_invstd), training != 0,
                                        need_input != 0, need_weight != 0, need_bias != 0),
               grad_x, grad_w, grad_b);
  });
}

EMBER_API ember_status ember_layer_norm(ember_tensor x, const int64_t* normalized_shape,
                                        int32_t ndim, ember_tensor weight, ember_tensor bias,
                                        double eps, ember_tensor* out, ember_tensor* mean_out,
                                        ember_tensor* rstd_out) {
  return capi::guard("layer_norm", [&](const char* op) {
    capi::check_out(op, out);
    capi::check_out(op, mean_out);
    capi::check_out(op, rstd_out);
    hand_norm(out, mean_out, rstd_out,
              ops::layer_norm(In(op, x), normalized_arg(op, normalized_shape, ndim),
                              optional_in(weight), optional_in(bias), eps, false));
  });
}

EMBER_API ember_status ember_layer_norm_backward(ember_tensor grad_out, ember_tensor x,
                                                 const int64_t* normalized_shape, int32_t ndim,
                                                 ember_tensor mean, ember_tensor rstd,
                                                 ember_tensor weight, int32_t need_input,
                                                 int32_t need_weight, int32_t need_bias,
                                                 ember_tensor* grad_x, ember_tensor* grad_w,
                                                 ember_tensor* grad_b) {
  return capi::guard("layer_norm_backward", [&](const char* op) {
    check_grad_outs(op, need_input, grad_x, need_weight, grad_w, need_bias, grad_b);
    hand_grads(ops::layer_norm_backward(In(op, grad_out), In(op, x),
                                        normalized_arg(op, normalized_shape, ndim), In(op, mean),
                                        In(op, rstd), optional_in(weight), false, need_input != 0,
                                        need_weight != 0, need_bias != 0),
               grad_x, grad_w, grad_b);
  });
}

EMBER_API ember_status ember_rms_norm(ember_tensor x, const int64_t* normalized_shape, int32_t ndim,
                                      ember_tensor weight, double eps, ember_tensor* out,
                                      ember_tensor* rstd_out) {
  return capi::guard("rms_norm", [&](const char* op) {
    capi::check_out(op, out);
    capi::check_out(op, rstd_out);
    hand_norm(out, nullptr, rstd_out,
              ops::layer_norm(In(op, x), normalized_arg(op, normalized_shape, ndim),
                              optional_in(weight), Tensor(), eps, true));
  });
}

EMBER_API ember_status ember_rms_norm_backward(ember_tensor grad_out, ember_tensor x,
                                               const int64_t* normalized_shape, int32_t ndim,
                                               ember_tensor rstd, ember_tensor weight,
                                               int32_t need_input, int32_t need_weight,
                                               ember_tensor* grad_x, ember_tensor* grad_w) {
  return capi::guard("rms_norm_backward", [&](const char* op) {
    check_grad_outs(op, need_input, grad_x, need_weight, grad_w, 0, nullptr);
    hand_grads(ops::layer_norm_backward(In(op, grad_out), In(op, x),
                                        normalized_arg(op, normalized_shape, ndim), Tensor(),
                                        In(op, rstd), optional_in(weight), true, need_input != 0,
                                        need_weight != 0, false),
               grad_x, grad_w, nullptr);
  });
}

EMBER_API ember_status ember_group_norm(ember_tensor x, int64_t groups, ember_tensor weight,
                                        ember_tensor bias, double eps, ember_tensor* out,
                                        ember_tensor* mean_out, ember_tensor* rstd_out) {
  return capi::guard("group_norm", [&](const char* op) {
    capi::check_out(op, out);
    capi::check_out(op, mean_out);
    capi::check_out(op, rstd_out);
    hand_norm(out, mean_out, rstd_out,
              ops::group_norm(In(op, x), groups, optional_in(weight), optional_in(bias), eps));
  });
}

EMBER_API ember_status ember_group_norm_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor mean, ember_tensor rstd,
                                                 ember_tensor weight, int64_t groups,
                                                 int32_t need_input, int32_t need_weight,
                                                 int32_t need_bias, ember_tensor* grad_x,
                                                 ember_tensor* grad_w, ember_tensor* grad_b) {
  return capi::guard("group_norm_backward", [&](const char* op) {
    check_grad_outs(op, need_input, grad_x, need_weight, grad_w, need_bias, grad_b);
    hand_grads(ops::group_norm_backward(In(op, grad_out), In(op, x), In(op, mean), In(op, rstd),
                                        optional_in(weight), groups, need_input != 0,
                                        need_weight != 0, need_bias != 0),
               grad_x, grad_w, grad_b);
  });
}

}  // extern "C"

// ---- embeddings ----
extern "C" {

EMBER_API ember_status ember_embedding_backward(ember_tensor grad, ember_tensor indices,
                                                int64_t num_weights, int64_t padding_idx,
                                                int32_t scale_grad_by_freq,
                                                ember_tensor* grad_weight) {
  return capi::make("embedding_backward", grad_weight, [&](const char* op) {
    return ops::embedding_backward(In(op, grad), In(op, indices), num_weights, padding_idx,
                                   scale_grad_by_freq != 0);
  });
}

EMBER_API ember_status ember_embedding_renorm_(ember_tensor weight, ember_tensor indices,
                                               double max_norm, double norm_type) {
  return capi::guard("embedding_renorm_", [&](const char* op) {
    ops::embedding_renorm_(In(op, weight), In(op, indices), max_norm, norm_type);
  });
}

EMBER_API ember_status ember_embedding_bag(ember_tensor weight, ember_tensor indices,
                                           ember_tensor offsets, int32_t mode,
                                           ember_tensor per_sample_weights,
                                           int32_t include_last_offset, int64_t padding_idx,
                                           ember_tensor* out, ember_tensor* max_indices_out) {
  return capi::guard("embedding_bag", [&](const char* op) {
    capi::check_out(op, out);
    if (mode == EMBER_BAG_MAX) capi::check_out(op, max_indices_out);
    auto [o, m] = ops::embedding_bag(
        In(op, weight), In(op, indices), In(op, offsets), static_cast<ops::BagMode>(mode),
        optional_in(per_sample_weights), include_last_offset != 0, padding_idx);
    *out = hand_out(std::move(o));
    if (max_indices_out) *max_indices_out = hand_out(std::move(m));
  });
}

EMBER_API ember_status ember_embedding_bag_backward(
    ember_tensor grad, ember_tensor indices, ember_tensor offsets, ember_tensor max_indices,
    int64_t num_weights, int32_t mode, ember_tensor per_sample_weights, int32_t include_last_offset,
    int64_t padding_idx, ember_tensor* grad_weight) {
  return capi::make("embedding_bag_backward", grad_weight, [&](const char* op) {
    return ops::embedding_bag_backward(
        In(op, grad), In(op, indices), In(op, offsets), optional_in(max_indices), num_weights,
        static_cast<ops::BagMode>(mode), optional_in(per_sample_weights), include_last_offset != 0,
        padding_idx);
  });
}

EMBER_API ember_status ember_embedding_bag_per_sample_weights_backward(
    ember_tensor grad, ember_tensor weight, ember_tensor indices, ember_tensor offsets,
    int32_t include_last_offset, int64_t padding_idx, ember_tensor* grad_per_sample_weights) {
  return capi::make("embedding_bag_per_sample_weights_backward", grad_per_sample_weights,
                    [&](const char* op) {
                      return ops::embedding_bag_per_sample_weights_backward(
                          In(op, grad), In(op, weight), In(op, indices), In(op, offsets),
                          include_last_offset != 0, padding_idx);
                    });
}

}  // extern "C"
