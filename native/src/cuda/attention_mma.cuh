// What the register-tiled attention kernels share (attention_mma.cu: forward,
// attention_mma_backward.cu: backward): their operands, which cases they take, the shared-memory
// tile loads, and the masked, scaled score of one (query, key) element.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "attention.cuh"
#include "mma.cuh"

namespace ember_cuda::sdpa_mma {

constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;
constexpr float kInf = std::numeric_limits<float>::infinity();

enum class MaskKind { None, Bool, Additive };

// What both directions read, by value into the kernels.
template <class T>
struct Operands {
  const T* q;
  const T* k;
  const T* v;
  const bool* mask_bool;  // MaskKind::Bool
  const T* mask_add;      // MaskKind::Additive
  int64_t m_rs, m_cs;
  int64_t L, S;
  float scale_log2;  // scale * log2(e): the kernels keep scores in base-2 units
  float scale;
  float kept;  // 1 / keep, the factor of a kept probability
  bool causal;
  SdpaDropout drop;
  SdpaBatch batch;
};

// Row stride of the shared tiles in elements: 16 bytes of padding put the 8 rows an ldmatrix
// reads into 8 different groups of 4 banks, and keep every row 16-byte aligned for cp.async.
template <int E>
constexpr int kLd = E + 8;

// kRows x E elements of a row-major source (row stride E) into a shared tile of row stride
// kLd<E>, by all kThreads threads; rows at or past `valid` become zeros (zero rows of K, V, Q or
// dO keep garbage out of the products).
template <int kRows, int E, int kThreads, class T>
__device__ inline void load_rows(T* dst, const T* src, int64_t valid) {
  constexpr int kChunks = E / 8;  // 16-byte pieces a row
  static_assert(kRows * kChunks % kThreads == 0);
#pragma unroll
  for (int u = 0; u < kRows * kChunks / kThreads; ++u) {
    const int x = threadIdx.x + u * kThreads;
    const int r = x / kChunks, c = x % kChunks * 8;
    const bool ok = r < valid;
    cp_async16(smem_u32(dst + r * kLd<E> + c), src + (ok ? r : 0) * int64_t{E} + c, ok);
  }
}

// Bounds and causality of a block of scores, relative to its first query row i0 and key j0, in
// 32-bit arithmetic: element (r, c), query i0 + r and key j0 + c, is hidden when r >= rows (past
// L), c >= cols (past S) or, causal, c - r > diag (the key follows the query).
struct Edge {
  int rows, cols, diag;
  __device__ bool hides(int r, int c) const { return r >= rows || c >= cols || c - r > diag; }
};

// x limited to +-2^30: beyond any tile, so nothing in it is hidden on that account.
__device__ inline int clamp_far(int64_t x) {
  constexpr int64_t kFar = int64_t{1} << 30;
  return static_cast<int>(x < -kFar ? -kFar : x > kFar ? kFar : x);
}

template <class T>
__device__ inline Edge edge_of(const Operands<T>& a, int64_t i0, int64_t j0) {
  return {clamp_far(a.L - i0), clamp_far(a.S - j0), a.causal ? clamp_far(i0 - j0) : 1 << 30};
}

// The base-2 score of query i and key j from their dot product: scaled, plus the mask. Hidden
// elements (see Edge) are set to -inf afterwards, on the tiles that have any; i and j are clamped
// into the mask so that reading it for them stays in bounds.
template <MaskKind kMask, class T>
__device__ inline float score2(const Operands<T>& a, int64_t m_off, float dot, int64_t i,
                               int64_t j) {
  float x = dot * a.scale_log2;
  if constexpr (kMask != MaskKind::None) {
    const int64_t at = m_off + min(i, a.L - 1) * a.m_rs + min(j, a.S - 1) * a.m_cs;
    if constexpr (kMask == MaskKind::Additive) {
      x += static_cast<float>(a.mask_add[at]) * kLog2e;
    } else if (!a.mask_bool[at]) {
      x = -kInf;
    }
  }
  return x;
}

// The dropout factor (1 / keep or 0) of element (b, i, j).
template <class T>
__device__ inline float drop_factor(const Operands<T>& a, int64_t b, int64_t i, int64_t j) {
  return sdpa_keeps(a.drop, static_cast<uint64_t>((b * a.L + i) * a.S + j)) ? a.kept : 0.0f;
}

// The backward's step from scores to what the gradients need, on one warp's transposed tile in
// the mma accumulator layout: element c of n-tile nt is key k0 + g + 8 (c / 2), query
// i0 + 8 nt + 2 t4 + c % 2. The scores in st are masked (and scaled; without a mask the scale
// joins the exponent, one FFMA), then hidden (see Edge) where the step of kBr queries reaches past
// L or S or some key of the warp follows some query of the step. With P = exp(score - lse) (NaN
// where the whole row is masked, as the CPU gives) and Z the dropout factor, st becomes P Z (for
// dV) and dpt, holding dP, becomes dS = P (dP Z - D) scale (for dK and dQ). lse and d are the
// step's rows of the log-sum-exp and of D = rowsum(dO * O).
template <int kBr, MaskKind kMask, bool kDropout, int kNT, class T>
__device__ __forceinline__ void scores_to_p_ds(float (&st)[kNT][4], float (&dpt)[kNT][4],
                                               const Operands<T>& a, int64_t m_off, int64_t b,
                                               int64_t i0, int64_t k0, int g, int t4,
                                               const float* lse, const float* d) {
  if constexpr (kMask != MaskKind::None) {
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        st[nt][c] =
            score2<kMask>(a, m_off, st[nt][c], i0 + nt * 8 + 2 * t4 + c % 2, k0 + g + c / 2 * 8);
      }
    }
  }
  if (i0 + kBr > a.L || k0 + 16 > a.S || (a.causal && k0 + 15 > i0)) {
    const Edge e = edge_of(a, i0, k0);
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        if (e.hides(nt * 8 + 2 * t4 + c % 2, g + c / 2 * 8)) st[nt][c] = -kInf;
      }
    }
  }
  const float sc = kMask == MaskKind::None ? a.scale_log2 : 1.0f;
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      const int il = nt * 8 + 2 * t4 + c % 2;
      const float p = exp2_fast(fmaf(st[nt][c], sc, -lse[il] * kLog2e));
      float z = 1;
      if constexpr (kDropout) z = drop_factor(a, b, i0 + il, k0 + g + c / 2 * 8);
      st[nt][c] = p * z;
      dpt[nt][c] = p * (dpt[nt][c] * z - d[il]) * a.scale;
    }
  }
}

