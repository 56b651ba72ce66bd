// The CTC loss kernels through the C ABI on cases small enough to enumerate the alignments by hand
// (PyTorch's values for larger ones are checked from C#, in tests/Ember.NN.Tests), plus the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "ember/loss.h"
#include "nn_reference.h"

namespace ember {
namespace {

using nnref::adopt;
using nnref::h;
using nnref::make_tensor;
using nnref::values_of;

Tensor f64(const DimVector& sizes, const std::vector<double>& v) {
  return make_tensor(DType::Float64, sizes, v);
}
Tensor i64(const DimVector& sizes, const std::vector<double>& v) {
  return make_tensor(DType::Int64, sizes, v);
}

// Two steps, classes {blank, a}; probabilities y[t][c].
constexpr double y0b = 0.6, y0a = 0.4, y1b = 0.3, y1a = 0.7;

Tensor two_step_log_probs() {
  return f64({2, 1, 2}, {std::log(y0b), std::log(y0a), std::log(y1b), std::log(y1a)});
}

TEST(NnCtc, LossSumsEveryAlignmentOfTheTarget) {
  // Target "a" over two steps: a-blank, blank-a and a-a.
  const Tensor lp = two_step_log_probs();
  const Tensor targets = i64({1, 1}, {1});
  const Tensor il = i64({1}, {2}), tl = i64({1}, {1});
  ember_tensor nll = nullptr, alpha = nullptr;
  ASSERT_EQ(ember_ctc_loss(h(lp), h(targets), h(il), h(tl), 0, &nll, &alpha), EMBER_OK)
      << ember_last_error();
  const Tensor loss = adopt(nll), log_alpha = adopt(alpha);
  const double p = y0a * y1b + y0b * y1a + y0a * y1a;
  ASSERT_EQ(values_of(loss).size(), 1u);
  EXPECT_NEAR(values_of(loss)[0], -std::log(p), 1e-12);

  // The gradient (through a log_softmax, as PyTorch's) is y - posterior of each class per step.
  const Tensor g = f64({1}, {1.0});
  ember_tensor grad = nullptr;
  ASSERT_EQ(ember_ctc_loss_backward(h(g), h(lp), h(targets), h(il), h(tl), h(loss), h(log_alpha), 0,
                                    0, &grad),
            EMBER_OK)
      << ember_last_error();
  const double post0a = (y0a * y1b + y0a * y1a) / p, post1a = (y0b * y1a + y0a * y1a) / p;
  const std::vector<double> got = values_of(adopt(grad));
  const std::vector<double> want = {y0b - (1 - post0a), y0a - post0a, y1b - (1 - post1a),
                                    y1a - post1a};
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-12) << "element " << i;
}

TEST(NnCtc, RepeatedLabelsNeedABlankAndEmptyTargetsOnlyBlanks) {
  // Target "aa" over two steps is impossible (a blank must separate the repeats): infinite loss.
  // The empty target's only alignment is blank-blank. Concatenated targets: [a, a].
  const Tensor lp = f64({2, 2, 2}, {std::log(y0b), std::log(y0a), std::log(y0b), std::log(y0a),
                                    std::log(y1b), std::log(y1a), std::log(y1b), std::log(y1a)});
  const Tensor targets = i64({2}, {1, 1});
  const Tensor il = i64({2}, {2, 2}), tl = i64({2}, {2, 0});
  ember_tensor nll = nullptr, alpha = nullptr;
  ASSERT_EQ(ember_ctc_loss(h(lp), h(targets), h(il), h(tl), 0, &nll, &alpha), EMBER_OK)
      << ember_last_error();
  const Tensor loss = adopt(nll), log_alpha = adopt(alpha);
  const std::vector<double> v = values_of(loss);
  EXPECT_TRUE(std::isinf(v[0]) && v[0] > 0);
  EXPECT_NEAR(v[1], -std::log(y0b * y1b), 1e-12);

  // zero_infinity: the impossible sequence gets no gradient.
  const Tensor g = f64({2}, {1.0, 1.0});
  ember_tensor grad = nullptr;
  ASSERT_EQ(ember_ctc_loss_backward(h(g), h(lp), h(targets), h(il), h(tl), h(loss), h(log_alpha), 0,
                                    1, &grad),
            EMBER_OK)
      << ember_last_error();
  const std::vector<double> gv = values_of(adopt(grad));  // (T, N, C)
  EXPECT_EQ(gv[0], 0.0);
  EXPECT_EQ(gv[1], 0.0);
  EXPECT_EQ(gv[4], 0.0);
  EXPECT_EQ(gv[5], 0.0);
  EXPECT_NEAR(gv[2], y0b - 1, 1e-12);  // the empty target: blank has posterior 1
  EXPECT_NEAR(gv[3], y0a, 1e-12);
}

TEST(NnCtc, BadArgumentsAreErrorsNamingTheOp) {
  const Tensor lp = two_step_log_probs();
  ember_tensor nll = nullptr, alpha = nullptr;
  auto status = [&](const Tensor& targets, const Tensor& il, const Tensor& tl, int64_t blank) {
    return ember_ctc_loss(h(lp), h(targets), h(il), h(tl), blank, &nll, &alpha);
  };
  const Tensor t = i64({1, 1}, {1}), one = i64({1}, {1}), two = i64({1}, {2});
  EXPECT_EQ(status(i64({1, 1}, {2}), two, one, 0), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("ctc_loss"), std::string::npos);
  EXPECT_EQ(status(t, i64({1}, {3}), one, 0), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("input_lengths"), std::string::npos);
  EXPECT_EQ(status(t, two, two, 0), EMBER_ERROR_SHAPE);
  EXPECT_EQ(status(t, two, one, 2), EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(ember_last_error()).find("blank"), std::string::npos);
  EXPECT_EQ(status(f64({1, 1}, {1}), two, one, 0), EMBER_ERROR_DTYPE);
  EXPECT_EQ(status(t, i64({2}, {2, 2}), one, 0), EMBER_ERROR_SHAPE);
}

}  // namespace
}  // namespace ember
