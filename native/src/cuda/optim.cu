// Fused steps of the adaptive optimizers (Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam): one
// elementwise pass per parameter that reads param, grad and the state once and writes them once.
// Each element follows torch.optim's sequence of tensor ops in the parameter's dtype, with the
// hyper-parameters cast to it, exactly as the CPU kernel (cpu/nn/optim_adaptive.cpp) does.
#include "common.cuh"
#include "core/nn_dispatch.h"

namespace ember_cuda {

namespace {

using ember::AdaptiveKind;
using ember::AdaptiveScalars;

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

template <AdaptiveKind Kind, class T>
__device__ inline void step_one(const Elems<T>& e, int64_t i, const K<T>& k) {
  // The gradient after maximize and weight decay (grad + weight_decay * param).
  T g = k.maximize ? -e.g[i] : e.g[i];
  if (k.has_wd) g = g + k.wd * e.p[i];
  if constexpr (Kind == AdaptiveKind::Adagrad) {
    // state_sum += g * g; param -= clr * g / (sqrt(state_sum) + eps)
    const T sum = e.s0[i] + g * g;
    e.s0[i] = sum;
    e.p[i] = e.p[i] + -k.c0 * (g / (sqrt(sum) + k.eps));
  } else if constexpr (Kind == AdaptiveKind::Rmsprop) {
    const T sq = e.s0[i] * k.b1 + k.b1c * (g * g);
    e.s0[i] = sq;
    T avg;
    if (k.centered) {
      const T ga = e.s1[i] * k.b1 + k.b1c * g;
      e.s1[i] = ga;
      avg = sqrt(sq + -(ga * ga)) + k.eps;
    } else {
      avg = sqrt(sq) + k.eps;
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
    const T std_ = sqrt(sq + k.eps);
    const T delta = sqrt(e.s1[i] + k.eps) / std_ * g;
    e.s1[i] = e.s1[i] * k.b1 + k.b1c * (delta * delta);
    e.p[i] = e.p[i] + -k.lr * delta;
  } else if constexpr (Kind == AdaptiveKind::Adamax) {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    e.s0[i] = m;
    const T decayed = e.s1[i] * k.b2, a = fabs(g) + k.eps;
    const T u = decayed > a ? decayed : a;
    e.s1[i] = u;
    e.p[i] = e.p[i] + -k.c0 * (m / u);
  } else if constexpr (Kind == AdaptiveKind::Nadam) {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    const T v = e.s1[i] * k.b2 + k.b2c * (g * g);
    e.s0[i] = m;
    e.s1[i] = v;
    const T denom = sqrt(v / k.c0) + k.eps;
    const T p = e.p[i] + k.c1 * (g / denom);
    e.p[i] = p + k.c2 * (m / denom);
  } else {
    const T m = e.s0[i] * k.b1 + k.b1c * g;
    const T v = e.s1[i] * k.b2 + k.b2c * (g * g);
    e.s0[i] = m;
    e.s1[i] = v;
    const T corrected = m / k.c0;  // exp_avg / bias_correction1
    if (k.rectified) {
      const T adaptive = k.c1 / (sqrt(v) + k.eps);
      e.p[i] = e.p[i] + -(corrected * k.lr * adaptive * k.c2);
    } else {
      e.p[i] = e.p[i] + -(corrected * k.lr);
    }
  }
}

template <AdaptiveKind Kind, class T>
__global__ void adaptive_kernel(Elems<T> e, int64_t n, K<T> k) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    step_one<Kind>(e, i, k);
}

template <AdaptiveKind Kind, class T>
void launch(const Elems<T>& e, int64_t n, const K<T>& k) {
  adaptive_kernel<Kind, T><<<blocks_for(n), kThreads, 0, stream()>>>(e, n, k);
  EC_LAUNCHED("adaptive_step");
}

template <class T>
T* data_or_null(const ember_kernel_tensor* t) {
  return t ? data<T>(t) : nullptr;
}

ember_status adaptive_step(void*, const ember_kernel_tensor* param, const ember_kernel_tensor* grad,
                           const ember_kernel_tensor* s0, const ember_kernel_tensor* s1,
                           const ember_kernel_tensor* s2, const void* scalars) {
  return guard([&] {
    use_device(param);
    const auto& a = *static_cast<const AdaptiveScalars*>(scalars);
    const int64_t n = param->numel;
    if (n == 0) return;
    dispatch_float_double(param->dtype, "adaptive_step", [&](auto tag) {
      using T = typename decltype(tag)::type;
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
      const Elems<T> e{data<T>(param), data<const T>(grad), data_or_null<T>(s0),
                       data_or_null<T>(s1), data_or_null<T>(s2)};
      switch (a.kind) {
        case AdaptiveKind::Adagrad:
          return launch<AdaptiveKind::Adagrad>(e, n, k);
        case AdaptiveKind::Rmsprop:
          return launch<AdaptiveKind::Rmsprop>(e, n, k);
        case AdaptiveKind::Adadelta:
          return launch<AdaptiveKind::Adadelta>(e, n, k);
        case AdaptiveKind::Adamax:
          return launch<AdaptiveKind::Adamax>(e, n, k);
        case AdaptiveKind::Nadam:
          return launch<AdaptiveKind::Nadam>(e, n, k);
        case AdaptiveKind::Radam:
          return launch<AdaptiveKind::Radam>(e, n, k);
      }
      fail(EMBER_ERROR_INVALID_ARGUMENT,
           "adaptive_step: unknown optimizer kind " + std::to_string(static_cast<int>(a.kind)));
    });
  });
}

}  // namespace

ember_status register_optim(const ember_plugin_host* host) {
  return register_kernel(host, "adaptive_step", adaptive_step);
}

}  // namespace ember_cuda
