// The fused training-step ops through the C ABI (ember/fused.h) on the CPU, against PyTorch 1.13's
// values (tests/reference/make_fused.py), a hand-computed case and finite differences: linear's
// gradients, also added into existing gradients in place, and cross entropy over class indices.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/nn_ops.h"
#include "core/ops.h"
#include "ember/ember.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::adopt;
using nnref::Case;
using nnref::expect_matches;
using nnref::h;
using nnref::tolerance_for;

// ---------------------------------------------------------------- linear_backward

TEST(FusedLinearBackward, MatchesPyTorch) {
  for (const Case& c : nnref::load("linear_backward.txt")) {
    SCOPED_TRACE(c.name);
    const Tensor x = c.tensor("x"), w = c.tensor("w"), g = c.tensor("grad_out");
    const auto tol = tolerance_for(c.dtype("x"));
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_linear_backward(h(g), h(x), h(w), 1, 1, 1, nullptr, nullptr, &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
    expect_matches(adopt(gw), c.check("grad_w"), tol, "grad_w");
    expect_matches(adopt(gb), c.check("grad_b"), tol, "grad_b");
  }
}

TEST(FusedLinearBackward, AddsIntoExistingGradients) {
  for (const Case& c : nnref::load("linear_backward.txt")) {
    SCOPED_TRACE(c.name);
    const Tensor x = c.tensor("x"), w = c.tensor("w"), g = c.tensor("grad_out");
    const auto tol = tolerance_for(c.dtype("x"));
    // Existing gradients: the pattern of the weight and bias themselves.
    const Tensor w_into = ops::clone(w), b_into = ops::clone(c.tensor("b"));
    const int64_t w_version = w_into->storage()->version();
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_linear_backward(h(g), h(x), h(w), 0, 1, 1, h(w_into), h(b_into), &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    EXPECT_EQ(gx, nullptr);
    EXPECT_EQ(gw, nullptr);
    EXPECT_EQ(gb, nullptr);
    EXPECT_GT(w_into->storage()->version(), w_version) << "an in-place change bumps the version";
    expect_matches(ops::binary(ops::BinaryOp::Sub, w_into, w), c.check("grad_w"), tol,
                   "grad_w added in");
    expect_matches(ops::binary(ops::BinaryOp::Sub, b_into, c.tensor("b")), c.check("grad_b"), tol,
                   "grad_b added in");
  }
}

TEST(FusedLinearBackward, HalfPrecisionAddsIntoItsGradientsToo) {
  const Case c = nnref::load("linear_backward.txt")[0];
  for (DType t : {DType::Float16, DType::BFloat16}) {
    SCOPED_TRACE(dtype_name(t));
    const Tensor x = ops::to_dtype(c.tensor("x"), t), w = ops::to_dtype(c.tensor("w"), t);
    const Tensor g = ops::to_dtype(c.tensor("grad_out"), t);
    const Tensor w_into = ops::clone(w);
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_linear_backward(h(g), h(x), h(w), 1, 1, 1, h(w_into), nullptr, &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    EXPECT_EQ(gw, nullptr);
    const Tensor grad_x = adopt(gx), grad_b = adopt(gb);
    EXPECT_EQ(grad_x->dtype(), t);
    EXPECT_EQ(grad_b->dtype(), t);
    const nnref::Tolerance tol{2e-2, 2e-2};
    expect_matches(grad_x, c.check("grad_x"), tol, "grad_x");
    expect_matches(grad_b, c.check("grad_b"), tol, "grad_b");
    expect_matches(ops::binary(ops::BinaryOp::Sub, ops::to_dtype(w_into, DType::Float32),
                               ops::to_dtype(w, DType::Float32)),
                   c.check("grad_w"), tol, "grad_w added in");
  }
}

TEST(FusedLinearBackward, EmptyBatchesGiveZeroGradients) {
  const Tensor x = empty({0, 3}, DType::Float32, Device{}),
               g = empty({0, 2}, DType::Float32, Device{});
  const Tensor w = ops::full({2, 3}, Scalar::from_float(1), DType::Float32, Device{});
  const Tensor b_into = ops::full({2}, Scalar::from_float(5), DType::Float32, Device{});
  ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
  ASSERT_EQ(ember_linear_backward(h(g), h(x), h(w), 1, 1, 1, nullptr, h(b_into), &gx, &gw, &gb),
            EMBER_OK)
      << ember_last_error();
  EXPECT_EQ(adopt(gx)->numel(), 0);
  EXPECT_EQ(nnref::values_of(adopt(gw)), std::vector<double>(6, 0.0));
  EXPECT_EQ(nnref::values_of(b_into), std::vector<double>(2, 5.0));
}

TEST(FusedLinearBackward, BadOperandsAreErrors) {
  const Tensor x = empty({4, 3}, DType::Float32, Device{}),
               w = empty({2, 3}, DType::Float32, Device{});
  const Tensor g = empty({4, 2}, DType::Float32, Device{});
  ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
  const Tensor bad_g = empty({4, 5}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(bad_g), h(x), h(w), 1, 1, 1, nullptr, nullptr, &gx, &gw, &gb),
      EMBER_ERROR_SHAPE, "linear_backward: expected weight of shape (5, in_features)");
  const Tensor bad_x = empty({4, 7}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(g), h(bad_x), h(w), 1, 1, 1, nullptr, nullptr, &gx, &gw, &gb),
      EMBER_ERROR_SHAPE, "expected input of shape [4, 3]");
  const Tensor wrong_into = empty({3, 2}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(g), h(x), h(w), 1, 1, 1, h(wrong_into), nullptr, &gx, &gw, &gb),
      EMBER_ERROR_SHAPE, "expected weight_grad_into of shape [2, 3]");
  const Tensor double_into = empty({2}, DType::Float64, Device{});
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(g), h(x), h(w), 1, 1, 1, nullptr, h(double_into), &gx, &gw, &gb),
      EMBER_ERROR_DTYPE, "expected bias_grad_into of dtype float32");
  EXPECT_EMBER_ERROR(ember_linear_backward(h(g), h(x), h(w), 1, 0, 1, h(w), nullptr, &gx, &gw, &gb),
                     EMBER_ERROR_INVALID_ARGUMENT, "the weight gradient is not asked for");
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(g), h(x), nullptr, 1, 1, 1, nullptr, nullptr, &gx, &gw, &gb),
      EMBER_ERROR_INVALID_ARGUMENT, "the input gradient needs the weight");
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(g), nullptr, h(w), 1, 1, 1, nullptr, nullptr, &gx, &gw, &gb),
      EMBER_ERROR_INVALID_ARGUMENT, "the weight gradient needs the input");
  const Tensor strided = ops::transpose(empty({3, 2}, DType::Float32, Device{}), 0, 1);
  EXPECT_EMBER_ERROR(
      ember_linear_backward(h(g), h(x), h(w), 1, 1, 1, h(strided), nullptr, &gx, &gw, &gb),
      EMBER_ERROR_INVALID_ARGUMENT, "weight_grad_into must be contiguous");
}

