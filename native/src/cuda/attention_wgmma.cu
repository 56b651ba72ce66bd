// scaled_dot_product_attention's forward on Hopper's warpgroup MMA (sm_90a) for float16 and
// bfloat16 with head dims 64 and 128. A block of two warpgroups takes 128 query rows, 64 each; key
// and value tiles of 128 rows stream through two shared-memory buffers with cp.async in the
// 128-byte swizzled layout that wgmma reads directly. Each warpgroup computes S = Q K^T with Q and
// K from shared memory, runs the online softmax on the accumulators in registers (the same C
// layout as mma.sync, so the same quad reductions), and adds P V with P as a register A operand and
// V read transposed from shared memory. Masks, dropout, causality and bounds work as in
// attention_mma.cu, which takes the case where this kernel is not compiled in (no sm_90a code in
// the plugin) or the device is not compute capability 9.0.
#include <atomic>

#include "attention_mma.cuh"
#include "wgmma.cuh"

namespace ember_cuda {

namespace {

using ember::SdpaParams;
using namespace sdpa_mma;

template <class T>
struct WgArgs {
  Operands<T> in;
  T* out;
  float* lse;
};

constexpr int kBr = 128, kBc = 128, kWgThreads = 256;

template <int E>
constexpr size_t wg_shared_bytes() {
  // Q, two K and two V buffers of 128-byte rows per 64 columns, plus 1024 bytes to align them.
  return size_t{2} * E * (kBr + 4 * kBc) + 1024;
}

#ifdef EMBER_WGMMA
// The online softmax of one tile of scores in the accumulator layout (the warp's rows w0 + g and
// w0 + g + 8, keys j0 + 8 nt + 2 t4 + c % 2), as attention_mma.cu runs it: mask (and scale, with a
// mask; without one the scale joins the exponent), hide what lies past L or S or the causal
// diagonal, take the new row maximum over the quad, return in alpha the factor for what was
// accumulated so far (the exp-sum is rescaled here, the output by the caller) and write the
// probabilities (dropped, when asked) as the A operands of P V: n-tiles 2 kk and 2 kk + 1 are
// k-step kk's (a0, a1) and (a2, a3). A row with no visible key yet uses 0 as its maximum, so its
// masked scores give 0, not NaN.
template <MaskKind kMask, bool kDropout, int kNT, class T>
__device__ inline void softmax_tile(const Operands<T>& a, int64_t m_off, int64_t b, int64_t w0,
                                    int64_t j0, float (&s)[kNT][4], float (&mx)[2], float (&sum)[2],
                                    float (&alpha)[2], uint32_t (&pa)[kNT / 2][4]) {
  const int lane = threadIdx.x % 32, g = lane / 4, t4 = lane % 4;
  if constexpr (kMask != MaskKind::None) {
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        s[nt][c] =
            score2<kMask>(a, m_off, s[nt][c], w0 + g + c / 2 * 8, j0 + nt * 8 + 2 * t4 + c % 2);
      }
    }
  }
  if (w0 + 16 > a.L || j0 + kNT * 8 > a.S || (a.causal && j0 + kNT * 8 - 1 > w0)) {
    const Edge e = edge_of(a, w0, j0);
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        if (e.hides(g + c / 2 * 8, nt * 8 + 2 * t4 + c % 2)) s[nt][c] = -kInf;
      }
    }
  }
  const float sc = kMask == MaskKind::None ? a.scale_log2 : 1.0f;
  float m_new[2] = {-kInf, -kInf};
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) {
    m_new[0] = fmaxf(m_new[0], fmaxf(s[nt][0], s[nt][1]));
    m_new[1] = fmaxf(m_new[1], fmaxf(s[nt][2], s[nt][3]));
  }
  float base[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    m_new[r] = fmaxf(m_new[r], __shfl_xor_sync(0xffffffffu, m_new[r], 1));
    m_new[r] = fmaxf(m_new[r], __shfl_xor_sync(0xffffffffu, m_new[r], 2));
    m_new[r] = fmaxf(mx[r], m_new[r] * sc);
    base[r] = m_new[r] == -kInf ? 0.0f : m_new[r];
    alpha[r] = exp2_fast(mx[r] - base[r]);
    mx[r] = m_new[r];
    sum[r] *= alpha[r];
  }
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) {
    float p[4];
#pragma unroll
    for (int c = 0; c < 4; ++c) {
      p[c] = exp2_fast(fmaf(s[nt][c], sc, -base[c / 2]));
      sum[c / 2] += p[c];  // the softmax's denominator counts dropped probabilities too
      if constexpr (kDropout) {
        p[c] *= drop_factor(a, b, w0 + g + c / 2 * 8, j0 + nt * 8 + 2 * t4 + c % 2);
      }
    }
    pa[nt / 2][nt % 2 * 2] = pack2<T>(p[0], p[1]);
    pa[nt / 2][nt % 2 * 2 + 1] = pack2<T>(p[2], p[3]);
  }
}

