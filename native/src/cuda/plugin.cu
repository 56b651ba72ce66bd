// libember_cuda's entry point: the backend table (devices, memory, copies) and the kernel
// registrations of every kernel file.
#include <cuda_runtime.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "allocator.h"
#include "common.cuh"
#include "device_error.cuh"
#include "graph.cuh"
#include "small_ops.cuh"

namespace ember_cuda {

namespace {

thread_local std::string t_error;

struct Backend {
  std::string name;
  std::vector<std::unique_ptr<CachingAllocator>> allocators;
  HostAllocator host;
};

Backend* g_backend = nullptr;  // set once at registration; plugins are never unloaded

CachingAllocator& allocator(int32_t device) {
  return *g_backend->allocators[static_cast<size_t>(device)];
}

int32_t device_count(void*) { return static_cast<int32_t>(g_backend->allocators.size()); }

void* allocate(void*, int32_t device, int64_t nbytes) {
  void* p = allocator(device).allocate(nbytes, current_stream(device));
  if (p == nullptr && !CachingAllocator::last_failure().empty()) {
    set_error("CUDA allocation on device " + std::to_string(device) +
              " failed: " + CachingAllocator::last_failure());
  } else if (p == nullptr) {
    const ember_memory_stats s = allocator(device).stats();
    size_t free_bytes = 0, total = 0;
    cudaMemGetInfo(&free_bytes, &total);
    set_error("CUDA out of memory on device " + std::to_string(device) + ": " +
              std::to_string(s.allocated) + " bytes allocated, " + std::to_string(s.reserved) +
              " reserved by Ember, " + std::to_string(free_bytes) + " free of " +
              std::to_string(total));
  }
  return p;
}

void deallocate(void*, int32_t device, void* p, int64_t) { allocator(device).deallocate(p); }

// Copies are ordered on the thread's current stream and return once the bytes are in place.
ember_status copy(int32_t device, void* dst, const void* src, int64_t nbytes, cudaMemcpyKind kind) {
  return guard([&] {
    set_device(device);
    refuse_while_capturing(stream(), kind == cudaMemcpyHostToDevice
                                         ? "copying host memory to the device"
                                         : "copying device memory to the host");
    EC_CUDA(cudaMemcpyAsync(dst, src, static_cast<size_t>(nbytes), kind, stream()));
    EC_CUDA(cudaStreamSynchronize(stream()));
    check_device_error(device);
  });
}

ember_status h2d(void*, int32_t device, void* dst, const void* src, int64_t nbytes) {
  return copy(device, dst, src, nbytes, cudaMemcpyHostToDevice);
}

ember_status d2h(void*, int32_t device, void* dst, const void* src, int64_t nbytes) {
  return copy(device, dst, src, nbytes, cudaMemcpyDeviceToHost);
}

ember_status d2d(void*, int32_t dst_device, void* dst, int32_t src_device, const void* src,
                 int64_t nbytes) {
  return guard([&] {
    if (dst_device == src_device) {
      set_device(dst_device);
      EC_CUDA(cudaMemcpyAsync(dst, src, static_cast<size_t>(nbytes), cudaMemcpyDeviceToDevice,
                              stream()));
    } else {
      refuse_while_capturing(current_stream(src_device), "copying between devices");
      // The peer copy is ordered with all launched work of both devices, not with queued work.
      flush_small_ops(src_device);
      flush_small_ops(dst_device);
      EC_CUDA(cudaMemcpyPeer(dst, dst_device, src, src_device, static_cast<size_t>(nbytes)));
    }
  });
}

const char* last_error_cb(void*) { return t_error.c_str(); }

ember_status synchronize(void*, int32_t device) {
  return guard([&] {
    refuse_while_capturing(current_stream(device), "synchronize");
    EC_CUDA(cudaSetDevice(device));
    flush_small_ops(device);
    EC_CUDA(cudaDeviceSynchronize());
    check_device_error(device);
  });
}

ember_status memory_stats(void*, int32_t device, ember_memory_stats* out) {
  *out = allocator(device).stats();
  return EMBER_OK;
}

ember_status empty_cache(void*, int32_t device) {
  return guard([&] {
    refuse_while_capturing(current_stream(device), "empty_cache");
    allocator(device).empty_cache();
  });
}

ember_status set_option(void*, const char* name, int64_t value) {
  Settings& s = settings();
  const std::string n = name;
  const bool on = value != 0;
  if (n == "cuda.matmul.allow_tf32") s.matmul_allow_tf32 = on;
  if (n == "cuda.matmul.allow_fp16_reduced_precision_reduction") s.fp16_reduced_reduction = on;
  if (n == "cuda.matmul.allow_bf16_reduced_precision_reduction") s.bf16_reduced_reduction = on;
  if (n == "cudnn.enabled") s.cudnn_enabled = on;
  if (n == "cudnn.benchmark") s.cudnn_benchmark = on;
  if (n == "cudnn.deterministic") s.cudnn_deterministic = on;
  if (n == "cudnn.allow_tf32") s.cudnn_allow_tf32 = on;
  if (n == "cuda.batch_small_ops") s.batch_small_ops = on;
  return EMBER_OK;
}

ember_status reset_peak(void*, int32_t device) {
  allocator(device).reset_peak();
  return EMBER_OK;
}

// ---- streams and events ----

thread_local int32_t t_device = 0;
thread_local std::vector<cudaStream_t> t_streams;  // the current stream per device

ember_status stream_create(void*, int32_t device, int32_t priority, void** out) {
  return guard([&] {
    set_device(device);
    cudaStream_t s = nullptr;
    // Non-blocking, as PyTorch's streams: no implicit wait on the legacy default stream.
    EC_CUDA(cudaStreamCreateWithPriority(&s, cudaStreamNonBlocking, priority));
    *out = s;
  });
}

ember_status stream_destroy(void*, int32_t device, void* stream) {
  return guard([&] {
    auto s = static_cast<cudaStream_t>(stream);
    if (current_stream(device) == s) t_streams[static_cast<size_t>(device)] = nullptr;
    set_device(device);
    forget_small_ops(device, s);
    EC_CUDA(cudaStreamDestroy(s));
  });
}

ember_status set_current_stream(void*, int32_t device, void* stream) {
  if (t_streams.size() <= static_cast<size_t>(device))
    t_streams.resize(static_cast<size_t>(device) + 1, nullptr);
  t_streams[static_cast<size_t>(device)] = static_cast<cudaStream_t>(stream);
  return EMBER_OK;
}

ember_status get_current_stream(void*, int32_t device, void** out) {
  *out = current_stream(device);
  // Whoever asks for the handle may put work of its own on it, after what is queued.
  flush_small_ops(device, static_cast<cudaStream_t>(*out));
  return EMBER_OK;
}

ember_status stream_synchronize(void*, int32_t device, void* stream) {
  return guard([&] {
    set_device(device);
    refuse_while_capturing(current_stream(device), "stream_synchronize");
    refuse_while_capturing(static_cast<cudaStream_t>(stream), "stream_synchronize");
    flush_small_ops(device, static_cast<cudaStream_t>(stream));
    EC_CUDA(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
    check_device_error(device);
  });
}

// cudaSuccess: done; cudaErrorNotReady: not yet; anything else is a fault.
void query_result(cudaError_t e, int32_t* done, const char* what) {
  if (e == cudaErrorNotReady) {
    cudaGetLastError();
    *done = 0;
    return;
  }
  check_cuda(e, what);
  *done = 1;
}

ember_status stream_query(void*, int32_t device, void* stream, int32_t* done) {
  return guard([&] {
    set_device(device);
    refuse_while_capturing(current_stream(device), "stream_query");
    flush_small_ops(device, static_cast<cudaStream_t>(stream));
    query_result(cudaStreamQuery(static_cast<cudaStream_t>(stream)), done, "cudaStreamQuery");
  });
}

ember_status stream_wait_event(void*, int32_t device, void* stream, void* event) {
  return guard([&] {
    set_device(device);
    flush_small_ops(device, static_cast<cudaStream_t>(stream));  // they came before the wait
    EC_CUDA(
        cudaStreamWaitEvent(static_cast<cudaStream_t>(stream), static_cast<cudaEvent_t>(event), 0));
  });
}

ember_status event_create(void*, int32_t device, int32_t enable_timing, void** out) {
  return guard([&] {
    set_device(device);
    cudaEvent_t e = nullptr;
    EC_CUDA(
        cudaEventCreateWithFlags(&e, enable_timing ? cudaEventDefault : cudaEventDisableTiming));
    *out = e;
  });
}

ember_status event_destroy(void*, int32_t device, void* event) {
  return guard([&] {
    set_device(device);
    EC_CUDA(cudaEventDestroy(static_cast<cudaEvent_t>(event)));
  });
}

ember_status event_record(void*, int32_t device, void* event, void* stream) {
  return guard([&] {
    set_device(device);
    flush_small_ops(device, static_cast<cudaStream_t>(stream));
    EC_CUDA(cudaEventRecord(static_cast<cudaEvent_t>(event), static_cast<cudaStream_t>(stream)));
  });
}

ember_status event_synchronize(void*, int32_t device, void* event) {
  return guard([&] {
    set_device(device);
    refuse_while_capturing(current_stream(device), "event_synchronize");
    EC_CUDA(cudaEventSynchronize(static_cast<cudaEvent_t>(event)));
    check_device_error(device);
  });
}

ember_status event_query(void*, int32_t device, void* event, int32_t* done) {
  return guard([&] {
    set_device(device);
    refuse_while_capturing(current_stream(device), "event_query");
    query_result(cudaEventQuery(static_cast<cudaEvent_t>(event)), done, "cudaEventQuery");
  });
}

ember_status event_elapsed_ms(void*, int32_t device, void* start, void* end, float* out) {
  return guard([&] {
    set_device(device);
    EC_CUDA(
        cudaEventElapsedTime(out, static_cast<cudaEvent_t>(start), static_cast<cudaEvent_t>(end)));
  });
}

// ---- pinned host memory ----

void* host_allocate(void*, int64_t nbytes) { return g_backend->host.allocate(nbytes); }

void host_deallocate(void*, void* p) { g_backend->host.deallocate(p); }

ember_status h2d_async(void*, int32_t device, void* dst, const void* src, int64_t nbytes) {
  return guard([&] {
    set_device(device);
    // The pinned block's reuse waits on an event, which cannot be queried once recorded in a graph.
    refuse_while_capturing(stream(), "a non-blocking copy from pinned memory");
    EC_CUDA(
        cudaMemcpyAsync(dst, src, static_cast<size_t>(nbytes), cudaMemcpyHostToDevice, stream()));
    g_backend->host.record_use(src, stream());
  });
}

ember_status record_stream(void*, int32_t device, void* ptr, void* stream) {
  allocator(device).record_stream(ptr, static_cast<cudaStream_t>(stream));
  return EMBER_OK;
}

}  // namespace

CachingAllocator& device_allocator(int32_t device) { return allocator(device); }

cudaStream_t current_stream(int32_t device) {
  return static_cast<size_t>(device) < t_streams.size() ? t_streams[static_cast<size_t>(device)]
                                                        : nullptr;
}

void set_device(int32_t device) {
  EC_CUDA(cudaSetDevice(device));
  t_device = device;
}

cudaStream_t stream() {
  const cudaStream_t s = current_stream(t_device);
  if (small_ops_queued()) flush_small_ops(t_device, s);  // what comes next follows them
  return s;
}

void* allocate_scratch(int32_t device, int64_t nbytes) {
  if (nbytes == 0) return nullptr;
  void* p = allocate(nullptr, device, nbytes);
  if (p == nullptr) fail(EMBER_ERROR_OUT_OF_MEMORY, t_error);
  return p;
}

void free_scratch(int32_t device, void* p) {
  if (p != nullptr) allocator(device).deallocate(p);
}

void set_error(const std::string& message) { t_error = message; }

Settings& settings() {
  static Settings s;
  return s;
}
const char* last_error() { return t_error.c_str(); }

const char* dtype_name(int32_t dtype) {
  switch (dtype) {
    case EMBER_UINT8:
      return "uint8";
    case EMBER_INT8:
      return "int8";
    case EMBER_INT16:
      return "int16";
    case EMBER_INT32:
      return "int32";
    case EMBER_INT64:
      return "int64";
    case EMBER_FLOAT16:
      return "float16";
    case EMBER_FLOAT32:
      return "float32";
    case EMBER_FLOAT64:
      return "float64";
    case EMBER_BOOL:
      return "bool";
    case EMBER_BFLOAT16:
      return "bfloat16";
    default:
      return "unknown";
  }
}

}  // namespace ember_cuda

using namespace ember_cuda;

extern "C" EMBER_PLUGIN_EXPORT ember_status ember_plugin_register(const ember_plugin_host* host) {
  if (host->api_version != EMBER_PLUGIN_API_VERSION) {
    host->set_error(host->host_ctx, "libember_cuda was built for another Ember plugin API version");
    return EMBER_ERROR_BACKEND;
  }
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0) {
    const std::string why =
        e != cudaSuccess ? std::string("no usable CUDA driver or device: ") + cudaGetErrorString(e)
                         : std::string("no CUDA device found");
    cudaGetLastError();
    host->set_error(host->host_ctx, why.c_str());
    return EMBER_ERROR_BACKEND;
  }
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  auto* b = new Backend();
  char name[512];
  std::snprintf(name, sizeof name, "CUDA %d.%d, driver %d.%d, %s", runtime / 1000,
                runtime % 1000 / 10, driver / 1000, driver % 1000 / 10, prop.name);
  b->name = name;
  for (int i = 0; i < count; ++i) b->allocators.push_back(std::make_unique<CachingAllocator>(i));
  g_backend = b;