// ---------------------------------------------------------------- cross_entropy

TEST(FusedCrossEntropy, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : nnref::load("cross_entropy.txt")) {
    SCOPED_TRACE(c.name);
    const int32_t reduction = static_cast<int32_t>(c.iattr("reduction"));
    const int64_t ignore = c.iattr("ignore_index");
    const Tensor x = c.tensor("x"), target = c.tensor("target");
    const Tensor weight = c.has("weight") ? c.tensor("weight") : Tensor();
    const auto tol = tolerance_for(c.dtype("x"));
    ember_tensor loss = nullptr, lse = nullptr, tw = nullptr;
    ASSERT_EQ(ember_cross_entropy(h(x), h(target), h(weight), reduction, ignore, &loss, &lse, &tw),
              EMBER_OK)
        << ember_last_error();
    const Tensor logsumexp = adopt(lse), total = adopt(tw);
    expect_matches(adopt(loss), c.check("loss"), tol, "loss");
    expect_matches(total, c.check("total_weight"), tol, "total_weight");
    expect_matches(logsumexp, c.check("logsumexp"), tol, "logsumexp");
    ember_tensor gx = nullptr;
    ASSERT_EQ(ember_cross_entropy_backward(h(c.tensor("grad_out")), h(x), h(target), h(weight),
                                           reduction, ignore, h(logsumexp), h(total), &gx),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
  }
}

