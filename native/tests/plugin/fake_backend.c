/* A fake device backend for the plugin tests: two "HIP" devices whose memory is host memory. It is
 * plain C against ember/plugin.h, as a real plugin's registration code would be. Built with
 * FAKE_BACKEND_FAIL it refuses to register. Counters are exported for the test to inspect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ember/plugin.h"

#define FAKE_DEVICES 2
#define FAKE_LIMIT ((int64_t)1 << 32) /* larger requests fail, to exercise out-of-memory */

static _Thread_local char fake_error[160];

EMBER_PLUGIN_EXPORT int64_t fake_backend_live_bytes[FAKE_DEVICES];
EMBER_PLUGIN_EXPORT int64_t fake_backend_copies;

/* The last value of "cuda.matmul.allow_tf32" the engine handed over (-1: none yet). */
EMBER_PLUGIN_EXPORT int64_t fake_backend_tf32 = -1;

static ember_status fake_set_option(void* ctx, const char* name, int64_t value) {
  (void)ctx;
  if (strcmp(name, "cuda.matmul.allow_tf32") == 0) fake_backend_tf32 = value;
  return EMBER_OK;
}

/* Page-locked host memory, faked with malloc; counts blocks and asynchronous copies. */
EMBER_PLUGIN_EXPORT int64_t fake_backend_pinned_blocks;
EMBER_PLUGIN_EXPORT int64_t fake_backend_async_copies;

static void* fake_host_allocate(void* ctx, int64_t nbytes) {
  (void)ctx;
  ++fake_backend_pinned_blocks;
  return malloc(nbytes > 0 ? (size_t)nbytes : 1);
}

static void fake_host_deallocate(void* ctx, void* ptr) {
  (void)ctx;
  --fake_backend_pinned_blocks;
  free(ptr);
}

static ember_status fake_copy(void* dst, const void* src, int64_t nbytes);

static ember_status fake_h2d_async(void* ctx, int32_t device, void* dst, const void* src,
                                   int64_t nbytes) {
  (void)ctx;
  (void)device;
  ++fake_backend_async_copies;
  return fake_copy(dst, src, nbytes);
}

/* Graphs: a fake graph only remembers whether its recording ended; counts live graphs and replays.
 */
EMBER_PLUGIN_EXPORT int64_t fake_backend_graphs_live;
EMBER_PLUGIN_EXPORT int64_t fake_backend_graph_replays;

typedef struct fake_graph {
  int32_t device;
  int32_t ended;
} fake_graph;

static ember_status fake_graph_begin(void* ctx, int32_t device, void** out) {
  fake_graph* g = (fake_graph*)calloc(1, sizeof *g);
  (void)ctx;
  if (g == NULL) return EMBER_ERROR_OUT_OF_MEMORY;
  g->device = device;
  ++fake_backend_graphs_live;
  *out = g;
  return EMBER_OK;
}

static ember_status fake_graph_end(void* ctx, int32_t device, void* graph) {
  fake_graph* g = (fake_graph*)graph;
  (void)ctx;
  if (g->ended || g->device != device) {
    snprintf(fake_error, sizeof fake_error, "fake graph: not recording on device %d", (int)device);
    return EMBER_ERROR_INVALID_ARGUMENT;
  }
  g->ended = 1;
  return EMBER_OK;
}

static ember_status fake_graph_replay(void* ctx, int32_t device, void* graph) {
  fake_graph* g = (fake_graph*)graph;
  (void)ctx;
  (void)device;
  if (!g->ended) {
    snprintf(fake_error, sizeof fake_error, "fake graph: still recording");
    return EMBER_ERROR_INVALID_ARGUMENT;
  }
  ++fake_backend_graph_replays;
  return EMBER_OK;
}

static ember_status fake_graph_destroy(void* ctx, int32_t device, void* graph) {
  (void)ctx;
  (void)device;
  --fake_backend_graphs_live;
  free(graph);
  return EMBER_OK;
}

static int32_t fake_device_count(void* ctx) {
  (void)ctx;
  return FAKE_DEVICES;
}

static void* fake_allocate(void* ctx, int32_t device, int64_t nbytes) {
  (void)ctx;
  if (nbytes > FAKE_LIMIT) {
    snprintf(fake_error, sizeof fake_error, "fake device %d holds at most %lld bytes", (int)device,
             (long long)FAKE_LIMIT);
    return NULL;
  }
  fake_backend_live_bytes[device] += nbytes;
  return malloc(nbytes > 0 ? (size_t)nbytes : 1);
}

static void fake_deallocate(void* ctx, int32_t device, void* ptr, int64_t nbytes) {
  (void)ctx;
  fake_backend_live_bytes[device] -= nbytes;
  free(ptr);
}

