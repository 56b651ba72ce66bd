// Random numbers: Philox4x32-10 against Random123's published known answers, generator state, and
// random tensors that do not depend on the thread count.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

TEST(Philox, Random123KnownAnswers) {
  struct Case {
    uint32_t ctr[4], key[2], out[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
       {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
       {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Case& c : cases) {
    const Philox4 r = philox4x32_10(c.ctr, c.key);
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(r.v[i], c.out[i]) << std::hex << c.ctr[0] << " word " << i;
  }
  const Philox4 zero = philox4x32(0, 0);
  EXPECT_EQ(zero.v[0], 0x6627e8d5u);
  EXPECT_EQ(zero.v[3], 0x9b00dbd8u);
}

TEST(Philox, SeedAndCounterLayout) {
  const uint64_t seed = 0x299f31d0a4093822ull, counter = 0x85a308d3243f6a88ull;
  const uint32_t ctr[4] = {0x243f6a88, 0x85a308d3, 0, 0}, key[2] = {0xa4093822, 0x299f31d0};
  const Philox4 a = philox4x32(seed, counter), b = philox4x32_10(ctr, key);
  EXPECT_EQ(std::memcmp(a.v, b.v, sizeof a.v), 0);
  EXPECT_NE(philox4x32(1, 0).v[0], philox4x32(0, 0).v[0]);
  EXPECT_NE(philox4x32(0, 1).v[0], philox4x32(0, 0).v[0]);
  EXPECT_NE(philox4x32(0, uint64_t{1} << 32).v[0], philox4x32(0, 0).v[0]);
}

TEST(Generator, ReserveAndReseed) {
  Generator g(42);
  EXPECT_EQ(g.seed(), 42u);
  EXPECT_EQ(g.reserve(10), 0u);
  EXPECT_EQ(g.reserve(5), 10u);
  EXPECT_EQ(g.reserve(0), 15u);
  EXPECT_EQ(g.reserve(1), 15u);
  g.manual_seed(7);
  EXPECT_EQ(g.seed(), 7u);
  EXPECT_EQ(g.reserve(3), 0u);
  EXPECT_EQ(default_generator().seed() != 0, true);
}

TEST(Generator, ConcurrentReservationsAreDisjoint) {
  Generator g(1);
  std::vector<std::vector<uint64_t>> firsts(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 1000; ++k) firsts[static_cast<size_t>(t)].push_back(g.reserve(3));
    });
  }
  for (std::thread& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& v : firsts) all.insert(v.begin(), v.end());
  ASSERT_EQ(all.size(), 4000u);
  uint64_t expected = 0;
  for (uint64_t f : all) {
    EXPECT_EQ(f, expected);
    expected += 3;
  }
}

std::vector<char> bytes_of(const Tensor& t) {
  const char* p = static_cast<const char*>(t->data());
  return {p, p + t->numel() * element_size(t->dtype())};
}

// Random tensors are a function of (seed, draw order) only: the same with 1, 2 or 3 threads.
TEST(Generator, RandomTensorsIndependentOfThreadCount) {
  const int saved = num_threads();
  const DimVector sizes{257, 1031};  // large enough to be split across threads
  for (DType dtype : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    std::vector<std::vector<char>> results;
    for (int threads : {1, 2, 3}) {
      set_num_threads(threads);
      Generator g(1234);
      Tensor u = ops::rand(sizes, dtype, Device{}, g);
      Tensor n = ops::randn(sizes, dtype, Device{}, g);
      std::vector<char> both = bytes_of(u);
      const std::vector<char> nb = bytes_of(n);
      both.insert(both.end(), nb.begin(), nb.end());
      results.push_back(std::move(both));
    }
    EXPECT_EQ(results[0], results[1]) << dtype_name(dtype);
    EXPECT_EQ(results[0], results[2]) << dtype_name(dtype);
  }
  set_num_threads(saved);
}

TEST(Generator, SeedsGiveReproducibleDistinctStreams) {
  Generator a(5), b(5), c(6);
  const DimVector sizes{1000};
  Tensor x = ops::rand(sizes, DType::Float32, Device{}, a);
  Tensor y = ops::rand(sizes, DType::Float32, Device{}, b);
  Tensor z = ops::rand(sizes, DType::Float32, Device{}, c);
  Tensor x2 = ops::rand(sizes, DType::Float32, Device{}, a);  // the next draw differs
  EXPECT_EQ(bytes_of(x), bytes_of(y));
  EXPECT_NE(bytes_of(x), bytes_of(z));
  EXPECT_NE(bytes_of(x), bytes_of(x2));
  for (int64_t i = 0; i < 1000; ++i) {
    const float v = x->data_as<float>()[i];
    ASSERT_TRUE(v >= 0.0f && v < 1.0f) << v;
  }
  a.manual_seed(5);
  EXPECT_EQ(bytes_of(ops::rand(sizes, DType::Float32, Device{}, a)), bytes_of(x));
}

}  // namespace
}  // namespace ember
