// The math, reduction, scan and random ops (core/ops_math.h) on large inputs against float64
// references computed here, thread-count independence, and the error cases. Values of the small
// cases are checked against PyTorch in the managed tests (tests/Ember.Tests/MathReferenceTests.cs).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/ops_math.h"
#include "core/parallel.h"
#include "tensor_values.h"

namespace ember {
namespace {

using test_util::as_doubles;
using test_util::tensor_of;

using ops::MathBinaryOp;
using ops::MathUnaryOp;

const Device kCpu{};

std::vector<double> lcg_values(int64_t n, uint64_t seed, double lo = -1, double hi = 1) {
  std::vector<double> v(static_cast<size_t>(n));
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = lo + static_cast<double>(s >> 11) * 0x1p-53 * (hi - lo);
  }
  return v;
}

class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

std::string error_of(const std::function<void()>& f, ember_status expected) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error thrown";
  return "";
}

// Units in the last place of float between a and the exact value e.
double float_ulps(float a, double e) {
  const double ulp = std::ldexp(1.0, std::max(std::ilogb(static_cast<float>(e)), -126) - 23);
  return std::fabs(static_cast<double>(a) - e) / ulp;
}

// ---- vectorized exp and log ----

TEST(OpsMath, Float32ExpAndLogAreWithinTwoUlpsOverTheirRange) {
  const int64_t n = 1 << 20;
  const std::vector<double> xe = lcg_values(n, 3, -103.0, 88.7);
  const std::vector<double> xl = lcg_values(n, 5, -90.0, 88.0);  // log of e^u
  std::vector<double> lv(xl.size());
  for (size_t i = 0; i < xl.size(); ++i) lv[i] = static_cast<float>(std::exp(xl[i]));
  const Tensor e = ops::unary(ops::UnaryOp::Exp, tensor_of(DimVector{n}, DType::Float32, xe));
  const Tensor l = ops::unary(ops::UnaryOp::Log, tensor_of(DimVector{n}, DType::Float32, lv));
  const float* ep = e->data_as<float>();
  const float* lp = l->data_as<float>();
  double worst_e = 0, worst_l = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double xf = static_cast<float>(xe[i]);
    worst_e = std::max(worst_e, float_ulps(ep[i], std::exp(xf)));
    worst_l = std::max(worst_l,
                       float_ulps(lp[i], std::log(static_cast<double>(static_cast<float>(lv[i])))));
  }
  EXPECT_LE(worst_e, 2.0);
  EXPECT_LE(worst_l, 2.0);
}

TEST(OpsMath, Float32ExpAndLogSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const Tensor x =
      tensor_of(DimVector{7}, DType::Float32, {88.8, -104.0, std::nan(""), inf, -inf, 0.0, -1.0});
  const std::vector<double> e = as_doubles(ops::unary(ops::UnaryOp::Exp, x));
  EXPECT_EQ(e[0], inf);
  EXPECT_EQ(e[1], 0.0);
  EXPECT_TRUE(std::isnan(e[2]));
  EXPECT_EQ(e[3], inf);
  EXPECT_EQ(e[4], 0.0);
  EXPECT_EQ(e[5], 1.0);
  const std::vector<double> l = as_doubles(ops::unary(ops::UnaryOp::Log, x));
  EXPECT_TRUE(std::isnan(l[2]));
  EXPECT_EQ(l[3], inf);
  EXPECT_EQ(l[5], -inf);
  EXPECT_TRUE(std::isnan(l[6]));
  // Subnormal inputs of log and subnormal results of exp.
  const Tensor tiny = tensor_of(DimVector{2}, DType::Float32, {1e-40, 1e-45});
  const std::vector<double> lt = as_doubles(ops::unary(ops::UnaryOp::Log, tiny));
  EXPECT_NEAR(lt[0], std::log(static_cast<double>(1e-40f)), 1e-5);
  EXPECT_NEAR(lt[1], std::log(static_cast<double>(1e-45f)), 1e-5);
  const std::vector<double> es =
      as_doubles(ops::unary(ops::UnaryOp::Exp, tensor_of(DimVector{1}, DType::Float32, {-95.0})));
  EXPECT_NEAR(es[0], static_cast<double>(std::exp(-95.0f)), 1e-44);
}

