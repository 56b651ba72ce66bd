// Normalization kernels (layer / rms norm, batch norm, group norm), forward and backward, with the
// CPU kernels' arithmetic: statistics from sums of x - shift and its square in double (shift: the
// group's first element, so the variance keeps its precision), the normalizing pass in the compute
// dtype with coefficients rounded once from double, gradient sums in double. One block per row,
// channel or (sample, group); weight and bias gradients are summed from per-block partials in a
// fixed order, so results do not depend on scheduling.
#include <algorithm>
#include <cmath>

#include "block_reduce.cuh"
#include "core/nn_dispatch.h"

namespace ember_cuda {

namespace {

struct Sum {
  __device__ double operator()(double a, double b) const { return a + b; }
};

// Threads for a block that reduces len elements: whole warps, more of them for longer groups.
// Kernels launched with it declare kMaxBlock as their launch bound, which keeps their registers
// within what a block of 1024 threads may use.
constexpr int kMaxBlock = 1024;
inline int threads_for(int64_t len) {
  return len >= 16384 ? kMaxBlock : len >= 2048 ? 512 : len >= 512 ? 256 : len >= 128 ? 128 : 32;
}

// Blocks for `items` block-sized work items, each block striding over the rest.
inline unsigned grid_for(int64_t items) {
  return static_cast<unsigned>(std::clamp<int64_t>(items, 1, int64_t{1} << 20));
}

template <class T>
const T* opt(const ember_kernel_tensor* t) {
  return t ? data<const T>(t) : nullptr;
}
template <class T>
T* opt_mut(const ember_kernel_tensor* t) {
  return t ? data<T>(t) : nullptr;
}

// ---- rows: layer norm and rms norm ----

template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    row_norm_kernel(T* y, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t rows,
                    int64_t cols, double eps, bool rms) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * cols;
    const double shift = rms ? 0.0 : static_cast<double>(xr[0]);
    double s = 0, q = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const double d = static_cast<double>(xr[j]) - shift;
      s += d;
      q += d * d;
    }
    s = block_reduce(s, Sum{}, 0.0);
    q = block_reduce(q, Sum{}, 0.0);
    const double n = static_cast<double>(cols);
    const double m = rms ? 0.0 : shift + s / n;
    const double var = rms ? q / n : fmax(0.0, (q - s * s / n) / n);
    const double inv = 1.0 / sqrt(var + eps);
    if (threadIdx.x == 0) {
      if (mean) mean[r] = static_cast<T>(m);
      rstd[r] = static_cast<T>(inv);
    }
    const T a = static_cast<T>(inv), c = static_cast<T>(-m * inv);
    T* yr = y + r * cols;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      T v = xr[j] * a + c;
      if (w) v = v * w[j];
      if (b) v = v + b[j];
      yr[j] = v;
    }
  }
}

ember_status row_norm(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* mean,
                      const ember_kernel_tensor* rstd, const ember_kernel_tensor* x,
                      const ember_kernel_tensor* weight, const ember_kernel_tensor* bias,
                      int64_t rows, int64_t cols, double eps, int32_t rms) {
  return guard([&] {
    use_device(x);
    if (rows == 0 || cols == 0) return;
    dispatch_float_double(x->dtype, "layer_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      row_norm_kernel<T><<<grid_for(rows), threads_for(cols), 0, stream()>>>(
          data<T>(out), opt_mut<T>(mean), data<T>(rstd), data<const T>(x), opt<T>(weight),
          opt<T>(bias), rows, cols, eps, rms != 0);
      EC_LAUNCHED("layer_norm");
    });
  });
}

