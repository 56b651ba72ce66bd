// The plugin kernel bridge's argument codes for index arrays (a, v), op names (c) and results a
// kernel allocates (o): fake kernels for the fake HIP backend (whose memory is host memory) are
// registered with signatures computed from their C types, run through the public ops, and
// record what arrived; where they compute, the results are checked against hand-computed values.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/ops_index.h"
#include "core/ops_shape.h"
#include "core/plugin_kernels.h"
#include "ember/ember.h"

namespace ember {
namespace {

const Device kHip{DeviceType::HIP, 0};

// What the fake kernels received.
struct Seen {
  std::vector<std::vector<int64_t>> tables;
  std::vector<int64_t> dst;
  int64_t src_index_size = -1;
  ember_scalar alpha{};
  int32_t accumulate = -1;
  std::string op;
  int64_t dim = -1;
  std::vector<int64_t> list_sizes;  // the sizes of sgd_multi_step's lists
};
Seen seen;

std::vector<int64_t> vec(ember_int64_span s) { return {s.data, s.data + s.size}; }

float* f32(const ember_kernel_tensor* t) { return static_cast<float*>(t->data); }

// out[r][c] = in[t0[r]][c]: float32, 2-d, only dim 0 indexed (as index_select along 0 asks).
ember_status fake_gather_dims(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* in,
                              ember_int64_spans tables, ember_scalar) {
  seen.tables.clear();
  for (int64_t d = 0; d < tables.size; ++d) seen.tables.push_back(vec(tables.data[d]));
  if (out->ndim != 2) return EMBER_OK;  // take: recorded only
  for (int64_t r = 0; r < out->sizes[0]; ++r)
    for (int64_t c = 0; c < out->sizes[1]; ++c)
      f32(out)[r * out->strides[0] + c * out->strides[1]] =
          f32(in)[tables.data[0].data[r] * in->strides[0] + c * in->strides[1]];
  return EMBER_OK;
}

// self[dst[i]][c] += alpha * src[i][c] along dim 0, float32.
ember_status fake_index_add(void*, const ember_kernel_tensor* self, int64_t dim,
                            ember_int64_span dst, const ember_kernel_tensor* src,
                            ember_int64_span src_index, ember_scalar alpha, int32_t accumulate) {
  seen.dim = dim;
  seen.dst = vec(dst);
  seen.src_index_size = src_index.size;
  seen.alpha = alpha;
  seen.accumulate = accumulate;
  const double a = alpha.kind == EMBER_SCALAR_FLOAT ? alpha.f : static_cast<double>(alpha.i);
  for (int64_t i = 0; i < dst.size; ++i)
    for (int64_t c = 0; c < self->sizes[1]; ++c)
      f32(self)[dst.data[i] * self->strides[0] + c * self->strides[1]] +=
          static_cast<float>(a) * f32(src)[i * src->strides[0] + c * src->strides[1]];
  return EMBER_OK;
}

// out[r][c] = self[r][index[r][c]], float32 2-d along dim 1; records the op's name.
ember_status fake_gather(void*, const char* op, const ember_kernel_tensor* out,
                         const ember_kernel_tensor* self, int64_t dim,
                         const ember_kernel_tensor* index) {
  seen.op = op;
  seen.dim = dim;
  const auto* idx = static_cast<const int64_t*>(index->data);
  for (int64_t r = 0; r < out->sizes[0]; ++r)
    for (int64_t c = 0; c < out->sizes[1]; ++c)
      f32(out)[r * out->strides[0] + c * out->strides[1]] =
          f32(self)[r * self->strides[0] +
                    idx[r * index->strides[0] + c * index->strides[1]] * self->strides[1]];
  return EMBER_OK;
}

// The elements of a contiguous float32 t where the (contiguous) mask is true.
ember_status fake_masked_select(void*, const ember_kernel_tensor* t,
                                const ember_kernel_tensor* mask, ember_kernel_output* result) {
  const auto* m = static_cast<const bool*>(mask->data);
  int64_t count = 0;
  for (int64_t i = 0; i < t->numel; ++i) count += m[i] ? 1 : 0;
  const ember_kernel_tensor* out = result->allocate(result, EMBER_FLOAT32, 1, &count);
  if (out == nullptr) return EMBER_ERROR_OUT_OF_MEMORY;
  for (int64_t i = 0, k = 0; i < t->numel; ++i)
    if (m[i]) f32(out)[k++] = f32(t)[i];
  return EMBER_OK;
}

// nonzero's fake misbehaves on purpose: it allocates too much, or nothing.
bool nonzero_too_big = false;
ember_status fake_nonzero(void*, const ember_kernel_tensor*, ember_kernel_output* result) {
  if (!nonzero_too_big) return EMBER_OK;
  const int64_t sizes[2] = {int64_t{1} << 40, 2};
  return result->allocate(result, EMBER_INT64, 2, sizes) == nullptr ? EMBER_ERROR_OUT_OF_MEMORY
                                                                    : EMBER_OK;
}

// p -= lr * g for every tensor of the list (contiguous float32), as SGD without momentum.
ember_status fake_sgd_multi(void*, ember_kernel_tensors params, ember_kernel_tensors grads,
                            ember_kernel_tensors bufs, const void* options) {
  seen.list_sizes = {params.size, grads.size, bufs.size};
  const double lr = static_cast<const ops::SgdOptions*>(options)->lr;
  for (int64_t t = 0; t < params.size; ++t)
    for (int64_t i = 0; i < params.data[t].numel; ++i)
      f32(&params.data[t])[i] -= static_cast<float>(lr) * f32(&grads.data[t])[i];
  return EMBER_OK;
}

template <class... A>
void install(const char* family, ember_status (*fn)(void*, A...)) {
  register_plugin_kernel(EMBER_DEVICE_HIP, family, ember_plugin::signature_of(fn).c_str(),
                         reinterpret_cast<ember_kernel_fn>(fn), nullptr);
}

void setup() {
  ASSERT_EQ(ember_backend_load(FAKE_BACKEND_OK), EMBER_OK) << ember_last_error();
  install("gather_dims", fake_gather_dims);
  install("index_add", fake_index_add);
  install("gather", fake_gather);
  install("masked_select", fake_masked_select);
  install("nonzero", fake_nonzero);
  install("sgd_multi_step", fake_sgd_multi);
  seen = Seen{};
}

Tensor floats(const DimVector& sizes, const std::vector<float>& v) {
  Tensor t = empty(sizes, DType::Float32, Device{});
  std::copy(v.begin(), v.end(), t->data_as<float>());
  return t;
}

Tensor int64s(const DimVector& sizes, const std::vector<int64_t>& v) {
  Tensor t = empty(sizes, DType::Int64, Device{});
  std::copy(v.begin(), v.end(), t->data_as<int64_t>());
  return t;
}

std::vector<float> host_floats(const Tensor& t) {
  Tensor h = ops::contiguous(ops::to_device(t, Device{}));
  return {h->data_as<float>(), h->data_as<float>() + h->numel()};
}

// 0, 1, 2, ... as a [rows, cols] float32 tensor on the CPU.
Tensor counting(int64_t rows, int64_t cols) {
  std::vector<float> v(static_cast<size_t>(rows * cols));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  return floats({rows, cols}, v);
}

TEST(PluginBridge, SignaturesOfTheNewCodes) {
  EXPECT_EQ(ember_plugin::signature_of(fake_gather_dims), "ttvs");
  EXPECT_EQ(ember_plugin::signature_of(fake_index_add), "tlatasi");
  EXPECT_EQ(ember_plugin::signature_of(fake_gather), "cttlt");
  EXPECT_EQ(ember_plugin::signature_of(fake_masked_select), "tto");
  EXPECT_EQ(ember_plugin::signature_of(fake_nonzero), "to");
  EXPECT_EQ(ember_plugin::signature_of(fake_sgd_multi), "TTTp");
  EXPECT_EQ(std::string(EMBER_KERNEL_ARG_CODES), "tsiludfpacvTo");
}

TEST(PluginBridge, RefusesAStaleSignatureOfASpanFamily) {
  ASSERT_EQ(ember_backend_load(FAKE_BACKEND_OK), EMBER_OK) << ember_last_error();
  auto kernel = reinterpret_cast<ember_kernel_fn>(fake_gather);
  try {
    register_plugin_kernel(EMBER_DEVICE_HIP, "gather", "ttlt", kernel, nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"cttlt\""), std::string::npos) << e.what();
  }
}

TEST(PluginBridge, IndexTablesArriveAsSpans) {
  setup();
  const Tensor x = counting(4, 3);
  // Advanced indexing wraps negative indices on the host and sends one table per dim.
  const Tensor rows[] = {ops::to_device(int64s({3}, {2, -4, 3}), kHip)};
  const Tensor out = ops::index(ops::to_device(x, kHip), rows);
  ASSERT_EQ(seen.tables.size(), 2u);
  EXPECT_EQ(seen.tables[0], (std::vector<int64_t>{2, 0, 3}));
  EXPECT_TRUE(seen.tables[1].empty());
  EXPECT_EQ(out->device(), kHip);
  EXPECT_EQ(host_floats(out), (std::vector<float>{6, 7, 8, 0, 1, 2, 9, 10, 11}));

  // On a device with a gather kernel, index_select gathers with the index there (stride 0 along
  // the other dims) under its own name: no table.
  seen = Seen{};
  const Tensor cols =
      ops::index_select(ops::to_device(x, kHip), 1, ops::to_device(int64s({2}, {2, 0}), kHip));
  EXPECT_TRUE(seen.tables.empty());
  EXPECT_EQ(seen.op, "index_select");
  EXPECT_EQ(seen.dim, 1);
  EXPECT_EQ(host_floats(cols), (std::vector<float>{2, 0, 5, 3, 8, 6, 11, 9}));
}

TEST(PluginBridge, IndexAddGetsDestinationsAlphaAndMode) {
  setup();
  const Tensor self = ops::to_device(ops::zeros({4, 3}, DType::Float32, Device{}), kHip);
  const Tensor source = ops::to_device(counting(3, 3), kHip);
  ops::index_add_(self, 0, ops::to_device(int64s({3}, {1, 1, 3}), kHip), source,
                  Scalar::from_int(2));
  EXPECT_EQ(seen.dim, 0);
  EXPECT_EQ(seen.dst, (std::vector<int64_t>{1, 1, 3}));
  EXPECT_EQ(seen.src_index_size, 0);
  EXPECT_EQ(seen.alpha.kind, EMBER_SCALAR_INT);
  EXPECT_EQ(seen.alpha.i, 2);
  EXPECT_EQ(seen.accumulate, 1);
  // Row 1 = 2 * (source rows 0 + 1), row 3 = 2 * source row 2.
  EXPECT_EQ(host_floats(self), (std::vector<float>{0, 0, 0, 6, 10, 14, 0, 0, 0, 12, 14, 16}));

  ops::index_copy_(self, 0, ops::to_device(int64s({1}, {2}), kHip),
                   ops::to_device(counting(1, 3), kHip));
  EXPECT_EQ(seen.accumulate, 0);
  EXPECT_EQ(seen.dst, (std::vector<int64_t>{2}));
}

TEST(PluginBridge, GatherGetsThePublicOpsName) {
  setup();
  const Tensor x = ops::to_device(counting(2, 3), kHip);
  const Tensor out = ops::gather(x, 1, ops::to_device(int64s({2, 2}, {2, 0, 1, 1}), kHip));
  EXPECT_EQ(seen.op, "gather");
  EXPECT_EQ(seen.dim, 1);
  EXPECT_EQ(host_floats(out), (std::vector<float>{2, 0, 4, 4}));
}

TEST(PluginBridge, AKernelAllocatesItsResult) {
  setup();
  const Tensor x = ops::to_device(counting(2, 3), kHip);
  Tensor mask = empty({2, 3}, DType::Bool, Device{});
  const bool m[] = {true, false, false, true, true, false};
  std::copy(m, m + 6, mask->data_as<bool>());
  const Tensor out = ops::masked_select(x, ops::to_device(mask, kHip));
  EXPECT_EQ(out->device(), kHip);
  EXPECT_EQ(out->sizes(), DimVector({3}));
  EXPECT_EQ(host_floats(out), (std::vector<float>{0, 3, 4}));
}

TEST(PluginBridge, ResultAllocationFailuresAndMissingResults) {
  setup();
  const Tensor x = ops::to_device(counting(2, 3), kHip);
  nonzero_too_big = true;
  try {
    ops::nonzero(x);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_OUT_OF_MEMORY) << e.what();
  }
  nonzero_too_big = false;
  try {
    ops::nonzero(x);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_BACKEND) << e.what();
    EXPECT_NE(std::string(e.what()).find("returned without allocating its result"),
              std::string::npos)
        << e.what();
  }
}

TEST(PluginBridge, AMultiTensorStepGetsEveryParameterInOneCall) {
  setup();
  const Tensor p[] = {ops::to_device(floats({2}, {1, 2}), kHip),
                      ops::to_device(floats({3}, {3, 4, 5}), kHip),
                      ops::to_device(floats({1}, {6}), kHip)};
  const Tensor g[] = {ops::to_device(floats({2}, {10, 20}), kHip),
                      ops::to_device(floats({3}, {30, 40, 50}), kHip),
                      ops::to_device(floats({1}, {60}), kHip)};
  const int64_t before = p[1]->storage()->version();
  ops::SgdOptions o;
  o.lr = 0.5;
  ops::sgd_step(p, g, {}, o);
  EXPECT_EQ(seen.list_sizes, (std::vector<int64_t>{3, 3, 0}));
  EXPECT_EQ(host_floats(p[0]), (std::vector<float>{-4, -8}));
  EXPECT_EQ(host_floats(p[1]), (std::vector<float>{-12, -16, -20}));
  EXPECT_EQ(host_floats(p[2]), (std::vector<float>{-24}));
  EXPECT_GT(p[1]->storage()->version(), before);  // written in place: saved copies must see it
}

}  // namespace
}  // namespace ember
