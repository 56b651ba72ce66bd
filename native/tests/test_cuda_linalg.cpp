// torch.linalg on the CUDA plugin (cuSOLVER and cuBLAS) against the CPU's LAPACK: batches of
// well-conditioned random matrices small enough for the batched routines and large enough for the
// one-call-per-matrix ones, in float32 and float64. Factors that are unique up to signs (QR, SVD,
// eigenvectors) are checked through what does not depend on the signs: reconstructions,
// orthonormality and the values. Skips without the plugin (see cuda_test_util.h).
#include <limits>

#include "core/ops_linalg.h"
#include "core/ops_shape.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

const DType kLinalgTypes[] = {DType::Float32, DType::Float64};

// Bounds for results computed through a factorization: float32 loses a few digits to the
// conditioning of the (well-conditioned) inputs.
double tol(DType t) { return t == DType::Float32 ? 2e-3 : 1e-9; }

Tensor cpu(const Tensor& t) { return ops::to_device(t, kCpu); }

// got (any device) equals ref (CPU) elementwise within tol * (1 + |ref|).
void expect_near(const Tensor& ref, const Tensor& got, double bound, const std::string& what) {
  ASSERT_EQ(ref->sizes(), got->sizes()) << what;
  const std::vector<double> a = values(ref), b = values(got);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_NEAR(b[i], a[i], bound * (1 + std::abs(a[i]))) << what << " at " << i;
  }
}

// Random [batch..., n, n] matrices with singular values in about [1, 5]: x / sqrt(n) + 3 I.
Tensor well_conditioned(DimVector batch, int64_t n, DType t) {
  DimVector sizes = batch;
  sizes.push_back(n);
  sizes.push_back(n);
  const Tensor x = random_cpu(sizes, DType::Float64);
  const Tensor scaled =
      ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(1 / std::sqrt(double(n))));
  const Tensor eye3 = ops::binary_scalar(ops::BinaryOp::Mul, ops::eye(n, n, DType::Float64, kCpu),
                                         Scalar::from_float(3));
  return ops::to_dtype(ops::binary(ops::BinaryOp::Add, scaled, eye3), t);
}

// Symmetric positive-definite: x x^T / n + I.
Tensor spd(DimVector batch, int64_t n, DType t) {
  DimVector sizes = batch;
  sizes.push_back(n);
  sizes.push_back(n);
  const Tensor x = random_cpu(sizes, DType::Float64);
  Tensor g = ops::matmul(x, ops::transpose(x, -2, -1));
  g = ops::binary_scalar(ops::BinaryOp::Mul, g, Scalar::from_float(1.0 / double(n)));
  return ops::to_dtype(ops::binary(ops::BinaryOp::Add, g, ops::eye(n, n, DType::Float64, kCpu)), t);
}

Tensor mT(const Tensor& t) { return ops::transpose(t, -2, -1); }

// q^T q == I for the columns of q (CPU or GPU tensor).
void expect_orthonormal_columns(const Tensor& q, double bound, const std::string& what) {
  const Tensor h = cpu(q);
  const int64_t c = h->size(h->dim() - 1);
  const Tensor g = ops::matmul(mT(h), h);
  DimVector sizes = g->sizes();
  expect_near(ops::contiguous(ops::expand(ops::eye(c, c, h->dtype(), kCpu), sizes)), g, bound,
              what + " orthonormal");
}

// Runs f, which must fail with status and a message containing `text`.
template <class F>
void expect_error(F&& f, ember_status status, const std::string& text, const std::string& what) {
  try {
    f();
    ADD_FAILURE() << what << ": no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << what << ": " << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << what << ": " << e.what();
  }
}

// Batches that take the batched routines (many small matrices) and the per-matrix ones.
const std::pair<DimVector, int64_t> kSquare[] = {
    {{6}, 5}, {{2, 3}, 16}, {{}, 40}, {{3}, 80}, {{2}, 150}};

