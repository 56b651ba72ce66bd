// CPU kernels of arange and eye.
#include <algorithm>

#include "core/dispatch.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

void arange_kernel(const Tensor& out, Scalar start, Scalar step) {
  const int64_t n = out->numel(), stride = out->stride(0);
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = out->data_as<T>();
    if constexpr (is_float_v<T>) {
      // Each value from its index (not by repeated addition), in double, rounded once.
      const double b = start.to<double>(), s = step.to<double>();
      parallel_for(0, n, kGrainSize, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) p[i * stride] = cast<T>(b + s * static_cast<double>(i));
      });
    } else {
      const uint64_t b = static_cast<uint64_t>(start.i), s = static_cast<uint64_t>(step.i);
      parallel_for(0, n, kGrainSize, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          p[i * stride] = cast<T>(static_cast<int64_t>(b + s * static_cast<uint64_t>(i)));
        }
      });
    }
  });
}

void eye_kernel(const Tensor& out) {
  const TensorIterator iter({out.get()}, out->sizes());
  const int64_t diag = std::min(out->size(0), out->size(1));
  const int64_t step = out->stride(0) + out->stride(1);
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T zero = cast<T>(false), one = cast<T>(true);
    cpu_kernel(iter, [zero]() -> T { return zero; });
    T* p = out->data_as<T>();
    for (int64_t i = 0; i < diag; ++i) p[i * step] = one;
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(arange_stub, DeviceType::CPU, arange_kernel);
EMBER_REGISTER_KERNEL(eye_stub, DeviceType::CPU, eye_kernel);

}  // namespace ember::cpu
