// Meta functions of the random ops (ops_math.h): argument checks, counter reservation on the
// generator, then the device's kernel. Value k of a fill comes from Philox counter base + k / per,
// so the results never depend on the number of threads.
#include <cmath>
#include <limits>

#include "dispatch.h"
#include "error.h"
#include "meta.h"
#include "nn_ops.h"
#include "ops.h"
#include "ops_math.h"

namespace ember {

constinit DispatchStub<RandomExFn> random_ex_stub("random_ex");
constinit DispatchStub<RandpermFn> randperm_stub("randperm");
constinit DispatchStub<MultinomialFn> multinomial_stub("multinomial");

namespace ops {

namespace {

int64_t values_per_counter(RandomOp op, DType dtype) {
  switch (op) {
    case RandomOp::RandInt:
      return 2;  // 64 random bits per value
    case RandomOp::Bernoulli:
      return 4;  // 32 bits per value
    default:
      return random_values_per_counter(dtype);
  }
}

// Fills t (any layout) through a contiguous buffer when t is not contiguous.
void fill_random(const char* name, RandomOp op, const Tensor& t, Scalar a, Scalar b,
                 Generator& gen) {
  meta::check_no_internal_overlap(name, t);
  if (t->numel() > 0) {
    const int64_t per = values_per_counter(op, t->dtype());
    const uint64_t counters = static_cast<uint64_t>((t->numel() + per - 1) / per);
    const uint64_t seed = gen.seed();
    const uint64_t base = gen.reserve(counters);
    if (t->is_contiguous()) {
      random_ex_stub(name, t->device(), op, t, seed, base, a, b);
    } else {
      Tensor tmp = empty(t->sizes(), t->dtype(), t->device());
      random_ex_stub(name, t->device(), op, tmp, seed, base, a, b);
      copy_stub(name, t->device(), t, tmp);
    }
  }
  t->storage()->bump_version();
}

void check_float(const char* name, const Tensor& t) {
  EMBER_CHECK(is_floating(t->dtype()), EMBER_ERROR_DTYPE, name,
              ": expected a floating tensor, got ", meta::describe(t));
}

void check_sizes(const char* name, const DimVector& sizes) {
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, EMBER_ERROR_INVALID_ARGUMENT, name,
                ": trying to create tensor with negative dimension ", s, ": ", sizes);
  }
}

// min and max of t as doubles (t is non-empty and floating).
std::pair<double, double> range_of(const Tensor& t) {
  const Tensor lo = to_device(to_dtype(amin(t, {}, false), DType::Float64), Device{});
  const Tensor hi = to_device(to_dtype(amax(t, {}, false), DType::Float64), Device{});
  return {*lo->data_as<double>(), *hi->data_as<double>()};
}

}  // namespace

