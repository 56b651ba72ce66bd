// cpu::gemm splits products over the pool: every block of the grid must land where a plain
// triple loop in double puts it, for both transposes, beta, padded leading dimensions, sizes that
// do not divide evenly, and thread counts from 1 to 7.
#include <cblas.h>
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/parallel.h"
#include "cpu/blas.h"

namespace ember::cpu {
namespace {

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  float beta;
};

void check(const Case& c, int threads) {
  const int64_t lda = (c.ta ? c.m : c.k) + 3, ldb = (c.tb ? c.k : c.n) + 5, ldc = c.n + 2;
  std::mt19937 rng(static_cast<unsigned>(c.m * 131 + c.n * 7 + c.k));
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(static_cast<size_t>((c.ta ? c.k : c.m) * lda)),
      b(static_cast<size_t>((c.tb ? c.n : c.k) * ldb)), out(static_cast<size_t>(c.m * ldc));
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  for (float& v : out) v = u(rng);
  std::vector<float> before = out;
  const int saved = num_threads();
  set_num_threads(threads);
  gemm<float>(c.ta, c.tb, c.m, c.n, c.k, 0.5f, a.data(), lda, b.data(), ldb, c.beta, out.data(),
              ldc);
  set_num_threads(saved);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      if (j >= c.n) {  // padding between rows is never written
        ASSERT_EQ(out[at], before[at]);
        continue;
      }
      double want = c.beta * static_cast<double>(before[at]);
      for (int64_t p = 0; p < c.k; ++p) {
        const float x =
            c.ta ? a[static_cast<size_t>(p * lda + i)] : a[static_cast<size_t>(i * lda + p)];
        const float y =
            c.tb ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)];
        want += 0.5 * static_cast<double>(x) * y;
      }
      ASSERT_NEAR(out[at], want, 1e-4 * (1 + c.k))
          << "C(" << i << ", " << j << ") of " << c.m << "x" << c.n << "x" << c.k << " ta=" << c.ta
          << " tb=" << c.tb << " threads=" << threads;
    }
  }
}

TEST(CpuGemm, SplitBlocksMatchAPlainProduct) {
  const Case cases[] = {
      {false, true, 64, 512, 100, 0.0f},   // a linear layer's forward, split by columns
      {true, false, 200, 130, 64, 0.0f},   // a weight gradient, split both ways
      {false, false, 97, 33, 257, 1.0f},   // sizes off the 16-grid, accumulating
      {true, true, 130, 70, 129, -0.5f},   // both transposed, beta that scales
      {false, false, 5, 300, 2000, 0.0f},  // too few rows to split them
  };
  for (const Case& c : cases) {
    for (int threads : {1, 2, 3, 4, 7}) check(c, threads);
  }
}

TEST(CpuGemm, LapackBorrowsThePoolsThreadsOnlyWhileItRuns) {
  const int saved = num_threads();
  set_num_threads(2);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  {
    LapackThreads scope;
    EXPECT_EQ(openblas_get_num_threads(), 2);
  }
  EXPECT_EQ(openblas_get_num_threads(), 1);
  set_num_threads(saved);
}

}  // namespace
}  // namespace ember::cpu
