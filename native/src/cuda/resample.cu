// F.interpolate forward and backward (nearest, nearest-exact, linear / bilinear / trilinear,
// bicubic) over up to 3 spatial dims. Each dim is a separable filter whose taps (source index,
// weight) per output index come from hostdev/resample_taps.h, as in the CPU kernel; a dim that
// keeps its size and values is skipped there and here. Forward: one thread per output element sums
// its taps. Backward: one thread per input element gathers from the outputs whose taps read it
// (found by binary search, since the taps move monotonically with the output index), so it needs no
// atomics and is deterministic.
#include <cstdint>

#include "common.cuh"
#include "core/nn_interpolate.h"
#include "hostdev/resample_taps.h"

namespace ember_cuda {

namespace {

using ember::ops::InterpolateMode;
using ember::ops::InterpolateParams;
using ember::resample::kMaxTaps;

// One spatial dim, (depth, height, width) order; dims the input lacks have in = out = 1.
struct Axis : ember::resample::AxisSize {
  bool identity = true;  // same size and values: one tap (o, 1), no filtering
};

struct Resample {
  InterpolateMode mode;
  bool align_corners;
  int64_t planes;  // N * C
  Axis axis[3];
};

// Where the taps lie relative to the anchor: [anchor + lo, anchor + hi].
__host__ __device__ inline void tap_offsets(InterpolateMode mode, int64_t& lo, int64_t& hi) {
  lo = mode == InterpolateMode::Cubic ? -1 : 0;
  hi = mode == InterpolateMode::Cubic ? 2 : mode == InterpolateMode::Linear ? 1 : 0;
}

// The taps of output o along axis a, a single (o, 1) on an identity axis.
template <class C>
__device__ inline int axis_taps(const Resample& r, int a, int64_t o, int64_t* ix, C* w) {
  const Axis& ax = r.axis[a];
  if (ax.identity) {
    ix[0] = o;
    w[0] = C(1);
    return 1;
  }
  int64_t anchor;
  return ember::resample::taps<C>(r.mode, r.align_corners, ax, o, ix, w, &anchor);
}

// True when one of the n taps reads input i.
__device__ inline bool reads(const int64_t* ix, int n, int64_t i) {
  for (int k = 0; k < n; ++k) {
    if (ix[k] == i) return true;
  }
  return false;
}

// sum + w[k] * v for every tap k that reads input i, one product per tap as the CPU kernel adds
// them (so a 0-weight tap of an infinite gradient gives NaN there and here).
template <class C>
__device__ inline C add_taps(C sum, const int64_t* ix, const C* w, int n, int64_t i, C v) {
  for (int k = 0; k < n; ++k) {
    if (ix[k] == i) sum += w[k] * v;
  }
  return sum;
}

// The first output of axis ax whose anchor is at least v (ax.out when there is none).
template <class C>
__device__ inline int64_t first_anchor_at_least(const Resample& r, const Axis& ax, int64_t v) {
  int64_t lo = 0, hi = ax.out;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    int64_t ix[kMaxTaps], anchor;
    C w[kMaxTaps];
    ember::resample::taps<C>(r.mode, r.align_corners, ax, mid, ix, w, &anchor);
    if (anchor >= v) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The outputs along axis a that may read input i: [lo, hi] (possibly empty; a superset, since
// the taps are checked one by one). Cubic taps clamped to the border make the first and last inputs
// readable from any anchor below or above.
template <class C>
__device__ inline void readers(const Resample& r, int a, int64_t i, int64_t& lo, int64_t& hi) {
  const Axis& ax = r.axis[a];
  if (ax.identity) {
    lo = hi = i;
    return;
  }
  int64_t lo_off, hi_off;
  tap_offsets(r.mode, lo_off, hi_off);
  const bool clamped = r.mode == InterpolateMode::Cubic;
  lo = clamped && i == 0 ? 0 : first_anchor_at_least<C>(r, ax, i - hi_off);
  hi = clamped && i == ax.in - 1 ? ax.out - 1 : first_anchor_at_least<C>(r, ax, i - lo_off + 1) - 1;
}

template <class T>
__global__ void resample_forward(const T* x, T* y, Resample r) {
  using C = acc_t<T>;
  const int64_t d_in = r.axis[0].in, h_in = r.axis[1].in, w_in = r.axis[2].in;
  const int64_t d_out = r.axis[0].out, h_out = r.axis[1].out, w_out = r.axis[2].out;
  const int64_t total = r.planes * d_out * h_out * w_out;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t ow = idx % w_out, oh = idx / w_out % h_out, od = idx / (w_out * h_out) % d_out;
    const int64_t pl = idx / (w_out * h_out * d_out);
    int64_t id[kMaxTaps], ih[kMaxTaps], iw[kMaxTaps];
    C wd[kMaxTaps], wh[kMaxTaps], ww[kMaxTaps];
    const int nd = axis_taps<C>(r, 0, od, id, wd);
    const int nh = axis_taps<C>(r, 1, oh, ih, wh);
    const int nw = axis_taps<C>(r, 2, ow, iw, ww);
    const T* xs = x + pl * d_in * h_in * w_in;
    // Width, then height, then depth, as the CPU kernel's passes.
    C sum_d = 0;
    for (int kd = 0; kd < nd; ++kd) {
      C sum_h = 0;
      for (int kh = 0; kh < nh; ++kh) {
        const T* row = xs + (id[kd] * h_in + ih[kh]) * w_in;
        C sum_w = 0;
        for (int kw = 0; kw < nw; ++kw) sum_w += ww[kw] * to_acc(row[iw[kw]]);
        sum_h += wh[kh] * sum_w;
      }
      sum_d += wd[kd] * sum_h;
    }
    y[idx] = static_cast<T>(sum_d);
  }
}

template <class T>
__global__ void resample_backward(T* gx, const T* gy, Resample r) {
  using C = acc_t<T>;
  const int64_t d_in = r.axis[0].in, h_in = r.axis[1].in, w_in = r.axis[2].in;
  const int64_t d_out = r.axis[0].out, h_out = r.axis[1].out, w_out = r.axis[2].out;
  const int64_t total = r.planes * d_in * h_in * w_in;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t iw = idx % w_in, ih = idx / w_in % h_in, id = idx / (w_in * h_in) % d_in;
    const int64_t pl = idx / (w_in * h_in * d_in);
    int64_t d0, d1, h0, h1, w0, w1;
    readers<C>(r, 0, id, d0, d1);
    readers<C>(r, 1, ih, h0, h1);
    readers<C>(r, 2, iw, w0, w1);
    const T* g = gy + pl * d_out * h_out * w_out;
    // The transposed passes in the CPU kernel's order: depth, then height, then width.
    int64_t xd[kMaxTaps], xh[kMaxTaps], xw[kMaxTaps];
    C fd[kMaxTaps], fh[kMaxTaps], fw[kMaxTaps];
    C sum_w = 0;
    for (int64_t ow = w0; ow <= w1; ++ow) {
      const int nw = axis_taps<C>(r, 2, ow, xw, fw);
      if (!reads(xw, nw, iw)) continue;
      C sum_h = 0;
      for (int64_t oh = h0; oh <= h1; ++oh) {
        const int nh = axis_taps<C>(r, 1, oh, xh, fh);
        if (!reads(xh, nh, ih)) continue;
        C sum_d = 0;
        for (int64_t od = d0; od <= d1; ++od) {
          const int nd = axis_taps<C>(r, 0, od, xd, fd);
          sum_d = add_taps(sum_d, xd, fd, nd, id, to_acc(g[(od * h_out + oh) * w_out + ow]));
        }
        sum_h = add_taps(sum_h, xh, fh, nh, ih, sum_d);
      }
      sum_w = add_taps(sum_w, xw, fw, nw, iw, sum_h);
    }
    gx[idx] = static_cast<T>(sum_w);
  }
}

// The kernel's view of p: dims aligned to the last of (depth, height, width), and which of them
// keep their size and values (the CPU kernel skips those).
template <class C>
Resample plan(const InterpolateParams& p, int64_t planes) {
  if (p.dims < 1 || p.dims > 3)
    fail(EMBER_ERROR_INVALID_ARGUMENT,
         "interpolate: expected 1 to 3 spatial dims, got " + std::to_string(p.dims));
  Resample r{p.mode, p.align_corners, planes, {}};
  const int64_t skip = 3 - p.dims;
  for (int64_t a = skip; a < 3; ++a) {
    Axis& ax = r.axis[a];
    ax.in = p.in[a - skip];
    ax.out = p.out[a - skip];
    ax.scale = p.scales[a - skip];
    ax.identity = ember::resample::is_identity<C>(p.mode, p.align_corners, ax);
  }
  return r;
}

ember_status interpolate(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                         const void* params) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    const auto& p = *static_cast<const InterpolateParams*>(params);
    dispatch_float(x->dtype, "interpolate", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Resample r = plan<acc_t<T>>(p, x->sizes[0] * x->sizes[1]);
      resample_forward<T>
          <<<blocks_for(out->numel), kThreads, 0, stream()>>>(data<const T>(x), data<T>(out), r);
      EC_LAUNCHED("interpolate");
    });
  });
}

ember_status interpolate_backward(void*, const ember_kernel_tensor* gx,
                                  const ember_kernel_tensor* gy, const void* params) {
  return guard([&] {
    use_device(gx);
    if (gx->numel == 0) return;
    const auto& p = *static_cast<const InterpolateParams*>(params);
    dispatch_float(gx->dtype, "interpolate_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const Resample r = plan<acc_t<T>>(p, gx->sizes[0] * gx->sizes[1]);
      resample_backward<T>
          <<<blocks_for(gx->numel), kThreads, 0, stream()>>>(data<T>(gx), data<const T>(gy), r);
      EC_LAUNCHED("interpolate_backward");
    });
  });
}

}  // namespace

ember_status register_resample(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "interpolate", interpolate);
  if (s == EMBER_OK) s = register_kernel(host, "interpolate_backward", interpolate_backward);
  return s;
}

}  // namespace ember_cuda
