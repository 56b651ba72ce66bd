// nll_loss forward and backward on the CPU. One pass over the N targets (sequential: N is a batch
// size, and a fixed order keeps the sum deterministic); targets are checked as they are read.
#include <algorithm>

#include "core/nn_dispatch.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

// The class of sample i, or -1 when ignored; throws for a class outside [0, classes).
inline int64_t target_class(const char* op, const int64_t* target, int64_t i, int64_t classes,
                            int64_t ignore_index) {
  const int64_t t = target[i];
  if (t == ignore_index) return -1;
  EMBER_CHECK(t >= 0 && t < classes, EMBER_ERROR_INVALID_ARGUMENT, op, ": target ", t,
              " is out of bounds for ", classes, " classes");
  return t;
}

template <class T>
void forward(const Tensor& out, const Tensor& total_weight, const Tensor& logp,
             const Tensor& target, const Tensor& weight, ops::Reduction reduction,
             int64_t ignore_index) {
  using C = compute_t<T>;
  const int64_t n = logp->size(0), classes = logp->size(1);
  const T* lp = logp->data_as<T>();
  const int64_t* tp = target->data_as<int64_t>();
  const T* wp = weight ? weight->data_as<T>() : nullptr;
  T* op = out->data_as<T>();
  double sum = 0, wsum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = target_class("nll_loss", tp, i, classes, ignore_index);
    if (t < 0) {
      if (reduction == ops::Reduction::None) op[i] = T(0);
      continue;
    }
    const C w = wp ? static_cast<C>(wp[t]) : C(1);
    const C loss = -w * static_cast<C>(lp[i * classes + t]);
    if (reduction == ops::Reduction::None) op[i] = static_cast<T>(loss);
    sum += loss;
    wsum += w;
  }
  if (reduction == ops::Reduction::Mean) op[0] = static_cast<T>(sum / wsum);  // 0/0: NaN as torch
  if (reduction == ops::Reduction::Sum) op[0] = static_cast<T>(sum);
  total_weight->data_as<T>()[0] = static_cast<T>(wsum);
}

template <class T>
void backward(const Tensor& grad_x, const Tensor& grad_out, const Tensor& target,
              const Tensor& weight, ops::Reduction reduction, int64_t ignore_index,
              const Tensor& total_weight) {
  using C = compute_t<T>;
  const int64_t n = grad_x->size(0), classes = grad_x->size(1);
  const int64_t* tp = target->data_as<int64_t>();
  const T* wp = weight ? weight->data_as<T>() : nullptr;
  const T* gp = grad_out->data_as<T>();
  T* gx = grad_x->data_as<T>();
  std::fill(gx, gx + n * classes, T(0));
  C scale = static_cast<C>(gp[0]);
  if (reduction == ops::Reduction::Mean) scale /= static_cast<C>(total_weight->data_as<T>()[0]);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = target_class("nll_loss_backward", tp, i, classes, ignore_index);
    if (t < 0) continue;
    const C w = wp ? static_cast<C>(wp[t]) : C(1);
    const C g = reduction == ops::Reduction::None ? static_cast<C>(gp[i]) : scale;
    gx[i * classes + t] = static_cast<T>(-w * g);
  }
}

void nll_loss_cpu(const Tensor& out, const Tensor& total_weight, const Tensor& logp,
                  const Tensor& target, const Tensor& weight, ops::Reduction reduction,
                  int64_t ignore_index) {
  dispatch_floating("nll_loss", logp->dtype(), [&](auto tag) {
    forward<typename decltype(tag)::type>(out, total_weight, logp, target, weight, reduction,
                                          ignore_index);
  });
}

void nll_loss_backward_cpu(const Tensor& grad_x, const Tensor& grad_out, const Tensor& target,
                           const Tensor& weight, ops::Reduction reduction, int64_t ignore_index,
                           const Tensor& total_weight) {
  dispatch_floating("nll_loss_backward", grad_x->dtype(), [&](auto tag) {
    backward<typename decltype(tag)::type>(grad_x, grad_out, target, weight, reduction,
                                           ignore_index, total_weight);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(nll_loss_stub, DeviceType::CPU, nll_loss_cpu);
EMBER_REGISTER_KERNEL(nll_loss_backward_stub, DeviceType::CPU, nll_loss_backward_cpu);

}  // namespace ember::cpu
