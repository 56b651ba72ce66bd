// matmul and linear through cuBLAS: row-major products are computed as their column-major
// transposes (C^T = B^T A^T), so no operand is copied unless its layout has no unit stride.
#include <cublasLt.h>
#include <cublas_v2.h>

#include <array>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "allocator.h"
#include "blas.cuh"
#include "map.cuh"

namespace ember_cuda {

void check_cublas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    fail(s == CUBLAS_STATUS_ALLOC_FAILED ? EMBER_ERROR_OUT_OF_MEMORY : EMBER_ERROR_BACKEND,
         std::string(what) + ": cuBLAS status " + std::to_string(static_cast<int>(s)));
}

namespace {

// A workspace as large as PyTorch's on Hopper lets cuBLAS pick its fastest kernels. One per thread,
// device and stream, as PyTorch keeps them: two streams sharing one could overlap in it.
constexpr size_t kWorkspace = size_t{32} << 20;

void* workspace(int32_t device, cudaStream_t s) {
  thread_local std::map<std::pair<int32_t, cudaStream_t>, void*> spaces;
  void*& w = spaces[{device, s}];
  if (w == nullptr) {
    // A stream's first product may come inside a graph capture; the workspace outlives any graph.
    RelaxedCapture relaxed;
    EC_CUDA(cudaMalloc(&w, kWorkspace));
  }
  return w;
}

// The cuBLAS and cuBLASLt handles of one thread on one device, with what is set on the cuBLAS
// handle now: each setter is a library call per product, so it runs only when its value changes.
struct Blas {
  cublasHandle_t handle = nullptr;
  cublasLtHandle_t lt = nullptr;
  bool bound = false;             // stream and space set on handle
  cudaStream_t stream = nullptr;  // the stream handle runs on ...
  void* space = nullptr;          // ... and that stream's workspace
  int math = -1;                  // the cublasMath_t set on handle; -1: none yet
};

// One per thread and device: handles must not be shared by concurrent callers. They live as long
// as the thread (destroying them at thread exit could race the driver's own teardown).
Blas& blas_of(int32_t device) {
  thread_local std::vector<Blas> all;
  if (all.size() <= static_cast<size_t>(device)) all.resize(static_cast<size_t>(device) + 1);
  Blas& b = all[static_cast<size_t>(device)];
  if (b.handle == nullptr) {
    RelaxedCapture relaxed;  // as for the workspace
    check_cublas(cublasCreate(&b.handle), "cublasCreate");
  }
  return b;
}

// The thread's handles for device, the cuBLAS one bound to the current stream and its workspace.
Blas& blas_on_stream(int32_t device) {
  Blas& b = blas_of(device);
  const cudaStream_t s = stream();
  if (!b.bound || b.stream != s) {
    b.bound = false;
    b.space = workspace(device, s);
    // Setting the stream resets the handle's workspace to cuBLAS's own pool: set it again after.
    check_cublas(cublasSetStream(b.handle, s), "cublasSetStream");
    check_cublas(cublasSetWorkspace(b.handle, b.space, kWorkspace), "cublasSetWorkspace");
    b.stream = s;
    b.bound = true;
  }
  return b;
}

}  // namespace

GemmType gemm_type(int32_t dtype, const char* op) {
  switch (dtype) {
    case EMBER_FLOAT32:
      return {CUDA_R_32F,
              settings().matmul_allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F,
              false, false};
    case EMBER_FLOAT64:
      return {CUDA_R_64F, CUBLAS_COMPUTE_64F, true, false};
    case EMBER_FLOAT16:
      return {CUDA_R_16F, CUBLAS_COMPUTE_32F, false, !settings().fp16_reduced_reduction};
    case EMBER_BFLOAT16:
      return {CUDA_R_16BF, CUBLAS_COMPUTE_32F, false, !settings().bf16_reduced_reduction};
    default:
      fail(EMBER_ERROR_DTYPE,
           std::string(op) + ": cuda matmul takes floating dtypes, got " + dtype_name(dtype));
  }
}

int64_t element_size(int32_t dtype) {
  switch (dtype) {
    case EMBER_FLOAT64:
      return 8;
    case EMBER_FLOAT32:
      return 4;
    default:
      return 2;
  }
}

