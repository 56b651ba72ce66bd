#include <cuda_runtime.h>

#include <algorithm>

#include "allocator.h"

namespace ember_cuda {

namespace {

constexpr int64_t kSmall = int64_t{1} << 20;  // up to here: the small pool, 512-byte steps
constexpr int64_t kLargeStep = int64_t{2} << 20;

int64_t round_size(int64_t n) {
  if (n <= kSmall) return std::max<int64_t>(512, (n + 511) / 512 * 512);
  return (n + kLargeStep - 1) / kLargeStep * kLargeStep;
}

// A cached block may serve a request this much smaller (wasting at most a fifth); a small request
// never takes a large block.
bool fits(int64_t block, int64_t want) {
  return block <= kSmall ? block == want : block - block / 5 <= want;
}

}  // namespace

void* CachingAllocator::allocate(int64_t nbytes) {
  const int64_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = nullptr;
  int64_t got = size;
  if (auto it = free_.lower_bound(size); it != free_.end() && fits(it->first, size)) {
    p = it->second;
    got = it->first;
    free_.erase(it);
  } else {
    cudaSetDevice(device_);
    if (cudaMalloc(&p, static_cast<size_t>(size)) != cudaSuccess) {
      cudaGetLastError();
      release_cached();
      if (cudaMalloc(&p, static_cast<size_t>(size)) != cudaSuccess) {
        cudaGetLastError();
        ++stats_.num_ooms;
        return nullptr;
      }
    }
    stats_.reserved += size;
  }
  live_size_[p] = got;
  stats_.allocated += got;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  ++stats_.num_allocs;
  return p;
}

void CachingAllocator::deallocate(void* p) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_size_.find(p);
  if (it == live_size_.end()) return;  // not ours: nothing safe to do
  free_.emplace(it->second, p);
  stats_.allocated -= it->second;
  live_size_.erase(it);
}

ember_memory_stats CachingAllocator::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_allocated = stats_.allocated;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  release_cached();
}

void CachingAllocator::release_cached() {
  if (free_.empty()) return;
  cudaSetDevice(device_);
  cudaDeviceSynchronize();  // queued kernels may still use blocks freed on the host
  for (auto& [size, p] : free_) {
    cudaFree(p);
    stats_.reserved -= size;
  }
  free_.clear();
}

}  // namespace ember_cuda
