// Meta functions of the sorting and search ops.
#include "ops_sort.h"

#include <array>
#include <cmath>

#include "dispatch_shape.h"
#include "error.h"
#include "meta.h"
#include "nn_ops.h"
#include "ops.h"
#include "ops_index.h"
#include "ops_math.h"
#include "ops_shape.h"

namespace ember {

constinit DispatchStub<SortFn> sort_stub("sort");
constinit DispatchStub<TopkFn> topk_stub("topk");
constinit DispatchStub<KthvalueFn> kthvalue_stub("kthvalue");
constinit DispatchStub<SearchsortedFn> searchsorted_stub("searchsorted");
constinit DispatchStub<HistcFn> histc_stub("histc");

namespace ops {

namespace {

void check_sortable(const char* op, const Tensor& t) {
  EMBER_CHECK(t->dtype() != DType::Bool, EMBER_ERROR_DTYPE, op, ": not implemented for bool (",
              meta::describe(t), ")");
}

int64_t dim_size(const Tensor& t, int64_t d) { return t->dim() == 0 ? 1 : t->size(d); }

}  // namespace

std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  check_sortable("sort", t);
  const int64_t d = wrap_dim("sort", dim, t->dim());
  Tensor values = empty(t->sizes(), t->dtype(), t->device());
  Tensor indices = empty(t->sizes(), DType::Int64, t->device());
  if (t->numel() > 0) sort_stub("sort", t->device(), values, indices, t, d, descending, stable);
  return {values, indices};
}

std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool) {
  check_sortable("topk", t);
  const int64_t d = wrap_dim("topk", dim, t->dim());
  EMBER_CHECK(k >= 0 && k <= dim_size(t, d), EMBER_ERROR_INVALID_ARGUMENT, "topk: k (", k,
              ") is out of range for dimension ", d, " of ", meta::describe(t));
  DimVector sizes = t->sizes();
  if (t->dim() > 0) sizes[d] = k;
  Tensor values = empty(sizes, t->dtype(), t->device());
  Tensor indices = empty(sizes, DType::Int64, t->device());
  if (values->numel() > 0) topk_stub("topk", t->device(), values, indices, t, d, k, largest);
  return {values, indices};
}

std::pair<Tensor, Tensor> kthvalue(const Tensor& t, int64_t k, int64_t dim, bool keepdim) {
  check_sortable("kthvalue", t);
  const int64_t d = wrap_dim("kthvalue", dim, t->dim());
  EMBER_CHECK(k >= 1 && k <= dim_size(t, d), EMBER_ERROR_INVALID_ARGUMENT,
              "kthvalue: selected number k (", k, ") is out of range for dimension ", d, " of ",
              meta::describe(t));
  DimVector sizes = t->sizes();
  if (t->dim() > 0) sizes[d] = 1;
  Tensor values = empty(sizes, t->dtype(), t->device());
  Tensor indices = empty(sizes, DType::Int64, t->device());
  if (values->numel() > 0) kthvalue_stub("kthvalue", t->device(), values, indices, t, d, k);
  if (!keepdim && t->dim() > 0) {
    values = squeeze_dim(values, d);
    indices = squeeze_dim(indices, d);
  }
  return {values, indices};
}

// Runs of equal values in the sorted tensor, found with device ops only: the run starts
// (adjacent values differ; a NaN differs from everything, so NaNs stay apart, as in PyTorch), their
// positions (nonzero: the one read-back of a count), a scan for each element's run and a scatter of
// the runs back to the elements' places.
std::array<Tensor, 3> unique(const Tensor& t) {
  const Device device = t->device();
  const Tensor flat = flatten(t, 0, -1);
  const int64_t n = flat->numel();
  if (n == 0) {
    return {empty({0}, t->dtype(), device), empty(t->sizes(), DType::Int64, device),
            empty({0}, DType::Int64, device)};
  }
  const auto [sorted, order] = sort(flat, 0, false, true);
  const Tensor first = full({1}, Scalar::from_int(1), DType::Bool, device);
  const Tensor differs =
      compare(CompareOp::Ne, slice(sorted, 0, 1, n, 1), slice(sorted, 0, 0, n - 1, 1));
  const Tensor starts = cat(std::array<Tensor, 2>{first, differs}, 0);
  const Tensor firsts = flatten(nonzero(starts), 0, -1);
  const int64_t u = firsts->numel();
  const Tensor values = gather(sorted, 0, firsts);
  // Element i of the sorted order lies in run (starts up to i) - 1; order says where it came from.
  const Tensor run =
      binary_scalar(BinaryOp::Sub, cumsum(starts, 0, DType::Int64), Scalar::from_int(1));
  const Tensor inverse = scatter(zeros({n}, DType::Int64, device), 0, order, run,
                                 Scalar::from_int(0), ScatterReduce::None, true);
  // A run ends where the next begins, the last at n.
  const Tensor ends =
      cat(std::array<Tensor, 2>{slice(firsts, 0, 1, u, 1),
                                full({1}, Scalar::from_int(n), DType::Int64, device)},
          0);
  const Tensor counts = binary(BinaryOp::Sub, ends, firsts);
  return {values, reshape(inverse, t->sizes()), counts};
}

