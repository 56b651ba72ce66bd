// Optimizer step meta functions: every operand of every parameter is checked before anything is
// written (a bad list changes nothing), then each parameter runs one fused kernel and the tensors
// written get their versions bumped. A backend with a multi-tensor kernel gets the whole list in
// one call instead.
#include <cmath>
#include <optional>
#include <vector>

#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<SgdFn> sgd_stub("sgd_step");
DispatchStub<AdamFn> adam_stub("adam_step");
DispatchStub<SgdMultiFn> sgd_multi_stub("sgd_multi_step");
DispatchStub<AdamMultiFn> adam_multi_stub("adam_multi_step");
DispatchStub<AdaptiveFn> adaptive_step_stub("adaptive_step");

namespace ops {
namespace {

// Checks operand `what` of parameter i against the parameter; written operands must be dense.
void check_operand(const char* op, int64_t i, const char* what, const Tensor& t,
                   const Tensor& param, bool written) {
  EMBER_CHECK(t, EMBER_ERROR_INVALID_ARGUMENT, op, ": ", what, " of parameter ", i, " is NULL");
  EMBER_CHECK(t->sizes() == param->sizes(), EMBER_ERROR_SHAPE, op, ": ", what, " of parameter ", i,
              " is ", meta::describe(t), " but the parameter is ", meta::describe(param));
  EMBER_CHECK(t->dtype() == param->dtype(), EMBER_ERROR_DTYPE, op, ": ", what, " of parameter ", i,
              " is ", meta::describe(t), " but the parameter is ", meta::describe(param));
  EMBER_CHECK(t->device() == param->device(), EMBER_ERROR_DEVICE, op, ": ", what, " of parameter ",
              i, " is on ", device_name(t->device()), " but the parameter is on ",
              device_name(param->device()));
  EMBER_CHECK(!written || t->is_contiguous(), EMBER_ERROR_INVALID_ARGUMENT, op, ": ", what,
              " of parameter ", i, " (", meta::describe(t), ", strides ", t->strides(),
              ") must be contiguous to be updated in place");
}

void check_param(const char* op, int64_t i, const Tensor& p) {
  EMBER_CHECK(p, EMBER_ERROR_INVALID_ARGUMENT, op, ": parameter ", i, " is NULL");
  EMBER_CHECK(p->dtype() == DType::Float32 || p->dtype() == DType::Float64, EMBER_ERROR_DTYPE, op,
              ": parameter ", i, " is ", meta::describe(p),
              "; only float32 and float64 are supported");
  check_operand(op, i, "the parameter", p, p, true);
}

void check_lengths(const char* op, size_t params, size_t other, const char* what) {
  EMBER_CHECK(other == params, EMBER_ERROR_INVALID_ARGUMENT, op, ": ", params, " parameters but ",
              other, " ", what);
}

// The tensor at i of an optional list (empty list: none).
Tensor at(std::span<const Tensor> list, size_t i) { return list.empty() ? Tensor() : list[i]; }

void bump(const Tensor& t) {
  if (t) t->storage()->bump_version();
}

// The device whose multi-tensor kernel of `stub` can take the whole list: every parameter on it.
// Empty when the backend has none, or for fewer than two parameters (nothing to save).
template <class Stub>
std::optional<Device> multi_device(const Stub& stub, std::span<const Tensor> params) {
  if (params.size() < 2 || !stub.has_kernel(params[0]->device().type)) return std::nullopt;
  for (const Tensor& p : params)
    if (p->device() != params[0]->device()) return std::nullopt;
  return params[0]->device();
}

std::vector<Tensor> contiguous_all(std::span<const Tensor> ts) {
  std::vector<Tensor> r;
  r.reserve(ts.size());
  for (const Tensor& t : ts) r.push_back(ops::contiguous(t));
  return r;
}

}  // namespace

void sgd_step(std::span<const Tensor> params, std::span<const Tensor> grads,
              std::span<const Tensor> momentum_buffers, const SgdOptions& o) {
  const char* op = "sgd_step";
  check_lengths(op, params.size(), grads.size(), "gradients");
  const bool momentum = o.momentum != 0;
  if (momentum) check_lengths(op, params.size(), momentum_buffers.size(), "momentum buffers");
  EMBER_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0), EMBER_ERROR_INVALID_ARGUMENT, op,
              ": Nesterov momentum requires a momentum and zero dampening, got momentum=",
              o.momentum, " and dampening=", o.dampening);
  for (size_t i = 0; i < params.size(); ++i) {
    check_param(op, i, params[i]);
    check_operand(op, i, "the gradient", grads[i], params[i], false);
    if (momentum) check_operand(op, i, "the momentum buffer", momentum_buffers[i], params[i], true);
  }
  if (const auto device = multi_device(sgd_multi_stub, params)) {
    const std::span<const Tensor> bufs = momentum ? momentum_buffers : std::span<const Tensor>{};
    sgd_multi_stub(op, *device, params, contiguous_all(grads), bufs, o);
    for (size_t i = 0; i < params.size(); ++i) {
      bump(params[i]);
      if (momentum) bump(bufs[i]);
    }
    return;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor g = ops::contiguous(grads[i]);
    const Tensor buf = momentum ? momentum_buffers[i] : Tensor();
    if (params[i]->numel() > 0) sgd_stub(op, params[i]->device(), params[i], g, buf, o);
    bump(params[i]);
    bump(buf);
  }
}

