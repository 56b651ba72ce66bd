// Meta functions of the shape ops. Most are views or copies into views of a new tensor, so they
// need no kernel of their own; element moves with a per-dim index map (flip, roll, pad,
// index_select, repeat_interleave) share the gather_dims kernel, and tril/triu have one.
#include "ops_shape.h"

#include <algorithm>
#include <numeric>

#include "dispatch_shape.h"
#include "error.h"
#include "meta.h"
#include "ops.h"
#include "ops_index.h"

namespace ember {

constinit DispatchStub<GatherDimsFn> gather_dims_stub("gather_dims");
constinit DispatchStub<TriluFn> trilu_stub("trilu");
constinit DispatchStub<IndexAddFn> index_add_stub("index_add");

namespace ops {

namespace {

std::string describe_list(std::span<const Tensor> ts) {
  std::string s = "[";
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + meta::describe(ts[i]);
  return s + "]";
}

void check_nonempty(const char* op, std::span<const Tensor> ts) {
  EMBER_CHECK(!ts.empty(), EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected a non-empty list of tensors");
  for (const Tensor& t : ts) {
    EMBER_CHECK(t, EMBER_ERROR_INVALID_ARGUMENT, op, ": a tensor of the list is null");
  }
}

Tensor gather_dims(const char* op, const Tensor& t, DimVector sizes,
                   std::span<const std::vector<int64_t>> tables, Scalar fill) {
  Tensor out = empty(sizes, t->dtype(), t->device());
  if (out->numel() > 0) gather_dims_stub(op, t->device(), out, t, tables, fill);
  return out;
}

// t with leading size-1 dims added up to rank n.
Tensor pad_rank(const Tensor& t, int64_t n) {
  DimVector sizes = t->sizes(), strides = t->strides();
  while (sizes.size() < n) {
    sizes.insert(0, 1);
    strides.insert(0, sizes.size() > 1 ? sizes[1] * strides[1] : 1);
  }
  return make_view(t, sizes, strides, t->offset());
}

int64_t floor_mod(int64_t a, int64_t n) {
  const int64_t r = a % n;
  return r < 0 ? r + n : r;
}

}  // namespace

std::vector<int64_t> int_values(const char* op, const char* what, const Tensor& t) {
  EMBER_CHECK(is_integral(t->dtype(), false), EMBER_ERROR_DTYPE, op, ": ", what,
              " must be an integer tensor, got ", meta::describe(t));
  EMBER_CHECK(t->dim() <= 1, EMBER_ERROR_SHAPE, op, ": ", what, " must be 0-d or 1-d, got ",
              meta::describe(t));
  Tensor host = contiguous(to_dtype(to_device(t, Device{}), DType::Int64));
  const int64_t* p = host->data_as<int64_t>();
  return std::vector<int64_t>(p, p + host->numel());
}

// ---- joining ----

Tensor cat(std::span<const Tensor> tensors, int64_t dim) {
  check_nonempty("cat", tensors);
  // PyTorch skips 1-d empty tensors (a legacy placeholder) unless nothing else is left.
  std::vector<Tensor> used;
  for (const Tensor& t : tensors) {
    if (!(t->dim() == 1 && t->numel() == 0)) used.push_back(t);
  }
  if (used.empty()) used.push_back(tensors[0]);
  const Tensor& first = used[0];
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i]->dim() > 0, EMBER_ERROR_SHAPE,
                "cat: zero-dimensional tensor (at position ", i,
                ") cannot be concatenated; tensors are ", describe_list(tensors));
    meta::check_same_device("cat", first, tensors[i]);
  }
  const int64_t d = wrap_dim("cat", dim, first->dim());
  DType dtype = first->dtype();
  DimVector sizes = first->sizes();
  sizes[d] = 0;
  for (size_t i = 0; i < used.size(); ++i) {
    const Tensor& t = used[i];
    dtype = promote_types(dtype, t->dtype());
    bool match = t->dim() == first->dim();
    for (int64_t k = 0; match && k < t->dim(); ++k) match = k == d || t->size(k) == first->size(k);
    EMBER_CHECK(match, EMBER_ERROR_SHAPE, "cat: sizes of tensors must match except in dimension ",
                d, "; tensors are ", describe_list(tensors));
    sizes[d] += t->size(d);
  }
  Tensor out = empty(sizes, dtype, first->device());
  int64_t at = 0;
  for (const Tensor& t : used) {
    const int64_t n = t->size(d);
    if (n > 0 && out->numel() > 0) {
      copy_stub("cat", out->device(), slice(out, d, at, at + n, 1), t);
    }
    at += n;
  }
  return out;
}

