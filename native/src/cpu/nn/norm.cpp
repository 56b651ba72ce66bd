// Normalization kernels on the CPU (batch, layer, rms, group norm), forward and backward.
// Statistics take one pass over the data (sums of x - shift and its square, shifted by the first
// element so the variance keeps its precision, accumulated in double on 256-bit vectors); the
// normalization takes a second pass that is a vectorized multiply-add. Backward passes need the
// two sums sum(g) and sum(g * (x - mean)) per group of elements, then one multiply-add pass.
// Work splits over rows / channels / (sample, group); weight and bias gradients are summed from
// per-block partials in a fixed order, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"
#include "cpu/nn/simd.h"

namespace ember::cpu {
namespace {

typedef double D4 __attribute__((vector_size(32)));
typedef float F4 __attribute__((vector_size(16)));

template <class T>
EMBER_ALWAYS_INLINE inline void load_d4(D4& v, const T* p) {
  if constexpr (std::is_same_v<T, float>) {
    F4 f;
    load_vec(f, p);
    v = __builtin_convertvector(f, D4);
  } else {
    load_vec(v, p);
  }
}

EMBER_ALWAYS_INLINE inline double hsum(const D4& v) { return (v[0] + v[1]) + (v[2] + v[3]); }

// Adds sum(x - shift) to s and sum((x - shift)^2) to q.
template <class T>
EMBER_ALWAYS_INLINE inline void moments_body(const T* x, int64_t n, double shift, double& s,
                                             double& q) {
  D4 s0{}, s1{}, q0{}, q1{};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    D4 a, b;
    load_d4(a, x + i);
    load_d4(b, x + i + 4);
    a -= shift;
    b -= shift;
    s0 += a;
    s1 += b;
    q0 += a * a;
    q1 += b * b;
  }
  double ss = hsum(s0 + s1), qq = hsum(q0 + q1);
  for (; i < n; ++i) {
    const double d = static_cast<double>(x[i]) - shift;
    ss += d;
    qq += d * d;
  }
  s += ss;
  q += qq;
}

// Adds sum(g * w) to sg and sum(g * w * (x - m)) to sgx (w null: ones).
template <class T>
EMBER_ALWAYS_INLINE inline void grad_sums_body(const T* g, const T* w, const T* x, int64_t n,
                                               double m, double& sg, double& sgx) {
  D4 a0{}, a1{}, b0{}, b1{};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    D4 g0, g1, x0, x1;
    load_d4(g0, g + i);
    load_d4(g1, g + i + 4);
    if (w) {
      D4 w0, w1;
      load_d4(w0, w + i);
      load_d4(w1, w + i + 4);
      g0 *= w0;
      g1 *= w1;
    }
    load_d4(x0, x + i);
    load_d4(x1, x + i + 4);
    a0 += g0;
    a1 += g1;
    b0 += g0 * (x0 - m);
    b1 += g1 * (x1 - m);
  }
  double sa = hsum(a0 + a1), sb = hsum(b0 + b1);
  for (; i < n; ++i) {
    const double gi = static_cast<double>(g[i]) * (w ? static_cast<double>(w[i]) : 1.0);
    sa += gi;
    sb += gi * (static_cast<double>(x[i]) - m);
  }
  sg += sa;
  sgx += sb;
}

// y = (x * a + b) * w + c (w, c null: 1, 0).
template <class T>
EMBER_ALWAYS_INLINE inline void affine_body(T* y, const T* x, int64_t n, T a, T b, const T* w,
                                            const T* c) {
  if (w && c) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * a + b) * w[i] + c[i];
  } else if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * a + b) * w[i];
  } else if (c) {
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * a + b) + c[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
  }
}

// y = g * w * a + x * b + c (w null: ones).
template <class T>
EMBER_ALWAYS_INLINE inline void input_grad_body(T* y, const T* g, const T* w, const T* x, int64_t n,
                                                T a, T b, T c) {
  if (w) {
    for (int64_t i = 0; i < n; ++i) y[i] = g[i] * w[i] * a + (x[i] * b + c);
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = g[i] * a + (x[i] * b + c);
  }
}

// pw += g * (x - m) * r, pb += g, elementwise, in double (pw, pb may be null).
template <class T>
EMBER_ALWAYS_INLINE inline void accumulate_body(double* pw, double* pb, const T* g, const T* x,
                                                int64_t n, double m, double r) {
  if (pw) {
    for (int64_t i = 0; i < n; ++i) {
      pw[i] += static_cast<double>(g[i]) * ((static_cast<double>(x[i]) - m) * r);
    }
  }
  if (pb) {
    for (int64_t i = 0; i < n; ++i) pb[i] += static_cast<double>(g[i]);
  }
}

