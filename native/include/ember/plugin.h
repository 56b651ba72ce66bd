/* Ember backend plugins: the contract between libember and a device backend built as its own shared
 * library (libember_cuda, libember_hip, ...). Plugin authors include only this header.
 *
 * ember_backend_load(path) dlopen()s the library and calls its exported entry point
 *     EMBER_PLUGIN_EXPORT ember_status ember_plugin_register(const ember_plugin_host* host);
 * which describes its device type with an ember_backend table and hands it to
 * host->register_backend. Libraries are never unloaded, so everything the table points to may live
 * as long as the process. */
#ifndef EMBER_PLUGIN_H
#define EMBER_PLUGIN_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change of the structs below. */
#define EMBER_PLUGIN_API_VERSION 1

#if defined(_WIN32)
#define EMBER_PLUGIN_EXPORT __declspec(dllexport)
#else
#define EMBER_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Memory and data movement of one device type. The host copies the table; ctx is handed back to
 * every callback. Calls may come from any thread. Copies are synchronous: the bytes are in place
 * when the call returns. Callbacks returning ember_status explain a failure through last_error. */
typedef struct ember_backend {
  uint32_t struct_size; /* sizeof(ember_backend) */
  uint32_t api_version; /* EMBER_PLUGIN_API_VERSION */
  int32_t device_type;  /* ember_device_type; one backend per type */
  int32_t reserved;
  const char* name; /* short name for messages, e.g. "CUDA 12.4 (driver 550)" */
  void* ctx;

  int32_t (*device_count)(void* ctx);
  /* NULL when out of memory. For nbytes == 0 it may return NULL or a pointer. */
  void* (*allocate)(void* ctx, int32_t device_index, int64_t nbytes);
  void (*deallocate)(void* ctx, int32_t device_index, void* ptr, int64_t nbytes);
  ember_status (*copy_host_to_device)(void* ctx, int32_t device_index, void* dst, const void* src,
                                      int64_t nbytes);
  ember_status (*copy_device_to_host)(void* ctx, int32_t device_index, void* dst, const void* src,
                                      int64_t nbytes);
  /* Between two devices of this type (possibly the same one). */
  ember_status (*copy_device_to_device)(void* ctx, int32_t dst_index, void* dst, int32_t src_index,
                                        const void* src, int64_t nbytes);
  /* Message of this thread's last failed callback. */
  const char* (*last_error)(void* ctx);
} ember_backend;

/* What libember offers a plugin while it registers. */
typedef struct ember_plugin_host {
  uint32_t struct_size; /* sizeof(ember_plugin_host) */
  uint32_t api_version; /* EMBER_PLUGIN_API_VERSION of the host */
  int32_t abi_version;  /* EMBER_ABI_VERSION of the host */
  int32_t reserved;
  void* host_ctx;
  /* Registers (a copy of) backend; fails when the type already has one or the table is invalid. */
  ember_status (*register_backend)(void* host_ctx, const ember_backend* backend);
  /* Says why ember_plugin_register is about to fail; the text ends up in ember_last_error(). */
  void (*set_error)(void* host_ctx, const char* message);
} ember_plugin_host;

/* The entry point each plugin exports under the name "ember_plugin_register". */
typedef ember_status (*ember_plugin_register_fn)(const ember_plugin_host* host);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_PLUGIN_H */
