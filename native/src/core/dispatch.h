// Per-device kernel tables. Each kernel family has one DispatchStub holding a function pointer per
// DeviceType: the CPU kernels register at static-init time (src/cpu), plugins register theirs when
// they load. Meta functions in core call stub(op, device, args...), which names op and device when
// the table has no entry.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>

#include "device.h"
#include "error.h"
#include "ops.h"
#include "ops_math.h"
#include "scalar.h"
#include "tensor.h"

namespace ember {

template <class Fn>
class DispatchStub;

template <class R, class... Args>
class DispatchStub<R (*)(Args...)> {
 public:
  using Fn = R (*)(Args...);

  // constexpr so every stub is constant-initialised: registrations made during dynamic static
  // initialisation of other translation units always find it ready.
  constexpr explicit DispatchStub(const char* name) : name_(name) {}
  DispatchStub(const DispatchStub&) = delete;
  DispatchStub& operator=(const DispatchStub&) = delete;

  // Entries are atomic because a plugin may register while other threads run ops.
  void register_kernel(DeviceType type, Fn fn) {
    table_[static_cast<size_t>(type)].store(fn, std::memory_order_release);
  }
  bool has_kernel(DeviceType type) const { return kernel(type) != nullptr; }
  const char* name() const { return name_; }

  // Runs the kernel of device's type; op names the public op in the error when there is none.
  template <class... A>
  R operator()(const char* op, Device device, A&&... args) const {
    const Fn fn = kernel(device.type);
    if (fn == nullptr) [[unlikely]] {
      EMBER_FAIL(EMBER_ERROR_NOT_IMPLEMENTED, op, ": not implemented on device ",
                 device_name(device), " (no ", name_, " kernel registered for it)");
    }
    return fn(static_cast<A&&>(args)...);
  }

 private:
  Fn kernel(DeviceType type) const {
    return table_[static_cast<size_t>(type)].load(std::memory_order_acquire);
  }

  const char* name_;
  std::array<std::atomic<Fn>, kNumDeviceTypes> table_{};
};

// Registers fn for device type `type` in stub when the enclosing translation unit is initialised.
#define EMBER_REGISTER_KERNEL(stub, type, fn)             \
  static const bool ember_registered_##stub##_##fn = [] { \
    (stub).register_kernel((type), (fn));                 \
    return true;                                          \
  }()

// ---- kernel families ----
// Kernels may assume what the meta functions guarantee: every tensor is on the device the kernel
// was registered for, outputs are freshly allocated or checked writable, and shapes fit as stated.

enum class ReduceOp { Sum, Mean };

// t = value, cast to t's dtype.
using FillFn = void (*)(const Tensor& t, Scalar value);
// Every tensor of ts = value, for backends that fill many tensors per kernel launch; the meta
// hands over contiguous float32 / float64 tensors on one device. Optional: without it, one FillFn
// call per tensor.
using FillMultiFn = void (*)(std::span<const Tensor> ts, Scalar value);
// dst = src, src broadcast to dst's shape, any dtype to any dtype; both on the same device.
using CopyFn = void (*)(const Tensor& dst, const Tensor& src);
// out[k] = start + k * step (in out's dtype; double arithmetic for floats, int64 for integers).
using ArangeFn = void (*)(const Tensor& out, Scalar start, Scalar step);
// out = identity matrix (out is 2-d, any shape, any dtype).
using EyeFn = void (*)(const Tensor& out);
// Fills contiguous out with values whose k-th element derives from Philox counter base + k / per
// under key seed, where per is random_values_per_counter(out's dtype); so the values do not depend
// on how the work is split.
using RandomFn = void (*)(const Tensor& out, uint64_t seed, uint64_t base);
// out = a (op) b; a, b and out share one dtype; a and b broadcast to out's shape.
using BinaryFn = void (*)(ops::BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b);
// out = a (op) s, or s (op) a when reversed; a and out share a dtype and a shape.
using BinaryScalarFn = void (*)(ops::BinaryOp op, const Tensor& out, const Tensor& a, Scalar s,
                                bool reversed);
// out = op(a); a and out share a dtype and a shape.
using UnaryFn = void (*)(ops::UnaryOp op, const Tensor& out, const Tensor& a);
// out has a's rank with size 1 on every reduced dim (the keepdim shape); out's dtype is the result
// dtype (int64 for integral sums, the input's for floats). Reduces a's elements into it.
using ReduceFn = void (*)(ReduceOp op, const Tensor& out, const Tensor& a);
// out[..., n, m] = a[..., n, k] @ b[..., k, m]; a, b and out share one dtype; a's and b's batch
// dims broadcast to out's (a and b have out's rank).
using MatmulFn = void (*)(const Tensor& out, const Tensor& a, const Tensor& b);

// ---- math kernels (ops_math.h) ----
// out = op(a, params); a has the op's compute dtype and out's shape; out has that dtype, or bool
// for the predicates (isnan, logical_not, ...). The transcendental functions and activations come
// in float32 and float64 only (the 16-bit floats compute in float32 buffers).
using MathUnaryFn = void (*)(ops::MathUnaryOp op, const Tensor& out, const Tensor& a,
                             const ops::MathParams& params);