// gx = inv * (g*w - A - xhat * B) with A = mean(g*w) (0 for rms), B = mean(g*w*xhat), as
// gx = g*w*inv + x*kx + k0.
template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    row_norm_grad_x(T* gx, const T* g, const T* x, const T* mean, const T* rstd, const T* w,
                    int64_t rows, int64_t cols, bool rms) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* gr = g + r * cols;
    const T* xr = x + r * cols;
    const double m = mean ? static_cast<double>(mean[r]) : 0.0;
    const double inv = static_cast<double>(rstd[r]);
    double sg = 0, sgx = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const double gi = static_cast<double>(gr[j]) * (w ? static_cast<double>(w[j]) : 1.0);
      sg += gi;
      sgx += gi * (static_cast<double>(xr[j]) - m);
    }
    sg = block_reduce(sg, Sum{}, 0.0);
    sgx = block_reduce(sgx, Sum{}, 0.0);
    const double n = static_cast<double>(cols);
    const double a = rms ? 0.0 : sg / n;
    const double bb = sgx * inv / n;
    const double kx = -inv * inv * bb;
    const T ta = static_cast<T>(inv), tkx = static_cast<T>(kx),
            tc = static_cast<T>(-inv * a - kx * m);
    T* out = gx + r * cols;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const T gw = w ? gr[j] * w[j] : gr[j];
      out[j] = gw * ta + (xr[j] * tkx + tc);
    }
  }
}

constexpr int kColTile = 32;   // columns per block (one warp wide, coalesced)
constexpr int kRowLanes = 16;  // rows a block reads at once

// Partials of the weight and bias gradients: slice blockIdx.y of the rows sums
// g * (x - mean) * rstd (pw) and g (pb) per column; either output may be null.
template <class T>
__global__ void __launch_bounds__(kColTile* kRowLanes)
    row_norm_grad_wb_partial(double* pw, double* pb, const T* g, const T* x, const T* mean,
                             const T* rstd, int64_t rows, int64_t cols) {
  __shared__ double sw[kRowLanes][kColTile + 1], sb[kRowLanes][kColTile + 1];
  const int64_t j = int64_t{blockIdx.x} * kColTile + threadIdx.x;
  double aw = 0, ab = 0;
  if (j < cols) {
    for (int64_t r = int64_t{blockIdx.y} * kRowLanes + threadIdx.y; r < rows;
         r += int64_t{gridDim.y} * kRowLanes) {
      const double gv = static_cast<double>(g[r * cols + j]);
      if (pw) {
        const double m = mean ? static_cast<double>(mean[r]) : 0.0;
        aw += gv * ((static_cast<double>(x[r * cols + j]) - m) * static_cast<double>(rstd[r]));
      }
      ab += gv;
    }
  }
  sw[threadIdx.y][threadIdx.x] = aw;
  sb[threadIdx.y][threadIdx.x] = ab;
  __syncthreads();
  if (threadIdx.y == 0 && j < cols) {
    double tw = 0, tb = 0;
    for (int k = 0; k < kRowLanes; ++k) {
      tw += sw[k][threadIdx.x];
      tb += sb[k][threadIdx.x];
    }
    if (pw) pw[int64_t{blockIdx.y} * cols + j] = tw;
    if (pb) pb[int64_t{blockIdx.y} * cols + j] = tb;
  }
}

// out[j] = sum over the slices of part[slice, j], in slice order.
template <class T>
__global__ void sum_slices(T* out, const double* part, int64_t slices, int64_t cols) {
  for (int64_t j = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; j < cols;
       j += int64_t{gridDim.x} * blockDim.x) {
    double t = 0;
    for (int64_t k = 0; k < slices; ++k) t += part[k * cols + j];
    out[j] = static_cast<T>(t);
  }
}

