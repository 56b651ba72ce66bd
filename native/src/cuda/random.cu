// Random fills and dropout on the GPU from the same Philox4x32-10 counters as the CPU kernels
// (native/src/cpu/random.cpp, nn/dropout.cpp): value k of a fill comes from counter base + k / per,
// so a seed gives the same uniforms, integers and masks on either device (normals agree to
// rounding of the transcendental functions).
#include <cmath>

#include "core/dispatch.h"
#include "core/nn_dispatch.h"
#include "hostdev/dropout_keep.h"
#include "map.cuh"
#include "philox.cuh"

namespace ember_cuda {

namespace {

using ember::RandomOp;
using ember::uniform53;

// Uniform in [0, 1) with as many random bits as T's mantissa holds (the CPU's rule).
template <class T>
__device__ inline T uniform_word(uint32_t w) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half(static_cast<float>(w >> 21) * 0x1p-11f);
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16(static_cast<float>(w >> 24) * 0x1p-8f);
  } else {
    return static_cast<T>(static_cast<float>(w >> 8) * 0x1p-24f);
  }
}

__device__ inline void box_muller(double u1, double u2, double& z0, double& z1) {
  const double r = sqrt(-2.0 * log(u1));
  double s, c;
  sincospi(2.0 * u2, &s, &c);
  z0 = r * c;
  z1 = r * s;
}

template <class T>
__device__ inline T from_double(double v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __float2bfloat16(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

// One thread per counter: fill(values, words) makes kPer values, of which the ones inside out
// are stored. Counters are independent, so any launch shape gives the same tensor.
template <class T, int kPer, class Fill>
__global__ void draw_kernel(T* out, int64_t n, uint64_t seed, uint64_t base, Fill fill) {
  const int64_t counters = (n + kPer - 1) / kPer;
  for (int64_t c = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; c < counters;
       c += int64_t{gridDim.x} * blockDim.x) {
    const PhiloxWords r = philox4x32(seed, base + static_cast<uint64_t>(c));
    T values[kPer];
    fill(values, r);
    const int64_t k0 = c * kPer;
#pragma unroll
    for (int j = 0; j < kPer; ++j)
      if (k0 + j < n) out[k0 + j] = values[j];
  }
}

template <class T, int kPer, class Fill>
void draw(const ember_kernel_tensor* out, uint64_t seed, uint64_t base, Fill fill) {
  const int64_t n = out->numel;
  if (n == 0) return;
  draw_kernel<T, kPer><<<blocks_for((n + kPer - 1) / kPer), kThreads, 0, stream()>>>(
      data<T>(out), n, seed, base, fill);
  EC_LAUNCHED("random");
}

// Values per Philox counter: two 53-bit doubles, or four 32-bit words for the other types.
template <class T>
constexpr int per_counter() {
  return std::is_same_v<T, double> ? 2 : 4;
}

// The fills below are functors, not lambdas: device lambdas may not be defined inside the generic
// lambdas that dispatch on the dtype.
template <class T>
struct RandFill {
  __device__ void operator()(T* v, const PhiloxWords& r) const {
    if constexpr (std::is_same_v<T, double>) {
      v[0] = uniform53(r.v[0], r.v[1]);
      v[1] = uniform53(r.v[2], r.v[3]);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) v[j] = uniform_word<T>(r.v[j]);
    }
  }
};

template <class T>
struct RandnFill {
  __device__ void operator()(T* v, const PhiloxWords& r) const {
    if constexpr (std::is_same_v<T, double>) {
      box_muller(1.0 - uniform53(r.v[0], r.v[1]), uniform53(r.v[2], r.v[3]), v[0], v[1]);
    } else {
#pragma unroll
      for (int j = 0; j < 4; j += 2) {
        double z0, z1;
        box_muller((static_cast<double>(r.v[j]) + 1.0) * 0x1p-32,
                   static_cast<double>(r.v[j + 1]) * 0x1p-32, z0, z1);
        v[j] = from_double<T>(z0);
        v[j + 1] = from_double<T>(z1);
      }
    }
  }
};

ember_status rand(void*, const ember_kernel_tensor* out, uint64_t seed, uint64_t base) {
  return guard([&] {
    use_device(out);
    dispatch_float(out->dtype, "rand", [&](auto tag) {
      using T = typename decltype(tag)::type;
      draw<T, per_counter<T>()>(out, seed, base, RandFill<T>{});
    });
  });
}

ember_status randn(void*, const ember_kernel_tensor* out, uint64_t seed, uint64_t base) {
  return guard([&] {
    use_device(out);
    dispatch_float(out->dtype, "randn", [&](auto tag) {
      using T = typename decltype(tag)::type;
      draw<T, per_counter<T>()>(out, seed, base, RandnFill<T>{});
    });
  });
}

// map(u, partner, lane) of uniforms in [0, 1): 53-bit pairs for double (2 per counter), 32-bit
// words for the other floats (4 per counter), as the CPU's draw_uniform.
template <class T, class Map>
struct UniformFill {
  Map map;
  __device__ void operator()(T* v, const PhiloxWords& r) const {
    if constexpr (std::is_same_v<T, double>) {
      v[0] = map(uniform53(r.v[0], r.v[1]), uniform53(r.v[2], r.v[3]), 0);
      v[1] = map(uniform53(r.v[2], r.v[3]), uniform53(r.v[0], r.v[1]), 1);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j)
        v[j] = from_double<T>(map(static_cast<double>(r.v[j]) * 0x1p-32,
                                  static_cast<double>(r.v[j ^ 1]) * 0x1p-32, j));
    }
  }
};

