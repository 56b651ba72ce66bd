// C ABI: F.interpolate forward and backward (ember/interpolate.h).
#include "ember/interpolate.h"

#include <span>

#include "core/nn_interpolate.h"
#include "shim.h"

using namespace ember;
using capi::In;

namespace {

std::span<const int64_t> sizes_arg(const char* op, const int64_t* p, int32_t n, int32_t lo,
                                   int32_t hi, const char* what) {
  EMBER_CHECK(n >= lo && n <= hi, EMBER_ERROR_INVALID_ARGUMENT, op, ": expected ", lo, " to ", hi,
              " entries in ", what, ", got ", n);
  EMBER_CHECK(p != nullptr, EMBER_ERROR_INVALID_ARGUMENT, op, ": ", what, " is NULL");
  return {p, static_cast<std::size_t>(n)};
}

std::span<const double> scales_arg(const double* p, int32_t dims) {
  return p ? std::span<const double>(p, static_cast<std::size_t>(dims)) : std::span<const double>();
}

}  // namespace

EMBER_API ember_status ember_interpolate(ember_tensor x, int32_t mode, const int64_t* output_size,
                                         const double* scales, int32_t dims, int32_t align_corners,
                                         ember_tensor* out) {
  return capi::make("interpolate", out, [&](const char* op) {
    return ops::interpolate(In(op, x), static_cast<ops::InterpolateMode>(mode),
                            sizes_arg(op, output_size, dims, 1, 3, "output_size"),
                            scales_arg(scales, dims), align_corners != 0);
  });
}

EMBER_API ember_status ember_interpolate_backward(ember_tensor grad_out, const int64_t* input_size,
                                                  int32_t input_dims, int32_t mode,
                                                  const double* scales, int32_t align_corners,
                                                  ember_tensor* grad_x) {
  return capi::make("interpolate_backward", grad_x, [&](const char* op) {
    return ops::interpolate_backward(In(op, grad_out),
                                     sizes_arg(op, input_size, input_dims, 3, 5, "input_size"),
                                     static_cast<ops::InterpolateMode>(mode),
                                     scales_arg(scales, input_dims - 2), align_corners != 0);
  });
}