ember_status row_norm_backward(void*, const ember_kernel_tensor* grad_x,
                               const ember_kernel_tensor* grad_w, const ember_kernel_tensor* grad_b,
                               const ember_kernel_tensor* grad_out, const ember_kernel_tensor* x,
                               const ember_kernel_tensor* mean, const ember_kernel_tensor* rstd,
                               const ember_kernel_tensor* weight, int64_t rows, int64_t cols,
                               int32_t rms) {
  return guard([&] {
    use_device(x);
    if (cols == 0) return;
    dispatch_float_double(x->dtype, "layer_norm_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (grad_x && rows > 0) {
        row_norm_grad_x<T><<<grid_for(rows), threads_for(cols), 0, stream()>>>(
            data<T>(grad_x), data<const T>(grad_out), data<const T>(x), opt<T>(mean),
            data<const T>(rstd), opt<T>(weight), rows, cols, rms != 0);
        EC_LAUNCHED("layer_norm_backward");
      }
      if (!grad_w && !grad_b) return;
      // Slices of rows, as many as keep the partials within 2^22 doubles per output.
      const int64_t col_blocks = (cols + kColTile - 1) / kColTile;
      const int64_t slices = std::clamp<int64_t>(
          std::min<int64_t>({(rows + kRowLanes - 1) / kRowLanes, 128, (int64_t{1} << 22) / cols}),
          1, 65535);
      Scratch pw(x->device_index, grad_w ? slices * cols * 8 : 0);
      Scratch pb(x->device_index, grad_b ? slices * cols * 8 : 0);
      row_norm_grad_wb_partial<T>
          <<<dim3(static_cast<unsigned>(col_blocks), static_cast<unsigned>(slices)),
             dim3(kColTile, kRowLanes), 0, stream()>>>(
              pw.as<double>(), pb.as<double>(), data<const T>(grad_out), data<const T>(x),
              opt<T>(mean), data<const T>(rstd), rows, cols);
      EC_LAUNCHED("layer_norm_backward");
      if (grad_w) {
        sum_slices<T><<<blocks_for(cols), kThreads, 0, stream()>>>(data<T>(grad_w), pw.as<double>(),
                                                                   slices, cols);
        EC_LAUNCHED("layer_norm_backward");
      }
      if (grad_b) {
        sum_slices<T><<<blocks_for(cols), kThreads, 0, stream()>>>(data<T>(grad_b), pb.as<double>(),
                                                                   slices, cols);
        EC_LAUNCHED("layer_norm_backward");
      }
    });
  });
}

// ---- batch norm: per channel of x seen as (n, c, s) ----

// Element k of channel ch's n * s elements.
__device__ inline int64_t channel_at(int64_t k, int64_t ch, int64_t c, int64_t s) {
  return ((k / s) * c + ch) * s + k % s;
}

template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    batch_norm_kernel(T* y, T* mean, T* rstd, const T* x, const T* w, const T* b, T* rm, T* rv,
                      int64_t n, int64_t c, int64_t s, bool training, double momentum, double eps) {
  const int64_t count = n * s;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double m, inv;
    if (training) {
      const double shift = count > 0 ? static_cast<double>(x[ch * s]) : 0.0;
      double sum = 0, sq = 0;
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const double d = static_cast<double>(x[channel_at(k, ch, c, s)]) - shift;
        sum += d;
        sq += d * d;
      }
      sum = block_reduce(sum, Sum{}, 0.0);
      sq = block_reduce(sq, Sum{}, 0.0);
      const double cnt = static_cast<double>(count);
      m = shift + sum / cnt;
      const double var = fmax(0.0, (sq - sum * sum / cnt) / cnt);
      inv = 1.0 / sqrt(var + eps);
      if (rm && threadIdx.x == 0) {
        rm[ch] = static_cast<T>((1 - momentum) * static_cast<double>(rm[ch]) + momentum * m);
        const double unbiased = var * cnt / (cnt - 1);
        rv[ch] = static_cast<T>((1 - momentum) * static_cast<double>(rv[ch]) + momentum * unbiased);
      }
    } else {
      m = static_cast<double>(rm[ch]);
      inv = 1.0 / sqrt(static_cast<double>(rv[ch]) + eps);
    }
    if (threadIdx.x == 0) {
      mean[ch] = static_cast<T>(m);
      rstd[ch] = static_cast<T>(inv);
    }
    // (x - m) * inv * w + b as one multiply-add per element.
    const double scale = inv * (w ? static_cast<double>(w[ch]) : 1.0);
    const double offset = (b ? static_cast<double>(b[ch]) : 0.0) - m * scale;
    const T ts = static_cast<T>(scale), to = static_cast<T>(offset);
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t at = channel_at(k, ch, c, s);
      y[at] = x[at] * ts + to;
    }
  }
}

