// The nn kernels through the C ABI (ember/nn.h), against PyTorch 1.13's values
// (tests/reference/make_native_nn.py), finite differences and hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::adopt;
using nnref::Case;
using nnref::expect_matches;
using nnref::h;
using nnref::tolerance_for;

// Convolutions sum hundreds of float32 products per output: a looser bound than elementwise ops.
nnref::Tolerance conv_tolerance(DType t) {
  return t == DType::Float32 ? nnref::Tolerance{1e-4, 2e-5} : tolerance_for(t);
}

std::vector<int64_t> pair_of(const Case& c, const char* k) {
  return {c.iattr(k, 0), c.iattr(k, 1)};
}

ember_scalar float_scalar(double v) {
  ember_scalar s{};
  s.f = v;
  s.kind = EMBER_SCALAR_FLOAT;
  return s;
}

// The same values as t in a non-contiguous layout (the last two dims stored transposed).
Tensor non_contiguous(const Tensor& t) {
  const int64_t n = t->dim();
  return ops::transpose(ops::contiguous(ops::transpose(t, n - 2, n - 1)), n - 2, n - 1);
}

// ---------------------------------------------------------------- conv2d

struct ConvArgs {
  std::vector<int64_t> stride, padding, dilation;
  int64_t groups;
};

ConvArgs conv_args(const Case& c) {
  return {pair_of(c, "stride"), pair_of(c, "padding"), pair_of(c, "dilation"), c.iattr("groups")};
}

TEST(NnConv2d, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : nnref::load("conv2d.txt")) {
    SCOPED_TRACE(c.name);
    const ConvArgs a = conv_args(c);
    const Tensor x = c.tensor("x"), w = c.tensor("w");
    const Tensor b = c.has("b") ? c.tensor("b") : Tensor();
    const auto tol = conv_tolerance(c.dtype("x"));
    ember_tensor out = nullptr;
    ASSERT_EQ(ember_conv2d(h(x), h(w), h(b), a.stride.data(), a.padding.data(), a.dilation.data(),
                           a.groups, &out),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(out), c.check("out"), tol, "out");

    const Tensor gy = c.tensor("grad_out");
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_conv2d_backward(h(gy), h(x), h(w), a.stride.data(), a.padding.data(),
                                    a.dilation.data(), a.groups, 1, 1, b ? 1 : 0, &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
    expect_matches(adopt(gw), c.check("grad_w"), tol, "grad_w");
    if (b) {
      expect_matches(adopt(gb), c.check("grad_b"), tol, "grad_b");
    } else {
      EXPECT_EQ(gb, nullptr);
    }
  }
}

TEST(NnConv2d, NonContiguousInputsGiveTheSameResult) {
  const Case c = nnref::load("conv2d.txt")[2];  // strided_padded
  const ConvArgs a = conv_args(c);
  const Tensor x = non_contiguous(c.tensor("x")), w = non_contiguous(c.tensor("w"));
  ASSERT_FALSE(x->is_contiguous());
  ember_tensor out = nullptr;
  ASSERT_EQ(ember_conv2d(h(x), h(w), h(c.tensor("b")), a.stride.data(), a.padding.data(),
                         a.dilation.data(), a.groups, &out),
            EMBER_OK);
  expect_matches(adopt(out), c.check("out"), conv_tolerance(DType::Float32), "out");
  const Tensor gy = non_contiguous(c.tensor("grad_out"));
  ember_tensor gx = nullptr, gw = nullptr;
  ASSERT_EQ(ember_conv2d_backward(h(gy), h(x), h(w), a.stride.data(), a.padding.data(),
                                  a.dilation.data(), a.groups, 1, 1, 0, &gx, &gw, nullptr),
            EMBER_OK);
  expect_matches(adopt(gx), c.check("grad_x"), conv_tolerance(DType::Float32), "grad_x");
  expect_matches(adopt(gw), c.check("grad_w"), conv_tolerance(DType::Float32), "grad_w");
}

TEST(NnConv2d, OnlyTheRequestedGradientsAreComputed) {
  const Case c = nnref::load("conv2d.txt")[0];
  const std::vector<int64_t> one{1, 1}, zero{0, 0};
  ember_tensor gx = reinterpret_cast<ember_tensor>(1), gw = nullptr, gb = nullptr;
  ASSERT_EQ(ember_conv2d_backward(h(c.tensor("grad_out")), h(c.tensor("x")), h(c.tensor("w")),
                                  one.data(), zero.data(), one.data(), 1, 0, 1, 1, &gx, &gw, &gb),
            EMBER_OK);
  EXPECT_EQ(gx, nullptr);
  expect_matches(adopt(gw), c.check("grad_w"), conv_tolerance(DType::Float32), "grad_w");
  expect_matches(adopt(gb), c.check("grad_b"), conv_tolerance(DType::Float32), "grad_b");
}

