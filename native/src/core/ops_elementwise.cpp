// Meta functions of the elementwise ops: promotion, broadcasting, device and in-place checks, the
// output, then the device's kernel.
#include "dispatch.h"
#include "error.h"
#include "meta.h"
#include "ops.h"

namespace ember {

constinit DispatchStub<BinaryFn> binary_stub("binary");
constinit DispatchStub<BinaryScalarFn> binary_scalar_stub("binary_scalar");
constinit DispatchStub<UnaryFn> unary_stub("unary");

namespace ops {

namespace {

const char* binary_name(BinaryOp op, bool in_place) {
  switch (op) {
    case BinaryOp::Add:
      return in_place ? "add_" : "add";
    case BinaryOp::Sub:
      return in_place ? "sub_" : "sub";
    case BinaryOp::Mul:
      return in_place ? "mul_" : "mul";
    case BinaryOp::Div:
      return in_place ? "div_" : "div";
  }
  return "binary";
}

const char* unary_name(UnaryOp op, bool in_place) {
  switch (op) {
    case UnaryOp::Neg:
      return in_place ? "neg_" : "neg";
    case UnaryOp::Exp:
      return in_place ? "exp_" : "exp";
    case UnaryOp::Log:
      return in_place ? "log_" : "log";
  }
  return "unary";
}

// Subtracting booleans is an error in PyTorch (it would silently mean xor or not).
void check_sub_bool(const char* name, BinaryOp op, DType a, DType b) {
  if (op != BinaryOp::Sub) return;
  EMBER_CHECK(a != DType::Bool || b != DType::Bool, EMBER_ERROR_DTYPE, name,
              ": subtraction, the `-` operator, with two bool tensors is not supported; use "
              "logical_xor() instead");
  EMBER_CHECK(a != DType::Bool && b != DType::Bool, EMBER_ERROR_DTYPE, name,
              ": subtraction, the `-` operator, with a bool tensor is not supported (",
              dtype_name(a), " and ", dtype_name(b), "); to invert a mask use logical_not()");
}

DType scalar_dtype(const Scalar& s) {
  return s.kind == Scalar::Kind::Bool  ? DType::Bool
         : s.kind == Scalar::Kind::Int ? DType::Int64
                                       : kDefaultFloat;
}

// The dtype the op computes in: true division of integers gives the default float dtype.
DType compute_dtype(BinaryOp op, DType common) {
  return op == BinaryOp::Div && !is_floating(common) ? kDefaultFloat : common;
}

DType unary_dtype(const char* name, UnaryOp op, DType t) {
  if (op == UnaryOp::Neg) {
    EMBER_CHECK(t != DType::Bool, EMBER_ERROR_DTYPE, name,
                ": negation, the `-` operator, on a bool tensor is not supported; to invert a "
                "mask use logical_not()");
    return t;
  }
  return is_floating(t) ? t : kDefaultFloat;
}

}  // namespace

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op, false);
  meta::check_same_device(name, a, b);
  const DType common =
      a->dtype() == b->dtype() ? a->dtype() : meta::ResultType().add(a).add(b).get();
  check_sub_bool(name, op, a->dtype(), b->dtype());
  const DType dtype = compute_dtype(op, common);
  Tensor out = meta::same_shape(a->sizes(), b->sizes())
                   ? empty(a->sizes(), dtype, a->device())
                   : empty(meta::broadcast_shapes(name, a, b), dtype, a->device());
  if (out->numel() == 0) return out;
  Tensor ta, tb;
  binary_stub(name, a->device(), op, out, meta::with_dtype(a, dtype, ta),
              meta::with_dtype(b, dtype, tb));
  return out;
}