// Each body compiled twice, plain and for AVX2, chosen at run time.
#if EMBER_X86_CLONES
#define EMBER_NORM_CLONES(name, params, args)    \
  template <class T>                             \
  void name##_base params {                      \
    name##_body args;                            \
  }                                              \
  template <class T>                             \
  EMBER_TARGET_AVX2 void name##_avx2 params {    \
    name##_body args;                            \
  }                                              \
  template <class T>                             \
  void name params {                             \
    if (cpu_has_avx2()) return name##_avx2 args; \
    name##_base args;                            \
  }
#else
#define EMBER_NORM_CLONES(name, params, args) \
  template <class T>                          \
  void name params {                          \
    name##_body args;                         \
  }
#endif

EMBER_NORM_CLONES(moments, (const T* x, int64_t n, double shift, double& s, double& q),
                  (x, n, shift, s, q))
EMBER_NORM_CLONES(grad_sums,
                  (const T* g, const T* w, const T* x, int64_t n, double m, double& sg,
                   double& sgx),
                  (g, w, x, n, m, sg, sgx))
EMBER_NORM_CLONES(affine, (T * y, const T* x, int64_t n, T a, T b, const T* w, const T* c),
                  (y, x, n, a, b, w, c))
EMBER_NORM_CLONES(input_grad, (T * y, const T* g, const T* w, const T* x, int64_t n, T a, T b, T c),
                  (y, g, w, x, n, a, b, c))
EMBER_NORM_CLONES(accumulate,
                  (double* pw, double* pb, const T* g, const T* x, int64_t n, double m, double r),
                  (pw, pb, g, x, n, m, r))
#undef EMBER_NORM_CLONES

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t ? t->data_as<T>() : nullptr;
}

// Items per parallel task, from the elements each item touches.
int64_t grain_for(int64_t elems_per_item) {
  return std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(elems_per_item, 1));
}

// ---- rows: layer norm and rms norm ----

template <class T>
void row_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
              const Tensor& weight, const Tensor& bias, int64_t rows, int64_t cols, double eps,
              bool rms) {
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  T* mp = mean ? mean->data_as<T>() : nullptr;
  T* rp = rstd->data_as<T>();
  const T* w = ptr_or_null<T>(weight);
  const T* b = ptr_or_null<T>(bias);
  parallel_for(0, rows, grain_for(cols), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const T* xr = xp + r * cols;
      double s = 0, q = 0;
      const double shift = rms || cols == 0 ? 0.0 : static_cast<double>(xr[0]);
      moments<T>(xr, cols, shift, s, q);
      const double n = static_cast<double>(cols);
      const double m = rms ? 0.0 : shift + s / n;
      const double var = rms ? q / n : std::max(0.0, (q - s * s / n) / n);
      const double inv = 1.0 / std::sqrt(var + eps);
      if (mp) mp[r] = static_cast<T>(m);
      rp[r] = static_cast<T>(inv);
      affine<T>(yp + r * cols, xr, cols, static_cast<T>(inv), static_cast<T>(-m * inv), w, b);
    }
  });
}

