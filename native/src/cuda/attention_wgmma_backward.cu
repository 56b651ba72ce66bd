// scaled_dot_product_attention's backward on Hopper's warpgroup MMA (sm_90a) for float16 and
// bfloat16 with head dims 64 and 128, FlashAttention-2's loop order: a block of two warpgroups owns
// 128 keys, 64 each, keeps their grad_k and grad_v in wgmma accumulators and walks over the query
// rows in steps of 64 (Q, dO, logsumexp and D of step t + 1 load with cp.async while step t runs).
// Every tile sits in shared memory in the 128-byte swizzled layout wgmma reads (wgmma.cuh). Per
// step a warpgroup computes S^T = K Q^T and dP^T = V dO^T for its keys, recomputes P^T from the
// logsumexp and forms dS^T = P^T (dP^T - D) scale in registers (the accumulators' layout is
// mma.sync's, so the element bookkeeping is attention_mma_backward.cu's); P^T and dS^T are then
// the register A operands of dV += P^T dO and dK += dS^T Q. dS^T also goes to shared memory for
// grad_q += dS K (A read M-major, K read N-major), which the block adds to the float grad_q with
// vector reductions. attention.cu computes D first and keeps every case this kernel does not take.
#include "attention_mma.cuh"
#include "wgmma.cuh"

