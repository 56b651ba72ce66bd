// Element types, their C++ representations and PyTorch's type-promotion rules.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ember/core.h"

namespace ember {

enum class DType : int32_t {
  UInt8 = EMBER_UINT8,
  Int8 = EMBER_INT8,
  Int16 = EMBER_INT16,
  Int32 = EMBER_INT32,
  Int64 = EMBER_INT64,
  Float16 = EMBER_FLOAT16,
  Float32 = EMBER_FLOAT32,
  Float64 = EMBER_FLOAT64,
  Bool = EMBER_BOOL,
  BFloat16 = EMBER_BFLOAT16,
};

// IEEE binary16, stored as bits; arithmetic happens in float.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f);  // round to nearest even
  operator float() const;
};

// bfloat16: the top 16 bits of a float32; arithmetic happens in float.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      bits = static_cast<uint16_t>((u >> 16) | 0x40);  // keep NaN a NaN
    } else {
      u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
      bits = static_cast<uint16_t>(u >> 16);
    }
  }
  operator float() const {
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

bool is_valid_dtype(int32_t code);
const char* dtype_name(DType t);  // "float32", "int64", ... as PyTorch prints them
inline int64_t element_size(DType t) {
  switch (t) {
    case DType::UInt8:
    case DType::Int8:
    case DType::Bool:
      return 1;
    case DType::Int16:
    case DType::Float16:
    case DType::BFloat16:
      return 2;
    case DType::Int32:
    case DType::Float32:
      return 4;
    case DType::Int64:
    case DType::Float64:
      return 8;
  }
  return 0;
}
inline bool is_floating(DType t) {
  return t == DType::Float16 || t == DType::Float32 || t == DType::Float64 || t == DType::BFloat16;
}
inline bool is_integral(DType t, bool include_bool) {
  return !is_floating(t) && (include_bool || t != DType::Bool);
}
// torch.promote_types.
DType promote_types(DType a, DType b);
// The dtype floating results take when inputs are integral (torch.get_default_dtype()).
inline constexpr DType kDefaultFloat = DType::Float32;

template <class T>
struct CppTypeTag {
  using type = T;
};

// Calls fn(CppTypeTag<T>{}) with T the C++ type of dtype t:
//   dispatch_dtype(t, [&](auto tag) { using T = typename decltype(tag)::type; ... });
template <class F>
decltype(auto) dispatch_dtype(DType t, F&& fn) {
  switch (t) {
    case DType::UInt8: return fn(CppTypeTag<uint8_t>{});
    case DType::Int8: return fn(CppTypeTag<int8_t>{});
    case DType::Int16: return fn(CppTypeTag<int16_t>{});
    case DType::Int32: return fn(CppTypeTag<int32_t>{});
    case DType::Int64: return fn(CppTypeTag<int64_t>{});
    case DType::Float16: return fn(CppTypeTag<Half>{});
    case DType::Float32: return fn(CppTypeTag<float>{});
    case DType::Float64: return fn(CppTypeTag<double>{});
    case DType::Bool: return fn(CppTypeTag<bool>{});
    case DType::BFloat16: return fn(CppTypeTag<BFloat16>{});
  }
  return fn(CppTypeTag<float>{});  // unreachable: dtypes are validated at the C ABI
}

// The type arithmetic on T is done in: float for the 16-bit floats, T otherwise.
template <class T>
using compute_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

}  // namespace ember
