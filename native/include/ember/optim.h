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

#ifdef __cplusplus
}
#endif

#endif /* EMBER_OPTIM_H */
