// Meta functions of the fused training-step ops (nn_fused.h): PyTorch's shape rules and messages
// of linear and cross_entropy, then one kernel call each.
#include "nn_fused.h"

#include "error.h"
#include "meta.h"
#include "nn_meta.h"
#include "ops.h"

namespace ember {

DispatchStub<LinearBackwardFn> linear_backward_stub("linear_backward");
DispatchStub<FeatureDropoutFn> feature_dropout_stub("feature_dropout");
DispatchStub<CrossEntropyFn> cross_entropy_stub("cross_entropy");
DispatchStub<CrossEntropyBackwardFn> cross_entropy_backward_stub("cross_entropy_backward");

namespace ops {
namespace {

// An existing gradient to add into: shape `sizes`, the dtype and device of x (grad), contiguous.
void check_into(const char* op, const char* name, const Tensor& into, const DimVector& sizes,
                const Tensor& x) {
  EMBER_CHECK(into->sizes() == sizes, EMBER_ERROR_SHAPE, op, ": expected ", name, " of shape ",
              sizes, ", but got ", meta::describe(into));
  EMBER_CHECK(into->dtype() == x->dtype(), EMBER_ERROR_DTYPE, op, ": expected ", name, " of dtype ",
              dtype_name(x->dtype()), " (grad's), but got ", meta::describe(into));
  meta::check_same_device(op, x, into);
  EMBER_CHECK(into->is_contiguous(), EMBER_ERROR_INVALID_ARGUMENT, op, ": ", name,
              " must be contiguous, but got ", meta::describe(into));
}

// The product of t's leading dims (all but the last).
int64_t meta_rows(const Tensor& t) {
  int64_t rows = 1;
  for (int64_t d = 0; d + 1 < t->dim(); ++d) rows *= t->size(d);
  return rows;
}

// Adds `fresh` (compute dtype) into `into` when given, else returns it in x's dtype.
Tensor deliver(const Tensor& fresh, const Tensor& into, DType dtype) {
  if (!into) return to_dtype(fresh, dtype);
  binary_(BinaryOp::Add, into, to_dtype(fresh, dtype));
  return Tensor();
}

}  // namespace

LinearGrads linear_backward(const Tensor& grad, const Tensor& x, const Tensor& w, bool need_x,
                            bool need_w, bool need_b, const Tensor& w_into, const Tensor& b_into) {
  const char* op = "linear_backward";
  // The input gradient needs the weight, the weight gradient the input; either may be absent
  // otherwise (autograd keeps only what the gradients it computes read).
  EMBER_CHECK(!need_x || w, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": the input gradient needs the weight, but it was not given");
  EMBER_CHECK(!need_w || x, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": the weight gradient needs the input, but it was not given");
  EMBER_CHECK(grad->dim() >= 1, EMBER_ERROR_SHAPE, op,
              ": expected grad of shape (*, out_features), but got ", meta::describe(grad));
  const int64_t outs = grad->size(grad->dim() - 1);
  if (w) {
    EMBER_CHECK(w->dim() == 2 && w->size(0) == outs, EMBER_ERROR_SHAPE, op,
                ": expected weight of shape (", outs, ", in_features) for grad ",
                meta::describe(grad), ", but got ", meta::describe(w));
  }
  int64_t in = w ? w->size(1) : 0;
  if (x) {
    DimVector xs(grad->sizes());
    xs[xs.size() - 1] = w ? in : x->size(x->dim() - 1);
    EMBER_CHECK(x->sizes() == xs, EMBER_ERROR_SHAPE, op, ": expected input of shape ", xs,
                " for grad ", meta::describe(grad), w ? " and weight " : "",
                w ? meta::describe(w) : std::string(), ", but got ", meta::describe(x));
    in = xs.back();
  }
  nn_meta::check_floating(op, "grad", grad);
  nn_meta::check_same_dtype_device(op, {{"grad", &grad}, {"input", &x}, {"weight", &w}});
  EMBER_CHECK(!w_into || need_w, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": weight_grad_into is given but the weight gradient is not asked for");
  EMBER_CHECK(!b_into || need_b, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": bias_grad_into is given but the bias gradient is not asked for");
  if (w_into) check_into(op, "weight_grad_into", w_into, DimVector{outs, in}, grad);
  if (b_into) check_into(op, "bias_grad_into", b_into, DimVector{outs}, grad);

  const int64_t rows = meta_rows(grad);
  const DType dtype = grad->dtype(), ct = nn_meta::compute_dtype(dtype);
  const Device dev = grad->device();
  const Tensor g2 = nn_meta::contiguous_as(reshape(grad, DimVector{rows, outs}), ct);
  const Tensor x2 = x ? nn_meta::contiguous_as(reshape(x, DimVector{rows, in}), ct) : Tensor();
  const Tensor wc = w ? nn_meta::contiguous_as(w, ct) : Tensor();
  // The kernel adds into the gradient itself when it is in the compute dtype.
  const bool acc_w = w_into && ct == dtype, acc_b = b_into && ct == dtype;
  Tensor gx = need_x ? empty({rows, in}, ct, dev) : Tensor();
  Tensor gw = need_w ? (acc_w ? w_into : empty({outs, in}, ct, dev)) : Tensor();
  Tensor gb = need_b ? (acc_b ? b_into : empty({outs}, ct, dev)) : Tensor();
  if (gx || gw || gb) linear_backward_stub(op, dev, gx, gw, gb, g2, x2, wc, acc_w, acc_b);
  if (acc_w) w_into->storage()->bump_version();
  if (acc_b) b_into->storage()->bump_version();
  LinearGrads r;
  if (gx) {
    DimVector xs(grad->sizes());
    xs[xs.size() - 1] = in;
    r.grad_x = reshape(to_dtype(gx, dtype), xs);
  }
  if (gw && !acc_w) r.grad_w = deliver(gw, w_into, dtype);
  if (gb && !acc_b) r.grad_b = deliver(gb, b_into, dtype);
  return r;
}

namespace {

// Cross entropy takes logits (N, C) and otherwise checks as nll_loss does; returns (N, C).
std::pair<int64_t, int64_t> check_ce(const char* op, const Tensor& x, const Tensor& target,
                                     const Tensor& weight, Reduction reduction) {
  EMBER_CHECK(x->dim() == 2, EMBER_ERROR_SHAPE, op,
              ": expected input of shape (N, C) (logits), but got ", meta::describe(x));
  return nn_meta::check_class_targets(op, x, target, weight, reduction);
}

}  // namespace

CrossEntropyResult cross_entropy(const Tensor& x, const Tensor& target, const Tensor& weight,
                                 Reduction reduction, int64_t ignore_index) {
  const char* op = "cross_entropy";
  const auto [n, classes] = check_ce(op, x, target, weight, reduction);
  EMBER_CHECK(classes > 0 || n == 0, EMBER_ERROR_SHAPE, op,
              ": expected at least one class, but got input ", meta::describe(x));
  const Device dev = x->device();
  CrossEntropyResult r;
  r.loss = empty(reduction == Reduction::None ? DimVector{n} : DimVector{}, x->dtype(), dev);
  r.lse = empty({n}, nn_meta::compute_dtype(x->dtype()), dev);
  r.total = empty({}, x->dtype(), dev);
  cross_entropy_stub(op, dev, r.loss, r.lse, r.total, contiguous(x), contiguous(target),
                     weight ? contiguous(weight) : Tensor(), reduction, ignore_index);
  return r;
}

Tensor cross_entropy_backward(const Tensor& grad, const Tensor& x, const Tensor& target,
                              const Tensor& weight, Reduction reduction, int64_t ignore_index,
                              const Tensor& lse, const Tensor& total) {
  const char* op = "cross_entropy_backward";
  const auto [n, classes] = check_ce(op, x, target, weight, reduction);
  const bool per_sample = reduction == Reduction::None;
  EMBER_CHECK(per_sample ? (grad->dim() == 1 && grad->size(0) == n) : grad->numel() == 1,
              EMBER_ERROR_SHAPE, op, ": expected grad_out of size ",
              per_sample ? str("[", n, "]") : std::string("[] (one element)"), ", but got ",
              meta::describe(grad));
  EMBER_CHECK(
      lse->dim() == 1 && lse->size(0) == n && lse->dtype() == nn_meta::compute_dtype(x->dtype()),
      EMBER_ERROR_SHAPE, op, ": expected the forward's logsumexp of shape [", n, "] and dtype ",
      dtype_name(nn_meta::compute_dtype(x->dtype())), ", but got ", meta::describe(lse));
  EMBER_CHECK(total->numel() == 1, EMBER_ERROR_SHAPE, op,
              ": expected total_weight to have one element, but got ", meta::describe(total));
  nn_meta::check_same_dtype_device(op,
                                   {{"input", &x}, {"grad_out", &grad}, {"total_weight", &total}});
  meta::check_same_device(op, x, lse);
  Tensor gx = empty({n, classes}, x->dtype(), x->device());
  if (gx->numel() > 0)
    cross_entropy_backward_stub(
        op, x->device(), gx, contiguous(grad), contiguous(x), contiguous(lse), contiguous(target),
        weight ? contiguous(weight) : Tensor(), contiguous(total), reduction, ignore_index);
  return gx;
}

}  // namespace ops
}  // namespace ember
