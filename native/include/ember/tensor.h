/* Ember C ABI: tensor lifetime, metadata, creation, copies and views. */
#ifndef EMBER_TENSOR_H
#define EMBER_TENSOR_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- lifetime ---- */
/* (release is not EMBER_NOBLOCK: dropping the last reference frees memory and may run the release
 * callback of ember_from_blob, which calls back into the caller.) */
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_retain(ember_tensor t, ember_tensor* out);
EMBER_API ember_status ember_tensor_release(ember_tensor t);

/* ---- metadata ---- */
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_ndim(ember_tensor t, int32_t* out);
/* Writes ndim sizes (resp. strides, in elements) into out, which holds at least ndim entries. */
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_sizes(ember_tensor t, int64_t* out);
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_strides(ember_tensor t, int64_t* out);
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_offset(ember_tensor t, int64_t* out);
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_numel(ember_tensor t, int64_t* out);
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_dtype(ember_tensor t, int32_t* out);
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_device(ember_tensor t, ember_device* out);
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_is_contiguous(ember_tensor t, int32_t* out);
/* Address of element 0 (storage base + offset). CPU tensors only. */
EMBER_API ember_status ember_tensor_data_ptr(ember_tensor t, void** out);
/* Size in bytes of the storage this tensor views (shared with its views). */
EMBER_API ember_status ember_tensor_storage_nbytes(ember_tensor t, int64_t* out);
/* Version counter shared by a tensor and its views; bumped by every in-place op. */
EMBER_API EMBER_NOBLOCK ember_status ember_tensor_version(ember_tensor t, int64_t* out);
/* 1 when both tensors view the same storage. */
EMBER_API ember_status ember_tensor_shares_storage(ember_tensor a, ember_tensor b, int32_t* out);

/* ---- creation ---- */
EMBER_API ember_status ember_empty(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   ember_device device, ember_tensor* out);
EMBER_API ember_status ember_zeros(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   ember_device device, ember_tensor* out);
EMBER_API ember_status ember_full(const int64_t* sizes, int32_t ndim, ember_scalar value,
                                  int32_t dtype, ember_device device, ember_tensor* out);
/* Sets every element of t to value in place, on t's device (Tensor.fill_). */
EMBER_API ember_status ember_fill_(ember_tensor t, ember_scalar value);
/* Values start, start+step, ... below end (above end for a negative step). */
EMBER_API ember_status ember_arange(ember_scalar start, ember_scalar end, ember_scalar step,
                                    int32_t dtype, ember_device device, ember_tensor* out);
EMBER_API ember_status ember_eye(int64_t n, int64_t m, int32_t dtype, ember_device device,
                                 ember_tensor* out);
/* Uniform in [0, 1) and standard normal; gen may be NULL for the default generator. */
EMBER_API ember_status ember_rand(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                  ember_device device, ember_generator gen, ember_tensor* out);
EMBER_API ember_status ember_randn(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   ember_device device, ember_generator gen, ember_tensor* out);
/* A new contiguous CPU tensor holding a copy of nbytes bytes of row-major data. */
EMBER_API ember_status ember_from_data(const void* data, int64_t nbytes, const int64_t* sizes,
                                       int32_t ndim, int32_t dtype, ember_tensor* out);
/* A CPU tensor over memory the caller owns, without a copy (torch.from_numpy): data (row-major,
 * nbytes bytes, exactly what sizes and dtype need) must stay valid and in place until
 * release(ctx) is called, once, when the last tensor and view over it is gone; release may be
 * NULL. On failure nothing is kept and release is not called. */
typedef void (*ember_release_fn)(void* ctx);
EMBER_API ember_status ember_from_blob(void* data, int64_t nbytes, const int64_t* sizes,
                                       int32_t ndim, int32_t dtype, ember_release_fn release,
                                       void* ctx, ember_tensor* out);

/* ---- copies and casts ---- */
/* Copies src into dst (broadcasting src, casting to dst's dtype, across devices). */
EMBER_API ember_status ember_copy_(ember_tensor dst, ember_tensor src);
/* Copies the tensor's elements, row-major, into host memory of nbytes bytes. */
EMBER_API ember_status ember_copy_to_host(ember_tensor t, void* dst, int64_t nbytes);
EMBER_API ember_status ember_to_dtype(ember_tensor t, int32_t dtype, ember_tensor* out);
EMBER_API ember_status ember_to_device(ember_tensor t, ember_device device, ember_tensor* out);
/* As ember_to_device; a contiguous tensor in pinned host memory uploads on the device's current
 * stream without waiting for the copy (PyTorch's non_blocking=True). */
EMBER_API ember_status ember_to_device_async(ember_tensor t, ember_device device,
                                             ember_tensor* out);
/* A copy of a CPU tensor in page-locked host memory (t itself, retained, when already pinned);
 * needs a loaded GPU backend. */
EMBER_API ember_status ember_pin_memory(ember_tensor t, ember_tensor* out);
EMBER_API ember_status ember_tensor_is_pinned(ember_tensor t, int32_t* out);
EMBER_API ember_status ember_clone(ember_tensor t, ember_tensor* out);
/* Returns t itself (a new reference) when it is already contiguous. */
EMBER_API ember_status ember_contiguous(ember_tensor t, ember_tensor* out);

/* ---- views (share storage; negative dims count from the end; -1 in a size is inferred) ---- */
EMBER_API ember_status ember_view(ember_tensor t, const int64_t* sizes, int32_t ndim,
                                  ember_tensor* out);
/* A view when the strides allow it, a copy otherwise. */
EMBER_API ember_status ember_reshape(ember_tensor t, const int64_t* sizes, int32_t ndim,
                                     ember_tensor* out);
EMBER_API ember_status ember_transpose(ember_tensor t, int32_t dim0, int32_t dim1,
                                       ember_tensor* out);
EMBER_API ember_status ember_permute(ember_tensor t, const int32_t* dims, int32_t ndim,
                                     ember_tensor* out);
/* Sizes of -1 keep the existing size; new leading dims are added with stride 0. */
EMBER_API ember_status ember_expand(ember_tensor t, const int64_t* sizes, int32_t ndim,
                                    ember_tensor* out);
/* Removes every dim of size 1. */
EMBER_API ember_status ember_squeeze(ember_tensor t, ember_tensor* out);
/* Removes dim when its size is 1, else returns a view of t unchanged (as PyTorch does). */
EMBER_API ember_status ember_squeeze_dim(ember_tensor t, int32_t dim, ember_tensor* out);
EMBER_API ember_status ember_unsqueeze(ember_tensor t, int32_t dim, ember_tensor* out);
/* Elements start, start+step, ... below end along dim; start/end are clamped as in Python. */
EMBER_API ember_status ember_slice(ember_tensor t, int32_t dim, int64_t start, int64_t end,
                                   int64_t step, ember_tensor* out);
/* Removes dim, keeping the given index along it. */
EMBER_API ember_status ember_select(ember_tensor t, int32_t dim, int64_t index, ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_TENSOR_H */
