// conv3d forward and backward on the CPU: per image and group, a GEMM over the vol2col matrix of
// the input (rows (c, a, i, j) for the kernel taps, columns the output positions), as conv2d does
// in two dims; the input gradient scatters the column matrix back (col2vol).
#include <algorithm>
#include <vector>

#include "core/nn_conv_pool.h"
#include "core/parallel.h"
#include "cpu/nn/common.h"
#include "cpu/nn/conv_gemm.h"

namespace ember::cpu {
namespace {

struct Geometry3 {
  int64_t n, c, in[3];   // input (N, C, D, H, W)
  int64_t o, kernel[3];  // weight (O, C / groups, kD, kH, kW)
  int64_t out[3];        // output (Do, Ho, Wo)
  int64_t stride[3], pad[3], dil[3], groups;
  int64_t cg, og, k, p;  // channels per group in / out, GEMM reduction, output positions

  Geometry3(const Tensor& x, const Tensor& w, const Tensor& y, const ops::ConvParams& prm)
      : n(x->size(0)), c(x->size(1)), o(w->size(0)), groups(prm.groups) {
    for (int d = 0; d < 3; ++d) {
      in[d] = x->size(2 + d);
      kernel[d] = w->size(2 + d);
      out[d] = y->size(2 + d);
      stride[d] = prm.stride[d];
      pad[d] = prm.padding[d];
      dil[d] = prm.dilation[d];
    }
    cg = c / groups;
    og = o / groups;
    k = cg * kernel[0] * kernel[1] * kernel[2];
    p = out[0] * out[1] * out[2];
  }
  int64_t volume() const { return in[0] * in[1] * in[2]; }
};

// Runs fn(row, col, inside, src, lo, hi) for every run of Wo output columns (starting at column
// col of row `row`); when inside, output column ow in [lo, hi) reads input element src + ow * sw,
// the others (and the whole run when not inside) fall in the padding. The column matrix has k
// rows of p columns.
// Row r = ((c * kD + a) * kH + i) * kW + j reads x[c][od*sd - pd + a*dd][oh*sh - ph + i*dh][...].
template <class F>
void for_each_run(const Geometry3& g, F&& fn) {
  const int64_t kd = g.kernel[0], kh = g.kernel[1], kw = g.kernel[2];
  const int64_t D = g.in[0], H = g.in[1], W = g.in[2];
  const int64_t Do = g.out[0], Ho = g.out[1], Wo = g.out[2];
  for (int64_t c = 0; c < g.cg; ++c) {
    for (int64_t a = 0; a < kd; ++a) {
      for (int64_t i = 0; i < kh; ++i) {
        for (int64_t j = 0; j < kw; ++j) {
          const int64_t row = ((c * kd + a) * kh + i) * kw + j;
          // Output columns ow whose input column ow * sw - pw + j * dw lies inside [0, W).
          const int64_t off = j * g.dil[2] - g.pad[2];
          int64_t lo = off >= 0 ? 0 : (-off + g.stride[2] - 1) / g.stride[2];
          int64_t hi = W - off <= 0 ? 0 : (W - off + g.stride[2] - 1) / g.stride[2];
          lo = std::min(lo, Wo);
          hi = std::clamp(hi, lo, Wo);
          for (int64_t od = 0; od < Do; ++od) {
            const int64_t id = od * g.stride[0] - g.pad[0] + a * g.dil[0];
            for (int64_t oh = 0; oh < Ho; ++oh) {
              const int64_t ih = oh * g.stride[1] - g.pad[1] + i * g.dil[1];
              const int64_t col = (od * Ho + oh) * Wo;
              const bool inside = id >= 0 && id < D && ih >= 0 && ih < H;
              fn(row, col, inside, ((c * D + id) * H + ih) * W + off, lo, hi);
            }
          }
        }
      }
    }
  }
}

// col (k x p) = vol2col(x), x one group of one image.
template <class T>
void vol2col(const Geometry3& g, const T* x, T* col) {
  const int64_t wo = g.out[2], sw = g.stride[2];
  for_each_run(g, [&](int64_t row, int64_t c0, bool inside, int64_t src, int64_t lo, int64_t hi) {
    T* d = col + row * g.p + c0;
    if (!inside) {
      std::fill(d, d + wo, T(0));
      return;
    }
    const T* s = x + src;
    std::fill(d, d + lo, T(0));
    for (int64_t ow = lo; ow < hi; ++ow) d[ow] = s[ow * sw];
    std::fill(d + hi, d + wo, T(0));
  });
}

// gx += col2vol(col): the adjoint of vol2col.
template <class T>
void col2vol(const Geometry3& g, const T* col, T* gx) {
  const int64_t sw = g.stride[2];
  for_each_run(g, [&](int64_t row, int64_t c0, bool inside, int64_t src, int64_t lo, int64_t hi) {
    if (!inside) return;
    const T* s = col + row * g.p + c0;
    T* d = gx + src;
    for (int64_t ow = lo; ow < hi; ++ow) d[ow * sw] += s[ow];
  });
}

template <class T>
void forward(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b,
             const ops::ConvParams& prm) {
  const Geometry3 g(x, w, out, prm);
  const T* xp = x->data_as<T>();
  const T* wp = w->data_as<T>();
  const T* bp = b ? b->data_as<T>() : nullptr;
  T* yp = out->data_as<T>();
  const bool blas = conv::use_blas(g.og, g.k, g.p);
  conv::for_images(g.n, blas, [&](int64_t n0, int64_t n1) {
    std::vector<T> col(g.k * g.p);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        vol2col(g, xp + (n * g.c + grp * g.cg) * g.volume(), col.data());
        T* ys = yp + (n * g.o + grp * g.og) * g.p;
        if (bp) {
          for (int64_t o = 0; o < g.og; ++o) {
            std::fill(ys + o * g.p, ys + (o + 1) * g.p, bp[grp * g.og + o]);
          }
        }
        conv::gemm(SmallGemm<T>{g.og, g.p, g.k, wp + grp * g.og * g.k, g.k, 1, col.data(), g.p, ys,
                                g.p, bp != nullptr},
                   blas);
      }
    }
  });
}

