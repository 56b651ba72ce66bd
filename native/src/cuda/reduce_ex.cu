// Reductions beyond sum/mean (prod, amax/amin, all/any, count_nonzero, var, the norms) through
// the generic fold of reduce.cuh; arg min/max with values along one dim; and the scans cumsum,
// cumprod, cummax and cummin. Semantics as the CPU kernels' (cpu/reduce_ex.cpp, scan_order.cpp):
// NaN wins max/min, the first extreme wins argmin/argmax, 16-bit floats accumulate in float and
// var in double (Welford, merged by Chan's formula).
#include <limits>

#include "core/dispatch.h"
#include "math.cuh"
#include "reduce.cuh"

namespace ember_cuda {

namespace {

using ember::ReduceExOp;
using ember::ops::ScanOp;

// Integer arithmetic that wraps: in an unsigned type at least 32 bits wide.
template <class T>
using wide_unsigned_t = std::make_unsigned_t<std::conditional_t<(sizeof(T) < 4), int32_t, T>>;

// An input element as a bool: nonzero (NaN counts as nonzero).
template <class T>
__device__ __forceinline__ bool nonzero(T x) {
  return to_acc(x) != acc_t<T>(0);
}

// ---- fold ops ----

// prod: floats in their compute type, integers and bool in int64 (wrapping).
template <class T, class Out>
struct ProdOps {
  using Acc = std::conditional_t<is_floating_v<T>, acc_t<T>, int64_t>;
  __device__ Acc identity() const { return Acc(1); }
  __device__ Acc reduce(Acc a, T x) const { return combine(a, static_cast<Acc>(to_acc(x))); }
  __device__ Acc combine(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>)
      return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    else
      return a * b;
  }
  __device__ Out project(Acc a) const { return static_cast<Out>(a); }
};

// max / min of x, or of |x| for the infinity norms; NaN wins. identity comes from the host.
template <class T, bool kMin, bool kAbs>
struct ExtremeOps {
  using Acc = acc_t<T>;
  Acc init;
  __device__ Acc identity() const { return init; }
  __device__ Acc reduce(Acc a, T xt) const {
    Acc x = to_acc(xt);
    if constexpr (kAbs) x = fm::fabs(x);
    return combine(a, x);
  }
  __device__ Acc combine(Acc a, Acc b) const { return kMin ? nan_min(a, b) : nan_max(a, b); }
  __device__ T project(Acc a) const { return static_cast<T>(a); }
};

// The identity of max (kMin false) or min: -+inf for floats, the extreme values otherwise.
template <class T, bool kMin>
acc_t<T> extreme_identity() {
  using A = acc_t<T>;
  if constexpr (std::is_same_v<T, bool>)
    return kMin;
  else if constexpr (std::is_floating_point_v<A>)
    return kMin ? std::numeric_limits<A>::infinity() : -std::numeric_limits<A>::infinity();
  else
    return kMin ? std::numeric_limits<A>::max() : std::numeric_limits<A>::lowest();
}

template <class T, class Out, bool kAll>
struct LogicOps {
  using Acc = bool;
  __device__ Acc identity() const { return kAll; }
  __device__ Acc reduce(Acc a, T x) const { return combine(a, nonzero(x)); }
  __device__ Acc combine(Acc a, Acc b) const { return kAll ? (a && b) : (a || b); }
  __device__ Out project(Acc a) const { return static_cast<Out>(a ? 1 : 0); }
};

// Count of nonzeros: count_nonzero into int64, or the 0-"norm" into a float.
template <class T, class Out>
struct CountOps {
  using Acc = int64_t;
  __device__ Acc identity() const { return 0; }
  __device__ Acc reduce(Acc a, T x) const { return a + (nonzero(x) ? 1 : 0); }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ Out project(Acc a) const {
    if constexpr (is_floating_v<Out> && !std::is_floating_point_v<Out>)
      return static_cast<Out>(static_cast<float>(a));  // 16-bit floats convert from float
    else
      return static_cast<Out>(a);
  }
};

// The sum of |x|^p (kKind 1: |x|, 2: x^2, 0: a general p); project takes the root.
template <class T, int kKind>
struct PowerSumOps {
  using Acc = acc_t<T>;
  Acc p;
  __device__ Acc identity() const { return Acc(0); }
  __device__ Acc reduce(Acc a, T xt) const {
    const Acc x = to_acc(xt);
    if constexpr (kKind == 1)
      return a + fm::fabs(x);
    else if constexpr (kKind == 2)
      return a + x * x;
    else
      return a + fm::pow(fm::fabs(x), p);
  }
  __device__ Acc combine(Acc a, Acc b) const { return a + b; }
  __device__ T project(Acc a) const {
    if constexpr (kKind == 1)
      return static_cast<T>(a);
    else if constexpr (kKind == 2)
      return static_cast<T>(fm::sqrt(a));
    else
      return static_cast<T>(fm::pow(a, Acc(1) / p));
  }
};

// Running mean and sum of squared deviations (trivial, for shared memory).
struct Welford {
  double mean, m2, n;
};

template <class T>
struct VarOps {
  using Acc = Welford;
  double correction;
  __device__ Acc identity() const { return {0, 0, 0}; }
  __device__ Acc reduce(Acc a, T xt) const {
    const double x = static_cast<double>(to_acc(xt));
    a.n += 1;
    const double delta = x - a.mean;
    a.mean += delta / a.n;
    a.m2 += delta * (x - a.mean);
    return a;
  }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const double n = a.n + b.n, delta = b.mean - a.mean;
    return {a.mean + delta * b.n / n, a.m2 + b.m2 + delta * delta * a.n * b.n / n, n};
  }
  __device__ T project(Acc a) const {
    const double d = a.n - correction;
    return static_cast<T>(static_cast<acc_t<T>>(a.m2 / (d > 0 ? d : 0.0)));
  }
};

