// nn kernels: softmax / log_softmax and their backward, nll_loss and its backward, and the fused
// SGD and Adam updates (one elementwise pass per parameter, with hostdev/optim_update.h's element
// formulas, the CPU's), also over many parameters per launch.
#include <cfloat>
#include <cmath>

#include "block_reduce.cuh"
#include "core/nn_dispatch.h"
#include "device_error.cuh"
#include "hostdev/optim_update.h"
#include "map.cuh"
#include "multi_tensor.cuh"

namespace ember_cuda {

namespace {

using ember::AdamScalars;
using ember::ops::AdamOptions;
using ember::ops::Reduction;
using ember::ops::SgdOptions;
using ember::optim::AdamConstants;
using ember::optim::SgdConstants;

// One block per row when inner == 1 (rows of `size` contiguous elements).
template <class T>
__global__ void softmax_rows(const T* x, T* out, int64_t size, bool log) {
  using A = acc_t<T>;
  const T* row = x + blockIdx.x * size;
  T* o = out + blockIdx.x * size;
  A mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x) mx = MaxNan{}(mx, to_acc(row[j]));
  mx = block_reduce(mx, MaxNan{}, A(-INFINITY));
  A sum = 0;
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x) sum += exp(to_acc(row[j]) - mx);
  sum = block_reduce(sum, Add{}, A(0));
  const A lse = mx + ::log(sum);
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x) {
    const A v = to_acc(row[j]);
    o[j] = static_cast<T>(log ? v - lse : exp(v - mx) / sum);
  }
}

// Rows that fit in shared memory are read from global memory once: the row is staged in shared
// memory (16-byte loads when aligned), max and sum come from there, and the result is written.
template <class T>
__global__ void softmax_rows_staged(const T* x, T* out, int64_t size, bool log) {
  using A = acc_t<T>;
  extern __shared__ unsigned char staged_bytes[];
  A* row = reinterpret_cast<A*>(staged_bytes);
  const T* in = x + blockIdx.x * size;
  T* o = out + blockIdx.x * size;
  constexpr int W = 16 / sizeof(T);
  A mx = -INFINITY;
  if (size % W == 0 && reinterpret_cast<uintptr_t>(in) % 16 == 0) {
    const auto* v = reinterpret_cast<const Vec<T, W>*>(in);
    for (int64_t j = threadIdx.x; j < size / W; j += blockDim.x) {
      const Vec<T, W> chunk = v[j];
#pragma unroll
      for (int k = 0; k < W; ++k) {
        const A a = to_acc(chunk.v[k]);
        row[j * W + k] = a;
        mx = MaxNan{}(mx, a);
      }
    }
  } else {
    for (int64_t j = threadIdx.x; j < size; j += blockDim.x) {
      row[j] = to_acc(in[j]);
      mx = MaxNan{}(mx, row[j]);
    }
  }
  mx = block_reduce(mx, MaxNan{}, A(-INFINITY));
  A sum = 0;
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x) sum += exp(row[j] - mx);
  sum = block_reduce(sum, Add{}, A(0));
  const A lse = mx + ::log(sum), inv = A(1) / sum;
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x)
    o[j] = static_cast<T>(log ? row[j] - lse : exp(row[j] - mx) * inv);
}

// One thread per (outer, inner) column, walking the size dim with an online max and sum.
template <class T>
__global__ void softmax_columns(const T* x, T* out, int64_t outer, int64_t size, int64_t inner,
                                bool log) {
  using A = acc_t<T>;
  for (int64_t j = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; j < outer * inner;
       j += int64_t{gridDim.x} * blockDim.x) {
    const int64_t base = (j / inner) * size * inner + j % inner;
    A mx = -INFINITY, sum = 0;
    for (int64_t k = 0; k < size; ++k) {
      const A v = to_acc(x[base + k * inner]);
      if (v > mx) {
        sum = sum * exp(mx - v) + 1;
        mx = v;
      } else {
        sum += exp(v - mx);
      }
    }
    const A lse = mx + ::log(sum);
    for (int64_t k = 0; k < size; ++k) {
      const A v = to_acc(x[base + k * inner]);
      out[base + k * inner] = static_cast<T>(log ? v - lse : exp(v - mx) / sum);
    }
  }
}

