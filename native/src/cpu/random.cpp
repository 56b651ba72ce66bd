// CPU kernels of the random fills (rand, randn, uniform_, normal_, exponential_, randint,
// bernoulli_), randperm and multinomial. Value k of a fill comes from Philox counter base + k /
// per, so the result is the same for any number of threads.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <numeric>
#include <vector>

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

uint64_t bits64(uint32_t hi, uint32_t lo) { return (static_cast<uint64_t>(hi) << 32) | lo; }

// Uniform in [0, 1) as double from 32 random bits (the float types) or 53 (double): 4 or 2 values
// per counter, as random_values_per_counter says.
template <class T, class F>
void draw_uniform(const Tensor& out, uint64_t seed, uint64_t base, F map) {
  if constexpr (std::is_same_v<T, double>) {
    draw<T, 2>(out, seed, base, [&](T* v, const Philox4& r) {
      v[0] = map(uniform53(r.v[0], r.v[1]), uniform53(r.v[2], r.v[3]), 0);
      v[1] = map(uniform53(r.v[2], r.v[3]), uniform53(r.v[0], r.v[1]), 1);
    });
  } else {
    draw<T, 4>(out, seed, base, [&](T* v, const Philox4& r) {
      for (int j = 0; j < 4; ++j) {
        v[j] = cast<T>(map(static_cast<double>(r.v[j]) * 0x1p-32,
                           static_cast<double>(r.v[j ^ 1]) * 0x1p-32, j));
      }
    });
  }
}

void random_ex_kernel(RandomOp op, const Tensor& out, uint64_t seed, uint64_t base, Scalar a,
                      Scalar b) {
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (op == RandomOp::RandInt) {
      const int64_t low = a.i;
      const uint64_t range = static_cast<uint64_t>(b.i) - static_cast<uint64_t>(low);
      draw<T, 2>(out, seed, base, [&](T* v, const Philox4& r) {
        v[0] = cast<T>(
            static_cast<int64_t>(static_cast<uint64_t>(low) + bits64(r.v[0], r.v[1]) % range));
        v[1] = cast<T>(
            static_cast<int64_t>(static_cast<uint64_t>(low) + bits64(r.v[2], r.v[3]) % range));
      });
      return;
    }
    if (op == RandomOp::Bernoulli) {
      // 1 when the 32-bit draw falls below p * 2^32.
      const double threshold = a.to<double>() * 0x1p32;
      draw<T, 4>(out, seed, base, [&](T* v, const Philox4& r) {
        for (int j = 0; j < 4; ++j) v[j] = cast<T>(static_cast<double>(r.v[j]) < threshold);
      });
      return;
    }
    if constexpr (is_float_v<T>) {
      const double p0 = a.to<double>(), p1 = b.to<double>();
      switch (op) {
        case RandomOp::Uniform: {
          const double width = p1 - p0;
          return draw_uniform<T>(out, seed, base,
                                 [&](double u, double, int) { return p0 + u * width; });
        }
        case RandomOp::Normal:
          // Box-Muller on the pair (u, partner): even lanes take the cosine, odd ones the sine.
          return draw_uniform<T>(out, seed, base, [&](double u, double w, int j) {
            const bool even = (j & 1) == 0;
            const double u1 = 1.0 - (even ? u : w), u2 = even ? w : u;
            double z0, z1;
            box_muller(u1, u2, z0, z1);
            return p0 + p1 * (even ? z0 : z1);
          });
        case RandomOp::Exponential:
          return draw_uniform<T>(out, seed, base,
                                 [&](double u, double, int) { return -std::log1p(-u) / p0; });
        default:
          break;
      }
    }
    EMBER_FAIL(EMBER_ERROR_INTERNAL, "random kernel: op ", static_cast<int>(op),
               " is not defined for ", dtype_name(out->dtype()));
  });
}

// Fisher-Yates from the top: step i swaps position i with one drawn from [0, i] using counter
// base + i; sequential, so independent of threads.
void randperm_kernel(const Tensor& out, uint64_t seed, uint64_t base) {
  const int64_t n = out->numel();
  std::vector<int64_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), int64_t{0});
  for (int64_t i = n - 1; i > 0; --i) {
    const Philox4 r = philox4x32(seed, base + static_cast<uint64_t>(i));
    const int64_t j = static_cast<int64_t>(bits64(r.v[0], r.v[1]) % static_cast<uint64_t>(i + 1));
    std::swap(perm[i], perm[j]);
  }
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out->data_as<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = cast<T>(perm[i]);
  });
}

// With replacement: inverse-CDF sampling, one counter per draw. Without: Efraimidis-Spirakis, one
// counter per category: the n categories with the largest u^(1/w) (compared as log(u) / w), in
// decreasing order, are a weighted sample without replacement.
void multinomial_kernel(const Tensor& out, const Tensor& probs, bool replacement, uint64_t seed,
                        uint64_t base, uint64_t counters_per_row) {
  const int64_t k = probs->size(probs->dim() - 1);
  const int64_t rows = probs->numel() / k;
  const int64_t n = out->size(out->dim() - 1);
  const double* w = probs->data_as<double>();
  int64_t* o = out->data_as<int64_t>();
  parallel_for(0, rows, 1, [&](int64_t r0, int64_t r1) {
    std::vector<double> cdf(static_cast<size_t>(k));
    std::vector<std::pair<double, int64_t>> keys(static_cast<size_t>(k));
    for (int64_t r = r0; r < r1; ++r) {
      const double* row = w + r * k;
      const uint64_t first = base + static_cast<uint64_t>(r) * counters_per_row;
      if (replacement) {
        std::partial_sum(row, row + k, cdf.begin());
        const double total = cdf[k - 1];
        for (int64_t s = 0; s < n; ++s) {
          const Philox4 q = philox4x32(seed, first + static_cast<uint64_t>(s));
          const double u = uniform53(q.v[0], q.v[1]) * total;
          // The first category whose cumulative weight exceeds u (never one of weight 0).
          int64_t c = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
          c = std::min(c, k - 1);
          while (row[c] == 0 && c > 0) --c;
          o[r * n + s] = c;
        }
      } else {
        for (int64_t c = 0; c < k; ++c) {
          const Philox4 q = philox4x32(seed, first + static_cast<uint64_t>(c));
          const double u = 1.0 - uniform53(q.v[0], q.v[1]);  // in (0, 1]
          keys[c] = {row[c] > 0 ? std::log(u) / row[c] : -std::numeric_limits<double>::infinity(),
                     c};
        }
        std::partial_sort(keys.begin(), keys.begin() + n, keys.end(),
                          [](const auto& a, const auto& b) {
                            return a.first > b.first || (a.first == b.first && a.second < b.second);
                          });
        for (int64_t s = 0; s < n; ++s) o[r * n + s] = keys[s].second;
      }
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(rand_stub, DeviceType::CPU, rand_kernel);
EMBER_REGISTER_KERNEL(randn_stub, DeviceType::CPU, randn_kernel);
EMBER_REGISTER_KERNEL(random_ex_stub, DeviceType::CPU, random_ex_kernel);
EMBER_REGISTER_KERNEL(randperm_stub, DeviceType::CPU, randperm_kernel);
EMBER_REGISTER_KERNEL(multinomial_stub, DeviceType::CPU, multinomial_kernel);

}  // namespace ember::cpu
