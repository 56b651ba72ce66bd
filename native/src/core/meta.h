// Shared pieces of the op meta functions (src/core/ops_*.cpp): broadcasting, type promotion,
// device and aliasing checks. Every failure names the op, the shapes, the dtypes or the devices.
#pragma once

#include <optional>
#include <string>

#include "dtype.h"
#include "scalar.h"
#include "tensor.h"

namespace ember::meta {

// Equal sizes, compared inline (small ops pay for every call on their path).
inline bool same_shape(const DimVector& a, const DimVector& b) {
  if (a.size() != b.size()) return false;
  for (int64_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// "[2, 3] float32" (plus " on cuda:0" when not on the CPU), for messages.
std::string describe(const Tensor& t);

// The shape a and b broadcast to, as torch.broadcast_shapes; on mismatch throws EMBER_ERROR_SHAPE
// "op: the size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
// followed by both shapes and dtypes.
DimVector broadcast_shapes(const char* op, const Tensor& a, const Tensor& b);
// The same for plain shapes (matmul's batch dims); what names the shapes in the message.
DimVector broadcast_shapes(const char* op, const DimVector& a, const DimVector& b,
                           const char* what);

// torch.result_type: tensors with dims outrank 0-d tensors, which outrank scalars (Python numbers),
// except that a lower-ranked operand of a higher category (bool < integer < floating) lifts the
// result into its category: int32 tensor + 2.5 -> float32, uint8 tensor + 300 -> uint8.
class ResultType {
 public:
  ResultType& add(const Tensor& t);
  ResultType& add(const Scalar& s);
  DType get() const;

 private:
  std::optional<DType> dim_, zero_, scalar_;
};

// torch.can_cast: no floating -> integral, no non-bool -> bool.
bool can_cast(DType from, DType to);
// In-place ops: throws EMBER_ERROR_DTYPE "op: result type float32 can't be cast to the desired
// output type int64" when the result cannot be stored in the tensor written to.
void check_can_cast(const char* op, DType result, DType out);

// Throws EMBER_ERROR_DEVICE unless a and b are on one device.
[[noreturn]] void fail_device_mismatch(const char* op, const Tensor& a, const Tensor& b);
inline void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  if (!(a->device() == b->device())) [[unlikely]] {
    fail_device_mismatch(op, a, b);
  }
}

// Writing into t would write some element twice (a broadcast view): EMBER_ERROR_INVALID_ARGUMENT.
void check_no_internal_overlap(const char* op, const Tensor& t);
// in and out share memory without being the same elements: EMBER_ERROR_INVALID_ARGUMENT.
void check_no_partial_overlap(const char* op, const Tensor& out, const Tensor& in);

// t itself when it already has dtype, else a converted copy (held by tmp).
const Tensor& converted(const Tensor& t, DType dtype, Tensor& tmp);
inline const Tensor& with_dtype(const Tensor& t, DType dtype, Tensor& tmp) {
  return t->dtype() == dtype ? t : converted(t, dtype, tmp);
}

}  // namespace ember::meta
