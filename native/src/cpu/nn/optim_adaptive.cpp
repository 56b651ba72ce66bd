// Fused steps of the adaptive optimizers (Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam) on
// the CPU: one pass per parameter reads param, grad and the state once and writes them once, in
// parallel chunks. The element formulas are hostdev/optim_update.h's, shared with the GPU.
// math-errno is off here so that the square roots need no errno path (the results are the same;
// errno is never read).
#pragma GCC optimize("no-math-errno")

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"
#include "hostdev/optim_update.h"

namespace ember::cpu {
namespace {

constexpr int64_t kChunk = 1 << 15;  // elements per task

using optim::AdaptiveConstants;
using optim::AdaptiveElems;

template <AdaptiveKind Kind, class T>
void run_base(const AdaptiveElems<T>& e, int64_t lo, int64_t hi, const AdaptiveConstants<T>& k) {
  for (int64_t i = lo; i < hi; ++i) optim::adaptive_update<Kind>(e, i, k);
}
#if EMBER_X86_CLONES
template <AdaptiveKind Kind, class T>
EMBER_TARGET_AVX2 void run_avx2(const AdaptiveElems<T>& e, int64_t lo, int64_t hi,
                                const AdaptiveConstants<T>& k) {
  for (int64_t i = lo; i < hi; ++i) optim::adaptive_update<Kind>(e, i, k);
}
#endif

template <AdaptiveKind Kind, class T>
void run(const AdaptiveElems<T>& e, int64_t n, const AdaptiveConstants<T>& k) {
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
  const AdaptiveConstants<T> k = optim::adaptive_constants<T>(a);
  const AdaptiveElems<T> e{param->data_as<T>(), grad->data_as<T>(), data_or_null<T>(s0),
                           data_or_null<T>(s1), data_or_null<T>(s2)};
  const int64_t n = param->numel();
  optim::with_adaptive_kind(a.kind, [&](auto kind) { run<decltype(kind)::value>(e, n, k); });
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
