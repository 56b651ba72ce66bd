// The engine's sorting and search ops (torch.sort, topk, kthvalue, unique, searchsorted, bucketize,
// histc), used by the C ABI shims and tests.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "tensor.h"

namespace ember::ops {

std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable);
std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool sorted);
std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim, bool keepdim);
// Unique elements of the flattened tensor in ascending order, the index of each element's value
// among them (in t's shape) and how often each occurs.
std::array<Tensor, 3> unique(const Tensor& t);
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values, bool out_int32,
                    bool right);
Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool out_int32, bool right);
Tensor histc(const Tensor& t, int64_t bins, double min, double max);

}  // namespace ember::ops
