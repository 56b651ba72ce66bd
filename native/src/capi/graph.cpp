// C ABI of CUDA graphs: the graph object remembers its device and the backend's recording, and
// every call forwards to that device's backend.
#include "ember/graph.h"

#include "core/backend.h"
#include "shim.h"

using namespace ember;

struct ember_cuda_graph_impl {
  Device device;
  void* recording = nullptr;  // the backend's graph, from capture_begin until reset
};

namespace {

// Runs body(table, graph) for the graph's backend; a failed callback becomes an error naming op.
template <class F>
ember_status forward(const char* op, ember_cuda_graph graph, F&& body) noexcept {
  return capi::guard(op, [&](const char* name) {
    if (graph == nullptr) capi::null_argument(name, "graph");
    const ember_backend& t = backend_table(name, graph->device);
    const ember_status s = body(name, t, *graph);
    EMBER_CHECK(s == EMBER_OK, s, name, " on ", device_name(graph->device), ": ",
                backend_last_error(graph->device.type));
  });
}

}  // namespace

EMBER_API ember_status ember_cuda_graph_create(ember_device device, ember_cuda_graph* out) {
  return capi::guard("cuda_graph_create", [&](const char* op) {
    capi::check_out(op, out);
    const Device d = capi::device_arg(op, device);
    EMBER_CHECK(!d.is_cpu(), EMBER_ERROR_DEVICE, op,
                ": graphs record GPU work, and the CPU is not a GPU");
    const ember_backend& t = backend_table(op, d);
    EMBER_CHECK(t.graph_capture_begin != nullptr, EMBER_ERROR_NOT_IMPLEMENTED, op, ": the ",
                backend_name(d.type), " backend of ", device_name(d), " has no graphs");
    *out = new ember_cuda_graph_impl{d, nullptr};
  });
}

EMBER_API ember_status ember_cuda_graph_capture_begin(ember_cuda_graph graph) {
  return forward("cuda_graph_capture_begin", graph,
                 [&](const char* op, const ember_backend& t, ember_cuda_graph_impl& g) {
                   EMBER_CHECK(g.recording == nullptr, EMBER_ERROR_INVALID_ARGUMENT, op,
                               ": the graph already holds a capture (reset it first)");
                   void* r = nullptr;
                   const ember_status s = t.graph_capture_begin(t.ctx, g.device.index, &r);
                   if (s == EMBER_OK) g.recording = r;
                   return s;
                 });
}

EMBER_API ember_status ember_cuda_graph_capture_end(ember_cuda_graph graph) {
  return forward("cuda_graph_capture_end", graph,
                 [&](const char* op, const ember_backend& t, ember_cuda_graph_impl& g) {
                   EMBER_CHECK(g.recording != nullptr, EMBER_ERROR_INVALID_ARGUMENT, op,
                               ": the graph is not recording (capture_begin starts it)");
                   return t.graph_capture_end(t.ctx, g.device.index, g.recording);
                 });
}

EMBER_API ember_status ember_cuda_graph_replay(ember_cuda_graph graph) {
  return forward("cuda_graph_replay", graph,
                 [&](const char* op, const ember_backend& t, ember_cuda_graph_impl& g) {
                   EMBER_CHECK(g.recording != nullptr, EMBER_ERROR_INVALID_ARGUMENT, op,
                               ": nothing was captured into the graph");
                   return t.graph_replay(t.ctx, g.device.index, g.recording);
                 });
}

namespace {

// Hands the recording back to the backend (which frees its pool); the graph can record again.
ember_status drop_recording(const char* op, ember_cuda_graph graph) noexcept {
  return forward(op, graph, [&](const char*, const ember_backend& t, ember_cuda_graph_impl& g) {
    if (g.recording == nullptr) return EMBER_OK;
    const ember_status s = t.graph_destroy(t.ctx, g.device.index, g.recording);
    if (s == EMBER_OK) g.recording = nullptr;
    return s;
  });
}

}  // namespace

EMBER_API ember_status ember_cuda_graph_reset(ember_cuda_graph graph) {
  return drop_recording("cuda_graph_reset", graph);
}

EMBER_API ember_status ember_cuda_graph_destroy(ember_cuda_graph graph) {
  if (graph == nullptr) return EMBER_OK;
  const ember_status s = drop_recording("cuda_graph_destroy", graph);
  if (s == EMBER_OK) delete graph;  // on failure the graph stays valid (still recording)
  return s;
}