ember_status batch_norm(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* mean,
                        const ember_kernel_tensor* rstd, const ember_kernel_tensor* x,
                        const ember_kernel_tensor* weight, const ember_kernel_tensor* bias,
                        const ember_kernel_tensor* running_mean,
                        const ember_kernel_tensor* running_var, int64_t n, int64_t c, int64_t s,
                        int32_t training, double momentum, double eps) {
  return guard([&] {
    use_device(x);
    if (c == 0) return;
    dispatch_float_double(x->dtype, "batch_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      batch_norm_kernel<T><<<grid_for(c), threads_for(n * s), 0, stream()>>>(
          data<T>(out), data<T>(mean), data<T>(rstd), data<const T>(x), opt<T>(weight),
          opt<T>(bias), opt_mut<T>(running_mean), opt_mut<T>(running_var), n, c, s, training != 0,
          momentum, eps);
      EC_LAUNCHED("batch_norm");
    });
  });
}

// Training: gx = w*inv*(g - mean(g) - xhat*mean(g*xhat)); eval: the statistics are constants.
template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    batch_norm_backward_kernel(T* gx, T* gw, T* gb, const T* g, const T* x, const T* w,
                               const T* mean, const T* rstd, int64_t n, int64_t c, int64_t s,
                               bool training) {
  const int64_t count = n * s;
  const double cnt = static_cast<double>(count);
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    const double m = static_cast<double>(mean[ch]), inv = static_cast<double>(rstd[ch]);
    double sg = 0, sgx = 0;
    if (gw || gb || (gx && training)) {
      for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
        const int64_t at = channel_at(k, ch, c, s);
        const double gi = static_cast<double>(g[at]);
        sg += gi;
        sgx += gi * (static_cast<double>(x[at]) - m);
      }
      sg = block_reduce(sg, Sum{}, 0.0);
      sgx = block_reduce(sgx, Sum{}, 0.0);
    }
    if (threadIdx.x == 0) {
      if (gw) gw[ch] = static_cast<T>(sgx * inv);
      if (gb) gb[ch] = static_cast<T>(sg);
    }
    if (!gx) continue;
    const double wc = w ? static_cast<double>(w[ch]) : 1.0;
    const double a = wc * inv;
    const double kx = training ? -a * inv * inv * sgx / cnt : 0.0;
    const double k0 = training ? -a * sg / cnt - kx * m : 0.0;
    const T ta = static_cast<T>(a), tkx = static_cast<T>(kx), tk0 = static_cast<T>(k0);
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t at = channel_at(k, ch, c, s);
      gx[at] = g[at] * ta + (x[at] * tkx + tk0);
    }
  }
}

ember_status batch_norm_backward(void*, const ember_kernel_tensor* grad_x,
                                 const ember_kernel_tensor* grad_w,
                                 const ember_kernel_tensor* grad_b,
                                 const ember_kernel_tensor* grad_out, const ember_kernel_tensor* x,
                                 const ember_kernel_tensor* weight, const ember_kernel_tensor* mean,
                                 const ember_kernel_tensor* rstd, int64_t n, int64_t c, int64_t s,
                                 int32_t training) {
  return guard([&] {
    use_device(x);
    if (c == 0) return;
    dispatch_float_double(x->dtype, "batch_norm_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      batch_norm_backward_kernel<T><<<grid_for(c), threads_for(n * s), 0, stream()>>>(
          opt_mut<T>(grad_x), opt_mut<T>(grad_w), opt_mut<T>(grad_b), data<const T>(grad_out),
          data<const T>(x), opt<T>(weight), data<const T>(mean), data<const T>(rstd), n, c, s,
          training != 0);
      EC_LAUNCHED("batch_norm_backward");
    });
  });
}

// ---- group norm: per (sample, group) of x seen as (n, c, s), len = (c / groups) * s ----

