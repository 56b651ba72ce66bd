// softmax / log_softmax and their backward on the CPU. Tensors are seen as (outer, size, inner):
// inner == 1 (the last dim) runs row by row with vectorized max / exp-sum / write passes; inner > 1
// runs over blocks of inner lanes so every pass stays unit-stride. Parallel over rows or blocks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/math_fast.h"
#include "cpu/nn/common.h"
#include "cpu/nn/simd.h"

namespace ember::cpu {
namespace {

constexpr int kLanes = 16;  // independent accumulators (generic path: double and 16-bit floats)

template <class T>
using C = compute_t<T>;

// ---- forward ----

template <class T>
EMBER_ALWAYS_INLINE inline C<T> row_max(const T* x, int64_t n) {
  C<T> m[kLanes];
  for (int j = 0; j < kLanes; ++j) m[j] = -std::numeric_limits<C<T>>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const C<T> v = static_cast<C<T>>(x[i + j]);
      m[j] = v > m[j] ? v : m[j];
    }
  }
  for (; i < n; ++i) m[0] = static_cast<C<T>>(x[i]) > m[0] ? static_cast<C<T>>(x[i]) : m[0];
  C<T> r = m[0];
  for (int j = 1; j < kLanes; ++j) r = m[j] > r ? m[j] : r;
  return r;
}

// Sum of exp(x - shift); stores the exps into y when y is not null.
template <class T>
EMBER_ALWAYS_INLINE inline C<T> row_exp_sum(const T* x, T* y, int64_t n, C<T> shift) {
  C<T> s[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const C<T> e = exp_compute<C<T>>(static_cast<C<T>>(x[i + j]) - shift);
      if (y) y[i + j] = static_cast<T>(e);
      s[j] += e;
    }
  }
  for (; i < n; ++i) {
    const C<T> e = exp_compute<C<T>>(static_cast<C<T>>(x[i]) - shift);
    if (y) y[i] = static_cast<T>(e);
    s[0] += e;
  }
  C<T> r = 0;
  for (int j = 0; j < kLanes; ++j) r += s[j];
  return r;
}

// float rows on explicit 8-lane vectors (the compiler does not widen the loops above by itself).
using VF = Simd<float>::V;
constexpr int kW = Simd<float>::kWidth;

EMBER_ALWAYS_INLINE inline float hmax(const VF& v) {
  float a[kW];
  store_vec(a, v);
  float m = a[0];
  for (int j = 1; j < kW; ++j) m = a[j] > m ? a[j] : m;
  return m;
}
EMBER_ALWAYS_INLINE inline float hsum(const VF& v) {
  float a[kW];
  store_vec(a, v);
  return ((a[0] + a[4]) + (a[1] + a[5])) + ((a[2] + a[6]) + (a[3] + a[7]));
}

EMBER_ALWAYS_INLINE inline void rows_f32(const float* x, float* y, int64_t rows, int64_t n,
                                         bool log) {
  const int64_t nv = n / kW * kW;
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    VF mv = VF{} - std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < nv; i += kW) {
      VF v;
      load_vec(v, x + i);
      mv = v > mv ? v : mv;
    }
    float m = hmax(mv);
    for (int64_t i = nv; i < n; ++i) m = x[i] > m ? x[i] : m;
    if (std::isinf(m)) m = m > 0 ? m : 0;  // see rows_body
    // Two vectors per step: independent exp chains keep the FMA units busy.
    VF sv = VF{}, sv2 = VF{};
    int64_t i = 0;
    for (; i + 2 * kW <= nv; i += 2 * kW) {
      VF v, v2;
      load_vec(v, x + i);
      load_vec(v2, x + i + kW);
      v -= m;
      v2 -= m;
      exp_vec(v);
      exp_vec(v2);
      if (!log) {
        store_vec(y + i, v);
        store_vec(y + i + kW, v2);
      }
      sv += v;
      sv2 += v2;
    }
    for (; i < nv; i += kW) {
      VF v;
      load_vec(v, x + i);
      v -= m;
      exp_vec(v);
      if (!log) store_vec(y + i, v);
      sv += v;
    }
    float sum = hsum(sv + sv2);
    for (int64_t i = nv; i < n; ++i) {
      const float e = exp_float(x[i] - m);
      if (!log) y[i] = e;
      sum += e;
    }
    if (log) {
      const float shift = m + std::log(sum);
      for (int64_t i = 0; i < n; ++i) y[i] = x[i] - shift;
    } else {
      const float inv = 1.0f / sum;
      for (int64_t i = 0; i < n; ++i) y[i] *= inv;
    }
  }
}

