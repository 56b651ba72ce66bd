// Max, average and adaptive pooling over (N, C, H, W) planes (the engine runs the 1-d ops here
// with H = 1), forward and backward, with the CPU kernels' windows and arithmetic in the compute
// type (float for the 16-bit floats). One thread per output element forward; the average
// backward kernels gather per input element over the windows that contain it, adding in the CPU
// kernels' order, so results are deterministic and need no atomics. The max backward (also
// adaptive_max_pool's) scatters each output's gradient to the input its index names.
#include "common.cuh"
#include "core/nn_conv_pool.h"
#include "device_error.cuh"

namespace ember_cuda {

namespace {

using ember::ops::AvgPoolParams;
using ember::ops::Pool2dParams;

// Plane count and the input / output sizes of a 4-d (N, C, H, W) pooling.
struct Planes {
  int64_t planes, h, w, ho, wo;
};

Planes planes_of(const ember_kernel_tensor* in, const ember_kernel_tensor* out) {
  return {in->sizes[0] * in->sizes[1], in->sizes[2], in->sizes[3], out->sizes[2], out->sizes[3]};
}

__device__ inline int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }
__device__ inline int64_t imax(int64_t a, int64_t b) { return a > b ? a : b; }

#define EC_GRID_STRIDE(idx, total)                                                  \
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < (total); \
       idx += int64_t{gridDim.x} * blockDim.x)

// ---- max_pool2d ----

// One thread per output element; windows clipped to the input as the CPU kernel does (padding is
// -inf, never chosen); NaN wins.
template <class T>
__global__ void max_pool_forward(const T* x, T* y, int64_t* ind, Planes s, Pool2dParams p) {
  using A = acc_t<T>;
  EC_GRID_STRIDE(idx, s.planes * s.ho * s.wo) {
    const int64_t ow = idx % s.wo, oh = idx / s.wo % s.ho, pl = idx / (s.wo * s.ho);
    const T* xs = x + pl * s.h * s.w;
    int64_t h0 = oh * p.stride[0] - p.padding[0];
    const int64_t h1 = imin(h0 + (p.kernel[0] - 1) * p.dilation[0] + 1, s.h);
    while (h0 < 0) h0 += p.dilation[0];
    int64_t w0 = ow * p.stride[1] - p.padding[1];
    const int64_t w1 = imin(w0 + (p.kernel[1] - 1) * p.dilation[1] + 1, s.w);
    while (w0 < 0) w0 += p.dilation[1];
    int64_t best = h0 * s.w + w0;
    A m = -INFINITY;
    for (int64_t ih = h0; ih < h1; ih += p.dilation[0]) {
      for (int64_t iw = w0; iw < w1; iw += p.dilation[1]) {
        const A v = to_acc(xs[ih * s.w + iw]);
        if (v > m || v != v) {
          m = v;
          best = ih * s.w + iw;
        }
      }
    }
    y[idx] = static_cast<T>(m);
    ind[idx] = best;
  }
}

// One block per plane: the block zeroes the plane's gradient, then adds each output's gradient at
// its recorded index, so no memset runs before it. Planes that fit are summed in shared memory in
// the compute type and written once, zeros included; larger ones in place. An index outside the
// plane goes to the device's error word instead of being written (the op fails at the next
// synchronising call).
template <class T, bool kShared>
__global__ void max_pool_backward(T* gx, const T* gy, const int64_t* ind, int64_t planes,
                                  int64_t hw, int64_t ohw, ErrorSink sink) {
  using A = acc_t<T>;
  extern __shared__ unsigned char plane_bytes[];
  A* sum = reinterpret_cast<A*>(plane_bytes);
  for (int64_t pl = blockIdx.x; pl < planes; pl += gridDim.x) {
    T* o = gx + pl * hw;
    for (int64_t i = threadIdx.x; i < hw; i += blockDim.x) {
      if constexpr (kShared)
        sum[i] = A(0);
      else
        o[i] = T(0);
    }
    __syncthreads();
    const T* g = gy + pl * ohw;
    const int64_t* ix = ind + pl * ohw;
    for (int64_t q = threadIdx.x; q < ohw; q += blockDim.x) {
      const int64_t i = ix[q];
      if (i < 0 || i >= hw) {
        report_error(sink, ErrorKind::PlaneIndex, i, hw, 0);
        continue;
      }
      if constexpr (kShared)
        atomicAdd(sum + i, to_acc(g[q]));
      else
        atomicAdd(o + i, g[q]);
    }
    __syncthreads();
    if constexpr (kShared) {
      for (int64_t i = threadIdx.x; i < hw; i += blockDim.x) o[i] = static_cast<T>(sum[i]);
      __syncthreads();  // the next plane reuses sum
    }
  }
}

