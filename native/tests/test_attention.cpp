// The fused scaled_dot_product_attention kernels against a naive float64 implementation written
// here (scores matrix, softmax, products), including the dropout mask rebuilt from the Philox
// contract of SdpaParams, and the op's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/attention.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

Tensor from(const std::vector<double>& v, const DimVector& sizes, DType dtype) {
  Tensor t = empty(sizes, DType::Float64, Device{});
  std::copy(v.begin(), v.end(), t->data_as<double>());
  return dtype == DType::Float64 ? t : ops::to_dtype(t, dtype);
}

std::vector<double> values(const Tensor& t) {
  const Tensor d = ops::contiguous(ops::to_dtype(t, DType::Float64));
  return {d->data_as<double>(), d->data_as<double>() + d->numel()};
}

std::vector<double> pattern(int64_t n, double seed) {
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = std::sin(0.37 * i + seed) * 1.3;
  return v;
}

// One (batch, L, S) problem with every operand already materialised per batch element.
struct Naive {
  int64_t B, L, S, E, Ev;
  std::vector<double> q, k, v;  // (B, L, E), (B, S, E), (B, S, Ev)
  std::vector<double> add;      // (B, L, S) additive mask (0 or -inf or values), may be empty
  std::vector<double> drop;     // (B, L, S) dropout factors, may be empty
  double scale;

  std::vector<double> probs() const {  // softmax rows, before dropout
    std::vector<double> p(B * L * S);
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t i = 0; i < L; ++i) {
        double* row = &p[(b * L + i) * S];
        double m = -INFINITY;
        for (int64_t j = 0; j < S; ++j) {
          double s = 0;
          for (int64_t e = 0; e < E; ++e) s += q[(b * L + i) * E + e] * k[(b * S + j) * E + e];
          row[j] = s * scale + (add.empty() ? 0 : add[(b * L + i) * S + j]);
          m = std::max(m, row[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < S; ++j) sum += row[j] = std::exp(row[j] - m);
        for (int64_t j = 0; j < S; ++j) row[j] /= sum;
      }
    }
    return p;
  }
  double z(int64_t idx) const { return drop.empty() ? 1 : drop[idx]; }

  std::vector<double> forward() const {
    const std::vector<double> p = probs();
    std::vector<double> out(B * L * Ev, 0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < L; ++i)
        for (int64_t j = 0; j < S; ++j) {
          const int64_t idx = (b * L + i) * S + j;
          for (int64_t e = 0; e < Ev; ++e)
            out[(b * L + i) * Ev + e] += p[idx] * z(idx) * v[(b * S + j) * Ev + e];
        }
    return out;
  }

  // Gradients of sum(out * g).
  void backward(const std::vector<double>& g, std::vector<double>& gq, std::vector<double>& gk,
                std::vector<double>& gv) const {
    const std::vector<double> p = probs();
    gq.assign(B * L * E, 0);
    gk.assign(B * S * E, 0);
    gv.assign(B * S * Ev, 0);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < L; ++i) {
        std::vector<double> dp(S);
        double dot = 0;
        for (int64_t j = 0; j < S; ++j) {
          const int64_t idx = (b * L + i) * S + j;
          double s = 0;
          for (int64_t e = 0; e < Ev; ++e) {
            s += g[(b * L + i) * Ev + e] * v[(b * S + j) * Ev + e];
            gv[(b * S + j) * Ev + e] += p[idx] * z(idx) * g[(b * L + i) * Ev + e];
          }
          dp[j] = s * z(idx);
          dot += dp[j] * p[idx];
        }
        for (int64_t j = 0; j < S; ++j) {
          const double ds = p[(b * L + i) * S + j] * (dp[j] - dot) * scale;
          for (int64_t e = 0; e < E; ++e) {
            gq[(b * L + i) * E + e] += ds * k[(b * S + j) * E + e];
            gk[(b * S + j) * E + e] += ds * q[(b * L + i) * E + e];
          }
        }
      }
  }
};

void expect_near(const std::vector<double>& got, const std::vector<double>& want, double tol,
                 const char* what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << what << " element " << i;
  }
}

struct Config {
  int64_t B, L, S, E, Ev;
  bool causal;
  int mask;  // 0 none, 1 bool (L, S), 2 float (B, 1, S) broadcast over rows
  double p;
};

