// Bad indices found by kernels, reported without a synchronisation on the hot path. Each device
// has one error word in device memory; the first kernel thread that meets a bad index claims it
// (atomicCAS) and writes what it found into a record in mapped host memory, then skips the
// element instead of faulting. The host looks at the record after every synchronising call
// (synchronize, copies to the host, read_back) and throws an error naming the op and the bad
// value; reporting clears the word, so the device stays usable.
#pragma once

#include "common.cuh"

namespace ember_cuda {

// What a kernel found; `kind` picks the message (see device_error.cu).
enum class ErrorKind : int32_t {
  Index = 1,       // index `value` out of bounds for dimension `where` with size `bound`
  Target = 2,      // target `value` of sample `where` out of bounds [0, `bound`)
  PlaneIndex = 3,  // index `value` out of bounds for a plane of `bound` elements
};

struct ErrorRecord {
  int32_t op;  // id of the op's name (0: nothing reported); written last
  int32_t kind;
  int64_t value;
  int64_t bound;
  int64_t where;
};

// Where one launch reports; passed by value into kernels.
struct ErrorSink {
  unsigned int* claim;  // device memory: 0 until the first report
  ErrorRecord* record;  // mapped host memory, the device's view of it
  int32_t op;
};

// The sink of the current device for op (its name as the message should show it). The first
// call on a device allocates the word and the record.
ErrorSink error_sink(const char* op);
// Throws Failure naming the op and value when a kernel on the current device (or `device`)
// reported one since the last check, and clears the report. Call after a synchronisation.
void check_device_error();
void check_device_error(int32_t device);

// Records the first bad index of the device; later ones are dropped (one message is enough).
__device__ inline void report_error(const ErrorSink& sink, ErrorKind kind, int64_t value,
                                    int64_t bound, int64_t where) {
  if (atomicCAS(sink.claim, 0u, 1u) != 0u) return;
  volatile ErrorRecord* r = sink.record;
  r->kind = static_cast<int32_t>(kind);
  r->value = value;
  r->bound = bound;
  r->where = where;
  __threadfence_system();
  r->op = sink.op;
}

}  // namespace ember_cuda
