// ctc_loss meta functions: PyTorch's shape rules and messages. The lengths are read on the host,
// so they are checked here once and the kernels get plain arrays.
#include <algorithm>
#include <vector>

#include "dispatch_loss.h"
#include "error.h"
#include "meta.h"
#include "nn_meta.h"
#include "ops.h"
#include "ops_loss.h"

namespace ember {

constinit DispatchStub<CtcLossFn> ctc_loss_stub("ctc_loss");
constinit DispatchStub<CtcLossBackwardFn> ctc_loss_backward_stub("ctc_loss_backward");

namespace ops {
namespace {

// What both directions need: the lengths and target offsets on the host, the operands contiguous.
struct CtcArgs {
  std::vector<int64_t> input_lengths, target_lengths, offsets;
  int64_t max_target_length = 0;
  Tensor log_probs, targets;
};

std::vector<int64_t> host_lengths(const char* op, const char* what, const Tensor& t, int64_t n) {
  EMBER_CHECK(t->dtype() == DType::Int64 || t->dtype() == DType::Int32, EMBER_ERROR_DTYPE, op,
              ": expected ", what, " to be an int64 or int32 tensor, got ", meta::describe(t));
  EMBER_CHECK(t->dim() == 1 && t->size(0) == n, EMBER_ERROR_SHAPE, op, ": expected ", what,
              " of size [", n, "] (one length per batch element), got ", meta::describe(t));
  const Tensor h = contiguous(to_dtype(to_device(t, Device{}), DType::Int64));
  const int64_t* p = h->data_as<int64_t>();
  return std::vector<int64_t>(p, p + n);
}

CtcArgs check_ctc(const char* op, const Tensor& log_probs, const Tensor& targets,
                  const Tensor& input_lengths, const Tensor& target_lengths, int64_t blank) {
  EMBER_CHECK(log_probs->dim() == 3, EMBER_ERROR_SHAPE, op,
              ": expected log_probs of 3 dims (T, N, C), got ", meta::describe(log_probs));
  nn_meta::check_floating(op, "log_probs", log_probs);
  EMBER_CHECK(targets->dtype() == DType::Int64 || targets->dtype() == DType::Int32,
              EMBER_ERROR_DTYPE, op, ": expected targets to be an int64 or int32 tensor, got ",
              meta::describe(targets));
  meta::check_same_device(op, log_probs, targets);
  const int64_t time = log_probs->size(0), n = log_probs->size(1), classes = log_probs->size(2);
  EMBER_CHECK(blank >= 0 && blank < classes, EMBER_ERROR_INVALID_ARGUMENT, op, ": blank ", blank,
              " must be in [0, ", classes, ") (the number of classes)");
  CtcArgs a;
  a.input_lengths = host_lengths(op, "input_lengths", input_lengths, n);
  a.target_lengths = host_lengths(op, "target_lengths", target_lengths, n);
  const bool padded = targets->dim() == 2;
  EMBER_CHECK(targets->dim() == 1 || (padded && targets->size(0) == n), EMBER_ERROR_SHAPE, op,
              ": expected targets padded (N = ", n,
              ", S) or concatenated (sum of target_lengths), got ", meta::describe(targets));
  a.offsets.resize(n);
  int64_t next = 0;
  for (int64_t b = 0; b < n; ++b) {
    const int64_t il = a.input_lengths[b], tl = a.target_lengths[b];
    EMBER_CHECK(il >= 0 && il <= time, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": expected input_lengths to have values in [0, ", time, "] (T), but got ", il,
                " at batch element ", b);
    EMBER_CHECK(tl >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": expected target_lengths to be non-negative, got ", tl, " at batch element ", b);
    if (padded) {
      EMBER_CHECK(tl <= targets->size(1), EMBER_ERROR_SHAPE, op, ": target_lengths[", b, "] = ", tl,
                  " exceeds the padded targets' length ", targets->size(1), " (targets ",
                  meta::describe(targets), ")");
      a.offsets[b] = b * targets->size(1);
    } else {
      a.offsets[b] = next;
      next += tl;
    }
    a.max_target_length = std::max(a.max_target_length, tl);
  }
  EMBER_CHECK(padded || next <= targets->numel(), EMBER_ERROR_SHAPE, op, ": target_lengths sum to ",
              next, " but the concatenated targets hold only ", targets->numel(), " (targets ",
              meta::describe(targets), ")");
  a.log_probs = contiguous(log_probs);
  a.targets = contiguous(to_dtype(targets, DType::Int64));
  return a;
}

}  // namespace

std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets,
                                   const Tensor& input_lengths, const Tensor& target_lengths,
                                   int64_t blank) {
  const char* op = "ctc_loss";
  const CtcArgs a = check_ctc(op, log_probs, targets, input_lengths, target_lengths, blank);
  const int64_t time = log_probs->size(0), n = log_probs->size(1);
  Tensor nll = empty({n}, log_probs->dtype(), log_probs->device());
  Tensor log_alpha = empty({n, time, 2 * a.max_target_length + 1},
                           nn_meta::compute_dtype(log_probs->dtype()), log_probs->device());
  ctc_loss_stub(op, log_probs->device(), nll, log_alpha, a.log_probs, a.targets, a.offsets.data(),
                a.input_lengths.data(), a.target_lengths.data(), blank);
  return {nll, log_alpha};
}

Tensor ctc_loss_backward(const Tensor& grad_out, const Tensor& log_probs, const Tensor& targets,
                         const Tensor& input_lengths, const Tensor& target_lengths,
                         const Tensor& neg_log_likelihood, const Tensor& log_alpha, int64_t blank,
                         bool zero_infinity) {
  const char* op = "ctc_loss_backward";
  const CtcArgs a = check_ctc(op, log_probs, targets, input_lengths, target_lengths, blank);
  const int64_t time = log_probs->size(0), n = log_probs->size(1);
  EMBER_CHECK(grad_out->dim() == 1 && grad_out->size(0) == n, EMBER_ERROR_SHAPE, op,
              ": expected grad_out of size [", n, "], got ", meta::describe(grad_out));
  EMBER_CHECK(neg_log_likelihood->dim() == 1 && neg_log_likelihood->size(0) == n, EMBER_ERROR_SHAPE,
              op, ": expected neg_log_likelihood of size [", n, "], got ",
              meta::describe(neg_log_likelihood));
  EMBER_CHECK(log_alpha->dim() == 3 && log_alpha->size(0) == n && log_alpha->size(1) == time &&
                  log_alpha->size(2) >= 2 * a.max_target_length + 1 &&
                  log_alpha->dtype() == nn_meta::compute_dtype(log_probs->dtype()),
              EMBER_ERROR_SHAPE, op, ": log_alpha ", meta::describe(log_alpha),
              " does not come from ctc_loss of log_probs ", meta::describe(log_probs));
  nn_meta::check_same_dtype_device(op, {{"log_probs", &log_probs},
                                        {"grad_out", &grad_out},
                                        {"neg_log_likelihood", &neg_log_likelihood}});
  meta::check_same_device(op, log_probs, log_alpha);
  Tensor grad = empty(log_probs->sizes(), log_probs->dtype(), log_probs->device());
  ctc_loss_backward_stub(op, log_probs->device(), grad, contiguous(grad_out), a.log_probs,
                         a.targets, a.offsets.data(), a.input_lengths.data(),
                         a.target_lengths.data(), contiguous(neg_log_likelihood),
                         contiguous(log_alpha), blank, zero_infinity);
  return grad;
}

}  // namespace ops
}  // namespace ember
