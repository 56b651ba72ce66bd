// Direct conv2d kernels for stride 1 along the width with output rows a whole number of vectors
// wide (the seed CNN's 24- and 8-wide rows): a vector of output columns at one output row and tap
// is one unaligned load from the input row, so no im2col buffer is written or read back. The
// weights are packed once per call; images spread over the engine's pool.
#pragma once

#include <cstdint>

namespace ember::cpu::conv {

// One conv2d's geometry; the width's stride is 1, the height's is sh.
struct Direct {
  int64_t n, c, h, w;  // input
  int64_t o, kh, kw;   // weight (o, c / groups, kh, kw)
  int64_t ho, wo;      // output
  int64_t sh, ph, pw, dh, dw, groups;
};

// Whether the direct kernels take a convolution of this geometry for elements of `bytes` bytes
// (the output width must be a multiple of the vector width, the width's stride sw must be 1).
bool direct_applies(const Direct& d, int64_t sw, int64_t bytes);

// y (N, O, HO, WO) = conv2d(x, w) + b; b may be null.
void direct_forward(const Direct& d, const float* x, const float* w, const float* b, float* y);
void direct_forward(const Direct& d, const double* x, const double* w, const double* b, double* y);

// gx (N, C, H, W) = the gradient of the input for gy (N, O, HO, WO); overwrites gx.
void direct_grad_input(const Direct& d, const float* w, const float* gy, float* gx);
void direct_grad_input(const Direct& d, const double* w, const double* gy, double* gx);

// gw (O, C / groups, KH, KW) = the gradient of the weight; overwrites gw. Images are summed in
// fixed blocks, so the result does not depend on the number of threads.
void direct_grad_weight(const Direct& d, const float* x, const float* gy, float* gw);
void direct_grad_weight(const Direct& d, const double* x, const double* gy, double* gw);

}  // namespace ember::cpu::conv
