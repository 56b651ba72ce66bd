// Reductions: sum and mean over any dims (a two-pass grid reduction when everything folds into
// one value, a block per output for long rows, a thread per output for short ones) and argmax.
#include <cfloat>
#include <cmath>

#include "core/nn_dispatch.h"
#include "reduce.cuh"

namespace ember_cuda {

namespace {

using ember::ReduceOp;

// Accumulator of a sum: float for 32- and 16-bit floats (as PyTorch's CUDA sum), double for
// double, int64 for integers and bool.
template <class T>
using sum_acc_t = std::conditional_t<is_floating_v<T>, acc_t<T>, int64_t>;

template <class A>
__device__ A block_sum(A v) {
  __shared__ A shared[32];
  for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const unsigned warps = (blockDim.x + 31) / 32;
  v = threadIdx.x < warps ? shared[threadIdx.x] : A(0);
  if (warp == 0)
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;  // valid in thread 0
}

template <class T, class Out, class A>
__device__ Out finish(A total, bool mean, int64_t n) {
  if constexpr (is_floating_v<Out>) {
    return static_cast<Out>(mean ? total / static_cast<A>(n) : total);
  } else {
    return static_cast<Out>(total);
  }
}

// Pass 1 of a full reduction over dense data: each block sums a grid-strided share, 16 bytes at a
// time. Each thread issues kSumLoads independent loads before it adds (one accumulator each), so
// enough bytes are in flight to keep HBM busy.
constexpr int kSumLoads = 4;

template <class T, class A>
__global__ void __launch_bounds__(1024)
    sum_dense_partials(const T* __restrict__ a, int64_t n, A* partials) {
  constexpr int W = 16 / sizeof(T);
  using V = Vec<T, W>;
  const auto* v = reinterpret_cast<const V*>(a);
  const int64_t stride = int64_t{gridDim.x} * blockDim.x;
  const int64_t vecs = n / W;
  A acc[kSumLoads] = {};
  int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  for (; i + (kSumLoads - 1) * stride < vecs; i += kSumLoads * stride) {
    V x[kSumLoads];
#pragma unroll
    for (int u = 0; u < kSumLoads; ++u) x[u] = v[i + u * stride];
#pragma unroll
    for (int u = 0; u < kSumLoads; ++u)
#pragma unroll
      for (int k = 0; k < W; ++k) acc[u] += static_cast<A>(to_acc(x[u].v[k]));
  }
  for (; i < vecs; i += stride) {
    const V x = v[i];
#pragma unroll
    for (int k = 0; k < W; ++k) acc[0] += static_cast<A>(to_acc(x.v[k]));
  }
  for (i = vecs * W + int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n; i += stride)
    acc[0] += static_cast<A>(to_acc(a[i]));
#pragma unroll
  for (int u = 1; u < kSumLoads; ++u) acc[0] += acc[u];
  acc[0] = block_sum(acc[0]);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc[0];
}

// Pass 1 over any layout.
template <class T, class A>
__global__ void sum_strided_partials(const T* a, Layout la, int64_t n, A* partials) {
  A acc = 0;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    acc += static_cast<A>(to_acc(a[offset_of(la, i)]));
  acc = block_sum(acc);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

template <class T, class Out, class A>
__global__ void sum_final(const A* partials, int count, Out* out, bool mean, int64_t n) {
  A acc = 0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) *out = finish<T, Out, A>(acc, mean, n);
}

// One block per output element.
template <class T, class Out, class A>
__global__ void sum_rows_block(const T* a, ReducePlan p, Out* out, bool mean) {
  for (int64_t o = blockIdx.x; o < p.n_out; o += gridDim.x) {
    const T* base = a + offset_of(p.a_kept, o);
    A acc = 0;
    for (int64_t r = threadIdx.x; r < p.n_red; r += blockDim.x)
      acc += static_cast<A>(to_acc(base[offset_of(p.a_red, r)]));
    acc = block_sum(acc);
    if (threadIdx.x == 0) out[offset_of(p.out, o)] = finish<T, Out, A>(acc, mean, p.n_red);
    __syncthreads();  // shared memory of block_sum is reused by the next output
  }
}

// One thread per output element.
template <class T, class Out, class A>
__global__ void sum_rows_thread(const T* a, ReducePlan p, Out* out, bool mean) {
  for (int64_t o = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; o < p.n_out;
       o += int64_t{gridDim.x} * blockDim.x) {
    const T* base = a + offset_of(p.a_kept, o);
    A acc = 0;
    for (int64_t r = 0; r < p.n_red; ++r)
      acc += static_cast<A>(to_acc(base[offset_of(p.a_red, r)]));
    out[offset_of(p.out, o)] = finish<T, Out, A>(acc, mean, p.n_red);
  }
}

// The value of an empty reduction: 0 for a sum, NaN (0 / 0) for a mean.
template <class Out, class A>
struct Fill0 {
  bool mean;
  __device__ Out operator()() const {
    if constexpr (is_floating_v<Out>)
      return static_cast<Out>(mean ? A(NAN) : A(0));
    else
      return Out(0);
  }
};

template <class T, class Out>
void sum_typed(const ember_kernel_tensor* out, const ember_kernel_tensor* a, bool mean) {
  using A = sum_acc_t<T>;
  const ReducePlan p = plan(out, a);
  Out* o = data<Out>(out);
  const T* x = data<const T>(a);
  if (p.n_out == 0) return;
  if (p.n_red == 0) {  // the sum of nothing is 0 (mean: nan, as 0/0)
    map0<Out>(out, Fill0<Out, A>{mean});
    return;
  }
  if (p.n_out == 1) {
    int sms = 0;
    EC_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, a->device_index));
    // 2048 threads an SM either way; the dense path reads fastest in blocks of 1024 (H200: 4.49
    // against 4.45 TB/s for blocks of 256, helper H-Z's A/B of session 8).
    const bool dense_path = dense(a, p.n_red) && aligned16(x);
    const int threads = dense_path ? 1024 : kThreads;
    const int blocks = static_cast<int>(
        std::min<int64_t>(sms * (2048 / threads), (p.n_red + threads - 1) / threads));
    Scratch partials(a->device_index, static_cast<int64_t>(sizeof(A)) * blocks);
    if (dense_path)
      sum_dense_partials<T, A><<<blocks, threads, 0, stream()>>>(x, p.n_red, partials.as<A>());
    else
      sum_strided_partials<T, A>
          <<<blocks, threads, 0, stream()>>>(x, p.a_red, p.n_red, partials.as<A>());
    EC_LAUNCHED("sum");
    sum_final<T, Out, A><<<1, 1024, 0, stream()>>>(partials.as<A>(), blocks, o, mean, p.n_red);
    EC_LAUNCHED("sum");
  } else if (p.n_red >= 512) {
    sum_rows_block<T, Out, A>
        <<<static_cast<unsigned>(std::min<int64_t>(p.n_out, 65535 * 16)), kThreads, 0, stream()>>>(
            x, p, o, mean);
    EC_LAUNCHED("sum");
  } else {
    sum_rows_thread<T, Out, A><<<blocks_for(p.n_out), kThreads, 0, stream()>>>(x, p, o, mean);
    EC_LAUNCHED("sum");
  }
}