ember_status softmax(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                     int64_t outer, int64_t size, int64_t inner, int32_t log) {
  return guard([&] {
    use_device(x);
    if (outer * size * inner == 0) return;
    dispatch_float(x->dtype, "softmax", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const int64_t staged = size * static_cast<int64_t>(sizeof(acc_t<T>));
      if (inner == 1 && outer <= INT32_MAX && staged <= 48 * 1024) {
        const int threads = size >= 4096 ? 512 : size >= 256 ? 256 : 128;
        softmax_rows_staged<T>
            <<<static_cast<unsigned>(outer), threads, static_cast<size_t>(staged), stream()>>>(
                data<const T>(x), data<T>(out), size, log != 0);
      } else if (inner == 1 && outer <= INT32_MAX) {
        const int threads = size >= 1024 ? 1024 : size >= 256 ? 256 : 128;
        softmax_rows<T><<<static_cast<unsigned>(outer), threads, 0, stream()>>>(
            data<const T>(x), data<T>(out), size, log != 0);
      } else {
        softmax_columns<T><<<blocks_for(outer * inner), kThreads, 0, stream()>>>(
            data<const T>(x), data<T>(out), outer, size, inner, log != 0);
      }
      EC_LAUNCHED("softmax");
    });
  });
}

// grad_x = log ? g - exp(y) * sum(g) : y * (g - sum(g * y)), per row.
template <class T>
__global__ void softmax_backward_rows(T* gx, const T* g, const T* y, int64_t size, bool log) {
  using A = acc_t<T>;
  const int64_t off = blockIdx.x * size;
  A s = 0;
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x)
    s += log ? to_acc(g[off + j]) : to_acc(g[off + j]) * to_acc(y[off + j]);
  s = block_reduce(s, Add{}, A(0));
  for (int64_t j = threadIdx.x; j < size; j += blockDim.x) {
    const A gv = to_acc(g[off + j]), yv = to_acc(y[off + j]);
    gx[off + j] = static_cast<T>(log ? gv - exp(yv) * s : yv * (gv - s));
  }
}

template <class T>
__global__ void softmax_backward_columns(T* gx, const T* g, const T* y, int64_t outer, int64_t size,
                                         int64_t inner, bool log) {
  using A = acc_t<T>;
  for (int64_t j = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; j < outer * inner;
       j += int64_t{gridDim.x} * blockDim.x) {
    const int64_t base = (j / inner) * size * inner + j % inner;
    A s = 0;
    for (int64_t k = 0; k < size; ++k) {
      const int64_t i = base + k * inner;
      s += log ? to_acc(g[i]) : to_acc(g[i]) * to_acc(y[i]);
    }
    for (int64_t k = 0; k < size; ++k) {
      const int64_t i = base + k * inner;
      const A gv = to_acc(g[i]), yv = to_acc(y[i]);
      gx[i] = static_cast<T>(log ? gv - exp(yv) * s : yv * (gv - s));
    }
  }
}

ember_status softmax_backward(void*, const ember_kernel_tensor* grad_x,
                              const ember_kernel_tensor* grad_out,
                              const ember_kernel_tensor* output, int64_t outer, int64_t size,
                              int64_t inner, int32_t log) {
  return guard([&] {
    use_device(grad_x);
    if (outer * size * inner == 0) return;
    dispatch_float(grad_x->dtype, "softmax_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (inner == 1 && outer <= INT32_MAX) {
        const int threads = size >= 1024 ? 1024 : size >= 256 ? 256 : 128;
        softmax_backward_rows<T><<<static_cast<unsigned>(outer), threads, 0, stream()>>>(
            data<T>(grad_x), data<const T>(grad_out), data<const T>(output), size, log != 0);
      } else {
        softmax_backward_columns<T><<<blocks_for(outer * inner), kThreads, 0, stream()>>>(
            data<T>(grad_x), data<const T>(grad_out), data<const T>(output), outer, size, inner,
            log != 0);
      }
      EC_LAUNCHED("softmax_backward");
    });
  });
}

