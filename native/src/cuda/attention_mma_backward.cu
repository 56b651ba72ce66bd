// scaled_dot_product_attention's backward for float16 and bfloat16 with head dims 64 and 128,
// FlashAttention-2 style on mma.sync tiles. A block owns kBc = 16 * kWarps keys, 16 a warp, and
// keeps their grad_k and grad_v in registers while it walks over the query rows in tiles of kBr
// (Q, dO, logsumexp and D of tile t + 1 load with cp.async while tile t is multiplied). For each
// tile a warp computes the transposed scores S^T = K Q^T and dP^T = V dO^T of its 16 keys,
// recomputes P^T from the logsumexp, forms dS^T = P^T (dP^T - D) scale in registers and uses P^T
// and dS^T in place as the A operands of dV += P^T dO and dK += dS^T Q. dS^T goes through shared
// memory once, for grad_q += dS K, which the block adds to the float grad_q with atomics.
// attention.cu computes D = rowsum(dO * O) first and keeps every case this file does not take.
#include "attention_mma.cuh"

namespace ember_cuda {

namespace {

using ember::SdpaParams;
using namespace sdpa_mma;

template <class T>
struct BwdArgs {
  Operands<T> in;
  const T* grad_out;  // (batch, L, E)
  const float* lse;   // (batch, L)
  const float* delta;
  float* grad_q;  // (batch, L, E), zero-filled: the blocks add their shares
  float* grad_k;  // (batch, S, E)
  float* grad_v;
};

// Shared memory in elements of T: K and V (kBc rows each), two buffers each of Q and dO (kBr
// rows), dS^T (kBc rows of kBr + 8); then float logsumexp and D, two buffers of kBr each.
template <int E, int kBc, int kBr>
struct BwdSmem {
  static constexpr int kLdE = kLd<E>, kLdS = kBr + 8;
  static constexpr int k = 0, v = k + kBc * kLdE, q = v + kBc * kLdE, g = q + 2 * kBr * kLdE,
                       ds = g + 2 * kBr * kLdE, end = ds + kBc * kLdS;
  static constexpr size_t bytes = sizeof(uint16_t) * end + sizeof(float) * 4 * kBr;
};

template <class T, int E, int kWarps, int kBr, MaskKind kMask, bool kDropout>
__global__ void __launch_bounds__(kWarps * 32, 1) sdpa_backward_mma_kernel(const BwdArgs<T> args) {
  const Operands<T>& a = args.in;
  constexpr int kThreads = kWarps * 32, kBc = 16 * kWarps;
  using Smem = BwdSmem<E, kBc, kBr>;
  static_assert(2 * kBr <= kThreads);  // one thread a logsumexp or D value
  constexpr int kLdE = Smem::kLdE, kLdS = Smem::kLdS;
  constexpr int kNT = kBr / 8;  // n-tiles (8 queries) of S^T and dP^T
  constexpr int kET = E / 8;    // n-tiles (8 head-dim columns) of dK and dV
  constexpr int kKS = E / 16;   // k-steps over the head dim
  // grad_q of a query tile: warp w takes rows 16 (w % kRowGroups) .. + 15 and head-dim columns
  // kEq (w / kRowGroups) .. + kEq - 1.
  constexpr int kRowGroups = kBr / 16, kEq = E / (kWarps / kRowGroups);
  static_assert(kWarps % kRowGroups == 0 && kEq % 16 == 0);
  extern __shared__ __align__(128) unsigned char smem[];
  T* const base = reinterpret_cast<T*>(smem);
  T* sk = base + Smem::k;
  T* sv = base + Smem::v;
  T* sq = base + Smem::q;  // two buffers of kBr rows
  T* sg = base + Smem::g;  // two buffers of kBr rows
  T* sds = base + Smem::ds;
  float* sl = reinterpret_cast<float*>(base + Smem::end);  // two buffers of kBr
  float* sd = sl + 2 * kBr;                                // two buffers of kBr

  const int64_t tiles = (a.S + kBc - 1) / kBc;
  const int64_t b = blockIdx.x / tiles, j0 = blockIdx.x % tiles * kBc;
  const SdpaOffsets off = sdpa_offsets(a.batch, b);
  const T* qg = a.q + off.q;
  const T* gg = args.grad_out + b * a.L * E;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int g = lane / 4, t4 = lane % 4, m8 = lane / 8;
  const int64_t k0 = j0 + warp * 16;  // the warp's first key; its lane holds keys k0 + g (+ 8)

  // Causal: query rows before j0 see none of these keys.
  const int64_t i_begin = a.causal ? j0 / kBr * kBr : 0;
  const int n_tiles = static_cast<int>(a.L > i_begin ? (a.L - i_begin + kBr - 1) / kBr : 0);
  auto load_q = [&](int it) {
    const int64_t i0 = i_begin + int64_t{it} * kBr;
    const int buf = it % 2;
    load_rows<kBr, E, kThreads>(sq + buf * kBr * kLdE, qg + i0 * E, a.L - i0);
    load_rows<kBr, E, kThreads>(sg + buf * kBr * kLdE, gg + i0 * E, a.L - i0);
    const int r = threadIdx.x % kBr;
    if (threadIdx.x < 2 * kBr) {
      const bool ok = i0 + r < a.L;
      const float* src = threadIdx.x < kBr ? args.lse : args.delta;
      float* dst = threadIdx.x < kBr ? sl : sd;
      cp_async4(smem_u32(dst + buf * kBr + r), src + b * a.L + (ok ? i0 + r : 0), ok);
    }
  };

  load_rows<kBc, E, kThreads>(sk, a.k + off.k + j0 * E, a.S - j0);
  load_rows<kBc, E, kThreads>(sv, a.v + off.v + j0 * E, a.S - j0);
  if (n_tiles > 0) load_q(0);
  cp_async_commit();

  float dk[kET][4], dv[kET][4];
#pragma unroll
  for (int et = 0; et < kET; ++et) {
#pragma unroll
    for (int c = 0; c < 4; ++c) dk[et][c] = dv[et][c] = 0;
  }

  for (int it = 0; it < n_tiles; ++it) {
    if (it + 1 < n_tiles) {
      load_q(it + 1);  // into the buffers every warp finished reading in the previous iteration
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const int64_t i0 = i_begin + int64_t{it} * kBr;
    const T* qt = sq + it % 2 * kBr * kLdE;
    const T* gt = sg + it % 2 * kBr * kLdE;
    const float* lt = sl + it % 2 * kBr;
    const float* dt = sd + it % 2 * kBr;

    // S^T = K Q^T and dP^T = V dO^T for the warp's 16 keys: the A operand is the warp's K (V)
    // rows, quadrant m8 = (rows 8 (m8 % 2), columns 8 (m8 / 2)); the B registers come from the
    // query rows as K's do in the forward: matrix m8 covers queries 16 np + 8 (m8 / 2) .. + 7,
    // head-dim columns 16 ks + 8 (m8 % 2) .. + 7; registers 0, 1 serve n-tile 2 np, 2, 3 the next.
    float st[kNT][4], dpt[kNT][4];
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) st[nt][c] = dpt[nt][c] = 0;
    }
#pragma unroll
    for (int ks = 0; ks < kKS; ++ks) {
      uint32_t ka[4], va[4];
      const int a_at = (warp * 16 + m8 % 2 * 8 + lane % 8) * kLdE + ks * 16 + m8 / 2 * 8;
      ldmatrix_x4(ka, sk + a_at);
      ldmatrix_x4(va, sv + a_at);
#pragma unroll
      for (int np = 0; np < kNT / 2; ++np) {
        const int b_at = (np * 16 + m8 / 2 * 8 + lane % 8) * kLdE + ks * 16 + m8 % 2 * 8;
        uint32_t qf[4], gf[4];
        ldmatrix_x4(qf, qt + b_at);
        mma16816<T>(st[2 * np], ka, qf[0], qf[1]);
        mma16816<T>(st[2 * np + 1], ka, qf[2], qf[3]);
        ldmatrix_x4(gf, gt + b_at);
        mma16816<T>(dpt[2 * np], va, gf[0], gf[1]);
        mma16816<T>(dpt[2 * np + 1], va, gf[2], gf[3]);
      }
    }
    // P Z (for dV) and dS (for dK and dQ) from the scores and dP (scores_to_p_ds).
    scores_to_p_ds<kBr, kMask, kDropout>(st, dpt, a, off.m, b, i0, k0, g, t4, lt, dt);
    // dS^T to shared memory (rows = keys) for grad_q, as pairs of queries.
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
      T* row = sds + (warp * 16 + g) * kLdS + nt * 8 + 2 * t4;
      *reinterpret_cast<uint32_t*>(row) = pack2<T>(dpt[nt][0], dpt[nt][1]);
      *reinterpret_cast<uint32_t*>(row + 8 * kLdS) = pack2<T>(dpt[nt][2], dpt[nt][3]);
    }
    // dV += (P Z)^T dO and dK += dS^T Q: the A operand of k-step kk (queries 16 kk .. + 15) is
    // n-tiles 2 kk and 2 kk + 1 of st (dpt), as P in the forward; the B registers are dO (Q) rows
    // read with .trans, as V in the forward: matrix m8 covers queries 16 kk + 8 (m8 % 2) .. + 7,
    // head-dim columns 16 ep + 8 (m8 / 2) .. + 7, registers 0, 1 for n-tile 2 ep, 2, 3 for 2 ep
    // + 1.
#pragma unroll
    for (int kk = 0; kk < kNT / 2; ++kk) {
      const uint32_t pa[4] = {pack2<T>(st[2 * kk][0], st[2 * kk][1]),
                              pack2<T>(st[2 * kk][2], st[2 * kk][3]),
                              pack2<T>(st[2 * kk + 1][0], st[2 * kk + 1][1]),
                              pack2<T>(st[2 * kk + 1][2], st[2 * kk + 1][3])};
      const uint32_t da[4] = {pack2<T>(dpt[2 * kk][0], dpt[2 * kk][1]),
                              pack2<T>(dpt[2 * kk][2], dpt[2 * kk][3]),
                              pack2<T>(dpt[2 * kk + 1][0], dpt[2 * kk + 1][1]),
                              pack2<T>(dpt[2 * kk + 1][2], dpt[2 * kk + 1][3])};
#pragma unroll
      for (int ep = 0; ep < kET / 2; ++ep) {
        const int at = (kk * 16 + m8 % 2 * 8 + lane % 8) * kLdE + ep * 16 + m8 / 2 * 8;
        uint32_t gf[4], qf[4];
        ldmatrix_x4_trans(gf, gt + at);
        mma16816<T>(dv[2 * ep], pa, gf[0], gf[1]);
        mma16816<T>(dv[2 * ep + 1], pa, gf[2], gf[3]);
        ldmatrix_x4_trans(qf, qt + at);
        mma16816<T>(dk[2 * ep], da, qf[0], qf[1]);
        mma16816<T>(dk[2 * ep + 1], da, qf[2], qf[3]);
      }
    }
    // dS^T complete, and every read of this step's Q and dO done: the next step's prefetch may
    // refill their buffers. dS^T itself is rewritten only after the next step's first barrier,
    // which every warp reaches after this step's grad_q, so no barrier ends the step.
    __syncthreads();

