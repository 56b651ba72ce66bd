// Direct conv2d kernels (see conv2d_direct.h). The output is cut into vectors q = (oh, v): output
// row oh, columns [v * W, v * W + W). At tap (c, i, j) that vector reads the input vector at
// tap[t] + xoff[q], a plain unaligned load (stride 1 along the width). So:
//   forward       y[o][q]  = sum_t  w[o][t] * x[tap[t] + xoff[q]]       (taps reduce, weights
//                 broadcast: rows of output channels by 2 vectors, as a GEMM micro-kernel)
//   input grad    gx[tap[t] + xoff[q]] += sum_o w[o][t] * gy[o][q]     (the column of the im2col
//                 product is added where it belongs as soon as it is in registers)
//   weight grad   gw[o][t] = sum over images and q of dot(gy[o][q], x[tap[t] + xoff[q]])
//                 (4 channels by 3 taps of vector accumulators, summed across lanes once per pass
//                 over a block of images)
// Padding is made explicit by copying one image's group into a zeroed buffer (the input
// gradient is accumulated there and its interior copied out).
#include "cpu/nn/conv2d_direct.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "core/parallel.h"
#include "cpu/nn/simd.h"

namespace ember::cpu::conv {
namespace {

// [start, size) parts of [0, n): ceil(n / most) of them, of near-equal size (20 rows in tiles of
// at most 6 go 5 + 5 + 5 + 5: a short tile costs almost as many loads as a full one).
using Tiles = std::vector<std::pair<int64_t, int64_t>>;
Tiles split(int64_t n, int64_t most) {
  Tiles out;
  const int64_t parts = (n + most - 1) / most;
  const int64_t base = parts ? n / parts : 0, taller = parts ? n % parts : 0;
  for (int64_t t = 0, at = 0; t < parts; ++t) {
    const int64_t size = base + (t < taller ? 1 : 0);
    out.emplace_back(at, size);
    at += size;
  }
  return out;
}

// Images whose weight-gradient contributions are summed together before the blocks are added in
// order: fixed, so the sum does not depend on the threads.
constexpr int64_t kImageBlock = 16;

template <class T>
struct Plan {
  static constexpr int64_t W = Simd<T>::kWidth;
  Direct d;
  int64_t cg, og, k, p, vecs;  // vecs: output vectors per plane
  bool padded;
  int64_t rs, plane;                // row stride and plane size of the input as the kernels read it
  std::vector<int64_t> tap;         // tap (c, i, j) -> its offset in one group's input
  std::vector<int64_t> xoff, yoff;  // vector q -> its offset in that input (tap 0), in the output

  explicit Plan(const Direct& dd)
      : d(dd),
        cg(d.c / d.groups),
        og(d.o / d.groups),
        k(cg * d.kh * d.kw),
        p(d.ho * d.wo),
        vecs(d.ho * (d.wo / W)),
        padded(d.ph > 0 || d.pw > 0),
        rs(d.w + 2 * d.pw),
        plane((d.h + 2 * d.ph) * rs),
        tap(k),
        xoff(vecs),
        yoff(vecs) {
    for (int64_t c = 0; c < cg; ++c) {
      for (int64_t i = 0; i < d.kh; ++i) {
        for (int64_t j = 0; j < d.kw; ++j) {
          tap[(c * d.kh + i) * d.kw + j] = c * plane + i * d.dh * rs + j * d.dw;
        }
      }
    }
    const int64_t nv = d.wo / W;
    for (int64_t oh = 0; oh < d.ho; ++oh) {
      for (int64_t v = 0; v < nv; ++v) {
        xoff[oh * nv + v] = oh * d.sh * rs + v * W;
        yoff[oh * nv + v] = oh * d.wo + v * W;
      }
    }
  }

  int64_t in_plane() const { return d.h * d.w; }
  // Elements of one group of one image as the kernels read it.
  int64_t group_size() const { return cg * plane; }