ember_status reduce_ex(void*, int32_t op_code, const ember_kernel_tensor* out,
                       const ember_kernel_tensor* a, double param) {
  return guard([&] {
    const auto op = static_cast<ReduceExOp>(op_code);
    dispatch(a->dtype, "reduce_ex", [&](auto tag) {
      using T = typename decltype(tag)::type;
      auto expect_out = [&](int32_t dtype) {
        if (out->dtype != dtype)
          fail(EMBER_ERROR_DTYPE, std::string("reduce_ex: output dtype ") + dtype_name(out->dtype) +
                                      ", expected " + dtype_name(dtype));
      };
      switch (op) {
        case ReduceExOp::Prod:
          if constexpr (is_floating_v<T>) {
            expect_out(a->dtype);
            return fold<T, T>(out, a, ProdOps<T, T>{}, "prod");
          } else {
            expect_out(EMBER_INT64);
            return fold<T, int64_t>(out, a, ProdOps<T, int64_t>{}, "prod");
          }
        case ReduceExOp::Amax:
          expect_out(a->dtype);
          return fold<T, T>(out, a, ExtremeOps<T, false, false>{extreme_identity<T, false>()},
                            "amax");
        case ReduceExOp::Amin:
          expect_out(a->dtype);
          return fold<T, T>(out, a, ExtremeOps<T, true, false>{extreme_identity<T, true>()},
                            "amin");
        case ReduceExOp::All:
        case ReduceExOp::Any: {
          const bool all = op == ReduceExOp::All;
          if (out->dtype == EMBER_UINT8) {
            if (all) return fold<T, uint8_t>(out, a, LogicOps<T, uint8_t, true>{}, "all");
            return fold<T, uint8_t>(out, a, LogicOps<T, uint8_t, false>{}, "any");
          }
          expect_out(EMBER_BOOL);
          if (all) return fold<T, bool>(out, a, LogicOps<T, bool, true>{}, "all");
          return fold<T, bool>(out, a, LogicOps<T, bool, false>{}, "any");
        }
        case ReduceExOp::CountNonzero:
          expect_out(EMBER_INT64);
          return fold<T, int64_t>(out, a, CountOps<T, int64_t>{}, "count_nonzero");
        default:
          break;
      }
      if constexpr (is_floating_v<T>) {
        using A = acc_t<T>;
        expect_out(a->dtype);
        switch (op) {
          case ReduceExOp::Var:
            return fold<T, T>(out, a, VarOps<T>{param}, "var");
          case ReduceExOp::Norm0:
            return fold<T, T>(out, a, CountOps<T, T>{}, "norm");
          case ReduceExOp::Norm1:
            return fold<T, T>(out, a, PowerSumOps<T, 1>{A(1)}, "norm");
          case ReduceExOp::Norm2:
            return fold<T, T>(out, a, PowerSumOps<T, 2>{A(2)}, "norm");
          case ReduceExOp::NormP:
            return fold<T, T>(out, a, PowerSumOps<T, 0>{static_cast<A>(param)}, "norm");
          case ReduceExOp::NormInf:
            return fold<T, T>(out, a, ExtremeOps<T, false, true>{extreme_identity<T, false>()},
                              "norm");
          case ReduceExOp::NormNegInf:
            return fold<T, T>(out, a, ExtremeOps<T, true, true>{extreme_identity<T, true>()},
                              "norm");
          default:
            break;
        }
      }
      fail(EMBER_ERROR_INTERNAL, "reduce_ex kernel: op " + std::to_string(op_code) +
                                     " is not defined for " + dtype_name(a->dtype) + " on cuda");
    });
  });
}

