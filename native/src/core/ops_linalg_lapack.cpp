// Meta functions of torch.linalg. LAPACK works on column-major matrices: a matrix batch is copied
// once into that layout (contiguous(mT)), solved in place by the kernel, and the result viewed
// back.
#include <cmath>

#include "dispatch_shape.h"
#include "error.h"
#include "meta.h"
#include "ops.h"
#include "ops_linalg.h"
#include "ops_shape.h"

namespace ember {

constinit DispatchStub<InvFn> inv_stub("linalg_inv");
constinit DispatchStub<SlogdetFn> slogdet_stub("linalg_slogdet");
constinit DispatchStub<SolveFn> solve_stub("linalg_solve");
constinit DispatchStub<CholeskyFn> cholesky_stub("linalg_cholesky");
constinit DispatchStub<QrFn> qr_stub("linalg_qr");
constinit DispatchStub<SvdFn> svd_stub("linalg_svd");
constinit DispatchStub<EighFn> eigh_stub("linalg_eigh");
constinit DispatchStub<LstsqFn> lstsq_stub("linalg_lstsq");
constinit DispatchStub<PinvFn> pinv_stub("linalg_pinv");
constinit DispatchStub<VectorNormFn> vector_norm_stub("linalg_vector_norm");

namespace ops {

namespace {

void check_matrix(const char* op, const Tensor& a, bool square) {
  EMBER_CHECK(a->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": the input tensor must have at least 2 dimensions, got ", meta::describe(a));
  EMBER_CHECK(a->dtype() == DType::Float32 || a->dtype() == DType::Float64, EMBER_ERROR_DTYPE, op,
              ": expected a float32 or float64 tensor, got ", meta::describe(a));
  EMBER_CHECK(!square || a->size(-1 + a->dim()) == a->size(a->dim() - 2), EMBER_ERROR_SHAPE, op,
              ": a must be batches of square matrices, but they are ", a->size(a->dim() - 2),
              " by ", a->size(a->dim() - 1), " matrices (", meta::describe(a), ")");
}

DimVector batch_of(const Tensor& a) { return DimVector(a->sizes().data(), a->dim() - 2); }

int64_t count(const DimVector& d) {
  int64_t n = 1;
  for (int64_t s : d) n *= s;
  return n;
}

// A fresh column-major batch [batch, cols, rows] of a's matrices.
Tensor colmajor(const Tensor& a) {
  const int64_t r = a->size(a->dim() - 2), c = a->size(a->dim() - 1);
  const DimVector shape{count(batch_of(a)), c, r};
  Tensor t = clone(transpose(a, -2, -1));
  return view(t, std::span<const int64_t>(shape));
}

// A column-major batch [batch, cols, rows] back as row-major [batch..., rows, cols].
Tensor from_colmajor(const Tensor& c, const DimVector& batch) {
  DimVector shape(batch);
  shape.push_back(c->size(1));
  shape.push_back(c->size(2));
  return contiguous(transpose(view(c, std::span<const int64_t>(shape)), -2, -1));
}

Tensor shaped(const Tensor& t, DimVector batch, std::initializer_list<int64_t> tail) {
  for (int64_t s : tail) batch.push_back(s);
  return view(t, std::span<const int64_t>(batch));
}

}  // namespace

Tensor linalg_inv(const Tensor& a) {
  check_matrix("linalg.inv", a, true);
  Tensor c = colmajor(a);
  if (c->numel() > 0) inv_stub("linalg.inv", a->device(), "linalg.inv", c);
  return from_colmajor(c, batch_of(a));
}

std::pair<Tensor, Tensor> linalg_slogdet(const Tensor& a) {
  check_matrix("linalg.slogdet", a, true);
  Tensor c = colmajor(a);
  const DimVector batch = batch_of(a);
  Tensor sign = empty(batch, a->dtype(), a->device()),
         logabs = empty(batch, a->dtype(), a->device());
  if (a->size(a->dim() - 1) == 0) {
    fill_(sign, Scalar::from_int(1));
    fill_(logabs, Scalar::from_int(0));
  } else if (c->numel() > 0) {
    slogdet_stub("linalg.slogdet", a->device(), c, sign, logabs);
  }
  return {sign, logabs};
}

Tensor linalg_det(const Tensor& a) {
  check_matrix("linalg.det", a, true);
  auto [sign, logabs] = linalg_slogdet(a);
  return binary(BinaryOp::Mul, sign, unary(UnaryOp::Exp, logabs));
}

Tensor linalg_solve(const Tensor& a, const Tensor& b) {
  const char* op = "linalg.solve";
  check_matrix(op, a, true);
  meta::check_same_device(op, a, b);
  EMBER_CHECK(a->dtype() == b->dtype(), EMBER_ERROR_DTYPE, op,
              ": expected a and b to have the same dtype, got ", meta::describe(a), " and ",
              meta::describe(b));
  const int64_t n = a->size(a->dim() - 1);
  const bool vector =
      b->dim() == 1 || (b->dim() == a->dim() - 1 && DimVector(b->sizes().data(), b->dim()) ==
                                                        DimVector(a->sizes().data(), a->dim() - 1));
  const Tensor bm = vector ? unsqueeze(b, -1) : b;
  EMBER_CHECK(bm->dim() >= 2 && bm->size(bm->dim() - 2) == n, EMBER_ERROR_SHAPE, op,
              ": incompatible shapes of a (", meta::describe(a), ") and b (", meta::describe(b),
              ") for a @ x = b");
  const DimVector ba = batch_of(a), bb = batch_of(bm);
  const std::string what = str("a is ", meta::describe(a), ", b is ", meta::describe(b));
  const DimVector batch = meta::broadcast_shapes(op, ba, bb, what.c_str());
  DimVector sa(batch), sb(batch);
  sa.push_back(n);
  sa.push_back(n);
  sb.push_back(n);
  sb.push_back(bm->size(bm->dim() - 1));
  Tensor ac = colmajor(expand(a, std::span<const int64_t>(sa)));
  Tensor bc = colmajor(expand(bm, std::span<const int64_t>(sb)));
  if (ac->numel() > 0 && bc->numel() > 0) solve_stub(op, a->device(), op, ac, bc);
  Tensor x = from_colmajor(bc, batch);
  return vector ? squeeze_dim(x, -1) : x;
}

Tensor linalg_cholesky(const Tensor& a, bool upper) {
  check_matrix("linalg.cholesky", a, true);
  Tensor c = colmajor(a);
  if (c->numel() > 0) cholesky_stub("linalg.cholesky", a->device(), "linalg.cholesky", c);
  Tensor l = from_colmajor(c, batch_of(a));
  return upper ? contiguous(transpose(l, -2, -1)) : l;
}

std::pair<Tensor, Tensor> linalg_qr(const Tensor& a, QrMode mode) {
  check_matrix("linalg.qr", a, false);
  const int64_t m = a->size(a->dim() - 2), n = a->size(a->dim() - 1), k = std::min(m, n);
  const DimVector batch = batch_of(a);
  const int64_t nb = count(batch);
  const int64_t qcols = mode == QrMode::Complete ? m : mode == QrMode::Reduced ? k : 0;
  const int64_t rrows = mode == QrMode::Complete ? m : k;
  Tensor c = colmajor(a);
  Tensor qc = empty({nb, qcols, m}, a->dtype(), a->device());
  Tensor rc = empty({nb, n, rrows}, a->dtype(), a->device());
  if (nb > 0) qr_stub("linalg.qr", a->device(), c, qc, rc);
  Tensor q = qcols == 0 ? empty({0}, a->dtype(), a->device()) : from_colmajor(qc, batch);
  return {q, from_colmajor(rc, batch)};
}

std::array<Tensor, 3> linalg_svd(const Tensor& a, bool full_matrices) {
  const char* op = "linalg.svd";
  check_matrix(op, a, false);
  const int64_t m = a->size(a->dim() - 2), n = a->size(a->dim() - 1), k = std::min(m, n);
  const DimVector batch = batch_of(a);
  const int64_t nb = count(batch);
  const int64_t ucols = full_matrices ? m : k, vtrows = full_matrices ? n : k;
  Tensor c = colmajor(a);
  Tensor uc = zeros({nb, ucols, m}, a->dtype(), a->device());
  Tensor s = empty({nb, k}, a->dtype(), a->device());
  Tensor vc = zeros({nb, n, vtrows}, a->dtype(), a->device());
  if (nb > 0 && k > 0) svd_stub(op, a->device(), op, c, uc, s, vc);
  return {from_colmajor(uc, batch), shaped(s, batch, {k}), from_colmajor(vc, batch)};
}

std::pair<Tensor, Tensor> linalg_eigh(const Tensor& a, bool upper) {
  const char* op = "linalg.eigh";
  check_matrix(op, a, true);
  const int64_t n = a->size(a->dim() - 1);
  const DimVector batch = batch_of(a);
  Tensor c = colmajor(a);
  Tensor w = empty({count(batch), n}, a->dtype(), a->device());
  if (c->numel() > 0) eigh_stub(op, a->device(), op, c, w, upper);
  return {shaped(w, batch, {n}), from_colmajor(c, batch)};
}

Tensor linalg_lstsq(const Tensor& a, const Tensor& b) {
  const char* op = "linalg.lstsq";
  check_matrix(op, a, false);
  meta::check_same_device(op, a, b);
  EMBER_CHECK(a->dtype() == b->dtype(), EMBER_ERROR_DTYPE, op,
              ": expected a and b to have the same dtype, got ", meta::describe(a), " and ",
              meta::describe(b));
  const int64_t m = a->size(a->dim() - 2), n = a->size(a->dim() - 1);
  const bool vector = b->dim() == a->dim() - 1;
  const Tensor bm = vector ? unsqueeze(b, -1) : b;
  EMBER_CHECK(bm->dim() == a->dim() && bm->size(bm->dim() - 2) == m, EMBER_ERROR_SHAPE, op,
              ": incompatible shapes of a (", meta::describe(a), ") and b (", meta::describe(b),
              ")");
  const std::string what = str("a is ", meta::describe(a), ", b is ", meta::describe(b));
  const DimVector batch = meta::broadcast_shapes(op, batch_of(a), batch_of(bm), what.c_str());
  const int64_t k = bm->size(bm->dim() - 1), rows = std::max(m, n), nb = count(batch);
  DimVector sa(batch), sb(batch);
  sa.push_back(m);
  sa.push_back(n);
  sb.push_back(m);
  sb.push_back(k);
  Tensor ac = colmajor(expand(a, std::span<const int64_t>(sa)));
  // b with room for max(m, n) rows, column-major.
  Tensor bc = zeros({nb, k, rows}, a->dtype(), a->device());
  const Tensor bsrc = colmajor(expand(bm, std::span<const int64_t>(sb)));
  if (bc->numel() > 0 && m > 0) copy_(slice(bc, 2, 0, m, 1), bsrc);
  if (nb > 0 && k > 0 && m > 0 && n > 0) lstsq_stub(op, a->device(), ac, bc);
  Tensor x = from_colmajor(contiguous(slice(bc, 2, 0, n, 1)), batch);
  return vector ? squeeze_dim(x, -1) : x;
}

Tensor linalg_pinv(const Tensor& a, double rtol) {
  const char* op = "linalg.pinv";
  check_matrix(op, a, false);
  const int64_t m = a->size(a->dim() - 2), n = a->size(a->dim() - 1);
  const DimVector batch = batch_of(a);
  Tensor c = colmajor(a);
  Tensor out = empty({count(batch), n, m}, a->dtype(), a->device());
  if (out->numel() > 0) pinv_stub(op, a->device(), op, out, c, rtol);
  return shaped(out, batch, {n, m});
}

Tensor linalg_vector_norm(const Tensor& x, double ord, std::span<const int64_t> dims,
                          bool keepdim) {
  const char* op = "linalg.vector_norm";
  EMBER_CHECK(x->dtype() == DType::Float32 || x->dtype() == DType::Float64, EMBER_ERROR_DTYPE, op,
              ": expected a float32 or float64 tensor, got ", meta::describe(x));
  EMBER_CHECK(!std::isnan(ord), EMBER_ERROR_INVALID_ARGUMENT, op, ": ord must not be NaN");
  DimVector keep = x->sizes();
  std::vector<bool> reduced(std::max<int64_t>(x->dim(), 1), dims.empty());
  for (int64_t d : dims) reduced[wrap_dim(op, d, x->dim())] = true;
  for (int64_t d = 0; d < x->dim(); ++d) {
    if (reduced[d]) keep[d] = 1;
  }
  if (x->numel() == 0) {
    EMBER_CHECK(ord >= 0 && !std::isinf(ord), EMBER_ERROR_INVALID_ARGUMENT, op,
                ": cannot compute the ", ord, " norm of an empty tensor (", meta::describe(x), ")");
  }
  Tensor out = zeros(keep, x->dtype(), x->device());
  if (x->numel() > 0) vector_norm_stub(op, x->device(), out, x, ord);
  if (keepdim) return out;
  DimVector sizes;
  for (int64_t d = 0; d < x->dim(); ++d) {
    if (!reduced[d]) sizes.push_back(x->size(d));
  }
  return view(out, std::span<const int64_t>(sizes));
}

Tensor linalg_matrix_norm(const Tensor& x, MatrixNorm ord, int64_t dim0, int64_t dim1,
                          bool keepdim) {
  const char* op = "linalg.matrix_norm";
  check_matrix(op, x, false);
  const int64_t d0 = wrap_dim(op, dim0, x->dim()), d1 = wrap_dim(op, dim1, x->dim());
  EMBER_CHECK(d0 != d1, EMBER_ERROR_INVALID_ARGUMENT, op, ": dims must be different, got ", dim0,
              " and ", dim1);
  const int64_t both[] = {d0, d1};
  auto restore = [&](Tensor r) {  // r lacks d0 and d1; put them back as size 1 when keepdim
    if (!keepdim) return r;
    r = unsqueeze(r, std::min(d0, d1));
    return unsqueeze(r, std::max(d0, d1));
  };
  switch (ord) {
    case MatrixNorm::Fro:
      return linalg_vector_norm(x, 2, both, keepdim);
    case MatrixNorm::Nuc:
    case MatrixNorm::Two:
    case MatrixNorm::NegTwo: {
      const int64_t src[] = {d0, d1}, dst[] = {-2, -1};
      const Tensor moved = movedim(x, src, dst);
      const Tensor s = linalg_svd(moved, false)[1];
      const double p = ord == MatrixNorm::Nuc ? 1 : ord == MatrixNorm::Two ? INFINITY : -INFINITY;
      const int64_t last = -1;
      return restore(linalg_vector_norm(s, p, std::span<const int64_t>(&last, 1), false));
    }
    case MatrixNorm::One:
    case MatrixNorm::NegOne:
    case MatrixNorm::Inf:
    case MatrixNorm::NegInf: {
      const bool cols = ord == MatrixNorm::One || ord == MatrixNorm::NegOne;
      const int64_t sum_dim = cols ? d0 : d1, pick_dim = cols ? d1 : d0;
      const double p = ord == MatrixNorm::One || ord == MatrixNorm::Inf ? INFINITY : -INFINITY;
      const Tensor sums = linalg_vector_norm(x, 1, std::span<const int64_t>(&sum_dim, 1), true);
      const Tensor r = linalg_vector_norm(sums, p, std::span<const int64_t>(&pick_dim, 1), true);
      if (keepdim) return r;
      return squeeze_dim(squeeze_dim(r, std::max(d0, d1)), std::min(d0, d1));
    }
  }
  EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op, ": invalid ord ", static_cast<int>(ord));
}

}  // namespace ops
}  // namespace ember
