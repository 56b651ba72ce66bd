// Ember's own packed sgemm against a triple loop in double: every edge of its tiling (rows left
// over from the 6-row panels, columns left over from the 16-column strips and 4096-column blocks,
// depths across the 256-deep blocks and off the 8-step transposed packing), all four transposes,
// alpha and beta, and BLAS's rule that beta == 0 never reads C. x @ W^T with few rows of x takes
// its own path (W read in place, C stored transposed): the cases with !ta, tb and m < n cover it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cpu/sgemm.h"

namespace ember::cpu {
namespace {

struct Case {
  bool ta, tb;
  int64_t m, n, k;
  float alpha, beta;
};

void check(const Case& c) {
  const int64_t lda = (c.ta ? c.m : c.k) + 1, ldb = (c.tb ? c.k : c.n) + 3, ldc = c.n + 2;
  std::mt19937 rng(static_cast<unsigned>(c.m * 131 + c.n * 7 + c.k));
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(static_cast<size_t>((c.ta ? c.k : c.m) * lda)),
      b(static_cast<size_t>((c.tb ? c.n : c.k) * ldb)), out(static_cast<size_t>(c.m * ldc));
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  for (float& v : out) v = c.beta == 0 ? std::numeric_limits<float>::quiet_NaN() : u(rng);
  const std::vector<float> before = out;
  sgemm_packed(c.ta, c.tb, c.m, c.n, c.k, c.alpha, a.data(), lda, b.data(), ldb, c.beta, out.data(),
               ldc);
  for (int64_t i = 0; i < c.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const size_t at = static_cast<size_t>(i * ldc + j);
      if (j >= c.n) {  // padding between rows is never written
        ASSERT_TRUE(std::isnan(before[at]) ? std::isnan(out[at]) : out[at] == before[at]);
        continue;
      }
      double want = c.beta == 0 ? 0.0 : c.beta * static_cast<double>(before[at]);
      for (int64_t p = 0; p < c.k; ++p) {
        const float x =
            c.ta ? a[static_cast<size_t>(p * lda + i)] : a[static_cast<size_t>(i * lda + p)];
        const float y =
            c.tb ? b[static_cast<size_t>(j * ldb + p)] : b[static_cast<size_t>(p * ldb + j)];
        want += static_cast<double>(c.alpha) * x * y;
      }
      ASSERT_NEAR(out[at], want, 2e-6 * (1 + c.k))
          << "C(" << i << ", " << j << ") of " << c.m << "x" << c.n << "x" << c.k << " ta=" << c.ta
          << " tb=" << c.tb << " alpha=" << c.alpha << " beta=" << c.beta;
    }
  }
}

TEST(Sgemm, EveryTilingEdgeMatchesAPlainProduct) {
  if (!sgemm_packed_available()) GTEST_SKIP() << "this CPU has no AVX2/FMA";
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      // Rows 1..13 cover every remainder of the 6-row panels; 150 crosses a 144-row block.
      for (int64_t m : {1, 5, 6, 7, 11, 13, 150}) check({ta, tb, m, 37, 19, 1.0f, 0.0f});
      // Columns around the 16-wide strips and the 4096-wide packed blocks.
      for (int64_t n : {1, 15, 16, 17, 33, 100, 4100}) check({ta, tb, 9, n, 23, 1.0f, 0.0f});
      // Depths around the 8-step transposed packing and the 256-deep blocks (784 = 3 x 196).
      for (int64_t k : {1, 7, 8, 9, 255, 256, 257, 513, 784}) check({ta, tb, 8, 20, k, 1.0f, 0.0f});
    }
  }
}

TEST(Sgemm, AlphaAndBetaScaleAsBlasDefinesThem) {
  if (!sgemm_packed_available()) GTEST_SKIP() << "this CPU has no AVX2/FMA";
  check({false, true, 64, 48, 300, 0.5f, 1.0f});    // accumulating, across depth blocks
  check({true, false, 13, 21, 64, -2.0f, -0.5f});   // scaled C, partial tiles
  check({false, false, 12, 32, 40, 1.0f, 2.0f});    // full tiles only
  check({false, true, 40, 100, 300, 0.5f, -0.5f});  // the few-rows path, across depth blocks
  check({false, true, 128, 130, 20, 2.0f, 1.0f});   // its largest m, full tiles and an edge
}

TEST(Sgemm, EmptyDepthOrZeroAlphaOnlyScalesC) {
  if (!sgemm_packed_available()) GTEST_SKIP() << "this CPU has no AVX2/FMA";
  check({false, false, 7, 9, 0, 1.0f, 0.5f});
  check({false, false, 7, 9, 0, 1.0f, 0.0f});  // C was NaN: it must come out zero
  check({true, true, 7, 9, 5, 0.0f, 0.0f});
}

}  // namespace
}  // namespace ember::cpu