// Two rows by hand: logits (0, ln 3) with target 1 and (ln 2, 0) with target 0. Their losses are
// ln(4/3) and ln(3/2), whose mean is ln(2)/2; the gradient of the mean is (softmax - onehot) / 2.
TEST(FusedCrossEntropy, HandComputedCase) {
  const Tensor x = nnref::make_tensor(DType::Float64, {2, 2}, {0, std::log(3.0), std::log(2.0), 0});
  const Tensor target = nnref::make_tensor(DType::Int64, {2}, {1, 0});
  ember_tensor loss = nullptr, lse = nullptr, tw = nullptr;
  ASSERT_EQ(ember_cross_entropy(h(x), h(target), nullptr, 1, -100, &loss, &lse, &tw), EMBER_OK)
      << ember_last_error();
  const Tensor logsumexp = adopt(lse), total = adopt(tw);
  EXPECT_NEAR(nnref::values_of(adopt(loss))[0], std::log(2.0) / 2, 1e-15);
  EXPECT_EQ(nnref::values_of(total)[0], 2.0);
  const Tensor one = nnref::make_tensor(DType::Float64, {}, {1});
  ember_tensor gx = nullptr;
  ASSERT_EQ(ember_cross_entropy_backward(h(one), h(x), h(target), nullptr, 1, -100, h(logsumexp),
                                         h(total), &gx),
            EMBER_OK)
      << ember_last_error();
  const std::vector<double> g = nnref::values_of(adopt(gx));
  const std::vector<double> expected = {0.125, -0.125, -1.0 / 6, 1.0 / 6};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(g[i], expected[i], 1e-15) << i;
}

// The gradient against central differences of L = sum(cross_entropy(x) * G), in float64, with
// class weights and an ignored target, for each reduction.
TEST(FusedCrossEntropy, GradientMatchesFiniteDifferences) {
  std::vector<double> xv;
  for (int64_t i = 0; i < 24; ++i) xv.push_back(nnref::gen_value(i, 2654435761, 2.0));
  const Tensor x = nnref::make_tensor(DType::Float64, {4, 6}, xv);
  const Tensor target = nnref::make_tensor(DType::Int64, {4}, {5, 0, 3, 3});
  const Tensor weight = nnref::make_tensor(DType::Float64, {6}, {0.5, 1, 2, 0.25, 1.5, 3});
  for (int32_t reduction : {0, 1, 2}) {
    SCOPED_TRACE(reduction);
    auto run = [&] {
      ember_tensor loss = nullptr, lse = nullptr, tw = nullptr;
      EXPECT_EQ(ember_cross_entropy(h(x), h(target), h(weight), reduction, 0, &loss, &lse, &tw),
                EMBER_OK)
          << ember_last_error();
      return std::vector<Tensor>{adopt(loss), adopt(lse), adopt(tw)};
    };
    const std::vector<Tensor> fwd = run();
    std::vector<double> gv;
    for (int64_t i = 0; i < fwd[0]->numel(); ++i) gv.push_back(nnref::gen_value(i, 668265263, 1.0));
    const Tensor g = nnref::make_tensor(DType::Float64, fwd[0]->sizes(), gv);
    ember_tensor gx = nullptr;
    ASSERT_EQ(ember_cross_entropy_backward(h(g), h(x), h(target), h(weight), reduction, 0,
                                           h(fwd[1]), h(fwd[2]), &gx),
              EMBER_OK)
        << ember_last_error();
    const std::vector<double> analytic = nnref::values_of(adopt(gx));
    auto objective = [&] {
      const std::vector<double> l = nnref::values_of(run()[0]);
      double s = 0;
      for (size_t i = 0; i < l.size(); ++i) s += l[i] * gv[i];
      return s;
    };
    double* d = x->data_as<double>();
    for (int64_t i = 0; i < x->numel(); ++i) {
      const double keep = d[i], eps = 1e-6;
      d[i] = keep + eps;
      const double up = objective();
      d[i] = keep - eps;
      const double down = objective();
      d[i] = keep;
      EXPECT_NEAR(analytic[static_cast<size_t>(i)], (up - down) / (2 * eps), 1e-7) << i;
    }
  }
}

