// Fused scaled_dot_product_attention on the CPU, FlashAttention style: a task takes one block of
// query rows and streams the keys and values block by block, keeping each row's running maximum
// and exp-sum (online softmax), so the L x S score matrix never exists; only one Br x Bc block of
// it per task. The backward recomputes the blocks from the saved logsumexp. Dropout regenerates
// its keep mask from Philox counters (see SdpaParams), so forward and backward agree.
#include "core/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/parallel.h"
#include "cpu/math_fast.h"
#include "cpu/nn/common.h"
#include "cpu/nn/simd.h"
#include "cpu/nn/small_gemm.h"
#include "hostdev/dropout_keep.h"

namespace ember::cpu {
namespace {

constexpr int64_t kBr = 64;  // query rows per block
constexpr int64_t kBc = 64;  // keys per block (forward)
// Keys per block in the backward: wider, so that each pass over a query block's rows (and its
// read-modify-write of grad_q) serves more keys.
constexpr int64_t kBk = 256;

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// The operands of one call, typed.
template <class T>
struct Operands {
  const T* q;
  const T* k;
  const T* v;
  const bool* mask_bool;  // null unless a bool mask
  const T* mask_add;      // null unless a floating mask
};

// s[c] (the raw q.k of row i, keys j0 + c) becomes scale * s + mask, -inf where masked.
template <class T>
EMBER_ALWAYS_INLINE inline void score_row(const SdpaParams& p, const Operands<T>& o, int64_t b,
                                          int64_t i, int64_t j0, int64_t n, T* s) {
  const T scale = static_cast<T>(p.scale);
  for (int64_t c = 0; c < n; ++c) s[c] *= scale;
  if (o.mask_add) {
    const T* m = o.mask_add + p.m_off[b] + i * p.m_rs + j0 * p.m_cs;
    for (int64_t c = 0; c < n; ++c) s[c] += m[c * p.m_cs];
  } else if (o.mask_bool) {
    const bool* m = o.mask_bool + p.m_off[b] + i * p.m_rs + j0 * p.m_cs;
    for (int64_t c = 0; c < n; ++c) s[c] = m[c * p.m_cs] ? s[c] : kNegInf<T>;
  }
  if (p.causal) {
    for (int64_t c = std::max<int64_t>(0, i + 1 - j0); c < n; ++c) s[c] = kNegInf<T>;
  }
}

// s[c] = exp(s[c] - shift) for c < n; returns their sum.
template <class T>
EMBER_ALWAYS_INLINE inline T exp_row(T* s, int64_t n, T shift) {
  T sum = 0;
  int64_t c = 0;
  if constexpr (std::is_same_v<T, float>) {
    using V = Simd<float>::V;
    constexpr int W = Simd<float>::kWidth;
    V acc{};
    for (; c + W <= n; c += W) {
      V x;
      load_vec(x, s + c);
      x -= shift;
      exp_vec(x);
      store_vec(s + c, x);
      acc += x;
    }
    for (int w = 0; w < W; ++w) sum += acc[w];
  }
  for (; c < n; ++c) {
    s[c] = exp_compute<T>(s[c] - shift);
    sum += s[c];
  }
  return sum;
}

// z[c] = the dropout factor (1/keep or 0) of element (b, i, j0 + c).
template <class T>
EMBER_ALWAYS_INLINE inline void drop_row(const SdpaParams& p, int64_t b, int64_t i, int64_t j0,
                                         int64_t n, T* z) {
  const uint32_t threshold = dropout_threshold(p.keep);
  const T kept = p.keep > 0 ? static_cast<T>(1 / p.keep) : T(0);
  uint64_t k = static_cast<uint64_t>((b * p.L + i) * p.S + j0);
  uint64_t counter = ~uint64_t{0};
  Philox4 r{};
  for (int64_t c = 0; c < n; ++c, ++k) {
    if ((k >> 2) != counter) {
      counter = k >> 2;
      r = philox4x32(p.seed, p.base + counter);
    }
    z[c] = (r.v[k & 3] >> 8) < threshold ? kept : T(0);
  }
}

// dst (n x rows, row stride ld) = src (rows x n, row stride n) transposed: a key or value block
// laid out so that the register-blocked small_gemm reads it with unit column stride.
template <class T>
EMBER_ALWAYS_INLINE inline void transpose_block(const T* src, int64_t rows, int64_t n, T* dst,
                                                int64_t ld) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t e = 0; e < n; ++e) dst[e * ld + r] = src[r * n + e];
  }
}

