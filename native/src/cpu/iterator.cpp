#include "cpu/iterator.h"

#include <cstdlib>
#include <utility>

namespace ember::cpu {

namespace detail {

#if EMBER_X86_CLONES
bool g_cpu_has_avx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}();
#else
bool g_cpu_has_avx2 = false;
#endif

ReduceGeometry::ReduceGeometry(const TensorIterator& iter) {
  for (int d = 0; d < iter.ndim(); ++d) {
    const int64_t size = iter.shape(d);
    if (size == 1) continue;
    if (iter.stride(1, d) == 0) {
      r_size[nr] = size;
      r_in[nr] = iter.stride(0, d);
      ++nr;
      reduced *= size;
    } else {
      k_size[nk] = size;
      k_in[nk] = iter.stride(0, d);
      k_out[nk] = iter.stride(1, d);
      ++nk;
      kept *= size;
    }
  }
}

}  // namespace detail

namespace {

// Element size by table: the op path of a small tensor cannot afford a mispredicted jump.
int64_t item_size(DType t) {
  static constexpr int8_t kSizes[16] = {1, 1, 2, 4, 8, 2, 4, 8, 0, 0, 0, 1, 0, 0, 0, 2};
  return kSizes[static_cast<uint32_t>(t) & 15u];
}

bool same_sizes(const DimVector& a, const DimVector& b) {
  if (a.size() != b.size()) return false;
  for (int64_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

TensorIterator::TensorIterator(std::initializer_list<const TensorImpl*> operands,
                               const DimVector& shape) {
  EMBER_CHECK(operands.size() <= kMaxOperands, EMBER_ERROR_INTERNAL, "iterator: ", operands.size(),
              " operands, at most ", kMaxOperands);
  nops_ = static_cast<int>(operands.size());
  numel_ = 1;
  for (int64_t s : shape) numel_ *= s;

  // The common case, every operand contiguous with the full shape, is one flat run. This path is
  // all that a small op pays for, so it avoids calls and library compares.
  bool flat = true;
  int op = 0;
  for (const TensorImpl* t : operands) {
    const int64_t es = item_size(t->dtype());
    data_[op] = static_cast<char*>(t->storage()->data()) + t->offset() * es;
    strides_[0][op] = es;
    ++op;
    flat = flat && t->is_contiguous() && same_sizes(t->sizes(), shape);
  }
  if (flat || numel_ <= 1) {
    ndim_ = 1;
    shape_[0] = numel_;
    return;
  }

  const int64_t nd = shape.size();
  EMBER_CHECK(nd <= kMaxDims, EMBER_ERROR_INVALID_ARGUMENT, "tensors with more than ", kMaxDims,
              " dims are not supported (got ", nd, ")");
  ndim_ = static_cast<int>(nd);
  for (int d = 0; d < ndim_; ++d) shape_[d] = shape[nd - 1 - d];
  op = 0;
  for (const TensorImpl* t : operands) {
    const int64_t td = t->dim();
    const int64_t es = item_size(t->dtype());
    EMBER_CHECK(td <= nd, EMBER_ERROR_INTERNAL, "iterator: operand of shape ", t->sizes(),
                " does not broadcast to ", shape);
    for (int d = 0; d < ndim_; ++d) {
      const int64_t j = td - 1 - d;  // the operand's own dim, aligned from the right
      int64_t stride = 0;
      if (j >= 0 && t->size(j) != 1) {
        EMBER_CHECK(t->size(j) == shape_[d], EMBER_ERROR_INTERNAL, "iterator: operand of shape ",
                    t->sizes(), " does not broadcast to ", shape);
        stride = t->stride(j) * es;
      }
      strides_[d][op] = stride;
    }
    ++op;
  }
  reorder();
  coalesce();
  if (ndim_ >= 2 && shape_[0] >= kTile && shape_[1] >= kTile) {
    for (int i = 0; i < nops_; ++i) {
      const int64_t s0 = std::abs(strides_[0][i]), s1 = std::abs(strides_[1][i]);
      tiled_ = tiled_ || (s0 != 0 && s1 != 0 && s1 < s0);
    }
  }
}

// Insertion sort of the dims, innermost first, by the first operand whose strides tell them apart
// (stride 0 says nothing); ties keep the row-major order.
void TensorIterator::reorder() {
  auto inner_first = [&](int a, int b) {  // true when dim b should be inside dim a
    for (int op = 0; op < nops_; ++op) {
      const int64_t sa = strides_[a][op], sb = strides_[b][op];
      if (sa == 0 || sb == 0 || sa == sb) continue;
      return sb < sa;
    }
    return false;
  };
  int perm[kMaxDims];
  for (int d = 0; d < ndim_; ++d) perm[d] = d;
  for (int i = 1; i < ndim_; ++i) {
    for (int j = i; j > 0 && inner_first(perm[j - 1], perm[j]); --j)
      std::swap(perm[j - 1], perm[j]);
  }
  bool identity = true;
  for (int d = 0; d < ndim_; ++d) identity = identity && perm[d] == d;
  if (identity) return;
  int64_t shape[kMaxDims];
  int64_t strides[kMaxDims][kMaxOperands];
  for (int d = 0; d < ndim_; ++d) {
    shape[d] = shape_[perm[d]];
    for (int op = 0; op < nops_; ++op) strides[d][op] = strides_[perm[d]][op];
  }
  for (int d = 0; d < ndim_; ++d) {
    shape_[d] = shape[d];
    for (int op = 0; op < nops_; ++op) strides_[d][op] = strides[d][op];
  }
}

// Merges neighbouring dims that are one run for every operand, and drops dims of size 1.
void TensorIterator::coalesce() {
  auto mergeable = [&](int inner, int outer) {
    if (shape_[inner] == 1 || shape_[outer] == 1) return true;
    for (int op = 0; op < nops_; ++op) {
      if (strides_[outer][op] != strides_[inner][op] * shape_[inner]) return false;
    }
    return true;
  };
  int prev = 0;
  for (int d = 1; d < ndim_; ++d) {
    if (mergeable(prev, d)) {
      if (shape_[prev] == 1) {
        for (int op = 0; op < nops_; ++op) strides_[prev][op] = strides_[d][op];
      }
      shape_[prev] *= shape_[d];
    } else {
      ++prev;
      shape_[prev] = shape_[d];
      for (int op = 0; op < nops_; ++op) strides_[prev][op] = strides_[d][op];
    }
  }
  ndim_ = prev + 1;
}

}  // namespace ember::cpu
