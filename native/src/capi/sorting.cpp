// C ABI: sorting and search (ember/sorting.h).
#include "ember/sorting.h"

#include "capi/list.h"
#include "core/ops_sort.h"

using namespace ember;
using capi::In;

extern "C" {

EMBER_API ember_status ember_sort(ember_tensor t, int32_t dim, int32_t descending, int32_t stable,
                                  ember_tensor* values, ember_tensor* indices) {
  return capi::make_pair("sort", values, indices, [&](const char* op) {
    return ops::sort(In(op, t), dim, descending != 0, stable != 0);
  });
}

EMBER_API ember_status ember_topk(ember_tensor t, int64_t k, int32_t dim, int32_t largest,
                                  int32_t sorted, ember_tensor* values, ember_tensor* indices) {
  return capi::make_pair("topk", values, indices, [&](const char* op) {
    return ops::topk(In(op, t), k, dim, largest != 0, sorted != 0);
  });
}

EMBER_API ember_status ember_kthvalue(ember_tensor t, int64_t k, int32_t dim, int32_t keepdim,
                                      ember_tensor* values, ember_tensor* indices) {
  return capi::make_pair("kthvalue", values, indices, [&](const char* op) {
    return ops::kthvalue(In(op, t), k, dim, keepdim != 0);
  });
}

EMBER_API ember_status ember_unique(ember_tensor t, ember_tensor* values, ember_tensor* inverse,
                                    ember_tensor* counts) {
  return capi::guard("unique", [&](const char* op) {
    capi::check_out(op, values);
    capi::check_out(op, inverse);
    capi::check_out(op, counts);
    std::array<Tensor, 3> r = ops::unique(In(op, t));
    *values = reinterpret_cast<ember_tensor>(r[0].release_ownership());
    *inverse = reinterpret_cast<ember_tensor>(r[1].release_ownership());
    *counts = reinterpret_cast<ember_tensor>(r[2].release_ownership());
  });
}

EMBER_API ember_status ember_searchsorted(ember_tensor sorted_sequence, ember_tensor values,
                                          int32_t out_int32, int32_t right, ember_tensor* out) {
  return capi::make("searchsorted", out, [&](const char* op) {
    return ops::searchsorted(In(op, sorted_sequence), In(op, values), out_int32 != 0, right != 0);
  });
}

EMBER_API ember_status ember_bucketize(ember_tensor input, ember_tensor boundaries,
                                       int32_t out_int32, int32_t right, ember_tensor* out) {
  return capi::make("bucketize", out, [&](const char* op) {
    return ops::bucketize(In(op, input), In(op, boundaries), out_int32 != 0, right != 0);
  });
}

EMBER_API ember_status ember_histc(ember_tensor t, int64_t bins, double min, double max,
                                   ember_tensor* out) {
  return capi::make("histc", out,
                    [&](const char* op) { return ops::histc(In(op, t), bins, min, max); });
}

}  // extern "C"
