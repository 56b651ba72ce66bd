#include "backend.h"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "error.h"
#include "plugin_kernels.h"

namespace ember {

namespace {

const char* type_name(DeviceType t) {
  switch (t) {
    case DeviceType::CPU:
      return "CPU";
    case DeviceType::CUDA:
      return "CUDA";
    case DeviceType::HIP:
      return "HIP";
    case DeviceType::Metal:
      return "Metal";
  }
  return "unknown";
}

// A backend's page-locked host memory, seen as an Allocator of CPU storage.
class PinnedAllocator final : public Allocator {
 public:
  explicit PinnedAllocator(const ember_backend& table) : table_(table) {}
  void* allocate(int64_t nbytes) override {
    void* p = table_.host_allocate(table_.ctx, nbytes);
    EMBER_CHECK(p != nullptr || nbytes == 0, EMBER_ERROR_OUT_OF_MEMORY,
                "out of memory: cannot allocate ", nbytes, " bytes of pinned host memory (",
                table_.name ? table_.name : "backend", ")");
    return p;
  }
  void deallocate(void* p, int64_t) noexcept override {
    if (p != nullptr) table_.host_deallocate(table_.ctx, p);
  }
  bool pinned() const noexcept override { return true; }

 private:
  const ember_backend& table_;
};

class PluginBackend;

// One device of a plugin backend, seen as an Allocator.
class PluginAllocator final : public Allocator {
 public:
  PluginAllocator(const PluginBackend& backend, int32_t index) : backend_(backend), index_(index) {}
  void* allocate(int64_t nbytes) override;
  void deallocate(void* p, int64_t nbytes) noexcept override;

 private:
  const PluginBackend& backend_;
  int32_t index_;
};

class PluginBackend {
 public:
  explicit PluginBackend(const ember_backend& table)
      : table_(table), name_(table.name ? table.name : type_name(type())) {
    const int32_t count = std::max(table_.device_count(table_.ctx), 0);
    for (int32_t i = 0; i < count; ++i)
      allocators_.push_back(std::make_unique<PluginAllocator>(*this, i));
    if (table_.host_allocate != nullptr && table_.host_deallocate != nullptr)
      pinned_ = std::make_unique<PinnedAllocator>(table_);
  }

  DeviceType type() const { return static_cast<DeviceType>(table_.device_type); }
  // Null when the backend has no page-locked host memory.
  Allocator* pinned() { return pinned_.get(); }
  const ember_backend& table() const { return table_; }
  const std::string& name() const { return name_; }
  int32_t count() const { return static_cast<int32_t>(allocators_.size()); }
  Allocator& allocator(int32_t index) { return *allocators_[static_cast<size_t>(index)]; }
  std::string last_error() const {
    const char* msg = table_.last_error(table_.ctx);
    return msg && *msg ? msg : "no message";
  }

