// What every extern "C" shim is made of: handles <-> references, argument checks, and exceptions
// turned into a status plus a thread-local message. A shim is then one expression:
//
//   EMBER_API ember_status ember_neg(ember_tensor a, ember_tensor* out) {
//     return capi::make("neg", out, [&](const char* op) {
//       return ops::unary(ops::UnaryOp::Neg, capi::In(op, a));
//     });
//   }
//
// Handles are TensorImpl* / Generator* cast to the opaque C types; a tensor handle owns one strong
// reference. On failure nothing is written to out-parameters and nothing leaks: results are handed
// over only after everything else succeeded.
#pragma once

#include <cstdint>
#include <span>

#include "core/dim_vector.h"
#include "core/error.h"
#include "core/generator.h"
#include "core/scalar.h"
#include "core/tensor.h"
#include "ember/core.h"

namespace ember::capi {

// The message of this thread's last failure ("" when none).
const char* last_error() noexcept;

// Turns the exception in flight into a status and the message of ember_last_error(); errors that
// are not ember::Error get op's name prepended. Call only inside a catch block.
ember_status handle_exception(const char* op) noexcept;

// Runs body(op); EMBER_OK when it returns, the exception's status when it throws.
template <class F>
inline ember_status guard(const char* op, F&& body) noexcept {
  try {
    body(op);
    return EMBER_OK;
  } catch (...) {
    return handle_exception(op);
  }
}

[[noreturn]] void null_argument(const char* op, const char* what);

template <class T>
inline T* check_out(const char* op, T* out) {
  if (out == nullptr) null_argument(op, "output pointer");
  return out;
}

// For ops that make a new tensor: *out receives the handle (one strong reference) on success.
template <class F>
inline ember_status make(const char* op, ember_tensor* out, F&& body) noexcept {
  return guard(op, [&](const char* o) {
    check_out(o, out);
    Tensor t = body(o);
    *out = reinterpret_cast<ember_tensor>(t.release_ownership());
  });
}

// For queries that write one value.
template <class T, class F>
inline ember_status get(const char* op, T* out, F&& body) noexcept {
  return guard(op, [&](const char* o) {
    check_out(o, out);
    *out = body(o);
  });
}

// A borrowed handle seen as a `const Tensor&` for the length of one call. It adopts the handle's
// reference and gives it back unreleased, so a call costs no refcount traffic.
class In {
 public:
  In(const char* op, ember_tensor h) : t_(Tensor::adopt(reinterpret_cast<TensorImpl*>(h))) {
    if (h == nullptr) null_argument(op, "tensor handle");
  }
  ~In() { t_.release_ownership(); }
  In(const In&) = delete;
  In& operator=(const In&) = delete;

  operator const Tensor&() const { return t_; }
  TensorImpl* operator->() const { return t_.get(); }

 private:
  Tensor t_;
};

// A handle that may be NULL (an optional operand), borrowed for one call; undefined for NULL.
inline Tensor optional_in(ember_tensor h) {
  return h ? Tensor::share(reinterpret_cast<TensorImpl*>(h)) : Tensor();
}

// One strong reference to t for the caller, or NULL for an undefined t.
inline ember_tensor hand_out(Tensor t) {
  return reinterpret_cast<ember_tensor>(t.release_ownership());
}

DType dtype_arg(const char* op, int32_t code);
// Checks the device's type, index and backend.
Device device_arg(const char* op, ember_device d);
Scalar scalar_arg(const char* op, ember_scalar s);
// The generator a handle names, the default one for NULL.
Generator& generator_arg(ember_generator g);
// Sizes of a new tensor: ndim >= 0, a pointer when ndim > 0, no negative size.
DimVector sizes_arg(const char* op, const int64_t* sizes, int32_t ndim);
// Sizes a view op interprets itself (-1 allowed): only ndim and the pointer are checked.
std::span<const int64_t> shape_arg(const char* op, const int64_t* sizes, int32_t ndim);
// A list of dims given as int32 (permute, reductions).
DimVector dims_arg(const char* op, const int32_t* dims, int32_t ndims);

}  // namespace ember::capi
