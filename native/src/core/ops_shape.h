// The engine's shape ops (torch.cat, split, flip, pad, ...), used by the C ABI shims and tests.
// Like core/ops.h: meta work here, kernels through dispatch_shape.h; errors name op, shapes,
// dtypes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "scalar.h"
#include "tensor.h"

namespace ember::ops {

Tensor cat(std::span<const Tensor> tensors, int64_t dim);
Tensor stack(std::span<const Tensor> tensors, int64_t dim);
Tensor hstack(std::span<const Tensor> tensors);
Tensor vstack(std::span<const Tensor> tensors);

std::vector<Tensor> split_with_sizes(const Tensor& t, std::span<const int64_t> sizes, int64_t dim);
std::vector<Tensor> unbind(const Tensor& t, int64_t dim);

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim);
Tensor unflatten(const Tensor& t, int64_t dim, std::span<const int64_t> sizes);
Tensor movedim(const Tensor& t, std::span<const int64_t> src, std::span<const int64_t> dst);

Tensor repeat(const Tensor& t, std::span<const int64_t> repeats);
Tensor tile(const Tensor& t, std::span<const int64_t> repeats);
// dim < 0 after wrapping is not used: has_dim false flattens t first.
Tensor repeat_interleave(const Tensor& t, const Tensor& repeats, int64_t dim, bool has_dim);
Tensor repeat_interleave(const Tensor& t, int64_t repeats, int64_t dim, bool has_dim);

Tensor flip(const Tensor& t, std::span<const int64_t> dims);
Tensor roll(const Tensor& t, std::span<const int64_t> shifts, std::span<const int64_t> dims);

Tensor tril(const Tensor& t, int64_t k);
Tensor triu(const Tensor& t, int64_t k);
void tril_(const Tensor& t, int64_t k);
void triu_(const Tensor& t, int64_t k);
Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);
Tensor diag(const Tensor& t, int64_t k);
Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);

enum class PadMode { Constant = 0, Reflect = 1, Replicate = 2, Circular = 3 };
Tensor pad(const Tensor& t, std::span<const int64_t> pads, PadMode mode, Scalar value);
// The gradient of pad: each input element gets the sum of the output gradients that read it.
Tensor pad_backward(const Tensor& grad, std::span<const int64_t> input_sizes,
                    std::span<const int64_t> pads, PadMode mode);

std::vector<Tensor> meshgrid(std::span<const Tensor> tensors, bool xy);

// index_select along dim with a 1-d (or 0-d) integer index; also the gather of the DataLoader.
Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index);

// Host copy of a 0-d/1-d integer tensor's values as int64 (op names the caller in errors).
std::vector<int64_t> int_values(const char* op, const char* what, const Tensor& t);

}  // namespace ember::ops