TEST(CudaLinalg, InverseDetAndSolveEqualTheCpus) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    for (const auto& [batch, n] : kSquare) {
      const std::string what = str(dtype_name(t), " batch ", batch, " n ", n);
      const Tensor a = well_conditioned(batch, n, t);
      const Tensor g = on_cuda(a);
      expect_near(ops::linalg_inv(a), ops::linalg_inv(g), tol(t), "inv " + what);
      const auto [sc, lc] = ops::linalg_slogdet(a);
      const auto [sg, lg] = ops::linalg_slogdet(g);
      expect_near(sc, sg, 0, "slogdet sign " + what);
      expect_near(lc, lg, tol(t), "slogdet logabs " + what);
      expect_near(
          ops::linalg_det(ops::binary_scalar(ops::BinaryOp::Mul, a, Scalar::from_float(0.5))),
          ops::linalg_det(ops::binary_scalar(ops::BinaryOp::Mul, g, Scalar::from_float(0.5))),
          tol(t), "det " + what);
      DimVector bs = batch;
      bs.push_back(n);
      bs.push_back(3);
      const Tensor b = random_cpu(bs, t);
      expect_near(ops::linalg_solve(a, b), ops::linalg_solve(g, on_cuda(b)), tol(t),
                  "solve " + what);
      // A vector right-hand side broadcast over the batch.
      const Tensor v = random_cpu({n}, t);
      expect_near(ops::linalg_solve(a, v), ops::linalg_solve(g, on_cuda(v)), tol(t),
                  "solve vector " + what);
    }
  }
}

TEST(CudaLinalg, SingularInputFailsAsOnTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    for (int64_t n : {int64_t{4}, int64_t{70}}) {
      // Batch element 1 has a zero column 2: its LU meets a zero pivot.
      Tensor a = well_conditioned({3}, n, t);
      ops::fill_(ops::select(ops::select(a, 0, 1), 1, 2), Scalar::from_int(0));
      const Tensor g = on_cuda(a);
      expect_error([&] { ops::linalg_inv(g); }, EMBER_ERROR_INVALID_ARGUMENT,
                   "linalg.inv: (batch element 1): the diagonal element ", "inv");
      expect_error(
          [&] {
            ops::linalg_solve(g, on_cuda(random_cpu({3, n, 2}, t)));
          },
          EMBER_ERROR_INVALID_ARGUMENT,
          "linalg.solve: (batch element 1): the solver failed because the input matrix "
          "is singular",
          "solve");
      const auto [sign, logabs] = ops::linalg_slogdet(g);
      const std::vector<double> s = values(sign), l = values(logabs);
      EXPECT_EQ(s[1], 0.0);
      EXPECT_EQ(l[1], -std::numeric_limits<double>::infinity());
      EXPECT_NE(s[0], 0.0);
      EXPECT_NE(s[2], 0.0);
    }
  }
}

TEST(CudaLinalg, CholeskyEqualsTheCpusAndRefusesIndefiniteInput) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    for (const auto& [batch, n] : kSquare) {
      const std::string what = str(dtype_name(t), " batch ", batch, " n ", n);
      const Tensor a = spd(batch, n, t);
      for (bool upper : {false, true}) {
        expect_near(ops::linalg_cholesky(a, upper), ops::linalg_cholesky(on_cuda(a), upper), tol(t),
                    str("cholesky upper ", upper, " ", what));
      }
    }
    for (int64_t n : {int64_t{5}, int64_t{200}}) {
      Tensor a = spd({3}, n, t);
      // Batch element 2's leading 2 x 2 minor is indefinite.
      ops::fill_(ops::select(ops::select(ops::select(a, 0, 2), 0, 1), 0, 1),
                 Scalar::from_float(-50));
      expect_error([&] { ops::linalg_cholesky(on_cuda(a), false); }, EMBER_ERROR_INVALID_ARGUMENT,
                   "linalg.cholesky: (batch element 2): the factorization could not be completed "
                   "because the input is not positive-definite (the leading minor of order 2 is "
                   "not positive-definite)",
                   "cholesky");
    }
  }
}

// got == product (both on the CPU) within bound: a reconstruction from factors.
Tensor product(const Tensor& a, const Tensor& b) { return ops::matmul(cpu(a), cpu(b)); }

// u[..., :, :k] diag(s) vh[..., :k, :] on the CPU.
Tensor from_svd(const Tensor& u, const Tensor& s, const Tensor& vh) {
  const int64_t k = s->size(s->dim() - 1);
  const Tensor uk = ops::slice(cpu(u), -1, 0, k, 1);
  const Tensor vk = ops::slice(cpu(vh), -2, 0, k, 1);
  return ops::matmul(ops::binary(ops::BinaryOp::Mul, uk, ops::unsqueeze(cpu(s), -2)), vk);
}

