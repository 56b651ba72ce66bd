// A block of device memory shared by a tensor and all its views.
#pragma once

#include <atomic>
#include <cstdint>

#include "device.h"
#include "ember/core.h"
#include "refcount.h"

namespace ember {

// Allocates and frees the memory of one device (the CPU's, or a backend's).
class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(int64_t nbytes) = 0;  // throws Error(EMBER_ERROR_OUT_OF_MEMORY) on failure
  virtual void deallocate(void* p, int64_t nbytes) noexcept = 0;
  // True for page-locked host memory, which devices copy from asynchronously.
  virtual bool pinned() const noexcept { return false; }
};

// The 64-byte-aligned CPU allocator; counts live bytes for ember_cpu_bytes_allocated. Freed large
// blocks are cached for reuse (bounded); cpu_empty_cache hands them back to the system.
Allocator& cpu_allocator();
int64_t cpu_bytes_allocated();
ember_memory_stats cpu_memory_stats();
void cpu_reset_peak_memory();
void cpu_empty_cache();

class Storage final : public RefCounted {
 public:
  // Allocates nbytes on device through allocator.
  Storage(int64_t nbytes, Device device, Allocator& allocator);
  // Memory someone else owns (a pinned .NET array, a memory-mapped file): never freed here;
  // release(ctx) runs once when the storage goes (release may be null).
  using Release = void (*)(void* ctx);
  Storage(void* data, int64_t nbytes, Device device, Release release, void* ctx) noexcept;
  ~Storage() override;

  void* data() const noexcept { return data_; }
  int64_t nbytes() const noexcept { return nbytes_; }
  Device device() const noexcept { return device_; }
  bool pinned() const noexcept { return allocator_ != nullptr && allocator_->pinned(); }

  // Shared by every tensor viewing this storage; bumped by in-place ops (autograd checks it).
  int64_t version() const noexcept { return version_.load(std::memory_order_relaxed); }
  void bump_version() noexcept { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  int64_t nbytes_;
  Device device_;
  Allocator* allocator_;  // null for borrowed memory
  Release release_ = nullptr;
  void* release_ctx_ = nullptr;
  std::atomic<int64_t> version_{0};
};

}  // namespace ember
