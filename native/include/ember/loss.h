/* Ember C ABI: losses with kernels of their own (nll_loss is in nn.h). */
#ifndef EMBER_LOSS_H
#define EMBER_LOSS_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch.ops.aten._ctc_loss(log_probs, targets, input_lengths, target_lengths, blank): log_probs
 * (T, N, C) floating; targets int64 or int32, padded (N, S) or concatenated (sum of the target
 * lengths); input_lengths and target_lengths int64 or int32 (N). neg_log_likelihood_out (N) is
 * each sequence's loss (infinite when no alignment exists); log_alpha_out is what the backward
 * needs. A target outside [0, C) or a length out of range is EMBER_ERROR_INVALID_ARGUMENT. */
EMBER_API ember_status ember_ctc_loss(ember_tensor log_probs, ember_tensor targets,
                                      ember_tensor input_lengths, ember_tensor target_lengths,
                                      int64_t blank, ember_tensor* neg_log_likelihood_out,
                                      ember_tensor* log_alpha_out);
/* torch.ops.aten._ctc_loss_backward: grad_out (N); grad_out_x has log_probs' shape. Like
 * PyTorch's, the gradient assumes log_probs is a log_softmax output (exp(log_probs) minus the
 * alignment posterior); zero_infinity gives 0 for sequences of infinite loss. */
EMBER_API ember_status ember_ctc_loss_backward(ember_tensor grad_out, ember_tensor log_probs,
                                               ember_tensor targets, ember_tensor input_lengths,
                                               ember_tensor target_lengths,
                                               ember_tensor neg_log_likelihood,
                                               ember_tensor log_alpha, int64_t blank,
                                               int32_t zero_infinity, ember_tensor* grad_out_x);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_LOSS_H */
