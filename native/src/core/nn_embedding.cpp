// Embedding meta functions: the backward of embedding (the forward is ember_embedding, a gather),
// max_norm renormalisation, and embedding_bag forward/backward. Indices are checked against the
// number of rows here, so kernels index without checks; only the backward of embedding on a
// device leaves the check to the device (a scatter), so that it records into CUDA graphs.
#include <algorithm>

#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"
#include "nn_ops.h"
#include "ops_index.h"
#include "ops_math.h"
#include "ops_shape.h"

namespace ember {

DispatchStub<EmbeddingBackwardFn> embedding_backward_stub("embedding_backward");
DispatchStub<EmbeddingRenormFn> embedding_renorm_stub("embedding_renorm_");
DispatchStub<EmbeddingBagFn> embedding_bag_stub("embedding_bag");
DispatchStub<EmbeddingBagBackwardFn> embedding_bag_backward_stub("embedding_bag_backward");
DispatchStub<EmbeddingBagPswBackwardFn> embedding_bag_psw_backward_stub(
    "embedding_bag_per_sample_weights_backward");

namespace ops {
namespace {

void check_index_dtype(const char* op, const Tensor& indices) {
  EMBER_CHECK(indices->dtype() == DType::Int64 || indices->dtype() == DType::Int32,
              EMBER_ERROR_DTYPE, op,
              ": Expected tensor for argument #1 'indices' to have one of "
              "the following scalar types: Long, Int; but got ",
              meta::describe(indices));
}

// indices as contiguous int64, every value in [0, rows).
Tensor checked_indices(const char* op, const Tensor& indices, int64_t rows) {
  check_index_dtype(op, indices);
  const Tensor idx = nn_meta::contiguous_as(indices, DType::Int64);
  // The check reads the values on the host (a copy for device tensors: one synchronisation).
  const Tensor host = to_device(idx, Device{});
  const int64_t* p = host->data_as<int64_t>();
  for (int64_t i = 0; i < idx->numel(); ++i) {
    EMBER_CHECK(p[i] >= 0 && p[i] < rows, EMBER_ERROR_INVALID_ARGUMENT, op, ": index ", p[i],
                " is out of range for ", rows, " embeddings (position ", i, ")");
  }
  return idx;
}

int64_t checked_padding(const char* op, int64_t padding_idx, int64_t rows) {
  EMBER_CHECK(padding_idx < rows, EMBER_ERROR_INVALID_ARGUMENT, op, ": padding_idx ", padding_idx,
              " must be within the ", rows, " embeddings (negative means none)");
  return padding_idx < 0 ? -1 : padding_idx;
}

void check_weight(const char* op, const Tensor& weight) {
  EMBER_CHECK(weight->dim() == 2, EMBER_ERROR_SHAPE, op,
              ": 'weight' must be 2-D (num_embeddings, embedding_dim), but got ",
              meta::describe(weight));
  nn_meta::check_floating(op, "weight", weight);
}

// Bag bounds (B + 1) from offsets: starts, plus the end n unless include_last_offset.
Tensor bag_bounds(const char* op, const Tensor& offsets, int64_t n, bool include_last_offset) {
  EMBER_CHECK(offsets->dim() == 1, EMBER_ERROR_SHAPE, op, ": offsets has to be a 1D Tensor, got ",
              meta::describe(offsets));
  EMBER_CHECK(offsets->dtype() == DType::Int64 || offsets->dtype() == DType::Int32,
              EMBER_ERROR_DTYPE, op, ": offsets must be int64 or int32, got ",
              meta::describe(offsets));
  // Bounds are computed on the host and then moved to the offsets' device.
  const Tensor o = to_device(nn_meta::contiguous_as(offsets, DType::Int64), Device{});
  const int64_t count = o->numel();
  EMBER_CHECK(!include_last_offset || count >= 1, EMBER_ERROR_SHAPE, op,
              ": include_last_offset needs at least one offset");
  const int64_t bags = include_last_offset ? count - 1 : count;
  Tensor bounds = empty({bags + 1}, DType::Int64, Device{});
  const int64_t* src = o->data_as<int64_t>();
  int64_t* dst = bounds->data_as<int64_t>();
  for (int64_t b = 0; b < bags; ++b) dst[b] = src[b];
  dst[bags] = include_last_offset ? std::min(src[bags], n) : n;
  EMBER_CHECK(bags == 0 || dst[0] == 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
              "from position 0. However, got ",
              dst[0]);
  for (int64_t b = 0; b < bags; ++b) {
    EMBER_CHECK(dst[b] <= dst[b + 1] && dst[b + 1] <= n, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": offsets must be non-decreasing and at most the number of indices (", n,
                "), got offsets[", b, "] = ", dst[b], " before ", dst[b + 1]);
  }
  return to_device(bounds, offsets->device());
}

void check_bag_inputs(const char* op, const Tensor& indices, const Tensor& psw, BagMode mode) {
  EMBER_CHECK(indices->dim() == 1, EMBER_ERROR_SHAPE, op,
              ": input has to be a 1D Tensor when offsets are given, got ",
              meta::describe(indices));
  EMBER_CHECK(mode == BagMode::Sum || mode == BagMode::Mean || mode == BagMode::Max,
              EMBER_ERROR_INVALID_ARGUMENT, op, ": mode must be 0 (sum), 1 (mean) or 2 (max), got ",
              static_cast<int32_t>(mode));
  if (psw) {
    EMBER_CHECK(mode == BagMode::Sum, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                "supported for mode='sum'");
    EMBER_CHECK(psw->dim() == 1 && psw->numel() == indices->numel(), EMBER_ERROR_SHAPE, op,
                ": expected per_sample_weights to be 1D with the same number of elements as "
                "input (",
                indices->numel(), "), but got ", meta::describe(psw));
  }
}

// The backward of embedding on a device, in dtype cd: grad's rows summed into their embeddings by
// a scatter that checks each index there (a bad one fails the next synchronising call).
Tensor embedding_backward_on_device(const char* op, const Tensor& grad, const Tensor& indices,
                                    int64_t num_weights, int64_t pad, bool scale_grad_by_freq,
                                    DType cd) {
  const Device dev = grad->device();
  const int64_t n = indices->numel(), dim = grad->size(grad->dim() - 1);
  Tensor gw = zeros({num_weights, dim}, cd, dev);
  if (n == 0 || gw->numel() == 0) return gw;
  const Tensor flat = flatten(nn_meta::contiguous_as(indices, DType::Int64), 0, -1);
  const int64_t rows_shape[] = {n, dim};
  Tensor g = reshape(nn_meta::contiguous_as(grad, cd), rows_shape);
  if (pad >= 0) {
    const Tensor at_pad = unsqueeze(compare_scalar(CompareOp::Eq, flat, Scalar::from_int(pad)), 1);
    g = where(at_pad, zeros({}, cd, dev), g);
  }
  if (scale_grad_by_freq) {
    // Each row divided by how often its index occurs.
    Tensor counts = zeros({num_weights}, cd, dev);
    const int64_t n_shape[] = {n};
    scatter_stub(op, dev, op, counts, 0, flat,
                 expand(full({}, Scalar::from_int(1), cd, dev), n_shape), Scalar::from_int(0),
                 ScatterReduce::Sum, true);
    Tensor freq = empty({n}, cd, dev);
    gather_stub(op, dev, op, freq, counts, 0, flat);
    g = binary(BinaryOp::Div, g, unsqueeze(freq, 1));
  }
  scatter_stub(op, dev, op, gw, 0, spread_index(flat, DimVector{n, dim}, 0), g, Scalar::from_int(0),
               ScatterReduce::Sum, true);
  return gw;
}

}  // namespace

Tensor embedding_backward(const Tensor& grad, const Tensor& indices, int64_t num_weights,
                          int64_t padding_idx, bool scale_grad_by_freq) {
  const char* op = "embedding_backward";
  nn_meta::check_floating(op, "grad", grad);
  EMBER_CHECK(num_weights >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": num_weights must be non-negative, got ", num_weights);
  bool shape_ok = grad->dim() == indices->dim() + 1;
  for (int64_t d = 0; shape_ok && d < indices->dim(); ++d)
    shape_ok = grad->size(d) == indices->size(d);
  EMBER_CHECK(shape_ok, EMBER_ERROR_SHAPE, op, ": expected grad of shape indices.shape + [D], ",
              "but got grad ", meta::describe(grad), " for indices ", meta::describe(indices));
  meta::check_same_device(op, grad, indices);
  const DType cd = nn_meta::compute_dtype(grad->dtype());
  if (index_on_device(scatter_stub, grad->device())) {
    check_index_dtype(op, indices);
    const int64_t pad = checked_padding(op, padding_idx, num_weights);
    const Tensor gw =
        embedding_backward_on_device(op, grad, indices, num_weights, pad, scale_grad_by_freq, cd);
    return gw->dtype() == grad->dtype() ? gw : to_dtype(gw, grad->dtype());
  }
  const Tensor idx = checked_indices(op, indices, num_weights);
  const int64_t pad = checked_padding(op, padding_idx, num_weights);
  const int64_t dim = grad->size(grad->dim() - 1);
  Tensor gw = empty({num_weights, dim}, cd, grad->device());
  embedding_backward_stub(op, grad->device(), gw, nn_meta::contiguous_as(grad, cd), idx, pad,
                          scale_grad_by_freq);
  return gw->dtype() == grad->dtype() ? gw : to_dtype(gw, grad->dtype());
}

void embedding_renorm_(const Tensor& weight, const Tensor& indices, double max_norm,
                       double norm_type) {
  const char* op = "embedding_renorm_";
  check_weight(op, weight);
  EMBER_CHECK(weight->is_contiguous(), EMBER_ERROR_INVALID_ARGUMENT, op,
              ": weight must be contiguous to be renormalised in place, got strides ",
              weight->strides());
  EMBER_CHECK(weight->dtype() == DType::Float32 || weight->dtype() == DType::Float64,
              EMBER_ERROR_DTYPE, op, ": weight must be float32 or float64, got ",
              meta::describe(weight));
  EMBER_CHECK(max_norm >= 0 && norm_type > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": max_norm must be non-negative and norm_type positive, got ", max_norm, " and ",
              norm_type);
  meta::check_same_device(op, weight, indices);
  const Tensor idx = checked_indices(op, indices, weight->size(0));
  embedding_renorm_stub(op, weight->device(), weight, idx, max_norm, norm_type);
  weight->storage()->bump_version();
}

std::pair<Tensor, Tensor> embedding_bag(const Tensor& weight, const Tensor& indices,
                                        const Tensor& offsets, BagMode mode,
                                        const Tensor& per_sample_weights, bool include_last_offset,
                                        int64_t padding_idx) {
  const char* op = "embedding_bag";
  check_weight(op, weight);
  check_bag_inputs(op, indices, per_sample_weights, mode);
  nn_meta::check_same_dtype_device(
      op, {{"weight", &weight}, {"per_sample_weights", &per_sample_weights}});
  meta::check_same_device(op, weight, indices);
  meta::check_same_device(op, weight, offsets);
  const Tensor idx = checked_indices(op, indices, weight->size(0));
  const int64_t pad = checked_padding(op, padding_idx, weight->size(0));
  const Tensor bounds = bag_bounds(op, offsets, idx->numel(), include_last_offset);
  const int64_t bags = bounds->numel() - 1, dim = weight->size(1);
  const DType cd = nn_meta::compute_dtype(weight->dtype());
  Tensor out = empty({bags, dim}, cd, weight->device());
  Tensor max_indices =
      mode == BagMode::Max ? empty({bags, dim}, DType::Int64, weight->device()) : Tensor();
  embedding_bag_stub(
      op, weight->device(), out, max_indices, nn_meta::contiguous_as(weight, cd), idx, bounds,
      per_sample_weights ? nn_meta::contiguous_as(per_sample_weights, cd) : Tensor(), mode, pad);
  if (out->dtype() != weight->dtype()) out = to_dtype(out, weight->dtype());
  return {out, max_indices};
}

Tensor embedding_bag_backward(const Tensor& grad, const Tensor& indices, const Tensor& offsets,
                              const Tensor& max_indices, int64_t num_weights, BagMode mode,
                              const Tensor& per_sample_weights, bool include_last_offset,
                              int64_t padding_idx) {
  const char* op = "embedding_bag_backward";
  nn_meta::check_floating(op, "grad", grad);
  check_bag_inputs(op, indices, per_sample_weights, mode);
  const Tensor idx = checked_indices(op, indices, num_weights);
  const int64_t pad = checked_padding(op, padding_idx, num_weights);
  const Tensor bounds = bag_bounds(op, offsets, idx->numel(), include_last_offset);
  const int64_t bags = bounds->numel() - 1;
  EMBER_CHECK(grad->dim() == 2 && grad->size(0) == bags, EMBER_ERROR_SHAPE, op,
              ": expected grad of shape (", bags, ", D), but got ", meta::describe(grad));
  const int64_t dim = grad->size(1);
  EMBER_CHECK(mode != BagMode::Max || (max_indices && max_indices->sizes() == grad->sizes() &&
                                       max_indices->dtype() == DType::Int64),
              EMBER_ERROR_INVALID_ARGUMENT, op,
              ": mode max needs the forward's int64 max_indices of the gradient's shape");
  nn_meta::check_same_dtype_device(op,
                                   {{"grad", &grad}, {"per_sample_weights", &per_sample_weights}});
  const DType cd = nn_meta::compute_dtype(grad->dtype());
  Tensor gw = empty({num_weights, dim}, cd, grad->device());
  embedding_bag_backward_stub(
      op, grad->device(), gw, nn_meta::contiguous_as(grad, cd), idx, bounds,
      mode == BagMode::Max ? ops::contiguous(max_indices) : Tensor(),
      per_sample_weights ? nn_meta::contiguous_as(per_sample_weights, cd) : Tensor(), mode, pad);
  return gw->dtype() == grad->dtype() ? gw : to_dtype(gw, grad->dtype());
}

Tensor embedding_bag_per_sample_weights_backward(const Tensor& grad, const Tensor& weight,
                                                 const Tensor& indices, const Tensor& offsets,
                                                 bool include_last_offset, int64_t padding_idx) {
  const char* op = "embedding_bag_per_sample_weights_backward";
  check_weight(op, weight);
  check_bag_inputs(op, indices, Tensor(), BagMode::Sum);
  nn_meta::check_same_dtype_device(op, {{"grad", &grad}, {"weight", &weight}});
  const Tensor idx = checked_indices(op, indices, weight->size(0));
  const int64_t pad = checked_padding(op, padding_idx, weight->size(0));
  const Tensor bounds = bag_bounds(op, offsets, idx->numel(), include_last_offset);
  EMBER_CHECK(
      grad->dim() == 2 && grad->size(0) == bounds->numel() - 1 && grad->size(1) == weight->size(1),
      EMBER_ERROR_SHAPE, op, ": expected grad of shape (", bounds->numel() - 1, ", ",
      weight->size(1), "), but got ", meta::describe(grad));
  const DType cd = nn_meta::compute_dtype(grad->dtype());
  Tensor out = empty({idx->numel()}, cd, grad->device());
  embedding_bag_psw_backward_stub(op, grad->device(), out, nn_meta::contiguous_as(grad, cd),
                                  nn_meta::contiguous_as(weight, cd), idx, bounds, pad);
  return out->dtype() == grad->dtype() ? out : to_dtype(out, grad->dtype());
}

}  // namespace ops
}  // namespace ember
