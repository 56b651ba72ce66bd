// Philox4x32-10 on the device, bit for bit as ember::philox4x32 (core/generator.h) computes it on
// the CPU: the random fills and dropout draw from it, and kernels that regenerate a random mask
// from (seed, counter) instead of storing it.
#pragma once

#include <cstdint>

namespace ember_cuda {

struct PhiloxWords {
  uint32_t v[4];
};

// Random123's philox4x32 with counter {lo, hi, 0, 0} and key {seed lo, seed hi}.
__device__ inline PhiloxWords philox4x32(uint64_t seed, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0,
           c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint32_t lo0 = 0xD2511F53u * c0, hi0 = __umulhi(0xD2511F53u, c0);
    const uint32_t lo1 = 0xCD9E8D57u * c2, hi1 = __umulhi(0xCD9E8D57u, c2);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return {{c0, c1, c2, c3}};
}

}  // namespace ember_cuda
