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

}  // namespace ember::ops
