#include "cpu/nn/small_gemm.h"

#include "cpu/nn/simd.h"

namespace ember::cpu {
namespace {

constexpr int kRows = 6;  // 6 rows x 2 vectors: 12 accumulators + 2 loads + 1 broadcast registers

// One tile: rows [0, MR) by 2 vectors of columns; kFull false means only ncols (< 2 vectors) are
// valid, so B is read and C written element by element past them.
template <class T, int MR, bool kFull>
EMBER_ALWAYS_INLINE inline void tile(const SmallGemm<T>& g, const T* a, const T* b, T* c,
                                     int64_t ncols) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::kWidth;
  V acc0[MR], acc1[MR];
  for (int i = 0; i < MR; ++i) acc0[i] = acc1[i] = V{};
  for (int64_t k = 0; k < g.k; ++k) {
    const T* bp = b + (g.b_rows ? g.b_rows[k] : k * g.ldb);
    V b0, b1;
    if constexpr (kFull) {
      load_vec(b0, bp);
      load_vec(b1, bp + W);
    } else {
      T tmp[2 * W] = {};
      for (int64_t j = 0; j < ncols; ++j) tmp[j] = bp[j];
      load_vec(b0, tmp);
      load_vec(b1, tmp + W);
    }
    const T* ap = a + k * g.a_cs;
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const T s = ap[i * g.a_rs];
      acc0[i] += s * b0;
      acc1[i] += s * b1;
    }
  }
  for (int i = 0; i < MR; ++i) {
    T* cp = c + i * g.ldc;
    if constexpr (kFull) {
      if (g.accumulate) {
        V c0, c1;
        load_vec(c0, cp);
        load_vec(c1, cp + W);
        acc0[i] += c0;
        acc1[i] += c1;
      }
      store_vec(cp, acc0[i]);
      store_vec(cp + W, acc1[i]);
    } else {
      T tmp[2 * W];
      store_vec(tmp, acc0[i]);
      store_vec(tmp + W, acc1[i]);
      for (int64_t j = 0; j < ncols; ++j) cp[j] = g.accumulate ? cp[j] + tmp[j] : tmp[j];
    }
  }
}

// Rows go in ceil(m / kRows) tiles of near-equal height (20 rows: 5 + 5 + 5 + 5, not
// 6 + 6 + 6 + 2), since a short tile costs almost as many loads as a full one.
template <class T, bool kFull>
EMBER_ALWAYS_INLINE inline void column_block(const SmallGemm<T>& g, int64_t j, int64_t ncols) {
  const T* b = g.b + j;
  const int64_t tiles = (g.m + kRows - 1) / kRows;
  const int64_t base = g.m / tiles, taller = g.m % tiles;  // the first `taller` get base + 1
  int64_t i = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t rows = base + (t < taller ? 1 : 0);
    const T* a = g.a + i * g.a_rs;
    T* c = g.c + i * g.ldc + j;
    switch (rows) {
      case 6:
        tile<T, 6, kFull>(g, a, b, c, ncols);
        break;
      case 5:
        tile<T, 5, kFull>(g, a, b, c, ncols);
        break;
      case 4:
        tile<T, 4, kFull>(g, a, b, c, ncols);
        break;
      case 3:
        tile<T, 3, kFull>(g, a, b, c, ncols);
        break;
      case 2:
        tile<T, 2, kFull>(g, a, b, c, ncols);
        break;
      default:
        tile<T, 1, kFull>(g, a, b, c, ncols);
        break;
    }
    i += rows;
  }
}

template <class T>
EMBER_ALWAYS_INLINE inline void run(const SmallGemm<T>& g) {
  constexpr int64_t kCols = 2 * Simd<T>::kWidth;
  int64_t j = 0;
  for (; j + kCols <= g.n; j += kCols) column_block<T, true>(g, j, kCols);
  if (j < g.n) column_block<T, false>(g, j, g.n - j);
}

// ---- NT: MR rows of A against NR rows of B, one vector accumulator per pair, summed across lanes
// once at the end of L ----

// Row j of B in the NT product.
template <class T>
EMBER_ALWAYS_INLINE inline const T* nt_row(const SmallGemmNT<T>& g, int64_t j) {
  return g.b + (g.b_rows ? g.b_rows[j] : j * g.ldb);
}

