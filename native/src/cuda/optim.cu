// Fused steps of the adaptive optimizers (Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam): one
// elementwise pass per parameter that reads param, grad and the state once and writes them once.
// The element formulas are hostdev/optim_update.h's, the ones the CPU kernel compiles too.
#include "common.cuh"
#include "core/nn_dispatch.h"
#include "hostdev/optim_update.h"

namespace ember_cuda {

namespace {

using ember::AdaptiveKind;
using ember::AdaptiveScalars;
using ember::optim::AdaptiveConstants;
using ember::optim::AdaptiveElems;

template <AdaptiveKind Kind, class T>
__global__ void adaptive_kernel(AdaptiveElems<T> e, int64_t n, AdaptiveConstants<T> k) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    ember::optim::adaptive_update<Kind>(e, i, k);
}

template <AdaptiveKind Kind, class T>
void launch(const AdaptiveElems<T>& e, int64_t n, const AdaptiveConstants<T>& k) {
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
      const AdaptiveConstants<T> k = ember::optim::adaptive_constants<T>(a);
      const AdaptiveElems<T> e{data<T>(param), data<const T>(grad), data_or_null<T>(s0),
                               data_or_null<T>(s1), data_or_null<T>(s2)};
      const bool known = ember::optim::with_adaptive_kind(
          a.kind, [&](auto kind) { launch<decltype(kind)::value>(e, n, k); });
      if (!known)
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