Tensor stack(std::span<const Tensor> tensors, int64_t dim) {
  check_nonempty("stack", tensors);
  const int64_t d = wrap_dim("stack", dim, tensors[0]->dim() + 1);
  std::vector<Tensor> parts;
  for (size_t i = 0; i < tensors.size(); ++i) {
    EMBER_CHECK(tensors[i]->sizes() == tensors[0]->sizes(), EMBER_ERROR_SHAPE,
                "stack: expects each tensor to be equal size, but got ", meta::describe(tensors[0]),
                " at entry 0 and ", meta::describe(tensors[i]), " at entry ", i);
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

Tensor hstack(std::span<const Tensor> tensors) {
  check_nonempty("hstack", tensors);
  std::vector<Tensor> parts;
  bool all_1d = true;
  for (const Tensor& t : tensors) {
    parts.push_back(t->dim() == 0 ? reshape(t, std::span<const int64_t>(DimVector{1})) : t);
    all_1d = all_1d && parts.back()->dim() == 1;
  }
  return cat(parts, all_1d ? 0 : 1);
}

Tensor vstack(std::span<const Tensor> tensors) {
  check_nonempty("vstack", tensors);
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) {
    if (t->dim() >= 2) {
      parts.push_back(t);
    } else {
      const DimVector row{1, t->numel()};
      parts.push_back(reshape(t, std::span<const int64_t>(row)));
    }
  }
  return cat(parts, 0);
}

// ---- splitting ----

std::vector<Tensor> split_with_sizes(const Tensor& t, std::span<const int64_t> sizes, int64_t dim) {
  EMBER_CHECK(t->dim() > 0, EMBER_ERROR_SHAPE, "split: cannot split a 0-dim tensor");
  const int64_t d = wrap_dim("split", dim, t->dim());
  int64_t total = 0;
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, EMBER_ERROR_INVALID_ARGUMENT, "split: split sizes ", DimVector(sizes),
                " contain a negative size");
    total += s;
  }
  EMBER_CHECK(total == t->size(d), EMBER_ERROR_SHAPE, "split: split sizes ", DimVector(sizes),
              " add up to ", total, " but dim ", d, " of ", meta::describe(t), " has size ",
              t->size(d));
  std::vector<Tensor> out;
  int64_t at = 0;
  for (int64_t s : sizes) {
    out.push_back(slice(t, d, at, at + s, 1));
    at += s;
  }
  return out;
}

std::vector<Tensor> unbind(const Tensor& t, int64_t dim) {
  EMBER_CHECK(t->dim() > 0, EMBER_ERROR_SHAPE, "unbind: cannot unbind a 0-dim tensor");
  const int64_t d = wrap_dim("unbind", dim, t->dim());
  std::vector<Tensor> out;
  for (int64_t i = 0; i < t->size(d); ++i) out.push_back(select(t, d, i));
  return out;
}

// ---- reshaping ----

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  const int64_t s = wrap_dim("flatten", start_dim, t->dim());
  const int64_t e = wrap_dim("flatten", end_dim, t->dim());
  EMBER_CHECK(s <= e, EMBER_ERROR_INVALID_ARGUMENT, "flatten: start_dim ", start_dim,
              " comes after end_dim ", end_dim, " (", meta::describe(t), ")");
  if (t->dim() == 0) {
    const DimVector one{1};
    return reshape(t, std::span<const int64_t>(one));
  }
  DimVector sizes;
  for (int64_t d = 0; d < s; ++d) sizes.push_back(t->size(d));
  int64_t n = 1;
  for (int64_t d = s; d <= e; ++d) n *= t->size(d);
  sizes.push_back(n);
  for (int64_t d = e + 1; d < t->dim(); ++d) sizes.push_back(t->size(d));
  return reshape(t, std::span<const int64_t>(sizes));
}