  // One group of one image as the kernels read it: x itself, or a zero-padded copy in buf.
  const T* input(const T* x, T* buf) const {
    if (!padded) return x;
    std::fill(buf, buf + group_size(), T(0));
    for (int64_t c = 0; c < cg; ++c) {
      for (int64_t ih = 0; ih < d.h; ++ih) {
        const T* src = x + (c * d.h + ih) * d.w;
        std::copy(src, src + d.w, buf + c * plane + (ih + d.ph) * rs + d.pw);
      }
    }
    return buf;
  }
};

// ---- forward ----

template <class T, int MR, int NB>
EMBER_ALWAYS_INLINE inline void fwd_tile(const Plan<T>& pl, const T* a, const T* x, int64_t q,
                                         const T* bias, T* y) {
  using V = typename Simd<T>::V;
  V acc[MR][NB];
  for (int r = 0; r < MR; ++r) {
    const T b0 = bias ? bias[r] : T(0);
    for (int nb = 0; nb < NB; ++nb) acc[r][nb] = V{} + b0;
  }
  const T* xb[NB];
  for (int nb = 0; nb < NB; ++nb) xb[nb] = x + pl.xoff[q + nb];
  const int64_t* tap = pl.tap.data();
  for (int64_t t = 0; t < pl.k; ++t) {
    const int64_t off = tap[t];
    V b[NB];
    for (int nb = 0; nb < NB; ++nb) load_vec(b[nb], xb[nb] + off);
    const T* at = a + t * MR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const T s = at[r];
      for (int nb = 0; nb < NB; ++nb) acc[r][nb] += s * b[nb];
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int nb = 0; nb < NB; ++nb) store_vec(y + r * pl.p + pl.yoff[q + nb], acc[r][nb]);
  }
}

template <class T, int NB>
EMBER_ALWAYS_INLINE inline void fwd_rows(int64_t rows, const Plan<T>& pl, const T* a, const T* x,
                                         int64_t q, const T* bias, T* y) {
  switch (rows) {
    case 6:
      return fwd_tile<T, 6, NB>(pl, a, x, q, bias, y);
    case 5:
      return fwd_tile<T, 5, NB>(pl, a, x, q, bias, y);
    case 4:
      return fwd_tile<T, 4, NB>(pl, a, x, q, bias, y);
    case 3:
      return fwd_tile<T, 3, NB>(pl, a, x, q, bias, y);
    case 2:
      return fwd_tile<T, 2, NB>(pl, a, x, q, bias, y);
    default:
      return fwd_tile<T, 1, NB>(pl, a, x, q, bias, y);
  }
}

// One group of one image: ys (og x p) from its input xs; wpk holds the group's packed weights.
template <class T>
EMBER_ALWAYS_INLINE inline void fwd_group(const Plan<T>& pl, const Tiles& rows, const T* wpk,
                                          const T* xs, const T* bias, T* ys) {
  for (const auto& [o0, mr] : rows) {
    const T* a = wpk + o0 * pl.k;
    const T* bo = bias ? bias + o0 : nullptr;
    T* yo = ys + o0 * pl.p;
    int64_t q = 0;
    for (; q + 2 <= pl.vecs; q += 2) fwd_rows<T, 2>(mr, pl, a, xs, q, bo, yo);
    if (q < pl.vecs) fwd_rows<T, 1>(mr, pl, a, xs, q, bo, yo);
  }
}

// ---- input gradient ----

template <class T, int MR, int NB>
EMBER_ALWAYS_INLINE inline void gin_tile(const Plan<T>& pl, const T* a, const int64_t* offs,
                                         const T* gy, int64_t q, T* gx) {
  using V = typename Simd<T>::V;
  V acc[MR][NB];
  for (int r = 0; r < MR; ++r) {
    for (int nb = 0; nb < NB; ++nb) acc[r][nb] = V{};
  }
  const T* gb[NB];
  for (int nb = 0; nb < NB; ++nb) gb[nb] = gy + pl.yoff[q + nb];
  for (int64_t o = 0; o < pl.og; ++o) {
    V b[NB];
    for (int nb = 0; nb < NB; ++nb) load_vec(b[nb], gb[nb] + o * pl.p);
    const T* ao = a + o * MR;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const T s = ao[r];
      for (int nb = 0; nb < NB; ++nb) acc[r][nb] += s * b[nb];
    }
  }
  // One at a time: two taps of a tile may reach overlapping input vectors.
  for (int r = 0; r < MR; ++r) {
    for (int nb = 0; nb < NB; ++nb) {
      T* dst = gx + offs[r] + pl.xoff[q + nb];
      V cur;
      load_vec(cur, dst);
      cur += acc[r][nb];
      store_vec(dst, cur);
    }
  }
}

