// Fused steps of the adaptive optimizers (Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam) on
// the CPU: one pass per parameter reads param, grad and the state once and writes them once, in
// parallel chunks. Each element follows torch.optim's sequence of tensor ops in the parameter's
// dtype, with the hyper-parameters cast to it. math-errno is off here so that the square roots
// vectorize in the AVX2 instantiation (the results are the same; errno is never read).
#pragma GCC optimize("no-math-errno")

#include <algorithm>
#include <cmath>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

constexpr int64_t kChunk = 1 << 15;  // elements per task

template <class T>
struct Elems {
  T* p;
  const T* g;
  T* s0;
  T* s1;
  T* s2;
};

// The scalars of AdaptiveScalars in T.
template <class T>
struct K {
  T lr, eps, wd, b1, b1c, b2, b2c, c0, c1, c2;
  bool has_wd, maximize, centered, rectified, momentum;
};

// The gradient after maximize and weight decay (grad + weight_decay * param).
template <class T>
EMBER_ALWAYS_INLINE inline T grad_of(const Elems<T>& e, int64_t i, const K<T>& k) {
  T g = k.maximize ? -e.g[i] : e.g[i];
  return k.has_wd ? g + k.wd * e.p[i] : g;
}

template <AdaptiveKind Kind, class T>
EMBER_ALWAYS_INLINE inline void step_one(const Elems<T>& e, int64_t i, const K<T>& k) {
  const T g = grad_of(e, i, k);
  if constexpr (Kind == AdaptiveKind::Adagrad) {
    // state_sum += g * g; param -= clr * g / (sqrt(state_sum) + eps)
    const T sum = e.s0[i] + g * g;
    e.s0[i] = sum;
    e.p[i] = e.p[i] + -k.c0 * (g / (std::sqrt(sum) + k.eps));
  } else if constexpr (Kind == AdaptiveKind::Rmsprop) {
    const T sq = e.s0[i] * k.b1 + k.b1c * (g * g);
    e.s0[i] = sq;
    T avg;
    if (k.centered) {
      const T ga = e.s1[i] * k.b1 + k.b1c * g;
      e.s1[i] = ga;
      avg = std::sqrt(sq + -(ga * ga)) + k.eps;
    } else {
      avg = std::sqrt(sq) + k.eps;
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
    const T std_ = std::sqrt(sq + k.eps);
    const T delta = std::sqrt(e.s1[i] + k.eps) / std_ * g;
    e.s1[i] = e.s1[i] * k.b1 + k.b1c * (delta * delta);
    e.p[i] = e.p[i] + -k.lr * delta;
  } else if constexpr (Kind == AdaptiveKind::Adamax) {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    e.s0[i] = m;
    const T decayed = e.s1[i] * k.b2, a = std::fabs(g) + k.eps;
    const T u = decayed > a ? decayed : a;
    e.s1[i] = u;
    e.p[i] = e.p[i] + -k.c0 * (m / u);
  } else if constexpr (Kind == AdaptiveKind::Nadam) {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    const T v = e.s1[i] * k.b2 + k.b2c * (g * g);
    e.s0[i] = m;
    e.s1[i] = v;
    const T denom = std::sqrt(v / k.c0) + k.eps;
    const T p = e.p[i] + k.c1 * (g / denom);
    e.p[i] = p + k.c2 * (m / denom);
  } else {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    const T v = e.s1[i] * k.b2 + k.b2c * (g * g);
    e.s0[i] = m;
    e.s1[i] = v;
    const T corrected = m / k.c0;  // exp_avg / bias_correction1
    if (k.rectified) {
      const T adaptive = k.c1 / (std::sqrt(v) + k.eps);
      e.p[i] = e.p[i] + -(corrected * k.lr * adaptive * k.c2);
    } else {
      e.p[i] = e.p[i] + -(corrected * k.lr);
    }
  }
}

template <AdaptiveKind Kind, class T>
void run_base(const Elems<T>& e, int64_t lo, int64_t hi, const K<T>& k) {
  for (int64_t i = lo; i < hi; ++i) step_one<Kind>(e, i, k);
}
#if EMBER_X86_CLONES
template <AdaptiveKind Kind, class T>
EMBER_TARGET_AVX2 void run_avx2(const Elems<T>& e, int64_t lo, int64_t hi, const K<T>& k) {
  for (int64_t i = lo; i < hi; ++i) step_one<Kind>(e, i, k);
}
#endif

template <AdaptiveKind Kind, class T>
void run(const Elems<T>& e, int64_t n, const K<T>& k) {
  parallel_for(0, n, kChunk, [&](int64_t lo, int64_t hi) {
#if EMBER_X86_CLONES
    if (cpu_has_avx2()) return run_avx2<Kind>(e, lo, hi, k);
#endif
    run_base<Kind>(e, lo, hi, k);
  });
}

template <class T>
T* data_or_null(const Tensor& t) {
  return t ? t->data_as<T>() : nullptr;
}

template <class T>
void adaptive(const Tensor& param, const Tensor& grad, const Tensor& s0, const Tensor& s1,
              const Tensor& s2, const AdaptiveScalars& a) {
  const K<T> k{static_cast<T>(a.lr),
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
  const Elems<T> e{param->data_as<T>(), grad->data_as<T>(), data_or_null<T>(s0),
                   data_or_null<T>(s1), data_or_null<T>(s2)};
  const int64_t n = param->numel();
  switch (a.kind) {
    case AdaptiveKind::Adagrad:
      return run<AdaptiveKind::Adagrad>(e, n, k);
    case AdaptiveKind::Rmsprop:
      return run<AdaptiveKind::Rmsprop>(e, n, k);
    case AdaptiveKind::Adadelta:
      return run<AdaptiveKind::Adadelta>(e, n, k);
    case AdaptiveKind::Adamax:
      return run<AdaptiveKind::Adamax>(e, n, k);
    case AdaptiveKind::Nadam:
      return run<AdaptiveKind::Nadam>(e, n, k);
    case AdaptiveKind::Radam:
      return run<AdaptiveKind::Radam>(e, n, k);
  }
}

void adaptive_cpu(const Tensor& param, const Tensor& grad, const Tensor& s0, const Tensor& s1,
                  const Tensor& s2, const AdaptiveScalars& k) {
  dispatch_float_double("adaptive_step", param->dtype(), [&](auto tag) {
    adaptive<typename decltype(tag)::type>(param, grad, s0, s1, s2, k);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(adaptive_step_stub, DeviceType::CPU, adaptive_cpu);

}  // namespace ember::cpu
