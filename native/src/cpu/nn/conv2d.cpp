// conv2d forward and backward on the CPU. Small products with stride 1 along the width and output
// rows a whole number of vectors wide go to the direct kernels (conv2d_direct.h). The rest run
// as GEMMs per image over an im2col view of the input:
// explicit (im2col / col2im buffers), implicit for stride 1 when rows are barely wider than the
// output (the shifted input rows are the column matrix), or none for 1x1 convolutions. Small
// products (the usual case: tens of channels) use the register-blocked small GEMM, images spread
// over the engine's pool, each task with its own buffers; products big enough for BLAS to pay off
// run image after image through BLAS, which then splits each product over the pool. unfold / fold
// are the im2col and col2im steps alone.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "core/nn_conv_pool.h"
#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/nn/common.h"
#include "cpu/nn/conv2d_direct.h"
#include "cpu/nn/conv_gemm.h"
#include "cpu/nn/simd.h"

namespace ember::cpu {
namespace {

struct Geometry {
  int64_t n, c, h, w;  // input
  int64_t o, kh, kw;   // weight (o, c / groups, kh, kw)
  int64_t ho, wo;      // output
  int64_t sh, sw, ph, pw, dh, dw, groups;
  int64_t cg, og;  // channels per group, in and out
  int64_t k, p;    // GEMM reduction (cg * kh * kw) and output plane size (ho * wo)
  bool pointwise;  // 1x1, stride 1, no padding: the input plane is its own column matrix

  Geometry(const Tensor& x, const Tensor& wt, int64_t out_h, int64_t out_w,
           const ops::Conv2dParams& prm)
      : n(x->size(0)),
        c(x->size(1)),
        h(x->size(2)),
        w(x->size(3)),
        o(wt->size(0)),
        kh(wt->size(2)),
        kw(wt->size(3)),
        ho(out_h),
        wo(out_w),
        sh(prm.stride[0]),
        sw(prm.stride[1]),
        ph(prm.padding[0]),
        pw(prm.padding[1]),
        dh(prm.dilation[0]),
        dw(prm.dilation[1]),
        groups(prm.groups),
        cg(c / groups),
        og(o / groups),
        k(cg * kh * kw),
        p(out_h * out_w),
        pointwise(kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0) {}

  // unfold / fold: x (N, C, H, W) against a (kh, kw) window, all channels one group, no weight.
  Geometry(const Tensor& x, int64_t out_h, int64_t out_w, const ops::UnfoldParams& prm)
      : n(x->size(0)),
        c(x->size(1)),
        h(x->size(2)),
        w(x->size(3)),
        o(0),
        kh(prm.kernel[0]),
        kw(prm.kernel[1]),
        ho(out_h),
        wo(out_w),
        sh(prm.stride[0]),
        sw(prm.stride[1]),
        ph(prm.padding[0]),
        pw(prm.padding[1]),
        dh(prm.dilation[0]),
        dw(prm.dilation[1]),
        groups(1),
        cg(c),
        og(0),
        k(c * kh * kw),
        p(out_h * out_w),
        pointwise(false) {}

  // The output columns [lo, hi) for which input column ow * sw - pw + j * dw lies inside the row.
  std::pair<int64_t, int64_t> valid_cols(int64_t j) const {
    const int64_t off = j * dw - pw;
    int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
    int64_t hi = w - off <= 0 ? 0 : (w - off + sw - 1) / sw;
    lo = std::min(lo, wo);
    hi = std::clamp(hi, lo, wo);
    return {lo, hi};
  }
};

// Copies n elements: a plain loop the compiler inlines and widens (these runs are a few to a few
// dozen elements, where a memcpy call costs more than the copy).
template <class T>
EMBER_ALWAYS_INLINE inline void copy_run(const T* src, T* dst, int64_t n) {
  for (int64_t q = 0; q < n; ++q) dst[q] = src[q];
}

// col (k x ldc): row (c, i, j) holds x[c][oh * sh - ph + i * dh][ow * sw - pw + j * dw] at column
// oh * wo + ow, 0 where that falls in the padding. x is one group's channels of one image.
template <class T>
void im2col(const Geometry& g, const T* x, T* col, int64_t ldc) {
  if (g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0) {
    // Every tap is inside the input: each row of col is ho runs of wo consecutive inputs.
    for (int64_t c = 0; c < g.cg; ++c) {
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          T* dst = col + ((c * g.kh + i) * g.kw + j) * ldc;
          const T* src = x + (c * g.h + i * g.dh) * g.w + j * g.dw;
          for (int64_t oh = 0; oh < g.ho; ++oh) copy_run(src + oh * g.w, dst + oh * g.wo, g.wo);
        }
      }
    }
    return;
  }
  for (int64_t c = 0; c < g.cg; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        T* dst = col + ((c * g.kh + i) * g.kw + j) * ldc;
        const auto [lo, hi] = g.valid_cols(j);
        const int64_t off = j * g.dw - g.pw;
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          T* d = dst + oh * g.wo;
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) {
            for (int64_t ow = 0; ow < g.wo; ++ow) d[ow] = T(0);
            continue;
          }
          const T* src = x + (c * g.h + ih) * g.w + off;
          for (int64_t ow = 0; ow < lo; ++ow) d[ow] = T(0);
          if (g.sw == 1) {
            copy_run(src + lo, d + lo, hi - lo);
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] = src[ow * g.sw];
          }
          for (int64_t ow = hi; ow < g.wo; ++ow) d[ow] = T(0);
        }
      }
    }
  }
}

