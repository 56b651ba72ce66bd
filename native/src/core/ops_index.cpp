// Meta functions of the indexing ops. Index tensors are checked here (dtype, rank, shapes) and by
// the kernels (values, before anything is written), so a failed op leaves its inputs untouched.
// Advanced indexing linearises the indexed dims into one and runs the index_select / index_add
// kernels over it.
#include "ops_index.h"

#include <algorithm>

#include "error.h"
#include "meta.h"
#include "nn_ops.h"
#include "ops.h"
#include "ops_math.h"
#include "ops_shape.h"

namespace ember {

constinit DispatchStub<GatherFn> gather_stub("gather");
constinit DispatchStub<ScatterFn> scatter_stub("scatter");
constinit DispatchStub<MaskedFillFn> masked_fill_stub("masked_fill");
constinit DispatchStub<MaskedSelectFn> masked_select_stub("masked_select");
constinit DispatchStub<MaskedScatterFn> masked_scatter_stub("masked_scatter");
constinit DispatchStub<NonzeroFn> nonzero_stub("nonzero");

namespace ops {

namespace {

// A 0-d/1-d int64/int32 index on self's device.
void check_dim_index(const char* op, const Tensor& self, const Tensor& index) {
  meta::check_same_device(op, self, index);
  EMBER_CHECK(index->dim() <= 1, EMBER_ERROR_SHAPE, op, ": index must be 0-d or 1-d, got ",
              meta::describe(index), " (self is ", meta::describe(self), ")");
  EMBER_CHECK(index->dtype() == DType::Int64 || index->dtype() == DType::Int32, EMBER_ERROR_DTYPE,
              op, ": expected index of dtype int64 or int32, got ", meta::describe(index));
}

// The values of a 0-d/1-d integer index along a dim of `size`, checked (negatives wrap when
// allowed).
std::vector<int64_t> dim_indices(const char* op, const Tensor& self, int64_t dim,
                                 const Tensor& index, bool wrap_negative) {
  check_dim_index(op, self, index);
  std::vector<int64_t> v = int_values(op, "index", index);
  const int64_t size = self->dim() == 0 ? 1 : self->size(dim);
  for (int64_t& i : v) {
    const int64_t given = i;
    if (wrap_negative && i < 0) i += size;
    EMBER_CHECK(i >= 0 && i < size, EMBER_ERROR_INVALID_ARGUMENT, op, ": index ", given,
                " is out of bounds for dim ", dim, " with size ", size, " (self is ",
                meta::describe(self), ")");
  }
  return v;
}

// self seen with at least one dim (a 0-d tensor as [1]).
Tensor at_least_1d(const Tensor& t) {
  return t->dim() == 0 ? make_view(t, DimVector{1}, DimVector{1}, t->offset()) : t;
}

void check_writable(const char* op, const Tensor& self) {
  meta::check_no_internal_overlap(op, self);
}

bool is_one(Scalar s) { return s.is_floating() ? s.f == 1.0 : s.i == 1; }

void index_accumulate(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                      const Tensor& source, Scalar alpha, bool accumulate) {
  const int64_t d = wrap_dim(op, dim, self->dim());
  check_dim_index(op, self, index);
  meta::check_same_device(op, self, source);
  EMBER_CHECK(source->dtype() == self->dtype(), EMBER_ERROR_DTYPE, op,
              ": self and source must have the same dtype, got ", meta::describe(self), " and ",
              meta::describe(source));
  const Tensor s = at_least_1d(self), src = at_least_1d(source);
  const int64_t count = index->numel();
  bool fits = s->dim() == src->dim() && src->size(d) == count;
  for (int64_t k = 0; fits && k < s->dim(); ++k) fits = k == d || s->size(k) == src->size(k);
  EMBER_CHECK(fits, EMBER_ERROR_SHAPE, op, ": source ", meta::describe(source),
              " does not fit self ", meta::describe(self), " with ", count, " indices along dim ",
              d);
  meta::check_no_partial_overlap(op, self, source);
  // On a device the index stays there: a scatter over source's shape checks each value and
  // reports a bad one at the next synchronising call. Bool sums keep the table path (the
  // device scatter has no bool reductions).
  if (index_on_device(scatter_stub, self->device()) &&
      !(accumulate && self->dtype() == DType::Bool)) {
    if (s->numel() == 0 || count == 0) return;
    Tensor values = src;
    if (accumulate && !is_one(alpha)) {
      values = binary_scalar(BinaryOp::Mul, src, alpha);
      if (values->dtype() != self->dtype()) values = to_dtype(values, self->dtype());
    }
    scatter_stub(op, self->device(), op, s, d, spread_index(index, src->sizes(), d), values,
                 Scalar::from_int(0), accumulate ? ScatterReduce::Sum : ScatterReduce::None, true);
    return;
  }
  std::vector<int64_t> idx = dim_indices(op, self, d, index, false);
  if (s->numel() > 0 && !idx.empty()) {
    index_add_stub(op, self->device(), s, d, idx, src, std::span<const int64_t>(), alpha,
                   accumulate);
  }
}

Tensor cloned(const Tensor& t) { return clone(t); }

}  // namespace

// ---- index_add / index_copy / index_fill ----

void index_add_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                Scalar alpha) {
  check_writable("index_add_", self);
  index_accumulate("index_add_", self, dim, index, source, alpha, true);
  self->storage()->bump_version();
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source,
                 Scalar alpha) {
  Tensor out = cloned(self);
  index_accumulate("index_add", out, dim, index, source, alpha, true);
  return out;
}

void index_copy_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  check_writable("index_copy_", self);
  index_accumulate("index_copy_", self, dim, index, source, Scalar::from_int(1), false);
  self->storage()->bump_version();
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor out = cloned(self);
  index_accumulate("index_copy", out, dim, index, source, Scalar::from_int(1), false);
  return out;
}

