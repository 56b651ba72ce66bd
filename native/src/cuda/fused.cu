// The fused training-step ops on the GPU (core/nn_fused.h): linear's gradients as two cuBLAS
// products and one column-sum kernel, each adding into an existing gradient where asked (no
// separate add launches); cross entropy over class indices as one kernel forward and one backward,
// the backward reading its incoming gradient on the device; feature dropout (nn.Dropout2d) as one
// kernel that draws the channel mask and scales x.
#include <cmath>

#include "blas.cuh"
#include "block_reduce.cuh"
#include "core/nn_fused.h"
#include "device_error.cuh"
#include "hostdev/dropout_keep.h"
#include "map.cuh"

namespace ember_cuda {

namespace {

template <class A, class Op>
__device__ A warp_reduce(A v, Op op) {
  for (int o = 16; o > 0; o /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// ---- linear backward ----

constexpr int kSumCols = 32, kSumRows = 16;

// gb[o] = (accumulate ? gb[o] : 0) + sum over rows of g[r, o]: a block covers 32 columns, its 16
// thread rows each sum every 16th row, then the 16 partial sums are added in a fixed order.
template <class T>
__global__ void column_sums(T* gb, const T* g, int64_t rows, int64_t outs, bool accumulate) {
  using A = acc_t<T>;
  __shared__ A partial[kSumRows][kSumCols];
  const int64_t o = int64_t{blockIdx.x} * kSumCols + threadIdx.x;
  A sum = 0;
  if (o < outs)
    for (int64_t r = threadIdx.y; r < rows; r += kSumRows) sum += to_acc(g[r * outs + o]);
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && o < outs) {
    A total = accumulate ? to_acc(gb[o]) : A(0);
    for (int k = 0; k < kSumRows; ++k) total += partial[k][threadIdx.x];
    gb[o] = static_cast<T>(total);
  }
}

void zero(const ember_kernel_tensor* t) {
  EC_CUDA(cudaMemsetAsync(t->data, 0, static_cast<size_t>(t->numel * element_size(t->dtype)),
                          stream()));
}

ember_status linear_backward(void*, const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                             const ember_kernel_tensor* gb, const ember_kernel_tensor* g,
                             const ember_kernel_tensor* x, const ember_kernel_tensor* w,
                             int32_t accumulate_w, int32_t accumulate_b) {
  return guard([&] {
    use_device(g);
    const int32_t dev = g->device_index;
    // x is null without gw, w without gx.
    const int64_t rows = g->sizes[0], outs = g->sizes[1];
    const int64_t in = gx != nullptr ? gx->sizes[1] : gw != nullptr ? gw->sizes[1] : 0;
    const GemmType type = gemm_type(g->dtype, "linear_backward");
    // Row-major products as their column-major transposes (see blas.cu).
    if (gx != nullptr && gx->numel > 0) {
      if (outs == 0) {
        zero(gx);
      } else {  // gx^T (in x rows) = W^T (in x outs) . g^T (outs x rows)
        gemm(dev, type, CUBLAS_OP_N, CUBLAS_OP_N, in, rows, outs, w->data, in, 0, g->data, outs, 0,
             0.0, gx->data, in, 0, 1);
      }
    }
    if (gw != nullptr && gw->numel > 0) {
      if (rows == 0) {
        if (!accumulate_w) zero(gw);
      } else {  // gW^T (in x outs) = x^T (in x rows) . g (rows x outs), + gW^T when accumulating
        gemm(dev, type, CUBLAS_OP_N, CUBLAS_OP_T, in, outs, rows, x->data, in, 0, g->data, outs, 0,
             accumulate_w ? 1.0 : 0.0, gw->data, in, 0, 1);
      }
    }
    if (gb != nullptr && outs > 0) {
      dispatch_float(g->dtype, "linear_backward", [&](auto tag) {
        using T = typename decltype(tag)::type;
        const dim3 threads(kSumCols, kSumRows);
        column_sums<T>
            <<<static_cast<unsigned>((outs + kSumCols - 1) / kSumCols), threads, 0, stream()>>>(
                data<T>(gb), data<const T>(g), rows, outs, accumulate_b != 0);
        EC_LAUNCHED("linear_backward bias");
      });
    }
  });
}

// ---- cross entropy ----

// One block for the whole batch, a warp per row: the row's logsumexp, the target's loss, and the
// block's sums of losses and weights. A target out of range goes to the device's error word and
// counts for nothing (the op fails at the next synchronising call).
template <class T>
__global__ void cross_entropy_kernel(T* loss, acc_t<T>* lse, T* total, const T* x,
                                     const int64_t* target, const T* weight, int64_t n,
                                     int64_t classes, int32_t reduction, int64_t ignore_index,
                                     ErrorSink sink) {
  using A = acc_t<T>;
  const int lane = threadIdx.x % 32;
  const int64_t warps = blockDim.x / 32;
  A sum = 0, wsum = 0;
  for (int64_t i = threadIdx.x / 32; i < n; i += warps) {
    const T* row = x + i * classes;
    A mx = -INFINITY;
    for (int64_t c = lane; c < classes; c += 32) mx = MaxNan{}(mx, to_acc(row[c]));
    mx = warp_reduce(mx, MaxNan{});
    A s = 0;
    for (int64_t c = lane; c < classes; c += 32) s += exp(to_acc(row[c]) - mx);
    s = warp_reduce(s, Add{});
    if (lane == 0) {
      const A l = mx + log(s);
      lse[i] = l;
      const int64_t t = target[i];
      A li = 0;
      if (t != ignore_index) {
        if (t < 0 || t >= classes) {
          report_error(sink, ErrorKind::Target, t, classes, i);
        } else {
          const A w = weight ? to_acc(weight[t]) : A(1);
          li = -w * (to_acc(row[t]) - l);
          sum += li;
          wsum += w;
        }
      }
      if (reduction == 0) loss[i] = static_cast<T>(li);
    }
  }
  sum = block_reduce(sum, Add{}, A(0));
  wsum = block_reduce(wsum, Add{}, A(0));
  if (threadIdx.x == 0) {
    if (reduction == 1) loss[0] = static_cast<T>(sum / wsum);
    if (reduction == 2) loss[0] = static_cast<T>(sum);
    *total = static_cast<T>(wsum);
  }
}

ember_status cross_entropy(void*, const ember_kernel_tensor* loss, const ember_kernel_tensor* lse,
                           const ember_kernel_tensor* total, const ember_kernel_tensor* x,
                           const ember_kernel_tensor* target, const ember_kernel_tensor* weight,
                           int32_t reduction, int64_t ignore_index) {
  return guard([&] {
    use_device(x);
    const int64_t n = x->sizes[0], classes = x->sizes[1];
    const ErrorSink sink = error_sink("cross_entropy");
    dispatch_float(x->dtype, "cross_entropy", [&](auto tag) {
      using T = typename decltype(tag)::type;
      cross_entropy_kernel<T><<<1, 1024, 0, stream()>>>(
          data<T>(loss), data<acc_t<T>>(lse), data<T>(total), data<const T>(x),
          data<const int64_t>(target), weight ? data<const T>(weight) : nullptr, n, classes,
          reduction, ignore_index, sink);
      EC_LAUNCHED("cross_entropy");
    });
  });
}

// One thread per element: (softmax - onehot) times the target's weight and the incoming gradient
// (read here, divided by the total weight for mean); 0 in rows of ignored targets and of targets
// out of range, which the forward reported.
template <class T>
__global__ void cross_entropy_backward_kernel(T* gx, const T* g, const T* x, const acc_t<T>* lse,
                                              const int64_t* target, const T* weight,
                                              const T* total, int64_t n, int64_t classes,
                                              int32_t reduction, int64_t ignore_index) {
  using A = acc_t<T>;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < n * classes;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = idx / classes, c = idx % classes, t = target[i];
    A v = 0;
    if (t != ignore_index && t >= 0 && t < classes) {
      A scale = reduction == 0 ? to_acc(g[i]) : to_acc(g[0]);
      if (reduction == 1) scale /= to_acc(total[0]);
      if (weight) scale *= to_acc(weight[t]);
      const A p = exp(to_acc(x[idx]) - lse[i]);
      v = scale * (c == t ? p - A(1) : p);
    }
    gx[idx] = static_cast<T>(v);
  }
}

ember_status cross_entropy_backward(void*, const ember_kernel_tensor* gx,
                                    const ember_kernel_tensor* grad, const ember_kernel_tensor* x,
                                    const ember_kernel_tensor* lse,
                                    const ember_kernel_tensor* target,
                                    const ember_kernel_tensor* weight,
                                    const ember_kernel_tensor* total, int32_t reduction,
                                    int64_t ignore_index) {
  return guard([&] {
    use_device(gx);
    const int64_t n = gx->sizes[0], classes = gx->sizes[1];
    if (n * classes == 0) return;
    dispatch_float(gx->dtype, "cross_entropy_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      cross_entropy_backward_kernel<T><<<blocks_for(n * classes), kThreads, 0, stream()>>>(
          data<T>(gx), data<const T>(grad), data<const T>(x), data<const acc_t<T>>(lse),
          data<const int64_t>(target), weight ? data<const T>(weight) : nullptr,
          data<const T>(total), n, classes, reduction, ignore_index);
      EC_LAUNCHED("cross_entropy_backward");
    });
  });
}

