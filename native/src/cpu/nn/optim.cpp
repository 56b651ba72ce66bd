// Fused optimizer steps on the CPU: one pass over each parameter's elements reads param, grad and
// state once and writes param and state once, in parallel chunks. Arithmetic happens in the
// parameter's dtype with the hyper-parameters cast to it, as torch's per-tensor ops do; the element
// formulas are hostdev/optim_update.h's, shared with the GPU.
#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"
#include "cpu/nn/simd.h"
#include "hostdev/optim_update.h"

#if EMBER_X86_CLONES
#include <immintrin.h>
#endif

namespace ember::cpu {
namespace {

constexpr int64_t kChunk = 1 << 15;  // elements per task: enough to hide the hand-off

using optim::AdamConstants;
using optim::SgdConstants;

// ---- SGD: no transcendental, so the plain loop vectorizes in both instantiations ----

template <class T>
EMBER_ALWAYS_INLINE inline void sgd_body(T* p, const T* g, T* buf, int64_t n,
                                         const SgdConstants<T>& s) {
  for (int64_t i = 0; i < n; ++i) optim::sgd_update(p, g, buf, i, s);
}
template <class T>
void sgd_base(T* p, const T* g, T* buf, int64_t n, const SgdConstants<T>& s) {
  sgd_body(p, g, buf, n, s);
}
#if EMBER_X86_CLONES
template <class T>
EMBER_TARGET_AVX2 void sgd_avx2(T* p, const T* g, T* buf, int64_t n, const SgdConstants<T>& s) {
  sgd_body(p, g, buf, n, s);
}
#endif

template <class T>
void sgd(const Tensor& param, const Tensor& grad, const Tensor& buf, const ops::SgdOptions& o) {
  const SgdConstants<T> s = optim::sgd_constants<T>(o);
  T* p = param->data_as<T>();
  const T* g = grad->data_as<T>();
  T* b = buf ? buf->data_as<T>() : nullptr;
  parallel_for(0, param->numel(), kChunk, [&](int64_t lo, int64_t hi) {
#if EMBER_X86_CLONES
    if (cpu_has_avx2()) return sgd_avx2(p + lo, g + lo, b ? b + lo : nullptr, hi - lo, s);
#endif
    sgd_base(p + lo, g + lo, b ? b + lo : nullptr, hi - lo, s);
  });
}

// ---- Adam / AdamW ----

template <class T>
struct AdamElems {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vmax;  // null unless amsgrad
};

template <class T>
void adam_base(const AdamElems<T>& e, int64_t n, const AdamConstants<T>& k) {
  for (int64_t i = 0; i < n; ++i) optim::adam_update(e.p, e.g, e.m, e.v, e.vmax, i, k);
}

#if EMBER_X86_CLONES
// optim::adam_update on 256-bit vectors: with -fmath-errno the compiler will not vectorize
// std::sqrt, so the square root is the one explicit intrinsic.
EMBER_TARGET_AVX2 EMBER_ALWAYS_INLINE inline void vsqrt(Simd<float>::V& v) {
  v = reinterpret_cast<Simd<float>::V>(_mm256_sqrt_ps(reinterpret_cast<__m256>(v)));
}
EMBER_TARGET_AVX2 EMBER_ALWAYS_INLINE inline void vsqrt(Simd<double>::V& v) {
  v = reinterpret_cast<Simd<double>::V>(_mm256_sqrt_pd(reinterpret_cast<__m256d>(v)));
}

template <class T>
EMBER_TARGET_AVX2 void adam_avx2(const AdamElems<T>& e, int64_t n, const AdamConstants<T>& k) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::kWidth;
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    V g, p, m, v;
    load_vec(g, e.g + i);
    load_vec(p, e.p + i);
    load_vec(m, e.m + i);
    load_vec(v, e.v + i);
    if (k.maximize) g = -g;
    if (k.decoupled) {
      p = p * k.decay;
    } else if (k.has_wd) {
      g = g + k.wd * p;
    }
    m = m * k.beta1 + k.beta1c * g;
    v = v * k.beta2 + k.beta2c * (g * g);
    store_vec(e.m + i, m);
    store_vec(e.v + i, v);
    if (k.amsgrad) {
      V vm;
      load_vec(vm, e.vmax + i);
      v = vm > v ? vm : v;
      store_vec(e.vmax + i, v);
    }
    vsqrt(v);
    const V denom = v / k.bc2_sqrt + k.eps;
    p = p + k.neg_step_size * (m / denom);
    store_vec(e.p + i, p);
  }
  for (; i < n; ++i) optim::adam_update(e.p, e.g, e.m, e.v, e.vmax, i, k);
}
#endif

template <class T>
void adam(const Tensor& param, const Tensor& grad, const Tensor& exp_avg, const Tensor& exp_avg_sq,
          const Tensor& max_exp_avg_sq, const ops::AdamOptions& o, const AdamScalars& s) {
  const AdamConstants<T> k = optim::adam_constants<T>(o, s);
  const AdamElems<T> base{param->data_as<T>(), grad->data_as<T>(), exp_avg->data_as<T>(),
                          exp_avg_sq->data_as<T>(),
                          o.amsgrad ? max_exp_avg_sq->data_as<T>() : nullptr};
  parallel_for(0, param->numel(), kChunk, [&](int64_t lo, int64_t hi) {
    const AdamElems<T> e{base.p + lo, base.g + lo, base.m + lo, base.v + lo,
                         base.vmax ? base.vmax + lo : nullptr};
#if EMBER_X86_CLONES
    if (cpu_has_avx2()) return adam_avx2(e, hi - lo, k);
#endif
    adam_base(e, hi - lo, k);
  });
}

void sgd_cpu(const Tensor& param, const Tensor& grad, const Tensor& buf, const ops::SgdOptions& o) {
  dispatch_float_double("sgd_step", param->dtype(),
                        [&](auto tag) { sgd<typename decltype(tag)::type>(param, grad, buf, o); });
}

void adam_cpu(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
              const Tensor& exp_avg_sq, const Tensor& max_exp_avg_sq, const ops::AdamOptions& o,
              const AdamScalars& s) {
  dispatch_float_double("adam_step", param->dtype(), [&](auto tag) {
    adam<typename decltype(tag)::type>(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, o, s);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(sgd_stub, DeviceType::CPU, sgd_cpu);
EMBER_REGISTER_KERNEL(adam_stub, DeviceType::CPU, adam_cpu);

}  // namespace ember::cpu
