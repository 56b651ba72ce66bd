// sort, topk, kthvalue, searchsorted and histc. Sorting is a stable merge sort of every row at
// once. Each element becomes an order-preserving 64-bit key (NaN the largest, -0 equal to +0,
// inverted for descending order) with its position in the row; each pass merges runs of `width`
// into runs of 2 * width, every element finding its place by a binary search in the other run
// (ties: the left run first, so equal elements keep their order). The results equal the CPU's:
// sort's stable order, and topk's and kthvalue's ties broken by the lower index.
#include <utility>

#include "atomic.cuh"
#include "core/dispatch_shape.h"

namespace ember_cuda {

namespace {

template <class T>
__device__ uint64_t sort_key(T x, bool descending) {
  uint64_t k;
  if constexpr (is_floating_v<T>) {
    const double v = static_cast<double>(to_acc(x));  // exact for every floating dtype
    if (isnan(v)) {
      k = ~0ull;
    } else {
      const uint64_t b = bits_as<uint64_t>(v == 0 ? 0.0 : v);
      k = (b >> 63) != 0 ? ~b : b | (1ull << 63);
    }
  } else if constexpr (std::is_same_v<T, bool>) {
    k = x ? 1 : 0;
  } else if constexpr (std::is_signed_v<T>) {
    k = static_cast<uint64_t>(static_cast<int64_t>(x)) ^ (1ull << 63);
  } else {
    k = static_cast<uint64_t>(x);
  }
  return descending ? ~k : k;
}

// The rows of a tensor along dim: the other dims (sizes and strides) and the stride along dim.
struct Rows {
  Layout outer;
  int64_t stride;
};

Rows rows_of(const ember_kernel_tensor* t, int64_t dim) {
  if (t->ndim > kMaxDims) fail(EMBER_ERROR_NOT_IMPLEMENTED, "sort: cuda takes at most 16 dims");
  Rows r{};
  for (int32_t d = 0; d < t->ndim; ++d) {
    if (d == dim) continue;
    r.outer.sizes[r.outer.ndim] = t->sizes[d];
    r.outer.strides[r.outer.ndim] = t->strides[d];
    ++r.outer.ndim;
  }
  r.stride = t->ndim == 0 ? 0 : t->strides[dim];
  return r;
}

template <class T>
__global__ void make_keys(const T* in, Rows rows, int64_t len, int64_t n, bool descending,
                          uint64_t* keys, int64_t* idx) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = e / len, p = e % len;
    keys[e] = sort_key(in[offset_of(rows.outer, r) + p * rows.stride], descending);
    idx[e] = p;
  }
}

// Merges the sorted runs [base, base + width) and [base + width, base + 2 * width) of each row.
__global__ void merge_pass(const uint64_t* keys, const int64_t* idx, uint64_t* keys_out,
                           int64_t* idx_out, int64_t len, int64_t n, int64_t width) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = e / len * len, p = e % len;
    const int64_t base = p / (2 * width) * (2 * width);
    const int64_t mid = base + width < len ? base + width : len;
    const int64_t end = base + 2 * width < len ? base + 2 * width : len;
    const uint64_t k = keys[e];
    int64_t pos;
    if (p < mid) {
      // Before it: the left run's elements before it and the right run's smaller ones.
      int64_t lo = mid, hi = end;
      while (lo < hi) {
        const int64_t m = lo + (hi - lo) / 2;
        if (keys[row + m] < k)
          lo = m + 1;
        else
          hi = m;
      }
      pos = p + (lo - mid);
    } else {
      // Before it: the right run's elements before it and the left run's smaller or equal ones.
      int64_t lo = base, hi = mid;
      while (lo < hi) {
        const int64_t m = lo + (hi - lo) / 2;
        if (keys[row + m] <= k)
          lo = m + 1;
        else
          hi = m;
      }
      pos = base + (p - mid) + (lo - base);
    }
    keys_out[row + pos] = k;
    idx_out[row + pos] = idx[e];
  }
}

