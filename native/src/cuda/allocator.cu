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

void* CachingAllocator::allocate(int64_t nbytes, cudaStream_t stream) {
  const int64_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!pending_.empty()) collect_pending();
  void* p = nullptr;
  int64_t got = size;
  if (auto it = free_.lower_bound({stream, size});
      it != free_.end() && it->first.first == stream && fits(it->first.second, size)) {
    p = it->second;
    got = it->first.second;
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
  live_[p] = Live{got, stream, {}};
  stats_.allocated += got;
  stats_.peak_allocated = std::max(stats_.peak_allocated, stats_.allocated);
  ++stats_.num_allocs;
  return p;
}

void CachingAllocator::deallocate(void* p) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(p);
  if (it == live_.end()) return;  // not ours: nothing safe to do
  Live block = std::move(it->second);
  live_.erase(it);
  stats_.allocated -= block.size;
  if (block.also_on.empty()) return cache(p, block.size, block.stream);
  Pending wait{p, block.size, block.stream, {}};
  cudaSetDevice(device_);
  for (cudaStream_t s : block.also_on) {
    cudaEvent_t e = nullptr;
    if (cudaEventCreateWithFlags(&e, cudaEventDisableTiming) != cudaSuccess ||
        cudaEventRecord(e, s) != cudaSuccess) {
      // Without an event the only safe order is a full wait.
      cudaGetLastError();
      if (e != nullptr) cudaEventDestroy(e);
      cudaStreamSynchronize(s);
      continue;
    }
    wait.events.push_back(e);
  }
  pending_.push_back(std::move(wait));
}

void CachingAllocator::record_stream(void* p, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(p);
  if (it == live_.end() || it->second.stream == stream) return;
  auto& on = it->second.also_on;
  if (std::find(on.begin(), on.end(), stream) == on.end()) on.push_back(stream);
}

void CachingAllocator::cache(void* p, int64_t size, cudaStream_t stream) {
  free_.emplace(std::make_pair(stream, size), p);
}

void CachingAllocator::collect_pending() {
  std::erase_if(pending_, [&](Pending& w) {
    for (cudaEvent_t e : w.events) {
      if (cudaEventQuery(e) != cudaSuccess) {
        cudaGetLastError();  // cudaErrorNotReady is not an error to keep
        return false;
      }
    }
    for (cudaEvent_t e : w.events) cudaEventDestroy(e);
    cache(w.p, w.size, w.stream);
    return true;
  });
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
  cudaSetDevice(device_);
  cudaDeviceSynchronize();  // queued kernels may still use blocks freed on the host
  for (Pending& w : pending_) {
    for (cudaEvent_t e : w.events) cudaEventDestroy(e);
    cache(w.p, w.size, w.stream);
  }
  pending_.clear();
  for (auto& [key, p] : free_) {
    cudaFree(p);
    stats_.reserved -= key.second;
  }
  free_.clear();
}

void* HostAllocator::allocate(int64_t nbytes) {
  const int64_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [p, b] : blocks_) {
    if (!b.live && fits(b.size, size) && idle(b)) {
      b.live = true;
      return const_cast<char*>(p);
    }
  }
  void* p = nullptr;
  if (cudaHostAlloc(&p, static_cast<size_t>(size), cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  blocks_[static_cast<const char*>(p)] = Block{size, true, {}};
  return p;
}

void HostAllocator::deallocate(void* p) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = blocks_.find(static_cast<const char*>(p));
  if (it != blocks_.end()) it->second.live = false;
}

void HostAllocator::record_use(const void* p, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = blocks_.upper_bound(static_cast<const char*>(p));
  if (it == blocks_.begin()) return;
  --it;
  if (static_cast<const char*>(p) >= it->first + it->second.size) return;  // not ours
  cudaEvent_t e = nullptr;
  if (cudaEventCreateWithFlags(&e, cudaEventDisableTiming) != cudaSuccess ||
      cudaEventRecord(e, stream) != cudaSuccess) {
    cudaGetLastError();
    if (e != nullptr) cudaEventDestroy(e);
    cudaStreamSynchronize(stream);  // without an event, wait now
    return;
  }
  it->second.uses.push_back(e);
}

bool HostAllocator::idle(Block& b) {
  while (!b.uses.empty()) {
    if (cudaEventQuery(b.uses.back()) != cudaSuccess) {
      cudaGetLastError();
      return false;
    }
    cudaEventDestroy(b.uses.back());
    b.uses.pop_back();
  }
  return true;
}

}  // namespace ember_cuda
