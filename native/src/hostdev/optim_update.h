// One element of each fused optimizer step (SGD, Adam/AdamW and the adaptive ones: Adagrad,
// RMSprop, Adadelta, Adamax, NAdam, RAdam), written once for the CPU kernels and the CUDA plugin.
// Each follows torch.optim's sequence of tensor ops; the arithmetic runs in A (the parameter's
// dtype on the CPU, its compute type on the GPU) with the hyper-parameters cast to A once per call
// by the *_constants builders, and state is loaded from and stored to T.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/nn_dispatch.h"
#include "hostdev/host_device.h"

namespace ember::optim {

// The larger of a and b as each device has always computed AMSGrad's running maximum: std::max on
// the CPU (a NaN in a is kept), the device's max (fmax: a NaN loses) on the GPU.
template <class A>
EMBER_HOST_DEVICE A amsgrad_max(A a, A b) {
#if defined(__CUDA_ARCH__) || defined(__HIP_DEVICE_COMPILE__)
  if constexpr (std::is_same_v<A, float>) {
    return fmaxf(a, b);
  } else {
    return fmax(a, b);
  }
#else
  return a < b ? b : a;
#endif
}

// ---- SGD ----

template <class A>
struct SgdConstants {
  A lr, momentum, dampening1, weight_decay;  // dampening1 = 1 - dampening
  bool has_wd, has_momentum, nesterov, maximize, first;
};

template <class A>
SgdConstants<A> sgd_constants(const ops::SgdOptions& o) {
  return {static_cast<A>(o.lr),
          static_cast<A>(o.momentum),
          static_cast<A>(1 - o.dampening),
          static_cast<A>(o.weight_decay),
          o.weight_decay != 0,
          o.momentum != 0,
          o.nesterov,
          o.maximize,
          o.first_step};
}

// Element i; buf may be null without momentum.
template <class A, class T>
EMBER_HOST_DEVICE void sgd_update(T* p, const T* g, T* buf, int64_t i, const SgdConstants<A>& k) {
  const A pv = static_cast<A>(p[i]);
  A d = k.maximize ? -static_cast<A>(g[i]) : static_cast<A>(g[i]);
  if (k.has_wd) d = d + k.weight_decay * pv;
  if (k.has_momentum) {
    const A b = k.first ? d : static_cast<A>(buf[i]) * k.momentum + k.dampening1 * d;
    buf[i] = static_cast<T>(b);
    d = k.nesterov ? d + k.momentum * b : b;
  }
  p[i] = static_cast<T>(pv + -k.lr * d);
}

// ---- Adam / AdamW ----

template <class A>
struct AdamConstants {
  A beta1, beta1c, beta2, beta2c;  // beta and 1 - beta
  A wd, decay;                     // Adam's weight_decay; AdamW's factor 1 - lr * weight_decay
  A neg_step_size, bc2_sqrt, eps;
  bool has_wd, decoupled, amsgrad, maximize;
};

template <class A>
AdamConstants<A> adam_constants(const ops::AdamOptions& o, const AdamScalars& s) {
  return {static_cast<A>(o.beta1),
          static_cast<A>(1 - o.beta1),
          static_cast<A>(o.beta2),
          static_cast<A>(1 - o.beta2),
          static_cast<A>(o.weight_decay),
          static_cast<A>(1 - o.lr * o.weight_decay),
          static_cast<A>(-s.step_size),
          static_cast<A>(s.bias_correction2_sqrt),
          static_cast<A>(o.eps),
          o.weight_decay != 0,
          o.decoupled_weight_decay,
          o.amsgrad,
          o.maximize};
}

// Element i; vmax may be null without amsgrad.
template <class A, class T>
EMBER_HOST_DEVICE void adam_update(T* p, const T* g, T* m, T* v, T* vmax, int64_t i,
                                   const AdamConstants<A>& k) {
  A gv = k.maximize ? -static_cast<A>(g[i]) : static_cast<A>(g[i]);
  A pv = static_cast<A>(p[i]);
  if (k.decoupled) {
    pv = pv * k.decay;
  } else if (k.has_wd) {
    gv = gv + k.wd * pv;
  }
  const A mv = static_cast<A>(m[i]) * k.beta1 + k.beta1c * gv;
  A vv = static_cast<A>(v[i]) * k.beta2 + k.beta2c * (gv * gv);
  m[i] = static_cast<T>(mv);
  v[i] = static_cast<T>(vv);
  if (k.amsgrad) {
    vv = amsgrad_max(static_cast<A>(vmax[i]), vv);
    vmax[i] = static_cast<T>(vv);
  }
  const A denom = hd::sqrt(vv) / k.bc2_sqrt + k.eps;
  p[i] = static_cast<T>(pv + k.neg_step_size * (mv / denom));
}

// ---- Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam ----

// param, grad and up to three states (null when the kind or its options leave one unused).
template <class T>
struct AdaptiveElems {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// The scalars of AdaptiveScalars in T.
template <class T>
struct AdaptiveConstants {
  T lr, eps, wd, b1, b1c, b2, b2c, c0, c1, c2;
  bool has_wd, maximize, centered, rectified, momentum;
};

template <class T>
AdaptiveConstants<T> adaptive_constants(const AdaptiveScalars& a) {
  return {static_cast<T>(a.lr),
          static_cast<T>(a.eps),
          static_cast<T>(a.weight_decay),
          static_cast<T>(a.beta1),
          static_cast<T>(1 - a.beta1),
          static_cast<T>(a.beta2),
          static_cast<T>(1 - a.beta2),
          static_cast<T>(a.c0),
          static_cast<T>(a.c1),
          static_cast<T>(a.c2),
          a.weight_decay != 0,
          a.maximize,
          a.centered,
          a.rectified,
          a.kind == AdaptiveKind::Rmsprop && a.beta2 > 0};
}

// Calls f(std::integral_constant<AdaptiveKind, kind>{}), so that each kind gets its own loop;
// false (and no call) for a value outside the enum.
template <AdaptiveKind... Kinds, class F>
bool with_kind_among(AdaptiveKind kind, F&& f) {
  return ((kind == Kinds && (f(std::integral_constant<AdaptiveKind, Kinds>{}), true)) || ...);
}
template <class F>
bool with_adaptive_kind(AdaptiveKind kind, F&& f) {
  using enum AdaptiveKind;
  return with_kind_among<Adagrad, Rmsprop, Adadelta, Adamax, Nadam, Radam>(kind, f);
}

template <AdaptiveKind Kind, class T>
EMBER_HOST_DEVICE void adaptive_update(const AdaptiveElems<T>& e, int64_t i,
                                       const AdaptiveConstants<T>& k) {
  // The gradient after maximize and weight decay (grad + weight_decay * param).
  T g = k.maximize ? -e.g[i] : e.g[i];
  if (k.has_wd) g = g + k.wd * e.p[i];
  if constexpr (Kind == AdaptiveKind::Adagrad) {
    // state_sum += g * g; param -= clr * g / (sqrt(state_sum) + eps)
    const T sum = e.s0[i] + g * g;
    e.s0[i] = sum;
    e.p[i] = e.p[i] + -k.c0 * (g / (hd::sqrt(sum) + k.eps));
  } else if constexpr (Kind == AdaptiveKind::Rmsprop) {
    const T sq = e.s0[i] * k.b1 + k.b1c * (g * g);
    e.s0[i] = sq;
    T avg;
    if (k.centered) {
      const T ga = e.s1[i] * k.b1 + k.b1c * g;
      e.s1[i] = ga;
      avg = hd::sqrt(sq + -(ga * ga)) + k.eps;
    } else {
      avg = hd::sqrt(sq) + k.eps;
    }
    if (k.momentum) {
      const T buf = e.s2[i] * k.b2 + g / avg;
      e.s2[i] = buf;
      e.p[i] = e.p[i] + -k.lr * buf;
    } else {
      e.p[i] = e.p[i] + -k.lr * (g / avg);
    }
  } else if constexpr (Kind == AdaptiveKind::Adadelta) {
    const T sq = e.s0[i] * k.b1 + k.b1c * (g * g);
    e.s0[i] = sq;
    const T std_ = hd::sqrt(sq + k.eps);
    const T delta = hd::sqrt(e.s1[i] + k.eps) / std_ * g;
    e.s1[i] = e.s1[i] * k.b1 + k.b1c * (delta * delta);
    e.p[i] = e.p[i] + -k.lr * delta;
  } else if constexpr (Kind == AdaptiveKind::Adamax) {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    e.s0[i] = m;
    const T decayed = e.s1[i] * k.b2, a = hd::fabs(g) + k.eps;
    const T u = decayed > a ? decayed : a;
    e.s1[i] = u;
    e.p[i] = e.p[i] + -k.c0 * (m / u);
  } else if constexpr (Kind == AdaptiveKind::Nadam) {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    const T v = e.s1[i] * k.b2 + k.b2c * (g * g);
    e.s0[i] = m;
    e.s1[i] = v;
    const T denom = hd::sqrt(v / k.c0) + k.eps;
    const T p = e.p[i] + k.c1 * (g / denom);
    e.p[i] = p + k.c2 * (m / denom);
  } else {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    const T v = e.s1[i] * k.b2 + k.b2c * (g * g);
    e.s0[i] = m;
    e.s1[i] = v;
    const T corrected = m / k.c0;  // exp_avg / bias_correction1
    if (k.rectified) {
      const T adaptive = k.c1 / (hd::sqrt(v) + k.eps);
      e.p[i] = e.p[i] + -(corrected * k.lr * adaptive * k.c2);
    } else {
      e.p[i] = e.p[i] + -(corrected * k.lr);
    }
  }
}

}  // namespace ember::optim
