// Fused scaled_dot_product_attention on the GPU, FlashAttention style. The forward gives a block
// one tile of Br query rows and streams the keys and values through shared memory tile by tile
// (Bc keys), keeping each row's running maximum and exp-sum (online softmax): the L x S score
// matrix never exists, only one Br x Bc tile of it. The backward (FlashAttention-2) gives a block
// one tile of keys, recomputes the probabilities of every query tile from the saved logsumexp,
// accumulates grad_k and grad_v of its keys in shared memory and adds its share of grad_q with
// atomics. float16 and bfloat16 multiply on tensor cores (wmma 16x16x16, float accumulators);
// float32 and float64 run the same tiles with plain FMAs. Dropout regenerates the CPU kernel's
// Philox keep mask (see SdpaParams), so both devices drop the same elements.
// float16/bfloat16 with head dims 64 and 128 run instead on Hopper's warpgroup MMA
// (attention_wgmma*.cu) where the plugin carries sm_90a code, else on the mma.sync register tiles
// of attention_mma*.cu; this file takes every other case.
#include <mma.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "attention.cuh"

namespace ember_cuda {

namespace {

using ember::SdpaParams;

constexpr int kWarps = 8;
constexpr int kBlock = kWarps * 32;

template <class T>
constexpr bool kTensorCores = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

// Row padding of the shared tiles: wmma wants row strides of 16 bytes and 32-byte aligned tiles;
// the FMA path wants odd strides, so that lanes reading a column hit different banks.
template <class T>
constexpr int kPadT = kTensorCores<T> ? 8 : 1;  // operand tiles (T)
template <class T>
constexpr int kPadA = kTensorCores<T> ? 4 : 1;  // accumulator tiles (acc_t<T>)

constexpr int64_t round16(int64_t n) { return (n + 15) / 16 * 16; }

__device__ inline float dexp(float x) { return expf(x); }
__device__ inline double dexp(double x) { return exp(x); }
__device__ inline float dlog(float x) { return logf(x); }
__device__ inline double dlog(double x) { return log(x); }

template <class A>
__device__ inline A warp_max(A v) {
  for (int o = 16; o > 0; o /= 2) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
template <class A>
__device__ inline A warp_sum(A v) {
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// What both directions read: operands, mask, dropout and shapes. Ep and Evp are E and Ev rounded
// up to 16 (the tiles are zero-padded to them).
template <class T>
struct Common {
  using A = acc_t<T>;
  const T* q;
  const T* k;
  const T* v;
  const bool* mask_bool;  // null unless a bool mask
  const T* mask_add;      // null unless an additive mask
  int64_t m_rs, m_cs;
  int64_t L, S, E, Ev;
  int Ep, Evp;
  A scale;
  bool causal, dropout;
  SdpaDropout drop;
  A kept;  // 1 / keep
  SdpaBatch batch;
};

// The score of query i and key j: scale * dot + mask, -inf where masked.
template <class T>
__device__ inline acc_t<T> score(const Common<T>& c, const SdpaOffsets& o, acc_t<T> dot, int64_t i,
                                 int64_t j) {
  using A = acc_t<T>;
  if (c.causal && j > i) return A(-INFINITY);
  A s = dot * c.scale;
  if (c.mask_add != nullptr) {
    s += to_acc(c.mask_add[o.m + i * c.m_rs + j * c.m_cs]);
  } else if (c.mask_bool != nullptr && !c.mask_bool[o.m + i * c.m_rs + j * c.m_cs]) {
    s = A(-INFINITY);
  }
  return s;
}

// The dropout factor (1 / keep or 0) of element (b, i, j).
template <class T>
__device__ inline acc_t<T> drop_factor(const Common<T>& c, int64_t b, int64_t i, int64_t j) {
  const uint64_t k = static_cast<uint64_t>((b * c.L + i) * c.S + j);
  return sdpa_keeps(c.drop, k) ? c.kept : acc_t<T>(0);
}

// rows x cols of src (row stride src_ld) into the shared tile dst (rows_pad x cols_pad, row
// stride ld), zero outside. Whole rows of 16-byte aligned vectors move 16 bytes a load.
template <class T>
__device__ void load_tile(T* dst, int ld, const T* src, int64_t src_ld, int rows, int cols,
                          int rows_pad, int cols_pad) {
  constexpr int kVec = 16 / sizeof(T);
  if (cols == cols_pad && cols % kVec == 0 && src_ld % kVec == 0 && ld % kVec == 0 &&
      reinterpret_cast<uintptr_t>(src) % 16 == 0) {
    const int vecs = cols / kVec;
    for (int x = threadIdx.x; x < rows_pad * vecs; x += kBlock) {
      const int r = x / vecs, c = x % vecs * kVec;
      const uint4 v =
          r < rows ? *reinterpret_cast<const uint4*>(src + r * src_ld + c) : make_uint4(0, 0, 0, 0);
      *reinterpret_cast<uint4*>(dst + r * ld + c) = v;
    }
    return;
  }
  for (int x = threadIdx.x; x < rows_pad * cols_pad; x += kBlock) {
    const int r = x / cols_pad, c = x % cols_pad;
    dst[r * ld + c] = r < rows && c < cols ? src[r * src_ld + c] : static_cast<T>(0.0f);
  }
}

// The block's tile products, C (M x N, accumulator, row stride ldc) = or += op(A) op(B):
// NT: A (M x K), B (N x K): C = A B^T.  NN: A (M x K), B (K x N): C = A B.
// TN: A (K x M), B (K x N): C = A^T B. Row-major shared tiles; M, N and K multiples of 16.
enum class Form { NT, NN, TN };

template <Form F, class T>
__device__ void block_gemm(acc_t<T>* C, int ldc, const T* A, int lda, const T* B, int ldb, int M,
                           int N, int K, bool accumulate) {
  if constexpr (kTensorCores<T>) {
    using namespace nvcuda;
    using ALayout = std::conditional_t<F == Form::TN, wmma::col_major, wmma::row_major>;
    using BLayout = std::conditional_t<F == Form::NT, wmma::col_major, wmma::row_major>;
    const int warp = threadIdx.x / 32, tn = N / 16;
    for (int t = warp; t < M / 16 * tn; t += kWarps) {
      const int mi = t / tn * 16, ni = t % tn * 16;
      float* cp = C + mi * ldc + ni;
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
      if (accumulate) {
        wmma::load_matrix_sync(acc, cp, ldc, wmma::mem_row_major);
      } else {
        wmma::fill_fragment(acc, 0.0f);
      }
      for (int k = 0; k < K; k += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, ALayout> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, BLayout> b;
        wmma::load_matrix_sync(a, F == Form::TN ? A + k * lda + mi : A + mi * lda + k, lda);
        wmma::load_matrix_sync(b, F == Form::NT ? B + ni * ldb + k : B + k * ldb + ni, ldb);
        wmma::mma_sync(acc, a, b, acc);
      }
      wmma::store_matrix_sync(cp, acc, ldc, wmma::mem_row_major);
    }
  } else {
    for (int x = threadIdx.x; x < M * N; x += kBlock) {
      const int r = x / N, c = x % N;
      acc_t<T> s = accumulate ? C[r * ldc + c] : acc_t<T>(0);
      for (int k = 0; k < K; ++k) {
        const T a = F == Form::TN ? A[k * lda + r] : A[r * lda + k];
        const T b = F == Form::NT ? B[c * ldb + k] : B[k * ldb + c];
        s += a * b;
      }
      C[r * ldc + c] = s;
    }
  }
}

// Shared memory of one block, in bytes from the start; each region 128-byte aligned.
struct Carve {
  size_t at = 0;
  size_t take(size_t bytes) {
    const size_t r = at;
    at += (bytes + 127) / 128 * 128;
    return r;
  }
};

// ---- forward ----

struct FwdLayout {
  int ldt, ldv, lds, ldp, ldo;  // row strides of the Q/K, V, score, probability, output tiles
  size_t q, k, v, s, p, o, m, l, total;
};

template <class T>
FwdLayout fwd_layout(int Br, int Bc, int Ep, int Evp) {
  using A = acc_t<T>;
  FwdLayout f{};
  f.ldt = Ep + kPadT<T>;
  f.ldv = Evp + kPadT<T>;
  f.lds = Bc + kPadA<T>;
  f.ldp = Bc + kPadT<T>;
  f.ldo = Evp + kPadA<T>;
  Carve c;
  f.q = c.take(sizeof(T) * Br * f.ldt);
  f.k = c.take(sizeof(T) * Bc * f.ldt);
  f.v = c.take(sizeof(T) * Bc * f.ldv);
  f.s = c.take(sizeof(A) * Br * f.lds);
  f.p = c.take(sizeof(T) * Br * f.ldp);
  f.o = c.take(sizeof(A) * Br * f.ldo);
  f.m = c.take(sizeof(A) * Br);
  f.l = c.take(sizeof(A) * Br);
  f.total = c.at;
  return f;
}

template <class T>
struct FwdArgs {
  Common<T> c;
  FwdLayout lay;
  T* out;
  acc_t<T>* lse;
};

template <class T, int Br, int Bc>
__global__ void __launch_bounds__(kBlock) sdpa_forward_kernel(const FwdArgs<T> a) {
  using A = acc_t<T>;
  extern __shared__ __align__(128) unsigned char smem[];
  const Common<T>& c = a.c;
  const FwdLayout& f = a.lay;
  T* qs = reinterpret_cast<T*>(smem + f.q);
  T* ks = reinterpret_cast<T*>(smem + f.k);
  T* vs = reinterpret_cast<T*>(smem + f.v);
  A* ss = reinterpret_cast<A*>(smem + f.s);
  T* ps = reinterpret_cast<T*>(smem + f.p);
  A* os = reinterpret_cast<A*>(smem + f.o);
  A* ms = reinterpret_cast<A*>(smem + f.m);
  A* ls = reinterpret_cast<A*>(smem + f.l);

  const int64_t tiles = (c.L + Br - 1) / Br;
  const int64_t b = blockIdx.x / tiles, i0 = blockIdx.x % tiles * Br;
  const int rows = static_cast<int>(min(int64_t{Br}, c.L - i0));
  const SdpaOffsets off = sdpa_offsets(c.batch, b);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;

  load_tile(qs, f.ldt, c.q + off.q + i0 * c.E, c.E, rows, static_cast<int>(c.E), Br, c.Ep);
  for (int x = threadIdx.x; x < Br * f.ldo; x += kBlock) os[x] = A(0);
  for (int r = threadIdx.x; r < Br; r += kBlock) {
    ms[r] = A(-INFINITY);
    ls[r] = A(0);
  }
  // Causal: keys past the tile's last row are masked for all of its rows.
  const int64_t j_end = c.causal ? min(c.S, i0 + rows) : c.S;
  for (int64_t j0 = 0; j0 < j_end; j0 += Bc) {
    const int cols = static_cast<int>(min(int64_t{Bc}, j_end - j0));
    __syncthreads();  // the previous tile's readers of ks, vs and ps are done
    load_tile(ks, f.ldt, c.k + off.k + j0 * c.E, c.E, cols, static_cast<int>(c.E), Bc, c.Ep);
    load_tile(vs, f.ldv, c.v + off.v + j0 * c.Ev, c.Ev, cols, static_cast<int>(c.Ev), Bc, c.Evp);
    __syncthreads();
    block_gemm<Form::NT>(ss, f.lds, qs, f.ldt, ks, f.ldt, Br, Bc, c.Ep, false);
    __syncthreads();
    // Online softmax, one warp per row: new maximum, rescale of the row's sum and output so far.
    for (int r = warp; r < rows; r += kWarps) {
      const int64_t i = i0 + r;
      constexpr int kPer = (Bc + 31) / 32;
      A sv[kPer];
      A mx = A(-INFINITY);
#pragma unroll
      for (int u = 0; u < kPer; ++u) {
        const int col = lane + 32 * u;
        sv[u] = col < cols ? score(c, off, ss[r * f.lds + col], i, j0 + col) : A(-INFINITY);
        mx = fmax(mx, sv[u]);
      }
      mx = warp_max(mx);
      const A m_old = ms[r], m_new = fmax(m_old, mx);
      if (m_new == A(-INFINITY)) {  // nothing visible yet: contributes nothing
#pragma unroll
        for (int u = 0; u < kPer; ++u) {
          if (lane + 32 * u < Bc) ps[r * f.ldp + lane + 32 * u] = static_cast<T>(0.0f);
        }
        continue;
      }
      const A alpha = dexp(m_old - m_new);
      A sum = 0;
#pragma unroll
      for (int u = 0; u < kPer; ++u) {
        const int col = lane + 32 * u;
        A pv = dexp(sv[u] - m_new);
        sum += pv;
        if (c.dropout && col < cols) pv *= drop_factor(c, b, i, j0 + col);
        if (col < Bc) ps[r * f.ldp + col] = static_cast<T>(pv);
      }
      sum = warp_sum(sum);
      if (lane == 0) {
        ms[r] = m_new;
        ls[r] = ls[r] * alpha + sum;
      }
      if (alpha != A(1)) {
        for (int e = lane; e < c.Evp; e += 32) os[r * f.ldo + e] *= alpha;
      }
    }
    __syncthreads();
    block_gemm<Form::NN>(os, f.ldo, ps, f.ldp, vs, f.ldv, Br, c.Evp, Bc, true);
  }
  __syncthreads();
  const int64_t row0 = b * c.L + i0;
  for (int64_t x = threadIdx.x; x < rows * c.Ev; x += kBlock) {
    const int r = static_cast<int>(x / c.Ev), e = static_cast<int>(x % c.Ev);
    // Every key masked: torch's softmax over all -inf gives NaN, and so does this.
    const A l = ls[r];
    a.out[(row0 + r) * c.Ev + e] = static_cast<T>(l > 0 ? os[r * f.ldo + e] / l : A(NAN));
  }
  for (int r = threadIdx.x; r < rows; r += kBlock) {
    a.lse[row0 + r] = ls[r] > 0 ? ms[r] + dlog(ls[r]) : A(-INFINITY);
  }
}

// ---- backward ----

struct BwdLayout {
  int ldt, ldv, lds, ldp, ldk, ldvv, ldq;  // Q/K, V/dO, score, probability, dK, dV, dQ tiles
  size_t k, v, q, g, s, dp, p, ds, dk, dv, d, l, total;
};

template <class T>
BwdLayout bwd_layout(int Br, int Bc, int Ep, int Evp) {
  using A = acc_t<T>;
  BwdLayout f{};
  f.ldt = Ep + kPadT<T>;
  f.ldv = Evp + kPadT<T>;
  f.lds = Bc + kPadA<T>;
  f.ldp = Bc + kPadT<T>;
  f.ldk = Ep + kPadA<T>;
  f.ldvv = Evp + kPadA<T>;
  f.ldq = Ep + kPadA<T>;
  Carve c;
  f.k = c.take(sizeof(T) * Bc * f.ldt);
  f.v = c.take(sizeof(T) * Bc * f.ldv);
  f.q = c.take(sizeof(T) * Br * f.ldt);
  f.g = c.take(sizeof(T) * Br * f.ldv);
  // The scores and dP are dead once dS is formed; the tile's dQ share reuses their space.
  const size_t s_bytes = (sizeof(A) * Br * f.lds + 127) / 128 * 128;
  f.s = c.take(std::max(2 * s_bytes, sizeof(A) * Br * f.ldq));
  f.dp = f.s + s_bytes;
  f.p = c.take(sizeof(T) * Br * f.ldp);
  f.ds = c.take(sizeof(T) * Br * f.ldp);
  f.dk = c.take(sizeof(A) * Bc * f.ldk);
  f.dv = c.take(sizeof(A) * Bc * f.ldvv);
  f.d = c.take(sizeof(A) * Br);
  f.l = c.take(sizeof(A) * Br);
  f.total = c.at;
  return f;
}

template <class T>
struct BwdArgs {
  Common<T> c;
  BwdLayout lay;
  const T* grad_out;
  const acc_t<T>* lse;
  const acc_t<T>* delta;  // D_i = sum_e dO[i, e] * O[i, e] per (batch, row)
  acc_t<T>* grad_q;
  acc_t<T>* grad_k;
  acc_t<T>* grad_v;
};

// D_i, the row term of softmax's backward: one warp per row of grad_out and out.
template <class T>
__global__ void sdpa_delta_kernel(const T* grad_out, const T* out, acc_t<T>* delta, int64_t rows,
                                  int64_t Ev) {
  using A = acc_t<T>;
  const int lane = threadIdx.x % 32;
  for (int64_t r = (int64_t{blockIdx.x} * blockDim.x + threadIdx.x) / 32; r < rows;
       r += int64_t{gridDim.x} * blockDim.x / 32) {
    A s = 0;
    for (int64_t e = lane; e < Ev; e += 32)
      s += to_acc(grad_out[r * Ev + e]) * to_acc(out[r * Ev + e]);
    s = warp_sum(s);
    if (lane == 0) delta[r] = s;
  }
}

template <class T, int Br, int Bc>
__global__ void __launch_bounds__(kBlock) sdpa_backward_kernel(const BwdArgs<T> a) {
  using A = acc_t<T>;
  extern __shared__ __align__(128) unsigned char smem[];
  const Common<T>& c = a.c;
  const BwdLayout& f = a.lay;
  T* ks = reinterpret_cast<T*>(smem + f.k);
  T* vs = reinterpret_cast<T*>(smem + f.v);
  T* qs = reinterpret_cast<T*>(smem + f.q);
  T* gs = reinterpret_cast<T*>(smem + f.g);
  A* ss = reinterpret_cast<A*>(smem + f.s);
  A* dps = reinterpret_cast<A*>(smem + f.dp);
  A* dqs = reinterpret_cast<A*>(smem + f.s);  // aliases ss and dps (see bwd_layout)
  T* ps = reinterpret_cast<T*>(smem + f.p);
  T* dss = reinterpret_cast<T*>(smem + f.ds);
  A* dks = reinterpret_cast<A*>(smem + f.dk);
  A* dvs = reinterpret_cast<A*>(smem + f.dv);
  A* ds_row = reinterpret_cast<A*>(smem + f.d);
  A* ls = reinterpret_cast<A*>(smem + f.l);

  const int64_t tiles = (c.S + Bc - 1) / Bc;
  const int64_t b = blockIdx.x / tiles, j0 = blockIdx.x % tiles * Bc;
  const int cols = static_cast<int>(min(int64_t{Bc}, c.S - j0));
  const SdpaOffsets off = sdpa_offsets(c.batch, b);
  const int E = static_cast<int>(c.E), Ev = static_cast<int>(c.Ev);

  load_tile(ks, f.ldt, c.k + off.k + j0 * c.E, c.E, cols, E, Bc, c.Ep);
  load_tile(vs, f.ldv, c.v + off.v + j0 * c.Ev, c.Ev, cols, Ev, Bc, c.Evp);
  for (int x = threadIdx.x; x < Bc * f.ldk; x += kBlock) dks[x] = A(0);
  for (int x = threadIdx.x; x < Bc * f.ldvv; x += kBlock) dvs[x] = A(0);
  // Causal: query rows before j0 see none of these keys.
  for (int64_t i0 = c.causal ? j0 / Br * Br : 0; i0 < c.L; i0 += Br) {
    const int rows = static_cast<int>(min(int64_t{Br}, c.L - i0));
    const int64_t row0 = b * c.L + i0;
    __syncthreads();  // the previous tile's readers of qs, gs and dqs are done
    load_tile(qs, f.ldt, c.q + off.q + i0 * c.E, c.E, rows, E, Br, c.Ep);
    load_tile(gs, f.ldv, a.grad_out + row0 * c.Ev, c.Ev, rows, Ev, Br, c.Evp);
    for (int r = threadIdx.x; r < Br; r += kBlock) {
      ds_row[r] = r < rows ? a.delta[row0 + r] : A(0);
      ls[r] = r < rows ? a.lse[row0 + r] : A(0);
    }
    __syncthreads();
    block_gemm<Form::NT>(ss, f.lds, qs, f.ldt, ks, f.ldt, Br, Bc, c.Ep, false);
    block_gemm<Form::NT>(dps, f.lds, gs, f.ldv, vs, f.ldv, Br, Bc, c.Evp, false);
    __syncthreads();
    // P = exp(score - lse), dropped P * Z for dV, dS = P * (dP * Z - D) * scale for dQ and dK.
    for (int x = threadIdx.x; x < Br * Bc; x += kBlock) {
      const int r = x / Bc, col = x % Bc;
      A pz = 0, dsv = 0;
      if (r < rows && col < cols) {
        const int64_t i = i0 + r, j = j0 + col;
        const A p = dexp(score(c, off, ss[r * f.lds + col], i, j) - ls[r]);
        const A z = c.dropout ? drop_factor(c, b, i, j) : A(1);
        pz = p * z;
        dsv = p * (dps[r * f.lds + col] * z - ds_row[r]) * c.scale;
      }
      ps[r * f.ldp + col] = static_cast<T>(pz);
      dss[r * f.ldp + col] = static_cast<T>(dsv);
    }
    __syncthreads();
    block_gemm<Form::TN>(dvs, f.ldvv, ps, f.ldp, gs, f.ldv, Bc, c.Evp, Br, true);
    block_gemm<Form::TN>(dks, f.ldk, dss, f.ldp, qs, f.ldt, Bc, c.Ep, Br, true);
    block_gemm<Form::NN>(dqs, f.ldq, dss, f.ldp, ks, f.ldt, Br, c.Ep, Bc, false);
    __syncthreads();
    for (int x = threadIdx.x; x < rows * E; x += kBlock) {
      const int r = x / E, e = x % E;
      atomicAdd(a.grad_q + (row0 + r) * c.E + e, dqs[r * f.ldq + e]);
    }
  }
  __syncthreads();
  const int64_t key0 = b * c.S + j0;
  for (int x = threadIdx.x; x < cols * E; x += kBlock) {
    const int r = x / E, e = x % E;
    a.grad_k[(key0 + r) * c.E + e] = dks[r * f.ldk + e];
  }
  for (int x = threadIdx.x; x < cols * Ev; x += kBlock) {
    const int r = x / Ev, e = x % Ev;
    a.grad_v[(key0 + r) * c.Ev + e] = dvs[r * f.ldvv + e];
  }
}

// ---- host side ----

template <class T>
Common<T> common_args(const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                      const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                      const SdpaParams& p) {
  using A = acc_t<T>;
  Common<T> c{};
  c.q = data<T>(q);
  c.k = data<T>(k);
  c.v = data<T>(v);
  c.mask_bool = mask != nullptr && mask->dtype == EMBER_BOOL ? data<bool>(mask) : nullptr;
  c.mask_add = mask != nullptr && mask->dtype != EMBER_BOOL ? data<T>(mask) : nullptr;
  c.m_rs = p.m_rs;
  c.m_cs = p.m_cs;
  c.L = p.L;
  c.S = p.S;
  c.E = p.E;
  c.Ev = p.Ev;
  c.Ep = static_cast<int>(round16(p.E));
  c.Evp = static_cast<int>(round16(p.Ev));
  c.scale = static_cast<A>(p.scale);
  c.causal = p.causal;
  c.dropout = p.dropout;
  c.drop = sdpa_dropout(p);
  c.kept = p.keep > 0 ? static_cast<A>(1 / p.keep) : A(0);
  c.batch = sdpa_batch(p);
  return c;
}

void check_mask(const char* op, const ember_kernel_tensor* q, const ember_kernel_tensor* mask) {
  if (mask != nullptr && mask->dtype != EMBER_BOOL && mask->dtype != q->dtype)
    fail(EMBER_ERROR_DTYPE, std::string(op) + ": cuda kernel expects a bool or " +
                                dtype_name(q->dtype) + " attn_mask, got " +
                                dtype_name(mask->dtype));
}

int device_of_call() {
  int device = 0;
  EC_CUDA(cudaGetDevice(&device));
  return device;
}

// The opt-in shared memory limit of the current device.
size_t shared_limit() {
  int bytes = 0;
  EC_CUDA(
      cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, device_of_call()));
  return static_cast<size_t>(bytes);
}

// Launches kernel<T, Br, Bc> for the largest square tile whose shared memory fits the device.
// make(Br, Bc) builds the kernel's arguments (with their layout, whose total is the shared size).
template <class T, bool kForward, class Make>
void launch_tiled(const char* op, const SdpaParams& p, int32_t dtype, int64_t rows_or_keys,
                  Make make) {
  const size_t limit = shared_limit();
  auto try_tile = [&](auto tile) -> bool {
    constexpr int B = decltype(tile)::value;
    auto args = make(B, B);
    const size_t bytes = args.lay.total;
    if (bytes > limit) return false;
    void (*kernel)(decltype(args)) = nullptr;
    if constexpr (kForward) {
      kernel = sdpa_forward_kernel<T, B, B>;
    } else {
      kernel = sdpa_backward_kernel<T, B, B>;
    }
    EC_CUDA(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 static_cast<int>(bytes)));
    const int64_t blocks = p.batch * ((rows_or_keys + B - 1) / B);
    kernel<<<static_cast<unsigned>(blocks), kBlock, bytes, stream()>>>(args);
    EC_LAUNCHED("scaled_dot_product_attention");
    return true;
  };
  if (try_tile(std::integral_constant<int, 64>{})) return;
  if (try_tile(std::integral_constant<int, 32>{})) return;
  if (try_tile(std::integral_constant<int, 16>{})) return;
  fail(EMBER_ERROR_NOT_IMPLEMENTED,
       std::string(op) + ": " + dtype_name(dtype) + " head dims E = " + std::to_string(p.E) +
           ", Ev = " + std::to_string(p.Ev) +
           " need more shared memory than cuda:" + std::to_string(device_of_call()) + " has (" +
           std::to_string(limit) + " bytes a block); smaller head dims or a 16-bit dtype fit");
}

template <class T>
void check_dtypes(const char* op, const ember_kernel_tensor* q, const ember_kernel_tensor* acc) {
  constexpr int32_t want = std::is_same_v<acc_t<T>, double> ? EMBER_FLOAT64 : EMBER_FLOAT32;
  if (acc->dtype != want)
    fail(EMBER_ERROR_DTYPE, std::string(op) + ": cuda kernel expects " + dtype_name(want) +
                                " logsumexp and gradients for " + dtype_name(q->dtype) +
                                " operands, got " + dtype_name(acc->dtype));
}

ember_status sdpa(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* lse,
                  const ember_kernel_tensor* q, const ember_kernel_tensor* k,
                  const ember_kernel_tensor* v, const ember_kernel_tensor* mask,
                  const void* params) {
  return guard([&] {
    const char* op = "scaled_dot_product_attention";
    const SdpaParams& p = *static_cast<const SdpaParams*>(params);
    use_device(q);
    check_mask(op, q, mask);
    dispatch_float(q->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      check_dtypes<T>(op, q, lse);
      if (sdpa_forward_wgmma(out, lse, q, k, v, mask, p)) return;
      if (sdpa_forward_mma(out, lse, q, k, v, mask, p)) return;
      const Common<T> c = common_args<T>(q, k, v, mask, p);
      launch_tiled<T, true>(op, p, q->dtype, p.L, [&](int Br, int Bc) {
        return FwdArgs<T>{c, fwd_layout<T>(Br, Bc, c.Ep, c.Evp), data<T>(out), data<acc_t<T>>(lse)};
      });
    });
  });
}

ember_status sdpa_backward(void*, const ember_kernel_tensor* grad_q,
                           const ember_kernel_tensor* grad_k, const ember_kernel_tensor* grad_v,
                           const ember_kernel_tensor* grad_out, const ember_kernel_tensor* q,
                           const ember_kernel_tensor* k, const ember_kernel_tensor* v,
                           const ember_kernel_tensor* mask, const ember_kernel_tensor* out,
                           const ember_kernel_tensor* lse, const void* params) {
  return guard([&] {
    const char* op = "scaled_dot_product_attention_backward";
    const SdpaParams& p = *static_cast<const SdpaParams*>(params);
    use_device(q);
    check_mask(op, q, mask);
    dispatch_float(q->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = acc_t<T>;
      check_dtypes<T>(op, q, lse);
      check_dtypes<T>(op, q, grad_q);
      const int64_t rows = p.batch * p.L;
      Scratch delta(q->device_index, static_cast<int64_t>(sizeof(A)) * rows);
      sdpa_delta_kernel<T><<<blocks_for(rows * 32), kThreads, 0, stream()>>>(
          data<T>(grad_out), data<T>(out), delta.as<A>(), rows, p.Ev);
      EC_LAUNCHED("scaled_dot_product_attention_backward");
      if constexpr (std::is_same_v<A, float>) {
        if (sdpa_backward_wgmma(grad_q, grad_k, grad_v, grad_out, q, k, v, mask, lse, delta.as<A>(),
                                p))
          return;
        if (sdpa_backward_mma(grad_q, grad_k, grad_v, grad_out, q, k, v, mask, lse, delta.as<A>(),
                              p))
          return;
      }
      const Common<T> c = common_args<T>(q, k, v, mask, p);
      launch_tiled<T, false>(op, p, q->dtype, p.S, [&](int Br, int Bc) {
        return BwdArgs<T>{c,
                          bwd_layout<T>(Br, Bc, c.Ep, c.Evp),
                          data<T>(grad_out),
                          data<A>(lse),
                          delta.as<A>(),
                          data<A>(grad_q),
                          data<A>(grad_k),
                          data<A>(grad_v)};
      });
    });
  });
}

}  // namespace

ember_status register_attention(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "scaled_dot_product_attention", sdpa);
  if (s == EMBER_OK) {
    s = register_kernel(host, "scaled_dot_product_attention_backward", sdpa_backward);
  }
  return s;
}

}  // namespace ember_cuda
