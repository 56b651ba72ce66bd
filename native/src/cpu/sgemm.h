// Ember's own single-precision GEMM for AVX2/FMA machines: the classic packed scheme (panels of 6
// rows of A and strips of 16 columns of B, copied into contiguous buffers; a 6 x 16 register tile
// of C). It replaces OpenBLAS's sgemm on one thread because it writes C straight from its
// registers: OpenBLAS first scales C by beta in a separate pass (10 % of a training step of the
// seed MLP). On the 64-row products of small-batch training this one is level with OpenBLAS's Zen
// kernel to 1.35x faster on one thread (benchmarks/RESULTS.md, session 6).
#pragma once

#include <cstdint>

namespace ember::cpu {

// Whether sgemm_packed can run here (AVX2 and FMA).
bool sgemm_packed_available();

// C (m x n, row stride ldc) = alpha * op(A) @ op(B) + beta * C, row-major, as cblas_sgemm; on the
// calling thread alone. beta == 0 never reads C (NaN in C does not leak through).
void sgemm_packed(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                  int64_t ldc);

}  // namespace ember::cpu