ember_status max_pool2d(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* indices,
                        const ember_kernel_tensor* x, const void* params) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    const auto& p = *static_cast<const Pool2dParams*>(params);
    dispatch_float(x->dtype, "max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      max_pool_forward<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<const T>(x), data<T>(out), data<int64_t>(indices), planes_of(x, out), p);
      EC_LAUNCHED("max_pool2d");
    });
  });
}

ember_status max_pool2d_backward(void*, const ember_kernel_tensor* gx,
                                 const ember_kernel_tensor* gy,
                                 const ember_kernel_tensor* indices) {
  return guard([&] {
    use_device(gx);
    if (gx->numel == 0) return;
    const Planes s = planes_of(gx, gy);
    const int64_t hw = s.h * s.w, ohw = s.ho * s.wo;
    // Enough threads for the larger of the two loops, in whole warps.
    const int64_t widest = hw > ohw ? hw : ohw;
    const int threads = widest >= kThreads ? kThreads : static_cast<int>((widest + 31) / 32 * 32);
    const auto blocks = static_cast<unsigned>(s.planes < 65535 * 16 ? s.planes : 65535 * 16);
    const ErrorSink sink = error_sink("max_pool2d_backward");
    dispatch_float(gx->dtype, "max_pool2d_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const int64_t shared = hw * static_cast<int64_t>(sizeof(acc_t<T>));
      if (shared <= 48 * 1024) {
        max_pool_backward<T, true><<<blocks, threads, static_cast<size_t>(shared), stream()>>>(
            data<T>(gx), data<const T>(gy), data<const int64_t>(indices), s.planes, hw, ohw, sink);
      } else {
        max_pool_backward<T, false><<<blocks, threads, 0, stream()>>>(
            data<T>(gx), data<const T>(gy), data<const int64_t>(indices), s.planes, hw, ohw, sink);
      }
      EC_LAUNCHED("max_pool2d_backward");
    });
  });
}

// ---- avg_pool2d ----

// The window of output (oh, ow), clipped to the padded input and then to the input, with its
// divisor: the override, the padded window's size (count_include_pad) or the clipped one's.
struct Window {
  int64_t h0, h1, w0, w1, divisor;
};

__device__ inline Window avg_window(int64_t oh, int64_t ow, int64_t h, int64_t w,
                                    const AvgPoolParams& p) {
  int64_t h0 = oh * p.stride[0] - p.padding[0], w0 = ow * p.stride[1] - p.padding[1];
  int64_t h1 = imin(h0 + p.kernel[0], h + p.padding[0]);
  int64_t w1 = imin(w0 + p.kernel[1], w + p.padding[1]);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = imax(h0, 0);
  w0 = imax(w0, 0);
  h1 = imin(h1, h);
  w1 = imin(w1, w);
  const int64_t divisor = p.divisor_override    ? p.divisor_override
                          : p.count_include_pad ? padded
                                                : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

template <class T>
__global__ void avg_pool_forward(const T* x, T* y, Planes s, AvgPoolParams p) {
  using A = acc_t<T>;
  EC_GRID_STRIDE(idx, s.planes * s.ho * s.wo) {
    const int64_t ow = idx % s.wo, oh = idx / s.wo % s.ho, pl = idx / (s.wo * s.ho);
    const T* xs = x + pl * s.h * s.w;
    const Window win = avg_window(oh, ow, s.h, s.w, p);
    A sum = 0;
    for (int64_t ih = win.h0; ih < win.h1; ++ih) {
      for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += to_acc(xs[ih * s.w + iw]);
    }
    const bool empty = win.h0 >= win.h1 || win.w0 >= win.w1;
    y[idx] = static_cast<T>(empty ? A(0) : sum / static_cast<A>(win.divisor));
  }
}

// The outputs along one dim whose windows (start o * stride - pad, length k) contain input i:
// [lo, hi], possibly empty.
__device__ inline void covering(int64_t i, int64_t k, int64_t stride, int64_t pad, int64_t n_out,
                                int64_t& lo, int64_t& hi) {
  const int64_t first = i + pad - k + 1;  // o * stride must be at least this
  lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  hi = imin((i + pad) / stride, n_out - 1);
}

template <class T>
__global__ void avg_pool_backward(T* gx, const T* gy, Planes s, AvgPoolParams p) {
  using A = acc_t<T>;
  EC_GRID_STRIDE(idx, s.planes * s.h * s.w) {
    const int64_t iw = idx % s.w, ih = idx / s.w % s.h, pl = idx / (s.w * s.h);
    const T* g = gy + pl * s.ho * s.wo;
    int64_t oh0, oh1, ow0, ow1;
    covering(ih, p.kernel[0], p.stride[0], p.padding[0], s.ho, oh0, oh1);
    covering(iw, p.kernel[1], p.stride[1], p.padding[1], s.wo, ow0, ow1);
    A sum = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const Window win = avg_window(oh, ow, s.h, s.w, p);
        if (ih < win.h0 || ih >= win.h1 || iw < win.w0 || iw >= win.w1) continue;
        sum += to_acc(g[oh * s.wo + ow]) / static_cast<A>(win.divisor);
      }
    }
    gx[idx] = static_cast<T>(sum);
  }
}

