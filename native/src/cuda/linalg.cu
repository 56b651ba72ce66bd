// torch.linalg on the GPU, on the column-major batches that the engine's meta functions hand every
// backend (core/dispatch_shape.h): cuSOLVER for LU, Cholesky, QR, the Jacobi SVD and the
// symmetric eigensolvers; cuBLAS for the batched LU of many small matrices and for the products of
// pinv and lstsq; and the vector norm as a fold (reduce.cuh). Many small matrices go through the
// batched entry points in one launch, larger ones one cuSOLVER call per matrix. Singular or
// non-positive-definite input fails with the CPU kernels' messages, found by one read of the info
// array after all matrices are done.
#include <cublas_v2.h>
#include <cusolverDn.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "allocator.h"
#include "blas.cuh"
#include "reduce.cuh"

namespace ember_cuda {

namespace {

void check_solver(cusolverStatus_t s, const char* what) {
  if (s != CUSOLVER_STATUS_SUCCESS)
    fail(s == CUSOLVER_STATUS_ALLOC_FAILED ? EMBER_ERROR_OUT_OF_MEMORY : EMBER_ERROR_BACKEND,
         std::string(what) + ": cuSOLVER status " + std::to_string(static_cast<int>(s)));
}

// One cuSOLVER handle per thread and device (handles must not be shared by concurrent callers),
// set to the current stream on every use. They live as long as the thread, as the cuBLAS ones.
cusolverDnHandle_t solver(int32_t device) {
  thread_local std::vector<cusolverDnHandle_t> handles;
  if (handles.size() <= static_cast<size_t>(device))
    handles.resize(static_cast<size_t>(device) + 1);
  cusolverDnHandle_t& h = handles[static_cast<size_t>(device)];
  if (h == nullptr) {
    RelaxedCapture relaxed;  // creating a handle allocates; it outlives any graph
    check_solver(cusolverDnCreate(&h), "cusolverDnCreate");
  }
  check_solver(cusolverDnSetStream(h, stream()), "cusolverDnSetStream");
  return h;
}

// cuBLAS handle for the batched LU routines (blas.cu keeps its own for the products).
cublasHandle_t lu_blas(int32_t device) {
  thread_local std::vector<cublasHandle_t> handles;
  if (handles.size() <= static_cast<size_t>(device))
    handles.resize(static_cast<size_t>(device) + 1);
  cublasHandle_t& h = handles[static_cast<size_t>(device)];
  if (h == nullptr) {
    RelaxedCapture relaxed;
    check_cublas(cublasCreate(&h), "cublasCreate");
  }
  check_cublas(cublasSetStream(h, stream()), "cublasSetStream");
  return h;
}

// The cuSOLVER and cuBLAS routines of one precision.
template <class T>
struct Lapack;

#define EMBER_CUDA_LAPACK(T, p)                                                                    \
  template <>                                                                                      \
  struct Lapack<T> {                                                                               \
    static int potrf_size(cusolverDnHandle_t h, int n, T* a) {                                     \
      int w = 0;                                                                                   \
      check_solver(cusolverDn##p##potrf_bufferSize(h, CUBLAS_FILL_MODE_LOWER, n, a, n, &w),        \
                   "potrf_bufferSize");                                                            \
      return w;                                                                                    \
    }                                                                                              \
    static void potrf(cusolverDnHandle_t h, int n, T* a, T* w, int lw, int* info) {                \
      check_solver(cusolverDn##p##potrf(h, CUBLAS_FILL_MODE_LOWER, n, a, n, w, lw, info),          \
                   "potrf");                                                                       \
    }                                                                                              \
    static void potrf_batched(cusolverDnHandle_t h, int n, T** a, int* info, int batch) {          \
      check_solver(cusolverDn##p##potrfBatched(h, CUBLAS_FILL_MODE_LOWER, n, a, n, info, batch),   \
                   "potrfBatched");                                                                \
    }                                                                                              \
    static int getrf_size(cusolverDnHandle_t h, int n, T* a) {                                     \
      int w = 0;                                                                                   \
      check_solver(cusolverDn##p##getrf_bufferSize(h, n, n, a, n, &w), "getrf_bufferSize");        \
      return w;                                                                                    \
    }                                                                                              \
    static void getrf(cusolverDnHandle_t h, int n, T* a, T* w, int* ipiv, int* info) {             \
      check_solver(cusolverDn##p##getrf(h, n, n, a, n, w, ipiv, info), "getrf");                   \
    }                                                                                              \
    static void getrs(cusolverDnHandle_t h, int n, int nrhs, const T* a, const int* ipiv, T* b,    \
                      int* info) {                                                                 \
      check_solver(cusolverDn##p##getrs(h, CUBLAS_OP_N, n, nrhs, a, n, ipiv, b, n, info),          \
                   "getrs");                                                                       \
    }                                                                                              \
    static void getrf_batched(cublasHandle_t h, int n, T** a, int* ipiv, int* info, int batch) {   \
      check_cublas(cublas##p##getrfBatched(h, n, a, n, ipiv, info, batch), "getrfBatched");        \
    }                                                                                              \
    static void getri_batched(cublasHandle_t h, int n, T** a, const int* ipiv, T** c, int* info,   \
                              int batch) {                                                         \
      check_cublas(cublas##p##getriBatched(h, n, a, n, ipiv, c, n, info, batch), "getriBatched");  \
    }                                                                                              \
    static void getrs_batched(cublasHandle_t h, int n, int nrhs, T** a, const int* ipiv, T** b,    \
                              int batch) {                                                         \
      int info = 0; /* argument errors only, on the host */                                        \
      check_cublas(                                                                                \
          cublas##p##getrsBatched(h, CUBLAS_OP_N, n, nrhs, a, n, ipiv, b, n, &info, batch),        \
          "getrsBatched");                                                                         \
    }                                                                                              \
    static int geqrf_size(cusolverDnHandle_t h, int m, int n, T* a) {                              \
      int w = 0;                                                                                   \
      check_solver(cusolverDn##p##geqrf_bufferSize(h, m, n, a, m, &w), "geqrf_bufferSize");        \
      return w;                                                                                    \
    }                                                                                              \
    static void geqrf(cusolverDnHandle_t h, int m, int n, T* a, T* tau, T* w, int lw, int* info) { \
      check_solver(cusolverDn##p##geqrf(h, m, n, a, m, tau, w, lw, info), "geqrf");                \
    }                                                                                              \
    static int orgqr_size(cusolverDnHandle_t h, int m, int n, int k, const T* a, const T* tau) {   \
      int w = 0;                                                                                   \
      check_solver(cusolverDn##p##orgqr_bufferSize(h, m, n, k, a, m, tau, &w),                     \
                   "orgqr_bufferSize");                                                            \
      return w;                                                                                    \
    }                                                                                              \
    static void orgqr(cusolverDnHandle_t h, int m, int n, int k, T* a, const T* tau, T* w, int lw, \
                      int* info) {                                                                 \
      check_solver(cusolverDn##p##orgqr(h, m, n, k, a, m, tau, w, lw, info), "orgqr");             \
    }                                                                                              \
    static int gesvdj_size(cusolverDnHandle_t h, int econ, int m, int n, const T* a, const T* s,   \
                           const T* u, const T* v, gesvdjInfo_t params) {                          \
      int w = 0;                                                                                   \
      check_solver(cusolverDn##p##gesvdj_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, econ, m, n, a, m, \
                                                    s, u, m, v, n, &w, params),                    \
                   "gesvdj_bufferSize");                                                           \
      return w;                                                                                    \
    }                                                                                              \
    static void gesvdj(cusolverDnHandle_t h, int econ, int m, int n, T* a, T* s, T* u, T* v, T* w, \
                       int lw, int* info, gesvdjInfo_t params) {                                   \
      check_solver(cusolverDn##p##gesvdj(h, CUSOLVER_EIG_MODE_VECTOR, econ, m, n, a, m, s, u, m,   \
                                         v, n, w, lw, info, params),                               \
                   "gesvdj");                                                                      \
    }                                                                                              \
    static int gesvdj_batched_size(cusolverDnHandle_t h, int m, int n, const T* a, const T* s,     \
                                   const T* u, const T* v, gesvdjInfo_t params, int batch) {       \
      int w = 0;                                                                                   \
      check_solver(cusolverDn##p##gesvdjBatched_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, m, n, a,   \
                                                           m, s, u, m, v, n, &w, params, batch),   \
                   "gesvdjBatched_bufferSize");                                                    \
      return w;                                                                                    \
    }                                                                                              \
    static void gesvdj_batched(cusolverDnHandle_t h, int m, int n, T* a, T* s, T* u, T* v, T* w,   \
                               int lw, int* info, gesvdjInfo_t params, int batch) {                \
      check_solver(cusolverDn##p##gesvdjBatched(h, CUSOLVER_EIG_MODE_VECTOR, m, n, a, m, s, u, m,  \
                                                v, n, w, lw, info, params, batch),                 \
                   "gesvdjBatched");                                                               \
    }                                                                                              \
    static int syevd_size(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, const T* a,          \
                          const T* w) {                                                            \
      int lw = 0;                                                                                  \
      check_solver(                                                                                \
          cusolverDn##p##syevd_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n, w, &lw),     \
          "syevd_bufferSize");                                                                     \
      return lw;                                                                                   \
    }                                                                                              \
    static void syevd(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, T* a, T* w, T* work,     \
                      int lw, int* info) {                                                         \
      check_solver(                                                                                \
          cusolverDn##p##syevd(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n, w, work, lw, info),     \
          "syevd");                                                                                \
    }                                                                                              \
    static int syevj_batched_size(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, const T* a,  \
                                  const T* w, syevjInfo_t params, int batch) {                     \
      int lw = 0;                                                                                  \
      check_solver(cusolverDn##p##syevjBatched_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, \
                                                          n, w, &lw, params, batch),               \
                   "syevjBatched_bufferSize");                                                     \
      return lw;                                                                                   \
    }                                                                                              \
    static void syevj_batched(cusolverDnHandle_t h, cublasFillMode_t uplo, int n, T* a, T* w,      \
                              T* work, int lw, int* info, syevjInfo_t params, int batch) {         \
      check_solver(cusolverDn##p##syevjBatched(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n, w,      \
                                               work, lw, info, params, batch),                     \
                   "syevjBatched");                                                                \
    }                                                                                              \
  }

EMBER_CUDA_LAPACK(float, S);
EMBER_CUDA_LAPACK(double, D);
#undef EMBER_CUDA_LAPACK

// Parameters of the Jacobi solvers (defaults: machine precision, 100 sweeps, sorted results).
struct SvdParams {
  gesvdjInfo_t p = nullptr;
  SvdParams() { check_solver(cusolverDnCreateGesvdjInfo(&p), "cusolverDnCreateGesvdjInfo"); }
  ~SvdParams() { cusolverDnDestroyGesvdjInfo(p); }
  SvdParams(const SvdParams&) = delete;
  SvdParams& operator=(const SvdParams&) = delete;
};

struct EigParams {
  syevjInfo_t p = nullptr;
  EigParams() { check_solver(cusolverDnCreateSyevjInfo(&p), "cusolverDnCreateSyevjInfo"); }
  ~EigParams() { cusolverDnDestroySyevjInfo(p); }
  EigParams(const EigParams&) = delete;
  EigParams& operator=(const EigParams&) = delete;
};

// The batched entry points serve batches of matrices up to these orders (the Jacobi ones take at
// most 32); beyond, one call per matrix keeps the GPU busy on its own.
constexpr int kBatchedLu = 64;
constexpr int kBatchedCholesky = 128;
constexpr int kJacobiBatched = 32;

int batches(const ember_kernel_tensor* t) {
  return t->numel == 0 ? 0 : static_cast<int>(t->numel / (t->sizes[1] * t->sizes[2]));
}

// cuSOLVER counts in int: refuses what does not fit before any size is cut.
void check_int(const char* op, const ember_kernel_tensor* t) {
  if (t->numel > std::numeric_limits<int>::max())
    fail(EMBER_ERROR_NOT_IMPLEMENTED,
         std::string(op) + ": cuda linalg takes at most 2^31 - 1 elements per tensor, got " +
             std::to_string(t->numel));
}

// A scratch array of count elements of T.
template <class T>
struct Buffer {
  Scratch mem;
  Buffer(int32_t device, int64_t count)
      : mem(device, std::max<int64_t>(count, 1) * static_cast<int64_t>(sizeof(T))) {}
  T* get() const { return mem.as<T>(); }
};

// ptrs[b] = base + b * stride: the pointer arrays of the batched routines, made on the device
// so that no host table is copied.
template <class T>
__global__ void pointer_array(T** ptrs, T* base, int64_t stride, int batch) {
  const int b = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (b < batch) ptrs[b] = base + b * stride;
}

template <class T>
struct Pointers {
  Buffer<T*> array;
  Pointers(int32_t device, T* base, int64_t stride, int batch) : array(device, batch) {
    pointer_array<T>
        <<<blocks_for(batch), kThreads, 0, stream()>>>(array.get(), base, stride, batch);
    EC_LAUNCHED("linalg pointers");
  }
  T** get() const { return array.get(); }
};

#define EC_FOR(i, n)                                                        \
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < (n); \
       i += int64_t{gridDim.x} * blockDim.x)

// Identity matrices n x n, batch of them.
template <class T>
__global__ void identity_kernel(T* a, int64_t n, int64_t total) {
  EC_FOR(e, total) {
    const int64_t r = e % (n * n);
    a[e] = r / n == r % n ? T(1) : T(0);
  }
}

template <class T>
void fill_identity(T* a, int64_t n, int64_t batch) {
  identity_kernel<T><<<blocks_for(batch * n * n), kThreads, 0, stream()>>>(a, n, batch * n * n);
  EC_LAUNCHED("linalg identity");
}

// Zeroes the strict upper triangle of each column-major n x n matrix.
template <class T>
__global__ void zero_upper_kernel(T* a, int64_t n, int64_t total) {
  EC_FOR(e, total) {
    const int64_t r = e % (n * n);
    if (r % n < r / n) a[e] = T(0);
  }
}

// The first entry of info[0, batch) that is not 0, as the CPU reports it: the batch element and
// the code. One device-to-host read for the whole batch.
bool first_failure(const int* info, int batch, int& element, int& code) {
  std::vector<int> host(static_cast<size_t>(batch));
  read_back(host.data(), info, host.size() * sizeof(int));
  for (int b = 0; b < batch; ++b) {
    if (host[static_cast<size_t>(b)] != 0) {
      element = b;
      code = host[static_cast<size_t>(b)];
      return true;
    }
  }
  return false;
}

[[noreturn]] void fail_at(const char* op, int element, const std::string& what) {
  fail(EMBER_ERROR_INVALID_ARGUMENT,
       std::string(op) + ": (batch element " + std::to_string(element) + "): " + what);
}

// ---- LU: inverse, determinant, solve ----

// LU factors of the batch a (n x n each) in place, pivots in ipiv [batch, n], codes in info.
template <class T>
void lu(int32_t device, int n, int batch, T* a, int* ipiv, int* info) {
  if (batch > 1 && n <= kBatchedLu) {
    Pointers<T> pa(device, a, int64_t{n} * n, batch);
    Lapack<T>::getrf_batched(lu_blas(device), n, pa.get(), ipiv, info, batch);
    return;
  }
  cusolverDnHandle_t h = solver(device);
  const int lw = Lapack<T>::getrf_size(h, n, a);
  Buffer<T> work(device, lw);
  for (int b = 0; b < batch; ++b)
    Lapack<T>::getrf(h, n, a + int64_t{b} * n * n, work.get(), ipiv + int64_t{b} * n, info + b);
}

ember_status inv(void*, const char* op, const ember_kernel_tensor* a) {
  return guard([&] {
    check_int(op, a);
    use_device(a);
    const int32_t dev = a->device_index;
    const int n = static_cast<int>(a->sizes[2]), batch = batches(a);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* pa = data<T>(a);
      Buffer<int> ipiv(dev, int64_t{batch} * n), info(dev, batch);
      Buffer<T> inverse(dev, int64_t{batch} * n * n);
      lu<T>(dev, n, batch, pa, ipiv.get(), info.get());
      if (batch > 1 && n <= kBatchedLu) {
        Pointers<T> pl(dev, pa, int64_t{n} * n, batch);
        Pointers<T> pi(dev, inverse.get(), int64_t{n} * n, batch);
        Buffer<int> info2(dev, batch);
        Lapack<T>::getri_batched(lu_blas(dev), n, pl.get(), ipiv.get(), pi.get(), info2.get(),
                                 batch);
      } else {
        // inverse = A^-1 I, column by column from the factors.
        fill_identity(inverse.get(), n, batch);
        Buffer<int> info2(dev, 1);
        cusolverDnHandle_t h = solver(dev);
        for (int b = 0; b < batch; ++b)
          Lapack<T>::getrs(h, n, n, pa + int64_t{b} * n * n, ipiv.get() + int64_t{b} * n,
                           inverse.get() + int64_t{b} * n * n, info2.get());
      }
      int element = 0, code = 0;
      if (first_failure(info.get(), batch, element, code))
        fail_at(op, element,
                "the diagonal element " + std::to_string(code) +
                    " is zero, the inversion could not be completed because the input matrix is "
                    "singular");
      EC_CUDA(cudaMemcpyAsync(pa, inverse.get(), static_cast<size_t>(a->numel) * sizeof(T),
                              cudaMemcpyDeviceToDevice, stream()));
    });
  });
}

