// Shared by the CUDA kernels: errors, tensor layouts passed to kernels by value, dtype dispatch
// and kernel registration.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "ember/plugin.h"

namespace ember_cuda {

// A failure inside the plugin; the kernel boundary turns it into a status and last_error's text.
struct Failure : std::runtime_error {
  Failure(ember_status s, const std::string& msg) : std::runtime_error(msg), status(s) {}
  ember_status status;
};

void set_error(const std::string& message);
const char* last_error();

inline void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    const ember_status s =
        e == cudaErrorMemoryAllocation ? EMBER_ERROR_OUT_OF_MEMORY : EMBER_ERROR_BACKEND;
    cudaGetLastError();  // clears a sticky-free error so the next call starts clean
    throw Failure(s, std::string(what) + ": " + cudaGetErrorString(e));
  }
}
#define EC_CUDA(expr) ::ember_cuda::check_cuda((expr), #expr)
// After a launch: a bad configuration shows up here, faults at the next synchronising call.
#define EC_LAUNCHED(name) ::ember_cuda::check_cuda(cudaGetLastError(), name " launch")

[[noreturn]] inline void fail(ember_status s, const std::string& msg) { throw Failure(s, msg); }

// Runs body and maps what it throws to a status, as every exported kernel must.
template <class F>
ember_status guard(F&& body) noexcept {
  try {
    body();
    return EMBER_OK;
  } catch (const Failure& f) {
    set_error(f.what());
    return f.status;
  } catch (const std::exception& e) {
    set_error(e.what());
    return EMBER_ERROR_INTERNAL;
  }
}

// The calling thread's current stream on device (nullptr: the legacy default stream).
cudaStream_t current_stream(int32_t device);
// Makes device current for this thread; stream() is then its current stream, where every kernel,
// copy and library call of this thread goes.
void set_device(int32_t device);
cudaStream_t stream();
inline void use_device(const ember_kernel_tensor* t) { set_device(t->device_index); }
// Throws the bad index a kernel on the current device reported since the last check (see
// device_error.cuh); every synchronising call runs it.
void check_device_error();
// True while s records into a CUDA graph (graph.cu); nothing may then wait for the device.
inline bool capturing(cudaStream_t s) {
  if (s == nullptr) return false;  // the default stream is never captured
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  if (cudaStreamIsCapturing(s, &status) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return status != cudaStreamCaptureStatusNone;
}
// Fails before `what` waits for the device when s is capturing, so the capture stays intact.
inline void refuse_while_capturing(cudaStream_t s, const char* what) {
  if (capturing(s))
    fail(EMBER_ERROR_BACKEND,
         std::string(what) +
             ": not allowed while the stream records a CUDA graph (a graph cannot wait for the GPU "
             "or read values back to the host: do that before the capture or after a replay)");
}
// Copies nbytes from the device to the host in the order of the current stream and waits for them.
inline void read_back(void* dst, const void* src, size_t nbytes) {
  refuse_while_capturing(stream(), "reading a value back to the host");
  EC_CUDA(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, stream()));
  EC_CUDA(cudaStreamSynchronize(stream()));
  check_device_error();
}

constexpr int kMaxDims = EMBER_KERNEL_MAX_DIMS;

// Sizes of the iteration shape and one operand's strides in it (0 where broadcast); by value into
// kernels, so no device copy of the metadata is needed.
struct Layout {
  int32_t ndim;
  int64_t sizes[kMaxDims];
  int64_t strides[kMaxDims];
};

// The layout of t read in the iteration shape of `shape` (t broadcast to it, aligned at the right).
inline Layout layout_in(const ember_kernel_tensor* t, const ember_kernel_tensor* shape) {
  if (shape->ndim > kMaxDims) fail(EMBER_ERROR_NOT_IMPLEMENTED, "cuda: more than 16 dims");
  Layout l{};
  l.ndim = shape->ndim;
  const int32_t lead = shape->ndim - t->ndim;
  for (int32_t d = 0; d < shape->ndim; ++d) {
    l.sizes[d] = shape->sizes[d];
    const int32_t td = d - lead;
    l.strides[d] = td < 0 || t->sizes[td] == 1 ? 0 : t->strides[td];
  }
  return l;
}

// Element offset of linear index i (row-major over l's sizes).
__device__ inline int64_t offset_of(const Layout& l, int64_t i) {
  int64_t off = 0;
  for (int32_t d = l.ndim - 1; d >= 0; --d) {
    const int64_t s = l.sizes[d];
    off += (i % s) * l.strides[d];
    i /= s;
  }
  return off;
}

// True when t covers numel elements densely in row-major order (the fast path).
inline bool dense(const ember_kernel_tensor* t, int64_t numel) {
  return t->is_contiguous && t->numel == numel;
}

// Arithmetic type: 16-bit floats compute in float, as PyTorch's CUDA kernels do.
template <class T>
struct Acc {
  using type = T;
};
template <>
struct Acc<__half> {
  using type = float;
};
template <>
struct Acc<__nv_bfloat16> {
  using type = float;
};
template <class T>
using acc_t = typename Acc<T>::type;

template <class T>
__host__ __device__ inline acc_t<T> to_acc(T v) {
  return static_cast<acc_t<T>>(v);
}
template <class T, class A>
__host__ __device__ inline T from_acc(A v) {
  return static_cast<T>(v);
}

template <class T>
inline constexpr bool is_floating_v =
    std::is_floating_point_v<T> || std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