// The adjoint of im2col: gx[c][ih][iw] += col[(c, i, j)][p] for every tap that read (ih, iw).
template <class T>
void col2im(const Geometry& g, const T* col, int64_t ldc, T* gx) {
  for (int64_t c = 0; c < g.cg; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* src = col + ((c * g.kh + i) * g.kw + j) * ldc;
        const auto [lo, hi] = g.valid_cols(j);
        const int64_t off = j * g.dw - g.pw;
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          const int64_t ih = oh * g.sh - g.ph + i * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          T* d = gx + (c * g.h + ih) * g.w + off;
          const T* s = src + oh * g.wo;
          if (g.sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow] += s[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow * g.sw] += s[ow];
          }
        }
      }
    }
  }
}

// Implicit im2col for stride 1: row (c, i, j) of the column matrix is the (padded) input itself,
// shifted by c * hp * wp + i * dh * wp + j * dw and read at positions oh * wp + ow. Products then
// run over l = (ho - 1) * wp + wo positions instead of ho * wo: the wp - wo extra ones per output
// row are dropped (forward) or meet zeros (weight gradient). Used when that overhead is small.
struct Implicit {
  int64_t hp, wp, l;
  std::vector<int64_t> rows;

  explicit Implicit(const Geometry& g)
      : hp(g.h + 2 * g.ph), wp(g.w + 2 * g.pw), l((g.ho - 1) * wp + g.wo), rows(g.k) {
    for (int64_t c = 0; c < g.cg; ++c) {
      for (int64_t i = 0; i < g.kh; ++i) {
        for (int64_t j = 0; j < g.kw; ++j) {
          rows[(c * g.kh + i) * g.kw + j] = c * hp * wp + i * g.dh * wp + j * g.dw;
        }
      }
    }
  }
  static bool applies(const Geometry& g) {
    return g.sh == 1 && g.sw == 1 && !g.pointwise && 4 * (g.w + 2 * g.pw) <= 5 * g.wo;
  }

  // One group of one image with its padding made explicit (x itself when there is none).
  template <class T>
  const T* padded(const Geometry& g, const T* x, std::vector<T>& buf) const {
    if (g.ph == 0 && g.pw == 0) return x;
    buf.assign(g.cg * hp * wp, T(0));
    for (int64_t c = 0; c < g.cg; ++c) {
      for (int64_t ih = 0; ih < g.h; ++ih) {
        copy_run(x + (c * g.h + ih) * g.w, buf.data() + (c * hp + ih + g.ph) * wp + g.pw, g.w);
      }
    }
    return buf.data();
  }
};

using conv::gemm;
using conv::gemm_nt;

bool use_blas(const Geometry& g) { return conv::use_blas(g.og, g.k, g.p); }

// The direct kernels' view of g, when they take it: products too small for BLAS, stride 1 along
// the width and output rows a whole number of vectors wide.
template <class T>
std::optional<conv::Direct> direct(const Geometry& g) {
  const conv::Direct d{g.n,  g.c,  g.h,  g.w,  g.o,  g.kh, g.kw,    g.ho,
                       g.wo, g.sh, g.ph, g.pw, g.dh, g.dw, g.groups};
  if (use_blas(g) || !conv::direct_applies(d, g.sw, sizeof(T))) return std::nullopt;
  return d;
}