Tensor searchsorted(const Tensor& seq, const Tensor& values, bool out_int32, bool right) {
  const char* op = "searchsorted";
  meta::check_same_device(op, seq, values);
  EMBER_CHECK(seq->dim() >= 1, EMBER_ERROR_SHAPE, op,
              ": the sorted sequence must have at least 1 dim, got ", meta::describe(seq));
  if (seq->dim() > 1) {
    bool match = values->dim() == seq->dim();
    for (int64_t d = 0; match && d + 1 < seq->dim(); ++d) match = seq->size(d) == values->size(d);
    EMBER_CHECK(match, EMBER_ERROR_SHAPE, op,
                ": boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                "boundaries tensor and input value tensor must match, but we got boundaries "
                "tensor ",
                meta::describe(seq), " and input value tensor ", meta::describe(values));
  }
  check_sortable(op, values);
  // Compare in one dtype, as PyTorch does after promotion.
  const DType common = promote_types(seq->dtype(), values->dtype());
  Tensor s = to_dtype(seq, common), v = to_dtype(values, common);
  Tensor out = empty(values->sizes(), out_int32 ? DType::Int32 : DType::Int64, values->device());
  if (out->numel() > 0) {
    searchsorted_stub(op, values->device(), out, s, v, right);
  }
  return out;
}

Tensor bucketize(const Tensor& input, const Tensor& boundaries, bool out_int32, bool right) {
  EMBER_CHECK(boundaries->dim() == 1, EMBER_ERROR_SHAPE,
              "bucketize: boundaries tensor must be 1 dimension, but got ",
              meta::describe(boundaries));
  return searchsorted(boundaries, input, out_int32, right);
}

Tensor histc(const Tensor& t, int64_t bins, double min, double max) {
  EMBER_CHECK(is_floating(t->dtype()), EMBER_ERROR_DTYPE, "histc: not implemented for ",
              meta::describe(t), " (floating dtypes only)");
  EMBER_CHECK(bins > 0, EMBER_ERROR_INVALID_ARGUMENT, "histc: bins must be > 0, got ", bins);
  EMBER_CHECK(!(min > max), EMBER_ERROR_INVALID_ARGUMENT, "histc: max (", max,
              ") must be larger than or equal to min (", min, ")");
  const Tensor c = contiguous(t);
  if (min == max && c->numel() > 0) {
    // The range of the data, as PyTorch does (computed on the host copy).
    const Tensor h = to_dtype(to_device(c, Device{}), DType::Float64);
    const double* p = h->data_as<double>();
    min = INFINITY;
    max = -INFINITY;
    for (int64_t i = 0; i < h->numel(); ++i) {
      if (std::isnan(p[i])) continue;
      min = std::min(min, p[i]);
      max = std::max(max, p[i]);
    }
  }
  if (min == max) {
    min -= 1;
    max += 1;
  }
  EMBER_CHECK(std::isfinite(min) && std::isfinite(max), EMBER_ERROR_INVALID_ARGUMENT,
              "histc: range of [", min, ", ", max, "] is not finite (", meta::describe(t), ")");
  Tensor out = empty({bins}, t->dtype(), t->device());
  histc_stub("histc", t->device(), out, c, bins, min, max);
  return out;
}

}  // namespace ops
}  // namespace ember