// The seed CNN's second layer: the weight gradient sums 4096 products per tap over 64 images, in
// batches; checked against the defining sum, in double, of every tap over every image.
TEST(NnConv2d, WeightGradientOverManyImagesMatchesTheDefiningSum) {
  Generator gen(11);
  const int64_t n = 64, c = 10, hw = 12, o = 20, k = 5, ohw = hw - k + 1;
  const Tensor x = ops::randn({n, c, hw, hw}, DType::Float32, Device{}, gen);
  const Tensor w = ops::randn({o, c, k, k}, DType::Float32, Device{}, gen);
  const Tensor gy = ops::randn({n, o, ohw, ohw}, DType::Float32, Device{}, gen);
  const auto grads = ops::conv2d_backward(gy, x, w, ops::Conv2dParams{}, false, true, false);
  const float* xp = x->data_as<float>();
  const float* gp = gy->data_as<float>();
  const float* got = grads.grad_w->data_as<float>();
  double worst = 0;
  for (int64_t oc = 0; oc < o; ++oc) {
    for (int64_t ic = 0; ic < c; ++ic) {
      for (int64_t i = 0; i < k; ++i) {
        for (int64_t j = 0; j < k; ++j) {
          double sum = 0, scale = 0;
          for (int64_t b = 0; b < n; ++b) {
            for (int64_t y = 0; y < ohw; ++y) {
              for (int64_t z = 0; z < ohw; ++z) {
                const double t = double(gp[((b * o + oc) * ohw + y) * ohw + z]) *
                                 xp[((b * c + ic) * hw + y + i) * hw + z + j];
                sum += t;
                scale += std::abs(t);
              }
            }
          }
          const double err = std::abs(got[((oc * c + ic) * k + i) * k + j] - sum) / scale;
          worst = std::max(worst, err);
        }
      }
    }
  }
  // float32 sums of 4096 products, relative to the sum of their magnitudes.
  EXPECT_LT(worst, 1e-5);
}

// Gradients against central finite differences of L = sum(conv2d(x, w, b) * G), in float64.
TEST(NnConv2d, GradientsMatchFiniteDifferences) {
  ops::Conv2dParams p;
  p.stride = {2, 1};
  p.padding = {1, 2};
  p.dilation = {1, 2};
  p.groups = 2;
  auto gen = [](DimVector s, uint64_t mult) {
    int64_t n = 1;
    for (int64_t v : s) n *= v;
    std::vector<double> vals;
    for (int64_t i = 0; i < n; ++i) vals.push_back(nnref::gen_value(i, mult, 1.0));
    return nnref::make_tensor(DType::Float64, s, vals);
  };
  const Tensor x = gen({2, 4, 5, 6}, 2654435761), w = gen({6, 2, 3, 2}, 2246822519),
               b = gen({6}, 3266489917);
  const Tensor y = ops::conv2d(x, w, b, p);
  const Tensor g = gen(y->sizes(), 668265263);
  const ops::Conv2dGrads grads = ops::conv2d_backward(g, x, w, p, true, true, true);
  auto loss = [&] {
    const std::vector<double> yv = nnref::values_of(ops::conv2d(x, w, b, p));
    const std::vector<double> gv = nnref::values_of(g);
    double s = 0;
    for (size_t i = 0; i < yv.size(); ++i) s += yv[i] * gv[i];
    return s;
  };
  auto check = [&](const Tensor& param, const Tensor& grad, const char* what) {
    double* d = param->data_as<double>();
    const std::vector<double> analytic = nnref::values_of(grad);
    for (int64_t i = 0; i < param->numel(); i += 7) {
      const double keep = d[i], eps = 1e-6;
      d[i] = keep + eps;
      const double up = loss();
      d[i] = keep - eps;
      const double down = loss();
      d[i] = keep;
      EXPECT_NEAR(analytic[static_cast<size_t>(i)], (up - down) / (2 * eps), 1e-6)
          << what << "[" << i << "]";
    }
  };
  check(x, grads.grad_x, "grad_x");
  check(w, grads.grad_w, "grad_w");
  check(b, grads.grad_b, "grad_b");
}