EMBER_ALWAYS_INLINE inline void rows_backward_f32(const float* g, const float* y, float* gx,
                                                  int64_t rows, int64_t n, bool log) {
  const int64_t nv = n / kW * kW;
  for (int64_t r = 0; r < rows; ++r, g += n, y += n, gx += n) {
    VF sv = VF{};
    for (int64_t i = 0; i < nv; i += kW) {
      VF gv, yv;
      load_vec(gv, g + i);
      load_vec(yv, y + i);
      sv += log ? gv : gv * yv;
    }
    float sum = hsum(sv);
    for (int64_t i = nv; i < n; ++i) sum += log ? g[i] : g[i] * y[i];
    for (int64_t i = 0; i < nv; i += kW) {
      VF gv, yv;
      load_vec(gv, g + i);
      load_vec(yv, y + i);
      if (log) {
        exp_vec(yv);
        store_vec(gx + i, gv - yv * sum);
      } else {
        store_vec(gx + i, yv * (gv - sum));
      }
    }
    for (int64_t i = nv; i < n; ++i)
      gx[i] = log ? g[i] - exp_float(y[i]) * sum : y[i] * (g[i] - sum);
  }
}

template <class T>
EMBER_ALWAYS_INLINE inline void rows_body(const T* x, T* y, int64_t rows, int64_t n, bool log) {
  if constexpr (std::is_same_v<T, float>) return rows_f32(x, y, rows, n, log);
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    C<T> m = row_max(x, n);
    // A row of -inf (or NaN max) must not become NaN through -inf - -inf; torch gives NaN for
    // softmax of all -inf anyway, so only the shift is guarded.
    if (std::isinf(m)) m = m > 0 ? m : 0;
    if (log) {
      const C<T> shift = m + std::log(row_exp_sum<T>(x, nullptr, n, m));
      for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(static_cast<C<T>>(x[i]) - shift);
    } else {
      const C<T> inv = C<T>(1) / row_exp_sum<T>(x, y, n, m);
      if constexpr (std::is_same_v<T, C<T>>) {
        for (int64_t i = 0; i < n; ++i) y[i] *= inv;
      } else {
        // 16-bit outputs: redo the exps in float rather than round twice.
        for (int64_t i = 0; i < n; ++i) {
          y[i] = static_cast<T>(exp_compute<C<T>>(static_cast<C<T>>(x[i]) - m) * inv);
        }
      }
    }
  }
}

// inner > 1: rows of `inner` lanes, `size` of them per outer index; this block covers lanes
// [0, w) of one outer index (x and y already offset), with buffers of w entries.
template <class T>
EMBER_ALWAYS_INLINE inline void lanes_body(const T* x, T* y, int64_t size, int64_t inner, int64_t w,
                                           bool log, C<T>* m, C<T>* s) {
  for (int64_t j = 0; j < w; ++j) m[j] = -std::numeric_limits<C<T>>::infinity();
  for (int64_t d = 0; d < size; ++d) {
    const T* xr = x + d * inner;
    for (int64_t j = 0; j < w; ++j) {
      const C<T> v = static_cast<C<T>>(xr[j]);
      m[j] = v > m[j] ? v : m[j];
    }
  }
  for (int64_t j = 0; j < w; ++j) {
    if (std::isinf(m[j])) m[j] = m[j] > 0 ? m[j] : 0;
    s[j] = 0;
  }
  for (int64_t d = 0; d < size; ++d) {
    const T* xr = x + d * inner;
    for (int64_t j = 0; j < w; ++j) s[j] += exp_compute<C<T>>(static_cast<C<T>>(xr[j]) - m[j]);
  }
  for (int64_t j = 0; j < w; ++j) s[j] = log ? m[j] + std::log(s[j]) : C<T>(1) / s[j];
  for (int64_t d = 0; d < size; ++d) {
    const T* xr = x + d * inner;
    T* yr = y + d * inner;
    for (int64_t j = 0; j < w; ++j) {
      const C<T> v = static_cast<C<T>>(xr[j]);
      yr[j] = static_cast<T>(log ? v - s[j] : exp_compute<C<T>>(v - m[j]) * s[j]);
    }
  }
}