TEST(OpsMath, UnaryOnTransposedInputsInParallel) {
  const std::vector<double> v = lcg_values(600 * 700, 9, -3, 3);
  const Tensor x = ops::transpose(tensor_of(DimVector{600, 700}, DType::Float64, v), 0, 1);
  const Tensor s = ops::math_unary(MathUnaryOp::Sin, x);
  const Tensor g = ops::math_unary(MathUnaryOp::Gelu, x);
  const std::vector<double> sv = as_doubles(s), gv = as_doubles(g);
  for (int64_t i = 0; i < 700; ++i) {
    for (int64_t j = 0; j < 600; ++j) {
      const double xv = v[j * 700 + i];
      ASSERT_DOUBLE_EQ(sv[i * 600 + j], std::sin(xv));
      ASSERT_NEAR(gv[i * 600 + j], 0.5 * xv * (1 + std::erf(xv / std::sqrt(2.0))), 1e-15);
    }
  }
}

TEST(OpsMath, ErfinvInvertsErf) {
  const std::vector<double> v = lcg_values(10001, 4, -0.999999, 0.999999);
  const std::vector<double> r = as_doubles(
      ops::math_unary(MathUnaryOp::Erfinv, tensor_of(DimVector{10001}, DType::Float64, v)));
  for (size_t i = 0; i < v.size(); ++i) ASSERT_NEAR(std::erf(r[i]), v[i], 1e-15) << v[i];
}

// ---- reductions ----

TEST(OpsMath, ReductionsOverEveryDimLayout) {
  const DimVector sizes{23, 31, 41};
  const std::vector<double> v = lcg_values(23 * 31 * 41, 7, -1.5, 1.5);
  const std::vector<std::vector<int64_t>> dim_sets = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {}};
  for (DType dt : {DType::Float64, DType::Float32, DType::BFloat16}) {
    const Tensor x = tensor_of(sizes, dt, v);
    const std::vector<double> xv = as_doubles(x);
    const double tol = dt == DType::Float64 ? 1e-12 : dt == DType::Float32 ? 2e-5 : 1e-2;
    for (const auto& dims : dim_sets) {
      // Reference: fold the elements of each output with index arithmetic.
      auto reduced = [&](int64_t d) {
        return dims.empty() || std::count(dims.begin(), dims.end(), d);
      };
      const int64_t o1 = reduced(1) ? 1 : 31, o2 = reduced(2) ? 1 : 41, o0 = reduced(0) ? 1 : 23;
      std::vector<std::vector<double>> groups(static_cast<size_t>(o0 * o1 * o2));
      for (int64_t i = 0; i < 23; ++i)
        for (int64_t j = 0; j < 31; ++j)
          for (int64_t k = 0; k < 41; ++k) {
            const int64_t o =
                ((reduced(0) ? 0 : i) * o1 + (reduced(1) ? 0 : j)) * o2 + (reduced(2) ? 0 : k);
            groups[o].push_back(xv[(i * 31 + j) * 41 + k]);
          }
      const std::vector<double> amax = as_doubles(ops::amax(x, dims, true));
      const std::vector<double> var = as_doubles(ops::var(x, dims, 1.0, true));
      const std::vector<double> n3 = as_doubles(ops::norm(x, 3.0, dims, true));
      const std::vector<double> lse = as_doubles(ops::logsumexp(x, dims, true));
      for (size_t o = 0; o < groups.size(); ++o) {
        const auto& g = groups[o];
        double mx = -INFINITY, mean = 0, p3 = 0, se = 0;
        for (double e : g) {
          mx = std::max(mx, e);
          mean += e;
          p3 += std::pow(std::fabs(e), 3.0);
        }
        mean /= static_cast<double>(g.size());
        double m2 = 0;
        for (double e : g) {
          m2 += (e - mean) * (e - mean);
          se += std::exp(e - mx);
        }
        ASSERT_EQ(amax[o], mx);
        ASSERT_NEAR(var[o], m2 / static_cast<double>(g.size() - 1), tol * 10) << dtype_name(dt);
        ASSERT_NEAR(n3[o], std::cbrt(p3), tol * std::cbrt(p3) * 10) << dtype_name(dt);
        ASSERT_NEAR(lse[o], mx + std::log(se), tol * 10) << dtype_name(dt);
      }
    }
  }
}

