// Elementwise kernels: fill, copy with any dtype cast, arithmetic, unary math, comparisons and
// threshold (relu and its backward).
#include "core/nn_dispatch.h"
#include "map.cuh"
#include "multi_tensor.cuh"

namespace ember_cuda {

namespace {

using ember::ops::BinaryOp;
using ember::ops::CompareOp;
using ember::ops::UnaryOp;

template <class T>
inline constexpr bool is_half_v = std::is_same_v<T, __half> || std::is_same_v<T, __nv_bfloat16>;

// Any dtype to any dtype, as PyTorch casts (16-bit floats through float, bool as != 0).
template <class To, class From>
__device__ __forceinline__ To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (is_half_v<From>) {
    return convert<To>(static_cast<float>(v));
  } else if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (is_half_v<To>) {
    return To(static_cast<float>(v));
  } else if constexpr (std::is_integral_v<To> && std::is_floating_point_v<From>) {
    // Through int64, as the CPU (and PyTorch) cast: -1.0 becomes 255 in uint8, not 0.
    return static_cast<To>(static_cast<int64_t>(v));
  } else {
    return static_cast<To>(v);
  }
}

// Functors rather than device lambdas: nvcc forbids extended lambdas inside generic lambdas.
template <class T>
struct Constant {
  T v;
  __device__ T operator()() const { return v; }
};

template <class To, class From>
struct Convert {
  __device__ To operator()(From v) const { return convert<To>(v); }
};

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

ember_status fill(void*, const ember_kernel_tensor* t, ember_scalar value) {
  return guard([&] {
    dispatch(t->dtype, "fill", [&](auto tag) {
      using T = typename decltype(tag)::type;
      map0<T>(t, Constant<T>{scalar_as<T>(value)});
    });
  });
}

template <class T>
struct FillListOp {
  T v;
  __device__ void operator()(T* const* ptr, int64_t i) const { ptr[0][i] = v; }
};

// Zeroing many gradients at once (foreach_zero_): one launch per run of one dtype.
ember_status fill_multi(void*, ember_kernel_tensors ts, ember_scalar value) {
  return guard([&] {
    for_each_run(ts, "fill_multi", [&](int64_t first, int64_t count, auto tag) {
      using T = typename decltype(tag)::type;
      launch_list(tensor_list<T, 1>(first, count, {&ts}), FillListOp<T>{scalar_as<T>(value)});
    });
  });
}

ember_status copy(void*, const ember_kernel_tensor* dst, const ember_kernel_tensor* src) {
  return guard([&] {
    if (dst->numel == 0) return;
    use_device(dst);
    if (dst->dtype == src->dtype && dense(dst, dst->numel) && dense(src, dst->numel)) {
      int64_t elem = 0;
      dispatch(dst->dtype, "copy", [&](auto tag) { elem = sizeof(typename decltype(tag)::type); });
      EC_CUDA(cudaMemcpyAsync(dst->data, src->data, static_cast<size_t>(dst->numel * elem),
                              cudaMemcpyDeviceToDevice, stream()));
      return;
    }
    dispatch(dst->dtype, "copy", [&](auto to) {
      using To = typename decltype(to)::type;
      dispatch(src->dtype, "copy", [&](auto from) {
        using From = typename decltype(from)::type;
        map1<To, From>(dst, src, Convert<To, From>{});
      });
    });
  });
}

template <class T>
__device__ __forceinline__ T apply(BinaryOp op, T a, T b) {
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
__device__ __forceinline__ bool apply(BinaryOp op, bool a, bool b) {
  return op == BinaryOp::Mul ? (a && b) : (a || b);
}

template <class T, BinaryOp Op>
struct Binary {
  __device__ T operator()(T x, T y) const { return apply(Op, x, y); }
};

template <class T, BinaryOp Op>
void binary_typed(const ember_kernel_tensor* out, const ember_kernel_tensor* a,
                  const ember_kernel_tensor* b) {
  map2<T, T, T>(out, a, b, Binary<T, Op>{});
}

template <class T>
struct BinaryWithScalar {
  T s;
  BinaryOp op;
  bool reversed;
  __device__ T operator()(T x) const { return reversed ? apply(op, s, x) : apply(op, x, s); }
};

ember_status binary(void*, int32_t op, const ember_kernel_tensor* out, const ember_kernel_tensor* a,
                    const ember_kernel_tensor* b) {
  return guard([&] {
    dispatch(out->dtype, "binary", [&](auto tag) {
      using T = typename decltype(tag)::type;
      switch (static_cast<BinaryOp>(op)) {
        case BinaryOp::Add:
          return binary_typed<T, BinaryOp::Add>(out, a, b);
        case BinaryOp::Sub:
          return binary_typed<T, BinaryOp::Sub>(out, a, b);
        case BinaryOp::Mul:
          return binary_typed<T, BinaryOp::Mul>(out, a, b);
        case BinaryOp::Div:
          return binary_typed<T, BinaryOp::Div>(out, a, b);
      }
      fail(EMBER_ERROR_NOT_IMPLEMENTED, "binary: unknown op " + std::to_string(op));
    });
  });
}

ember_status binary_scalar(void*, int32_t op, const ember_kernel_tensor* out,
                           const ember_kernel_tensor* a, ember_scalar s, int32_t reversed) {
  return guard([&] {
    dispatch(out->dtype, "binary_scalar", [&](auto tag) {
      using T = typename decltype(tag)::type;
      map1<T, T>(out, a,
                 BinaryWithScalar<T>{scalar_as<T>(s), static_cast<BinaryOp>(op), reversed != 0});
    });
  });
}

ember_status unary(void*, int32_t op, const ember_kernel_tensor* out,
                   const ember_kernel_tensor* a) {
  return guard([&] {
    const auto uop = static_cast<UnaryOp>(op);
    if (uop == UnaryOp::Neg) {
      return dispatch(out->dtype, "neg", [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_same_v<T, bool>) {
          fail(EMBER_ERROR_DTYPE, "neg: not defined for bool");
        } else {
          map1<T, T>(out, a, Neg<T>{});
        }
      });
    }
    dispatch_float(out->dtype, uop == UnaryOp::Exp ? "exp" : "log", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (uop == UnaryOp::Exp)
        map1<T, T>(out, a, Exp<T>{});
      else
        map1<T, T>(out, a, Log<T>{});
    });
  });
}

