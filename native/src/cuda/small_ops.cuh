// Small elementwise ops are queued per stream and run together in one launch.
//
// A kernel launch costs a host 3-4 microseconds of driver time, far more than an op on a few
// elements costs the GPU, so a run of small ops (scalar bookkeeping, bias-sized updates, a model's
// tiny tensors) is bound by launches. Dense fill, copy, arithmetic and neg/exp/log on at most
// kSmallOpMaxNumel elements are therefore appended to their stream's queue; one kernel runs a
// whole queue in order, one op after the other. The queue of a stream is launched before anything
// else is put on that stream or waits for it: every kernel and library call takes its stream from
// stream(), which launches the queue first, and the calls that name a stream themselves (event
// records and waits, stream queries and synchronisation, device synchronisation, the allocator's
// cross-stream frees and its cudaFree) launch it explicitly. Nothing is queued while a stream
// records a CUDA graph. Torch.Backends.Cuda.BatchSmallOps (backend option "cuda.batch_small_ops")
// turns it off.
#pragma once

#include <atomic>
#include <cstring>

#include "common.cuh"

namespace ember_cuda {

// Ops on more elements launch their own kernels, whose many blocks suit them better.
constexpr int64_t kSmallOpMaxNumel = 1024;

enum class SmallKind : uint8_t {
  Binary,        // out = a (op) b
  BinaryScalar,  // out = a (op) scalar
  ScalarBinary,  // out = scalar (op) a
  Unary,         // out = op(a)
  Fill,          // out = scalar
  Copy,          // out = a
};

// One queued op on operands of the op's dtype: out is dense with n elements, a and b are dense
// with n or hold one element that is broadcast.
struct SmallOp {
  void* out;
  const void* a;
  const void* b;
  uint64_t scalar;  // the scalar's bits as the op's dtype
  int32_t n;
  SmallKind kind;
  uint8_t op;      // an ember::ops::BinaryOp or UnaryOp
  int16_t dtype;   // an ember dtype code
  uint8_t a_step;  // 1: a is dense; 0: a's one element is read for every i
  uint8_t b_step;  // the same for b
};

template <class T>
uint64_t scalar_bits(T v) {
  static_assert(sizeof(T) <= sizeof(uint64_t));
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

// Queues op on device's current stream; false when it must be launched by the caller instead
// (batching off, the stream recording a graph, or a dtype or op the batch kernel does not run).
// Only called for operands laid out as SmallOp says, of at most kSmallOpMaxNumel elements.
bool try_queue(const SmallOp& op, int32_t device);

// Launches what is queued on stream s of device (every stream of device). Never throws: a launch
// that fails is reported by the next synchronising call (check_small_ops_failure).
void flush_small_ops(int32_t device, cudaStream_t s) noexcept;
void flush_small_ops(int32_t device) noexcept;
// Launches s's queue and forgets it, for a stream about to be destroyed.
void forget_small_ops(int32_t device, cudaStream_t s) noexcept;

// Ops queued on all streams; stream() reads it on every call, so it is one relaxed load.
extern std::atomic<int> g_small_ops_queued;
inline bool small_ops_queued() { return g_small_ops_queued.load(std::memory_order_relaxed) != 0; }

// Throws the failure of a queue's launch since the last call, once.
void check_small_ops_failure();

}  // namespace ember_cuda