void gemm(int32_t device, const GemmType& type, cublasOperation_t opa, cublasOperation_t opb,
          int64_t m, int64_t n, int64_t k, const void* a, int64_t lda, int64_t stride_a,
          const void* b, int64_t ldb, int64_t stride_b, double beta, void* c, int64_t ldc,
          int64_t stride_c, int64_t batch) {
  const float alpha32 = 1, beta32 = static_cast<float>(beta);
  const double alpha64 = 1;
  const void* alpha = type.double_scalars ? static_cast<const void*>(&alpha64) : &alpha32;
  const void* beta_p = type.double_scalars ? static_cast<const void*>(&beta) : &beta32;
  Blas& blas = blas_on_stream(device);
  const cublasHandle_t h = blas.handle;
  const cublasMath_t math = type.disallow_reduced_reduction
                                ? CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION
                                : CUBLAS_DEFAULT_MATH;
  if (blas.math != static_cast<int>(math)) {
    check_cublas(cublasSetMathMode(h, math), "cublasSetMathMode");
    blas.math = static_cast<int>(math);
  }
  // A single product goes through cublasGemmEx, as PyTorch's does: its heuristics pick other
  // (faster) kernels for large float16 products than the batched entry point with batch 1.
  if (batch == 1) {
    check_cublas(cublasGemmEx(h, opa, opb, static_cast<int>(m), static_cast<int>(n),
                              static_cast<int>(k), alpha, a, type.data, static_cast<int>(lda), b,
                              type.data, static_cast<int>(ldb), beta_p, c, type.data,
                              static_cast<int>(ldc), type.compute, CUBLAS_GEMM_DEFAULT),
                 "cublasGemmEx");
    return;
  }
  check_cublas(cublasGemmStridedBatchedEx(
                   h, opa, opb, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                   alpha, a, type.data, static_cast<int>(lda), stride_a, b, type.data,
                   static_cast<int>(ldb), stride_b, beta_p, c, type.data, static_cast<int>(ldc),
                   stride_c, static_cast<int>(batch), type.compute, CUBLAS_GEMM_DEFAULT),
               "cublasGemmStridedBatchedEx");
}