// out = a (op) b; a and b share the compute dtype and broadcast to out's shape; out has that dtype,
// or bool for the logical ops and isclose.
using MathBinaryFn = void (*)(ops::MathBinaryOp op, const Tensor& out, const Tensor& a,
                              const Tensor& b, const ops::MathParams& params);
// out = op(a, b, c, value), all broadcast to out's shape; a, b and out share a dtype, and so does c
// except for where, whose c is the bool condition.
using MathTernaryFn = void (*)(ops::MathTernaryOp op, const Tensor& out, const Tensor& a,
                               const Tensor& b, const Tensor& c, Scalar value);

// Reductions beyond sum/mean, folded like ReduceFn: out is keepdim-shaped and has the result dtype
// (prod: int64 for integers; amax/amin: a's; all/any: bool, or uint8 for uint8; count_nonzero:
// int64; var and the norms: a's floating dtype). param: the correction of Var, p of NormP.
enum class ReduceExOp {
  Prod,
  Amax,
  Amin,
  All,
  Any,
  CountNonzero,
  Var,
  NormP,
  Norm0,
  Norm1,
  Norm2,
  NormInf,
  NormNegInf
};
using ReduceExFn = void (*)(ReduceExOp op, const Tensor& out, const Tensor& a, double param);
// Along the middle dim of contiguous a seen as (outer, size, inner), size >= 1: int64 indices (and
// values, unless null) of the first minimum (minimum) or maximum; NaN counts as the extreme.
using ArgExtremeFn = void (*)(bool minimum, const Tensor& values, const Tensor& indices,
                              const Tensor& a, int64_t outer, int64_t size, int64_t inner);
// Scans along the middle dim of contiguous a (outer, size, inner) into contiguous out of a's shape
// (out's dtype may differ: it is the accumulation's); indices (int64, Max/Min only) as cummax.
using ScanFn = void (*)(ops::ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& a,
                        int64_t outer, int64_t size, int64_t inner);
// Order statistics along the middle dim of contiguous a (outer, size, inner), size >= 1, into
// contiguous values (a's dtype) and int64 indices of shape (outer, inner).
enum class OrderOp { Median, Mode };
using OrderFn = void (*)(OrderOp op, const Tensor& values, const Tensor& indices, const Tensor& a,
                         int64_t outer, int64_t size, int64_t inner);

// Random fills of contiguous out, value k from Philox counter base + k / per as for RandomFn:
// Uniform in [a, b); Normal with mean a, std b; Exponential with rate a; RandInt in [a, b) (as
// integers); Bernoulli 1 with probability a.
enum class RandomOp { Uniform, Normal, Exponential, RandInt, Bernoulli };
using RandomExFn = void (*)(RandomOp op, const Tensor& out, uint64_t seed, uint64_t base, Scalar a,
                            Scalar b);
// out (1-d, contiguous, integer or float) = a random permutation of 0..n-1 using counters
// base .. base + n - 1.
using RandpermFn = void (*)(const Tensor& out, uint64_t seed, uint64_t base);
// out (rows, n) int64 = n draws per row of probs (rows, categories), contiguous float64 weights;
// row r uses counters from base + r * counters_per_row.
using MultinomialFn = void (*)(const Tensor& out, const Tensor& probs, bool replacement,
                               uint64_t seed, uint64_t base, uint64_t counters_per_row);

// How many values one Philox counter (four 32-bit words) yields in a random fill of dtype t.
inline int64_t random_values_per_counter(DType t) { return t == DType::Float64 ? 2 : 4; }

extern DispatchStub<FillFn> fill_stub;
extern DispatchStub<FillMultiFn> fill_multi_stub;
extern DispatchStub<CopyFn> copy_stub;
extern DispatchStub<ArangeFn> arange_stub;
extern DispatchStub<EyeFn> eye_stub;
extern DispatchStub<RandomFn> rand_stub;
extern DispatchStub<RandomFn> randn_stub;
extern DispatchStub<BinaryFn> binary_stub;
extern DispatchStub<BinaryScalarFn> binary_scalar_stub;
extern DispatchStub<UnaryFn> unary_stub;
extern DispatchStub<ReduceFn> reduce_stub;
extern DispatchStub<MatmulFn> matmul_stub;
extern DispatchStub<MathUnaryFn> math_unary_stub;
extern DispatchStub<MathBinaryFn> math_binary_stub;
extern DispatchStub<MathTernaryFn> math_ternary_stub;
extern DispatchStub<ReduceExFn> reduce_ex_stub;
extern DispatchStub<ArgExtremeFn> arg_extreme_stub;
extern DispatchStub<ScanFn> scan_stub;
extern DispatchStub<OrderFn> order_stub;
extern DispatchStub<RandomExFn> random_ex_stub;
extern DispatchStub<RandpermFn> randperm_stub;
extern DispatchStub<MultinomialFn> multinomial_stub;

}  // namespace ember
