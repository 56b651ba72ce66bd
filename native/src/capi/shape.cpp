// C ABI: shape ops (ember/shape.h).
#include "ember/shape.h"

#include "capi/list.h"
#include "core/ops_shape.h"

using namespace ember;
using capi::In;

namespace {

DimVector int64_list(const char* op, const int64_t* p, int32_t n) {
  return DimVector(capi::shape_arg(op, p, n));
}

}  // namespace

extern "C" {

EMBER_API ember_status ember_cat(const ember_tensor* tensors, int32_t n, int32_t dim,
                                 ember_tensor* out) {
  return capi::make(
      "cat", out, [&](const char* op) { return ops::cat(capi::tensor_list(op, tensors, n), dim); });
}

EMBER_API ember_status ember_stack(const ember_tensor* tensors, int32_t n, int32_t dim,
                                   ember_tensor* out) {
  return capi::make("stack", out, [&](const char* op) {
    return ops::stack(capi::tensor_list(op, tensors, n), dim);
  });
}

EMBER_API ember_status ember_hstack(const ember_tensor* tensors, int32_t n, ember_tensor* out) {
  return capi::make("hstack", out,
                    [&](const char* op) { return ops::hstack(capi::tensor_list(op, tensors, n)); });
}

EMBER_API ember_status ember_vstack(const ember_tensor* tensors, int32_t n, ember_tensor* out) {
  return capi::make("vstack", out,
                    [&](const char* op) { return ops::vstack(capi::tensor_list(op, tensors, n)); });
}

EMBER_API ember_status ember_split_with_sizes(ember_tensor t, const int64_t* sizes, int32_t n,
                                              int32_t dim, ember_tensor* outs) {
  return capi::make_list("split", outs, [&](const char* op) {
    return ops::split_with_sizes(In(op, t), capi::shape_arg(op, sizes, n), dim);
  });
}

EMBER_API ember_status ember_unbind(ember_tensor t, int32_t dim, ember_tensor* outs) {
  return capi::make_list("unbind", outs,
                         [&](const char* op) { return ops::unbind(In(op, t), dim); });
}

EMBER_API ember_status ember_flatten(ember_tensor t, int32_t start_dim, int32_t end_dim,
                                     ember_tensor* out) {
  return capi::make("flatten", out,
                    [&](const char* op) { return ops::flatten(In(op, t), start_dim, end_dim); });
}

EMBER_API ember_status ember_unflatten(ember_tensor t, int32_t dim, const int64_t* sizes, int32_t n,
                                       ember_tensor* out) {
  return capi::make("unflatten", out, [&](const char* op) {
    return ops::unflatten(In(op, t), dim, capi::shape_arg(op, sizes, n));
  });
}

EMBER_API ember_status ember_movedim(ember_tensor t, const int32_t* src, const int32_t* dst,
                                     int32_t n, ember_tensor* out) {
  return capi::make("movedim", out, [&](const char* op) {
    return ops::movedim(In(op, t), capi::dims_arg(op, src, n), capi::dims_arg(op, dst, n));
  });
}

EMBER_API ember_status ember_repeat(ember_tensor t, const int64_t* repeats, int32_t n,
                                    ember_tensor* out) {
  return capi::make("repeat", out, [&](const char* op) {
    return ops::repeat(In(op, t), capi::shape_arg(op, repeats, n));
  });
}

EMBER_API ember_status ember_tile(ember_tensor t, const int64_t* repeats, int32_t n,
                                  ember_tensor* out) {
  return capi::make("tile", out, [&](const char* op) {
    return ops::tile(In(op, t), capi::shape_arg(op, repeats, n));
  });
}

EMBER_API ember_status ember_repeat_interleave(ember_tensor t, ember_tensor repeats, int32_t dim,
                                               int32_t has_dim, ember_tensor* out) {
  return capi::make("repeat_interleave", out, [&](const char* op) {
    return ops::repeat_interleave(In(op, t), In(op, repeats), dim, has_dim != 0);
  });
}

EMBER_API ember_status ember_repeat_interleave_int(ember_tensor t, int64_t repeats, int32_t dim,
                                                   int32_t has_dim, ember_tensor* out) {
  return capi::make("repeat_interleave", out, [&](const char* op) {
    return ops::repeat_interleave(In(op, t), repeats, dim, has_dim != 0);
  });
}

EMBER_API ember_status ember_flip(ember_tensor t, const int32_t* dims, int32_t n,
                                  ember_tensor* out) {
  return capi::make("flip", out, [&](const char* op) {
    return ops::flip(In(op, t), capi::dims_arg(op, dims, n));
  });
}

EMBER_API ember_status ember_roll(ember_tensor t, const int64_t* shifts, int32_t nshifts,
                                  const int32_t* dims, int32_t n, ember_tensor* out) {
  return capi::make("roll", out, [&](const char* op) {
    return ops::roll(In(op, t), int64_list(op, shifts, nshifts), capi::dims_arg(op, dims, n));
  });
}

EMBER_API ember_status ember_tril(ember_tensor t, int64_t diagonal, ember_tensor* out) {
  return capi::make("tril", out, [&](const char* op) { return ops::tril(In(op, t), diagonal); });
}

EMBER_API ember_status ember_triu(ember_tensor t, int64_t diagonal, ember_tensor* out) {
  return capi::make("triu", out, [&](const char* op) { return ops::triu(In(op, t), diagonal); });
}

EMBER_API ember_status ember_tril_(ember_tensor t, int64_t diagonal) {
  return capi::guard("tril_", [&](const char* op) { ops::tril_(In(op, t), diagonal); });
}

EMBER_API ember_status ember_triu_(ember_tensor t, int64_t diagonal) {
  return capi::guard("triu_", [&](const char* op) { ops::triu_(In(op, t), diagonal); });
}

EMBER_API ember_status ember_diagonal(ember_tensor t, int64_t offset, int32_t dim1, int32_t dim2,
                                      ember_tensor* out) {
  return capi::make("diagonal", out,
                    [&](const char* op) { return ops::diagonal(In(op, t), offset, dim1, dim2); });
}

EMBER_API ember_status ember_diag(ember_tensor t, int64_t diagonal, ember_tensor* out) {
  return capi::make("diag", out, [&](const char* op) { return ops::diag(In(op, t), diagonal); });
}

EMBER_API ember_status ember_diag_embed(ember_tensor t, int64_t offset, int32_t dim1, int32_t dim2,
                                        ember_tensor* out) {
  return capi::make("diag_embed", out,
                    [&](const char* op) { return ops::diag_embed(In(op, t), offset, dim1, dim2); });
}

EMBER_API ember_status ember_pad(ember_tensor t, const int64_t* pads, int32_t npads, int32_t mode,
                                 ember_scalar value, ember_tensor* out) {
  return capi::make("pad", out, [&](const char* op) {
    return ops::pad(In(op, t), capi::shape_arg(op, pads, npads), static_cast<ops::PadMode>(mode),
                    capi::scalar_arg(op, value));
  });
}

EMBER_API ember_status ember_pad_backward(ember_tensor grad, const int64_t* input_sizes,
                                          int32_t ndim, const int64_t* pads, int32_t npads,
                                          int32_t mode, ember_tensor* out) {
  return capi::make("pad_backward", out, [&](const char* op) {
    return ops::pad_backward(In(op, grad), capi::sizes_arg(op, input_sizes, ndim),
                             capi::shape_arg(op, pads, npads), static_cast<ops::PadMode>(mode));
  });
}

EMBER_API ember_status ember_meshgrid(const ember_tensor* tensors, int32_t n, int32_t xy_indexing,
                                      ember_tensor* outs) {
  return capi::make_list("meshgrid", outs, [&](const char* op) {
    return ops::meshgrid(capi::tensor_list(op, tensors, n), xy_indexing != 0);
  });
}

}  // extern "C"