template <class T>
EMBER_ALWAYS_INLINE inline void forward_range(const SdpaParams& p, const Operands<T>& o, T* out,
                                              T* lse, int64_t begin, int64_t end) {
  const int64_t L = p.L, S = p.S, E = p.E, Ev = p.Ev;
  const int64_t nqb = (L + kBr - 1) / kBr;
  std::vector<T> s(kBr * kBc), acc(kBr * Ev), mx(kBr), sum(kBr), z(kBc), kt(E * kBc);
  for (int64_t item = begin; item < end; ++item) {
    const int64_t b = item / nqb, i0 = item % nqb * kBr, rows = std::min(kBr, L - i0);
    const T* q = o.q + p.q_off[b] + i0 * E;
    const T* k = o.k + p.k_off[b];
    const T* v = o.v + p.v_off[b];
    std::fill(acc.begin(), acc.end(), T(0));
    std::fill(mx.begin(), mx.end(), kNegInf<T>);
    std::fill(sum.begin(), sum.end(), T(0));
    // Causal: keys past the block's last row are masked for all of its rows.
    const int64_t j_end = p.causal ? std::min(S, i0 + rows) : S;
    for (int64_t j0 = 0; j0 < j_end; j0 += kBc) {
      const int64_t cols = std::min(kBc, j_end - j0);
      transpose_block(k + j0 * E, cols, E, kt.data(), kBc);
      small_gemm(SmallGemm<T>{rows, cols, E, q, E, 1, kt.data(), kBc, s.data(), kBc, false});
      for (int64_t r = 0; r < rows; ++r) {
        T* sr = s.data() + r * kBc;
        score_row(p, o, b, i0 + r, j0, cols, sr);
        T m = mx[r];
        for (int64_t c = 0; c < cols; ++c) m = std::max(m, sr[c]);
        if (m == kNegInf<T>) {  // nothing visible yet: contributes nothing
          std::fill(sr, sr + cols, T(0));
          continue;
        }
        const T alpha = exp_compute<T>(mx[r] - m);
        mx[r] = m;
        sum[r] = sum[r] * alpha + exp_row(sr, cols, m);
        if (p.dropout) {
          drop_row(p, b, i0 + r, j0, cols, z.data());
          for (int64_t c = 0; c < cols; ++c) sr[c] *= z[c];
        }
        if (alpha != T(1)) {
          T* ar = acc.data() + r * Ev;
          for (int64_t e = 0; e < Ev; ++e) ar[e] *= alpha;
        }
      }
      small_gemm(
          SmallGemm<T>{rows, Ev, cols, s.data(), kBc, 1, v + j0 * Ev, Ev, acc.data(), Ev, true});
    }
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = i0 + r;
      T* orow = out + (b * L + i) * Ev;
      // Every key masked: torch's softmax over all -inf gives NaN, and so does this.
      const T inv = sum[r] > 0 ? T(1) / sum[r] : std::numeric_limits<T>::quiet_NaN();
      for (int64_t e = 0; e < Ev; ++e) orow[e] = acc[r * Ev + e] * inv;
      lse[b * L + i] = sum[r] > 0 ? mx[r] + std::log(sum[r]) : kNegInf<T>;
    }
  }
}