    // grad_q += dS K for the warp's 16 query rows r0 .. r0 + 15 and columns e0 .. e0 + kEq - 1.
    // A = dS (queries x keys) is dS^T read with .trans: a0 = dS[g][2t..] = dS^T[2t..][g], so
    // matrix m8 covers keys 16 kk + 8 (m8 / 2) .. + 7, queries r0 + 8 (m8 % 2) .. + 7. B = K
    // (keys x head dim) is K's rows read with .trans, as V in the forward.
    {
      const int r0 = warp % kRowGroups * 16, e0 = warp / kRowGroups * kEq;
      float dq[kEq / 8][4];
#pragma unroll
      for (int et = 0; et < kEq / 8; ++et) {
#pragma unroll
        for (int c = 0; c < 4; ++c) dq[et][c] = 0;
      }
#pragma unroll
      for (int kk = 0; kk < kBc / 16; ++kk) {
        uint32_t dsa[4];
        ldmatrix_x4_trans(dsa, sds + (kk * 16 + m8 / 2 * 8 + lane % 8) * kLdS + r0 + m8 % 2 * 8);
#pragma unroll
        for (int ep = 0; ep < kEq / 16; ++ep) {
          uint32_t kf[4];
          ldmatrix_x4_trans(
              kf, sk + (kk * 16 + m8 % 2 * 8 + lane % 8) * kLdE + e0 + ep * 16 + m8 / 2 * 8);
          mma16816<T>(dq[2 * ep], dsa, kf[0], kf[1]);
          mma16816<T>(dq[2 * ep + 1], dsa, kf[2], kf[3]);
        }
      }
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int64_t i = i0 + r0 + g + 8 * r;
        if (i < a.L) {
          float* dst = args.grad_q + (b * a.L + i) * E + e0 + 2 * t4;
#pragma unroll
          for (int et = 0; et < kEq / 8; ++et) {
            atomicAdd(dst + et * 8, dq[et][2 * r]);
            atomicAdd(dst + et * 8 + 1, dq[et][2 * r + 1]);
          }
        }
      }
    }
  }
  cp_async_wait<0>();  // with no query tile to walk, K and V were loaded for nothing

  // The warp's grad_k and grad_v rows, as float pairs.
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int64_t j = k0 + g + 8 * r;
    if (j < a.S) {
      float* dkr = args.grad_k + (b * a.S + j) * E + 2 * t4;
      float* dvr = args.grad_v + (b * a.S + j) * E + 2 * t4;
#pragma unroll
      for (int et = 0; et < kET; ++et) {
        *reinterpret_cast<float2*>(dkr + et * 8) = make_float2(dk[et][2 * r], dk[et][2 * r + 1]);
        *reinterpret_cast<float2*>(dvr + et * 8) = make_float2(dv[et][2 * r], dv[et][2 * r + 1]);
      }
    }
  }
}

