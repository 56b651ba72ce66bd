// CPU kernel of index_add/index_copy along a dim (also the backward of index_select, pad, ...).
// Work is split over the positions outside dim, so no two threads write the same element and the
// additions into each element happen in index order (deterministic results).
#include "core/dispatch_shape.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

// Offsets of position p (row-major over sizes without dim) in a and b.
inline void offsets_outside(const Tensor& a, const Tensor& b, int64_t dim, int64_t p, int64_t& oa,
                            int64_t& ob) {
  oa = ob = 0;
  for (int64_t d = a->dim() - 1; d >= 0; --d) {
    if (d == dim) continue;
    const int64_t i = p % a->size(d);
    p /= a->size(d);
    oa += i * a->stride(d);
    ob += i * b->stride(d);
  }
}

void index_add_kernel(const Tensor& self, int64_t dim, std::span<const int64_t> dst,
                      const Tensor& src, std::span<const int64_t> src_index, Scalar alpha,
                      bool accumulate) {
  const int64_t n = static_cast<int64_t>(dst.size());
  const int64_t positions =
      self->dim() == 0 ? 1 : self->numel() / std::max<int64_t>(1, self->size(dim));
  if (self->numel() == 0 || n == 0) return;
  const int64_t ss = self->dim() == 0 ? 0 : self->stride(dim);
  const int64_t rs = src->dim() == 0 ? 0 : src->stride(dim);
  dispatch_dtype(self->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = compute_t<T>;
    T* ps = self->data_as<T>();
    const T* pr = src->data_as<T>();
    const C a = scalar_as<C>(alpha);
    const bool unit = alpha.kind == Scalar::Kind::Float ? alpha.f == 1.0 : alpha.i == 1;
    parallel_for(
        0, positions, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, n)),
        [&](int64_t b, int64_t e) {
          for (int64_t p = b; p < e; ++p) {
            int64_t os, orr;
            offsets_outside(self, src, self->dim() == 0 ? -1 : dim, p, os, orr);
            for (int64_t i = 0; i < n; ++i) {
              const int64_t j = src_index.empty() ? i : src_index[i];
              T& out = ps[os + dst[i] * ss];
              const C v = cast<C>(pr[orr + j * rs]);
              if (!accumulate) {
                out = pr[orr + j * rs];
              } else if constexpr (std::is_same_v<T, bool>) {
                out = out || (v && a);
              } else {
                out = cast<T>(static_cast<C>(cast<C>(out) + (unit ? v : static_cast<C>(a * v))));
              }
            }
          }
        });
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(index_add_stub, DeviceType::CPU, index_add_kernel);

}  // namespace ember::cpu