TEST(OpsMath, Float16ReductionsAccumulateInFloat32) {
  // 40000 ones: a float16 accumulator would stop at 2048.
  const Tensor ones = ops::full(DimVector{40000}, Scalar::from_int(1), DType::Float16, kCpu);
  EXPECT_EQ(as_doubles(ops::norm(ones, 1.0, {}, false))[0], 40000.0);
  EXPECT_EQ(as_doubles(ops::count_nonzero(ones, {}))[0], 40000.0);
  EXPECT_NEAR(as_doubles(ops::norm(ones, 2.0, {}, false))[0], 200.0, 0.1);
  const Tensor cs = ops::cumsum(ones, 0, std::nullopt);
  EXPECT_EQ(cs->dtype(), DType::Float16);
  // A float16 running sum would stop at 2048; rounding each float32 partial sum to float16 is
  // within half a float16 step (1 near 2500, 16 near 40000).
  EXPECT_NEAR(as_doubles(cs)[2500], 2501.0, 1.0);
  EXPECT_NEAR(as_doubles(cs)[39999], 40000.0, 16.0);
}

TEST(OpsMath, ScansAndArgReductionsOnLargeInputsDoNotDependOnThreads) {
  const DimVector sizes{300, 257};
  const std::vector<double> v = lcg_values(300 * 257, 13);
  const Tensor x = tensor_of(sizes, DType::Float64, v);
  for (int64_t dim : {0, 1}) {
    std::vector<double> one, two;
    {
      ThreadCount tc(1);
      one = as_doubles(ops::cumsum(x, dim, std::nullopt));
    }
    {
      ThreadCount tc(2);
      two = as_doubles(ops::cumsum(x, dim, std::nullopt));
    }
    EXPECT_EQ(one, two);
    const std::vector<double> mins = as_doubles(ops::min_dim(x, dim, false).second);
    for (int64_t o = 0; o < (dim == 0 ? 257 : 300); ++o) {
      double acc = 0, best = INFINITY;
      int64_t at = 0;
      for (int64_t d = 0; d < (dim == 0 ? 300 : 257); ++d) {
        const int64_t idx = dim == 0 ? d * 257 + o : o * 257 + d;
        acc += v[idx];
        if (v[idx] < best) {
          best = v[idx];
          at = d;
        }
        ASSERT_NEAR(one[idx], acc, 1e-12);
      }
      ASSERT_EQ(mins[o], static_cast<double>(at));
    }
  }
}

TEST(OpsMath, MedianAndModeAgainstSorting) {
  const std::vector<double> v = lcg_values(64 * 33, 21, 0, 10);
  std::vector<double> rounded(v.size());
  for (size_t i = 0; i < v.size(); ++i) rounded[i] = std::floor(v[i]);
  const Tensor x = tensor_of(DimVector{64, 33}, DType::Float32, rounded);
  const auto [med, med_i] = ops::median_dim(x, 1, false);
  const auto [mode, mode_i] = ops::mode(x, 1, false);
  const std::vector<double> mv = as_doubles(med), mi = as_doubles(med_i), dv = as_doubles(mode),
                            di = as_doubles(mode_i);
  for (int64_t r = 0; r < 64; ++r) {
    std::vector<double> row(rounded.begin() + r * 33, rounded.begin() + (r + 1) * 33);
    ASSERT_EQ(row[static_cast<size_t>(mi[r])], mv[r]);
    ASSERT_EQ(row[static_cast<size_t>(di[r])], dv[r]);
    std::vector<double> sorted = row;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(mv[r], sorted[16]);
    int64_t best = 0;
    double best_v = 0;
    for (double c : sorted) {
      const int64_t k = std::count(sorted.begin(), sorted.end(), c);
      if (k > best) {
        best = k;
        best_v = c;
      }
    }
    ASSERT_EQ(dv[r], best_v);
  }
}