namespace ember_cuda {

namespace {

using ember::SdpaParams;
using namespace sdpa_mma;

template <class T>
struct WgBwdArgs {
  Operands<T> in;
  const T* grad_out;  // (batch, L, E)
  const float* lse;   // (batch, L)
  const float* delta;
  float* grad_q;  // (batch, L, E), zero-filled: the blocks add their shares
  float* grad_k;  // (batch, S, E)
  float* grad_v;
};

constexpr int kBc = 128, kBr = 64, kWgThreads = 256;

// Byte offsets in shared memory (after aligning its start to 1024): K and V (kBc rows each), two
// stages each of Q and dO (kBr rows), dS^T (kBc rows of kBr = 64 queries, one 128-byte row each),
// then two stages each of the float logsumexp and D.
template <int E>
struct WgBwdSmem {
  static constexpr uint32_t kv = kBc * 2 * E, qg = kBr * 2 * E;
  static constexpr uint32_t k = 0, v = k + kv, q = v + kv, g = q + 2 * qg, ds = g + 2 * qg,
                            l = ds + kBc * 128, d = l + 2 * kBr * 4, end = d + 2 * kBr * 4;
  static constexpr size_t bytes = end + 1024;
};

template <class T, int E, MaskKind kMask, bool kDropout>
__global__ void __launch_bounds__(kWgThreads, 1)
    sdpa_backward_wgmma_kernel(const WgBwdArgs<T> args) {
#ifdef EMBER_WGMMA
  const Operands<T>& a = args.in;
  using Smem = WgBwdSmem<E>;
  constexpr int kNT = kBr / 8;  // n-tiles (8 queries) of S^T and dP^T
  constexpr int kET = E / 8;    // n-tiles (8 head-dim columns) of dK and dV
  constexpr int kKS = E / 16;   // k-steps over the head dim
  extern __shared__ __align__(128) unsigned char smem[];
  unsigned char* const base = smem + (1024 - smem_u32(smem) % 1024) % 1024;
  const uint32_t s0 = smem_u32(base);
  const uint32_t sk = s0 + Smem::k, sv = s0 + Smem::v, sq = s0 + Smem::q, sg = s0 + Smem::g,
                 sds = s0 + Smem::ds;
  float* const sl = reinterpret_cast<float*>(base + Smem::l);
  float* const sd = reinterpret_cast<float*>(base + Smem::d);

  const int64_t tiles = (a.S + kBc - 1) / kBc;
  const int64_t b = blockIdx.x / tiles, j0 = blockIdx.x % tiles * kBc;
  const SdpaOffsets off = sdpa_offsets(a.batch, b);
  const T* qg = a.q + off.q;
  const T* gg = args.grad_out + b * a.L * E;
  const int lane = threadIdx.x % 32, wg = threadIdx.x / 128, warp = threadIdx.x / 32 % 4;
  const int g = lane / 4, t4 = lane % 4;
  const int kw = wg * 64 + warp * 16;  // the warp's first key in the block
  const int64_t k0 = j0 + kw;          // its lane holds keys k0 + g and k0 + g + 8

  // Causal: query rows before j0 see none of these keys.
  const int64_t i_begin = a.causal ? j0 / kBr * kBr : 0;
  const int n_tiles = static_cast<int>(a.L > i_begin ? (a.L - i_begin + kBr - 1) / kBr : 0);
  auto load_q = [&](int it) {
    const int64_t i0 = i_begin + int64_t{it} * kBr;
    const uint32_t buf = static_cast<uint32_t>(it % 2);
    load_swizzled<kBr, E, kWgThreads>(sq + buf * Smem::qg, qg + i0 * E, a.L - i0);
    load_swizzled<kBr, E, kWgThreads>(sg + buf * Smem::qg, gg + i0 * E, a.L - i0);
    const int r = threadIdx.x % kBr;
    if (threadIdx.x < 2 * kBr) {
      const bool ok = i0 + r < a.L;
      const float* src = threadIdx.x < kBr ? args.lse : args.delta;
      float* dst = threadIdx.x < kBr ? sl : sd;
      cp_async4(smem_u32(dst + buf * kBr + r), src + b * a.L + (ok ? i0 + r : 0), ok);
    }
  };

  load_swizzled<kBc, E, kWgThreads>(sk, a.k + off.k + j0 * E, a.S - j0);
  load_swizzled<kBc, E, kWgThreads>(sv, a.v + off.v + j0 * E, a.S - j0);
  if (n_tiles > 0) load_q(0);
  cp_async_commit();

  float dk[kET][4], dv[kET][4];
#pragma unroll
  for (int et = 0; et < kET; ++et) {
#pragma unroll
    for (int c = 0; c < 4; ++c) dk[et][c] = dv[et][c] = 0;
  }

  for (int it = 0; it < n_tiles; ++it) {
    cp_async_wait<0>();
    fence_proxy_async();
    __syncthreads();
    // The next step's operands load during this one, into the buffers of the previous step, whose
    // wgmma reads every warpgroup waited for before the barrier above.
    if (it + 1 < n_tiles) {
      load_q(it + 1);
      cp_async_commit();
    }
    const int64_t i0 = i_begin + int64_t{it} * kBr;
    const uint32_t qt = sq + static_cast<uint32_t>(it % 2) * Smem::qg;
    const uint32_t gt = sg + static_cast<uint32_t>(it % 2) * Smem::qg;
    const float* lt = sl + it % 2 * kBr;
    const float* dt = sd + it % 2 * kBr;

    // S^T = K Q^T and dP^T = V dO^T for the warpgroup's 64 keys, all four operands K-major.
    float st[kNT][4], dpt[kNT][4];
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) st[nt][c] = dpt[nt][c] = 0;
    }
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < kKS; ++ks) {
      const uint32_t in_row = ks % 4 * 32;
      const uint32_t a_at = ks / 4 * (kBc * 128) + wg * 64 * 128 + in_row;
      const uint32_t b_at = ks / 4 * (kBr * 128) + in_row;
      wgmma_ss<T, 0, 0>(st, wgmma_desc(sk + a_at, 16, 1024), wgmma_desc(qt + b_at, 16, 1024));
      wgmma_ss<T, 0, 0>(dpt, wgmma_desc(sv + a_at, 16, 1024), wgmma_desc(gt + b_at, 16, 1024));
    }
    wgmma_commit();
    wgmma_wait<0>();
    wgmma_pin(st);
    wgmma_pin(dpt);
    // P Z (for dV) and dS (for dK and dQ) from the scores and dP (scores_to_p_ds).
    scores_to_p_ds<kBr, kMask, kDropout>(st, dpt, a, off.m, b, i0, k0, g, t4, lt, dt);
    // dS^T to shared memory for grad_q: key row kw + g (+ 8), 16-byte chunk nt of its 64 queries.
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int row = kw + g + 8 * r;
        *reinterpret_cast<uint32_t*>(base + Smem::ds + swizzle128(row, nt) + 4 * t4) =
            pack2<T>(dpt[nt][2 * r], dpt[nt][2 * r + 1]);
      }
    }
    // dV += (P Z)^T dO and dK += dS^T Q: A from registers (n-tiles 2 kk and 2 kk + 1 make k-step
    // kk), B = dO (Q) rows read N-major: k-step kk starts 16 query rows in, the leading offset
    // steps a 64-column block of the tile.
    uint32_t pa[kNT / 2][4], da[kNT / 2][4];
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
      pa[nt / 2][nt % 2 * 2] = pack2<T>(st[nt][0], st[nt][1]);
      pa[nt / 2][nt % 2 * 2 + 1] = pack2<T>(st[nt][2], st[nt][3]);
      da[nt / 2][nt % 2 * 2] = pack2<T>(dpt[nt][0], dpt[nt][1]);
      da[nt / 2][nt % 2 * 2 + 1] = pack2<T>(dpt[nt][2], dpt[nt][3]);
    }
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kBr / 16; ++kk) {
      wgmma_rs<T, 1>(dv, pa[kk], wgmma_desc(gt + kk * 16 * 128, kBr * 128, 1024));
      wgmma_rs<T, 1>(dk, da[kk], wgmma_desc(qt + kk * 16 * 128, kBr * 128, 1024));
    }
    wgmma_commit();
    fence_proxy_async();  // the dS^T stores, for the wgmma reads below
    __syncthreads();      // every warp's dS^T is in place
    // dV and dK first: their A operands then free their registers before grad_q's accumulators
    // take some (with both in flight the E = 128 kernel spilled and ptxas serialised the wgmmas).
    wgmma_wait<0>();
    wgmma_pin(dk);
    wgmma_pin(dv);

    // grad_q += dS K over the 64 query rows and all 128 keys: A = dS^T's rows read M-major (k-step
    // = 16 keys), B = K's rows read N-major. E = 128: warpgroup w takes head-dim columns 64 w ..
    // + 63; E = 64: the warpgroups take turns step by step (half the reductions that splitting
    // the keys between them would take).
    const bool dq_mine = E == 128 || wg == it % 2;
    const uint32_t dq_col = E == 128 ? static_cast<uint32_t>(wg) * (kBc * 128) : 0;
    if (dq_mine) {
      float dq[8][4];
#pragma unroll
      for (int nt = 0; nt < 8; ++nt) dq[nt][0] = dq[nt][1] = dq[nt][2] = dq[nt][3] = 0;
      wgmma_fence();
#pragma unroll
      for (int kk = 0; kk < kBc / 16; ++kk) {
        wgmma_ss<T, 1, 1>(dq, wgmma_desc(sds + kk * 16 * 128, kBc * 128, 1024),
                          wgmma_desc(sk + dq_col + kk * 16 * 128, kBc * 128, 1024));
      }
      wgmma_commit();
      wgmma_wait<0>();
      wgmma_pin(dq);
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        const int64_t i = i0 + warp * 16 + g + 8 * r;
        if (i < a.L) {
          float* dst = args.grad_q + (b * a.L + i) * E + (E == 128 ? wg * 64 : 0) + 2 * t4;
#pragma unroll
          for (int nt = 0; nt < 8; ++nt) red_add2(dst + nt * 8, dq[nt][2 * r], dq[nt][2 * r + 1]);
        }
      }
    }
  }
  cp_async_wait<0>();  // with no query step to walk, K and V were loaded for nothing

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
#else
  (void)args;