// sign and log|det| of each factored matrix: the diagonal of U and the parity of the pivots; an
// exactly singular one (info > 0) has sign 0 and log|det| -inf, as on the CPU.
template <class T>
__global__ void slogdet_kernel(const T* lu, const int* ipiv, const int* info, T* sign, T* logabs,
                               int n, int batch) {
  const int b = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (b >= batch) return;
  if (info[b] > 0) {
    sign[b] = T(0);
    logabs[b] = -std::numeric_limits<T>::infinity();
    return;
  }
  const T* p = lu + int64_t{b} * n * n;
  T s = 1, l = 0;
  for (int i = 0; i < n; ++i) {
    const T d = p[int64_t{i} * n + i];
    if (d < 0) s = -s;
    if (ipiv[int64_t{b} * n + i] != i + 1) s = -s;
    l += log(fabs(d));
  }
  sign[b] = s;
  logabs[b] = l;
}

ember_status slogdet(void*, const ember_kernel_tensor* a, const ember_kernel_tensor* sign,
                     const ember_kernel_tensor* logabs) {
  return guard([&] {
    check_int("linalg.slogdet", a);
    use_device(a);
    const int32_t dev = a->device_index;
    const int n = static_cast<int>(a->sizes[2]), batch = batches(a);
    dispatch_float_double(a->dtype, "linalg.slogdet", [&](auto tag) {
      using T = typename decltype(tag)::type;
      Buffer<int> ipiv(dev, int64_t{batch} * n), info(dev, batch);
      lu<T>(dev, n, batch, data<T>(a), ipiv.get(), info.get());
      slogdet_kernel<T><<<blocks_for(batch), kThreads, 0, stream()>>>(
          data<const T>(a), ipiv.get(), info.get(), data<T>(sign), data<T>(logabs), n, batch);
      EC_LAUNCHED("linalg.slogdet");
    });
  });
}