static ember_status fake_copy(void* dst, const void* src, int64_t nbytes) {
  if (dst == NULL || src == NULL) {
    snprintf(fake_error, sizeof fake_error, "null pointer in a copy of %lld bytes",
             (long long)nbytes);
    return EMBER_ERROR_BACKEND;
  }
  memcpy(dst, src, (size_t)nbytes);
  ++fake_backend_copies;
  return EMBER_OK;
}

static ember_status fake_h2d(void* ctx, int32_t device, void* dst, const void* src,
                             int64_t nbytes) {
  (void)ctx;
  (void)device;
  return fake_copy(dst, src, nbytes);
}

static ember_status fake_d2h(void* ctx, int32_t device, void* dst, const void* src,
                             int64_t nbytes) {
  (void)ctx;
  (void)device;
  return fake_copy(dst, src, nbytes);
}

static ember_status fake_d2d(void* ctx, int32_t dst_device, void* dst, int32_t src_device,
                             const void* src, int64_t nbytes) {
  (void)ctx;
  (void)dst_device;
  (void)src_device;
  return fake_copy(dst, src, nbytes);
}

static const char* fake_last_error(void* ctx) {
  (void)ctx;
  return fake_error;
}

/* Two kernels, enough to see the engine's bridge at work: fill and add of contiguous float32. */
static ember_status fake_fill(void* ctx, const ember_kernel_tensor* t, ember_scalar value) {
  int64_t k;
  (void)ctx;
  if (t->dtype != EMBER_FLOAT32 || !t->is_contiguous) {
    snprintf(fake_error, sizeof fake_error, "fake fill supports contiguous float32 only");
    return EMBER_ERROR_NOT_IMPLEMENTED;
  }
  for (k = 0; k < t->numel; ++k)
    ((float*)t->data)[k] = (float)(value.kind == EMBER_SCALAR_FLOAT ? value.f : (double)value.i);
  return EMBER_OK;
}

static ember_status fake_binary(void* ctx, int32_t op, const ember_kernel_tensor* out,
                                const ember_kernel_tensor* a, const ember_kernel_tensor* b) {
  int64_t k;
  (void)ctx;
  if (op != 0 /* add */ || out->dtype != EMBER_FLOAT32 || a->numel != out->numel ||
      b->numel != out->numel || !a->is_contiguous || !b->is_contiguous) {
    snprintf(fake_error, sizeof fake_error,
             "fake binary supports the add of same-shape contiguous float32 only (op %d)", (int)op);
    return EMBER_ERROR_NOT_IMPLEMENTED;
  }
  for (k = 0; k < out->numel; ++k)
    ((float*)out->data)[k] = ((const float*)a->data)[k] + ((const float*)b->data)[k];
  return EMBER_OK;
}

EMBER_PLUGIN_EXPORT ember_status ember_plugin_register(const ember_plugin_host* host) {
  ember_status status;
  ember_backend b;
  if (host->api_version != EMBER_PLUGIN_API_VERSION) return EMBER_ERROR_BACKEND;
#ifdef FAKE_BACKEND_FAIL
  host->set_error(host->host_ctx, "fake backend: no devices found");
  return EMBER_ERROR_BACKEND;
#endif
  memset(&b, 0, sizeof b);
  b.struct_size = sizeof b;
  b.api_version = EMBER_PLUGIN_API_VERSION;
  b.device_type = EMBER_DEVICE_HIP;
  b.name = "fake HIP";
  b.device_count = fake_device_count;
  b.allocate = fake_allocate;
  b.deallocate = fake_deallocate;
  b.copy_host_to_device = fake_h2d;
  b.copy_device_to_host = fake_d2h;
  b.copy_device_to_device = fake_d2d;
  b.last_error = fake_last_error;
  b.set_option = fake_set_option;
  b.host_allocate = fake_host_allocate;
  b.host_deallocate = fake_host_deallocate;
  b.copy_host_to_device_async = fake_h2d_async;
  b.graph_capture_begin = fake_graph_begin;
  b.graph_capture_end = fake_graph_end;
  b.graph_replay = fake_graph_replay;
  b.graph_destroy = fake_graph_destroy;
  status = host->register_backend(host->host_ctx, &b);
  if (status != EMBER_OK) return status;
  status = host->register_kernel(host->host_ctx, EMBER_DEVICE_HIP, "fill", "ts",
                                 (ember_kernel_fn)fake_fill, NULL);
  if (status != EMBER_OK) return status;
  return host->register_kernel(host->host_ctx, EMBER_DEVICE_HIP, "binary", "ittt",
                               (ember_kernel_fn)fake_binary, NULL);
}