// Backward task: batch element b, key blocks [kb0, kb1). Owns grad_k / grad_v of those keys and
// accumulates its share of grad_q into dq (L, E).
template <class T>
EMBER_ALWAYS_INLINE inline void backward_task(const SdpaParams& p, const Operands<T>& o,
                                              const T* dout, const T* out, const T* lse, T* dq,
                                              T* dk_all, T* dv_all, int64_t b, int64_t kb0,
                                              int64_t kb1) {
  const int64_t L = p.L, S = p.S, E = p.E, Ev = p.Ev;
  const T scale = static_cast<T>(p.scale);
  const T* q = o.q + p.q_off[b];
  const T* k = o.k + p.k_off[b];
  const T* v = o.v + p.v_off[b];
  const T* g = dout + b * L * Ev;
  const T* lb = lse + b * L;
  // D_i = sum_e dO[i, e] * O[i, e]: the row term of softmax's backward (dropout included).
  std::vector<T> d(L);
  for (int64_t i = 0; i < L; ++i) {
    const T* gr = g + i * Ev;
    const T* orow = out + (b * L + i) * Ev;
    T acc = 0;
    for (int64_t e = 0; e < Ev; ++e) acc += gr[e] * orow[e];
    d[i] = acc;
  }
  std::vector<T> pm(kBr * kBk), pd(p.dropout ? kBr * kBk : 0), dp(kBr * kBk);
  std::vector<T> kt(E * kBk), vt(Ev * kBk);
  for (int64_t kb = kb0; kb < kb1; ++kb) {
    const int64_t j0 = kb * kBk, cols = std::min(kBk, S - j0);
    T* dk = dk_all + (b * S + j0) * E;
    T* dv = dv_all + (b * S + j0) * Ev;
    transpose_block(k + j0 * E, cols, E, kt.data(), kBk);
    transpose_block(v + j0 * Ev, cols, Ev, vt.data(), kBk);
    // Causal: query rows before j0 see none of these keys.
    for (int64_t i0 = p.causal ? j0 / kBr * kBr : 0; i0 < L; i0 += kBr) {
      const int64_t rows = std::min(kBr, L - i0);
      small_gemm(
          SmallGemm<T>{rows, cols, E, q + i0 * E, E, 1, kt.data(), kBk, pm.data(), kBk, false});
      for (int64_t r = 0; r < rows; ++r) {
        T* pr = pm.data() + r * kBk;
        score_row(p, o, b, i0 + r, j0, cols, pr);
        exp_row(pr, cols, lb[i0 + r]);
        if (p.dropout) {
          drop_row(p, b, i0 + r, j0, cols, pd.data() + r * kBk);
          for (int64_t c = 0; c < cols; ++c) pd[r * kBk + c] *= pr[c];
        }
      }
      const T* pdrop = p.dropout ? pd.data() : pm.data();
      // dV += P_dropped^T dO
      small_gemm(SmallGemm<T>{cols, Ev, rows, pdrop, 1, kBk, g + i0 * Ev, Ev, dv, Ev, true});
      // dP = dO V^T; dS = P * (dP * Z - D) * scale
      small_gemm(
          SmallGemm<T>{rows, cols, Ev, g + i0 * Ev, Ev, 1, vt.data(), kBk, dp.data(), kBk, false});
      for (int64_t r = 0; r < rows; ++r) {
        T* dr = dp.data() + r * kBk;
        const T* pr = pm.data() + r * kBk;
        const T di = d[i0 + r];
        if (p.dropout) {
          // pd = P * Z, so P * dP * Z = pd * dP.
          const T* pdr = pd.data() + r * kBk;
          for (int64_t c = 0; c < cols; ++c) dr[c] = (pdr[c] * dr[c] - pr[c] * di) * scale;
        } else {
          for (int64_t c = 0; c < cols; ++c) dr[c] = pr[c] * (dr[c] - di) * scale;
        }
      }
      // dQ += dS K; dK += dS^T Q
      small_gemm(
          SmallGemm<T>{rows, E, cols, dp.data(), kBk, 1, k + j0 * E, E, dq + i0 * E, E, true});
      small_gemm(SmallGemm<T>{cols, E, rows, dp.data(), 1, kBk, q + i0 * E, E, dk, E, true});
    }
  }
}

template <class T>
Operands<T> operands(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask) {
  Operands<T> o{q->data_as<T>(), k->data_as<T>(), v->data_as<T>(), nullptr, nullptr};
  if (mask && mask->dtype() == DType::Bool) o.mask_bool = mask->data_as<bool>();
  if (mask && mask->dtype() != DType::Bool) o.mask_add = mask->data_as<T>();
  return o;
}