Tensor unflatten(const Tensor& t, int64_t dim, std::span<const int64_t> sizes) {
  EMBER_CHECK(t->dim() > 0, EMBER_ERROR_SHAPE, "unflatten: cannot unflatten a 0-dim tensor");
  const int64_t d = wrap_dim("unflatten", dim, t->dim());
  EMBER_CHECK(!sizes.empty(), EMBER_ERROR_INVALID_ARGUMENT, "unflatten: sizes must be non-empty (",
              meta::describe(t), ")");
  DimVector given(sizes);
  int64_t known = 1, infer = -1;
  for (int64_t i = 0; i < given.size(); ++i) {
    if (given[i] == -1) {
      EMBER_CHECK(infer < 0, EMBER_ERROR_SHAPE, "unflatten: only one size can be -1, got ", given);
      infer = i;
    } else {
      EMBER_CHECK(given[i] >= 0, EMBER_ERROR_SHAPE, "unflatten: invalid size ", given[i], " in ",
                  given);
      known *= given[i];
    }
  }
  if (infer >= 0 && known > 0 && t->size(d) % known == 0) given[infer] = t->size(d) / known;
  int64_t prod = 1;
  for (int64_t s : given) prod *= s;
  EMBER_CHECK(prod == t->size(d), EMBER_ERROR_SHAPE, "unflatten: provided sizes ", DimVector(sizes),
              " don't multiply up to the size of dim ", d, " (", t->size(d), ") of ",
              meta::describe(t));
  DimVector out;
  for (int64_t k = 0; k < t->dim(); ++k) {
    if (k == d) {
      for (int64_t s : given) out.push_back(s);
    } else {
      out.push_back(t->size(k));
    }
  }
  return reshape(t, std::span<const int64_t>(out));
}

Tensor movedim(const Tensor& t, std::span<const int64_t> src, std::span<const int64_t> dst) {
  const int64_t n = t->dim();
  EMBER_CHECK(src.size() == dst.size(), EMBER_ERROR_INVALID_ARGUMENT,
              "movedim: invalid source or destination dims: source ", DimVector(src),
              " and destination ", DimVector(dst), " differ in length");
  DimVector perm(n, -1), used_src(std::max<int64_t>(n, 1), 0), used_dst(std::max<int64_t>(n, 1), 0);
  for (size_t i = 0; i < src.size(); ++i) {
    const int64_t s = wrap_dim("movedim", src[i], n), d = wrap_dim("movedim", dst[i], n);
    EMBER_CHECK(!used_src[s], EMBER_ERROR_INVALID_ARGUMENT, "movedim: repeated dim in source ",
                DimVector(src));
    EMBER_CHECK(!used_dst[d], EMBER_ERROR_INVALID_ARGUMENT, "movedim: repeated dim in destination ",
                DimVector(dst));
    used_src[s] = used_dst[d] = 1;
    if (n > 0) perm[d] = s;
  }
  int64_t next = 0;
  for (int64_t d = 0; d < n; ++d) {
    if (perm[d] >= 0) continue;
    while (used_src[next]) ++next;
    perm[d] = next++;
  }
  return permute(t, std::span<const int64_t>(perm));
}

// ---- repeating ----

Tensor repeat(const Tensor& t, std::span<const int64_t> repeats) {
  const int64_t n = repeats.size();
  EMBER_CHECK(n >= t->dim(), EMBER_ERROR_SHAPE, "repeat: number of dimensions of repeat dims (", n,
              ") can not be smaller than number of dimensions of tensor (", t->dim(), "); ",
              meta::describe(t));
  for (int64_t r : repeats) {
    EMBER_CHECK(r >= 0, EMBER_ERROR_INVALID_ARGUMENT, "repeat: repeats ", DimVector(repeats),
                " contain a negative value");
  }
  const Tensor x = pad_rank(t, n);
  // x seen as [r0, s0, r1, s1, ...] with stride 0 on the repeat dims, copied, then merged pairwise.
  DimVector big, big_strides, sizes;
  for (int64_t d = 0; d < n; ++d) {
    big.push_back(repeats[d]);
    big_strides.push_back(0);
    big.push_back(x->size(d));
    big_strides.push_back(x->stride(d));
    sizes.push_back(repeats[d] * x->size(d));
  }
  Tensor out = empty(sizes, t->dtype(), t->device());
  if (out->numel() > 0) {
    copy_stub("repeat", t->device(), make_view(out, big, contiguous_strides(big), 0),
              make_view(x, big, big_strides, x->offset()));
  }
  return out;
}