template <class T, int NB>
EMBER_ALWAYS_INLINE inline void gin_rows(int64_t rows, const Plan<T>& pl, const T* a,
                                         const int64_t* offs, const T* gy, int64_t q, T* gx) {
  switch (rows) {
    case 6:
      return gin_tile<T, 6, NB>(pl, a, offs, gy, q, gx);
    case 5:
      return gin_tile<T, 5, NB>(pl, a, offs, gy, q, gx);
    case 4:
      return gin_tile<T, 4, NB>(pl, a, offs, gy, q, gx);
    case 3:
      return gin_tile<T, 3, NB>(pl, a, offs, gy, q, gx);
    case 2:
      return gin_tile<T, 2, NB>(pl, a, offs, gy, q, gx);
    default:
      return gin_tile<T, 1, NB>(pl, a, offs, gy, q, gx);
  }
}

// One group of one image: adds into gx (laid out as the kernels read the input) the gradient
// from gy (og x p). Taps go in tiles of the permuted order, whose input offsets are poffs; apk
// holds the group's packed transposed weights.
template <class T>
EMBER_ALWAYS_INLINE inline void gin_group(const Plan<T>& pl, const Tiles& taps, const T* apk,
                                          const int64_t* poffs, const T* gy, T* gx) {
  for (const auto& [t0, mr] : taps) {
    const T* a = apk + t0 * pl.og;
    int64_t q = 0;
    for (; q + 2 <= pl.vecs; q += 2) gin_rows<T, 2>(mr, pl, a, poffs + t0, gy, q, gx);
    if (q < pl.vecs) gin_rows<T, 1>(mr, pl, a, poffs + t0, gy, q, gx);
  }
}

// ---- weight gradient ----

// The sum of a vector's lanes, by halves (a loop over the lanes is vectorised into a long chain of
// permutes).
EMBER_ALWAYS_INLINE inline float hsum(const Simd<float>::V& v) {
  typedef float H __attribute__((vector_size(16)));
  H s = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
  s += __builtin_shufflevector(s, s, 2, 3, 0, 1);
  s += __builtin_shufflevector(s, s, 1, 0, 3, 2);
  return s[0];
}
EMBER_ALWAYS_INLINE inline double hsum(const Simd<double>::V& v) {
  typedef double H __attribute__((vector_size(16)));
  H s = __builtin_shufflevector(v, v, 0, 1) + __builtin_shufflevector(v, v, 2, 3);
  return s[0] + s[1];
}

template <class T, int MR, int NT>
EMBER_ALWAYS_INLINE inline void gw_tile(const Plan<T>& pl, const T* const* xs, const T* const* gys,
                                        int64_t cnt, int64_t o0, int64_t t0, T* out, bool add) {
  using V = typename Simd<T>::V;
  V acc[MR][NT];
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NT; ++j) acc[r][j] = V{};
  }
  int64_t toff[NT];
  for (int j = 0; j < NT; ++j) toff[j] = pl.tap[t0 + j];
  const int64_t* xoff = pl.xoff.data();
  const int64_t* yoff = pl.yoff.data();
  for (int64_t n = 0; n < cnt; ++n) {
    const T* g = gys[n] + o0 * pl.p;
    const T* x = xs[n];
    for (int64_t q = 0; q < pl.vecs; ++q) {
      const T* gq = g + yoff[q];
      const T* xq = x + xoff[q];
      V b[NT];
      for (int j = 0; j < NT; ++j) load_vec(b[j], xq + toff[j]);
#pragma GCC unroll 8
      for (int r = 0; r < MR; ++r) {
        V a;
        load_vec(a, gq + r * pl.p);
        for (int j = 0; j < NT; ++j) acc[r][j] += a * b[j];
      }
    }
  }
  for (int r = 0; r < MR; ++r) {
    for (int j = 0; j < NT; ++j) {
      T& dst = out[(o0 + r) * pl.k + t0 + j];
      dst = add ? dst + hsum(acc[r][j]) : hsum(acc[r][j]);
    }
  }
}

