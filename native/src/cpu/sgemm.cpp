#include "cpu/sgemm.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "cpu/iterator.h"  // EMBER_X86_CLONES, EMBER_TARGET_AVX2, cpu_has_avx2

#if EMBER_X86_CLONES
#include <immintrin.h>
#endif

namespace ember::cpu {

#if EMBER_X86_CLONES
namespace {

constexpr int64_t kMr = 6;    // rows of a register tile: 6 x 2 accumulators + 2 loads + 1 broadcast
constexpr int64_t kNr = 16;   // columns of a register tile: two 8-float vectors
constexpr int64_t kKc = 256;  // depth of one packed block: a 6 x 256 panel and a 256 x 16 strip
                              // (22 KiB together) stay in the 32 KiB L1 while a tile is computed
constexpr int64_t kMc = 144;  // rows of A packed at once (144 KiB at kKc): they stay in L2
constexpr int64_t kNc = 4096;  // columns of B packed at once (4 MiB at kKc): bounds what a thread
                               // keeps for packing however wide the product

constexpr int64_t kFewRows = 128;  // x @ W^T with at most this many rows of x reads W in place

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A thread's packing buffers, grown on demand and kept: packing is per call, allocation is not.
struct PackBuffers {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> a, b;
  int64_t a_size = 0, b_size = 0;

  static float* grow(std::unique_ptr<float, Free>& p, int64_t& size, int64_t want) {
    if (want > size) {
      const size_t bytes = (static_cast<size_t>(want) * sizeof(float) + 63) / 64 * 64;
      float* q = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (q == nullptr) throw std::bad_alloc();
      p.reset(q);
      size = want;
    }
    return p.get();
  }
};

PackBuffers& buffers() {
  thread_local PackBuffers b;
  return b;
}

// 8 x 8 transpose: row r of the result holds element r of each of the eight inputs.
EMBER_TARGET_AVX2 inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Rows [i0, i0 + mc) and depth [p0, p0 + kc) of op(A) into panels of kMr rows, each stored depth
// first (kMr values per step); the last panel is padded with zero rows.
__attribute__((noinline)) EMBER_TARGET_AVX2 void pack_a(bool ta, const float* a, int64_t lda,
                                                        int64_t i0, int64_t mc, int64_t p0,
                                                        int64_t kc, float* out) {
  for (int64_t i = 0; i < mc; i += kMr) {
    const int64_t rows = std::min(kMr, mc - i);
    float* dst = out + i * kc;
    if (ta) {  // A(i, p) = a[p * lda + i]: the panel's rows are contiguous at each depth
      // A masked load reads only the panel's rows (never past the matrix); the 8-wide stores
      // overlap as below.
      const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
      const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rows)), lanes);
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = a + (p0 + p) * lda + i0 + i;
        _mm256_storeu_ps(dst + p * kMr, _mm256_maskload_ps(src, mask));
      }
    } else {  // A(i, p) = a[i * lda + p]: transpose 8-deep blocks of the panel's rows
      const float* src[kMr];
      for (int64_t r = 0; r < kMr; ++r) src[r] = a + (i0 + i + std::min(r, rows - 1)) * lda + p0;
      const int64_t kv = rows == kMr ? kc / 8 * 8 : 0;
      for (int64_t p = 0; p < kv; p += 8) {
        __m256 v[8];
        for (int64_t r = 0; r < kMr; ++r) v[r] = _mm256_loadu_ps(src[r] + p);
        v[6] = v[7] = _mm256_setzero_ps();
        transpose8(v);
        // Each depth is 6 values: 8-wide stores in increasing order, each overwriting the 2 spare
        // values of the one before (the buffer has room past its end for the last). The same
        // holds across panels, which are packed in increasing order too.
        for (int64_t q = 0; q < 8; ++q) _mm256_storeu_ps(dst + (p + q) * kMr, v[q]);
      }
      for (int64_t p = kv; p < kc; ++p) {
        for (int64_t r = 0; r < kMr; ++r) dst[p * kMr + r] = r < rows ? src[r][p] : 0.0f;
      }
    }
  }
}