ember_status solve(void*, const char* op, const ember_kernel_tensor* a,
                   const ember_kernel_tensor* b) {
  return guard([&] {
    check_int(op, a);
    check_int(op, b);
    use_device(a);
    const int32_t dev = a->device_index;
    const int n = static_cast<int>(a->sizes[2]), k = static_cast<int>(b->sizes[1]);
    const int batch = batches(a);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* pa = data<T>(a);
      T* pb = data<T>(b);
      Buffer<int> ipiv(dev, int64_t{batch} * n), info(dev, batch);
      lu<T>(dev, n, batch, pa, ipiv.get(), info.get());
      if (batch > 1 && n <= kBatchedLu) {
        Pointers<T> pl(dev, pa, int64_t{n} * n, batch);
        Pointers<T> pr(dev, pb, int64_t{n} * k, batch);
        Lapack<T>::getrs_batched(lu_blas(dev), n, k, pl.get(), ipiv.get(), pr.get(), batch);
      } else {
        Buffer<int> info2(dev, 1);
        cusolverDnHandle_t h = solver(dev);
        for (int i = 0; i < batch; ++i)
          Lapack<T>::getrs(h, n, k, pa + int64_t{i} * n * n, ipiv.get() + int64_t{i} * n,
                           pb + int64_t{i} * n * k, info2.get());
      }
      int element = 0, code = 0;
      if (first_failure(info.get(), batch, element, code))
        fail_at(op, element,
                "the solver failed because the input matrix is singular (U[" +
                    std::to_string(code) + ", " + std::to_string(code) + "] is zero)");
    });
  });
}

