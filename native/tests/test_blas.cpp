// cpu::gemm splits products over the pool: every block of the grid must land where a plain
// triple loop in double puts it, for both transposes, beta, padded leading dimensions, sizes that
// do not divide evenly, and thread counts from 1 to 7; gemm_concurrent likewise for several
// products at once.
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

// A case's operands, random, with padded leading dimensions; C starts random too (beta reads it).
struct Operands {
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, out, before;

  explicit Operands(const Case& c)
      : lda((c.ta ? c.m : c.k) + 3), ldb((c.tb ? c.k : c.n) + 5), ldc(c.n + 2) {
    std::mt19937 rng(static_cast<unsigned>(c.m * 131 + c.n * 7 + c.k));
    std::uniform_real_distribution<float> u(-1, 1);
    a.resize(static_cast<size_t>((c.ta ? c.k : c.m) * lda));
    b.resize(static_cast<size_t>((c.tb ? c.n : c.k) * ldb));
    out.resize(static_cast<size_t>(c.m * ldc));
    for (float& v : a) v = u(rng);
    for (float& v : b) v = u(rng);
    for (float& v : out) v = u(rng);
    before = out;
  }

  GemmProduct<float> product(const Case& c) {
    return {c.ta, c.tb, c.m, c.n, c.k, 0.5f, a.data(), lda, b.data(), ldb, c.beta, out.data(), ldc};
  }
};

// C against a plain triple loop in double.
void verify(const Case& c, const Operands& o, int threads) {
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < o.ldc; ++j) {
      const size_t at = static_cast<size_t>(i * o.ldc + j);
      if (j >= c.n) {  // padding between rows is never written
        ASSERT_EQ(o.out[at], o.before[at]);
        continue;
      }
      double want = c.beta * static_cast<double>(o.before[at]);
      for (int64_t p = 0; p < c.k; ++p) {
        const float x = c.ta ? o.a[static_cast<size_t>(p * o.lda + i)]
                             : o.a[static_cast<size_t>(i * o.lda + p)];
        const float y = c.tb ? o.b[static_cast<size_t>(j * o.ldb + p)]
                             : o.b[static_cast<size_t>(p * o.ldb + j)];
        want += 0.5 * static_cast<double>(x) * y;
      }
      ASSERT_NEAR(o.out[at], want, 1e-4 * (1 + c.k))
          << "C(" << i << ", " << j << ") of " << c.m << "x" << c.n << "x" << c.k << " ta=" << c.ta
          << " tb=" << c.tb << " threads=" << threads;
    }
  }
}

void check(const Case& c, int threads) {
  Operands o(c);
  const int saved = num_threads();
  set_num_threads(threads);
  gemm<float>(c.ta, c.tb, c.m, c.n, c.k, 0.5f, o.a.data(), o.lda, o.b.data(), o.ldb, c.beta,
              o.out.data(), o.ldc);
  set_num_threads(saved);
  verify(c, o, threads);
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

// gemm_concurrent shares the threads among products: each product's blocks must land as gemm's
// do, whatever the share (one thread each, uneven shares, fewer threads than products).
TEST(CpuGemm, ConcurrentProductsMatchPlainProducts) {
  const std::vector<std::vector<Case>> groups = {
      // a layer's input and weight gradients: g @ W and g^T @ x
      {{false, false, 64, 512, 512, 0.0f}, {true, false, 512, 512, 64, 0.0f}},
      // uneven work, an accumulating beta and an edge off the 16-grid
      {{false, true, 64, 300, 700, 1.0f}, {true, false, 37, 45, 64, 0.0f}},
      // three products, one of them empty
      {{false, false, 97, 33, 257, -0.5f},
       {true, true, 130, 70, 129, 0.0f},
       {false, false, 0, 8, 8, 0.0f}},
      // too little work to split: one after the other
      {{false, false, 8, 8, 8, 0.0f}, {true, false, 8, 8, 8, 1.0f}},
  };
  for (const std::vector<Case>& group : groups) {
    for (int threads : {1, 2, 3, 4, 7}) {
      std::vector<Operands> ops;
      std::vector<GemmProduct<float>> products;
      for (const Case& c : group) ops.emplace_back(c);
      for (size_t i = 0; i < group.size(); ++i) products.push_back(ops[i].product(group[i]));
      const int saved = num_threads();
      set_num_threads(threads);
      gemm_concurrent<float>(products);
      set_num_threads(saved);
      for (size_t i = 0; i < group.size(); ++i) verify(group[i], ops[i], threads);
    }
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