 private:
  ember_backend table_;
  std::string name_;
  std::vector<std::unique_ptr<PluginAllocator>> allocators_;
  std::unique_ptr<PinnedAllocator> pinned_;
};

void* PluginAllocator::allocate(int64_t nbytes) {
  void* p = backend_.table().allocate(backend_.table().ctx, index_, nbytes);
  EMBER_CHECK(
      p != nullptr || nbytes == 0, EMBER_ERROR_OUT_OF_MEMORY, "out of memory: cannot allocate ",
      nbytes, " bytes (", static_cast<double>(nbytes) / (1 << 30), " GiB) on ",
      device_name({backend_.type(), index_}), " (", backend_.name(), "): ", backend_.last_error());
  return p;
}

void PluginAllocator::deallocate(void* p, int64_t nbytes) noexcept {
  backend_.table().deallocate(backend_.table().ctx, index_, p, nbytes);
}

// Set once per device type and never removed (plugins are never unloaded), so readers need no lock.
std::array<std::atomic<PluginBackend*>, kNumDeviceTypes> g_backends{};
std::mutex g_register_mutex;
std::mutex g_load_mutex;
std::vector<void*> g_loaded;  // dlopen handles of registered plugins

// Backend settings, with PyTorch's defaults for torch.backends.*; guarded by g_register_mutex.
struct Option {
  const char* name;
  int64_t value;
};
std::array<Option, 8> g_options = {{
    {"cuda.matmul.allow_tf32", 0},
    {"cuda.matmul.allow_fp16_reduced_precision_reduction", 1},
    {"cuda.matmul.allow_bf16_reduced_precision_reduction", 1},
    {"cudnn.enabled", 1},
    {"cudnn.benchmark", 0},
    {"cudnn.deterministic", 0},
    {"cudnn.allow_tf32", 1},
    {"cuda.batch_small_ops", 1},  // Ember's own: small elementwise ops share launches
}};

Option& find_option(const char* name) {
  EMBER_CHECK(name != nullptr, EMBER_ERROR_INVALID_ARGUMENT, "backend option: name is NULL");
  for (Option& o : g_options)
    if (std::strcmp(o.name, name) == 0) return o;
  std::string known;
  for (const Option& o : g_options) known += std::string(known.empty() ? "" : ", ") + o.name;
  EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, "backend option: unknown name '", name,
             "' (known: ", known, ")");
}

PluginBackend* find_backend(DeviceType t) {
  const int i = static_cast<int>(t);
  if (i <= 0 || i >= kNumDeviceTypes) return nullptr;
  return g_backends[static_cast<size_t>(i)].load(std::memory_order_acquire);
}

PluginBackend& backend_of(const char* op, Device d) {
  check_device(op, d);
  return *find_backend(d.type);
}

void check_copy(ember_status status, PluginBackend& b, const char* what, int64_t nbytes,
                Device from, Device to) {
  EMBER_CHECK(status == EMBER_OK, EMBER_ERROR_BACKEND, "copy: ", b.name(), " failed ", what, " of ",
              nbytes, " bytes from ", device_name(from), " to ", device_name(to), ": ",
              b.last_error());
}

struct HostContext {
  std::string error;
  bool registered = false;
};

// Runs a host callback's body for a plugin: an error becomes its status, with the text kept for
// load_backend's message.
template <class F>
ember_status host_call(void* host_ctx, F&& body) {
  auto* hc = static_cast<HostContext*>(host_ctx);
  try {
    body(*hc);
    return EMBER_OK;
  } catch (const Error& e) {
    hc->error = e.what();
    return e.status();
  } catch (const std::exception& e) {
    hc->error = e.what();
    return EMBER_ERROR_INTERNAL;
  }
}

ember_status host_register(void* host_ctx, const ember_backend* backend) {
  return host_call(host_ctx, [&](HostContext& hc) {
    EMBER_CHECK(backend != nullptr, EMBER_ERROR_BACKEND, "register_backend: null backend table");
    register_backend(*backend);
    hc.registered = true;
  });
}

void host_set_error(void* host_ctx, const char* message) {
  static_cast<HostContext*>(host_ctx)->error = message ? message : "";
}

ember_status host_register_kernel(void* host_ctx, int32_t device_type, const char* family,
                                  const char* signature, ember_kernel_fn kernel, void* kernel_ctx) {
  return host_call(host_ctx, [&](HostContext&) {
    register_plugin_kernel(device_type, family, signature, kernel, kernel_ctx);
  });
}

}  // namespace

bool backend_available(DeviceType type) {
  return type == DeviceType::CPU || find_backend(type) != nullptr;
}

int32_t device_count(DeviceType type) {
  if (type == DeviceType::CPU) return 1;
  const PluginBackend* b = find_backend(type);
  return b ? b->count() : 0;
}

void check_device(const char* op, Device d) {
  const int t = static_cast<int>(d.type);
  EMBER_CHECK(t >= 0 && t < kNumDeviceTypes, EMBER_ERROR_DEVICE, op, ": invalid device type ", t);
  if (d.type == DeviceType::CPU) {
    EMBER_CHECK(d.index == 0, EMBER_ERROR_DEVICE, op, ": invalid CPU device index ", d.index,
                " (the CPU is device 0)");
    return;
  }
  const PluginBackend* b = find_backend(d.type);
  EMBER_CHECK(b != nullptr, EMBER_ERROR_DEVICE, op, ": device ", device_name(d),
              " is not available: no ", type_name(d.type),
              " backend is loaded (see ember_backend_load)");
  EMBER_CHECK(d.index >= 0 && d.index < b->count(), EMBER_ERROR_DEVICE, op, ": device ",
              device_name(d), " is not available: the ", type_name(d.type), " backend (", b->name(),
              ") has ", b->count(), " device(s)");
}

Allocator& device_allocator(Device d) {
  if (d.type == DeviceType::CPU && d.index == 0) return cpu_allocator();
  return backend_of("empty", d).allocator(d.index);
}

Allocator& pinned_host_allocator(const char* op) {
  for (int t = 1; t < kNumDeviceTypes; ++t) {
    PluginBackend* b = find_backend(static_cast<DeviceType>(t));
    if (b != nullptr && b->pinned() != nullptr) return *b->pinned();
  }
  EMBER_FAIL(EMBER_ERROR_DEVICE, op,
             ": pinned host memory needs a GPU backend, and none that offers it is loaded");
}

