// Read-modify-write of one element of any dtype with atomicCAS: on the element's own word for 4-
// and 8-byte types, on the aligned 32-bit word around it for 1- and 2-byte types (the caching
// allocator hands out blocks of at least 512 bytes, so that word is always inside the block).
// Serves the scatter reductions (prod, amax, amin; sum where no native atomicAdd exists).
#pragma once

#include <cstring>
#include <type_traits>

#include "common.cuh"

namespace ember_cuda {

template <class T, class U>
__device__ inline T bits_as(U u) {
  static_assert(sizeof(T) == sizeof(U));
  T t;
  memcpy(static_cast<void*>(&t), &u, sizeof(T));  // void*: __half has no public bytes
  return t;
}

// *p = f(*p), atomically.
template <class T, class F>
__device__ void atomic_apply(T* p, F f) {
  if constexpr (sizeof(T) == 8) {
    auto* w = reinterpret_cast<unsigned long long*>(p);
    unsigned long long old = *w, assumed;
    do {
      assumed = old;
      old = atomicCAS(w, assumed, bits_as<unsigned long long>(f(bits_as<T>(assumed))));
    } while (assumed != old);
  } else if constexpr (sizeof(T) == 4) {
    auto* w = reinterpret_cast<unsigned int*>(p);
    unsigned int old = *w, assumed;
    do {
      assumed = old;
      old = atomicCAS(w, assumed, bits_as<unsigned int>(f(bits_as<T>(assumed))));
    } while (assumed != old);
  } else {
    static_assert(sizeof(T) == 1 || sizeof(T) == 2);
    using Bits = std::conditional_t<sizeof(T) == 1, uint8_t, uint16_t>;
    const auto addr = reinterpret_cast<uintptr_t>(p);
    auto* w = reinterpret_cast<unsigned int*>(addr & ~uintptr_t{3});
    const unsigned int shift = static_cast<unsigned int>(addr & 3) * 8;
    const unsigned int mask = ((1u << (sizeof(T) * 8)) - 1) << shift;
    unsigned int old = *w, assumed;
    do {
      assumed = old;
      const T cur = bits_as<T>(static_cast<Bits>((assumed & mask) >> shift));
      const unsigned int next = static_cast<unsigned int>(bits_as<Bits>(f(cur))) << shift;
      old = atomicCAS(w, assumed, (assumed & ~mask) | next);
    } while (assumed != old);
  }
}

}  // namespace ember_cuda
