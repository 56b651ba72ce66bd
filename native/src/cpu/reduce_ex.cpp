// CPU kernels of the reductions beyond sum/mean (reduce_ex_stub), folded by the iterator's pairwise
// reduction engine (a whole contiguous tensor's max and min by reduce_full.h); the 16-bit floats
// accumulate in float32, var in double for floats (Welford's update, combined with Chan's formula).
#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/math_kernels.h"
#include "cpu/reduce_full.h"

namespace ember::cpu {

namespace {

template <class In>
using acc_t = std::conditional_t<is_float_v<In>, compute_t<In>, int64_t>;

template <class In, class Out>
struct ProdOps {
  using Acc = acc_t<In>;
  Acc identity = Acc(1);
  Acc reduce(Acc a, In x) const { return combine(a, static_cast<Acc>(compute_t<In>(x))); }
  Acc combine(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) {
      return static_cast<Acc>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    } else {
      return a * b;
    }
  }
  Out project(Acc a) const { return cast<Out>(a); }
};

// max / min of x (or of |x| for the infinity norms); NaN wins.
template <class In, bool kMin, bool kAbs>
struct ExtremeOps {
  using Acc = compute_t<In>;
  // A plain max / min (not of |x|): reduce_full.h has a vector kernel for it.
  static constexpr bool kExtreme = !kAbs;
  static constexpr bool kIsMin = kMin;
  Acc identity;
  ExtremeOps() {
    if constexpr (std::is_same_v<In, bool>) {
      identity = !kMin ? false : true;
    } else if constexpr (std::numeric_limits<Acc>::has_infinity) {
      identity =
          kMin ? std::numeric_limits<Acc>::infinity() : -std::numeric_limits<Acc>::infinity();
    } else {
      identity = kMin ? std::numeric_limits<Acc>::max() : std::numeric_limits<Acc>::lowest();
    }
  }
  Acc reduce(Acc a, In x) const {
    Acc v = static_cast<Acc>(x);
    if constexpr (kAbs) v = std::abs(v);
    return combine(a, v);
  }
  Acc combine(Acc a, Acc b) const { return kMin ? nan_min(a, b) : nan_max(a, b); }
  In project(Acc a) const { return In(a); }
};

template <class In, class Out, bool kAll>
struct LogicOps {
  using Acc = bool;
  Acc identity = kAll;
  Acc reduce(Acc a, In x) const { return combine(a, cast<bool>(x)); }
  Acc combine(Acc a, Acc b) const { return kAll ? (a && b) : (a || b); }
  Out project(Acc a) const { return Out(a); }
};

// Count of nonzeros (count_nonzero into int64, or the 0-"norm" into a float).
template <class In, class Out>
struct CountOps {
  using Acc = int64_t;
  Acc identity = 0;
  Acc reduce(Acc a, In x) const { return a + (cast<bool>(x) ? 1 : 0); }
  Acc combine(Acc a, Acc b) const { return a + b; }
  Out project(Acc a) const { return cast<Out>(a); }
};

// sum of |x|^p; Kind 1: |x|, 2: x^2, 0: general p. project takes the root.
template <class In, int kKind>
struct PowerSumOps {
  using Acc = compute_t<In>;
  Acc identity = Acc(0);
  Acc p = Acc(kKind);
  Acc reduce(Acc a, In xi) const {
    const Acc x = static_cast<Acc>(xi);
    if constexpr (kKind == 1) return a + std::abs(x);
    if constexpr (kKind == 2) return a + x * x;
    return a + std::pow(std::abs(x), p);
  }
  Acc combine(Acc a, Acc b) const { return a + b; }
  In project(Acc a) const {
    if constexpr (kKind == 1) return In(a);
    if constexpr (kKind == 2) return In(std::sqrt(a));
    return In(std::pow(a, Acc(1) / p));
  }
};

struct Welford {
  double mean = 0, m2 = 0, n = 0;
};

template <class In>
struct VarOps {
  using Acc = Welford;
  Acc identity{};
  double correction = 1;
  Acc reduce(Acc a, In xi) const {
    const double x = static_cast<double>(compute_t<In>(xi));
    a.n += 1;
    const double delta = x - a.mean;
    a.mean += delta / a.n;
    a.m2 += delta * (x - a.mean);
    return a;
  }
  Acc combine(Acc a, Acc b) const {
    if (a.n == 0) return b;
    if (b.n == 0) return a;
    const double n = a.n + b.n, delta = b.mean - a.mean;
    return {a.mean + delta * b.n / n, a.m2 + b.m2 + delta * delta * a.n * b.n / n, n};
  }
  In project(Acc a) const { return In(compute_t<In>(a.m2 / std::max(0.0, a.n - correction))); }
};

// amax / amin: a whole contiguous tensor folds through reduce_full.h (x.max(), the common case).
template <class In, bool kMin, class MakeIter>
void extreme(const Tensor& out, const Tensor& a, const MakeIter& iter) {
  const ExtremeOps<In, kMin, false> ops;
  if (!reduce_full<In, In, compute_t<In>>(out, a, ops)) reduce<In, In, compute_t<In>>(iter(), ops);
}

void reduce_ex_cpu(ReduceExOp op, const Tensor& out, const Tensor& a, double param) {
  // Made only when the op needs it: a full reduction of a contiguous tensor does not.
  const auto iter = [&] { return TensorIterator({a.get(), out.get()}, a->sizes()); };
  dispatch_dtype(a->dtype(), [&](auto tag) {
    using In = typename decltype(tag)::type;
    switch (op) {
      case ReduceExOp::Prod:
        if constexpr (is_float_v<In>) {
          return reduce<In, In, acc_t<In>>(iter(), ProdOps<In, In>{});
        } else {
          return reduce<In, int64_t, int64_t>(iter(), ProdOps<In, int64_t>{});
        }
      case ReduceExOp::Amax:
        return extreme<In, false>(out, a, iter);
      case ReduceExOp::Amin:
        return extreme<In, true>(out, a, iter);
      case ReduceExOp::All:
      case ReduceExOp::Any:
        if (out->dtype() == DType::UInt8) {
          if (op == ReduceExOp::All)
            return reduce<In, uint8_t, bool>(iter(), LogicOps<In, uint8_t, true>{});
          return reduce<In, uint8_t, bool>(iter(), LogicOps<In, uint8_t, false>{});
        }
        if (op == ReduceExOp::All)
          return reduce<In, bool, bool>(iter(), LogicOps<In, bool, true>{});
        return reduce<In, bool, bool>(iter(), LogicOps<In, bool, false>{});
      case ReduceExOp::CountNonzero:
        return reduce<In, int64_t, int64_t>(iter(), CountOps<In, int64_t>{});
      default:
        break;
    }
    if constexpr (is_float_v<In>) {
      using C = compute_t<In>;
      switch (op) {
        case ReduceExOp::Var: {
          VarOps<In> ops;
          ops.correction = param;
          return reduce<In, In, Welford>(iter(), ops);
        }
        case ReduceExOp::Norm0:
          return reduce<In, In, int64_t>(iter(), CountOps<In, In>{});
        case ReduceExOp::Norm1:
          return reduce<In, In, C>(iter(), PowerSumOps<In, 1>{});
        case ReduceExOp::Norm2:
          return reduce<In, In, C>(iter(), PowerSumOps<In, 2>{});
        case ReduceExOp::NormP: {
          PowerSumOps<In, 0> ops;
          ops.p = static_cast<C>(param);
          return reduce<In, In, C>(iter(), ops);
        }
        case ReduceExOp::NormInf:
          return reduce<In, In, C>(iter(), ExtremeOps<In, false, true>{});
        case ReduceExOp::NormNegInf:
          return reduce<In, In, C>(iter(), ExtremeOps<In, true, true>{});
        default:
          break;
      }
    }
    EMBER_FAIL(EMBER_ERROR_INTERNAL, "reduce_ex kernel: op ", static_cast<int>(op),
               " is not defined for ", dtype_name(a->dtype()));
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(reduce_ex_stub, DeviceType::CPU, reduce_ex_cpu);

}  // namespace ember::cpu
