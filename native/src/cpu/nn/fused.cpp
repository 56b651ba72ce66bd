// The fused training-step ops on the CPU (core/nn_fused.h), the reference the GPU kernels are
// checked against: linear's gradients through the engine's GEMM (adding into existing gradients
// with beta 1), cross entropy row by row in the compute dtype with sums in double, in a fixed
// order, and feature dropout as the dropout kernel's mask and one scaling pass.
#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "core/nn_dispatch.h"
#include "core/nn_fused.h"
#include "core/parallel.h"
#include "cpu/blas.h"
#include "cpu/iterator.h"  // kGrainSize
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

template <class T>
void linear_backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g,
                     const Tensor& x, const Tensor& w, bool acc_w, bool acc_b) {
  const int64_t rows = g->size(0), outs = g->size(1);
  const int64_t in = x ? x->size(1) : w ? w->size(1) : 0;  // either may be absent when not needed
  const T* gp = g->data_as<T>();
  // gx (rows x in) = g (rows x outs) . w (outs x in) and gw (outs x in) = g^T . x (+ gw when
  // accumulating) are independent: one pool hand-off runs both, each on its share of threads.
  GemmProduct<T> products[2];
  size_t count = 0;
  if (gx) {
    T* p = gx->data_as<T>();
    if (outs == 0 || rows * in == 0)
      std::fill(p, p + rows * in, T(0));
    else
      products[count++] = {false, false,           rows, in,   outs, T(1), gp,
                           outs,  w->data_as<T>(), in,   T(0), p,    in};
  }
  if (gw) {
    T* p = gw->data_as<T>();
    if (rows == 0 || outs * in == 0) {
      if (!acc_w) std::fill(p, p + outs * in, T(0));
    } else {
      products[count++] = {
          true, false, outs, in, rows, T(1), gp, outs, x->data_as<T>(), in, acc_w ? T(1) : T(0),
          p,    in};
    }
  }
  gemm_concurrent<T>(std::span<const GemmProduct<T>>(products, count));
  if (gb) {  // column sums in double, rows in order, the columns split over the pool
    T* p = gb->data_as<T>();
    parallel_for(0, outs, std::max<int64_t>(16, kGrainSize / std::max<int64_t>(1, rows)),
                 [&](int64_t o0, int64_t o1) {
                   std::vector<double> sums(static_cast<size_t>(o1 - o0), 0.0);
                   for (int64_t r = 0; r < rows; ++r) {
                     const T* row = gp + r * outs;
                     for (int64_t o = o0; o < o1; ++o)
                       sums[static_cast<size_t>(o - o0)] += static_cast<double>(row[o]);
                   }
                   for (int64_t o = o0; o < o1; ++o) {
                     const double s = sums[static_cast<size_t>(o - o0)];
                     p[o] = static_cast<T>(acc_b ? static_cast<double>(p[o]) + s : s);
                   }
                 });
  }
}

void linear_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& g,
                         const Tensor& x, const Tensor& w, bool acc_w, bool acc_b) {
  dispatch_float_double("linear_backward", g->dtype(), [&](auto tag) {
    linear_backward<typename decltype(tag)::type>(gx, gw, gb, g, x, w, acc_w, acc_b);
  });
}

// The class of sample i, or -1 when ignored; throws for a class outside [0, classes).
int64_t target_class(const char* op, int64_t t, int64_t classes, int64_t ignore_index) {
  if (t == ignore_index) return -1;
  EMBER_CHECK(t >= 0 && t < classes, EMBER_ERROR_INVALID_ARGUMENT, op, ": target ", t,
              " is out of bounds for ", classes, " classes");
  return t;
}

template <class T>
void cross_entropy(const Tensor& loss, const Tensor& lse, const Tensor& total, const Tensor& x,
                   const Tensor& target, const Tensor& weight, ops::Reduction reduction,
                   int64_t ignore_index) {
  using C = compute_t<T>;
  const int64_t n = x->size(0), classes = x->size(1);
  const T* xp = x->data_as<T>();
  const int64_t* tp = target->data_as<int64_t>();
  const T* wp = weight ? weight->data_as<T>() : nullptr;
  C* lp = lse->data_as<C>();
  T* out = loss->data_as<T>();
  const bool per_sample = reduction == ops::Reduction::None;
  double sum = 0, wsum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T* row = xp + i * classes;
    C mx = -std::numeric_limits<C>::infinity();
    for (int64_t c = 0; c < classes; ++c) {
      const C v = static_cast<C>(row[c]);
      if (v > mx || std::isnan(v)) mx = v;
      if (std::isnan(mx)) break;
    }
    double s = 0;
    for (int64_t c = 0; c < classes; ++c) s += std::exp(static_cast<double>(row[c]) - mx);
    const C l = static_cast<C>(mx + std::log(s));
    lp[i] = l;
    const int64_t t = target_class("cross_entropy", tp[i], classes, ignore_index);
    if (t < 0) {
      if (per_sample) out[i] = T(0);
      continue;
    }
    const C w = wp ? static_cast<C>(wp[t]) : C(1);
    const C li = -w * (static_cast<C>(row[t]) - l);
    if (per_sample) out[i] = static_cast<T>(li);
    sum += li;
    wsum += w;
  }
  if (reduction == ops::Reduction::Mean) out[0] = static_cast<T>(sum / wsum);  // 0/0: NaN, as torch
  if (reduction == ops::Reduction::Sum) out[0] = static_cast<T>(sum);
  total->data_as<T>()[0] = static_cast<T>(wsum);
}