template <class T>
void forward_base(const SdpaParams& p, const Operands<T>& o, T* out, T* lse, int64_t b, int64_t e) {
  forward_range(p, o, out, lse, b, e);
}
template <class T>
void backward_base(const SdpaParams& p, const Operands<T>& o, const T* dout, const T* out,
                   const T* lse, T* dq, T* dk, T* dv, int64_t b, int64_t kb0, int64_t kb1) {
  backward_task(p, o, dout, out, lse, dq, dk, dv, b, kb0, kb1);
}
#if EMBER_X86_CLONES
template <class T>
EMBER_TARGET_AVX2 void forward_avx2(const SdpaParams& p, const Operands<T>& o, T* out, T* lse,
                                    int64_t b, int64_t e) {
  forward_range(p, o, out, lse, b, e);
}
template <class T>
EMBER_TARGET_AVX2 void backward_avx2(const SdpaParams& p, const Operands<T>& o, const T* dout,
                                     const T* out, const T* lse, T* dq, T* dk, T* dv, int64_t b,
                                     int64_t kb0, int64_t kb1) {
  backward_task(p, o, dout, out, lse, dq, dk, dv, b, kb0, kb1);
}
#endif

void sdpa_cpu(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
              const Tensor& v, const Tensor& mask, const SdpaParams& p) {
  dispatch_float_double("scaled_dot_product_attention", q->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Operands<T> o = operands<T>(q, k, v, mask);
    T* op = out->data_as<T>();
    T* lp = lse->data_as<T>();
    const int64_t items = p.batch * ((p.L + kBr - 1) / kBr);
    parallel_for(0, items, 1, [&](int64_t b, int64_t e) {
#if EMBER_X86_CLONES
      if (cpu_has_avx2()) return forward_avx2<T>(p, o, op, lp, b, e);
#endif
      forward_base<T>(p, o, op, lp, b, e);
    });
  });
}

void sdpa_backward_cpu(const Tensor& grad_q, const Tensor& grad_k, const Tensor& grad_v,
                       const Tensor& grad_out, const Tensor& q, const Tensor& k, const Tensor& v,
                       const Tensor& mask, const Tensor& out, const Tensor& lse,
                       const SdpaParams& p) {
  dispatch_float_double("scaled_dot_product_attention_backward", q->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Operands<T> o = operands<T>(q, k, v, mask);
    const int64_t nkb = (p.S + kBk - 1) / kBk, threads = num_threads();
    // Enough batch elements keep every thread busy with whole elements; otherwise the keys of
    // one element are split into chunks whose grad_q shares are summed afterwards.
    const int64_t chunks =
        p.batch >= threads ? 1 : std::min(nkb, (threads + p.batch - 1) / p.batch);
    const int64_t qsize = p.L * p.E;
    std::vector<T> partial(chunks > 1 ? static_cast<size_t>(p.batch * chunks * qsize) : 0);
    T* gq = grad_q->data_as<T>();
    const T* dout = grad_out->data_as<T>();
    const T* op = out->data_as<T>();
    const T* lp = lse->data_as<T>();
    T* gk = grad_k->data_as<T>();
    T* gv = grad_v->data_as<T>();
    parallel_for(0, p.batch * chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t b = item / chunks, c = item % chunks;
        const int64_t kb0 = nkb * c / chunks, kb1 = nkb * (c + 1) / chunks;
        T* dq = chunks > 1 ? partial.data() + item * qsize : gq + b * qsize;
#if EMBER_X86_CLONES
        if (cpu_has_avx2()) {
          backward_avx2<T>(p, o, dout, op, lp, dq, gk, gv, b, kb0, kb1);
          continue;
        }
#endif
        backward_base<T>(p, o, dout, op, lp, dq, gk, gv, b, kb0, kb1);
      }
    });
    if (chunks > 1) {
      parallel_for(0, p.batch, 1, [&](int64_t begin, int64_t end) {
        for (int64_t b = begin; b < end; ++b) {
          T* dst = gq + b * qsize;
          for (int64_t c = 0; c < chunks; ++c) {
            const T* src = partial.data() + (b * chunks + c) * qsize;
            for (int64_t x = 0; x < qsize; ++x) dst[x] += src[x];
          }
        }
      });
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(sdpa_stub, DeviceType::CPU, sdpa_cpu);
EMBER_REGISTER_KERNEL(sdpa_backward_stub, DeviceType::CPU, sdpa_backward_cpu);

}  // namespace ember::cpu
