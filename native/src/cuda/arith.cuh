// The arithmetic of the elementwise ops, shared by their own kernels (elementwise.cu) and the
// batched small-op kernel (small_ops.cu), so a queued op computes bit for bit what a launched one
// would.
#pragma once

#include "common.cuh"
#include "core/ops.h"

namespace ember_cuda {

// a (op) b in the op's arithmetic type (16-bit floats through float).
template <class T>
__device__ __forceinline__ T apply(ember::ops::BinaryOp op, T a, T b) {
  using ember::ops::BinaryOp;
  using A = acc_t<T>;
  const A x = static_cast<A>(a), y = static_cast<A>(b);
  switch (op) {
    case BinaryOp::Add:
      return static_cast<T>(x + y);
    case BinaryOp::Sub:
      return static_cast<T>(x - y);
    case BinaryOp::Mul:
      return static_cast<T>(x * y);
    default:
      return static_cast<T>(x / y);
  }
}

// bool arithmetic is logical (add: or, mul: and), as PyTorch's.
template <>
__device__ __forceinline__ bool apply(ember::ops::BinaryOp op, bool a, bool b) {
  return op == ember::ops::BinaryOp::Mul ? (a && b) : (a || b);
}

template <class T>
struct Neg {
  __device__ T operator()(T x) const { return static_cast<T>(-to_acc(x)); }
};

template <class T>
struct Exp {
  __device__ T operator()(T x) const { return static_cast<T>(exp(to_acc(x))); }
};

template <class T>
struct Log {
  __device__ T operator()(T x) const { return static_cast<T>(log(to_acc(x))); }
};

}  // namespace ember_cuda
