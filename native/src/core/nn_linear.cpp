// linear meta function: x (*, in) flattened to rows, one GEMM, reshaped back to (*, out).
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<LinearFn> linear_stub("linear");

namespace ops {

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  const char* op = "linear";
  EMBER_CHECK(x->dim() >= 1, EMBER_ERROR_SHAPE, op,
              ": expected input with at least 1 dim (*, in_features), but got ", meta::describe(x));
  EMBER_CHECK(w->dim() == 2, EMBER_ERROR_SHAPE, op,
              ": expected weight to be 2-d (out_features, in_features), but got ",
              meta::describe(w));
  const int64_t k = x->size(x->dim() - 1), n = w->size(0);
  int64_t m = 1;  // rows: the product of the leading dims
  for (int64_t d = 0; d + 1 < x->dim(); ++d) m *= x->size(d);
  EMBER_CHECK(w->size(1) == k, EMBER_ERROR_SHAPE, op,
              ": mat1 and mat2 shapes cannot be multiplied (", m, "x", k, " and ", w->size(1), "x",
              n, "); input is ", meta::describe(x), ", weight is ", meta::describe(w));
  if (b) {
    EMBER_CHECK(b->dim() == 1 && b->size(0) == n, EMBER_ERROR_SHAPE, op,
                ": expected bias of size [", n, "] for weight ", meta::describe(w), ", but got ",
                meta::describe(b));
  }
  nn_meta::check_floating(op, "input", x);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &w}, {"bias", &b}});
  const DType ct = nn_meta::compute_dtype(x->dtype());
  const DimVector rows{m, k};
  const Tensor x2 = nn_meta::contiguous_as(reshape(x, rows), ct);
  const Tensor wc = nn_meta::contiguous_as(w, ct);
  const Tensor bc = b ? nn_meta::contiguous_as(b, ct) : Tensor();
  Tensor out = empty({m, n}, ct, x->device());
  if (out->numel() > 0) linear_stub(op, x->device(), out, x2, wc, bc);
  DimVector sizes(x->sizes());
  sizes[sizes.size() - 1] = n;
  return to_dtype(reshape(out, sizes), x->dtype());
}

}  // namespace ops
}  // namespace ember