// ---- Cholesky ----

ember_status cholesky(void*, const char* op, const ember_kernel_tensor* a) {
  return guard([&] {
    check_int(op, a);
    use_device(a);
    const int32_t dev = a->device_index;
    const int n = static_cast<int>(a->sizes[2]), batch = batches(a);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* pa = data<T>(a);
      Buffer<int> info(dev, batch);
      cusolverDnHandle_t h = solver(dev);
      if (batch > 1 && n <= kBatchedCholesky) {
        Pointers<T> p(dev, pa, int64_t{n} * n, batch);
        Lapack<T>::potrf_batched(h, n, p.get(), info.get(), batch);
      } else {
        const int lw = Lapack<T>::potrf_size(h, n, pa);
        Buffer<T> work(dev, lw);
        for (int b = 0; b < batch; ++b)
          Lapack<T>::potrf(h, n, pa + int64_t{b} * n * n, work.get(), lw, info.get() + b);
      }
      int element = 0, code = 0;
      if (first_failure(info.get(), batch, element, code))
        fail_at(op, element,
                "the factorization could not be completed because the input is not "
                "positive-definite (the leading minor of order " +
                    std::to_string(code) + " is not positive-definite)");
      zero_upper_kernel<T><<<blocks_for(a->numel), kThreads, 0, stream()>>>(pa, n, a->numel);
      EC_LAUNCHED("linalg.cholesky");
    });
  });
}

