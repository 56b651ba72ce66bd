// C ABI: losses with kernels of their own (ember/loss.h).
#include "ember/loss.h"

#include "capi/list.h"
#include "core/ops_loss.h"
#include "shim.h"

using namespace ember;
using capi::In;

extern "C" {

EMBER_API ember_status ember_ctc_loss(ember_tensor log_probs, ember_tensor targets,
                                      ember_tensor input_lengths, ember_tensor target_lengths,
                                      int64_t blank, ember_tensor* neg_log_likelihood_out,
                                      ember_tensor* log_alpha_out) {
  return capi::make_pair("ctc_loss", neg_log_likelihood_out, log_alpha_out, [&](const char* op) {
    return ops::ctc_loss(In(op, log_probs), In(op, targets), In(op, input_lengths),
                         In(op, target_lengths), blank);
  });
}

EMBER_API ember_status ember_ctc_loss_backward(ember_tensor grad_out, ember_tensor log_probs,
                                               ember_tensor targets, ember_tensor input_lengths,
                                               ember_tensor target_lengths,
                                               ember_tensor neg_log_likelihood,
                                               ember_tensor log_alpha, int64_t blank,
                                               int32_t zero_infinity, ember_tensor* grad_out_x) {
  return capi::make("ctc_loss_backward", grad_out_x, [&](const char* op) {
    return ops::ctc_loss_backward(In(op, grad_out), In(op, log_probs), In(op, targets),
                                  In(op, input_lengths), In(op, target_lengths),
                                  In(op, neg_log_likelihood), In(op, log_alpha), blank,
                                  zero_infinity != 0);
  });
}

}  // extern "C"
