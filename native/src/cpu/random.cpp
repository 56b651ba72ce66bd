// CPU kernels of rand and randn. Value k of a draw comes from Philox counter base + k / per (per =
// random_values_per_counter), so the result is the same for any number of threads.
#include <cmath>
#include <numbers>

#include "core/dispatch.h"
#include "core/generator.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

// Uniform in [0, 1) with as many random bits as T's mantissa holds, so rounding can never reach 1.
template <class T>
T uniform(uint32_t w) {
  if constexpr (std::is_same_v<T, Half>) {
    return Half(static_cast<float>(w >> 21) * 0x1p-11f);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return BFloat16(static_cast<float>(w >> 24) * 0x1p-8f);
  } else {
    return static_cast<float>(w >> 8) * 0x1p-24f;
  }
}

double uniform53(uint32_t hi, uint32_t lo) {
  return static_cast<double>(((static_cast<uint64_t>(hi) << 32) | lo) >> 11) * 0x1p-53;
}

// Box-Muller: two uniforms, u1 in (0, 1] and u2 in [0, 1), give two independent normals.
void box_muller(double u1, double u2, double& z0, double& z1) {
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  z0 = r * std::cos(theta);
  z1 = r * std::sin(theta);
}

// Runs fill(values, philox words) for every counter of the draw; values has room for per values.
template <class T, int kPer, class Fill>
void draw(const Tensor& out, uint64_t seed, uint64_t base, Fill fill) {
  T* p = out->data_as<T>();
  const int64_t n = out->numel();
  const int64_t counters = (n + kPer - 1) / kPer;
  parallel_for(0, counters, kGrainSize / kPer, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const Philox4 r = philox4x32(seed, base + static_cast<uint64_t>(c));
      T values[kPer];
      fill(values, r);
      const int64_t k0 = c * kPer;
      const int64_t count = std::min<int64_t>(kPer, n - k0);
      for (int64_t j = 0; j < count; ++j) p[k0 + j] = values[j];
    }
  });
}

void rand_kernel(const Tensor& out, uint64_t seed, uint64_t base) {
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, double>) {
      draw<T, 2>(out, seed, base, [](T* v, const Philox4& r) {
        v[0] = uniform53(r.v[0], r.v[1]);
        v[1] = uniform53(r.v[2], r.v[3]);
      });
    } else if constexpr (is_float_v<T>) {
      draw<T, 4>(out, seed, base, [](T* v, const Philox4& r) {
        for (int j = 0; j < 4; ++j) v[j] = uniform<T>(r.v[j]);
      });
    } else {
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "rand kernel: ", dtype_name(out->dtype()),
                 " is not a float");
    }
  });
}

void randn_kernel(const Tensor& out, uint64_t seed, uint64_t base) {
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, double>) {
      draw<T, 2>(out, seed, base, [](T* v, const Philox4& r) {
        box_muller(1.0 - uniform53(r.v[0], r.v[1]), uniform53(r.v[2], r.v[3]), v[0], v[1]);
      });
    } else if constexpr (is_float_v<T>) {
      draw<T, 4>(out, seed, base, [](T* v, const Philox4& r) {
        for (int j = 0; j < 4; j += 2) {
          double z0, z1;
          box_muller((static_cast<double>(r.v[j]) + 1.0) * 0x1p-32,
                     static_cast<double>(r.v[j + 1]) * 0x1p-32, z0, z1);
          v[j] = cast<T>(z0);
          v[j + 1] = cast<T>(z1);
        }
      });
    } else {
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "randn kernel: ", dtype_name(out->dtype()),
                 " is not a float");
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(rand_stub, DeviceType::CPU, rand_kernel);
EMBER_REGISTER_KERNEL(randn_stub, DeviceType::CPU, randn_kernel);

}  // namespace ember::cpu
