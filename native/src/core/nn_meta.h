// Checks and conversions shared by the nn meta functions (core/nn_*.cpp).
#pragma once

#include <array>
#include <initializer_list>
#include <utility>

#include "meta.h"
#include "nn_ops.h"
#include "ops.h"
#include "tensor.h"

namespace ember::nn_meta {

// A named operand, for messages: {"input", x}.
using Named = std::pair<const char*, const Tensor*>;

// Throws EMBER_ERROR_DTYPE unless t is floating: "op: expected what to be a floating tensor
// (float16, bfloat16, float32 or float64), got [2, 3] int64".
void check_floating(const char* op, const char* what, const Tensor& t);
// Throws EMBER_ERROR_DTYPE / EMBER_ERROR_DEVICE unless every non-null operand shares the first
// one's dtype and device, naming each operand with its shape and dtype.
void check_same_dtype_device(const char* op, std::initializer_list<Named> operands);
// The dtype kernels compute in: float32 for the 16-bit floats, else t's.
DType compute_dtype(DType t);
// t contiguous and in dtype (t itself when it already is).
Tensor contiguous_as(const Tensor& t, DType dtype);
// nll_loss's operand checks, which cross entropy over class indices shares: input (N, C) or (C),
// int64 target (N) or (), weight (C) or null, a valid reduction. Returns (N, C), N = 1 for 1-d.
std::pair<int64_t, int64_t> check_class_targets(const char* op, const Tensor& input,
                                                const Tensor& target, const Tensor& weight,
                                                ops::Reduction reduction);
// "(2, 3)" for messages.
std::string pair_str(const std::array<int64_t, 2>& v);

}  // namespace ember::nn_meta