namespace {

// An int64 index with its negative values wrapped by n, on its device; values still outside
// [0, n) are left for the kernel to report.
Tensor wrap_negatives(const Tensor& index, int64_t n) {
  const Tensor ix = index->dtype() == DType::Int64 ? index : to_dtype(index, DType::Int64);
  return where(compare_scalar(CompareOp::Lt, ix, Scalar::from_int(0)),
               binary_scalar(BinaryOp::Add, ix, Scalar::from_int(n)), ix);
}

void index_fill_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                     Scalar value) {
  const int64_t d = wrap_dim(op, dim, self->dim());
  if (index_on_device(scatter_stub, self->device())) {
    // A scatter of the value on the device (see index_accumulate).
    check_dim_index(op, self, index);
    const Tensor s = at_least_1d(self);
    if (s->numel() == 0 || index->numel() == 0) return;
    DimVector sizes = s->sizes();
    sizes[d] = index->numel();
    scatter_stub(op, self->device(), op, s, d,
                 spread_index(wrap_negatives(index, s->size(d)), sizes, d), Tensor(), value,
                 ScatterReduce::None, true);
    return;
  }
  std::vector<int64_t> idx = dim_indices(op, self, d, index, true);
  const Tensor s = at_least_1d(self);
  // The value as a tensor broadcast (stride 0) to the shape of the slices.
  Tensor v = full({}, value, self->dtype(), self->device());
  DimVector sizes = s->sizes();
  sizes[d] = idx.size();
  const Tensor src = make_view(v, sizes, DimVector(sizes.size(), 0), v->offset());
  if (s->numel() > 0 && !idx.empty()) {
    index_add_stub(op, self->device(), s, d, idx, src, std::span<const int64_t>(),
                   Scalar::from_int(1), false);
  }
}

}  // namespace

