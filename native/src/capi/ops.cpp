// C ABI: math on tensors.
#include "core/ops.h"

#include "ember/ops.h"
#include "shim.h"

using namespace ember;
using capi::In;
using ops::BinaryOp;
using ops::UnaryOp;

namespace {

inline ember_status binary(const char* name, BinaryOp op, ember_tensor a, ember_tensor b,
                           ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) { return ops::binary(op, In(n, a), In(n, b)); });
}

inline ember_status binary_(const char* name, BinaryOp op, ember_tensor a, ember_tensor b) {
  return capi::guard(name, [&](const char* n) { ops::binary_(op, In(n, a), In(n, b)); });
}

inline ember_status binary_scalar(const char* name, BinaryOp op, ember_tensor a, ember_scalar b,
                                  ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) {
    return ops::binary_scalar(op, In(n, a), capi::scalar_arg(n, b));
  });
}

inline ember_status binary_rscalar(const char* name, BinaryOp op, ember_tensor a, ember_scalar b,
                                   ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) {
    return ops::binary_rscalar(op, capi::scalar_arg(n, b), In(n, a));
  });
}

inline ember_status binary_scalar_(const char* name, BinaryOp op, ember_tensor a, ember_scalar b) {
  return capi::guard(
      name, [&](const char* n) { ops::binary_scalar_(op, In(n, a), capi::scalar_arg(n, b)); });
}

inline ember_status unary(const char* name, UnaryOp op, ember_tensor a, ember_tensor* out) {
  return capi::make(name, out, [&](const char* n) { return ops::unary(op, In(n, a)); });
}

inline ember_status unary_(const char* name, UnaryOp op, ember_tensor a) {
  return capi::guard(name, [&](const char* n) { ops::unary_(op, In(n, a)); });
}

}  // namespace

extern "C" {

// ---- arithmetic ----
EMBER_API ember_status ember_add(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("add", BinaryOp::Add, a, b, out);
}
EMBER_API ember_status ember_sub(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("sub", BinaryOp::Sub, a, b, out);
}
EMBER_API ember_status ember_mul(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("mul", BinaryOp::Mul, a, b, out);
}
EMBER_API ember_status ember_div(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return binary("div", BinaryOp::Div, a, b, out);
}
EMBER_API ember_status ember_add_(ember_tensor a, ember_tensor b) {
  return binary_("add_", BinaryOp::Add, a, b);
}
EMBER_API ember_status ember_sub_(ember_tensor a, ember_tensor b) {
  return binary_("sub_", BinaryOp::Sub, a, b);
}
EMBER_API ember_status ember_mul_(ember_tensor a, ember_tensor b) {
  return binary_("mul_", BinaryOp::Mul, a, b);
}
EMBER_API ember_status ember_div_(ember_tensor a, ember_tensor b) {
  return binary_("div_", BinaryOp::Div, a, b);
}

EMBER_API ember_status ember_add_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("add", BinaryOp::Add, a, b, out);
}
EMBER_API ember_status ember_sub_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("sub", BinaryOp::Sub, a, b, out);
}
EMBER_API ember_status ember_mul_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("mul", BinaryOp::Mul, a, b, out);
}
EMBER_API ember_status ember_div_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_scalar("div", BinaryOp::Div, a, b, out);
}
EMBER_API ember_status ember_rsub_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_rscalar("rsub", BinaryOp::Sub, a, b, out);
}
EMBER_API ember_status ember_rdiv_scalar(ember_tensor a, ember_scalar b, ember_tensor* out) {
  return binary_rscalar("rdiv", BinaryOp::Div, a, b, out);
}
EMBER_API ember_status ember_add_scalar_(ember_tensor a, ember_scalar b) {
  return binary_scalar_("add_", BinaryOp::Add, a, b);
}
EMBER_API ember_status ember_sub_scalar_(ember_tensor a, ember_scalar b) {
  return binary_scalar_("sub_", BinaryOp::Sub, a, b);
}
EMBER_API ember_status ember_mul_scalar_(ember_tensor a, ember_scalar b) {
  return binary_scalar_("mul_", BinaryOp::Mul, a, b);
}
EMBER_API ember_status ember_div_scalar_(ember_tensor a, ember_scalar b) {
  return binary_scalar_("div_", BinaryOp::Div, a, b);
}

// ---- unary ----
EMBER_API ember_status ember_neg(ember_tensor a, ember_tensor* out) {
  return unary("neg", UnaryOp::Neg, a, out);
}
EMBER_API ember_status ember_exp(ember_tensor a, ember_tensor* out) {
  return unary("exp", UnaryOp::Exp, a, out);
}
EMBER_API ember_status ember_log(ember_tensor a, ember_tensor* out) {
  return unary("log", UnaryOp::Log, a, out);
}
EMBER_API ember_status ember_neg_(ember_tensor a) { return unary_("neg_", UnaryOp::Neg, a); }
EMBER_API ember_status ember_exp_(ember_tensor a) { return unary_("exp_", UnaryOp::Exp, a); }
EMBER_API ember_status ember_log_(ember_tensor a) { return unary_("log_", UnaryOp::Log, a); }

// ---- reductions ----
EMBER_API ember_status ember_sum(ember_tensor a, const int32_t* dims, int32_t ndims,
                                 int32_t keepdim, ember_tensor* out) {
  return capi::make("sum", out, [&](const char* op) {
    return ops::sum(In(op, a), capi::dims_arg(op, dims, ndims), keepdim != 0);
  });
}

EMBER_API ember_status ember_mean(ember_tensor a, const int32_t* dims, int32_t ndims,
                                  int32_t keepdim, ember_tensor* out) {
  return capi::make("mean", out, [&](const char* op) {
    return ops::mean(In(op, a), capi::dims_arg(op, dims, ndims), keepdim != 0);
  });
}

// ---- linear algebra ----
EMBER_API ember_status ember_matmul(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("matmul", out,
                    [&](const char* op) { return ops::matmul(In(op, a), In(op, b)); });
}

}  // extern "C"
