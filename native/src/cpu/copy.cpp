// CPU kernels of fill and copy (with any-to-any dtype conversion).
#include "core/dispatch.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

void fill_kernel(const Tensor& t, Scalar value) {
  const TensorIterator iter({t.get()}, t->sizes());
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = scalar_as<T>(value);
    cpu_kernel(iter, [v]() -> T { return v; });
  });
}

void copy_kernel(const Tensor& dst, const Tensor& src) {
  const TensorIterator iter({dst.get(), src.get()}, dst->sizes());
  dispatch_dtype(dst->dtype(), [&](auto dst_tag) {
    using To = typename decltype(dst_tag)::type;
    dispatch_dtype(src->dtype(), [&](auto src_tag) {
      using From = typename decltype(src_tag)::type;
      cpu_kernel(iter, [](From x) -> To { return cast<To>(x); });
    });
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(fill_stub, DeviceType::CPU, fill_kernel);
EMBER_REGISTER_KERNEL(copy_stub, DeviceType::CPU, copy_kernel);

}  // namespace ember::cpu