void index_fill_(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  check_writable("index_fill_", self);
  index_fill_impl("index_fill_", self, dim, index, value);
  self->storage()->bump_version();
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  Tensor out = cloned(self);
  index_fill_impl("index_fill", out, dim, index, value);
  return out;
}

// ---- gather / scatter ----

namespace {

void check_gather_index(const char* op, const Tensor& self, int64_t d, const Tensor& index,
                        const Tensor* src) {
  meta::check_same_device(op, self, index);
  EMBER_CHECK(index->dtype() == DType::Int64, EMBER_ERROR_DTYPE, op,
              ": expected index of dtype int64, got ", meta::describe(index));
  const int64_t nd = std::max<int64_t>(self->dim(), 1);
  EMBER_CHECK(std::max<int64_t>(index->dim(), 1) == nd, EMBER_ERROR_SHAPE, op,
              ": index tensor must have the same number of dimensions as self; index is ",
              meta::describe(index), ", self is ", meta::describe(self));
  for (int64_t k = 0; k < index->dim(); ++k) {
    if (k != d) {
      EMBER_CHECK(index->size(k) <= self->size(k), EMBER_ERROR_SHAPE, op, ": size of index (",
                  meta::describe(index), ") must not exceed self (", meta::describe(self),
                  ") outside dim ", d);
    }
    if (src != nullptr) {
      EMBER_CHECK((*src)->dim() == index->dim() && index->size(k) <= (*src)->size(k),
                  EMBER_ERROR_SHAPE, op, ": size of index (", meta::describe(index),
                  ") must not exceed src (", meta::describe(*src), ")");
    }
  }
  if (src != nullptr) {
    meta::check_same_device(op, self, *src);
    EMBER_CHECK((*src)->dtype() == self->dtype(), EMBER_ERROR_DTYPE, op,
                ": expected self and src to have the same dtype, got ", meta::describe(self),
                " and ", meta::describe(*src));
  }
}

void scatter_impl(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                  const Tensor& src, Scalar value, ScatterReduce reduce, bool include_self) {
  const int64_t d = wrap_dim(op, dim, self->dim());
  check_gather_index(op, self, d, index, src ? &src : nullptr);
  EMBER_CHECK(reduce == ScatterReduce::None || self->dtype() != DType::Bool, EMBER_ERROR_DTYPE, op,
              ": reductions are not implemented for bool (self is ", meta::describe(self), ")");
  if (src) meta::check_no_partial_overlap(op, self, src);
  if (index->numel() > 0) {
    scatter_stub(op, self->device(), op, self, d, index, src, value, reduce, include_self);
  }
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  const int64_t d = wrap_dim("gather", dim, self->dim());
  check_gather_index("gather", self, d, index, nullptr);
  Tensor out = empty(index->sizes(), self->dtype(), self->device());
  if (out->numel() > 0) gather_stub("gather", self->device(), "gather", out, self, d, index);
  return out;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
               Scalar value, ScatterReduce reduce, bool include_self) {
  const char* op = reduce == ScatterReduce::None                  ? "scatter"
                   : reduce == ScatterReduce::Sum && include_self ? "scatter_add"
                                                                  : "scatter_reduce";
  Tensor out = cloned(self);
  scatter_impl(op, out, dim, index, src, value, reduce, include_self);
  return out;
}

void scatter_(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, Scalar value,
              ScatterReduce reduce, bool include_self) {
  const char* op = reduce == ScatterReduce::None                  ? "scatter_"
                   : reduce == ScatterReduce::Sum && include_self ? "scatter_add_"
                                                                  : "scatter_reduce_";
  check_writable(op, self);
  scatter_impl(op, self, dim, index, src, value, reduce, include_self);
  self->storage()->bump_version();
}

// ---- masks ----

namespace {

void check_mask(const char* op, const Tensor& self, const Tensor& mask) {
  meta::check_same_device(op, self, mask);
  EMBER_CHECK(mask->dtype() == DType::Bool, EMBER_ERROR_DTYPE, op,
              ": expected a mask of dtype bool, got ", meta::describe(mask));
}

// mask broadcast to self's shape (in-place ops cannot grow self).
Tensor mask_for(const char* op, const Tensor& self, const Tensor& mask) {
  check_mask(op, self, mask);
  const DimVector shape = meta::broadcast_shapes(op, self, mask);
  EMBER_CHECK(shape == self->sizes(), EMBER_ERROR_SHAPE, op, ": mask ", meta::describe(mask),
              " cannot be broadcast to self ", meta::describe(self));
  return expand(mask, std::span<const int64_t>(shape));
}

// self broadcast with mask into a new tensor, for the out-of-place forms.
Tensor broadcast_copy(const char* op, const Tensor& self, const Tensor& mask) {
  check_mask(op, self, mask);
  const DimVector shape = meta::broadcast_shapes(op, self, mask);
  Tensor out = empty(shape, self->dtype(), self->device());
  if (out->numel() > 0) copy_stub(op, self->device(), out, self);
  return out;
}

}  // namespace

void masked_fill_(const Tensor& self, const Tensor& mask, Scalar value) {
  check_writable("masked_fill_", self);
  const Tensor m = mask_for("masked_fill_", self, mask);
  if (self->numel() > 0) masked_fill_stub("masked_fill_", self->device(), self, m, value);
  self->storage()->bump_version();
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, Scalar value) {
  Tensor out = broadcast_copy("masked_fill", self, mask);
  if (out->numel() > 0) masked_fill_stub("masked_fill", self->device(), out, mask, value);
  return out;
}

void masked_scatter_(const Tensor& self, const Tensor& mask, const Tensor& source) {
  check_writable("masked_scatter_", self);
  const Tensor m = mask_for("masked_scatter_", self, mask);
  meta::check_same_device("masked_scatter_", self, source);
  EMBER_CHECK(source->dtype() == self->dtype(), EMBER_ERROR_DTYPE,
              "masked_scatter_: expected self and source to have the same dtype, got ",
              meta::describe(self), " and ", meta::describe(source));
  if (self->numel() > 0) masked_scatter_stub("masked_scatter_", self->device(), self, m, source);
  self->storage()->bump_version();
}

Tensor masked_scatter(const Tensor& self, const Tensor& mask, const Tensor& source) {
  Tensor out = broadcast_copy("masked_scatter", self, mask);
  const Tensor m = mask_for("masked_scatter", out, mask);
  meta::check_same_device("masked_scatter", self, source);
  EMBER_CHECK(source->dtype() == self->dtype(), EMBER_ERROR_DTYPE,
              "masked_scatter: expected self and source to have the same dtype, got ",
              meta::describe(self), " and ", meta::describe(source));
  if (out->numel() > 0) masked_scatter_stub("masked_scatter", self->device(), out, m, source);
  return out;
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  check_mask("masked_select", self, mask);
  const DimVector shape = meta::broadcast_shapes("masked_select", self, mask);
  return masked_select_stub("masked_select", self->device(),
                            expand(self, std::span<const int64_t>(shape)),
                            expand(mask, std::span<const int64_t>(shape)));
}

// ---- take, nonzero, one_hot, embedding ----

Tensor spread_index(const Tensor& index, const DimVector& sizes, int64_t dim) {
  const Tensor i64 = index->dtype() == DType::Int64 ? index : to_dtype(index, DType::Int64);
  DimVector strides(sizes.size(), 0);
  strides[dim] = i64->dim() == 0 ? 0 : i64->stride(0);
  return make_view(i64, sizes, strides, i64->offset());
}

Tensor take(const Tensor& self, const Tensor& index) {
  meta::check_same_device("take", self, index);
  EMBER_CHECK(index->dtype() == DType::Int64, EMBER_ERROR_DTYPE,
              "take: expected index of dtype int64, got ", meta::describe(index));
  const Tensor flat = flatten(self, 0, -1);
  if (index_on_device(gather_stub, self->device())) {
    // Negatives wrap on the device; what is still out of [0, n) is reported by the gather.
    const Tensor wrapped = wrap_negatives(flatten(index, 0, -1), flat->size(0));
    Tensor out = empty({wrapped->size(0)}, self->dtype(), self->device());
    if (out->numel() > 0) gather_stub("take", self->device(), "take", out, flat, 0, wrapped);
    return view(out, std::span<const int64_t>(index->sizes()));
  }
  std::vector<int64_t> v = int_values("take", "index", flatten(index, 0, -1));
  const int64_t n = flat->size(0);
  for (int64_t& i : v) {
    EMBER_CHECK(i >= -n && i < n, EMBER_ERROR_INVALID_ARGUMENT, "take: index ", i,
                " is out of range for a tensor of ", n, " elements (self is ", meta::describe(self),
                ")");
    if (i < 0) i += n;
  }
  std::vector<std::vector<int64_t>> tables{std::move(v)};
  Tensor out = empty({static_cast<int64_t>(tables[0].size())}, self->dtype(), self->device());
  if (out->numel() > 0)
    gather_dims_stub("take", self->device(), out, flat, tables, Scalar::from_int(0));
  return view(out, std::span<const int64_t>(index->sizes()));
}

Tensor take_along_dim(const Tensor& self, const Tensor& indices, int64_t dim, bool has_dim) {
  if (!has_dim) {
    return gather(flatten(self, 0, -1), 0, flatten(indices, 0, -1));
  }
  const int64_t d = wrap_dim("take_along_dim", dim, self->dim());
  EMBER_CHECK(self->dim() == indices->dim(), EMBER_ERROR_SHAPE,
              "take_along_dim: input and indices should have the same number of dimensions, got ",
              meta::describe(self), " and ", meta::describe(indices));
  // Broadcast everything but dim.
  DimVector a = self->sizes(), b = indices->sizes();
  if (self->dim() > 0) a[d] = b[d] = 1;
  const std::string what =
      str("input ", meta::describe(self), " and indices ", meta::describe(indices));
  DimVector shape = meta::broadcast_shapes("take_along_dim", a, b, what.c_str());
  DimVector sa = shape, sb = shape;
  if (self->dim() > 0) {
    sa[d] = self->size(d);
    sb[d] = indices->size(d);
  }
  return gather(expand(self, std::span<const int64_t>(sa)), d,
                expand(indices, std::span<const int64_t>(sb)));
}

Tensor nonzero(const Tensor& self) { return nonzero_stub("nonzero", self->device(), self); }

Tensor one_hot(const Tensor& self, int64_t num_classes) {
  EMBER_CHECK(self->dtype() == DType::Int64, EMBER_ERROR_DTYPE,
              "one_hot: one_hot is only applicable to index tensors of dtype int64, got ",
              meta::describe(self));
  EMBER_CHECK(num_classes >= -1, EMBER_ERROR_INVALID_ARGUMENT,
              "one_hot: num_classes should be -1 or non-negative, got ", num_classes);
  std::vector<int64_t> v = int_values("one_hot", "self", flatten(self, 0, -1));
  int64_t top = -1;
  for (int64_t i : v) {
    EMBER_CHECK(i >= 0, EMBER_ERROR_INVALID_ARGUMENT,
                "one_hot: class values must be non-negative, got ", i);
    top = std::max(top, i);
  }
  if (num_classes == -1) {
    EMBER_CHECK(!v.empty(), EMBER_ERROR_INVALID_ARGUMENT,
                "one_hot: can not infer the total number of classes from an empty tensor");
    num_classes = top + 1;
  }
  EMBER_CHECK(top < num_classes, EMBER_ERROR_INVALID_ARGUMENT,
              "one_hot: class values must be "
              "smaller than num_classes (",
              num_classes, "), got ", top);
  DimVector sizes = self->sizes();
  sizes.push_back(num_classes);
  Tensor out = zeros(sizes, DType::Int64, self->device());
  if (out->numel() > 0) {
    scatter_stub("one_hot", self->device(), "one_hot", out, sizes.size() - 1, unsqueeze(self, -1),
                 Tensor(), Scalar::from_int(1), ScatterReduce::None, true);
  }
  return out;
}

Tensor embedding(const Tensor& weight, const Tensor& indices) {
  EMBER_CHECK(weight->dim() == 2, EMBER_ERROR_SHAPE, "embedding: weight must be 2-d, got ",
              meta::describe(weight));
  EMBER_CHECK(indices->dtype() == DType::Int64 || indices->dtype() == DType::Int32,
              EMBER_ERROR_DTYPE, "embedding: expected indices of dtype int64 or int32, got ",
              meta::describe(indices));
  const Tensor flat = flatten(indices, 0, -1);
  if (index_on_device(gather_stub, weight->device())) {
    // Rows gathered on the device; a bad index is reported at the next synchronising call.
    check_dim_index("embedding", weight, flat);
    const DimVector rows{flat->size(0), weight->size(1)};
    Tensor out = empty(rows, weight->dtype(), weight->device());
    if (out->numel() > 0) {
      gather_stub("embedding", weight->device(), "embedding", out, weight, 0,
                  spread_index(flat, rows, 0));
    }
    DimVector sizes = indices->sizes();
    sizes.push_back(weight->size(1));
    return view(out, std::span<const int64_t>(sizes));
  }
  std::vector<int64_t> v = dim_indices("embedding", weight, 0, flat, false);
  std::vector<std::vector<int64_t>> tables(2);
  tables[0] = std::move(v);
  Tensor out = empty({static_cast<int64_t>(tables[0].size()), weight->size(1)}, weight->dtype(),
                     weight->device());
  if (out->numel() > 0) {
    gather_dims_stub("embedding", weight->device(), out, weight, tables, Scalar::from_int(0));
  }
  DimVector sizes = indices->sizes();
  sizes.push_back(weight->size(1));
  return view(out, std::span<const int64_t>(sizes));
}

// ---- advanced indexing ----

namespace {

// Advanced indexing of self by `indices`, linearised: the indexed dims (in order) and the
// broadcast index shape; `linear` holds, per element of that shape, the row of self's indexed
// dims flattened into one.
struct Linearised {
  std::vector<int64_t> dims;  // indexed dims of self, ascending
  DimVector shape;            // the broadcast shape of the index tensors
  std::vector<int64_t> linear;
  bool adjacent = true;
};

Linearised linearise(const char* op, const Tensor& self, std::span<const Tensor> indices) {
  // Bool masks become one integer index per dim they cover.
  std::vector<Tensor> per_dim;
  for (const Tensor& ix : indices) {
    if (ix && (ix->dtype() == DType::Bool || ix->dtype() == DType::UInt8)) {
      const int64_t at = per_dim.size();
      EMBER_CHECK(at + ix->dim() <= self->dim(), EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": too many indices for tensor of dimension ", self->dim(), " (self is ",
                  meta::describe(self), ")");
      for (int64_t k = 0; k < ix->dim(); ++k) {
        EMBER_CHECK(ix->size(k) == self->size(at + k), EMBER_ERROR_INVALID_ARGUMENT, op,
                    ": the shape of the mask ", meta::describe(ix), " at index ", k,
                    " does not match the shape of the indexed tensor ", meta::describe(self),
                    " at index ", at + k);
      }
      const Tensor nz = nonzero(to_dtype(ix, DType::Bool));
      if (ix->dim() == 0) {
        // A 0-d mask adds a dim of size 1 (true) or 0 (false); handled by the caller (C#) as
        // unsqueeze + mask, so here it is refused with a clear message.
        EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op,
                   ": a 0-d boolean index is not supported here; unsqueeze first");
      }
      for (int64_t k = 0; k < ix->dim(); ++k) per_dim.push_back(select(nz, 1, k));
    } else {
      if (ix) {
        EMBER_CHECK(is_integral(ix->dtype(), false), EMBER_ERROR_DTYPE, op,
                    ": tensors used as indices must be long, int, byte or bool tensors, got ",
                    meta::describe(ix));
        meta::check_same_device(op, self, ix);
      }
      per_dim.push_back(ix);
    }
  }
  EMBER_CHECK(static_cast<int64_t>(per_dim.size()) <= self->dim(), EMBER_ERROR_INVALID_ARGUMENT, op,
              ": too many indices for tensor of dimension ", self->dim(), " (self is ",
              meta::describe(self), ")");
  Linearised r;
  bool first = true;
  for (size_t d = 0; d < per_dim.size(); ++d) {
    if (!per_dim[d]) continue;
    if (!r.dims.empty() && r.dims.back() != static_cast<int64_t>(d) - 1) r.adjacent = false;
    r.dims.push_back(d);
    if (first) {
      r.shape = per_dim[d]->sizes();
      first = false;
    } else {
      const std::string what = str("index tensors ", r.shape, " and ", meta::describe(per_dim[d]));
      r.shape = meta::broadcast_shapes(op, r.shape, per_dim[d]->sizes(), what.c_str());
    }
  }
  EMBER_CHECK(!r.dims.empty(), EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected at least one index tensor");
  int64_t count = 1;
  for (int64_t s : r.shape) count *= s;
  r.linear.assign(count, 0);
  for (int64_t d : r.dims) {
    const Tensor& ix = per_dim[d];
    const Tensor b = contiguous(
        to_dtype(to_device(expand(ix, std::span<const int64_t>(r.shape)), Device{}), DType::Int64));
    const int64_t* p = b->data_as<int64_t>();
    const int64_t size = self->size(d);
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = p[i];
      EMBER_CHECK(v >= -size && v < size, EMBER_ERROR_INVALID_ARGUMENT, op, ": index ", v,
                  " is out of bounds for dimension ", d, " with size ", size, " (self is ",
                  meta::describe(self), ")");
      if (v < 0) v += size;
      r.linear[i] = r.linear[i] * size + v;
    }
  }
  return r;
}

// self with the indexed dims moved to the front, in order.
Tensor indexed_first(const Tensor& self, const Linearised& r) {
  DimVector perm;
  for (int64_t d : r.dims) perm.push_back(d);
  for (int64_t d = 0; d < self->dim(); ++d) {
    if (std::find(r.dims.begin(), r.dims.end(), d) == r.dims.end()) perm.push_back(d);
  }
  return permute(self, std::span<const int64_t>(perm));
}

// The sizes of the rows: [prod of the indexed sizes, the other dims...].
DimVector row_sizes(const Tensor& front, int64_t k) {
  DimVector s{1};
  for (int64_t i = 0; i < k; ++i) s[0] *= front->size(i);
  for (int64_t i = k; i < front->dim(); ++i) s.push_back(front->size(i));
  return s;
}

// The permutation that takes [B..., before..., after...] to [before..., B..., after...].
DimVector result_order(int64_t nb, int64_t before, int64_t rest) {
  DimVector perm;
  for (int64_t i = 0; i < before; ++i) perm.push_back(nb + i);
  for (int64_t i = 0; i < nb; ++i) perm.push_back(i);
  for (int64_t i = before; i < rest; ++i) perm.push_back(nb + i);
  return perm;
}

}  // namespace

