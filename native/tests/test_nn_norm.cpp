// The normalization kernels through the C ABI (ember/nn.h): batch, layer, rms and group norm,
// forward and backward, against PyTorch 1.13 (tests/reference/make_nn_norm.py), finite
// differences in float64, half precision, non-contiguous inputs and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/nn_ops.h"
#include "core/ops.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::adopt;
using nnref::Case;
using nnref::expect_matches;
using nnref::h;

// Statistics over hundreds of float32 elements: a little looser than elementwise ops.
nnref::Tolerance norm_tolerance(DType t) {
  return t == DType::Float32 ? nnref::Tolerance{1e-4, 1e-5} : nnref::Tolerance{1e-9, 1e-11};
}

std::vector<Case> cases_with_prefix(const std::string& prefix) {
  std::vector<Case> out;
  for (Case& c : nnref::load("norm.txt")) {
    if (c.name.rfind(prefix, 0) == 0) out.push_back(std::move(c));
  }
  EXPECT_FALSE(out.empty()) << prefix;
  return out;
}

Tensor optional(const Case& c, const char* k) { return c.has(k) ? c.tensor(k) : Tensor(); }

std::vector<int64_t> normalized(const Case& c) {
  std::vector<int64_t> v;
  for (double d : c.attrs.at("normalized")) v.push_back(static_cast<int64_t>(d));
  return v;
}

