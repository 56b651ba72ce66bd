// View ops: new sizes/strides/offset over the same storage. None of them touches a backend, except
// reshape, which copies (through contiguous) when no view can express the result.
#include <algorithm>
#include <optional>

#include "error.h"
#include "ops.h"

namespace ember::ops {

namespace {

// Replaces a single -1 in sizes by what makes numel elements; checks the element count.
DimVector infer_size(const char* op, std::span<const int64_t> sizes, const Tensor& t) {
  DimVector out(sizes);
  int64_t known = 1, infer = -1;
  for (int64_t d = 0; d < out.size(); ++d) {
    if (out[d] == -1) {
      EMBER_CHECK(infer < 0, EMBER_ERROR_SHAPE, op, ": only one size can be -1, got ", out);
      infer = d;
    } else {
      EMBER_CHECK(out[d] >= 0, EMBER_ERROR_SHAPE, op, ": invalid size ", out[d], " in ", out);
      EMBER_CHECK(!__builtin_mul_overflow(known, out[d], &known), EMBER_ERROR_SHAPE, op, ": shape ",
                  out, " is invalid for input of size ", t->numel());
    }
  }
  if (infer >= 0) {
    EMBER_CHECK(known != 0 && t->numel() % known == 0, EMBER_ERROR_SHAPE, op, ": shape ", out,
                " is invalid for input of size ", t->numel(), " (sizes ", t->sizes(), ")");
    out[infer] = t->numel() / known;
  } else {
    EMBER_CHECK(known == t->numel(), EMBER_ERROR_SHAPE, op, ": shape ", out,
                " is invalid for input of size ", t->numel(), " (sizes ", t->sizes(), ")");
  }
  return out;
}

// Strides that let `sizes` view t without copying, if any. Walks t's dims from the innermost,
// grouping them into runs that are contiguous with each other ("chunks"); every chunk must be
// covered exactly by a run of the new dims, which then get strides from the chunk's base stride.
std::optional<DimVector> view_strides(const Tensor& t, const DimVector& sizes) {
  const DimVector& old_sizes = t->sizes();
  const DimVector& old_strides = t->strides();
  // With no elements any strides do: keep t's when the sizes stay, as NumPy does.
  if (t->numel() == 0) return old_sizes == sizes ? old_strides : contiguous_strides(sizes);
  if (t->is_contiguous()) return contiguous_strides(sizes);
  DimVector strides(sizes.size(), 1);

  int64_t view_d = sizes.size() - 1;
  int64_t chunk_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = old_sizes.size() - 1; d >= 0; --d) {
    tensor_numel *= old_sizes[d];
    const bool chunk_ends =
        d == 0 || (old_sizes[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || sizes[view_d] == 1)) {
      strides[view_d] = view_numel * chunk_stride;
      view_numel *= sizes[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return std::nullopt;
    if (d > 0) {
      chunk_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

void check_not_scalar(const char* op, const Tensor& t) {
  EMBER_CHECK(t->dim() > 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": cannot be applied to a 0-dim tensor");
}

}  // namespace

Tensor view(const Tensor& t, std::span<const int64_t> sizes) {
  DimVector shape = infer_size("view", sizes, t);
  std::optional<DimVector> strides = view_strides(t, shape);
  EMBER_CHECK(strides.has_value(), EMBER_ERROR_SHAPE, "view: size ", shape,
              " is not compatible with input tensor's size ", t->sizes(), " and stride ",
              t->strides(),
              " (at least one dimension spans across two contiguous subspaces). Use "
              ".reshape(...) instead.");
  return make_view(t, std::move(shape), std::move(*strides), t->offset());
}

Tensor reshape(const Tensor& t, std::span<const int64_t> sizes) {
  DimVector shape = infer_size("reshape", sizes, t);
  if (std::optional<DimVector> strides = view_strides(t, shape)) {
    return make_view(t, std::move(shape), std::move(*strides), t->offset());
  }
  Tensor c = contiguous(t);
  return make_view(c, shape, contiguous_strides(shape), c->offset());
}

Tensor transpose(const Tensor& t, int64_t dim0, int64_t dim1) {
  dim0 = wrap_dim("transpose", dim0, t->dim());
  dim1 = wrap_dim("transpose", dim1, t->dim());
  DimVector sizes = t->sizes(), strides = t->strides();
  if (dim0 != dim1) {
    std::swap(sizes[dim0], sizes[dim1]);
    std::swap(strides[dim0], strides[dim1]);
  }
  return make_view(t, std::move(sizes), std::move(strides), t->offset());
}

Tensor permute(const Tensor& t, std::span<const int64_t> dims) {
  const int64_t n = t->dim();
  const DimVector given(dims);
  EMBER_CHECK(static_cast<int64_t>(dims.size()) == n, EMBER_ERROR_SHAPE, "permute: dims ", given,
              " do not match a tensor of ", n, " dims (sizes ", t->sizes(), ")");
  DimVector sizes(n), strides(n), seen(n, 0);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = wrap_dim("permute", dims[i], n);
    EMBER_CHECK(!seen[d], EMBER_ERROR_INVALID_ARGUMENT, "permute: dims ", given, " repeat dim ", d);
    seen[d] = 1;
    sizes[i] = t->size(d);
    strides[i] = t->stride(d);
  }
  return make_view(t, std::move(sizes), std::move(strides), t->offset());
}

Tensor expand(const Tensor& t, std::span<const int64_t> sizes) {
  const DimVector target(sizes);
  const int64_t n = target.size(), old_n = t->dim();
  EMBER_CHECK(n >= old_n, EMBER_ERROR_SHAPE, "expand: the number of sizes provided (", n,
              ") must be greater or equal to the number of dimensions in the tensor (", old_n,
              "); sizes ", target, ", tensor sizes ", t->sizes());
  DimVector out_sizes(n), out_strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    const int64_t od = i - (n - old_n);  // matching dim of t, negative for new leading dims
    int64_t size = target[i];
    if (od < 0) {
      EMBER_CHECK(size >= 0, EMBER_ERROR_SHAPE, "expand: the expanded size ", size,
                  " is not allowed in a leading, non-existing dimension ", i, "; sizes ", target,
                  ", tensor sizes ", t->sizes());
      out_sizes[i] = size;
      out_strides[i] = 0;
      continue;
    }
    const int64_t old_size = t->size(od);
    if (size == -1) size = old_size;
    EMBER_CHECK(size >= 0, EMBER_ERROR_SHAPE, "expand: invalid size ", size, " in sizes ", target);
    if (old_size == size) {
      out_sizes[i] = size;
      out_strides[i] = t->stride(od);
    } else {
      EMBER_CHECK(old_size == 1, EMBER_ERROR_SHAPE, "expand: the expanded size of the tensor (",
                  size, ") must match the existing size (", old_size,
                  ") at non-singleton dimension ", i, ". Target sizes: ", target,
                  ". Tensor sizes: ", t->sizes());
      out_sizes[i] = size;
      out_strides[i] = 0;
    }
  }
  return make_view(t, std::move(out_sizes), std::move(out_strides), t->offset());
}

Tensor squeeze(const Tensor& t) {
  DimVector sizes, strides;
  for (int64_t d = 0; d < t->dim(); ++d) {
    if (t->size(d) == 1) continue;
    sizes.push_back(t->size(d));
    strides.push_back(t->stride(d));
  }
  return make_view(t, std::move(sizes), std::move(strides), t->offset());
}

Tensor squeeze_dim(const Tensor& t, int64_t dim) {
  dim = wrap_dim("squeeze", dim, t->dim());
  DimVector sizes = t->sizes(), strides = t->strides();
  if (t->dim() > 0 && sizes[dim] == 1) {
    sizes.erase(dim);
    strides.erase(dim);
  }
  return make_view(t, std::move(sizes), std::move(strides), t->offset());
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  dim = wrap_dim("unsqueeze", dim, t->dim() + 1);
  DimVector sizes = t->sizes(), strides = t->strides();
  // The new dim's stride only matters for contiguity: make it what a contiguous tensor would have.
  const int64_t stride = dim < t->dim() ? sizes[dim] * strides[dim] : 1;
  sizes.insert(dim, 1);
  strides.insert(dim, stride);
  return make_view(t, std::move(sizes), std::move(strides), t->offset());
}

Tensor slice(const Tensor& t, int64_t dim, int64_t start, int64_t end, int64_t step) {
  check_not_scalar("slice", t);
  dim = wrap_dim("slice", dim, t->dim());
  EMBER_CHECK(step > 0, EMBER_ERROR_INVALID_ARGUMENT, "slice: step must be positive, got ", step,
              " (dim ", dim, ", sizes ", t->sizes(), ")");
  const int64_t size = t->size(dim);
  // Python's clamping: negative bounds count from the end, then both are clamped into [0, size].
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  DimVector sizes = t->sizes(), strides = t->strides();
  sizes[dim] = end == start ? 0 : (end - start - 1) / step + 1;
  const int64_t offset = t->offset() + start * strides[dim];
  // stride * step only overflows when at most one element is left, where the stride is moot.
  if (__builtin_mul_overflow(strides[dim], step, &strides[dim])) strides[dim] = t->stride(dim);
  return make_view(t, std::move(sizes), std::move(strides), offset);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  check_not_scalar("select", t);
  dim = wrap_dim("select", dim, t->dim());
  const int64_t size = t->size(dim);
  EMBER_CHECK(index >= -size && index < size, EMBER_ERROR_INVALID_ARGUMENT, "select: index ", index,
              " is out of range for dim ", dim, " of size ", size, " (sizes ", t->sizes(), ")");
  if (index < 0) index += size;
  DimVector sizes = t->sizes(), strides = t->strides();
  const int64_t offset = t->offset() + index * strides[dim];
  sizes.erase(dim);
  strides.erase(dim);
  return make_view(t, std::move(sizes), std::move(strides), offset);
}

}  // namespace ember::ops
