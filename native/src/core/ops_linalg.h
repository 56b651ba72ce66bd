// The engine's linear-algebra ops beyond matmul (core/ops.h): products, einsum, kron, trace, and
// torch.linalg through LAPACK. Used by the C ABI shims and tests.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "scalar.h"
#include "tensor.h"

namespace ember::ops {

Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& a, const Tensor& v);
Tensor dot(const Tensor& a, const Tensor& b, const char* op = "dot");
Tensor outer(const Tensor& a, const Tensor& b);
Tensor addmm(const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha);
Tensor addbmm(const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha);
Tensor baddbmm(const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha);
Tensor kron(const Tensor& a, const Tensor& b);
Tensor trace(const Tensor& t);
Tensor einsum(std::string_view equation, std::span<const Tensor> tensors);

Tensor linalg_inv(const Tensor& a);
Tensor linalg_det(const Tensor& a);
std::pair<Tensor, Tensor> linalg_slogdet(const Tensor& a);
Tensor linalg_solve(const Tensor& a, const Tensor& b);
Tensor linalg_cholesky(const Tensor& a, bool upper);
enum class QrMode { Reduced = 0, Complete = 1, R = 2 };
std::pair<Tensor, Tensor> linalg_qr(const Tensor& a, QrMode mode);
std::array<Tensor, 3> linalg_svd(const Tensor& a, bool full_matrices);
std::pair<Tensor, Tensor> linalg_eigh(const Tensor& a, bool upper);
Tensor linalg_lstsq(const Tensor& a, const Tensor& b);
Tensor linalg_pinv(const Tensor& a, double rtol);
Tensor linalg_vector_norm(const Tensor& x, double ord, std::span<const int64_t> dims, bool keepdim);
enum class MatrixNorm { Fro = 0, Nuc, One, NegOne, Inf, NegInf, Two, NegTwo };
Tensor linalg_matrix_norm(const Tensor& x, MatrixNorm ord, int64_t dim0, int64_t dim1,
                          bool keepdim);

}  // namespace ember::ops
