// The engine's op API, used by the C ABI shims (src/capi) and by tests. Each op runs its meta
// function here in core (shapes, broadcasting, promotion, device checks; shared by every backend),
// then calls the kernel that the dispatch table holds for the inputs' device.
// Errors throw ember::Error naming the op, the shapes, the dtypes and the devices.
#pragma once

#include <cstdint>
#include <span>

#include "generator.h"
#include "scalar.h"
#include "tensor.h"

namespace ember::ops {

// ---- creation ----
Tensor zeros(const DimVector& sizes, DType dtype, Device device);
Tensor full(const DimVector& sizes, Scalar value, DType dtype, Device device);
Tensor arange(Scalar start, Scalar end, Scalar step, DType dtype, Device device);
Tensor eye(int64_t n, int64_t m, DType dtype, Device device);
Tensor rand(const DimVector& sizes, DType dtype, Device device, Generator& gen);
Tensor randn(const DimVector& sizes, DType dtype, Device device, Generator& gen);

// ---- copies ----
void fill_(const Tensor& t, Scalar value);
// torch._foreach_zero_: zeroes every tensor of ts (one launch for the lot where the backend can).
void foreach_zero_(std::span<const Tensor> ts);
// Broadcasts src to dst's shape and casts to dst's dtype; crosses devices through the backends.
void copy_(const Tensor& dst, const Tensor& src);
Tensor to_dtype(const Tensor& t, DType dtype);
Tensor to_device(const Tensor& t, Device device);
// With non_blocking, a contiguous tensor in pinned host memory is uploaded on the device's current
// stream without waiting (the result is ready in stream order); anything else copies as above.
Tensor to_device(const Tensor& t, Device device, bool non_blocking);
// A copy of CPU tensor t in page-locked host memory (t itself when it is pinned already).
Tensor pin_memory(const Tensor& t);
Tensor clone(const Tensor& t);
Tensor contiguous(const Tensor& t);

// ---- views ----
Tensor view(const Tensor& t, std::span<const int64_t> sizes);
Tensor reshape(const Tensor& t, std::span<const int64_t> sizes);
Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1);
Tensor permute(const Tensor& t, std::span<const int64_t> dims);
Tensor expand(const Tensor& t, std::span<const int64_t> sizes);
Tensor squeeze(const Tensor& t);
Tensor squeeze_dim(const Tensor& t, int64_t dim);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step);
Tensor select(const Tensor& t, int64_t dim, int64_t index);

// ---- elementwise ----
enum class BinaryOp { Add, Sub, Mul, Div };
Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor binary_scalar(BinaryOp op, const Tensor& a, Scalar b);
Tensor binary_rscalar(BinaryOp op, Scalar a,
                      const Tensor& b);  // a (op) b with the scalar on the left
void binary_(BinaryOp op, const Tensor& a, const Tensor& b);  // a = a (op) b, bumps a's version
void binary_scalar_(BinaryOp op, const Tensor& a, Scalar b);

enum class UnaryOp { Neg, Exp, Log };
Tensor unary(UnaryOp op, const Tensor& a);
void unary_(UnaryOp op, const Tensor& a);

// ---- reductions (empty dims = all) ----
Tensor sum(const Tensor& a, std::span<const int64_t> dims, bool keepdim);
Tensor mean(const Tensor& a, std::span<const int64_t> dims, bool keepdim);

// ---- linear algebra ----
Tensor matmul(const Tensor& a, const Tensor& b);

}  // namespace ember::ops
