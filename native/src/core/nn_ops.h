// The engine's neural-network and optimizer ops (the C ABI's nn.h and optim.h), used by the shims
// in src/capi and by tests. Each runs its meta function in core (shapes, dtypes, devices), then the
// kernel the dispatch table (nn_dispatch.h) holds for the inputs' device.
// Errors throw ember::Error naming the op, the shapes, the dtypes and the devices.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <utility>

#include "generator.h"
#include "scalar.h"
#include "tensor.h"

namespace ember::ops {

// ---- activations ----
Tensor relu(const Tensor& x);
void relu_(const Tensor& x);  // bumps x's version
// grad where x > threshold, else 0 (grad and x broadcast; the result takes their promoted dtype).
Tensor threshold_backward(const Tensor& grad, const Tensor& x, Scalar threshold);

// ---- comparisons: bool results, broadcasting and promotion as PyTorch ----
enum class CompareOp { Eq, Ne, Lt, Le, Gt, Ge };
Tensor compare(CompareOp op, const Tensor& a, const Tensor& b);
Tensor compare_scalar(CompareOp op, const Tensor& a, Scalar b);

// ---- arg reductions ----
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim);
// (values, int64 indices) of the first maximum along dim.
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim);

// ---- linear and convolution ----
// x (*, in) @ w (out, in)^T + b (out); b may be null.
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

struct Conv2dParams {
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  int64_t groups = 1;
};
// x (N, C, H, W) or (C, H, W); w (O, C / groups, kH, kW); b (O) or null.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);
struct Conv2dGrads {
  Tensor grad_x, grad_w, grad_b;  // null where not asked for
};
Conv2dGrads conv2d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& w,
                            const Conv2dParams& p, bool need_x, bool need_w, bool need_b);

// ---- pooling ----
struct Pool2dParams {
  std::array<int64_t, 2> kernel{1, 1};
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> padding{0, 0};
  std::array<int64_t, 2> dilation{1, 1};
  bool ceil_mode = false;
};
// (out, int64 indices as flat h * W + w within each plane); x (N, C, H, W) or (C, H, W).
std::pair<Tensor, Tensor> max_pool2d(const Tensor& x, const Pool2dParams& p);
Tensor max_pool2d_backward(const Tensor& grad_out, const Tensor& x, const Tensor& indices,
                           const Pool2dParams& p);

// ---- softmax ----
Tensor log_softmax(const Tensor& x, int64_t dim);
Tensor log_softmax_backward(const Tensor& grad_out, const Tensor& output, int64_t dim);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor softmax_backward(const Tensor& grad_out, const Tensor& output, int64_t dim);

// ---- losses ----
enum class Reduction : int32_t { None = 0, Mean = 1, Sum = 2 };
// (loss, total_weight); logp (N, C) or (C), target int64 (N) or 0-d, weight (C) or null.
std::pair<Tensor, Tensor> nll_loss(const Tensor& logp, const Tensor& target, const Tensor& weight,
                                   Reduction reduction, int64_t ignore_index);
Tensor nll_loss_backward(const Tensor& grad_out, const Tensor& logp, const Tensor& target,
                         const Tensor& weight, Reduction reduction, int64_t ignore_index,
                         const Tensor& total_weight);

// ---- dropout: (out, mask) with mask = 1/(1-p) or 0; (x, null) when not training or p == 0 ----
std::pair<Tensor, Tensor> dropout(const Tensor& x, double p, bool train, Generator& gen);
// One draw per (n, c) of x (N, C, *); the mask has shape (N, C, 1, ...).
std::pair<Tensor, Tensor> feature_dropout(const Tensor& x, double p, bool train, Generator& gen);

// ---- normalization (results in x's dtype; statistics in the compute dtype: float32 for the
// 16-bit floats, else x's) ----
struct NormResult {
  Tensor out, mean, rstd;  // mean is null for rms_norm
};
struct NormGrads {
  Tensor grad_x, grad_w, grad_b;  // null where not asked for
};
// x (N, C, *); weight, bias, running_mean, running_var (C) or null. training: batch statistics,
// running stats (when given) updated in place with momentum (running_var unbiased); eval: running
// stats required. mean/rstd (C): the statistics used (batch or running), for the backward.
NormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, bool training,
                      double momentum, double eps);
NormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                              const Tensor& mean, const Tensor& rstd, bool training, bool need_x,
                              bool need_w, bool need_b);
// x (*, normalized_shape); weight, bias of normalized_shape or null; mean/rstd of x's leading dims
// followed by ones (as PyTorch's). rms selects rms_norm (no centering, no bias, mean null).
NormResult layer_norm(const Tensor& x, std::span<const int64_t> normalized_shape,
                      const Tensor& weight, const Tensor& bias, double eps, bool rms);
NormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                              std::span<const int64_t> normalized_shape, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, bool rms, bool need_x,
                              bool need_w, bool need_b);
// x (N, C, *); weight, bias (C) or null; mean/rstd (N, groups).
NormResult group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias,
                      double eps);
NormGrads group_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, int64_t groups, bool need_x,
                              bool need_w, bool need_b);

// ---- embeddings (indices int64, any shape for embedding; 1-d plus offsets for bags) ----
// The gradient of embedding for its weight (num_weights, D): rows of grad (indices.shape + [D])
// summed into the rows their indices name; padding_idx < 0 means none; rows at padding_idx get 0.
Tensor embedding_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights,
                          int64_t padding_idx, bool scale_grad_by_freq);
// Rescales in place each row of weight named in indices whose norm_type-norm exceeds max_norm.
void embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm,
                       double norm_type);
enum class BagMode : int32_t { Sum = 0, Mean = 1, Max = 2 };
// (out (B, D), max_indices (B, D) int64 for Max, else null). indices (n), offsets (B) or (B + 1)
// with include_last_offset; per_sample_weights (n) or null (Sum only).
std::pair<Tensor, Tensor> embedding_bag(const Tensor& weight, const Tensor& indices,
                                        const Tensor& offsets, BagMode mode,
                                        const Tensor& per_sample_weights, bool include_last_offset,
                                        int64_t padding_idx);
Tensor embedding_bag_backward(const Tensor& grad, const Tensor& indices, const Tensor& offsets,
                              const Tensor& max_indices, int64_t num_weights, BagMode mode,
                              const Tensor& per_sample_weights, bool include_last_offset,
                              int64_t padding_idx);
// The gradient of embedding_bag (Sum) for per_sample_weights: grad[bag(i)] . weight[indices[i]].
Tensor embedding_bag_per_sample_weights_backward(const Tensor& grad, const Tensor& weight,
                                                 const Tensor& indices, const Tensor& offsets,
                                                 bool include_last_offset, int64_t padding_idx);

// ---- optimizers: in place, one fused pass per parameter ----
struct SgdOptions {
  double lr = 0, momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false, first_step = false;
};
// momentum_buffers may be empty (or hold nulls) when momentum is 0.
void sgd_step(std::span<const Tensor> params, std::span<const Tensor> grads,
              std::span<const Tensor> momentum_buffers, const SgdOptions& o);

struct AdamOptions {
  int64_t step = 1;  // 1-based, already incremented
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool amsgrad = false, maximize = false, decoupled_weight_decay = false;
};
// max_exp_avg_sqs may be empty (or hold nulls) unless amsgrad.
void adam_step(std::span<const Tensor> params, std::span<const Tensor> grads,
               std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
               std::span<const Tensor> max_exp_avg_sqs, const AdamOptions& o);

// The adaptive optimizers (foreach=False, as torch.optim 1.13 computes them). step is 1-based and
// already incremented where the optimizer counts steps; state lists match params one to one.
struct AdagradOptions {
  int64_t step = 1;
  double lr = 1e-2, lr_decay = 0, weight_decay = 0, eps = 1e-10;
  bool maximize = false;
};
void adagrad_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                  std::span<const Tensor> state_sums, const AdagradOptions& o);
struct RmspropOptions {
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0, momentum = 0;
  bool centered = false, maximize = false;
};
// grad_avgs may be empty unless centered, momentum_buffers unless momentum > 0.
void rmsprop_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                  std::span<const Tensor> square_avgs, std::span<const Tensor> grad_avgs,
                  std::span<const Tensor> momentum_buffers, const RmspropOptions& o);
struct AdadeltaOptions {
  double lr = 1, rho = 0.9, eps = 1e-6, weight_decay = 0;
  bool maximize = false;
};
void adadelta_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                   std::span<const Tensor> square_avgs, std::span<const Tensor> acc_deltas,
                   const AdadeltaOptions& o);
struct AdamaxOptions {
  int64_t step = 1;
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
  bool maximize = false;
};
void adamax_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                 std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_infs,
                 const AdamaxOptions& o);
struct NadamOptions {
  int64_t step = 1;
  double lr = 2e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0, momentum_decay = 4e-3;
  double mu_product = 1;  // the product of the mus of steps 1..step (this step's included)
};
void nadam_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
                const NadamOptions& o);
struct RadamOptions {
  int64_t step = 1;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0;
};
void radam_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
                const RadamOptions& o);

}  // namespace ember::ops
