// argmax / max along one dim on the CPU: the first maximum, NaN counting as the largest value.
#include <cmath>
#include <memory>
#include <type_traits>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {
namespace {

template <class C>
inline bool is_nan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// True when v replaces best: strictly greater, or the first NaN.
template <class C>
inline bool better(C v, C best) {
  return v > best || (is_nan(v) && !is_nan(best));
}

template <class T>
void argmax(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t outer,
            int64_t size, int64_t inner) {
  using C = compute_t<T>;
  const T* xp = x->data_as<T>();
  T* vp = values ? values->data_as<T>() : nullptr;
  int64_t* ip = indices->data_as<int64_t>();
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, size * inner));
  parallel_for(0, outer, grain, [&](int64_t b, int64_t e) {
    const std::unique_ptr<C[]> best(inner > 1 ? new C[inner] : nullptr);
    for (int64_t o = b; o < e; ++o) {
      const T* xs = xp + o * size * inner;
      int64_t* is = ip + o * inner;
      if (inner == 1) {
        C m = C(xs[0]);
        int64_t at = 0;
        for (int64_t d = 1; d < size; ++d) {
          if (better(C(xs[d]), m)) {
            m = C(xs[d]);
            at = d;
          }
        }
        is[0] = at;
        if (vp) vp[o] = xs[at];
        continue;
      }
      for (int64_t j = 0; j < inner; ++j) {
        best[j] = C(xs[j]);
        is[j] = 0;
      }
      for (int64_t d = 1; d < size; ++d) {
        const T* row = xs + d * inner;
        for (int64_t j = 0; j < inner; ++j) {
          if (better(C(row[j]), best[j])) {
            best[j] = C(row[j]);
            is[j] = d;
          }
        }
      }
      if (vp) {
        for (int64_t j = 0; j < inner; ++j) vp[o * inner + j] = xs[is[j] * inner + j];
      }
    }
  });
}

void argmax_cpu(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t outer,
                int64_t size, int64_t inner) {
  dispatch_dtype(x->dtype(), [&](auto tag) {
    argmax<typename decltype(tag)::type>(values, indices, x, outer, size, inner);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(argmax_stub, DeviceType::CPU, argmax_cpu);

}  // namespace ember::cpu