TEST(FusedCrossEntropy, BadOperandsAreErrors) {
  const Tensor x = empty({3, 10}, DType::Float32, Device{});
  ember::ops::fill_(x, Scalar::from_float(0.5));
  ember_tensor loss = nullptr, lse = nullptr, tw = nullptr;
  const Tensor out_of_range = nnref::make_tensor(DType::Int64, {3}, {1, 12, 3});
  EXPECT_EMBER_ERROR(ember_cross_entropy(h(x), h(out_of_range), nullptr, 1, -100, &loss, &lse, &tw),
                     EMBER_ERROR_INVALID_ARGUMENT,
                     "cross_entropy: target 12 is out of bounds for 10 classes");
  EXPECT_EQ(loss, nullptr);
  const Tensor short_target = nnref::make_tensor(DType::Int64, {2}, {1, 2});
  EXPECT_EMBER_ERROR(ember_cross_entropy(h(x), h(short_target), nullptr, 1, -100, &loss, &lse, &tw),
                     EMBER_ERROR_SHAPE,
                     "Expected input batch_size (3) to match target batch_size (2)");
  const Tensor float_target = nnref::make_tensor(DType::Float32, {3}, {1, 2, 3});
  EXPECT_EMBER_ERROR(ember_cross_entropy(h(x), h(float_target), nullptr, 1, -100, &loss, &lse, &tw),
                     EMBER_ERROR_DTYPE, "expected target of dtype int64");
  const Tensor three_d = empty({3, 10, 2}, DType::Float32, Device{});
  const Tensor ok_target = nnref::make_tensor(DType::Int64, {3}, {1, 2, 3});
  EXPECT_EMBER_ERROR(
      ember_cross_entropy(h(three_d), h(ok_target), nullptr, 1, -100, &loss, &lse, &tw),
      EMBER_ERROR_SHAPE, "expected input of shape (N, C)");
  EXPECT_EMBER_ERROR(ember_cross_entropy(h(x), h(ok_target), nullptr, 7, -100, &loss, &lse, &tw),
                     EMBER_ERROR_INVALID_ARGUMENT,
                     "reduction must be 0 (none), 1 (mean) or 2 (sum)");
  ASSERT_EQ(ember_cross_entropy(h(x), h(ok_target), nullptr, 1, -100, &loss, &lse, &tw), EMBER_OK);
  const Tensor l = adopt(loss), s = adopt(lse), total = adopt(tw);
  ember_tensor gx = nullptr;
  const Tensor per_sample_grad = empty({3}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(ember_cross_entropy_backward(h(per_sample_grad), h(x), h(ok_target), nullptr,
                                                  1, -100, h(s), h(total), &gx),
                     EMBER_ERROR_SHAPE, "expected grad_out of size [] (one element)");
}

// ---------------------------------------------------------------- feature_dropout

// One pass draws the channel mask and scales x: out is x times its channel's mask element, and the
// mask has the bits a plain dropout of an (N, C) tensor draws from the same counters.
TEST(FusedFeatureDropout, ScalesEachChannelByTheMaskDropoutDraws) {
  for (DType t : {DType::Float32, DType::Float64, DType::Float16}) {
    SCOPED_TRACE(dtype_name(t));
    std::vector<double> xv;
    for (int64_t i = 0; i < 6 * 7 * 3 * 2; ++i) xv.push_back(nnref::gen_value(i, 2654435761, 2.0));
    const Tensor x = ops::to_dtype(nnref::make_tensor(DType::Float64, {6, 7, 3, 2}, xv), t);
    Generator g1(42), g2(42);
    const auto [out, mask] = ops::feature_dropout(x, 0.4, true, g1);
    ASSERT_EQ(mask->sizes(), (DimVector{6, 7, 1, 1}));
    const Tensor ones = ops::full({6, 7}, Scalar::from_float(1), t, Device{});
    const std::vector<double> plain = nnref::values_of(ops::dropout(ones, 0.4, true, g2).second);
    const std::vector<double> m = nnref::values_of(mask), o = nnref::values_of(out);
    const std::vector<double> xs = nnref::values_of(x);
    int kept = 0;
    for (size_t p = 0; p < m.size(); ++p) {
      EXPECT_EQ(m[p], plain[p]) << "channel " << p;
      EXPECT_TRUE(m[p] == 0 || std::fabs(m[p] - 1 / 0.6) < 1e-3) << m[p];
      kept += m[p] != 0;
      for (size_t i = p * 6; i < (p + 1) * 6; ++i)
        EXPECT_NEAR(o[i], xs[i] * m[p], 1e-3 * (1 + std::fabs(xs[i] * m[p]))) << i;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, 42);
  }
}

}  // namespace
}  // namespace ember