const char* dtype_name(int32_t dtype);

template <class T>
struct Tag {
  using type = T;
};

// Calls f(Tag<T>{}) for the C++ type of dtype.
template <class F>
void dispatch(int32_t dtype, const char* op, F&& f) {
  switch (dtype) {
    case EMBER_FLOAT32:
      return f(Tag<float>{});
    case EMBER_FLOAT64:
      return f(Tag<double>{});
    case EMBER_FLOAT16:
      return f(Tag<__half>{});
    case EMBER_BFLOAT16:
      return f(Tag<__nv_bfloat16>{});
    case EMBER_INT64:
      return f(Tag<int64_t>{});
    case EMBER_INT32:
      return f(Tag<int32_t>{});
    case EMBER_INT16:
      return f(Tag<int16_t>{});
    case EMBER_INT8:
      return f(Tag<int8_t>{});
    case EMBER_UINT8:
      return f(Tag<uint8_t>{});
    case EMBER_BOOL:
      return f(Tag<bool>{});
    default:
      fail(EMBER_ERROR_DTYPE, std::string(op) + ": unknown dtype code " + std::to_string(dtype));
  }
}

// Only the floating dtypes, for ops defined on them alone.
template <class F>
void dispatch_float(int32_t dtype, const char* op, F&& f) {
  dispatch(dtype, op, [&](auto tag) {
    if constexpr (is_floating_v<typename decltype(tag)::type>) {
      f(tag);
    } else {
      fail(EMBER_ERROR_DTYPE,
           std::string(op) + ": cuda kernel takes floating dtypes, got " + dtype_name(dtype));
    }
  });
}

// float and double only, for kernels whose engine meta hands them the compute dtype (the 16-bit
// floats arrive as float32): norms, embeddings, the optimizer steps.
template <class F>
void dispatch_float_double(int32_t dtype, const char* op, F&& f) {
  if (dtype == EMBER_FLOAT32) return f(Tag<float>{});
  if (dtype == EMBER_FLOAT64) return f(Tag<double>{});
  fail(EMBER_ERROR_DTYPE,
       std::string(op) + ": cuda kernel takes float32 or float64, got " + dtype_name(dtype));
}

constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t n, int per_thread = 1) {
  const int64_t b = (n + int64_t{kThreads} * per_thread - 1) / (int64_t{kThreads} * per_thread);
  return static_cast<unsigned>(b < 1 ? 1 : (b > 65535 * 16 ? 65535 * 16 : b));
}

template <class T>
T* data(const ember_kernel_tensor* t) {
  return static_cast<T*>(t->data);
}

// Registers kernel for family on the CUDA device type; its signature comes from its own type.
template <class... A>
ember_status register_kernel(const ember_plugin_host* host, const char* family,
                             ember_status (*kernel)(void*, A...)) {
  return host->register_kernel(host->host_ctx, EMBER_DEVICE_CUDA, family,
                               ember_plugin::signature_of(kernel).c_str(),
                               reinterpret_cast<ember_kernel_fn>(kernel), nullptr);
}

// Temporary device memory from the caching allocator, for the span of one kernel call (the
// stream order makes reuse after the call safe).
void* allocate_scratch(int32_t device, int64_t nbytes);
void free_scratch(int32_t device, void* p);
class Scratch {
 public:
  Scratch(int32_t device, int64_t nbytes) : device_(device), p_(allocate_scratch(device, nbytes)) {}
  ~Scratch() { free_scratch(device_, p_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(p_);
  }

 private:
  int32_t device_;
  void* p_;
};

// The engine's backend settings (ember_set_backend_option), as the kernels read them. The engine
// sends every setting at registration, so these initial values never show.
struct Settings {
  std::atomic<bool> matmul_allow_tf32{false};
  std::atomic<bool> fp16_reduced_reduction{true};
  std::atomic<bool> bf16_reduced_reduction{true};
  std::atomic<bool> cudnn_enabled{true};
  std::atomic<bool> cudnn_benchmark{false};
  std::atomic<bool> cudnn_deterministic{false};
  std::atomic<bool> cudnn_allow_tf32{true};
  std::atomic<bool> batch_small_ops{true};
};
Settings& settings();

// Each kernel file registers its families; the first failure stops the load.
ember_status register_elementwise(const ember_plugin_host* host);
ember_status register_reduce(const ember_plugin_host* host);
ember_status register_blas(const ember_plugin_host* host);
ember_status register_nn(const ember_plugin_host* host);
ember_status register_math(const ember_plugin_host* host);
ember_status register_reduce_ex(const ember_plugin_host* host);
ember_status register_random(const ember_plugin_host* host);
ember_status register_conv(const ember_plugin_host* host);
ember_status register_norm(const ember_plugin_host* host);
ember_status register_embedding(const ember_plugin_host* host);
ember_status register_optim(const ember_plugin_host* host);
ember_status register_factory(const ember_plugin_host* host);
ember_status register_index(const ember_plugin_host* host);
ember_status register_sort(const ember_plugin_host* host);
ember_status register_attention(const ember_plugin_host* host);
ember_status register_ctc(const ember_plugin_host* host);
ember_status register_pool(const ember_plugin_host* host);
ember_status register_resample(const ember_plugin_host* host);
ember_status register_linalg(const ember_plugin_host* host);
ember_status register_fused(const ember_plugin_host* host);

}  // namespace ember_cuda
