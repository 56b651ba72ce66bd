// Shared by the CUDA benchmarks: loading the plugin named in EMBER_CUDA_PLUGIN, and timing a call
// to completion (each iteration ends with a device synchronisation).
#pragma once

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/backend.h"
#include "core/error.h"

namespace ember::bench {

inline const Device kCuda{DeviceType::CUDA, 0};

// Loads the plugin once; a case without it reports why it was skipped.
inline bool cuda_ready(benchmark::State& st) {
  static const std::string reason = [] {
    const char* path = std::getenv("EMBER_CUDA_PLUGIN");
    if (path == nullptr || *path == 0) return std::string("EMBER_CUDA_PLUGIN not set");
    try {
      load_backend(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  if (!reason.empty()) st.SkipWithError(reason.c_str());
  return reason.empty();
}

// Times body() + a device synchronisation per iteration as the manual time, after one warm-up call
// (allocator, cuBLAS handle, module load).
template <class F>
void timed(benchmark::State& st, F body) {
  body();
  synchronize(kCuda);
  for (auto _ : st) {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    synchronize(kCuda);
    st.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
}

}  // namespace ember::bench
