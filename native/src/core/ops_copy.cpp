// Meta functions of fill, copy and the conversions built on copy.
#include <algorithm>

#include "backend.h"
#include "dispatch.h"
#include "error.h"
#include "meta.h"
#include "ops.h"

namespace ember {

constinit DispatchStub<FillFn> fill_stub("fill");
constinit DispatchStub<FillMultiFn> fill_multi_stub("fill_multi");
constinit DispatchStub<CopyFn> copy_stub("copy");

namespace ops {

namespace {

int64_t nbytes(const Tensor& t) { return t->numel() * element_size(t->dtype()); }

// dst = src across two devices. Bytes only cross as contiguous blocks, so the broadcast, the cast
// and any strides are handled by a device-local copy on whichever side has them.
void copy_across_devices(const Tensor& dst, const Tensor& src) {
  const Device cpu{};
  if (!src->device().is_cpu() && !dst->device().is_cpu()) {
    copy_(dst, to_device(src, cpu));  // between two accelerators: through the host
    return;
  }
  if (src->device().is_cpu()) {
    // Shape and cast on the CPU, then upload contiguous bytes.
    Tensor staged = src;
    if (src->sizes() != dst->sizes() || src->dtype() != dst->dtype() || !src->is_contiguous()) {
      staged = empty(dst->sizes(), dst->dtype(), cpu);
      copy_stub("copy_", cpu, staged, src);
    }
    if (dst->is_contiguous()) {
      copy_bytes(dst->data(), dst->device(), staged->data(), cpu, nbytes(staged));
    } else {
      Tensor on_device = empty(dst->sizes(), dst->dtype(), dst->device());
      copy_bytes(on_device->data(), dst->device(), staged->data(), cpu, nbytes(staged));
      copy_stub("copy_", dst->device(), dst, on_device);
    }
    return;
  }
  // Download contiguous bytes, then broadcast and cast on the CPU.
  const Tensor packed = contiguous(src);
  Tensor host = empty(src->sizes(), src->dtype(), cpu);
  copy_bytes(host->data(), cpu, packed->data(), src->device(), nbytes(host));
  copy_stub("copy_", cpu, dst, host);
}

}  // namespace

void fill_(const Tensor& t, Scalar value) {
  meta::check_no_internal_overlap("fill_", t);
  if (t->numel() > 0) fill_stub("fill_", t->device(), t, value);
  t->storage()->bump_version();
}

void foreach_zero_(std::span<const Tensor> ts) {
  for (size_t i = 0; i < ts.size(); ++i) {
    EMBER_CHECK(ts[i], EMBER_ERROR_INVALID_ARGUMENT, "foreach_zero_: tensor ", i, " is NULL");
    meta::check_no_internal_overlap("foreach_zero_", ts[i]);
  }
  // One call for the whole list where the backend fills many tensors per launch.
  const auto multi = [&] {
    if (ts.size() < 2 || !fill_multi_stub.has_kernel(ts[0]->device().type)) return false;
    return std::all_of(ts.begin(), ts.end(), [&](const Tensor& t) {
      return t->device() == ts[0]->device() && t->is_contiguous() &&
             (t->dtype() == DType::Float32 || t->dtype() == DType::Float64);
    });
  };
  if (multi()) {
    fill_multi_stub("foreach_zero_", ts[0]->device(), ts, Scalar::from_float(0));
  } else {
    for (const Tensor& t : ts)
      if (t->numel() > 0) fill_stub("foreach_zero_", t->device(), t, Scalar::from_float(0));
  }
  for (const Tensor& t : ts) t->storage()->bump_version();
}

void copy_(const Tensor& dst, const Tensor& src) {
  if (dst.get() == src.get()) return;
  const DimVector shape = meta::broadcast_shapes("copy_", dst, src);
  EMBER_CHECK(shape == dst->sizes(), EMBER_ERROR_SHAPE, "copy_: source ", meta::describe(src),
              " cannot be broadcast to destination ", meta::describe(dst));
  meta::check_no_internal_overlap("copy_", dst);
  meta::check_no_partial_overlap("copy_", dst, src);
  if (dst->numel() > 0) {
    if (dst->device() == src->device()) {
      copy_stub("copy_", dst->device(), dst, src);
    } else {
      copy_across_devices(dst, src);
    }
  }
  dst->storage()->bump_version();
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t->dtype() == dtype) return t;
  Tensor out = empty(t->sizes(), dtype, t->device());
  if (out->numel() > 0) copy_stub("to", t->device(), out, t);
  return out;
}

Tensor to_device(const Tensor& t, Device device) {
  check_device("to", device);
  if (t->device() == device) return t;
  Tensor out = empty(t->sizes(), t->dtype(), device);
  if (out->numel() > 0) copy_across_devices(out, t);
  return out;
}

Tensor to_device(const Tensor& t, Device device, bool non_blocking) {
  if (!non_blocking || !t->device().is_cpu() || device.is_cpu() || !t->storage()->pinned() ||
      !t->is_contiguous())
    return to_device(t, device);
  check_device("to", device);
  Tensor out = empty(t->sizes(), t->dtype(), device);
  if (!copy_to_device_async(out->data(), device, t->data(), nbytes(out)))
    copy_across_devices(out, t);
  return out;
}

Tensor pin_memory(const Tensor& t) {
  EMBER_CHECK(t->device().is_cpu(), EMBER_ERROR_DEVICE, "pin_memory: the tensor is on ",
              device_name(t->device()), "; only CPU tensors can be pinned");
  if (t->storage()->pinned()) return t;
  Allocator& pinned = pinned_host_allocator("pin_memory");
  auto storage = Ref<Storage>::make(nbytes(t), Device{}, pinned);
  Tensor out =
      Tensor::make(std::move(storage), t->sizes(), contiguous_strides(t->sizes()), 0, t->dtype());
  if (out->numel() > 0) copy_stub("pin_memory", Device{}, out, t);
  return out;
}

Tensor clone(const Tensor& t) {
  Tensor out = empty(t->sizes(), t->dtype(), t->device());
  if (out->numel() > 0) copy_stub("clone", t->device(), out, t);
  return out;
}

Tensor contiguous(const Tensor& t) { return t->is_contiguous() ? t : clone(t); }

}  // namespace ops
}  // namespace ember