TEST(NnBatchNorm, MatchesPyTorchForwardBackwardAndRunningStats) {
  for (const Case& c : cases_with_prefix("batch_norm_")) {
    SCOPED_TRACE(c.name);
    const Tensor x = c.tensor("x"), w = optional(c, "w"), b = optional(c, "b");
    const Tensor rm = optional(c, "running_mean"), rv = optional(c, "running_var");
    const bool training = c.iattr("training") != 0;
    const auto tol = norm_tolerance(x->dtype());
    ember_tensor out = nullptr, mean = nullptr, invstd = nullptr;
    ASSERT_EQ(ember_batch_norm(h(x), h(w), h(b), h(rm), h(rv), training, c.attr("momentum"),
                               c.attr("eps"), &out, &mean, &invstd),
              EMBER_OK)
        << ember_last_error();
    const Tensor m = adopt(mean), r = adopt(invstd);
    expect_matches(adopt(out), c.check("out"), tol, "out");
    if (training) {
      expect_matches(m, c.check("save_mean"), tol, "save_mean");
      expect_matches(r, c.check("save_invstd"), tol, "save_invstd");
    }
    if (rm) {
      expect_matches(rm, c.check("running_mean_after"), tol, "running_mean");
      expect_matches(rv, c.check("running_var_after"), tol, "running_var");
    }
    const Tensor gy = c.tensor("grad_out");
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_batch_norm_backward(h(gy), h(x), h(w), h(m), h(r), training, 1, w ? 1 : 0,
                                        b ? 1 : 0, &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
    if (w) {
      expect_matches(adopt(gw), c.check("grad_w"), tol, "grad_w");
      expect_matches(adopt(gb), c.check("grad_b"), tol, "grad_b");
    } else {
      EXPECT_EQ(gw, nullptr);
      EXPECT_EQ(gb, nullptr);
    }
  }
}

TEST(NnLayerNorm, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : cases_with_prefix("layer_norm_")) {
    SCOPED_TRACE(c.name);
    const Tensor x = c.tensor("x"), w = optional(c, "w"), b = optional(c, "b");
    const std::vector<int64_t> ns = normalized(c);
    const int32_t k = static_cast<int32_t>(ns.size());
    const auto tol = norm_tolerance(x->dtype());
    ember_tensor out = nullptr, mean = nullptr, rstd = nullptr;
    ASSERT_EQ(ember_layer_norm(h(x), ns.data(), k, h(w), h(b), c.attr("eps"), &out, &mean, &rstd),
              EMBER_OK)
        << ember_last_error();
    const Tensor m = adopt(mean), r = adopt(rstd);
    expect_matches(adopt(out), c.check("out"), tol, "out");
    expect_matches(m, c.check("mean"), tol, "mean");
    expect_matches(r, c.check("rstd"), tol, "rstd");
    const Tensor gy = c.tensor("grad_out");
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_layer_norm_backward(h(gy), h(x), ns.data(), k, h(m), h(r), h(w), 1, w ? 1 : 0,
                                        b ? 1 : 0, &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
    if (w) {
      expect_matches(adopt(gw), c.check("grad_w"), tol, "grad_w");
      expect_matches(adopt(gb), c.check("grad_b"), tol, "grad_b");
    }
  }
}

TEST(NnRmsNorm, MatchesTheDefinitionForwardAndBackward) {
  for (const Case& c : cases_with_prefix("rms_norm_")) {
    SCOPED_TRACE(c.name);
    const Tensor x = c.tensor("x"), w = optional(c, "w");
    const std::vector<int64_t> ns = normalized(c);
    const int32_t k = static_cast<int32_t>(ns.size());
    const auto tol = norm_tolerance(x->dtype());
    ember_tensor out = nullptr, rstd = nullptr;
    ASSERT_EQ(ember_rms_norm(h(x), ns.data(), k, h(w), c.attr("eps"), &out, &rstd), EMBER_OK)
        << ember_last_error();
    const Tensor r = adopt(rstd);
    expect_matches(adopt(out), c.check("out"), tol, "out");
    expect_matches(r, c.check("rstd"), tol, "rstd");
    const Tensor gy = c.tensor("grad_out");
    ember_tensor gx = nullptr, gw = nullptr;
    ASSERT_EQ(
        ember_rms_norm_backward(h(gy), h(x), ns.data(), k, h(r), h(w), 1, w ? 1 : 0, &gx, &gw),
        EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
    if (w) expect_matches(adopt(gw), c.check("grad_w"), tol, "grad_w");
  }
}

TEST(NnGroupNorm, MatchesPyTorchForwardAndBackward) {
  for (const Case& c : cases_with_prefix("group_norm_")) {
    SCOPED_TRACE(c.name);
    const Tensor x = c.tensor("x"), w = optional(c, "w"), b = optional(c, "b");
    const auto tol = norm_tolerance(x->dtype());
    const int64_t groups = c.iattr("groups");
    ember_tensor out = nullptr, mean = nullptr, rstd = nullptr;
    ASSERT_EQ(ember_group_norm(h(x), groups, h(w), h(b), c.attr("eps"), &out, &mean, &rstd),
              EMBER_OK)
        << ember_last_error();
    const Tensor m = adopt(mean), r = adopt(rstd);
    expect_matches(adopt(out), c.check("out"), tol, "out");
    expect_matches(m, c.check("mean"), tol, "mean");
    expect_matches(r, c.check("rstd"), tol, "rstd");
    const Tensor gy = c.tensor("grad_out");
    ember_tensor gx = nullptr, gw = nullptr, gb = nullptr;
    ASSERT_EQ(ember_group_norm_backward(h(gy), h(x), h(m), h(r), h(w), groups, 1, w ? 1 : 0,
                                        b ? 1 : 0, &gx, &gw, &gb),
              EMBER_OK)
        << ember_last_error();
    expect_matches(adopt(gx), c.check("grad_x"), tol, "grad_x");
    if (w) {
      expect_matches(adopt(gw), c.check("grad_w"), tol, "grad_w");
      expect_matches(adopt(gb), c.check("grad_b"), tol, "grad_b");
    }
  }
}

// ---------------------------------------------------------------- finite differences

Tensor gen_tensor(const DimVector& sizes, uint64_t mult, double scale, double offset = 0) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(nnref::gen_value(i, mult, scale) + offset);
  return nnref::make_tensor(DType::Float64, sizes, v);
}

double dot(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = nnref::values_of(a), y = nnref::values_of(b);
  double s = 0;
  for (size_t i = 0; i < x.size(); ++i) s += x[i] * y[i];
  return s;
}

// Checks each analytic gradient in grads (of sum(f(inputs) * gy) w.r.t. inputs[i]) against
// central differences on a few elements.
void check_finite_differences(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                              const std::vector<Tensor>& inputs, const Tensor& gy,
                              const std::vector<Tensor>& grads) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!grads[i]) continue;
    const std::vector<double> g = nnref::values_of(grads[i]);
    const int64_t n = inputs[i]->numel();
    for (int64_t k = 0; k < n; k += std::max<int64_t>(1, n / 7)) {
      double* p = inputs[i]->data_as<double>() + k;
      const double saved = *p, eps = 1e-6;
      *p = saved + eps;
      const double up = dot(f(inputs), gy);
      *p = saved - eps;
      const double down = dot(f(inputs), gy);
      *p = saved;
      EXPECT_NEAR(g[static_cast<size_t>(k)], (up - down) / (2 * eps), 1e-6)
          << "input " << i << " element " << k;
    }
  }
}