  ember_backend table{};
  table.struct_size = sizeof table;
  table.api_version = EMBER_PLUGIN_API_VERSION;
  table.device_type = EMBER_DEVICE_CUDA;
  table.name = g_backend->name.c_str();
  table.device_count = device_count;
  table.allocate = allocate;
  table.deallocate = deallocate;
  table.copy_host_to_device = h2d;
  table.copy_device_to_host = d2h;
  table.copy_device_to_device = d2d;
  table.last_error = last_error_cb;
  table.synchronize = synchronize;
  table.memory_stats = memory_stats;
  table.empty_cache = empty_cache;
  table.reset_peak_memory = reset_peak;
  table.set_option = set_option;
  table.stream_create = stream_create;
  table.stream_destroy = stream_destroy;
  table.set_current_stream = set_current_stream;
  table.current_stream = get_current_stream;
  table.stream_synchronize = stream_synchronize;
  table.stream_query = stream_query;
  table.stream_wait_event = stream_wait_event;
  table.event_create = event_create;
  table.event_destroy = event_destroy;
  table.event_record = event_record;
  table.event_synchronize = event_synchronize;
  table.event_query = event_query;
  table.event_elapsed_ms = event_elapsed_ms;
  table.record_stream = record_stream;
  table.host_allocate = host_allocate;
  table.host_deallocate = host_deallocate;
  table.copy_host_to_device_async = h2d_async;
  fill_graph_callbacks(table);
  ember_status s = host->register_backend(host->host_ctx, &table);
  for (auto reg : {register_elementwise, register_reduce,    register_blas,     register_nn,
                   register_random,      register_pool,      register_resample, register_conv,
                   register_math,        register_reduce_ex, register_norm,     register_embedding,
                   register_optim,       register_factory,   register_index,    register_sort,
                   register_attention,   register_ctc,       register_linalg,   register_fused}) {
    if (s != EMBER_OK) break;
    s = reg(host);
  }
  return s;
}
