#include "cpu/blas.h"

#include <algorithm>
#include <type_traits>

#include "core/parallel.h"
#include "cpu/sgemm.h"

namespace ember::cpu {

namespace {

// Multiply-adds below which one thread does the whole product: the pool's hand-off and a second
// packing of the shared operand would cost more than the split saves.
constexpr int64_t kSplitWork = int64_t{1} << 20;
// Block edges stay multiples of the micro-kernels' register tiles (OpenBLAS's Haswell/Zen sgemm
// kernel is 16 x 4 / 4 x 8; 16 serves rows and columns alike).
constexpr int64_t kAlign = 16;

template <class T>
void gemm_one_thread(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                     int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const auto i = [](int64_t v) { return static_cast<blasint>(v); };
  const auto ta_ = ta ? CblasTrans : CblasNoTrans, tb_ = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    if (sgemm_packed_available())
      return sgemm_packed(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    cblas_sgemm(CblasRowMajor, ta_, tb_, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                i(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta_, tb_, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                i(ldc));
  }
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const int64_t threads = num_threads();
  if (threads == 1 || m * n * k < kSplitWork || m == 0 || n == 0) {
    return gemm_one_thread<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  // A grid of row x column blocks, one per thread, as square as the thread count allows: each
  // block packs its own rows of A and columns of B, so squarer blocks pack less in total.
  int64_t best_rows = 1;
  double best_cost = -1;
  for (int64_t rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const int64_t cols = threads / rows;
    if (rows > ceil_div(m, kAlign) || cols > ceil_div(n, kAlign)) continue;
    const double cost = static_cast<double>(m) / rows + static_cast<double>(n) / cols;
    if (best_cost < 0 || cost < best_cost) best_cost = cost, best_rows = rows;
  }
  const int64_t grid_rows = best_rows, grid_cols = std::max<int64_t>(1, threads / best_rows);
  const int64_t block_m = ceil_div(ceil_div(m, grid_rows), kAlign) * kAlign;
  const int64_t block_n = ceil_div(ceil_div(n, grid_cols), kAlign) * kAlign;
  parallel_for(0, grid_rows * grid_cols, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = (t / grid_cols) * block_m, c0 = (t % grid_cols) * block_n;
      if (r0 >= m || c0 >= n) continue;
      const int64_t rows = std::min(block_m, m - r0), cols = std::min(block_n, n - c0);
      const T* ab = ta ? a + r0 : a + r0 * lda;
      const T* bb = tb ? b + c0 * ldb : b + c0;
      gemm_one_thread<T>(ta, tb, rows, cols, k, alpha, ab, lda, bb, ldb, beta, c + r0 * ldc + c0,
                         ldc);
    }
  });
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

LapackThreads::LapackThreads() { openblas_set_num_threads(num_threads()); }
LapackThreads::~LapackThreads() { openblas_set_num_threads(1); }

}  // namespace ember::cpu
