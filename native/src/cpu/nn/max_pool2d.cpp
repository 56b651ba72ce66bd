// max_pool2d forward (values and flat indices) and backward (scatter-add) on the CPU, parallel
// over the (n, c) planes. The usual 2x2 windows of stride 2 go on vectors; any other window
// through a branch-free scalar loop (random data would mispredict a branch per element).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"
#include "cpu/nn/simd.h"

namespace ember::cpu {
namespace {

// ---- 2x2 windows, stride 2, inside the plane: N outputs at a time ----

// Vectors of N values (V), of same-sized integers for masks and plane indices (M), and their
// int64 widening (L).
template <class T, int N>
struct Pool2;
template <>
struct Pool2<float, 8> {
  typedef float V __attribute__((vector_size(32)));
  typedef int32_t M __attribute__((vector_size(32)));
  typedef int32_t E;
  typedef int64_t L __attribute__((vector_size(64)));
  EMBER_ALWAYS_INLINE static void evens(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
  }
  EMBER_ALWAYS_INLINE static void odds(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
  }
};
template <>
struct Pool2<float, 4> {
  typedef float V __attribute__((vector_size(16)));
  typedef int32_t M __attribute__((vector_size(16)));
  typedef int32_t E;
  typedef int64_t L __attribute__((vector_size(32)));
  EMBER_ALWAYS_INLINE static void evens(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 0, 2, 4, 6);
  }
  EMBER_ALWAYS_INLINE static void odds(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 1, 3, 5, 7);
  }
};
template <>
struct Pool2<double, 4> {
  typedef double V __attribute__((vector_size(32)));
  typedef int64_t M __attribute__((vector_size(32)));
  typedef int64_t E;
  typedef int64_t L __attribute__((vector_size(32)));
  EMBER_ALWAYS_INLINE static void evens(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 0, 2, 4, 6);
  }
  EMBER_ALWAYS_INLINE static void odds(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 1, 3, 5, 7);
  }
};
template <>
struct Pool2<double, 2> {
  typedef double V __attribute__((vector_size(16)));
  typedef int64_t M __attribute__((vector_size(16)));
  typedef int64_t E;
  typedef int64_t L __attribute__((vector_size(16)));
  EMBER_ALWAYS_INLINE static void evens(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 0, 2);
  }
  EMBER_ALWAYS_INLINE static void odds(V& out, const V& a, const V& b) {
    out = __builtin_shufflevector(a, b, 1, 3);
  }
};

// Outputs [ow, ow + N) of one output row, whose windows start at input row r0 (flat index i0)
// and the row below it. Candidates go in PyTorch's order, a later one winning when greater or NaN.
template <class T, int N>
EMBER_ALWAYS_INLINE inline void pool2_block(const T* r0, const T* r1, int64_t i0, int64_t w, T* y,
                                            int64_t* idx) {
  using P = Pool2<T, N>;
  typename P::V a0, a1, b0, b1;
  load_vec(a0, r0);
  load_vec(a1, r0 + N);
  load_vec(b0, r1);
  load_vec(b1, r1 + N);
  typename P::M lane;
  for (int i = 0; i < N; ++i) lane[i] = 2 * i;
  typename P::V cand[4];
  P::evens(cand[0], a0, a1);
  P::odds(cand[1], a0, a1);
  P::evens(cand[2], b0, b1);
  P::odds(cand[3], b0, b1);
  using E = typename P::E;  // plane indices fit (is_pool2 checks)
  const typename P::M at[4] = {lane + static_cast<E>(i0), lane + static_cast<E>(i0 + 1),
                               lane + static_cast<E>(i0 + w), lane + static_cast<E>(i0 + w + 1)};
  typename P::V m = cand[0];
  typename P::M best = at[0];
  for (int k = 1; k < 4; ++k) {
    const typename P::M take = (cand[k] > m) | (cand[k] != cand[k]);
    m = take ? cand[k] : m;
    best = take ? at[k] : best;
  }
  store_vec(y, m);
  store_vec(idx, __builtin_convertvector(best, typename P::L));
}

// Planes [b, e) of h x w inputs into ho x wo outputs, 2 * ho <= h and 2 * wo <= w.
template <class T>
EMBER_ALWAYS_INLINE inline void pool2_body(const T* xp, T* yp, int64_t* ip, int64_t b, int64_t e,
                                           int64_t h, int64_t w, int64_t ho, int64_t wo) {
  constexpr int N = Simd<T>::kWidth;
  for (int64_t pl = b; pl < e; ++pl) {
    const T* xs = xp + pl * h * w;
    for (int64_t oh = 0; oh < ho; ++oh) {
      const int64_t i0 = 2 * oh * w;
      const T* r0 = xs + i0;
      const T* r1 = r0 + w;
      T* y = yp + (pl * ho + oh) * wo;
      int64_t* idx = ip + (pl * ho + oh) * wo;
      int64_t ow = 0;
      for (; ow + N <= wo; ow += N) {
        pool2_block<T, N>(r0 + 2 * ow, r1 + 2 * ow, i0 + 2 * ow, w, y + ow, idx + ow);
      }
      if (ow + N / 2 <= wo) {
        pool2_block<T, N / 2>(r0 + 2 * ow, r1 + 2 * ow, i0 + 2 * ow, w, y + ow, idx + ow);
        ow += N / 2;
      }
      for (; ow < wo; ++ow) {
        int64_t best = i0 + 2 * ow;
        T m = xs[best];
        for (const int64_t at : {best + 1, best + w, best + w + 1}) {
          const bool take = xs[at] > m || xs[at] != xs[at];
          m = take ? xs[at] : m;
          best = take ? at : best;
        }
        y[ow] = m;
        idx[ow] = best;
      }
    }
  }
}