ember_status avg_pool2d(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                        const void* params) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    const auto& p = *static_cast<const AvgPoolParams*>(params);
    dispatch_float(x->dtype, "avg_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      avg_pool_forward<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<const T>(x), data<T>(out), planes_of(x, out), p);
      EC_LAUNCHED("avg_pool2d");
    });
  });
}

ember_status avg_pool2d_backward(void*, const ember_kernel_tensor* gx,
                                 const ember_kernel_tensor* gy, const void* params) {
  return guard([&] {
    use_device(gx);
    if (gx->numel == 0) return;
    const auto& p = *static_cast<const AvgPoolParams*>(params);
    dispatch_float(gx->dtype, "avg_pool2d_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      avg_pool_backward<T><<<blocks_for(gx->numel), kThreads, 0, stream()>>>(
          data<T>(gx), data<const T>(gy), planes_of(gx, gy), p);
      EC_LAUNCHED("avg_pool2d_backward");
    });
  });
}

// ---- adaptive pooling ----

// Output o of a dim of in inputs pools [floor(o * in / out), ceil((o + 1) * in / out)).
__device__ inline int64_t start_index(int64_t o, int64_t out, int64_t in) { return (o * in) / out; }
__device__ inline int64_t end_index(int64_t o, int64_t out, int64_t in) {
  return ((o + 1) * in + out - 1) / out;
}

template <class T>
__global__ void adaptive_avg_forward(const T* x, T* y, Planes s) {
  using A = acc_t<T>;
  EC_GRID_STRIDE(idx, s.planes * s.ho * s.wo) {
    const int64_t ow = idx % s.wo, oh = idx / s.wo % s.ho, pl = idx / (s.wo * s.ho);
    const T* xs = x + pl * s.h * s.w;
    const int64_t h0 = start_index(oh, s.ho, s.h), h1 = end_index(oh, s.ho, s.h);
    const int64_t w0 = start_index(ow, s.wo, s.w), w1 = end_index(ow, s.wo, s.w);
    A sum = 0;
    for (int64_t ih = h0; ih < h1; ++ih) {
      for (int64_t iw = w0; iw < w1; ++iw) sum += to_acc(xs[ih * s.w + iw]);
    }
    y[idx] = static_cast<T>(sum / static_cast<A>((h1 - h0) * (w1 - w0)));
  }
}

// The outputs whose windows contain input i: [floor(i * out / in), ceil((i + 1) * out / in) - 1]
// (a superset is harmless: the caller checks each window).
__device__ inline void adaptive_covering(int64_t i, int64_t in, int64_t out, int64_t& lo,
                                         int64_t& hi) {
  lo = (i * out) / in;
  hi = imin(((i + 1) * out + in - 1) / in - 1, out - 1);
}

