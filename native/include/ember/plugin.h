/* Ember backend plugins: the contract between libember and a device backend built as its own shared
 * library (libember_cuda, libember_hip, ...). Plugin authors include only this header.
 *
 * ember_backend_load(path) dlopen()s the library and calls its exported entry point
 *     EMBER_PLUGIN_EXPORT ember_status ember_plugin_register(const ember_plugin_host* host);
 * which describes its device type with an ember_backend table and hands it to
 * host->register_backend, then hands over its kernels with host->register_kernel. Libraries are
 * never unloaded, so everything the tables point to may live as long as the process.
 *
 * Kernels. The engine checks arguments, promotes types and allocates outputs; a kernel only
 * computes. Kernels come in families named as the engine's dispatch tables ("fill", "copy",
 * "binary", "matmul", ...); a family's C signature is the engine's kernel signature with every
 * tensor as a const ember_kernel_tensor* (NULL for an absent optional tensor), every enum and bool
 * as int32_t, and a leading void* kernel context. Registration names the signature as a string of
 * one code per argument after the context (see EMBER_KERNEL_ARG_CODES and, from C++,
 * ember_plugin::signature_of); the engine refuses a family it does not know or a signature that
 * differs from its own, so a stale plugin fails at load time rather than at a call. A kernel
 * returns EMBER_OK or a status explained by the backend's last_error. The enum values are those of
 * the engine's sources the plugin was built from; EMBER_PLUGIN_API_VERSION pins that build. */
#ifndef EMBER_PLUGIN_H
#define EMBER_PLUGIN_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change of the structs below. */
#define EMBER_PLUGIN_API_VERSION 4

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
  /* Waits until the device has finished all work queued so far; faults of earlier kernels surface
   * here. */
  ember_status (*synchronize)(void* ctx, int32_t device_index);
  /* The allocator's statistics and handing its cached blocks back to the device. */
  ember_status (*memory_stats)(void* ctx, int32_t device_index, ember_memory_stats* out);
  ember_status (*empty_cache)(void* ctx, int32_t device_index);
  ember_status (*reset_peak_memory)(void* ctx, int32_t device_index);
  /* Optional (NULL: the backend has no settings). A setting of ember_set_backend_option, e.g.
   * "cuda.matmul.allow_tf32"; the engine checks names and sends every setting once at registration
   * and again whenever it changes. A backend ignores names it has no use for. */
  ember_status (*set_option)(void* ctx, const char* name, int64_t value);

  /* Streams and events (optional: all NULL when the backend has none). Streams and events are
   * the backend's opaque handles; the NULL stream is the device's default stream. The current
   * stream belongs to the calling thread and device: that thread's kernels, copies and
   * allocations go to it. */
  ember_status (*stream_create)(void* ctx, int32_t device_index, int32_t priority, void** out);
  ember_status (*stream_destroy)(void* ctx, int32_t device_index, void* stream);
  ember_status (*set_current_stream)(void* ctx, int32_t device_index, void* stream);
  ember_status (*current_stream)(void* ctx, int32_t device_index, void** out);
  ember_status (*stream_synchronize)(void* ctx, int32_t device_index, void* stream);
  /* *done = 1 when all work queued on the stream (or recorded by the event) has finished. */
  ember_status (*stream_query)(void* ctx, int32_t device_index, void* stream, int32_t* done);
  /* Work queued on stream after this call waits for the event's recorded work. */
  ember_status (*stream_wait_event)(void* ctx, int32_t device_index, void* stream, void* event);
  ember_status (*event_create)(void* ctx, int32_t device_index, int32_t enable_timing, void** out);
  ember_status (*event_destroy)(void* ctx, int32_t device_index, void* event);
  ember_status (*event_record)(void* ctx, int32_t device_index, void* event, void* stream);
  ember_status (*event_synchronize)(void* ctx, int32_t device_index, void* event);
  ember_status (*event_query)(void* ctx, int32_t device_index, void* event, int32_t* done);
  ember_status (*event_elapsed_ms)(void* ctx, int32_t device_index, void* start, void* end,
                                   float* out);
  /* The allocation at ptr is used on stream too: its memory is not handed out again until the
   * work queued there by then has finished (PyTorch's record_stream). */
  ember_status (*record_stream)(void* ctx, int32_t device_index, void* ptr, void* stream);

  /* Page-locked host memory (optional: all NULL when the backend has none), which the device
   * reads asynchronously. host_deallocate may hold a block back until copies queued from it have
   * finished. copy_host_to_device_async queues a copy from such memory on the current stream and
   * returns at once. */
  void* (*host_allocate)(void* ctx, int64_t nbytes);
  void (*host_deallocate)(void* ctx, void* ptr);
  ember_status (*copy_host_to_device_async)(void* ctx, int32_t device_index, void* dst,
                                            const void* src, int64_t nbytes);

  /* Graphs (CUDA graphs; optional: all NULL when the backend has none). graph_capture_begin makes
   * a graph object with a memory pool of its own and starts recording the work this thread queues
   * on its current stream, which must not be the default stream; allocations on that stream come
   * from the pool until graph_capture_end, and the pool keeps them for replays. Work that would
   * wait on the host while recording fails with an error and leaves the recording intact.
   * graph_replay queues the recorded work on the current stream. graph_destroy frees the graph;
   * its pool goes back to the device once the tensors still using it are freed. */
  ember_status (*graph_capture_begin)(void* ctx, int32_t device_index, void** out_graph);
  ember_status (*graph_capture_end)(void* ctx, int32_t device_index, void* graph);
  ember_status (*graph_replay)(void* ctx, int32_t device_index, void* graph);
  ember_status (*graph_destroy)(void* ctx, int32_t device_index, void* graph);
} ember_backend;

