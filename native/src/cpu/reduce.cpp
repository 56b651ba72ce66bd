// CPU kernels of sum and mean: a whole contiguous tensor folds through reduce_full.h, everything
// else through the iterator's reduction engine. Integers and bool sum in int64 (wrapping), the
// 16-bit floats accumulate in float32.
#include <type_traits>

#include "core/dispatch.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"
#include "cpu/reduce_full.h"

namespace ember::cpu {

namespace {

template <class In>
using acc_t = std::conditional_t<is_float_v<In>, compute_t<In>, int64_t>;

template <class In, class Out>
struct SumOps {
  using Acc = acc_t<In>;
  Acc identity = Acc(0);
  Acc divisor = Acc(1);  // the count of folded elements, for mean

  Acc reduce(Acc a, In x) const { return combine(a, static_cast<Acc>(compute_t<In>(x))); }
  Acc combine(Acc a, Acc b) const {
    if constexpr (std::is_integral_v<Acc>) {
      return static_cast<Acc>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
    } else {
      return a + b;
    }
  }
  Out project(Acc a) const {
    if constexpr (std::is_integral_v<Acc>) {
      return cast<Out>(a);
    } else {
      return cast<Out>(a / divisor);
    }
  }
};

void reduce_kernel(ReduceOp op, const Tensor& out, const Tensor& a) {
  const int64_t count = a->numel() / out->numel();
  dispatch_dtype(a->dtype(), [&](auto tag) {
    using In = typename decltype(tag)::type;
    if constexpr (is_float_v<In>) {
      SumOps<In, In> ops;
      using Acc = typename SumOps<In, In>::Acc;
      // Mean divides the accumulated sum once, before rounding to the output dtype.
      if (op == ReduceOp::Mean) ops.divisor = static_cast<Acc>(count);
      if (reduce_full<In, In, Acc>(out, a, ops)) return;
      reduce<In, In, Acc>(TensorIterator({a.get(), out.get()}, a->sizes()), ops);
    } else {
      EMBER_CHECK(op == ReduceOp::Sum && out->dtype() == DType::Int64, EMBER_ERROR_INTERNAL,
                  "reduce kernel: integers reduce only by sum, into int64");
      const SumOps<In, int64_t> ops;
      if (reduce_full<In, int64_t, int64_t>(out, a, ops)) return;
      reduce<In, int64_t, int64_t>(TensorIterator({a.get(), out.get()}, a->sizes()), ops);
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(reduce_stub, DeviceType::CPU, reduce_kernel);

}  // namespace ember::cpu
