// CUDA graphs (torch.cuda.CUDAGraph): the work one thread queues on its current stream is recorded
// once and replayed with a single launch. Each graph has a memory pool of the device's allocator:
// the recording's allocations come from it, and its addresses stay reserved for the replays,
// which read and write exactly where the recording did.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "allocator.h"
#include "common.cuh"
#include "conv.cuh"
#include "graph.cuh"

namespace ember_cuda {

namespace {

struct Graph {
  uint64_t pool = 0;
  cudaStream_t recording = nullptr;  // the stream being recorded, until capture_end
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
};

Graph& graph_of(void* g, const char* op) {
  if (g == nullptr) fail(EMBER_ERROR_INVALID_ARGUMENT, std::string(op) + ": the graph is NULL");
  return *static_cast<Graph*>(g);
}

ember_status capture_begin(void*, int32_t device, void** out) {
  return guard([&] {
    set_device(device);
    cudaStream_t s = stream();
    if (s == nullptr)
      fail(EMBER_ERROR_INVALID_ARGUMENT,
           "cuda graph capture_begin: the current stream of cuda:" + std::to_string(device) +
               " is the default stream, which cannot be recorded; make another stream current "
               "first (Torch.Cuda.Graph does)");
    if (capturing(s))
      fail(EMBER_ERROR_INVALID_ARGUMENT,
           "cuda graph capture_begin: the current stream is already recording a graph");
    prepare_capture(device);  // cuDNN's handle, which cannot be made while recording
    CachingAllocator& memory = device_allocator(device);
    auto g = std::make_unique<Graph>();
    g->pool = memory.create_pool();
    memory.begin_capture(g->pool, s);
    // Thread-local mode: calls this thread must not make while recording (a device-wide wait,
    // cudaFree) break the recording; other threads, e.g. data loader workers, are not concerned.
    const cudaError_t e = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) {
      memory.end_capture(s);
      memory.release_pool(g->pool);
      check_cuda(e, "cudaStreamBeginCapture");
    }
    g->recording = s;
    *out = g.release();
  });
}

// The name of a kernel node's function, where the runtime knows it (not for every library kernel).
std::string kernel_name(cudaGraphNode_t node) {
#if CUDART_VERSION >= 12030
  cudaKernelNodeParams params{};
  const char* name = nullptr;
  if (cudaGraphKernelNodeGetParams(node, &params) == cudaSuccess &&
      cudaFuncGetName(&name, params.func) == cudaSuccess && name != nullptr)
    return name;
  cudaGetLastError();
#else
  (void)node;
#endif
  return "(a library kernel)";
}

// With EMBER_CUDA_GRAPH_STATS set, each recording prints how many kernels, copies, fills and other
// nodes it holds to stderr: the launches of the recorded work (e.g. one training step), counted;
// with EMBER_CUDA_GRAPH_STATS=2 also each kernel's name, in the order the graph lists them.
void report_nodes(cudaGraph_t graph) {
  static const int level = [] {
    const char* v = std::getenv("EMBER_CUDA_GRAPH_STATS");
    return v == nullptr || *v == 0 ? 0 : std::atoi(v);
  }();
  if (level <= 0) return;
  size_t count = 0;
  if (cudaGraphGetNodes(graph, nullptr, &count) != cudaSuccess) return;
  std::vector<cudaGraphNode_t> nodes(count);
  if (count > 0 && cudaGraphGetNodes(graph, nodes.data(), &count) != cudaSuccess) return;
  size_t kernels = 0, copies = 0, fills = 0;
  for (cudaGraphNode_t n : nodes) {
    cudaGraphNodeType type{};
    if (cudaGraphNodeGetType(n, &type) != cudaSuccess) continue;
    kernels += type == cudaGraphNodeTypeKernel;
    copies += type == cudaGraphNodeTypeMemcpy;
    fills += type == cudaGraphNodeTypeMemset;
  }
  std::fprintf(stderr,
               "ember cuda graph: %zu nodes: %zu kernels, %zu copies, %zu fills, %zu other\n",
               count, kernels, copies, fills, count - kernels - copies - fills);
  if (level < 2) return;
  for (cudaGraphNode_t n : nodes) {
    cudaGraphNodeType type{};
    if (cudaGraphNodeGetType(n, &type) == cudaSuccess && type == cudaGraphNodeTypeKernel)
      std::fprintf(stderr, "  kernel %s\n", kernel_name(n).c_str());
  }
}

ember_status capture_end(void*, int32_t device, void* graph) {
  return guard([&] {
    Graph& g = graph_of(graph, "cuda graph capture_end");
    if (g.recording == nullptr)
      fail(EMBER_ERROR_INVALID_ARGUMENT,
           "cuda graph capture_end: the graph is not recording (capture_begin starts it)");
    set_device(device);
    cudaGraph_t recorded = nullptr;
    const cudaError_t e = cudaStreamEndCapture(g.recording, &recorded);
    if (e == cudaErrorStreamCaptureWrongThread) {
      cudaGetLastError();
      fail(EMBER_ERROR_INVALID_ARGUMENT,
           "cuda graph capture_end: must be called on the thread that began the capture");
    }
    device_allocator(device).end_capture(g.recording);
    g.recording = nullptr;
    if (e != cudaSuccess) {
      if (recorded != nullptr) cudaGraphDestroy(recorded);
      check_cuda(e,
                 "cudaStreamEndCapture (a call the recording does not permit, such as a "
                 "synchronisation or a cudaMalloc outside Ember's allocator, broke it)");
    }
    g.graph = recorded;
    report_nodes(recorded);
    EC_CUDA(cudaGraphInstantiateWithFlags(&g.exec, recorded, 0));
  });
}

ember_status replay(void*, int32_t device, void* graph) {
  return guard([&] {
    Graph& g = graph_of(graph, "cuda graph replay");
    if (g.exec == nullptr)
      fail(EMBER_ERROR_INVALID_ARGUMENT,
           g.recording != nullptr
               ? "cuda graph replay: the graph is still recording (capture_end finishes it)"
               : "cuda graph replay: nothing was captured into the graph");
    set_device(device);
    EC_CUDA(cudaGraphLaunch(g.exec, stream()));
  });
}

ember_status destroy(void*, int32_t device, void* graph) {
  return guard([&] {
    if (graph == nullptr) return;
    auto* g = static_cast<Graph*>(graph);
    set_device(device);
    CachingAllocator& memory = device_allocator(device);
    if (g->recording != nullptr) {
      // Abandoned while recording (the captured code threw): end the recording, drop the result.
      cudaGraph_t recorded = nullptr;
      const cudaError_t e = cudaStreamEndCapture(g->recording, &recorded);
      cudaGetLastError();
      if (e == cudaErrorStreamCaptureWrongThread)
        fail(EMBER_ERROR_INVALID_ARGUMENT,
             "cuda graph destroy: the graph is recording on another thread; end the capture there");
      if (recorded != nullptr) cudaGraphDestroy(recorded);
      memory.end_capture(g->recording);
    }
    // A replay still running keeps its executable graph until it completes (CUDA frees it then);
    // the pool's memory waits for the device before it goes (release_pool).
    if (g->exec != nullptr) cudaGraphExecDestroy(g->exec);
    if (g->graph != nullptr) cudaGraphDestroy(g->graph);
    cudaGetLastError();
    memory.release_pool(g->pool);
    delete g;
  });
}

}  // namespace

void fill_graph_callbacks(ember_backend& table) {
  table.graph_capture_begin = capture_begin;
  table.graph_capture_end = capture_end;
  table.graph_replay = replay;
  table.graph_destroy = destroy;
}

}  // namespace ember_cuda
