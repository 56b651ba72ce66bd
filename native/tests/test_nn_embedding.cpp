// The embedding kernels (backward, renorm, bags) and the adaptive optimizer steps through the C
// ABI, on small cases computed by hand here (their PyTorch trajectories are checked from C#, in
// tests/Ember.NN.Tests), plus the errors they must give.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/ops.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::adopt;
using nnref::h;
using nnref::make_tensor;
using nnref::values_of;

Tensor f64(const DimVector& sizes, const std::vector<double>& v) {
  return make_tensor(DType::Float64, sizes, v);
}
Tensor i64(const DimVector& sizes, const std::vector<double>& v) {
  return make_tensor(DType::Int64, sizes, v);
}

void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  const std::vector<double> got = values_of(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

TEST(NnEmbedding, BackwardSumsDuplicatesSkipsPaddingAndScalesByFrequency) {
  // indices (2, 2) = [[0, 2], [2, 1]], grad rows g0..g3 of width 2.
  const Tensor idx = i64({2, 2}, {0, 2, 2, 1});
  const Tensor g = f64({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  ember_tensor gw = nullptr;
  ASSERT_EQ(ember_embedding_backward(h(g), h(idx), 4, -1, 0, &gw), EMBER_OK) << ember_last_error();
  expect_values(adopt(gw), {1, 2, 7, 8, 8, 10, 0, 0});
  ASSERT_EQ(ember_embedding_backward(h(g), h(idx), 4, 2, 1, &gw), EMBER_OK) << ember_last_error();
  expect_values(adopt(gw), {1, 2, 7, 8, 0, 0, 0, 0});
  ASSERT_EQ(ember_embedding_backward(h(g), h(idx), 4, -1, 1, &gw), EMBER_OK) << ember_last_error();
  expect_values(adopt(gw), {1, 2, 7, 8, 4, 5, 0, 0});
}

TEST(NnEmbedding, RenormScalesOnlyTheRowsLookedUpAboveMaxNorm) {
  const Tensor w = f64({3, 2}, {3, 4, 0.3, 0.4, 6, 8});
  const Tensor idx = i64({3}, {0, 1, 0});
  ASSERT_EQ(ember_embedding_renorm_(h(w), h(idx), 1.0, 2.0), EMBER_OK) << ember_last_error();
  const double s = 1.0 / (5 + 1e-7);
  expect_values(w, {3 * s, 4 * s, 0.3, 0.4, 6, 8});
}

TEST(NnEmbedding, BagsSumMeanMaxWithWeightsPaddingAndEmptyBags) {
  // Rows r_k = (k, 10 - k); bags [0, 2) [2, 2) [2, 5) of indices 1 3 | - | 0 3 2.
  const Tensor w = f64({4, 2}, {0, 10, 1, 9, 2, 8, 3, 7});
  const Tensor idx = i64({5}, {1, 3, 0, 3, 2});
  const Tensor offsets = i64({3}, {0, 2, 2});
  ember_tensor out = nullptr, maxi = nullptr;
  ASSERT_EQ(
      ember_embedding_bag(h(w), h(idx), h(offsets), EMBER_BAG_SUM, nullptr, 0, -1, &out, &maxi),
      EMBER_OK)
      << ember_last_error();
  EXPECT_EQ(maxi, nullptr);
  expect_values(adopt(out), {4, 16, 0, 0, 5, 25});
  ASSERT_EQ(
      ember_embedding_bag(h(w), h(idx), h(offsets), EMBER_BAG_MEAN, nullptr, 0, 3, &out, &maxi),
      EMBER_OK)
      << ember_last_error();
  expect_values(adopt(out), {1, 9, 0, 0, 1, 9});  // padding 3 is left out of sum and count
  ASSERT_EQ(
      ember_embedding_bag(h(w), h(idx), h(offsets), EMBER_BAG_MAX, nullptr, 0, -1, &out, &maxi),
      EMBER_OK)
      << ember_last_error();
  expect_values(adopt(out), {3, 9, 0, 0, 3, 10});
  const Tensor max_indices = adopt(maxi);
  expect_values(max_indices, {3, 1, -1, -1, 3, 0});
  // The gradient of max flows to the rows that won.
  const Tensor g = f64({3, 2}, {1, 2, 3, 4, 5, 6});
  ember_tensor gw = nullptr;
  ASSERT_EQ(ember_embedding_bag_backward(h(g), h(idx), h(offsets), h(max_indices), 4, EMBER_BAG_MAX,
                                         nullptr, 0, -1, &gw),
            EMBER_OK)
      << ember_last_error();
  expect_values(adopt(gw), {0, 6, 0, 2, 0, 0, 6, 0});
  // Mean with padding 3: bag 0 holds row 1 alone, bag 2 rows 0 and 2 (halves).
  ASSERT_EQ(ember_embedding_bag_backward(h(g), h(idx), h(offsets), nullptr, 4, EMBER_BAG_MEAN,
                                         nullptr, 0, 3, &gw),
            EMBER_OK)
      << ember_last_error();
  expect_values(adopt(gw), {2.5, 3, 1, 2, 2.5, 3, 0, 0});
  // Sum with per-sample weights and include_last_offset (offsets [0, 2, 5]: two bags).
  const Tensor psw = f64({5}, {0.5, 2, 1, -1, 3});
  const Tensor last = i64({3}, {0, 2, 5});
  ASSERT_EQ(ember_embedding_bag(h(w), h(idx), h(last), EMBER_BAG_SUM, h(psw), 1, -1, &out, nullptr),
            EMBER_OK)
      << ember_last_error();
  expect_values(adopt(out), {6.5, 18.5, 3, 27});
  const Tensor g2 = f64({2, 2}, {1, 2, 3, 4});
  ASSERT_EQ(
      ember_embedding_bag_per_sample_weights_backward(h(g2), h(w), h(idx), h(last), 1, -1, &gw),
      EMBER_OK)
      << ember_last_error();
  expect_values(adopt(gw), {19, 17, 40, 37, 38});
}

TEST(NnEmbedding, ErrorsNameTheOpAndTheBadValue) {
  const Tensor w = f64({4, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  ember_tensor out = nullptr;
  const Tensor bad = i64({2}, {0, 7}), offsets = i64({1}, {0});
  EXPECT_NE(
      ember_embedding_bag(h(w), h(bad), h(offsets), EMBER_BAG_SUM, nullptr, 0, -1, &out, nullptr),
      EMBER_OK);
  EXPECT_NE(std::string(ember_last_error()).find("embedding_bag: index 7 is out of range for 4"),
            std::string::npos)
      << ember_last_error();
  const Tensor idx = i64({2}, {0, 1}), late = i64({1}, {1});
  EXPECT_NE(
      ember_embedding_bag(h(w), h(idx), h(late), EMBER_BAG_SUM, nullptr, 0, -1, &out, nullptr),
      EMBER_OK);
  EXPECT_NE(std::string(ember_last_error()).find("offsets[0] has to be 0"), std::string::npos);
  const Tensor psw = f64({2}, {1, 1});
  EXPECT_NE(
      ember_embedding_bag(h(w), h(idx), h(offsets), EMBER_BAG_MEAN, h(psw), 0, -1, &out, nullptr),
      EMBER_OK);
  EXPECT_NE(std::string(ember_last_error()).find("only supported for mode='sum'"),
            std::string::npos);
  const Tensor g = f64({3, 2}, {0, 0, 0, 0, 0, 0});  // three rows of gradient for two indices
  EXPECT_NE(ember_embedding_backward(h(g), h(idx), 4, -1, 0, &out), EMBER_OK);
  EXPECT_NE(std::string(ember_last_error()).find("embedding_backward: expected grad of shape"),
            std::string::npos)
      << ember_last_error();
}

// One step of each adaptive optimizer on p = 1, g = 0.5 (weight_decay 0.1 where it applies), by
// the formulas of ember/optim.h evaluated here.
TEST(NnAdaptiveOptim, OneStepFollowsTheDocumentedFormulas) {
  const double p0 = 1.0, g0 = 0.5, wd = 0.1, gd = g0 + wd * p0;
  auto one = [](double v) { return f64({1}, {v}); };
  {
    const Tensor p = one(p0), g = one(g0), sum = one(0.2);
    const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, ss[] = {h(sum)};
    ASSERT_EQ(ember_adagrad_step(ps, gs, ss, 1, 3, 0.1, 0.5, wd, 1e-10, 0), EMBER_OK)
        << ember_last_error();
    const double s = 0.2 + gd * gd, clr = 0.1 / (1 + 2 * 0.5);
    expect_values(sum, {s});
    expect_values(p, {p0 - clr * gd / (std::sqrt(s) + 1e-10)});
  }
  {
    const Tensor p = one(p0), g = one(g0), v = one(0.3), ga = one(0.1), buf = one(0.2);
    const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, vs[] = {h(v)}, gas[] = {h(ga)},
                       bs[] = {h(buf)};
    ASSERT_EQ(ember_rmsprop_step(ps, gs, vs, gas, bs, 1, 0.01, 0.9, 1e-8, wd, 0.5, 1, 0), EMBER_OK)
        << ember_last_error();
    const double vv = 0.9 * 0.3 + 0.1 * gd * gd, gg = 0.9 * 0.1 + 0.1 * gd;
    const double avg = std::sqrt(vv - gg * gg) + 1e-8, b = 0.5 * 0.2 + gd / avg;
    expect_values(buf, {b});
    expect_values(p, {p0 - 0.01 * b});
  }
  {
    const Tensor p = one(p0), g = one(g0), v = one(0.3), u = one(0.4);
    const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, vs[] = {h(v)}, us[] = {h(u)};
    ASSERT_EQ(ember_adadelta_step(ps, gs, vs, us, 1, 1.0, 0.9, 1e-6, 0, 1), EMBER_OK)
        << ember_last_error();
    const double gm = -g0, vv = 0.9 * 0.3 + 0.1 * gm * gm;
    const double delta = std::sqrt(0.4 + 1e-6) / std::sqrt(vv + 1e-6) * gm;
    expect_values(u, {0.9 * 0.4 + 0.1 * delta * delta});
    expect_values(p, {p0 - delta});
  }
  {
    const Tensor p = one(p0), g = one(g0), m = one(0.1), u = one(0.05);
    const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, ms[] = {h(m)}, us[] = {h(u)};
    ASSERT_EQ(ember_adamax_step(ps, gs, ms, us, 1, 2, 0.002, 0.9, 0.999, 1e-8, wd, 0), EMBER_OK)
        << ember_last_error();
    const double mm = 0.9 * 0.1 + 0.1 * gd, uu = std::max(0.999 * 0.05, gd + 1e-8);
    expect_values(p, {p0 - 0.002 / (1 - 0.81) * mm / uu});
  }
  {
    const Tensor p = one(p0), g = one(g0), m = one(0), v = one(0);
    const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, ms[] = {h(m)}, vs[] = {h(v)};
    const double mu1 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.004)),
                 mu2 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.008));
    ASSERT_EQ(ember_nadam_step(ps, gs, ms, vs, 1, 1, 0.002, 0.9, 0.999, 1e-8, 0, 0.004, mu1),
              EMBER_OK)
        << ember_last_error();
    const double mm = 0.1 * g0, vv = 0.001 * g0 * g0, denom = std::sqrt(vv / 0.001) + 1e-8;
    const double want = p0 - 0.002 * (1 - mu1) / (1 - mu1) * g0 / denom -
                        0.002 * mu2 / (1 - mu1 * mu1 * mu2) * mm / denom;
    expect_values(p, {want});
  }
  {
    // Step 1 is never rectified (rho_1 = 1): p -= lr * m / (1 - beta1).
    const Tensor p = one(p0), g = one(g0), m = one(0), v = one(0);
    const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, ms[] = {h(m)}, vs[] = {h(v)};
    ASSERT_EQ(ember_radam_step(ps, gs, ms, vs, 1, 1, 0.001, 0.9, 0.999, 1e-8, 0), EMBER_OK)
        << ember_last_error();
    expect_values(p, {p0 - 0.001 * (0.1 * g0) / 0.1});
  }
}

TEST(NnAdaptiveOptim, RejectsStepZeroAndMissingState) {
  const Tensor p = f64({2}, {1, 2}), g = f64({2}, {0.1, 0.2}), s = f64({2}, {0, 0});
  const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, ss[] = {h(s)};
  EXPECT_NE(ember_adagrad_step(ps, gs, ss, 1, 0, 0.1, 0, 0, 1e-10, 0), EMBER_OK);
  EXPECT_NE(std::string(ember_last_error()).find("adagrad_step: step must be at least 1"),
            std::string::npos)
      << ember_last_error();
  EXPECT_NE(ember_rmsprop_step(ps, gs, ss, nullptr, nullptr, 1, 0.01, 0.99, 1e-8, 0, 0, 1, 0),
            EMBER_OK);
  EXPECT_NE(std::string(ember_last_error()).find("rmsprop_step"), std::string::npos);
}

}  // namespace
}  // namespace ember