namespace {

// A row-major r x c matrix with strides (sr, sc), seen as the column-major c x r matrix of its
// transpose: op N when rows are dense (sc == 1), op T when columns are (sr == 1).
struct Operand {
  cublasOperation_t op;
  int64_t ld;
};

bool as_operand(int64_t r, int64_t c, int64_t sr, int64_t sc, Operand& out) {
  if ((sc == 1 || c == 1) && (r == 1 || sr >= c)) {
    out = {CUBLAS_OP_N, std::max<int64_t>(r == 1 ? c : sr, std::max<int64_t>(c, 1))};
    return true;
  }
  if ((sr == 1 || r == 1) && (c == 1 || sc >= r)) {
    out = {CUBLAS_OP_T, std::max<int64_t>(c == 1 ? r : sc, std::max<int64_t>(r, 1))};
    return true;
  }
  return false;
}

template <class T>
struct Same {
  __device__ T operator()(T v) const { return v; }
};

// A contiguous copy of t in scratch memory, for operands cuBLAS cannot read in place.
struct DenseCopy {
  Scratch memory;
  ember_kernel_tensor t;
  std::vector<int64_t> strides;
  DenseCopy(const ember_kernel_tensor* src)
      : memory(src->device_index, std::max<int64_t>(1, src->numel * element_size(src->dtype))),
        t(*src),
        strides(static_cast<size_t>(src->ndim)) {
    int64_t s = 1;
    for (int32_t d = src->ndim - 1; d >= 0; --d) {
      strides[static_cast<size_t>(d)] = s;
      s *= src->sizes[d];
    }
    t.data = memory.as<void>();
    t.strides = strides.data();
    t.is_contiguous = 1;
    dispatch_float(src->dtype, "matmul", [&](auto tag) {
      using T = typename decltype(tag)::type;
      map1<T, T>(&t, src, Same<T>{});
    });
  }
};

// The batch dims of t (all but the last two, in out's batch shape) folded into one stride, when
// that is possible: false when the batch offsets are not a multiple of one stride.
bool batch_stride(const ember_kernel_tensor* t, const ember_kernel_tensor* out, int64_t& stride) {
  const int32_t nb = out->ndim - 2;
  stride = 0;
  int64_t expected_inner = -1;  // stride the next outer dim must have, once one is seen
  for (int32_t d = nb - 1; d >= 0; --d) {
    const int64_t size = out->sizes[d];
    if (size == 1) continue;
    const int64_t s = t->sizes[d] == 1 ? 0 : t->strides[d];
    if (expected_inner < 0) {
      stride = s;
    } else if (s != expected_inner) {
      return false;
    }
    expected_inner = s * size;
  }
  return true;
}

// Element offset of batch element i (row-major over out's batch dims) in t.
int64_t batch_offset(const ember_kernel_tensor* t, const ember_kernel_tensor* out, int64_t i) {
  int64_t off = 0;
  for (int32_t d = out->ndim - 3; d >= 0; --d) {
    const int64_t size = out->sizes[d];
    if (t->sizes[d] != 1) off += (i % size) * t->strides[d];
    i /= size;
  }
  return off;
}

ember_status matmul(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* a,
                    const ember_kernel_tensor* b) {
  return guard([&] {
    use_device(out);
    const GemmType type = gemm_type(out->dtype, "matmul");
    const int32_t nd = out->ndim;
    const int64_t n = out->sizes[nd - 2], m = out->sizes[nd - 1], k = a->sizes[nd - 1];
    const int64_t batch = nd > 2 ? out->numel / (n * m == 0 ? 1 : n * m) : 1;
    if (out->numel == 0) return;
    if (k == 0) {
      EC_CUDA(cudaMemsetAsync(
          out->data, 0, static_cast<size_t>(out->numel * element_size(out->dtype)), stream()));
      return;
    }
    std::unique_ptr<DenseCopy> ca, cb;
    const ember_kernel_tensor* A = a;
    const ember_kernel_tensor* B = b;
    Operand oa{}, ob{};
    if (!as_operand(n, k, A->strides[nd - 2], A->strides[nd - 1], oa)) {
      ca = std::make_unique<DenseCopy>(a);
      A = &ca->t;
      as_operand(n, k, A->strides[nd - 2], A->strides[nd - 1], oa);
    }
    if (!as_operand(k, m, B->strides[nd - 2], B->strides[nd - 1], ob)) {
      cb = std::make_unique<DenseCopy>(b);
      B = &cb->t;
      as_operand(k, m, B->strides[nd - 2], B->strides[nd - 1], ob);
    }
    // out^T (m x n) = B^T (m x k) . A^T (k x n), all column-major.
    int64_t sa = 0, sb = 0;
    if (batch_stride(A, out, sa) && batch_stride(B, out, sb)) {
      gemm(out->device_index, type, ob.op, oa.op, m, n, k, B->data, ob.ld, sb, A->data, oa.ld, sa,
           0.0, out->data, m, n * m, batch);
      return;
    }
    // Batch dims that fold into no single stride (a broadcast between two real ones): one
    // product per batch element.
    const int64_t esize = element_size(out->dtype);
    for (int64_t i = 0; i < batch; ++i) {
      const auto* pa = static_cast<const char*>(A->data) + batch_offset(A, out, i) * esize;
      const auto* pb = static_cast<const char*>(B->data) + batch_offset(B, out, i) * esize;
      gemm(out->device_index, type, ob.op, oa.op, m, n, k, pb, ob.ld, 0, pa, oa.ld, 0, 0.0,
           static_cast<char*>(out->data) + i * n * m * esize, m, 0, 1);
    }
  });
}

template <class T>
__global__ void broadcast_rows(T* out, const T* bias, int64_t rows, int64_t cols) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < rows * cols;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i] = bias[i % cols];
}

// ---- linear with the bias in cuBLASLt's epilogue ----

// The largest power of two up to 256 that divides p: algorithms are chosen for the alignment their
// operands have.
uint32_t alignment_of(const void* p) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  uint32_t a = 256;
  while (a > 1 && v % a != 0) a /= 2;
  return a;
}

// device, data type, compute type, reduced-precision reductions disallowed, m, n, k, and the
// alignments of weight, input, output and bias (9 bits each).
using LtKey = std::array<int64_t, 8>;

