// A register-blocked GEMM for the small, oddly shaped products of convolution (tens of rows, a
// short reduction), where a BLAS call costs more in packing and dispatch than in arithmetic. It is
// single-threaded and reentrant: convolution kernels call it from pool threads, one image each.
#pragma once

#include <cstdint>

namespace ember::cpu {

// C (M x N, row stride ldc) = [C +] A (M x K) @ B (K x N, unit column stride).
// A is read through strides (a_rs between rows, a_cs between columns), so it may be a transposed
// view. Row k of B starts at b + k * ldb, or at b + b_rows[k] when b_rows is given (an implicit
// im2col: rows that are shifted windows of one input). accumulate adds to C instead of overwriting.
template <class T>
struct SmallGemm {
  int64_t m, n, k;
  const T* a;
  int64_t a_rs, a_cs;
  const T* b;
  int64_t ldb;
  T* c;
  int64_t ldc;
  bool accumulate;
  const int64_t* b_rows = nullptr;
};

void small_gemm(const SmallGemm<float>& g);
void small_gemm(const SmallGemm<double>& g);

// C (M x N, row stride ldc) += A (M x L) @ B (N x L)^T, A and B with unit column stride: dot
// products along L, for long L (the weight gradient of a convolution sums over output positions).
// Row n of B starts at b + n * ldb, or at b + b_rows[n] when b_rows is given.
template <class T>
struct SmallGemmNT {
  int64_t m, n, l;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T* c;
  int64_t ldc;
  const int64_t* b_rows = nullptr;
};

void small_gemm_nt(const SmallGemmNT<float>& g);
void small_gemm_nt(const SmallGemmNT<double>& g);

}  // namespace ember::cpu
