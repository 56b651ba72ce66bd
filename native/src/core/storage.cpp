#include "storage.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>

#include "error.h"

namespace ember {

namespace {

constexpr int64_t kAlignment = 64;

// Blocks from this size up bypass malloc: each one is its own mmap in glibc, so a fresh large
// tensor would pay a page fault per 4 KiB on first touch (a 16M-element add spent 3/4 of its time
// there). They are instead kept in a bounded cache of freed blocks and reused, as PyTorch's CUDA
// caching allocator does for device memory.
constexpr int64_t kLargeBlock = int64_t{1} << 20;
// Large sizes round up to this, so blocks of nearly equal size are interchangeable and the kernel
// can back them with transparent huge pages.
constexpr int64_t kLargeGranule = int64_t{2} << 20;
// Medium blocks (the activations of small-batch training: 64 x 512 floats is 128 KiB) are cached
// too. From malloc they came back with fresh pages most of the time: glibc hands the top of its
// heap back to the system once more than twice its mmap threshold is free there, and a training
// step frees several such tensors at once (6 % of the seed MLP's step went to page faults).
constexpr int64_t kMediumBlock = int64_t{64} << 10;
constexpr int64_t kMediumGranule = int64_t{16} << 10;
// Freed large and medium blocks beyond this many cached bytes go back to the system.
constexpr int64_t kCacheLimit = int64_t{512} << 20;

// The size a cached block of nbytes really has (large and medium blocks only).
int64_t round_up_cached(int64_t nbytes) {
  const int64_t granule = nbytes >= kLargeBlock ? kLargeGranule : kMediumGranule;
  return (nbytes + granule - 1) / granule * granule;
}

// Freed large blocks by rounded size. Large allocations are rare next to their cost, so one mutex
// serves them all.
class LargeBlockCache {
 public:
  void* take(int64_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end()) return nullptr;
    void* p = it->second;
    free_.erase(it);
    cached_ -= size;
    return p;
  }
  // False when the cache is full; the caller then frees the block itself.
  bool put(void* p, int64_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ + size > kCacheLimit) return false;
    free_.emplace(size, p);
    cached_ += size;
    return true;
  }
  void release_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [size, p] : free_) std::free(p);
    free_.clear();
    cached_ = 0;
  }
  int64_t cached() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_multimap<int64_t, void*> free_;
  int64_t cached_ = 0;
};

