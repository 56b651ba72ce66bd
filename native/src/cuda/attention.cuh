// What the fused attention kernels share: attention.cu (every dtype and head dim, forward and
// backward) and attention_mma*.cu (register-tiled float16/bfloat16 kernels for head dims 64 and
// 128): the batch layout of SdpaParams, the dropout draw, and the entry points of the mma kernels.
#pragma once

#include <algorithm>
#include <cstdint>

#include "common.cuh"
#include "core/attention.h"
#include "hostdev/dropout_keep.h"
#include "philox.cuh"

namespace ember_cuda {

// The batch dims with each operand's strides (SdpaParams' batch description), by value into
// kernels.
struct SdpaBatch {
  int32_t dims;
  int64_t sizes[ember::kSdpaMaxBatchDims];
  int64_t q[ember::kSdpaMaxBatchDims], k[ember::kSdpaMaxBatchDims], v[ember::kSdpaMaxBatchDims],
      m[ember::kSdpaMaxBatchDims];
};

inline SdpaBatch sdpa_batch(const ember::SdpaParams& p) {
  SdpaBatch l{};
  l.dims = p.batch_dims;
  for (int d = 0; d < p.batch_dims; ++d) {
    l.sizes[d] = p.batch_sizes[d];
    l.q[d] = p.q_bs[d];
    l.k[d] = p.k_bs[d];
    l.v[d] = p.v_bs[d];
    l.m[d] = p.m_bs[d];
  }
  return l;
}

struct SdpaOffsets {
  int64_t q = 0, k = 0, v = 0, m = 0;
};

// The element offsets of batch element b in each operand.
__device__ inline SdpaOffsets sdpa_offsets(const SdpaBatch& l, int64_t b) {
  SdpaOffsets o;
  for (int d = l.dims - 1; d >= 0; --d) {
    const int64_t i = b % l.sizes[d];
    b /= l.sizes[d];
    o.q += i * l.q[d];
    o.k += i * l.k[d];
    o.v += i * l.v[d];
    o.m += i * l.m[d];
  }
  return o;
}

// Dropout as SdpaParams defines it: element (b, i, j) has index k = (b * L + i) * S + j and is
// kept when word k % 4 of philox4x32(seed, base + k / 4), shifted right by 8, is below
// keep * 2^24 (the threshold).
struct SdpaDropout {
  uint64_t seed, base;
  uint32_t threshold;
};

inline SdpaDropout sdpa_dropout(const ember::SdpaParams& p) {
  return {p.seed, p.base, ember::dropout_threshold(p.keep)};
}

__device__ inline bool sdpa_keeps(const SdpaDropout& d, uint64_t k) {
  const PhiloxWords w = philox4x32(d.seed, d.base + (k >> 2));
  return (w.v[k & 3] >> 8) < d.threshold;
}

// The forward on mma.sync tiles held in registers (attention_mma.cu) when it covers the case:
// float16 or bfloat16, E = Ev of 64 or 128, operands whose rows start 16-byte aligned. Returns
// false, having launched nothing, for every other case (attention.cu's kernel takes it).
bool sdpa_forward_mma(const ember_kernel_tensor* out, const ember_kernel_tensor* lse,
                      const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                      const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                      const ember::SdpaParams& p);

// The forward on Hopper's warpgroup MMA (attention_wgmma.cu) for the cases sdpa_forward_mma takes,
// where the device is compute capability 9.0 and the plugin carries sm_90a code. Returns false,
// having launched nothing, otherwise.
bool sdpa_forward_wgmma(const ember_kernel_tensor* out, const ember_kernel_tensor* lse,
                        const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                        const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                        const ember::SdpaParams& p);

// The backward on Hopper's warpgroup MMA (attention_wgmma_backward.cu), under the conditions of
// sdpa_forward_wgmma and sdpa_backward_mma. Returns false, having launched nothing, otherwise.
bool sdpa_backward_wgmma(const ember_kernel_tensor* grad_q, const ember_kernel_tensor* grad_k,
                         const ember_kernel_tensor* grad_v, const ember_kernel_tensor* grad_out,
                         const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                         const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                         const ember_kernel_tensor* lse, const float* delta,
                         const ember::SdpaParams& p);

// Whether the current device is compute capability 9.0 and the plugin carries the sm_90a code of
// the wgmma kernels (a probe launch once per device, outside graph capture).
bool sdpa_wgmma_available();

// The backward on mma.sync tiles (attention_mma_backward.cu) for the cases the mma forward takes
// (and grad_out 16-byte aligned); delta holds D = rowsum(grad_out * out) per (batch, row).
// Returns false, having launched nothing, for every other case.
bool sdpa_backward_mma(const ember_kernel_tensor* grad_q, const ember_kernel_tensor* grad_k,
                       const ember_kernel_tensor* grad_v, const ember_kernel_tensor* grad_out,
                       const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                       const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                       const ember_kernel_tensor* lse, const float* delta,
                       const ember::SdpaParams& p);

}  // namespace ember_cuda
