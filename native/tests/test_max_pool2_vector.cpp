// max_pool2d with 2x2 windows of stride 2 (the kernel's vector path: 8, then 4, then single
// outputs per row for float; 4, 2, 1 for double), against windows scanned here one element at a
// time with PyTorch's rule: a later element wins when greater or NaN, so ties keep the first.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "core/generator.h"
#include "core/nn_ops.h"
#include "core/ops.h"

namespace ember {
namespace {

template <class T>
void check(const std::string& name, int64_t n, int64_t c, int64_t h, int64_t w, bool ceil_mode) {
  SCOPED_TRACE(name);
  const DType dt = std::is_same_v<T, float> ? DType::Float32 : DType::Float64;
  Generator gen(3);
  // Rounded to a few levels, so windows hold ties; a few NaNs and infinities among them.
  const Tensor r = ops::randn({n, c, h, w}, dt, Device{}, gen);
  T* x = r->data_as<T>();
  const int64_t total = r->numel();
  for (int64_t i = 0; i < total; ++i) x[i] = std::round(x[i] * 2);
  for (int64_t i = 5; i < total; i += 37) x[i] = std::numeric_limits<T>::quiet_NaN();
  for (int64_t i = 11; i < total; i += 53) x[i] = -std::numeric_limits<T>::infinity();
  for (int64_t i = 3; i < total; i += 61) x[i] = std::numeric_limits<T>::infinity();
  ops::Pool2dParams p;
  p.kernel = {2, 2};
  p.stride = {2, 2};
  p.ceil_mode = ceil_mode;
  const auto [y, idx] = ops::max_pool2d(r, p);
  const int64_t ho = y->size(2), wo = y->size(3);
  ASSERT_EQ(ho, ceil_mode ? (h + 1) / 2 : h / 2);
  ASSERT_EQ(wo, ceil_mode ? (w + 1) / 2 : w / 2);
  const T* yp = y->data_as<T>();
  const int64_t* ip = idx->data_as<int64_t>();
  int bad = 0;
  for (int64_t pl = 0; pl < n * c && bad < 5; ++pl) {
    const T* xs = x + pl * h * w;
    for (int64_t a = 0; a < ho; ++a) {
      for (int64_t b = 0; b < wo; ++b) {
        T m = -std::numeric_limits<T>::infinity();
        int64_t best = 2 * a * w + 2 * b;
        for (int64_t ih = 2 * a; ih < std::min(2 * a + 2, h); ++ih) {
          for (int64_t iw = 2 * b; iw < std::min(2 * b + 2, w); ++iw) {
            const T v = xs[ih * w + iw];
            if (v > m || std::isnan(v)) {
              m = v;
              best = ih * w + iw;
            }
          }
        }
        const int64_t q = (pl * ho + a) * wo + b;
        const bool same = std::isnan(m) ? std::isnan(yp[q]) : yp[q] == m;
        if (!same || ip[q] != best) {
          ADD_FAILURE() << "plane " << pl << " output (" << a << ", " << b << "): got " << yp[q]
                        << " at " << ip[q] << ", want " << m << " at " << best;
          ++bad;
        }
      }
    }
  }
}

TEST(MaxPool2Vector, MatchesWindowScans) {
  check<float>("seed_layer1_f32", 3, 10, 24, 24, false);  // 12 wide: 8 + 4
  check<float>("seed_layer2_f32", 3, 20, 8, 8, false);    // 4 wide
  check<float>("odd_sizes_f32", 2, 3, 9, 31, false);      // 15 wide: 8 + 4 + 3, odd rows left out
  check<float>("ceil_mode_f32", 2, 3, 9, 31, true);       // the last windows stick out: scalar path
  check<float>("narrow_f32", 2, 2, 6, 7, false);          // 3 wide: single outputs only
  check<double>("seed_layer1_f64", 2, 4, 24, 24, false);  // 12 wide: 4 + 4 + 4
  check<double>("odd_sizes_f64", 2, 3, 11, 15, false);    // 7 wide: 4 + 2 + 1
}

}  // namespace
}  // namespace ember
