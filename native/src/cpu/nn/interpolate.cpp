// F.interpolate forward and backward on the CPU: every mode is a separable filter, so each spatial
// dim gets a table of taps (source index, weight) per output index, computed as PyTorch computes
// them (in the compute type, float for float32), and the dims are filtered one after the other
// (bicubic costs 4 + 4 taps per element rather than 16). Backward runs the transposed filters;
// each pass is parallel over rows that never share output elements.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/nn_interpolate.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"
#include "hostdev/resample_taps.h"

namespace ember::cpu {
namespace {

using ops::InterpolateMode;
using ops::InterpolateParams;

template <class C>
struct Taps {
  int64_t count = 1;           // taps per output index
  std::vector<int64_t> index;  // [out * count]
  std::vector<C> weight;       // [out * count]
};

// The taps of every output index along one dim (hostdev/resample_taps.h's, tabulated).
template <class C>
Taps<C> make_taps(const InterpolateParams& p, const resample::AxisSize& ax) {
  Taps<C> t;
  int64_t ix[resample::kMaxTaps], anchor;
  C w[resample::kMaxTaps];
  t.index.reserve(static_cast<std::size_t>(ax.out * resample::kMaxTaps));
  t.weight.reserve(static_cast<std::size_t>(ax.out * resample::kMaxTaps));
  for (int64_t o = 0; o < ax.out; ++o) {
    t.count = resample::taps<C>(p.mode, p.align_corners, ax, o, ix, w, &anchor);
    t.index.insert(t.index.end(), ix, ix + t.count);
    t.weight.insert(t.weight.end(), w, w + t.count);
  }
  return t;
}

// The three (depth, height, width) tables; dims missing from p become one identity tap.
template <class C>
struct Plan {
  std::array<Taps<C>, 3> taps;
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1};
  std::array<bool, 3> identity{true, true, true};  // the dim keeps its size and values

  explicit Plan(const InterpolateParams& p) {
    const int64_t skip = 3 - p.dims;
    for (int64_t s = skip; s < 3; ++s) {
      in[s] = p.in[s - skip];
      out[s] = p.out[s - skip];
      const resample::AxisSize ax{in[s], out[s], p.scales[s - skip]};
      taps[s] = make_taps<C>(p, ax);
      identity[s] = resample::is_identity<C>(p.mode, p.align_corners, ax);
    }
  }
};

// Rows [o0, o1) of one separable pass over src seen as (outer, n_in, inner): dst (outer, n_out,
// inner) with dst[o, j] = sum_k w[j, k] * src[o, index[j, k]], or its transpose,
// dst[o, index[j, k]] += w[j, k] * src[o, j]. Inner rows are contiguous, so the innermost loops
// vectorise; the last dim's pass (inner == 1) gathers taps straight into dst instead. acc holds
// n_in * inner compute-type values for the transpose, inner for the forward.
template <class C, class S, class D>
EMBER_ALWAYS_INLINE inline void filter_rows_body(const S* src, D* dst, int64_t o0, int64_t o1,
                                                 int64_t n_in, int64_t n_out, int64_t inner,
                                                 const Taps<C>& t, bool transpose, C* acc) {
  const int64_t n_src = transpose ? n_out : n_in, n_dst = transpose ? n_in : n_out;
  const int64_t count = t.count;
  const int64_t* index = t.index.data();
  const C* weight = t.weight.data();
  for (int64_t o = o0; o < o1; ++o) {
    const S* sp = src + o * n_src * inner;
    D* dp = dst + o * n_dst * inner;
    if (transpose) {
      for (int64_t i = 0; i < n_dst * inner; ++i) acc[i] = C(0);
      if (inner == 1) {
        for (int64_t j = 0; j < n_out; ++j) {
          const C v = static_cast<C>(sp[j]);
          for (int64_t k = 0; k < count; ++k)
            acc[index[j * count + k]] += weight[j * count + k] * v;
        }
      } else {
        for (int64_t j = 0; j < n_out; ++j) {
          const S* row = sp + j * inner;
          for (int64_t k = 0; k < count; ++k) {
            const C w = weight[j * count + k];
            C* a = acc + index[j * count + k] * inner;
            for (int64_t i = 0; i < inner; ++i) a[i] += w * static_cast<C>(row[i]);
          }
        }
      }
      for (int64_t i = 0; i < n_dst * inner; ++i) dp[i] = static_cast<D>(acc[i]);
    } else if (inner == 1) {
      for (int64_t j = 0; j < n_out; ++j) {
        C v = C(0);
        for (int64_t k = 0; k < count; ++k)
          v += weight[j * count + k] * static_cast<C>(sp[index[j * count + k]]);
        dp[j] = static_cast<D>(v);
      }
    } else {
      for (int64_t j = 0; j < n_out; ++j) {
        const C w0 = weight[j * count];
        const S* r0 = sp + index[j * count] * inner;
        for (int64_t i = 0; i < inner; ++i) acc[i] = w0 * static_cast<C>(r0[i]);
        for (int64_t k = 1; k < count; ++k) {
          const C w = weight[j * count + k];
          const S* row = sp + index[j * count + k] * inner;
          for (int64_t i = 0; i < inner; ++i) acc[i] += w * static_cast<C>(row[i]);
        }
        D* row = dp + j * inner;
        for (int64_t i = 0; i < inner; ++i) row[i] = static_cast<D>(acc[i]);
      }
    }
  }
}

template <class C, class S, class D>
void filter_rows(const S* src, D* dst, int64_t o0, int64_t o1, int64_t n_in, int64_t n_out,
                 int64_t inner, const Taps<C>& t, bool transpose, C* acc) {
  filter_rows_body(src, dst, o0, o1, n_in, n_out, inner, t, transpose, acc);
}
#if EMBER_X86_CLONES
template <class C, class S, class D>
EMBER_TARGET_AVX2 void filter_rows_avx2(const S* src, D* dst, int64_t o0, int64_t o1, int64_t n_in,
                                        int64_t n_out, int64_t inner, const Taps<C>& t,
                                        bool transpose, C* acc) {
  filter_rows_body(src, dst, o0, o1, n_in, n_out, inner, t, transpose, acc);
}
#endif

// One pass, parallel over the outer rows, which never share output elements.
template <class C, class S, class D>
void filter(const S* src, D* dst, int64_t outer, int64_t n_in, int64_t n_out, int64_t inner,
            const Taps<C>& t, bool transpose) {
  const int64_t grain =
      std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, n_out * t.count * inner));
  parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
    std::vector<C> acc(static_cast<std::size_t>(transpose ? n_in * inner : inner));