template <class T>
void cross_entropy_backward(const Tensor& gx, const Tensor& grad, const Tensor& x,
                            const Tensor& lse, const Tensor& target, const Tensor& weight,
                            const Tensor& total, ops::Reduction reduction, int64_t ignore_index) {
  using C = compute_t<T>;
  const int64_t n = x->size(0), classes = x->size(1);
  const T* xp = x->data_as<T>();
  const C* lp = lse->data_as<C>();
  const int64_t* tp = target->data_as<int64_t>();
  const T* wp = weight ? weight->data_as<T>() : nullptr;
  const T* gp = grad->data_as<T>();
  T* out = gx->data_as<T>();
  C scale = static_cast<C>(gp[0]);
  if (reduction == ops::Reduction::Mean) scale /= static_cast<C>(total->data_as<T>()[0]);
  for (int64_t i = 0; i < n; ++i) {
    T* o = out + i * classes;
    const int64_t t = target_class("cross_entropy_backward", tp[i], classes, ignore_index);
    if (t < 0) {
      std::fill(o, o + classes, T(0));
      continue;
    }
    const C w = wp ? static_cast<C>(wp[t]) : C(1);
    const C s = w * (reduction == ops::Reduction::None ? static_cast<C>(gp[i]) : scale);
    const T* row = xp + i * classes;
    for (int64_t c = 0; c < classes; ++c) {
      const C p = std::exp(static_cast<C>(row[c]) - lp[i]);
      o[c] = static_cast<T>(s * (c == t ? p - C(1) : p));
    }
  }
}

void cross_entropy_cpu(const Tensor& loss, const Tensor& lse, const Tensor& total, const Tensor& x,
                       const Tensor& target, const Tensor& weight, ops::Reduction reduction,
                       int64_t ignore_index) {
  dispatch_floating("cross_entropy", x->dtype(), [&](auto tag) {
    cross_entropy<typename decltype(tag)::type>(loss, lse, total, x, target, weight, reduction,
                                                ignore_index);
  });
}

void cross_entropy_backward_cpu(const Tensor& gx, const Tensor& grad, const Tensor& x,
                                const Tensor& lse, const Tensor& target, const Tensor& weight,
                                const Tensor& total, ops::Reduction reduction,
                                int64_t ignore_index) {
  dispatch_floating("cross_entropy_backward", x->dtype(), [&](auto tag) {
    cross_entropy_backward<typename decltype(tag)::type>(gx, grad, x, lse, target, weight, total,
                                                         reduction, ignore_index);
  });
}

// The channel mask through the dropout kernel (the same bits as a mask drawn alone), then each
// channel of x scaled by its element.
void feature_dropout_cpu(const Tensor& mask, const Tensor& out, const Tensor& x, double keep,
                         double scale, uint64_t seed, uint64_t base) {
  dropout_stub("feature_dropout", Device{}, mask, Tensor(), Tensor(), keep, scale, seed, base);
  const int64_t planes = mask->numel(), inner = planes > 0 ? x->numel() / planes : 0;
  dispatch_floating("feature_dropout", x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    const T* mp = mask->data_as<T>();
    const T* xp = x->data_as<T>();
    T* op = out->data_as<T>();
    for (int64_t p = 0; p < planes; ++p) {
      const C m = static_cast<C>(mp[p]);
      for (int64_t i = p * inner; i < (p + 1) * inner; ++i)
        op[i] = static_cast<T>(static_cast<C>(xp[i]) * m);
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(feature_dropout_stub, DeviceType::CPU, feature_dropout_cpu);
EMBER_REGISTER_KERNEL(linear_backward_stub, DeviceType::CPU, linear_backward_cpu);
EMBER_REGISTER_KERNEL(cross_entropy_stub, DeviceType::CPU, cross_entropy_cpu);
EMBER_REGISTER_KERNEL(cross_entropy_backward_stub, DeviceType::CPU, cross_entropy_backward_cpu);

}  // namespace ember::cpu
