/* Ember C ABI: neural-network kernels, forward and backward. Autograd (in C#) composes them.
 * Every function names its PyTorch equivalent. Outputs are new tensors written through the
 * out-parameters; the caller owns each returned handle. Floating kernels support float32 and
 * float64 (float16/bfloat16 are computed in float32) unless a function says otherwise. */
#ifndef EMBER_NN_H
#define EMBER_NN_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- activations ---- */
/* torch.relu(x). */
EMBER_API ember_status ember_relu(ember_tensor x, ember_tensor* out);
/* torch.relu_(x): in place, bumps x's version. */
EMBER_API ember_status ember_relu_(ember_tensor x);
/* torch.ops.aten.threshold_backward(grad, x, threshold): grad where x > threshold, else 0.
 * grad and x broadcast; relu's backward is threshold 0. */
EMBER_API ember_status ember_threshold_backward(ember_tensor grad, ember_tensor x,
                                                ember_scalar threshold, ember_tensor* out);

/* ---- comparisons (broadcast and promote as PyTorch; the result is a bool tensor) ---- */
/* torch.eq(a, b). */
EMBER_API ember_status ember_eq(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.ne(a, b). */
EMBER_API ember_status ember_ne(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.lt(a, b). */
EMBER_API ember_status ember_lt(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.le(a, b). */
EMBER_API ember_status ember_le(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.gt(a, b). */
EMBER_API ember_status ember_gt(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.ge(a, b). */
EMBER_API ember_status ember_ge(ember_tensor a, ember_tensor b, ember_tensor* out);
/* torch.eq(a, b) with a Python number b. */
EMBER_API ember_status ember_eq_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* torch.ne(a, b) with a Python number b. */
EMBER_API ember_status ember_ne_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* torch.lt(a, b) with a Python number b. */
EMBER_API ember_status ember_lt_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* torch.le(a, b) with a Python number b. */
EMBER_API ember_status ember_le_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* torch.gt(a, b) with a Python number b. */
EMBER_API ember_status ember_gt_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* torch.ge(a, b) with a Python number b. */
EMBER_API ember_status ember_ge_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);

/* ---- arg reductions (any dtype; NaN counts as the maximum, as in PyTorch) ---- */
/* torch.argmax(x, dim, keepdim): int64 index of the first maximum along dim (negative dims count
 * from the end; a 0-d x takes dim 0 or -1). */
EMBER_API ember_status ember_argmax(ember_tensor x, int32_t dim, int32_t keepdim,
                                    ember_tensor* out);
/* torch.max(x, dim, keepdim): the maxima (x's dtype) and their first int64 indices. */
EMBER_API ember_status ember_max_dim(ember_tensor x, int32_t dim, int32_t keepdim,
                                     ember_tensor* values_out, ember_tensor* indices_out);

/* ---- linear and convolution ---- */
/* torch.nn.functional.linear(x, w, b): x (*, in) @ w (out, in)^T + b (out), as one GEMM that
 * accumulates onto the broadcast bias. b may be NULL. */
EMBER_API ember_status ember_linear(ember_tensor x, ember_tensor w, ember_tensor b,
                                    ember_tensor* out);
/* torch.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups): x (N, C, H, W) or
 * (C, H, W), w (O, C/groups, kH, kW), b (O) or NULL; stride2/padding2/dilation2 hold (h, w), NULL
 * for PyTorch's defaults (1, 0, 1). */
EMBER_API ember_status ember_conv2d(ember_tensor x, ember_tensor w, ember_tensor b,
                                    const int64_t* stride2, const int64_t* padding2,
                                    const int64_t* dilation2, int64_t groups, ember_tensor* out);
/* torch.ops.aten.convolution_backward for conv2d: the gradients of conv2d's input, weight and
 * bias for grad_out. Each need_* flag chooses whether that gradient is computed; the matching
 * out-parameter receives NULL when it is not (and may itself be NULL then). */
EMBER_API ember_status ember_conv2d_backward(ember_tensor grad_out, ember_tensor x, ember_tensor w,
                                             const int64_t* stride2, const int64_t* padding2,
                                             const int64_t* dilation2, int64_t groups,
                                             int32_t need_input, int32_t need_weight,
                                             int32_t need_bias, ember_tensor* grad_x,
                                             ember_tensor* grad_w, ember_tensor* grad_b);

/* ---- pooling ---- */
/* torch.nn.functional.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode,
 * return_indices=True): x (N, C, H, W) or (C, H, W); stride2 NULL means the kernel size,
 * padding2 / dilation2 NULL mean 0 / 1.
 * indices_out gets int64 flat positions h * W + w within each input plane, as PyTorch's. */
EMBER_API ember_status ember_max_pool2d(ember_tensor x, const int64_t* kernel2,
                                        const int64_t* stride2, const int64_t* padding2,
                                        const int64_t* dilation2, int32_t ceil_mode,
                                        ember_tensor* out, ember_tensor* indices_out);
/* torch.ops.aten.max_pool2d_with_indices_backward: scatters grad_out to the positions in indices
 * (grad_x has x's shape; overlapping windows accumulate). */
EMBER_API ember_status ember_max_pool2d_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor indices, const int64_t* kernel2,
                                                 const int64_t* stride2, const int64_t* padding2,
                                                 const int64_t* dilation2, int32_t ceil_mode,
                                                 ember_tensor* grad_x);

/* ---- softmax ---- */
/* torch.log_softmax(x, dim). */
EMBER_API ember_status ember_log_softmax(ember_tensor x, int32_t dim, ember_tensor* out);
/* torch.ops.aten._log_softmax_backward_data(grad_out, output, dim, dtype):
 * grad_out - exp(output) * sum(grad_out, dim), output being log_softmax's result. */
EMBER_API ember_status ember_log_softmax_backward(ember_tensor grad_out, ember_tensor output,
                                                  int32_t dim, ember_tensor* grad_x);
/* torch.softmax(x, dim). */
EMBER_API ember_status ember_softmax(ember_tensor x, int32_t dim, ember_tensor* out);
/* torch.ops.aten._softmax_backward_data(grad_out, output, dim, dtype):
 * output * (grad_out - sum(grad_out * output, dim)), output being softmax's result. */
EMBER_API ember_status ember_softmax_backward(ember_tensor grad_out, ember_tensor output,
                                              int32_t dim, ember_tensor* grad_x);

/* ---- losses ---- */
/* Values of reduction, as PyTorch's Reduction enum. */
typedef enum ember_reduction {
  EMBER_REDUCTION_NONE = 0,
  EMBER_REDUCTION_MEAN = 1,
  EMBER_REDUCTION_SUM = 2
} ember_reduction;

/* torch.ops.aten.nll_loss_forward(logp, target, weight, reduction, ignore_index): logp (N, C) or
 * (C), target int64 (N) or 0-d, weight (C) or NULL. out is (N) for EMBER_REDUCTION_NONE, else
 * 0-d; total_weight_out (0-d) is the sum of the weights of the targets not ignored (what the mean
 * divides by). A target outside [0, C) that is not ignore_index is EMBER_ERROR_INVALID_ARGUMENT. */
EMBER_API ember_status ember_nll_loss(ember_tensor logp, ember_tensor target, ember_tensor weight,
                                      int32_t reduction, int64_t ignore_index, ember_tensor* out,
                                      ember_tensor* total_weight_out);
/* torch.ops.aten.nll_loss_backward(grad_out, logp, target, weight, reduction, ignore_index,
 * total_weight): grad_x has logp's shape. */
EMBER_API ember_status ember_nll_loss_backward(ember_tensor grad_out, ember_tensor logp,
                                               ember_tensor target, ember_tensor weight,
                                               int32_t reduction, int64_t ignore_index,
                                               ember_tensor total_weight, ember_tensor* grad_x);

/* ---- normalization (float16/bfloat16 inputs are computed in float32; the saved statistics
 * are float32 for them, else the input's dtype) ---- */
/* torch.ops.aten.native_batch_norm(x, weight, bias, running_mean, running_var, training,
 * momentum, eps): x (N, C, *); weight, bias, running_mean, running_var (C) or NULL (the running
 * stats both or neither). Training normalises with the batch's statistics and, when the running
 * stats are given, updates them in place: r = (1 - momentum) * r + momentum * s, running_var taking
 * the unbiased variance. Evaluation normalises with the running stats (required). save_mean and
 * save_invstd (C) receive the mean and 1 / sqrt(var + eps) that were used, for the backward. */
EMBER_API ember_status ember_batch_norm(ember_tensor x, ember_tensor weight, ember_tensor bias,
                                        ember_tensor running_mean, ember_tensor running_var,
                                        int32_t training, double momentum, double eps,
                                        ember_tensor* out, ember_tensor* save_mean,
                                        ember_tensor* save_invstd);
/* torch.ops.aten.native_batch_norm_backward: the gradients of batch_norm's input, weight and bias
 * from its saved statistics; training says whether they were the batch's (which then depend on
 * x). Each need_* flag chooses whether that gradient is computed; the matching out-parameter
 * receives NULL when it is not (and may itself be NULL then). */
EMBER_API ember_status ember_batch_norm_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor weight, ember_tensor save_mean,
                                                 ember_tensor save_invstd, int32_t training,
                                                 int32_t need_input, int32_t need_weight,
                                                 int32_t need_bias, ember_tensor* grad_x,
                                                 ember_tensor* grad_w, ember_tensor* grad_b);
/* torch.ops.aten.native_layer_norm(x, normalized_shape, weight, bias, eps): x (*,
 * normalized_shape) normalised over its last ndim dims; weight, bias of normalized_shape or NULL.
 * mean_out and rstd_out have x's leading dims followed by ndim ones. */
EMBER_API ember_status ember_layer_norm(ember_tensor x, const int64_t* normalized_shape,
                                        int32_t ndim, ember_tensor weight, ember_tensor bias,
                                        double eps, ember_tensor* out, ember_tensor* mean_out,
                                        ember_tensor* rstd_out);
/* torch.ops.aten.native_layer_norm_backward, with ember_batch_norm_backward's need_* rules. */
EMBER_API ember_status ember_layer_norm_backward(ember_tensor grad_out, ember_tensor x,
                                                 const int64_t* normalized_shape, int32_t ndim,
                                                 ember_tensor mean, ember_tensor rstd,
                                                 ember_tensor weight, int32_t need_input,
                                                 int32_t need_weight, int32_t need_bias,
                                                 ember_tensor* grad_x, ember_tensor* grad_w,
                                                 ember_tensor* grad_b);
/* torch.nn.functional.rms_norm(x, normalized_shape, weight, eps) (PyTorch 2.4):
 * x * rsqrt(mean(x^2 over the last ndim dims) + eps) * weight; weight of normalized_shape or
 * NULL. rstd_out as ember_layer_norm's. eps is used as given (PyTorch's default None means the
 * dtype's machine epsilon; the caller passes it). */
EMBER_API ember_status ember_rms_norm(ember_tensor x, const int64_t* normalized_shape, int32_t ndim,
                                      ember_tensor weight, double eps, ember_tensor* out,
                                      ember_tensor* rstd_out);
/* rms_norm's backward: the gradients of its input and weight, with the need_* rules above. */
EMBER_API ember_status ember_rms_norm_backward(ember_tensor grad_out, ember_tensor x,
                                               const int64_t* normalized_shape, int32_t ndim,
                                               ember_tensor rstd, ember_tensor weight,
                                               int32_t need_input, int32_t need_weight,
                                               ember_tensor* grad_x, ember_tensor* grad_w);
/* torch.ops.aten.native_group_norm(x, weight, bias, N, C, HxW, groups, eps): x (N, C, *) with C
 * divisible by groups; weight, bias (C) or NULL; mean_out and rstd_out (N, groups). */
EMBER_API ember_status ember_group_norm(ember_tensor x, int64_t groups, ember_tensor weight,
                                        ember_tensor bias, double eps, ember_tensor* out,
                                        ember_tensor* mean_out, ember_tensor* rstd_out);
/* torch.ops.aten.native_group_norm_backward, with ember_batch_norm_backward's need_* rules. */
EMBER_API ember_status ember_group_norm_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor mean, ember_tensor rstd,
                                                 ember_tensor weight, int64_t groups,
                                                 int32_t need_input, int32_t need_weight,
                                                 int32_t need_bias, ember_tensor* grad_x,
                                                 ember_tensor* grad_w, ember_tensor* grad_b);

/* ---- embeddings (the forward of torch.nn.functional.embedding is ember_embedding in
 * indexing.h; indices are int64 or int32, every value in [0, num_weights)) ---- */
/* torch.ops.aten.embedding_dense_backward(grad, indices, num_weights, padding_idx,
 * scale_grad_by_freq): grad (indices.shape + [D]) summed into the rows of a (num_weights, D)
 * gradient that its indices name; the row at padding_idx (negative: none) stays zero; with
 * scale_grad_by_freq each row's sum is divided by how often its index occurs. */
EMBER_API ember_status ember_embedding_backward(ember_tensor grad, ember_tensor indices,
                                                int64_t num_weights, int64_t padding_idx,
                                                int32_t scale_grad_by_freq,
                                                ember_tensor* grad_weight);
/* torch.embedding_renorm_(weight, indices, max_norm, norm_type): in place, each row of the
 * contiguous float32/float64 weight named in indices whose norm exceeds max_norm is scaled by
 * max_norm / (norm + 1e-7). Bumps weight's version. */
EMBER_API ember_status ember_embedding_renorm_(ember_tensor weight, ember_tensor indices,
                                               double max_norm, double norm_type);
/* Values of embedding_bag's mode, as PyTorch's. */
typedef enum ember_bag_mode {
  EMBER_BAG_SUM = 0,
  EMBER_BAG_MEAN = 1,
  EMBER_BAG_MAX = 2
} ember_bag_mode;
/* torch.nn.functional.embedding_bag(indices, weight, offsets, mode=mode, per_sample_weights,
 * include_last_offset, padding_idx): indices 1-d; bag b holds indices[offsets[b] :
 * offsets[b + 1]] (the last bag runs to the end, or offsets' last entry is that end with
 * include_last_offset). Entries equal to padding_idx (negative: none) are skipped and not counted
 * by the mean. per_sample_weights (like indices, weight's dtype) scales each row, mode sum only;
 * NULL for none. out (B, D); max_indices_out receives the int64 (B, D) rows that gave each
 * maximum for EMBER_BAG_MAX (-1 in empty bags), NULL otherwise (may itself be NULL then). */
EMBER_API ember_status ember_embedding_bag(ember_tensor weight, ember_tensor indices,
                                           ember_tensor offsets, int32_t mode,
                                           ember_tensor per_sample_weights,
                                           int32_t include_last_offset, int64_t padding_idx,
                                           ember_tensor* out, ember_tensor* max_indices_out);
/* embedding_bag's gradient for weight (num_weights, D), from grad (B, D); max_indices is the
 * forward's for EMBER_BAG_MAX, else NULL. */
EMBER_API ember_status ember_embedding_bag_backward(ember_tensor grad, ember_tensor indices,
                                                    ember_tensor offsets, ember_tensor max_indices,
                                                    int64_t num_weights, int32_t mode,
                                                    ember_tensor per_sample_weights,
                                                    int32_t include_last_offset,
                                                    int64_t padding_idx, ember_tensor* grad_weight);
/* embedding_bag's gradient for per_sample_weights (mode sum): entry i is grad[bag of i] .
 * weight[indices[i]] (0 at padding_idx). */
EMBER_API ember_status ember_embedding_bag_per_sample_weights_backward(
    ember_tensor grad, ember_tensor weight, ember_tensor indices, ember_tensor offsets,
    int32_t include_last_offset, int64_t padding_idx, ember_tensor* grad_per_sample_weights);

/* ---- dropout (Philox counters: the result depends on the seed, never on the thread count) ---- */
/* torch.nn.functional.dropout(x, p, training). mask_out gets, per element, 1/(1-p) where kept
 * and 0 where dropped (x's dtype), so that out = x * mask and the backward is grad * mask.
 * When train is 0 or p is 0, *out is a new reference to x and *mask_out is NULL. gen may be NULL
 * for the default generator. p outside [0, 1] is EMBER_ERROR_INVALID_ARGUMENT. */
EMBER_API ember_status ember_dropout(ember_tensor x, double p, int32_t train, ember_generator gen,
                                     ember_tensor* out, ember_tensor* mask_out);
/* torch.ops.aten.feature_dropout(x, p, train), what nn.Dropout2d runs on (N, C, H, W): drops
 * whole channels of x (N, C, *), one draw per (n, c); mask_out has shape (N, C, 1, ...) and
 * broadcasts against x. Same conventions as ember_dropout otherwise. */
EMBER_API ember_status ember_feature_dropout(ember_tensor x, double p, int32_t train,
                                             ember_generator gen, ember_tensor* out,
                                             ember_tensor* mask_out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_NN_H */