void adam_step(std::span<const Tensor> params, std::span<const Tensor> grads,
               std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
               std::span<const Tensor> max_exp_avg_sqs, const AdamOptions& o) {
  const char* op = o.decoupled_weight_decay ? "adamw_step" : "adam_step";
  check_lengths(op, params.size(), grads.size(), "gradients");
  check_lengths(op, params.size(), exp_avgs.size(), "exp_avgs");
  check_lengths(op, params.size(), exp_avg_sqs.size(), "exp_avg_sqs");
  if (o.amsgrad) check_lengths(op, params.size(), max_exp_avg_sqs.size(), "max_exp_avg_sqs");
  EMBER_CHECK(
      o.step >= 1, EMBER_ERROR_INVALID_ARGUMENT, op,
      ": step must be at least 1 (it counts from 1 and is incremented before the update), got ",
      o.step);
  for (size_t i = 0; i < params.size(); ++i) {
    check_param(op, i, params[i]);
    check_operand(op, i, "the gradient", grads[i], params[i], false);
    check_operand(op, i, "exp_avg", exp_avgs[i], params[i], true);
    check_operand(op, i, "exp_avg_sq", exp_avg_sqs[i], params[i], true);
    if (o.amsgrad) check_operand(op, i, "max_exp_avg_sq", max_exp_avg_sqs[i], params[i], true);
  }
  // As torch.optim.Adam computes them, in double.
  const double bias_correction1 = 1 - std::pow(o.beta1, static_cast<double>(o.step));
  const double bias_correction2 = 1 - std::pow(o.beta2, static_cast<double>(o.step));
  const AdamScalars s{o.lr / bias_correction1, std::sqrt(bias_correction2)};
  if (const auto device = multi_device(adam_multi_stub, params)) {
    const std::span<const Tensor> vmax = o.amsgrad ? max_exp_avg_sqs : std::span<const Tensor>{};
    adam_multi_stub(op, *device, params, contiguous_all(grads), exp_avgs, exp_avg_sqs, vmax, o, s);
    for (size_t i = 0; i < params.size(); ++i) {
      bump(params[i]);
      bump(exp_avgs[i]);
      bump(exp_avg_sqs[i]);
      if (o.amsgrad) bump(vmax[i]);
    }
    return;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor g = ops::contiguous(grads[i]);
    const Tensor vmax = o.amsgrad ? at(max_exp_avg_sqs, i) : Tensor();
    if (params[i]->numel() > 0) {
      adam_stub(op, params[i]->device(), params[i], g, exp_avgs[i], exp_avg_sqs[i], vmax, o, s);
    }
    bump(params[i]);
    bump(exp_avgs[i]);
    bump(exp_avg_sqs[i]);
    bump(vmax);
  }
}

namespace {

// Checks every list against params (states named by what, optional ones may be empty when
// unused), then runs the kernel per parameter and bumps the versions of what it wrote.
struct StateList {
  const char* what;
  std::span<const Tensor> list;
  bool used;
};

void run_adaptive(const char* op, std::span<const Tensor> params, std::span<const Tensor> grads,
                  std::initializer_list<StateList> states, const AdaptiveScalars& k) {
  check_lengths(op, params.size(), grads.size(), "gradients");
  for (const StateList& s : states) {
    if (s.used) check_lengths(op, params.size(), s.list.size(), s.what);
  }
  for (size_t i = 0; i < params.size(); ++i) {
    check_param(op, i, params[i]);
    check_operand(op, i, "the gradient", grads[i], params[i], false);
    for (const StateList& s : states) {
      if (s.used) check_operand(op, i, s.what, s.list[i], params[i], true);
    }
  }
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor st[3];
    size_t j = 0;
    for (const StateList& s : states) st[j++] = s.used ? s.list[i] : Tensor();
    const Tensor g = ops::contiguous(grads[i]);
    if (params[i]->numel() > 0) {
      adaptive_step_stub(op, params[i]->device(), params[i], g, st[0], st[1], st[2], k);
    }
    bump(params[i]);
    for (const Tensor& t : st) bump(t);
  }
}

void check_step(const char* op, int64_t step) {
  EMBER_CHECK(step >= 1, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": step must be at least 1 (it counts from 1 and is incremented before the update), "
              "got ",
              step);
}

}  // namespace