// One block for the whole batch: losses, their weighted sum and the total weight. A target out
// of range goes to the device's error word and is left out; the op fails at the next
// synchronising call (no synchronisation here).
template <class T>
__global__ void nll_loss_kernel(T* out, T* total_weight, const T* logp, const int64_t* target,
                                const T* weight, int64_t n, int64_t classes, int32_t reduction,
                                int64_t ignore_index, ErrorSink sink) {
  using A = acc_t<T>;
  A sum = 0, wsum = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const int64_t t = target[i];
    if (t == ignore_index) {
      if (reduction == 0) out[i] = T(0);
      continue;
    }
    if (t < 0 || t >= classes) {
      report_error(sink, ErrorKind::Target, t, classes, i);
      continue;
    }
    const A w = weight ? to_acc(weight[t]) : A(1);
    const A loss = -w * to_acc(logp[i * classes + t]);
    if (reduction == 0) out[i] = static_cast<T>(loss);
    sum += loss;
    wsum += w;
  }
  sum = block_reduce(sum, Add{}, A(0));
  wsum = block_reduce(wsum, Add{}, A(0));
  if (threadIdx.x == 0) {
    if (reduction == 1) out[0] = static_cast<T>(sum / wsum);
    if (reduction == 2) out[0] = static_cast<T>(sum);
    *total_weight = static_cast<T>(wsum);
  }
}

ember_status nll_loss(void*, const ember_kernel_tensor* out,
                      const ember_kernel_tensor* total_weight, const ember_kernel_tensor* logp,
                      const ember_kernel_tensor* target, const ember_kernel_tensor* weight,
                      int32_t reduction, int64_t ignore_index) {
  return guard([&] {
    use_device(logp);
    const int64_t n = logp->sizes[0], classes = logp->sizes[1];
    const ErrorSink sink = error_sink("nll_loss");
    dispatch_float(logp->dtype, "nll_loss", [&](auto tag) {
      using T = typename decltype(tag)::type;
      nll_loss_kernel<T><<<1, 1024, 0, stream()>>>(
          data<T>(out), data<T>(total_weight), data<const T>(logp), data<const int64_t>(target),
          weight ? data<const T>(weight) : nullptr, n, classes, reduction, ignore_index, sink);
      EC_LAUNCHED("nll_loss");
    });
  });
}

// One thread per element of grad_x, so the zeros need no memset of their own: -w[t] * scale at
// (i, target[i]), 0 elsewhere; rows of ignored targets are all 0, and so are rows of targets out
// of range, which the forward reported.
template <class T>
__global__ void nll_loss_backward_kernel(T* gx, const T* g, const int64_t* target, const T* weight,
                                         int64_t n, int64_t classes, int32_t reduction,
                                         int64_t ignore_index, const T* total_weight) {
  using A = acc_t<T>;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < n * classes;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = idx / classes, t = target[i];
    A v = 0;
    if (t == idx % classes && t != ignore_index) {
      const A w = weight ? to_acc(weight[t]) : A(1);
      A scale = reduction == 0 ? to_acc(g[i]) : to_acc(g[0]);
      if (reduction == 1) scale /= to_acc(total_weight[0]);
      v = -w * scale;
    }
    gx[idx] = static_cast<T>(v);
  }
}

ember_status nll_loss_backward(void*, const ember_kernel_tensor* grad_x,
                               const ember_kernel_tensor* grad_out,
                               const ember_kernel_tensor* target, const ember_kernel_tensor* weight,
                               int32_t reduction, int64_t ignore_index,
                               const ember_kernel_tensor* total_weight) {
  return guard([&] {
    use_device(grad_x);
    const int64_t n = grad_x->sizes[0], classes = grad_x->sizes[1];
    if (n * classes == 0) return;
    dispatch_float(grad_x->dtype, "nll_loss_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      nll_loss_backward_kernel<T><<<blocks_for(n * classes), kThreads, 0, stream()>>>(
          data<T>(grad_x), data<const T>(grad_out), data<const int64_t>(target),
          weight ? data<const T>(weight) : nullptr, n, classes, reduction, ignore_index,
          data<const T>(total_weight));
      EC_LAUNCHED("nll_loss_backward");
    });
  });
}

template <class T>
__global__ void sgd_kernel(T* p, const T* g, T* buf, int64_t n, SgdConstants<acc_t<T>> k) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    ember::optim::sgd_update(p, g, buf, i, k);
}

ember_status sgd_step(void*, const ember_kernel_tensor* param, const ember_kernel_tensor* grad,
                      const ember_kernel_tensor* buf, const void* options) {
  return guard([&] {
    use_device(param);
    const auto& o = *static_cast<const SgdOptions*>(options);
    if (param->numel == 0) return;
    dispatch_float(param->dtype, "sgd_step", [&](auto tag) {
      using T = typename decltype(tag)::type;
      sgd_kernel<T><<<blocks_for(param->numel), kThreads, 0, stream()>>>(
          data<T>(param), data<const T>(grad), buf ? data<T>(buf) : nullptr, param->numel,
          ember::optim::sgd_constants<acc_t<T>>(o));
      EC_LAUNCHED("sgd_step");
    });
  });
}

