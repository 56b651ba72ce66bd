/* Ember C ABI: math on tensors. Binary ops broadcast and promote types as PyTorch does.
 * A name ending in '_' works in place on its first argument. */
#ifndef EMBER_OPS_H
#define EMBER_OPS_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arithmetic ---- */
EMBER_API ember_status ember_add(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_sub(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_mul(ember_tensor a, ember_tensor b, ember_tensor* out);
/* True division: integer inputs give the default float dtype. */
EMBER_API ember_status ember_div(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_add_(ember_tensor a, ember_tensor b);
EMBER_API ember_status ember_sub_(ember_tensor a, ember_tensor b);
EMBER_API ember_status ember_mul_(ember_tensor a, ember_tensor b);
EMBER_API ember_status ember_div_(ember_tensor a, ember_tensor b);

EMBER_API ember_status ember_add_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_sub_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_mul_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_div_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
/* b - a and b / a, for a scalar on the left. */
EMBER_API ember_status ember_rsub_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_rdiv_scalar(ember_tensor a, ember_scalar b, ember_tensor* out);
EMBER_API ember_status ember_add_scalar_(ember_tensor a, ember_scalar b);
EMBER_API ember_status ember_sub_scalar_(ember_tensor a, ember_scalar b);
EMBER_API ember_status ember_mul_scalar_(ember_tensor a, ember_scalar b);
EMBER_API ember_status ember_div_scalar_(ember_tensor a, ember_scalar b);

/* ---- unary ---- */
EMBER_API ember_status ember_neg(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_exp(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_log(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_neg_(ember_tensor a);
EMBER_API ember_status ember_exp_(ember_tensor a);
EMBER_API ember_status ember_log_(ember_tensor a);

/* ---- reductions ---- */
/* dims == NULL with ndims == 0 reduces over all elements. Integer and bool inputs sum to int64. */
EMBER_API ember_status ember_sum(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 int32_t keepdim, ember_tensor* out);
/* Floating inputs only, as in PyTorch. */
EMBER_API ember_status ember_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out);

/* ---- linear algebra ---- */
/* torch.matmul: 1-d/2-d/batched, with broadcasting of the batch dims. */
EMBER_API ember_status ember_matmul(ember_tensor a, ember_tensor b, ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_OPS_H */
