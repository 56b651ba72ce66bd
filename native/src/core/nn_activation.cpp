// relu, threshold_backward and comparison meta functions.
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<ThresholdFn> threshold_stub("threshold");
DispatchStub<CompareFn> compare_stub("compare");
DispatchStub<CompareScalarFn> compare_scalar_stub("compare_scalar");

namespace ops {
namespace {

void check_not_bool(const char* op, const Tensor& t) {
  EMBER_CHECK(t->dtype() != DType::Bool, EMBER_ERROR_DTYPE, op,
              ": not implemented for bool tensors, got ", meta::describe(t));
}

const char* compare_name(CompareOp op) {
  switch (op) {
    case CompareOp::Eq:
      return "eq";
    case CompareOp::Ne:
      return "ne";
    case CompareOp::Lt:
      return "lt";
    case CompareOp::Le:
      return "le";
    case CompareOp::Gt:
      return "gt";
    case CompareOp::Ge:
      return "ge";
  }
  return "compare";
}

}  // namespace

Tensor relu(const Tensor& x) {
  check_not_bool("relu", x);
  Tensor out = empty(x->sizes(), x->dtype(), x->device());
  if (out->numel() > 0) threshold_stub("relu", x->device(), out, x, x, Scalar::from_int(0));
  return out;
}

void relu_(const Tensor& x) {
  check_not_bool("relu_", x);
  meta::check_no_internal_overlap("relu_", x);
  if (x->numel() > 0) threshold_stub("relu_", x->device(), x, x, x, Scalar::from_int(0));
  x->storage()->bump_version();
}

Tensor threshold_backward(const Tensor& grad, const Tensor& x, Scalar threshold) {
  const char* op = "threshold_backward";
  check_not_bool(op, grad);
  check_not_bool(op, x);
  meta::check_same_device(op, grad, x);
  const DimVector shape = meta::broadcast_shapes(op, grad, x);
  const DType dtype = meta::ResultType().add(grad).add(x).get();
  Tensor gtmp, xtmp;
  const Tensor& g = meta::with_dtype(grad, dtype, gtmp);
  const Tensor& xv = meta::with_dtype(x, dtype, xtmp);
  Tensor out = empty(shape, dtype, grad->device());
  if (out->numel() > 0) threshold_stub(op, grad->device(), out, xv, g, threshold);
  return out;
}

Tensor compare(CompareOp cop, const Tensor& a, const Tensor& b) {
  const char* op = compare_name(cop);
  meta::check_same_device(op, a, b);
  const DimVector shape = meta::broadcast_shapes(op, a, b);
  const DType dtype = meta::ResultType().add(a).add(b).get();
  Tensor atmp, btmp;
  const Tensor& ac = meta::with_dtype(a, dtype, atmp);
  const Tensor& bc = meta::with_dtype(b, dtype, btmp);
  Tensor out = empty(shape, DType::Bool, a->device());
  if (out->numel() > 0) compare_stub(op, a->device(), cop, out, ac, bc);
  return out;
}

Tensor compare_scalar(CompareOp cop, const Tensor& a, Scalar b) {
  const char* op = compare_name(cop);
  const DType dtype = meta::ResultType().add(a).add(b).get();
  Tensor atmp;
  const Tensor& ac = meta::with_dtype(a, dtype, atmp);
  Tensor out = empty(a->sizes(), DType::Bool, a->device());
  if (out->numel() > 0) compare_scalar_stub(op, a->device(), cop, out, ac, b);
  return out;
}

}  // namespace ops
}  // namespace ember