// Depth [p0, p0 + kc) and columns [j0, j0 + nc) of op(B) into strips of kNr columns, each stored
// depth first (kNr values per step); the last strip is padded with zero columns.
__attribute__((noinline)) EMBER_TARGET_AVX2 void pack_b(bool tb, const float* b, int64_t ldb,
                                                        int64_t p0, int64_t kc, int64_t j0,
                                                        int64_t nc, float* out) {
  for (int64_t j = 0; j < nc; j += kNr) {
    const int64_t cols = std::min(kNr, nc - j);
    float* dst = out + j * kc;
    if (!tb && cols == kNr) {  // B(p, j) = b[p * ldb + j]: each depth is two vectors
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + j;
        _mm256_store_ps(dst + p * kNr, _mm256_loadu_ps(src));
        _mm256_store_ps(dst + p * kNr + 8, _mm256_loadu_ps(src + 8));
      }
    } else if (!tb) {
      for (int64_t p = 0; p < kc; ++p) {
        const float* src = b + (p0 + p) * ldb + j0 + j;
        for (int64_t c = 0; c < kNr; ++c) dst[p * kNr + c] = c < cols ? src[c] : 0.0f;
      }
    } else {  // B(p, j) = b[j * ldb + p]: transpose 8 x 8 blocks of the strip's 16 rows
      const int64_t kv = cols == kNr ? kc / 8 * 8 : 0;
      for (int64_t p = 0; p < kv; p += 8) {
        for (int64_t half = 0; half < 2; ++half) {
          __m256 r[8];
          for (int64_t c = 0; c < 8; ++c)
            r[c] = _mm256_loadu_ps(b + (j0 + j + half * 8 + c) * ldb + p0 + p);
          transpose8(r);
          for (int64_t q = 0; q < 8; ++q) _mm256_store_ps(dst + (p + q) * kNr + half * 8, r[q]);
        }
      }
      for (int64_t p = kv; p < kc; ++p) {
        for (int64_t c = 0; c < kNr; ++c)
          dst[p * kNr + c] = c < cols ? b[(j0 + j + c) * ldb + p0 + p] : 0.0f;
      }
    }
  }
}

// The register tile both micro-kernels share. Twelve named accumulators (GCC keeps an array of
// them in memory, not in registers), and one depth step: the strip's two vectors at bp times the
// six rows' values, A_AT(r) giving row r's address at this depth.
#define EMBER_SGEMM_ACCUMULATORS                                                           \
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, \
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#define EMBER_SGEMM_FMA(r, A_AT)                    \
  {                                                 \
    const __m256 av = _mm256_broadcast_ss(A_AT(r)); \
    c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);     \
    c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);     \
  }
#define EMBER_SGEMM_STEP(A_AT)                                         \
  {                                                                    \
    const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8); \
    EMBER_SGEMM_FMA(0, A_AT)                                           \
    EMBER_SGEMM_FMA(1, A_AT)                                           \
    EMBER_SGEMM_FMA(2, A_AT)                                           \
    EMBER_SGEMM_FMA(3, A_AT)                                           \
    EMBER_SGEMM_FMA(4, A_AT)                                           \
    EMBER_SGEMM_FMA(5, A_AT)                                           \
    bp += kNr;                                                         \
  }

// One 6 x 16 tile: acc = panel @ strip over kc steps, then C = alpha * acc + beta * C for the
// first `rows` x `cols` elements (beta == 0 writes without reading C).
EMBER_TARGET_AVX2 void tile(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc,
                            int64_t rows, int64_t cols, float alpha, float beta) {
  EMBER_SGEMM_ACCUMULATORS
  // C's rows are written (and read when beta != 0) after the loop: fetch them meanwhile.
  for (int64_t r = 0; r < rows; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + kNr - 1), _MM_HINT_T0);
  }
#define EMBER_SGEMM_PACKED_A(r) (ap + r)
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    EMBER_SGEMM_STEP(EMBER_SGEMM_PACKED_A)
    ap += kMr;
  }
