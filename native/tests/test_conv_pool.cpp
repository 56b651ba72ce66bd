// Convolution over 1 to 3 dims, the pooling family and unfold / fold through the C ABI
// (ember/conv_pool.h): hand-computed cases and errors as status codes. The comparison with
// PyTorch over many shapes is in tests/Ember.NN.Tests/ConvPoolTests.cs.
#include <gtest/gtest.h>

#include <vector>

#include "ember/conv_pool.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::adopt;
using nnref::h;
using nnref::make_tensor;
using nnref::values_of;

TEST(ConvPool, Conv1dHandComputed) {
  // x = [1, 2, 3, 4], w = [1, -1] with padding 1: [0-1, 1-2, 2-3, 3-4, 4-0] = [-1, -1, -1, -1, 4]
  const Tensor x = make_tensor(DType::Float32, {1, 1, 4}, {1, 2, 3, 4});
  const Tensor w = make_tensor(DType::Float32, {1, 1, 2}, {1, -1});
  const Tensor b = make_tensor(DType::Float32, {1}, {10});
  const int64_t pad[1] = {1};
  ember_tensor out = nullptr;
  ASSERT_EQ(ember_convolution(h(x), h(w), h(b), 1, nullptr, pad, nullptr, 0, nullptr, 1, &out),
            EMBER_OK)
      << ember_last_error();
  const Tensor y = adopt(out);
  EXPECT_EQ(values_of(y), (std::vector<double>{9, 9, 9, 9, 14}));
}

TEST(ConvPool, ConvTranspose1dScattersEachInputOverItsWindow) {
  // x = [1, 2], w = [1, 1, 1], stride 2: [1, 1, 1+2, 2, 2]; output_padding 1 adds one 0.
  const Tensor x = make_tensor(DType::Float64, {1, 1, 2}, {1, 2});
  const Tensor w = make_tensor(DType::Float64, {1, 1, 3}, {1, 1, 1});
  const int64_t stride[1] = {2}, out_pad[1] = {1};
  ember_tensor out = nullptr;
  ASSERT_EQ(
      ember_convolution(h(x), h(w), nullptr, 1, stride, nullptr, nullptr, 1, out_pad, 1, &out),
      EMBER_OK)
      << ember_last_error();
  EXPECT_EQ(values_of(adopt(out)), (std::vector<double>{1, 1, 3, 2, 2, 0}));
}

