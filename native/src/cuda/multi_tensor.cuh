// Elementwise updates of many tensors in one launch (the optimizers' steps over every parameter):
// a launch costs the host microseconds, more than updating a small parameter. Each block takes one
// chunk of one tensor; the table of tensors travels by value as a kernel argument, so nothing is
// copied to the device and the launch records into a CUDA graph.
#pragma once

#include <array>

#include "common.cuh"

namespace ember_cuda {

// Tensors per launch: the table of a 5-operand list stays near 1.3 KB of the 4 KB of arguments.
constexpr int kListMax = 24;
// Elements per block.
constexpr int64_t kListChunk = 8192;

// N operands (param, grad, states...) of up to kListMax tensors; tensor t's blocks are
// block_start[t] .. block_start[t + 1] - 1. An operand a list does without is null.
template <class T, int N>
struct TensorList {
  int32_t count;
  int32_t block_start[kListMax + 1];
  int64_t numel[kListMax];
  T* ptr[kListMax][N];
};

template <class T, int N, class Op>
__global__ void list_kernel(TensorList<T, N> list, Op op) {
  int t = 0;
  while (t + 1 < list.count && static_cast<int32_t>(blockIdx.x) >= list.block_start[t + 1]) ++t;
  const int64_t begin = (static_cast<int64_t>(blockIdx.x) - list.block_start[t]) * kListChunk;
  const int64_t end = begin + kListChunk < list.numel[t] ? begin + kListChunk : list.numel[t];
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) op(list.ptr[t], i);
}

// Calls f(first, count, Tag<T>) for each run of consecutive tensors of params that share a dtype,
// at most kListMax long, with their device current.
template <class F>
void for_each_run(ember_kernel_tensors params, const char* op, F&& f) {
  for (int64_t i = 0; i < params.size;) {
    int64_t j = i + 1;
    while (j < params.size && j - i < kListMax && params.data[j].dtype == params.data[i].dtype) ++j;
    set_device(params.data[i].device_index);
    dispatch_float_double(params.data[i].dtype, op, [&](auto tag) { f(i, j - i, tag); });
    i = j;
  }
}

// The table of tensors first .. first + count - 1 of each list (lists[0] holds the parameters;
// an empty list gives null pointers); empty tensors are left out.
template <class T, int N>
TensorList<T, N> tensor_list(int64_t first, int64_t count,
                             const std::array<const ember_kernel_tensors*, N>& lists) {
  TensorList<T, N> l{};
  int64_t blocks = 0;
  for (int64_t k = first; k < first + count; ++k) {
    const int64_t n = lists[0]->data[k].numel;
    if (n == 0) continue;
    l.numel[l.count] = n;
    l.block_start[l.count] = static_cast<int32_t>(blocks);
    for (int o = 0; o < N; ++o)
      l.ptr[l.count][o] = lists[o]->size > 0 ? static_cast<T*>(lists[o]->data[k].data) : nullptr;
    blocks += (n + kListChunk - 1) / kListChunk;
    ++l.count;
  }
  if (blocks > int64_t{1} << 30) fail(EMBER_ERROR_NOT_IMPLEMENTED, "multi-tensor step: too large");
  l.block_start[l.count] = static_cast<int32_t>(blocks);
  return l;
}

// op(ptr, i) for every element i of every tensor in the list, ptr being that tensor's operands.
template <class T, int N, class Op>
void launch_list(const TensorList<T, N>& list, Op op) {
  if (list.count == 0) return;
  list_kernel<<<static_cast<unsigned>(list.block_start[list.count]), kThreads, 0, stream()>>>(list,
                                                                                              op);
  EC_LAUNCHED("multi-tensor step");
}

}  // namespace ember_cuda