// ---- random ----

TEST(OpsMathRandom, FillsRepeatAndDoNotDependOnThreads) {
  auto run = [](int threads, auto fn) {
    ThreadCount tc(threads);
    Generator gen(99);
    return as_doubles(fn(gen));
  };
  const std::vector<std::function<Tensor(Generator&)>> draws = {
      [](Generator& g) { return ops::randint(-5, 17, DimVector{100003}, DType::Int64, kCpu, g); },
      [](Generator& g) { return ops::randperm(5001, DType::Int64, kCpu, g); },
      [](Generator& g) {
        Tensor t = empty(DimVector{100003}, DType::Float32, kCpu);
        ops::normal_(t, 2.0, 3.0, g);
        return t;
      },
      [](Generator& g) {
        Tensor t = empty(DimVector{100003}, DType::Float64, kCpu);
        ops::exponential_(t, 4.0, g);
        return t;
      },
      [](Generator& g) {
        Tensor t = empty(DimVector{100003}, DType::BFloat16, kCpu);
        ops::uniform_(t, -2.0, 5.0, g);
        return t;
      },
      [](Generator& g) {
        Tensor t = empty(DimVector{100003}, DType::UInt8, kCpu);
        ops::bernoulli_(t, 0.3, g);
        return t;
      },
      [](Generator& g) {
        const Tensor p = ops::full(DimVector{7, 40}, Scalar::from_float(1.0), DType::Float32, kCpu);
        return ops::multinomial(p, 30, false, g);
      },
  };
  for (size_t k = 0; k < draws.size(); ++k) {
    const std::vector<double> one = run(1, draws[k]), two = run(2, draws[k]);
    EXPECT_EQ(one, two) << "draw " << k;
  }
  // Statistics of the fills above.
  const std::vector<double> ri = run(2, draws[0]);
  EXPECT_EQ(*std::min_element(ri.begin(), ri.end()), -5);
  EXPECT_EQ(*std::max_element(ri.begin(), ri.end()), 16);
  std::vector<double> perm = run(2, draws[1]);
  std::sort(perm.begin(), perm.end());
  for (size_t i = 0; i < perm.size(); ++i) ASSERT_EQ(perm[i], static_cast<double>(i));
  auto mean_var = [](const std::vector<double>& v) {
    double m = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()), s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::pair{m, s / static_cast<double>(v.size())};
  };
  const auto [nm, nv] = mean_var(run(2, draws[2]));
  EXPECT_NEAR(nm, 2.0, 0.05);
  EXPECT_NEAR(nv, 9.0, 0.2);
  const auto [em, ev] = mean_var(run(2, draws[3]));
  EXPECT_NEAR(em, 0.25, 0.005);
  EXPECT_NEAR(ev, 0.0625, 0.003);
  const std::vector<double> u = run(2, draws[4]);
  EXPECT_GE(*std::min_element(u.begin(), u.end()), -2.0);
  EXPECT_LE(*std::max_element(u.begin(), u.end()), 5.0);
  const auto [bm, bv] = mean_var(run(2, draws[5]));
  EXPECT_NEAR(bm, 0.3, 0.01);
  // Without replacement every row holds distinct categories.
  const std::vector<double> mn = run(2, draws[6]);
  for (int r = 0; r < 7; ++r) {
    std::vector<double> row(mn.begin() + r * 30, mn.begin() + (r + 1) * 30);
    std::sort(row.begin(), row.end());
    EXPECT_EQ(std::unique(row.begin(), row.end()), row.end());
  }
}

