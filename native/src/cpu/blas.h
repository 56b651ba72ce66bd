// The engine's one door to GEMM. Each block runs on one thread, through Ember's own packed sgemm
// for float32 on AVX2 machines (cpu/sgemm.h) and through OpenBLAS otherwise; the product is split
// over the engine's own pool, so the pool's workers and OpenBLAS's never spin against each
// other for the same cores (with both pools alive, a 2-core machine lost a third of a training
// step to their yielding). LAPACK, which has no such split, borrows OpenBLAS's threads through
// LapackThreads.
#pragma once

#include <cblas.h>

#include <cstdint>
#include <span>

namespace ember::cpu {

// C (m x n, row stride ldc) = alpha * op(A) @ op(B) + beta * C, row-major, as cblas_?gemm; split
// into one block of C per pool thread when the product is big enough to pay for the hand-off.
// Runs on the calling thread alone inside a pool task.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
          int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// One product of gemm_concurrent: C = alpha * op(A) @ op(B) + beta * C, gemm's arguments.
template <class T>
struct GemmProduct {
  bool trans_a, trans_b;
  int64_t m, n, k;
  T alpha;
  const T* a;
  int64_t lda;
  const T* b;
  int64_t ldb;
  T beta;
  T* c;
  int64_t ldc;
};

// Independent products at once, such as a layer's input and weight gradients: the pool's threads
// are shared among them in proportion to their work, so each is split only as far as its share
// (on 2 threads, one product per thread, with no operand packed twice and one hand-off for
// both). With fewer threads than products, they run one after the other through gemm.
template <class T>
void gemm_concurrent(std::span<const GemmProduct<T>> products);

// Gives OpenBLAS the pool's thread count while a LAPACK routine runs, and takes it back after.
class LapackThreads {
 public:
  LapackThreads();
  ~LapackThreads();
  LapackThreads(const LapackThreads&) = delete;
  LapackThreads& operator=(const LapackThreads&) = delete;
};

}  // namespace ember::cpu