struct Shape {
  DimVector batch;
  int64_t m, n;
  DimVector sizes() const {
    DimVector s = batch;
    s.push_back(m);
    s.push_back(n);
    return s;
  }
};

// Small batches take the batched Jacobi SVD (up to 32 x 32), the rest one call per matrix.
const Shape kRect[] = {{{4}, 7, 5}, {{2}, 5, 9}, {{3}, 6, 6}, {{}, 120, 60}, {{2}, 40, 70}};

TEST(CudaLinalg, QrReconstructsAndMatchesTheCpusR) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    for (const Shape& sh : kRect) {
      const Tensor a = random_cpu(sh.sizes(), t);
      for (ops::QrMode mode : {ops::QrMode::Reduced, ops::QrMode::Complete, ops::QrMode::R}) {
        const std::string what =
            str(dtype_name(t), " ", sh.sizes(), " mode ", static_cast<int>(mode));
        const auto [qc, rc] = ops::linalg_qr(a, mode);
        const auto [qg, rg] = ops::linalg_qr(on_cuda(a), mode);
        ASSERT_EQ(rg->device(), kCuda) << what;
        // R is unique up to the signs of its rows: compare magnitudes; its lower part is zero.
        const std::vector<double> r1 = values(rc), r2 = values(rg);
        ASSERT_EQ(r1.size(), r2.size()) << what;
        for (size_t i = 0; i < r1.size(); ++i)
          ASSERT_NEAR(std::abs(r2[i]), std::abs(r1[i]), tol(t) * (1 + std::abs(r1[i])))
              << what << " R at " << i;
        expect_near(ops::triu(cpu(rg), 0), rg, 0, "R upper " + what);
        if (mode == ops::QrMode::R) {
          EXPECT_EQ(qg->numel(), 0) << what;
          continue;
        }
        ASSERT_EQ(qc->sizes(), qg->sizes()) << what;
        expect_orthonormal_columns(qg, tol(t), "Q " + what);
        expect_near(a, product(qg, rg), tol(t), "Q R " + what);
      }
    }
  }
}

TEST(CudaLinalg, SvdReconstructsWithTheCpusSingularValues) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    for (const Shape& sh : kRect) {
      const Tensor a = random_cpu(sh.sizes(), t);
      for (bool full : {false, true}) {
        const std::string what = str(dtype_name(t), " ", sh.sizes(), " full ", full);
        const auto c = ops::linalg_svd(a, full);
        const auto g = ops::linalg_svd(on_cuda(a), full);
        for (int i = 0; i < 3; ++i) {
          ASSERT_EQ(g[i]->device(), kCuda) << what;
          ASSERT_EQ(c[i]->sizes(), g[i]->sizes()) << what << " output " << i;
        }
        expect_near(c[1], g[1], tol(t), "S " + what);
        expect_orthonormal_columns(g[0], tol(t), "U " + what);
        expect_orthonormal_columns(mT(cpu(g[2])), tol(t), "Vh " + what);
        expect_near(a, from_svd(g[0], g[1], g[2]), tol(t), "U S Vh " + what);
      }
    }
  }
}

TEST(CudaLinalg, EighReconstructsWithTheCpusEigenvalues) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    for (const auto& [batch, n] : kSquare) {
      // Only the named triangle is read: the other holds noise that both backends must ignore.
      const Tensor s = spd(batch, n, t);
      DimVector sizes = batch;
      sizes.push_back(n);
      sizes.push_back(n);
      const Tensor noise = random_cpu(sizes, t);
      for (bool upper : {false, true}) {
        const std::string what = str(dtype_name(t), " batch ", batch, " n ", n, " upper ", upper);
        const Tensor a =
            upper ? ops::binary(ops::BinaryOp::Add, ops::triu(s, 0), ops::tril(noise, -1))
                  : ops::binary(ops::BinaryOp::Add, ops::tril(s, 0), ops::triu(noise, 1));
        const auto [wc, vc] = ops::linalg_eigh(a, upper);
        const auto [wg, vg] = ops::linalg_eigh(on_cuda(a), upper);
        ASSERT_EQ(vc->sizes(), vg->sizes()) << what;
        expect_near(wc, wg, tol(t), "eigenvalues " + what);
        expect_orthonormal_columns(vg, tol(t), "eigenvectors " + what);
        const Tensor rebuilt = ops::matmul(
            ops::binary(ops::BinaryOp::Mul, cpu(vg), ops::unsqueeze(cpu(wg), -2)), mT(cpu(vg)));
        expect_near(s, rebuilt, tol(t), "V diag(w) V^T " + what);
      }
    }
  }
}

