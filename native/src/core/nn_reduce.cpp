// argmax and max(dim) meta functions.
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<ArgMaxFn> argmax_stub("argmax");

namespace ops {
namespace {

std::pair<Tensor, Tensor> run(const char* op, const Tensor& x, int64_t dim_in, bool keepdim,
                              bool values) {
  const int64_t dim = wrap_dim(op, dim_in, x->dim());
  const int64_t size = x->dim() == 0 ? 1 : x->size(dim);
  EMBER_CHECK(size > 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": Expected reduction dim ", dim_in,
              " to have non-zero size, but got input ", meta::describe(x));
  DimVector out_sizes;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < x->dim(); ++d) {
    if (d < dim) outer *= x->size(d);
    if (d > dim) inner *= x->size(d);
    if (d != dim || keepdim) out_sizes.push_back(d == dim ? 1 : x->size(d));
  }
  const Tensor xc = ops::contiguous(x);
  Tensor indices = empty(out_sizes, DType::Int64, x->device());
  Tensor vals = values ? empty(out_sizes, x->dtype(), x->device()) : Tensor();
  if (indices->numel() > 0) argmax_stub(op, x->device(), vals, indices, xc, outer, size, inner);
  return {vals, indices};
}

}  // namespace

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return run("argmax", x, dim, keepdim, false).second;
}

std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) {
  return run("max", x, dim, keepdim, true);
}

}  // namespace ops
}  // namespace ember
