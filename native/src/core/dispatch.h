// Per-device kernel tables. Each kernel family has one DispatchStub holding a function pointer per
// DeviceType: the CPU kernels register at static-init time (src/cpu), plugins register theirs when
// they load. Meta functions in core call stub(op, device, args...), which names op and device when
// the table has no entry.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "device.h"
#include "error.h"
#include "ops.h"
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

// How many values one Philox counter (four 32-bit words) yields in a random fill of dtype t.
inline int64_t random_values_per_counter(DType t) { return t == DType::Float64 ? 2 : 4; }

extern DispatchStub<FillFn> fill_stub;
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

}  // namespace ember