struct LtKeyHash {
  size_t operator()(const LtKey& k) const noexcept {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the entries
    for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// The descriptors of one product shape and the algorithm cuBLASLt's heuristic chose for it, kept so
// that a repeated call makes one library call, not a descriptor set-up and a heuristic query.
// `usable` is false when cuBLASLt has no algorithm: that shape takes the GEMM path.
struct LtPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, d = nullptr;
  cublasLtMatmulAlgo_t algo{};
  bool usable = false;
  LtPlan() = default;
  LtPlan(const LtPlan&) = delete;
  LtPlan& operator=(const LtPlan&) = delete;
  ~LtPlan() {
    if (d != nullptr) cublasLtMatrixLayoutDestroy(d);
    if (b != nullptr) cublasLtMatrixLayoutDestroy(b);
    if (a != nullptr) cublasLtMatrixLayoutDestroy(a);
    if (desc != nullptr) cublasLtMatmulDescDestroy(desc);
  }
};

struct LtPreference {
  cublasLtMatmulPreference_t p = nullptr;
  LtPreference() {
    check_cublas(cublasLtMatmulPreferenceCreate(&p), "cublasLtMatmulPreferenceCreate");
  }
  LtPreference(const LtPreference&) = delete;
  LtPreference& operator=(const LtPreference&) = delete;
  ~LtPreference() { cublasLtMatmulPreferenceDestroy(p); }
  void set(cublasLtMatmulPreferenceAttributes_t attr, uint32_t v) {
    check_cublas(cublasLtMatmulPreferenceSetAttribute(p, attr, &v, sizeof v),
                 "cublasLtMatmulPreferenceSetAttribute");
  }
};

template <class V>
void set_desc(cublasLtMatmulDesc_t desc, cublasLtMatmulDescAttributes_t attr, const V& v) {
  check_cublas(cublasLtMatmulDescSetAttribute(desc, attr, &v, sizeof v),
               "cublasLtMatmulDescSetAttribute");
}

// out (m x n, column-major) = W^T x + bias for W stored k x m and x stored k x n, as the GEMM path
// computes it: the same compute type (TF32 only when allowed) and, for the 16-bit types, no split-k
// reduction in the output type when reduced-precision reductions are disallowed.
std::unique_ptr<LtPlan> make_plan(cublasLtHandle_t lt, const GemmType& type, int64_t m, int64_t n,
                                  int64_t k, const void* bias, const uint32_t (&align)[4]) {
  auto plan = std::make_unique<LtPlan>();
  check_cublas(cublasLtMatmulDescCreate(&plan->desc, type.compute, CUDA_R_32F),
               "cublasLtMatmulDescCreate");
  set_desc(plan->desc, CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T);
  set_desc(plan->desc, CUBLASLT_MATMUL_DESC_EPILOGUE, CUBLASLT_EPILOGUE_BIAS);
  // The heuristic reads the bias pointer for its alignment (the key holds it).
  set_desc(plan->desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias);
  const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
  check_cublas(cublasLtMatrixLayoutCreate(&plan->a, type.data, u(k), u(m), k),
               "cublasLtMatrixLayoutCreate");
  check_cublas(cublasLtMatrixLayoutCreate(&plan->b, type.data, u(k), u(n), k),
               "cublasLtMatrixLayoutCreate");
  check_cublas(cublasLtMatrixLayoutCreate(&plan->d, type.data, u(m), u(n), m),
               "cublasLtMatrixLayoutCreate");
  LtPreference pref;
  const uint64_t space = kWorkspace;
  check_cublas(cublasLtMatmulPreferenceSetAttribute(
                   pref.p, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &space, sizeof space),
               "cublasLtMatmulPreferenceSetAttribute");
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align[0]);
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align[1]);
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align[2]);
  pref.set(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align[2]);
  if (type.disallow_reduced_reduction)
    pref.set(CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK,
             CUBLASLT_REDUCTION_SCHEME_NONE | CUBLASLT_REDUCTION_SCHEME_COMPUTE_TYPE);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  const cublasStatus_t s = cublasLtMatmulAlgoGetHeuristic(lt, plan->desc, plan->a, plan->b, plan->d,
                                                          plan->d, pref.p, 1, &result, &found);
  if (s == CUBLAS_STATUS_SUCCESS && found > 0) {
    plan->algo = result.algo;
    plan->usable = true;
  }
  return plan;
}

