/* Ember C ABI: linear algebra (torch.mm, bmm, addmm, einsum, kron, ...; torch.linalg through the
 * LAPACK of the OpenBLAS linked into libember). Matrix functions take [..., m, n] tensors of
 * float32 or float64 and work on every matrix of the batch. */
#ifndef EMBER_LINALG_H
#define EMBER_LINALG_H

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- products ---- */
EMBER_API ember_status ember_mm(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_bmm(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_mv(ember_tensor a, ember_tensor v, ember_tensor* out);
EMBER_API ember_status ember_dot(ember_tensor a, ember_tensor b, ember_tensor* out);
/* Same as dot for real dtypes (the first argument would be conjugated). */
EMBER_API ember_status ember_vdot(ember_tensor a, ember_tensor b, ember_tensor* out);
EMBER_API ember_status ember_outer(ember_tensor a, ember_tensor b, ember_tensor* out);
/* beta * input + alpha * (a @ b); input broadcasts to the product's shape. */
EMBER_API ember_status ember_addmm(ember_tensor input, ember_tensor a, ember_tensor b,
                                   ember_scalar beta, ember_scalar alpha, ember_tensor* out);
/* beta * input + alpha * sum over the batch of a[i] @ b[i]. */
EMBER_API ember_status ember_addbmm(ember_tensor input, ember_tensor a, ember_tensor b,
                                    ember_scalar beta, ember_scalar alpha, ember_tensor* out);
/* beta * input + alpha * (a @ b), batched. */
EMBER_API ember_status ember_baddbmm(ember_tensor input, ember_tensor a, ember_tensor b,
                                     ember_scalar beta, ember_scalar alpha, ember_tensor* out);
EMBER_API ember_status ember_kron(ember_tensor a, ember_tensor b, ember_tensor* out);
/* Sum of the main diagonal of a 2-d tensor. */
EMBER_API ember_status ember_trace(ember_tensor t, ember_tensor* out);
/* torch.einsum: equation like "bij,bjk->bik" (letters; "..." broadcasts; without "->" the output
 * holds the letters that appear once, in alphabetical order). Contractions run as matmuls. */
EMBER_API ember_status ember_einsum(const char* equation, const ember_tensor* tensors, int32_t n,
                                    ember_tensor* out);

/* ---- torch.linalg ---- */
EMBER_API ember_status ember_linalg_inv(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_linalg_det(ember_tensor a, ember_tensor* out);
EMBER_API ember_status ember_linalg_slogdet(ember_tensor a, ember_tensor* sign,
                                            ember_tensor* logabsdet);
/* X with a @ X = b; b is [..., n, k], or [..., n] (a vector per matrix). Batch dims broadcast. */
EMBER_API ember_status ember_linalg_solve(ember_tensor a, ember_tensor b, ember_tensor* out);
/* Lower triangular L with a = L L^T (upper: U with a = U^T U). */
EMBER_API ember_status ember_linalg_cholesky(ember_tensor a, int32_t upper, ember_tensor* out);
typedef enum ember_qr_mode {
  EMBER_QR_REDUCED = 0,
  EMBER_QR_COMPLETE = 1,
  EMBER_QR_R = 2, /* R only; q is an empty tensor */
  EMBER_QR_MODE_FORCE_32BIT = 0x7fffffff
} ember_qr_mode;
EMBER_API ember_status ember_linalg_qr(ember_tensor a, int32_t mode, ember_tensor* q,
                                       ember_tensor* r);
/* a = U diag(S) Vh; full_matrices makes U and Vh square. */
EMBER_API ember_status ember_linalg_svd(ember_tensor a, int32_t full_matrices, ember_tensor* u,
                                        ember_tensor* s, ember_tensor* vh);
/* Eigenvalues (ascending) and eigenvectors (columns) of symmetric a, from its lower (or upper)
 * triangle. */
EMBER_API ember_status ember_linalg_eigh(ember_tensor a, int32_t upper, ember_tensor* eigenvalues,
                                         ember_tensor* eigenvectors);
/* The least-squares solution of a @ X = b (b [..., m, k]); rank-deficient a gets the minimum-norm
 * solution. */
EMBER_API ember_status ember_linalg_lstsq(ember_tensor a, ember_tensor b, ember_tensor* solution);
/* Moore-Penrose pseudo-inverse; singular values below rtol * max (rtol < 0: eps * max(m, n)) are
 * treated as zero. */
EMBER_API ember_status ember_linalg_pinv(ember_tensor a, double rtol, ember_tensor* out);
/* ord: any p, or +-INFINITY (max/min of |x|); 0 counts non-zeros. dims NULL/0: all elements. */
EMBER_API ember_status ember_linalg_vector_norm(ember_tensor x, double ord, const int32_t* dims,
                                                int32_t ndims, int32_t keepdim, ember_tensor* out);
typedef enum ember_matrix_norm {
  EMBER_NORM_FRO = 0,
  EMBER_NORM_NUC = 1,
  EMBER_NORM_ONE = 2,     /* max column sum */
  EMBER_NORM_NEG_ONE = 3, /* min column sum */
  EMBER_NORM_INF = 4,     /* max row sum */
  EMBER_NORM_NEG_INF = 5, /* min row sum */
  EMBER_NORM_TWO = 6,     /* largest singular value */
  EMBER_NORM_NEG_TWO = 7, /* smallest singular value */
  EMBER_MATRIX_NORM_FORCE_32BIT = 0x7fffffff
} ember_matrix_norm;
/* Over dims (dim0, dim1) of x. */
EMBER_API ember_status ember_linalg_matrix_norm(ember_tensor x, int32_t ord, int32_t dim0,
                                                int32_t dim1, int32_t keepdim, ember_tensor* out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_LINALG_H */
