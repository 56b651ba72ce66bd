// C ABI: fused optimizer steps (ember/optim.h).
#include "ember/optim.h"

#include <vector>

#include "core/nn_ops.h"
#include "core/ops.h"
#include "shim.h"

using namespace ember;

namespace {

// count handles (NULL entries stay null tensors); an absent array gives an empty list when
// optional, else an error.
std::vector<Tensor> handles(const char* op, const char* what, const ember_tensor* list,
                            int32_t count, bool optional) {
  std::vector<Tensor> out;
  if (list == nullptr) {
    if (!optional && count > 0) capi::null_argument(op, what);
    return out;
  }
  out.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) {
    out.push_back(list[i] ? Tensor::share(reinterpret_cast<TensorImpl*>(list[i])) : Tensor());
  }
  return out;
}

void check_count(const char* op, int32_t count) {
  EMBER_CHECK(count >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": the number of parameters must be non-negative, got ", count);
}

}  // namespace

extern "C" {

EMBER_API ember_status ember_foreach_zero_(const ember_tensor* tensors, int32_t count) {
  return capi::guard("foreach_zero_", [&](const char* op) {
    check_count(op, count);
    ops::foreach_zero_(handles(op, "tensors", tensors, count, false));
  });
}

EMBER_API ember_status ember_sgd_step(const ember_tensor* params, const ember_tensor* grads,
                                      const ember_tensor* momentum_buffers, int32_t count,
                                      double lr, double momentum, double dampening,
                                      double weight_decay, int32_t nesterov, int32_t maximize,
                                      int32_t first_step) {
  return capi::guard("sgd_step", [&](const char* op) {
    check_count(op, count);
    ops::SgdOptions o;
    o.lr = lr;
    o.momentum = momentum;
    o.dampening = dampening;
    o.weight_decay = weight_decay;
    o.nesterov = nesterov != 0;
    o.maximize = maximize != 0;
    o.first_step = first_step != 0;
    const std::vector<Tensor> p = handles(op, "params", params, count, false);
    const std::vector<Tensor> g = handles(op, "grads", grads, count, false);
    const std::vector<Tensor> b =
        handles(op, "momentum_buffers", momentum_buffers, count, momentum == 0);
    ops::sgd_step(p, g, b, o);
  });
}

EMBER_API ember_status ember_adam_step(const ember_tensor* params, const ember_tensor* grads,
                                       const ember_tensor* exp_avgs,
                                       const ember_tensor* exp_avg_sqs,
                                       const ember_tensor* max_exp_avg_sqs, int32_t count,
                                       int64_t step, double lr, double beta1, double beta2,
                                       double eps, double weight_decay, int32_t amsgrad,
                                       int32_t maximize, int32_t decoupled_weight_decay) {
  return capi::guard(decoupled_weight_decay ? "adamw_step" : "adam_step", [&](const char* op) {
    check_count(op, count);
    ops::AdamOptions o;
    o.step = step;
    o.lr = lr;
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.amsgrad = amsgrad != 0;
    o.maximize = maximize != 0;
    o.decoupled_weight_decay = decoupled_weight_decay != 0;
    const std::vector<Tensor> p = handles(op, "params", params, count, false);
    const std::vector<Tensor> g = handles(op, "grads", grads, count, false);
    const std::vector<Tensor> m = handles(op, "exp_avgs", exp_avgs, count, false);
    const std::vector<Tensor> v = handles(op, "exp_avg_sqs", exp_avg_sqs, count, false);
    const std::vector<Tensor> vmax =
        handles(op, "max_exp_avg_sqs", max_exp_avg_sqs, count, amsgrad == 0);
    ops::adam_step(p, g, m, v, vmax, o);
  });
}

EMBER_API ember_status ember_adagrad_step(const ember_tensor* params, const ember_tensor* grads,
                                          const ember_tensor* state_sums, int32_t count,
                                          int64_t step, double lr, double lr_decay,
                                          double weight_decay, double eps, int32_t maximize) {
  return capi::guard("adagrad_step", [&](const char* op) {
    check_count(op, count);
    ops::AdagradOptions o;
    o.step = step;
    o.lr = lr;
    o.lr_decay = lr_decay;
    o.weight_decay = weight_decay;
    o.eps = eps;
    o.maximize = maximize != 0;
    ops::adagrad_step(handles(op, "params", params, count, false),
                      handles(op, "grads", grads, count, false),
                      handles(op, "state_sums", state_sums, count, false), o);
  });
}

EMBER_API ember_status ember_rmsprop_step(const ember_tensor* params, const ember_tensor* grads,
                                          const ember_tensor* square_avgs,
                                          const ember_tensor* grad_avgs,
                                          const ember_tensor* momentum_buffers, int32_t count,
                                          double lr, double alpha, double eps, double weight_decay,
                                          double momentum, int32_t centered, int32_t maximize) {
  return capi::guard("rmsprop_step", [&](const char* op) {
    check_count(op, count);
    ops::RmspropOptions o;
    o.lr = lr;
    o.alpha = alpha;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.momentum = momentum;
    o.centered = centered != 0;
    o.maximize = maximize != 0;
    ops::rmsprop_step(handles(op, "params", params, count, false),
                      handles(op, "grads", grads, count, false),
                      handles(op, "square_avgs", square_avgs, count, false),
                      handles(op, "grad_avgs", grad_avgs, count, centered == 0),
                      handles(op, "momentum_buffers", momentum_buffers, count, !(momentum > 0)), o);
  });
}

EMBER_API ember_status ember_adadelta_step(const ember_tensor* params, const ember_tensor* grads,
                                           const ember_tensor* square_avgs,
                                           const ember_tensor* acc_deltas, int32_t count, double lr,
                                           double rho, double eps, double weight_decay,
                                           int32_t maximize) {
  return capi::guard("adadelta_step", [&](const char* op) {
    check_count(op, count);
    ops::AdadeltaOptions o;
    o.lr = lr;
    o.rho = rho;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.maximize = maximize != 0;
    ops::adadelta_step(handles(op, "params", params, count, false),
                       handles(op, "grads", grads, count, false),
                       handles(op, "square_avgs", square_avgs, count, false),
                       handles(op, "acc_deltas", acc_deltas, count, false), o);
  });
}

EMBER_API ember_status ember_adamax_step(const ember_tensor* params, const ember_tensor* grads,
                                         const ember_tensor* exp_avgs, const ember_tensor* exp_infs,
                                         int32_t count, int64_t step, double lr, double beta1,
                                         double beta2, double eps, double weight_decay,
                                         int32_t maximize) {
  return capi::guard("adamax_step", [&](const char* op) {
    check_count(op, count);
    ops::AdamaxOptions o;
    o.step = step;
    o.lr = lr;
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.maximize = maximize != 0;
    ops::adamax_step(handles(op, "params", params, count, false),
                     handles(op, "grads", grads, count, false),
                     handles(op, "exp_avgs", exp_avgs, count, false),
                     handles(op, "exp_infs", exp_infs, count, false), o);
  });
}

EMBER_API ember_status ember_nadam_step(const ember_tensor* params, const ember_tensor* grads,
                                        const ember_tensor* exp_avgs,
                                        const ember_tensor* exp_avg_sqs, int32_t count,
                                        int64_t step, double lr, double beta1, double beta2,
                                        double eps, double weight_decay, double momentum_decay,
                                        double mu_product) {
  return capi::guard("nadam_step", [&](const char* op) {
    check_count(op, count);
    ops::NadamOptions o;
    o.step = step;
    o.lr = lr;
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.eps = eps;
    o.weight_decay = weight_decay;
    o.momentum_decay = momentum_decay;
    o.mu_product = mu_product;
    ops::nadam_step(handles(op, "params", params, count, false),
                    handles(op, "grads", grads, count, false),
                    handles(op, "exp_avgs", exp_avgs, count, false),
                    handles(op, "exp_avg_sqs", exp_avg_sqs, count, false), o);
  });
}

EMBER_API ember_status ember_radam_step(const ember_tensor* params, const ember_tensor* grads,
                                        const ember_tensor* exp_avgs,
                                        const ember_tensor* exp_avg_sqs, int32_t count,
                                        int64_t step, double lr, double beta1, double beta2,
                                        double eps, double weight_decay) {
  return capi::guard("radam_step", [&](const char* op) {
    check_count(op, count);
    ops::RadamOptions o;
    o.step = step;
    o.lr = lr;
    o.beta1 = beta1;
    o.beta2 = beta2;
    o.eps = eps;
    o.weight_decay = weight_decay;
    ops::radam_step(handles(op, "params", params, count, false),
                    handles(op, "grads", grads, count, false),
                    handles(op, "exp_avgs", exp_avgs, count, false),
                    handles(op, "exp_avg_sqs", exp_avg_sqs, count, false), o);
  });
}

}  // extern "C"
