#include "dtype.h"

#include <cmath>

namespace ember {

namespace {

uint32_t float_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

float bits_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace

Half::Half(float f) {
  const uint32_t u = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7fffffffu;
  if (a > 0x7f800000u) {  // NaN stays a (quiet) NaN
    bits = sign | 0x7e00u;
  } else if (a >= 0x477ff000u) {  // 65520 and above round to infinity (inf included)
    bits = sign | 0x7c00u;
  } else if (a < 0x38800000u) {
    // Below 2^-14 the result is subnormal: adding 0.5 lines the half's ulp (2^-24) up with the
    // float's ulp at 0.5, so the float adder does the round-to-nearest-even for us.
    const float shifted = bits_float(a) + 0.5f;
    bits = sign | static_cast<uint16_t>(float_bits(shifted) - 0x3f000000u);
  } else {
    // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to even.
    const uint32_t odd = (a >> 13) & 1u;
    const uint32_t r = a + 0xc8000fffu + odd;  // 0xc8000000 = (15 - 127) << 23, mod 2^32
    bits = sign | static_cast<uint16_t>(r >> 13);
  }
}

Half::operator float() const {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exp = (bits >> 10) & 0x1fu;
  const uint32_t mant = bits & 0x3ffu;
  if (exp == 0x1f) return bits_float(sign | 0x7f800000u | (mant << 13));  // inf, NaN
  if (exp == 0) {
    // Zero or subnormal: mant * 2^-24 is exact in float.
    const float mag = std::ldexp(static_cast<float>(mant), -24);
    return bits_float(sign | float_bits(mag));
  }
  return bits_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

bool is_valid_dtype(int32_t code) {
  switch (code) {
    case EMBER_UINT8:
    case EMBER_INT8:
    case EMBER_INT16:
    case EMBER_INT32:
    case EMBER_INT64:
    case EMBER_FLOAT16:
    case EMBER_FLOAT32:
    case EMBER_FLOAT64:
    case EMBER_BOOL:
    case EMBER_BFLOAT16:
      return true;
    default:
      return false;
  }
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::UInt8:
      return "uint8";
    case DType::Int8:
      return "int8";
    case DType::Int16:
      return "int16";
    case DType::Int32:
      return "int32";
    case DType::Int64:
      return "int64";
    case DType::Float16:
      return "float16";
    case DType::Float32:
      return "float32";
    case DType::Float64:
      return "float64";
    case DType::Bool:
      return "bool";
    case DType::BFloat16:
      return "bfloat16";
  }
  return "invalid";
}

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::Bool) return b;
  if (b == DType::Bool) return a;
  const bool fa = is_floating(a), fb = is_floating(b);
  if (fa != fb) return fa ? a : b;  // a float wins over any integer
  if (fa) {
    // The two 16-bit floats cannot hold each other's values: meet in float32.
    if (element_size(a) == 2 && element_size(b) == 2) return DType::Float32;
    return element_size(a) > element_size(b) ? a : b;
  }
  // Two integer types. uint8 meets a signed type: int8 needs int16 to hold both ranges; any wider
  // signed type already holds uint8.
  if (a == DType::UInt8 || b == DType::UInt8) {
    const DType other = a == DType::UInt8 ? b : a;
    return other == DType::Int8 ? DType::Int16 : other;
  }
  return element_size(a) > element_size(b) ? a : b;
}

}  // namespace ember