Tensor tile(const Tensor& t, std::span<const int64_t> repeats) {
  DimVector reps(repeats);
  while (reps.size() < t->dim()) reps.insert(0, 1);
  return repeat(t, std::span<const int64_t>(reps));
}

namespace {

Tensor repeat_interleave_counts(const Tensor& t, const std::vector<int64_t>& counts, int64_t dim,
                                bool has_dim) {
  const Tensor x = has_dim ? t : flatten(t, 0, -1);
  const int64_t d = has_dim ? wrap_dim("repeat_interleave", dim, x->dim()) : 0;
  const int64_t size = x->dim() == 0 ? 1 : x->size(d);
  EMBER_CHECK(counts.size() == 1 || static_cast<int64_t>(counts.size()) == size, EMBER_ERROR_SHAPE,
              "repeat_interleave: repeats must have the same size as input "
              "along dim ",
              d, " (", size, "), got ", counts.size(), " repeats for ", meta::describe(t));
  std::vector<int64_t> table;
  for (int64_t i = 0; i < size; ++i) {
    const int64_t r = counts.size() == 1 ? counts[0] : counts[i];
    EMBER_CHECK(r >= 0, EMBER_ERROR_INVALID_ARGUMENT,
                "repeat_interleave: repeats can not be "
                "negative, got ",
                r);
    table.insert(table.end(), static_cast<size_t>(r), i);
  }
  const Tensor y = x->dim() == 0 ? flatten(x, 0, -1) : x;
  std::vector<std::vector<int64_t>> tables(y->dim());
  DimVector sizes = y->sizes();
  sizes[d] = table.size();
  tables[d] = std::move(table);
  return gather_dims("repeat_interleave", y, sizes, tables, Scalar::from_int(0));
}

}  // namespace

Tensor repeat_interleave(const Tensor& t, const Tensor& repeats, int64_t dim, bool has_dim) {
  meta::check_same_device("repeat_interleave", t, repeats);
  return repeat_interleave_counts(t, int_values("repeat_interleave", "repeats", repeats), dim,
                                  has_dim);
}

Tensor repeat_interleave(const Tensor& t, int64_t repeats, int64_t dim, bool has_dim) {
  return repeat_interleave_counts(t, {repeats}, dim, has_dim);
}

// ---- reordering ----

Tensor flip(const Tensor& t, std::span<const int64_t> dims) {
  std::vector<std::vector<int64_t>> tables(t->dim());
  std::vector<bool> seen(std::max<int64_t>(t->dim(), 1));
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim("flip", dim, t->dim());
    EMBER_CHECK(!seen[d], EMBER_ERROR_INVALID_ARGUMENT, "flip: dim ", d,
                " appears multiple times in the list of dims ", DimVector(dims));
    seen[d] = true;
    if (t->dim() == 0) continue;
    std::vector<int64_t>& tab = tables[d];
    for (int64_t i = t->size(d) - 1; i >= 0; --i) tab.push_back(i);
  }
  return gather_dims("flip", t, t->sizes(), tables, Scalar::from_int(0));
}

Tensor roll(const Tensor& t, std::span<const int64_t> shifts, std::span<const int64_t> dims) {
  if (dims.empty()) {
    EMBER_CHECK(shifts.size() == 1, EMBER_ERROR_INVALID_ARGUMENT,
                "roll: without dims, shifts must hold one value, got ", DimVector(shifts));
    const int64_t zero = 0;
    const Tensor flat = flatten(t, 0, -1);
    Tensor r = roll(flat, shifts, std::span<const int64_t>(&zero, 1));
    return view(r, std::span<const int64_t>(t->sizes()));
  }
  EMBER_CHECK(shifts.size() == dims.size(), EMBER_ERROR_INVALID_ARGUMENT, "roll: shifts ",
              DimVector(shifts), " and dims ", DimVector(dims), " must align");
  EMBER_CHECK(t->dim() > 0, EMBER_ERROR_SHAPE, "roll: cannot roll a 0-dim tensor along a dim");
  std::vector<std::vector<int64_t>> tables(t->dim());
  DimVector total(t->dim(), 0);
  for (size_t i = 0; i < dims.size(); ++i) {
    total[wrap_dim("roll", dims[i], t->dim())] += shifts[i];
  }
  for (int64_t d = 0; d < t->dim(); ++d) {
    const int64_t n = t->size(d);
    if (n == 0 || floor_mod(total[d], n) == 0) continue;
    for (int64_t i = 0; i < n; ++i) tables[d].push_back(floor_mod(i - total[d], n));
  }
  return gather_dims("roll", t, t->sizes(), tables, Scalar::from_int(0));
}