#undef EMBER_SGEMM_PACKED_A
  const __m256 acc[kMr][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (rows == kMr && cols == kNr) {
#pragma GCC unroll 6
    for (int r = 0; r < kMr; ++r) {
      float* cr = c + r * ldc;
      __m256 x0 = _mm256_mul_ps(va, acc[r][0]), x1 = _mm256_mul_ps(va, acc[r][1]);
      if (beta != 0.0f) {
        x0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), x0);
        x1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), x1);
      }
      _mm256_storeu_ps(cr, x0);
      _mm256_storeu_ps(cr + 8, x1);
    }
    return;
  }
  alignas(32) float tmp[kMr][kNr];
  for (int r = 0; r < kMr; ++r) {
    _mm256_store_ps(tmp[r], _mm256_mul_ps(va, acc[r][0]));
    _mm256_store_ps(tmp[r] + 8, _mm256_mul_ps(va, acc[r][1]));
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* cr = c + r * ldc;
    for (int64_t j = 0; j < cols; ++j) cr[j] = beta != 0.0f ? tmp[r][j] + beta * cr[j] : tmp[r][j];
  }
}

// The tile of the few-rows path (run_few_rows): C^T's 6 x 16 tile, rows i.. of W read in place
// (6 row pointers, W(i, p) = w[i * ldw + p], the last row repeated past `rows`) against a packed
// strip of x's rows, stored transposed: 16 rows of C (`cols` of them), `rows` values each.
EMBER_TARGET_AVX2 void tile_transposed(int64_t kc, const float* w, int64_t ldw, int64_t rows,
                                       const float* bp, float* c, int64_t ldc, int64_t cols,
                                       float alpha, float beta) {
  const float* w0 = w;
  const float* w1 = w + std::min<int64_t>(1, rows - 1) * ldw;
  const float* w2 = w + std::min<int64_t>(2, rows - 1) * ldw;
  const float* w3 = w + std::min<int64_t>(3, rows - 1) * ldw;
  const float* w4 = w + std::min<int64_t>(4, rows - 1) * ldw;
  const float* w5 = w + std::min<int64_t>(5, rows - 1) * ldw;
  EMBER_SGEMM_ACCUMULATORS
#define EMBER_SGEMM_ROWS_IN_PLACE(r) (w##r + p)
#pragma GCC unroll 4
  for (int64_t p = 0; p < kc; ++p) {
    EMBER_SGEMM_STEP(EMBER_SGEMM_ROWS_IN_PLACE)
  }
#undef EMBER_SGEMM_ROWS_IN_PLACE
  // Lane q of row r's accumulators is C(q, r) (q + 8 for the second): after the transposes,
  // vector q holds C's row q, its first 6 lanes the tile's columns.
  const __m256 zero = _mm256_setzero_ps();
  __m256 lo[8] = {c00, c10, c20, c30, c40, c50, zero, zero};
  __m256 hi[8] = {c01, c11, c21, c31, c41, c51, zero, zero};
  transpose8(lo);
  transpose8(hi);
  const __m256 va = _mm256_set1_ps(alpha);
  if (rows == kMr) {  // 6 values a row: a 4-wide and a 2-wide store
    for (int64_t q = 0; q < cols; ++q) {
      float* cq = c + q * ldc;
      __m256 v = _mm256_mul_ps(va, q < 8 ? lo[q] : hi[q - 8]);
      __m128 v4 = _mm256_castps256_ps128(v), v2 = _mm256_extractf128_ps(v, 1);
      if (beta != 0.0f) {
        const __m128 vb = _mm_set1_ps(beta);
        v4 = _mm_fmadd_ps(vb, _mm_loadu_ps(cq), v4);
        v2 = _mm_fmadd_ps(vb, _mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(cq + 4))),
                          v2);
      }
      _mm_storeu_ps(cq, v4);
      _mm_store_sd(reinterpret_cast<double*>(cq + 4), _mm_castps_pd(v2));
    }
    return;
  }
  for (int64_t q = 0; q < cols; ++q) {
    alignas(32) float t[8];
    _mm256_store_ps(t, _mm256_mul_ps(va, q < 8 ? lo[q] : hi[q - 8]));
    float* cq = c + q * ldc;
    for (int64_t r = 0; r < rows; ++r) cq[r] = beta != 0.0f ? t[r] + beta * cq[r] : t[r];
  }
}