// ---- arg min / max along (outer, size, inner) ----

// A candidate extreme: value and index (index -1: none yet). combine keeps the first NaN, else
// the extreme, the lower index on ties: the CPU's sequential answer, in any order of folding.
template <class T>
struct ArgOps {
  using C = acc_t<T>;
  struct Acc {
    C v;
    int64_t i;
  };
  bool minimum;
  __device__ Acc identity() const { return {C(0), -1}; }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    const bool an = is_nan(a.v), bn = is_nan(b.v);
    if (an || bn) {
      if (an && bn) return a.i < b.i ? a : b;
      return an ? a : b;
    }
    if (a.v == b.v) return a.i < b.i ? a : b;
    return (minimum ? b.v < a.v : b.v > a.v) ? b : a;
  }
};

// One thread per line, walking it in order as the CPU does.
template <class T>
__global__ void arg_extreme_lines(bool minimum, const T* x, T* values, int64_t* indices,
                                  int64_t outer, int64_t size, int64_t inner) {
  using C = acc_t<T>;
  for (int64_t l = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; l < outer * inner;
       l += int64_t{gridDim.x} * blockDim.x) {
    const T* line = x + (l / inner) * size * inner + l % inner;
    C best = to_acc(line[0]);
    int64_t at = 0;
    for (int64_t d = 1; d < size && !is_nan(best); ++d) {
      const C v = to_acc(line[d * inner]);
      if (is_nan(v) || (minimum ? v < best : v > best)) {
        best = v;
        at = d;
      }
    }
    indices[l] = at;
    if (values) values[l] = line[at * inner];
  }
}

// One block per line, for long lines.
template <class T>
__global__ void arg_extreme_blocks(ArgOps<T> ops, const T* x, T* values, int64_t* indices,
                                   int64_t lines, int64_t size, int64_t inner) {
  using Acc = typename ArgOps<T>::Acc;
  for (int64_t l = blockIdx.x; l < lines; l += gridDim.x) {
    const T* line = x + (l / inner) * size * inner + l % inner;
    Acc acc = ops.identity();
    for (int64_t d = threadIdx.x; d < size; d += blockDim.x)
      acc = ops.combine(acc, Acc{to_acc(line[d * inner]), d});
    acc = block_fold(acc, ops);
    if (threadIdx.x == 0) {
      indices[l] = acc.i;
      if (values) values[l] = line[acc.i * inner];
    }
  }
}