template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    group_norm_kernel(T* y, T* mean, T* rstd, const T* x, const T* w, const T* b, int64_t n,
                      int64_t c, int64_t s, int64_t groups, double eps) {
  const int64_t d = c / groups, len = d * s;
  for (int64_t k = blockIdx.x; k < n * groups; k += gridDim.x) {
    const T* xg = x + k * len;
    const double shift = len > 0 ? static_cast<double>(xg[0]) : 0.0;
    double sum = 0, sq = 0;
    for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
      const double v = static_cast<double>(xg[e]) - shift;
      sum += v;
      sq += v * v;
    }
    sum = block_reduce(sum, Sum{}, 0.0);
    sq = block_reduce(sq, Sum{}, 0.0);
    const double cnt = static_cast<double>(len);
    const double m = len > 0 ? shift + sum / cnt : 0.0;
    const double var = len > 0 ? fmax(0.0, (sq - sum * sum / cnt) / cnt) : 0.0;
    const double inv = 1.0 / sqrt(var + eps);
    if (threadIdx.x == 0) {
      mean[k] = static_cast<T>(m);
      rstd[k] = static_cast<T>(inv);
    }
    const int64_t c0 = (k % groups) * d;
    T* yg = y + k * len;
    for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
      const int64_t ch = c0 + e / s;
      const double scale = inv * (w ? static_cast<double>(w[ch]) : 1.0);
      const double offset = (b ? static_cast<double>(b[ch]) : 0.0) - m * scale;
      yg[e] = xg[e] * static_cast<T>(scale) + static_cast<T>(offset);
    }
  }
}

ember_status group_norm(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* mean,
                        const ember_kernel_tensor* rstd, const ember_kernel_tensor* x,
                        const ember_kernel_tensor* weight, const ember_kernel_tensor* bias,
                        int64_t n, int64_t c, int64_t s, int64_t groups, double eps) {
  return guard([&] {
    use_device(x);
    if (n * groups == 0) return;
    dispatch_float_double(x->dtype, "group_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      group_norm_kernel<T><<<grid_for(n * groups), threads_for(c / groups * s), 0, stream()>>>(
          data<T>(out), data<T>(mean), data<T>(rstd), data<const T>(x), opt<T>(weight),
          opt<T>(bias), n, c, s, groups, eps);
      EC_LAUNCHED("group_norm");
    });
  });
}

// Per (sample, channel) p: sg[p] = sum(g), sgx[p] = sum(g * (x - mean of its group)).
template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    group_norm_channel_sums(double* sg, double* sgx, const T* g, const T* x, const T* mean,
                            int64_t n, int64_t c, int64_t s, int64_t groups) {
  const int64_t d = c / groups;
  for (int64_t p = blockIdx.x; p < n * c; p += gridDim.x) {
    const int64_t k = (p / c) * groups + (p % c) / d;
    const double m = static_cast<double>(mean[k]);
    double a = 0, bsum = 0;
    for (int64_t t = threadIdx.x; t < s; t += blockDim.x) {
      const double gi = static_cast<double>(g[p * s + t]);
      a += gi;
      bsum += gi * (static_cast<double>(x[p * s + t]) - m);
    }
    a = block_reduce(a, Sum{}, 0.0);
    bsum = block_reduce(bsum, Sum{}, 0.0);
    if (threadIdx.x == 0) {
      sg[p] = a;
      sgx[p] = bsum;
    }
  }
}

// gx per (sample, group) from the channel sums weighted by w over the group.
template <class T>
__global__ void __launch_bounds__(kMaxBlock)
    group_norm_grad_x(T* gx, const T* g, const T* x, const T* mean, const T* rstd, const T* w,
                      const double* sg, const double* sgx, int64_t n, int64_t c, int64_t s,
                      int64_t groups) {
  const int64_t d = c / groups, len = d * s;
  for (int64_t k = blockIdx.x; k < n * groups; k += gridDim.x) {
    const int64_t c0 = (k % groups) * d, sample = k / groups;
    const double m = static_cast<double>(mean[k]), inv = static_cast<double>(rstd[k]);
    double total_g = 0, total_gx = 0;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const double wc = w ? static_cast<double>(w[c0 + j]) : 1.0;
      total_g += wc * sg[sample * c + c0 + j];
      total_gx += wc * sgx[sample * c + c0 + j];
    }
    total_g = block_reduce(total_g, Sum{}, 0.0);
    total_gx = block_reduce(total_gx, Sum{}, 0.0);
    const double cnt = static_cast<double>(len);
    const double kx = -inv * inv * inv * total_gx / cnt;
    const double k0 = -inv * total_g / cnt - kx * m;
    const T tkx = static_cast<T>(kx), tk0 = static_cast<T>(k0);
    for (int64_t e = threadIdx.x; e < len; e += blockDim.x) {
      const int64_t ch = c0 + e / s, at = k * len + e;
      const double wc = w ? static_cast<double>(w[ch]) : 1.0;
      gx[at] = g[at] * static_cast<T>(inv * wc) + (x[at] * tkx + tk0);
    }
  }
}

