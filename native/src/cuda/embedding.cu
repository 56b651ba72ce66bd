// Embedding kernels: max_norm renormalisation, and embedding_bag forward, backward and the
// per-sample-weights backward. The engine has checked every index against the number of rows and
// built the bag bounds, so kernels index without checks; each element follows the CPU kernel's
// arithmetic in the compute dtype (float or double). (embedding's own backward is a scatter-add on
// the device, which checks its indices there: core/nn_embedding.cpp.)
#include <algorithm>
#include <cmath>

#include "block_reduce.cuh"
#include "core/nn_dispatch.h"

namespace ember_cuda {

namespace {

using ember::ops::BagMode;

struct Sum {
  __device__ double operator()(double a, double b) const { return a + b; }
};
struct Max {
  __device__ double operator()(double a, double b) const { return fmax(a, b); }
};

template <class T>
const T* opt(const ember_kernel_tensor* t) {
  return t ? data<const T>(t) : nullptr;
}

// One block per position of indices; the first block to claim a row renormalises it, so rows
// named several times are scaled once.
template <class T>
__global__ void embedding_renorm_kernel(T* w, const int64_t* idx, int* claimed, int64_t n,
                                        int64_t dim, double max_norm, double norm_type, bool inf) {
  __shared__ int mine;
  for (int64_t i = blockIdx.x; i < n; i += gridDim.x) {
    const int64_t row = idx[i];
    if (threadIdx.x == 0) mine = atomicCAS(claimed + row, 0, 1) == 0;
    __syncthreads();
    const bool owner = mine != 0;
    __syncthreads();  // every thread has read mine before the next position writes it
    if (!owner) continue;
    T* r = w + row * dim;
    double acc = 0;
    for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) {
      const double a = fabs(static_cast<double>(r[j]));
      if (inf)
        acc = fmax(acc, a);
      else if (norm_type == 1)
        acc += a;
      else if (norm_type == 2)
        acc += a * a;
      else
        acc += pow(a, norm_type);
    }
    double norm;
    if (inf) {
      norm = block_reduce(acc, Max{}, 0.0);
    } else {
      norm = block_reduce(acc, Sum{}, 0.0);
      if (norm_type == 2)
        norm = sqrt(norm);
      else if (norm_type != 1)
        norm = pow(norm, 1.0 / norm_type);
    }
    if (norm > max_norm) {
      // PyTorch's factor: max_norm / (norm + 1e-7).
      const T scale = static_cast<T>(max_norm / (norm + 1e-7));
      for (int64_t j = threadIdx.x; j < dim; j += blockDim.x) r[j] *= scale;
    }
  }
}

ember_status embedding_renorm(void*, const ember_kernel_tensor* weight,
                              const ember_kernel_tensor* indices, double max_norm,
                              double norm_type) {
  return guard([&] {
    use_device(weight);
    const int64_t rows = weight->sizes[0], dim = weight->sizes[1];
    const int64_t n = indices->numel;
    if (n == 0 || dim == 0) return;
    dispatch_float_double(weight->dtype, "embedding_renorm_", [&](auto tag) {
      using T = typename decltype(tag)::type;
      Scratch claimed(weight->device_index, rows * int64_t{sizeof(int)});
      EC_CUDA(cudaMemsetAsync(claimed.as<void>(), 0, sizeof(int) * static_cast<size_t>(rows),
                              stream()));
      const int threads = dim >= 1024 ? 256 : dim >= 128 ? 128 : 32;
      const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(n, int64_t{1} << 20));
      embedding_renorm_kernel<T><<<blocks, threads, 0, stream()>>>(
          data<T>(weight), data<const int64_t>(indices), claimed.as<int>(), n, dim, max_norm,
          norm_type, std::isinf(norm_type));
      EC_LAUNCHED("embedding_renorm_");
    });
  });
}