template <int kET>
__device__ inline void rescale(float (&o)[kET][4], const float (&alpha)[2]) {
#pragma unroll
  for (int et = 0; et < kET; ++et) {
    o[et][0] *= alpha[0];
    o[et][1] *= alpha[0];
    o[et][2] *= alpha[1];
    o[et][3] *= alpha[1];
  }
}
#endif

// Each tile runs S = Q K^T, the softmax and O += P V in turn. At E = 64 two blocks share an SM, so
// that one block's softmax overlaps the other's products (0.52 -> 0.42 ms on the H200 bench, in
// spite of the few registers spilled at the 128 a thread this allows).
template <class T, int E, MaskKind kMask, bool kDropout>
__global__ void __launch_bounds__(kWgThreads, E == 64 ? 2 : 1)
    sdpa_forward_wgmma_kernel(const WgArgs<T> args) {
#ifdef EMBER_WGMMA
  const Operands<T>& a = args.in;
  constexpr int kNT = kBc / 8;  // n-tiles (8 keys) of the scores
  constexpr int kET = E / 8;    // n-tiles (8 head-dim columns) of the output
  constexpr int kKS = E / 16;   // k-steps of Q K^T
  constexpr uint32_t kTileQ = kBr * 2 * E, kTileKV = kBc * 2 * E;  // bytes
  extern __shared__ __align__(128) unsigned char smem[];
  const uint32_t sq = (smem_u32(smem) + 1023u) & ~1023u;   // the swizzle needs 1024-byte groups
  const uint32_t sk = sq + kTileQ, sv = sk + 2 * kTileKV;  // two buffers each

  const int64_t tiles = (a.L + kBr - 1) / kBr;
  const int64_t b = blockIdx.x / tiles;
  // Causal blocks go last tile first: the longest rows start early and the short ones fill in.
  const int64_t tile = a.causal ? tiles - 1 - blockIdx.x % tiles : blockIdx.x % tiles;
  const int64_t i0 = tile * kBr;
  const SdpaOffsets off = sdpa_offsets(a.batch, b);
  const T* kg = a.k + off.k;
  const T* vg = a.v + off.v;
  const int lane = threadIdx.x % 32, wg = threadIdx.x / 128, warp = threadIdx.x / 32 % 4;
  const int g = lane / 4, t4 = lane % 4;
  const int64_t g0 = i0 + wg * 64;    // the warpgroup's first row
  const int64_t w0 = g0 + warp * 16;  // the warp's: the lane holds rows w0 + g and w0 + g + 8

  // Causal: keys past the block's (the warpgroup's) last row are masked for all of its rows.
  const int64_t j_end = a.causal ? min(a.S, i0 + min(int64_t{kBr}, a.L - i0)) : a.S;
  const int n_tiles = static_cast<int>((j_end + kBc - 1) / kBc);
  const int n_mine = a.causal ? static_cast<int>((min(j_end, g0 + 64) + kBc - 1) / kBc) : n_tiles;
  auto load_kv = [&](int it) {
    const int64_t j0 = int64_t{it} * kBc;
    const uint32_t buf = static_cast<uint32_t>(it % 2) * kTileKV;
    load_swizzled<kBc, E, kWgThreads>(sk + buf, kg + j0 * E, a.S - j0);
    load_swizzled<kBc, E, kWgThreads>(sv + buf, vg + j0 * E, a.S - j0);
  };
  // S = Q K^T for tile it, issued: both K-major; k-step ks is 32 bytes into column block ks / 4.
  auto issue_qk = [&](float(&s)[kNT][4], int it) {
    const uint32_t kt = sk + static_cast<uint32_t>(it % 2) * kTileKV;
#pragma unroll
    for (int nt = 0; nt < kNT; ++nt) s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0;
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < kKS; ++ks) {
      const uint32_t col = ks % 4 * 32;
      wgmma_ss<T, 0, 0>(s, wgmma_desc(sq + ks / 4 * (kBr * 128) + wg * 64 * 128 + col, 16, 1024),
                        wgmma_desc(kt + ks / 4 * (kBc * 128) + col, 16, 1024));
    }
    wgmma_commit();
  };
  // O += P V for tile it, issued: V's rows are keys (K) with head-dim columns (N) contiguous, so
  // B is MN-major: the leading offset steps 64 columns (a column block), the stride 8 keys.
  auto issue_pv = [&](float(&o)[kET][4], const uint32_t(&pa)[kNT / 2][4], int it) {
    const uint32_t vt = sv + static_cast<uint32_t>(it % 2) * kTileKV;
    wgmma_fence();
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) {
      wgmma_rs<T, 1>(o, pa[kk], wgmma_desc(vt + kk * 16 * 128, kBc * 128, 1024));
    }
    wgmma_commit();
  };

  load_swizzled<kBr, E, kWgThreads>(sq, a.q + off.q + i0 * E, a.L - i0);
  load_kv(0);
  cp_async_commit();

  float o[kET][4];
