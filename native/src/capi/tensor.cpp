// C ABI: tensor lifetime, metadata, creation, copies and views.
#include "ember/tensor.h"

#include <algorithm>
#include <cstring>

#include "core/backend.h"
#include "core/ops.h"
#include "shim.h"

using namespace ember;
using capi::In;

namespace {

// numel * element size of a tensor of these sizes, or -1 when that overflows int64.
int64_t nbytes_of(const DimVector& sizes, DType dtype) {
  int64_t n = element_size(dtype);
  for (int64_t s : sizes) {
    if (__builtin_mul_overflow(n, s, &n)) return -1;
  }
  return n;
}

// Checks that nbytes of host data at `data` is exactly what a tensor of shape and dt holds (the
// check of from_data and from_blob); returns that count.
int64_t checked_host_bytes(const char* op, const void* data, int64_t nbytes, const DimVector& shape,
                           DType dt) {
  const int64_t need = nbytes_of(shape, dt);
  EMBER_CHECK(nbytes == need, EMBER_ERROR_INVALID_ARGUMENT, op, ": ", nbytes, " bytes given for a ",
              dtype_name(dt), " tensor of sizes ", shape, ", which holds ",
              need < 0 ? "more than 2^63" : std::to_string(need), " bytes");
  if (need > 0 && data == nullptr) capi::null_argument(op, "data");
  return need;
}

}  // namespace

