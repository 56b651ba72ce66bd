// CPU kernels of sort, topk, kthvalue, searchsorted and histc. Rows (the elements along dim) are
// copied out, ordered with the standard algorithms, and written back; rows run in parallel.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/dispatch_shape.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

// Offset of row r of t, the rows running along dim (r counts the other dims in row-major order).
int64_t row_offset(const Tensor& t, int64_t dim, int64_t r) {
  int64_t off = 0;
  for (int64_t d = t->dim() - 1; d >= 0; --d) {
    if (d == dim) continue;
    off += (r % t->size(d)) * t->stride(d);
    r /= t->size(d);
  }
  return off;
}

int64_t row_count(const Tensor& t, int64_t dim) {
  const int64_t len = t->dim() == 0 ? 1 : t->size(dim);
  return len == 0 ? 0 : t->numel() / len;
}

// a < b with NaN the largest value (NaNs compare equal to each other).
template <class C>
bool less_nan(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
  }
  return a < b;
}

// Calls fn(T-typed row reader) for each row of in, in parallel.
template <class F>
void for_rows(const Tensor& in, int64_t dim, F&& fn) {
  const int64_t rows = row_count(in, dim);
  const int64_t len = in->dim() == 0 ? 1 : in->size(dim);
  parallel_for(0, rows, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, len)),
               [&](int64_t b, int64_t e) {
                 for (int64_t r = b; r < e; ++r) fn(r);
               });
}

void sort_kernel(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim,
                 bool descending, bool stable) {
  const int64_t len = in->dim() == 0 ? 1 : in->size(dim);
  const int64_t is = in->dim() == 0 ? 0 : in->stride(dim);
  const int64_t os = values->dim() == 0 ? 0 : values->stride(dim);
  dispatch_dtype(in->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* pi = in->data_as<T>();
    T* pv = values->data_as<T>();
    int64_t* px = indices->data_as<int64_t>();
    for_rows(in, dim, [&](int64_t r) {
      const T* src = pi + row_offset(in, dim, r);
      std::vector<int64_t> order(len);
      std::iota(order.begin(), order.end(), 0);
      auto cmp = [&](int64_t a, int64_t b) {
        const C x = cast<C>(src[a * is]), y = cast<C>(src[b * is]);
        return descending ? less_nan(y, x) : less_nan(x, y);
      };
      if (stable) {
        std::stable_sort(order.begin(), order.end(), cmp);
      } else {
        std::sort(order.begin(), order.end(), cmp);
      }
      const int64_t vo = row_offset(values, dim, r), xo = row_offset(indices, dim, r);
      for (int64_t i = 0; i < len; ++i) {
        pv[vo + i * os] = src[order[i] * is];
        px[xo + i * os] = order[i];
      }
    });
  });
}

void topk_kernel(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim,
                 int64_t k, bool largest) {
  const int64_t len = in->dim() == 0 ? 1 : in->size(dim);
  const int64_t is = in->dim() == 0 ? 0 : in->stride(dim);
  const int64_t os = values->dim() == 0 ? 0 : values->stride(dim);
  dispatch_dtype(in->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* pi = in->data_as<T>();
    T* pv = values->data_as<T>();
    int64_t* px = indices->data_as<int64_t>();
    for_rows(in, dim, [&](int64_t r) {
      const T* src = pi + row_offset(in, dim, r);
      std::vector<int64_t> order(len);
      std::iota(order.begin(), order.end(), 0);
      // Ties keep index order, so results are deterministic.
      auto cmp = [&](int64_t a, int64_t b) {
        const C x = cast<C>(src[a * is]), y = cast<C>(src[b * is]);
        if (largest ? less_nan(y, x) : less_nan(x, y)) return true;
        if (largest ? less_nan(x, y) : less_nan(y, x)) return false;
        return a < b;
      };
      std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
      const int64_t vo = row_offset(values, dim, r), xo = row_offset(indices, dim, r);
      for (int64_t i = 0; i < k; ++i) {
        pv[vo + i * os] = src[order[i] * is];
        px[xo + i * os] = order[i];
      }
    });
  });
}