template <class T, int MR>
EMBER_ALWAYS_INLINE inline void gw_taps(int64_t nt, const Plan<T>& pl, const T* const* xs,
                                        const T* const* gys, int64_t cnt, int64_t o0, int64_t t0,
                                        T* out, bool add) {
  switch (nt) {
    case 3:
      return gw_tile<T, MR, 3>(pl, xs, gys, cnt, o0, t0, out, add);
    case 2:
      return gw_tile<T, MR, 2>(pl, xs, gys, cnt, o0, t0, out, add);
    default:
      return gw_tile<T, MR, 1>(pl, xs, gys, cnt, o0, t0, out, add);
  }
}

// One group over a block of cnt images (their inputs xs, their gradients gys at the group's
// first channel): out (og x k) = the block's weight gradient. The images go `pass` at a time
// through every tile, few enough that a tile's rows of them stay in the L1 cache.
template <class T>
EMBER_ALWAYS_INLINE inline void gw_group(const Plan<T>& pl, const Tiles& rows, const Tiles& taps,
                                         const T* const* xs, const T* const* gys, int64_t cnt,
                                         int64_t pass, T* out) {
  for (int64_t s = 0; s < cnt; s += pass) {
    const int64_t m = std::min(pass, cnt - s);
    for (const auto& [o0, mr] : rows) {
      for (const auto& [t0, nt] : taps) {
        switch (mr) {
          case 4:
            gw_taps<T, 4>(nt, pl, xs + s, gys + s, m, o0, t0, out, s > 0);
            break;
          case 3:
            gw_taps<T, 3>(nt, pl, xs + s, gys + s, m, o0, t0, out, s > 0);
            break;
          case 2:
            gw_taps<T, 2>(nt, pl, xs + s, gys + s, m, o0, t0, out, s > 0);
            break;
          default:
            gw_taps<T, 1>(nt, pl, xs + s, gys + s, m, o0, t0, out, s > 0);
            break;
        }
      }
    }
  }
}

// ---- the bodies, compiled plain and for AVX2 ----

#define EMBER_DIRECT_CLONES(T)                                                                 \
  void fwd_base(const Plan<T>& pl, const Tiles& r, const T* w, const T* x, const T* b, T* y) { \
    fwd_group(pl, r, w, x, b, y);                                                              \
  }                                                                                            \
  void gin_base(const Plan<T>& pl, const Tiles& t, const T* a, const int64_t* o, const T* gy,  \
                T* gx) {                                                                       \
    gin_group(pl, t, a, o, gy, gx);                                                            \
  }                                                                                            \
  void gw_base(const Plan<T>& pl, const Tiles& r, const Tiles& t, const T* const* xs,          \
               const T* const* gys, int64_t cnt, int64_t pass, T* out) {                       \
    gw_group(pl, r, t, xs, gys, cnt, pass, out);                                               \
  }
EMBER_DIRECT_CLONES(float)
EMBER_DIRECT_CLONES(double)
#undef EMBER_DIRECT_CLONES

#if EMBER_X86_CLONES
#define EMBER_DIRECT_CLONES(T)                                                                     \
  EMBER_TARGET_AVX2 void fwd_avx2(const Plan<T>& pl, const Tiles& r, const T* w, const T* x,       \
                                  const T* b, T* y) {                                              \
    fwd_group(pl, r, w, x, b, y);                                                                  \
  }                                                                                                \
  EMBER_TARGET_AVX2 void gin_avx2(const Plan<T>& pl, const Tiles& t, const T* a, const int64_t* o, \
                                  const T* gy, T* gx) {                                            \
    gin_group(pl, t, a, o, gy, gx);                                                                \
  }                                                                                                \
  EMBER_TARGET_AVX2 void gw_avx2(const Plan<T>& pl, const Tiles& r, const Tiles& t,                \
                                 const T* const* xs, const T* const* gys, int64_t cnt,             \
                                 int64_t pass, T* out) {                                           \
    gw_group(pl, r, t, xs, gys, cnt, pass, out);                                                   \
  }
