// max_pool2d forward (values and flat indices) and backward (scatter-add) on the CPU, parallel
// over the (n, c) planes.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

template <class T>
void forward(const Tensor& out, const Tensor& indices, const Tensor& x,
             const ops::Pool2dParams& p) {
  using C = compute_t<T>;
  const int64_t planes = x->size(0) * x->size(1), h = x->size(2), w = x->size(3);
  const int64_t ho = out->size(2), wo = out->size(3);
  const T* xp = x->data_as<T>();
  T* yp = out->data_as<T>();
  int64_t* ip = indices->data_as<int64_t>();
  const auto [kh, kw] = p.kernel;
  const auto [sh, sw] = p.stride;
  const auto [ph, pw] = p.padding;
  const auto [dh, dw] = p.dilation;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, ho * wo * kh * kw));
  parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xs = xp + pl * h * w;
      T* ys = yp + pl * ho * wo;
      int64_t* is = ip + pl * ho * wo;
      for (int64_t oh = 0; oh < ho; ++oh) {
        int64_t h0 = oh * sh - ph;
        const int64_t h1 = std::min(h0 + (kh - 1) * dh + 1, h);
        while (h0 < 0) h0 += dh;
        for (int64_t ow = 0; ow < wo; ++ow) {
          int64_t w0 = ow * sw - pw;
          const int64_t w1 = std::min(w0 + (kw - 1) * dw + 1, w);
          while (w0 < 0) w0 += dw;
          int64_t best = h0 * w + w0;
          C m = -std::numeric_limits<C>::infinity();
          for (int64_t ih = h0; ih < h1; ih += dh) {
            for (int64_t iw = w0; iw < w1; iw += dw) {
              const C v = static_cast<C>(xs[ih * w + iw]);
              if (v > m || std::isnan(v)) {  // NaN wins, as in PyTorch
                m = v;
                best = ih * w + iw;
              }
            }
          }
          ys[oh * wo + ow] = static_cast<T>(m);
          is[oh * wo + ow] = best;
        }
      }
    }
  });
}

template <class T>
void backward(const Tensor& gx, const Tensor& gy, const Tensor& indices) {
  using C = compute_t<T>;
  const int64_t planes = gx->size(0) * gx->size(1), hw = gx->size(2) * gx->size(3);
  const int64_t ohw = gy->size(2) * gy->size(3);
  const T* gp = gy->data_as<T>();
  const int64_t* ip = indices->data_as<int64_t>();
  T* op = gx->data_as<T>();
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, hw + ohw));
  parallel_for(0, planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      T* o = op + pl * hw;
      std::fill(o, o + hw, T(0));
      const T* g = gp + pl * ohw;
      const int64_t* ix = ip + pl * ohw;
      for (int64_t q = 0; q < ohw; ++q) {
        EMBER_CHECK(ix[q] >= 0 && ix[q] < hw, EMBER_ERROR_INVALID_ARGUMENT,
                    "max_pool2d_backward: index ", ix[q], " is out of bounds for a plane of ", hw,
                    " elements");
        o[ix[q]] = static_cast<T>(static_cast<C>(o[ix[q]]) + static_cast<C>(g[q]));
      }
    }
  });
}

void max_pool2d_cpu(const Tensor& out, const Tensor& indices, const Tensor& x,
                    const ops::Pool2dParams& p) {
  dispatch_floating("max_pool2d", x->dtype(),
                    [&](auto tag) { forward<typename decltype(tag)::type>(out, indices, x, p); });
}

void max_pool2d_backward_cpu(const Tensor& gx, const Tensor& gy, const Tensor& indices) {
  dispatch_floating("max_pool2d_backward", gx->dtype(),
                    [&](auto tag) { backward<typename decltype(tag)::type>(gx, gy, indices); });
}

}  // namespace

EMBER_REGISTER_KERNEL(max_pool2d_stub, DeviceType::CPU, max_pool2d_cpu);
EMBER_REGISTER_KERNEL(max_pool2d_backward_stub, DeviceType::CPU, max_pool2d_backward_cpu);

}  // namespace ember::cpu
