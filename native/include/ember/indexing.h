/* Ember C ABI: indexing (torch.gather, scatter, index_add, masked_*, advanced indexing, ...).
 * Index tensors are integer tensors (int64 where PyTorch requires it); an index out of range is an
 * EMBER_ERROR_INVALID_ARGUMENT naming the op, the index and the size, and changes nothing.
 * A name ending in '_' works in place on its first argument. */
#ifndef EMBER_INDEXING_H
#define EMBER_INDEXING_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- along one dim, with a 0-d/1-d index ---- */
EMBER_API ember_status ember_index_select(ember_tensor t, int32_t dim, ember_tensor index,
                                          ember_tensor* out);
/* t.index_add(dim, index, source, alpha): t.select(dim, index[i]) += alpha * source.select(dim, i).
 */
EMBER_API ember_status ember_index_add(ember_tensor t, int32_t dim, ember_tensor index,
                                       ember_tensor source, ember_scalar alpha, ember_tensor* out);
EMBER_API ember_status ember_index_add_(ember_tensor t, int32_t dim, ember_tensor index,
                                        ember_tensor source, ember_scalar alpha);
EMBER_API ember_status ember_index_copy(ember_tensor t, int32_t dim, ember_tensor index,
                                        ember_tensor source, ember_tensor* out);
EMBER_API ember_status ember_index_copy_(ember_tensor t, int32_t dim, ember_tensor index,
                                         ember_tensor source);
/* Negative indices count from the end, as in PyTorch. */
EMBER_API ember_status ember_index_fill(ember_tensor t, int32_t dim, ember_tensor index,
                                        ember_scalar value, ember_tensor* out);
EMBER_API ember_status ember_index_fill_(ember_tensor t, int32_t dim, ember_tensor index,
                                         ember_scalar value);

/* ---- elementwise along one dim, with an int64 index of t's rank ---- */
EMBER_API ember_status ember_gather(ember_tensor t, int32_t dim, ember_tensor index,
                                    ember_tensor* out);
typedef enum ember_scatter_reduce {
  EMBER_SCATTER_NONE = 0, /* plain scatter: assign */
  EMBER_SCATTER_SUM = 1,
  EMBER_SCATTER_PROD = 2,
  EMBER_SCATTER_MEAN = 3,
  EMBER_SCATTER_AMAX = 4,
  EMBER_SCATTER_AMIN = 5,
  EMBER_SCATTER_REDUCE_FORCE_32BIT = 0x7fffffff
} ember_scatter_reduce;
/* t.scatter_reduce(dim, index, src, reduce, include_self); src NULL scatters value instead.
 * EMBER_SCATTER_NONE is torch.scatter, EMBER_SCATTER_SUM with include_self torch.scatter_add. */
EMBER_API ember_status ember_scatter(ember_tensor t, int32_t dim, ember_tensor index,
                                     ember_tensor src, ember_scalar value, int32_t reduce,
                                     int32_t include_self, ember_tensor* out);
EMBER_API ember_status ember_scatter_(ember_tensor t, int32_t dim, ember_tensor index,
                                      ember_tensor src, ember_scalar value, int32_t reduce,
                                      int32_t include_self);
/* has_dim 0: over the flattened tensors. */
EMBER_API ember_status ember_take_along_dim(ember_tensor t, ember_tensor indices, int32_t dim,
                                            int32_t has_dim, ember_tensor* out);
/* t's flattened elements at index (any shape; negative indices count from the end). */
EMBER_API ember_status ember_take(ember_tensor t, ember_tensor index, ember_tensor* out);

/* ---- masks (bool, broadcast to t) ---- */
EMBER_API ember_status ember_masked_fill(ember_tensor t, ember_tensor mask, ember_scalar value,
                                         ember_tensor* out);
EMBER_API ember_status ember_masked_fill_(ember_tensor t, ember_tensor mask, ember_scalar value);
EMBER_API ember_status ember_masked_scatter(ember_tensor t, ember_tensor mask, ember_tensor source,
                                            ember_tensor* out);
EMBER_API ember_status ember_masked_scatter_(ember_tensor t, ember_tensor mask,
                                             ember_tensor source);
EMBER_API ember_status ember_masked_select(ember_tensor t, ember_tensor mask, ember_tensor* out);
/* int64 [count, ndim]: the indices of the non-zero elements in row-major order (also argwhere). */
EMBER_API ember_status ember_nonzero(ember_tensor t, ember_tensor* out);

/* ---- encodings ---- */
/* num_classes -1 infers max + 1. */
EMBER_API ember_status ember_one_hot(ember_tensor t, int64_t num_classes, ember_tensor* out);
/* Rows of the 2-d weight at indices: indices.shape + [weight.size(1)]. */
EMBER_API ember_status ember_embedding(ember_tensor weight, ember_tensor indices,
                                       ember_tensor* out);

/* ---- advanced indexing: t[indices[0], indices[1], ...] ---- */
/* indices[d] may be NULL (the whole dim d); integer tensors broadcast together; bool tensors
 * select where true over as many dims as they have. */
EMBER_API ember_status ember_index(ember_tensor t, const ember_tensor* indices, int32_t n,
                                   ember_tensor* out);
/* t[indices] = values (values broadcast to the indexed shape); accumulate adds instead. */
EMBER_API ember_status ember_index_put_(ember_tensor t, const ember_tensor* indices, int32_t n,
                                        ember_tensor values, int32_t accumulate);
EMBER_API ember_status ember_index_put(ember_tensor t, const ember_tensor* indices, int32_t n,
                                       ember_tensor values, int32_t accumulate, ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_INDEXING_H */
