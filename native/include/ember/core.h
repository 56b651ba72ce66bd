/* Ember C ABI: status codes, dtypes, devices, scalars, handles and library-wide calls.
 * Rules: fixed-width types only, every function returns ember_status and writes results through
 * out-parameters; ember_last_error() gives the message of the last failure on this thread. */
#ifndef EMBER_CORE_H
#define EMBER_CORE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#if defined(EMBER_BUILDING)
#define EMBER_API __declspec(dllexport)
#else
#define EMBER_API __declspec(dllimport)
#endif
#else
#define EMBER_API __attribute__((visibility("default")))
#endif

/* Marks a call that never blocks, never calls back into its caller and returns in nanoseconds (a
 * metadata read, a reference count increment): the .NET bindings import it with
 * [SuppressGCTransition], which saves the runtime's GC transition on every call. Empty for C
 * compilers; the bindings generator defines EMBER_BINDINGS_GENERATOR and reads the annotation. */
#if defined(EMBER_BINDINGS_GENERATOR)
#define EMBER_NOBLOCK __attribute__((annotate("ember_noblock")))
#else
#define EMBER_NOBLOCK
#endif

/* Bumped on every incompatible change of this header. */
#define EMBER_ABI_VERSION 1

/* Result of every call. Enums are int-sized (asserted by the pure-C header test). */
typedef enum ember_status {
  EMBER_OK = 0,
  EMBER_ERROR_INVALID_ARGUMENT = 1, /* bad value, bad dim, bad index */
  EMBER_ERROR_SHAPE = 2,            /* shapes that do not fit together */
  EMBER_ERROR_DTYPE = 3,            /* dtype not supported or not allowed */
  EMBER_ERROR_DEVICE = 4,           /* device mismatch or unavailable device */
  EMBER_ERROR_OUT_OF_MEMORY = 5,
  EMBER_ERROR_NOT_IMPLEMENTED = 6, /* op has no kernel for this device/dtype */
  EMBER_ERROR_BACKEND = 7,         /* a backend failed to load or reported a fault */
  EMBER_ERROR_INTERNAL = 8
} ember_status;

/* Numbering follows PyTorch's ScalarType so that serialized files map one to one. */
typedef enum ember_dtype {
  EMBER_UINT8 = 0,
  EMBER_INT8 = 1,
  EMBER_INT16 = 2,
  EMBER_INT32 = 3,
  EMBER_INT64 = 4,
  EMBER_FLOAT16 = 5,
  EMBER_FLOAT32 = 6,
  EMBER_FLOAT64 = 7,
  EMBER_BOOL = 11,
  EMBER_BFLOAT16 = 15
} ember_dtype;

typedef enum ember_device_type {
  EMBER_DEVICE_CPU = 0,
  EMBER_DEVICE_CUDA = 1,
  EMBER_DEVICE_HIP = 2,
  EMBER_DEVICE_METAL = 3
} ember_device_type;

typedef struct ember_device {
  int32_t type; /* ember_device_type */
  int32_t index;
} ember_device;

typedef enum ember_scalar_kind {
  EMBER_SCALAR_INT = 0,
  EMBER_SCALAR_FLOAT = 1,
  EMBER_SCALAR_BOOL = 2
} ember_scalar_kind;

/* A number passed by value. Its kind takes part in type promotion as a Python number does:
 * int tensor + 2 stays int, int tensor + 2.5 becomes the default float dtype. */
typedef struct ember_scalar {
  double f;     /* value when kind is EMBER_SCALAR_FLOAT */
  int64_t i;    /* value when kind is EMBER_SCALAR_INT or EMBER_SCALAR_BOOL */
  int32_t kind; /* ember_scalar_kind */
  int32_t reserved;
} ember_scalar;

/* Opaque handles. A tensor handle owns exactly one strong reference. */
typedef struct ember_tensor_impl* ember_tensor;
typedef struct ember_generator_impl* ember_generator;

/* Message of the last failed call on this thread (empty when none). Valid until the next call. */
EMBER_API const char* ember_last_error(void);
EMBER_API ember_status ember_abi_version(int32_t* out);

/* The engine's thread pool (also caps BLAS threads so the two never oversubscribe the cores). */
EMBER_API ember_status ember_set_num_threads(int32_t n);
EMBER_API ember_status ember_get_num_threads(int32_t* out);

/* Bytes currently held by live CPU storages (for leak checks and GC pressure). */
EMBER_API EMBER_NOBLOCK ember_status ember_cpu_bytes_allocated(int64_t* out);

/* Random generators. NULL everywhere a generator is taken means the default (global) one. */
EMBER_API ember_status ember_manual_seed(uint64_t seed);
EMBER_API ember_status ember_generator_create(uint64_t seed, ember_generator* out);
EMBER_API ember_status ember_generator_release(ember_generator gen);
EMBER_API ember_status ember_generator_manual_seed(ember_generator gen, uint64_t seed);
/* A generator's whole state is its seed and how far it has advanced; restoring both replays the
 * same numbers. */
EMBER_API ember_status ember_generator_get_state(ember_generator gen, uint64_t* seed,
                                                 uint64_t* offset);
EMBER_API ember_status ember_generator_set_state(ember_generator gen, uint64_t seed,
                                                 uint64_t offset);

/* What a device's allocator holds, in bytes. */
typedef struct ember_memory_stats {
  int64_t allocated;      /* in live tensors */
  int64_t peak_allocated; /* the most allocated at once since the last reset */
  int64_t reserved;       /* taken from the device: allocated plus cached */
  int64_t num_allocs;     /* allocations served so far */
  int64_t num_ooms;       /* allocations that failed even after freeing the cache */
} ember_memory_stats;

/* Backends. GPU backends are shared libraries registered at run time. */
EMBER_API ember_status ember_backend_load(const char* path);
EMBER_API ember_status ember_backend_is_available(int32_t device_type, int32_t* out);
EMBER_API ember_status ember_backend_device_count(int32_t device_type, int32_t* out);

/* Device-wide calls. synchronize waits for the device's queued work (nothing to wait for on the
 * CPU) and reports faults of earlier kernels. The CPU allocator caches freed large blocks (bounded)
 * as GPU allocators cache all blocks; empty_cache hands cached blocks back. */
EMBER_API ember_status ember_device_synchronize(ember_device device);
EMBER_API ember_status ember_device_memory_stats(ember_device device, ember_memory_stats* out);
EMBER_API ember_status ember_device_reset_peak_memory(ember_device device);
EMBER_API ember_status ember_device_empty_cache(ember_device device);

/* Backend settings, PyTorch's torch.backends flags, by name: "cuda.matmul.allow_tf32" (default 0),
 * "cuda.matmul.allow_fp16_reduced_precision_reduction" (1),
 * "cuda.matmul.allow_bf16_reduced_precision_reduction" (1), "cudnn.enabled" (1),
 * "cudnn.benchmark" (0), "cudnn.deterministic" (0), "cudnn.allow_tf32" (1). They hold for every
 * backend, loaded now or later. An unknown name is EMBER_ERROR_INVALID_ARGUMENT. */
EMBER_API ember_status ember_set_backend_option(const char* name, int64_t value);
EMBER_API ember_status ember_get_backend_option(const char* name, int64_t* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_CORE_H */