bool copy_to_device_async(void* dst, Device dst_device, const void* src, int64_t nbytes) {
  PluginBackend& b = backend_of("copy", dst_device);
  if (b.table().copy_host_to_device_async == nullptr) return false;
  if (nbytes == 0) return true;
  check_copy(b.table().copy_host_to_device_async(b.table().ctx, dst_device.index, dst, src, nbytes),
             b, "asynchronous host-to-device copy", nbytes, Device{}, dst_device);
  return true;
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, int64_t nbytes) {
  if (nbytes == 0) return;
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memcpy(dst, src, static_cast<size_t>(nbytes));
  } else if (src_device.is_cpu()) {
    PluginBackend& b = backend_of("copy", dst_device);
    check_copy(b.table().copy_host_to_device(b.table().ctx, dst_device.index, dst, src, nbytes), b,
               "host-to-device copy", nbytes, src_device, dst_device);
  } else if (dst_device.is_cpu()) {
    PluginBackend& b = backend_of("copy", src_device);
    check_copy(b.table().copy_device_to_host(b.table().ctx, src_device.index, dst, src, nbytes), b,
               "device-to-host copy", nbytes, src_device, dst_device);
  } else if (dst_device.type == src_device.type) {
    PluginBackend& b = backend_of("copy", src_device);
    check_device("copy", dst_device);
    check_copy(b.table().copy_device_to_device(b.table().ctx, dst_device.index, dst,
                                               src_device.index, src, nbytes),
               b, "device-to-device copy", nbytes, src_device, dst_device);
  } else {
    // Two backends know nothing of each other: stage through host memory.
    check_device("copy", dst_device);
    std::unique_ptr<char[]> staging(new char[static_cast<size_t>(nbytes)]);
    copy_bytes(staging.get(), Device{}, src, src_device, nbytes);
    copy_bytes(dst, dst_device, staging.get(), Device{}, nbytes);
  }
}

namespace {

// Calls an optional device-wide callback of d's backend; a backend without it has nothing to do.
template <class Call>
void device_call(const char* op, Device d, Call call) {
  PluginBackend& b = backend_of(op, d);
  const ember_status status = call(b.table());
  EMBER_CHECK(status == EMBER_OK, status, op, " on ", device_name(d), " (", b.name(),
              ") failed: ", b.last_error());
}

}  // namespace

void synchronize(Device d) {
  if (d.is_cpu()) return check_device("synchronize", d);
  device_call("synchronize", d, [&](const ember_backend& t) {
    return t.synchronize ? t.synchronize(t.ctx, d.index) : EMBER_OK;
  });
}

ember_memory_stats memory_stats(Device d) {
  if (d.is_cpu()) {
    check_device("memory_stats", d);
    return cpu_memory_stats();
  }
  ember_memory_stats s{};
  device_call("memory_stats", d, [&](const ember_backend& t) {
    return t.memory_stats ? t.memory_stats(t.ctx, d.index, &s) : EMBER_OK;
  });
  return s;
}

void reset_peak_memory(Device d) {
  if (d.is_cpu()) {
    check_device("reset_peak_memory", d);
    return cpu_reset_peak_memory();
  }
  device_call("reset_peak_memory", d, [&](const ember_backend& t) {
    return t.reset_peak_memory ? t.reset_peak_memory(t.ctx, d.index) : EMBER_OK;
  });
}

void empty_cache(Device d) {
  if (d.is_cpu()) {
    check_device("empty_cache", d);
    return cpu_empty_cache();
  }
  device_call("empty_cache", d, [&](const ember_backend& t) {
    return t.empty_cache ? t.empty_cache(t.ctx, d.index) : EMBER_OK;
  });
}

const ember_backend& backend_table(const char* op, Device d) {
  EMBER_CHECK(d.type != DeviceType::CPU, EMBER_ERROR_DEVICE, op,
              ": the CPU has no streams or events (they belong to GPU devices)");
  return backend_of(op, d).table();
}

void set_backend_option(const char* name, int64_t value) {
  std::lock_guard<std::mutex> lock(g_register_mutex);
  Option& o = find_option(name);
  for (int t = 1; t < kNumDeviceTypes; ++t) {
    PluginBackend* b = find_backend(static_cast<DeviceType>(t));
    if (b == nullptr || b->table().set_option == nullptr) continue;
    EMBER_CHECK(b->table().set_option(b->table().ctx, name, value) == EMBER_OK, EMBER_ERROR_BACKEND,
                "backend option '", name, "' = ", value, ": ", b->name(),
                " refused it: ", b->last_error());
  }
  o.value = value;
}