void binary_(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op, true);
  meta::check_same_device(name, a, b);
  const DType common =
      a->dtype() == b->dtype() ? a->dtype() : meta::ResultType().add(a).add(b).get();
  check_sub_bool(name, op, a->dtype(), b->dtype());
  const DType dtype = compute_dtype(op, common);
  meta::check_can_cast(name, dtype, a->dtype());
  if (!meta::same_shape(a->sizes(), b->sizes())) {
    const DimVector shape = meta::broadcast_shapes(name, a, b);
    EMBER_CHECK(meta::same_shape(shape, a->sizes()), EMBER_ERROR_SHAPE, name,
                ": output with shape ", a->sizes(), " doesn't match the broadcast shape ", shape,
                " (a is ", meta::describe(a), ", b is ", meta::describe(b), ")");
  }
  meta::check_no_internal_overlap(name, a);
  meta::check_no_partial_overlap(name, a, b);
  if (a->numel() > 0) {
    Tensor tb;
    const Tensor& cb = meta::with_dtype(b, dtype, tb);
    if (dtype == a->dtype()) {
      binary_stub(name, a->device(), op, a, a, cb);
    } else {  // e.g. float16 += float32: compute in float32, store rounded
      Tensor ta;
      Tensor result = empty(a->sizes(), dtype, a->device());
      binary_stub(name, a->device(), op, result, meta::with_dtype(a, dtype, ta), cb);
      copy_stub(name, a->device(), a, result);
    }
  }
  a->storage()->bump_version();
}

Tensor binary_scalar(BinaryOp op, const Tensor& a, Scalar b) {
  const char* name = binary_name(op, false);
  check_sub_bool(name, op, a->dtype(), scalar_dtype(b));
  const DType dtype = compute_dtype(op, meta::ResultType().add(a).add(b).get());
  Tensor out = empty(a->sizes(), dtype, a->device());
  if (out->numel() == 0) return out;
  Tensor ta;
  binary_scalar_stub(name, a->device(), op, out, meta::with_dtype(a, dtype, ta), b, false);
  return out;
}

Tensor binary_rscalar(BinaryOp op, Scalar a, const Tensor& b) {
  const char* name = op == BinaryOp::Sub   ? "rsub"
                     : op == BinaryOp::Div ? "rdiv"
                                           : binary_name(op, false);
  check_sub_bool(name, op, scalar_dtype(a), b->dtype());
  const DType dtype = compute_dtype(op, meta::ResultType().add(b).add(a).get());
  Tensor out = empty(b->sizes(), dtype, b->device());
  if (out->numel() == 0) return out;
  Tensor tb;
  binary_scalar_stub(name, b->device(), op, out, meta::with_dtype(b, dtype, tb), a, true);
  return out;
}

void binary_scalar_(BinaryOp op, const Tensor& a, Scalar b) {
  const char* name = binary_name(op, true);
  check_sub_bool(name, op, a->dtype(), scalar_dtype(b));
  const DType dtype = compute_dtype(op, meta::ResultType().add(a).add(b).get());
  meta::check_can_cast(name, dtype, a->dtype());
  meta::check_no_internal_overlap(name, a);
  if (a->numel() > 0) {
    if (dtype == a->dtype()) {
      binary_scalar_stub(name, a->device(), op, a, a, b, false);
    } else {
      Tensor ta;
      Tensor result = empty(a->sizes(), dtype, a->device());
      binary_scalar_stub(name, a->device(), op, result, meta::with_dtype(a, dtype, ta), b, false);
      copy_stub(name, a->device(), a, result);
    }
  }
  a->storage()->bump_version();
}

Tensor unary(UnaryOp op, const Tensor& a) {
  const char* name = unary_name(op, false);
  const DType dtype = unary_dtype(name, op, a->dtype());
  Tensor out = empty(a->sizes(), dtype, a->device());
  if (out->numel() == 0) return out;
  Tensor ta;
  unary_stub(name, a->device(), op, out, meta::with_dtype(a, dtype, ta));
  return out;
}

void unary_(UnaryOp op, const Tensor& a) {
  const char* name = unary_name(op, true);
  const DType dtype = unary_dtype(name, op, a->dtype());
  meta::check_can_cast(name, dtype, a->dtype());
  meta::check_no_internal_overlap(name, a);
  if (a->numel() > 0) unary_stub(name, a->device(), op, a, a);
  a->storage()->bump_version();
}

}  // namespace ops
}  // namespace ember
