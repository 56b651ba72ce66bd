// The CUDA plugin's ctc_loss (forward and backward) and unique against the CPU backend. Skips
// without the plugin (see cuda_test_util.h).
#include <cmath>
#include <string>
#include <vector>

#include "core/ops_loss.h"
#include "core/ops_math.h"
#include "core/ops_sort.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

Tensor int64s(const std::vector<int64_t>& v) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Int64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<int64_t>());
  return t;
}

Tensor int64s(const DimVector& sizes, const std::vector<int64_t>& v) {
  return ops::reshape(int64s(v), sizes);
}

struct CtcCase {
  int64_t time, classes, blank;
  std::vector<int64_t> input_lengths, target_lengths;
  bool padded;
  std::vector<int64_t>
      targets;  // padded: n rows of max(target_lengths) (filler 1), else concatenated
};

const CtcCase kCtcCases[] = {
    // Repeated labels (they need a blank between), an empty target, a shorter input.
    {12, 5, 0, {12, 12, 9}, {4, 0, 3}, true, {1, 1, 2, 3, 1, 1, 1, 1, 4, 4, 2, 1}},
    {12, 5, 0, {12, 12, 9}, {4, 0, 3}, false, {1, 1, 2, 3, 4, 4, 2}},
    // Blank not 0; one sequence cannot be aligned (target longer than its input): infinite loss.
    {6, 7, 3, {6, 2, 5}, {2, 4, 5}, false, {0, 1, 2, 4, 5, 6, 1, 2, 1, 6, 6}},
    // A longer sequence with a target over more positions than one block of threads.
    {400, 40, 0, {400, 390}, {150, 140}, true, {}},
    // An empty input.
    {5, 4, 0, {0, 5}, {0, 2}, false, {1, 2}},
};

std::vector<int64_t> long_targets(const CtcCase& c) {
  // Labels 1..classes-1 in a pattern with repeats, padded to the longest target.
  std::vector<int64_t> t;
  int64_t longest = 0;
  for (int64_t l : c.target_lengths) longest = std::max(longest, l);
  for (size_t b = 0; b < c.target_lengths.size(); ++b) {
    for (int64_t k = 0; k < longest; ++k)
      t.push_back(1 + (k * 7 + static_cast<int64_t>(b)) / 3 % (c.classes - 1));
  }
  return t;
}

// expect_same for results that may be infinite (impossible alignments, masked log_alpha entries):
// equal infinities match; f64_tol bounds float64, whose long log-space sums the devices round in
// other orders.
void expect_same_inf(const Tensor& cpu, const Tensor& cuda, const std::string& what,
                     double f64_tol = 1e-9) {
  ASSERT_EQ(cuda->device(), kCuda) << what;
  ASSERT_EQ(cpu->dtype(), cuda->dtype()) << what;
  ASSERT_EQ(cpu->sizes(), cuda->sizes()) << what;
  const double tol = cpu->dtype() == DType::Float64 ? f64_tol : tolerance(cpu->dtype());
  const std::vector<double> a = values(cpu), b = values(cuda);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      ASSERT_TRUE(std::isnan(b[i])) << what << " at " << i;
    } else if (std::isinf(a[i])) {
      ASSERT_EQ(b[i], a[i]) << what << " at " << i;
    } else {
      ASSERT_NEAR(b[i], a[i], tol * (1 + std::abs(a[i]))) << what << " at " << i;
    }
  }
}

void run_ctc(const CtcCase& c, DType t, bool zero_infinity) {
  const int64_t n = static_cast<int64_t>(c.input_lengths.size());
  SCOPED_TRACE(std::string(dtype_name(t)) + " T=" + std::to_string(c.time) +
               " C=" + std::to_string(c.classes) + (c.padded ? " padded" : " concatenated") +
               (zero_infinity ? " zero_infinity" : ""));
  const Tensor lp = ops::log_softmax(random_cpu({c.time, n, c.classes}, t), 2);
  const std::vector<int64_t> tv = c.targets.empty() ? long_targets(c) : c.targets;
  int64_t longest = 0;
  for (int64_t l : c.target_lengths) longest = std::max(longest, l);
  const Tensor targets = c.padded ? int64s({n, longest}, tv) : int64s(tv);
  const Tensor il = int64s(c.input_lengths), tl = int64s(c.target_lengths);
  const auto [nll, alpha] = ops::ctc_loss(lp, targets, il, tl, c.blank);
  // Lengths stay on the host, as PyTorch allows; targets and log_probs move to the GPU.
  const auto [nll_g, alpha_g] = ops::ctc_loss(on_cuda(lp), on_cuda(targets), il, tl, c.blank);
  expect_same_inf(nll, nll_g, "nll");
  expect_same_inf(alpha, alpha_g, "log_alpha");
  const Tensor go = random_cpu({n}, t);
  const Tensor grad =
      ops::ctc_loss_backward(go, lp, targets, il, tl, nll, alpha, c.blank, zero_infinity);
  const Tensor grad_g = ops::ctc_loss_backward(on_cuda(go), on_cuda(lp), on_cuda(targets), il, tl,
                                               nll_g, alpha_g, c.blank, zero_infinity);
  expect_same_inf(grad, grad_g, "grad");
}