void adagrad_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                  std::span<const Tensor> state_sums, const AdagradOptions& o) {
  const char* op = "adagrad_step";
  check_step(op, o.step);
  AdaptiveScalars k{AdaptiveKind::Adagrad};
  k.lr = o.lr;
  k.eps = o.eps;
  k.weight_decay = o.weight_decay;
  k.maximize = o.maximize;
  k.c0 = o.lr / (1 + static_cast<double>(o.step - 1) * o.lr_decay);  // clr
  run_adaptive(op, params, grads, {{"state_sum", state_sums, true}}, k);
}

void rmsprop_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                  std::span<const Tensor> square_avgs, std::span<const Tensor> grad_avgs,
                  std::span<const Tensor> momentum_buffers, const RmspropOptions& o) {
  AdaptiveScalars k{AdaptiveKind::Rmsprop};
  k.lr = o.lr;
  k.eps = o.eps;
  k.weight_decay = o.weight_decay;
  k.beta1 = o.alpha;
  k.beta2 = o.momentum;
  k.centered = o.centered;
  k.maximize = o.maximize;
  run_adaptive("rmsprop_step", params, grads,
               {{"square_avg", square_avgs, true},
                {"grad_avg", grad_avgs, o.centered},
                {"momentum_buffer", momentum_buffers, o.momentum > 0}},
               k);
}

void adadelta_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                   std::span<const Tensor> square_avgs, std::span<const Tensor> acc_deltas,
                   const AdadeltaOptions& o) {
  AdaptiveScalars k{AdaptiveKind::Adadelta};
  k.lr = o.lr;
  k.eps = o.eps;
  k.weight_decay = o.weight_decay;
  k.beta1 = o.rho;
  k.maximize = o.maximize;
  run_adaptive("adadelta_step", params, grads,
               {{"square_avg", square_avgs, true}, {"acc_delta", acc_deltas, true}}, k);
}

void adamax_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                 std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_infs,
                 const AdamaxOptions& o) {
  const char* op = "adamax_step";
  check_step(op, o.step);
  AdaptiveScalars k{AdaptiveKind::Adamax};
  k.lr = o.lr;
  k.eps = o.eps;
  k.weight_decay = o.weight_decay;
  k.beta1 = o.beta1;
  k.beta2 = o.beta2;
  k.maximize = o.maximize;
  k.c0 = o.lr / (1 - std::pow(o.beta1, static_cast<double>(o.step)));  // clr
  run_adaptive(op, params, grads, {{"exp_avg", exp_avgs, true}, {"exp_inf", exp_infs, true}}, k);
}

void nadam_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
                const NadamOptions& o) {
  const char* op = "nadam_step";
  check_step(op, o.step);
  const double step = static_cast<double>(o.step);
  const double mu = o.beta1 * (1 - 0.5 * std::pow(0.96, step * o.momentum_decay));
  const double mu_next = o.beta1 * (1 - 0.5 * std::pow(0.96, (step + 1) * o.momentum_decay));
  // torch 1.13 multiplies mu in twice here (mu_product already holds this step's mu).
  const double mu_product_next = o.mu_product * mu * mu_next;
  AdaptiveScalars k{AdaptiveKind::Nadam};
  k.lr = o.lr;
  k.eps = o.eps;
  k.weight_decay = o.weight_decay;
  k.beta1 = o.beta1;
  k.beta2 = o.beta2;
  k.c0 = 1 - std::pow(o.beta2, step);              // bias_correction2
  k.c1 = -o.lr * (1 - mu) / (1 - o.mu_product);    // factor of grad / denom
  k.c2 = -o.lr * mu_next / (1 - mu_product_next);  // factor of exp_avg / denom
  run_adaptive(op, params, grads, {{"exp_avg", exp_avgs, true}, {"exp_avg_sq", exp_avg_sqs, true}},
               k);
}

void radam_step(std::span<const Tensor> params, std::span<const Tensor> grads,
                std::span<const Tensor> exp_avgs, std::span<const Tensor> exp_avg_sqs,
                const RadamOptions& o) {
  const char* op = "radam_step";
  check_step(op, o.step);
  const double step = static_cast<double>(o.step);
  const double bc1 = 1 - std::pow(o.beta1, step), bc2 = 1 - std::pow(o.beta2, step);
  const double rho_inf = 2 / (1 - o.beta2) - 1;
  const double rho_t = rho_inf - 2 * step * std::pow(o.beta2, step) / bc2;
  AdaptiveScalars k{AdaptiveKind::Radam};
  k.lr = o.lr;
  k.eps = o.eps;
  k.weight_decay = o.weight_decay;
  k.beta1 = o.beta1;
  k.beta2 = o.beta2;
  k.c0 = bc1;
  k.c1 = std::sqrt(bc2);
  k.rectified = rho_t > 5;
  k.c2 =
      k.rectified
          ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
          : 0.0;  // rect
  run_adaptive(op, params, grads, {{"exp_avg", exp_avgs, true}, {"exp_avg_sq", exp_avg_sqs, true}},
               k);
}

}  // namespace ops
}  // namespace ember
