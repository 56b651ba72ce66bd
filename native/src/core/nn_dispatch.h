// Per-device kernel tables of the nn and optimizer ops (see dispatch.h for the mechanism).
// Kernels may assume what the meta functions in core/nn_*.cpp guarantee, as stated per family:
// every tensor is on the kernel's device, outputs are freshly allocated, shapes fit.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "dispatch.h"
#include "nn_ops.h"

namespace ember {

// out = x <= threshold ? 0 : value. x, value and out share one dtype and out's shape (x and value
// may be broadcast views with stride 0). relu is value == x, threshold 0.
using ThresholdFn = void (*)(const Tensor& out, const Tensor& x, const Tensor& value,
                             Scalar threshold);
// out (bool) = a (op) b; a and b share one dtype and broadcast to out's shape.
using CompareFn = void (*)(ops::CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b);
// out (bool) = a (op) s, s compared in a's dtype as PyTorch does; out has a's shape.
using CompareScalarFn = void (*)(ops::CompareOp op, const Tensor& out, const Tensor& a, Scalar s);
// x is contiguous and seen as (outer, size, inner) with size > 0; values (x's dtype, may be null)
// and indices (int64) are contiguous (outer, inner): the first maximum along the middle dim.
using ArgMaxFn = void (*)(const Tensor& values, const Tensor& indices, const Tensor& x,
                          int64_t outer, int64_t size, int64_t inner);
// out (M, O) = x (M, K) @ w (O, K)^T + b (O); all contiguous, one floating dtype; b may be null.
using LinearFn = void (*)(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b);
// 4-d NCHW tensors, contiguous, one floating dtype; b (O) may be null; out sized by the meta.
using Conv2dFn = void (*)(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b,
                          const ops::Conv2dParams& p);
// Writes whichever of grad_x (x's shape), grad_w (w's shape), grad_b (O) is not null.
using Conv2dBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                                  const Tensor& grad_out, const Tensor& x, const Tensor& w,
                                  const ops::Conv2dParams& p);
// 4-d NCHW, contiguous; out and indices (int64) sized (N, C, Ho, Wo) by the meta; every window
// holds at least one element inside the input (the meta's output-size rule ensures it).
using MaxPool2dFn = void (*)(const Tensor& out, const Tensor& indices, const Tensor& x,
                             const ops::Pool2dParams& p);
// grad_x (N, C, H, W) = 0, then grad_x.plane[indices] += grad_out; all contiguous.
using MaxPool2dBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_out,
                                     const Tensor& indices);
// Contiguous tensors seen as (outer, size, inner), one floating dtype; log picks log_softmax.
using SoftmaxFn = void (*)(const Tensor& out, const Tensor& x, int64_t outer, int64_t size,
                           int64_t inner, bool log);
using SoftmaxBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_out,
                                   const Tensor& output, int64_t outer, int64_t size, int64_t inner,
                                   bool log);
// logp (N, C) contiguous floating, target (N) int64 contiguous, weight (C) contiguous or null;
// out is (N) for Reduction::None, else 0-d; total_weight 0-d. Throws on a target out of [0, C)
// that is not ignore_index.
using NllLossFn = void (*)(const Tensor& out, const Tensor& total_weight, const Tensor& logp,
                           const Tensor& target, const Tensor& weight, ops::Reduction reduction,
                           int64_t ignore_index);
// grad_x (N, C); grad_out is (N) for Reduction::None, else 0-d; total_weight 0-d.
using NllLossBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_out,
                                   const Tensor& target, const Tensor& weight,
                                   ops::Reduction reduction, int64_t ignore_index,
                                   const Tensor& total_weight);
// Element k of contiguous mask is scale when uniform(seed, base + k / 4, word k % 4) < keep, else
// 0; when x and out are not null (same shape and dtype as mask), out = x * mask in the same pass.
using DropoutFn = void (*)(const Tensor& mask, const Tensor& out, const Tensor& x, double keep,
                           double scale, uint64_t seed, uint64_t base);

// Normalization kernels. Every tensor is contiguous and in one compute dtype (float or double);
// optional operands (weight, bias, running stats, gradients not asked for) are null.
// Rows (rows, cols): layer norm, or rms norm when rms (mean null). mean/rstd (rows).
using RowNormFn = void (*)(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                           const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t rows,
                           int64_t cols, double eps, bool rms);
using RowNormBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                                   const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& weight, int64_t rows,
                                   int64_t cols, bool rms);
// x seen as (n, c, s); statistics per channel. Training writes mean/rstd and updates the running
// stats; eval reads the running stats and writes mean/rstd from them.
using BatchNormFn = void (*)(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                             const Tensor& x, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, int64_t n,
                             int64_t c, int64_t s, bool training, double momentum, double eps);
using BatchNormBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_w,
                                     const Tensor& grad_b, const Tensor& grad_out, const Tensor& x,
                                     const Tensor& weight, const Tensor& mean, const Tensor& rstd,
                                     int64_t n, int64_t c, int64_t s, bool training);
// x seen as (n, c, s) with c split into groups; mean/rstd (n, groups).
using GroupNormFn = void (*)(const Tensor& out, const Tensor& mean, const Tensor& rstd,
                             const Tensor& x, const Tensor& weight, const Tensor& bias, int64_t n,
                             int64_t c, int64_t s, int64_t groups, double eps);
using GroupNormBackwardFn = void (*)(const Tensor& grad_x, const Tensor& grad_w,
                                     const Tensor& grad_b, const Tensor& grad_out, const Tensor& x,
                                     const Tensor& mean, const Tensor& rstd, const Tensor& weight,
                                     int64_t n, int64_t c, int64_t s, int64_t groups);