// out = x W^T + b as one cublasLt call, the bias added in the GEMM's epilogue (one launch where
// the GEMM path makes two). False, with nothing written, when cuBLASLt has no algorithm for it.
bool linear_lt(const ember_kernel_tensor* out, const ember_kernel_tensor* x,
               const ember_kernel_tensor* w, const ember_kernel_tensor* bias, const GemmType& type,
               int64_t rows, int64_t in, int64_t outs) {
  const uint32_t align[4] = {alignment_of(w->data), alignment_of(x->data), alignment_of(out->data),
                             alignment_of(bias->data)};
  // No preference describes the bias's alignment, and the epilogue fails on biases that are not
  // 16-byte aligned (a view starting inside its storage); the heuristic refuses operands of one row
  // or column (as PyTorch found). Those take the GEMM path.
  if (align[3] < 16 || rows < 2 || in < 2 || outs < 2) return false;
  const int32_t device = out->device_index;
  Blas& blas = blas_on_stream(device);
  if (blas.lt == nullptr) {
    RelaxedCapture relaxed;  // as for the cuBLAS handle
    check_cublas(cublasLtCreate(&blas.lt), "cublasLtCreate");
  }
  const LtKey key{device,
                  static_cast<int64_t>(type.data),
                  static_cast<int64_t>(type.compute),
                  type.disallow_reduced_reduction,
                  outs,
                  rows,
                  in,
                  int64_t{align[0]} | int64_t{align[1]} << 9 | int64_t{align[2]} << 18 |
                      int64_t{align[3]} << 27};
  // Per thread, as the handles: a plan's bias pointer is set per call.
  thread_local std::unordered_map<LtKey, std::unique_ptr<LtPlan>, LtKeyHash> plans;
  auto it = plans.find(key);
  if (it == plans.end()) {
    if (plans.size() >= 256) plans.clear();
    it = plans.emplace(key, make_plan(blas.lt, type, outs, rows, in, bias->data, align)).first;
  }
  LtPlan& plan = *it->second;
  if (!plan.usable) return false;
  set_desc(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias->data);
  const float one = 1, zero = 0;
  const cublasStatus_t s =
      cublasLtMatmul(blas.lt, plan.desc, &one, w->data, plan.a, x->data, plan.b, &zero, out->data,
                     plan.d, out->data, plan.d, &plan.algo, blas.space, kWorkspace, stream());
  // The plan's algorithm may not take these operands after all (nothing ran then).
  if (s == CUBLAS_STATUS_NOT_SUPPORTED || s == CUBLAS_STATUS_INVALID_VALUE) return false;
  check_cublas(s, "cublasLtMatmul");
  return true;
}

ember_status linear(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                    const ember_kernel_tensor* w, const ember_kernel_tensor* b) {
  return guard([&] {
    use_device(out);
    const GemmType type = gemm_type(out->dtype, "linear");
    const int64_t rows = x->sizes[0], in = x->sizes[1], outs = w->sizes[0];
    if (out->numel == 0) return;
    // float64 keeps the GEMM path: its scalars are double, which the plan does not describe.
    if (b != nullptr && in > 0 && !type.double_scalars &&
        linear_lt(out, x, w, b, type, rows, in, outs))
      return;
    double beta = 0;
    if (b != nullptr) {
      dispatch_float(out->dtype, "linear", [&](auto tag) {
        using T = typename decltype(tag)::type;
        broadcast_rows<T><<<blocks_for(rows * outs), kThreads, 0, stream()>>>(
            data<T>(out), data<const T>(b), rows, outs);
      });
      EC_LAUNCHED("linear bias");
      beta = 1;
    }
    if (in == 0) {
      if (b == nullptr)
        EC_CUDA(cudaMemsetAsync(
            out->data, 0, static_cast<size_t>(out->numel * element_size(out->dtype)), stream()));
      return;
    }
    // out^T (outs x rows) = W (outs x in, stored as W^T column-major) . x^T (in x rows).
    gemm(out->device_index, type, CUBLAS_OP_T, CUBLAS_OP_N, outs, rows, in, w->data, in, 0, x->data,
         in, 0, beta, out->data, outs, 0, 1);
  });
}

}  // namespace

ember_status register_blas(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "matmul", matmul);
  if (s == EMBER_OK) s = register_kernel(host, "linear", linear);
  return s;
}

}  // namespace ember_cuda