TEST(NnNorm, GradientsMatchFiniteDifferences) {
  const DimVector shape{3, 4, 5};
  const Tensor x = gen_tensor(shape, 2654435761, 1.5, 0.2);
  const Tensor w = gen_tensor({4}, 2246822519, 0.5, 1.0), b = gen_tensor({4}, 3266489917, 0.3);
  const Tensor gy = gen_tensor(shape, 3812015801, 1.0);
  {
    SCOPED_TRACE("batch_norm");
    auto f = [](const std::vector<Tensor>& in) {
      return ops::batch_norm(in[0], in[1], in[2], Tensor(), Tensor(), true, 0.1, 1e-5).out;
    };
    const ops::NormResult r = ops::batch_norm(x, w, b, Tensor(), Tensor(), true, 0.1, 1e-5);
    const ops::NormGrads g =
        ops::batch_norm_backward(gy, x, w, r.mean, r.rstd, true, true, true, true);
    check_finite_differences(f, {x, w, b}, gy, {g.grad_x, g.grad_w, g.grad_b});
  }
  {
    SCOPED_TRACE("group_norm");
    auto f = [](const std::vector<Tensor>& in) {
      return ops::group_norm(in[0], 2, in[1], in[2], 1e-5).out;
    };
    const ops::NormResult r = ops::group_norm(x, 2, w, b, 1e-5);
    const ops::NormGrads g =
        ops::group_norm_backward(gy, x, r.mean, r.rstd, w, 2, true, true, true);
    check_finite_differences(f, {x, w, b}, gy, {g.grad_x, g.grad_w, g.grad_b});
  }
  const Tensor w5 = gen_tensor({5}, 2246822519, 0.5, 1.0), b5 = gen_tensor({5}, 3266489917, 0.3);
  const int64_t ns[] = {5};
  for (bool rms : {false, true}) {
    SCOPED_TRACE(rms ? "rms_norm" : "layer_norm");
    const Tensor bias = rms ? Tensor() : b5;
    auto f = [&](const std::vector<Tensor>& in) {
      return ops::layer_norm(in[0], ns, in[1], rms ? Tensor() : in[2], 1e-5, rms).out;
    };
    const ops::NormResult r = ops::layer_norm(x, ns, w5, bias, 1e-5, rms);
    const ops::NormGrads g =
        ops::layer_norm_backward(gy, x, ns, r.mean, r.rstd, w5, rms, true, true, !rms);
    check_finite_differences(f, {x, w5, b5}, gy, {g.grad_x, g.grad_w, g.grad_b});
  }
}

// ---------------------------------------------------------------- layouts and dtypes

TEST(NnNorm, NonContiguousAndHalfInputs) {
  const Tensor x = gen_tensor({4, 6, 5}, 2654435761, 1.0);
  const Tensor xt = ops::transpose(ops::contiguous(ops::transpose(x, 1, 2)), 1, 2);
  ASSERT_FALSE(xt->is_contiguous());
  const int64_t ns[] = {5};
  const std::vector<double> ref = nnref::values_of(ops::layer_norm(x, ns, {}, {}, 1e-5, false).out);
  EXPECT_EQ(nnref::values_of(ops::layer_norm(xt, ns, {}, {}, 1e-5, false).out), ref);
  const std::vector<double> bref =
      nnref::values_of(ops::batch_norm(x, {}, {}, {}, {}, true, 0.1, 1e-5).out);
  EXPECT_EQ(nnref::values_of(ops::batch_norm(xt, {}, {}, {}, {}, true, 0.1, 1e-5).out), bref);
  for (DType t : {DType::Float16, DType::BFloat16}) {
    SCOPED_TRACE(dtype_name(t));
    const Tensor xh = ops::to_dtype(x, t);
    const ops::NormResult r = ops::group_norm(xh, 3, {}, {}, 1e-5);
    EXPECT_EQ(r.out->dtype(), t);
    EXPECT_EQ(r.mean->dtype(), DType::Float32);
    const ops::NormResult r32 = ops::group_norm(ops::to_dtype(xh, DType::Float32), 3, {}, {}, 1e-5);
    const std::vector<double> a = nnref::values_of(r.out), e = nnref::values_of(r32.out);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], e[i], 0.02 * (1 + std::fabs(e[i])));
    // A half running mean is updated through a float32 copy and written back.
    const Tensor rm = ops::zeros({6}, t, Device{}),
                 rv = ops::full({6}, Scalar::from_float(1), t, Device{});
    ops::batch_norm(xh, {}, {}, rm, rv, true, 1.0, 1e-5);
    const ops::NormResult s =
        ops::batch_norm(ops::to_dtype(xh, DType::Float32), {}, {}, {}, {}, true, 0.1, 1e-5);
    const std::vector<double> got = nnref::values_of(rm), want = nnref::values_of(s.mean);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 0.01);
  }
}

