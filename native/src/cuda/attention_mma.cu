// scaled_dot_product_attention's forward for float16 and bfloat16 with head dims 64 and 128,
// FlashAttention-2 style with every tile of arithmetic in registers. A block of kWarps warps takes
// 32 * kWarps query rows, 32 a warp as two m-tiles of 16. Key and value tiles of kBc rows stream
// through two shared-memory buffers with cp.async (tile t + 1 loads while tile t is multiplied).
// Each warp computes its scores with mma.sync, runs the online softmax on them in registers (each
// row lives in one quad of lanes), turns the probabilities into the A operand of the P V product in
// place and accumulates its output in registers; only the operands pass through shared memory.
// Causal attention skips the key tiles past a block's last row and masks only the tiles that cross
// the diagonal. attention.cu keeps every other case; either backward reads the logsumexp written
// here.
#include "attention_mma.cuh"

namespace ember_cuda {

namespace {

using ember::SdpaParams;
using namespace sdpa_mma;

template <class T>
struct FwdArgs {
  Operands<T> in;
  T* out;
  float* lse;
};

template <int E, int kBr, int kBc>
constexpr size_t shared_bytes() {
  return sizeof(uint16_t) * kLd<E> * (kBr + 4 * kBc);  // Q, two K and two V buffers
}

template <class T, int E, int kBc, int kWarps, int kMT, MaskKind kMask, bool kDropout>
__global__ void __launch_bounds__(kWarps * 32, 2) sdpa_forward_mma_kernel(const FwdArgs<T> args) {
  const Operands<T>& a = args.in;
  constexpr int kThreads = kWarps * 32, kWarpRows = 16 * kMT, kBr = kWarpRows * kWarps;
  constexpr int kLdE = kLd<E>;
  constexpr int kNT = kBc / 8;  // n-tiles (8 keys) of the scores
  constexpr int kET = E / 8;    // n-tiles (8 head-dim columns) of the output
  constexpr int kKS = E / 16;   // k-steps of Q K^T
  extern __shared__ __align__(128) unsigned char smem[];
  T* sq = reinterpret_cast<T*>(smem);
  T* sk = sq + kBr * kLdE;      // two buffers of kBc rows
  T* sv = sk + 2 * kBc * kLdE;  // two buffers of kBc rows

  // Causal blocks go last tile first: the longest rows start early and the short ones fill in.
  const int64_t tiles = (a.L + kBr - 1) / kBr;
  const int64_t b = blockIdx.x / tiles;
  const int64_t tile = a.causal ? tiles - 1 - blockIdx.x % tiles : blockIdx.x % tiles;
  const int64_t i0 = tile * kBr;
  const int64_t rows = min(int64_t{kBr}, a.L - i0);
  const SdpaOffsets off = sdpa_offsets(a.batch, b);
  const T* kg = a.k + off.k;
  const T* vg = a.v + off.v;
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  const int g = lane / 4, t4 = lane % 4, m8 = lane / 8;
  // The warp's first row; m-tile mt of the warp is rows w0 + 16 mt .. + 15, of which the lane holds
  // w0 + 16 mt + g and w0 + 16 mt + g + 8.
  const int64_t w0 = i0 + warp * kWarpRows;
  const T* wq = sq + warp * kWarpRows * kLdE;

  // Causal: keys past the block's last row are masked for all of its rows.
  const int64_t j_end = a.causal ? min(a.S, i0 + rows) : a.S;
  const int n_tiles = static_cast<int>((j_end + kBc - 1) / kBc);
  auto load_kv = [&](int it) {
    const int64_t j0 = int64_t{it} * kBc;
    const int buf = it % 2;
    load_rows<kBc, E, kThreads>(sk + buf * kBc * kLdE, kg + j0 * E, a.S - j0);
    load_rows<kBc, E, kThreads>(sv + buf * kBc * kLdE, vg + j0 * E, a.S - j0);
  };

  load_rows<kBr, E, kThreads>(sq, a.q + off.q + i0 * E, rows);
  load_kv(0);
  cp_async_commit();

  float o[kMT][kET][4];
  // Per m-tile and lane row (index 0: g, 1: g + 8): running maximum (base-2 units) and the lane's
  // share of the exp-sum (the quad's shares are added at the end).
  float mx[kMT][2], sum[kMT][2];
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
    for (int et = 0; et < kET; ++et) o[mt][et][0] = o[mt][et][1] = o[mt][et][2] = o[mt][et][3] = 0;
    mx[mt][0] = mx[mt][1] = -kInf;
    sum[mt][0] = sum[mt][1] = 0;
  }