// ---- QR ----

// r [rrows x n] := the upper triangle of the factored a [m x n]; q [m x qcols] := a's first
// columns (zero past n), for orgqr to expand into Q. All column-major, batch-strided.
template <class T>
__global__ void qr_split_kernel(const T* a, T* q, T* r, int64_t m, int64_t n, int64_t rrows,
                                int64_t qcols, int64_t batch) {
  EC_FOR(e, batch * n * rrows) {
    const int64_t b = e / (n * rrows), j = e / rrows % n, i = e % rrows;
    r[e] = i <= j ? a[b * m * n + j * m + i] : T(0);
  }
  EC_FOR(e, batch * qcols * m) {
    const int64_t b = e / (qcols * m), j = e / m % qcols, i = e % m;
    q[e] = j < n ? a[b * m * n + j * m + i] : T(0);
  }
}

// The first qcols columns of the m x m identity (Q of a matrix with no columns).
template <class T>
__global__ void eye_columns_kernel(T* q, int64_t m, int64_t qcols, int64_t total) {
  EC_FOR(e, total) q[e] = e % m == e / m % qcols ? T(1) : T(0);
}

ember_status qr(void*, const ember_kernel_tensor* a, const ember_kernel_tensor* q,
                const ember_kernel_tensor* r) {
  return guard([&] {
    const char* op = "linalg.qr";
    check_int(op, a);
    use_device(a);
    const int32_t dev = a->device_index;
    const int m = static_cast<int>(a->sizes[2]), n = static_cast<int>(a->sizes[1]);
    const int k = std::min(m, n), rrows = static_cast<int>(r->sizes[2]);
    const int qcols = q->numel == 0 ? 0 : static_cast<int>(q->sizes[1]);
    const int batch = static_cast<int>(a->sizes[0]);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* pa = data<T>(a);
      T* pq = data<T>(q);
      Buffer<T> tau(dev, int64_t{batch} * k);
      Buffer<int> info(dev, 1);  // argument errors only: QR never fails
      cusolverDnHandle_t h = solver(dev);
      if (k > 0) {
        const int lw = Lapack<T>::geqrf_size(h, m, n, pa);
        Buffer<T> work(dev, lw);
        for (int b = 0; b < batch; ++b)
          Lapack<T>::geqrf(h, m, n, pa + int64_t{b} * m * n, tau.get() + int64_t{b} * k, work.get(),
                           lw, info.get());
      }
      const int64_t split =
          std::max<int64_t>(int64_t{batch} * n * rrows, int64_t{batch} * qcols * m);
      if (split > 0) {
        qr_split_kernel<T><<<blocks_for(split), kThreads, 0, stream()>>>(pa, pq, data<T>(r), m, n,
                                                                         rrows, qcols, batch);
        EC_LAUNCHED("linalg.qr");
      }
      if (qcols == 0 || m == 0) return;
      if (k == 0) {
        eye_columns_kernel<T>
            <<<blocks_for(q->numel), kThreads, 0, stream()>>>(pq, m, qcols, q->numel);
        EC_LAUNCHED("linalg.qr");
        return;
      }
      const int lw = Lapack<T>::orgqr_size(h, m, qcols, k, pq, tau.get());
      Buffer<T> work(dev, lw);
      for (int b = 0; b < batch; ++b)
        Lapack<T>::orgqr(h, m, qcols, k, pq + int64_t{b} * m * qcols, tau.get() + int64_t{b} * k,
                         work.get(), lw, info.get());
    });
  });
}