#pragma unroll
  for (int et = 0; et < kET; ++et) o[et][0] = o[et][1] = o[et][2] = o[et][3] = 0;
  float mx[2] = {-kInf, -kInf}, sum[2] = {0, 0};  // rows g and g + 8
  float alpha[2];
  float s[kNT][4];
  uint32_t pa[kNT / 2][4];

  for (int it = 0; it < n_tiles; ++it) {
    if (it + 1 < n_tiles) {
      load_kv(it + 1);  // into the buffers every warp finished reading in the previous iteration
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    fence_proxy_async();
    __syncthreads();
    if (it < n_mine) {  // warpgroup-uniform: wgmma needs all four warps
      issue_qk(s, it);
      wgmma_wait<0>();
      wgmma_pin(s);
      softmax_tile<kMask, kDropout>(a, off.m, b, w0, int64_t{it} * kBc, s, mx, sum, alpha, pa);
      rescale(o, alpha);
      issue_pv(o, pa, it);
      wgmma_wait<0>();
      wgmma_pin(o);
    }
    __syncthreads();  // every warp is done with this buffer before the next prefetch refills it
  }

  // Per row: the exp-sum, the logsumexp (natural log, -inf for a row with every key masked) and
  // the normalised output (NaN for such a row, as torch's softmax over all -inf gives).
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 1);
    sum[r] += __shfl_xor_sync(0xffffffffu, sum[r], 2);
    const int64_t i = w0 + g + r * 8;
    if (i >= a.L) continue;
    if (t4 == 0) args.lse[b * a.L + i] = sum[r] > 0 ? mx[r] * kLn2 + logf(sum[r]) : -kInf;
    const float inv = sum[r] > 0 ? 1.0f / sum[r] : std::numeric_limits<float>::quiet_NaN();
    T* row = args.out + (b * a.L + i) * E + 2 * t4;
#pragma unroll
    for (int et = 0; et < kET; ++et) {
      *reinterpret_cast<uint32_t*>(row + et * 8) =
          pack2<T>(o[et][2 * r] * inv, o[et][2 * r + 1] * inv);
    }
  }
#else
  (void)args;
#endif
}

// Writes 1 where the plugin carries the sm_90a code of the kernel above.
__global__ void wgmma_probe_kernel(int* compiled) {
#ifdef EMBER_WGMMA
  *compiled = 1;
#else
  *compiled = 0;
#endif
}

}  // namespace

// Whether the current device runs the wgmma kernel: compute capability 9.0 and sm_90a code in the
// plugin, found out once per device by a probe launch (not while a graph records: the probe reads
// back; the mma kernel serves until then).
bool sdpa_wgmma_available() {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> known[kMaxDevices] = {};  // 0 unknown, 1 no, 2 yes
  int device = 0;
  EC_CUDA(cudaGetDevice(&device));
  if (device >= kMaxDevices) return false;
  const int k = known[device].load();
  if (k != 0) return k == 2;
  int major = 0, minor = 0;
  EC_CUDA(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device));
  EC_CUDA(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device));
  bool yes = false;
  if (major == 9 && minor == 0) {
    if (capturing(stream())) return false;
    Scratch flag(device, sizeof(int));
    wgmma_probe_kernel<<<1, 1, 0, stream()>>>(flag.as<int>());
    EC_LAUNCHED("scaled_dot_product_attention");
    int compiled = 0;
    read_back(&compiled, flag.as<int>(), sizeof(int));
    yes = compiled == 1;
  }
  known[device].store(yes ? 2 : 1);
  return yes;
}

bool sdpa_forward_wgmma(const ember_kernel_tensor* out, const ember_kernel_tensor* lse,
                        const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                        const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                        const SdpaParams& p) {
  if (!covers(q, k, v, mask, p, p.L, kBr) || reinterpret_cast<uintptr_t>(out->data) % 16 != 0 ||
      !sdpa_wgmma_available())
    return false;
  dispatch_case(q, mask, p, [&](auto tag, auto e, auto mask_kind, auto dropout) {
    using T = typename decltype(tag)::type;
    constexpr int E = decltype(e)::value;
    constexpr size_t bytes = wg_shared_bytes<E>();
    auto kernel =
        sdpa_forward_wgmma_kernel<T, E, decltype(mask_kind)::value, decltype(dropout)::value>;
    EC_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(bytes)));
    const WgArgs<T> args{operands<T>(q, k, v, mask, p), data<T>(out), data<float>(lse)};
    const int64_t blocks = p.batch * ((p.L + kBr - 1) / kBr);
    kernel<<<static_cast<unsigned>(blocks), kWgThreads, bytes, stream()>>>(args);
    EC_LAUNCHED("scaled_dot_product_attention");
  });
  return true;
}

}  // namespace ember_cuda
