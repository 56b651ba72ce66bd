// Block-wide reduction shared by the kernels that give one block to one row, channel or group.
#pragma once

#include "common.cuh"

namespace ember_cuda {

// The operators the row reductions share: a maximum in which NaN wins (a row with NaN gives NaN,
// as PyTorch's does) and a sum.
struct MaxNan {
  template <class A>
  __device__ A operator()(A a, A b) const {
    return a > b || a != a ? a : b;
  }
};
struct Add {
  template <class A>
  __device__ A operator()(A a, A b) const {
    return a + b;
  }
};

// Reduces v over the block with op; every thread gets the result. blockDim.x must be a multiple
// of 32 (whole warps: the shuffles name all 32 lanes), at most 1024. Consecutive calls are safe:
// the first barrier waits for the readers of the previous call's shared slots.
template <class A, class Op>
__device__ A block_reduce(A v, Op op, A identity) {
  __shared__ A shared[32];
  for (int o = 16; o > 0; o /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  __syncthreads();
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  const int warps = (blockDim.x + 31) / 32;
  v = lane < warps ? shared[lane] : identity;
  for (int o = 16; o > 0; o /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

}  // namespace ember_cuda
