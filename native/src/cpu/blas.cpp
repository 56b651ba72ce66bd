#include "cpu/blas.h"

#include <algorithm>
#include <type_traits>
#include <vector>

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

// How gemm splits one product over `threads` threads: a grid of row x column blocks, one per
// thread, as square as the thread count allows (each block packs its own rows of A and columns
// of B, so squarer blocks pack less in total).
struct Grid {
  int64_t rows = 1, cols = 1, block_m = 0, block_n = 0;
};

Grid grid_for(int64_t m, int64_t n, int64_t threads) {
  int64_t best_rows = 1;
  double best_cost = -1;
  for (int64_t rows = 1; rows <= threads; ++rows) {
    if (threads % rows != 0) continue;
    const int64_t cols = threads / rows;
    if (rows > ceil_div(m, kAlign) || cols > ceil_div(n, kAlign)) continue;
    const double cost = static_cast<double>(m) / rows + static_cast<double>(n) / cols;
    if (best_cost < 0 || cost < best_cost) best_cost = cost, best_rows = rows;
  }
  Grid g;
  g.rows = best_rows;
  g.cols = std::max<int64_t>(1, threads / best_rows);
  g.block_m = ceil_div(ceil_div(m, g.rows), kAlign) * kAlign;
  g.block_n = ceil_div(ceil_div(n, g.cols), kAlign) * kAlign;
  return g;
}

// Block t of product p's grid on the calling thread (nothing when the block lies past the edge).
template <class T>
void run_block(const GemmProduct<T>& p, const Grid& g, int64_t t) {
  const int64_t r0 = (t / g.cols) * g.block_m, c0 = (t % g.cols) * g.block_n;
  if (r0 >= p.m || c0 >= p.n) return;
  const int64_t rows = std::min(g.block_m, p.m - r0), cols = std::min(g.block_n, p.n - c0);
  const T* ab = p.trans_a ? p.a + r0 : p.a + r0 * p.lda;
  const T* bb = p.trans_b ? p.b + c0 * p.ldb : p.b + c0;
  gemm_one_thread<T>(p.trans_a, p.trans_b, rows, cols, p.k, p.alpha, ab, p.lda, bb, p.ldb, p.beta,
                     p.c + r0 * p.ldc + c0, p.ldc);
}

int64_t work(int64_t m, int64_t n, int64_t k) { return m * n * k; }

}  // namespace

template <class T>
void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const int64_t threads = num_threads();
  if (threads == 1 || work(m, n, k) < kSplitWork || m == 0 || n == 0) {
    return gemm_one_thread<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
  const GemmProduct<T> p{ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  const Grid g = grid_for(m, n, threads);
  parallel_for(0, g.rows * g.cols, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) run_block(p, g, t);
  });
}

template <class T>
void gemm_concurrent(std::span<const GemmProduct<T>> products) {
  const int64_t threads = num_threads();
  const int64_t count = static_cast<int64_t>(products.size());
  int64_t total = 0;
  for (const GemmProduct<T>& p : products) total += work(p.m, p.n, p.k);
  // Too few threads to give each product its own, or too little work to split at all: one
  // product after the other, each split as gemm splits it.
  if (count < 2 || threads < count || total < kSplitWork) {
    for (const GemmProduct<T>& p : products) {
      gemm<T>(p.trans_a, p.trans_b, p.m, p.n, p.k, p.alpha, p.a, p.lda, p.b, p.ldb, p.beta, p.c,
              p.ldc);
    }
    return;
  }
  // Each product gets threads in proportion to its work, at least one; the largest shares give
  // up what rounding overspent.
  std::vector<int64_t> share(products.size());
  int64_t given = 0;
  for (size_t i = 0; i < products.size(); ++i) {
    const GemmProduct<T>& p = products[i];
    const double part = static_cast<double>(work(p.m, p.n, p.k)) / static_cast<double>(total);
    share[i] =
        std::max<int64_t>(1, static_cast<int64_t>(part * static_cast<double>(threads) + 0.5));
    given += share[i];
  }
  while (given > threads) {
    auto largest = std::max_element(share.begin(), share.end());
    --*largest;
    --given;
  }
  // One flat list of blocks, every product's grid after the other's: one pool hand-off for all.
  std::vector<Grid> grids(products.size());
  std::vector<int64_t> first(products.size() + 1, 0);
  for (size_t i = 0; i < products.size(); ++i) {
    grids[i] = grid_for(products[i].m, products[i].n, share[i]);
    first[i + 1] = first[i] + grids[i].rows * grids[i].cols;
  }
  parallel_for(0, first.back(), 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const size_t i =
          static_cast<size_t>(std::upper_bound(first.begin(), first.end(), t) - first.begin() - 1);
      if (products[i].m > 0 && products[i].n > 0) run_block(products[i], grids[i], t - first[i]);
    }
  });
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);
template void gemm_concurrent<float>(std::span<const GemmProduct<float>>);
template void gemm_concurrent<double>(std::span<const GemmProduct<double>>);

LapackThreads::LapackThreads() { openblas_set_num_threads(num_threads()); }
LapackThreads::~LapackThreads() { openblas_set_num_threads(1); }

}  // namespace ember::cpu
