// The C ABI: results through out-parameters, and every error path: a status, a message naming the
// op (and shapes/dtypes/devices where they matter), out-parameters left untouched, nothing leaked.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "capi/shim.h"
#include "ember/ember.h"

// The sanitizer build must see allocation failures as failures (the engine reports them), not
// abort.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

namespace {

const ember_device kCpu{EMBER_DEVICE_CPU, 0};
const ember_tensor kSentinel = reinterpret_cast<ember_tensor>(uintptr_t{0x5eed});

ember_scalar int_scalar(int64_t v) { return ember_scalar{0, v, EMBER_SCALAR_INT, 0}; }

// Owns a handle for the length of a test.
struct Handle {
  ember_tensor h = nullptr;
  ~Handle() { ember_tensor_release(h); }
  operator ember_tensor() const { return h; }
  ember_tensor* out() { return &h; }
};

Handle from(const std::vector<float>& values, std::vector<int64_t> sizes) {
  Handle t;
  EXPECT_EQ(ember_from_data(values.data(), static_cast<int64_t>(values.size() * 4), sizes.data(),
                            static_cast<int32_t>(sizes.size()), EMBER_FLOAT32, t.out()),
            EMBER_OK)
      << ember_last_error();
  return t;
}

void expect_failure(ember_status got, ember_status want, const std::vector<std::string>& pieces) {
  EXPECT_EQ(got, want) << ember_last_error();
  const std::string msg = ember_last_error();
  for (const std::string& p : pieces) {
    EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  }
}

TEST(CApi, AbiVersion) {
  int32_t v = 0;
  ASSERT_EQ(ember_abi_version(&v), EMBER_OK);
  EXPECT_EQ(v, EMBER_ABI_VERSION);
  expect_failure(ember_abi_version(nullptr), EMBER_ERROR_INVALID_ARGUMENT, {"abi_version", "NULL"});
}

TEST(CApi, LastErrorIsPerThread) {
  EXPECT_EQ(ember_set_num_threads(0), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("set_num_threads"), std::string::npos);
  std::string other = "unset";
  std::thread([&] { other = ember_last_error(); }).join();
  EXPECT_EQ(other, "");
}

TEST(CApi, Metadata) {
  Handle t = from({1, 2, 3, 4, 5, 6}, {2, 3});
  int32_t ndim = 0, dtype = -1, contiguous = -1, shares = -1;
  int64_t sizes[2] = {}, strides[2] = {}, offset = -1, numel = 0, nbytes = 0, version = -1;
  ember_device dev{-1, -1};
  void* data = nullptr;
  ASSERT_EQ(ember_tensor_ndim(t, &ndim), EMBER_OK);
  ASSERT_EQ(ember_tensor_sizes(t, sizes), EMBER_OK);
  ASSERT_EQ(ember_tensor_strides(t, strides), EMBER_OK);
  ASSERT_EQ(ember_tensor_offset(t, &offset), EMBER_OK);
  ASSERT_EQ(ember_tensor_numel(t, &numel), EMBER_OK);
  ASSERT_EQ(ember_tensor_dtype(t, &dtype), EMBER_OK);
  ASSERT_EQ(ember_tensor_device(t, &dev), EMBER_OK);
  ASSERT_EQ(ember_tensor_is_contiguous(t, &contiguous), EMBER_OK);
  ASSERT_EQ(ember_tensor_data_ptr(t, &data), EMBER_OK);
  ASSERT_EQ(ember_tensor_storage_nbytes(t, &nbytes), EMBER_OK);
  ASSERT_EQ(ember_tensor_version(t, &version), EMBER_OK);
  EXPECT_EQ(ndim, 2);
  EXPECT_EQ(sizes[0], 2);
  EXPECT_EQ(sizes[1], 3);
  EXPECT_EQ(strides[0], 3);
  EXPECT_EQ(strides[1], 1);
  EXPECT_EQ(offset, 0);
  EXPECT_EQ(numel, 6);
  EXPECT_EQ(dtype, EMBER_FLOAT32);
  EXPECT_EQ(dev.type, EMBER_DEVICE_CPU);
  EXPECT_EQ(dev.index, 0);
  EXPECT_EQ(contiguous, 1);
  EXPECT_EQ(static_cast<float*>(data)[5], 6.0f);
  EXPECT_EQ(nbytes, 24);
  EXPECT_EQ(version, 0);

  Handle col;
  ASSERT_EQ(ember_select(t, 1, 2, col.out()), EMBER_OK);
  ASSERT_EQ(ember_tensor_offset(col, &offset), EMBER_OK);
  ASSERT_EQ(ember_tensor_is_contiguous(col, &contiguous), EMBER_OK);
  ASSERT_EQ(ember_tensor_shares_storage(t, col, &shares), EMBER_OK);
  EXPECT_EQ(offset, 2);
  EXPECT_EQ(contiguous, 0);
  EXPECT_EQ(shares, 1);
  ASSERT_EQ(ember_add_scalar_(col, int_scalar(1)), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_tensor_version(t, &version), EMBER_OK);
  EXPECT_EQ(version, 1);  // the version counter is shared with views
  Handle other = from({1}, {});
  ASSERT_EQ(ember_tensor_shares_storage(t, other, &shares), EMBER_OK);
  EXPECT_EQ(shares, 0);
  ASSERT_EQ(ember_tensor_ndim(other, &ndim), EMBER_OK);
  EXPECT_EQ(ndim, 0);
  EXPECT_EQ(ember_tensor_sizes(other, nullptr), EMBER_OK);  // nothing to write for 0-d
}

TEST(CApi, FromDataAndCopyToHost) {
  Handle t = from({1, 2, 3, 4, 5, 6}, {2, 3});
  Handle tr;
  ASSERT_EQ(ember_transpose(t, 0, 1, tr.out()), EMBER_OK);
  float host[8] = {0, 0, 0, 0, 0, 0, -1, -1};
  ASSERT_EQ(ember_copy_to_host(tr, host, sizeof host), EMBER_OK) << ember_last_error();
  const float expected[8] = {1, 4, 2, 5, 3, 6, -1, -1};  // row-major order of the transpose
  EXPECT_EQ(std::memcmp(host, expected, sizeof host), 0);

  expect_failure(ember_copy_to_host(tr, host, 20), EMBER_ERROR_INVALID_ARGUMENT,
                 {"copy_to_host", "20 bytes", "float32", "[3, 2]", "24 bytes"});
  expect_failure(ember_copy_to_host(tr, nullptr, 24), EMBER_ERROR_INVALID_ARGUMENT,
                 {"copy_to_host", "dst", "NULL"});
  Handle empty;
  const int64_t zero[] = {0, 3};
  ASSERT_EQ(ember_empty(zero, 2, EMBER_INT64, kCpu, empty.out()), EMBER_OK);
  EXPECT_EQ(ember_copy_to_host(empty, nullptr, 0), EMBER_OK);

  const int64_t sizes[] = {2, 3};
  ember_tensor out = kSentinel;
  expect_failure(ember_from_data(host, 20, sizes, 2, EMBER_FLOAT32, &out),
                 EMBER_ERROR_INVALID_ARGUMENT,
                 {"from_data", "20 bytes", "float32", "[2, 3]", "24"});
  expect_failure(ember_from_data(nullptr, 24, sizes, 2, EMBER_FLOAT32, &out),
                 EMBER_ERROR_INVALID_ARGUMENT, {"from_data", "data", "NULL"});
  const int64_t huge[] = {int64_t{1} << 40, int64_t{1} << 40};
  expect_failure(ember_from_data(host, 24, huge, 2, EMBER_FLOAT64, &out),
                 EMBER_ERROR_INVALID_ARGUMENT, {"from_data", "more than 2^63"});
  EXPECT_EQ(out, kSentinel);
  Handle none;
  EXPECT_EQ(ember_from_data(nullptr, 0, zero, 2, EMBER_FLOAT32, none.out()), EMBER_OK);
}

TEST(CApi, FromBlobSharesMemoryUntilTheLastViewIsGone) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  int released = 0;
  auto release = [](void* ctx) { ++*static_cast<int*>(ctx); };
  const int64_t sizes[] = {2, 3};
  ember_tensor t = nullptr;
  ASSERT_EQ(ember_from_blob(data, sizeof data, sizes, 2, EMBER_FLOAT32, release, &released, &t),
            EMBER_OK);
  void* p = nullptr;
  ASSERT_EQ(ember_tensor_data_ptr(t, &p), EMBER_OK);
  EXPECT_EQ(p, data) << "no copy";
  ember_tensor view = nullptr;
  ASSERT_EQ(ember_transpose(t, 0, 1, &view), EMBER_OK);
  ASSERT_EQ(ember_tensor_release(t), EMBER_OK);
  EXPECT_EQ(released, 0) << "the view still holds the memory";
  data[1] = 20;  // the caller's writes show through the view
  float back[6];
  ASSERT_EQ(ember_copy_to_host(view, back, sizeof back), EMBER_OK);
  EXPECT_EQ(back[2], 20);  // transposed: element (1, 0) of the view is data[1]
  ASSERT_EQ(ember_tensor_release(view), EMBER_OK);
  EXPECT_EQ(released, 1);

