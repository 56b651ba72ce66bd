// avg_pool2d forward and backward on the CPU (avg_pool1d runs here with H = 1), parallel over the
// (n, c) planes. Windows are clipped to the padded input, then to the input; the divisor is the
// override, the padded window's size (count_include_pad) or the clipped one's, as in PyTorch.
#include <algorithm>
#include <vector>

#include "core/nn_conv_pool.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

struct Window {
  int64_t h0, h1, w0, w1;  // clipped to the input; empty when h0 >= h1 or w0 >= w1
  int64_t divisor;
};

Window window(int64_t oh, int64_t ow, int64_t h, int64_t w, const ops::AvgPoolParams& p) {
  int64_t h0 = oh * p.stride[0] - p.padding[0], w0 = ow * p.stride[1] - p.padding[1];
  int64_t h1 = std::min(h0 + p.kernel[0], h + p.padding[0]);
  int64_t w1 = std::min(w0 + p.kernel[1], w + p.padding[1]);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, h);
  w1 = std::min(w1, w);
  const int64_t divisor = p.divisor_override    ? p.divisor_override
                          : p.count_include_pad ? padded
                                                : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

template <class T>
void forward(const Tensor& out, const Tensor& x, const ops::AvgPoolParams& p) {
  using C = compute_t<T>;
  const int64_t planes = x->size(0) * x->size(1), h = x->size(2), w = x->size(3);
  const int64_t ho = out->size(2), wo = out->size(3);
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  const int64_t grain =
      std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, ho * wo * p.kernel[0] * p.kernel[1]));
  parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xs = xp + pl * h * w;
      T* ys = yp + pl * ho * wo;
      for (int64_t oh = 0; oh < ho; ++oh) {
        for (int64_t ow = 0; ow < wo; ++ow) {
          const Window win = window(oh, ow, h, w, p);
          C s = 0;
          for (int64_t ih = win.h0; ih < win.h1; ++ih) {
            for (int64_t iw = win.w0; iw < win.w1; ++iw) s += static_cast<C>(xs[ih * w + iw]);
          }
          const bool empty = win.h0 >= win.h1 || win.w0 >= win.w1;
          ys[oh * wo + ow] = static_cast<T>(empty ? C(0) : s / static_cast<C>(win.divisor));
        }
      }
    }
  });
}

template <class T>
void backward(const Tensor& gx, const Tensor& gy, const ops::AvgPoolParams& p) {
  using C = compute_t<T>;
  const int64_t planes = gx->size(0) * gx->size(1), h = gx->size(2), w = gx->size(3);
  const int64_t ho = gy->size(2), wo = gy->size(3);
  const T* gp = gy->data_as<T>();
  T* op = gx->data_as<T>();
  const int64_t grain =
      std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, ho * wo * p.kernel[0] * p.kernel[1]));
  parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    std::vector<C> acc(h * w);
    for (int64_t pl = b; pl < e; ++pl) {
      std::fill(acc.begin(), acc.end(), C(0));
      const T* g = gp + pl * ho * wo;
      for (int64_t oh = 0; oh < ho; ++oh) {
        for (int64_t ow = 0; ow < wo; ++ow) {
          const Window win = window(oh, ow, h, w, p);
          const C v = static_cast<C>(g[oh * wo + ow]) / static_cast<C>(win.divisor);
          for (int64_t ih = win.h0; ih < win.h1; ++ih) {
            for (int64_t iw = win.w0; iw < win.w1; ++iw) acc[ih * w + iw] += v;
          }
        }
      }
      T* o = op + pl * h * w;
      for (int64_t q = 0; q < h * w; ++q) o[q] = static_cast<T>(acc[q]);
    }
  });
}

void avg_pool2d_cpu(const Tensor& out, const Tensor& x, const ops::AvgPoolParams& p) {
  dispatch_floating("avg_pool2d", x->dtype(),
                    [&](auto tag) { forward<typename decltype(tag)::type>(out, x, p); });
}

void avg_pool2d_backward_cpu(const Tensor& gx, const Tensor& gy, const ops::AvgPoolParams& p) {
  dispatch_floating("avg_pool2d_backward", gx->dtype(),
                    [&](auto tag) { backward<typename decltype(tag)::type>(gx, gy, p); });
}

}  // namespace

EMBER_REGISTER_KERNEL(avg_pool2d_stub, DeviceType::CPU, avg_pool2d_cpu);
EMBER_REGISTER_KERNEL(avg_pool2d_backward_stub, DeviceType::CPU, avg_pool2d_backward_cpu);

}  // namespace ember::cpu
