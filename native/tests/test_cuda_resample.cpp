// The CUDA plugin's interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear;
// align_corners; explicit scale factors) and its backward against the CPU backend, in every
// floating dtype, up- and downsampling with odd sizes, on contiguous and strided inputs. Skips
// without the plugin (see cuda_test_util.h).
#include <string>
#include <utility>
#include <vector>

#include "core/nn_interpolate.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;
using ops::InterpolateMode;

struct ResampleCase {
  DimVector x;                 // (N, C, *spatial)
  std::vector<int64_t> out;    // output spatial sizes
  std::vector<double> scales;  // empty: sizes only
};

const char* mode_name(InterpolateMode m) {
  switch (m) {
    case InterpolateMode::Nearest:
      return "nearest";
    case InterpolateMode::NearestExact:
      return "nearest-exact";
    case InterpolateMode::Linear:
      return "linear";
    case InterpolateMode::Cubic:
      return "cubic";
  }
  return "?";
}

std::string describe(const ResampleCase& c, InterpolateMode m, bool align, DType t, bool strided) {
  std::string s = mode_name(m);
  if (align) s += " align_corners";
  s += ' ';
  s += dtype_name(t);
  if (strided) s += " strided";
  s += ", " + std::to_string(c.x.size()) + "-d input to";
  for (int64_t o : c.out) s += ' ' + std::to_string(o);
  for (double f : c.scales) s += " scale " + std::to_string(f);
  return s;
}

// Up, down, identity and size-1 dims; 2x (the nearest shortcut); scale factors whose inverse is
// not out / in.
const ResampleCase kCases[] = {
    {{2, 3, 7}, {13}, {}},
    {{2, 3, 7}, {5}, {}},
    {{2, 3, 7}, {14}, {}},
    {{1, 2, 9}, {4}, {0.5}},
    {{2, 3, 5, 6}, {9, 4}, {}},
    {{2, 3, 5, 6}, {10, 12}, {}},
    {{1, 2, 5, 6}, {5, 11}, {}},
    {{1, 2, 3, 4}, {1, 1}, {}},
    {{2, 2, 5, 6}, {8, 3}, {1.7, 0.6}},
    {{1, 3, 11, 9}, {4, 20}, {}},
    {{2, 4, 31, 27}, {64, 50}, {}},
    {{1, 2, 3, 4, 5}, {5, 3, 8}, {}},
    {{2, 1, 4, 3, 6}, {4, 7, 2}, {}},
    {{1, 2, 3, 4, 5}, {6, 6, 7}, {2.0, 1.5, 1.5}},
};

// x as a strided view on both devices when asked (the last two dims stored swapped).
std::pair<Tensor, Tensor> input(const DimVector& sizes, DType t, bool strided) {
  if (!strided) {
    const Tensor x = random_cpu(sizes, t);
    return {x, on_cuda(x)};
  }
  DimVector stored = sizes;
  std::swap(stored[stored.size() - 1], stored[stored.size() - 2]);
  const Tensor base = random_cpu(stored, t);
  const int64_t d = static_cast<int64_t>(sizes.size());
  return {ops::transpose(base, d - 2, d - 1), ops::transpose(on_cuda(base), d - 2, d - 1)};
}

void check(InterpolateMode mode, bool align, DType t, bool strided, const ResampleCase& c) {
  const std::string what = describe(c, mode, align, t, strided);
  const auto [x, xg] = input(c.x, t, strided);
  const std::span<const int64_t> size(c.out.data(), c.out.size());
  const std::span<const double> scales(c.scales.data(), c.scales.size());
  const Tensor y = ops::interpolate(x, mode, size, scales, align);
  expect_same(y, ops::interpolate(xg, mode, size, scales, align), "interpolate " + what);
  const auto [gy, gyg] = input(y->sizes(), t, strided);
  const DimVector& in = c.x;
  const std::span<const int64_t> in_size(in.data(), static_cast<std::size_t>(in.size()));
  // Each input gradient sums the output gradients its taps feed; bicubic weights have both signs.
  expect_same_sums(ops::interpolate_backward(gy, in_size, mode, scales, align),
                   ops::interpolate_backward(gyg, in_size, mode, scales, align),
                   "interpolate_backward " + what, tolerance(t));
}

void check_mode(InterpolateMode mode, bool align) {
  for (DType t : kFloats) {
    for (const ResampleCase& c : kCases) {
      if (mode == InterpolateMode::Cubic && c.x.size() != 4) continue;
      for (bool strided : {false, true}) {
        check(mode, align, t, strided, c);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(CudaResample, NearestMatchesTheCpu) {
  REQUIRE_CUDA();
  check_mode(InterpolateMode::Nearest, false);
}

TEST(CudaResample, NearestExactMatchesTheCpu) {
  REQUIRE_CUDA();
  check_mode(InterpolateMode::NearestExact, false);
}

TEST(CudaResample, LinearMatchesTheCpu) {
  REQUIRE_CUDA();
  check_mode(InterpolateMode::Linear, false);
  check_mode(InterpolateMode::Linear, true);
}

TEST(CudaResample, BicubicMatchesTheCpu) {
  REQUIRE_CUDA();
  check_mode(InterpolateMode::Cubic, false);
  check_mode(InterpolateMode::Cubic, true);
}

// Infinities propagate through the same taps on both devices (a 0-weight tap of an infinite
// input gives NaN on both, opposite infinities from negative bicubic weights too).
TEST(CudaResample, NonFiniteInputsPropagateAlike) {
  REQUIRE_CUDA();
  const Tensor x = random_cpu({1, 2, 6, 5}, DType::Float32);
  ops::fill_(ops::slice(ops::select(ops::select(ops::select(x, 0, 0), 0, 0), 0, 2), 0, 1, 2, 1),
             Scalar::from_float(INFINITY));
  const std::vector<int64_t> out{11, 9};
  const std::span<const int64_t> size(out.data(), out.size());
  for (InterpolateMode m :
       {InterpolateMode::Nearest, InterpolateMode::Linear, InterpolateMode::Cubic}) {
    const std::vector<double> a = values(ops::interpolate(x, m, size, {}, false));
    const std::vector<double> b = values(ops::interpolate(on_cuda(x), m, size, {}, false));
    ASSERT_EQ(a.size(), b.size());
    int non_finite = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (std::isfinite(a[i])) {
        EXPECT_NEAR(b[i], a[i], 2e-5 * (1 + std::abs(a[i]))) << mode_name(m) << " at " << i;
        continue;
      }
      ++non_finite;
      if (std::isnan(a[i])) {
        EXPECT_TRUE(std::isnan(b[i])) << mode_name(m) << " at " << i;
      } else {
        EXPECT_EQ(b[i], a[i]) << mode_name(m) << " at " << i;
      }
    }
    EXPECT_GT(non_finite, 0) << mode_name(m) << ": the infinity reaches the output";
  }
}

}  // namespace
}  // namespace ember
