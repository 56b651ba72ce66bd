// C ABI of streams and events: checked arguments, then the device backend's own callbacks.
#include "ember/stream.h"

#include "core/backend.h"
#include "shim.h"

using namespace ember;

namespace {

// Runs body(table, device index) for device's backend, or fails when it has no streams.
template <class F>
ember_status forward(const char* op, ember_device device, F&& body) noexcept {
  return capi::guard(op, [&](const char* name) {
    const Device d = capi::device_arg(name, device);
    const ember_backend& t = backend_table(name, d);
    EMBER_CHECK(t.stream_create != nullptr, EMBER_ERROR_NOT_IMPLEMENTED, name, ": the ",
                backend_name(d.type), " backend of ", device_name(d), " has no streams or events");
    const ember_status s = body(t, d.index);
    EMBER_CHECK(s == EMBER_OK, s, name, " on ", device_name(d), ": ", backend_last_error(d.type));
  });
}

void* raw(ember_stream s) { return reinterpret_cast<void*>(s); }
void* raw(ember_event e) { return reinterpret_cast<void*>(e); }

}  // namespace

EMBER_API ember_status ember_stream_create(ember_device device, int32_t priority,
                                           ember_stream* out) {
  return forward("stream_create", device, [&](const ember_backend& t, int32_t i) {
    void* s = nullptr;
    capi::check_out("stream_create", out);
    const ember_status st = t.stream_create(t.ctx, i, priority, &s);
    *out = reinterpret_cast<ember_stream>(s);
    return st;
  });
}

EMBER_API ember_status ember_stream_destroy(ember_device device, ember_stream stream) {
  return forward("stream_destroy", device, [&](const ember_backend& t, int32_t i) {
    return stream == nullptr ? EMBER_OK : t.stream_destroy(t.ctx, i, raw(stream));
  });
}

EMBER_API ember_status ember_stream_set_current(ember_device device, ember_stream stream) {
  return forward("stream_set_current", device, [&](const ember_backend& t, int32_t i) {
    return t.set_current_stream(t.ctx, i, raw(stream));
  });
}

EMBER_API ember_status ember_stream_get_current(ember_device device, ember_stream* out) {
  return forward("stream_get_current", device, [&](const ember_backend& t, int32_t i) {
    void* s = nullptr;
    capi::check_out("stream_get_current", out);
    const ember_status st = t.current_stream(t.ctx, i, &s);
    *out = reinterpret_cast<ember_stream>(s);
    return st;
  });
}

EMBER_API ember_status ember_stream_synchronize(ember_device device, ember_stream stream) {
  return forward("stream_synchronize", device, [&](const ember_backend& t, int32_t i) {
    return t.stream_synchronize(t.ctx, i, raw(stream));
  });
}

EMBER_API ember_status ember_stream_query(ember_device device, ember_stream stream, int32_t* done) {
  return forward("stream_query", device, [&](const ember_backend& t, int32_t i) {
    return t.stream_query(t.ctx, i, raw(stream), capi::check_out("stream_query", done));
  });
}

EMBER_API ember_status ember_stream_wait_event(ember_device device, ember_stream stream,
                                               ember_event event) {
  return forward("stream_wait_event", device, [&](const ember_backend& t, int32_t i) {
    EMBER_CHECK(event != nullptr, EMBER_ERROR_INVALID_ARGUMENT,
                "stream_wait_event: event must not be NULL");
    return t.stream_wait_event(t.ctx, i, raw(stream), raw(event));
  });
}

EMBER_API ember_status ember_event_create(ember_device device, int32_t enable_timing,
                                          ember_event* out) {
  return forward("event_create", device, [&](const ember_backend& t, int32_t i) {
    void* e = nullptr;
    capi::check_out("event_create", out);
    const ember_status st = t.event_create(t.ctx, i, enable_timing, &e);
    *out = reinterpret_cast<ember_event>(e);
    return st;
  });
}

EMBER_API ember_status ember_event_destroy(ember_device device, ember_event event) {
  return forward("event_destroy", device, [&](const ember_backend& t, int32_t i) {
    return event == nullptr ? EMBER_OK : t.event_destroy(t.ctx, i, raw(event));
  });
}

EMBER_API ember_status ember_event_record(ember_device device, ember_event event,
                                          ember_stream stream) {
  return forward("event_record", device, [&](const ember_backend& t, int32_t i) {
    EMBER_CHECK(event != nullptr, EMBER_ERROR_INVALID_ARGUMENT,
                "event_record: event must not be NULL");
    return t.event_record(t.ctx, i, raw(event), raw(stream));
  });
}

EMBER_API ember_status ember_event_synchronize(ember_device device, ember_event event) {
  return forward("event_synchronize", device, [&](const ember_backend& t, int32_t i) {
    EMBER_CHECK(event != nullptr, EMBER_ERROR_INVALID_ARGUMENT,
                "event_synchronize: event must not be NULL");
    return t.event_synchronize(t.ctx, i, raw(event));
  });
}

EMBER_API ember_status ember_event_query(ember_device device, ember_event event, int32_t* done) {
  return forward("event_query", device, [&](const ember_backend& t, int32_t i) {
    EMBER_CHECK(event != nullptr, EMBER_ERROR_INVALID_ARGUMENT,
                "event_query: event must not be NULL");
    return t.event_query(t.ctx, i, raw(event), capi::check_out("event_query", done));
  });
}

EMBER_API ember_status ember_event_elapsed_ms(ember_device device, ember_event start,
                                              ember_event end, float* out) {
  return forward("event_elapsed_ms", device, [&](const ember_backend& t, int32_t i) {
    EMBER_CHECK(start != nullptr && end != nullptr, EMBER_ERROR_INVALID_ARGUMENT,
                "event_elapsed_ms: events must not be NULL");
    return t.event_elapsed_ms(t.ctx, i, raw(start), raw(end),
                              capi::check_out("event_elapsed_ms", out));
  });
}

EMBER_API ember_status ember_tensor_record_stream(ember_tensor t, ember_stream stream) {
  return capi::guard("tensor_record_stream", [&](const char* op) {
    const capi::In x(op, t);
    const Device d = x->device();
    const ember_backend& table = backend_table(op, d);
    EMBER_CHECK(table.record_stream != nullptr, EMBER_ERROR_NOT_IMPLEMENTED, op, ": the ",
                backend_name(d.type), " backend has no streams");
    const ember_status s =
        table.record_stream(table.ctx, d.index, x->storage()->data(), raw(stream));
    EMBER_CHECK(s == EMBER_OK, s, op, " on ", device_name(d), ": ", backend_last_error(d.type));
  });
}
