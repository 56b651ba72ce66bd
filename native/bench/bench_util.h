// What every native benchmark shares: the thread count (EMBER_BENCH_THREADS, default 2, so the
// dev machine's figures are comparable) and seeded float32 inputs.
#pragma once

#include <cstdlib>

#include "core/generator.h"
#include "core/ops.h"

namespace ember::bench {

inline int threads() {
  const char* s = std::getenv("EMBER_BENCH_THREADS");
  return s ? std::atoi(s) : 2;
}

// Standard-normal float32 on the CPU from one generator seeded 0 for the whole program.
inline Tensor randn(const DimVector& sizes) {
  static Ref<Generator> gen = Ref<Generator>::make(0);
  return ops::randn(sizes, DType::Float32, Device{}, *gen);
}

}  // namespace ember::bench
