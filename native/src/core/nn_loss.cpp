// nll_loss meta functions: PyTorch's shape rules and messages.
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<NllLossFn> nll_loss_stub("nll_loss");
DispatchStub<NllLossBackwardFn> nll_loss_backward_stub("nll_loss_backward");

std::pair<int64_t, int64_t> nn_meta::check_class_targets(const char* op, const Tensor& logp,
                                                         const Tensor& target, const Tensor& weight,
                                                         ops::Reduction reduction) {
  using ops::Reduction;
  EMBER_CHECK(logp->dim() == 1 || logp->dim() == 2, EMBER_ERROR_SHAPE, op,
              ": input tensor should be 1D or 2D, but got input ", meta::describe(logp));
  EMBER_CHECK(target->dim() <= 1, EMBER_ERROR_SHAPE, op,
              ": 0D or 1D target tensor expected, multi-target not supported; got target ",
              meta::describe(target));
  const bool batched = logp->dim() == 2;
  const int64_t n = batched ? logp->size(0) : 1;
  const int64_t classes = logp->size(logp->dim() - 1);
  EMBER_CHECK(batched ? (target->dim() == 1 && target->size(0) == n) : target->dim() == 0,
              EMBER_ERROR_SHAPE, op, ": Expected input batch_size (", n,
              ") to match target batch_size (", target->dim() == 1 ? target->size(0) : 1,
              "); input is ", meta::describe(logp), ", target is ", meta::describe(target));
  EMBER_CHECK(target->dtype() == DType::Int64, EMBER_ERROR_DTYPE, op,
              ": expected target of dtype int64 (class indices), but got ", meta::describe(target));
  nn_meta::check_floating(op, "input", logp);
  if (weight) {
    EMBER_CHECK(weight->dim() == 1 && weight->numel() == classes, EMBER_ERROR_SHAPE, op,
                ": weight tensor should be defined either for all ", classes,
                " classes or no classes but got weight tensor of shape: ", weight->sizes());
  }
  nn_meta::check_same_dtype_device(op, {{"input", &logp}, {"weight", &weight}});
  meta::check_same_device(op, logp, target);
  EMBER_CHECK(
      reduction == Reduction::None || reduction == Reduction::Mean || reduction == Reduction::Sum,
      EMBER_ERROR_INVALID_ARGUMENT, op, ": reduction must be 0 (none), 1 (mean) or 2 (sum), got ",
      static_cast<int32_t>(reduction));
  return {n, classes};
}

namespace ops {

std::pair<Tensor, Tensor> nll_loss(const Tensor& logp, const Tensor& target, const Tensor& weight,
                                   Reduction reduction, int64_t ignore_index) {
  const char* op = "nll_loss";
  const auto [n, classes] = nn_meta::check_class_targets(op, logp, target, weight, reduction);
  const Tensor lp = ops::contiguous(logp->dim() == 1 ? unsqueeze(logp, 0) : logp);
  const Tensor t = ops::contiguous(target->dim() == 0 ? unsqueeze(target, 0) : target);
  const Tensor w = weight ? ops::contiguous(weight) : Tensor();
  DimVector out_sizes;
  if (reduction == Reduction::None && logp->dim() == 2) out_sizes = {n};
  Tensor out = empty(out_sizes, logp->dtype(), logp->device());
  Tensor total_weight = empty({}, logp->dtype(), logp->device());
  nll_loss_stub(op, logp->device(), out, total_weight, lp, t, w, reduction, ignore_index);
  return {out, total_weight};
}

Tensor nll_loss_backward(const Tensor& grad_out, const Tensor& logp, const Tensor& target,
                         const Tensor& weight, Reduction reduction, int64_t ignore_index,
                         const Tensor& total_weight) {
  const char* op = "nll_loss_backward";
  const auto [n, classes] = nn_meta::check_class_targets(op, logp, target, weight, reduction);
  const bool per_sample = reduction == Reduction::None && logp->dim() == 2;
  EMBER_CHECK(
      per_sample ? (grad_out->dim() == 1 && grad_out->size(0) == n) : grad_out->numel() == 1,
      EMBER_ERROR_SHAPE, op, ": expected grad_out of size ",
      per_sample ? str("[", n, "]") : std::string("[] (one element)"), ", but got ",
      meta::describe(grad_out));
  EMBER_CHECK(total_weight->numel() == 1, EMBER_ERROR_SHAPE, op,
              ": expected total_weight to have one element, but got ",
              meta::describe(total_weight));
  nn_meta::check_same_dtype_device(
      op, {{"input", &logp}, {"grad_out", &grad_out}, {"total_weight", &total_weight}});
  const Tensor t = ops::contiguous(target->dim() == 0 ? unsqueeze(target, 0) : target);
  const Tensor w = weight ? ops::contiguous(weight) : Tensor();
  const Tensor g = ops::contiguous(grad_out), tw = ops::contiguous(total_weight);
  Tensor gx = empty({n, classes}, logp->dtype(), logp->device());
  nll_loss_backward_stub(op, logp->device(), gx, g, t, w, reduction, ignore_index, tw);
  return logp->dim() == 1 ? squeeze_dim(gx, 0) : gx;
}

}  // namespace ops
}  // namespace ember
