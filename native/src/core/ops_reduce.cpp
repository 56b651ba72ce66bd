// Meta functions of the reductions.
#include <cmath>
#include <limits>

#include "dispatch.h"
#include "error.h"
#include "ops.h"

namespace ember {

constinit DispatchStub<ReduceFn> reduce_stub("reduce");

namespace ops {

namespace {

Tensor reduce(const char* name, ReduceOp op, const Tensor& a, std::span<const int64_t> dims,
              bool keepdim) {
  const int64_t nd = a->dim();
  if (op == ReduceOp::Mean) {
    EMBER_CHECK(is_floating(a->dtype()), EMBER_ERROR_DTYPE, name,
                ": could not infer output dtype. Input dtype must be either a floating point or "
                "complex dtype. Got: ",
                dtype_name(a->dtype()), " (input shape ", a->sizes(), ")");
  }
  DimVector keep_sizes(nd, 1), out_sizes;
  if (dims.empty()) {  // every dim (x.sum(), a loss): nothing to list
    if (keepdim) out_sizes = keep_sizes;
  } else {
    // A 0-d tensor accepts dim 0 and -1, as in PyTorch.
    DimVector listed(std::max<int64_t>(nd, 1), 0);
    for (int64_t d : dims) {
      const int64_t w = wrap_dim(name, d, listed.size());
      EMBER_CHECK(!listed[w], EMBER_ERROR_INVALID_ARGUMENT, name, ": dim ", w,
                  " appears multiple times in the list of dims");
      listed[w] = 1;
    }
    for (int64_t d = 0; d < nd; ++d) {
      if (!listed[d]) keep_sizes[d] = a->size(d);
      if (!listed[d] || keepdim) out_sizes.push_back(keep_sizes[d]);
    }
  }
  const DType dtype = is_floating(a->dtype()) ? a->dtype() : DType::Int64;
  Tensor out = empty(out_sizes, dtype, a->device());
  if (out->numel() == 0) return out;
  if (a->numel() == 0) {
    // Folding nothing: the sum is 0 and the mean 0/0.
    fill_stub(name, a->device(), out,
              op == ReduceOp::Sum ? Scalar::from_int(0)
                                  : Scalar::from_float(std::numeric_limits<double>::quiet_NaN()));
    return out;
  }
  const Tensor keep =
      keepdim ? out : make_view(out, keep_sizes, contiguous_strides(keep_sizes), out->offset());
  reduce_stub(name, a->device(), op, keep, a);
  return out;
}

}  // namespace

Tensor sum(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  return reduce("sum", ReduceOp::Sum, a, dims, keepdim);
}

Tensor mean(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  return reduce("mean", ReduceOp::Mean, a, dims, keepdim);
}

}  // namespace ops
}  // namespace ember
