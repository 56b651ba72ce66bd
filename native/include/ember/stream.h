/* Streams and events of a device backend (CUDA's streams and events; the CPU has none). A NULL
 * stream is the device's default stream. The current stream is per thread and device: the
 * thread's kernels and allocations on that device go to it. Every call names the device its
 * handles belong to. */
#ifndef EMBER_STREAM_H
#define EMBER_STREAM_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ember_stream_impl* ember_stream;
typedef struct ember_event_impl* ember_event;

/* A new stream (priority: 0 normal, negative higher, as CUDA's). Destroy it when done. */
EMBER_API ember_status ember_stream_create(ember_device device, int32_t priority,
                                           ember_stream* out);
EMBER_API ember_status ember_stream_destroy(ember_device device, ember_stream stream);
EMBER_API ember_status ember_stream_set_current(ember_device device, ember_stream stream);
EMBER_API ember_status ember_stream_get_current(ember_device device, ember_stream* out);
EMBER_API ember_status ember_stream_synchronize(ember_device device, ember_stream stream);
/* *done = 1 when the stream has finished everything queued on it. */
EMBER_API ember_status ember_stream_query(ember_device device, ember_stream stream, int32_t* done);
/* Work queued on stream from now on waits for the work event recorded. */
EMBER_API ember_status ember_stream_wait_event(ember_device device, ember_stream stream,
                                               ember_event event);

EMBER_API ember_status ember_event_create(ember_device device, int32_t enable_timing,
                                          ember_event* out);
EMBER_API ember_status ember_event_destroy(ember_device device, ember_event event);
/* Records the work queued on stream so far. */
EMBER_API ember_status ember_event_record(ember_device device, ember_event event,
                                          ember_stream stream);
EMBER_API ember_status ember_event_synchronize(ember_device device, ember_event event);
EMBER_API ember_status ember_event_query(ember_device device, ember_event event, int32_t* done);
/* Milliseconds between two recorded timing events. */
EMBER_API ember_status ember_event_elapsed_ms(ember_device device, ember_event start,
                                              ember_event end, float* out);

/* t's memory is used on stream (of t's device) too: it is not reused before the work queued
 * there so far has finished. */
EMBER_API ember_status ember_tensor_record_stream(ember_tensor t, ember_stream stream);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_STREAM_H */
