// The floor under Ember's per-op host cost (issue 7): what the CUDA runtime calls that every
// launch makes cost on their own, with no engine around them. Built and run by tests/cuda/bench.sh:
//   nvcc -O2 -arch=sm_90 benchmarks/cuda/launch_floor.cu -lcuda -o launch_floor && ./launch_floor
// Each line is one JSON object: the median host time of one call, from batches of 100 calls whose
// synchronisation is left out of the clock.
#include <cuda.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

__global__ void empty_kernel() {}

__global__ void add1(const float* a, const float* b, float* out, long n) {
  const long i = blockIdx.x * static_cast<long>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = a[i] + b[i];
}

// A kernel whose arguments are the size of Ember's strided Layout (16 dims of sizes and strides).
struct Big {
  int ndim;
  long sizes[16], strides[16];
};
__global__ void big_params(Big l, float* out) {
  if (threadIdx.x == 0 && l.ndim < 0) out[0] = 0;
}

template <class F>
void measure(const char* name, F call, cudaStream_t s) {
  call();
  cudaStreamSynchronize(s);
  std::vector<double> per_call;
  for (int rep = 0; rep < 300; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 100; ++i) call();
    const auto t1 = std::chrono::steady_clock::now();
    per_call.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count() / 100);
    cudaStreamSynchronize(s);
  }
  std::sort(per_call.begin(), per_call.end());
  std::printf(
      "{\"bench\": \"cuda_floor/%s\", \"impl\": \"cuda-runtime\", \"unit\": \"us\", "
      "\"median\": %.3f, \"min\": %.3f}\n",
      name, per_call[per_call.size() / 2], per_call.front());
}

}  // namespace

int main() {
  float *a = nullptr, *b = nullptr, *out = nullptr;
  if (cudaMalloc(&a, 4) != cudaSuccess || cudaMalloc(&b, 4) != cudaSuccess ||
      cudaMalloc(&out, 4) != cudaSuccess) {
    std::printf("{\"error\": \"launch_floor: no CUDA device\"}\n");
    return 1;
  }
  cudaStream_t s = nullptr;
  cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking);
  const Big big{};
  measure(
      "empty_launch_default_stream", [] { empty_kernel<<<1, 1>>>(); }, nullptr);
  measure(
      "empty_launch", [&] { empty_kernel<<<1, 1, 0, s>>>(); }, s);
  measure(
      "add1_launch", [&] { add1<<<1, 128, 0, s>>>(a, b, out, 1); }, s);
  measure(
      "add1_launch_get_last_error",
      [&] {
        add1<<<1, 128, 0, s>>>(a, b, out, 1);
        (void)cudaGetLastError();
      },
      s);
  measure(
      "launch_264_byte_params", [&] { big_params<<<1, 128, 0, s>>>(big, out); }, s);
  // The driver's own entry point, under the runtime's: what is left if the runtime's bookkeeping
  // were skipped.
  cudaFunction_t empty_fn = nullptr, add1_fn = nullptr;
  cudaGetFuncBySymbol(&empty_fn, reinterpret_cast<const void*>(empty_kernel));
  cudaGetFuncBySymbol(&add1_fn, reinterpret_cast<const void*>(add1));
  measure(
      "empty_driver_launch",
      [&] {
        cuLaunchKernel(reinterpret_cast<CUfunction>(empty_fn), 1, 1, 1, 1, 1, 1, 0, s, nullptr,
                       nullptr);
      },
      s);
  long one = 1;
  void* add1_args[] = {&a, &b, &out, &one};
  measure(
      "add1_driver_launch",
      [&] {
        cuLaunchKernel(reinterpret_cast<CUfunction>(add1_fn), 1, 1, 1, 128, 1, 1, 0, s, add1_args,
                       nullptr);
      },
      s);
  // Call to completion: the launch and the wait for it, as a caller that needs the value sees it.
  measure(
      "add1_launch_synchronize",
      [&] {
        add1<<<1, 128, 0, s>>>(a, b, out, 1);
        cudaStreamSynchronize(s);
      },
      s);
  measure(
      "set_device", [] { cudaSetDevice(0); }, s);
  measure(
      "get_device",
      [] {
        int d = 0;
        cudaGetDevice(&d);
      },
      s);
  measure(
      "stream_is_capturing",
      [&] {
        cudaStreamCaptureStatus st;
        cudaStreamIsCapturing(s, &st);
      },
      s);
  measure(
      "malloc_async_free_async",
      [&] {
        void* p = nullptr;
        cudaMallocAsync(&p, 512, s);
        cudaFreeAsync(p, s);
      },
      s);
  cudaFree(a);
  cudaFree(b);
  cudaFree(out);
  return 0;
}
