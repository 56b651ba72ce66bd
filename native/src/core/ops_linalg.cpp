// Meta function of matmul (torch.matmul): 1-d operands are promoted to matrices and squeezed back,
// batch dims broadcast.
#include "dispatch.h"
#include "error.h"
#include "meta.h"
#include "ops.h"

namespace ember {

constinit DispatchStub<MatmulFn> matmul_stub("matmul");

namespace ops {

namespace {

// t viewed with rank `rank`: leading size-1 dims added, a 1-d t becoming a row (as_row) or a
// column.
Tensor as_batched_matrix(const Tensor& t, int64_t rank, bool as_row) {
  DimVector sizes(t->sizes()), strides(t->strides());
  if (t->dim() == 1) {
    const int64_t at = as_row ? 0 : 1;
    sizes.insert(at, 1);
    strides.insert(at, 0);
  }
  while (sizes.size() < rank) {
    sizes.insert(0, 1);
    strides.insert(0, 0);
  }
  return make_view(t, sizes, strides, t->offset());
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  meta::check_same_device("matmul", a, b);
  const int64_t da = a->dim(), db = b->dim();
  EMBER_CHECK(da > 0 && db > 0, EMBER_ERROR_SHAPE,
              "matmul: both arguments need to be at least 1D, but they are ", da, "D and ", db,
              "D (a is ", meta::describe(a), ", b is ", meta::describe(b), ")");
  EMBER_CHECK(a->dtype() == b->dtype(), EMBER_ERROR_DTYPE,
              "matmul: expected both arguments to have the same dtype, but got ",
              dtype_name(a->dtype()), " and ", dtype_name(b->dtype()), " (a is ", meta::describe(a),
              ", b is ", meta::describe(b), ")");
  EMBER_CHECK(a->dtype() != DType::Bool, EMBER_ERROR_DTYPE,
              "matmul: not implemented for bool (a is ", meta::describe(a), ", b is ",
              meta::describe(b), ")");
  const int64_t n = da == 1 ? 1 : a->size(da - 2), k = a->size(da - 1);
  const int64_t kb = db == 1 ? b->size(0) : b->size(db - 2), m = db == 1 ? 1 : b->size(db - 1);
  EMBER_CHECK(k == kb, EMBER_ERROR_SHAPE, "matmul: mat1 and mat2 shapes cannot be multiplied (", n,
              "x", k, " and ", kb, "x", m, "); a is ", meta::describe(a), ", b is ",
              meta::describe(b));

  const DimVector batch_a(a->sizes().data(), std::max<int64_t>(da - 2, 0));
  const DimVector batch_b(b->sizes().data(), std::max<int64_t>(db - 2, 0));
  const std::string what =
      str("batch dims of a (", meta::describe(a), ") and b (", meta::describe(b), ")");
  const DimVector batch = meta::broadcast_shapes("matmul", batch_a, batch_b, what.c_str());

  DimVector full(batch), sizes(batch);
  full.push_back(n);
  full.push_back(m);
  if (da > 1) sizes.push_back(n);
  if (db > 1) sizes.push_back(m);
  Tensor out = empty(sizes, a->dtype(), a->device());
  if (out->numel() == 0) return out;
  if (k == 0) {
    fill_stub("matmul", a->device(), out, Scalar::from_int(0));
    return out;
  }
  const int64_t rank = full.size();
  const Tensor out_full = make_view(out, full, contiguous_strides(full), out->offset());
  matmul_stub("matmul", a->device(), out_full, as_batched_matrix(a, rank, true),
              as_batched_matrix(b, rank, false));
  return out;
}

}  // namespace ops
}  // namespace ember
