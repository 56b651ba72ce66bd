// dtypes: names and sizes, promotion against PyTorch's table, float16/bfloat16 conversions.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <string>

#include "core/dtype.h"

namespace ember {
namespace {

constexpr DType kAll[] = {DType::UInt8, DType::Int8,    DType::Int16,   DType::Int32,
                          DType::Int64, DType::Float16, DType::Float32, DType::Float64,
                          DType::Bool,  DType::BFloat16};

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
float half_to_float(uint16_t h) {
  Half x;
  x.bits = h;
  return static_cast<float>(x);
}

TEST(DType, NamesSizesAndCodes) {
  const std::map<DType, std::pair<const char*, int64_t>> expected = {
      {DType::UInt8, {"uint8", 1}},     {DType::Int8, {"int8", 1}},
      {DType::Int16, {"int16", 2}},     {DType::Int32, {"int32", 4}},
      {DType::Int64, {"int64", 8}},     {DType::Float16, {"float16", 2}},
      {DType::Float32, {"float32", 4}}, {DType::Float64, {"float64", 8}},
      {DType::Bool, {"bool", 1}},       {DType::BFloat16, {"bfloat16", 2}}};
  for (DType t : kAll) {
    EXPECT_STREQ(dtype_name(t), expected.at(t).first);
    EXPECT_EQ(element_size(t), expected.at(t).second) << dtype_name(t);
    EXPECT_TRUE(is_valid_dtype(static_cast<int32_t>(t)));
  }
  int valid = 0;
  for (int32_t code = -5; code < 40; ++code) valid += is_valid_dtype(code);
  EXPECT_EQ(valid, 10);
  EXPECT_EQ(sizeof(Half), 2u);
  EXPECT_EQ(sizeof(BFloat16), 2u);
}

TEST(DType, PromotionMatchesPyTorch) {
  std::map<std::string, DType> by_name;
  for (DType t : kAll) by_name[dtype_name(t)] = t;
  std::ifstream in(EMBER_TEST_DATA_DIR "/promotion.txt");
  ASSERT_TRUE(in) << "missing " EMBER_TEST_DATA_DIR "/promotion.txt";
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string a, b, r;
    fields >> a >> b >> r;
    ASSERT_TRUE(by_name.count(a) && by_name.count(b) && by_name.count(r)) << line;
    EXPECT_STREQ(dtype_name(promote_types(by_name[a], by_name[b])), r.c_str()) << a << " + " << b;
    ++checked;
  }
  EXPECT_EQ(checked, 100);
}

TEST(Half, KnownBitPatterns) {
  const std::pair<float, uint16_t> cases[] = {
      {0.0f, 0x0000},
      {-0.0f, 0x8000},
      {1.0f, 0x3c00},
      {-2.0f, 0xc000},
      {0.5f, 0x3800},
      {65504.0f, 0x7bff},  // largest finite
      {65519.99f, 0x7bff},
      {65520.0f, 0x7c00},
      {1e6f, 0x7c00},  // rounds to inf
      {-1e6f, 0xfc00},
      {std::ldexp(1.0f, -14), 0x0400},  // smallest normal
      {std::ldexp(1.0f, -24), 0x0001},  // smallest subnormal
      {std::ldexp(1.0f, -25), 0x0000},  // tie to even: 0
      {std::ldexp(3.0f, -25), 0x0002},  // tie to even: 2
      {std::ldexp(1.0f, -26), 0x0000},
      {std::ldexp(1023.0f, -24), 0x03ff},
      {1.0f + std::ldexp(1.0f, -11), 0x3c00},  // tie to even: down
      {1.0f + std::ldexp(3.0f, -11), 0x3c02},  // tie to even: up
      {0.1f, 0x2e66},
      {3.14159265f, 0x4248}};
  for (auto [f, h] : cases) EXPECT_EQ(Half(f).bits, h) << f;
  EXPECT_EQ(Half(std::numeric_limits<float>::infinity()).bits, 0x7c00);
  EXPECT_EQ(Half(-std::numeric_limits<float>::infinity()).bits, 0xfc00);
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(std::nanf("")))));
  EXPECT_TRUE(std::isnan(static_cast<float>(Half(from_bits(0x7f800001u)))));  // signalling NaN
  EXPECT_TRUE(std::signbit(static_cast<float>(Half(-std::nanf("")))));

  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(half_to_float(0x83ff), -std::ldexp(1023.0f, -24));
  EXPECT_EQ(half_to_float(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  EXPECT_TRUE(std::isnan(half_to_float(0x7c01)));
}

// The reference is the CPU's own converter (F16C, round to nearest even); skipped without it.
__attribute__((target("f16c"))) uint16_t hw_float_to_half(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
__attribute__((target("f16c"))) float hw_half_to_float(uint16_t h) { return _cvtsh_ss(h); }

TEST(Half, MatchesHardwareConversion) {
  if (!__builtin_cpu_supports("f16c")) GTEST_SKIP() << "CPU has no F16C to compare with";
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float ours = half_to_float(static_cast<uint16_t>(h)), hw = hw_half_to_float(h);
    if (std::isnan(hw)) {
      ASSERT_TRUE(std::isnan(ours)) << std::hex << h;
    } else {
      ASSERT_EQ(bits(ours), bits(hw)) << std::hex << h;
    }
    // Every half, the exact midpoints to its neighbour (ties) and one float ulp either side.
    const float f = hw;
    if (std::isnan(f) || std::isinf(f)) continue;
    const uint16_t next = static_cast<uint16_t>(h + 1);
    const float g = hw_half_to_float(next);
    if (std::isnan(g)) continue;
    const float mid = static_cast<float>((static_cast<double>(f) + g) / 2);
    for (float x : {f, mid, std::nextafter(mid, -INFINITY), std::nextafter(mid, INFINITY)}) {
      ASSERT_EQ(Half(x).bits, hw_float_to_half(x)) << x;
    }
  }
  // A sweep through all float exponents, NaNs and infinities included.
  for (uint64_t u = 0; u <= 0xffffffffull; u += 65521) {
    const float x = from_bits(static_cast<uint32_t>(u));
    if (std::isnan(x)) {
      EXPECT_TRUE(std::isnan(static_cast<float>(Half(x))));
    } else {
      ASSERT_EQ(Half(x).bits, hw_float_to_half(x)) << std::hex << u;
    }
  }
}

// bfloat16 against rounding computed in double: the nearest multiple of the bfloat16 ulp.
float bf16_reference(float f) {
  if (std::isnan(f) || std::isinf(f) || f == 0) return f;
  int e;
  std::frexp(f, &e);                                          // |f| in [2^(e-1), 2^e)
  const double ulp = std::ldexp(1.0, std::max(e - 8, -133));  // 8 significant bits; subnormals
  const double r = std::nearbyint(static_cast<double>(f) / ulp) * ulp;  // ties to even
  return std::fabs(r) >= 3.4028236692093846e38 ? std::copysign(INFINITY, f) : static_cast<float>(r);
}

TEST(BFloat16, RoundsToNearestEven) {
  EXPECT_EQ(BFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(BFloat16(-2.0f).bits, 0xc000);
  EXPECT_EQ(BFloat16(1.0f + std::ldexp(1.0f, -8)).bits, 0x3f80);        // tie: even, down
  EXPECT_EQ(BFloat16(1.0f + std::ldexp(3.0f, -8)).bits, 0x3f82);        // tie: even, up
  EXPECT_EQ(BFloat16(std::numeric_limits<float>::max()).bits, 0x7f80);  // rounds to inf
  EXPECT_EQ(BFloat16(std::numeric_limits<float>::denorm_min()).bits, 0x0000);
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(from_bits(0x7f800001u)))));
  EXPECT_TRUE(std::isnan(static_cast<float>(BFloat16(from_bits(0xffc00000u)))));
  for (uint64_t u = 0; u <= 0xffffffffull; u += 4099) {
    const float x = from_bits(static_cast<uint32_t>(u));
    const float ours = static_cast<float>(BFloat16(x));
    if (std::isnan(x)) {
      ASSERT_TRUE(std::isnan(ours));
    } else {
      ASSERT_EQ(bits(ours), bits(bf16_reference(x))) << std::hex << u << " " << x;
    }
  }
}

}  // namespace
}  // namespace ember