// values/indices[row, q] = the element at sorted place first + q of the row, q < count.
template <class T>
__global__ void write_sorted(const T* in, Rows in_rows, const int64_t* idx, int64_t len,
                             int64_t first, int64_t count, int64_t n, T* values, Rows v_rows,
                             int64_t* indices, Rows i_rows) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = e / count, q = e % count;
    const int64_t j = idx[r * len + first + q];
    values[offset_of(v_rows.outer, r) + q * v_rows.stride] =
        in[offset_of(in_rows.outer, r) + j * in_rows.stride];
    indices[offset_of(i_rows.outer, r) + q * i_rows.stride] = j;
  }
}

// Sorts every row of in along dim and writes places [first, first + count) of each.
void sort_rows(const ember_kernel_tensor* values, const ember_kernel_tensor* indices,
               const ember_kernel_tensor* in, int64_t dim, bool descending, int64_t first,
               int64_t count, const char* op) {
  if (in->numel == 0 || count == 0) return;
  use_device(in);
  const int64_t len = in->ndim == 0 ? 1 : in->sizes[dim];
  const int64_t n = in->numel, rows = n / len;
  const Rows in_rows = rows_of(in, dim), v_rows = rows_of(values, dim),
             i_rows = rows_of(indices, dim);
  const int32_t device = in->device_index;
  Scratch k0(device, n * 8), k1(device, n * 8), x0(device, n * 8), x1(device, n * 8);
  uint64_t *keys = k0.as<uint64_t>(), *keys2 = k1.as<uint64_t>();
  int64_t *idx = x0.as<int64_t>(), *idx2 = x1.as<int64_t>();
  dispatch(in->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    make_keys<T><<<blocks_for(n), kThreads, 0, stream()>>>(data<const T>(in), in_rows, len, n,
                                                           descending, keys, idx);
    EC_LAUNCHED("sort");
    for (int64_t width = 1; width < len; width *= 2) {
      merge_pass<<<blocks_for(n), kThreads, 0, stream()>>>(keys, idx, keys2, idx2, len, n, width);
      EC_LAUNCHED("sort");
      std::swap(keys, keys2);
      std::swap(idx, idx2);
    }
    write_sorted<T><<<blocks_for(rows * count), kThreads, 0, stream()>>>(
        data<const T>(in), in_rows, idx, len, first, count, rows * count, data<T>(values), v_rows,
        data<int64_t>(indices), i_rows);
    EC_LAUNCHED("sort");
  });
}

ember_status sort(void*, const ember_kernel_tensor* values, const ember_kernel_tensor* indices,
                  const ember_kernel_tensor* in, int64_t dim, int32_t descending, int32_t) {
  // Always stable: the unstable order is any order, the stable one among them.
  return guard([&] {
    const int64_t len = in->ndim == 0 ? 1 : in->sizes[dim];
    sort_rows(values, indices, in, dim, descending != 0, 0, len, "sort");
  });
}

ember_status topk(void*, const ember_kernel_tensor* values, const ember_kernel_tensor* indices,
                  const ember_kernel_tensor* in, int64_t dim, int64_t k, int32_t largest) {
  return guard([&] { sort_rows(values, indices, in, dim, largest != 0, 0, k, "topk"); });
}

ember_status kthvalue(void*, const ember_kernel_tensor* values, const ember_kernel_tensor* indices,
                      const ember_kernel_tensor* in, int64_t dim, int64_t k) {
  return guard([&] { sort_rows(values, indices, in, dim, false, k - 1, 1, "kthvalue"); });
}

// ---- searchsorted, histc ----

