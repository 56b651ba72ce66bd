// Shim helpers for ops that take or return lists of tensors (cat, split, meshgrid, ...).
#pragma once

#include <vector>

#include "shim.h"

namespace ember::capi {

// The tensors of a borrowed handle array, each holding its own reference for the call.
inline std::vector<Tensor> tensor_list(const char* op, const ember_tensor* handles, int32_t n) {
  EMBER_CHECK(n >= 0, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": the number of tensors must be non-negative, got ", n);
  if (n > 0 && handles == nullptr) null_argument(op, "tensor list");
  std::vector<Tensor> out;
  out.reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    if (handles[i] == nullptr) null_argument(op, "tensor handle in the list");
    out.push_back(Tensor::share(reinterpret_cast<TensorImpl*>(handles[i])));
  }
  return out;
}

// For ops that make several tensors: outs receives one handle per result, all or none.
template <class F>
inline ember_status make_list(const char* op, ember_tensor* outs, F&& body) noexcept {
  return guard(op, [&](const char* o) {
    std::vector<Tensor> r = body(o);
    if (!r.empty()) check_out(o, outs);
    for (size_t i = 0; i < r.size(); ++i) {
      outs[i] = reinterpret_cast<ember_tensor>(r[i].release_ownership());
    }
  });
}

// Two results (values and indices, ...): both or none.
template <class F>
inline ember_status make_pair(const char* op, ember_tensor* out1, ember_tensor* out2,
                              F&& body) noexcept {
  return guard(op, [&](const char* o) {
    check_out(o, out1);
    check_out(o, out2);
    std::pair<Tensor, Tensor> r = body(o);
    *out1 = reinterpret_cast<ember_tensor>(r.first.release_ownership());
    *out2 = reinterpret_cast<ember_tensor>(r.second.release_ownership());
  });
}

}  // namespace ember::capi
