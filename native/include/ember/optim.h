/* Ember C ABI: fused optimizer steps. One call updates a list of parameters in place (each in one
 * pass over its elements, parameters in parallel) and bumps the versions of what it wrote.
 * params, grads and the state tensors are arrays of count handles; entry i of each array belongs to
 * parameter i and must match its shape, dtype (float32 or float64) and device. */
#ifndef EMBER_OPTIM_H
#define EMBER_OPTIM_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Zeroes count tensors in place, as torch._foreach_zero_ (what zero_grad(set_to_none=False) runs):
 * one kernel launch for the lot where the backend can (contiguous float32/float64 tensors on one
 * GPU), else one fill per tensor. A NULL entry is an error and leaves every tensor as it was. */
EMBER_API ember_status ember_foreach_zero_(const ember_tensor* tensors, int32_t count);

/* One step of torch.optim.SGD (foreach=False), per parameter p with gradient g:
 *   d = maximize ? -g : g;  if weight_decay != 0: d += weight_decay * p
 *   if momentum != 0: buf = first_step ? d : momentum * buf + (1 - dampening) * d
 *                     d = nesterov ? d + momentum * buf : buf
 *   p -= lr * d
 * momentum_buffers may be NULL (or hold NULL entries) when momentum is 0; first_step is 1 on the
 * step that creates the buffers (PyTorch's "buf is None"). */
EMBER_API ember_status ember_sgd_step(const ember_tensor* params, const ember_tensor* grads,
                                      const ember_tensor* momentum_buffers, int32_t count,
                                      double lr, double momentum, double dampening,
                                      double weight_decay, int32_t nesterov, int32_t maximize,
                                      int32_t first_step);

/* One step of torch.optim.Adam (decoupled_weight_decay 0) or torch.optim.AdamW (1), foreach=False,
 * per parameter p with gradient g, step t (1-based, already incremented by the caller):
 *   g = maximize ? -g : g
 *   Adam: if weight_decay != 0: g += weight_decay * p      AdamW: p *= 1 - lr * weight_decay
 *   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
 *   if amsgrad: vmax = max(vmax, v), and vmax replaces v below
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * exp_avgs (m) and exp_avg_sqs (v) start as zeros; max_exp_avg_sqs (vmax, zeros at first) may be
 * NULL unless amsgrad. */
EMBER_API ember_status ember_adam_step(const ember_tensor* params, const ember_tensor* grads,
                                       const ember_tensor* exp_avgs,
                                       const ember_tensor* exp_avg_sqs,
                                       const ember_tensor* max_exp_avg_sqs, int32_t count,
                                       int64_t step, double lr, double beta1, double beta2,
                                       double eps, double weight_decay, int32_t amsgrad,
                                       int32_t maximize, int32_t decoupled_weight_decay);

/* One step of torch.optim.Adagrad (1.13, dense gradients), step t 1-based and already incremented:
 *   g = maximize ? -g : g;  if weight_decay != 0: g += weight_decay * p
 *   clr = lr / (1 + (t - 1) * lr_decay);  sum += g * g;  p -= clr * g / (sqrt(sum) + eps)
 * state_sums start as initial_accumulator_value. */
EMBER_API ember_status ember_adagrad_step(const ember_tensor* params, const ember_tensor* grads,
                                          const ember_tensor* state_sums, int32_t count,
                                          int64_t step, double lr, double lr_decay,
                                          double weight_decay, double eps, int32_t maximize);

/* One step of torch.optim.RMSprop:
 *   g as Adagrad's;  v = alpha * v + (1 - alpha) * g * g
 *   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(v - ga * ga) + eps; else sqrt(v) + eps
 *   momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf;  else p -= lr * g / avg
 * square_avgs (v), grad_avgs (ga, NULL unless centered) and momentum_buffers (NULL unless
 * momentum > 0) start as zeros. */
EMBER_API ember_status ember_rmsprop_step(const ember_tensor* params, const ember_tensor* grads,
                                          const ember_tensor* square_avgs,
                                          const ember_tensor* grad_avgs,
                                          const ember_tensor* momentum_buffers, int32_t count,
                                          double lr, double alpha, double eps, double weight_decay,
                                          double momentum, int32_t centered, int32_t maximize);

/* One step of torch.optim.Adadelta:
 *   g as Adagrad's;  v = rho * v + (1 - rho) * g * g
 *   delta = sqrt(u + eps) / sqrt(v + eps) * g;  u = rho * u + (1 - rho) * delta * delta
 *   p -= lr * delta
 * square_avgs (v) and acc_deltas (u) start as zeros. */
EMBER_API ember_status ember_adadelta_step(const ember_tensor* params, const ember_tensor* grads,
                                           const ember_tensor* square_avgs,
                                           const ember_tensor* acc_deltas, int32_t count, double lr,
                                           double rho, double eps, double weight_decay,
                                           int32_t maximize);

/* One step of torch.optim.Adamax, step t 1-based and already incremented:
 *   g as Adagrad's;  m = beta1 * m + (1 - beta1) * g;  u = max(beta2 * u, |g| + eps)
 *   p -= lr / (1 - beta1^t) * m / u
 * exp_avgs (m) and exp_infs (u) start as zeros. */
EMBER_API ember_status ember_adamax_step(const ember_tensor* params, const ember_tensor* grads,
                                         const ember_tensor* exp_avgs, const ember_tensor* exp_infs,
                                         int32_t count, int64_t step, double lr, double beta1,
                                         double beta2, double eps, double weight_decay,
                                         int32_t maximize);

/* One step of torch.optim.NAdam as PyTorch 1.13 computes it, step t 1-based and already
 * incremented; mu_product is the product of mu_1 .. mu_t (this step's included), where
 * mu_s = beta1 * (1 - 0.5 * 0.96^(s * momentum_decay)):
 *   if weight_decay != 0: g += weight_decay * p
 *   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
 *   denom = sqrt(v / (1 - beta2^t)) + eps
 *   p -= lr * (1 - mu_t) / (1 - mu_product) * g / denom
 *   p -= lr * mu_{t+1} / (1 - mu_product * mu_t * mu_{t+1}) * m / denom   (1.13's next product)
 * exp_avgs (m) and exp_avg_sqs (v) start as zeros. */
EMBER_API ember_status ember_nadam_step(const ember_tensor* params, const ember_tensor* grads,
                                        const ember_tensor* exp_avgs,
                                        const ember_tensor* exp_avg_sqs, int32_t count,
                                        int64_t step, double lr, double beta1, double beta2,
                                        double eps, double weight_decay, double momentum_decay,
                                        double mu_product);

/* One step of torch.optim.RAdam, step t 1-based and already incremented:
 *   if weight_decay != 0: g += weight_decay * p
 *   m, v as Adam's;  rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
 *   rho_t > 5: p -= m / (1 - beta1^t) * lr * sqrt(1 - beta2^t) / (sqrt(v) + eps) * rect,
 *     rect = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
 *   else: p -= m / (1 - beta1^t) * lr */
EMBER_API ember_status ember_radam_step(const ember_tensor* params, const ember_tensor* grads,
                                        const ember_tensor* exp_avgs,
                                        const ember_tensor* exp_avg_sqs, int32_t count,
                                        int64_t step, double lr, double beta1, double beta2,
                                        double eps, double weight_decay);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_OPTIM_H */