  ember_tensor out = kSentinel;
  expect_failure(ember_from_blob(data, 20, sizes, 2, EMBER_FLOAT32, release, &released, &out),
                 EMBER_ERROR_INVALID_ARGUMENT, {"from_blob", "20 bytes", "float32", "[2, 3]"});
  EXPECT_EQ(out, kSentinel);
  EXPECT_EQ(released, 1) << "a failed call keeps nothing and releases nothing";
}

TEST(CApi, RetainRelease) {
  Handle t = from({1}, {1});
  ember_tensor copy = kSentinel;
  ASSERT_EQ(ember_tensor_retain(t, &copy), EMBER_OK);
  EXPECT_EQ(copy, t.h);
  ember_tensor_release(copy);
  ember_tensor out = kSentinel;
  expect_failure(ember_tensor_retain(nullptr, &out), EMBER_ERROR_INVALID_ARGUMENT,
                 {"tensor_retain", "tensor handle"});
  expect_failure(ember_tensor_retain(t, nullptr), EMBER_ERROR_INVALID_ARGUMENT,
                 {"tensor_retain", "output pointer"});
  EXPECT_EQ(out, kSentinel);
}

// One failing call per row: its status and the pieces its message must contain. Each call writes
// (if at all) to `out`, which must keep the sentinel.
struct Case {
  const char* what;
  std::function<ember_status(ember_tensor*)> call;
  ember_status status;
  std::vector<std::string> pieces;
};