template <class T>
void row_norm_backward(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                       const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                       const Tensor& rstd, const Tensor& weight, int64_t rows, int64_t cols,
                       bool rms) {
  const T* gp = grad_out->data_as<T>();
  const T* xp = x->data_as<T>();
  const T* mp = mean ? mean->data_as<T>() : nullptr;
  const T* rp = rstd->data_as<T>();
  const T* w = ptr_or_null<T>(weight);
  if (grad_x) {
    T* gx = grad_x->data_as<T>();
    parallel_for(0, rows, grain_for(cols), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const double m = mp ? static_cast<double>(mp[r]) : 0.0;
        const double inv = static_cast<double>(rp[r]);
        double sg = 0, sgx = 0;
        grad_sums<T>(gp + r * cols, w, xp + r * cols, cols, m, sg, sgx);
        // gx = inv * (g*w - A - xhat * B), A = mean(g*w), B = mean(g*w*xhat), xhat = (x-m)*inv.
        const double n = static_cast<double>(cols);
        const double a = rms ? 0.0 : sg / n;
        const double bb = sgx * inv / n;
        const double kx = -inv * inv * bb;
        input_grad<T>(gx + r * cols, gp + r * cols, w, xp + r * cols, cols, static_cast<T>(inv),
                      static_cast<T>(kx), static_cast<T>(-inv * a - kx * m));
      }
    });
  }
  if (grad_w || grad_b) {
    const int64_t blocks = std::min<int64_t>(rows, 16);
    const int64_t per = blocks > 0 ? (rows + blocks - 1) / blocks : 0;
    std::vector<double> pw(grad_w ? blocks * cols : 0, 0.0), pb(grad_b ? blocks * cols : 0, 0.0);
    parallel_for(0, blocks, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; ++k) {
        double* w_acc = grad_w ? pw.data() + k * cols : nullptr;
        double* b_acc = grad_b ? pb.data() + k * cols : nullptr;
        for (int64_t r = k * per; r < std::min(rows, (k + 1) * per); ++r) {
          accumulate<T>(w_acc, b_acc, gp + r * cols, xp + r * cols, cols,
                        mp ? static_cast<double>(mp[r]) : 0.0, static_cast<double>(rp[r]));
        }
      }
    });
    for (auto [t, partial] : {std::pair{grad_w, &pw}, std::pair{grad_b, &pb}}) {
      if (!t) continue;
      T* out = t->template data_as<T>();
      for (int64_t j = 0; j < cols; ++j) {
        double total = 0;
        for (int64_t k = 0; k < blocks; ++k) total += (*partial)[k * cols + j];
        out[j] = static_cast<T>(total);
      }
    }
  }
}

// ---- batch norm: per channel of (n, c, s) ----

template <class T>
void batch_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                const Tensor& running_var, int64_t n, int64_t c, int64_t s, bool training,
                double momentum, double eps) {
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  T* mp = mean->data_as<T>();
  T* rp = rstd->data_as<T>();
  const T* w = ptr_or_null<T>(weight);
  const T* b = ptr_or_null<T>(bias);
  T* rm = running_mean ? running_mean->data_as<T>() : nullptr;
  T* rv = running_var ? running_var->data_as<T>() : nullptr;
  const int64_t count = n * s;
  parallel_for(0, c, grain_for(count), [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ++ch) {
      double m, inv;
      if (training) {
        double sum = 0, sq = 0;
        const double shift = count > 0 ? static_cast<double>(xp[ch * s]) : 0.0;
        for (int64_t i = 0; i < n; ++i) moments<T>(xp + (i * c + ch) * s, s, shift, sum, sq);
        const double cnt = static_cast<double>(count);
        m = shift + sum / cnt;
        const double var = std::max(0.0, (sq - sum * sum / cnt) / cnt);
        inv = 1.0 / std::sqrt(var + eps);
        if (rm) {
          rm[ch] = static_cast<T>((1 - momentum) * static_cast<double>(rm[ch]) + momentum * m);
          const double unbiased = var * cnt / (cnt - 1);
          rv[ch] =
              static_cast<T>((1 - momentum) * static_cast<double>(rv[ch]) + momentum * unbiased);
        }
      } else {
        m = static_cast<double>(rm[ch]);
        inv = 1.0 / std::sqrt(static_cast<double>(rv[ch]) + eps);
      }
      mp[ch] = static_cast<T>(m);
      rp[ch] = static_cast<T>(inv);
      // (x - m) * inv * w + b as one multiply-add per element.
      const double scale = inv * (w ? static_cast<double>(w[ch]) : 1.0);
      const double offset = (b ? static_cast<double>(b[ch]) : 0.0) - m * scale;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t at = (i * c + ch) * s;
        affine<T>(yp + at, xp + at, s, static_cast<T>(scale), static_cast<T>(offset), nullptr,
                  nullptr);
      }
    }
  });
}