// ---- triangles and diagonals ----

namespace {

void check_matrix(const char* op, const Tensor& t) {
  EMBER_CHECK(t->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": input tensor must have at least 2 dimensions, got ", meta::describe(t));
}

}  // namespace

Tensor tril(const Tensor& t, int64_t k) {
  check_matrix("tril", t);
  Tensor out = clone(t);
  if (out->numel() > 0) trilu_stub("tril", t->device(), out, k, false);
  return out;
}

Tensor triu(const Tensor& t, int64_t k) {
  check_matrix("triu", t);
  Tensor out = clone(t);
  if (out->numel() > 0) trilu_stub("triu", t->device(), out, k, true);
  return out;
}

void tril_(const Tensor& t, int64_t k) {
  check_matrix("tril_", t);
  meta::check_no_internal_overlap("tril_", t);
  if (t->numel() > 0) trilu_stub("tril_", t->device(), t, k, false);
  t->storage()->bump_version();
}

void triu_(const Tensor& t, int64_t k) {
  check_matrix("triu_", t);
  meta::check_no_internal_overlap("triu_", t);
  if (t->numel() > 0) trilu_stub("triu_", t->device(), t, k, true);
  t->storage()->bump_version();
}

Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  check_matrix("diagonal", t);
  const int64_t d1 = wrap_dim("diagonal", dim1, t->dim());
  const int64_t d2 = wrap_dim("diagonal", dim2, t->dim());
  EMBER_CHECK(d1 != d2, EMBER_ERROR_INVALID_ARGUMENT, "diagonal: dimensions cannot be identical ",
              dim1, ", ", dim2, " (", meta::describe(t), ")");
  const int64_t s1 = t->size(d1), s2 = t->size(d2);
  int64_t len = offset >= 0 ? std::min(s1, s2 - offset) : std::min(s1 + offset, s2);
  len = std::max<int64_t>(len, 0);
  int64_t start = t->offset();
  if (len > 0) start += offset >= 0 ? offset * t->stride(d2) : -offset * t->stride(d1);
  DimVector sizes, strides;
  for (int64_t d = 0; d < t->dim(); ++d) {
    if (d == d1 || d == d2) continue;
    sizes.push_back(t->size(d));
    strides.push_back(t->stride(d));
  }
  sizes.push_back(len);
  strides.push_back(t->stride(d1) + t->stride(d2));
  return make_view(t, sizes, strides, start);
}

