// The backend registry: which devices exist, how to allocate on them and how bytes cross between
// them. The CPU is built in; GPU backends are plugins (see ember/plugin.h) registered at run time.
// Kernels are not here: they live in the per-device dispatch tables.
#pragma once

#include <cstdint>
#include <string>

#include "device.h"
#include "ember/plugin.h"
#include "storage.h"

namespace ember {

// True when device type `type` has a backend (always for the CPU).
bool backend_available(DeviceType type);
// Number of devices of `type`: 1 for the CPU, 0 when no backend is loaded.
int32_t device_count(DeviceType type);
// Throws Error(EMBER_ERROR_DEVICE) naming op when d has no backend or its index is out of range.
void check_device(const char* op, Device d);
// The allocator of device d; throws like check_device (op "empty") when d is unavailable.
Allocator& device_allocator(Device d);

// Page-locked host memory from the first loaded backend that offers it (CUDA's); throws
// Error(EMBER_ERROR_DEVICE) naming op when none does.
Allocator& pinned_host_allocator(const char* op);
// Queues a copy of nbytes from page-locked host memory to dst on its device's current stream and
// returns at once; false (nothing done) when dst's backend cannot copy asynchronously.
bool copy_to_device_async(void* dst, Device dst_device, const void* src, int64_t nbytes);

// Copies nbytes contiguous bytes from src on src_device to dst on dst_device; either side or both
// may be the CPU. Synchronous. Throws Error(EMBER_ERROR_BACKEND) when the backend reports a fault.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, int64_t nbytes);

// Device-wide calls (see ember_device_synchronize and friends); d must be available.
void synchronize(Device d);
ember_memory_stats memory_stats(Device d);
void reset_peak_memory(Device d);
void empty_cache(Device d);

// The callback table of d's plugin backend, for calls the engine forwards as they are (streams,
// events). Throws Error(EMBER_ERROR_DEVICE) naming op when d is the CPU or unavailable.
const ember_backend& backend_table(const char* op, Device d);
// Backend settings by name, PyTorch's torch.backends flags ("cuda.matmul.allow_tf32",
// "cudnn.benchmark", ...; see backend.cpp for the list and defaults). Setting one hands it to every
// registered backend that has settings; a backend registered later receives them all. Unknown
// names throw Error(EMBER_ERROR_INVALID_ARGUMENT) listing the known ones.
void set_backend_option(const char* name, int64_t value);
int64_t backend_option(const char* name);

// The backend's name and the message of its last failure on this thread, for kernel errors.
std::string backend_name(DeviceType type);
std::string backend_last_error(DeviceType type);

// Registers a backend table (plugins do this through ember_plugin_host::register_backend).
// Throws Error(EMBER_ERROR_BACKEND) when the table is invalid or its type already has a backend.
void register_backend(const ember_backend& backend);

// dlopen()s a plugin and calls its ember_plugin_register. Loading a library already loaded is a
// no-op. Throws Error(EMBER_ERROR_BACKEND) with dlerror's text (or the plugin's) on failure.
void load_backend(const char* path);

}  // namespace ember