// Per channel, over the samples in order: gw = sum(sgx * rstd), gb = sum(sg).
template <class T>
__global__ void group_norm_grad_wb(T* gw, T* gb, const double* sg, const double* sgx, const T* rstd,
                                   int64_t n, int64_t c, int64_t groups) {
  const int64_t d = c / groups;
  for (int64_t ch = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; ch < c;
       ch += int64_t{gridDim.x} * blockDim.x) {
    double tw = 0, tb = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = i * groups + ch / d;
      tw += sgx[i * c + ch] * static_cast<double>(rstd[k]);
      tb += sg[i * c + ch];
    }
    if (gw) gw[ch] = static_cast<T>(tw);
    if (gb) gb[ch] = static_cast<T>(tb);
  }
}

ember_status group_norm_backward(void*, const ember_kernel_tensor* grad_x,
                                 const ember_kernel_tensor* grad_w,
                                 const ember_kernel_tensor* grad_b,
                                 const ember_kernel_tensor* grad_out, const ember_kernel_tensor* x,
                                 const ember_kernel_tensor* mean, const ember_kernel_tensor* rstd,
                                 const ember_kernel_tensor* weight, int64_t n, int64_t c, int64_t s,
                                 int64_t groups) {
  return guard([&] {
    use_device(x);
    if (c == 0) return;  // no channels: every output is empty
    dispatch_float_double(x->dtype, "group_norm_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      Scratch sg(x->device_index, n * c * 8), sgx(x->device_index, n * c * 8);
      if (n > 0) {
        group_norm_channel_sums<T><<<grid_for(n * c), threads_for(s), 0, stream()>>>(
            sg.as<double>(), sgx.as<double>(), data<const T>(grad_out), data<const T>(x),
            data<const T>(mean), n, c, s, groups);
        EC_LAUNCHED("group_norm_backward");
      }
      if (grad_x && n > 0) {
        group_norm_grad_x<T><<<grid_for(n * groups), threads_for(c / groups * s), 0, stream()>>>(
            data<T>(grad_x), data<const T>(grad_out), data<const T>(x), data<const T>(mean),
            data<const T>(rstd), opt<T>(weight), sg.as<double>(), sgx.as<double>(), n, c, s,
            groups);
        EC_LAUNCHED("group_norm_backward");
      }
      if (grad_w || grad_b) {
        // With n == 0 this writes the zeros of an empty sum.
        group_norm_grad_wb<T><<<blocks_for(c), kThreads, 0, stream()>>>(
            opt_mut<T>(grad_w), opt_mut<T>(grad_b), sg.as<double>(), sgx.as<double>(),
            data<const T>(rstd), n, c, groups);
        EC_LAUNCHED("group_norm_backward");
      }
    });
  });
}

}  // namespace

ember_status register_norm(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "layer_norm", row_norm);
  if (s == EMBER_OK) s = register_kernel(host, "layer_norm_backward", row_norm_backward);
  if (s == EMBER_OK) s = register_kernel(host, "batch_norm", batch_norm);
  if (s == EMBER_OK) s = register_kernel(host, "batch_norm_backward", batch_norm_backward);
  if (s == EMBER_OK) s = register_kernel(host, "group_norm", group_norm);
  if (s == EMBER_OK) s = register_kernel(host, "group_norm_backward", group_norm_backward);
  return s;
}

}  // namespace ember_cuda