// ---- SVD ----

// a (m x n, overwritten) = U diag(s) V^T for each matrix of the batch: U m x ucols, V n x vcols,
// both k = min(m, n) (economy) or m and n (full); s descending. Convergence codes go to info.
template <class T>
void svd_batch(int32_t dev, int m, int n, int batch, T* a, T* s, T* u, int ucols, T* v, int vcols,
               int* info) {
  const int k = std::min(m, n);
  cusolverDnHandle_t h = solver(dev);
  SvdParams params;
  if (batch > 1 && m <= kJacobiBatched && n <= kJacobiBatched) {
    // The batched Jacobi SVD always makes the full U and V: economy ones are their first columns.
    const bool full = ucols == m && vcols == n;
    Buffer<T> uf(dev, full ? 0 : int64_t{batch} * m * m),
        vf(dev, full ? 0 : int64_t{batch} * n * n);
    T* pu = full ? u : uf.get();
    T* pv = full ? v : vf.get();
    const int lw = Lapack<T>::gesvdj_batched_size(h, m, n, a, s, pu, pv, params.p, batch);
    Buffer<T> work(dev, lw);
    Lapack<T>::gesvdj_batched(h, m, n, a, s, pu, pv, work.get(), lw, info, params.p, batch);
    if (!full) {
      // Columns are contiguous: each matrix's first ucols columns are a prefix of its full U.
      EC_CUDA(cudaMemcpy2DAsync(u, sizeof(T) * m * ucols, pu, sizeof(T) * m * m,
                                sizeof(T) * m * ucols, static_cast<size_t>(batch),
                                cudaMemcpyDeviceToDevice, stream()));
      EC_CUDA(cudaMemcpy2DAsync(v, sizeof(T) * n * vcols, pv, sizeof(T) * n * n,
                                sizeof(T) * n * vcols, static_cast<size_t>(batch),
                                cudaMemcpyDeviceToDevice, stream()));
    }
    return;
  }
  const int econ = ucols == k && vcols == k && m != n ? 1 : 0;
  const int lw = Lapack<T>::gesvdj_size(h, econ, m, n, a, s, u, v, params.p);
  Buffer<T> work(dev, lw);
  for (int b = 0; b < batch; ++b)
    Lapack<T>::gesvdj(h, econ, m, n, a + int64_t{b} * m * n, s + int64_t{b} * k,
                      u + int64_t{b} * m * ucols, v + int64_t{b} * n * vcols, work.get(), lw,
                      info + b, params.p);
}

// vt (rows x n, column-major) := the first `rows` columns of v (n x vcols) transposed.
template <class T>
__global__ void transpose_kernel(const T* v, T* vt, int64_t n, int64_t vcols, int64_t rows,
                                 int64_t total) {
  EC_FOR(e, total) {
    const int64_t b = e / (rows * n), j = e / rows % n, i = e % rows;
    vt[e] = v[b * n * vcols + i * n + j];
  }
}

ember_status svd(void*, const char* op, const ember_kernel_tensor* a, const ember_kernel_tensor* u,
                 const ember_kernel_tensor* s, const ember_kernel_tensor* vt) {
  return guard([&] {
    check_int(op, a);
    check_int(op, u);
    check_int(op, vt);
    use_device(a);
    const int32_t dev = a->device_index;
    const int m = static_cast<int>(a->sizes[2]), n = static_cast<int>(a->sizes[1]);
    const int ucols = static_cast<int>(u->sizes[1]), vtrows = static_cast<int>(vt->sizes[2]);
    const int batch = static_cast<int>(a->sizes[0]);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      Buffer<int> info(dev, batch);
      Buffer<T> v(dev, int64_t{batch} * n * vtrows);
      svd_batch<T>(dev, m, n, batch, data<T>(a), data<T>(s), data<T>(u), ucols, v.get(), vtrows,
                   info.get());
      int element = 0, code = 0;
      if (first_failure(info.get(), batch, element, code))
        fail_at(op, element,
                "the algorithm failed to converge (error code " + std::to_string(code) + ")");
      transpose_kernel<T><<<blocks_for(vt->numel), kThreads, 0, stream()>>>(
          v.get(), data<T>(vt), n, vtrows, vtrows, vt->numel);
      EC_LAUNCHED("linalg.svd");
    });
  });
}

