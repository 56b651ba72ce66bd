// View ops: sizes, strides, offsets and storage sharing (expected values worked out by hand with
// PyTorch's rules), and their errors.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"

namespace ember {
namespace {

using ops::expand;
using ops::permute;
using ops::reshape;
using ops::select;
using ops::slice;
using ops::squeeze;
using ops::squeeze_dim;
using ops::transpose;
using ops::unsqueeze;
using ops::view;
using V = std::vector<int64_t>;

// A float32 tensor holding 0, 1, 2, ... in row-major order.
Tensor iota(const DimVector& sizes) {
  Tensor t = empty(sizes, DType::Float32, Device{});
  for (int64_t i = 0; i < t->numel(); ++i) t->data_as<float>()[i] = static_cast<float>(i);
  return t;
}

// Element at idx, read through t's own strides and offset.
float at(const Tensor& t, std::initializer_list<int64_t> idx) {
  int64_t pos = 0, d = 0;
  for (int64_t i : idx) pos += i * t->stride(d++);
  return t->data_as<float>()[pos];
}

DimVector dv(const V& v) { return DimVector(v.data(), static_cast<int64_t>(v.size())); }

void expect_layout(const Tensor& t, const V& sizes, const V& strides, int64_t offset) {
  EXPECT_EQ(t->sizes(), dv(sizes)) << "sizes " << t->sizes();
  EXPECT_EQ(t->strides(), dv(strides)) << "strides " << t->strides();
  EXPECT_EQ(t->offset(), offset);
}

// Runs f, expecting an ember::Error with status and a message containing every piece.
template <class F>
void expect_error(F f, ember_status status, std::initializer_list<std::string> pieces) {
  try {
    f();
    ADD_FAILURE() << "no error thrown";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    for (const std::string& p : pieces)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(Tensor, LayoutBasics) {
  Tensor t = iota({2, 3, 4});
  expect_layout(t, {2, 3, 4}, {12, 4, 1}, 0);
  EXPECT_EQ(t->numel(), 24);
  EXPECT_TRUE(t->is_contiguous());
  EXPECT_EQ(t->storage()->nbytes(), 96);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->data()) % 64, 0u);
  EXPECT_EQ(contiguous_strides({2, 0, 3}), DimVector({3, 3, 1}));  // size 0 does not zero strides
  EXPECT_EQ(contiguous_strides({}), DimVector());
  Tensor s = empty({}, DType::Int64, Device{});
  EXPECT_EQ(s->numel(), 1);
  EXPECT_EQ(s->dim(), 0);
  Tensor z = empty({3, 0}, DType::Float64, Device{});
  EXPECT_EQ(z->numel(), 0);
  EXPECT_TRUE(z->is_contiguous());
  EXPECT_NE(z->data(), nullptr);
}

TEST(Tensor, EmptyErrors) {
  expect_error(
      [] {
        empty({2, -1}, DType::Float32, Device{});
      },
      EMBER_ERROR_INVALID_ARGUMENT, {"empty", "-1", "[2, -1]"});
  const int64_t big = int64_t{1} << 40;
  expect_error(
      [&] {
        empty({big, big}, DType::Float32, Device{});
      },
      EMBER_ERROR_OUT_OF_MEMORY, {"float32", "[1099511627776, 1099511627776]"});
  expect_error([] { empty({int64_t{1} << 50}, DType::Float64, Device{}); },
               EMBER_ERROR_OUT_OF_MEMORY, {"out of memory", "9007199254740992 bytes", "cpu"});
  expect_error(
      [] {
        empty({2}, DType::Float32, Device{DeviceType::CUDA, 0});
      },
      EMBER_ERROR_DEVICE, {"cuda:0", "not available"});
}

TEST(Tensor, WrapDim) {
  EXPECT_EQ(wrap_dim("op", -1, 3), 2);
  EXPECT_EQ(wrap_dim("op", 2, 3), 2);
  EXPECT_EQ(wrap_dim("op", -3, 3), 0);
  EXPECT_EQ(wrap_dim("op", -1, 0), 0);  // a 0-d tensor takes 0 and -1, as in PyTorch
  EXPECT_EQ(wrap_dim("op", 0, 0), 0);
  expect_error([] { wrap_dim("myop", 3, 3); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"myop", "dim 3", "[-3, 2]"});
  expect_error([] { wrap_dim("myop", -4, 3); }, EMBER_ERROR_INVALID_ARGUMENT, {"myop", "-4"});
  expect_error([] { wrap_dim("myop", 1, 0); }, EMBER_ERROR_INVALID_ARGUMENT, {"[-1, 0]"});
}

TEST(Views, ViewContiguous) {
  Tensor t = iota({2, 3, 4});
  Tensor a = view(t, V{6, 4});
  expect_layout(a, {6, 4}, {4, 1}, 0);
  EXPECT_EQ(a->storage().get(), t->storage().get());
  expect_layout(view(t, V{-1}), {24}, {1}, 0);
  expect_layout(view(t, V{4, -1, 2}), {4, 3, 2}, {6, 2, 1}, 0);
  expect_layout(view(t, V{1, 24, 1}), {1, 24, 1}, {24, 1, 1}, 0);
  Tensor s = iota({});
  expect_layout(view(s, V{1, 1}), {1, 1}, {1, 1}, 0);
  expect_layout(view(view(s, V{1}), V{}), {}, {}, 0);
  Tensor e = iota({0, 3});
  expect_layout(view(e, V{3, 0}), {3, 0}, {1, 1}, 0);
  expect_layout(view(e, V{0, 3}), {0, 3}, {3, 1}, 0);
}

TEST(Views, ViewNonContiguous) {
  Tensor t = iota({2, 3, 4});
  Tensor tr = transpose(t, 0, 1);  // [3, 2, 4], strides [4, 12, 1]
  expect_layout(view(tr, V{3, 2, 2, 2}), {3, 2, 2, 2}, {4, 12, 2, 1}, 0);
  expect_layout(view(tr, V{3, 1, 2, 4}), {3, 1, 2, 4}, {4, 24, 12, 1}, 0);
  // A slice keeps its offset; merging contiguous inner dims works.
  Tensor sl = slice(t, 1, 1, 3, 1);  // [2, 2, 4], strides [12, 4, 1], offset 4
  expect_layout(view(sl, V{2, 8}), {2, 8}, {12, 1}, 4);
  EXPECT_EQ(at(view(sl, V{2, 8}), {1, 5}), 12 + 4 + 5);
  // Expanded dims stay stride 0.
  Tensor ex = expand(iota({1, 4}), V{3, 4});
  expect_layout(view(ex, V{3, 2, 2}), {3, 2, 2}, {0, 2, 1}, 0);
}

TEST(Views, ViewErrors) {
  Tensor t = iota({2, 3, 4});
  expect_error(
      [&] {
        view(transpose(t, 0, 1), V{6, 4});
      },
      EMBER_ERROR_SHAPE,
      {"view", "[6, 4]", "[3, 2, 4]", "[4, 12, 1]", "Use .reshape(...) instead"});
  expect_error(
      [&] {
        view(expand(iota({1, 4}), V{3, 4}), V{12});
      },
      EMBER_ERROR_SHAPE, {"not compatible"});
  expect_error([&] { view(t, V{5, 5}); }, EMBER_ERROR_SHAPE, {"view", "[5, 5]", "24"});
  expect_error([&] { view(t, V{-1, -1}); }, EMBER_ERROR_SHAPE, {"only one"});
  expect_error([&] { view(t, V{-2, 12}); }, EMBER_ERROR_SHAPE, {"-2"});
  expect_error([&] { view(t, V{5, -1}); }, EMBER_ERROR_SHAPE, {"[5, -1]", "24"});
  expect_error([&] { view(iota({0, 4}), V{0, -1}); }, EMBER_ERROR_SHAPE, {"[0, -1]"});
  const int64_t big = int64_t{1} << 40;
  expect_error([&] { view(t, V{big, big, big}); }, EMBER_ERROR_SHAPE, {"view"});
}

TEST(Views, Reshape) {
  Tensor t = iota({2, 3, 4});
  Tensor a = reshape(t, V{4, 6});
  EXPECT_EQ(a->storage().get(), t->storage().get());  // a view when possible
  Tensor tr = transpose(t, 1, 2);                     // [2, 4, 3]
  Tensor b = reshape(tr, V{8, -1});                   // needs a copy
  expect_layout(b, {8, 3}, {3, 1}, 0);
  EXPECT_NE(b->storage().get(), t->storage().get());
  // b[r, c] = tr[r / 4, r % 4, c] = t[r / 4, c, r % 4]
  for (int64_t r = 0; r < 8; ++r) {
    for (int64_t c = 0; c < 3; ++c) EXPECT_EQ(at(b, {r, c}), at(t, {r / 4, c, r % 4})) << r << c;
  }
  expect_error([&] { reshape(tr, V{7, -1}); }, EMBER_ERROR_SHAPE, {"reshape", "[7, -1]", "24"});
}

TEST(Views, Transpose) {
  Tensor t = iota({2, 3, 4});
  Tensor a = transpose(t, 0, -1);
  expect_layout(a, {4, 3, 2}, {1, 4, 12}, 0);
  EXPECT_FALSE(a->is_contiguous());
  EXPECT_EQ(at(a, {3, 1, 1}), 12 + 4 + 3);
  expect_layout(transpose(t, 1, 1), {2, 3, 4}, {12, 4, 1}, 0);
  expect_layout(transpose(iota({}), 0, -1), {}, {}, 0);
  expect_error([&] { transpose(t, 0, 3); }, EMBER_ERROR_INVALID_ARGUMENT, {"transpose", "dim 3"});
  // A size-1 dim's stride does not matter for contiguity.
  EXPECT_TRUE(transpose(iota({1, 5}), 0, 1)->is_contiguous());
}

TEST(Views, Permute) {
  Tensor t = iota({2, 3, 4});
  Tensor p = permute(t, V{2, 0, 1});
  expect_layout(p, {4, 2, 3}, {1, 12, 4}, 0);
  EXPECT_EQ(at(p, {3, 1, 2}), 12 + 8 + 3);
  expect_layout(permute(t, V{-1, -2, -3}), {4, 3, 2}, {1, 4, 12}, 0);
  expect_error([&] { permute(t, V{0, 1}); }, EMBER_ERROR_SHAPE, {"permute", "[0, 1]", "[2, 3, 4]"});
  expect_error([&] { permute(t, V{0, 0, 1}); }, EMBER_ERROR_INVALID_ARGUMENT, {"repeat", "dim 0"});
  expect_error([&] { permute(t, V{0, 1, 3}); }, EMBER_ERROR_INVALID_ARGUMENT, {"permute", "dim 3"});
}

TEST(Views, Expand) {
  Tensor t = iota({3, 1});
  Tensor e = expand(t, V{2, 3, 4});
  expect_layout(e, {2, 3, 4}, {0, 1, 0}, 0);
  EXPECT_EQ(at(e, {1, 2, 3}), 2);
  expect_layout(expand(t, V{-1, 5}), {3, 5}, {1, 0}, 0);
  expect_layout(expand(t, V{3, 1}), {3, 1}, {1, 1}, 0);
  expect_layout(expand(t, V{0, 3, 0}), {0, 3, 0}, {0, 1, 0}, 0);
  expect_layout(expand(iota({}), V{2, 2}), {2, 2}, {0, 0}, 0);
  expect_error(
      [&] {
        expand(t, V{4, 4});
      },
      EMBER_ERROR_SHAPE, {"expand", "(4)", "(3)", "dimension 0", "[4, 4]", "[3, 1]"});
  expect_error([&] { expand(t, V{4}); }, EMBER_ERROR_SHAPE, {"expand", "(1)", "(2)"});
  expect_error([&] { expand(t, V{-1, 3, 1}); }, EMBER_ERROR_SHAPE, {"expand", "-1", "leading"});
  expect_error([&] { expand(t, V{3, -2}); }, EMBER_ERROR_SHAPE, {"expand", "-2"});
}

TEST(Views, SqueezeUnsqueeze) {
  Tensor t = iota({1, 3, 1, 2});
  expect_layout(squeeze(t), {3, 2}, {2, 1}, 0);
  expect_layout(squeeze_dim(t, 0), {3, 1, 2}, {2, 2, 1}, 0);
  expect_layout(squeeze_dim(t, -2), {1, 3, 2}, {6, 2, 1}, 0);
  expect_layout(squeeze_dim(t, 1), {1, 3, 1, 2}, {6, 2, 2, 1}, 0);  // not size 1: unchanged
  expect_layout(squeeze(iota({})), {}, {}, 0);
  expect_layout(squeeze_dim(iota({}), -1), {}, {}, 0);
  expect_error([&] { squeeze_dim(t, 4); }, EMBER_ERROR_INVALID_ARGUMENT, {"squeeze", "dim 4"});

  Tensor u = iota({2, 3});
  expect_layout(unsqueeze(u, 0), {1, 2, 3}, {6, 3, 1}, 0);
  expect_layout(unsqueeze(u, 1), {2, 1, 3}, {3, 3, 1}, 0);
  expect_layout(unsqueeze(u, 2), {2, 3, 1}, {3, 1, 1}, 0);
  expect_layout(unsqueeze(u, -1), {2, 3, 1}, {3, 1, 1}, 0);
  expect_layout(unsqueeze(u, -3), {1, 2, 3}, {6, 3, 1}, 0);
  expect_layout(unsqueeze(iota({}), 0), {1}, {1}, 0);
  expect_error([&] { unsqueeze(u, 3); }, EMBER_ERROR_INVALID_ARGUMENT, {"unsqueeze", "dim 3"});
  expect_error([&] { unsqueeze(u, -4); }, EMBER_ERROR_INVALID_ARGUMENT, {"unsqueeze", "-4"});
}

TEST(Views, Slice) {
  Tensor t = iota({10});
  expect_layout(slice(t, 0, 2, 8, 3), {2}, {3}, 2);  // 2, 5
  expect_layout(slice(t, 0, -3, 100, 1), {3}, {1}, 7);
  expect_layout(slice(t, 0, 0, std::numeric_limits<int64_t>::max(), 4), {3}, {4}, 0);
  expect_layout(slice(t, 0, 8, 2, 1), {0}, {1}, 8);  // start past end: empty
  expect_layout(slice(t, 0, -100, -8, 1), {2}, {1}, 0);
  expect_layout(slice(t, 0, 20, 30, 1), {0}, {1}, 10);
  expect_layout(slice(t, 0, 0, 10, std::numeric_limits<int64_t>::max()), {1},
                {std::numeric_limits<int64_t>::max()}, 0);
  Tensor m = iota({4, 5});
  Tensor s = slice(slice(m, 1, 1, 5, 2), 0, 1, 3, 1);  // rows 1..2, cols 1, 3
  expect_layout(s, {2, 2}, {5, 2}, 6);
  EXPECT_EQ(at(s, {1, 1}), 2 * 5 + 3);
  EXPECT_EQ(s->storage().get(), m->storage().get());
  expect_error([&] { slice(t, 0, 0, 5, 0); }, EMBER_ERROR_INVALID_ARGUMENT, {"slice", "step", "0"});
  expect_error([&] { slice(t, 0, 0, 5, -1); }, EMBER_ERROR_INVALID_ARGUMENT, {"positive", "-1"});
  expect_error([&] { slice(iota({}), 0, 0, 1, 1); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"slice", "0-dim"});
  expect_error([&] { slice(m, 2, 0, 1, 1); }, EMBER_ERROR_INVALID_ARGUMENT, {"slice", "dim 2"});
}

TEST(Views, Select) {
  Tensor m = iota({3, 4});
  expect_layout(select(m, 0, -1), {4}, {1}, 8);
  expect_layout(select(m, 1, 2), {3}, {4}, 2);
  Tensor s = select(select(m, 1, 3), 0, 2);
  expect_layout(s, {}, {}, 11);
  EXPECT_EQ(at(s, {}), 11);
  expect_error([&] { select(m, 0, 3); }, EMBER_ERROR_INVALID_ARGUMENT,
               {"select", "index 3", "size 3", "[3, 4]"});
  expect_error([&] { select(m, 1, -5); }, EMBER_ERROR_INVALID_ARGUMENT, {"select", "-5"});
  expect_error([&] { select(iota({}), 0, 0); }, EMBER_ERROR_INVALID_ARGUMENT, {"select", "0-dim"});
}

TEST(Views, SharedStorageOutlivesBase) {
  const int64_t before = cpu_bytes_allocated();
  Tensor v;
  {
    Tensor t = iota({4, 4});
    v = select(transpose(t, 0, 1), 0, 2);  // column 2
    EXPECT_EQ(t->storage()->refcount(), 2);
  }
  EXPECT_EQ(cpu_bytes_allocated(), before + 64);
  EXPECT_EQ(at(v, {3}), 14);
  v->storage()->bump_version();
  EXPECT_EQ(v->storage()->version(), 1);
  v = Tensor();
  EXPECT_EQ(cpu_bytes_allocated(), before);
}

}  // namespace
}  // namespace ember
