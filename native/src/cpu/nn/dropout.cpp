// Dropout masks on the CPU from Philox counters: element k draws word k % 4 of counter base + k /
// 4, so the mask depends on (seed, base) only, never on how the range is split between threads.
#include <algorithm>

#include "core/generator.h"
#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"
#include "hostdev/dropout_keep.h"

namespace ember::cpu {
namespace {

template <class T>
void fill(const Tensor& mask, const Tensor& out, const Tensor& x, double keep, double scale,
          uint64_t seed, uint64_t base) {
  using C = compute_t<T>;
  const int64_t n = mask->numel();
  T* mp = mask->data_as<T>();
  T* op = out ? out->data_as<T>() : nullptr;
  const T* xp = x ? x->data_as<T>() : nullptr;
  // Compare 24-bit uniforms in integers: u < keep exactly when word >> 8 < keep * 2^24.
  const uint32_t threshold = dropout_threshold(keep);
  const C kept = static_cast<C>(scale);
  const int64_t counters = (n + 3) / 4;
  parallel_for(0, counters, kGrainSize / 4, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const Philox4 r = philox4x32(seed, base + static_cast<uint64_t>(c));
      const int64_t k0 = 4 * c, k1 = std::min(k0 + 4, n);
      for (int64_t k = k0; k < k1; ++k) {
        const C m = (r.v[k - k0] >> 8) < threshold ? kept : C(0);
        mp[k] = static_cast<T>(m);
        if (op) op[k] = static_cast<T>(static_cast<C>(xp[k]) * m);
      }
    }
  });
}

void dropout_cpu(const Tensor& mask, const Tensor& out, const Tensor& x, double keep, double scale,
                 uint64_t seed, uint64_t base) {
  dispatch_floating("dropout", mask->dtype(), [&](auto tag) {
    fill<typename decltype(tag)::type>(mask, out, x, keep, scale, seed, base);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(dropout_stub, DeviceType::CPU, dropout_cpu);

}  // namespace ember::cpu
