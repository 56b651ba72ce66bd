// Meta functions of the creation ops.
#include <cmath>
#include <limits>

#include "dispatch.h"
#include "error.h"
#include "ops.h"

namespace ember {

constinit DispatchStub<ArangeFn> arange_stub("arange");
constinit DispatchStub<EyeFn> eye_stub("eye");
constinit DispatchStub<RandomFn> rand_stub("rand");
constinit DispatchStub<RandomFn> randn_stub("randn");

namespace ops {

namespace {

void check_sizes(const char* op, const DimVector& sizes) {
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": trying to create tensor with negative dimension ", s, ": ", sizes);
  }
}

Tensor random(const char* op, const DispatchStub<RandomFn>& stub, const DimVector& sizes,
              DType dtype, Device device, Generator& gen) {
  check_sizes(op, sizes);
  EMBER_CHECK(is_floating(dtype), EMBER_ERROR_DTYPE, op, ": expected a floating point dtype, got ",
              dtype_name(dtype));
  Tensor out = empty(sizes, dtype, device);
  if (out->numel() == 0) return out;
  const int64_t per = random_values_per_counter(dtype);
  const uint64_t counters = static_cast<uint64_t>((out->numel() + per - 1) / per);
  const uint64_t seed = gen.seed();
  const uint64_t base = gen.reserve(counters);
  stub(op, device, out, seed, base);
  return out;
}

std::string scalar_text(const Scalar& s) {
  return s.kind == Scalar::Kind::Float ? str(s.f) : str(s.i);
}

}  // namespace

Tensor zeros(const DimVector& sizes, DType dtype, Device device) {
  return full(sizes, Scalar::from_int(0), dtype, device);
}

Tensor full(const DimVector& sizes, Scalar value, DType dtype, Device device) {
  check_sizes("full", sizes);
  Tensor out = empty(sizes, dtype, device);
  if (out->numel() > 0) fill_stub("full", device, out, value);
  return out;
}

Tensor arange(Scalar start, Scalar end, Scalar step, DType dtype, Device device) {
  EMBER_CHECK(dtype != DType::Bool, EMBER_ERROR_DTYPE, "arange: not implemented for bool");
  double n = 0;
  if (is_floating(dtype)) {
    const double b = start.to<double>(), e = end.to<double>(), s = step.to<double>();
    EMBER_CHECK(s != 0, EMBER_ERROR_INVALID_ARGUMENT, "arange: step must be nonzero");
    EMBER_CHECK(std::isfinite(b) && std::isfinite(e), EMBER_ERROR_INVALID_ARGUMENT,
                "arange: unsupported range: ", b, " -> ", e);
    EMBER_CHECK((s > 0 && e >= b) || (s < 0 && e <= b), EMBER_ERROR_INVALID_ARGUMENT,
                "arange: upper bound and lower bound inconsistent with step sign (start ", b,
                ", end ", e, ", step ", s, ")");
    n = std::ceil((e - b) / s);
  } else {
    // Integer ranges take the bounds as integers, as PyTorch does (a step of 0.5 becomes 0).
    for (const Scalar* v : {&start, &end, &step}) {
      EMBER_CHECK(v->kind != Scalar::Kind::Float || std::fabs(v->f) < 0x1p63,
                  EMBER_ERROR_INVALID_ARGUMENT, "arange: unsupported range: ", scalar_text(start),
                  " -> ", scalar_text(end));
    }
    const int64_t b = start.to<int64_t>(), e = end.to<int64_t>(), s = step.to<int64_t>();
    EMBER_CHECK(s != 0, EMBER_ERROR_INVALID_ARGUMENT, "arange: step must be nonzero (step ",
                scalar_text(step), " as ", dtype_name(dtype), ")");
    EMBER_CHECK((s > 0 && e >= b) || (s < 0 && e <= b), EMBER_ERROR_INVALID_ARGUMENT,
                "arange: upper bound and lower bound inconsistent with step sign (start ", b,
                ", end ", e, ", step ", s, ")");
    n = std::ceil((static_cast<double>(e) - static_cast<double>(b)) / static_cast<double>(s));
    start = Scalar::from_int(b);
    step = Scalar::from_int(s);
  }
  EMBER_CHECK(n >= 0 && n < static_cast<double>(std::numeric_limits<int64_t>::max()),
              EMBER_ERROR_INVALID_ARGUMENT, "arange: invalid size ", n, " (start ",
              scalar_text(start), ", end ", scalar_text(end), ", step ", scalar_text(step), ")");
  Tensor out = empty(DimVector{static_cast<int64_t>(n)}, dtype, device);
  if (out->numel() > 0) arange_stub("arange", device, out, start, step);
  return out;
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  EMBER_CHECK(n >= 0, EMBER_ERROR_INVALID_ARGUMENT, "eye: n must be greater or equal to 0, got ",
              n);
  EMBER_CHECK(m >= 0, EMBER_ERROR_INVALID_ARGUMENT, "eye: m must be greater or equal to 0, got ",
              m);
  Tensor out = empty(DimVector{n, m}, dtype, device);
  if (out->numel() > 0) eye_stub("eye", device, out);
  return out;
}

Tensor rand(const DimVector& sizes, DType dtype, Device device, Generator& gen) {
  return random("rand", rand_stub, sizes, dtype, device, gen);
}

Tensor randn(const DimVector& sizes, DType dtype, Device device, Generator& gen) {
  return random("randn", randn_stub, sizes, dtype, device, gen);
}

}  // namespace ops
}  // namespace ember
