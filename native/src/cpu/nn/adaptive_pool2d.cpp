// adaptive_avg_pool2d (forward, backward) and adaptive_max_pool2d (forward; its backward is
// max_pool2d's scatter) on the CPU, parallel over the (n, c) planes; the 1-d ones run here with
// H = 1. Output o of an input dim of size I pools [floor(o * I / O), ceil((o + 1) * I / O)).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/nn_conv_pool.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

int64_t start_index(int64_t o, int64_t out, int64_t in) { return (o * in) / out; }
int64_t end_index(int64_t o, int64_t out, int64_t in) { return ((o + 1) * in + out - 1) / out; }

struct Planes {
  int64_t planes, h, w, ho, wo;
  int64_t grain() const {
    // each output reads about (h / ho) * (w / wo) inputs: a plane costs about h * w
    return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, h * w + ho * wo));
  }
};

Planes planes_of(const Tensor& x, const Tensor& y) {
  return {x->size(0) * x->size(1), x->size(2), x->size(3), y->size(2), y->size(3)};
}

template <class T>
void avg_forward(const Tensor& out, const Tensor& x) {
  using C = compute_t<T>;
  const Planes s = planes_of(x, out);
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  parallel_for(0, s.planes, s.grain(), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xs = xp + pl * s.h * s.w;
      T* ys = yp + pl * s.ho * s.wo;
      for (int64_t oh = 0; oh < s.ho; ++oh) {
        const int64_t h0 = start_index(oh, s.ho, s.h), h1 = end_index(oh, s.ho, s.h);
        for (int64_t ow = 0; ow < s.wo; ++ow) {
          const int64_t w0 = start_index(ow, s.wo, s.w), w1 = end_index(ow, s.wo, s.w);
          C sum = 0;
          for (int64_t ih = h0; ih < h1; ++ih) {
            for (int64_t iw = w0; iw < w1; ++iw) sum += static_cast<C>(xs[ih * s.w + iw]);
          }
          ys[oh * s.wo + ow] = static_cast<T>(sum / static_cast<C>((h1 - h0) * (w1 - w0)));
        }
      }
    }
  });
}

template <class T>
void avg_backward(const Tensor& gx, const Tensor& gy) {
  using C = compute_t<T>;
  const Planes s = planes_of(gx, gy);
  const T* gp = gy->data_as<T>();
  T* op = gx->data_as<T>();
  parallel_for(0, s.planes, s.grain(), [&](int64_t b, int64_t e) {
    std::vector<C> acc(s.h * s.w);
    for (int64_t pl = b; pl < e; ++pl) {
      std::fill(acc.begin(), acc.end(), C(0));
      const T* g = gp + pl * s.ho * s.wo;
      for (int64_t oh = 0; oh < s.ho; ++oh) {
        const int64_t h0 = start_index(oh, s.ho, s.h), h1 = end_index(oh, s.ho, s.h);
        for (int64_t ow = 0; ow < s.wo; ++ow) {
          const int64_t w0 = start_index(ow, s.wo, s.w), w1 = end_index(ow, s.wo, s.w);
          const C v = static_cast<C>(g[oh * s.wo + ow]) / static_cast<C>((h1 - h0) * (w1 - w0));
          for (int64_t ih = h0; ih < h1; ++ih) {
            for (int64_t iw = w0; iw < w1; ++iw) acc[ih * s.w + iw] += v;
          }
        }
      }
      T* o = op + pl * s.h * s.w;
      for (int64_t q = 0; q < s.h * s.w; ++q) o[q] = static_cast<T>(acc[q]);
    }
  });
}

template <class T>
void max_forward(const Tensor& out, const Tensor& indices, const Tensor& x) {
  using C = compute_t<T>;
  const Planes s = planes_of(x, out);
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  int64_t* ip = indices->data_as<int64_t>();
  parallel_for(0, s.planes, s.grain(), [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xs = xp + pl * s.h * s.w;
      for (int64_t oh = 0; oh < s.ho; ++oh) {
        const int64_t h0 = start_index(oh, s.ho, s.h), h1 = end_index(oh, s.ho, s.h);
        for (int64_t ow = 0; ow < s.wo; ++ow) {
          const int64_t w0 = start_index(ow, s.wo, s.w), w1 = end_index(ow, s.wo, s.w);
          C m = -std::numeric_limits<C>::infinity();
          int64_t best = h0 * s.w + w0;
          for (int64_t ih = h0; ih < h1; ++ih) {
            for (int64_t iw = w0; iw < w1; ++iw) {
              const C v = static_cast<C>(xs[ih * s.w + iw]);
              if (v > m || std::isnan(v)) {  // NaN wins, as in PyTorch
                m = v;
                best = ih * s.w + iw;
                if (std::isnan(v)) break;
              }
            }
            if (std::isnan(m)) break;
          }
          const int64_t q = pl * s.ho * s.wo + oh * s.wo + ow;
          yp[q] = static_cast<T>(m);
          ip[q] = best;
        }
      }
    }
  });
}

void adaptive_avg_pool2d_cpu(const Tensor& out, const Tensor& x) {
  dispatch_floating("adaptive_avg_pool2d", x->dtype(),
                    [&](auto tag) { avg_forward<typename decltype(tag)::type>(out, x); });
}

void adaptive_avg_pool2d_backward_cpu(const Tensor& gx, const Tensor& gy) {
  dispatch_floating("adaptive_avg_pool2d_backward", gx->dtype(),
                    [&](auto tag) { avg_backward<typename decltype(tag)::type>(gx, gy); });
}

void adaptive_max_pool2d_cpu(const Tensor& out, const Tensor& indices, const Tensor& x) {
  dispatch_floating("adaptive_max_pool2d", x->dtype(),
                    [&](auto tag) { max_forward<typename decltype(tag)::type>(out, indices, x); });
}

}  // namespace

EMBER_REGISTER_KERNEL(adaptive_avg_pool2d_stub, DeviceType::CPU, adaptive_avg_pool2d_cpu);
EMBER_REGISTER_KERNEL(adaptive_avg_pool2d_backward_stub, DeviceType::CPU,
                      adaptive_avg_pool2d_backward_cpu);
EMBER_REGISTER_KERNEL(adaptive_max_pool2d_stub, DeviceType::CPU, adaptive_max_pool2d_cpu);

}  // namespace ember::cpu
