#include "storage.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "error.h"

namespace ember {

namespace {

constexpr int64_t kAlignment = 64;

// 64-byte-aligned blocks carved out of malloc: malloc's per-thread caches make the small blocks of
// small tensors cheap, where aligned_alloc would split and free chunks on every call. The block
// over-allocates one alignment unit and keeps malloc's pointer just below the aligned address.
class CpuAllocator final : public Allocator {
 public:
  void* allocate(int64_t nbytes) override {
    EMBER_CHECK(nbytes >= 0, EMBER_ERROR_INVALID_ARGUMENT, "cpu allocator: negative size ", nbytes,
                " bytes");
    void* raw = nbytes <= std::numeric_limits<int64_t>::max() - kAlignment
                    ? std::malloc(static_cast<size_t>(nbytes + kAlignment))
                    : nullptr;
    EMBER_CHECK(raw != nullptr, EMBER_ERROR_OUT_OF_MEMORY, "out of memory: cannot allocate ",
                nbytes, " bytes (", static_cast<double>(nbytes) / (1 << 30), " GiB) on cpu");
    // malloc aligns to at least 8, so the 8 bytes below the aligned address are inside the block.
    const uintptr_t aligned =
        (reinterpret_cast<uintptr_t>(raw) + kAlignment) & ~static_cast<uintptr_t>(kAlignment - 1);
    void* p = reinterpret_cast<void*>(aligned);
    std::memcpy(static_cast<char*>(p) - sizeof(void*), &raw, sizeof(void*));
    live_.fetch_add(nbytes, std::memory_order_relaxed);
    return p;
  }
  void deallocate(void* p, int64_t nbytes) noexcept override {
    void* raw;
    std::memcpy(&raw, static_cast<char*>(p) - sizeof(void*), sizeof(void*));
    std::free(raw);
    live_.fetch_sub(nbytes, std::memory_order_relaxed);
  }
  int64_t live() const { return live_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> live_{0};
};

// Never destroyed: storages released during static destruction must still find it.
CpuAllocator& cpu_allocator_impl() {
  static CpuAllocator* a = new CpuAllocator();
  return *a;
}

}  // namespace

Allocator& cpu_allocator() { return cpu_allocator_impl(); }
int64_t cpu_bytes_allocated() { return cpu_allocator_impl().live(); }

Storage::Storage(int64_t nbytes, Device device, Allocator& allocator)
    : data_(allocator.allocate(nbytes)), nbytes_(nbytes), device_(device), allocator_(&allocator) {}

Storage::~Storage() { allocator_->deallocate(data_, nbytes_); }

}  // namespace ember