EMBER_DIRECT_CLONES(float)
EMBER_DIRECT_CLONES(double)
#undef EMBER_DIRECT_CLONES
#define EMBER_DIRECT_PICK(name, ...) \
  (cpu_has_avx2() ? name##_avx2(__VA_ARGS__) : name##_base(__VA_ARGS__))
#else
#define EMBER_DIRECT_PICK(name, ...) name##_base(__VA_ARGS__)
#endif

// ---- the drivers ----

template <class T>
void forward(const Direct& d, const T* x, const T* w, const T* b, T* y) {
  const Plan<T> pl(d);
  const Tiles rows = split(pl.og, 6);
  // Per group and row tile, tap-major with the tile's rows side by side (one broadcast each).
  std::vector<T> wpk(d.o * pl.k);
  for (int64_t grp = 0; grp < d.groups; ++grp) {
    for (const auto& [o0, mr] : rows) {
      T* dst = wpk.data() + (grp * pl.og + o0) * pl.k;
      const T* src = w + (grp * pl.og + o0) * pl.k;
      for (int64_t t = 0; t < pl.k; ++t) {
        for (int64_t r = 0; r < mr; ++r) dst[t * mr + r] = src[r * pl.k + t];
      }
    }
  }
  parallel_for(0, d.n, 1, [&](int64_t n0, int64_t n1) {
    std::vector<T> buf(pl.padded ? pl.group_size() : 0);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t grp = 0; grp < d.groups; ++grp) {
        const T* xs = pl.input(x + (n * d.c + grp * pl.cg) * pl.in_plane(), buf.data());
        EMBER_DIRECT_PICK(fwd, pl, rows, wpk.data() + grp * pl.og * pl.k, xs,
                          b ? b + grp * pl.og : nullptr, y + (n * d.o + grp * pl.og) * pl.p);
      }
    }
  });
}

template <class T>
void grad_input(const Direct& d, const T* w, const T* gy, T* gx) {
  const Plan<T> pl(d);
  // Taps in (c, j, i) order, a tile per (c, j) column when the kernel is 3 to 6 high: the taps of
  // a tile then reach different input rows, and consecutive tiles do not half-overlap the vectors
  // just written (which would defeat store-to-load forwarding).
  std::vector<int64_t> perm;
  perm.reserve(pl.k);
  for (int64_t c = 0; c < pl.cg; ++c) {
    for (int64_t j = 0; j < d.kw; ++j) {
      for (int64_t i = 0; i < d.kh; ++i) perm.push_back((c * d.kh + i) * d.kw + j);
    }
  }
  Tiles taps;
  if (d.kh >= 3 && d.kh <= 6) {
    for (int64_t t = 0; t < pl.k; t += d.kh) taps.emplace_back(t, d.kh);
  } else {
    taps = split(pl.k, 6);
  }
  std::vector<int64_t> poffs(pl.k);
  for (int64_t t = 0; t < pl.k; ++t) poffs[t] = pl.tap[perm[t]];
  // Per group and tap tile, channel-major with the tile's taps side by side.
  std::vector<T> apk(d.o * pl.k);
  for (int64_t grp = 0; grp < d.groups; ++grp) {
    for (const auto& [t0, mr] : taps) {
      T* dst = apk.data() + grp * pl.og * pl.k + t0 * pl.og;
      for (int64_t o = 0; o < pl.og; ++o) {
        const T* src = w + (grp * pl.og + o) * pl.k;
        for (int64_t r = 0; r < mr; ++r) dst[o * mr + r] = src[perm[t0 + r]];
      }
    }
  }
  parallel_for(0, d.n, 1, [&](int64_t n0, int64_t n1) {
    std::vector<T> buf(pl.padded ? pl.group_size() : 0);
    for (int64_t n = n0; n < n1; ++n) {
      for (int64_t grp = 0; grp < d.groups; ++grp) {
        T* gxs = gx + (n * d.c + grp * pl.cg) * pl.in_plane();
        T* acc = pl.padded ? buf.data() : gxs;
        std::fill(acc, acc + (pl.padded ? pl.group_size() : pl.cg * pl.in_plane()), T(0));
        EMBER_DIRECT_PICK(gin, pl, taps, apk.data() + grp * pl.og * pl.k, poffs.data(),
                          gy + (n * d.o + grp * pl.og) * pl.p, acc);
        if (pl.padded) {
          for (int64_t c = 0; c < pl.cg; ++c) {
            for (int64_t ih = 0; ih < d.h; ++ih) {
              const T* src = acc + c * pl.plane + (ih + d.ph) * pl.rs + d.pw;
              std::copy(src, src + d.w, gxs + (c * d.h + ih) * d.w);
            }
          }
        }
      }
    }
  });
}

