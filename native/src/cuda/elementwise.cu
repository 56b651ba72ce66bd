// Elementwise kernels: fill, copy with any dtype cast, arithmetic, unary math, comparisons and
// threshold (relu and its backward).
#include "arith.cuh"
#include "core/nn_dispatch.h"
#include "map.cuh"
#include "multi_tensor.cuh"
#include "small_ops.cuh"

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

// How a small op reads an operand: 1 when dense with n elements, 0 when its one element is
// broadcast, -1 when the op cannot be queued.
int small_step(const ember_kernel_tensor* t, const ember_kernel_tensor* out) {
  if (t == nullptr) return 0;
  if (t->dtype != out->dtype) return -1;
  if (t->numel == 1) return 0;
  return dense(t, out->numel) ? 1 : -1;
}

// Ops on few elements join their stream's queue of small ops (small_ops.cuh) instead of
// launching a kernel each; false: the caller launches it.
bool queued_small(SmallKind kind, uint8_t op, const ember_kernel_tensor* out,
                  const ember_kernel_tensor* a, const ember_kernel_tensor* b = nullptr,
                  uint64_t scalar = 0) {
  const int64_t n = out->numel;
  if (n == 0 || n > kSmallOpMaxNumel || !dense(out, n)) return false;
  const int a_step = small_step(a, out), b_step = small_step(b, out);
  if (a_step < 0 || b_step < 0) return false;
  return try_queue(
      SmallOp{out->data, a != nullptr ? a->data : nullptr, b != nullptr ? b->data : nullptr, scalar,
              static_cast<int32_t>(n), kind, op, static_cast<int16_t>(out->dtype),
              static_cast<uint8_t>(a_step), static_cast<uint8_t>(b_step)},
      out->device_index);
}

ember_status fill(void*, const ember_kernel_tensor* t, ember_scalar value) {
  return guard([&] {
    dispatch(t->dtype, "fill", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (queued_small(SmallKind::Fill, 0, t, nullptr, nullptr, scalar_bits(scalar_as<T>(value))))
        return;
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
    if (queued_small(SmallKind::Copy, 0, dst, src)) return;
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
    if (queued_small(SmallKind::Binary, static_cast<uint8_t>(op), out, a, b)) return;
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
      if (queued_small(reversed != 0 ? SmallKind::ScalarBinary : SmallKind::BinaryScalar,
                       static_cast<uint8_t>(op), out, a, nullptr, scalar_bits(scalar_as<T>(s))))
        return;
      map1<T, T>(out, a,
                 BinaryWithScalar<T>{scalar_as<T>(s), static_cast<BinaryOp>(op), reversed != 0});
    });
  });
}

ember_status unary(void*, int32_t op, const ember_kernel_tensor* out,
                   const ember_kernel_tensor* a) {
  return guard([&] {
    if (queued_small(SmallKind::Unary, static_cast<uint8_t>(op), out, a)) return;
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
