// The caching allocator of one CUDA device: freed blocks are kept and handed out again, so steady
// training loops stop calling cudaMalloc/cudaFree (each a device-wide synchronisation). Blocks
// are reused in stream order: every kernel runs on the device's default stream, so a block freed
// on the host can be reused by the next launch without waiting.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>

#include "ember/core.h"

namespace ember_cuda {

class CachingAllocator {
 public:
  explicit CachingAllocator(int32_t device) : device_(device) {}
  // nullptr when the device is out of memory even after freeing every cached block.
  void* allocate(int64_t nbytes);
  void deallocate(void* p);
  ember_memory_stats stats();
  void reset_peak();
  void empty_cache();

 private:
  void release_cached();  // caller holds mutex_

  int32_t device_;
  std::mutex mutex_;
  std::multimap<int64_t, void*> free_;            // cached blocks by size
  std::unordered_map<void*, int64_t> live_size_;  // live blocks' sizes
  ember_memory_stats stats_{};
};

}  // namespace ember_cuda
