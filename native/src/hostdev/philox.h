// Philox4x32-10 (Random123's philox4x32), the one counter-based generator behind every random draw:
// the CPU kernels and the CUDA plugin compile this same function, so both devices draw the same
// bits for the same (seed, counter) and a kernel may regenerate a random mask instead of storing
// it.
#pragma once

#include <cstdint>

#include "hostdev/host_device.h"

namespace ember {

// Four 32-bit random words for one counter.
struct Philox4 {
  uint32_t v[4];
};

// The raw bijection: counter words and key words as published.
EMBER_HOST_DEVICE Philox4 philox4x32_10(const uint32_t counter[4], const uint32_t key[2]) {
  uint32_t c0 = counter[0], c1 = counter[1], c2 = counter[2], c3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  EMBER_UNROLL
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;  // the Weyl sequence of the key
      k1 += 0xBB67AE85u;
    }
    // The two multiplications' high and low halves from one 32x32 -> 64-bit product each.
    const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0;
    const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return {{c0, c1, c2, c3}};
}

// Counter {lo, hi, 0, 0} under key {seed lo, seed hi}: value k of a draw reads counter base + k /
// (values per counter).
EMBER_HOST_DEVICE Philox4 philox4x32(uint64_t seed, uint64_t counter) {
  const uint32_t ctr[4] = {static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32), 0,
                           0};
  const uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  return philox4x32_10(ctr, key);
}

// Uniform in [0, 1) from 53 random bits (two words): the double fills' rule on both devices.
EMBER_HOST_DEVICE double uniform53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1p-53;
}

}  // namespace ember