// grad_w = sum over images of grad_out (og x p) . vol2col(x)^T, in a fixed number of chunks of
// images each summed into its own slice, the slices then added in order: the result does not
// depend on the thread count.
template <class T>
void grad_weight(const Geometry3& g, const T* xp, const T* gy, T* gw) {
  const bool blas = conv::use_blas(g.og, g.k, g.p);
  const int64_t chunks = blas ? 1 : std::min<int64_t>(g.n, 16);
  const int64_t wsize = g.o * g.k;
  std::vector<T> partial(chunks * wsize, T(0));
  conv::for_images(chunks, blas, [&](int64_t c0, int64_t c1) {
    std::vector<T> col(g.k * g.p);
    for (int64_t ch = c0; ch < c1; ++ch) {
      for (int64_t n = ch * g.n / chunks; n < (ch + 1) * g.n / chunks; ++n) {
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          vol2col(g, xp + (n * g.c + grp * g.cg) * g.volume(), col.data());
          conv::gemm_nt(
              SmallGemmNT<T>{g.og, g.k, g.p, gy + (n * g.o + grp * g.og) * g.p, g.p, col.data(),
                             g.p, partial.data() + ch * wsize + grp * g.og * g.k, g.k},
              blas);
        }
      }
    }
  });
  std::fill(gw, gw + wsize, T(0));
  for (int64_t ch = 0; ch < chunks; ++ch) {
    for (int64_t q = 0; q < wsize; ++q) gw[q] += partial[ch * wsize + q];
  }
}

// grad_x[n, grp] = col2vol(w[grp]^T (k x og) @ grad_out[n, grp] (og x p)).
template <class T>
void grad_input(const Geometry3& g, const T* wp, const T* gy, T* gx) {
  const bool blas = conv::use_blas(g.og, g.k, g.p);
  conv::for_images(g.n, blas, [&](int64_t n0, int64_t n1) {
    std::vector<T> col(g.k * g.p);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        T* gxs = gx + (n * g.c + grp * g.cg) * g.volume();
        conv::gemm(SmallGemm<T>{g.k, g.p, g.og, wp + grp * g.og * g.k, 1, g.k,
                                gy + (n * g.o + grp * g.og) * g.p, g.p, col.data(), g.p, false},
                   blas);
        std::fill(gxs, gxs + g.cg * g.volume(), T(0));
        col2vol(g, col.data(), gxs);
      }
    }
  });
}

template <class T>
void grad_bias(const Geometry3& g, const T* gy, T* gb) {
  for (int64_t o = 0; o < g.o; ++o) {
    T s = 0;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* row = gy + (n * g.o + o) * g.p;
      for (int64_t q = 0; q < g.p; ++q) s += row[q];
    }
    gb[o] = s;
  }
}

void conv3d_cpu(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b,
                const ops::ConvParams& p) {
  dispatch_float_double("conv3d", x->dtype(),
                        [&](auto tag) { forward<typename decltype(tag)::type>(out, x, w, b, p); });
}

void conv3d_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& gy,
                         const Tensor& x, const Tensor& w, const ops::ConvParams& p) {
  dispatch_float_double("conv3d_backward", gy->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const Geometry3 g(x, w, gy, p);
    if (gb) grad_bias(g, gy->data_as<T>(), gb->data_as<T>());
    if (gw) grad_weight(g, x->data_as<T>(), gy->data_as<T>(), gw->data_as<T>());
    if (gx) grad_input(g, w->data_as<T>(), gy->data_as<T>(), gx->data_as<T>());
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(conv3d_stub, DeviceType::CPU, conv3d_cpu);
EMBER_REGISTER_KERNEL(conv3d_backward_stub, DeviceType::CPU, conv3d_backward_cpu);

}  // namespace ember::cpu
