// C ABI: indexing ops (ember/indexing.h).
#include "ember/indexing.h"

#include "capi/list.h"
#include "core/ops_index.h"
#include "core/ops_shape.h"

using namespace ember;
using capi::In;
using capi::optional_in;

namespace {

// An index list whose entries may be NULL (a whole dim).
std::vector<Tensor> index_list(const char* op, const ember_tensor* handles, int32_t n) {
  EMBER_CHECK(n >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": the number of indices must be non-negative, got ", n);
  if (n > 0 && handles == nullptr) capi::null_argument(op, "index list");
  std::vector<Tensor> out;
  for (int32_t i = 0; i < n; ++i) out.push_back(optional_in(handles[i]));
  return out;
}

ScatterReduce reduce_arg(const char* op, int32_t r) {
  EMBER_CHECK(r >= EMBER_SCATTER_NONE && r <= EMBER_SCATTER_AMIN, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": invalid reduction ", r);
  return static_cast<ScatterReduce>(r);
}

}  // namespace

extern "C" {

EMBER_API ember_status ember_index_select(ember_tensor t, int32_t dim, ember_tensor index,
                                          ember_tensor* out) {
  return capi::make("index_select", out, [&](const char* op) {
    return ops::index_select(In(op, t), dim, In(op, index));
  });
}

EMBER_API ember_status ember_index_add(ember_tensor t, int32_t dim, ember_tensor index,
                                       ember_tensor source, ember_scalar alpha, ember_tensor* out) {
  return capi::make("index_add", out, [&](const char* op) {
    return ops::index_add(In(op, t), dim, In(op, index), In(op, source),
                          capi::scalar_arg(op, alpha));
  });
}

EMBER_API ember_status ember_index_add_(ember_tensor t, int32_t dim, ember_tensor index,
                                        ember_tensor source, ember_scalar alpha) {
  return capi::guard("index_add_", [&](const char* op) {
    ops::index_add_(In(op, t), dim, In(op, index), In(op, source), capi::scalar_arg(op, alpha));
  });
}

EMBER_API ember_status ember_index_copy(ember_tensor t, int32_t dim, ember_tensor index,
                                        ember_tensor source, ember_tensor* out) {
  return capi::make("index_copy", out, [&](const char* op) {
    return ops::index_copy(In(op, t), dim, In(op, index), In(op, source));
  });
}

EMBER_API ember_status ember_index_copy_(ember_tensor t, int32_t dim, ember_tensor index,
                                         ember_tensor source) {
  return capi::guard("index_copy_", [&](const char* op) {
    ops::index_copy_(In(op, t), dim, In(op, index), In(op, source));
  });
}

EMBER_API ember_status ember_index_fill(ember_tensor t, int32_t dim, ember_tensor index,
                                        ember_scalar value, ember_tensor* out) {
  return capi::make("index_fill", out, [&](const char* op) {
    return ops::index_fill(In(op, t), dim, In(op, index), capi::scalar_arg(op, value));
  });
}

EMBER_API ember_status ember_index_fill_(ember_tensor t, int32_t dim, ember_tensor index,
                                         ember_scalar value) {
  return capi::guard("index_fill_", [&](const char* op) {
    ops::index_fill_(In(op, t), dim, In(op, index), capi::scalar_arg(op, value));
  });
}

EMBER_API ember_status ember_gather(ember_tensor t, int32_t dim, ember_tensor index,
                                    ember_tensor* out) {
  return capi::make("gather", out,
                    [&](const char* op) { return ops::gather(In(op, t), dim, In(op, index)); });
}

EMBER_API ember_status ember_scatter(ember_tensor t, int32_t dim, ember_tensor index,
                                     ember_tensor src, ember_scalar value, int32_t reduce,
                                     int32_t include_self, ember_tensor* out) {
  return capi::make("scatter", out, [&](const char* op) {
    return ops::scatter(In(op, t), dim, In(op, index), optional_in(src),
                        capi::scalar_arg(op, value), reduce_arg(op, reduce), include_self != 0);
  });
}

EMBER_API ember_status ember_scatter_(ember_tensor t, int32_t dim, ember_tensor index,
                                      ember_tensor src, ember_scalar value, int32_t reduce,
                                      int32_t include_self) {
  return capi::guard("scatter_", [&](const char* op) {
    ops::scatter_(In(op, t), dim, In(op, index), optional_in(src), capi::scalar_arg(op, value),
                  reduce_arg(op, reduce), include_self != 0);
  });
}

EMBER_API ember_status ember_take_along_dim(ember_tensor t, ember_tensor indices, int32_t dim,
                                            int32_t has_dim, ember_tensor* out) {
  return capi::make("take_along_dim", out, [&](const char* op) {
    return ops::take_along_dim(In(op, t), In(op, indices), dim, has_dim != 0);
  });
}

EMBER_API ember_status ember_take(ember_tensor t, ember_tensor index, ember_tensor* out) {
  return capi::make("take", out,
                    [&](const char* op) { return ops::take(In(op, t), In(op, index)); });
}

EMBER_API ember_status ember_masked_fill(ember_tensor t, ember_tensor mask, ember_scalar value,
                                         ember_tensor* out) {
  return capi::make("masked_fill", out, [&](const char* op) {
    return ops::masked_fill(In(op, t), In(op, mask), capi::scalar_arg(op, value));
  });
}

EMBER_API ember_status ember_masked_fill_(ember_tensor t, ember_tensor mask, ember_scalar value) {
  return capi::guard("masked_fill_", [&](const char* op) {
    ops::masked_fill_(In(op, t), In(op, mask), capi::scalar_arg(op, value));
  });
}

EMBER_API ember_status ember_masked_scatter(ember_tensor t, ember_tensor mask, ember_tensor source,
                                            ember_tensor* out) {
  return capi::make("masked_scatter", out, [&](const char* op) {
    return ops::masked_scatter(In(op, t), In(op, mask), In(op, source));
  });
}

EMBER_API ember_status ember_masked_scatter_(ember_tensor t, ember_tensor mask,
                                             ember_tensor source) {
  return capi::guard("masked_scatter_", [&](const char* op) {
    ops::masked_scatter_(In(op, t), In(op, mask), In(op, source));
  });
}

EMBER_API ember_status ember_masked_select(ember_tensor t, ember_tensor mask, ember_tensor* out) {
  return capi::make("masked_select", out,
                    [&](const char* op) { return ops::masked_select(In(op, t), In(op, mask)); });
}

EMBER_API ember_status ember_nonzero(ember_tensor t, ember_tensor* out) {
  return capi::make("nonzero", out, [&](const char* op) { return ops::nonzero(In(op, t)); });
}

EMBER_API ember_status ember_one_hot(ember_tensor t, int64_t num_classes, ember_tensor* out) {
  return capi::make("one_hot", out,
                    [&](const char* op) { return ops::one_hot(In(op, t), num_classes); });
}

EMBER_API ember_status ember_embedding(ember_tensor weight, ember_tensor indices,
                                       ember_tensor* out) {
  return capi::make("embedding", out, [&](const char* op) {
    return ops::embedding(In(op, weight), In(op, indices));
  });
}

EMBER_API ember_status ember_index(ember_tensor t, const ember_tensor* indices, int32_t n,
                                   ember_tensor* out) {
  return capi::make("index", out, [&](const char* op) {
    return ops::index(In(op, t), index_list(op, indices, n));
  });
}

EMBER_API ember_status ember_index_put_(ember_tensor t, const ember_tensor* indices, int32_t n,
                                        ember_tensor values, int32_t accumulate) {
  return capi::guard("index_put_", [&](const char* op) {
    ops::index_put_(In(op, t), index_list(op, indices, n), In(op, values), accumulate != 0);
  });
}

EMBER_API ember_status ember_index_put(ember_tensor t, const ember_tensor* indices, int32_t n,
                                       ember_tensor values, int32_t accumulate, ember_tensor* out) {
  return capi::make("index_put", out, [&](const char* op) {
    return ops::index_put(In(op, t), index_list(op, indices, n), In(op, values), accumulate != 0);
  });
}

}  // extern "C"
