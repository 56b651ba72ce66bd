// conv2d on geometries that the direct kernels take (stride 1 along the width, output rows a
// multiple of the vector width: 8 floats, 4 doubles), checked against the defining sums evaluated
// here in double, one loop per output: padding, a stride along the height, dilation, groups,
// kernels taller than a tile, image counts that leave a partial block, float32 and float64.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/nn_ops.h"
#include "core/ops.h"
#include "core/parallel.h"

namespace ember {
namespace {

struct Geo {
  std::string name;
  DType dtype;
  int64_t n, c, h, w, o, kh, kw, sh, ph, pw, dh, dw, groups;
  int64_t ho() const { return (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1; }
  int64_t wo() const { return w + 2 * pw - dw * (kw - 1); }
  ops::Conv2dParams params() const {
    ops::Conv2dParams p;
    p.stride = {sh, 1};
    p.padding = {ph, pw};
    p.dilation = {dh, dw};
    p.groups = groups;
    return p;
  }
};

std::vector<Geo> geometries() {
  return {
      {"padded_height_stride", DType::Float32, 3, 3, 9, 8, 7, 3, 3, 2, 1, 1, 1, 1, 1},
      {"dilated_groups_short_kernel", DType::Float32, 2, 4, 10, 20, 6, 2, 3, 1, 0, 2, 3, 4, 2},
      {"tall_kernel_partial_block", DType::Float32, 19, 2, 12, 11, 9, 7, 4, 1, 3, 0, 1, 1, 1},
      {"one_row_kernel", DType::Float32, 2, 3, 5, 10, 4, 1, 3, 1, 0, 0, 1, 1, 1},
      {"seed_layer2_f64", DType::Float64, 5, 10, 12, 12, 20, 5, 5, 1, 0, 0, 1, 1, 1},
      {"depthwise_padded_f64", DType::Float64, 3, 4, 6, 8, 8, 3, 3, 1, 1, 1, 1, 1, 4},
      {"narrow_f64", DType::Float64, 2, 1, 4, 6, 3, 3, 3, 1, 0, 0, 1, 1, 1},
  };
}

std::vector<double> values(const Tensor& t) {
  const Tensor f = ops::to_dtype(t, DType::Float64);
  const double* p = f->data_as<double>();
  return std::vector<double>(p, p + f->numel());
}

struct Reference {
  std::vector<double> y, gx, gw, gb;
  std::vector<double> y_mag, gx_mag, gw_mag;  // sums of the products' magnitudes (error scale)
};

// The defining sums: y[n,o,a,b] = b[o] + sum over (ci, i, j) of w[o,ci,i,j] * x at
// (a * sh - ph + i * dh, b - pw + j * dw), channel grp * cg + ci; the gradients are the same
// products summed the other ways.
Reference reference(const Geo& g, const std::vector<double>& x, const std::vector<double>& w,
                    const std::vector<double>& b, const std::vector<double>& gy) {
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, ho = g.ho(), wo = g.wo();
  Reference r;
  r.y.assign(g.n * g.o * ho * wo, 0);
  r.y_mag.assign(r.y.size(), 0);
  r.gx.assign(x.size(), 0);
  r.gx_mag.assign(x.size(), 0);
  r.gw.assign(w.size(), 0);
  r.gw_mag.assign(w.size(), 0);
  r.gb.assign(g.o, 0);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t o = 0; o < g.o; ++o) {
      const int64_t grp = o / og;
      for (int64_t a = 0; a < ho; ++a) {
        for (int64_t bb = 0; bb < wo; ++bb) {
          const int64_t yi = ((n * g.o + o) * ho + a) * wo + bb;
          double s = b[o], mag = std::abs(b[o]);
          r.gb[o] += gy[yi];
          for (int64_t ci = 0; ci < cg; ++ci) {
            for (int64_t i = 0; i < g.kh; ++i) {
              for (int64_t j = 0; j < g.kw; ++j) {
                const int64_t ih = a * g.sh - g.ph + i * g.dh, iw = bb - g.pw + j * g.dw;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                const int64_t xi = ((n * g.c + grp * cg + ci) * g.h + ih) * g.w + iw;
                const int64_t wi = ((o * cg + ci) * g.kh + i) * g.kw + j;
                s += w[wi] * x[xi];
                mag += std::abs(w[wi] * x[xi]);
                r.gx[xi] += w[wi] * gy[yi];
                r.gx_mag[xi] += std::abs(w[wi] * gy[yi]);
                r.gw[wi] += x[xi] * gy[yi];
                r.gw_mag[wi] += std::abs(x[xi] * gy[yi]);
              }
            }
          }
          r.y[yi] = s;
          r.y_mag[yi] = mag;
        }
      }
    }
  }
  return r;
}

void expect_close(const std::vector<double>& got, const std::vector<double>& want,
                  const std::vector<double>& mag, double rel, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int bad = 0;
  for (size_t i = 0; i < got.size() && bad < 5; ++i) {
    if (!(std::abs(got[i] - want[i]) <= rel * (mag[i] + 1e-30))) {
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
      ++bad;
    }
  }
}

TEST(ConvDirect, MatchesTheDefiningSums) {
  Generator gen(5);
  for (const Geo& g : geometries()) {
    SCOPED_TRACE(g.name);
    ASSERT_EQ(g.wo() % (g.dtype == DType::Float32 ? 8 : 4), 0) << "not a direct-path geometry";
    const Tensor x = ops::randn({g.n, g.c, g.h, g.w}, g.dtype, Device{}, gen);
    const Tensor w = ops::randn({g.o, g.c / g.groups, g.kh, g.kw}, g.dtype, Device{}, gen);
    const Tensor b = ops::randn({g.o}, g.dtype, Device{}, gen);
    const Tensor gy = ops::randn({g.n, g.o, g.ho(), g.wo()}, g.dtype, Device{}, gen);
    const Reference ref = reference(g, values(x), values(w), values(b), values(gy));
    const double rel = g.dtype == DType::Float32 ? 1e-5 : 1e-13;
    for (int threads : {1, 2}) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      set_num_threads(threads);
      const Tensor y = ops::conv2d(x, w, b, g.params());
      ASSERT_EQ(y->size(3), g.wo());
      expect_close(values(y), ref.y, ref.y_mag, rel, "out");
      const ops::Conv2dGrads gr = ops::conv2d_backward(gy, x, w, g.params(), true, true, true);
      expect_close(values(gr.grad_x), ref.gx, ref.gx_mag, rel, "grad_x");
      expect_close(values(gr.grad_w), ref.gw, ref.gw_mag, rel, "grad_w");
      const std::vector<double> gb = values(gr.grad_b);
      for (int64_t o = 0; o < g.o; ++o) EXPECT_NEAR(gb[o], ref.gb[o], 1e-4) << "grad_b " << o;
    }
  }
  set_num_threads(2);
}

// The weight gradient sums images in fixed blocks: the same bits on 1 and 2 threads.
TEST(ConvDirect, WeightGradientDoesNotDependOnTheThreads) {
  Generator gen(9);
  const Tensor x = ops::randn({37, 10, 12, 12}, DType::Float32, Device{}, gen);
  const Tensor w = ops::randn({20, 10, 5, 5}, DType::Float32, Device{}, gen);
  const Tensor gy = ops::randn({37, 20, 8, 8}, DType::Float32, Device{}, gen);
  std::vector<std::vector<double>> got;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    got.push_back(values(ops::conv2d_backward(gy, x, w, {}, false, true, false).grad_w));
  }
  set_num_threads(2);
  EXPECT_EQ(got[0], got[1]);
}

}  // namespace
}  // namespace ember