template <class T>
void pool2_base(const T* xp, T* yp, int64_t* ip, int64_t b, int64_t e, int64_t h, int64_t w,
                int64_t ho, int64_t wo) {
  pool2_body(xp, yp, ip, b, e, h, w, ho, wo);
}
#if EMBER_X86_CLONES
template <class T>
EMBER_TARGET_AVX2 void pool2_avx2(const T* xp, T* yp, int64_t* ip, int64_t b, int64_t e, int64_t h,
                                  int64_t w, int64_t ho, int64_t wo) {
  pool2_body(xp, yp, ip, b, e, h, w, ho, wo);
}
#endif

template <class T>
void pool2(const T* xp, T* yp, int64_t* ip, int64_t b, int64_t e, int64_t h, int64_t w, int64_t ho,
           int64_t wo) {
#if EMBER_X86_CLONES
  if (cpu_has_avx2()) return pool2_avx2(xp, yp, ip, b, e, h, w, ho, wo);
#endif
  pool2_base(xp, yp, ip, b, e, h, w, ho, wo);
}

// Whether a pooling is the 2x2 / stride 2 kind with every window inside the plane.
bool is_pool2(const ops::Pool2dParams& p, int64_t h, int64_t w, int64_t ho, int64_t wo) {
  return p.kernel == std::array<int64_t, 2>{2, 2} && p.stride == std::array<int64_t, 2>{2, 2} &&
         p.padding == std::array<int64_t, 2>{0, 0} && p.dilation == std::array<int64_t, 2>{1, 1} &&
         2 * ho <= h && 2 * wo <= w && h * w <= std::numeric_limits<int32_t>::max();
}

template <class T>
void forward(const Tensor& out, const Tensor& indices, const Tensor& x,
             const ops::Pool2dParams& p) {
  using C = compute_t<T>;
  const int64_t planes = x->size(0) * x->size(1), h = x->size(2), w = x->size(3);
  const int64_t ho = out->size(2), wo = out->size(3);
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  int64_t* ip = indices->data_as<int64_t>();
  const auto [kh, kw] = p.kernel;
  const auto [sh, sw] = p.stride;
  const auto [ph, pw] = p.padding;
  const auto [dh, dw] = p.dilation;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, ho * wo * kh * kw));
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (is_pool2(p, h, w, ho, wo)) {
      parallel_for(0, planes, grain,
                   [&](int64_t b, int64_t e) { pool2(xp, yp, ip, b, e, h, w, ho, wo); });
      return;
    }
  }
  parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xs = xp + pl * h * w;
      T* ys = yp + pl * ho * wo;
      int64_t* is = ip + pl * ho * wo;
      for (int64_t oh = 0; oh < ho; ++oh) {
        int64_t h0 = oh * sh - ph;
        const int64_t h1 = std::min(h0 + (kh - 1) * dh + 1, h);
        while (h0 < 0) h0 += dh;
        for (int64_t ow = 0; ow < wo; ++ow) {
          int64_t w0 = ow * sw - pw;
          const int64_t w1 = std::min(w0 + (kw - 1) * dw + 1, w);
          while (w0 < 0) w0 += dw;
          int64_t best = h0 * w + w0;
          C m = -std::numeric_limits<C>::infinity();
          for (int64_t ih = h0; ih < h1; ih += dh) {
            for (int64_t iw = w0; iw < w1; iw += dw) {
              const C v = static_cast<C>(xs[ih * w + iw]);
              const bool take = v > m || std::isnan(v);  // NaN wins, as in PyTorch
              m = take ? v : m;
              best = take ? ih * w + iw : best;
            }
          }
          ys[oh * wo + ow] = static_cast<T>(m);
          is[oh * wo + ow] = best;
        }
      }
    }
  });
}

template <class T>
void backward(const Tensor& gx, const Tensor& gy, const Tensor& indices) {
  using C = compute_t<T>;
  const int64_t planes = gx->size(0) * gx->size(1), hw = gx->size(2) * gx->size(3);
  const int64_t ohw = gy->size(2) * gy->size(3);
  const T* gp = gy->data_as<T>();
  const int64_t* ip = indices->data_as<int64_t>();
  T* op = gx->data_as<T>();
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, hw + ohw));
  parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      T* o = op + pl * hw;
      std::fill(o, o + hw, T(0));
      const T* g = gp + pl * ohw;
      const int64_t* ix = ip + pl * ohw;
      for (int64_t q = 0; q < ohw; ++q) {
        EMBER_CHECK(ix[q] >= 0 && ix[q] < hw, EMBER_ERROR_INVALID_ARGUMENT,
                    "max_pool2d_backward: index ", ix[q], " is out of bounds for a plane of ", hw,
                    " elements");
        o[ix[q]] = static_cast<T>(static_cast<C>(o[ix[q]]) + static_cast<C>(g[q]));
      }
    }
  });
}

void max_pool2d_cpu(const Tensor& out, const Tensor& indices, const Tensor& x,
                    const ops::Pool2dParams& p) {
  dispatch_floating("max_pool2d", x->dtype(),
                    [&](auto tag) { forward<typename decltype(tag)::type>(out, indices, x, p); });
}

void max_pool2d_backward_cpu(const Tensor& gx, const Tensor& gy, const Tensor& indices) {
  dispatch_floating("max_pool2d_backward", gx->dtype(),
                    [&](auto tag) { backward<typename decltype(tag)::type>(gx, gy, indices); });
}

}  // namespace

EMBER_REGISTER_KERNEL(max_pool2d_stub, DeviceType::CPU, max_pool2d_cpu);
EMBER_REGISTER_KERNEL(max_pool2d_backward_stub, DeviceType::CPU, max_pool2d_backward_cpu);

}  // namespace ember::cpu