ember_status arg_extreme(void*, int32_t minimum, const ember_kernel_tensor* values,
                         const ember_kernel_tensor* indices, const ember_kernel_tensor* a,
                         int64_t outer, int64_t size, int64_t inner) {
  return guard([&] {
    const int64_t lines = outer * inner;
    if (lines == 0) return;
    if (size < 1) fail(EMBER_ERROR_INVALID_ARGUMENT, "arg_extreme: empty reduction dim");
    use_device(a);
    dispatch(a->dtype, "arg_extreme", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = data<const T>(a);
      T* v = values ? data<T>(values) : nullptr;
      int64_t* i = data<int64_t>(indices);
      if (size >= 1024 && lines < 65536) {
        arg_extreme_blocks<T>
            <<<static_cast<unsigned>(std::min<int64_t>(lines, 65535 * 16)), kThreads, 0,
               stream()>>>(ArgOps<T>{minimum != 0}, x, v, i, lines, size, inner);
      } else {
        arg_extreme_lines<T><<<blocks_for(lines), kThreads, 0, stream()>>>(minimum != 0, x, v, i,
                                                                           outer, size, inner);
      }
      EC_LAUNCHED("arg_extreme");
    });
  });
}

// ---- scans along (outer, size, inner) ----

// cumsum / cumprod: integers wrap in the wide unsigned type, floats accumulate in their compute
// type.
template <class T, bool = is_floating_v<T>>
struct ScanAcc {
  using type = acc_t<T>;
};
template <class T>
struct ScanAcc<T, false> {
  using type = wide_unsigned_t<T>;
};

template <class T>
struct SumProdScan {
  using Acc = typename ScanAcc<T>::type;
  bool sum;
  __device__ Acc identity() const { return sum ? Acc(0) : Acc(1); }
  __device__ Acc element(T x, int64_t) const { return static_cast<Acc>(to_acc(x)); }
  __device__ Acc combine(Acc a, Acc b) const {
    return sum ? static_cast<Acc>(a + b) : static_cast<Acc>(a * b);
  }
  __device__ void write(T* y, int64_t*, int64_t at, Acc acc) const { y[at] = static_cast<T>(acc); }
};

// cummax / cummin: the running extreme and the index of its last occurrence; a NaN, once seen,
// stays (its first index). combine(a, b) with a the earlier part.
template <class T>
struct ExtremeScan {
  using C = acc_t<T>;
  struct Acc {
    C v;
    int64_t i;
  };
  bool maximum;
  __device__ Acc identity() const { return {C(0), -1}; }
  __device__ Acc element(T x, int64_t d) const { return {to_acc(x), d}; }
  __device__ Acc combine(Acc a, Acc b) const {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    if (is_nan(a.v)) return a;
    if (is_nan(b.v)) return b;
    return (maximum ? b.v >= a.v : b.v <= a.v) ? b : a;
  }
  __device__ void write(T* y, int64_t* idx, int64_t at, Acc acc) const {
    y[at] = static_cast<T>(acc.v);
    idx[at] = acc.i;
  }
};

// One thread per line, in order.
template <class T, class Ops>
__global__ void scan_lines(Ops ops, const T* x, T* y, int64_t* idx, int64_t lines, int64_t size,
                           int64_t inner) {
  for (int64_t l = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; l < lines;
       l += int64_t{gridDim.x} * blockDim.x) {
    const int64_t base = (l / inner) * size * inner + l % inner;
    auto acc = ops.identity();
    for (int64_t d = 0; d < size; ++d) {
      acc = ops.combine(acc, ops.element(x[base + d * inner], d));
      ops.write(y, idx, base + d * inner, acc);
    }
  }
}

// One block per line: chunks of kThreads * kPer elements, each thread scanning kPer neighbours,
// a block-wide exclusive scan of the threads' totals, and the carry of the chunks before.
constexpr int kPer = 8;

