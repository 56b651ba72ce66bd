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

// The host's own cost per call: only the calls are timed (100 per iteration, fewer than the
// launch queue holds, so the host never waits for the GPU), the synchronisation after them is not.
template <class F>
void host_timed(benchmark::State& st, F body) {
  body();
  synchronize(kCuda);
  for (auto _ : st) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) body();
    const auto t1 = std::chrono::steady_clock::now();
    synchronize(kCuda);
    st.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
  }
  // The time is per 100 calls; per_call is in seconds.
  st.counters["per_call"] = benchmark::Counter(
      100, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace ember::bench