// 64-byte-aligned blocks. Small ones are carved out of malloc: malloc's per-thread caches make the
// blocks of small tensors cheap, where aligned_alloc would split and free chunks on every call. A
// small block over-allocates one alignment unit and keeps malloc's pointer just below the aligned
// address. Medium and large ones (see kMediumBlock, kLargeBlock) are rounded to their granule and
// recycled through the cache.
class CpuAllocator final : public Allocator {
 public:
  void* allocate(int64_t nbytes) override {
    EMBER_CHECK(nbytes >= 0, EMBER_ERROR_INVALID_ARGUMENT, "cpu allocator: negative size ", nbytes,
                " bytes");
    void* p = nbytes >= kMediumBlock ? allocate_cached(nbytes) : allocate_small(nbytes);
    if (p == nullptr) num_ooms_.fetch_add(1, std::memory_order_relaxed);
    EMBER_CHECK(p != nullptr, EMBER_ERROR_OUT_OF_MEMORY, "out of memory: cannot allocate ", nbytes,
                " bytes (", static_cast<double>(nbytes) / (1 << 30), " GiB) on cpu");
    const int64_t live = live_.fetch_add(nbytes, std::memory_order_relaxed) + nbytes;
    num_allocs_.fetch_add(1, std::memory_order_relaxed);
    // A racing allocation may win; the peak is then still one of the two values.
    int64_t peak = peak_.load(std::memory_order_relaxed);
    while (live > peak && !peak_.compare_exchange_weak(peak, live, std::memory_order_relaxed)) {
    }
    return p;
  }
  void deallocate(void* p, int64_t nbytes) noexcept override {
    live_.fetch_sub(nbytes, std::memory_order_relaxed);
    if (nbytes >= kMediumBlock) {
      const int64_t size = round_up_cached(nbytes);
      if (!cache_.put(p, size)) std::free(p);
      return;
    }
    void* raw;
    std::memcpy(&raw, static_cast<char*>(p) - sizeof(void*), sizeof(void*));
    std::free(raw);
  }
  int64_t live() const { return live_.load(std::memory_order_relaxed); }
  ember_memory_stats stats() const {
    const int64_t live = live_.load(std::memory_order_relaxed);
    return {live, std::max(peak_.load(std::memory_order_relaxed), live), live + cache_.cached(),
            num_allocs_.load(std::memory_order_relaxed), num_ooms_.load(std::memory_order_relaxed)};
  }
  void reset_peak() {
    peak_.store(live_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
  void empty_cache() { cache_.release_all(); }

 private:
  static void* allocate_small(int64_t nbytes) {
    void* raw = std::malloc(static_cast<size_t>(nbytes + kAlignment));
    if (raw == nullptr) return nullptr;
    // malloc aligns to at least 8, so the 8 bytes below the aligned address are inside the block.
    const uintptr_t aligned =
        (reinterpret_cast<uintptr_t>(raw) + kAlignment) & ~static_cast<uintptr_t>(kAlignment - 1);
    void* p = reinterpret_cast<void*>(aligned);
    std::memcpy(static_cast<char*>(p) - sizeof(void*), &raw, sizeof(void*));
    return p;
  }
  void* allocate_cached(int64_t nbytes) {
    if (nbytes > std::numeric_limits<int64_t>::max() - kLargeGranule) return nullptr;
    const int64_t size = round_up_cached(nbytes);
    if (void* p = cache_.take(size)) return p;
    const bool large = nbytes >= kLargeBlock;
    const auto align = static_cast<size_t>(large ? kLargeGranule : kAlignment);
    void* p = std::aligned_alloc(align, static_cast<size_t>(size));
    if (p == nullptr) {
      // Cached blocks of other sizes may be what stands between us and success.
      cache_.release_all();
      p = std::aligned_alloc(align, static_cast<size_t>(size));
      if (p == nullptr) return nullptr;
    }
#ifdef MADV_HUGEPAGE
    // Fewer, larger page faults on first touch; advisory, so a refusal changes nothing.
    if (large) madvise(p, static_cast<size_t>(size), MADV_HUGEPAGE);
#endif
    return p;
  }

  std::atomic<int64_t> live_{0};
  std::atomic<int64_t> peak_{0};
  std::atomic<int64_t> num_allocs_{0};
  std::atomic<int64_t> num_ooms_{0};
  LargeBlockCache cache_;
};

// Never destroyed: storages released during static destruction must still find it.
CpuAllocator& cpu_allocator_impl() {
  static CpuAllocator* a = new CpuAllocator();
  return *a;
}

}  // namespace

Allocator& cpu_allocator() { return cpu_allocator_impl(); }
int64_t cpu_bytes_allocated() { return cpu_allocator_impl().live(); }
ember_memory_stats cpu_memory_stats() { return cpu_allocator_impl().stats(); }
void cpu_reset_peak_memory() { cpu_allocator_impl().reset_peak(); }
void cpu_empty_cache() { cpu_allocator_impl().empty_cache(); }

Storage::Storage(int64_t nbytes, Device device, Allocator& allocator)
    : data_(allocator.allocate(nbytes)), nbytes_(nbytes), device_(device), allocator_(&allocator) {}

Storage::Storage(void* data, int64_t nbytes, Device device, Release release, void* ctx) noexcept
    : data_(data),
      nbytes_(nbytes),
      device_(device),
      allocator_(nullptr),
      release_(release),
      release_ctx_(ctx) {}

Storage::~Storage() {
  if (allocator_ != nullptr) {
    allocator_->deallocate(data_, nbytes_);
  } else if (release_ != nullptr) {
    release_(release_ctx_);
  }
}

}  // namespace ember