Tensor diag_embed(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  EMBER_CHECK(t->dim() >= 1, EMBER_ERROR_SHAPE, "diag_embed: input must have at least 1 dim, got ",
              meta::describe(t));
  const int64_t n = t->dim() + 1;
  const int64_t d1 = wrap_dim("diag_embed", dim1, n), d2 = wrap_dim("diag_embed", dim2, n);
  EMBER_CHECK(d1 != d2, EMBER_ERROR_INVALID_ARGUMENT,
              "diag_embed: diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  const int64_t size = t->size(t->dim() - 1) + (offset < 0 ? -offset : offset);
  DimVector sizes;
  int64_t next = 0;
  for (int64_t d = 0; d < n; ++d) sizes.push_back(d == d1 || d == d2 ? size : t->size(next++));
  Tensor out = zeros(sizes, t->dtype(), t->device());
  if (t->numel() > 0) copy_stub("diag_embed", t->device(), diagonal(out, offset, d1, d2), t);
  return out;
}

Tensor diag(const Tensor& t, int64_t k) {
  EMBER_CHECK(t->dim() == 1 || t->dim() == 2, EMBER_ERROR_SHAPE,
              "diag: expected a 1-d or 2-d tensor, got ", meta::describe(t));
  if (t->dim() == 2) return clone(diagonal(t, k, 0, 1));
  return diag_embed(t, k, 0, 1);
}

// ---- padding ----

namespace {

const char* pad_op_name(PadMode mode) {
  const int mi = static_cast<int>(mode);
  EMBER_CHECK(mi >= 0 && mi <= 3, EMBER_ERROR_INVALID_ARGUMENT, "pad: invalid mode ", mi);
  const char* names[] = {"pad (constant)", "pad (reflect)", "pad (replicate)", "pad (circular)"};
  return names[mi];
}

// For an input of `in` sizes: the padded sizes and, per dim, the input index each output index
// reads (-1: the constant; an empty table: the dim is not padded).
std::vector<std::vector<int64_t>> pad_tables(const char* op, const DimVector& in,
                                             const std::string& what, std::span<const int64_t> pads,
                                             PadMode mode, DimVector& sizes) {
  EMBER_CHECK(pads.size() % 2 == 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": padding length must be divisible by 2, got ", DimVector(pads));
  const int64_t npad = pads.size() / 2, nd = in.size();
  EMBER_CHECK(npad <= nd, EMBER_ERROR_INVALID_ARGUMENT, op, ": padding length ", pads.size(),
              " is too large for ", what);
  std::vector<std::vector<int64_t>> tables(nd);
  sizes = in;
  for (int64_t p = 0; p < npad; ++p) {
    const int64_t d = nd - 1 - p;
    const int64_t before = pads[2 * p], after = pads[2 * p + 1], n = in[d];
    const int64_t size = n + before + after;
    EMBER_CHECK(size >= 0, EMBER_ERROR_SHAPE, op, ": padding ", DimVector(pads),
                " gives a negative size for dim ", d, " of ", what);
    if (mode != PadMode::Constant) {
      EMBER_CHECK(before >= 0 && after >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": negative padding ", DimVector(pads), " is only supported in constant mode");
      EMBER_CHECK(n > 0 || before + after == 0, EMBER_ERROR_SHAPE, op, ": cannot pad an empty dim ",
                  d, " of ", what);
    }
    if (mode == PadMode::Reflect) {
      EMBER_CHECK(before < n && after < n, EMBER_ERROR_SHAPE, op,
                  ": padding size should be less than the corresponding input dimension, but got "
                  "padding (",
                  before, ", ", after, ") at dimension ", d, " of ", what);
    }
    if (mode == PadMode::Circular) {
      EMBER_CHECK(before <= n && after <= n, EMBER_ERROR_SHAPE, op,
                  ": padding value causes wrapping around more than once; padding (", before, ", ",
                  after, ") at dimension ", d, " of ", what);
    }
    sizes[d] = size;
    if (before == 0 && after == 0) continue;
    std::vector<int64_t>& tab = tables[d];
    for (int64_t i = 0; i < size; ++i) {
      const int64_t j = i - before;
      switch (mode) {
        case PadMode::Constant:
          tab.push_back(j >= 0 && j < n ? j : -1);
          break;
        case PadMode::Reflect:
          tab.push_back(j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j);
          break;
        case PadMode::Replicate:
          tab.push_back(std::clamp<int64_t>(j, 0, n - 1));
          break;
        case PadMode::Circular:
          tab.push_back(floor_mod(j, n));
          break;
      }
    }
  }
  return tables;
}

}  // namespace

Tensor pad(const Tensor& t, std::span<const int64_t> pads, PadMode mode, Scalar value) {
  const char* op = pad_op_name(mode);
  DimVector sizes;
  const auto tables = pad_tables(op, t->sizes(), meta::describe(t), pads, mode, sizes);
  return gather_dims(op, t, sizes, tables, value);
}

Tensor pad_backward(const Tensor& grad, std::span<const int64_t> input_sizes,
                    std::span<const int64_t> pads, PadMode mode) {
  pad_op_name(mode);
  const char* op = "pad_backward";
  DimVector sizes;
  const DimVector in(input_sizes);
  const auto tables = pad_tables(op, in, str("an input of sizes ", in), pads, mode, sizes);
  EMBER_CHECK(grad->sizes() == sizes, EMBER_ERROR_SHAPE, op, ": grad ", meta::describe(grad),
              " does not have the padded sizes ", sizes);
  Tensor cur = grad;
  for (int64_t d = 0; d < in.size(); ++d) {
    if (tables[d].empty()) continue;
    DimVector next_sizes = cur->sizes();
    next_sizes[d] = in[d];
    Tensor next = zeros(next_sizes, grad->dtype(), grad->device());
    std::vector<int64_t> dst, src;
    for (int64_t i = 0; i < static_cast<int64_t>(tables[d].size()); ++i) {
      if (tables[d][i] < 0) continue;
      dst.push_back(tables[d][i]);
      src.push_back(i);
    }
    if (next->numel() > 0 && !dst.empty()) {
      index_add_stub(op, grad->device(), next, d, dst, cur, src, Scalar::from_int(1), true);
    }
    cur = next;
  }
  return cur;
}

// ---- grids ----

std::vector<Tensor> meshgrid(std::span<const Tensor> tensors, bool xy) {
  check_nonempty("meshgrid", tensors);
  DimVector grid;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    EMBER_CHECK(t->dim() <= 1, EMBER_ERROR_SHAPE, "meshgrid: expects 0-d or 1-d tensors, got ",
                meta::describe(t), " at entry ", i);
    EMBER_CHECK(t->dtype() == tensors[0]->dtype(), EMBER_ERROR_DTYPE,
                "meshgrid: expects all tensors to have the same dtype, got ",
                describe_list(tensors));
    meta::check_same_device("meshgrid", tensors[0], t);
    grid.push_back(t->numel());
  }
  const bool swap = xy && tensors.size() >= 2;
  if (swap) std::swap(grid[0], grid[1]);
  std::vector<Tensor> out;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    int64_t pos = i;
    if (swap && i < 2) pos = 1 - i;
    DimVector strides(grid.size(), 0);
    strides[pos] = t->dim() == 1 ? t->stride(0) : 0;
    out.push_back(make_view(t, grid, strides, t->offset()));
  }
  return out;
}

