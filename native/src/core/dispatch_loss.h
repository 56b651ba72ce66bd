// Kernel tables of the loss ops in ops_loss.h (see dispatch.h for the mechanism).
#pragma once

#include <cstdint>

#include "dispatch.h"

namespace ember {

// log_probs (T, N, C) contiguous floating; targets int64 contiguous; offsets (N) the start of each
// target sequence in targets' elements; input_lengths / target_lengths (N) int64, already checked
// against T and the targets' size. nll (N) has log_probs' dtype; log_alpha (N, T, S') contiguous in
// the compute dtype, S' >= 2 * max target length + 1. Throws on a target outside [0, C).
using CtcLossFn = void (*)(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs,
                           const Tensor& targets, const int64_t* offsets,
                           const int64_t* input_lengths, const int64_t* target_lengths,
                           int64_t blank);
// grad (T, N, C) contiguous, log_probs' dtype; grad_out and nll (N) contiguous in that dtype.
using CtcLossBackwardFn = void (*)(const Tensor& grad, const Tensor& grad_out,
                                   const Tensor& log_probs, const Tensor& targets,
                                   const int64_t* offsets, const int64_t* input_lengths,
                                   const int64_t* target_lengths, const Tensor& nll,
                                   const Tensor& log_alpha, int64_t blank, bool zero_infinity);

extern DispatchStub<CtcLossFn> ctc_loss_stub;
extern DispatchStub<CtcLossBackwardFn> ctc_loss_backward_stub;

}  // namespace ember
