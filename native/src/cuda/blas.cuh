// cuBLAS products shared by the kernel files (matmul and linear in blas.cu, the convolution
// fallback in conv.cu).
#pragma once

#include <cublas_v2.h>

#include "common.cuh"

namespace ember_cuda {

void check_cublas(cublasStatus_t s, const char* what);

// The cuBLAS data and compute types of a floating dtype, following the backend settings (TF32
// for float32, reduced-precision reductions for the 16-bit types).
struct GemmType {
  cudaDataType_t data;
  cublasComputeType_t compute;
  bool double_scalars;
  bool disallow_reduced_reduction;
};
GemmType gemm_type(int32_t dtype, const char* op);
int64_t element_size(int32_t dtype);

// Column-major C = op(A) op(B) + beta C over `batch` strided matrices (cublasGemmStridedBatchedEx
// with alpha 1) on the device's current stream.
void gemm(int32_t device, const GemmType& type, cublasOperation_t opa, cublasOperation_t opb,
          int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, int64_t stride_a,
          const void* b, int64_t ldb, int64_t stride_b, double beta, void* c, int64_t ldc,
          int64_t stride_c, int64_t batch);

}  // namespace ember_cuda
