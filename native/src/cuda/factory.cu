// arange and eye, in every dtype the engine creates them in, with the CPU kernels' values
// (cpu/factory.cpp): floating ranges compute each value from its index in double and round once
// (16-bit floats through float, as the CPU's casts do); integer ranges wrap in 64 bits.
#include "map.cuh"

namespace ember_cuda {

namespace {

// double to T as the CPU casts it.
template <class T>
__host__ __device__ inline T from_double(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

template <class T>
__global__ void arange_float(T* out, int64_t n, int64_t stride, double start, double step) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    // Rounded multiply, then rounded add, as on the CPU (no fused multiply-add).
    out[i * stride] = from_double<T>(__dadd_rn(start, __dmul_rn(step, static_cast<double>(i))));
}

template <class T>
__global__ void arange_int(T* out, int64_t n, int64_t stride, uint64_t start, uint64_t step) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[i * stride] = static_cast<T>(static_cast<int64_t>(start + step * static_cast<uint64_t>(i)));
}

ember_status arange(void*, const ember_kernel_tensor* out, ember_scalar start, ember_scalar step) {
  return guard([&] {
    use_device(out);
    const int64_t n = out->numel;
    if (n == 0) return;
    const int64_t stride = out->strides[0];
    dispatch(out->dtype, "arange", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (std::is_same_v<T, bool>) {
        fail(EMBER_ERROR_DTYPE, "arange: not implemented for bool");
      } else if constexpr (is_floating_v<T>) {
        const double b = start.kind == EMBER_SCALAR_FLOAT ? start.f : static_cast<double>(start.i);
        const double s = step.kind == EMBER_SCALAR_FLOAT ? step.f : static_cast<double>(step.i);
        arange_float<T><<<blocks_for(n), kThreads, 0, stream()>>>(data<T>(out), n, stride, b, s);
      } else {
        // The engine hands integer ranges over as integer scalars.
        arange_int<T><<<blocks_for(n), kThreads, 0, stream()>>>(
            data<T>(out), n, stride, static_cast<uint64_t>(start.i), static_cast<uint64_t>(step.i));
      }
      EC_LAUNCHED("arange");
    });
  });
}

template <class T>
__global__ void eye_kernel(T* out, int64_t rows, int64_t cols, int64_t stride0, int64_t stride1,
                           T zero, T one) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < rows * cols;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = e / cols, c = e % cols;
    out[r * stride0 + c * stride1] = r == c ? one : zero;
  }
}

ember_status eye(void*, const ember_kernel_tensor* out) {
  return guard([&] {
    use_device(out);
    const int64_t rows = out->sizes[0], cols = out->sizes[1];
    if (rows * cols == 0) return;
    dispatch(out->dtype, "eye", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T zero = from_double<T>(0), one = from_double<T>(1);
      eye_kernel<T><<<blocks_for(rows * cols), kThreads, 0, stream()>>>(
          data<T>(out), rows, cols, out->strides[0], out->strides[1], zero, one);
      EC_LAUNCHED("eye");
    });
  });
}

}  // namespace

ember_status register_factory(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "arange", arange);
  if (s == EMBER_OK) s = register_kernel(host, "eye", eye);
  return s;
}

}  // namespace ember_cuda