// ---- pinv and lstsq, through the economy SVD ----

// The reciprocals of the singular values above cutoff * s[0] (each matrix's largest), 0 for the
// rest, applied to the columns of u (m x k each): u := u diag(s^+).
template <class T>
__global__ void scale_columns_kernel(T* u, const T* s, int64_t m, int64_t k, T cutoff,
                                     int64_t total) {
  EC_FOR(e, total) {
    const int64_t b = e / (m * k), l = e / m % k;
    const T sl = s[b * k + l];
    u[e] = sl > cutoff * s[b * k] ? u[e] / sl : T(0);
  }
}

// The same on the rows of t (k x cols each): t := diag(s^+) t.
template <class T>
__global__ void scale_rows_kernel(T* t, const T* s, int64_t k, int64_t cols, T cutoff,
                                  int64_t total) {
  EC_FOR(e, total) {
    const int64_t b = e / (k * cols), l = e % k;
    const T sl = s[b * k + l];
    t[e] = sl > cutoff * s[b * k] ? t[e] / sl : T(0);
  }
}

// Products in the dtype's full precision (no TF32: these feed solutions, not layers).
template <class T>
GemmType exact() {
  if constexpr (std::is_same_v<T, double>)
    return {CUDA_R_64F, CUBLAS_COMPUTE_64F, true, false};
  else
    return {CUDA_R_32F, CUBLAS_COMPUTE_32F, false, false};
}

// The economy SVD of a batch of m x n matrices into scratch: U, s, V.
template <class T>
struct EconomySvd {
  int k;
  Buffer<T> u, s, v;
  Buffer<int> info;
  EconomySvd(int32_t dev, int m, int n, int batch, T* a)
      : k(std::min(m, n)),
        u(dev, int64_t{batch} * m * k),
        s(dev, int64_t{batch} * k),
        v(dev, int64_t{batch} * n * k),
        info(dev, batch) {
    svd_batch<T>(dev, m, n, batch, a, s.get(), u.get(), k, v.get(), k, info.get());
  }
};

ember_status pinv(void*, const char* op, const ember_kernel_tensor* out,
                  const ember_kernel_tensor* a, double rtol) {
  return guard([&] {
    check_int(op, a);
    use_device(a);
    const int32_t dev = a->device_index;
    const int m = static_cast<int>(a->sizes[2]), n = static_cast<int>(a->sizes[1]);
    const int batch = static_cast<int>(a->sizes[0]);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      EconomySvd<T> d(dev, m, n, batch, data<T>(a));
      const int k = d.k;
      int element = 0, code = 0;
      if (first_failure(d.info.get(), batch, element, code))
        fail_at(op, element,
                "the SVD failed to converge (error code " + std::to_string(code) + ")");
      const T tol =
          rtol < 0 ? std::numeric_limits<T>::epsilon() * std::max(m, n) : static_cast<T>(rtol);
      const int64_t total = int64_t{batch} * m * k;
      scale_columns_kernel<T>
          <<<blocks_for(total), kThreads, 0, stream()>>>(d.u.get(), d.s.get(), m, k, tol, total);
      EC_LAUNCHED("linalg.pinv");
      // out, row-major n x m, is the column-major m x n matrix pinv^T = U diag(s^+) V^T.
      gemm(dev, exact<T>(), CUBLAS_OP_N, CUBLAS_OP_T, m, n, k, d.u.get(), m, int64_t{m} * k,
           d.v.get(), n, int64_t{n} * k, 0.0, data<T>(out), m, int64_t{m} * n, batch);
    });
  });
}