#if EMBER_X86_CLONES
    if (cpu_has_avx2())
      return filter_rows_avx2(src, dst, b, e, n_in, n_out, inner, t, transpose, acc.data());
#endif
    filter_rows(src, dst, b, e, n_in, n_out, inner, t, transpose, acc.data());
  });
}

// Runs the non-identity passes from src (T, sizes `from`) to dst (T, sizes `to`): forward goes
// width, height, depth; backward applies the transposes in the reverse order. Intermediate
// results stay in the compute type.
template <class T>
void run(const T* src, T* dst, int64_t planes, const InterpolateParams& p, bool backward) {
  using C = compute_t<T>;
  const Plan<C> plan(p);
  std::array<int64_t, 3> cur = backward ? plan.out : plan.in;
  std::vector<int> axes;
  for (int a = 2; a >= 0; --a) {
    if (!plan.identity[a]) axes.push_back(a);
  }
  if (backward) std::reverse(axes.begin(), axes.end());
  const int64_t total = planes * cur[0] * cur[1] * cur[2];
  if (axes.empty()) {
    parallel_for(0, total, kGrainSize,
                 [&](int64_t b, int64_t e) { std::copy(src + b, src + e, dst + b); });
    return;
  }
  // Intermediate results come from the engine's allocator, which keeps large blocks cached: a
  // fresh std::vector would zero and fault in megabytes on every call.
  const DType compute_dtype = std::is_same_v<C, double> ? DType::Float64 : DType::Float32;
  Tensor a, b;
  const void* from = src;
  for (std::size_t n = 0; n < axes.size(); ++n) {
    const int ax = axes[n];
    int64_t outer = planes, inner = 1;
    for (int d = 0; d < ax; ++d) outer *= cur[d];
    for (int d = ax + 1; d < 3; ++d) inner *= cur[d];
    const int64_t n_in = plan.in[ax], n_out = plan.out[ax];
    cur[ax] = backward ? n_in : n_out;
    const bool first = n == 0, last = n + 1 == axes.size();
    Tensor& next_buffer = (n % 2 == 0) ? a : b;
    if (!last) next_buffer = empty({planes * cur[0] * cur[1] * cur[2]}, compute_dtype, Device{});
    C* next = last ? nullptr : next_buffer->data_as<C>();
    const Taps<C>& t = plan.taps[ax];
    if (first && last) {
      filter<C, T, T>(static_cast<const T*>(from), dst, outer, n_in, n_out, inner, t, backward);
    } else if (first) {
      filter<C, T, C>(static_cast<const T*>(from), next, outer, n_in, n_out, inner, t, backward);
    } else if (last) {
      filter<C, C, T>(static_cast<const C*>(from), dst, outer, n_in, n_out, inner, t, backward);
    } else {
      filter<C, C, C>(static_cast<const C*>(from), next, outer, n_in, n_out, inner, t, backward);
    }
    from = next;
  }
}

template <class T>
void forward(const Tensor& out, const Tensor& x, const InterpolateParams& p) {
  run<T>(x->data_as<T>(), out->data_as<T>(), x->size(0) * x->size(1), p, false);
}

template <class T>
void backward(const Tensor& gx, const Tensor& gy, const InterpolateParams& p) {
  run<T>(gy->data_as<T>(), gx->data_as<T>(), gx->size(0) * gx->size(1), p, true);
}

void interpolate_cpu(const Tensor& out, const Tensor& x, const InterpolateParams& p) {
  dispatch_floating("interpolate", x->dtype(),
                    [&](auto tag) { forward<typename decltype(tag)::type>(out, x, p); });
}

void interpolate_backward_cpu(const Tensor& gx, const Tensor& gy, const InterpolateParams& p) {
  dispatch_floating("interpolate_backward", gx->dtype(),
                    [&](auto tag) { backward<typename decltype(tag)::type>(gx, gy, p); });
}

}  // namespace

EMBER_REGISTER_KERNEL(interpolate_stub, DeviceType::CPU, interpolate_cpu);
EMBER_REGISTER_KERNEL(interpolate_backward_stub, DeviceType::CPU, interpolate_backward_cpu);

}  // namespace ember::cpu
