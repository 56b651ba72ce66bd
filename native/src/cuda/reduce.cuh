// Reductions over any dims of a strided input into a keepdim-shaped output: the plan that splits
// the input's layout into kept and reduced dims (shared by sum/mean in reduce.cu and the kernels of
// reduce_ex.cu), and a generic fold driven by an Ops type:
//   using Acc = ...;                      trivially constructible (it lives in shared memory)
//   __device__ Acc identity() const;
//   __device__ Acc reduce(Acc acc, T x) const;       folds one input element in
//   __device__ Acc combine(Acc a, Acc b) const;      commutative and associative
//   __device__ Out project(Acc acc) const;           the output element
// The launch strategies are those of the sum: a two-pass grid fold when everything folds into one
// value, a block per output for long rows, a thread per output for short ones.
#pragma once

#include <algorithm>

#include "map.cuh"

namespace ember_cuda {

// The reduced dims of a seen as their own layout, and a's offsets of each output element.
struct ReducePlan {
  Layout out;     // out's layout over the kept shape
  Layout a_kept;  // a's strides over the kept shape (reduced dims size 1)
  Layout a_red;   // a's sizes/strides over the reduced dims only
  int64_t n_out, n_red;
};

// Merges neighbouring dims of l that one stride walks (fewer divisions in offset_of); the
// row-major order of the elements stays the same.
inline void coalesce(Layout& l) {
  if (l.ndim <= 1) return;
  int32_t k = 0;
  for (int32_t d = 1; d < l.ndim; ++d) {
    if (l.strides[k] == l.strides[d] * l.sizes[d]) {
      l.sizes[k] *= l.sizes[d];
      l.strides[k] = l.strides[d];
    } else {
      ++k;
      l.sizes[k] = l.sizes[d];
      l.strides[k] = l.strides[d];
    }
  }
  l.ndim = k + 1;
}

inline ReducePlan plan(const ember_kernel_tensor* out, const ember_kernel_tensor* a) {
  if (a->ndim > kMaxDims) fail(EMBER_ERROR_NOT_IMPLEMENTED, "cuda reduce: more than 16 dims");
  ReducePlan p{};
  p.out = layout_in(out, out);
  p.a_kept.ndim = a->ndim;
  p.n_out = out->numel;
  p.n_red = 1;
  for (int32_t d = 0; d < a->ndim; ++d) {
    const bool reduced = out->sizes[d] == 1 && a->sizes[d] != 1;
    p.a_kept.sizes[d] = out->sizes[d];
    p.a_kept.strides[d] = reduced ? 0 : a->strides[d];
    if (reduced) {
      p.a_red.sizes[p.a_red.ndim] = a->sizes[d];
      p.a_red.strides[p.a_red.ndim] = a->strides[d];
      ++p.a_red.ndim;
      p.n_red *= a->sizes[d];
    }
  }
  return p;
}

// offset_of over the reduced dims; one dim (a run that coalesce() merged) needs no divisions.
__device__ __forceinline__ int64_t reduced_offset(const Layout& l, int64_t i) {
  return l.ndim == 1 ? i * l.strides[0] : offset_of(l, i);
}

// Folds one value per thread of a block of kThreads threads with ops.combine; every thread gets
// the result. Any Acc type, structs too, through shared memory.
template <class Ops, class Acc>
__device__ Acc block_fold(Acc v, const Ops& ops) {
  __shared__ Acc buf[kThreads];
  buf[threadIdx.x] = v;
  __syncthreads();
  for (unsigned s = kThreads / 2; s > 0; s /= 2) {
    if (threadIdx.x < s) buf[threadIdx.x] = ops.combine(buf[threadIdx.x], buf[threadIdx.x + s]);
    __syncthreads();
  }
  const Acc r = buf[0];
  __syncthreads();  // buf is free for the next call
  return r;
}

// Pass 1 of a full fold: each block folds a grid-strided share.
template <class T, class Ops>
__global__ void fold_partials(const T* a, Layout la, int64_t n, Ops ops,
                              typename Ops::Acc* partials) {
  auto acc = ops.identity();
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    acc = ops.reduce(acc, a[reduced_offset(la, i)]);
  acc = block_fold(acc, ops);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// Pass 2: one block folds the partials into the single output.
template <class Out, class Ops>
__global__ void fold_final(const typename Ops::Acc* partials, int count, Ops ops, Out* out) {
  auto acc = ops.identity();
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc = ops.combine(acc, partials[i]);
  acc = block_fold(acc, ops);
  if (threadIdx.x == 0) *out = ops.project(acc);
}

// One block per output element.
template <class T, class Out, class Ops>
__global__ void fold_rows_block(const T* a, ReducePlan p, Ops ops, Out* out) {
  for (int64_t o = blockIdx.x; o < p.n_out; o += gridDim.x) {
    const T* base = a + offset_of(p.a_kept, o);
    auto acc = ops.identity();
    for (int64_t r = threadIdx.x; r < p.n_red; r += blockDim.x)
      acc = ops.reduce(acc, base[reduced_offset(p.a_red, r)]);
    acc = block_fold(acc, ops);
    if (threadIdx.x == 0) out[offset_of(p.out, o)] = ops.project(acc);
  }
}

// One thread per output element.
template <class T, class Out, class Ops>
__global__ void fold_rows_thread(const T* a, ReducePlan p, Ops ops, Out* out) {
  for (int64_t o = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; o < p.n_out;
       o += int64_t{gridDim.x} * blockDim.x) {
    const T* base = a + offset_of(p.a_kept, o);
    auto acc = ops.identity();
    for (int64_t r = 0; r < p.n_red; ++r) acc = ops.reduce(acc, base[reduced_offset(p.a_red, r)]);
    out[offset_of(p.out, o)] = ops.project(acc);
  }
}

// out (keepdim-shaped, Out elements) = the fold of a (T elements) over the dims where out has
// size 1; every output must fold at least one element (the engine fills empty reductions).
template <class T, class Out, class Ops>
void fold(const ember_kernel_tensor* out, const ember_kernel_tensor* a, const Ops& ops,
          const char* name) {
  using Acc = typename Ops::Acc;
  ReducePlan p = plan(out, a);
  if (p.n_out == 0 || p.n_red == 0) return;
  coalesce(p.a_red);
  use_device(a);
  Out* o = data<Out>(out);
  const T* x = data<const T>(a);
  if (p.n_out == 1) {
    int sms = 0;
    EC_CUDA(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, a->device_index));
    const int blocks =
        static_cast<int>(std::min<int64_t>(sms * 8, (p.n_red + kThreads - 1) / kThreads));
    Scratch partials(a->device_index, static_cast<int64_t>(sizeof(Acc)) * blocks);
    fold_partials<T, Ops>
        <<<blocks, kThreads, 0, stream()>>>(x, p.a_red, p.n_red, ops, partials.as<Acc>());
    check_cuda(cudaGetLastError(), name);
    fold_final<Out, Ops><<<1, kThreads, 0, stream()>>>(partials.as<Acc>(), blocks, ops, o);
  } else if (p.n_red >= 512) {
    fold_rows_block<T, Out, Ops>
        <<<static_cast<unsigned>(std::min<int64_t>(p.n_out, 65535 * 16)), kThreads, 0, stream()>>>(
            x, p, ops, o);
  } else {
    fold_rows_thread<T, Out, Ops><<<blocks_for(p.n_out), kThreads, 0, stream()>>>(x, p, ops, o);
  }
  check_cuda(cudaGetLastError(), name);
}

}  // namespace ember_cuda
