/* Ember C ABI: resampling (F.interpolate), forward and backward. Modes: 0 nearest, 1 nearest-exact,
 * 2 linear (linear, bilinear or trilinear by the number of spatial dims), 3 bicubic (2 spatial
 * dims). Floating inputs of any float dtype. */
#ifndef EMBER_INTERPOLATE_H
#define EMBER_INTERPOLATE_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* torch.ops.aten.upsample_{nearest,nearest_exact,linear1d,bilinear2d,trilinear3d,bicubic2d}:
 * x (N, C, *spatial) with dims (1 to 3) spatial dims resized to output_size (dims entries).
 * scales holds dims entries or is NULL: an entry > 0 is the user's scale factor for that dim, whose
 * inverse maps output to input coordinates (PyTorch without recompute_scale_factor); 0 maps them
 * by input / output size. align_corners (nonzero) only with modes 2 and 3. */
EMBER_API ember_status ember_interpolate(ember_tensor x, int32_t mode, const int64_t* output_size,
                                         const double* scales, int32_t dims, int32_t align_corners,
                                         ember_tensor* out);
/* The matching *_backward: grad_x of input_size (input_dims = dims + 2 entries) from grad_out
 * (N, C, *output_size). */
EMBER_API ember_status ember_interpolate_backward(ember_tensor grad_out, const int64_t* input_size,
                                                  int32_t input_dims, int32_t mode,
                                                  const double* scales, int32_t align_corners,
                                                  ember_tensor* grad_x);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_INTERPOLATE_H */
