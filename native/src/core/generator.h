// Counter-based random numbers (Philox4x32-10): element k of a draw depends only on (seed, offset +
// k), so results never depend on how many threads fill a tensor.
#pragma once

#include <cstdint>
#include <mutex>

#include "hostdev/philox.h"
#include "refcount.h"

namespace ember {

class Generator final : public RefCounted {
 public:
  explicit Generator(uint64_t seed) : seed_(seed) {}

  void manual_seed(uint64_t seed);
  uint64_t seed() const;
  // The whole state: a draw's values depend on (seed, offset) only, so saving and restoring the
  // pair replays the same numbers (torch.get_rng_state / set_rng_state).
  struct State {
    uint64_t seed;
    uint64_t offset;
  };
  State state() const;
  void set_state(State state);
  // Reserves n counter values for one draw and returns the first; the draw then computes
  // philox4x32(seed, first + k) (hostdev/philox.h) for its k-th value, from any thread.
  uint64_t reserve(uint64_t n);

 private:
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The default generator used when none is given (ember_manual_seed reseeds it).
Generator& default_generator();

}  // namespace ember