template <class T, class Ops>
__global__ void scan_blocks(Ops ops, const T* x, T* y, int64_t* idx, int64_t lines, int64_t size,
                            int64_t inner) {
  using Acc = typename Ops::Acc;
  __shared__ Acc buf[kThreads];
  const int t = threadIdx.x;
  for (int64_t l = blockIdx.x; l < lines; l += gridDim.x) {
    const int64_t base = (l / inner) * size * inner + l % inner;
    Acc carry = ops.identity();
    for (int64_t chunk = 0; chunk < size; chunk += int64_t{kThreads} * kPer) {
      const int64_t first = chunk + int64_t{t} * kPer;
      Acc local[kPer];
      Acc run = ops.identity();
#pragma unroll
      for (int k = 0; k < kPer; ++k) {
        const int64_t d = first + k;
        if (d < size) run = ops.combine(run, ops.element(x[base + d * inner], d));
        local[k] = run;
      }
      // Inclusive scan of the threads' totals (Hillis-Steele), earlier threads on the left.
      buf[t] = run;
      __syncthreads();
      for (int off = 1; off < kThreads; off *= 2) {
        const Acc left = t >= off ? buf[t - off] : ops.identity();
        __syncthreads();
        if (t >= off) buf[t] = ops.combine(left, buf[t]);
        __syncthreads();
      }
      const Acc before = ops.combine(carry, t > 0 ? buf[t - 1] : ops.identity());
      const Acc total = buf[kThreads - 1];
      __syncthreads();  // buf is rewritten by the next chunk
#pragma unroll
      for (int k = 0; k < kPer; ++k) {
        const int64_t d = first + k;
        if (d < size) ops.write(y, idx, base + d * inner, ops.combine(before, local[k]));
      }
      carry = ops.combine(carry, total);
    }
  }
}

template <class T, class Ops>
void launch_scan(const Ops& ops, const T* x, T* y, int64_t* idx, int64_t lines, int64_t size,
                 int64_t inner) {
  if (size >= 64) {
    scan_blocks<T, Ops>
        <<<static_cast<unsigned>(std::min<int64_t>(lines, 65535 * 16)), kThreads, 0, stream()>>>(
            ops, x, y, idx, lines, size, inner);
  } else {
    scan_lines<T, Ops>
        <<<blocks_for(lines), kThreads, 0, stream()>>>(ops, x, y, idx, lines, size, inner);
  }
  EC_LAUNCHED("scan");
}

ember_status scan(void*, int32_t op_code, const ember_kernel_tensor* out,
                  const ember_kernel_tensor* indices, const ember_kernel_tensor* a, int64_t outer,
                  int64_t size, int64_t inner) {
  return guard([&] {
    const auto op = static_cast<ScanOp>(op_code);
    const int64_t lines = outer * inner;
    if (lines == 0 || size == 0) return;
    if (out->dtype != a->dtype) fail(EMBER_ERROR_DTYPE, "scan: output dtype differs from input");
    const bool extreme = op == ScanOp::Max || op == ScanOp::Min;
    if (extreme && indices == nullptr)
      fail(EMBER_ERROR_INTERNAL, "scan: cummax/cummin need indices");
    use_device(a);
    dispatch(a->dtype, "scan", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = data<const T>(a);
      T* y = data<T>(out);
      if (extreme)
        return launch_scan(ExtremeScan<T>{op == ScanOp::Max}, x, y, data<int64_t>(indices), lines,
                           size, inner);
      if constexpr (std::is_same_v<T, bool>) {
        fail(EMBER_ERROR_INTERNAL, "scan kernel: bool sums are computed in int64");
      } else {
        launch_scan(SumProdScan<T>{op == ScanOp::Sum}, x, y, static_cast<int64_t*>(nullptr), lines,
                    size, inner);
      }
    });
  });
}

}  // namespace

ember_status register_reduce_ex(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "reduce_ex", reduce_ex);
  if (s == EMBER_OK) s = register_kernel(host, "arg_extreme", arg_extreme);
  if (s == EMBER_OK) s = register_kernel(host, "scan", scan);
  return s;
}

}  // namespace ember_cuda