  for (int it = 0; it < n_tiles; ++it) {
    if (it + 1 < n_tiles) {
      load_kv(it + 1);  // into the buffer every warp finished reading in the previous iteration
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    const int64_t j0 = int64_t{it} * kBc;
    // A warp whose rows all precede the tile's first key (causal) has nothing to add.
    if (!(a.causal && j0 > w0 + kWarpRows - 1)) {
      const T* kt = sk + it % 2 * kBc * kLdE;
      const T* vt = sv + it % 2 * kBc * kLdE;
      // S = Q K^T. The A operand is the warp's Q rows, quadrant m8 = (rows 8 (m8 % 2), columns
      // 8 (m8 / 2)) of each 16 x 16 block. For B, ldmatrix matrix m8 covers keys 16 np + 8 (m8 / 2)
      // .. + 7, head-dim columns 16 ks + 8 (m8 % 2) .. + 7; registers 0, 1 are b0, b1 of n-tile
      // 2 np, registers 2, 3 those of n-tile 2 np + 1.
      float s[kMT][kNT][4];
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt)
          s[mt][nt][0] = s[mt][nt][1] = s[mt][nt][2] = s[mt][nt][3] = 0;
      }
#pragma unroll
      for (int ks = 0; ks < kKS; ++ks) {
        uint32_t qf[kMT][4];
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          ldmatrix_x4(qf[mt], wq + (mt * 16 + m8 % 2 * 8 + lane % 8) * kLdE + ks * 16 + m8 / 2 * 8);
        }
#pragma unroll
        for (int np = 0; np < kNT / 2; ++np) {
          uint32_t kf[4];
          ldmatrix_x4(kf, kt + (np * 16 + m8 / 2 * 8 + lane % 8) * kLdE + ks * 16 + m8 % 2 * 8);
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) {
            mma16816<T>(s[mt][2 * np], qf[mt], kf[0], kf[1]);
            mma16816<T>(s[mt][2 * np + 1], qf[mt], kf[2], kf[3]);
          }
        }
      }
      // Scale and mask: element c of n-tile nt of m-tile mt is row w0 + 16 mt + g + 8 (c / 2),
      // key j0 + 8 nt + 2 t4 + c % 2. Without a mask the scores stay unscaled here: the scale
      // joins the exponent below, one FFMA an element. Bounds and the causal diagonal only matter
      // on the tiles that reach them, which take a second pass.
      if constexpr (kMask != MaskKind::None) {
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
          for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
            for (int c = 0; c < 4; ++c) {
              s[mt][nt][c] = score2<kMask>(a, off.m, s[mt][nt][c], w0 + mt * 16 + g + c / 2 * 8,
                                           j0 + nt * 8 + 2 * t4 + c % 2);
            }
          }
        }
      }
      if (w0 + kWarpRows > a.L || j0 + kBc > a.S || (a.causal && j0 + kBc - 1 > w0)) {
        const Edge e = edge_of(a, w0, j0);
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
#pragma unroll
          for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
            for (int c = 0; c < 4; ++c) {
              if (e.hides(mt * 16 + g + c / 2 * 8, nt * 8 + 2 * t4 + c % 2)) s[mt][nt][c] = -kInf;
            }
          }
        }
      }
      // Online softmax: the new row maximum over the quad that holds the row (scaled by sc, which
      // keeps the order as the scale is positive), the rescale of what was summed so far (alpha,
      // skipped when no row of the warp has a new maximum), then the probabilities. A row with no
      // visible key yet uses 0 as its maximum, so its masked scores give 0, not NaN.
      const float sc = kMask == MaskKind::None ? a.scale_log2 : 1.0f;
