/* Ember C ABI: convolution over 1 to 3 dims (plain and transposed), average, 1-d max and adaptive
 * pooling, and unfold / fold; forward and backward. Each function names its PyTorch equivalent.
 * Array arguments hold one entry per spatial dim, in order (d, h, w); NULL means PyTorch's
 * default. Floating inputs: float32 and float64 (float16 / bfloat16 run in float32 for the
 * convolutions and unfold / fold, natively for the pooling). */
#ifndef EMBER_CONV_POOL_H
#define EMBER_CONV_POOL_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- convolution ---- */
/* torch.ops.aten.convolution(x, w, b, stride, padding, dilation, transposed, output_padding,
 * groups) for dims (1, 2 or 3) spatial dims: F.conv1d/2d/3d and F.conv_transpose1d/2d/3d.
 * x (N, C, *) or (C, *); w (O, C/groups, k...) or, transposed, (C, O/groups, k...); b (O) or
 * NULL. stride / padding / dilation / output_padding hold dims entries; NULL means 1, 0, 1, 0. */
EMBER_API ember_status ember_convolution(ember_tensor x, ember_tensor w, ember_tensor b,
                                         int32_t dims, const int64_t* stride,
                                         const int64_t* padding, const int64_t* dilation,
                                         int32_t transposed, const int64_t* output_padding,
                                         int64_t groups, ember_tensor* out);
/* torch.ops.aten.convolution_backward: the gradients of ember_convolution's input, weight and
 * bias for grad_out. Each need_* flag chooses whether that gradient is computed; the matching
 * out-parameter receives NULL when it is not (and may itself be NULL then). */
EMBER_API ember_status ember_convolution_backward(
    ember_tensor grad_out, ember_tensor x, ember_tensor w, int32_t dims, const int64_t* stride,
    const int64_t* padding, const int64_t* dilation, int32_t transposed,
    const int64_t* output_padding, int64_t groups, int32_t need_input, int32_t need_weight,
    int32_t need_bias, ember_tensor* grad_x, ember_tensor* grad_w, ember_tensor* grad_b);

/* ---- pooling ---- */
/* F.avg_pool1d (dims 1, x (N, C, L) or (C, L)) and F.avg_pool2d (dims 2, x (N, C, H, W) or
 * (C, H, W)): kernel holds dims entries; stride NULL means the kernel size, padding NULL 0;
 * divisor_override 0 means none (avg_pool2d only). */
EMBER_API ember_status ember_avg_pool(ember_tensor x, int32_t dims, const int64_t* kernel,
                                      const int64_t* stride, const int64_t* padding,
                                      int32_t ceil_mode, int32_t count_include_pad,
                                      int64_t divisor_override, ember_tensor* out);
/* torch.ops.aten.avg_pool2d_backward (and the 1-d one): grad_x has x's shape. */
EMBER_API ember_status ember_avg_pool_backward(ember_tensor grad_out, ember_tensor x, int32_t dims,
                                               const int64_t* kernel, const int64_t* stride,
                                               const int64_t* padding, int32_t ceil_mode,
                                               int32_t count_include_pad, int64_t divisor_override,
                                               ember_tensor* grad_x);
/* F.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode, return_indices=True): x (N, C, L)
 * or (C, L); indices_out gets int64 positions along L. */
EMBER_API ember_status ember_max_pool1d(ember_tensor x, int64_t kernel, int64_t stride,
                                        int64_t padding, int64_t dilation, int32_t ceil_mode,
                                        ember_tensor* out, ember_tensor* indices_out);
/* max_pool1d's backward: scatters grad_out to the positions in indices. */
EMBER_API ember_status ember_max_pool1d_backward(ember_tensor grad_out, ember_tensor x,
                                                 ember_tensor indices, int64_t kernel,
                                                 int64_t stride, int64_t padding, int64_t dilation,
                                                 int32_t ceil_mode, ember_tensor* grad_x);
/* F.adaptive_avg_pool1d / 2d: output_size holds dims (1 or 2) entries. */
EMBER_API ember_status ember_adaptive_avg_pool(ember_tensor x, const int64_t* output_size,
                                               int32_t dims, ember_tensor* out);
/* torch.ops.aten._adaptive_avg_pool2d_backward (and the 1-d one): grad_x has x's shape. */
EMBER_API ember_status ember_adaptive_avg_pool_backward(ember_tensor grad_out, ember_tensor x,
                                                        int32_t dims, ember_tensor* grad_x);
/* F.adaptive_max_pool1d / 2d(x, output_size, return_indices=True): indices_out gets int64 flat
 * positions within each input plane (h * W + w; along L for 1-d). */
EMBER_API ember_status ember_adaptive_max_pool(ember_tensor x, const int64_t* output_size,
                                               int32_t dims, ember_tensor* out,
                                               ember_tensor* indices_out);
/* torch.ops.aten.adaptive_max_pool2d_backward (and the 1-d one). */
EMBER_API ember_status ember_adaptive_max_pool_backward(ember_tensor grad_out, ember_tensor x,
                                                        ember_tensor indices, int32_t dims,
                                                        ember_tensor* grad_x);

/* ---- unfold / fold ---- */
/* F.unfold(x, kernel_size, dilation, padding, stride): x (N, C, H, W) or (C, H, W) to sliding
 * blocks (N, C * kH * kW, L). Each array holds (h, w); NULL means 1, 0 and 1 (kernel required). */
EMBER_API ember_status ember_unfold(ember_tensor x, const int64_t* kernel2,
                                    const int64_t* dilation2, const int64_t* padding2,
                                    const int64_t* stride2, ember_tensor* out);
/* F.fold(x, output_size, kernel_size, dilation, padding, stride): sliding blocks
 * (N, C * kH * kW, L) or (C * kH * kW, L) summed back into (N, C, H, W) with (H, W) =
 * output_size2. */
EMBER_API ember_status ember_fold(ember_tensor x, const int64_t* output_size2,
                                  const int64_t* kernel2, const int64_t* dilation2,
                                  const int64_t* padding2, const int64_t* stride2,
                                  ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_CONV_POOL_H */