int64_t backend_option(const char* name) {
  std::lock_guard<std::mutex> lock(g_register_mutex);
  return find_option(name).value;
}

std::string backend_name(DeviceType type) {
  const PluginBackend* b = find_backend(type);
  return b ? b->name() : type_name(type);
}

std::string backend_last_error(DeviceType type) {
  const PluginBackend* b = find_backend(type);
  return b ? b->last_error() : "no backend";
}

void register_backend(const ember_backend& backend) {
  EMBER_CHECK(backend.struct_size >= sizeof(ember_backend) &&
                  backend.api_version == EMBER_PLUGIN_API_VERSION,
              EMBER_ERROR_BACKEND, "register_backend: plugin API version ", backend.api_version,
              " (table of ", backend.struct_size, " bytes) does not match the engine's version ",
              EMBER_PLUGIN_API_VERSION, " (", sizeof(ember_backend), " bytes)");
  const int t = backend.device_type;
  EMBER_CHECK(t > 0 && t < kNumDeviceTypes, EMBER_ERROR_BACKEND,
              "register_backend: invalid device type ", t, " (the CPU backend is built in)");
  EMBER_CHECK(backend.device_count && backend.allocate && backend.deallocate &&
                  backend.copy_host_to_device && backend.copy_device_to_host &&
                  backend.copy_device_to_device && backend.last_error,
              EMBER_ERROR_BACKEND, "register_backend: the ", type_name(static_cast<DeviceType>(t)),
              " backend table leaves a function pointer null");
  const int graph_callbacks =
      (backend.graph_capture_begin != nullptr) + (backend.graph_capture_end != nullptr) +
      (backend.graph_replay != nullptr) + (backend.graph_destroy != nullptr);
  EMBER_CHECK(graph_callbacks == 0 || graph_callbacks == 4, EMBER_ERROR_BACKEND,
              "register_backend: the ", type_name(static_cast<DeviceType>(t)),
              " backend table sets some graph callbacks but not all four");
  std::lock_guard<std::mutex> lock(g_register_mutex);
  if (PluginBackend* existing = find_backend(static_cast<DeviceType>(t))) {
    EMBER_FAIL(EMBER_ERROR_BACKEND, "register_backend: a ", type_name(existing->type()),
               " backend is already registered (", existing->name(), ")");
  }
  auto b = std::make_unique<PluginBackend>(backend);
  if (backend.set_option != nullptr) {
    for (const Option& o : g_options) {
      EMBER_CHECK(backend.set_option(backend.ctx, o.name, o.value) == EMBER_OK, EMBER_ERROR_BACKEND,
                  "register_backend: ", b->name(), " refused option '", o.name, "' = ", o.value,
                  ": ", b->last_error());
    }
  }
  g_backends[static_cast<size_t>(t)].store(b.release(), std::memory_order_release);
}

void load_backend(const char* path) {
  std::lock_guard<std::mutex> lock(g_load_mutex);
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  EMBER_CHECK(handle != nullptr, EMBER_ERROR_BACKEND, "backend_load: cannot load '", path,
              "': ", dlerror());
  if (std::find(g_loaded.begin(), g_loaded.end(), handle) != g_loaded.end()) {
    dlclose(handle);  // drops the reference this dlopen added; the library stays loaded
    return;
  }
  auto entry = reinterpret_cast<ember_plugin_register_fn>(dlsym(handle, "ember_plugin_register"));
  if (entry == nullptr) {
    const std::string why = dlerror();
    dlclose(handle);
    EMBER_FAIL(EMBER_ERROR_BACKEND, "backend_load: '", path,
               "' is not an Ember backend (no ember_plugin_register): ", why);
  }
  HostContext hc;
  const ember_plugin_host host = {sizeof(ember_plugin_host),
                                  EMBER_PLUGIN_API_VERSION,
                                  EMBER_ABI_VERSION,
                                  0,
                                  &hc,
                                  &host_register,
                                  &host_set_error,
                                  &host_register_kernel};
  const ember_status status = entry(&host);
  if (status == EMBER_OK) {
    g_loaded.push_back(handle);
    return;
  }
  // A library that registered a backend stays loaded (the engine now points into it).
  if (!hc.registered) dlclose(handle);
  EMBER_FAIL(EMBER_ERROR_BACKEND, "backend_load: plugin '", path, "' failed to register (status ",
             static_cast<int>(status), "): ", hc.error.empty() ? "no message" : hc.error);
}

}  // namespace ember