template <class T>
__global__ void adam_kernel(T* p, const T* g, T* m, T* v, T* vmax, int64_t n,
                            AdamConstants<acc_t<T>> k) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    ember::optim::adam_update(p, g, m, v, vmax, i, k);
}

ember_status adam_step(void*, const ember_kernel_tensor* param, const ember_kernel_tensor* grad,
                       const ember_kernel_tensor* exp_avg, const ember_kernel_tensor* exp_avg_sq,
                       const ember_kernel_tensor* max_exp_avg_sq, const void* options,
                       const void* scalars) {
  return guard([&] {
    use_device(param);
    const auto& o = *static_cast<const AdamOptions*>(options);
    const auto& s = *static_cast<const AdamScalars*>(scalars);
    if (param->numel == 0) return;
    dispatch_float(param->dtype, "adam_step", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const auto k = ember::optim::adam_constants<acc_t<T>>(o, s);
      adam_kernel<T><<<blocks_for(param->numel), kThreads, 0, stream()>>>(
          data<T>(param), data<const T>(grad), data<T>(exp_avg), data<T>(exp_avg_sq),
          max_exp_avg_sq ? data<T>(max_exp_avg_sq) : nullptr, param->numel, k);
      EC_LAUNCHED("adam_step");
    });
  });
}

template <class T>
struct SgdListOp {
  SgdConstants<acc_t<T>> k;
  __device__ void operator()(T* const* ptr, int64_t i) const {
    ember::optim::sgd_update(ptr[0], ptr[1], ptr[2], i, k);
  }
};

template <class T>
struct AdamListOp {
  AdamConstants<acc_t<T>> k;
  __device__ void operator()(T* const* ptr, int64_t i) const {
    ember::optim::adam_update(ptr[0], ptr[1], ptr[2], ptr[3], ptr[4], i, k);
  }
};

// The multi-tensor steps: one launch per run of up to kListMax parameters of one dtype.
ember_status sgd_multi_step(void*, ember_kernel_tensors params, ember_kernel_tensors grads,
                            ember_kernel_tensors bufs, const void* options) {
  return guard([&] {
    const auto& o = *static_cast<const SgdOptions*>(options);
    for_each_run(params, "sgd_multi_step", [&](int64_t first, int64_t count, auto tag) {
      using T = typename decltype(tag)::type;
      launch_list(tensor_list<T, 3>(first, count, {&params, &grads, &bufs}),
                  SgdListOp<T>{ember::optim::sgd_constants<acc_t<T>>(o)});
    });
  });
}

ember_status adam_multi_step(void*, ember_kernel_tensors params, ember_kernel_tensors grads,
                             ember_kernel_tensors exp_avgs, ember_kernel_tensors exp_avg_sqs,
                             ember_kernel_tensors max_exp_avg_sqs, const void* options,
                             const void* scalars) {
  return guard([&] {
    const auto& o = *static_cast<const AdamOptions*>(options);
    const auto& s = *static_cast<const AdamScalars*>(scalars);
    for_each_run(params, "adam_multi_step", [&](int64_t first, int64_t count, auto tag) {
      using T = typename decltype(tag)::type;
      launch_list(tensor_list<T, 5>(first, count,
                                    {&params, &grads, &exp_avgs, &exp_avg_sqs, &max_exp_avg_sqs}),
                  AdamListOp<T>{ember::optim::adam_constants<acc_t<T>>(o, s)});
    });
  });
}

}  // namespace

ember_status register_nn(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "softmax", softmax);
  if (s == EMBER_OK) s = register_kernel(host, "softmax_backward", softmax_backward);
  if (s == EMBER_OK) s = register_kernel(host, "nll_loss", nll_loss);
  if (s == EMBER_OK) s = register_kernel(host, "nll_loss_backward", nll_loss_backward);
  if (s == EMBER_OK) s = register_kernel(host, "sgd_step", sgd_step);
  if (s == EMBER_OK) s = register_kernel(host, "adam_step", adam_step);
  if (s == EMBER_OK) s = register_kernel(host, "sgd_multi_step", sgd_multi_step);
  if (s == EMBER_OK) s = register_kernel(host, "adam_multi_step", adam_multi_step);
  return s;
}

}  // namespace ember_cuda