// Embedding kernels: weight / grad contiguous in one floating dtype, indices int64 contiguous
// and already checked to lie in [0, num_weights). Bags are given by bounds (B + 1) int64: bag b
// holds positions [bounds[b], bounds[b + 1]). padding_idx < 0: none.
using EmbeddingBackwardFn = void (*)(const Tensor& grad_weight, const Tensor& grad,
                                     const Tensor& indices, int64_t padding_idx,
                                     bool scale_grad_by_freq);
using EmbeddingRenormFn = void (*)(const Tensor& weight, const Tensor& indices, double max_norm,
                                   double norm_type);
using EmbeddingBagFn = void (*)(const Tensor& out, const Tensor& max_indices, const Tensor& weight,
                                const Tensor& indices, const Tensor& bounds,
                                const Tensor& per_sample_weights, ops::BagMode mode,
                                int64_t padding_idx);
using EmbeddingBagBackwardFn = void (*)(const Tensor& grad_weight, const Tensor& grad,
                                        const Tensor& indices, const Tensor& bounds,
                                        const Tensor& max_indices, const Tensor& per_sample_weights,
                                        ops::BagMode mode, int64_t padding_idx);
using EmbeddingBagPswBackwardFn = void (*)(const Tensor& grad_psw, const Tensor& grad,
                                           const Tensor& weight, const Tensor& indices,
                                           const Tensor& bounds, int64_t padding_idx);

// Scalars an Adam step derives once from its options (as torch.optim.Adam computes them).
struct AdamScalars {
  double step_size;              // lr / (1 - beta1^t)
  double bias_correction2_sqrt;  // sqrt(1 - beta2^t)
};
// One parameter's step; every tensor contiguous with param's shape and dtype; buf / vmax may be
// null when momentum is 0 / amsgrad is off.
using SgdFn = void (*)(const Tensor& param, const Tensor& grad, const Tensor& buf,
                       const ops::SgdOptions& o);
using AdamFn = void (*)(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                        const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq,
                        const ops::AdamOptions& o, const AdamScalars& s);

// Every parameter's step in one call, for backends that update many tensors per kernel launch
// (a GPU's launch costs more than a small parameter's update). Operands as SgdFn's / AdamFn's, one
// list entry per parameter, all on one device; an unused list is empty. Optional: a backend
// without it gets one SgdFn / AdamFn call per parameter.
using SgdMultiFn = void (*)(std::span<const Tensor> params, std::span<const Tensor> grads,
                            std::span<const Tensor> bufs, const ops::SgdOptions& o);
using AdamMultiFn = void (*)(std::span<const Tensor> params, std::span<const Tensor> grads,
                             std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
                             std::span<const Tensor> max_exp_avg_sqs, const ops::AdamOptions& o,
                             const AdamScalars& s);

// One step of an adaptive optimizer, with the scalars its meta function derives once per call.
enum class AdaptiveKind { Adagrad, Rmsprop, Adadelta, Adamax, Nadam, Radam };
struct AdaptiveScalars {
  AdaptiveKind kind;
  double lr = 0, eps = 0, weight_decay = 0;
  double beta1 = 0, beta2 = 0;    // rmsprop: alpha, momentum; adadelta: rho
  double c0 = 0, c1 = 0, c2 = 0;  // per kind, documented where the meta computes them
  bool maximize = false, centered = false, rectified = false;
};
// param, grad and the states (s0, s1, s2; null when unused) contiguous, one dtype.
using AdaptiveFn = void (*)(const Tensor& param, const Tensor& grad, const Tensor& s0,
                            const Tensor& s1, const Tensor& s2, const AdaptiveScalars& k);

extern DispatchStub<AdaptiveFn> adaptive_step_stub;
extern DispatchStub<ThresholdFn> threshold_stub;
extern DispatchStub<CompareFn> compare_stub;
extern DispatchStub<CompareScalarFn> compare_scalar_stub;
extern DispatchStub<ArgMaxFn> argmax_stub;
extern DispatchStub<LinearFn> linear_stub;
extern DispatchStub<Conv2dFn> conv2d_stub;
extern DispatchStub<Conv2dBackwardFn> conv2d_backward_stub;
extern DispatchStub<MaxPool2dFn> max_pool2d_stub;
extern DispatchStub<MaxPool2dBackwardFn> max_pool2d_backward_stub;
extern DispatchStub<SoftmaxFn> softmax_stub;
extern DispatchStub<SoftmaxBackwardFn> softmax_backward_stub;
extern DispatchStub<NllLossFn> nll_loss_stub;
extern DispatchStub<NllLossBackwardFn> nll_loss_backward_stub;
extern DispatchStub<DropoutFn> dropout_stub;
extern DispatchStub<RowNormFn> row_norm_stub;
extern DispatchStub<RowNormBackwardFn> row_norm_backward_stub;
extern DispatchStub<BatchNormFn> batch_norm_stub;
extern DispatchStub<BatchNormBackwardFn> batch_norm_backward_stub;
extern DispatchStub<GroupNormFn> group_norm_stub;
extern DispatchStub<GroupNormBackwardFn> group_norm_backward_stub;
extern DispatchStub<EmbeddingBackwardFn> embedding_backward_stub;
extern DispatchStub<EmbeddingRenormFn> embedding_renorm_stub;
extern DispatchStub<EmbeddingBagFn> embedding_bag_stub;
extern DispatchStub<EmbeddingBagBackwardFn> embedding_bag_backward_stub;
extern DispatchStub<EmbeddingBagPswBackwardFn> embedding_bag_psw_backward_stub;
extern DispatchStub<SgdFn> sgd_stub;
extern DispatchStub<AdamFn> adam_stub;
extern DispatchStub<SgdMultiFn> sgd_multi_stub;
extern DispatchStub<AdamMultiFn> adam_multi_stub;

}  // namespace ember