template <class T>
__global__ void adaptive_avg_backward(T* gx, const T* gy, Planes s) {
  using A = acc_t<T>;
  EC_GRID_STRIDE(idx, s.planes * s.h * s.w) {
    const int64_t iw = idx % s.w, ih = idx / s.w % s.h, pl = idx / (s.w * s.h);
    const T* g = gy + pl * s.ho * s.wo;
    int64_t oh0, oh1, ow0, ow1;
    adaptive_covering(ih, s.h, s.ho, oh0, oh1);
    adaptive_covering(iw, s.w, s.wo, ow0, ow1);
    A sum = 0;
    for (int64_t oh = oh0; oh <= oh1; ++oh) {
      const int64_t h0 = start_index(oh, s.ho, s.h), h1 = end_index(oh, s.ho, s.h);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const int64_t w0 = start_index(ow, s.wo, s.w), w1 = end_index(ow, s.wo, s.w);
        if (iw < w0 || iw >= w1) continue;
        sum += to_acc(g[oh * s.wo + ow]) / static_cast<A>((h1 - h0) * (w1 - w0));
      }
    }
    gx[idx] = static_cast<T>(sum);
  }
}

// Maximum and its flat position in the plane; NaN wins (the first one), as on the CPU.
template <class T>
__global__ void adaptive_max_forward(const T* x, T* y, int64_t* ind, Planes s) {
  using A = acc_t<T>;
  EC_GRID_STRIDE(idx, s.planes * s.ho * s.wo) {
    const int64_t ow = idx % s.wo, oh = idx / s.wo % s.ho, pl = idx / (s.wo * s.ho);
    const T* xs = x + pl * s.h * s.w;
    const int64_t h0 = start_index(oh, s.ho, s.h), h1 = end_index(oh, s.ho, s.h);
    const int64_t w0 = start_index(ow, s.wo, s.w), w1 = end_index(ow, s.wo, s.w);
    A m = -INFINITY;
    int64_t best = h0 * s.w + w0;
    bool nan = false;
    for (int64_t ih = h0; ih < h1 && !nan; ++ih) {
      for (int64_t iw = w0; iw < w1; ++iw) {
        const A v = to_acc(xs[ih * s.w + iw]);
        if (v > m || v != v) {
          m = v;
          best = ih * s.w + iw;
          if (v != v) {
            nan = true;
            break;
          }
        }
      }
    }
    y[idx] = static_cast<T>(m);
    ind[idx] = best;
  }
}

ember_status adaptive_avg_pool2d(void*, const ember_kernel_tensor* out,
                                 const ember_kernel_tensor* x) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    dispatch_float(x->dtype, "adaptive_avg_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      adaptive_avg_forward<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<const T>(x), data<T>(out), planes_of(x, out));
      EC_LAUNCHED("adaptive_avg_pool2d");
    });
  });
}

ember_status adaptive_avg_pool2d_backward(void*, const ember_kernel_tensor* gx,
                                          const ember_kernel_tensor* gy) {
  return guard([&] {
    use_device(gx);
    if (gx->numel == 0) return;
    dispatch_float(gx->dtype, "adaptive_avg_pool2d_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      adaptive_avg_backward<T><<<blocks_for(gx->numel), kThreads, 0, stream()>>>(
          data<T>(gx), data<const T>(gy), planes_of(gx, gy));
      EC_LAUNCHED("adaptive_avg_pool2d_backward");
    });
  });
}

ember_status adaptive_max_pool2d(void*, const ember_kernel_tensor* out,
                                 const ember_kernel_tensor* indices, const ember_kernel_tensor* x) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    dispatch_float(x->dtype, "adaptive_max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      adaptive_max_forward<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<const T>(x), data<T>(out), data<int64_t>(indices), planes_of(x, out));
      EC_LAUNCHED("adaptive_max_pool2d");
    });
  });
}

#undef EC_GRID_STRIDE

}  // namespace

ember_status register_pool(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "max_pool2d", max_pool2d);
  if (s == EMBER_OK) s = register_kernel(host, "max_pool2d_backward", max_pool2d_backward);
  if (s == EMBER_OK) s = register_kernel(host, "avg_pool2d", avg_pool2d);
  if (s == EMBER_OK) s = register_kernel(host, "avg_pool2d_backward", avg_pool2d_backward);
  if (s == EMBER_OK) s = register_kernel(host, "adaptive_avg_pool2d", adaptive_avg_pool2d);
  if (s == EMBER_OK)
    s = register_kernel(host, "adaptive_avg_pool2d_backward", adaptive_avg_pool2d_backward);
  if (s == EMBER_OK) s = register_kernel(host, "adaptive_max_pool2d", adaptive_max_pool2d);
  return s;
}

}  // namespace ember_cuda