constexpr int kWarps = 8, kBc = 16 * kWarps;
// Query rows a step: grad_k and grad_v of E = 64 leave registers for the scores of 128.
constexpr int query_step(int E) { return E == 64 ? 128 : 64; }

}  // namespace

bool sdpa_backward_mma(const ember_kernel_tensor* grad_q, const ember_kernel_tensor* grad_k,
                       const ember_kernel_tensor* grad_v, const ember_kernel_tensor* grad_out,
                       const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                       const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                       const ember_kernel_tensor* lse, const float* delta, const SdpaParams& p) {
  if (!covers(q, k, v, mask, p, p.S, kBc) || reinterpret_cast<uintptr_t>(grad_out->data) % 16 != 0)
    return false;
  dispatch_case(q, mask, p, [&](auto tag, auto e, auto mask_kind, auto dropout) {
    using T = typename decltype(tag)::type;
    constexpr int E = decltype(e)::value;
    constexpr size_t bytes = BwdSmem<E, kBc, query_step(E)>::bytes;
    auto kernel = sdpa_backward_mma_kernel<T, E, kWarps, query_step(E), decltype(mask_kind)::value,
                                           decltype(dropout)::value>;
    EC_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(bytes)));
    const BwdArgs<T> args{
        operands<T>(q, k, v, mask, p), data<T>(grad_out),   data<float>(lse),   delta,
        data<float>(grad_q),           data<float>(grad_k), data<float>(grad_v)};
    const int64_t blocks = p.batch * ((p.S + kBc - 1) / kBc);
    kernel<<<static_cast<unsigned>(blocks), kWarps * 32, bytes, stream()>>>(args);
    EC_LAUNCHED("scaled_dot_product_attention_backward");
  });
  return true;
}

}  // namespace ember_cuda