Tensor index(const Tensor& self, std::span<const Tensor> indices) {
  const Linearised r = linearise("index", self, indices);
  const int64_t k = r.dims.size();
  const Tensor front = indexed_first(self, r);
  const Tensor rows = reshape(front, std::span<const int64_t>(row_sizes(front, k)));
  DimVector out_rows = rows->sizes();
  out_rows[0] = r.linear.size();
  std::vector<std::vector<int64_t>> tables(rows->dim());
  tables[0] = r.linear;
  Tensor out = empty(out_rows, self->dtype(), self->device());
  if (out->numel() > 0) {
    gather_dims_stub("index", self->device(), out, rows, tables, Scalar::from_int(0));
  }
  DimVector sizes = r.shape;
  for (int64_t i = k; i < front->dim(); ++i) sizes.push_back(front->size(i));
  Tensor shaped = view(out, std::span<const int64_t>(sizes));
  if (!r.adjacent || r.dims[0] == 0) return shaped;
  // Adjacent indexed dims keep their place, as in NumPy.
  const DimVector perm = result_order(r.shape.size(), r.dims[0], front->dim() - k);
  return contiguous(permute(shaped, std::span<const int64_t>(perm)));
}

void index_put_(const Tensor& self, std::span<const Tensor> indices, const Tensor& values,
                bool accumulate) {
  const char* op = "index_put_";
  check_writable(op, self);
  meta::check_same_device(op, self, values);
  EMBER_CHECK(values->dtype() == self->dtype(), EMBER_ERROR_DTYPE, op,
              ": index put requires the source and destination dtypes match, got ",
              meta::describe(self), " and values ", meta::describe(values));
  const Linearised r = linearise(op, self, indices);
  const int64_t k = r.dims.size();
  const Tensor front = indexed_first(self, r);
  // The shape index() would return, and values broadcast to it.
  const int64_t nb = r.shape.size(), rest = front->dim() - k;
  DimVector result = r.shape;
  for (int64_t i = k; i < front->dim(); ++i) result.push_back(front->size(i));
  const bool moved = r.adjacent && r.dims[0] != 0;
  DimVector perm;
  if (moved) {
    perm = result_order(nb, r.dims[0], rest);
    DimVector permuted(result.size());
    for (int64_t i = 0; i < result.size(); ++i) permuted[i] = result[perm[i]];
    result = permuted;
  }
  const DimVector vshape =
      meta::broadcast_shapes(op, values->sizes(), result, "values and the indexed shape");
  EMBER_CHECK(vshape == result, EMBER_ERROR_SHAPE, op, ": shape mismatch: values ",
              meta::describe(values), " cannot be broadcast to indexing result of shape ", result);
  Tensor v = expand(values, std::span<const int64_t>(result));
  if (moved) {
    DimVector inverse(perm.size());
    for (int64_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = i;
    v = permute(v, std::span<const int64_t>(inverse));
  }
  DimVector rows_shape = row_sizes(front, k);
  DimVector vrows = rows_shape;
  vrows[0] = r.linear.size();
  const Tensor vr = reshape(v, std::span<const int64_t>(vrows));
  meta::check_no_partial_overlap(op, self, values);
  if (r.linear.empty() || front->numel() == 0) {
    self->storage()->bump_version();
    return;
  }
  // Write through a view of self when the layout allows, else through a copy written back.
  Tensor rows;
  bool through_copy = false;
  try {
    rows = view(front, std::span<const int64_t>(rows_shape));
  } catch (const Error&) {
    rows = reshape(contiguous(front), std::span<const int64_t>(rows_shape));
    through_copy = true;
  }
  index_add_stub(op, self->device(), rows, 0, r.linear, vr, std::span<const int64_t>(),
                 Scalar::from_int(1), accumulate);
  if (through_copy)
    copy_stub(op, self->device(), front, view(rows, std::span<const int64_t>(front->sizes())));
  self->storage()->bump_version();
}

Tensor index_put(const Tensor& self, std::span<const Tensor> indices, const Tensor& values,
                 bool accumulate) {
  Tensor out = clone(self);
  index_put_(out, indices, values, accumulate);
  return out;
}

}  // namespace ops
}  // namespace ember