// ---- index_select ----

Tensor index_select(const Tensor& t, int64_t dim, const Tensor& index) {
  meta::check_same_device("index_select", t, index);
  EMBER_CHECK(index->dim() <= 1, EMBER_ERROR_SHAPE, "index_select: index must be 0-d or 1-d, got ",
              meta::describe(index), " (self is ", meta::describe(t), ")");
  EMBER_CHECK(index->dtype() == DType::Int64 || index->dtype() == DType::Int32, EMBER_ERROR_DTYPE,
              "index_select: expected index of dtype int64 or int32, got ", meta::describe(index));
  const int64_t d = wrap_dim("index_select", dim, t->dim());
  const Tensor x = t->dim() == 0 ? flatten(t, 0, -1) : t;
  if (index_on_device(gather_stub, t->device())) {
    // A gather on the device: the values are checked there and a bad one is reported at the
    // next synchronising call, so nothing is read back and the op records into CUDA graphs.
    DimVector sizes = x->sizes();
    sizes[d] = index->numel();
    Tensor out = empty(sizes, x->dtype(), x->device());
    if (out->numel() > 0) {
      gather_stub("index_select", x->device(), "index_select", out, x, d,
                  spread_index(index, sizes, d));
    }
    return t->dim() == 0 ? view(out, std::span<const int64_t>()) : out;
  }
  std::vector<int64_t> table = int_values("index_select", "index", index);
  const int64_t size = x->size(d);
  for (int64_t v : table) {
    EMBER_CHECK(v >= 0 && v < size, EMBER_ERROR_INVALID_ARGUMENT, "index_select: index ", v,
                " is out of bounds for dim ", d, " with size ", size, " (self is ",
                meta::describe(t), ")");
  }
  DimVector sizes = x->sizes();
  sizes[d] = table.size();
  std::vector<std::vector<int64_t>> tables(x->dim());
  tables[d] = std::move(table);
  Tensor out = gather_dims("index_select", x, sizes, tables, Scalar::from_int(0));
  if (t->dim() == 0) return view(out, std::span<const int64_t>());
  return out;
}

}  // namespace ops
}  // namespace ember
