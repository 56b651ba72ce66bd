// CPU kernels along one dim of a contiguous tensor seen as (outer, size, inner): arg min/max,
// scans (cumsum, cumprod, cummax, cummin) and order statistics (median, mode). Work is split over
// the outer and inner positions; each line is walked in order, so results never depend on threads.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/parallel.h"
#include "cpu/math_kernels.h"

namespace ember::cpu {

namespace {

template <class C>
inline bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return v != v;
  } else {
    return false;
  }
}

// Runs fn(o, j) for every line (outer position o, inner position j) in parallel.
template <class F>
void for_lines(int64_t outer, int64_t size, int64_t inner, F fn) {
  const int64_t lines = outer * inner;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, size));
  parallel_for(0, lines, grain, [&](int64_t b, int64_t e) {
    for (int64_t l = b; l < e; ++l) fn(l / inner, l % inner);
  });
}

template <class T>
void arg_extreme(bool minimum, const Tensor& values, const Tensor& indices, const Tensor& a,
                 int64_t outer, int64_t size, int64_t inner) {
  using C = compute_t<T>;
  const T* x = a->data_as<T>();
  T* vp = values ? values->data_as<T>() : nullptr;
  int64_t* ip = indices->data_as<int64_t>();
  for_lines(outer, size, inner, [&](int64_t o, int64_t j) {
    const T* line = x + o * size * inner + j;
    C best = C(line[0]);
    int64_t at = 0;
    for (int64_t d = 1; d < size && !is_nan(best); ++d) {
      const C v = C(line[d * inner]);
      if (is_nan(v) || (minimum ? v < best : v > best)) {
        best = v;
        at = d;
      }
    }
    ip[o * inner + j] = at;
    if (vp) vp[o * inner + j] = line[at * inner];
  });
}

void arg_extreme_cpu(bool minimum, const Tensor& values, const Tensor& indices, const Tensor& a,
                     int64_t outer, int64_t size, int64_t inner) {
  dispatch_dtype(a->dtype(), [&](auto tag) {
    arg_extreme<typename decltype(tag)::type>(minimum, values, indices, a, outer, size, inner);
  });
}

template <class T>
void scan(ops::ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& a, int64_t outer,
          int64_t size, int64_t inner) {
  using C = compute_t<T>;
  const T* x = a->data_as<T>();
  T* y = out->data_as<T>();
  int64_t* ip = indices ? indices->data_as<int64_t>() : nullptr;
  for_lines(outer, size, inner, [&](int64_t o, int64_t j) {
    const int64_t base = o * size * inner + j;
    if (op == ops::ScanOp::Sum || op == ops::ScanOp::Prod) {
      const bool sum = op == ops::ScanOp::Sum;
      if constexpr (std::is_same_v<T, bool>) {
        EMBER_FAIL(EMBER_ERROR_INTERNAL, "scan kernel: bool sums are computed in int64");
      } else if constexpr (std::is_integral_v<T>) {
        using W = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;
        W acc = sum ? 0 : 1;
        for (int64_t d = 0; d < size; ++d) {
          const W v = static_cast<W>(x[base + d * inner]);
          acc = static_cast<W>(sum ? acc + v : acc * v);
          y[base + d * inner] = static_cast<T>(acc);
        }
      } else {
        C acc = sum ? C(0) : C(1);
        for (int64_t d = 0; d < size; ++d) {
          acc = sum ? acc + C(x[base + d * inner]) : acc * C(x[base + d * inner]);
          y[base + d * inner] = T(acc);
        }
      }
      return;
    }
    // cummax / cummin: ties move the index forward, and a NaN, once seen, stays.
    const bool maximum = op == ops::ScanOp::Max;
    C best = C(x[base]);
    int64_t at = 0;
    for (int64_t d = 0; d < size; ++d) {
      const C v = C(x[base + d * inner]);
      if (!is_nan(best) && (is_nan(v) || (maximum ? v >= best : v <= best))) {
        best = v;
        at = d;
      }
      y[base + d * inner] = T(best);
      ip[base + d * inner] = at;
    }
  });
}

void scan_cpu(ops::ScanOp op, const Tensor& out, const Tensor& indices, const Tensor& a,
              int64_t outer, int64_t size, int64_t inner) {
  dispatch_dtype(a->dtype(), [&](auto tag) {
    scan<typename decltype(tag)::type>(op, out, indices, a, outer, size, inner);
  });
}

template <class T>
void order(OrderOp op, const Tensor& values, const Tensor& indices, const Tensor& a, int64_t outer,
           int64_t size, int64_t inner) {
  using C = compute_t<T>;
  const T* x = a->data_as<T>();
  T* vp = values->data_as<T>();
  int64_t* ip = indices->data_as<int64_t>();
  for_lines(outer, size, inner, [&](int64_t o, int64_t j) {
    const T* line = x + o * size * inner + j;
    std::vector<std::pair<C, int64_t>> items(static_cast<size_t>(size));
    for (int64_t d = 0; d < size; ++d) items[d] = {C(line[d * inner]), d};
    const int64_t out_at = o * inner + j;
    if (op == OrderOp::Median) {
      // A NaN makes the median NaN, reported at the first NaN.
      for (int64_t d = 0; d < size; ++d) {
        if (is_nan(items[d].first)) {
          vp[out_at] = line[d * inner];
          ip[out_at] = d;
          return;
        }
      }
      // The lower median; equal values are ranked by position.
      const auto k = items.begin() + (size - 1) / 2;
      std::nth_element(items.begin(), k, items.end());
      vp[out_at] = T(k->first);
      ip[out_at] = k->second;
      return;
    }
    // Mode: the most frequent value, the smallest on ties, at its last position. NaNs sort last.
    std::sort(items.begin(), items.end(), [](const auto& l, const auto& r) {
      const bool ln = is_nan(l.first), rn = is_nan(r.first);
      if (ln != rn) return rn;
      if (!ln && l.first != r.first) return l.first < r.first;
      return l.second < r.second;
    });
    int64_t best_count = 0, best_end = 0;
    for (int64_t s = 0; s < size;) {
      int64_t e = s + 1;
      while (e < size && (items[e].first == items[s].first ||
                          (is_nan(items[e].first) && is_nan(items[s].first)))) {
        ++e;
      }
      if (e - s > best_count) {
        best_count = e - s;
        best_end = e - 1;
      }
      s = e;
    }
    vp[out_at] = T(items[best_end].first);
    ip[out_at] = items[best_end].second;
  });
}

void order_cpu(OrderOp op, const Tensor& values, const Tensor& indices, const Tensor& a,
               int64_t outer, int64_t size, int64_t inner) {
  dispatch_dtype(a->dtype(), [&](auto tag) {
    order<typename decltype(tag)::type>(op, values, indices, a, outer, size, inner);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(arg_extreme_stub, DeviceType::CPU, arg_extreme_cpu);
EMBER_REGISTER_KERNEL(scan_stub, DeviceType::CPU, scan_cpu);
EMBER_REGISTER_KERNEL(order_stub, DeviceType::CPU, order_cpu);

}  // namespace ember::cpu
