// The fused optimizer steps through the C ABI (ember/optim.h): 5-step trajectories of SGD, Adam
// and AdamW against torch.optim's (tests/reference/make_native_nn.py), versions, errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/ops.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::Case;
using nnref::h;

Tensor zeros_like(const Tensor& t) { return ops::zeros(t->sizes(), t->dtype(), Device{}); }

// torch.optim's trajectories are matched to 1e-5 relative in float32 (1e-12 in float64).
nnref::Tolerance trajectory_tolerance(DType t) {
  return t == DType::Float64 ? nnref::Tolerance{1e-12, 1e-14} : nnref::Tolerance{1e-5, 1e-7};
}

TEST(Optim, TrajectoriesMatchTorchOptim) {
  for (const Case& c : nnref::load("optim.txt")) {
    SCOPED_TRACE(c.name);
    const bool sgd = c.name.rfind("sgd", 0) == 0;
    const Tensor p = c.tensor("param");
    const auto tol = trajectory_tolerance(p->dtype());
    const Tensor buf = zeros_like(p), m = zeros_like(p), v = zeros_like(p), vmax = zeros_like(p);
    const ember_tensor params[] = {h(p)}, bufs[] = {h(buf)}, ms[] = {h(m)}, vs[] = {h(v)},
                       vmaxs[] = {h(vmax)};
    for (int64_t s = 0; s < c.iattr("steps"); ++s) {
      const Tensor g = c.tensor("grad" + std::to_string(s));
      const ember_tensor grads[] = {h(g)};
      ember_status st;
      if (sgd) {
        const bool momentum = c.attr("momentum") != 0;
        st = ember_sgd_step(params, grads, momentum ? bufs : nullptr, 1, c.attr("lr"),
                            c.attr("momentum"), c.attr("dampening"), c.attr("weight_decay"),
                            static_cast<int32_t>(c.iattr("nesterov")),
                            static_cast<int32_t>(c.iattr("maximize")), s == 0);
      } else {
        const bool amsgrad = c.iattr("amsgrad") != 0;
        st = ember_adam_step(
            params, grads, ms, vs, amsgrad ? vmaxs : nullptr, 1, s + 1, c.attr("lr"),
            c.attr("beta1"), c.attr("beta2"), c.attr("eps"), c.attr("weight_decay"), amsgrad,
            static_cast<int32_t>(c.iattr("maximize")), static_cast<int32_t>(c.iattr("decoupled")));
      }
      ASSERT_EQ(st, EMBER_OK) << ember_last_error();
      nnref::expect_matches(p, c.check("param" + std::to_string(s)), tol,
                            "param after step " + std::to_string(s + 1));
    }
    if (c.checks.count("momentum_buffer")) {
      nnref::expect_matches(buf, c.check("momentum_buffer"), tol, "momentum_buffer");
    }
    if (c.checks.count("exp_avg")) nnref::expect_matches(m, c.check("exp_avg"), tol, "exp_avg");
    if (c.checks.count("exp_avg_sq")) {
      nnref::expect_matches(v, c.check("exp_avg_sq"), tol, "exp_avg_sq");
    }
    if (c.checks.count("max_exp_avg_sq")) {
      nnref::expect_matches(vmax, c.check("max_exp_avg_sq"), tol, "max_exp_avg_sq");
    }
  }
}

// Several parameters in one call, large enough to be split across threads: each must equal the
// same step taken alone.
TEST(Optim, ManyParametersInOneCallEqualSeparateCalls) {
  const std::vector<DimVector> shapes = {{300, 700}, {7}, {0}, {3, 1, 5}};
  std::vector<Tensor> a, b, grads, ma, va, mb, vb;
  for (size_t i = 0; i < shapes.size(); ++i) {
    int64_t n = 1;
    for (int64_t s : shapes[i]) n *= s;
    std::vector<double> pv, gv;
    for (int64_t k = 0; k < n; ++k) {
      pv.push_back(nnref::gen_value(k, 2654435761 + 2 * i, 1.0));
      gv.push_back(nnref::gen_value(k, 668265263 + 2 * i, 0.1));
    }
    a.push_back(nnref::make_tensor(DType::Float32, shapes[i], pv));
    b.push_back(nnref::make_tensor(DType::Float32, shapes[i], pv));
    grads.push_back(nnref::make_tensor(DType::Float32, shapes[i], gv));
    for (auto* list : {&ma, &va, &mb, &vb}) list->push_back(zeros_like(a.back()));
  }
  auto handles = [](const std::vector<Tensor>& v) {
    std::vector<ember_tensor> out;
    for (const Tensor& t : v) out.push_back(h(t));
    return out;
  };
  for (int64_t step = 1; step <= 3; ++step) {
    ASSERT_EQ(ember_adam_step(handles(a).data(), handles(grads).data(), handles(ma).data(),
                              handles(va).data(), nullptr, 4, step, 1e-2, 0.9, 0.999, 1e-8, 0.01, 0,
                              0, 1),
              EMBER_OK)
        << ember_last_error();
    for (size_t i = 0; i < shapes.size(); ++i) {
      const ember_tensor p[] = {h(b[i])}, g[] = {h(grads[i])}, m[] = {h(mb[i])}, v[] = {h(vb[i])};
      ASSERT_EQ(
          ember_adam_step(p, g, m, v, nullptr, 1, step, 1e-2, 0.9, 0.999, 1e-8, 0.01, 0, 0, 1),
          EMBER_OK);
    }
  }
  for (size_t i = 0; i < shapes.size(); ++i) {
    EXPECT_EQ(nnref::values_of(a[i]), nnref::values_of(b[i])) << "parameter " << i;
  }
}