void run(const Config& c, DType dtype, int threads) {
  SCOPED_TRACE(testing::Message() << "B=" << c.B << " L=" << c.L << " S=" << c.S
                                  << " causal=" << c.causal << " mask=" << c.mask << " p=" << c.p
                                  << " dtype=" << dtype_name(dtype) << " threads=" << threads);
  set_num_threads(threads);
  Naive n{c.B,
          c.L,
          c.S,
          c.E,
          c.Ev,
          pattern(c.B * c.L * c.E, 0.1),
          pattern(c.B * c.S * c.E, 0.7),
          pattern(c.B * c.S * c.Ev, 1.9),
          {},
          {},
          1 / std::sqrt(static_cast<double>(c.E))};
  Tensor mask;
  if (c.causal || c.mask) n.add.assign(c.B * c.L * c.S, 0);
  if (c.mask == 1) {
    Tensor m = empty({c.L, c.S}, DType::Bool, Device{});
    for (int64_t i = 0; i < c.L; ++i)
      for (int64_t j = 0; j < c.S; ++j) {
        const bool keep = j == 0 || (i * 5 + j * 3) % 7 != 0;
        m->data_as<bool>()[i * c.S + j] = keep;
        for (int64_t b = 0; b < c.B; ++b) n.add[(b * c.L + i) * c.S + j] = keep ? 0 : -INFINITY;
      }
    mask = m;
  } else if (c.mask == 2) {
    const std::vector<double> m = pattern(c.B * c.S, 2.3);
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t i = 0; i < c.L; ++i)
        for (int64_t j = 0; j < c.S; ++j) n.add[(b * c.L + i) * c.S + j] = m[b * c.S + j];
    mask = from(m, {c.B, 1, c.S}, dtype);
  }
  if (c.causal) {
    for (int64_t b = 0; b < c.B; ++b)
      for (int64_t i = 0; i < c.L; ++i)
        for (int64_t j = i + 1; j < c.S; ++j) n.add[(b * c.L + i) * c.S + j] = -INFINITY;
  }
  Generator gen(77);
  const Tensor q = from(n.q, {c.B, c.L, c.E}, dtype), k = from(n.k, {c.B, c.S, c.E}, dtype),
               v = from(n.v, {c.B, c.S, c.Ev}, dtype);
  const ops::SdpaResult r =
      ops::scaled_dot_product_attention(q, k, v, mask, c.p, c.causal, NAN, gen);
  if (c.p > 0) {  // the contract: element (b, i, j) is k = (b L + i) S + j, word k % 4 of k / 4
    n.drop.resize(c.B * c.L * c.S);
    const uint32_t threshold = static_cast<uint32_t>((1 - c.p) * 16777216.0);
    for (size_t idx = 0; idx < n.drop.size(); ++idx) {
      const Philox4 w = philox4x32(r.seed, r.base + idx / 4);
      n.drop[idx] = (w.v[idx % 4] >> 8) < threshold ? 1 / (1 - c.p) : 0;
    }
  }
  const double tol = dtype == DType::Float64 ? 1e-10 : dtype == DType::Float32 ? 2e-5 : 2e-2;
  expect_near(values(r.out), n.forward(), tol, "out");
  const std::vector<double> g = pattern(c.B * c.L * c.Ev, 3.1);
  const ops::SdpaGrads grads =
      ops::scaled_dot_product_attention_backward(from(g, {c.B, c.L, c.Ev}, dtype), q, k, v, mask,
                                                 r.out, r.lse, c.p, c.causal, NAN, r.seed, r.base);
  std::vector<double> gq, gk, gv;
  n.backward(g, gq, gk, gv);
  const double gtol = dtype == DType::Float64 ? 1e-9 : dtype == DType::Float32 ? 1e-4 : 5e-2;
  expect_near(values(grads.grad_q), gq, gtol, "grad_q");
  expect_near(values(grads.grad_k), gk, gtol, "grad_k");
  expect_near(values(grads.grad_v), gv, gtol, "grad_v");
}

TEST(Attention, MatchesNaiveReference) {
  const int saved = num_threads();
  const Config configs[] = {
      {2, 5, 7, 4, 3, false, 0, 0},      {3, 6, 6, 8, 5, true, 0, 0},
      {2, 7, 9, 3, 2, false, 1, 0},      {2, 4, 6, 5, 4, false, 2, 0},
      {1, 150, 200, 16, 8, false, 0, 0}, {2, 130, 130, 8, 6, true, 0, 0},
      {1, 70, 140, 8, 3, false, 1, 0},   {2, 9, 11, 4, 3, false, 0, 0.3},
      {1, 100, 90, 8, 5, true, 0, 0.5},
  };
  for (const Config& c : configs) {
    for (DType t : {DType::Float64, DType::Float32}) {
      for (int threads : {1, 2}) run(c, t, threads);
    }
  }
  run({2, 5, 7, 8, 3, false, 2, 0}, DType::Float16, 2);
  run({2, 5, 7, 8, 3, true, 0, 0}, DType::BFloat16, 2);
  set_num_threads(saved);
}

