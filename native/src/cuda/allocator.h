// The caching allocator of one CUDA device: freed blocks are kept and handed out again, so steady
// training loops stop calling cudaMalloc/cudaFree (each a device-wide synchronisation). Each
// block belongs to the stream it was allocated on and is reused only there, in stream order, so a
// block freed on the host can serve the next launch on that stream without waiting. A block also
// used on other streams (record_stream) returns to the cache only once events recorded on those
// streams at free time have completed.
//
// CUDA graphs get private pools: while a graph captures on a stream, that stream's allocations
// come from the graph's pool. A replay writes to the addresses the capture used, so a pool's
// blocks serve only that pool, and go back to the device only once the graph is gone and the
// tensors still using them are freed.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/core.h"

namespace ember_cuda {

// While alive, lets this thread make calls that a graph capture forbids (cudaMalloc). Capture does
// not record such a call: the graph keeps the address, so the memory must outlive the graph.
class RelaxedCapture {
 public:
  RelaxedCapture() { cudaThreadExchangeStreamCaptureMode(&mode_); }
  ~RelaxedCapture() { cudaThreadExchangeStreamCaptureMode(&mode_); }
  RelaxedCapture(const RelaxedCapture&) = delete;
  RelaxedCapture& operator=(const RelaxedCapture&) = delete;

 private:
  cudaStreamCaptureMode mode_ = cudaStreamCaptureModeRelaxed;
};

class CachingAllocator {
 public:
  explicit CachingAllocator(int32_t device) : device_(device) {}
  // A block for use on stream; nullptr when the device is out of memory even after freeing every
  // cached block.
  void* allocate(int64_t nbytes, cudaStream_t stream);
  void deallocate(void* p);
  // Marks the live block at p as used on stream as well.
  void record_stream(void* p, cudaStream_t stream);
  ember_memory_stats stats();
  void reset_peak();
  void empty_cache();

  // Graph pools. A new pool's id (never 0); allocations on stream come from it from
  // begin_capture(pool, stream) to end_capture(stream). release_pool: the graph is gone.
  uint64_t create_pool();
  void begin_capture(uint64_t pool, cudaStream_t stream);
  void end_capture(cudaStream_t stream);
  void release_pool(uint64_t pool);
  // Why the last allocate() on this thread returned nullptr when the cause was not a full device
  // ("" for a full device).
  static const std::string& last_failure();

 private:
  struct Live {
    int64_t size;
    cudaStream_t stream;
    std::vector<cudaStream_t> also_on;  // streams given by record_stream
    uint64_t pool;                      // 0: the general cache
  };
  struct Pool {
    std::multimap<int64_t, void*> free;            // by size
    std::vector<std::pair<void*, int64_t>> spent;  // used on other streams: not reused in the graph
    int64_t live = 0;                              // blocks handed out and not yet freed
    bool released = false;                         // the graph is gone
  };
  struct Pending {
    void* p;
    int64_t size;
    cudaStream_t stream;
    std::vector<cudaEvent_t> events;  // one per other stream the block was used on
  };
  // Caller holds mutex_ for all of these.
  void release_cached();
  void collect_pending();
  void cache(void* p, int64_t size, cudaStream_t stream);
  void* allocate_in_pool(uint64_t id, int64_t size, cudaStream_t stream);
  void* hand_out(void* p, int64_t size, cudaStream_t stream, uint64_t pool);
  void free_in_pool(void* p, const Live& block);
  void trim_released_pools();  // frees what released pools no longer use

  int32_t device_;
  std::mutex mutex_;
  std::multimap<std::pair<cudaStream_t, int64_t>, void*> free_;  // cached blocks by stream, size
  std::unordered_map<void*, Live> live_;
  std::vector<Pending> pending_;
  std::unordered_map<uint64_t, Pool> pools_;
  std::unordered_map<cudaStream_t, uint64_t> capturing_;  // stream -> pool it captures into
  uint64_t next_pool_ = 1;
  ember_memory_stats stats_{};
};

// The allocator of a device (plugin.cu).
CachingAllocator& device_allocator(int32_t device);

// Page-locked host memory (cudaHostAlloc), cached like device memory. A block that an
// asynchronous copy reads is handed out again only once an event recorded after that copy has
// completed, so a tensor freed right after a non-blocking upload never has its bytes overwritten
// in flight.
class HostAllocator {
 public:
  void* allocate(int64_t nbytes);  // nullptr when out of pinned memory
  void deallocate(void* p);
  // A copy reading [p, p + nbytes) was queued on stream (p may point inside a block).
  void record_use(const void* p, cudaStream_t stream);

 private:
  struct Block {
    int64_t size;
    bool live;
    std::vector<cudaEvent_t> uses;  // events after queued copies that read the block
  };
  bool idle(Block& b);  // caller holds mutex_; true when every recorded use has completed

  std::mutex mutex_;
  std::map<const char*, Block> blocks_;  // every block, by address
};

}  // namespace ember_cuda