Tensor randint(int64_t low, int64_t high, const DimVector& sizes, DType dtype, Device device,
               Generator& gen) {
  const char* name = "randint";
  check_sizes(name, sizes);
  EMBER_CHECK(low < high, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
  EMBER_CHECK(dtype != DType::Bool || (low >= 0 && high <= 2), EMBER_ERROR_INVALID_ARGUMENT, name,
              ": bool results need 0 <= low < high <= 2, got [", low, ", ", high, ")");
  Tensor out = empty(sizes, dtype, device);
  fill_random(name, RandomOp::RandInt, out, Scalar::from_int(low), Scalar::from_int(high), gen);
  return out;
}

Tensor randperm(int64_t n, DType dtype, Device device, Generator& gen) {
  const char* name = "randperm";
  EMBER_CHECK(n >= 0, EMBER_ERROR_INVALID_ARGUMENT, name, ": n must be non-negative, got ", n);
  EMBER_CHECK(dtype != DType::Bool, EMBER_ERROR_DTYPE, name, ": not implemented for bool");
  // Every value must be exact in dtype.
  const double limit = dtype == DType::Float16    ? 2048.0
                       : dtype == DType::BFloat16 ? 256.0
                       : dtype == DType::Float32  ? 16777216.0
                       : dtype == DType::UInt8    ? 256.0
                       : dtype == DType::Int8     ? 128.0
                       : dtype == DType::Int16    ? 32768.0
                       : dtype == DType::Int32    ? 2147483648.0
                                                  : 9.2e18;
  EMBER_CHECK(static_cast<double>(n) <= limit, EMBER_ERROR_INVALID_ARGUMENT, name, ": n = ", n,
              " is too large for result dtype ", dtype_name(dtype));
  // Drawn on the host for every device, then moved: a permutation is a sequential shuffle, and the
  // GPU then gets the CPU's exact permutation for the same seed.
  Tensor out = empty(DimVector{n}, dtype, Device{});
  if (n > 0) {
    const uint64_t seed = gen.seed();
    const uint64_t base = gen.reserve(static_cast<uint64_t>(n));
    randperm_stub(name, Device{}, out, seed, base);
  }
  return device.type == DeviceType::CPU ? out : to_device(out, device);
}

Tensor bernoulli(const Tensor& p, Generator& gen) {
  const char* name = "bernoulli";
  check_float(name, p);
  Tensor out = empty(p->sizes(), p->dtype(), p->device());
  if (out->numel() == 0) return out;
  const auto [lo, hi] = range_of(p);
  EMBER_CHECK(lo >= 0 && hi <= 1, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": probabilities must be in [0, 1], got values in [", lo, ", ", hi, "] (",
              meta::describe(p), ")");
  // u < p with u uniform in [0, 1) in float64: 1 with probability p.
  Tensor u = empty(p->sizes(), DType::Float64, p->device());
  fill_random(name, RandomOp::Uniform, u, Scalar::from_float(0), Scalar::from_float(1), gen);
  return to_dtype(compare(CompareOp::Lt, u, p), p->dtype());
}

void bernoulli_(const Tensor& t, double p, Generator& gen) {
  EMBER_CHECK(p >= 0 && p <= 1, EMBER_ERROR_INVALID_ARGUMENT,
              "bernoulli_: expects p to be in [0, 1], but got p=", p);
  fill_random("bernoulli_", RandomOp::Bernoulli, t, Scalar::from_float(p), Scalar{}, gen);
}

Tensor multinomial(const Tensor& probs, int64_t n, bool replacement, Generator& gen) {
  const char* name = "multinomial";
  check_float(name, probs);
  EMBER_CHECK(probs->dim() == 1 || probs->dim() == 2, EMBER_ERROR_SHAPE, name,
              ": prob_dist must be 1 or 2 dim, got ", meta::describe(probs));
  const int64_t k = probs->size(probs->dim() - 1);
  const int64_t rows = probs->dim() == 2 ? probs->size(0) : 1;
  EMBER_CHECK(k > 0, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": prob_dist must have at least one category, got ", meta::describe(probs));
  EMBER_CHECK(n > 0, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": cannot sample n_sample <= 0 samples, got ", n);
  EMBER_CHECK(replacement || n <= k, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": cannot sample n_sample > prob_dist.size(-1) samples without replacement (", n,
              " > ", k, ")");
  const DimVector out_shape = probs->dim() == 2 ? DimVector{rows, n} : DimVector{n};
  // The weights are checked and the draws made on the host for every device (the checks read every
  // weight, and the GPU then draws the CPU's samples for the same seed); the result is moved back.
  const Device device = probs->device();
  Tensor out = empty(out_shape, DType::Int64, Device{});
  if (rows == 0) return device.type == DeviceType::CPU ? out : to_device(out, device);
  const Tensor w = contiguous(to_dtype(to_device(probs, Device{}), DType::Float64));
  // Each row needs non-negative finite weights with a positive sum, and without replacement at
  // least n categories that can be drawn.
  const double* wp = w->data_as<double>();
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t positive = 0;
    for (int64_t j = 0; j < k; ++j) {
      const double v = wp[r * k + j];
      EMBER_CHECK(std::isfinite(v) && v >= 0, EMBER_ERROR_INVALID_ARGUMENT, name,
                  ": probability tensor contains either inf, nan or element < 0 (row ", r,
                  ", category ", j, " is ", v, ")");
      total += v;
      positive += v > 0;
    }
    EMBER_CHECK(total > 0, EMBER_ERROR_INVALID_ARGUMENT, name,
                ": invalid multinomial distribution (sum of probabilities <= 0) in row ", r);
    EMBER_CHECK(replacement || positive >= n, EMBER_ERROR_INVALID_ARGUMENT, name,
                ": invalid multinomial distribution (with replacement=False, not enough "
                "non-negative category to sample) in row ",
                r, ": ", positive, " < ", n);
  }
  const uint64_t per_row = static_cast<uint64_t>(replacement ? n : k);
  const uint64_t seed = gen.seed();
  const uint64_t base = gen.reserve(per_row * static_cast<uint64_t>(rows));
  multinomial_stub(name, Device{}, out, w, replacement, seed, base, per_row);
  return device.type == DeviceType::CPU ? out : to_device(out, device);
}

Tensor normal(const Tensor& mean, const Tensor& std, Generator& gen) {
  const char* name = "normal";
  meta::check_same_device(name, mean, std);
  const DType dtype = meta::ResultType().add(mean).add(std).get();
  EMBER_CHECK(is_floating(dtype), EMBER_ERROR_DTYPE, name, ": expected floating mean and std, got ",
              meta::describe(mean), " and ", meta::describe(std));
  Tensor out = empty(meta::broadcast_shapes(name, mean, std), dtype, mean->device());
  if (out->numel() == 0) return out;
  if (std->numel() > 0) {
    const double lo = range_of(is_floating(std->dtype()) ? std : to_dtype(std, dtype)).first;
    EMBER_CHECK(lo >= 0, EMBER_ERROR_INVALID_ARGUMENT, name,
                ": normal expects all elements of std >= 0.0, got ", lo);
  }
  fill_random(name, RandomOp::Normal, out, Scalar::from_float(0), Scalar::from_float(1), gen);
  binary_(BinaryOp::Mul, out, std);
  binary_(BinaryOp::Add, out, mean);
  return out;
}

void uniform_(const Tensor& t, double from, double to, Generator& gen) {
  const char* name = "uniform_";
  check_float(name, t);
  EMBER_CHECK(from <= to, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": expects from <= to, got from=", from, " > to=", to);
  fill_random(name, RandomOp::Uniform, t, Scalar::from_float(from), Scalar::from_float(to), gen);
}

void normal_(const Tensor& t, double mean, double std, Generator& gen) {
  const char* name = "normal_";
  check_float(name, t);
  EMBER_CHECK(std >= 0, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": normal expects std >= 0.0, but found std ", std);
  fill_random(name, RandomOp::Normal, t, Scalar::from_float(mean), Scalar::from_float(std), gen);
}

void exponential_(const Tensor& t, double lambd, Generator& gen) {
  const char* name = "exponential_";
  check_float(name, t);
  EMBER_CHECK(lambd > 0, EMBER_ERROR_INVALID_ARGUMENT, name,
              ": expects lambda > 0.0, but found lambda=", lambd);
  fill_random(name, RandomOp::Exponential, t, Scalar::from_float(lambd), Scalar{}, gen);
}

}  // namespace ops
}  // namespace ember
