// Linear algebra (core/ops_linalg.h): products and einsum against hand-computed values, LAPACK
// results checked by identities (A A^-1 = I, L L^T = A, ...), and errors for singular input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops.h"
#include "core/ops_linalg.h"
#include "core/ops_shape.h"

namespace ember {
namespace {

const Device kCpu{};
using V = std::vector<double>;

Tensor from(std::initializer_list<double> v, const DimVector& sizes, DType dtype = DType::Float64) {
  Tensor t = empty(sizes, DType::Float64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<double>());
  return ops::to_dtype(t, dtype);
}

V values(const Tensor& t) {
  Tensor c = ops::contiguous(ops::to_dtype(t, DType::Float64));
  const double* p = c->data_as<double>();
  return V(p, p + c->numel());
}

void expect_near(const Tensor& t, const V& expected, double tol = 1e-10) {
  const V v = values(t);
  ASSERT_EQ(v.size(), expected.size());
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(v[i], expected[i], tol) << "element " << i;
}

TEST(Linalg, ProductsAndEinsum) {
  Tensor a = from({1, 2, 3, 4}, {2, 2}), b = from({5, 6, 7, 8}, {2, 2});
  expect_near(ops::mm(a, b), {19, 22, 43, 50});
  expect_near(ops::addmm(from({1, 1}, {2}), a, b, Scalar::from_int(2), Scalar::from_float(0.5)),
              {11.5, 13, 23.5, 27});
  expect_near(ops::kron(from({1, 2}, {2}), from({1, 10}, {2})), {1, 10, 2, 20});
  expect_near(ops::trace(a), {5});
  const std::vector<Tensor> ab{a, b};
  expect_near(ops::einsum("ij,jk->ik", ab), {19, 22, 43, 50});
  expect_near(ops::einsum("ij,ij", ab), {70});
  const std::vector<Tensor> one{a};
  expect_near(ops::einsum("ii->i", one), {1, 4});
  expect_near(ops::einsum("ji", one), {1, 3, 2, 4});
  try {
    ops::einsum("ij,jk->ik", one);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("einsum"), std::string::npos);
  }
}

TEST(Linalg, LapackIdentities) {
  Tensor a = from({4, 1, 2, 1, 3, 0, 2, 0, 5}, {3, 3});  // symmetric positive-definite
  expect_near(ops::matmul(a, ops::linalg_inv(a)), {1, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_near(ops::linalg_det(a), {4 * 15 - 1 * 5 + 2 * (0 - 6)});
  Tensor l = ops::linalg_cholesky(a, false);
  expect_near(ops::matmul(l, ops::transpose(l, 0, 1)), values(a));
  EXPECT_EQ(values(l)[1], 0.0);  // upper triangle zero
  Tensor x = ops::linalg_solve(a, from({1, 2, 3}, {3}));
  expect_near(ops::matmul(a, x), {1, 2, 3});
  auto [w, v] = ops::linalg_eigh(a, false);
  const V ws = values(w);
  EXPECT_LT(ws[0], ws[1]);
  EXPECT_LT(ws[1], ws[2]);
  auto svd = ops::linalg_svd(from({3, 0, 0, -2}, {2, 2}), false);
  expect_near(svd[1], {3, 2});
  auto [q, r] = ops::linalg_qr(from({1, 2, 3, 4, 5, 6}, {3, 2}), ops::QrMode::Reduced);
  expect_near(ops::matmul(q, r), {1, 2, 3, 4, 5, 6});
  expect_near(ops::linalg_pinv(from({2, 0, 0, 0}, {2, 2}), -1), {0.5, 0, 0, 0});
  expect_near(ops::linalg_lstsq(from({1, 0, 0, 1, 1, 1}, {3, 2}), from({1, 2, 3}, {3})), {1, 2});
  const int64_t all[] = {0, 1};
  expect_near(ops::linalg_vector_norm(from({3, 4}, {2}), 2, {}, false), {5});
  expect_near(ops::linalg_vector_norm(from({3, -4, 1, 0}, {2, 2}), INFINITY, all, false), {4});
}

TEST(Linalg, SingularAndBadInputAreErrors) {
  Tensor s = from({1, 2, 2, 4}, {2, 2});
  try {
    ops::linalg_inv(s);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(e.what()).find("singular"), std::string::npos) << e.what();
  }
  expect_near(ops::linalg_det(s), {0});
  try {
    ops::linalg_cholesky(from({-1, 0, 0, 1}, {2, 2}), false);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("positive-definite"), std::string::npos);
  }
  try {
    ops::linalg_inv(from({1, 2}, {2}, DType::Int64));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("linalg.inv"), std::string::npos);
  }
}

}  // namespace
}  // namespace ember