template <class T, class Map>
void draw_uniform(const ember_kernel_tensor* out, uint64_t seed, uint64_t base, Map map) {
  draw<T, per_counter<T>()>(out, seed, base, UniformFill<T, Map>{map});
}

struct UniformMap {
  double low, width;
  __device__ double operator()(double u, double, int) const { return low + u * width; }
};
struct NormalMap {
  double mean, std;
  // Box-Muller on the pair (u, partner): even lanes take the cosine, odd ones the sine.
  __device__ double operator()(double u, double w, int j) const {
    const bool even = (j & 1) == 0;
    double z0, z1;
    box_muller(1.0 - (even ? u : w), even ? w : u, z0, z1);
    return mean + std * (even ? z0 : z1);
  }
};
struct ExponentialMap {
  double rate;
  __device__ double operator()(double u, double, int) const { return -log1p(-u) / rate; }
};

template <class T>
__device__ inline T from_int64(int64_t v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
    return from_double<T>(static_cast<double>(v));
  } else {
    return static_cast<T>(v);
  }
}

// Integers in [low, low + range): two 64-bit draws per counter, as the CPU.
template <class T>
struct RandIntFill {
  int64_t low;
  uint64_t range;
  __device__ void operator()(T* v, const PhiloxWords& r) const {
    const uint64_t w0 = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    const uint64_t w1 = (static_cast<uint64_t>(r.v[2]) << 32) | r.v[3];
    v[0] = from_int64<T>(static_cast<int64_t>(static_cast<uint64_t>(low) + w0 % range));
    v[1] = from_int64<T>(static_cast<int64_t>(static_cast<uint64_t>(low) + w1 % range));
  }
};

// 1 when the 32-bit draw falls below p * 2^32.
template <class T>
struct BernoulliFill {
  double threshold;
  __device__ void operator()(T* v, const PhiloxWords& r) const {
#pragma unroll
    for (int j = 0; j < 4; ++j) v[j] = from_int64<T>(static_cast<double>(r.v[j]) < threshold);
  }
};

double as_double(ember_scalar s) {
  return s.kind == EMBER_SCALAR_FLOAT ? s.f : static_cast<double>(s.i);
}

ember_status random_ex(void*, int32_t op_code, const ember_kernel_tensor* out, uint64_t seed,
                       uint64_t base, ember_scalar a, ember_scalar b) {
  return guard([&] {
    use_device(out);
    const auto op = static_cast<RandomOp>(op_code);
    dispatch(out->dtype, "random", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (op == RandomOp::RandInt) {
        const uint64_t range = static_cast<uint64_t>(b.i) - static_cast<uint64_t>(a.i);
        return draw<T, 2>(out, seed, base, RandIntFill<T>{a.i, range});
      }
      if (op == RandomOp::Bernoulli)
        return draw<T, 4>(out, seed, base, BernoulliFill<T>{as_double(a) * 0x1p32});
      if constexpr (is_floating_v<T>) {
        const double p0 = as_double(a), p1 = as_double(b);
        switch (op) {
          case RandomOp::Uniform:
            return draw_uniform<T>(out, seed, base, UniformMap{p0, p1 - p0});
          case RandomOp::Normal:
            return draw_uniform<T>(out, seed, base, NormalMap{p0, p1});
          case RandomOp::Exponential:
            return draw_uniform<T>(out, seed, base, ExponentialMap{p0});
          default:
            break;
        }
      }
      fail(EMBER_ERROR_INTERNAL, std::string("random kernel: op ") + std::to_string(op_code) +
                                     " is not defined for " + dtype_name(out->dtype));
    });
  });
}

// Element k keeps when word k % 4 of counter base + k / 4, as a 24-bit uniform, is below keep
// (compared in integers, as the CPU does); then mask = scale, out = x * scale.
template <class T>
__global__ void dropout_kernel(T* mask, T* out, const T* x, int64_t n, uint32_t threshold,
                               acc_t<T> scale, uint64_t seed, uint64_t base) {
  const int64_t counters = (n + 3) / 4;
  for (int64_t c = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; c < counters;
       c += int64_t{gridDim.x} * blockDim.x) {
    const PhiloxWords r = philox4x32(seed, base + static_cast<uint64_t>(c));
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t k = 4 * c + j;
      if (k >= n) break;
      const acc_t<T> m = (r.v[j] >> 8) < threshold ? scale : acc_t<T>(0);
      mask[k] = static_cast<T>(m);
      if (out != nullptr) out[k] = static_cast<T>(to_acc(x[k]) * m);
    }
  }
}

ember_status dropout(void*, const ember_kernel_tensor* mask, const ember_kernel_tensor* out,
                     const ember_kernel_tensor* x, double keep, double scale, uint64_t seed,
                     uint64_t base) {
  return guard([&] {
    use_device(mask);
    const int64_t n = mask->numel;
    if (n == 0) return;
    const uint32_t threshold = ember::dropout_threshold(keep);
    dispatch_float(mask->dtype, "dropout", [&](auto tag) {
      using T = typename decltype(tag)::type;
      dropout_kernel<T><<<blocks_for((n + 3) / 4), kThreads, 0, stream()>>>(
          data<T>(mask), out ? data<T>(out) : nullptr, x ? data<const T>(x) : nullptr, n, threshold,
          static_cast<acc_t<T>>(scale), seed, base);
      EC_LAUNCHED("dropout");
    });
  });
}

}  // namespace

ember_status register_random(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "rand", rand);
  if (s == EMBER_OK) s = register_kernel(host, "randn", randn);
  if (s == EMBER_OK) s = register_kernel(host, "random_ex", random_ex);
  if (s == EMBER_OK) s = register_kernel(host, "dropout", dropout);
  return s;
}

}  // namespace ember_cuda