// ---- feature dropout ----

// One thread per element of x: its channel's mask element regenerated from the counters (the
// dropout rule), out = x * it; the first element of each channel writes the mask. With empty
// channels (inner == 0) one thread per channel writes the mask alone.
template <class T>
__global__ void feature_dropout_kernel(T* mask, T* out, const T* x, int64_t planes, int64_t inner,
                                       uint32_t threshold, acc_t<T> scale, uint64_t seed,
                                       uint64_t base) {
  const int64_t total = inner > 0 ? planes * inner : planes;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t p = inner > 0 ? idx / inner : idx;
    const acc_t<T> m = ember::dropout_keeps(seed, base, p, threshold) ? scale : acc_t<T>(0);
    if (inner == 0 || idx % inner == 0) mask[p] = static_cast<T>(m);
    if (inner > 0) out[idx] = static_cast<T>(to_acc(x[idx]) * m);
  }
}

ember_status feature_dropout(void*, const ember_kernel_tensor* mask, const ember_kernel_tensor* out,
                             const ember_kernel_tensor* x, double keep, double scale, uint64_t seed,
                             uint64_t base) {
  return guard([&] {
    use_device(mask);
    const int64_t planes = mask->numel, inner = planes > 0 ? x->numel / planes : 0;
    if (planes == 0) return;
    dispatch_float(mask->dtype, "feature_dropout", [&](auto tag) {
      using T = typename decltype(tag)::type;
      feature_dropout_kernel<T>
          <<<blocks_for(inner > 0 ? planes * inner : planes), kThreads, 0, stream()>>>(
              data<T>(mask), data<T>(out), data<const T>(x), planes, inner,
              ember::dropout_threshold(keep), static_cast<acc_t<T>>(scale), seed, base);
      EC_LAUNCHED("feature_dropout");
    });
  });
}

}  // namespace

ember_status register_fused(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "linear_backward", linear_backward);
  if (s == EMBER_OK) s = register_kernel(host, "feature_dropout", feature_dropout);
  if (s == EMBER_OK) s = register_kernel(host, "cross_entropy", cross_entropy);
  if (s == EMBER_OK) s = register_kernel(host, "cross_entropy_backward", cross_entropy_backward);
  return s;
}

}  // namespace ember_cuda