#endif
}

}  // namespace

bool sdpa_backward_wgmma(const ember_kernel_tensor* grad_q, const ember_kernel_tensor* grad_k,
                         const ember_kernel_tensor* grad_v, const ember_kernel_tensor* grad_out,
                         const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                         const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                         const ember_kernel_tensor* lse, const float* delta, const SdpaParams& p) {
  if (!covers(q, k, v, mask, p, p.S, kBc) ||
      reinterpret_cast<uintptr_t>(grad_out->data) % 16 != 0 || !sdpa_wgmma_available())
    return false;
  dispatch_case(q, mask, p, [&](auto tag, auto e, auto mask_kind, auto dropout) {
    using T = typename decltype(tag)::type;
    constexpr int E = decltype(e)::value;
    constexpr size_t bytes = WgBwdSmem<E>::bytes;
    auto kernel =
        sdpa_backward_wgmma_kernel<T, E, decltype(mask_kind)::value, decltype(dropout)::value>;
    EC_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(bytes)));
    const WgBwdArgs<T> args{
        operands<T>(q, k, v, mask, p), data<T>(grad_out),   data<float>(lse),   delta,
        data<float>(grad_q),           data<float>(grad_k), data<float>(grad_v)};
    const int64_t blocks = p.batch * ((p.S + kBc - 1) / kBc);
    kernel<<<static_cast<unsigned>(blocks), kWgThreads, bytes, stream()>>>(args);
    EC_LAUNCHED("scaled_dot_product_attention_backward");
  });
  return true;
}

}  // namespace ember_cuda