#pragma unroll
      for (int mt = 0; mt < kMT; ++mt) {
        float m_new[2] = {-kInf, -kInf};
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt) {
          m_new[0] = fmaxf(m_new[0], fmaxf(s[mt][nt][0], s[mt][nt][1]));
          m_new[1] = fmaxf(m_new[1], fmaxf(s[mt][nt][2], s[mt][nt][3]));
        }
        float base[2], alpha[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          m_new[r] = fmaxf(m_new[r], __shfl_xor_sync(0xffffffffu, m_new[r], 1));
          m_new[r] = fmaxf(m_new[r], __shfl_xor_sync(0xffffffffu, m_new[r], 2));
          m_new[r] = fmaxf(mx[mt][r], m_new[r] * sc);
          base[r] = m_new[r] == -kInf ? 0.0f : m_new[r];
          alpha[r] = exp2_fast(mx[mt][r] - base[r]);
          mx[mt][r] = m_new[r];
          sum[mt][r] *= alpha[r];
        }
        if (__any_sync(0xffffffffu, alpha[0] != 1.0f || alpha[1] != 1.0f)) {
#pragma unroll
          for (int et = 0; et < kET; ++et) {
            o[mt][et][0] *= alpha[0];
            o[mt][et][1] *= alpha[0];
            o[mt][et][2] *= alpha[1];
            o[mt][et][3] *= alpha[1];
          }
        }
#pragma unroll
        for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
          for (int c = 0; c < 4; ++c) {
            float p = exp2_fast(fmaf(s[mt][nt][c], sc, -base[c / 2]));
            sum[mt][c / 2] += p;  // the softmax's denominator counts dropped probabilities too
            if constexpr (kDropout) {
              p *= drop_factor(a, b, w0 + mt * 16 + g + c / 2 * 8, j0 + nt * 8 + 2 * t4 + c % 2);
            }
            s[mt][nt][c] = p;
          }
        }
      }
      // O += P V. The A operand of k-step kk (keys 16 kk .. 16 kk + 15) is n-tiles 2 kk and
      // 2 kk + 1 of the probabilities: a0 = (c0, c1) and a1 = (c2, c3) of the first, a2 and a3
      // of the second. ldmatrix.trans matrix m8 covers keys 16 kk + 8 (m8 % 2) .. + 7, head-dim
      // columns 16 ep + 8 (m8 / 2) .. + 7; registers 0, 1 are b0, b1 of output n-tile 2 ep,
      // registers 2, 3 those of n-tile 2 ep + 1.
#pragma unroll
      for (int kk = 0; kk < kNT / 2; ++kk) {
        uint32_t pa[kMT][4];
#pragma unroll
        for (int mt = 0; mt < kMT; ++mt) {
          pa[mt][0] = pack2<T>(s[mt][2 * kk][0], s[mt][2 * kk][1]);
          pa[mt][1] = pack2<T>(s[mt][2 * kk][2], s[mt][2 * kk][3]);
          pa[mt][2] = pack2<T>(s[mt][2 * kk + 1][0], s[mt][2 * kk + 1][1]);
          pa[mt][3] = pack2<T>(s[mt][2 * kk + 1][2], s[mt][2 * kk + 1][3]);
        }
#pragma unroll
        for (int ep = 0; ep < kET / 2; ++ep) {
          uint32_t vf[4];
          ldmatrix_x4_trans(vf,
                            vt + (kk * 16 + m8 % 2 * 8 + lane % 8) * kLdE + ep * 16 + m8 / 2 * 8);
#pragma unroll
          for (int mt = 0; mt < kMT; ++mt) {
            mma16816<T>(o[mt][2 * ep], pa[mt], vf[0], vf[1]);
            mma16816<T>(o[mt][2 * ep + 1], pa[mt], vf[2], vf[3]);
          }
        }
      }
    }
    __syncthreads();  // every warp is done with this buffer before the next prefetch refills it
  }

  // Per row: the exp-sum, the logsumexp (natural log, -inf for a row with every key masked) and the
  // normalised output (NaN for such a row, as torch's softmax over all -inf gives), staged through
  // the warp's own rows of the Q tile so that the global stores are whole 16-byte pieces of rows.
  T* so = sq + warp * kWarpRows * kLdE;