template <class F>
void for_images(const Geometry& g, bool blas, F&& fn) {
  conv::for_images(g.n, blas, fn);
}

// out[n, grp] (og x p) = w[grp] (og x k) @ col(x[n, grp]) (k x p) + b.
template <class T>
void forward(const Tensor& out, const Tensor& x, const Tensor& wt, const Tensor& b,
             const ops::Conv2dParams& prm) {
  const Geometry g(x, wt, out->size(2), out->size(3), prm);
  const T* xp = x->data_as<T>();
  const T* wp = wt->data_as<T>();
  const T* bp = b ? b->data_as<T>() : nullptr;
  T* yp = out->data_as<T>();
  if (const auto d = direct<T>(g)) return conv::direct_forward(*d, xp, wp, bp, yp);
  const bool blas = use_blas(g);
  if (!blas && Implicit::applies(g)) {
    const Implicit im(g);
    parallel_for(0, g.n, 1, [&](int64_t n0, int64_t n1) {
      std::vector<T> pad, tmp(g.og * im.l);
      for (int64_t n = n0; n < n1; ++n) {
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          const T* xs = im.padded(g, xp + (n * g.c + grp * g.cg) * g.h * g.w, pad);
          SmallGemm<T> gemm{g.og,       im.l, g.k,  wp + grp * g.og * g.k, g.k, 1, xs, 0,
                            tmp.data(), im.l, false};
          gemm.b_rows = im.rows.data();
          small_gemm(gemm);
          T* ys = yp + (n * g.o + grp * g.og) * g.p;
          for (int64_t o = 0; o < g.og; ++o) {
            const T bias = bp ? bp[grp * g.og + o] : T(0);
            for (int64_t oh = 0; oh < g.ho; ++oh) {
              const T* src = tmp.data() + o * im.l + oh * im.wp;
              T* dst = ys + (o * g.ho + oh) * g.wo;
              for (int64_t ow = 0; ow < g.wo; ++ow) dst[ow] = src[ow] + bias;
            }
          }
        }
      }
    });
    return;
  }
  for_images(g, blas, [&](int64_t n0, int64_t n1) {
    std::vector<T> col(g.pointwise ? 0 : g.k * g.p);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        const T* xs = xp + (n * g.c + grp * g.cg) * g.h * g.w;
        T* ys = yp + (n * g.o + grp * g.og) * g.p;
        if (!g.pointwise) im2col(g, xs, col.data(), g.p);
        if (bp) {
          for (int64_t o = 0; o < g.og; ++o) {
            std::fill(ys + o * g.p, ys + (o + 1) * g.p, bp[grp * g.og + o]);
          }
        }
        gemm(SmallGemm<T>{g.og, g.p, g.k, wp + grp * g.og * g.k, g.k, 1,
                          g.pointwise ? xs : col.data(), g.p, ys, g.p, bp != nullptr},
             blas);
      }
    }
  });
}

// Sum of n contiguous values on vector lanes (a plain float loop would not be widened), in four
// accumulators so that the adds do not wait on each other.
template <class T>
EMBER_ALWAYS_INLINE inline T sum_run_body(const T* p, int64_t n) {
  using V = typename Simd<T>::V;
  constexpr int W = Simd<T>::kWidth;
  V acc[4] = {};
  int64_t q = 0;
  for (; q + 4 * W <= n; q += 4 * W) {
    for (int a = 0; a < 4; ++a) {
      V v;
      load_vec(v, p + q + a * W);
      acc[a] += v;
    }
  }
  for (; q + W <= n; q += W) {
    V v;
    load_vec(v, p + q);
    acc[0] += v;
  }
  acc[0] += acc[1] + acc[2] + acc[3];
  T lanes[W];
  store_vec(lanes, acc[0]);
  T s = 0;
  for (int w = 0; w < W; ++w) s += lanes[w];
  for (; q < n; ++q) s += p[q];
  return s;
}