template <class A>
__device__ __forceinline__ bool compare_values(CompareOp op, A x, A y) {
  switch (op) {
    case CompareOp::Eq:
      return x == y;
    case CompareOp::Ne:
      return x != y;
    case CompareOp::Lt:
      return x < y;
    case CompareOp::Le:
      return x <= y;
    case CompareOp::Gt:
      return x > y;
    default:
      return x >= y;
  }
}

template <class T>
struct Compare {
  CompareOp op;
  __device__ bool operator()(T x, T y) const { return compare_values(op, to_acc(x), to_acc(y)); }
};

template <class T, class A>
struct CompareWith {
  CompareOp op;
  A v;
  __device__ bool operator()(T x) const { return compare_values(op, static_cast<A>(to_acc(x)), v); }
};

template <class T>
struct Threshold {
  acc_t<T> th;
  __device__ T operator()(T x, T v) const { return to_acc(x) <= th ? T(0) : v; }
};

ember_status compare(void*, int32_t op, const ember_kernel_tensor* out,
                     const ember_kernel_tensor* a, const ember_kernel_tensor* b) {
  return guard([&] {
    const auto cop = static_cast<CompareOp>(op);
    dispatch(a->dtype, "compare", [&](auto tag) {
      using T = typename decltype(tag)::type;
      map2<bool, T, T>(out, a, b, Compare<T>{cop});
    });
  });
}

ember_status compare_scalar(void*, int32_t op, const ember_kernel_tensor* out,
                            const ember_kernel_tensor* a, ember_scalar s) {
  return guard([&] {
    const auto cop = static_cast<CompareOp>(op);
    dispatch(a->dtype, "compare_scalar", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (!is_floating_v<T>) {
        if (s.kind == EMBER_SCALAR_FLOAT) {
          // An integer tensor against a fractional number compares as real numbers.
          return map1<bool, T>(out, a, CompareWith<T, double>{cop, s.f});
        }
      }
      using A = acc_t<T>;
      map1<bool, T>(out, a, CompareWith<T, A>{cop, static_cast<A>(scalar_as<T>(s))});
    });
  });
}

ember_status threshold(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                       const ember_kernel_tensor* value, ember_scalar threshold) {
  return guard([&] {
    dispatch(out->dtype, "threshold", [&](auto tag) {
      using T = typename decltype(tag)::type;
      using A = acc_t<T>;
      map2<T, T, T>(out, x, value, Threshold<T>{static_cast<A>(scalar_as<T>(threshold))});
    });
  });
}

}  // namespace

ember_status register_elementwise(const ember_plugin_host* host) {
  ember_status s = EMBER_OK;
  if (s == EMBER_OK) s = register_kernel(host, "fill", fill);
  if (s == EMBER_OK) s = register_kernel(host, "fill_multi", fill_multi);
  if (s == EMBER_OK) s = register_kernel(host, "copy", copy);
  if (s == EMBER_OK) s = register_kernel(host, "binary", binary);
  if (s == EMBER_OK) s = register_kernel(host, "binary_scalar", binary_scalar);
  if (s == EMBER_OK) s = register_kernel(host, "unary", unary);
  if (s == EMBER_OK) s = register_kernel(host, "compare", compare);
  if (s == EMBER_OK) s = register_kernel(host, "compare_scalar", compare_scalar);
  if (s == EMBER_OK) s = register_kernel(host, "threshold", threshold);
  return s;
}

}  // namespace ember_cuda
