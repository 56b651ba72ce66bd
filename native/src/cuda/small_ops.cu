// The queues of small elementwise ops and the kernel that runs a queue (see small_ops.cuh).
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "arith.cuh"
#include "small_ops.cuh"

// __grid_constant__ lets the kernel index its batch in parameter memory instead of copying it per
// thread; clang's CUDA mode (tests/cuda/check_syntax.sh) does not know it.
#ifdef __NVCC__
#define EMBER_GRID_CONSTANT __grid_constant__
#else
#define EMBER_GRID_CONSTANT
#endif

namespace ember_cuda {

std::atomic<int> g_small_ops_queued{0};

namespace {

using ember::ops::BinaryOp;
using ember::ops::UnaryOp;

// The most ops one launch runs: their descriptors are the kernel's parameters (4 KiB at most).
constexpr int kQueueCapacity = 64;
// A short queue launches with a smaller parameter block: less for the driver to copy.
constexpr int kShortBatch = 8;
constexpr int kBatchThreads = 256;

template <int Capacity>
struct SmallBatch {
  SmallOp ops[Capacity];
  int32_t count;
};
static_assert(sizeof(SmallBatch<kQueueCapacity>) <= 4096, "kernel parameters are at most 4 KiB");

template <class T>
__device__ T unary_value(uint8_t op, T x) {
  if constexpr (is_floating_v<T>) {
    if (op == static_cast<uint8_t>(UnaryOp::Exp)) return Exp<T>{}(x);
    if (op == static_cast<uint8_t>(UnaryOp::Log)) return Log<T>{}(x);
  }
  return Neg<T>{}(x);  // try_queue lets only neg through for integers
}

template <class T>
__device__ void run_op(const SmallOp& op) {
  T* out = static_cast<T*>(op.out);
  const T* a = static_cast<const T*>(op.a);
  const T* b = static_cast<const T*>(op.b);
  T s;
  memcpy(&s, &op.scalar, sizeof(T));
  const auto bop = static_cast<BinaryOp>(op.op);
  for (int i = threadIdx.x; i < op.n; i += blockDim.x) {
    switch (op.kind) {
      case SmallKind::Binary:
        out[i] = apply(bop, a[i * op.a_step], b[i * op.b_step]);
        break;
      case SmallKind::BinaryScalar:
        out[i] = apply(bop, a[i * op.a_step], s);
        break;
      case SmallKind::ScalarBinary:
        out[i] = apply(bop, s, a[i * op.a_step]);
        break;
      case SmallKind::Unary:
        out[i] = unary_value(op.op, a[i * op.a_step]);
        break;
      case SmallKind::Fill:
        out[i] = s;
        break;
      case SmallKind::Copy:
        out[i] = a[i * op.a_step];
        break;
    }
  }
}

// One block runs the ops in queue order; the barrier after each makes its writes visible to the
// next, which may read them.
template <int Capacity>
__global__ void __launch_bounds__(kBatchThreads)
    run_small_ops(const EMBER_GRID_CONSTANT SmallBatch<Capacity> batch) {
  for (int k = 0; k < batch.count; ++k) {
    const SmallOp& op = batch.ops[k];
    switch (op.dtype) {
      case EMBER_FLOAT32:
        run_op<float>(op);
        break;
      case EMBER_FLOAT64:
        run_op<double>(op);
        break;
      case EMBER_FLOAT16:
        run_op<__half>(op);
        break;
      case EMBER_BFLOAT16:
        run_op<__nv_bfloat16>(op);
        break;
      case EMBER_INT32:
        run_op<int32_t>(op);
        break;
      case EMBER_INT64:
        run_op<int64_t>(op);
        break;
    }
    __syncthreads();
  }
}

bool batchable(const SmallOp& op) {
  const bool floating = op.dtype == EMBER_FLOAT32 || op.dtype == EMBER_FLOAT64 ||
                        op.dtype == EMBER_FLOAT16 || op.dtype == EMBER_BFLOAT16;
  if (!floating && op.dtype != EMBER_INT32 && op.dtype != EMBER_INT64) return false;
  if (op.kind == SmallKind::Unary)  // of the unary ops, only neg has integer kernels
    return floating || op.op == static_cast<uint8_t>(UnaryOp::Neg);
  return true;
}

struct Queue {
  int32_t device;
  cudaStream_t stream;
  int32_t count = 0;
  SmallOp ops[kQueueCapacity];
};

std::mutex g_mutex;                            // guards the queues and the failure
std::vector<std::unique_ptr<Queue>> g_queues;  // one per stream that ever queued; few
std::string g_failure;                         // a failed launch, until reported
std::atomic<bool> g_failed{false};

Queue& queue_of(int32_t device, cudaStream_t s) {
  for (auto& q : g_queues)
    if (q->device == device && q->stream == s) return *q;
  g_queues.push_back(std::make_unique<Queue>());
  g_queues.back()->device = device;
  g_queues.back()->stream = s;
  return *g_queues.back();
}

template <int Capacity>
void launch_batch(const Queue& q) {
  SmallBatch<Capacity> batch;
  std::memcpy(batch.ops, q.ops, sizeof(SmallOp) * static_cast<size_t>(q.count));
  batch.count = q.count;
  run_small_ops<Capacity><<<1, kBatchThreads, 0, q.stream>>>(batch);
}

// Launches q on its device (made current for the launch) and empties it. Holds g_mutex.
void launch_locked(Queue& q) noexcept {
  if (q.count == 0) return;
  int current = -1;
  cudaGetDevice(&current);
  if (current != q.device) cudaSetDevice(q.device);
  if (q.count <= kShortBatch)
    launch_batch<kShortBatch>(q);
  else
    launch_batch<kQueueCapacity>(q);
  const cudaError_t e = cudaGetLastError();
  if (current != q.device && current >= 0) cudaSetDevice(current);
  g_small_ops_queued.fetch_sub(q.count, std::memory_order_relaxed);
  q.count = 0;
  if (e != cudaSuccess && !g_failed.load()) {
    g_failure = std::string("small elementwise ops queued on cuda:") + std::to_string(q.device) +
                ": their kernel did not launch: " + cudaGetErrorString(e);
    g_failed = true;
  }
}

template <class Match>
void flush_matching(Match match) noexcept {
  if (!small_ops_queued()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  for (auto& q : g_queues)
    if (match(*q)) launch_locked(*q);
}

}  // namespace

bool try_queue(const SmallOp& op, int32_t device) {
  if (!settings().batch_small_ops.load(std::memory_order_relaxed) || !batchable(op)) return false;
  const cudaStream_t s = current_stream(device);
  if (capturing(s)) return false;  // a recording gets its ops one by one, as they come
  std::lock_guard<std::mutex> lock(g_mutex);
  Queue& q = queue_of(device, s);
  q.ops[q.count++] = op;
  g_small_ops_queued.fetch_add(1, std::memory_order_relaxed);
  if (q.count == kQueueCapacity) launch_locked(q);
  return true;
}

void flush_small_ops(int32_t device, cudaStream_t s) noexcept {
  flush_matching([&](const Queue& q) { return q.device == device && q.stream == s; });
}

void flush_small_ops(int32_t device) noexcept {
  flush_matching([&](const Queue& q) { return q.device == device; });
}

void forget_small_ops(int32_t device, cudaStream_t s) noexcept {
  std::lock_guard<std::mutex> lock(g_mutex);
  std::erase_if(g_queues, [&](std::unique_ptr<Queue>& q) {
    if (q->device != device || q->stream != s) return false;
    launch_locked(*q);
    return true;
  });
}

void check_small_ops_failure() {
  if (!g_failed.load()) return;
  std::string message;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    message = std::move(g_failure);
    g_failure.clear();
    g_failed = false;
  }
  if (!message.empty()) fail(EMBER_ERROR_BACKEND, message);
}

}  // namespace ember_cuda
