// The dropout keep rule of every dropout kernel on both devices (dropout, Dropout2d, attention):
// element k of a mask keeps when word k % 4 of Philox counter base + k / 4, as a 24-bit uniform,
// is below keep (compared in integers). Kernels that draw four words at once compare against
// dropout_threshold themselves; dropout_keeps regenerates one element where it is needed.
#pragma once

#include <cstdint>

#include "hostdev/host_device.h"
#include "hostdev/philox.h"

namespace ember {

// keep * 2^24, at most 2^24 (keep 1 keeps every element).
EMBER_HOST_DEVICE uint32_t dropout_threshold(double keep) {
  const double t = keep * 16777216.0;
  return static_cast<uint32_t>(t < 16777216.0 ? t : 16777216.0);
}

// Whether mask element k keeps.
EMBER_HOST_DEVICE bool dropout_keeps(uint64_t seed, uint64_t base, int64_t k, uint32_t threshold) {
  const Philox4 r = philox4x32(seed, base + static_cast<uint64_t>(k / 4));
  return (r.v[k % 4] >> 8) < threshold;
}

}  // namespace ember