TEST(Attention, BroadcastBatchDimsSumTheGradients) {
  // q (2, 3, L, E) against k, v shared over the first dim: the gradients of k and v sum over it.
  const int64_t L = 4, S = 5, E = 3, Ev = 2;
  const Tensor q = from(pattern(2 * 3 * L * E, 0.2), {2, 3, L, E}, DType::Float64);
  const Tensor k = from(pattern(3 * S * E, 0.5), {3, S, E}, DType::Float64);
  const Tensor v = from(pattern(1 * 3 * S * Ev, 0.8), {1, 3, S, Ev}, DType::Float64);
  Generator gen(1);
  const ops::SdpaResult r =
      ops::scaled_dot_product_attention(q, k, v, Tensor(), 0, false, 0.6, gen);
  ASSERT_EQ(r.out->sizes(), (DimVector{2, 3, L, Ev}));
  const Tensor g = from(pattern(2 * 3 * L * Ev, 1.1), {2, 3, L, Ev}, DType::Float64);
  const ops::SdpaGrads grads = ops::scaled_dot_product_attention_backward(
      g, q, k, v, Tensor(), r.out, r.lse, 0, false, 0.6, 0, 0);
  ASSERT_EQ(grads.grad_k->sizes(), k->sizes());
  ASSERT_EQ(grads.grad_v->sizes(), v->sizes());
  // Against the same problem with k and v materialised per batch element.
  const DimVector full_k{2, 3, S, E}, full_v{2, 3, S, Ev};
  const Tensor ke = ops::contiguous(ops::expand(k, full_k));
  const Tensor ve = ops::contiguous(ops::expand(v, full_v));
  const ops::SdpaResult re =
      ops::scaled_dot_product_attention(q, ke, ve, Tensor(), 0, false, 0.6, gen);
  expect_near(values(r.out), values(re.out), 1e-12, "out");
  const ops::SdpaGrads ge = ops::scaled_dot_product_attention_backward(
      g, q, ke, ve, Tensor(), re.out, re.lse, 0, false, 0.6, 0, 0);
  const int64_t sum_dims[] = {0};
  expect_near(values(grads.grad_k), values(ops::sum(ge.grad_k, sum_dims, false)), 1e-12, "grad_k");
  expect_near(values(grads.grad_v), values(ops::sum(ge.grad_v, sum_dims, true)), 1e-12, "grad_v");
  expect_near(values(grads.grad_q), values(ge.grad_q), 1e-12, "grad_q");
}

TEST(Attention, ErrorsNameTheOpAndShapes) {
  Generator gen(1);
  const Tensor q = ops::zeros({2, 4, 3}, DType::Float32, Device{});
  const Tensor k = ops::zeros({2, 5, 4}, DType::Float32, Device{});
  const Tensor v = ops::zeros({2, 5, 2}, DType::Float32, Device{});
  try {
    ops::scaled_dot_product_attention(q, k, v, Tensor(), 0, false, NAN, gen);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_SHAPE);
    EXPECT_NE(std::string(e.what()).find("scaled_dot_product_attention"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("[2, 5, 4]"), std::string::npos) << e.what();
  }
  const Tensor k2 = ops::zeros({2, 5, 3}, DType::Float32, Device{});
  const Tensor bad_mask = ops::zeros({4, 6}, DType::Bool, Device{});
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k2, v, bad_mask, 0, false, NAN, gen), Error);
  const Tensor mask = ops::zeros({4, 5}, DType::Bool, Device{});
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k2, v, mask, 0, true, NAN, gen), Error);
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k2, v, Tensor(), 1.5, false, NAN, gen), Error);
  const Tensor vd = ops::zeros({2, 5, 2}, DType::Float64, Device{});
  EXPECT_THROW(ops::scaled_dot_product_attention(q, k2, vd, Tensor(), 0, false, NAN, gen), Error);
}

TEST(Attention, FullyMaskedRowsAreNaN) {
  Generator gen(1);
  const Tensor q = from(pattern(2 * 3, 0), {2, 3}, DType::Float32);
  const Tensor k = from(pattern(4 * 3, 1), {4, 3}, DType::Float32);
  const Tensor v = from(pattern(4 * 2, 2), {4, 2}, DType::Float32);
  Tensor mask = ops::zeros({2, 4}, DType::Bool, Device{});
  mask->data_as<bool>()[1] = true;  // row 0 keeps key 1; row 1 keeps nothing
  const ops::SdpaResult r = ops::scaled_dot_product_attention(q, k, v, mask, 0, false, NAN, gen);
  const std::vector<double> out = values(r.out);
  EXPECT_NEAR(out[0], values(v)[2], 1e-6);
  EXPECT_TRUE(std::isnan(out[2]) && std::isnan(out[3]));
}

}  // namespace
}  // namespace ember