template <class T>
void batch_norm_backward(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                         const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                         const Tensor& mean, const Tensor& rstd, int64_t n, int64_t c, int64_t s,
                         bool training) {
  const T* gp = grad_out->data_as<T>();
  const T* xp = x->data_as<T>();
  const T* mp = mean->data_as<T>();
  const T* rp = rstd->data_as<T>();
  const T* w = ptr_or_null<T>(weight);
  T* gx = grad_x ? grad_x->data_as<T>() : nullptr;
  T* gw = grad_w ? grad_w->data_as<T>() : nullptr;
  T* gb = grad_b ? grad_b->data_as<T>() : nullptr;
  const double cnt = static_cast<double>(n * s);
  parallel_for(0, c, grain_for(n * s), [&](int64_t lo, int64_t hi) {
    for (int64_t ch = lo; ch < hi; ++ch) {
      const double m = static_cast<double>(mp[ch]), inv = static_cast<double>(rp[ch]);
      double sg = 0, sgx = 0;
      if (gw || gb || (gx && training)) {
        for (int64_t i = 0; i < n; ++i) {
          const int64_t at = (i * c + ch) * s;
          grad_sums<T>(gp + at, nullptr, xp + at, s, m, sg, sgx);
        }
      }
      if (gw) gw[ch] = static_cast<T>(sgx * inv);
      if (gb) gb[ch] = static_cast<T>(sg);
      if (!gx) continue;
      const double wc = w ? static_cast<double>(w[ch]) : 1.0;
      const double a = wc * inv;
      // Training: gx = w*inv*(g - mean(g) - xhat*mean(g*xhat)); eval: the statistics are constants.
      const double kx = training ? -a * inv * inv * sgx / cnt : 0.0;
      const double k0 = training ? -a * sg / cnt - kx * m : 0.0;
      for (int64_t i = 0; i < n; ++i) {
        const int64_t at = (i * c + ch) * s;
        input_grad<T>(gx + at, gp + at, nullptr, xp + at, s, static_cast<T>(a), static_cast<T>(kx),
                      static_cast<T>(k0));
      }
    }
  });
}

// ---- group norm: per (sample, group) of (n, c, s) ----

template <class T>
void group_norm(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                const Tensor& weight, const Tensor& bias, int64_t n, int64_t c, int64_t s,
                int64_t groups, double eps) {
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  T* mp = mean->data_as<T>();
  T* rp = rstd->data_as<T>();
  const T* w = ptr_or_null<T>(weight);
  const T* b = ptr_or_null<T>(bias);
  const int64_t d = c / groups, len = d * s;
  parallel_for(0, n * groups, grain_for(len), [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      const T* xg = xp + k * len;
      double sum = 0, sq = 0;
      const double shift = len > 0 ? static_cast<double>(xg[0]) : 0.0;
      moments<T>(xg, len, shift, sum, sq);
      const double cnt = static_cast<double>(len);
      const double m = len > 0 ? shift + sum / cnt : 0.0;
      const double var = len > 0 ? std::max(0.0, (sq - sum * sum / cnt) / cnt) : 0.0;
      const double inv = 1.0 / std::sqrt(var + eps);
      mp[k] = static_cast<T>(m);
      rp[k] = static_cast<T>(inv);
      const int64_t c0 = (k % groups) * d;
      for (int64_t j = 0; j < d; ++j) {
        const double scale = inv * (w ? static_cast<double>(w[c0 + j]) : 1.0);
        const double offset = (b ? static_cast<double>(b[c0 + j]) : 0.0) - m * scale;
        affine<T>(yp + k * len + j * s, xg + j * s, s, static_cast<T>(scale),
                  static_cast<T>(offset), nullptr, nullptr);
      }
    }
  });
}

template <class T>
void group_norm_backward(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                         const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, int64_t n, int64_t c, int64_t s,
                         int64_t groups) {
  const T* gp = grad_out->data_as<T>();
  const T* xp = x->data_as<T>();
  const T* mp = mean->data_as<T>();
  const T* rp = rstd->data_as<T>();
  const T* w = ptr_or_null<T>(weight);
  const int64_t d = c / groups, len = d * s;
  // Per (sample, channel): sum(g) and sum(g * (x - mean of its group)).
  std::vector<double> sg(n * c), sgx(n * c);
  parallel_for(0, n * groups, grain_for(len), [&](int64_t lo, int64_t hi) {
    for (int64_t k = lo; k < hi; ++k) {
      const double m = static_cast<double>(mp[k]), inv = static_cast<double>(rp[k]);
      const int64_t c0 = (k % groups) * d, sample = k / groups;
      double total_g = 0, total_gx = 0;  // weighted by w over the group
      for (int64_t j = 0; j < d; ++j) {
        const int64_t at = k * len + j * s;
        double a = 0, bsum = 0;
        grad_sums<T>(gp + at, nullptr, xp + at, s, m, a, bsum);
        sg[sample * c + c0 + j] = a;
        sgx[sample * c + c0 + j] = bsum;
        const double wc = w ? static_cast<double>(w[c0 + j]) : 1.0;
        total_g += wc * a;
        total_gx += wc * bsum;
      }
      if (!grad_x) continue;
      T* gx = grad_x->data_as<T>();
      const double cnt = static_cast<double>(len);
      const double kx = -inv * inv * inv * total_gx / cnt;
      const double k0 = -inv * total_g / cnt - kx * m;
      for (int64_t j = 0; j < d; ++j) {
        const int64_t at = k * len + j * s;
        const double wc = w ? static_cast<double>(w[c0 + j]) : 1.0;
        input_grad<T>(gx + at, gp + at, nullptr, xp + at, s, static_cast<T>(inv * wc),
                      static_cast<T>(kx), static_cast<T>(k0));
      }
    }
  });
  for (int64_t ch = 0; ch < c; ++ch) {
    double tw = 0, tb = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = i * groups + ch / d;
      tw += sgx[i * c + ch] * static_cast<double>(rp[k]);
      tb += sg[i * c + ch];
    }
    if (grad_w) grad_w->data_as<T>()[ch] = static_cast<T>(tw);
    if (grad_b) grad_b->data_as<T>()[ch] = static_cast<T>(tb);
  }
}