#pragma unroll
  for (int mt = 0; mt < kMT; ++mt) {
    float inv[2];
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      sum[mt][r] += __shfl_xor_sync(0xffffffffu, sum[mt][r], 1);
      sum[mt][r] += __shfl_xor_sync(0xffffffffu, sum[mt][r], 2);
      const int64_t i = w0 + mt * 16 + g + r * 8;
      if (t4 == 0 && i < a.L) {
        args.lse[b * a.L + i] = sum[mt][r] > 0 ? mx[mt][r] * kLn2 + logf(sum[mt][r]) : -kInf;
      }
      inv[r] = sum[mt][r] > 0 ? 1.0f / sum[mt][r] : std::numeric_limits<float>::quiet_NaN();
    }
    T* row = so + (mt * 16 + g) * kLdE + 2 * t4;
#pragma unroll
    for (int et = 0; et < kET; ++et) {
      *reinterpret_cast<uint32_t*>(row + et * 8) =
          pack2<T>(o[mt][et][0] * inv[0], o[mt][et][1] * inv[0]);
      *reinterpret_cast<uint32_t*>(row + 8 * kLdE + et * 8) =
          pack2<T>(o[mt][et][2] * inv[1], o[mt][et][3] * inv[1]);
    }
  }
  __syncwarp();
  constexpr int kChunks = E / 8;
#pragma unroll
  for (int u = 0; u < kWarpRows * kChunks / 32; ++u) {
    const int x = lane + u * 32;
    const int r = x / kChunks, c = x % kChunks * 8;
    if (w0 + r < a.L) {
      *reinterpret_cast<uint4*>(args.out + (b * a.L + w0 + r) * E + c) =
          *reinterpret_cast<const uint4*>(so + r * kLdE + c);
    }
  }
}

// ---- host side ----

// 4 warps of 2 m-tiles (32 query rows) each: every K and V fragment read from shared memory feeds
// two mma.sync.
constexpr int kWarps = 4, kMT = 2, kBr = 16 * kMT * kWarps, kBc = 64;

}  // namespace

bool sdpa_forward_mma(const ember_kernel_tensor* out, const ember_kernel_tensor* lse,
                      const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                      const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                      const SdpaParams& p) {
  if (!covers(q, k, v, mask, p, p.L, kBr) || reinterpret_cast<uintptr_t>(out->data) % 16 != 0)
    return false;
  dispatch_case(q, mask, p, [&](auto tag, auto e, auto mask_kind, auto dropout) {
    using T = typename decltype(tag)::type;
    constexpr int E = decltype(e)::value;
    constexpr size_t bytes = shared_bytes<E, kBr, kBc>();
    auto kernel = sdpa_forward_mma_kernel<T, E, kBc, kWarps, kMT, decltype(mask_kind)::value,
                                          decltype(dropout)::value>;
    EC_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(bytes)));
    const FwdArgs<T> args{operands<T>(q, k, v, mask, p), data<T>(out), data<float>(lse)};
    const int64_t blocks = p.batch * ((p.L + kBr - 1) / kBr);
    kernel<<<static_cast<unsigned>(blocks), kWarps * 32, bytes, stream()>>>(args);
    EC_LAUNCHED("scaled_dot_product_attention");
  });
  return true;
}

}  // namespace ember_cuda
