// CPU kernels of gather, scatter (with reductions), masked_fill, masked_select, masked_scatter and
// nonzero. Scatters and the order-dependent masked ops run serially in row-major order, so results
// do not depend on the thread count; gather is parallel.
#include <cmath>
#include <limits>
#include <vector>

#include "core/dispatch_shape.h"
#include "core/meta.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

// Walks the positions of `sizes` in row-major order, keeping the element offset of each tensor.
template <int N>
class Odometer {
 public:
  Odometer(const DimVector& sizes, const std::array<const TensorImpl*, N>& ts) : sizes_(sizes) {
    for (int k = 0; k < N; ++k) {
      strides_[k] = ts[k]->strides();
      off_[k] = 0;
    }
    idx_ = DimVector(sizes.size(), 0);
  }
  // Positions the walk at linear position p.
  void seek(int64_t p) {
    for (int k = 0; k < N; ++k) off_[k] = 0;
    for (int64_t d = sizes_.size() - 1; d >= 0; --d) {
      idx_[d] = p % sizes_[d];
      p /= sizes_[d];
      for (int k = 0; k < N; ++k) off_[k] += idx_[d] * strides_[k][d];
    }
  }
  void next() {
    for (int64_t d = sizes_.size() - 1; d >= 0; --d) {
      ++idx_[d];
      for (int k = 0; k < N; ++k) off_[k] += strides_[k][d];
      if (idx_[d] < sizes_[d]) return;
      for (int k = 0; k < N; ++k) off_[k] -= sizes_[d] * strides_[k][d];
      idx_[d] = 0;
    }
  }
  int64_t offset(int k) const { return off_[k]; }
  const DimVector& index() const { return idx_; }

 private:
  DimVector sizes_;
  DimVector strides_[N];
  int64_t off_[N];
  DimVector idx_;
};

// Checks every index of `index` against self's size along dim, before anything is written.
void check_indices(const char* op, const Tensor& self, int64_t dim, const Tensor& index) {
  const int64_t size = self->dim() == 0 ? 1 : self->size(dim);
  const int64_t* pi = index->data_as<int64_t>();
  Odometer<1> walk(index->sizes(), {index.get()});
  for (int64_t p = 0, n = index->numel(); p < n; ++p, walk.next()) {
    const int64_t v = pi[walk.offset(0)];
    EMBER_CHECK(v >= 0 && v < size, EMBER_ERROR_INVALID_ARGUMENT, op, ": index ", v,
                " is out of bounds for dimension ", dim, " with size ", size, " (self is ",
                meta::describe(self), ", index is ", meta::describe(index), ")");
  }
}

void gather_kernel(const char* op, const Tensor& out, const Tensor& self, int64_t dim,
                   const Tensor& index) {
  check_indices(op, self, dim, index);
  const int64_t n = index->numel();
  const int64_t sd = self->dim() == 0 ? 0 : self->stride(dim);
  const int64_t* pi = index->data_as<int64_t>();
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out->data_as<T>();
    const T* ps = self->data_as<T>();
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      // Offsets of (out, index, self outside dim).
      Odometer<3> walk(index->sizes(), {out.get(), index.get(), self.get()});
      walk.seek(b);
      for (int64_t p = b; p < e; ++p, walk.next()) {
        const int64_t base = walk.offset(2) - (self->dim() == 0 ? 0 : walk.index()[dim] * sd);
        po[walk.offset(0)] = ps[base + pi[walk.offset(1)] * sd];
      }
    });
  });
}

template <class C>
C reduce_identity(ScatterReduce r) {
  switch (r) {
    case ScatterReduce::Prod:
      return C(1);
    case ScatterReduce::Amax:
      if constexpr (std::numeric_limits<C>::has_infinity)
        return -std::numeric_limits<C>::infinity();
      else
        return std::numeric_limits<C>::lowest();
    case ScatterReduce::Amin:
      if constexpr (std::numeric_limits<C>::has_infinity)
        return std::numeric_limits<C>::infinity();
      else
        return std::numeric_limits<C>::max();
    default:
      return C(0);
  }
}

template <class C>
C reduce_step(ScatterReduce r, C acc, C v) {
  switch (r) {
    case ScatterReduce::None:
      return v;
    case ScatterReduce::Sum:
    case ScatterReduce::Mean:
      return static_cast<C>(acc + v);
    case ScatterReduce::Prod:
      return static_cast<C>(acc * v);
    case ScatterReduce::Amax:
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(v) || std::isnan(acc)) return std::numeric_limits<C>::quiet_NaN();
      }
      return acc < v ? v : acc;
    case ScatterReduce::Amin:
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(v) || std::isnan(acc)) return std::numeric_limits<C>::quiet_NaN();
      }
      return v < acc ? v : acc;
  }
  return v;
}