// ---- dispatch ----

void row_norm_cpu(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                  const Tensor& weight, const Tensor& bias, int64_t rows, int64_t cols, double eps,
                  bool rms) {
  dispatch_float_double("layer_norm", x->dtype(), [&](auto tag) {
    row_norm<typename decltype(tag)::type>(out, mean, rstd, x, weight, bias, rows, cols, eps, rms);
  });
}

void row_norm_backward_cpu(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                           const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                           const Tensor& rstd, const Tensor& weight, int64_t rows, int64_t cols,
                           bool rms) {
  dispatch_float_double("layer_norm_backward", x->dtype(), [&](auto tag) {
    row_norm_backward<typename decltype(tag)::type>(grad_x, grad_w, grad_b, grad_out, x, mean, rstd,
                                                    weight, rows, cols, rms);
  });
}

void batch_norm_cpu(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                    const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                    const Tensor& running_var, int64_t n, int64_t c, int64_t s, bool training,
                    double momentum, double eps) {
  dispatch_float_double("batch_norm", x->dtype(), [&](auto tag) {
    batch_norm<typename decltype(tag)::type>(out, mean, rstd, x, weight, bias, running_mean,
                                             running_var, n, c, s, training, momentum, eps);
  });
}

void batch_norm_backward_cpu(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                             const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                             const Tensor& mean, const Tensor& rstd, int64_t n, int64_t c,
                             int64_t s, bool training) {
  dispatch_float_double("batch_norm_backward", x->dtype(), [&](auto tag) {
    batch_norm_backward<typename decltype(tag)::type>(grad_x, grad_w, grad_b, grad_out, x, weight,
                                                      mean, rstd, n, c, s, training);
  });
}

void group_norm_cpu(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x,
                    const Tensor& weight, const Tensor& bias, int64_t n, int64_t c, int64_t s,
                    int64_t groups, double eps) {
  dispatch_float_double("group_norm", x->dtype(), [&](auto tag) {
    group_norm<typename decltype(tag)::type>(out, mean, rstd, x, weight, bias, n, c, s, groups,
                                             eps);
  });
}

void group_norm_backward_cpu(const Tensor& grad_x, const Tensor& grad_w, const Tensor& grad_b,
                             const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                             const Tensor& rstd, const Tensor& weight, int64_t n, int64_t c,
                             int64_t s, int64_t groups) {
  dispatch_float_double("group_norm_backward", x->dtype(), [&](auto tag) {
    group_norm_backward<typename decltype(tag)::type>(grad_x, grad_w, grad_b, grad_out, x, mean,
                                                      rstd, weight, n, c, s, groups);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(row_norm_stub, DeviceType::CPU, row_norm_cpu);
EMBER_REGISTER_KERNEL(row_norm_backward_stub, DeviceType::CPU, row_norm_backward_cpu);
EMBER_REGISTER_KERNEL(batch_norm_stub, DeviceType::CPU, batch_norm_cpu);
EMBER_REGISTER_KERNEL(batch_norm_backward_stub, DeviceType::CPU, batch_norm_backward_cpu);
EMBER_REGISTER_KERNEL(group_norm_stub, DeviceType::CPU, group_norm_cpu);
EMBER_REGISTER_KERNEL(group_norm_backward_stub, DeviceType::CPU, group_norm_backward_cpu);

}  // namespace ember::cpu