// ---- backward ----
// log: gx = g - exp(y) * sum(g);  softmax: gx = y * (g - sum(g * y)).

template <class T>
EMBER_ALWAYS_INLINE inline void rows_backward_body(const T* g, const T* y, T* gx, int64_t rows,
                                                   int64_t n, bool log) {
  if constexpr (std::is_same_v<T, float>) return rows_backward_f32(g, y, gx, rows, n, log);
  for (int64_t r = 0; r < rows; ++r, g += n, y += n, gx += n) {
    C<T> s[kLanes] = {};
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) {
        const C<T> gv = static_cast<C<T>>(g[i + j]);
        s[j] += log ? gv : gv * static_cast<C<T>>(y[i + j]);
      }
    }
    for (; i < n; ++i)
      s[0] += log ? static_cast<C<T>>(g[i]) : static_cast<C<T>>(g[i]) * static_cast<C<T>>(y[i]);
    C<T> sum = 0;
    for (int j = 0; j < kLanes; ++j) sum += s[j];
    if (log) {
      for (i = 0; i < n; ++i) {
        gx[i] = static_cast<T>(static_cast<C<T>>(g[i]) -
                               exp_compute<C<T>>(static_cast<C<T>>(y[i])) * sum);
      }
    } else {
      for (i = 0; i < n; ++i) {
        gx[i] = static_cast<T>(static_cast<C<T>>(y[i]) * (static_cast<C<T>>(g[i]) - sum));
      }
    }
  }
}

template <class T>
EMBER_ALWAYS_INLINE inline void lanes_backward_body(const T* g, const T* y, T* gx, int64_t size,
                                                    int64_t inner, int64_t w, bool log, C<T>* s) {
  for (int64_t j = 0; j < w; ++j) s[j] = 0;
  for (int64_t d = 0; d < size; ++d) {
    const T* gr = g + d * inner;
    const T* yr = y + d * inner;
    for (int64_t j = 0; j < w; ++j) {
      const C<T> gv = static_cast<C<T>>(gr[j]);
      s[j] += log ? gv : gv * static_cast<C<T>>(yr[j]);
    }
  }
  for (int64_t d = 0; d < size; ++d) {
    const T* gr = g + d * inner;
    const T* yr = y + d * inner;
    T* o = gx + d * inner;
    for (int64_t j = 0; j < w; ++j) {
      const C<T> gv = static_cast<C<T>>(gr[j]), yv = static_cast<C<T>>(yr[j]);
      o[j] = static_cast<T>(log ? gv - exp_compute<C<T>>(yv) * s[j] : yv * (gv - s[j]));
    }
  }
}