// One thread per (bag, column), walking the bag's positions in order as the CPU does.
template <class T>
__global__ void embedding_bag_kernel(T* out, int64_t* max_indices, const T* w, const int64_t* idx,
                                     const int64_t* bounds, const T* psw, int64_t bags, int64_t dim,
                                     int32_t mode, int64_t padding_idx) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < bags * dim;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = e / dim, j = e % dim;
    T acc = T(0);
    int64_t arg = -1, count = 0;
    for (int64_t i = bounds[b]; i < bounds[b + 1]; ++i) {
      const int64_t row = idx[i];
      if (row == padding_idx) continue;
      const T v = w[row * dim + j];
      if (mode == static_cast<int32_t>(BagMode::Max)) {
        if (count == 0 || v > acc) {
          acc = v;
          arg = row;
        }
      } else {
        acc += v * (psw ? psw[i] : T(1));
      }
      ++count;
    }
    if (mode == static_cast<int32_t>(BagMode::Mean) && count > 0)
      acc *= T(1) / static_cast<T>(count);
    out[e] = acc;
    if (max_indices) max_indices[e] = arg;
  }
}

ember_status embedding_bag(void*, const ember_kernel_tensor* out,
                           const ember_kernel_tensor* max_indices,
                           const ember_kernel_tensor* weight, const ember_kernel_tensor* indices,
                           const ember_kernel_tensor* bounds,
                           const ember_kernel_tensor* per_sample_weights, int32_t mode,
                           int64_t padding_idx) {
  return guard([&] {
    use_device(weight);
    const int64_t bags = out->sizes[0], dim = out->sizes[1];
    if (bags * dim == 0) return;
    dispatch_float_double(weight->dtype, "embedding_bag", [&](auto tag) {
      using T = typename decltype(tag)::type;
      embedding_bag_kernel<T><<<blocks_for(bags * dim), kThreads, 0, stream()>>>(
          data<T>(out), max_indices ? data<int64_t>(max_indices) : nullptr, data<const T>(weight),
          data<const int64_t>(indices), data<const int64_t>(bounds), opt<T>(per_sample_weights),
          bags, dim, mode, padding_idx);
      EC_LAUNCHED("embedding_bag");
    });
  });
}

// Max: each output element came from one row (-1: an empty bag), its gradient goes back there.
template <class T>
__global__ void embedding_bag_backward_max(T* gw, const T* g, const int64_t* max_indices,
                                           int64_t bags, int64_t dim) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < bags * dim;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = max_indices[e];
    if (row >= 0) atomicAdd(gw + row * dim + e % dim, g[e]);
  }
}

// Sum and mean: one thread per (bag, column) adds the bag's gradient into each row of the bag
// (mean divides by the bag's non-padding entries).
template <class T>
__global__ void embedding_bag_backward_sum(T* gw, const T* g, const int64_t* idx,
                                           const int64_t* bounds, const T* psw, int64_t bags,
                                           int64_t dim, bool mean, int64_t padding_idx) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < bags * dim;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t b = e / dim, j = e % dim;
    T bag_scale = T(1);
    if (mean) {
      int64_t count = 0;
      for (int64_t i = bounds[b]; i < bounds[b + 1]; ++i) count += idx[i] != padding_idx;
      bag_scale = count > 0 ? T(1) / static_cast<T>(count) : T(0);
    }
    const T gv = g[e];
    for (int64_t i = bounds[b]; i < bounds[b + 1]; ++i) {
      const int64_t row = idx[i];
      if (row == padding_idx) continue;
      const T s = bag_scale * (psw ? psw[i] : T(1));
      atomicAdd(gw + row * dim + j, gv * s);
    }
  }
}