// C (m x n) = alpha * A @ W^T + beta * C with A (m x k) and W (n x k) row-major and few rows m: a
// linear layer's forward at a small batch. Computed as C^T = W @ A^T so that W, the large operand,
// is read in place by the micro-kernel instead of being transposed into packed strips first; only
// A's few rows are packed (1.15-1.2x the packed scheme at m = 64, 1.1x at m = 128, level at 256).
EMBER_TARGET_AVX2 void run_few_rows(int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                                    int64_t lda, const float* w, int64_t ldw, float beta, float* c,
                                    int64_t ldc) {
  const int64_t kc_max = ceil_div(k, ceil_div(k, kKc));
  const int64_t strips = ceil_div(m, kNr);
  PackBuffers& buf = buffers();
  float* bp = PackBuffers::grow(buf.b, buf.b_size, kc_max * strips * kNr);
  for (int64_t p0 = 0; p0 < k; p0 += kc_max) {
    const int64_t kc = std::min(kc_max, k - p0);
    const float beta_here = p0 == 0 ? beta : 1.0f;  // later depth blocks add to the first
    pack_b(true, a, lda, p0, kc, 0, m, bp);         // A^T's depth x m, as strips of 16 rows of A
    // Blocks of W's rows stay in L2 while every strip of A passes over them.
    for (int64_t i0 = 0; i0 < n; i0 += kMc) {
      const int64_t mc = std::min(kMc, n - i0);
      for (int64_t j = 0; j < m; j += kNr) {
        const float* strip = bp + j * kc;
        for (int64_t i = 0; i < mc; i += kMr) {
          tile_transposed(kc, w + (i0 + i) * ldw + p0, ldw, std::min(kMr, mc - i), strip,
                          c + j * ldc + i0 + i, ldc, std::min(kNr, m - j), alpha, beta_here);
        }
      }
    }
  }
}

EMBER_TARGET_AVX2 void run(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha,
                           const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                           float* c, int64_t ldc) {
  if (k == 0 || alpha == 0.0f) {  // C = beta * C, as BLAS defines it
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    }
    return;
  }
  if (!ta && tb && m <= kFewRows && m < n)
    return run_few_rows(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  // Depth blocks of near-equal size (784 = 3 x 196 rather than 3 x 256 + 16).
  const int64_t kc_max = ceil_div(k, ceil_div(k, kKc));
  const int64_t mc_max = std::min(kMc, ceil_div(m, kMr) * kMr);
  PackBuffers& buf = buffers();
  float* bp = PackBuffers::grow(buf.b, buf.b_size, kc_max * ceil_div(std::min(n, kNc), kNr) * kNr);
  // +8: the A packing's 8-wide stores reach 2 values past their panel.
  float* ap = PackBuffers::grow(buf.a, buf.a_size, kc_max * mc_max + 8);
  for (int64_t j0 = 0; j0 < n; j0 += kNc) {
    const int64_t nc = std::min(kNc, n - j0);
    for (int64_t p0 = 0; p0 < k; p0 += kc_max) {
      const int64_t kc = std::min(kc_max, k - p0);
      const float beta_here = p0 == 0 ? beta : 1.0f;  // later depth blocks add to the first
      pack_b(tb, b, ldb, p0, kc, j0, nc, bp);
      for (int64_t i0 = 0; i0 < m; i0 += mc_max) {
        const int64_t mc = std::min(mc_max, m - i0);
        pack_a(ta, a, lda, i0, mc, p0, kc, ap);
        for (int64_t j = 0; j < nc; j += kNr) {
          const float* strip = bp + j * kc;
          for (int64_t i = 0; i < mc; i += kMr) {
            tile(kc, ap + i * kc, strip, c + (i0 + i) * ldc + j0 + j, ldc, std::min(kMr, mc - i),
                 std::min(kNr, nc - j), alpha, beta_here);
          }
        }
      }
    }
  }
}

#undef EMBER_SGEMM_STEP
#undef EMBER_SGEMM_FMA
#undef EMBER_SGEMM_ACCUMULATORS

}  // namespace

bool sgemm_packed_available() { return cpu_has_avx2(); }

void sgemm_packed(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc) {
  run(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#else

bool sgemm_packed_available() { return false; }

void sgemm_packed(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                  int64_t, float, float*, int64_t) {
  throw std::logic_error("sgemm_packed: needs AVX2 (callers check sgemm_packed_available())");
}

#endif

}  // namespace ember::cpu
