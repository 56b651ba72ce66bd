// scaled_dot_product_attention: the op API and the kernel contract of its fused CPU kernels.
#pragma once

#include <cstdint>

#include "dispatch.h"
#include "generator.h"
#include "tensor.h"

namespace ember {

// Up to this many broadcast batch dims (those before L and E).
constexpr int kSdpaMaxBatchDims = 14;

// What the meta function hands the kernels; trivially copyable, so it crosses to backend plugins
// by address. Every batch element b (of the broadcast batch dims, flattened) reads its (L, E)
// query block at q + q_off[b], its keys (S, E) at k + k_off[b] and values (S, Ev) at v + v_off[b],
// each with contiguous rows (row stride E or Ev). The mask, when present, is bool (keep where
// true) or the dtype of q (added to the scores), element (i, j) of batch b at mask + m_off[b] +
// i * m_rs + j * m_cs (strides may be 0: broadcast).
struct SdpaParams {
  int64_t batch = 0, L = 0, S = 0, E = 0, Ev = 0;
  double scale = 1;
  bool causal = false;  // key j is masked for query i when j > i (top-left aligned, as torch)
  // Dropout on the attention probabilities: element (b, i, j) is index k = (b * L + i) * S + j and
  // is kept when word k % 4 of philox4x32(seed, base + k / 4), shifted right by 8, is below
  // keep * 2^24; kept probabilities are divided by keep. dropout false: keep everything.
  bool dropout = false;
  double keep = 1;
  uint64_t seed = 0, base = 0;
  // Host tables of `batch` offsets each (m_off null without a mask), valid during the kernel call.
  const int64_t* q_off = nullptr;
  const int64_t* k_off = nullptr;
  const int64_t* v_off = nullptr;
  const int64_t* m_off = nullptr;
  int64_t m_rs = 0, m_cs = 0;
  // The same offsets as strides over the batch dims (row-major, 0 where broadcast), for device
  // kernels that compute them rather than copy the tables: offset(b) = sum_d idx_d(b) * stride_d.
  int32_t batch_dims = 0;
  int64_t batch_sizes[kSdpaMaxBatchDims] = {};
  int64_t q_bs[kSdpaMaxBatchDims] = {}, k_bs[kSdpaMaxBatchDims] = {}, v_bs[kSdpaMaxBatchDims] = {},
          m_bs[kSdpaMaxBatchDims] = {};
};

// Dtypes: q, k, v, out and grad_out are in the compute dtype: float or double, except on GPU
// devices, which get float16 and bfloat16 operands as they are. lse and the gradients are in the
// accumulation dtype: float for 16-bit operands, else the compute dtype.
//
// Forward: out (batch, L, Ev) and lse (batch, L) contiguous; lse is the logsumexp of each row's
// masked, scaled scores (-inf when every key is masked, where out is NaN as torch's softmax
// gives).
using SdpaFn = void (*)(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                        const Tensor& v, const Tensor& mask, const SdpaParams& p);
// Backward: grad_q (batch, L, E), grad_k (batch, S, E), grad_v (batch, S, Ev) contiguous and
// zero-filled, one per batch element (the meta sums broadcast batch dims afterwards); grad_out and
// out (batch, L, Ev) contiguous; lse as the forward wrote it.
using SdpaBackwardFn = void (*)(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                                const Tensor& grad_out, const Tensor& q, const Tensor& k,
                                const Tensor& v, const Tensor& mask, const Tensor& out,
                                const Tensor& lse, const SdpaParams& p);

extern DispatchStub<SdpaFn> sdpa_stub;
extern DispatchStub<SdpaBackwardFn> sdpa_backward_stub;

namespace ops {

// The forward's results and what its backward needs to regenerate the dropout mask.
struct SdpaResult {
  Tensor out;  // (batch..., L, Ev) in q's dtype
  Tensor lse;  // (batch..., L) in the accumulation dtype (see SdpaParams)
  uint64_t seed = 0, base = 0;
};

// torch.nn.functional.scaled_dot_product_attention. mask may be null; scale NaN means
// 1 / sqrt(E). Dropout draws (batch * L * S + 3) / 4 counters from gen when dropout_p > 0.
SdpaResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                        const Tensor& mask, double dropout_p, bool is_causal,
                                        double scale, Generator& gen);

struct SdpaGrads {
  Tensor grad_q, grad_k, grad_v;  // shaped and typed as q, k and v
};
SdpaGrads scaled_dot_product_attention_backward(const Tensor& grad_out, const Tensor& q,
                                                const Tensor& k, const Tensor& v,
                                                const Tensor& mask, const Tensor& out,
                                                const Tensor& lse, double dropout_p, bool is_causal,
                                                double scale, uint64_t seed, uint64_t base);

}  // namespace ops
}  // namespace ember
