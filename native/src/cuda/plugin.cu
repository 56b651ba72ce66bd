// libember_cuda's entry point: the backend table (devices, memory, copies) and the kernel
// registrations of every kernel file.
#include <cuda_runtime.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "allocator.h"
#include "common.cuh"

namespace ember_cuda {

namespace {

thread_local std::string t_error;

struct Backend {
  std::string name;
  std::vector<std::unique_ptr<CachingAllocator>> allocators;
};

Backend* g_backend = nullptr;  // set once at registration; plugins are never unloaded

CachingAllocator& allocator(int32_t device) {
  return *g_backend->allocators[static_cast<size_t>(device)];
}

int32_t device_count(void*) { return static_cast<int32_t>(g_backend->allocators.size()); }

void* allocate(void*, int32_t device, int64_t nbytes) {
  void* p = allocator(device).allocate(nbytes);
  if (p == nullptr) {
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

ember_status copy(int32_t device, void* dst, const void* src, int64_t nbytes, cudaMemcpyKind kind) {
  return guard([&] {
    EC_CUDA(cudaSetDevice(device));
    EC_CUDA(cudaMemcpy(dst, src, static_cast<size_t>(nbytes), kind));
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
      EC_CUDA(cudaSetDevice(dst_device));
      EC_CUDA(cudaMemcpyAsync(dst, src, static_cast<size_t>(nbytes), cudaMemcpyDeviceToDevice));
    } else {
      EC_CUDA(cudaMemcpyPeer(dst, dst_device, src, src_device, static_cast<size_t>(nbytes)));
    }
  });
}

const char* last_error_cb(void*) { return t_error.c_str(); }

ember_status synchronize(void*, int32_t device) {
  return guard([&] {
    EC_CUDA(cudaSetDevice(device));
    EC_CUDA(cudaDeviceSynchronize());
  });
}

ember_status memory_stats(void*, int32_t device, ember_memory_stats* out) {
  *out = allocator(device).stats();
  return EMBER_OK;
}

ember_status empty_cache(void*, int32_t device) {
  allocator(device).empty_cache();
  return EMBER_OK;
}

ember_status reset_peak(void*, int32_t device) {
  allocator(device).reset_peak();
  return EMBER_OK;
}

}  // namespace

void* allocate_scratch(int32_t device, int64_t nbytes) {
  void* p = allocate(nullptr, device, nbytes);
  if (p == nullptr) fail(EMBER_ERROR_OUT_OF_MEMORY, t_error);
  return p;
}

void free_scratch(int32_t device, void* p) { allocator(device).deallocate(p); }

void set_error(const std::string& message) { t_error = message; }
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
  ember_status s = host->register_backend(host->host_ctx, &table);
  for (auto reg : {register_elementwise, register_reduce, register_blas, register_nn}) {
    if (s != EMBER_OK) break;
    s = reg(host);
  }
  return s;
}