TEST(OpsMathRandom, MultinomialFollowsTheWeights) {
  Generator gen(5);
  const Tensor w = tensor_of(DimVector{4}, DType::Float64, {1.0, 0.0, 3.0, 6.0});
  const std::vector<double> s = as_doubles(ops::multinomial(w, 100000, true, gen));
  std::vector<double> count(4);
  for (double c : s) count[static_cast<size_t>(c)] += 1;
  EXPECT_EQ(count[1], 0);
  EXPECT_NEAR(count[0] / 1e5, 0.1, 0.005);
  EXPECT_NEAR(count[2] / 1e5, 0.3, 0.01);
  EXPECT_NEAR(count[3] / 1e5, 0.6, 0.01);
  // Without replacement, the first draw follows the weights too.
  std::vector<double> first(4);
  for (int i = 0; i < 20000; ++i)
    first[static_cast<size_t>(as_doubles(ops::multinomial(w, 2, false, gen))[0])] += 1;
  EXPECT_NEAR(first[3] / 2e4, 0.6, 0.015);
  EXPECT_EQ(first[1], 0);
}

TEST(OpsMathRandom, BernoulliAndNormalWithTensorArguments) {
  Generator gen(3);
  const Tensor p = tensor_of(DimVector{3, 20000}, DType::Float32, std::vector<double>(60000, 0.0));
  ops::fill_(ops::select(p, 0, 1), Scalar::from_float(1.0));
  ops::fill_(ops::select(p, 0, 2), Scalar::from_float(0.25));
  const std::vector<double> b = as_doubles(ops::bernoulli(p, gen));
  EXPECT_EQ(std::accumulate(b.begin(), b.begin() + 20000, 0.0), 0.0);
  EXPECT_EQ(std::accumulate(b.begin() + 20000, b.begin() + 40000, 0.0), 20000.0);
  EXPECT_NEAR(std::accumulate(b.begin() + 40000, b.end(), 0.0) / 20000, 0.25, 0.015);
  const Tensor mean = tensor_of(DimVector{2, 1}, DType::Float64, {-3.0, 10.0});
  const Tensor std = tensor_of(DimVector{50000}, DType::Float64, std::vector<double>(50000, 0.5));
  const Tensor n = ops::normal(mean, std, gen);
  ASSERT_EQ(n->sizes(), (DimVector{2, 50000}));
  const std::vector<double> nv = as_doubles(n);
  EXPECT_NEAR(std::accumulate(nv.begin(), nv.begin() + 50000, 0.0) / 50000, -3.0, 0.02);
  EXPECT_NEAR(std::accumulate(nv.begin() + 50000, nv.end(), 0.0) / 50000, 10.0, 0.02);
}

TEST(OpsMathRandom, InPlaceFillsOfNonContiguousViews) {
  Generator gen(8);
  const Tensor t = ops::zeros(DimVector{40, 50}, DType::Float32, kCpu);
  const Tensor view = ops::slice(ops::transpose(t, 0, 1), 0, 0, 50, 2);
  ops::uniform_(view, 1.0, 2.0, gen);
  const std::vector<double> all = as_doubles(t);
  for (int64_t i = 0; i < 40; ++i) {
    for (int64_t j = 0; j < 50; ++j) {
      const double x = all[i * 50 + j];
      if (j % 2 == 0) {
        ASSERT_TRUE(x >= 1.0 && x < 2.0) << x;
      } else {
        ASSERT_EQ(x, 0.0);
      }
    }
  }
}

// ---- errors ----

