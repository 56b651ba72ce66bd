// The CPU allocator: 64-byte alignment for every size, live-byte accounting, and the bounded cache
// that recycles freed medium and large blocks (so fresh outputs skip the page faults of new
// memory).
#include <gtest/gtest.h>

#include <cstdint>

#include "ember/ember.h"

namespace {

constexpr ember_device kCpu{EMBER_DEVICE_CPU, 0};

int64_t allocated() {
  int64_t n = -1;
  EXPECT_EQ(ember_cpu_bytes_allocated(&n), EMBER_OK);
  return n;
}

ember_memory_stats stats() {
  ember_memory_stats s{};
  EXPECT_EQ(ember_device_memory_stats(kCpu, &s), EMBER_OK);
  return s;
}

int64_t cached() { return stats().reserved - stats().allocated; }

void empty_cache() { ASSERT_EQ(ember_device_empty_cache(kCpu), EMBER_OK); }

ember_tensor empty_f32(int64_t numel) {
  ember_tensor t = nullptr;
  EXPECT_EQ(ember_empty(&numel, 1, EMBER_FLOAT32, kCpu, &t), EMBER_OK) << ember_last_error();
  return t;
}

void* data(ember_tensor t) {
  void* p = nullptr;
  EXPECT_EQ(ember_tensor_data_ptr(t, &p), EMBER_OK);
  return p;
}

TEST(CpuAllocator, EverySizeIs64ByteAligned) {
  for (int64_t numel : {1, 3, 17, 1000, 262143, 262144, 1 << 22}) {
    ember_tensor t = empty_f32(numel);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(data(t)) % 64, 0u) << numel;
    ember_tensor_release(t);
  }
}

TEST(CpuAllocator, FreedLargeBlockIsReusedAndCountedOnlyWhileLive) {
  empty_cache();
  ASSERT_EQ(cached(), 0);
  const int64_t before = allocated();
  const int64_t numel = 3 << 20;  // 12 MiB
  ember_tensor t = empty_f32(numel);
  void* first = data(t);
  EXPECT_EQ(allocated(), before + numel * 4);
  EXPECT_EQ(stats().allocated, allocated());
  EXPECT_GE(stats().peak_allocated, before + numel * 4);
  ember_tensor_release(t);
  EXPECT_EQ(allocated(), before);
  EXPECT_GE(cached(), numel * 4);

  // A slightly different size of the same 2 MiB class gets the same block back.
  ember_tensor u = empty_f32(numel - 100);
  EXPECT_EQ(data(u), first);
  EXPECT_EQ(cached(), 0);
  ember_tensor_release(u);

  empty_cache();
  EXPECT_EQ(cached(), 0);
  EXPECT_EQ(allocated(), before);
}

TEST(CpuAllocator, FreedMediumBlockIsReused) {
  // The activations of small-batch training (64 x 512 floats): from malloc they would come back
  // with fresh pages whenever glibc had trimmed its heap in between.
  empty_cache();
  const int64_t numel = 64 * 512;
  ember_tensor t = empty_f32(numel);
  void* first = data(t);
  ember_tensor_release(t);
  EXPECT_EQ(cached(), numel * 4);

  // A size in the same 16 KiB class gets the same block back; a small tensor leaves it cached.
  ember_tensor u = empty_f32(numel - 1000);
  EXPECT_EQ(data(u), first);
  EXPECT_EQ(cached(), 0);
  ember_tensor_release(u);
  ember_tensor small = empty_f32(1000);
  EXPECT_EQ(cached(), numel * 4);
  ember_tensor_release(small);
  empty_cache();
  EXPECT_EQ(cached(), 0);
}

TEST(CpuAllocator, CacheIsBounded) {
  empty_cache();
  // Twelve live 64 MiB blocks freed together: more than the cache keeps.
  ember_tensor ts[12];
  for (auto& t : ts) t = empty_f32(int64_t{16} << 20);
  for (auto& t : ts) ember_tensor_release(t);
  EXPECT_LE(cached(), int64_t{512} << 20);
  EXPECT_GT(cached(), 0);
  empty_cache();
}

TEST(CpuAllocator, HugeRequestFailsCleanlyAndIsCounted) {
  const int64_t ooms = stats().num_ooms;
  const int64_t numel = int64_t{1} << 60;
  ember_tensor t = nullptr;
  EXPECT_EQ(ember_empty(&numel, 1, EMBER_FLOAT32, kCpu, &t), EMBER_ERROR_OUT_OF_MEMORY);
  EXPECT_EQ(t, nullptr);
  EXPECT_EQ(stats().num_ooms, ooms + 1);
}

TEST(CpuAllocator, PeakResetsToTheLiveBytes) {
  ember_tensor t = empty_f32(1 << 20);
  ember_tensor_release(t);
  ASSERT_EQ(ember_device_reset_peak_memory(kCpu), EMBER_OK);
  EXPECT_EQ(stats().peak_allocated, allocated());
  EXPECT_EQ(ember_device_synchronize(kCpu), EMBER_OK);
  EXPECT_EQ(ember_device_synchronize(ember_device{EMBER_DEVICE_CPU, 3}), EMBER_ERROR_DEVICE);
}

}  // namespace
