// The index math of F.interpolate, once for the CPU kernel and the CUDA plugin: each spatial dim is
// a separable filter, and output index o of a dim reads a few input indices (its taps) with
// weights computed as PyTorch computes them, in the compute type C (float for float32 and the
// 16-bit floats). The CPU tabulates the taps per dim; the GPU computes them per element.
#pragma once

#include <cstdint>

#include "core/nn_interpolate.h"
#include "hostdev/host_device.h"

namespace ember::resample {

// The most taps an output index has (bicubic).
inline constexpr int kMaxTaps = 4;

// One spatial dim: in and out sizes, and the user's scale factor (0: in / out).
struct AxisSize {
  int64_t in = 1, out = 1;
  double scale = 0;
};

template <class C>
EMBER_HOST_DEVICE C cubic1(C x, C a) {  // |x| <= 1
  return ((a + 2) * x - (a + 3)) * x * x + 1;
}
template <class C>
EMBER_HOST_DEVICE C cubic2(C x, C a) {  // 1 < |x| < 2
  return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

EMBER_HOST_DEVICE int64_t clamp_index(int64_t v, int64_t lo, int64_t hi) {
  return v < lo ? lo : v > hi ? hi : v;
}

// The taps of output o along ax: writes the source indices and weights (kMaxTaps room), returns
// their count (1 nearest, 2 linear, 4 cubic). *anchor never decreases with o, and every tap lies
// within a fixed distance of it before clamping to the input (the GPU's backward searches on it).
template <class C>
EMBER_HOST_DEVICE int taps(ops::InterpolateMode mode, bool align_corners, const AxisSize& ax,
                           int64_t o, int64_t* ix, C* w, int64_t* anchor) {
  using ops::InterpolateMode;
  const int64_t in = ax.in, out = ax.out;
  switch (mode) {
    case InterpolateMode::Nearest:
    case InterpolateMode::NearestExact: {
      // Computed in float, as PyTorch does for every dtype.
      const float scale = ax.scale > 0 ? static_cast<float>(1.0 / ax.scale)
                                       : static_cast<float>(in) / static_cast<float>(out);
      int64_t src;
      if (mode == InterpolateMode::NearestExact) {
        const auto pos = static_cast<float>((static_cast<double>(o) + 0.5) * scale);
        src = static_cast<int64_t>(hd::floor(pos));
      } else if (out == in) {
        src = o;
      } else if (out == 2 * in) {
        src = o >> 1;
      } else {
        src = static_cast<int64_t>(hd::floor(static_cast<float>(o) * scale));
      }
      ix[0] = src < in - 1 ? src : in - 1;
      w[0] = C(1);
      *anchor = ix[0];
      return 1;
    }
    case InterpolateMode::Linear:
    case InterpolateMode::Cubic:
      break;
  }
  const bool cubic = mode == InterpolateMode::Cubic;
  // PyTorch's area_pixel_compute_scale and area_pixel_compute_source_index.
  C ratio;
  if (align_corners) {
    ratio = out > 1 ? static_cast<C>(in - 1) / static_cast<C>(out - 1) : C(0);
  } else {
    ratio =
        ax.scale > 0 ? static_cast<C>(1.0 / ax.scale) : static_cast<C>(in) / static_cast<C>(out);
  }
  C real;
  if (align_corners) {
    real = ratio * static_cast<C>(o);
  } else {
    real = static_cast<C>(static_cast<double>(ratio) * (static_cast<double>(o) + 0.5) - 0.5);
    if (!cubic && real < C(0)) real = C(0);
  }
  if (!cubic) {
    if (out == in) {
      ix[0] = ix[1] = o;
      w[0] = C(1);
      w[1] = C(0);
      *anchor = o;
      return 2;
    }
    const auto fl = static_cast<int64_t>(hd::floor(real));
    const int64_t i0 = fl < in - 1 ? fl : in - 1;
    C lambda1 = real - static_cast<C>(i0);
    lambda1 = lambda1 < C(0) ? C(0) : lambda1 > C(1) ? C(1) : lambda1;
    ix[0] = i0;
    ix[1] = i0 + (i0 < in - 1 ? 1 : 0);
    w[0] = C(1) - lambda1;
    w[1] = lambda1;
    *anchor = i0;
    return 2;
  }
  const auto i0 = static_cast<int64_t>(hd::floor(real));
  const C f = real - static_cast<C>(i0);
  const C a = C(-0.75);
  w[0] = cubic2<C>(f + 1, a);
  w[1] = cubic1<C>(f, a);
  w[2] = cubic1<C>(1 - f, a);
  w[3] = cubic2<C>(2 - f, a);
  // Taps outside the input read its border element.
  for (int k = 0; k < 4; ++k) ix[k] = clamp_index(i0 - 1 + k, 0, in - 1);
  *anchor = i0;
  return 4;
}

// True when ax keeps its size and values (every output reads its own input with weight 1, other
// taps weigh 0): both kernels skip such a dim.
template <class C>
bool is_identity(ops::InterpolateMode mode, bool align_corners, const AxisSize& ax) {
  bool same = ax.in == ax.out;
  for (int64_t o = 0; same && o < ax.out; ++o) {
    int64_t ix[kMaxTaps], anchor;
    C w[kMaxTaps];
    const int n = taps<C>(mode, align_corners, ax, o, ix, w, &anchor);
    for (int k = 0; k < n; ++k) same = same && (w[k] == C(0) || (w[k] == C(1) && ix[k] == o));
  }
  return same;
}

}  // namespace ember::resample