TEST(CudaCtc, LossAndGradientMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const CtcCase& c : kCtcCases) {
      for (bool zero_infinity : {false, true}) {
        run_ctc(c, t, zero_infinity);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(CudaCtc, LengthsOnTheGpuWork) {
  REQUIRE_CUDA();
  const CtcCase& c = kCtcCases[0];
  const Tensor lp = ops::log_softmax(random_cpu({c.time, 3, c.classes}, DType::Float32), 2);
  const Tensor targets = int64s({3, 4}, c.targets);
  const Tensor il = int64s(c.input_lengths), tl = int64s(c.target_lengths);
  const auto [nll, alpha] = ops::ctc_loss(lp, targets, il, tl, 0);
  const auto [nll_g, alpha_g] =
      ops::ctc_loss(on_cuda(lp), on_cuda(targets), on_cuda(il), on_cuda(tl), 0);
  expect_same_inf(nll, nll_g, "nll");
}

TEST(CudaCtc, TargetOutOfRangeIsAnErrorNamingTheOp) {
  REQUIRE_CUDA();
  const Tensor lp = on_cuda(ops::log_softmax(random_cpu({6, 1, 4}, DType::Float32), 2));
  const Tensor targets = on_cuda(int64s({1, 2}, {1, 9}));
  const Tensor il = int64s({6}), tl = int64s({2});
  try {
    const auto [nll, alpha] = ops::ctc_loss(lp, targets, il, tl, 0);
    values(nll);  // the report surfaces at the synchronising copy
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("ctc_loss"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("9"), std::string::npos) << e.what();
  }
  // The device stays usable.
  EXPECT_EQ(values(on_cuda(int64s({5})))[0], 5);
}

void expect_unique_same(const Tensor& x) {
  const auto want = ops::unique(x);
  const auto got = ops::unique(on_cuda(x));
  const std::string what = std::string("unique of ") + dtype_name(x->dtype());
  expect_same(want[0], got[0], what + " values", 0);
  expect_same(want[1], got[1], what + " inverse", 0);
  expect_same(want[2], got[2], what + " counts", 0);
}

TEST(CudaUnique, MatchesTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    if (t == DType::Bool) continue;  // sort (and so unique) takes no bool, on either device
    // Many repeats: integers in [-20, 20) and floats rounded to halves.
    Tensor x = random_cpu({7, 301}, t);
    if (is_floating(t)) {
      x = ops::to_dtype(
          ops::math_unary(ops::MathUnaryOp::Round,
                          ops::binary_scalar(ops::BinaryOp::Mul, ops::to_dtype(x, DType::Float32),
                                             Scalar::from_float(2))),
          t);
    }
    expect_unique_same(x);
    expect_unique_same(ops::slice(x, 1, 3, 200, 2));  // a strided view
    expect_unique_same(ops::full({5}, Scalar::from_int(3), t, kCpu));
    expect_unique_same(empty({0, 4}, t, kCpu));
    expect_unique_same(ops::full({}, Scalar::from_int(2), t, kCpu));
  }
  // NaNs stay apart, -0 and 0 are one value, infinities sort last and first.
  const Tensor special = ops::to_dtype(
      [] {
        Tensor s = empty({9}, DType::Float64, kCpu);
        const double v[] = {NAN, 1, -0.0, INFINITY, 0.0, NAN, -INFINITY, 1, 0.5};
        std::copy(v, v + 9, s->data_as<double>());
        return s;
      }(),
      DType::Float32);
  expect_unique_same(special);
}

}  // namespace
}  // namespace ember