extern "C" {

// ---- lifetime ----

EMBER_API ember_status ember_tensor_retain(ember_tensor t, ember_tensor* out) {
  return capi::get("tensor_retain", out, [&](const char* op) {
    In(op, t)->retain();
    return t;
  });
}

EMBER_API ember_status ember_tensor_release(ember_tensor t) {
  if (t) reinterpret_cast<TensorImpl*>(t)->release();
  return EMBER_OK;
}

// ---- metadata ----

EMBER_API ember_status ember_tensor_ndim(ember_tensor t, int32_t* out) {
  return capi::get("tensor_ndim", out,
                   [&](const char* op) { return static_cast<int32_t>(In(op, t)->dim()); });
}

EMBER_API ember_status ember_tensor_sizes(ember_tensor t, int64_t* out) {
  return capi::guard("tensor_sizes", [&](const char* op) {
    const In a(op, t);
    if (a->dim() > 0) std::copy(a->sizes().begin(), a->sizes().end(), capi::check_out(op, out));
  });
}

EMBER_API ember_status ember_tensor_strides(ember_tensor t, int64_t* out) {
  return capi::guard("tensor_strides", [&](const char* op) {
    const In a(op, t);
    if (a->dim() > 0) std::copy(a->strides().begin(), a->strides().end(), capi::check_out(op, out));
  });
}

EMBER_API ember_status ember_tensor_offset(ember_tensor t, int64_t* out) {
  return capi::get("tensor_offset", out, [&](const char* op) { return In(op, t)->offset(); });
}

EMBER_API ember_status ember_tensor_numel(ember_tensor t, int64_t* out) {
  return capi::get("tensor_numel", out, [&](const char* op) { return In(op, t)->numel(); });
}

EMBER_API ember_status ember_tensor_dtype(ember_tensor t, int32_t* out) {
  return capi::get("tensor_dtype", out,
                   [&](const char* op) { return static_cast<int32_t>(In(op, t)->dtype()); });
}

EMBER_API ember_status ember_tensor_device(ember_tensor t, ember_device* out) {
  return capi::get("tensor_device", out, [&](const char* op) {
    const Device d = In(op, t)->device();
    return ember_device{static_cast<int32_t>(d.type), d.index};
  });
}

EMBER_API ember_status ember_tensor_is_contiguous(ember_tensor t, int32_t* out) {
  return capi::get("tensor_is_contiguous", out, [&](const char* op) {
    return static_cast<int32_t>(In(op, t)->is_contiguous());
  });
}

EMBER_API ember_status ember_tensor_data_ptr(ember_tensor t, void** out) {
  return capi::get("tensor_data_ptr", out, [&](const char* op) {
    const In a(op, t);
    EMBER_CHECK(a->device().is_cpu(), EMBER_ERROR_DEVICE, op, ": the tensor is on ",
                device_name(a->device()), "; only CPU tensors expose their data");
    return a->data();
  });
}

EMBER_API ember_status ember_tensor_storage_nbytes(ember_tensor t, int64_t* out) {
  return capi::get("tensor_storage_nbytes", out,
                   [&](const char* op) { return In(op, t)->storage()->nbytes(); });
}

EMBER_API ember_status ember_tensor_version(ember_tensor t, int64_t* out) {
  return capi::get("tensor_version", out,
                   [&](const char* op) { return In(op, t)->storage()->version(); });
}

EMBER_API ember_status ember_tensor_shares_storage(ember_tensor a, ember_tensor b, int32_t* out) {
  return capi::get("tensor_shares_storage", out, [&](const char* op) {
    return static_cast<int32_t>(In(op, a)->storage().get() == In(op, b)->storage().get());
  });
}

// ---- creation ----

EMBER_API ember_status ember_empty(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   ember_device device, ember_tensor* out) {
  return capi::make("empty", out, [&](const char* op) {
    return empty(capi::sizes_arg(op, sizes, ndim), capi::dtype_arg(op, dtype),
                 capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_zeros(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   ember_device device, ember_tensor* out) {
  return capi::make("zeros", out, [&](const char* op) {
    return ops::zeros(capi::sizes_arg(op, sizes, ndim), capi::dtype_arg(op, dtype),
                      capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_full(const int64_t* sizes, int32_t ndim, ember_scalar value,
                                  int32_t dtype, ember_device device, ember_tensor* out) {
  return capi::make("full", out, [&](const char* op) {
    return ops::full(capi::sizes_arg(op, sizes, ndim), capi::scalar_arg(op, value),
                     capi::dtype_arg(op, dtype), capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_fill_(ember_tensor t, ember_scalar value) {
  return capi::guard("fill_",
                     [&](const char* op) { ops::fill_(In(op, t), capi::scalar_arg(op, value)); });
}

EMBER_API ember_status ember_arange(ember_scalar start, ember_scalar end, ember_scalar step,
                                    int32_t dtype, ember_device device, ember_tensor* out) {
  return capi::make("arange", out, [&](const char* op) {
    return ops::arange(capi::scalar_arg(op, start), capi::scalar_arg(op, end),
                       capi::scalar_arg(op, step), capi::dtype_arg(op, dtype),
                       capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_eye(int64_t n, int64_t m, int32_t dtype, ember_device device,
                                 ember_tensor* out) {
  return capi::make("eye", out, [&](const char* op) {
    return ops::eye(n, m, capi::dtype_arg(op, dtype), capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_rand(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                  ember_device device, ember_generator gen, ember_tensor* out) {
  return capi::make("rand", out, [&](const char* op) {
    return ops::rand(capi::sizes_arg(op, sizes, ndim), capi::dtype_arg(op, dtype),
                     capi::device_arg(op, device), capi::generator_arg(gen));
  });
}

EMBER_API ember_status ember_randn(const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   ember_device device, ember_generator gen, ember_tensor* out) {
  return capi::make("randn", out, [&](const char* op) {
    return ops::randn(capi::sizes_arg(op, sizes, ndim), capi::dtype_arg(op, dtype),
                      capi::device_arg(op, device), capi::generator_arg(gen));
  });
}

EMBER_API ember_status ember_from_data(const void* data, int64_t nbytes, const int64_t* sizes,
                                       int32_t ndim, int32_t dtype, ember_tensor* out) {
  return capi::make("from_data", out, [&](const char* op) {
    DimVector shape = capi::sizes_arg(op, sizes, ndim);
    const DType dt = capi::dtype_arg(op, dtype);
    const int64_t need = checked_host_bytes(op, data, nbytes, shape, dt);
    Tensor t = empty(shape, dt, Device{});
    if (need > 0) std::memcpy(t->data(), data, static_cast<size_t>(need));
    return t;
  });
}

EMBER_API ember_status ember_from_blob(void* data, int64_t nbytes, const int64_t* sizes,
                                       int32_t ndim, int32_t dtype, ember_release_fn release,
                                       void* ctx, ember_tensor* out) {
  return capi::make("from_blob", out, [&](const char* op) {
    DimVector shape = capi::sizes_arg(op, sizes, ndim);
    const DType dt = capi::dtype_arg(op, dtype);
    checked_host_bytes(op, data, nbytes, shape, dt);
    // The storage takes over the release from here on.
    auto storage = Ref<Storage>::make(data, nbytes, Device{}, release, ctx);
    DimVector strides = contiguous_strides(shape);
    return Tensor::make(std::move(storage), std::move(shape), std::move(strides), 0, dt);
  });
}

// ---- copies and casts ----

EMBER_API ember_status ember_copy_(ember_tensor dst, ember_tensor src) {
  return capi::guard("copy_", [&](const char* op) { ops::copy_(In(op, dst), In(op, src)); });
}

EMBER_API ember_status ember_copy_to_host(ember_tensor t, void* dst, int64_t nbytes) {
  return capi::guard("copy_to_host", [&](const char* op) {
    const In a(op, t);
    const int64_t need = a->numel() * element_size(a->dtype());
    EMBER_CHECK(nbytes >= need, EMBER_ERROR_INVALID_ARGUMENT, op, ": a buffer of ", nbytes,
                " bytes cannot hold a ", dtype_name(a->dtype()), " tensor of sizes ", a->sizes(),
                " (", need, " bytes)");
    if (need == 0) return;
    if (dst == nullptr) capi::null_argument(op, "dst");
    const Tensor c = a->is_contiguous() ? static_cast<const Tensor&>(a) : ops::contiguous(a);
    copy_bytes(dst, Device{}, c->data(), c->device(), need);
  });
}

EMBER_API ember_status ember_to_dtype(ember_tensor t, int32_t dtype, ember_tensor* out) {
  return capi::make("to_dtype", out, [&](const char* op) {
    return ops::to_dtype(In(op, t), capi::dtype_arg(op, dtype));
  });
}

EMBER_API ember_status ember_to_device(ember_tensor t, ember_device device, ember_tensor* out) {
  return capi::make("to_device", out, [&](const char* op) {
    return ops::to_device(In(op, t), capi::device_arg(op, device));
  });
}

EMBER_API ember_status ember_to_device_async(ember_tensor t, ember_device device,
                                             ember_tensor* out) {
  return capi::make("to_device_async", out, [&](const char* op) {
    return ops::to_device(In(op, t), capi::device_arg(op, device), true);
  });
}

EMBER_API ember_status ember_pin_memory(ember_tensor t, ember_tensor* out) {
  return capi::make("pin_memory", out, [&](const char* op) { return ops::pin_memory(In(op, t)); });
}

EMBER_API ember_status ember_tensor_is_pinned(ember_tensor t, int32_t* out) {
  return capi::get("tensor_is_pinned", out,
                   [&](const char* op) { return In(op, t)->storage()->pinned() ? 1 : 0; });
}

EMBER_API ember_status ember_clone(ember_tensor t, ember_tensor* out) {
  return capi::make("clone", out, [&](const char* op) { return ops::clone(In(op, t)); });
}

EMBER_API ember_status ember_contiguous(ember_tensor t, ember_tensor* out) {
  return capi::make("contiguous", out, [&](const char* op) { return ops::contiguous(In(op, t)); });
}

// ---- views ----

EMBER_API ember_status ember_view(ember_tensor t, const int64_t* sizes, int32_t ndim,
                                  ember_tensor* out) {
  return capi::make("view", out, [&](const char* op) {
    return ops::view(In(op, t), capi::shape_arg(op, sizes, ndim));
  });
}

EMBER_API ember_status ember_reshape(ember_tensor t, const int64_t* sizes, int32_t ndim,
                                     ember_tensor* out) {
  return capi::make("reshape", out, [&](const char* op) {
    return ops::reshape(In(op, t), capi::shape_arg(op, sizes, ndim));
  });
}

EMBER_API ember_status ember_transpose(ember_tensor t, int32_t dim0, int32_t dim1,
                                       ember_tensor* out) {
  return capi::make("transpose", out,
                    [&](const char* op) { return ops::transpose(In(op, t), dim0, dim1); });
}

EMBER_API ember_status ember_permute(ember_tensor t, const int32_t* dims, int32_t ndim,
                                     ember_tensor* out) {
  return capi::make("permute", out, [&](const char* op) {
    return ops::permute(In(op, t), capi::dims_arg(op, dims, ndim));
  });
}

EMBER_API ember_status ember_expand(ember_tensor t, const int64_t* sizes, int32_t ndim,
                                    ember_tensor* out) {
  return capi::make("expand", out, [&](const char* op) {
    return ops::expand(In(op, t), capi::shape_arg(op, sizes, ndim));
  });
}

EMBER_API ember_status ember_squeeze(ember_tensor t, ember_tensor* out) {
  return capi::make("squeeze", out, [&](const char* op) { return ops::squeeze(In(op, t)); });
}

EMBER_API ember_status ember_squeeze_dim(ember_tensor t, int32_t dim, ember_tensor* out) {
  return capi::make("squeeze", out,
                    [&](const char* op) { return ops::squeeze_dim(In(op, t), dim); });
}

EMBER_API ember_status ember_unsqueeze(ember_tensor t, int32_t dim, ember_tensor* out) {
  return capi::make("unsqueeze", out,
                    [&](const char* op) { return ops::unsqueeze(In(op, t), dim); });
}

EMBER_API ember_status ember_slice(ember_tensor t, int32_t dim, int64_t start, int64_t end,
                                   int64_t step, ember_tensor* out) {
  return capi::make("slice", out,
                    [&](const char* op) { return ops::slice(In(op, t), dim, start, end, step); });
}

EMBER_API ember_status ember_select(ember_tensor t, int32_t dim, int64_t index, ember_tensor* out) {
  return capi::make("select", out,
                    [&](const char* op) { return ops::select(In(op, t), dim, index); });
}

}  // extern "C"
