// C ABI: scaled dot-product attention (ember/attention.h).
#include "ember/attention.h"

#include "core/attention.h"
#include "shim.h"

using namespace ember;
using capi::hand_out;
using capi::In;
using capi::optional_in;

EMBER_API ember_status ember_scaled_dot_product_attention(
    ember_tensor query, ember_tensor key, ember_tensor value, ember_tensor attn_mask,
    double dropout_p, int32_t is_causal, double scale, ember_generator gen, ember_tensor* out,
    ember_tensor* logsumexp_out, uint64_t* seed_out, uint64_t* offset_out) {
  return capi::guard("scaled_dot_product_attention", [&](const char* op) {
    capi::check_out(op, out);
    capi::check_out(op, logsumexp_out);
    capi::check_out(op, seed_out);
    capi::check_out(op, offset_out);
    ops::SdpaResult r = ops::scaled_dot_product_attention(
        In(op, query), In(op, key), In(op, value), optional_in(attn_mask), dropout_p,
        is_causal != 0, scale, capi::generator_arg(gen));
    *out = hand_out(std::move(r.out));
    *logsumexp_out = hand_out(std::move(r.lse));
    *seed_out = r.seed;
    *offset_out = r.base;
  });
}

EMBER_API ember_status ember_scaled_dot_product_attention_backward(
    ember_tensor grad_out, ember_tensor query, ember_tensor key, ember_tensor value,
    ember_tensor attn_mask, ember_tensor out, ember_tensor logsumexp, double dropout_p,
    int32_t is_causal, double scale, uint64_t seed, uint64_t offset, ember_tensor* grad_query,
    ember_tensor* grad_key, ember_tensor* grad_value) {
  return capi::guard("scaled_dot_product_attention_backward", [&](const char* op) {
    capi::check_out(op, grad_query);
    capi::check_out(op, grad_key);
    capi::check_out(op, grad_value);
    ops::SdpaGrads g = ops::scaled_dot_product_attention_backward(
        In(op, grad_out), In(op, query), In(op, key), In(op, value), optional_in(attn_mask),
        In(op, out), In(op, logsumexp), dropout_p, is_causal != 0, scale, seed, offset);
    *grad_query = hand_out(std::move(g.grad_q));
    *grad_key = hand_out(std::move(g.grad_k));
    *grad_value = hand_out(std::move(g.grad_v));
  });
}
