#include <algorithm>

#include "allocator.h"
#include "small_ops.cuh"

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

thread_local std::string t_failure;

}  // namespace

const std::string& CachingAllocator::last_failure() { return t_failure; }

void* CachingAllocator::allocate(int64_t nbytes, cudaStream_t stream) {
  const int64_t size = round_size(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  t_failure.clear();
  if (!capturing_.empty()) {
    if (auto c = capturing_.find(stream); c != capturing_.end())
      return allocate_in_pool(c->second, size, stream);
    // A stream that joined a capture through an event records into the same graph, but memory
    // from the general cache would be handed out again while the graph still uses it.
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    if (stream != nullptr && cudaStreamIsCapturing(stream, &status) != cudaSuccess)
      cudaGetLastError();
    if (status != cudaStreamCaptureStatusNone) {
      t_failure =
          "a stream that joined a CUDA graph capture cannot allocate; allocate on the capturing "
          "stream";
      return nullptr;
    }
  }
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
  return hand_out(p, got, stream, 0);
}

void* CachingAllocator::allocate_in_pool(uint64_t id, int64_t size, cudaStream_t stream) {
  Pool& pool = pools_.at(id);
  void* p = nullptr;
  int64_t got = size;
  if (auto it = pool.free.lower_bound(size); it != pool.free.end() && fits(it->first, size)) {
    p = it->second;
    got = it->first;
    pool.free.erase(it);
  } else {
    cudaSetDevice(device_);
    RelaxedCapture relaxed;
    if (cudaMalloc(&p, static_cast<size_t>(size)) != cudaSuccess) {
      cudaGetLastError();
      ++stats_.num_ooms;
      // Freeing the cache would wait for the device, which a capture forbids.
      t_failure = "out of memory while capturing a CUDA graph (the cache cannot be freed then)";
      return nullptr;
    }
    stats_.reserved += size;
  }
  ++pool.live;
  return hand_out(p, got, stream, id);
}

void* CachingAllocator::hand_out(void* p, int64_t size, cudaStream_t stream, uint64_t pool) {
  live_[p] = Live{size, stream, {}, pool};
  stats_.allocated += size;
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
  if (block.pool != 0) return free_in_pool(p, block);
  if (block.also_on.empty()) return cache(p, block.size, block.stream);
  Pending wait{p, block.size, block.stream, {}};
  cudaSetDevice(device_);
  for (cudaStream_t s : block.also_on) {
    flush_small_ops(device_, s);  // the event must follow the ops queued there
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

// Within a graph, stream order makes reuse safe: replays run the work in the captured order. A
// block also used on other streams is not reused, as those streams' work is not ordered with it.
void CachingAllocator::free_in_pool(void* p, const Live& block) {
  Pool& pool = pools_.at(block.pool);
  --pool.live;
  if (block.also_on.empty())
    pool.free.emplace(block.size, p);
  else
    pool.spent.emplace_back(p, block.size);
  if (pool.released) trim_released_pools();
}

uint64_t CachingAllocator::create_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_pool_++;
  pools_[id];
  return id;
}

void CachingAllocator::begin_capture(uint64_t pool, cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  capturing_[stream] = pool;
}

void CachingAllocator::end_capture(cudaStream_t stream) {
  std::lock_guard<std::mutex> lock(mutex_);
  capturing_.erase(stream);
  trim_released_pools();  // pools released during the capture had to wait
}

void CachingAllocator::release_pool(uint64_t pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pools_.find(pool);
  if (it == pools_.end()) return;
  it->second.released = true;
  trim_released_pools();
}

void CachingAllocator::trim_released_pools() {
  if (!capturing_.empty()) return;  // no device-wide wait and no cudaFree during a capture
  bool unused = false;
  for (const auto& [id, pool] : pools_)
    unused |= pool.released && (!pool.free.empty() || !pool.spent.empty());
  if (unused) {
    cudaSetDevice(device_);
    flush_small_ops(device_);
    cudaDeviceSynchronize();  // replays queued before the graph went may still use the memory
  }
  for (auto it = pools_.begin(); it != pools_.end();) {
    Pool& pool = it->second;
    if (!pool.released) {
      ++it;
      continue;
    }
    for (const auto& [size, p] : pool.free) {
      cudaFree(p);
      stats_.reserved -= size;
    }
    for (const auto& [p, size] : pool.spent) {
      cudaFree(p);
      stats_.reserved -= size;
    }
    pool.free.clear();
    pool.spent.clear();
    it = pool.live == 0 ? pools_.erase(it) : std::next(it);
  }
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
  if (!capturing_.empty()) return;  // waiting for the device would break the capture
  cudaSetDevice(device_);
  flush_small_ops(device_);
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
  trim_released_pools();
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
