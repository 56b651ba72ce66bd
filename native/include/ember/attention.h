/* Ember C ABI: scaled dot-product attention (a fused kernel, forward and backward). */
#ifndef EMBER_ATTENTION_H
#define EMBER_ATTENTION_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p,
 * is_causal, scale). query (..., L, E), key (..., S, E), value (..., S, Ev); the batch dims of the
 * three and of attn_mask broadcast; out is (..., L, Ev) in query's dtype. attn_mask may be NULL,
 * bool (true = attend) or floating (added to the scores); it broadcasts to (..., L, S) and cannot
 * be combined with is_causal. scale NaN means 1 / sqrt(E). logsumexp_out (..., L) receives each
 * row's logsumexp (float32 for 16-bit inputs) and seed_out / offset_out where the dropout mask was
 * drawn from gen (NULL: the default generator); the backward needs all three. Rows whose keys are
 * all masked give NaN, as the softmax of all -inf does. */
EMBER_API ember_status ember_scaled_dot_product_attention(
    ember_tensor query, ember_tensor key, ember_tensor value, ember_tensor attn_mask,
    double dropout_p, int32_t is_causal, double scale, ember_generator gen, ember_tensor* out,
    ember_tensor* logsumexp_out, uint64_t* seed_out, uint64_t* offset_out);
/* The gradients of ember_scaled_dot_product_attention for query, key and value (each shaped and
 * typed as its input; summed over broadcast batch dims), from grad_out and the forward's out,
 * logsumexp, seed and offset. attn_mask gets no gradient. */
EMBER_API ember_status ember_scaled_dot_product_attention_backward(
    ember_tensor grad_out, ember_tensor query, ember_tensor key, ember_tensor value,
    ember_tensor attn_mask, ember_tensor out, ember_tensor logsumexp, double dropout_p,
    int32_t is_causal, double scale, uint64_t seed, uint64_t offset, ember_tensor* grad_query,
    ember_tensor* grad_key, ember_tensor* grad_value);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_ATTENTION_H */