// Each body compiled plain and for AVX2 (see iterator.h).
template <class T>
void rows(const T* x, T* y, int64_t r, int64_t n, bool log) {
  rows_body(x, y, r, n, log);
}
template <class T>
void lanes(const T* x, T* y, int64_t size, int64_t inner, int64_t w, bool log, C<T>* m, C<T>* s) {
  lanes_body(x, y, size, inner, w, log, m, s);
}
template <class T>
void rows_backward(const T* g, const T* y, T* gx, int64_t r, int64_t n, bool log) {
  rows_backward_body(g, y, gx, r, n, log);
}
template <class T>
void lanes_backward(const T* g, const T* y, T* gx, int64_t size, int64_t inner, int64_t w, bool log,
                    C<T>* s) {
  lanes_backward_body(g, y, gx, size, inner, w, log, s);
}
#if EMBER_X86_CLONES
template <class T>
EMBER_TARGET_AVX2 void rows_avx2(const T* x, T* y, int64_t r, int64_t n, bool log) {
  rows_body(x, y, r, n, log);
}
template <class T>
EMBER_TARGET_AVX2 void lanes_avx2(const T* x, T* y, int64_t size, int64_t inner, int64_t w,
                                  bool log, C<T>* m, C<T>* s) {
  lanes_body(x, y, size, inner, w, log, m, s);
}
template <class T>
EMBER_TARGET_AVX2 void rows_backward_avx2(const T* g, const T* y, T* gx, int64_t r, int64_t n,
                                          bool log) {
  rows_backward_body(g, y, gx, r, n, log);
}
template <class T>
EMBER_TARGET_AVX2 void lanes_backward_avx2(const T* g, const T* y, T* gx, int64_t size,
                                           int64_t inner, int64_t w, bool log, C<T>* s) {
  lanes_backward_body(g, y, gx, size, inner, w, log, s);
}
#define EMBER_PICK(fn) (cpu_has_avx2() ? fn##_avx2<T> : fn<T>)
#else
#define EMBER_PICK(fn) (fn<T>)
#endif

constexpr int64_t kBlock = 256;  // inner lanes per task when inner > 1

// Runs row tasks (inner == 1) or lane-block tasks (inner > 1) in parallel, about kGrainSize
// elements per chunk.
template <class RowFn, class BlockFn>
void schedule(int64_t outer, int64_t size, int64_t inner, RowFn&& row_fn, BlockFn&& block_fn) {
  if (inner == 1) {
    const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, size));
    parallel_for(0, outer, grain, row_fn);
    return;
  }
  const int64_t blocks = (inner + kBlock - 1) / kBlock;
  const int64_t per = size * std::min(inner, kBlock);
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, per));
  parallel_for(0, outer * blocks, grain, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / blocks, j0 = (t % blocks) * kBlock;
      block_fn(o * size * inner + j0, std::min(kBlock, inner - j0));
    }
  });
}

template <class T>
void forward(const Tensor& out, const Tensor& x, int64_t outer, int64_t size, int64_t inner,
             bool log) {
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  schedule(
      outer, size, inner,
      [&](int64_t b, int64_t e) {
        EMBER_PICK(rows)(xp + b * size, yp + b * size, e - b, size, log);
      },
      [&](int64_t off, int64_t w) {
        C<T> m[kBlock], s[kBlock];
        EMBER_PICK(lanes)(xp + off, yp + off, size, inner, w, log, m, s);
      });
}

template <class T>
void backward(const Tensor& gx, const Tensor& g, const Tensor& y, int64_t outer, int64_t size,
              int64_t inner, bool log) {
  const T* gp = g->data_as<T>();
  const T* yp = y->data_as<T>();
  T* op = gx->data_as<T>();
  schedule(
      outer, size, inner,
      [&](int64_t b, int64_t e) {
        EMBER_PICK(rows_backward)(gp + b * size, yp + b * size, op + b * size, e - b, size, log);
      },
      [&](int64_t off, int64_t w) {
        C<T> s[kBlock];
        EMBER_PICK(lanes_backward)(gp + off, yp + off, op + off, size, inner, w, log, s);
      });
}

void softmax_cpu(const Tensor& out, const Tensor& x, int64_t outer, int64_t size, int64_t inner,
                 bool log) {
  dispatch_floating(log ? "log_softmax" : "softmax", x->dtype(), [&](auto tag) {
    forward<typename decltype(tag)::type>(out, x, outer, size, inner, log);
  });
}

void softmax_backward_cpu(const Tensor& gx, const Tensor& g, const Tensor& y, int64_t outer,
                          int64_t size, int64_t inner, bool log) {
  dispatch_floating(log ? "log_softmax_backward" : "softmax_backward", y->dtype(), [&](auto tag) {
    backward<typename decltype(tag)::type>(gx, g, y, outer, size, inner, log);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(softmax_stub, DeviceType::CPU, softmax_cpu);
EMBER_REGISTER_KERNEL(softmax_backward_stub, DeviceType::CPU, softmax_backward_cpu);

}  // namespace ember::cpu
