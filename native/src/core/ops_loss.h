// Loss ops with their own kernels (beyond nll_loss in nn_ops.h), used by the C ABI shims and tests.
#pragma once

#include <cstdint>
#include <utility>

#include "tensor.h"

namespace ember::ops {

// torch.ops.aten._ctc_loss: log_probs (T, N, C) floating; targets int64, padded (N, S) or the N
// target sequences concatenated (sum of target_lengths); input_lengths and target_lengths int64
// (N) on the CPU. Returns the negative log likelihood of each sequence (N) and log_alpha
// (N, T, 2 * max target length + 1) in the compute dtype (float32 for 16-bit floats), which the
// backward needs.
std::pair<Tensor, Tensor> ctc_loss(const Tensor& log_probs, const Tensor& targets,
                                   const Tensor& input_lengths, const Tensor& target_lengths,
                                   int64_t blank);
// torch.ops.aten._ctc_loss_backward: grad_out (N), neg_log_likelihood and log_alpha as returned by
// ctc_loss. The gradient has log_probs' shape and, like PyTorch's, assumes log_probs came out of a
// log_softmax (it is exp(lp) - posterior). zero_infinity gives 0 for sequences of infinite loss.
Tensor ctc_loss_backward(const Tensor& grad_out, const Tensor& log_probs, const Tensor& targets,
                         const Tensor& input_lengths, const Tensor& target_lengths,
                         const Tensor& neg_log_likelihood, const Tensor& log_alpha, int64_t blank,
                         bool zero_infinity);

}  // namespace ember::ops