TEST(NnNorm, RunningStatsGetANewVersionAndEvalLeavesThem) {
  const Tensor x = gen_tensor({4, 3}, 2654435761, 1.0);
  const Tensor rm = ops::zeros({3}, DType::Float64, Device{});
  const Tensor rv = ops::full({3}, Scalar::from_float(1), DType::Float64, Device{});
  const int64_t v0 = rm->storage()->version();
  ops::batch_norm(x, {}, {}, rm, rv, true, 0.1, 1e-5);
  EXPECT_GT(rm->storage()->version(), v0);
  const std::vector<double> after = nnref::values_of(rm);
  ops::batch_norm(x, {}, {}, rm, rv, false, 0.1, 1e-5);
  EXPECT_EQ(nnref::values_of(rm), after);
}

// ---------------------------------------------------------------- errors

TEST(NnNorm, ErrorsNameTheOpAndShapes) {
  const Tensor x = empty({2, 3, 4}, DType::Float32, Device{});
  const Tensor w4 = empty({4}, DType::Float32, Device{});
  ember_tensor out = nullptr, m = nullptr, r = nullptr;
  EXPECT_EMBER_ERROR(
      ember_batch_norm(h(x), h(w4), nullptr, nullptr, nullptr, 1, 0.1, 1e-5, &out, &m, &r),
      EMBER_ERROR_SHAPE, "batch_norm: expected weight of size [3], but got [4]");
  EXPECT_EMBER_ERROR(
      ember_batch_norm(h(x), nullptr, nullptr, nullptr, nullptr, 0, 0.1, 1e-5, &out, &m, &r),
      EMBER_ERROR_INVALID_ARGUMENT, "required in evaluation mode");
  const Tensor one = empty({1, 3}, DType::Float32, Device{});
  EXPECT_EMBER_ERROR(
      ember_batch_norm(h(one), nullptr, nullptr, nullptr, nullptr, 1, 0.1, 1e-5, &out, &m, &r),
      EMBER_ERROR_INVALID_ARGUMENT, "Expected more than 1 value per channel");
  const int64_t ns[] = {5};
  EXPECT_EMBER_ERROR(ember_layer_norm(h(x), ns, 1, nullptr, nullptr, 1e-5, &out, &m, &r),
                     EMBER_ERROR_SHAPE,
                     "layer_norm: Given normalized_shape=[5], expected input with shape [*, 5]");
  EXPECT_EMBER_ERROR(ember_group_norm(h(x), 2, nullptr, nullptr, 1e-5, &out, &m, &r),
                     EMBER_ERROR_SHAPE, "divisible by num_groups");
  const Tensor xi = empty({2, 3}, DType::Int64, Device{});
  EXPECT_EMBER_ERROR(ember_rms_norm(h(xi), ns, 1, nullptr, 1e-5, &out, &r), EMBER_ERROR_DTYPE,
                     "rms_norm: expected input to be a floating tensor");
  const Tensor w64 = empty({3}, DType::Float64, Device{});
  EXPECT_EMBER_ERROR(ember_group_norm(h(x), 3, h(w64), nullptr, 1e-5, &out, &m, &r),
                     EMBER_ERROR_DTYPE, "same dtype");
  EXPECT_EQ(out, nullptr);
}

}  // namespace
}  // namespace ember
