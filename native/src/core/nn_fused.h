// Fused ops of a training step (ember/fused.h): linear's gradients from one call, adding into
// existing gradients in place, and cross entropy over class indices as one forward and one
// backward. Meta functions in nn_fused.cpp, kernels per backend.
#pragma once

#include <cstdint>

#include "dispatch.h"
#include "nn_ops.h"

namespace ember {

// g (rows, out), x (rows, in), w (out, in), all contiguous in one floating dtype; gx (rows, in),
// gw (out, in), gb (out) contiguous, each null when not wanted. accumulate_w / accumulate_b: add
// into gw / gb instead of overwriting them.
using LinearBackwardFn = void (*)(const Tensor& gx, const Tensor& gw, const Tensor& gb,
                                  const Tensor& g, const Tensor& x, const Tensor& w,
                                  bool accumulate_w, bool accumulate_b);
// x (N, C) contiguous, target int64 (N), weight (C) or null. Writes loss (0-d, or (N) for None),
// lse (N, x's compute dtype) and total (0-d). Throws (CPU) or reports (GPU) a target out of
// [0, C) that is not ignore_index.
using CrossEntropyFn = void (*)(const Tensor& loss, const Tensor& lse, const Tensor& total,
                                const Tensor& x, const Tensor& target, const Tensor& weight,
                                ops::Reduction reduction, int64_t ignore_index);
// gx (N, C) from grad (0-d, or (N) for None) and the forward's x, lse, total.
using CrossEntropyBackwardFn = void (*)(const Tensor& gx, const Tensor& grad, const Tensor& x,
                                        const Tensor& lse, const Tensor& target,
                                        const Tensor& weight, const Tensor& total,
                                        ops::Reduction reduction, int64_t ignore_index);

// feature_dropout (nn.Dropout2d) in one pass: x and out contiguous (N, C, *), mask (N * C
// elements) gets scale or 0 per channel by dropout's rule (mask element k from counter base + k /
// 4, word k % 4), and out = x * its channel's mask element.
using FeatureDropoutFn = void (*)(const Tensor& mask, const Tensor& out, const Tensor& x,
                                  double keep, double scale, uint64_t seed, uint64_t base);

extern DispatchStub<LinearBackwardFn> linear_backward_stub;
extern DispatchStub<FeatureDropoutFn> feature_dropout_stub;
extern DispatchStub<CrossEntropyFn> cross_entropy_stub;
extern DispatchStub<CrossEntropyBackwardFn> cross_entropy_backward_stub;

namespace ops {

struct LinearGrads {
  Tensor grad_x, grad_w, grad_b;  // null where not asked for or added into an existing gradient
};
// See ember_linear_backward: w_into / b_into, when defined, receive the gradient in place.
LinearGrads linear_backward(const Tensor& grad, const Tensor& x, const Tensor& w, bool need_x,
                            bool need_w, bool need_b, const Tensor& w_into, const Tensor& b_into);

struct CrossEntropyResult {
  Tensor loss, lse, total;
};
CrossEntropyResult cross_entropy(const Tensor& x, const Tensor& target, const Tensor& weight,
                                 Reduction reduction, int64_t ignore_index);
Tensor cross_entropy_backward(const Tensor& grad, const Tensor& x, const Tensor& target,
                              const Tensor& weight, Reduction reduction, int64_t ignore_index,
                              const Tensor& lse, const Tensor& total);

}  // namespace ops
}  // namespace ember
