/* Ember C ABI: fused ops of a training step, which autograd runs in place of several smaller ones
 * (fewer launches and host calls on a GPU): linear's gradients from one call, added into existing
 * gradients in place, and cross entropy over class indices as one forward and one backward. */
#ifndef EMBER_FUSED_H
#define EMBER_FUSED_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The gradients of out = linear(input, weight, bias) (torch.nn.functional.linear) from grad
 * (*, out_features), with input (*, in_features) and weight (out_features, in_features):
 * grad_input = grad @ weight (input's shape), grad_weight = grad^T @ input over the rows of the
 * leading dims, grad_bias = grad summed over those rows. need_input, need_weight and need_bias
 * (0 or 1) select them; an output not selected stays NULL. weight may be NULL when grad_input is
 * not asked for, input when grad_weight is not. weight_grad_into / bias_grad_into, when
 * not NULL, are existing gradients (weight's shape / (out_features), grad's dtype and device,
 * contiguous) that the selected gradient is added to in place, as autograd accumulates into
 * .grad; grad_weight / grad_bias then stay NULL. */
EMBER_API ember_status ember_linear_backward(ember_tensor grad, ember_tensor input,
                                             ember_tensor weight, int32_t need_input,
                                             int32_t need_weight, int32_t need_bias,
                                             ember_tensor weight_grad_into,
                                             ember_tensor bias_grad_into, ember_tensor* grad_input,
                                             ember_tensor* grad_weight, ember_tensor* grad_bias);

/* torch.nn.functional.cross_entropy(input, target, weight, ignore_index=ignore_index,
 * reduction=reduction) for logits input (N, C) and class indices target (int64, (N)), without
 * label smoothing: nll_loss(log_softmax(input, 1), ...) in one op. loss_out is 0-d (mean, sum) or
 * (N) (none); logsumexp_out (N) holds each row's logsumexp (float32 for 16-bit inputs) and
 * total_weight_out (0-d) the summed weights of the targets counted, both for the backward. A
 * target outside [0, C) other than ignore_index is an error (on a GPU at the next synchronising
 * call). */
EMBER_API ember_status ember_cross_entropy(ember_tensor input, ember_tensor target,
                                           ember_tensor weight, int32_t reduction,
                                           int64_t ignore_index, ember_tensor* loss_out,
                                           ember_tensor* logsumexp_out,
                                           ember_tensor* total_weight_out);
/* Its gradient with respect to input, from grad_out (0-d for mean and sum, (N) for none), which
 * the kernel reads where it lies (no host copy): (softmax(input) - onehot(target)) times the
 * target's weight and grad_out (divided by total_weight for mean); 0 in rows of ignored targets. */
EMBER_API ember_status ember_cross_entropy_backward(ember_tensor grad_out, ember_tensor input,
                                                    ember_tensor target, ember_tensor weight,
                                                    int32_t reduction, int64_t ignore_index,
                                                    ember_tensor logsumexp,
                                                    ember_tensor total_weight,
                                                    ember_tensor* grad_input);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_FUSED_H */
