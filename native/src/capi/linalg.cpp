// C ABI: linear algebra (ember/linalg.h).
#include "ember/linalg.h"

#include "capi/list.h"
#include "core/ops_linalg.h"

using namespace ember;
using capi::In;

extern "C" {

EMBER_API ember_status ember_mm(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("mm", out, [&](const char* op) { return ops::mm(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_bmm(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("bmm", out, [&](const char* op) { return ops::bmm(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_mv(ember_tensor a, ember_tensor v, ember_tensor* out) {
  return capi::make("mv", out, [&](const char* op) { return ops::mv(In(op, a), In(op, v)); });
}

EMBER_API ember_status ember_dot(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("dot", out, [&](const char* op) { return ops::dot(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_vdot(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("vdot", out,
                    [&](const char* op) { return ops::dot(In(op, a), In(op, b), "vdot"); });
}

EMBER_API ember_status ember_outer(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("outer", out, [&](const char* op) { return ops::outer(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_addmm(ember_tensor input, ember_tensor a, ember_tensor b,
                                   ember_scalar beta, ember_scalar alpha, ember_tensor* out) {
  return capi::make("addmm", out, [&](const char* op) {
    return ops::addmm(In(op, input), In(op, a), In(op, b), capi::scalar_arg(op, beta),
                      capi::scalar_arg(op, alpha));
  });
}

EMBER_API ember_status ember_addbmm(ember_tensor input, ember_tensor a, ember_tensor b,
                                    ember_scalar beta, ember_scalar alpha, ember_tensor* out) {
  return capi::make("addbmm", out, [&](const char* op) {
    return ops::addbmm(In(op, input), In(op, a), In(op, b), capi::scalar_arg(op, beta),
                       capi::scalar_arg(op, alpha));
  });
}

EMBER_API ember_status ember_baddbmm(ember_tensor input, ember_tensor a, ember_tensor b,
                                     ember_scalar beta, ember_scalar alpha, ember_tensor* out) {
  return capi::make("baddbmm", out, [&](const char* op) {
    return ops::baddbmm(In(op, input), In(op, a), In(op, b), capi::scalar_arg(op, beta),
                        capi::scalar_arg(op, alpha));
  });
}

EMBER_API ember_status ember_kron(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("kron", out, [&](const char* op) { return ops::kron(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_trace(ember_tensor t, ember_tensor* out) {
  return capi::make("trace", out, [&](const char* op) { return ops::trace(In(op, t)); });
}

EMBER_API ember_status ember_einsum(const char* equation, const ember_tensor* tensors, int32_t n,
                                    ember_tensor* out) {
  return capi::make("einsum", out, [&](const char* op) {
    if (equation == nullptr) capi::null_argument(op, "equation");
    return ops::einsum(equation, capi::tensor_list(op, tensors, n));
  });
}

EMBER_API ember_status ember_linalg_inv(ember_tensor a, ember_tensor* out) {
  return capi::make("linalg.inv", out, [&](const char* op) { return ops::linalg_inv(In(op, a)); });
}

EMBER_API ember_status ember_linalg_det(ember_tensor a, ember_tensor* out) {
  return capi::make("linalg.det", out, [&](const char* op) { return ops::linalg_det(In(op, a)); });
}

EMBER_API ember_status ember_linalg_slogdet(ember_tensor a, ember_tensor* sign,
                                            ember_tensor* logabsdet) {
  return capi::make_pair("linalg.slogdet", sign, logabsdet,
                         [&](const char* op) { return ops::linalg_slogdet(In(op, a)); });
}

EMBER_API ember_status ember_linalg_solve(ember_tensor a, ember_tensor b, ember_tensor* out) {
  return capi::make("linalg.solve", out,
                    [&](const char* op) { return ops::linalg_solve(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_linalg_cholesky(ember_tensor a, int32_t upper, ember_tensor* out) {
  return capi::make("linalg.cholesky", out,
                    [&](const char* op) { return ops::linalg_cholesky(In(op, a), upper != 0); });
}

EMBER_API ember_status ember_linalg_qr(ember_tensor a, int32_t mode, ember_tensor* q,
                                       ember_tensor* r) {
  return capi::make_pair("linalg.qr", q, r, [&](const char* op) {
    EMBER_CHECK(mode >= 0 && mode <= 2, EMBER_ERROR_INVALID_ARGUMENT, op, ": invalid mode ", mode);
    return ops::linalg_qr(In(op, a), static_cast<ops::QrMode>(mode));
  });
}

EMBER_API ember_status ember_linalg_svd(ember_tensor a, int32_t full_matrices, ember_tensor* u,
                                        ember_tensor* s, ember_tensor* vh) {
  return capi::guard("linalg.svd", [&](const char* op) {
    capi::check_out(op, u);
    capi::check_out(op, s);
    capi::check_out(op, vh);
    std::array<Tensor, 3> r = ops::linalg_svd(In(op, a), full_matrices != 0);
    *u = reinterpret_cast<ember_tensor>(r[0].release_ownership());
    *s = reinterpret_cast<ember_tensor>(r[1].release_ownership());
    *vh = reinterpret_cast<ember_tensor>(r[2].release_ownership());
  });
}

EMBER_API ember_status ember_linalg_eigh(ember_tensor a, int32_t upper, ember_tensor* eigenvalues,
                                         ember_tensor* eigenvectors) {
  return capi::make_pair("linalg.eigh", eigenvalues, eigenvectors,
                         [&](const char* op) { return ops::linalg_eigh(In(op, a), upper != 0); });
}

EMBER_API ember_status ember_linalg_lstsq(ember_tensor a, ember_tensor b, ember_tensor* solution) {
  return capi::make("linalg.lstsq", solution,
                    [&](const char* op) { return ops::linalg_lstsq(In(op, a), In(op, b)); });
}

EMBER_API ember_status ember_linalg_pinv(ember_tensor a, double rtol, ember_tensor* out) {
  return capi::make("linalg.pinv", out,
                    [&](const char* op) { return ops::linalg_pinv(In(op, a), rtol); });
}

EMBER_API ember_status ember_linalg_vector_norm(ember_tensor x, double ord, const int32_t* dims,
                                                int32_t ndims, int32_t keepdim, ember_tensor* out) {
  return capi::make("linalg.vector_norm", out, [&](const char* op) {
    return ops::linalg_vector_norm(In(op, x), ord, capi::dims_arg(op, dims, ndims), keepdim != 0);
  });
}

EMBER_API ember_status ember_linalg_matrix_norm(ember_tensor x, int32_t ord, int32_t dim0,
                                                int32_t dim1, int32_t keepdim, ember_tensor* out) {
  return capi::make("linalg.matrix_norm", out, [&](const char* op) {
    EMBER_CHECK(ord >= 0 && ord <= 7, EMBER_ERROR_INVALID_ARGUMENT, op, ": invalid ord ", ord);
    return ops::linalg_matrix_norm(In(op, x), static_cast<ops::MatrixNorm>(ord), dim0, dim1,
                                   keepdim != 0);
  });
}

}  // extern "C"
