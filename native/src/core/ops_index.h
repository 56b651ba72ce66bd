// The engine's indexing ops (torch.gather, scatter, index_add, masked_*, advanced indexing, ...),
// used by the C ABI shims and tests. index_select is in ops_shape.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dispatch_shape.h"
#include "scalar.h"
#include "tensor.h"

namespace ember::ops {

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                 Scalar alpha);
void index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                Scalar alpha);
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
void index_copy_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);
void index_fill_(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// src null scatters value. reduce None is plain scatter; include_self only matters for reductions.
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
               Scalar value, ScatterReduce reduce, bool include_self);
void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, Scalar value,
              ScatterReduce reduce, bool include_self);

Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value);
void masked_fill_(const Tensor& self, const Tensor& mask, Scalar value);
Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source);
void masked_scatter_(const Tensor& self, const Tensor& mask, const Tensor& source);
Tensor masked_select(const Tensor& self, const Tensor& mask);

// index (0-d/1-d, int32/int64) as int64 seen with `sizes`: its values along dim, stride 0 along
// the others. Device paths gather/scatter with it, so the values are checked on the device and
// never read back (which a CUDA graph recording could not do).
Tensor spread_index(const Tensor& index, const DimVector& sizes, int64_t dim);
// Whether an op on device takes that path: a device whose backend has the gather or scatter kernel
// (the CPU checks indices on the host and fails at once).
template <class Stub>
bool index_on_device(const Stub& stub, Device device) {
  return !device.is_cpu() && stub.has_kernel(device.type);
}

Tensor take(const Tensor& self, const Tensor& index);
Tensor take_along_dim(const Tensor& self, const Tensor& indices, int64_t dim, bool has_dim);
Tensor nonzero(const Tensor& self);
Tensor one_hot(const Tensor& self, int64_t num_classes);
Tensor embedding(const Tensor& weight, const Tensor& indices);

// Advanced indexing: indices[d] indexes dim d (a null entry keeps the whole dim); integer tensors
// broadcast together, bool tensors select where true (over as many dims as they have).
Tensor index(const Tensor& self, std::span<const Tensor> indices);
void index_put_(const Tensor& self, std::span<const Tensor> indices, const Tensor& values,
                bool accumulate);
Tensor index_put(const Tensor& self, std::span<const Tensor> indices, const Tensor& values,
                 bool accumulate);

}  // namespace ember::ops
