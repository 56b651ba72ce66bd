// The GEMMs of the convolution kernels: the register-blocked small GEMM for the usual small
// products, or the same product through BLAS when it is big enough to pay for BLAS's packing (BLAS
// then splits each product over the pool, so callers run images in order).
#pragma once

#include <cstdint>

#include "core/parallel.h"
#include "cpu/blas.h"
#include "cpu/nn/small_gemm.h"

namespace ember::cpu::conv {

// Multiply-accumulates per image and group above which BLAS beats the small GEMM.
inline constexpr int64_t kBlasWork = int64_t{1} << 22;

inline bool use_blas(int64_t m, int64_t k, int64_t n) { return m * k * n >= kBlasWork; }

// Runs fn(n0, n1) over [0, n): on the pool for the small GEMM, in order for BLAS.
template <class F>
void for_images(int64_t n, bool blas, F&& fn) {
  if (blas) {
    fn(int64_t{0}, n);
  } else {
    parallel_for(0, n, 1, fn);
  }
}

template <class T>
void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  gemm<T>(ta == CblasTrans, tb == CblasTrans, m, n, k, T(1), a, lda, b, ldb, beta, c, ldc);
}

// The small GEMM, or the same product through BLAS (A is then either row-major or transposed).
template <class T>
void gemm(const SmallGemm<T>& g, bool blas) {
  if (!blas) return small_gemm(g);
  const bool trans_a = g.a_cs != 1;
  blas_gemm<T>(trans_a ? CblasTrans : CblasNoTrans, CblasNoTrans, g.m, g.n, g.k, g.a,
               trans_a ? g.a_cs : g.a_rs, g.b, g.ldb, g.accumulate ? T(1) : T(0), g.c, g.ldc);
}

template <class T>
void gemm_nt(const SmallGemmNT<T>& g, bool blas) {
  if (!blas) return small_gemm_nt(g);
  blas_gemm<T>(CblasNoTrans, CblasTrans, g.m, g.n, g.l, g.a, g.lda, g.b, g.ldb, T(1), g.c, g.ldc);
}

}  // namespace ember::cpu::conv
