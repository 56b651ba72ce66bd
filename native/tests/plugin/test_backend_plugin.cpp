// The backend registry with a real plugin: a fake two-device "HIP" backend (fake_backend.c) loaded
// through ember_backend_load, its allocator and copies used by the engine, and registration errors.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/ops.h"
#include "core/plugin_kernels.h"
#include "ember/ember.h"

namespace ember {
namespace {

const Device kHip0{DeviceType::HIP, 0}, kHip1{DeviceType::HIP, 1};

// The fake's counters, read from the loaded library itself.
struct FakeCounters {
  int64_t* live = nullptr;
  int64_t* copies = nullptr;
  int64_t* tf32 = nullptr;
  int64_t* pinned_blocks = nullptr;
  int64_t* async_copies = nullptr;
  int64_t* graphs_live = nullptr;
  int64_t* graph_replays = nullptr;
  FakeCounters() {
    void* h = dlopen(FAKE_BACKEND_OK, RTLD_NOW | RTLD_NOLOAD);
    if (!h) return;
    live = static_cast<int64_t*>(dlsym(h, "fake_backend_live_bytes"));
    copies = static_cast<int64_t*>(dlsym(h, "fake_backend_copies"));
    tf32 = static_cast<int64_t*>(dlsym(h, "fake_backend_tf32"));
    pinned_blocks = static_cast<int64_t*>(dlsym(h, "fake_backend_pinned_blocks"));
    async_copies = static_cast<int64_t*>(dlsym(h, "fake_backend_async_copies"));
    graphs_live = static_cast<int64_t*>(dlsym(h, "fake_backend_graphs_live"));
    graph_replays = static_cast<int64_t*>(dlsym(h, "fake_backend_graph_replays"));
    dlclose(h);
  }
};

void load_fake() { ASSERT_EQ(ember_backend_load(FAKE_BACKEND_OK), EMBER_OK) << ember_last_error(); }

template <class F>
std::string error_of(F f, ember_status status) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(BackendPlugin, FailingPluginReportsItsMessage) {
  EXPECT_EQ(ember_backend_load(FAKE_BACKEND_FAIL), EMBER_ERROR_BACKEND);
  const std::string msg = ember_last_error();
  EXPECT_NE(msg.find("backend_load"), std::string::npos) << msg;
  EXPECT_NE(msg.find(FAKE_BACKEND_FAIL), std::string::npos) << msg;
  EXPECT_NE(msg.find("fake backend: no devices found"), std::string::npos) << msg;
  EXPECT_FALSE(backend_available(DeviceType::HIP));
}

TEST(BackendPlugin, LoadsAndRegisters) {
  int32_t avail = -1, count = -1;
  ASSERT_EQ(ember_backend_is_available(EMBER_DEVICE_HIP, &avail), EMBER_OK);
  EXPECT_EQ(avail, 0);
  load_fake();
  load_fake();  // loading the same library again is a no-op
  ASSERT_EQ(ember_backend_is_available(EMBER_DEVICE_HIP, &avail), EMBER_OK);
  ASSERT_EQ(ember_backend_device_count(EMBER_DEVICE_HIP, &count), EMBER_OK);
  EXPECT_EQ(avail, 1);
  EXPECT_EQ(count, 2);
  EXPECT_FALSE(backend_available(DeviceType::CUDA));
  check_device("test", kHip1);
  const std::string msg = error_of(
      [] {
        check_device("myop", Device{DeviceType::HIP, 2});
      },
      EMBER_ERROR_DEVICE);
  EXPECT_NE(msg.find("myop"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hip:2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fake HIP"), std::string::npos) << msg;
}

TEST(BackendPlugin, BackendOptionsReachThePlugin) {
  int64_t value = -1;
  ASSERT_EQ(ember_get_backend_option("cuda.matmul.allow_tf32", &value), EMBER_OK);
  EXPECT_EQ(value, 0);  // PyTorch's default
  ASSERT_EQ(ember_set_backend_option("cuda.matmul.allow_tf32", 1), EMBER_OK);
  load_fake();  // a plugin registered now gets every setting; one registered before gets the change
  FakeCounters fake;
  ASSERT_NE(fake.tf32, nullptr);
  EXPECT_EQ(*fake.tf32, 1);
  ASSERT_EQ(ember_set_backend_option("cuda.matmul.allow_tf32", 0), EMBER_OK);
  EXPECT_EQ(*fake.tf32, 0);
  ASSERT_EQ(ember_get_backend_option("cudnn.benchmark", &value), EMBER_OK);
  EXPECT_EQ(value, 0);

  EXPECT_EQ(ember_set_backend_option("cuda.matmul.allow_tf33", 1), EMBER_ERROR_INVALID_ARGUMENT);
  const std::string msg = ember_last_error();
  EXPECT_NE(msg.find("allow_tf33"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cudnn.deterministic"), std::string::npos) << msg;  // the known names
  EXPECT_EQ(*fake.tf32, 0);
  EXPECT_EQ(ember_get_backend_option(nullptr, &value), EMBER_ERROR_INVALID_ARGUMENT);
}

TEST(BackendPlugin, PinnedMemoryComesFromTheBackendAndUploadsAsynchronously) {
  load_fake();
  FakeCounters fake;
  ASSERT_NE(fake.pinned_blocks, nullptr);
  const int64_t blocks = *fake.pinned_blocks, copies = *fake.async_copies;
  Generator g(3);
  const Tensor x = ops::randn({4, 5}, DType::Float32, Device{}, g);
  {
    const Tensor pinned = ops::pin_memory(x);
    EXPECT_TRUE(pinned->storage()->pinned());
    EXPECT_FALSE(x->storage()->pinned());
    EXPECT_EQ(*fake.pinned_blocks, blocks + 1);
    EXPECT_EQ(ops::pin_memory(pinned).get(), pinned.get()) << "pinning twice is a no-op";
    const Tensor on_device = ops::to_device(pinned, kHip0, true);
    EXPECT_EQ(*fake.async_copies, copies + 1);
    const Tensor back = ops::to_device(on_device, Device{});
    EXPECT_EQ(std::memcmp(back->data(), x->data(), 20 * sizeof(float)), 0);
    // Pageable memory, or a view that is not contiguous, takes the ordinary copy.
    (void)ops::to_device(x, kHip0, true);
    (void)ops::to_device(ops::transpose(pinned, 0, 1), kHip0, true);
    EXPECT_EQ(*fake.async_copies, copies + 1);
  }
  EXPECT_EQ(*fake.pinned_blocks, blocks) << "the block goes back to the backend";
  int32_t is_pinned = -1;
  ember_tensor h = nullptr;
  ASSERT_EQ(ember_pin_memory(reinterpret_cast<ember_tensor>(x.get()), &h), EMBER_OK);
  ASSERT_EQ(ember_tensor_is_pinned(h, &is_pinned), EMBER_OK);
  EXPECT_EQ(is_pinned, 1);
  ember_tensor_release(h);
  ember_tensor dev = nullptr;
  ASSERT_EQ(ember_to_device(reinterpret_cast<ember_tensor>(x.get()), {EMBER_DEVICE_HIP, 0}, &dev),
            EMBER_OK);
  EXPECT_EQ(ember_pin_memory(dev, &h), EMBER_ERROR_DEVICE);
  EXPECT_NE(std::string(ember_last_error()).find("only CPU tensors"), std::string::npos);
  ember_tensor_release(dev);
}

TEST(BackendPlugin, StreamsNeedABackendThatHasThem) {
  load_fake();
  ember_stream s = nullptr;
  EXPECT_EQ(ember_stream_create({EMBER_DEVICE_HIP, 0}, 0, &s), EMBER_ERROR_NOT_IMPLEMENTED);
  std::string msg = ember_last_error();
  EXPECT_NE(msg.find("stream_create"), std::string::npos) << msg;
  EXPECT_NE(msg.find("has no streams"), std::string::npos) << msg;
  EXPECT_EQ(s, nullptr);
  EXPECT_EQ(ember_event_create({EMBER_DEVICE_CPU, 0}, 0, nullptr), EMBER_ERROR_DEVICE);
  msg = ember_last_error();
  EXPECT_NE(msg.find("CPU has no streams"), std::string::npos) << msg;
}

// The graph C ABI: the engine keeps the order (capture, end, replay, reset) and hands each step to
// the backend; the fake's counters show what reached it.
TEST(BackendPlugin, GraphsForwardToTheBackend) {
  load_fake();
  FakeCounters fake;
  ASSERT_NE(fake.graphs_live, nullptr);
  const int64_t live = *fake.graphs_live, replays = *fake.graph_replays;
  ember_cuda_graph g = nullptr;
  ASSERT_EQ(ember_cuda_graph_create({EMBER_DEVICE_HIP, 1}, &g), EMBER_OK) << ember_last_error();
  EXPECT_EQ(*fake.graphs_live, live);  // nothing recorded yet

  EXPECT_EQ(ember_cuda_graph_replay(g), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("nothing was captured"), std::string::npos);
  EXPECT_EQ(ember_cuda_graph_capture_end(g), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("not recording"), std::string::npos);

  ASSERT_EQ(ember_cuda_graph_capture_begin(g), EMBER_OK) << ember_last_error();
  EXPECT_EQ(*fake.graphs_live, live + 1);
  EXPECT_EQ(ember_cuda_graph_capture_begin(g), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("reset it first"), std::string::npos);
  // The backend's own refusal comes back with its message and the device.
  EXPECT_EQ(ember_cuda_graph_replay(g), EMBER_ERROR_INVALID_ARGUMENT);
  std::string msg = ember_last_error();
  EXPECT_NE(msg.find("cuda_graph_replay on hip:1"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fake graph: still recording"), std::string::npos) << msg;

  ASSERT_EQ(ember_cuda_graph_capture_end(g), EMBER_OK) << ember_last_error();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK);
  EXPECT_EQ(*fake.graph_replays, replays + 3);

  ASSERT_EQ(ember_cuda_graph_reset(g), EMBER_OK);
  EXPECT_EQ(*fake.graphs_live, live);
  EXPECT_EQ(ember_cuda_graph_replay(g), EMBER_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(ember_cuda_graph_capture_begin(g), EMBER_OK);  // records again after a reset
  EXPECT_EQ(*fake.graphs_live, live + 1);
  ASSERT_EQ(ember_cuda_graph_destroy(g), EMBER_OK);  // destroying while recording drops it
  EXPECT_EQ(*fake.graphs_live, live);
  EXPECT_EQ(ember_cuda_graph_destroy(nullptr), EMBER_OK);
}

TEST(BackendPlugin, GraphsNeedAGpuBackend) {
  ember_cuda_graph g = nullptr;
  EXPECT_EQ(ember_cuda_graph_create({EMBER_DEVICE_CPU, 0}, &g), EMBER_ERROR_DEVICE);
  EXPECT_NE(std::string(ember_last_error()).find("the CPU is not a GPU"), std::string::npos);
  EXPECT_EQ(ember_cuda_graph_create({EMBER_DEVICE_CUDA, 0}, &g), EMBER_ERROR_DEVICE);
  const std::string msg = ember_last_error();
  EXPECT_NE(msg.find("cuda_graph_create"), std::string::npos) << msg;
  EXPECT_NE(msg.find("no CUDA backend is loaded"), std::string::npos) << msg;
  EXPECT_EQ(g, nullptr);
  EXPECT_EQ(ember_cuda_graph_capture_begin(nullptr), EMBER_ERROR_INVALID_ARGUMENT);
}

TEST(BackendPlugin, AllocatesThroughThePlugin) {
  load_fake();
  FakeCounters fake;
  ASSERT_NE(fake.live, nullptr);
  const int64_t before = fake.live[1];
  const int64_t cpu_before = cpu_bytes_allocated();
  {
    Tensor t = empty({3, 5}, DType::Float64, kHip1);
    EXPECT_EQ(t->device(), kHip1);
    EXPECT_EQ(fake.live[1], before + 120);
    EXPECT_EQ(cpu_bytes_allocated(), cpu_before);
    Tensor v = ops::transpose(t, 0, 1);  // views never touch the backend
    EXPECT_EQ(fake.live[1], before + 120);
    void* p = nullptr;
    EXPECT_EQ(ember_tensor_data_ptr(reinterpret_cast<ember_tensor>(v.get()), &p),
              EMBER_ERROR_DEVICE);
    EXPECT_NE(std::string(ember_last_error()).find("hip:1"), std::string::npos);
    EXPECT_EQ(p, nullptr);
  }
  EXPECT_EQ(fake.live[1], before);
  const std::string msg = error_of(
      [] {
        empty({int64_t{1} << 31, 4}, DType::Float32, kHip0);
      },
      EMBER_ERROR_OUT_OF_MEMORY);
  EXPECT_NE(msg.find("hip:0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("34359738368 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("fake device 0 holds at most"), std::string::npos) << msg;
}

TEST(BackendPlugin, CopiesBetweenHostAndDevices) {
  load_fake();
  FakeCounters fake;
  ASSERT_NE(fake.copies, nullptr);
  const int64_t copies = *fake.copies;
  const std::vector<float> host = {1, 2, 3, 4, 5, 6};
  Tensor d0 = empty({6}, DType::Float32, kHip0), d1 = empty({6}, DType::Float32, kHip1);
  copy_bytes(d0->data(), kHip0, host.data(), Device{}, 24);
  copy_bytes(d1->data(), kHip1, d0->data(), kHip0, 24);
  std::vector<float> back(6);
  copy_bytes(back.data(), Device{}, d1->data(), kHip1, 24);
  EXPECT_EQ(back, host);
  EXPECT_EQ(*fake.copies, copies + 3);
  copy_bytes(back.data(), Device{}, d1->data(), kHip1, 0);  // nothing to move: no call
  EXPECT_EQ(*fake.copies, copies + 3);

  // Through the C ABI: to the device and back, and reading a device tensor into host memory.
  const int64_t sizes[] = {2, 3};
  ember_tensor h = nullptr, dev = nullptr, again = nullptr;
  ASSERT_EQ(ember_from_data(host.data(), 24, sizes, 2, EMBER_FLOAT32, &h), EMBER_OK);
  ASSERT_EQ(ember_to_device(h, ember_device{EMBER_DEVICE_HIP, 1}, &dev), EMBER_OK)
      << ember_last_error();
  ember_device where{};
  ASSERT_EQ(ember_tensor_device(dev, &where), EMBER_OK);
  EXPECT_EQ(where.type, EMBER_DEVICE_HIP);
  EXPECT_EQ(where.index, 1);
  float out[6] = {};
  ASSERT_EQ(ember_copy_to_host(dev, out, sizeof out), EMBER_OK) << ember_last_error();
  EXPECT_EQ(std::memcmp(out, host.data(), sizeof out), 0);
  ASSERT_EQ(ember_to_device(dev, ember_device{EMBER_DEVICE_CPU, 0}, &again), EMBER_OK)
      << ember_last_error();
  void* p = nullptr;
  ASSERT_EQ(ember_tensor_data_ptr(again, &p), EMBER_OK);
  EXPECT_EQ(std::memcmp(p, host.data(), 24), 0);
  for (ember_tensor t : {h, dev, again}) ember_tensor_release(t);
}

TEST(BackendPlugin, RunsThePluginsKernelsThroughTheEngine) {
  load_fake();
  const int64_t sizes[] = {2, 3};
  const ember_device hip{EMBER_DEVICE_HIP, 0};
  ember_tensor a = nullptr, b = nullptr, c = nullptr, d = nullptr;
  ASSERT_EQ(
      ember_full(sizes, 2, ember_scalar{1.5, 0, EMBER_SCALAR_FLOAT, 0}, EMBER_FLOAT32, hip, &a),
      EMBER_OK)
      << ember_last_error();
  ASSERT_EQ(ember_full(sizes, 2, ember_scalar{0, 2, EMBER_SCALAR_INT, 0}, EMBER_FLOAT32, hip, &b),
            EMBER_OK)
      << ember_last_error();
  ASSERT_EQ(ember_add(a, b, &c), EMBER_OK) << ember_last_error();
  float out[6] = {};
  ASSERT_EQ(ember_copy_to_host(c, out, sizeof out), EMBER_OK) << ember_last_error();
  for (float v : out) EXPECT_EQ(v, 3.5f);

  // The kernel's own failure comes back as the op's error, with the backend's message.
  EXPECT_EQ(ember_sub(a, b, &d), EMBER_ERROR_NOT_IMPLEMENTED);
  const std::string msg = ember_last_error();
  EXPECT_NE(msg.find("binary kernel of the fake HIP backend failed"), std::string::npos) << msg;
  EXPECT_NE(msg.find("add of same-shape contiguous float32 only (op 1)"), std::string::npos) << msg;
  EXPECT_EQ(d, nullptr);
  // A family the plugin did not register still says so.
  EXPECT_EQ(ember_exp(a, &d), EMBER_ERROR_NOT_IMPLEMENTED);
  EXPECT_NE(std::string(ember_last_error()).find("hip:0"), std::string::npos);
  for (ember_tensor t : {a, b, c}) ember_tensor_release(t);
}

TEST(BackendPlugin, KernelRegistrationErrors) {
  load_fake();
  auto kernel = reinterpret_cast<ember_kernel_fn>(+[](void*) { return EMBER_OK; });
  std::string msg =
      error_of([&] { register_plugin_kernel(EMBER_DEVICE_HIP, "binary", "tt", kernel, nullptr); },
               EMBER_ERROR_BACKEND);
  EXPECT_NE(msg.find("\"ittt\""), std::string::npos) << msg;
  EXPECT_NE(msg.find("\"tt\""), std::string::npos) << msg;
  msg = error_of(
      [&] { register_plugin_kernel(EMBER_DEVICE_HIP, "no_such_op", "t", kernel, nullptr); },
      EMBER_ERROR_BACKEND);
  EXPECT_NE(msg.find("unknown kernel family 'no_such_op'"), std::string::npos) << msg;
  msg = error_of([&] { register_plugin_kernel(EMBER_DEVICE_CUDA, "fill", "ts", kernel, nullptr); },
                 EMBER_ERROR_BACKEND);
  EXPECT_NE(msg.find("no registered backend"), std::string::npos) << msg;
}

ember_backend valid_table() {
  ember_backend b{};
  b.struct_size = sizeof b;
  b.api_version = EMBER_PLUGIN_API_VERSION;
  b.device_type = EMBER_DEVICE_METAL;
  b.name = "table test";
  b.device_count = [](void*) { return 1; };
  b.allocate = [](void*, int32_t, int64_t) -> void* { return nullptr; };
  b.deallocate = [](void*, int32_t, void*, int64_t) {};
  b.copy_host_to_device = [](void*, int32_t, void*, const void*, int64_t) { return EMBER_OK; };
  b.copy_device_to_host = [](void*, int32_t, void*, const void*, int64_t) { return EMBER_OK; };
  b.copy_device_to_device = [](void*, int32_t, void*, int32_t, const void*, int64_t) {
    return EMBER_OK;
  };
  b.last_error = [](void*) { return "table test failure"; };
  return b;
}

TEST(BackendPlugin, RegistrationErrors) {
  ember_backend b = valid_table();
  b.api_version = EMBER_PLUGIN_API_VERSION + 1;
  EXPECT_NE(error_of([&] { register_backend(b); }, EMBER_ERROR_BACKEND).find("version"),
            std::string::npos);
  b = valid_table();
  b.device_type = EMBER_DEVICE_CPU;
  EXPECT_NE(error_of([&] { register_backend(b); }, EMBER_ERROR_BACKEND).find("device type 0"),
            std::string::npos);
  b = valid_table();
  b.copy_device_to_host = nullptr;
  EXPECT_NE(error_of([&] { register_backend(b); }, EMBER_ERROR_BACKEND).find("null"),
            std::string::npos);
  b = valid_table();
  b.graph_replay = [](void*, int32_t, void*) { return EMBER_OK; };
  EXPECT_NE(error_of([&] { register_backend(b); }, EMBER_ERROR_BACKEND).find("graph callbacks"),
            std::string::npos);
  EXPECT_FALSE(backend_available(DeviceType::Metal));

  register_backend(valid_table());
  EXPECT_TRUE(backend_available(DeviceType::Metal));
  EXPECT_EQ(device_count(DeviceType::Metal), 1);
  EXPECT_NE(error_of([] { register_backend(valid_table()); }, EMBER_ERROR_BACKEND)
                .find("already registered"),
            std::string::npos);
  // Its allocator returns NULL: an out-of-memory error carrying the backend's own message.
  const std::string msg = error_of(
      [] {
        empty({4}, DType::Float32, Device{DeviceType::Metal, 0});
      },
      EMBER_ERROR_OUT_OF_MEMORY);
  EXPECT_NE(msg.find("metal:0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("table test failure"), std::string::npos) << msg;
}

}  // namespace
}  // namespace ember
