#include "nn_meta.h"

#include <string>

#include "error.h"

namespace ember::nn_meta {

void check_floating(const char* op, const char* what, const Tensor& t) {
  EMBER_CHECK(is_floating(t->dtype()), EMBER_ERROR_DTYPE, op, ": expected ", what,
              " to be a floating tensor (float16, bfloat16, float32 or float64), got ",
              meta::describe(t));
}

void check_same_dtype_device(const char* op, std::initializer_list<Named> operands) {
  const Named* first = nullptr;
  for (const Named& n : operands) {
    if (!*n.second) continue;
    if (!first) {
      first = &n;
      continue;
    }
    const Tensor& a = *first->second;
    const Tensor& b = *n.second;
    EMBER_CHECK(a->device() == b->device(), EMBER_ERROR_DEVICE, op,
                ": expected all tensors to be on the same device, but ", first->first, " is ",
                meta::describe(a), " on ", device_name(a->device()), " and ", n.first, " is ",
                meta::describe(b), " on ", device_name(b->device()));
    EMBER_CHECK(a->dtype() == b->dtype(), EMBER_ERROR_DTYPE, op, ": expected ", first->first,
                " and ", n.first, " to have the same dtype, but ", first->first, " is ",
                meta::describe(a), " and ", n.first, " is ", meta::describe(b));
  }
}

DType compute_dtype(DType t) {
  return t == DType::Float16 || t == DType::BFloat16 ? DType::Float32 : t;
}

Tensor contiguous_as(const Tensor& t, DType dtype) {
  return ops::contiguous(ops::to_dtype(t, dtype));
}

std::string pair_str(const std::array<int64_t, 2>& v) { return str("(", v[0], ", ", v[1], ")"); }

}  // namespace ember::nn_meta