TEST(CApi, ErrorPathsLeaveOutputsUntouched) {
  int64_t base = 0;
  ASSERT_EQ(ember_cpu_bytes_allocated(&base), EMBER_OK);
  {
    Handle a = from({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {3, 4});
    Handle b = from({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
    Handle v = from({1, 2, 3}, {3});
    Handle ints;
    const int64_t s34[] = {3, 4}, neg[] = {3, -4}, s2[] = {2};
    ASSERT_EQ(ember_zeros(s34, 2, EMBER_INT64, kCpu, ints.out()), EMBER_OK);
    const ember_device cuda{EMBER_DEVICE_CUDA, 0}, bad_type{9, 0}, cpu1{EMBER_DEVICE_CPU, 1};
    const ember_scalar bad_scalar{1.0, 1, 7, 0};
    const int32_t dims01[] = {0, 1}, dims00[] = {0, 0}, dim5[] = {5};
    const int64_t view_bad[] = {5, -1}, expand_bad[] = {4, 4};
    const std::vector<Case> cases = {
        // creation
        {"empty dtype",
         [&](ember_tensor* o) { return ember_empty(s34, 2, 9, kCpu, o); },
         EMBER_ERROR_DTYPE,
         {"empty", "dtype code 9"}},
        {"empty ndim",
         [&](ember_tensor* o) { return ember_empty(s34, -1, EMBER_FLOAT32, kCpu, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"empty", "ndim", "-1"}},
        {"empty null sizes",
         [&](ember_tensor* o) { return ember_empty(nullptr, 2, EMBER_FLOAT32, kCpu, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"empty", "sizes", "NULL"}},
        {"empty negative",
         [&](ember_tensor* o) { return ember_empty(neg, 2, EMBER_FLOAT32, kCpu, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"empty", "-4", "[3, -4]"}},
        {"empty device type",
         [&](ember_tensor* o) { return ember_empty(s34, 2, EMBER_FLOAT32, bad_type, o); },
         EMBER_ERROR_DEVICE,
         {"empty", "device type 9"}},
        {"empty cuda",
         [&](ember_tensor* o) { return ember_empty(s34, 2, EMBER_FLOAT32, cuda, o); },
         EMBER_ERROR_DEVICE,
         {"empty", "cuda:0", "not available", "CUDA"}},
        {"empty cpu:1",
         [&](ember_tensor* o) { return ember_empty(s34, 2, EMBER_FLOAT32, cpu1, o); },
         EMBER_ERROR_DEVICE,
         {"empty", "CPU device index 1"}},
        {"zeros negative",
         [&](ember_tensor* o) { return ember_zeros(neg, 2, EMBER_FLOAT32, kCpu, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"zeros", "[3, -4]"}},
        {"full scalar kind",
         [&](ember_tensor* o) { return ember_full(s34, 2, bad_scalar, EMBER_FLOAT32, kCpu, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"full", "scalar kind 7"}},
        {"arange dtype",
         [&](ember_tensor* o) {
           return ember_arange(int_scalar(0), int_scalar(5), int_scalar(1), 3000, kCpu, o);
         },
         EMBER_ERROR_DTYPE,
         {"arange", "3000"}},
        {"eye device",
         [&](ember_tensor* o) { return ember_eye(3, 3, EMBER_FLOAT32, cuda, o); },
         EMBER_ERROR_DEVICE,
         {"eye", "cuda:0"}},
        {"rand dtype",
         [&](ember_tensor* o) { return ember_rand(s34, 2, -1, kCpu, nullptr, o); },
         EMBER_ERROR_DTYPE,
         {"rand", "-1"}},
        {"randn null sizes",
         [&](ember_tensor* o) { return ember_randn(nullptr, 1, EMBER_FLOAT32, kCpu, nullptr, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"randn", "sizes"}},
        // copies
        {"to_dtype",
         [&](ember_tensor* o) { return ember_to_dtype(a, 12, o); },
         EMBER_ERROR_DTYPE,
         {"to_dtype", "12"}},
        {"to_device",
         [&](ember_tensor* o) { return ember_to_device(a, cuda, o); },
         EMBER_ERROR_DEVICE,
         {"to_device", "cuda:0"}},
        {"clone null",
         [&](ember_tensor* o) { return ember_clone(nullptr, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"clone", "tensor handle"}},
        {"contiguous null out",
         [&](ember_tensor*) { return ember_contiguous(a, nullptr); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"contiguous", "output pointer"}},
        // views
        {"view",
         [&](ember_tensor* o) { return ember_view(a, view_bad, 2, o); },
         EMBER_ERROR_SHAPE,
         {"view", "[5, -1]", "12"}},
        {"view ndim",
         [&](ember_tensor* o) { return ember_view(a, view_bad, -3, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"view", "-3"}},
        {"reshape",
         [&](ember_tensor* o) { return ember_reshape(a, view_bad, 2, o); },
         EMBER_ERROR_SHAPE,
         {"reshape", "[5, -1]"}},
        {"transpose",
         [&](ember_tensor* o) { return ember_transpose(a, 0, 2, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"transpose", "dim 2"}},
        {"permute null",
         [&](ember_tensor* o) { return ember_permute(a, nullptr, 2, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"permute", "dims", "NULL"}},
        {"permute repeat",
         [&](ember_tensor* o) { return ember_permute(a, dims00, 2, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"permute", "repeat"}},
        {"expand",
         [&](ember_tensor* o) { return ember_expand(a, expand_bad, 2, o); },
         EMBER_ERROR_SHAPE,
         {"expand", "[4, 4]", "[3, 4]"}},
        {"squeeze_dim",
         [&](ember_tensor* o) { return ember_squeeze_dim(a, -3, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"squeeze", "-3"}},
        {"unsqueeze",
         [&](ember_tensor* o) { return ember_unsqueeze(a, 3, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"unsqueeze", "dim 3"}},
        {"slice",
         [&](ember_tensor* o) { return ember_slice(a, 0, 0, 2, 0, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"slice", "step"}},
        {"select",
         [&](ember_tensor* o) { return ember_select(a, 1, 4, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"select", "index 4", "[3, 4]"}},
        // math
        {"add shapes",
         [&](ember_tensor* o) { return ember_add(a, b, o); },
         EMBER_ERROR_SHAPE,
         {"add", "[3, 4]", "[2, 4]"}},
        {"mul null",
         [&](ember_tensor* o) { return ember_mul(a, nullptr, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"mul", "tensor handle"}},
        {"sub scalar kind",
         [&](ember_tensor* o) { return ember_sub_scalar(a, bad_scalar, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"sub", "scalar kind"}},
        {"rdiv null out",
         [&](ember_tensor*) { return ember_rdiv_scalar(a, int_scalar(1), nullptr); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"rdiv", "output pointer"}},
        {"div_ broadcast",
         [&](ember_tensor*) { return ember_div_(v, a); },
         EMBER_ERROR_SHAPE,
         {"div_", "[3]", "[3, 4]"}},
        {"exp null",
         [&](ember_tensor* o) { return ember_exp(nullptr, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"exp", "tensor handle"}},
        {"log_ null",
         [&](ember_tensor*) { return ember_log_(nullptr); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"log_"}},
        {"sum ndims",
         [&](ember_tensor* o) { return ember_sum(a, dims01, -1, 0, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"sum", "-1"}},
        {"sum null dims",
         [&](ember_tensor* o) { return ember_sum(a, nullptr, 1, 0, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"sum", "dims", "NULL"}},
        {"sum dim",
         [&](ember_tensor* o) { return ember_sum(a, dim5, 1, 1, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"sum", "5"}},
        {"mean int",
         [&](ember_tensor* o) { return ember_mean(ints, nullptr, 0, 0, o); },
         EMBER_ERROR_DTYPE,
         {"mean", "int64"}},
        {"matmul",
         [&](ember_tensor* o) { return ember_matmul(a, b, o); },
         EMBER_ERROR_SHAPE,
         {"matmul", "[3, 4]", "[2, 4]"}},
        {"matmul null",
         [&](ember_tensor* o) { return ember_matmul(v, nullptr, o); },
         EMBER_ERROR_INVALID_ARGUMENT,
         {"matmul"}},
        {"copy_ shapes",
         [&](ember_tensor*) { return ember_copy_(v, a); },
         EMBER_ERROR_SHAPE,
         {"copy_", "[3]", "[3, 4]"}},
        {"full sizes",
         [&](ember_tensor* o) { return ember_full(s2, 1, int_scalar(1), EMBER_BOOL + 1, kCpu, o); },
         EMBER_ERROR_DTYPE,
         {"full", "12"}},
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(c.what);
      ember_tensor out = kSentinel;
      expect_failure(c.call(&out), c.status, c.pieces);
      EXPECT_EQ(out, kSentinel);
    }
  }
  int64_t now = 0;
  ASSERT_EQ(ember_cpu_bytes_allocated(&now), EMBER_OK);
  EXPECT_EQ(now, base);
}

TEST(CApi, LibraryCallsAndTheirErrors) {
  int32_t n = 0;
  ASSERT_EQ(ember_get_num_threads(&n), EMBER_OK);
  EXPECT_GE(n, 1);
  ASSERT_EQ(ember_set_num_threads(1), EMBER_OK);
  int32_t one = 0;
  ASSERT_EQ(ember_get_num_threads(&one), EMBER_OK);
  EXPECT_EQ(one, 1);
  ASSERT_EQ(ember_set_num_threads(n), EMBER_OK);
  expect_failure(ember_set_num_threads(0), EMBER_ERROR_INVALID_ARGUMENT, {"set_num_threads", "0"});
  expect_failure(ember_set_num_threads(-3), EMBER_ERROR_INVALID_ARGUMENT, {"-3"});
  expect_failure(ember_get_num_threads(nullptr), EMBER_ERROR_INVALID_ARGUMENT, {"get_num_threads"});
  expect_failure(ember_cpu_bytes_allocated(nullptr), EMBER_ERROR_INVALID_ARGUMENT,
                 {"cpu_bytes_allocated"});

  int32_t avail = -1, count = -1;
  ASSERT_EQ(ember_backend_is_available(EMBER_DEVICE_CPU, &avail), EMBER_OK);
  EXPECT_EQ(avail, 1);
  ASSERT_EQ(ember_backend_is_available(EMBER_DEVICE_CUDA, &avail), EMBER_OK);
  EXPECT_EQ(avail, 0);
  ASSERT_EQ(ember_backend_device_count(EMBER_DEVICE_CPU, &count), EMBER_OK);
  EXPECT_EQ(count, 1);
  ASSERT_EQ(ember_backend_device_count(EMBER_DEVICE_METAL, &count), EMBER_OK);
  EXPECT_EQ(count, 0);
  count = -7;
  expect_failure(ember_backend_device_count(42, &count), EMBER_ERROR_INVALID_ARGUMENT,
                 {"backend_device_count", "42"});
  expect_failure(ember_backend_is_available(-1, &count), EMBER_ERROR_INVALID_ARGUMENT,
                 {"backend_is_available", "-1"});
  EXPECT_EQ(count, -7);
  expect_failure(ember_backend_load(nullptr), EMBER_ERROR_INVALID_ARGUMENT, {"backend_load"});
  expect_failure(ember_backend_load("/nonexistent/libember_cuda.so"), EMBER_ERROR_BACKEND,
                 {"backend_load", "/nonexistent/libember_cuda.so", "No such file"});
  expect_failure(ember_backend_load("libm.so.6"), EMBER_ERROR_BACKEND,
                 {"backend_load", "libm.so.6", "ember_plugin_register"});
}

TEST(CApi, Generators) {
  ember_generator g = nullptr;
  ASSERT_EQ(ember_generator_create(99, &g), EMBER_OK);
  const int64_t sizes[] = {64};
  Handle a, b, c, d;
  ASSERT_EQ(ember_rand(sizes, 1, EMBER_FLOAT32, kCpu, g, a.out()), EMBER_OK);
  ASSERT_EQ(ember_generator_manual_seed(g, 99), EMBER_OK);
  ASSERT_EQ(ember_rand(sizes, 1, EMBER_FLOAT32, kCpu, g, b.out()), EMBER_OK);
  ASSERT_EQ(ember_manual_seed(99), EMBER_OK);
  ASSERT_EQ(ember_rand(sizes, 1, EMBER_FLOAT32, kCpu, nullptr, c.out()), EMBER_OK);
  ASSERT_EQ(ember_generator_manual_seed(nullptr, 99), EMBER_OK);  // NULL: the default generator
  ASSERT_EQ(ember_rand(sizes, 1, EMBER_FLOAT32, kCpu, nullptr, d.out()), EMBER_OK);
  float x[64], y[64], z[64], w[64];
  ASSERT_EQ(ember_copy_to_host(a, x, sizeof x), EMBER_OK);
  ASSERT_EQ(ember_copy_to_host(b, y, sizeof y), EMBER_OK);
  ASSERT_EQ(ember_copy_to_host(c, z, sizeof z), EMBER_OK);
  ASSERT_EQ(ember_copy_to_host(d, w, sizeof w), EMBER_OK);
  EXPECT_EQ(std::memcmp(x, y, sizeof x), 0);
  EXPECT_EQ(std::memcmp(x, z, sizeof x), 0);  // same seed, same stream, whichever generator
  EXPECT_EQ(std::memcmp(x, w, sizeof x), 0);
  EXPECT_EQ(ember_generator_release(g), EMBER_OK);
  EXPECT_EQ(ember_generator_release(nullptr), EMBER_OK);
  expect_failure(ember_generator_create(1, nullptr), EMBER_ERROR_INVALID_ARGUMENT,
                 {"generator_create"});
}

TEST(CApi, OneElementAdd) {
  Handle a = from({1.5f}, {1}), b = from({2.25f}, {1}), c;
  ASSERT_EQ(ember_add(a, b, c.out()), EMBER_OK) << ember_last_error();
  float r = 0;
  ASSERT_EQ(ember_copy_to_host(c, &r, 4), EMBER_OK);
  EXPECT_EQ(r, 3.75f);
}

// What reaches the guard that is not an ember::Error still becomes a status with the op's name.
TEST(CApi, ForeignExceptionsBecomeStatuses) {
  using ember::capi::guard;
  expect_failure(guard("myop", [](const char*) { throw std::bad_alloc(); }),
                 EMBER_ERROR_OUT_OF_MEMORY, {"myop", "out of memory"});
  expect_failure(guard("myop", [](const char*) { throw std::logic_error("broken invariant"); }),
                 EMBER_ERROR_INTERNAL, {"myop", "internal error", "broken invariant"});
  expect_failure(guard("myop", [](const char*) { throw 42; }), EMBER_ERROR_INTERNAL,
                 {"myop", "unknown"});
  EXPECT_EQ(guard("myop", [](const char*) {}), EMBER_OK);
}

TEST(CApi, OutOfMemoryIsAStatus) {
  const int64_t sizes[] = {int64_t{1} << 50};
  ember_tensor out = kSentinel;
  expect_failure(ember_empty(sizes, 1, EMBER_FLOAT64, kCpu, &out), EMBER_ERROR_OUT_OF_MEMORY,
                 {"out of memory", "9007199254740992 bytes"});
  EXPECT_EQ(out, kSentinel);
}

}  // namespace