// out[p] = the insertion point of values' element p in its row of seq (row p / n; seq shared when
// 1-d): the first place whose element is not less than it (greater than it when right), in the
// sort order of sort_key (NaN the largest).
template <class T, class O>
__global__ void searchsorted_kernel(O* out, const T* seq, Rows seq_rows, int64_t m, bool shared,
                                    const T* values, Rows v_rows, int64_t n, bool right,
                                    int64_t total) {
  for (int64_t p = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; p < total;
       p += int64_t{gridDim.x} * blockDim.x) {
    const int64_t row = p / n, col = p % n;
    const uint64_t v = sort_key(values[offset_of(v_rows.outer, row) + col * v_rows.stride], false);
    const T* s = seq + (shared ? 0 : offset_of(seq_rows.outer, row));
    int64_t lo = 0, hi = m;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      const uint64_t x = sort_key(s[mid * seq_rows.stride], false);
      if (right ? x <= v : x < v)
        lo = mid + 1;
      else
        hi = mid;
    }
    out[p] = static_cast<O>(lo);
  }
}

ember_status searchsorted(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* seq,
                          const ember_kernel_tensor* values, int32_t right) {
  return guard([&] {
    if (out->numel == 0) return;
    use_device(out);
    const Rows seq_rows = rows_of(seq, seq->ndim - 1);
    const Rows v_rows = rows_of(values, values->ndim == 0 ? 0 : values->ndim - 1);
    const int64_t m = seq->sizes[seq->ndim - 1];
    const int64_t n = values->ndim == 0 ? 1 : values->sizes[values->ndim - 1];
    dispatch(values->dtype, "searchsorted", [&](auto tag) {
      using T = typename decltype(tag)::type;
      auto run = [&](auto* o) {
        searchsorted_kernel<<<blocks_for(out->numel), kThreads, 0, stream()>>>(
            o, data<const T>(seq), seq_rows, m, seq->ndim == 1, data<const T>(values), v_rows, n,
            right != 0, out->numel);
        EC_LAUNCHED("searchsorted");
      };
      if (out->dtype == EMBER_INT32)
        run(data<int32_t>(out));
      else
        run(data<int64_t>(out));
    });
  });
}

// counts[b] += 1 for each element of t in bin b of `bins` equal bins over [lo, hi] (hi in the last
// bin; elements outside, and NaN, are left out), with the CPU's arithmetic in double.
template <class T>
__global__ void histc_count(const T* t, int64_t n, int64_t bins, double lo, double hi,
                            unsigned long long* counts) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    const double v = static_cast<double>(to_acc(t[i]));
    if (!(v >= lo && v <= hi)) continue;
    int64_t b = static_cast<int64_t>((v - lo) * static_cast<double>(bins) / (hi - lo));
    if (b == bins) b -= 1;
    atomicAdd(counts + b, 1ull);
  }
}

template <class T>
__global__ void histc_write(T* out, const unsigned long long* counts, int64_t bins) {
  for (int64_t b = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; b < bins;
       b += int64_t{gridDim.x} * blockDim.x)
    out[b] = static_cast<T>(static_cast<acc_t<T>>(counts[b]));
}

ember_status histc(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* t,
                   int64_t bins, double lo, double hi) {
  // t is contiguous (the engine's meta makes it so).
  return guard([&] {
    use_device(out);
    Scratch counts(out->device_index, bins * int64_t{sizeof(unsigned long long)});
    EC_CUDA(cudaMemsetAsync(counts.as<void>(), 0,
                            static_cast<size_t>(bins) * sizeof(unsigned long long), stream()));
    dispatch_float(t->dtype, "histc", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (t->numel > 0) {
        histc_count<T><<<blocks_for(t->numel), kThreads, 0, stream()>>>(
            data<const T>(t), t->numel, bins, lo, hi, counts.as<unsigned long long>());
        EC_LAUNCHED("histc");
      }
      histc_write<T><<<blocks_for(bins), kThreads, 0, stream()>>>(
          data<T>(out), counts.as<const unsigned long long>(), bins);
      EC_LAUNCHED("histc");
    });
  });
}

}  // namespace

ember_status register_sort(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "sort", sort);
  if (s == EMBER_OK) s = register_kernel(host, "topk", topk);
  if (s == EMBER_OK) s = register_kernel(host, "kthvalue", kthvalue);
  if (s == EMBER_OK) s = register_kernel(host, "searchsorted", searchsorted);
  if (s == EMBER_OK) s = register_kernel(host, "histc", histc);
  return s;
}

}  // namespace ember_cuda