TEST(OpsMathErrors, MessagesNameOpShapesAndDtypes) {
  const Tensor i = tensor_of(DimVector{3}, DType::Int32, {1, 2, 3});
  const Tensor z = tensor_of(DimVector{3}, DType::Int32, {1, 0, 1});
  const Tensor f = tensor_of(DimVector{2, 3}, DType::Float32, {1, 2, 3, 4, 5, 6});
  std::string msg =
      error_of([&] { ops::math_binary(MathBinaryOp::Fmod, i, z); }, EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("fmod: ZeroDivisionError"), std::string::npos) << msg;
  msg = error_of([&] { ops::math_binary_scalar(MathBinaryOp::Remainder, i, Scalar::from_int(0)); },
                 EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("remainder: ZeroDivisionError"), std::string::npos) << msg;
  ops::MathParams p;
  p.p[0] = Scalar::from_int(-1);
  msg = error_of([&] { ops::math_unary(MathUnaryOp::PowScalar, i, p); },
                 EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("Integers to negative integer powers are not allowed"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("[3] int32"), std::string::npos) << msg;
  msg = error_of([&] { ops::math_binary(MathBinaryOp::BitwiseAnd, f, i); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(
      msg.find("bitwise_and: takes integer or bool tensors, got [2, 3] float32 and [3] int32"),
      std::string::npos)
      << msg;
  const Tensor g = tensor_of(DimVector{4}, DType::Float32, {1, 2, 3, 4});
  msg = error_of([&] { ops::math_binary(MathBinaryOp::Atan2, f, g); }, EMBER_ERROR_SHAPE);
  EXPECT_NE(msg.find("atan2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 3] float32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[4] float32"), std::string::npos) << msg;
  msg = error_of([&] { ops::math_unary(MathUnaryOp::Silu, i); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("silu: takes a floating tensor"), std::string::npos) << msg;
  msg = error_of([&] { ops::math_unary_(MathUnaryOp::Sqrt, i); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("sqrt_: result type float32 can't be cast to the desired output type int32"),
            std::string::npos)
      << msg;
  const Tensor empty_rows = ops::zeros(DimVector{0, 3}, DType::Float32, kCpu);
  const int64_t dim0[] = {0};
  msg = error_of([&] { ops::amax(empty_rows, dim0, false); }, EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("amax: Expected reduction dim to have non-zero size"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("[0, 3] float32"), std::string::npos) << msg;
  msg = error_of([&] { ops::where(f, f, f); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("where: the condition must be a bool tensor, got [2, 3] float32"),
            std::string::npos)
      << msg;
  Generator gen(1);
  const Tensor bad = tensor_of(DimVector{3}, DType::Float32, {0.5, -1.0, 0.5});
  msg = error_of([&] { ops::multinomial(bad, 1, true, gen); }, EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("multinomial: probability tensor contains either inf, nan or element < 0"),
            std::string::npos)
      << msg;
  msg = error_of([&] { ops::multinomial(g, 5, false, gen); }, EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("cannot sample n_sample > prob_dist.size(-1) samples without replacement"),
            std::string::npos)
      << msg;
  msg = error_of([&] { ops::randint(3, 3, DimVector{2}, DType::Int64, kCpu, gen); },
                 EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("randint: random_ expects 'from' to be less than 'to'"), std::string::npos)
      << msg;
  msg = error_of([&] { ops::var(i, {}, 1.0, false); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("var: takes a floating tensor"), std::string::npos) << msg;
  msg = error_of([&] { ops::lerp(f, f, i); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("lerp: expected floating tensors of one dtype"), std::string::npos) << msg;
}

TEST(OpsMathErrors, FailedInPlaceOpLeavesItsInputUnchanged) {
  const Tensor i = tensor_of(DimVector{3}, DType::Int32, {4, 5, 6});
  const Tensor z = tensor_of(DimVector{3}, DType::Int32, {1, 1, 0});
  const int64_t before = i->storage()->version();
  EXPECT_THROW(ops::math_binary_(MathBinaryOp::Fmod, i, z), Error);
  EXPECT_EQ(as_doubles(i)[0], 4.0);
  EXPECT_EQ(i->storage()->version(), before);
}

}  // namespace
}  // namespace ember