ember_status embedding_bag_backward(void*, const ember_kernel_tensor* grad_weight,
                                    const ember_kernel_tensor* grad,
                                    const ember_kernel_tensor* indices,
                                    const ember_kernel_tensor* bounds,
                                    const ember_kernel_tensor* max_indices,
                                    const ember_kernel_tensor* per_sample_weights, int32_t mode,
                                    int64_t padding_idx) {
  return guard([&] {
    use_device(grad_weight);
    const int64_t rows = grad_weight->sizes[0];
    const int64_t bags = grad->sizes[0], dim = grad->sizes[1];
    dispatch_float_double(grad_weight->dtype, "embedding_bag_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      EC_CUDA(cudaMemsetAsync(grad_weight->data, 0, sizeof(T) * static_cast<size_t>(rows * dim),
                              stream()));
      if (bags * dim == 0) return;
      if (mode == static_cast<int32_t>(BagMode::Max)) {
        embedding_bag_backward_max<T><<<blocks_for(bags * dim), kThreads, 0, stream()>>>(
            data<T>(grad_weight), data<const T>(grad), data<const int64_t>(max_indices), bags, dim);
      } else {
        embedding_bag_backward_sum<T><<<blocks_for(bags * dim), kThreads, 0, stream()>>>(
            data<T>(grad_weight), data<const T>(grad), data<const int64_t>(indices),
            data<const int64_t>(bounds), opt<T>(per_sample_weights), bags, dim,
            mode == static_cast<int32_t>(BagMode::Mean), padding_idx);
      }
      EC_LAUNCHED("embedding_bag_backward");
    });
  });
}

// One block per bag, one warp per position of the bag: out[i] = grad[bag] . weight[indices[i]]
// (0 for padding and for positions outside every bag).
template <class T>
__global__ void embedding_bag_psw_backward_kernel(T* out, const T* g, const T* w,
                                                  const int64_t* idx, const int64_t* bounds,
                                                  int64_t bags, int64_t dim, int64_t padding_idx) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  for (int64_t b = blockIdx.x; b < bags; b += gridDim.x) {
    const T* gb = g + b * dim;
    for (int64_t i = bounds[b] + warp; i < bounds[b + 1]; i += warps) {
      const int64_t row = idx[i];
      if (row == padding_idx) continue;  // the whole warp skips together
      const T* wr = w + row * dim;
      T s = T(0);
      for (int64_t j = lane; j < dim; j += 32) s += gb[j] * wr[j];
      for (int o = 16; o > 0; o /= 2) s += __shfl_xor_sync(0xffffffffu, s, o);
      if (lane == 0) out[i] = s;
    }
  }
}

ember_status embedding_bag_psw_backward(void*, const ember_kernel_tensor* grad_psw,
                                        const ember_kernel_tensor* grad,
                                        const ember_kernel_tensor* weight,
                                        const ember_kernel_tensor* indices,
                                        const ember_kernel_tensor* bounds, int64_t padding_idx) {
  return guard([&] {
    use_device(grad_psw);
    const int64_t n = grad_psw->numel;
    const int64_t bags = grad->sizes[0], dim = grad->sizes[1];
    dispatch_float_double(
        grad_psw->dtype, "embedding_bag_per_sample_weights_backward", [&](auto tag) {
          using T = typename decltype(tag)::type;
          EC_CUDA(cudaMemsetAsync(grad_psw->data, 0, sizeof(T) * static_cast<size_t>(n), stream()));
          if (n == 0 || bags == 0) return;
          const unsigned blocks = static_cast<unsigned>(std::min<int64_t>(bags, int64_t{1} << 20));
          embedding_bag_psw_backward_kernel<T><<<blocks, 128, 0, stream()>>>(
              data<T>(grad_psw), data<const T>(grad), data<const T>(weight),
              data<const int64_t>(indices), data<const int64_t>(bounds), bags, dim, padding_idx);
          EC_LAUNCHED("embedding_bag_per_sample_weights_backward");
        });
  });
}

}  // namespace

ember_status register_embedding(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "embedding_renorm_", embedding_renorm);
  if (s == EMBER_OK) s = register_kernel(host, "embedding_bag", embedding_bag);
  if (s == EMBER_OK) s = register_kernel(host, "embedding_bag_backward", embedding_bag_backward);
  if (s == EMBER_OK) {
    s = register_kernel(host, "embedding_bag_per_sample_weights_backward",
                        embedding_bag_psw_backward);
  }
  return s;
}

}  // namespace ember_cuda
