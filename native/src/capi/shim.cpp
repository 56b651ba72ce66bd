#include "shim.h"

#include <cmath>
#include <limits>
#include <new>
#include <string>

#include "core/backend.h"

namespace ember::capi {

namespace {

thread_local std::string t_last_error;

ember_status set_error(ember_status status, const char* message) noexcept {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();  // no memory even for the message: the status still tells
  }
  return status;
}

// Float scalars also carry an integer value (as Scalar::from_float); keep it defined for NaN/inf.
int64_t truncate_to_int64(double v) {
  if (std::isnan(v)) return 0;
  if (v >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
  if (v <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}

}  // namespace

const char* last_error() noexcept { return t_last_error.c_str(); }

ember_status handle_exception(const char* op) noexcept {
  try {
    throw;
  } catch (const Error& e) {
    return set_error(e.status(), e.what());
  } catch (const std::bad_alloc&) {
    return set_error(EMBER_ERROR_OUT_OF_MEMORY, str(op, ": out of memory").c_str());
  } catch (const std::exception& e) {
    return set_error(EMBER_ERROR_INTERNAL, str(op, ": internal error: ", e.what()).c_str());
  } catch (...) {
    return set_error(EMBER_ERROR_INTERNAL, str(op, ": internal error (unknown exception)").c_str());
  }
}

void null_argument(const char* op, const char* what) {
  EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op, ": ", what, " is NULL");
}

DType dtype_arg(const char* op, int32_t code) {
  EMBER_CHECK(is_valid_dtype(code), EMBER_ERROR_DTYPE, op, ": invalid dtype code ", code);
  return static_cast<DType>(code);
}

Device device_arg(const char* op, ember_device d) {
  const Device device{static_cast<DeviceType>(d.type), d.index};
  check_device(op, device);
  return device;
}

Scalar scalar_arg(const char* op, ember_scalar s) {
  switch (s.kind) {
    case EMBER_SCALAR_INT:
      return Scalar::from_int(s.i);
    case EMBER_SCALAR_FLOAT:
      return Scalar{s.f, truncate_to_int64(s.f), Scalar::Kind::Float};
    case EMBER_SCALAR_BOOL:
      return Scalar::from_bool(s.i != 0);
    default:
      EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op, ": invalid scalar kind ", s.kind);
  }
}

Generator& generator_arg(ember_generator g) {
  return g ? *reinterpret_cast<Generator*>(g) : default_generator();
}

std::span<const int64_t> shape_arg(const char* op, const int64_t* sizes, int32_t ndim) {
  EMBER_CHECK(ndim >= 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": ndim must be non-negative, got ",
              ndim);
  if (ndim > 0 && sizes == nullptr) null_argument(op, "sizes");
  return {sizes, static_cast<size_t>(ndim)};
}

DimVector sizes_arg(const char* op, const int64_t* sizes, int32_t ndim) {
  DimVector v(shape_arg(op, sizes, ndim));
  for (int64_t s : v) {
    EMBER_CHECK(s >= 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": negative size ", s, " in sizes ", v);
  }
  return v;
}

DimVector dims_arg(const char* op, const int32_t* dims, int32_t ndims) {
  EMBER_CHECK(ndims >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": the number of dims must be non-negative, got ", ndims);
  if (ndims > 0 && dims == nullptr) null_argument(op, "dims");
  DimVector v(ndims);
  for (int32_t i = 0; i < ndims; ++i) v[i] = dims[i];
  return v;
}

}  // namespace ember::capi
