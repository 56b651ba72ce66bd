#include "meta.h"

#include <algorithm>

#include "error.h"
#include "ops.h"

namespace ember::meta {

std::string describe(const Tensor& t) {
  std::string s = str(t->sizes(), " ", dtype_name(t->dtype()));
  if (!t->device().is_cpu()) s += " on " + device_name(t->device());
  return s;
}

DimVector broadcast_shapes(const char* op, const DimVector& a, const DimVector& b,
                           const char* what) {
  if (same_shape(a, b)) return a;
  const int64_t n = std::max(a.size(), b.size());
  DimVector out(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t ia = i - (n - a.size()), ib = i - (n - b.size());
    const int64_t sa = ia >= 0 ? a[ia] : 1, sb = ib >= 0 ? b[ib] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      EMBER_FAIL(EMBER_ERROR_SHAPE, op, ": the size of tensor a (", sa,
                 ") must match the size of tensor b (", sb, ") at non-singleton dimension ", i,
                 "; ", what);
    }
    out[i] = sa == 1 ? sb : sa;
  }
  return out;
}

DimVector broadcast_shapes(const char* op, const Tensor& a, const Tensor& b) {
  if (same_shape(a->sizes(), b->sizes())) return a->sizes();
  const std::string what = str("a is ", describe(a), ", b is ", describe(b));
  return broadcast_shapes(op, a->sizes(), b->sizes(), what.c_str());
}

namespace {

std::optional<DType> promote(std::optional<DType> a, DType b) {
  return a ? promote_types(*a, b) : b;
}

// torch's combine_categories: the higher-ranked result wins unless the lower one is of a higher
// category (bool < integer < floating).
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower || is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}

}  // namespace

ResultType& ResultType::add(const Tensor& t) {
  if (t->dim() > 0) {
    dim_ = promote(dim_, t->dtype());
  } else {
    zero_ = promote(zero_, t->dtype());
  }
  return *this;
}

ResultType& ResultType::add(const Scalar& s) {
  // A Python int is int64, a Python float the default float dtype, a Python bool bool.
  const DType t = s.kind == Scalar::Kind::Float  ? kDefaultFloat
                  : s.kind == Scalar::Kind::Bool ? DType::Bool
                                                 : DType::Int64;
  scalar_ = promote(scalar_, t);
  return *this;
}

DType ResultType::get() const {
  return combine(dim_, combine(zero_, scalar_)).value_or(kDefaultFloat);
}

bool can_cast(DType from, DType to) {
  if (is_floating(from) && is_integral(to, false)) return false;
  if (from != DType::Bool && to == DType::Bool) return false;
  return true;
}

void check_can_cast(const char* op, DType result, DType out) {
  EMBER_CHECK(can_cast(result, out), EMBER_ERROR_DTYPE, op, ": result type ", dtype_name(result),
              " can't be cast to the desired output type ", dtype_name(out));
}

void fail_device_mismatch(const char* op, const Tensor& a, const Tensor& b) {
  EMBER_FAIL(EMBER_ERROR_DEVICE, op, ": expected all tensors to be on the same device, but found ",
             device_name(a->device()), " and ", device_name(b->device()), " (a is ", describe(a),
             ", b is ", describe(b), ")");
}

void check_no_internal_overlap(const char* op, const Tensor& t) {
  for (int64_t d = 0; d < t->dim(); ++d) {
    EMBER_CHECK(t->stride(d) != 0 || t->size(d) <= 1, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": unsupported operation: more than one element of the written-to tensor (",
                describe(t), ", strides ", t->strides(),
                ") refers to a single memory location; clone() it first");
  }
}

void check_no_partial_overlap(const char* op, const Tensor& out, const Tensor& in) {
  if (out->storage().get() != in->storage().get() || out->numel() == 0 || in->numel() == 0) return;
  if (out->offset() == in->offset() && out->sizes() == in->sizes() &&
      out->strides() == in->strides()) {
    return;  // the very same elements: reading each before writing it is fine
  }
  // Only dense tensors have an exact extent; strided ones may interleave without touching.
  if (!out->is_contiguous() || !in->is_contiguous()) return;
  const int64_t ob = out->offset(), oe = ob + out->numel();
  const int64_t ib = in->offset(), ie = ib + in->numel();
  EMBER_CHECK(oe <= ib || ie <= ob, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": unsupported operation: some elements of the input tensor and the written-to "
              "tensor refer to a single memory location; clone() the input first (input ",
              describe(in), ", output ", describe(out), ")");
}

const Tensor& converted(const Tensor& t, DType dtype, Tensor& tmp) {
  tmp = ops::to_dtype(t, dtype);
  return tmp;
}

}  // namespace ember::meta