template <class T, int MR, int NR>
EMBER_ALWAYS_INLINE inline void tile_nt(const SmallGemmNT<T>& g, const T* a, int64_t j0, T* c) {
  const T* b[NR];
  for (int j = 0; j < NR; ++j) b[j] = nt_row(g, j0 + j);
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::kWidth;
  V acc[MR][NR];
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) acc[i][j] = V{};
  }
  const int64_t lv = g.l / W * W;
  for (int64_t q = 0; q < lv; q += W) {
    V av[MR], bv[NR];
    for (int i = 0; i < MR; ++i) load_vec(av[i], a + i * g.lda + q);
    for (int j = 0; j < NR; ++j) load_vec(bv[j], b[j] + q);
#pragma GCC unroll 4
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int j = 0; j < NR; ++j) acc[i][j] += av[i] * bv[j];
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int j = 0; j < NR; ++j) {
      T lanes[W];
      store_vec(lanes, acc[i][j]);
      T s = 0;
      for (int w = 0; w < W; ++w) s += lanes[w];
      for (int64_t q = lv; q < g.l; ++q) s += a[i * g.lda + q] * b[j][q];
      c[i * g.ldc + j] += s;
    }
  }
}

template <class T, int MR>
EMBER_ALWAYS_INLINE inline void row_block_nt(const SmallGemmNT<T>& g, const T* a, T* c) {
  constexpr int NR = 4;
  int64_t j = 0;
  for (; j + NR <= g.n; j += NR) tile_nt<T, MR, NR>(g, a, j, c + j);
  switch (g.n - j) {
    case 3:
      tile_nt<T, MR, 3>(g, a, j, c + j);
      break;
    case 2:
      tile_nt<T, MR, 2>(g, a, j, c + j);
      break;
    case 1:
      tile_nt<T, MR, 1>(g, a, j, c + j);
      break;
    default:
      break;
  }
}

template <class T>
EMBER_ALWAYS_INLINE inline void run_nt(const SmallGemmNT<T>& g) {
  constexpr int MR = 3;  // 3 x 4 accumulators + 7 loads fill the 16 vector registers
  int64_t i = 0;
  for (; i + MR <= g.m; i += MR) row_block_nt<T, MR>(g, g.a + i * g.lda, g.c + i * g.ldc);
  switch (g.m - i) {
    case 2:
      row_block_nt<T, 2>(g, g.a + i * g.lda, g.c + i * g.ldc);
      break;
    case 1:
      row_block_nt<T, 1>(g, g.a + i * g.lda, g.c + i * g.ldc);
      break;
    default:
      break;
  }
}

void small_gemm_base(const SmallGemm<float>& g) { run(g); }
void small_gemm_base(const SmallGemm<double>& g) { run(g); }
void small_gemm_base(const SmallGemmNT<float>& g) { run_nt(g); }
void small_gemm_base(const SmallGemmNT<double>& g) { run_nt(g); }
#if EMBER_X86_CLONES
EMBER_TARGET_AVX2 void small_gemm_avx2(const SmallGemm<float>& g) { run(g); }
EMBER_TARGET_AVX2 void small_gemm_avx2(const SmallGemm<double>& g) { run(g); }
EMBER_TARGET_AVX2 void small_gemm_avx2(const SmallGemmNT<float>& g) { run_nt(g); }
EMBER_TARGET_AVX2 void small_gemm_avx2(const SmallGemmNT<double>& g) { run_nt(g); }
#endif

template <class G>
void dispatch(const G& g) {
#if EMBER_X86_CLONES
  if (cpu_has_avx2()) return small_gemm_avx2(g);
#endif
  small_gemm_base(g);
}

}  // namespace

void small_gemm(const SmallGemm<float>& g) { dispatch(g); }
void small_gemm(const SmallGemm<double>& g) { dispatch(g); }
void small_gemm_nt(const SmallGemmNT<float>& g) { dispatch(g); }
void small_gemm_nt(const SmallGemmNT<double>& g) { dispatch(g); }

}  // namespace ember::cpu
