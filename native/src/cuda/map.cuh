// Elementwise launches: out[i] = f(in[i]...) over out's shape, with a dense path that moves 16
// bytes per load and store, and a strided path for views and broadcast operands.
#pragma once

#include <algorithm>

#include "common.cuh"

namespace ember_cuda {

// Elements per thread-iteration on the dense path: one 16-byte vector of the widest operand.
template <class... T>
constexpr int vec_width() {
  constexpr size_t widest = std::max({sizeof(T)...});
  return static_cast<int>(16 / widest);
}

template <class T, int W>
struct alignas(sizeof(T) * W) Vec {
  T v[W];
};

template <int W, class Tout, class F, class... Tin>
__global__ void map_dense_kernel(int64_t n, Tout* __restrict__ out, F f,
                                 const Tin* __restrict__... in) {
  const int64_t stride = int64_t{gridDim.x} * blockDim.x * W;
  int64_t i = (int64_t{blockIdx.x} * blockDim.x + threadIdx.x) * W;
  for (; i + W <= n; i += stride) {
    Vec<Tout, W> o;
    auto load = [&](const auto* p) {
      return *reinterpret_cast<const Vec<std::remove_cv_t<std::remove_pointer_t<decltype(p)>>, W>*>(
          p + i);
    };
    [&](auto... vs) {
#pragma unroll
      for (int k = 0; k < W; ++k) o.v[k] = f(vs.v[k]...);
    }(load(in)...);
    *reinterpret_cast<Vec<Tout, W>*>(out + i) = o;
  }
  // The tail (fewer than W elements) goes one by one.
  if (i < n) {
    for (; i < n; ++i) out[i] = f(in[i]...);
  }
}

template <class Tout, class F, class Tin>
__global__ void map_strided1(int64_t n, Layout lo, Tout* out, F f, Layout la, const Tin* a) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[offset_of(lo, i)] = f(a[offset_of(la, i)]);
}

template <class Tout, class F, class Ta, class Tb>
__global__ void map_strided2(int64_t n, Layout lo, Tout* out, F f, Layout la, const Ta* a,
                             Layout lb, const Tb* b) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[offset_of(lo, i)] = f(a[offset_of(la, i)], b[offset_of(lb, i)]);
}

template <class Tout, class F>
__global__ void map_strided0(int64_t n, Layout lo, Tout* out, F f) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x)
    out[offset_of(lo, i)] = f();
}

inline bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Launches the dense kernel over n elements when every pointer is aligned, else W = 1.
template <class Tout, class F, class... Tin>
void launch_dense(int64_t n, Tout* out, F f, const Tin*... in) {
  constexpr int W = vec_width<Tout, Tin...>();
  if ((aligned16(out) && ... && aligned16(in))) {
    map_dense_kernel<W><<<blocks_for(n, W), kThreads, 0, stream()>>>(n, out, f, in...);
  } else {
    map_dense_kernel<1><<<blocks_for(n), kThreads, 0, stream()>>>(n, out, f, in...);
  }
  EC_LAUNCHED("elementwise");
}

// out = f(a) over out's shape (a broadcast to it).
template <class Tout, class Tin, class F>
void map1(const ember_kernel_tensor* out, const ember_kernel_tensor* a, F f) {
  const int64_t n = out->numel;
  if (n == 0) return;
  use_device(out);
  if (dense(out, n) && dense(a, n)) return launch_dense(n, data<Tout>(out), f, data<const Tin>(a));
  map_strided1<<<blocks_for(n), kThreads, 0, stream()>>>(n, layout_in(out, out), data<Tout>(out), f,
                                                         layout_in(a, out), data<const Tin>(a));
  EC_LAUNCHED("elementwise");
}

// out = f(a, b) over out's shape (a and b broadcast to it).
template <class Tout, class Ta, class Tb, class F>
void map2(const ember_kernel_tensor* out, const ember_kernel_tensor* a,
          const ember_kernel_tensor* b, F f) {
  const int64_t n = out->numel;
  if (n == 0) return;
  use_device(out);
  if (dense(out, n) && dense(a, n) && dense(b, n))
    return launch_dense(n, data<Tout>(out), f, data<const Ta>(a), data<const Tb>(b));
  map_strided2<<<blocks_for(n), kThreads, 0, stream()>>>(n, layout_in(out, out), data<Tout>(out), f,
                                                         layout_in(a, out), data<const Ta>(a),
                                                         layout_in(b, out), data<const Tb>(b));
  EC_LAUNCHED("elementwise");
}

// out = f() everywhere in out.
template <class Tout, class F>
void map0(const ember_kernel_tensor* out, F f) {
  const int64_t n = out->numel;
  if (n == 0) return;
  use_device(out);
  if (dense(out, n)) return launch_dense(n, data<Tout>(out), f);
  map_strided0<<<blocks_for(n), kThreads, 0, stream()>>>(n, layout_in(out, out), data<Tout>(out),
                                                         f);
  EC_LAUNCHED("elementwise");
}

// A scalar as T (Python-number semantics: the float value for floats, the integer otherwise).
template <class T>
T scalar_as(ember_scalar s) {
  if constexpr (std::is_same_v<T, bool>) {
    return s.kind == EMBER_SCALAR_FLOAT ? s.f != 0 : s.i != 0;
  } else if constexpr (is_floating_v<T>) {
    return static_cast<T>(s.kind == EMBER_SCALAR_FLOAT ? s.f : static_cast<double>(s.i));
  } else {
    return s.kind == EMBER_SCALAR_FLOAT ? static_cast<T>(s.f) : static_cast<T>(s.i);
  }
}

}  // namespace ember_cuda