ember_status lstsq(void*, const ember_kernel_tensor* a, const ember_kernel_tensor* b) {
  return guard([&] {
    const char* op = "linalg.lstsq";
    check_int(op, a);
    check_int(op, b);
    use_device(a);
    const int32_t dev = a->device_index;
    const int m = static_cast<int>(a->sizes[2]), n = static_cast<int>(a->sizes[1]);
    const int nrhs = static_cast<int>(b->sizes[1]), ldb = static_cast<int>(b->sizes[2]);
    const int batch = static_cast<int>(a->sizes[0]);
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      // As the CPU's gelsd: the minimum-norm solution, singular values at or below
      // eps * max(m, n) * s[0] taken as zero, and no convergence error.
      EconomySvd<T> d(dev, m, n, batch, data<T>(a));
      const int k = d.k;
      const T rcond = std::numeric_limits<T>::epsilon() * std::max(m, n);
      T* pb = data<T>(b);
      Buffer<T> t(dev, int64_t{batch} * k * nrhs);
      // t = U^T b (k x nrhs), scaled by s^+, then x = V t into b's first n rows.
      gemm(dev, exact<T>(), CUBLAS_OP_T, CUBLAS_OP_N, k, nrhs, m, d.u.get(), m, int64_t{m} * k, pb,
           ldb, int64_t{ldb} * nrhs, 0.0, t.get(), k, int64_t{k} * nrhs, batch);
      const int64_t total = int64_t{batch} * k * nrhs;
      scale_rows_kernel<T>
          <<<blocks_for(total), kThreads, 0, stream()>>>(t.get(), d.s.get(), k, nrhs, rcond, total);
      EC_LAUNCHED("linalg.lstsq");
      gemm(dev, exact<T>(), CUBLAS_OP_N, CUBLAS_OP_N, n, nrhs, k, d.v.get(), n, int64_t{n} * k,
           t.get(), k, int64_t{k} * nrhs, 0.0, pb, ldb, int64_t{ldb} * nrhs, batch);
    });
  });
}

// ---- eigh ----

ember_status eigh(void*, const char* op, const ember_kernel_tensor* a, const ember_kernel_tensor* w,
                  int32_t upper) {
  return guard([&] {
    check_int(op, a);
    use_device(a);
    const int32_t dev = a->device_index;
    const int n = static_cast<int>(a->sizes[2]), batch = batches(a);
    const cublasFillMode_t uplo = upper ? CUBLAS_FILL_MODE_UPPER : CUBLAS_FILL_MODE_LOWER;
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* pa = data<T>(a);
      T* pw = data<T>(w);
      Buffer<int> info(dev, batch);
      cusolverDnHandle_t h = solver(dev);
      if (batch > 1 && n <= kJacobiBatched) {
        EigParams params;  // eigenvalues ascending, as syevd's
        const int lw = Lapack<T>::syevj_batched_size(h, uplo, n, pa, pw, params.p, batch);
        Buffer<T> work(dev, lw);
        Lapack<T>::syevj_batched(h, uplo, n, pa, pw, work.get(), lw, info.get(), params.p, batch);
      } else {
        const int lw = Lapack<T>::syevd_size(h, uplo, n, pa, pw);
        Buffer<T> work(dev, lw);
        for (int b = 0; b < batch; ++b)
          Lapack<T>::syevd(h, uplo, n, pa + int64_t{b} * n * n, pw + int64_t{b} * n, work.get(), lw,
                           info.get() + b);
      }
      int element = 0, code = 0;
      if (first_failure(info.get(), batch, element, code))
        fail_at(op, element,
                "the algorithm failed to converge (error code " + std::to_string(code) + ")");
    });
  });
}

// ---- vector norms ----

// The ord-norm fold: sum of |x|^p then its p-th root, the largest or smallest |x| (NaN wins, as
// on the CPU), or the count of nonzeros (ord 0).
enum class NormKind { Power, Max, Min, Count };

template <class T>
struct NormOps {
  using Acc = T;
  NormKind kind;
  T p;
  __device__ T identity() const {
    return kind == NormKind::Min ? std::numeric_limits<T>::infinity() : T(0);
  }
  __device__ T reduce(T acc, T x) const {
    const T v = fabs(x);
    switch (kind) {
      case NormKind::Power:
        return acc + (p == T(1) ? v : p == T(2) ? v * v : pow(v, p));
      case NormKind::Count:
        return acc + (x != T(0) ? T(1) : T(0));
      default:
        return combine(acc, v);
    }
  }
  __device__ T combine(T a, T b) const {
    if (kind == NormKind::Power || kind == NormKind::Count) return a + b;
    if (isnan(a) || isnan(b)) return std::numeric_limits<T>::quiet_NaN();
    return kind == NormKind::Max ? (b > a ? b : a) : (b < a ? b : a);
  }
  __device__ T project(T acc) const {
    if (kind != NormKind::Power || p == T(1)) return acc;
    return p == T(2) ? sqrt(acc) : pow(acc, T(1) / p);
  }
};

ember_status vector_norm(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* a,
                         double ord) {
  return guard([&] {
    const char* op = "linalg.vector_norm";
    const NormKind kind = std::isinf(ord) ? (ord > 0 ? NormKind::Max : NormKind::Min)
                          : ord == 0      ? NormKind::Count
                                          : NormKind::Power;
    dispatch_float_double(a->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      fold<T, T>(out, a, NormOps<T>{kind, static_cast<T>(ord)}, op);
    });
  });
}

}  // namespace

ember_status register_linalg(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "linalg_inv", inv);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_slogdet", slogdet);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_solve", solve);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_cholesky", cholesky);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_qr", qr);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_svd", svd);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_eigh", eigh);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_lstsq", lstsq);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_pinv", pinv);
  if (s == EMBER_OK) s = register_kernel(host, "linalg_vector_norm", vector_norm);
  return s;
}

}  // namespace ember_cuda