ember_status reduce(void*, int32_t op, const ember_kernel_tensor* out,
                    const ember_kernel_tensor* a) {
  return guard([&] {
    use_device(a);
    const bool mean = static_cast<ReduceOp>(op) == ReduceOp::Mean;
    dispatch(a->dtype, "sum", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (is_floating_v<T>) {
        if (out->dtype != a->dtype) fail(EMBER_ERROR_DTYPE, "cuda sum: output dtype differs");
        sum_typed<T, T>(out, a, mean);
      } else {
        if (mean) fail(EMBER_ERROR_DTYPE, "mean: integer input on cuda");
        if (out->dtype != EMBER_INT64) fail(EMBER_ERROR_DTYPE, "cuda sum: integer sums are int64");
        sum_typed<T, int64_t>(out, a, false);
      }
    });
  });
}

// First maximum along the middle dim of (outer, size, inner); NaN counts as the maximum.
template <class T>
__global__ void argmax_kernel(const T* x, T* values, int64_t* indices, int64_t outer, int64_t size,
                              int64_t inner) {
  for (int64_t j = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; j < outer * inner;
       j += int64_t{gridDim.x} * blockDim.x) {
    const int64_t o = j / inner, i = j % inner;
    const T* row = x + o * size * inner + i;
    auto best = to_acc(row[0]);
    int64_t at = 0;
    for (int64_t k = 1; k < size && !(best != best); ++k) {
      const auto v = to_acc(row[k * inner]);
      if (v > best || v != v) {
        best = v;
        at = k;
      }
    }
    if (values) values[j] = static_cast<T>(best);
    indices[j] = at;
  }
}

ember_status argmax(void*, const ember_kernel_tensor* values, const ember_kernel_tensor* indices,
                    const ember_kernel_tensor* x, int64_t outer, int64_t size, int64_t inner) {
  return guard([&] {
    use_device(x);
    dispatch(x->dtype, "argmax", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, bool>) {
        fail(EMBER_ERROR_DTYPE, "argmax: bool input on cuda");
      } else {
        if (outer * inner == 0) return;
        argmax_kernel<T><<<blocks_for(outer * inner), kThreads, 0, stream()>>>(
            data<const T>(x), values ? data<T>(values) : nullptr, data<int64_t>(indices), outer,
            size, inner);
        EC_LAUNCHED("argmax");
      }
    });
  });
}

}  // namespace

ember_status register_reduce(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "reduce", reduce);
  if (s == EMBER_OK) s = register_kernel(host, "argmax", argmax);
  return s;
}

}  // namespace ember_cuda