// ---- host side ----

// True when t is 16-byte aligned and so is every batch element's start (cp.async moves 16 bytes).
inline bool aligned16(const ember_kernel_tensor* t, const int64_t* batch_strides, int dims) {
  if (reinterpret_cast<uintptr_t>(t->data) % 16 != 0) return false;
  for (int d = 0; d < dims; ++d) {
    if (batch_strides[d] % 8 != 0) return false;  // 8 16-bit elements
  }
  return true;
}

// The cases these kernels take: float16 or bfloat16, E = Ev of 64 or 128, a positive scale (the
// forward takes row maxima of unscaled scores), aligned operands, a mask (if any) that is bool or
// of q's dtype, and a grid of at most 2^31 - 1 blocks of `tile` rows (of L or S) each.
inline bool covers(const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                   const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                   const ember::SdpaParams& p, int64_t length, int64_t tile) {
  if (q->dtype != EMBER_FLOAT16 && q->dtype != EMBER_BFLOAT16) return false;
  if (p.E != p.Ev || (p.E != 64 && p.E != 128) || !(p.scale > 0)) return false;
  if (mask != nullptr && mask->dtype != EMBER_BOOL && mask->dtype != q->dtype) return false;
  if (!aligned16(q, p.q_bs, p.batch_dims) || !aligned16(k, p.k_bs, p.batch_dims) ||
      !aligned16(v, p.v_bs, p.batch_dims))
    return false;
  return p.batch * ((length + tile - 1) / tile) <= std::numeric_limits<int32_t>::max();
}

template <class T>
Operands<T> operands(const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                     const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                     const ember::SdpaParams& p) {
  Operands<T> a{};
  a.q = data<T>(q);
  a.k = data<T>(k);
  a.v = data<T>(v);
  a.mask_bool = mask != nullptr && mask->dtype == EMBER_BOOL ? data<bool>(mask) : nullptr;
  a.mask_add = mask != nullptr && mask->dtype != EMBER_BOOL ? data<T>(mask) : nullptr;
  a.m_rs = p.m_rs;
  a.m_cs = p.m_cs;
  a.L = p.L;
  a.S = p.S;
  a.scale_log2 = static_cast<float>(p.scale * 1.4426950408889634);
  a.scale = static_cast<float>(p.scale);
  a.kept = p.keep > 0 ? static_cast<float>(1 / p.keep) : 0.0f;
  a.causal = p.causal;
  a.drop = sdpa_dropout(p);
  a.batch = sdpa_batch(p);
  return a;
}

// Calls f(Tag<T>, E, mask kind, dropout) with the last three as integral constants, for the case
// that covers() accepted.
template <class F>
void dispatch_case(const ember_kernel_tensor* q, const ember_kernel_tensor* mask,
                   const ember::SdpaParams& p, F&& f) {
  const auto with_e = [&](auto tag, auto mk, auto drop) {
    if (p.E == 64) {
      f(tag, std::integral_constant<int, 64>{}, mk, drop);
    } else {
      f(tag, std::integral_constant<int, 128>{}, mk, drop);
    }
  };
  const auto with_drop = [&](auto tag, auto mk) {
    if (p.dropout) {
      with_e(tag, mk, std::true_type{});
    } else {
      with_e(tag, mk, std::false_type{});
    }
  };
  const auto with_mask = [&](auto tag) {
    if (mask == nullptr) {
      with_drop(tag, std::integral_constant<MaskKind, MaskKind::None>{});
    } else if (mask->dtype == EMBER_BOOL) {
      with_drop(tag, std::integral_constant<MaskKind, MaskKind::Bool>{});
    } else {
      with_drop(tag, std::integral_constant<MaskKind, MaskKind::Additive>{});
    }
  };
  if (q->dtype == EMBER_FLOAT16) {
    with_mask(Tag<__half>{});
  } else {
    with_mask(Tag<__nv_bfloat16>{});
  }
}

}  // namespace ember_cuda::sdpa_mma