TEST(ConvPool, Conv3dOnesKernelSumsWindows) {
  // A 2x2x2 cube of 1..8 with a ones kernel: one output, the sum 36.
  const Tensor x = make_tensor(DType::Float32, {1, 1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  const Tensor w = make_tensor(DType::Float32, {1, 1, 2, 2, 2}, std::vector<double>(8, 1.0));
  ember_tensor out = nullptr;
  ASSERT_EQ(
      ember_convolution(h(x), h(w), nullptr, 3, nullptr, nullptr, nullptr, 0, nullptr, 1, &out),
      EMBER_OK)
      << ember_last_error();
  const Tensor y = adopt(out);
  EXPECT_EQ(y->sizes(), (DimVector{1, 1, 1, 1, 1}));
  EXPECT_EQ(values_of(y), (std::vector<double>{36}));
}

TEST(ConvPool, AvgPoolDivisorRules) {
  // [1, 2, 3] with kernel 2, stride 2, padding 1: windows [pad, 1], [2, 3].
  const Tensor x = make_tensor(DType::Float32, {1, 1, 3}, {1, 2, 3});
  const int64_t k[1] = {2}, s[1] = {2}, p[1] = {1};
  ember_tensor out = nullptr;
  ASSERT_EQ(ember_avg_pool(h(x), 1, k, s, p, 0, 1, 0, &out), EMBER_OK) << ember_last_error();
  EXPECT_EQ(values_of(adopt(out)), (std::vector<double>{0.5, 2.5}));  // count_include_pad
  ASSERT_EQ(ember_avg_pool(h(x), 1, k, s, p, 0, 0, 0, &out), EMBER_OK) << ember_last_error();
  EXPECT_EQ(values_of(adopt(out)), (std::vector<double>{1, 2.5}));  // padding not counted
}

TEST(ConvPool, AdaptivePoolingWindowsOverlap) {
  // 5 inputs to 3 outputs: windows [0, 2), [1, 4), [3, 5).
  const Tensor x = make_tensor(DType::Float64, {1, 1, 5}, {1, 5, 2, 4, 3});
  const int64_t size[1] = {3};
  ember_tensor out = nullptr, idx = nullptr;
  ASSERT_EQ(ember_adaptive_avg_pool(h(x), size, 1, &out), EMBER_OK) << ember_last_error();
  EXPECT_EQ(values_of(adopt(out)), (std::vector<double>{3, 11.0 / 3, 3.5}));
  ASSERT_EQ(ember_adaptive_max_pool(h(x), size, 1, &out, &idx), EMBER_OK) << ember_last_error();
  EXPECT_EQ(values_of(adopt(out)), (std::vector<double>{5, 5, 4}));
  EXPECT_EQ(values_of(adopt(idx)), (std::vector<double>{1, 1, 3}));
}

TEST(ConvPool, FoldOfUnfoldCountsTheBlocksEachPositionIsIn) {
  // Unfolding ones into 2x2 blocks and folding back counts, per position, the blocks over it.
  const Tensor x = make_tensor(DType::Float32, {1, 1, 3, 3}, std::vector<double>(9, 1.0));
  const int64_t k[2] = {2, 2}, size[2] = {3, 3};
  ember_tensor cols = nullptr, back = nullptr;
  ASSERT_EQ(ember_unfold(h(x), k, nullptr, nullptr, nullptr, &cols), EMBER_OK)
      << ember_last_error();
  const Tensor c = adopt(cols);
  EXPECT_EQ(c->sizes(), (DimVector{1, 4, 4}));
  ASSERT_EQ(ember_fold(h(c), size, k, nullptr, nullptr, nullptr, &back), EMBER_OK)
      << ember_last_error();
  EXPECT_EQ(values_of(adopt(back)), (std::vector<double>{1, 2, 1, 2, 4, 2, 1, 2, 1}));
}

TEST(ConvPool, ErrorsAreStatusesWithTheOpAndShapes) {
  const Tensor x = make_tensor(DType::Float32, {1, 2, 4}, std::vector<double>(8, 1.0));
  const Tensor w = make_tensor(DType::Float32, {3, 1, 2}, std::vector<double>(6, 1.0));
  ember_tensor out = nullptr, idx = nullptr;
  EXPECT_EMBER_ERROR(
      ember_convolution(h(x), h(w), nullptr, 1, nullptr, nullptr, nullptr, 0, nullptr, 1, &out),
      EMBER_ERROR_SHAPE,
      "conv1d: Given groups=1, weight of size [3, 1, 2], expected input[1, 2, 4]");
  EXPECT_EMBER_ERROR(
      ember_convolution(h(x), h(w), nullptr, 4, nullptr, nullptr, nullptr, 0, nullptr, 1, &out),
      EMBER_ERROR_INVALID_ARGUMENT, "expected 1 to 3 spatial dims, got 4");
  const int64_t stride[1] = {1}, out_pad[1] = {1};
  const Tensor wt = make_tensor(DType::Float32, {2, 1, 2}, std::vector<double>(4, 1.0));
  EXPECT_EMBER_ERROR(
      ember_convolution(h(x), h(wt), nullptr, 1, stride, nullptr, nullptr, 1, out_pad, 1, &out),
      EMBER_ERROR_INVALID_ARGUMENT, "conv_transpose1d: output padding must be");
  EXPECT_EMBER_ERROR(ember_avg_pool(h(x), 1, nullptr, nullptr, nullptr, 0, 1, 0, &out),
                     EMBER_ERROR_INVALID_ARGUMENT, "kernel size is NULL");
  EXPECT_EMBER_ERROR(ember_max_pool1d(h(x), 5, 5, 0, 1, 0, &out, &idx), EMBER_ERROR_SHAPE,
                     "max_pool1d: Given input size: (2x1x4). Calculated output size: (2x1x0)");
  const int64_t k[2] = {5, 5};
  const Tensor x4 = make_tensor(DType::Float32, {1, 1, 3, 3}, std::vector<double>(9, 1.0));
  EXPECT_EMBER_ERROR(ember_unfold(h(x4), k, nullptr, nullptr, nullptr, &out), EMBER_ERROR_SHAPE,
                     "unfold: Given input with spatial size (3, 3), kernel_size=(5, 5)");
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(idx, nullptr);
}

}  // namespace
}  // namespace ember