template <class T>
void grad_weight(const Direct& d, const T* x, const T* gy, T* gw) {
  const Plan<T> pl(d);
  // 4 channels by 3 taps: 12 accumulators, 3 input vectors and one gradient vector in registers.
  const Tiles rows = split(pl.og, 4), taps = split(pl.k, 3);
  const int64_t blocks = (d.n + kImageBlock - 1) / kImageBlock, wsize = d.o * pl.k;
  // A tile reads 4 rows of each image's gradient and about one input plane: images per pass so
  // that this stays within 16 KiB.
  const int64_t per_image = (4 * pl.p + pl.plane) * static_cast<int64_t>(sizeof(T));
  const int64_t pass = std::clamp<int64_t>((16 << 10) / per_image, 1, kImageBlock);
  std::vector<T> partial(blocks * wsize);
  parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
    std::vector<T> buf(pl.padded ? kImageBlock * pl.group_size() : 0);
    const T* xs[kImageBlock];
    const T* gys[kImageBlock];
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t n0 = blk * kImageBlock, cnt = std::min(kImageBlock, d.n - n0);
      for (int64_t grp = 0; grp < d.groups; ++grp) {
        for (int64_t i = 0; i < cnt; ++i) {
          xs[i] = pl.input(x + ((n0 + i) * d.c + grp * pl.cg) * pl.in_plane(),
                           buf.data() + i * pl.group_size());
          gys[i] = gy + ((n0 + i) * d.o + grp * pl.og) * pl.p;
        }
        EMBER_DIRECT_PICK(gw, pl, rows, taps, xs, gys, cnt, pass,
                          partial.data() + blk * wsize + grp * pl.og * pl.k);
      }
    }
  });
  std::copy(partial.begin(), partial.begin() + wsize, gw);
  for (int64_t blk = 1; blk < blocks; ++blk) {
    const T* part = partial.data() + blk * wsize;
    for (int64_t q = 0; q < wsize; ++q) gw[q] += part[q];
  }
}

}  // namespace

bool direct_applies(const Direct& d, int64_t sw, int64_t bytes) {
  const int64_t lanes = 32 / bytes;
  const bool pointwise = d.kh == 1 && d.kw == 1 && d.sh == 1 && d.ph == 0 && d.pw == 0;
  return sw == 1 && !pointwise && d.n > 0 && d.ho > 0 && d.wo > 0 && d.wo % lanes == 0;
}

void direct_forward(const Direct& d, const float* x, const float* w, const float* b, float* y) {
  forward(d, x, w, b, y);
}
void direct_forward(const Direct& d, const double* x, const double* w, const double* b, double* y) {
  forward(d, x, w, b, y);
}
void direct_grad_input(const Direct& d, const float* w, const float* gy, float* gx) {
  grad_input(d, w, gy, gx);
}
void direct_grad_input(const Direct& d, const double* w, const double* gy, double* gx) {
  grad_input(d, w, gy, gx);
}
void direct_grad_weight(const Direct& d, const float* x, const float* gy, float* gw) {
  grad_weight(d, x, gy, gw);
}
void direct_grad_weight(const Direct& d, const double* x, const double* gy, double* gw) {
  grad_weight(d, x, gy, gw);
}

}  // namespace ember::cpu::conv