TEST(NnConv2d, HalfPrecisionIsComputedInFloat32) {
  const Case c = nnref::load("conv2d.txt")[0];
  for (DType t : {DType::Float16, DType::BFloat16}) {
    const Tensor x = ops::to_dtype(c.tensor("x"), t), w = ops::to_dtype(c.tensor("w"), t);
    const Tensor y = ops::conv2d(x, w, Tensor(), ops::Conv2dParams{});
    EXPECT_EQ(y->dtype(), t);
    const Tensor ref = ops::conv2d(ops::to_dtype(x, DType::Float32),
                                   ops::to_dtype(w, DType::Float32), Tensor(), {});
    const std::vector<double> a = nnref::values_of(y), r = nnref::values_of(ref);
    for (size_t i = 0; i < a.size(); i += 97) {
      EXPECT_NEAR(a[i], r[i], 0.02 * (1 + std::fabs(r[i]))) << dtype_name(t) << " [" << i << "]";
    }
  }
}

TEST(NnConv2d, ShapeErrorsNameTheShapes) {
  const Tensor x = empty({64, 3, 28, 28}, DType::Float32, Device{});
  const Tensor w = empty({10, 1, 5, 5}, DType::Float32, Device{});
  ember_tensor out = nullptr;
  EXPECT_EMBER_ERROR(ember_conv2d(h(x), h(w), nullptr, nullptr, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_SHAPE,
                     "conv2d: Given groups=1, weight of size [10, 1, 5, 5], expected "
                     "input[64, 3, 28, 28] to have 1 channels, but got 3 channels instead");
  EXPECT_EQ(out, nullptr);
  const Tensor small = empty({1, 1, 4, 4}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(ember_conv2d(h(small), h(w), nullptr, nullptr, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_SHAPE, "Kernel size: (5 x 5). Kernel size can't be greater");
  const Tensor b = empty({3}, DType::Float32, Device{});
  const Tensor x1 = empty({2, 1, 8, 8}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(ember_conv2d(h(x1), h(w), h(b), nullptr, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_SHAPE, "expected bias to be 1-dimensional with 10 elements");
  EXPECT_EMBER_ERROR(ember_conv2d(h(x1), h(w), nullptr, nullptr, nullptr, nullptr, 3, &out),
                     EMBER_ERROR_SHAPE, "Given groups=3, expected weight to be divisible by 3");
  const Tensor x2d = empty({8, 8}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(ember_conv2d(h(x2d), h(w), nullptr, nullptr, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_SHAPE, "Expected 3D (unbatched) or 4D (batched) input");
  const Tensor w64 = empty({10, 1, 5, 5}, DType::Float64, Device{});
  EXPECT_EMBER_ERROR(ember_conv2d(h(x1), h(w64), nullptr, nullptr, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_DTYPE,
                     "input is [2, 1, 8, 8] float32 and weight is [10, 1, 5, 5] float64");
  const int64_t zero_stride[2] = {0, 1};
  EXPECT_EMBER_ERROR(ember_conv2d(h(x1), h(w), nullptr, zero_stride, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_INVALID_ARGUMENT, "non-positive stride");
  const Tensor xi = empty({2, 1, 8, 8}, DType::Int64, Device{});
  EXPECT_EMBER_ERROR(ember_conv2d(h(xi), h(w), nullptr, nullptr, nullptr, nullptr, 1, &out),
                     EMBER_ERROR_DTYPE, "expected input to be a floating tensor");
  const Tensor gy = empty({2, 10, 3, 3}, DType::Float32, Device{});
  ember_tensor gx = nullptr;
  EXPECT_EMBER_ERROR(ember_conv2d_backward(h(gy), h(x1), h(w), nullptr, nullptr, nullptr, 1, 1, 0,
                                           0, &gx, nullptr, nullptr),
                     EMBER_ERROR_SHAPE, "expected grad_out of size [2, 10, 4, 4]");
  EXPECT_EQ(gx, nullptr);
}

// ---------------------------------------------------------------- max_pool2d

TEST(NnMaxPool2d, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : nnref::load("max_pool2d.txt")) {
    SCOPED_TRACE(c.name);
    const std::vector<int64_t> k = pair_of(c, "kernel"), s = pair_of(c, "stride"),
                               p = pair_of(c, "padding"), d = pair_of(c, "dilation");
    const int32_t ceil = static_cast<int32_t>(c.iattr("ceil_mode"));
    const Tensor x = c.tensor("x");
    const auto tol = tolerance_for(c.dtype("x"));
    ember_tensor out = nullptr, idx = nullptr;
    ASSERT_EQ(ember_max_pool2d(h(x), k.data(), s.data(), p.data(), d.data(), ceil, &out, &idx),
              EMBER_OK)
        << ember_last_error();
    const Tensor indices = adopt(idx);
    expect_matches(adopt(out), c.check("out"), tol, "out");
    expect_matches(indices, c.check("indices"), tolerance_for(DType::Int64), "indices");
    ember_tensor gx = nullptr;
    ASSERT_EQ(ember_max_pool2d_backward(h(c.tensor("grad_out")), h(x), h(indices), k.data(),
                                        s.data(), p.data(), d.data(), ceil, &gx),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
  }
}

TEST(NnMaxPool2d, StrideDefaultsToTheKernelSize) {
  const Case c = nnref::load("max_pool2d.txt")[0];  // seed1: kernel 2, stride 2
  const int64_t k[2] = {2, 2};
  ember_tensor out = nullptr, idx = nullptr;
  ASSERT_EQ(ember_max_pool2d(h(c.tensor("x")), k, nullptr, nullptr, nullptr, 0, &out, &idx),
            EMBER_OK);
  expect_matches(adopt(out), c.check("out"), tolerance_for(DType::Float32), "out");
  adopt(idx);
}

TEST(NnMaxPool2d, Errors) {
  const Tensor x = empty({1, 2, 4, 4}, DType::Float32, Device{});
  const int64_t k3[2] = {3, 3}, pad2[2] = {2, 2}, k5[2] = {5, 5};
  ember_tensor out = nullptr, idx = nullptr;
  EXPECT_EMBER_ERROR(ember_max_pool2d(h(x), k3, nullptr, pad2, nullptr, 0, &out, &idx),
                     EMBER_ERROR_INVALID_ARGUMENT, "pad should be at least 0 and at most half");
  EXPECT_EMBER_ERROR(ember_max_pool2d(h(x), k5, nullptr, nullptr, nullptr, 0, &out, &idx),
                     EMBER_ERROR_SHAPE,
                     "Given input size: (2x4x4). Calculated output size: (2x0x0). Output size is "
                     "too small");
  EXPECT_EMBER_ERROR(ember_max_pool2d(h(x), nullptr, nullptr, nullptr, nullptr, 0, &out, &idx),
                     EMBER_ERROR_INVALID_ARGUMENT, "kernel size is NULL");
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(idx, nullptr);
  // Indices that point outside the plane are an error, not a write out of bounds.
  const int64_t k2[2] = {2, 2};
  const Tensor gy = nnref::make_tensor(DType::Float32, {1, 2, 2, 2}, std::vector<double>(8, 1.0));
  const Tensor bad = nnref::make_tensor(DType::Int64, {1, 2, 2, 2}, {0, 1, 2, 99, 0, 0, 0, 0});
  ember_tensor gx = nullptr;
  EXPECT_EMBER_ERROR(
      ember_max_pool2d_backward(h(gy), h(x), h(bad), k2, nullptr, nullptr, nullptr, 0, &gx),
      EMBER_ERROR_INVALID_ARGUMENT, "index 99 is out of bounds for a plane of 16");
}

// ---------------------------------------------------------------- softmax

TEST(NnSoftmax, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : nnref::load("softmax.txt")) {
    SCOPED_TRACE(c.name);
    const int32_t dim = static_cast<int32_t>(c.iattr("dim"));
    const Tensor x = c.tensor("x");
    const auto tol = tolerance_for(c.dtype("x"));
    using Fwd = ember_status (*)(ember_tensor, int32_t, ember_tensor*);
    using Bwd = ember_status (*)(ember_tensor, ember_tensor, int32_t, ember_tensor*);
    const std::vector<std::tuple<const char*, Fwd, Bwd>> fns = {
        {"log_softmax", ember_log_softmax, ember_log_softmax_backward},
        {"softmax", ember_softmax, ember_softmax_backward}};
    for (const auto& [name, fwd, bwd] : fns) {
      ember_tensor out = nullptr;
      ASSERT_EQ(fwd(h(x), dim, &out), EMBER_OK) << ember_last_error();
      const Tensor y = adopt(out);
      expect_matches(y, c.check(name), tol, name);
      if (!c.has("grad_out")) continue;
      ember_tensor gx = nullptr;
      ASSERT_EQ(bwd(h(c.tensor("grad_out")), h(y), dim, &gx), EMBER_OK) << ember_last_error();
      expect_matches(adopt(gx), c.check(std::string(name) + "_grad_x"), tol,
                     std::string(name) + " grad_x");
    }
  }
}

TEST(NnSoftmax, RowsSumToOneAndNonContiguousInput) {
  const Tensor x = non_contiguous(nnref::make_tensor(
      DType::Float32, {3, 50, 40}, std::vector<double>(6000, 0.0)));  // zeros: uniform rows
  ember_tensor out = nullptr;
  ASSERT_EQ(ember_softmax(h(x), -1, &out), EMBER_OK);
  for (double v : nnref::values_of(adopt(out))) EXPECT_FLOAT_EQ(v, 1.0 / 40);
  const Tensor bad = empty({2, 3}, DType::Int64, Device{});
  EXPECT_EMBER_ERROR(ember_softmax(h(bad), 1, &out), EMBER_ERROR_DTYPE,
                     "softmax: expected input to be a floating tensor");
  EXPECT_EMBER_ERROR(ember_log_softmax(h(x), 3, &out), EMBER_ERROR_INVALID_ARGUMENT,
                     "log_softmax: dim 3 is out of range");
}

// ---------------------------------------------------------------- nll_loss

TEST(NnNllLoss, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : nnref::load("nll_loss.txt")) {
    SCOPED_TRACE(c.name);
    const int32_t reduction = static_cast<int32_t>(c.iattr("reduction"));
    const int64_t ignore = c.iattr("ignore_index");
    const Tensor logp = c.tensor("logp"), target = c.tensor("target");
    const Tensor weight = c.has("weight") ? c.tensor("weight") : Tensor();
    const auto tol = tolerance_for(c.dtype("logp"));
    ember_tensor out = nullptr, tw = nullptr;
    ASSERT_EQ(ember_nll_loss(h(logp), h(target), h(weight), reduction, ignore, &out, &tw), EMBER_OK)
        << ember_last_error();
    const Tensor total_weight = adopt(tw);
    expect_matches(adopt(out), c.check("out"), tol, "out");
    if (!c.has("grad_out")) continue;
    expect_matches(total_weight, c.check("total_weight"), tol, "total_weight");
    ember_tensor gx = nullptr;
    ASSERT_EQ(ember_nll_loss_backward(h(c.tensor("grad_out")), h(logp), h(target), h(weight),
                                      reduction, ignore, h(total_weight), &gx),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
  }
}

TEST(NnNllLoss, OutOfRangeTargetsAreErrorsNotCrashes) {
  const Tensor logp = empty({3, 10}, DType::Float32, Device{});
  ember::ops::fill_(logp, Scalar::from_float(-2.3));
  const Tensor target = nnref::make_tensor(DType::Int64, {3}, {1, 12, 3});
  ember_tensor out = nullptr, tw = nullptr;
  EXPECT_EMBER_ERROR(ember_nll_loss(h(logp), h(target), nullptr, 1, -100, &out, &tw),
                     EMBER_ERROR_INVALID_ARGUMENT,
                     "nll_loss: target 12 is out of bounds for 10 classes");
  EXPECT_EQ(out, nullptr);
  EXPECT_EQ(tw, nullptr);
  const Tensor negative = nnref::make_tensor(DType::Int64, {3}, {1, -1, 3});
  EXPECT_EMBER_ERROR(ember_nll_loss(h(logp), h(negative), nullptr, 2, -100, &out, &tw),
                     EMBER_ERROR_INVALID_ARGUMENT, "target -1 is out of bounds for 10 classes");
  // The same index as ignore_index is skipped, not checked.
  ASSERT_EQ(ember_nll_loss(h(logp), h(negative), nullptr, 2, -1, &out, &tw), EMBER_OK);
  EXPECT_NEAR(nnref::values_of(adopt(out))[0], 4.6, 1e-5);
  adopt(tw);
  const Tensor short_target = nnref::make_tensor(DType::Int64, {2}, {1, 2});
  EXPECT_EMBER_ERROR(ember_nll_loss(h(logp), h(short_target), nullptr, 1, -100, &out, &tw),
                     EMBER_ERROR_SHAPE,
                     "Expected input batch_size (3) to match target batch_size (2)");
  const Tensor float_target = nnref::make_tensor(DType::Float32, {3}, {1, 2, 3});
  EXPECT_EMBER_ERROR(ember_nll_loss(h(logp), h(float_target), nullptr, 1, -100, &out, &tw),
                     EMBER_ERROR_DTYPE, "expected target of dtype int64");
  const Tensor weight = empty({4}, DType::Float32, Device{});
  const Tensor ok_target = nnref::make_tensor(DType::Int64, {3}, {1, 2, 3});
  EXPECT_EMBER_ERROR(ember_nll_loss(h(logp), h(ok_target), h(weight), 1, -100, &out, &tw),
                     EMBER_ERROR_SHAPE,
                     "weight tensor should be defined either for all 10 classes");
  EXPECT_EMBER_ERROR(ember_nll_loss(h(logp), h(ok_target), nullptr, 7, -100, &out, &tw),
                     EMBER_ERROR_INVALID_ARGUMENT,
                     "reduction must be 0 (none), 1 (mean) or 2 (sum)");
}

// ---------------------------------------------------------------- linear

TEST(NnLinear, MatchesPyTorch) {
  for (const Case& c : nnref::load("linear.txt")) {
    SCOPED_TRACE(c.name);
    const Tensor b = c.has("b") ? c.tensor("b") : Tensor();
    ember_tensor out = nullptr;
    ASSERT_EQ(ember_linear(h(c.tensor("x")), h(c.tensor("w")), h(b), &out), EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(out), c.check("out"), tolerance_for(c.dtype("x")), "out");
  }
}

TEST(NnLinear, TransposedWeightAndShapeErrors) {
  const Case c = nnref::load("linear.txt")[0];
  const Tensor wt = ops::transpose(ops::contiguous(ops::transpose(c.tensor("w"), 0, 1)), 0, 1);
  ember_tensor out = nullptr;
  ASSERT_EQ(ember_linear(h(c.tensor("x")), h(wt), h(c.tensor("b")), &out), EMBER_OK);
  expect_matches(adopt(out), c.check("out"), tolerance_for(DType::Float32), "out");
  const Tensor x = empty({3, 5}, DType::Float32, Device{});
  const Tensor w = empty({4, 4}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(ember_linear(h(x), h(w), nullptr, &out), EMBER_ERROR_SHAPE,
                     "linear: mat1 and mat2 shapes cannot be multiplied (3x5 and 4x4)");
}

// ---------------------------------------------------------------- argmax / max

TEST(NnArgMax, MatchesPyTorch) {
  for (const Case& c : nnref::load("argmax.txt")) {
    SCOPED_TRACE(c.name);
    const int32_t dim = static_cast<int32_t>(c.iattr("dim"));
    const int32_t keep = static_cast<int32_t>(c.iattr("keepdim"));
    const Tensor x = c.tensor("x");
    ember_tensor values = nullptr, indices = nullptr, arg = nullptr;
    ASSERT_EQ(ember_max_dim(h(x), dim, keep, &values, &indices), EMBER_OK) << ember_last_error();
    expect_matches(adopt(values), c.check("values"), tolerance_for(c.dtype("x")), "values");
    expect_matches(adopt(indices), c.check("indices"), tolerance_for(DType::Int64), "indices");
    ASSERT_EQ(ember_argmax(h(x), dim, keep, &arg), EMBER_OK) << ember_last_error();
    expect_matches(adopt(arg), c.check("argmax"), tolerance_for(DType::Int64), "argmax");
  }
}

TEST(NnArgMax, ZeroDimAndErrors) {
  const Tensor s = nnref::make_tensor(DType::Float32, {}, {3.5});
  ember_tensor out = nullptr;
  ASSERT_EQ(ember_argmax(h(s), -1, 0, &out), EMBER_OK);
  const Tensor r = adopt(out);
  EXPECT_EQ(r->dim(), 0);
  EXPECT_EQ(nnref::values_of(r)[0], 0);
  const Tensor e = empty({2, 0}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(ember_argmax(h(e), 1, 0, &out), EMBER_ERROR_INVALID_ARGUMENT,
                     "argmax: Expected reduction dim 1 to have non-zero size");
  EXPECT_EMBER_ERROR(ember_argmax(h(e), 2, 0, &out), EMBER_ERROR_INVALID_ARGUMENT,
                     "argmax: dim 2 is out of range");
  // Reducing a dim of a tensor with other empty dims gives an empty result.
  ember_tensor v = nullptr, i = nullptr;
  ASSERT_EQ(ember_max_dim(h(e), 0, 1, &v, &i), EMBER_OK);
  EXPECT_EQ(adopt(v)->sizes(), (DimVector{1, 0}));
  adopt(i);
}

// ---------------------------------------------------------------- relu, threshold_backward

TEST(NnActivation, MatchesPyTorch) {
  for (const Case& c : nnref::load("activation.txt")) {
    SCOPED_TRACE(c.name);
    ember_tensor out = nullptr;
    if (c.checks.count("relu")) {
      const Tensor x = c.tensor("x");
      ASSERT_EQ(ember_relu(h(x), &out), EMBER_OK) << ember_last_error();
      expect_matches(adopt(out), c.check("relu"), tolerance_for(c.dtype("x")), "relu");
      int64_t v0 = 0, v1 = 0;
      ember_tensor_version(h(x), &v0);
      ASSERT_EQ(ember_relu_(h(x)), EMBER_OK);
      ember_tensor_version(h(x), &v1);
      EXPECT_EQ(v1, v0 + 1) << "relu_ bumps the version";
      expect_matches(x, c.check("relu"), tolerance_for(c.dtype("x")), "relu_");
    } else {
      ASSERT_EQ(ember_threshold_backward(h(c.tensor("grad")), h(c.tensor("x")),
                                         float_scalar(c.attr("threshold")), &out),
                EMBER_OK)
          << ember_last_error();
      expect_matches(adopt(out), c.check("out"), tolerance_for(c.dtype("x")), "out");
    }
  }
}

// ---------------------------------------------------------------- comparisons

TEST(NnCompare, MatchesPyTorch) {
  using Fn = ember_status (*)(ember_tensor, ember_tensor, ember_tensor*);
  using ScalarFn = ember_status (*)(ember_tensor, ember_scalar, ember_tensor*);
  const std::vector<std::tuple<const char*, Fn, ScalarFn>> fns = {
      {"eq", ember_eq, ember_eq_scalar}, {"ne", ember_ne, ember_ne_scalar},
      {"lt", ember_lt, ember_lt_scalar}, {"le", ember_le, ember_le_scalar},
      {"gt", ember_gt, ember_gt_scalar}, {"ge", ember_ge, ember_ge_scalar}};
  for (const Case& c : nnref::load("compare.txt")) {
    SCOPED_TRACE(c.name);
    for (const auto& [name, fn, sfn] : fns) {
      ember_tensor out = nullptr;
      if (c.has("b")) {
        ASSERT_EQ(fn(h(c.tensor("a")), h(c.tensor("b")), &out), EMBER_OK) << ember_last_error();
      } else {
        const double v = c.attr("scalar");
        ember_scalar s{};
        if (v == std::floor(v) && c.name.find("_int") != std::string::npos) {
          s.i = static_cast<int64_t>(v);
          s.kind = EMBER_SCALAR_INT;
        } else {
          s = float_scalar(v);
        }
        ASSERT_EQ(sfn(h(c.tensor("a")), s, &out), EMBER_OK) << ember_last_error();
      }
      const Tensor r = adopt(out);
      EXPECT_EQ(r->dtype(), DType::Bool) << name;
      expect_matches(r, c.check(name), tolerance_for(DType::Bool), name);
    }
  }
}

TEST(NnCompare, BroadcastErrorNamesShapes) {
  const Tensor a = empty({2, 3}, DType::Float32, Device{}),
               b = empty({4}, DType::Float32, Device{});
  ember_tensor out = nullptr;
  EXPECT_EMBER_ERROR(ember_lt(h(a), h(b), &out), EMBER_ERROR_SHAPE,
                     "lt: the size of tensor a (3) must match the size of tensor b (4)");
}

// ---------------------------------------------------------------- dropout

struct Drawn {
  Tensor out, mask;
};

Drawn draw(ember_status (*fn)(ember_tensor, double, int32_t, ember_generator, ember_tensor*,
                              ember_tensor*),
           const Tensor& x, double p, ember_generator gen) {
  ember_tensor out = nullptr, mask = nullptr;
  EXPECT_EQ(fn(h(x), p, 1, gen, &out, &mask), EMBER_OK) << ember_last_error();
  return {adopt(out), adopt(mask)};
}

TEST(NnDropout, MaskStatisticsAndOutput) {
  const int64_t n = 1 << 20;
  std::vector<double> xv(n);
  for (int64_t i = 0; i < n; ++i) xv[i] = nnref::gen_value(i, 2654435761, 1.0);
  const Tensor x = nnref::make_tensor(DType::Float32, {1024, 1024}, xv);
  ember_generator gen = nullptr;
  ASSERT_EQ(ember_generator_create(7, &gen), EMBER_OK);
  for (double p : {0.1, 0.5, 0.8}) {
    const Drawn d = draw(ember_dropout, x, p, gen);
    const std::vector<double> m = nnref::values_of(d.mask), o = nnref::values_of(d.out);
    int64_t zeros = 0;
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      zeros += m[i] == 0;
      sum += m[i];
      ASSERT_TRUE(m[i] == 0 || std::fabs(m[i] - 1 / (1 - p)) < 1e-6) << m[i];
      ASSERT_FLOAT_EQ(o[i], static_cast<float>(xv[i]) * static_cast<float>(m[i]));
    }
    // Binomial: the standard deviation of the zero fraction is sqrt(p(1-p)/n) < 0.0005.
    EXPECT_NEAR(static_cast<double>(zeros) / n, p, 0.003) << "p=" << p;
    EXPECT_NEAR(sum / n, 1.0, 0.01) << "p=" << p;
  }
  ember_generator_release(gen);
}

TEST(NnDropout, DeterministicUnderASeedAndIndependentOfThreadCount) {
  const Tensor x =
      nnref::make_tensor(DType::Float64, {300, 1000}, std::vector<double>(300000, 1.0));
  int32_t threads = 0;
  ember_get_num_threads(&threads);
  std::vector<std::vector<double>> masks;
  for (int32_t t : {1, 2, 1}) {
    ASSERT_EQ(ember_set_num_threads(t), EMBER_OK);
    ember_generator gen = nullptr;
    ASSERT_EQ(ember_generator_create(1234, &gen), EMBER_OK);
    masks.push_back(nnref::values_of(draw(ember_dropout, x, 0.4, gen).mask));
    masks.push_back(nnref::values_of(draw(ember_dropout, x, 0.4, gen).mask));
    ember_generator_release(gen);
  }
  ember_set_num_threads(threads);
  EXPECT_EQ(masks[0], masks[2]);
  EXPECT_EQ(masks[0], masks[4]);
  EXPECT_EQ(masks[1], masks[3]);
  EXPECT_NE(masks[0], masks[1]) << "a second draw uses fresh counters";
}

TEST(NnDropout, EvalModeIdentityAndEdgeProbabilities) {
  const Tensor x = nnref::make_tensor(DType::Float32, {4, 5}, std::vector<double>(20, 2.0));
  ember_tensor out = nullptr, mask = reinterpret_cast<ember_tensor>(1);
  ASSERT_EQ(ember_dropout(h(x), 0.5, 0, nullptr, &out, &mask), EMBER_OK);
  EXPECT_EQ(out, h(x)) << "eval returns the input itself";
  EXPECT_EQ(mask, nullptr);
  adopt(out);
  const Drawn all = draw(ember_dropout, x, 1.0, nullptr);
  for (double v : nnref::values_of(all.out)) EXPECT_EQ(v, 0.0);
  EXPECT_EMBER_ERROR(ember_dropout(h(x), 1.5, 1, nullptr, &out, &mask),
                     EMBER_ERROR_INVALID_ARGUMENT,
                     "dropout: dropout probability has to be between 0 and 1, but got 1.5");
  const Tensor xi = empty({3}, DType::Int64, Device{});
  EXPECT_EMBER_ERROR(ember_dropout(h(xi), 0.5, 1, nullptr, &out, &mask), EMBER_ERROR_DTYPE,
                     "expected input to be a floating tensor");
}

TEST(NnDropout, FeatureDropoutDropsWholeChannels) {
  const int64_t n = 64, c = 50;
  std::vector<double> xv(n * c * 6);
  for (size_t i = 0; i < xv.size(); ++i) xv[i] = 1.0 + static_cast<double>(i % 13);
  const Tensor x = nnref::make_tensor(DType::Float32, {n, c, 2, 3}, xv);
  const Drawn d = draw(ember_feature_dropout, x, 0.3, nullptr);
  EXPECT_EQ(d.mask->sizes(), (DimVector{n, c, 1, 1}));
  const std::vector<double> m = nnref::values_of(d.mask), o = nnref::values_of(d.out);
  int64_t zeros = 0;
  for (int64_t ch = 0; ch < n * c; ++ch) {
    zeros += m[ch] == 0;
    for (int64_t k = 0; k < 6; ++k) {
      ASSERT_FLOAT_EQ(o[ch * 6 + k], static_cast<float>(xv[ch * 6 + k] * m[ch]));
    }
  }
  EXPECT_NEAR(static_cast<double>(zeros) / (n * c), 0.3, 0.04);
  const Tensor v = empty({5}, DType::Float32, Device{});
  ember_tensor out = nullptr, mask = nullptr;
  EXPECT_EMBER_ERROR(ember_feature_dropout(h(v), 0.3, 1, nullptr, &out, &mask), EMBER_ERROR_SHAPE,
                     "feature_dropout: expected an input of at least 2 dims");
}

}  // namespace
}  // namespace ember
