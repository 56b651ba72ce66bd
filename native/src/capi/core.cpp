// C ABI: library-wide calls (errors, version, threads, memory, generators, backends).
#include "ember/core.h"

#include "core/backend.h"
#include "core/parallel.h"
#include "core/storage.h"
#include "shim.h"

using namespace ember;

namespace {

int32_t device_type_arg(const char* op, int32_t type) {
  EMBER_CHECK(type >= 0 && type < kNumDeviceTypes, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": invalid device type ", type);
  return type;
}

}  // namespace

extern "C" {

EMBER_API const char* ember_last_error(void) { return capi::last_error(); }

EMBER_API ember_status ember_abi_version(int32_t* out) {
  return capi::get("abi_version", out, [](const char*) { return EMBER_ABI_VERSION; });
}

EMBER_API ember_status ember_set_num_threads(int32_t n) {
  return capi::guard("set_num_threads", [&](const char*) { set_num_threads(n); });
}

EMBER_API ember_status ember_get_num_threads(int32_t* out) {
  return capi::get("get_num_threads", out, [](const char*) { return num_threads(); });
}

EMBER_API ember_status ember_cpu_bytes_allocated(int64_t* out) {
  return capi::get("cpu_bytes_allocated", out, [](const char*) { return cpu_bytes_allocated(); });
}

EMBER_API ember_status ember_device_synchronize(ember_device device) {
  return capi::guard("synchronize",
                     [&](const char* op) { synchronize(capi::device_arg(op, device)); });
}

EMBER_API ember_status ember_device_memory_stats(ember_device device, ember_memory_stats* out) {
  return capi::guard("memory_stats", [&](const char* op) {
    EMBER_CHECK(out != nullptr, EMBER_ERROR_INVALID_ARGUMENT, op, ": out must not be NULL");
    *out = memory_stats(capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_device_reset_peak_memory(ember_device device) {
  return capi::guard("reset_peak_memory",
                     [&](const char* op) { reset_peak_memory(capi::device_arg(op, device)); });
}

EMBER_API ember_status ember_device_empty_cache(ember_device device) {
  return capi::guard("empty_cache",
                     [&](const char* op) { empty_cache(capi::device_arg(op, device)); });
}

EMBER_API ember_status ember_set_backend_option(const char* name, int64_t value) {
  return capi::guard("set_backend_option", [&](const char*) { set_backend_option(name, value); });
}

EMBER_API ember_status ember_get_backend_option(const char* name, int64_t* out) {
  return capi::get("get_backend_option", out, [&](const char*) { return backend_option(name); });
}

EMBER_API ember_status ember_manual_seed(uint64_t seed) {
  return capi::guard("manual_seed", [&](const char*) { default_generator().manual_seed(seed); });
}

EMBER_API ember_status ember_generator_create(uint64_t seed, ember_generator* out) {
  return capi::get("generator_create", out, [&](const char*) {
    return reinterpret_cast<ember_generator>(Ref<Generator>::make(seed).release_ownership());
  });
}

EMBER_API ember_status ember_generator_release(ember_generator gen) {
  if (gen) reinterpret_cast<Generator*>(gen)->release();
  return EMBER_OK;
}

EMBER_API ember_status ember_generator_get_state(ember_generator gen, uint64_t* seed,
                                                 uint64_t* offset) {
  return capi::guard("generator_get_state", [&](const char* op) {
    EMBER_CHECK(seed != nullptr && offset != nullptr, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": output pointers must not be NULL");
    const Generator::State state = capi::generator_arg(gen).state();
    *seed = state.seed;
    *offset = state.offset;
  });
}

EMBER_API ember_status ember_generator_set_state(ember_generator gen, uint64_t seed,
                                                 uint64_t offset) {
  return capi::guard("generator_set_state", [&](const char*) {
    capi::generator_arg(gen).set_state({seed, offset});
  });
}

EMBER_API ember_status ember_generator_manual_seed(ember_generator gen, uint64_t seed) {
  return capi::guard("generator_manual_seed",
                     [&](const char*) { capi::generator_arg(gen).manual_seed(seed); });
}

EMBER_API ember_status ember_backend_load(const char* path) {
  return capi::guard("backend_load", [&](const char* op) {
    if (path == nullptr) capi::null_argument(op, "path");
    load_backend(path);
  });
}

EMBER_API ember_status ember_backend_is_available(int32_t device_type, int32_t* out) {
  return capi::get("backend_is_available", out, [&](const char* op) {
    return static_cast<int32_t>(
        backend_available(static_cast<DeviceType>(device_type_arg(op, device_type))));
  });
}

EMBER_API ember_status ember_backend_device_count(int32_t device_type, int32_t* out) {
  return capi::get("backend_device_count", out, [&](const char* op) {
    return device_count(static_cast<DeviceType>(device_type_arg(op, device_type)));
  });
}

}  // extern "C"
