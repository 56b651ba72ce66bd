/* Ember C ABI: joining, splitting and rearranging tensors (torch.cat, split, flip, pad, ...).
 * Negative dims count from the end. Ops that return several tensors write one handle per result
 * into a caller-provided array (each handle owns one reference); on failure nothing is written. */
#ifndef EMBER_SHAPE_H
#define EMBER_SHAPE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- joining ---- */
/* torch.cat: dtypes promote; 1-d tensors of size 0 are skipped as in PyTorch. */
EMBER_API ember_status ember_cat(const ember_tensor* tensors, int32_t n, int32_t dim,
                                 ember_tensor* out);
EMBER_API ember_status ember_stack(const ember_tensor* tensors, int32_t n, int32_t dim,
                                   ember_tensor* out);
/* Along dim 1 (dim 0 when every tensor is 1-d). */
EMBER_API ember_status ember_hstack(const ember_tensor* tensors, int32_t n, ember_tensor* out);
/* Along dim 0 after making every tensor at least 2-d. */
EMBER_API ember_status ember_vstack(const ember_tensor* tensors, int32_t n, ember_tensor* out);

/* ---- splitting (results are views) ---- */
/* One view per size; the sizes must add up to the size of dim. */
EMBER_API ember_status ember_split_with_sizes(ember_tensor t, const int64_t* sizes, int32_t n,
                                              int32_t dim, ember_tensor* outs);
/* Writes t.size(dim) views, each without dim. */
EMBER_API ember_status ember_unbind(ember_tensor t, int32_t dim, ember_tensor* outs);

/* ---- reshaping ---- */
EMBER_API ember_status ember_flatten(ember_tensor t, int32_t start_dim, int32_t end_dim,
                                     ember_tensor* out);
/* dim becomes the given sizes (one may be -1). */
EMBER_API ember_status ember_unflatten(ember_tensor t, int32_t dim, const int64_t* sizes, int32_t n,
                                       ember_tensor* out);
/* Moves dims src[i] to dst[i], keeping the others in order (a view). */
EMBER_API ember_status ember_movedim(ember_tensor t, const int32_t* src, const int32_t* dst,
                                     int32_t n, ember_tensor* out);

/* ---- repeating ---- */
/* torch.Tensor.repeat: n >= t's dims. */
EMBER_API ember_status ember_repeat(ember_tensor t, const int64_t* repeats, int32_t n,
                                    ember_tensor* out);
/* torch.tile: like repeat, with leading 1s when fewer repeats than dims are given. */
EMBER_API ember_status ember_tile(ember_tensor t, const int64_t* repeats, int32_t n,
                                  ember_tensor* out);
/* torch.repeat_interleave with repeats a 0-d/1-d integer tensor; has_dim 0 flattens t first. */
EMBER_API ember_status ember_repeat_interleave(ember_tensor t, ember_tensor repeats, int32_t dim,
                                               int32_t has_dim, ember_tensor* out);
/* The same with one repeat count for every element. */
EMBER_API ember_status ember_repeat_interleave_int(ember_tensor t, int64_t repeats, int32_t dim,
                                                   int32_t has_dim, ember_tensor* out);

/* ---- reordering ---- */
EMBER_API ember_status ember_flip(ember_tensor t, const int32_t* dims, int32_t n,
                                  ember_tensor* out);
/* n == 0 rolls the flattened tensor by shifts[0] and restores the shape. */
EMBER_API ember_status ember_roll(ember_tensor t, const int64_t* shifts, int32_t nshifts,
                                  const int32_t* dims, int32_t n, ember_tensor* out);

/* ---- triangles and diagonals ---- */
EMBER_API ember_status ember_tril(ember_tensor t, int64_t diagonal, ember_tensor* out);
EMBER_API ember_status ember_triu(ember_tensor t, int64_t diagonal, ember_tensor* out);
EMBER_API ember_status ember_tril_(ember_tensor t, int64_t diagonal);
EMBER_API ember_status ember_triu_(ember_tensor t, int64_t diagonal);
/* A view of the diagonal of dims dim1 and dim2, which are removed; the diagonal becomes the last
 * dim. */
EMBER_API ember_status ember_diagonal(ember_tensor t, int64_t offset, int32_t dim1, int32_t dim2,
                                      ember_tensor* out);
/* torch.diag: a 1-d t gives a square matrix with t on the given diagonal; a 2-d t gives that
 * diagonal (a copy). */
EMBER_API ember_status ember_diag(ember_tensor t, int64_t diagonal, ember_tensor* out);
/* The last dim of t becomes the diagonal of new dims dim1 and dim2 of the result. */
EMBER_API ember_status ember_diag_embed(ember_tensor t, int64_t offset, int32_t dim1, int32_t dim2,
                                        ember_tensor* out);

/* ---- padding ---- */
typedef enum ember_pad_mode {
  EMBER_PAD_CONSTANT = 0,
  EMBER_PAD_REFLECT = 1,
  EMBER_PAD_REPLICATE = 2,
  EMBER_PAD_CIRCULAR = 3,
  EMBER_PAD_MODE_FORCE_32BIT = 0x7fffffff
} ember_pad_mode;
/* torch.nn.functional.pad: pads holds (before, after) pairs starting from the last dim; negative
 * pads crop (constant mode). value is used by EMBER_PAD_CONSTANT. */
EMBER_API ember_status ember_pad(ember_tensor t, const int64_t* pads, int32_t npads, int32_t mode,
                                 ember_scalar value, ember_tensor* out);
/* The gradient of pad for an input of the given sizes: each input element sums the gradients of
 * the output elements that read it. */
EMBER_API ember_status ember_pad_backward(ember_tensor grad, const int64_t* input_sizes,
                                          int32_t ndim, const int64_t* pads, int32_t npads,
                                          int32_t mode, ember_tensor* out);

/* ---- grids ---- */
/* torch.meshgrid over n 0-d/1-d tensors; writes n expanded views. xy_indexing swaps the first two
 * dims of the grid ("xy"), else "ij". */
EMBER_API ember_status ember_meshgrid(const ember_tensor* tensors, int32_t n, int32_t xy_indexing,
                                      ember_tensor* outs);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_SHAPE_H */
