// CPU kernels of gather_dims (index_select, flip, roll, pad, repeat_interleave) and tril/triu.
// Elements are moved as raw words of the dtype's size, so one instantiation serves several dtypes.
#include <cstring>

#include "core/dispatch_shape.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

template <class W>
void gather_dims_impl(const Tensor& out, const Tensor& in,
                      std::span<const std::vector<int64_t>> tables, W fill) {
  const int64_t nd = out->dim();
  W* po = static_cast<W*>(out->data());
  const W* pi = static_cast<const W*>(in->data());
  if (nd == 0) {
    *po = *pi;
    return;
  }
  const int64_t inner = out->size(nd - 1);
  const int64_t rows = out->numel() / inner;
  const std::vector<int64_t>& last = tables[nd - 1];
  const int64_t last_stride = in->stride(nd - 1);
  const bool dense_rows = last.empty() && last_stride == 1;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, inner));
  parallel_for(0, rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      // Offset of row r in `in`, or -1 when some outer table says "no element".
      int64_t off = 0, rem = r;
      for (int64_t d = nd - 2; d >= 0 && off >= 0; --d) {
        const int64_t i = rem % out->size(d);
        rem /= out->size(d);
        const int64_t j = tables[d].empty() ? i : tables[d][i];
        off = j < 0 ? -1 : off + j * in->stride(d);
      }
      W* dst = po + r * inner;
      if (off < 0) {
        std::fill(dst, dst + inner, fill);
      } else if (dense_rows) {
        std::memcpy(dst, pi + off, inner * sizeof(W));
      } else if (last.empty()) {
        for (int64_t i = 0; i < inner; ++i) dst[i] = pi[off + i * last_stride];
      } else {
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t j = last[i];
          dst[i] = j < 0 ? fill : pi[off + j * last_stride];
        }
      }
    }
  });
}

template <class W, class T>
W as_word(T v) {
  W w{};
  std::memcpy(&w, &v, sizeof(T));
  return w;
}

void gather_dims_kernel(const Tensor& out, const Tensor& in,
                        std::span<const std::vector<int64_t>> tables, Scalar fill) {
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T v = scalar_as<T>(fill);
    if constexpr (sizeof(T) == 1) {
      gather_dims_impl<uint8_t>(out, in, tables, as_word<uint8_t>(v));
    } else if constexpr (sizeof(T) == 2) {
      gather_dims_impl<uint16_t>(out, in, tables, as_word<uint16_t>(v));
    } else if constexpr (sizeof(T) == 4) {
      gather_dims_impl<uint32_t>(out, in, tables, as_word<uint32_t>(v));
    } else {
      gather_dims_impl<uint64_t>(out, in, tables, as_word<uint64_t>(v));
    }
  });
}

void trilu_kernel(const Tensor& t, int64_t k, bool upper) {
  const int64_t nd = t->dim();
  const int64_t n = t->size(nd - 2), m = t->size(nd - 1);
  const int64_t rs = t->stride(nd - 2), cs = t->stride(nd - 1);
  const int64_t batches = t->numel() / (n * m);
  dispatch_dtype(t->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* base = t->data_as<T>();
    const T zero = cast<T>(0);
    parallel_for(0, batches * n, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, m)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t q = b; q < e; ++q) {
                     int64_t rem = q / n, off = 0;
                     const int64_t i = q % n;
                     for (int64_t d = nd - 3; d >= 0; --d) {
                       off += (rem % t->size(d)) * t->stride(d);
                       rem /= t->size(d);
                     }
                     T* row = base + off + i * rs;
                     // upper keeps j >= i + k; lower keeps j <= i + k.
                     const int64_t lo = upper ? 0 : std::max<int64_t>(0, std::min(m, i + k + 1));
                     const int64_t hi = upper ? std::max<int64_t>(0, std::min(m, i + k)) : m;
                     for (int64_t j = lo; j < hi; ++j) row[j * cs] = zero;
                   }
                 });
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(gather_dims_stub, DeviceType::CPU, gather_dims_kernel);
EMBER_REGISTER_KERNEL(trilu_stub, DeviceType::CPU, trilu_kernel);

}  // namespace ember::cpu
