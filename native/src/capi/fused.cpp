// C ABI: fused training-step ops (ember/fused.h).
#include "ember/fused.h"

#include "core/nn_fused.h"
#include "shim.h"

using namespace ember;
using capi::hand_out;
using capi::In;
using capi::optional_in;

EMBER_API ember_status ember_linear_backward(ember_tensor grad, ember_tensor input,
                                             ember_tensor weight, int32_t need_input,
                                             int32_t need_weight, int32_t need_bias,
                                             ember_tensor weight_grad_into,
                                             ember_tensor bias_grad_into, ember_tensor* grad_input,
                                             ember_tensor* grad_weight, ember_tensor* grad_bias) {
  return capi::guard("linear_backward", [&](const char* op) {
    if (need_input) capi::check_out(op, grad_input);
    if (need_weight && weight_grad_into == nullptr) capi::check_out(op, grad_weight);
    if (need_bias && bias_grad_into == nullptr) capi::check_out(op, grad_bias);
    ops::LinearGrads g = ops::linear_backward(
        In(op, grad), optional_in(input), optional_in(weight), need_input != 0, need_weight != 0,
        need_bias != 0, optional_in(weight_grad_into), optional_in(bias_grad_into));
    if (grad_input) *grad_input = hand_out(std::move(g.grad_x));
    if (grad_weight) *grad_weight = hand_out(std::move(g.grad_w));
    if (grad_bias) *grad_bias = hand_out(std::move(g.grad_b));
  });
}

EMBER_API ember_status ember_cross_entropy(ember_tensor input, ember_tensor target,
                                           ember_tensor weight, int32_t reduction,
                                           int64_t ignore_index, ember_tensor* loss_out,
                                           ember_tensor* logsumexp_out,
                                           ember_tensor* total_weight_out) {
  return capi::guard("cross_entropy", [&](const char* op) {
    capi::check_out(op, loss_out);
    capi::check_out(op, logsumexp_out);
    capi::check_out(op, total_weight_out);
    ops::CrossEntropyResult r =
        ops::cross_entropy(In(op, input), In(op, target), optional_in(weight),
                           static_cast<ops::Reduction>(reduction), ignore_index);
    *loss_out = hand_out(std::move(r.loss));
    *logsumexp_out = hand_out(std::move(r.lse));
    *total_weight_out = hand_out(std::move(r.total));
  });
}

EMBER_API ember_status ember_cross_entropy_backward(ember_tensor grad_out, ember_tensor input,
                                                    ember_tensor target, ember_tensor weight,
                                                    int32_t reduction, int64_t ignore_index,
                                                    ember_tensor logsumexp,
                                                    ember_tensor total_weight,
                                                    ember_tensor* grad_input) {
  return capi::make("cross_entropy_backward", grad_input, [&](const char* op) {
    return ops::cross_entropy_backward(In(op, grad_out), In(op, input), In(op, target),
                                       optional_in(weight), static_cast<ops::Reduction>(reduction),
                                       ignore_index, In(op, logsumexp), In(op, total_weight));
  });
}