/* Up to this many dims in a kernel tensor. */
#define EMBER_KERNEL_MAX_DIMS 16

/* A tensor as a kernel sees it: element 0's address and the layout in elements. */
typedef struct ember_kernel_tensor {
  void* data;
  const int64_t* sizes;
  const int64_t* strides;
  int64_t numel;
  int32_t ndim;
  int32_t dtype; /* ember_dtype */
  int32_t device_index;
  int32_t is_contiguous;
} ember_kernel_tensor;

/* A host array of int64 (indices the engine has already checked), valid until the kernel
 * returns. */
typedef struct ember_int64_span {
  const int64_t* data;
  int64_t size;
} ember_int64_span;

/* A host array of such arrays (one index table per dim; an empty one means "every position"). */
typedef struct ember_int64_spans {
  const ember_int64_span* data;
  int64_t size;
} ember_int64_spans;

/* A host array of kernel tensors (the per-parameter operands of a multi-tensor optimizer step),
 * valid until the kernel returns; size 0 stands for a list the call does without. */
typedef struct ember_kernel_tensors {
  const ember_kernel_tensor* data;
  int64_t size;
} ember_kernel_tensors;

/* The result of a family whose size only the kernel can know (masked_select, nonzero): the
 * kernel calls allocate once, with the result's dtype and sizes, and fills the tensor it gets
 * (on the device of the kernel's tensor arguments, contiguous, valid until the kernel returns).
 * allocate returns NULL when that fails; the kernel then returns any error status and the
 * engine reports the allocation's own error. */
typedef struct ember_kernel_output ember_kernel_output;
struct ember_kernel_output {
  void* host_ctx;
  const ember_kernel_tensor* (*allocate)(ember_kernel_output* self, int32_t dtype, int32_t ndim,
                                         const int64_t* sizes);
};

/* Signature codes, one per kernel argument after the context:
 *   t  const ember_kernel_tensor*    s  ember_scalar    i  int32_t (enums and bools too)
 *   l  int64_t    u  uint64_t    d  double    f  float
 *   p  const void*, pointing at an options struct of the engine's sources (conv, pool, optimizer)
 *   a  ember_int64_span    v  ember_int64_spans    c  const char* (the public op's name, for
 *   messages)    T  ember_kernel_tensors
 *   o  ember_kernel_output*, always last, for families that return a tensor
 */
#define EMBER_KERNEL_ARG_CODES "tsiludfpacvTo"

/* Kernels travel as this generic function pointer type (C allows casts between function pointer
 * types, not to void*) and are called with their family's signature. */
typedef void (*ember_kernel_fn)(void);

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
  /* Installs kernel (a function of the family's signature) for device_type, whose backend must be
   * registered already; kernel_ctx is its first argument on every call. Fails for an unknown
   * family or a signature other than the engine's. */
  ember_status (*register_kernel)(void* host_ctx, int32_t device_type, const char* family,
                                  const char* signature, ember_kernel_fn kernel, void* kernel_ctx);
} ember_plugin_host;

/* The entry point each plugin exports under the name "ember_plugin_register". */
typedef ember_status (*ember_plugin_register_fn)(const ember_plugin_host* host);

#ifdef __cplusplus
}

/* C++ plugins compute a kernel's signature string from its type, so it cannot drift from the code.
 */
#include <string>
#include <type_traits>

namespace ember_plugin {

template <class T>
constexpr char arg_code() {
  if constexpr (std::is_same_v<T, const ember_kernel_tensor*>)
    return 't';
  else if constexpr (std::is_same_v<T, ember_scalar>)
    return 's';
  else if constexpr (std::is_same_v<T, int32_t>)
    return 'i';
  else if constexpr (std::is_same_v<T, int64_t>)
    return 'l';
  else if constexpr (std::is_same_v<T, uint64_t>)
    return 'u';
  else if constexpr (std::is_same_v<T, double>)
    return 'd';
  else if constexpr (std::is_same_v<T, float>)
    return 'f';
  else if constexpr (std::is_same_v<T, const void*>)
    return 'p';
  else if constexpr (std::is_same_v<T, ember_int64_span>)
    return 'a';
  else if constexpr (std::is_same_v<T, ember_int64_spans>)
    return 'v';
  else if constexpr (std::is_same_v<T, const char*>)
    return 'c';
  else if constexpr (std::is_same_v<T, ember_kernel_tensors>)
    return 'T';
  else if constexpr (std::is_same_v<T, ember_kernel_output*>)
    return 'o';
  else
    static_assert(sizeof(T) == 0, "no kernel argument code for this type");
}

template <class... A>
std::string signature_of(ember_status (*)(void*, A...)) {
  return std::string{arg_code<A>()...};
}

}  // namespace ember_plugin
#endif

#endif /* EMBER_PLUGIN_H */