template <class T>
T sum_run_base(const T* p, int64_t n) {
  return sum_run_body(p, n);
}
#if EMBER_X86_CLONES
template <class T>
EMBER_TARGET_AVX2 T sum_run_avx2(const T* p, int64_t n) {
  return sum_run_body(p, n);
}
#endif
template <class T>
T sum_run(const T* p, int64_t n) {
#if EMBER_X86_CLONES
  if (cpu_has_avx2()) return sum_run_avx2(p, n);
#endif
  return sum_run_base(p, n);
}

template <class T>
void grad_bias(const Geometry& g, const T* gy, T* gb) {
  parallel_for(0, g.o, 1, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      T s = 0;
      for (int64_t n = 0; n < g.n; ++n) s += sum_run(gy + (n * g.o + o) * g.p, g.p);
      gb[o] = s;
    }
  });
}

// grad_w[grp] (og x k) = sum over images of grad_out[n, grp] (og x p) . col(x[n, grp])^T, as dot
// products along the output positions. Images go in batches laid side by side (k x batch * p) so
// each dot product is long enough to pay for its final sum across lanes. Every batch sums into its
// own slice and the slices are added in batch order: the result does not depend on the threads.
template <class T>
void grad_weight(const Geometry& g, const T* xp, const T* gy, T* gw) {
  if (const auto d = direct<T>(g)) return conv::direct_grad_weight(*d, xp, gy, gw);
  const bool blas = use_blas(g);
  const bool implicit = !blas && Implicit::applies(g);
  const int64_t batch = implicit ? 1 : std::clamp<int64_t>(256 / std::max<int64_t>(1, g.p), 1, g.n);
  const int64_t batches = (g.n + batch - 1) / batch;
  const int64_t wsize = g.o * g.k;
  std::vector<T> partial(batches * wsize, T(0));
  const auto run = [&](int64_t b0, int64_t b1) {
    if (implicit) {
      // grad_out spread over rows of width wp, zeros in between, against the shifted inputs.
      const Implicit im(g);
      std::vector<T> pad, dy(g.og * im.l, T(0));
      for (int64_t n = b0; n < b1; ++n) {
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          const T* src = gy + (n * g.o + grp * g.og) * g.p;
          for (int64_t o = 0; o < g.og; ++o) {
            for (int64_t oh = 0; oh < g.ho; ++oh) {
              copy_run(src + (o * g.ho + oh) * g.wo, dy.data() + o * im.l + oh * im.wp, g.wo);
            }
          }
          SmallGemmNT<T> gemm{g.og, g.k,
                              im.l, dy.data(),
                              im.l, im.padded(g, xp + (n * g.c + grp * g.cg) * g.h * g.w, pad),
                              0,    partial.data() + n * wsize + grp * g.og * g.k,
                              g.k};
          gemm.b_rows = im.rows.data();
          small_gemm_nt(gemm);
        }
      }
      return;
    }
    std::vector<T> col(g.k * batch * g.p), dy(g.og * batch * g.p);
    for (int64_t bi = b0; bi < b1; ++bi) {
      const int64_t n0 = bi * batch, cnt = std::min(batch, g.n - n0), l = cnt * g.p;
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        for (int64_t b = 0; b < cnt; ++b) {
          im2col(g, xp + ((n0 + b) * g.c + grp * g.cg) * g.h * g.w, col.data() + b * g.p, l);
          const T* src = gy + ((n0 + b) * g.o + grp * g.og) * g.p;
          for (int64_t o = 0; o < g.og; ++o) {
            copy_run(src + o * g.p, dy.data() + o * l + b * g.p, g.p);
          }
        }
        gemm_nt(SmallGemmNT<T>{g.og, g.k, l, dy.data(), l, col.data(), l,
                               partial.data() + bi * wsize + grp * g.og * g.k, g.k},
                blas);
      }
    }
  };
  if (blas) {
    run(0, batches);
  } else {
    parallel_for(0, batches, 1, run);
  }
  std::fill(gw, gw + wsize, T(0));
  for (int64_t bi = 0; bi < batches; ++bi) {
    const T* part = partial.data() + bi * wsize;
    for (int64_t q = 0; q < wsize; ++q) gw[q] += part[q];
  }
}