void kthvalue_kernel(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim,
                     int64_t k) {
  const int64_t len = in->dim() == 0 ? 1 : in->size(dim);
  const int64_t is = in->dim() == 0 ? 0 : in->stride(dim);
  dispatch_dtype(in->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* pi = in->data_as<T>();
    T* pv = values->data_as<T>();
    int64_t* px = indices->data_as<int64_t>();
    for_rows(in, dim, [&](int64_t r) {
      const T* src = pi + row_offset(in, dim, r);
      std::vector<int64_t> order(len);
      std::iota(order.begin(), order.end(), 0);
      auto cmp = [&](int64_t a, int64_t b) {
        const C x = cast<C>(src[a * is]), y = cast<C>(src[b * is]);
        if (less_nan(x, y)) return true;
        if (less_nan(y, x)) return false;
        return a < b;
      };
      std::nth_element(order.begin(), order.begin() + (k - 1), order.end(), cmp);
      pv[row_offset(values, dim, r)] = src[order[k - 1] * is];
      px[row_offset(indices, dim, r)] = order[k - 1];
    });
  });
}

void searchsorted_kernel(const Tensor& out, const Tensor& seq, const Tensor& values, bool right) {
  const int64_t m = seq->size(seq->dim() - 1), ss = seq->stride(seq->dim() - 1);
  const int64_t n = values->dim() == 0 ? 1 : values->size(values->dim() - 1);
  const bool shared = seq->dim() == 1;
  dispatch_dtype(values->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* ps = seq->data_as<T>();
    const T* pv = values->data_as<T>();
    const int64_t total = values->numel();
    const int64_t vdim = std::max<int64_t>(values->dim() - 1, 0);
    parallel_for(0, total, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        const int64_t row = p / n, col = p % n;
        const int64_t voff =
            values->dim() == 0 ? 0 : row_offset(values, vdim, row) + col * values->stride(vdim);
        const T* s = ps + (shared ? 0 : row_offset(seq, seq->dim() - 1, row));
        const C v = cast<C>(pv[voff]);
        int64_t lo = 0, hi = m;
        while (lo < hi) {
          const int64_t mid = lo + (hi - lo) / 2;
          const C x = cast<C>(s[mid * ss]);
          const bool go_right = right ? !less_nan(v, x) : less_nan(x, v);
          if (go_right)
            lo = mid + 1;
          else
            hi = mid;
        }
        if (out->dtype() == DType::Int32) {
          out->data_as<int32_t>()[p] = static_cast<int32_t>(lo);
        } else {
          out->data_as<int64_t>()[p] = lo;
        }
      }
    });
  });
}

void histc_kernel(const Tensor& out, const Tensor& t, int64_t bins, double lo, double hi) {
  std::vector<double> counts(bins, 0.0);
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = t->data_as<T>();
    const int64_t n = t->numel();
    // Row-major walk over any strides (t is made contiguous by the meta function).
    for (int64_t i = 0; i < n; ++i) {
      const double v = static_cast<double>(cast<compute_t<T>>(p[i]));
      if (!(v >= lo && v <= hi)) continue;
      int64_t b = static_cast<int64_t>((v - lo) * bins / (hi - lo));
      if (b == bins) b -= 1;
      counts[b] += 1;
    }
  });
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* po = out->data_as<T>();
    for (int64_t b = 0; b < bins; ++b) po[b] = cast<T>(counts[b]);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(sort_stub, DeviceType::CPU, sort_kernel);
EMBER_REGISTER_KERNEL(topk_stub, DeviceType::CPU, topk_kernel);
EMBER_REGISTER_KERNEL(kthvalue_stub, DeviceType::CPU, kthvalue_kernel);
EMBER_REGISTER_KERNEL(searchsorted_stub, DeviceType::CPU, searchsorted_kernel);
EMBER_REGISTER_KERNEL(histc_stub, DeviceType::CPU, histc_kernel);

}  // namespace ember::cpu
