// The host side of device_error.cuh: one error word and record per device, op names interned as
// small ids for the kernels, and the check that turns a report into an error.
#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "device_error.cuh"
#include "small_ops.cuh"

namespace ember_cuda {

namespace {

struct DeviceErrors {
  unsigned int* claim = nullptr;  // device memory
  ErrorRecord* host = nullptr;    // mapped host memory, as the host reads it
  ErrorRecord* mapped = nullptr;  // the same memory, as kernels address it
};

constexpr int kMaxDevices = 64;
std::array<std::atomic<DeviceErrors*>, kMaxDevices> g_devices{};
std::mutex g_mutex;  // guards creation and the name table
std::map<std::string, int32_t, std::less<>> g_ids;
std::vector<std::string> g_names{""};  // id -> name; id 0 means "none"

int32_t current_device() {
  int device = 0;
  EC_CUDA(cudaGetDevice(&device));
  return device;
}

DeviceErrors& errors_of(int32_t device) {
  if (device < 0 || device >= kMaxDevices)
    fail(EMBER_ERROR_DEVICE, "cuda: device index " + std::to_string(device) + " out of range");
  DeviceErrors* e = g_devices[static_cast<size_t>(device)].load(std::memory_order_acquire);
  if (e != nullptr) return *e;
  std::lock_guard<std::mutex> lock(g_mutex);
  e = g_devices[static_cast<size_t>(device)].load(std::memory_order_relaxed);
  if (e != nullptr) return *e;
  // Allocations would break a graph capture: the first checking kernel must run before one.
  refuse_while_capturing(stream(), "the first index-checking kernel on a device");
  auto* made = new DeviceErrors();  // lives as long as the process, as the plugin does
  EC_CUDA(cudaMalloc(&made->claim, sizeof(unsigned int)));
  // Zeroed in the order of this thread's stream and waited for, so that no kernel on any stream
  // can find the word before it is clear.
  EC_CUDA(cudaMemsetAsync(made->claim, 0, sizeof(unsigned int), stream()));
  EC_CUDA(cudaStreamSynchronize(stream()));
  EC_CUDA(
      cudaHostAlloc(&made->host, sizeof(ErrorRecord), cudaHostAllocMapped | cudaHostAllocPortable));
  *made->host = ErrorRecord{};
  if (cudaHostGetDevicePointer(reinterpret_cast<void**>(&made->mapped), made->host, 0) !=
      cudaSuccess) {
    // Without the map-host flag on the context: with unified addressing (every 64-bit platform
    // CUDA supports) kernels use the host pointer itself.
    cudaGetLastError();
    made->mapped = made->host;
  }
  g_devices[static_cast<size_t>(device)].store(made, std::memory_order_release);
  return *made;
}

int32_t op_id(const char* op) {
  std::lock_guard<std::mutex> lock(g_mutex);
  const std::string_view name = op;
  auto it = g_ids.find(name);
  if (it != g_ids.end()) return it->second;
  const auto id = static_cast<int32_t>(g_names.size());
  g_names.emplace_back(name);
  g_ids.emplace(std::string(name), id);
  return id;
}

std::string op_name(int32_t id) {
  std::lock_guard<std::mutex> lock(g_mutex);
  return id > 0 && static_cast<size_t>(id) < g_names.size() ? g_names[static_cast<size_t>(id)]
                                                            : std::string("a CUDA kernel");
}

std::string describe(const ErrorRecord& r) {
  const std::string op = op_name(r.op);
  const std::string v = std::to_string(r.value), b = std::to_string(r.bound),
                    w = std::to_string(r.where);
  switch (static_cast<ErrorKind>(r.kind)) {
    case ErrorKind::Index:
      return op + ": index " + v + " is out of bounds for dimension " + w + " with size " + b;
    case ErrorKind::Target:
      return op + ": target " + v + " of sample " + w + " is out of bounds [0, " + b + ")";
    case ErrorKind::PlaneIndex:
      return op + ": index " + v + " is out of bounds for a plane of " + b + " elements";
  }
  return op + ": a kernel reported error kind " + std::to_string(r.kind);
}

}  // namespace

ErrorSink error_sink(const char* op) {
  DeviceErrors& e = errors_of(current_device());
  return {e.claim, e.mapped, op_id(op)};
}

void check_device_error(int32_t device) {
  check_small_ops_failure();
  if (device < 0 || device >= kMaxDevices) return;
  DeviceErrors* e = g_devices[static_cast<size_t>(device)].load(std::memory_order_acquire);
  if (e == nullptr) return;  // no kernel on this device could have reported
  volatile ErrorRecord* r = e->host;
  if (r->op == 0) return;
  ErrorRecord seen{};
  seen.op = r->op;
  seen.kind = r->kind;
  seen.value = r->value;
  seen.bound = r->bound;
  seen.where = r->where;
  // Clear before throwing, so the next op starts clean; the word is reset in order on the
  // current stream and waited for, so no later kernel finds it still claimed.
  r->op = 0;
  set_device(device);
  EC_CUDA(cudaMemsetAsync(e->claim, 0, sizeof(unsigned int), current_stream(device)));
  EC_CUDA(cudaStreamSynchronize(current_stream(device)));
  fail(EMBER_ERROR_INVALID_ARGUMENT,
       describe(seen) + " (found on cuda:" + std::to_string(device) +
           " by an asynchronous kernel, reported at the next synchronising call)");
}

void check_device_error() { check_device_error(current_device()); }

}  // namespace ember_cuda
