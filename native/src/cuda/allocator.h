// The caching allocator of one CUDA device: freed blocks are kept and handed out again, so steady
// training loops stop calling cudaMalloc/cudaFree (each a device-wide synchronisation). Each
// block belongs to the stream it was allocated on and is reused only there, in stream order, so a
// block freed on the host can serve the next launch on that stream without waiting. A block also
// used on other streams (record_stream) returns to the cache only once events recorded on those
// streams at free time have completed.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ember/core.h"

namespace ember_cuda {

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

 private:
  struct Live {
    int64_t size;
    cudaStream_t stream;
    std::vector<cudaStream_t> also_on;  // streams given by record_stream
  };
  struct Pending {
    void* p;
    int64_t size;
    cudaStream_t stream;
    std::vector<cudaEvent_t> events;  // one per other stream the block was used on
  };
  // Caller holds mutex_ for all three.
  void release_cached();
  void collect_pending();
  void cache(void* p, int64_t size, cudaStream_t stream);

  int32_t device_;
  std::mutex mutex_;
  std::multimap<std::pair<cudaStream_t, int64_t>, void*> free_;  // cached blocks by stream, size
  std::unordered_map<void*, Live> live_;
  std::vector<Pending> pending_;
  ember_memory_stats stats_{};
};

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