void scatter_kernel(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                    const Tensor& src, Scalar value, ScatterReduce reduce, bool include_self) {
  check_indices(op, self, dim, index);
  const int64_t n = index->numel();
  const int64_t sd = self->dim() == 0 ? 0 : self->stride(dim);
  const int64_t* pi = index->data_as<int64_t>();
  const bool counted = reduce == ScatterReduce::Mean || !include_self;
  dispatch_dtype(self->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = std::conditional_t<std::is_same_v<T, bool>, bool, compute_t<T>>;
    T* ps = self->data_as<T>();
    const T* pr = src ? src->data_as<T>() : nullptr;
    const T fill = scalar_as<T>(value);
    // Per element of self (by offset from its data): how many values it received.
    std::vector<int64_t> count;
    int64_t extent = 1;
    for (int64_t d = 0; d < self->dim(); ++d) extent += (self->size(d) - 1) * self->stride(d);
    if (counted) count.assign(static_cast<size_t>(extent), 0);
    const TensorImpl* src_or_index = src ? src.get() : index.get();
    Odometer<3> walk(index->sizes(), {index.get(), src_or_index, self.get()});
    for (int64_t p = 0; p < n; ++p, walk.next()) {
      const int64_t at = walk.offset(2) - (self->dim() == 0 ? 0 : walk.index()[dim] * sd) +
                         pi[walk.offset(0)] * sd;
      const T v = pr ? pr[walk.offset(1)] : fill;
      if (reduce == ScatterReduce::None) {
        ps[at] = v;
        continue;
      }
      C acc = cast<C>(ps[at]);
      if (counted && count[at]++ == 0 && !include_self) acc = reduce_identity<C>(reduce);
      ps[at] = cast<T>(reduce_step<C>(reduce, acc, cast<C>(v)));
    }
    // The meta function refuses bool reductions.
    if constexpr (!std::is_same_v<T, bool>) {
      if (reduce == ScatterReduce::Mean) {
        Odometer<1> all(self->sizes(), {self.get()});
        for (int64_t p = 0, m = self->numel(); p < m; ++p, all.next()) {
          const int64_t at = all.offset(0);
          const int64_t c = count[at] + (include_self ? 1 : 0);
          if (count[at] == 0 || c == 0) continue;
          if constexpr (std::is_integral_v<C>) {
            // As PyTorch: integer means round toward negative infinity.
            const C q = static_cast<C>(cast<C>(ps[at]) / static_cast<C>(c));
            const bool inexact = static_cast<C>(q * static_cast<C>(c)) != cast<C>(ps[at]);
            ps[at] = cast<T>(static_cast<C>(inexact && (cast<C>(ps[at]) < 0) ? q - 1 : q));
          } else {
            ps[at] = cast<T>(static_cast<C>(cast<C>(ps[at]) / static_cast<C>(c)));
          }
        }
      }
    }
  });
}

void masked_fill_kernel(const Tensor& t, const Tensor& mask, Scalar value) {
  const TensorIterator iter({t.get(), t.get(), mask.get()}, t->sizes());
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = scalar_as<T>(value);
    cpu_kernel(iter, [v](T x, bool m) -> T { return m ? v : x; });
  });
}

Tensor masked_select_kernel(const Tensor& t, const Tensor& mask) {
  const bool* pm = mask->data_as<bool>();
  int64_t count = 0;
  {
    Odometer<1> walk(mask->sizes(), {mask.get()});
    for (int64_t p = 0, n = mask->numel(); p < n; ++p, walk.next()) count += pm[walk.offset(0)];
  }
  Tensor out = empty({count}, t->dtype(), t->device());
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out->data_as<T>();
    const T* pt = t->data_as<T>();
    Odometer<2> walk(t->sizes(), {t.get(), mask.get()});
    for (int64_t p = 0, n = t->numel(), k = 0; p < n; ++p, walk.next()) {
      if (pm[walk.offset(1)]) po[k++] = pt[walk.offset(0)];
    }
  });
  return out;
}

void masked_scatter_kernel(const Tensor& t, const Tensor& mask, const Tensor& source) {
  const bool* pm = mask->data_as<bool>();
  int64_t count = 0;
  {
    Odometer<1> walk(mask->sizes(), {mask.get()});
    for (int64_t p = 0, n = mask->numel(); p < n; ++p, walk.next()) count += pm[walk.offset(0)];
  }
  EMBER_CHECK(count <= source->numel(), EMBER_ERROR_SHAPE, "masked_scatter: the mask selects ",
              count, " elements but source (", meta::describe(source), ") has only ",
              source->numel());
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* pt = t->data_as<T>();
    const T* ps = source->data_as<T>();
    Odometer<2> walk(t->sizes(), {t.get(), mask.get()});
    Odometer<1> src(source->sizes(), {source.get()});
    for (int64_t p = 0, n = t->numel(); p < n; ++p, walk.next()) {
      if (!pm[walk.offset(1)]) continue;
      pt[walk.offset(0)] = ps[src.offset(0)];
      src.next();
    }
  });
}

Tensor nonzero_kernel(const Tensor& t) {
  const int64_t nd = t->dim();
  std::vector<int64_t> coords;
  int64_t count = 0;
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pt = t->data_as<T>();
    Odometer<1> walk(t->sizes(), {t.get()});
    for (int64_t p = 0, n = t->numel(); p < n; ++p, walk.next()) {
      if (!cast<bool>(pt[walk.offset(0)])) continue;
      ++count;
      coords.insert(coords.end(), walk.index().begin(), walk.index().end());
    }
  });
  Tensor out = empty({count, nd}, DType::Int64, t->device());
  std::copy(coords.begin(), coords.end(), out->data_as<int64_t>());
  return out;
}

}  // namespace

EMBER_REGISTER_KERNEL(gather_stub, DeviceType::CPU, gather_kernel);
EMBER_REGISTER_KERNEL(scatter_stub, DeviceType::CPU, scatter_kernel);
EMBER_REGISTER_KERNEL(masked_fill_stub, DeviceType::CPU, masked_fill_kernel);
EMBER_REGISTER_KERNEL(masked_select_stub, DeviceType::CPU, masked_select_kernel);
EMBER_REGISTER_KERNEL(masked_scatter_stub, DeviceType::CPU, masked_scatter_kernel);
EMBER_REGISTER_KERNEL(nonzero_stub, DeviceType::CPU, nonzero_kernel);

}  // namespace ember::cpu