TEST(CudaLinalg, LstsqAndPinvEqualTheCpus) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    // Tall (a unique least-squares solution) and wide (the minimum-norm one).
    for (const Shape& sh : kRect) {
      const std::string what = str(dtype_name(t), " ", sh.sizes());
      const Tensor a = random_cpu(sh.sizes(), t);
      DimVector bs = sh.batch;
      bs.push_back(sh.m);
      bs.push_back(2);
      const Tensor b = random_cpu(bs, t);
      expect_near(ops::linalg_lstsq(a, b), ops::linalg_lstsq(on_cuda(a), on_cuda(b)), tol(t),
                  "lstsq " + what);
      expect_near(ops::linalg_pinv(a, -1), ops::linalg_pinv(on_cuda(a), -1), tol(t),
                  "pinv " + what);
    }
    // Rank-deficient: an explicit cutoff far above rounding drops the zero singular value on
    // both backends alike.
    Tensor a = random_cpu({6, 4}, t);
    ops::copy_(ops::select(a, 1, 3), ops::select(a, 1, 0));
    expect_near(ops::linalg_pinv(a, 1e-3), ops::linalg_pinv(on_cuda(a), 1e-3), tol(t),
                "pinv rank-deficient");
  }
}

TEST(CudaLinalg, VectorAndMatrixNormsEqualTheCpus) {
  REQUIRE_CUDA();
  for (DType t : kLinalgTypes) {
    Tensor x = random_cpu({3, 4, 700}, t);
    ops::fill_(ops::select(ops::select(x, 0, 1), 0, 2), Scalar::from_float(0));
    const Tensor g = on_cuda(x);
    const int64_t last[] = {-1}, first_two[] = {0, 1};
    for (double ord : {2.0, 1.0, 3.0, 0.5, 0.0, double(INFINITY), -double(INFINITY)}) {
      for (bool keep : {false, true}) {
        const std::string what = str(dtype_name(t), " ord ", ord, " keepdim ", keep);
        expect_near(ops::linalg_vector_norm(x, ord, last, keep),
                    ops::linalg_vector_norm(g, ord, last, keep), tol(t), "rows " + what);
        expect_near(ops::linalg_vector_norm(x, ord, first_two, keep),
                    ops::linalg_vector_norm(g, ord, first_two, keep), tol(t), "columns " + what);
        expect_near(ops::linalg_vector_norm(x, ord, {}, keep),
                    ops::linalg_vector_norm(g, ord, {}, keep), tol(t), "all " + what);
      }
    }
    const Tensor m = random_cpu({2, 9, 6}, t);
    for (ops::MatrixNorm ord :
         {ops::MatrixNorm::Fro, ops::MatrixNorm::Nuc, ops::MatrixNorm::Two, ops::MatrixNorm::NegTwo,
          ops::MatrixNorm::One, ops::MatrixNorm::Inf}) {
      expect_near(ops::linalg_matrix_norm(m, ord, -2, -1, false),
                  ops::linalg_matrix_norm(on_cuda(m), ord, -2, -1, false), tol(t),
                  str("matrix_norm ", static_cast<int>(ord)));
    }
  }
}

// The gradient that autograd composes for logdet, inv(A)^T, against central differences of the
// GPU's own slogdet in float64.
TEST(CudaLinalg, SlogdetGradientMatchesFiniteDifferences) {
  REQUIRE_CUDA();
  const int64_t n = 5;
  const Tensor a = well_conditioned({}, n, DType::Float64);
  const std::vector<double> grad = values(mT(ops::linalg_inv(on_cuda(a))));
  const double h = 1e-6;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      auto logabs = [&](double delta) {
        Tensor p = ops::clone(a);
        const Tensor e = ops::select(ops::select(p, 0, i), 0, j);
        ops::fill_(e, Scalar::from_float(values(e)[0] + delta));
        return values(ops::linalg_slogdet(on_cuda(p)).second)[0];
      };
      const double fd = (logabs(h) - logabs(-h)) / (2 * h);
      EXPECT_NEAR(grad[static_cast<size_t>(i * n + j)], fd, 1e-6) << i << ", " << j;
    }
  }
}

}  // namespace
}  // namespace ember