// grad_x[n, grp] = col2im(w[grp]^T (k x og) @ grad_out[n, grp] (og x p)).
template <class T>
void grad_input(const Geometry& g, const T* wp, const T* gy, T* gx) {
  if (const auto d = direct<T>(g)) return conv::direct_grad_input(*d, wp, gy, gx);
  const bool blas = use_blas(g);
  for_images(g, blas, [&](int64_t n0, int64_t n1) {
    std::vector<T> col(g.pointwise ? 0 : g.k * g.p);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        T* gxs = gx + (n * g.c + grp * g.cg) * g.h * g.w;
        gemm(SmallGemm<T>{g.k, g.p, g.og, wp + grp * g.og * g.k, 1, g.k,
                          gy + (n * g.o + grp * g.og) * g.p, g.p, g.pointwise ? gxs : col.data(),
                          g.p, false},
             blas);
        if (!g.pointwise) {
          std::fill(gxs, gxs + g.cg * g.h * g.w, T(0));
          col2im(g, col.data(), g.p, gxs);
        }
      }
    }
  });
}

template <class T>
void backward(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& gy,
              const Tensor& x, const Tensor& wt, const ops::Conv2dParams& prm) {
  const Geometry g(x, wt, gy->size(2), gy->size(3), prm);
  const T* gyp = gy->data_as<T>();
  if (gb) grad_bias(g, gyp, gb->data_as<T>());
  if (gw) grad_weight(g, x->data_as<T>(), gyp, gw->data_as<T>());
  if (gx) grad_input(g, wt->data_as<T>(), gyp, gx->data_as<T>());
}

// F.unfold: cols[n] (C * kh * kw x L) = im2col(x[n]); F.fold: x[n] = col2im(cols[n]).
template <class T>
void unfold_images(const Tensor& cols, const Tensor& x, const ops::UnfoldParams& prm, int64_t out_h,
                   int64_t out_w, bool fold) {
  const Geometry g(x, out_h, out_w, prm);
  T* xp = x->data_as<T>();
  T* cp = cols->data_as<T>();
  const int64_t plane = g.c * g.h * g.w, block = g.k * g.p;
  const int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, block));
  parallel_for(0, g.n, grain, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      if (fold) {
        std::fill(xp + n * plane, xp + (n + 1) * plane, T(0));
        col2im(g, cp + n * block, g.p, xp + n * plane);
      } else {
        im2col(g, xp + n * plane, cp + n * block, g.p);
      }
    }
  });
}

// The blocks along each dim of x's plane (the meta checked they are at least one).
std::pair<int64_t, int64_t> blocks(const Tensor& x, const ops::UnfoldParams& p) {
  const auto n = [&](int i) {
    return (x->size(2 + i) + 2 * p.padding[i] - (p.dilation[i] * (p.kernel[i] - 1) + 1)) /
               p.stride[i] +
           1;
  };
  return {n(0), n(1)};
}

void im2col_cpu(const Tensor& cols, const Tensor& x, const ops::UnfoldParams& p) {
  const auto [bh, bw] = blocks(x, p);
  dispatch_float_double("unfold", x->dtype(), [&](auto tag) {
    unfold_images<typename decltype(tag)::type>(cols, x, p, bh, bw, false);
  });
}

void col2im_cpu(const Tensor& x, const Tensor& cols, const ops::UnfoldParams& p) {
  const auto [bh, bw] = blocks(x, p);
  dispatch_float_double("fold", x->dtype(), [&](auto tag) {
    unfold_images<typename decltype(tag)::type>(cols, x, p, bh, bw, true);
  });
}

void conv2d_cpu(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b,
                const ops::Conv2dParams& p) {
  dispatch_float_double("conv2d", x->dtype(),
                        [&](auto tag) { forward<typename decltype(tag)::type>(out, x, w, b, p); });
}

void conv2d_backward_cpu(const Tensor& gx, const Tensor& gw, const Tensor& gb, const Tensor& gy,
                         const Tensor& x, const Tensor& w, const ops::Conv2dParams& p) {
  dispatch_float_double("conv2d_backward", gy->dtype(), [&](auto tag) {
    backward<typename decltype(tag)::type>(gx, gw, gb, gy, x, w, p);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(conv2d_stub, DeviceType::CPU, conv2d_cpu);
EMBER_REGISTER_KERNEL(conv2d_backward_stub, DeviceType::CPU, conv2d_backward_cpu);
EMBER_REGISTER_KERNEL(im2col_stub, DeviceType::CPU, im2col_cpu);
EMBER_REGISTER_KERNEL(col2im_stub, DeviceType::CPU, col2im_cpu);

}  // namespace ember::cpu
