// Reference counting: Ref semantics, storages freed exactly when the last tensor or view goes, and
// handles across the C ABI neither leak nor double free (run under the sanitizer build too).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/ops.h"
#include "ember/ember.h"

namespace ember {
namespace {

struct Counted : RefCounted {
  explicit Counted(std::atomic<int>* live) : live_(live) { ++*live_; }
  ~Counted() override { --*live_; }
  std::atomic<int>* live_;
};

TEST(Ref, OwnershipRules) {
  std::atomic<int> live{0};
  {
    Ref<Counted> a = Ref<Counted>::make(&live);
    EXPECT_EQ(a->refcount(), 1);
    Ref<Counted> b = a;
    EXPECT_EQ(a->refcount(), 2);
    Ref<Counted> c = std::move(b);
    EXPECT_FALSE(b);
    EXPECT_EQ(a->refcount(), 2);
    Counted* raw = c.release_ownership();  // as a handle crossing the C ABI
    EXPECT_FALSE(c);
    EXPECT_EQ(raw->refcount(), 2);
    Ref<Counted> back = Ref<Counted>::adopt(raw);
    EXPECT_EQ(raw->refcount(), 2);
    Ref<Counted> shared = Ref<Counted>::share(raw);
    EXPECT_EQ(raw->refcount(), 3);
    a = nullptr;
    shared = Ref<Counted>();
    EXPECT_EQ(back->refcount(), 1);
    EXPECT_EQ(live.load(), 1);
  }
  EXPECT_EQ(live.load(), 0);
}

TEST(Refcount, StorageFreedWithLastView) {
  const int64_t base = cpu_bytes_allocated();
  Tensor v;
  {
    Tensor t = empty({8, 16}, DType::Float64, Device{});
    EXPECT_EQ(cpu_bytes_allocated(), base + 8 * 16 * 8);
    v = ops::slice(ops::transpose(t, 0, 1), 0, 2, 6, 1);
    EXPECT_EQ(t->refcount(), 1);             // views hold the storage, not the tensor
    EXPECT_EQ(t->storage()->refcount(), 2);  // t and v
  }
  EXPECT_EQ(cpu_bytes_allocated(), base + 8 * 16 * 8);
  v = nullptr;
  EXPECT_EQ(cpu_bytes_allocated(), base);
  {
    Tensor z = empty({0}, DType::Float32, Device{});  // a zero-byte storage is still valid
    EXPECT_EQ(z->storage()->nbytes(), 0);
    EXPECT_EQ(cpu_bytes_allocated(), base);
  }
  EXPECT_EQ(cpu_bytes_allocated(), base);
}

TEST(Refcount, HandlesAcrossTheAbiDoNotLeak) {
  int64_t base = 0, now = 0;
  ASSERT_EQ(ember_cpu_bytes_allocated(&base), EMBER_OK);
  const int64_t sizes[] = {4, 5};
  ember_tensor t = nullptr, t2 = nullptr, v = nullptr, w = nullptr;
  ASSERT_EQ(ember_empty(sizes, 2, EMBER_FLOAT32, ember_device{0, 0}, &t), EMBER_OK);
  ASSERT_EQ(ember_tensor_retain(t, &t2), EMBER_OK);
  EXPECT_EQ(t2, t);
  EXPECT_EQ(reinterpret_cast<TensorImpl*>(t)->refcount(), 2);
  ASSERT_EQ(ember_transpose(t, 0, 1, &v), EMBER_OK);
  ASSERT_EQ(ember_select(v, 0, 1, &w), EMBER_OK);
  ASSERT_EQ(ember_cpu_bytes_allocated(&now), EMBER_OK);
  EXPECT_EQ(now, base + 80);
  EXPECT_EQ(ember_tensor_release(t), EMBER_OK);
  EXPECT_EQ(ember_tensor_release(t2), EMBER_OK);
  EXPECT_EQ(ember_tensor_release(v), EMBER_OK);
  ASSERT_EQ(ember_cpu_bytes_allocated(&now), EMBER_OK);
  EXPECT_EQ(now, base + 80);  // w still views the storage
  float* p = nullptr;
  ASSERT_EQ(ember_tensor_data_ptr(w, reinterpret_cast<void**>(&p)), EMBER_OK);
  p[0] = 1.5f;  // still writable memory (the sanitizer build would catch a use after free)
  EXPECT_EQ(ember_tensor_release(w), EMBER_OK);
  ASSERT_EQ(ember_cpu_bytes_allocated(&now), EMBER_OK);
  EXPECT_EQ(now, base);
  EXPECT_EQ(ember_tensor_release(nullptr), EMBER_OK);  // like free(NULL)
}

TEST(Refcount, FailedCallsDoNotLeak) {
  int64_t base = 0, now = 0;
  ASSERT_EQ(ember_cpu_bytes_allocated(&base), EMBER_OK);
  const int64_t sizes[] = {3, 4};
  ember_tensor t = nullptr, out = nullptr;
  ASSERT_EQ(ember_zeros(sizes, 2, EMBER_FLOAT32, ember_device{0, 0}, &t), EMBER_OK);
  const int64_t bad[] = {5, -1};
  EXPECT_EQ(ember_view(t, bad, 2, &out), EMBER_ERROR_SHAPE);
  const int64_t other[] = {2, 4};
  ember_tensor u = nullptr;
  ASSERT_EQ(ember_zeros(other, 2, EMBER_FLOAT32, ember_device{0, 0}, &u), EMBER_OK);
  EXPECT_EQ(ember_add(t, u, &out), EMBER_ERROR_SHAPE);
  EXPECT_EQ(ember_reshape(t, sizes, 2, nullptr), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);
  ember_tensor_release(t);
  ember_tensor_release(u);
  ASSERT_EQ(ember_cpu_bytes_allocated(&now), EMBER_OK);
  EXPECT_EQ(now, base);
}

TEST(Refcount, ConcurrentRetainRelease) {
  Tensor t = empty({16}, DType::Float32, Device{});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int k = 0; k < 20000; ++k) {
        ember_tensor h = nullptr;
        ember_tensor_retain(reinterpret_cast<ember_tensor>(t.get()), &h);
        Tensor view = ops::unsqueeze(t, 0);
        ember_tensor_release(h);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(t->refcount(), 1);
  EXPECT_EQ(t->storage()->refcount(), 1);
}

}  // namespace
}  // namespace ember