TEST(Optim, StepsBumpTheVersionsOfWhatTheyWrite) {
  const Tensor p = ops::full({4}, Scalar::from_float(1), DType::Float64, Device{});
  const Tensor g = ops::full({4}, Scalar::from_float(0.5), DType::Float64, Device{});
  const Tensor buf = zeros_like(p);
  auto version = [](const Tensor& t) {
    int64_t v = 0;
    ember_tensor_version(h(t), &v);
    return v;
  };
  const int64_t p0 = version(p), g0 = version(g), b0 = version(buf);
  const ember_tensor ps[] = {h(p)}, gs[] = {h(g)}, bs[] = {h(buf)};
  ASSERT_EQ(ember_sgd_step(ps, gs, bs, 1, 0.1, 0.9, 0, 0, 0, 0, 1), EMBER_OK);
  EXPECT_EQ(version(p), p0 + 1);
  EXPECT_EQ(version(buf), b0 + 1);
  EXPECT_EQ(version(g), g0) << "the gradient is only read";
  for (double v : nnref::values_of(p)) EXPECT_DOUBLE_EQ(v, 1 - 0.1 * 0.5);
  for (double v : nnref::values_of(buf)) EXPECT_DOUBLE_EQ(v, 0.5);  // first step: buf = grad
}

TEST(Optim, ErrorsNameTheParameterAndChangeNothing) {
  const Tensor p0 = ops::full({3}, Scalar::from_float(1), DType::Float32, Device{});
  const Tensor p1 = ops::full({2, 2}, Scalar::from_float(1), DType::Float32, Device{});
  const Tensor g0 = zeros_like(p0);
  const Tensor g1_bad = ops::zeros({4}, DType::Float32, Device{});
  const ember_tensor ps[] = {h(p0), h(p1)}, gs[] = {h(g0), h(g1_bad)};
  EXPECT_EMBER_ERROR(ember_sgd_step(ps, gs, nullptr, 2, 0.1, 0, 0, 0, 0, 0, 0), EMBER_ERROR_SHAPE,
                     "sgd_step: the gradient of parameter 1 is [4] float32 but the parameter is "
                     "[2, 2] float32");
  for (double v : nnref::values_of(p0)) EXPECT_EQ(v, 1.0) << "parameter 0 must be untouched";

  const Tensor g1_f64 = ops::zeros({2, 2}, DType::Float64, Device{});
  const ember_tensor gs64[] = {h(g0), h(g1_f64)};
  EXPECT_EMBER_ERROR(ember_sgd_step(ps, gs64, nullptr, 2, 0.1, 0, 0, 0, 0, 0, 0), EMBER_ERROR_DTYPE,
                     "the gradient of parameter 1 is [2, 2] float64");
  const Tensor g1 = zeros_like(p1), m0 = zeros_like(p0), m1 = zeros_like(p1), b0 = zeros_like(p0);
  const Tensor v1_strided = ops::transpose(zeros_like(p1), 0, 1);
  const ember_tensor gs_ok[] = {h(g0), h(g1)};
  EXPECT_EMBER_ERROR(ember_sgd_step(ps, gs_ok, nullptr, 2, 0.1, 0.9, 0, 0, 0, 0, 0),
                     EMBER_ERROR_INVALID_ARGUMENT, "sgd_step: momentum_buffers is NULL");
  const ember_tensor bufs[] = {h(b0), nullptr};
  EXPECT_EMBER_ERROR(ember_sgd_step(ps, gs_ok, bufs, 2, 0.1, 0.9, 0, 0, 0, 0, 0),
                     EMBER_ERROR_INVALID_ARGUMENT, "the momentum buffer of parameter 1 is NULL");
  EXPECT_EMBER_ERROR(ember_sgd_step(ps, gs_ok, nullptr, 2, 0.1, 0, 0.5, 0, 1, 0, 0),
                     EMBER_ERROR_INVALID_ARGUMENT,
                     "Nesterov momentum requires a momentum and zero dampening");
  const ember_tensor ms[] = {h(m0), h(m1)};
  const ember_tensor vs[] = {h(b0), h(v1_strided)};
  EXPECT_EMBER_ERROR(
      ember_adam_step(ps, gs_ok, ms, vs, nullptr, 2, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 0),
      EMBER_ERROR_INVALID_ARGUMENT,
      "adam_step: exp_avg_sq of parameter 1 ([2, 2] float32, strides [1, 2]) must "
      "be contiguous");
  EXPECT_EMBER_ERROR(
      ember_adam_step(ps, gs_ok, ms, ms, nullptr, 2, 0, 1e-3, 0.9, 0.999, 1e-8, 0, 0, 0, 0),
      EMBER_ERROR_INVALID_ARGUMENT, "adam_step: step must be at least 1");
  EXPECT_EMBER_ERROR(
      ember_adam_step(ps, gs_ok, ms, ms, nullptr, 2, 1, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 1),
      EMBER_ERROR_INVALID_ARGUMENT, "adamw_step: max_exp_avg_sqs is NULL");
  const Tensor pi = ops::zeros({3}, DType::Int64, Device{});
  const ember_tensor pis[] = {h(pi)}, gis[] = {h(pi)};
  EXPECT_EMBER_ERROR(ember_sgd_step(pis, gis, nullptr, 1, 0.1, 0, 0, 0, 0, 0, 0), EMBER_ERROR_DTYPE,
                     "parameter 0 is [3] int64; only float32 and float64 are supported");
}

}  // namespace
}  // namespace ember
