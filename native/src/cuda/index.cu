// Indexing kernels: gather_dims (index_select, take, embedding, advanced indexing, flip, roll,
// pad, ...), tril/triu, index_add (index_add/copy/fill, index_put_), gather, scatter with its
// reductions, masked_fill, masked_select, masked_scatter and nonzero.
//
// Index tables that the engine checked on the host arrive as host arrays. Those made of a few
// runs (flip, roll, pad, repeat_interleave, and their backward through index_add) travel by value
// in the kernel's parameters, so no copy is queued and they record into CUDA graphs; others are
// copied to the device. gather and scatter read their index tensor on the device: a bad index goes
// to the device's error word (device_error.cuh) and its element is skipped, so the op fails at the
// next synchronising call. Results equal the CPU's: assignments where several writes meet keep the
// last one in row-major order as the CPU does; only the order of floating additions (atomics)
// may differ. masked_select, nonzero and masked_scatter count per chunk, read the counts back
// (the result's size must be known on the host anyway) and then write at the scanned offsets.
#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

#include "atomic.cuh"
#include "core/dispatch_shape.h"
#include "device_error.cuh"
#include "map.cuh"

namespace ember_cuda {

namespace {

using ember::ScatterReduce;

void check_rank(const ember_kernel_tensor* t, const char* op) {
  if (t->ndim > kMaxDims)
    fail(EMBER_ERROR_NOT_IMPLEMENTED, std::string(op) + ": cuda takes at most 16 dims");
}

// t's own sizes and strides.
Layout own(const ember_kernel_tensor* t) {
  Layout l{};
  l.ndim = t->ndim;
  for (int32_t d = 0; d < t->ndim; ++d) {
    l.sizes[d] = t->sizes[d];
    l.strides[d] = t->strides[d];
  }
  return l;
}

// The sizes of `shape` with t's strides (t has shape's rank, or is 0-d: all strides 0), the
// stride at zero_dim set to 0.
Layout with_strides(const ember_kernel_tensor* shape, const ember_kernel_tensor* t,
                    int64_t zero_dim) {
  Layout l{};
  l.ndim = shape->ndim;
  for (int32_t d = 0; d < shape->ndim; ++d) {
    l.sizes[d] = shape->sizes[d];
    l.strides[d] = t == nullptr || t->ndim == 0 || d == zero_dim ? 0 : t->strides[d];
  }
  return l;
}

// shape's sizes without dim, with t's strides there.
Layout outside(const ember_kernel_tensor* shape, const ember_kernel_tensor* t, int64_t dim) {
  Layout l{};
  for (int32_t d = 0; d < shape->ndim; ++d) {
    if (d == dim) continue;
    l.sizes[l.ndim] = shape->sizes[d];
    l.strides[l.ndim] = t->strides[d];
    ++l.ndim;
  }
  return l;
}

// A host array on the device, for the span of the call. Not while a graph records: a replay
// would read host memory that is gone by then (and the engine computed the array from values it
// read back, which a graph cannot do either).
const int64_t* upload(Scratch& s, const int64_t* host, int64_t n) {
  if (n == 0) return nullptr;
  refuse_while_capturing(stream(),
                         "indexing with an irregular index table from the host (index_select, "
                         "take, embedding or index_add with arbitrary indices)");
  // From pageable memory the copy returns once the bytes are staged, so host may go after it.
  EC_CUDA(cudaMemcpyAsync(s.as<void>(), host, static_cast<size_t>(n) * sizeof(int64_t),
                          cudaMemcpyHostToDevice, stream()));
  return s.as<const int64_t>();
}

// ---- index tables by value ----

// Positions [begin, end) of a table whose entries are base + step * ((c - begin) / div), step in
// {-1, 0, 1}: a flip is one run, a roll two, a pad three (the constant's run has base -1), a
// repeat_interleave by a constant one run with div = the repeat count.
struct Run {
  int64_t begin, end, base;
  int32_t step, div;
};

// Capacity of the run pool a launch carries: 48 runs are 1.5 KB of the 4 KB of kernel parameters.
constexpr int kMaxRuns = 48;
struct RunPool {
  int32_t count;
  Run runs[kMaxRuns];
};

// How one table reaches the kernel: the identity, runs of the pool, or an uploaded array.
enum class MapKind : int32_t { Identity, Runs, Uploaded };
struct IndexMap {
  MapKind kind;
  int32_t runs;   // Runs: how many, from pool.runs[start]
  int64_t start;  // Runs: the first run; Uploaded: the offset in the uploaded array
};

__device__ __forceinline__ int64_t map_index(const RunPool& pool, const int64_t* uploaded,
                                             const IndexMap& m, int64_t c) {
  if (m.kind == MapKind::Identity) return c;
  if (m.kind == MapKind::Uploaded) return uploaded[m.start + c];
  int64_t r = m.start;
  while (c >= pool.runs[r].end && r + 1 < m.start + m.runs) ++r;
  const Run& run = pool.runs[r];
  return run.base + run.step * ((c - run.begin) / run.div);
}

// The runs of v[0, n) appended to pool; false, with pool unchanged, when they do not fit.
bool add_runs(RunPool& pool, const int64_t* v, int64_t n, IndexMap& m) {
  const int32_t first = pool.count;
  auto push = [&](int64_t begin, int64_t end, int64_t base, int32_t step, int32_t div) {
    if (pool.count == kMaxRuns) return false;
    pool.runs[pool.count++] = Run{begin, end, base, step, div};
    return true;
  };
  // One run of equal blocks (repeat_interleave): v[c] = v[0] + step * (c / div).
  int64_t block = 1;
  while (block < n && v[block] == v[0]) ++block;
  if (block > 1 && block < n && v[0] >= 0 && block <= std::numeric_limits<int32_t>::max() &&
      std::abs(v[block] - v[0]) == 1) {
    const int64_t step = v[block] - v[0];
    bool fits = true;
    for (int64_t c = 0; c < n && fits; ++c) fits = v[c] == v[0] + step * (c / block);
    if (fits) {
      m = {MapKind::Runs, 1, first};
      return push(0, n, v[0], static_cast<int32_t>(step), static_cast<int32_t>(block));
    }
  }
  // Otherwise the longest runs of step -1, 0 or 1 (any negative entry is the fill, base -1).
  for (int64_t c = 0; c < n;) {
    int64_t e = c + 1;
    int32_t step = 0;
    if (v[c] < 0) {
      while (e < n && v[e] < 0) ++e;
    } else if (e < n && v[e] >= 0 && std::abs(v[e] - v[c]) <= 1) {
      step = static_cast<int32_t>(v[e] - v[c]);
      while (e < n && v[e] >= 0 && v[e] - v[e - 1] == step) ++e;
    }
    if (!push(c, e, v[c] < 0 ? -1 : v[c], step, 1)) {
      pool.count = first;
      return false;
    }
    c = e;
  }
  m = {MapKind::Runs, pool.count - first, first};
  return true;
}

// Maps for several tables: runs while the pool has room, the rest uploaded together.
class TableMaps {
 public:
  explicit TableMaps(int32_t device) : device_(device) {}
  IndexMap add(const int64_t* v, int64_t n) {
    IndexMap m{MapKind::Identity, 0, 0};
    if (add_runs(pool_, v, n, m)) return m;
    m = {MapKind::Uploaded, 0, static_cast<int64_t>(rest_.size())};
    rest_.insert(rest_.end(), v, v + n);
    return m;
  }
  // The pool, and the uploaded tables (nullptr when every table went by value).
  const RunPool& pool() const { return pool_; }
  const int64_t* uploaded() {
    if (rest_.empty()) return nullptr;
    scratch_ =
        std::make_unique<Scratch>(device_, static_cast<int64_t>(rest_.size() * sizeof(int64_t)));
    return upload(*scratch_, rest_.data(), static_cast<int64_t>(rest_.size()));
  }

 private:
  int32_t device_;
  RunPool pool_{};
  std::vector<int64_t> rest_;
  std::unique_ptr<Scratch> scratch_;
};

// Elements moved as raw words of the dtype's size, so one instantiation serves several dtypes.
template <class F>
void dispatch_word(int32_t dtype, const char* op, F&& f) {
  dispatch(dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (sizeof(T) == 1)
      f(Tag<uint8_t>{}, tag);
    else if constexpr (sizeof(T) == 2)
      f(Tag<uint16_t>{}, tag);
    else if constexpr (sizeof(T) == 4)
      f(Tag<uint32_t>{}, tag);
    else
      f(Tag<uint64_t>{}, tag);
  });
}

// ---- gather_dims ----

struct Tables {
  int32_t ndim;
  int64_t sizes[kMaxDims];    // out's sizes
  int64_t strides[kMaxDims];  // in's strides
  IndexMap maps[kMaxDims];    // out's index along d -> in's
};

template <class W>
__global__ void gather_dims_kernel(W* out, const W* in, Tables t, RunPool pool,
                                   const int64_t* uploaded, int64_t n, W fill) {
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < n;
       i += int64_t{gridDim.x} * blockDim.x) {
    int64_t rem = i, off = 0;
    bool none = false;
    for (int32_t d = t.ndim - 1; d >= 0; --d) {
      const int64_t c = rem % t.sizes[d];
      rem /= t.sizes[d];
      const int64_t j = map_index(pool, uploaded, t.maps[d], c);
      if (j < 0)
        none = true;
      else
        off += j * t.strides[d];
    }
    out[i] = none ? fill : in[off];
  }
}

ember_status gather_dims(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* in,
                         ember_int64_spans tables, ember_scalar fill) {
  return guard([&] {
    if (out->numel == 0) return;
    check_rank(out, "gather_dims");
    use_device(out);
    Tables t{};
    t.ndim = out->ndim;
    TableMaps maps(out->device_index);
    for (int32_t d = 0; d < out->ndim; ++d) {
      t.sizes[d] = out->sizes[d];
      t.strides[d] = in->strides[d];
      const bool has = d < tables.size && tables.data[d].size > 0;
      t.maps[d] = has ? maps.add(tables.data[d].data, tables.data[d].size)
                      : IndexMap{MapKind::Identity, 0, 0};
    }
    const int64_t* uploaded = maps.uploaded();
    dispatch_word(out->dtype, "gather_dims", [&](auto word, auto tag) {
      using W = typename decltype(word)::type;
      using T = typename decltype(tag)::type;
      const T v = scalar_as<T>(fill);
      W w;
      std::memcpy(&w, &v, sizeof w);
      gather_dims_kernel<W><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<W>(out), data<const W>(in), t, maps.pool(), uploaded, out->numel, w);
      EC_LAUNCHED("gather_dims");
    });
  });
}

// ---- tril / triu ----

// Zeroes the elements of each matrix (t's last two dims) below diagonal k (upper) or above it.
template <class W>
__global__ void trilu_kernel(W* t, Layout l, int64_t rows, int64_t cols, int64_t k, bool upper,
                             int64_t n) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t j = e % cols, i = e / cols % rows;
    if (upper ? j < i + k : j > i + k) t[offset_of(l, e)] = W(0);  // zero is all-zero bits
  }
}

ember_status trilu(void*, const ember_kernel_tensor* t, int64_t k, int32_t upper) {
  return guard([&] {
    if (t->numel == 0) return;
    check_rank(t, "trilu");
    use_device(t);
    dispatch_word(t->dtype, upper ? "triu" : "tril", [&](auto word, auto) {
      using W = typename decltype(word)::type;
      trilu_kernel<W><<<blocks_for(t->numel), kThreads, 0, stream()>>>(
          data<W>(t), own(t), t->sizes[t->ndim - 2], t->sizes[t->ndim - 1], k, upper != 0,
          t->numel);
      EC_LAUNCHED("trilu");
    });
  });
}

// ---- index_add / index_copy ----

template <class T>
struct AddScaled {
  acc_t<T> v;
  __device__ T operator()(T cur) const { return static_cast<T>(to_acc(cur) + v); }
};

struct OrScaled {
  bool v;
  __device__ bool operator()(bool cur) const { return cur || v; }
};

// The dst and source-row tables of index_add.
struct IndexAddMaps {
  IndexMap dst, src;
};

// self.select(dim, dst[i])[p] (+)= src.select(dim, src_index[i])[p] * alpha, one thread per (i, p).
template <class T>
__global__ void index_add_kernel(T* self, const T* src, Layout ls, Layout lr, int64_t positions,
                                 int64_t n, IndexAddMaps maps, RunPool pool,
                                 const int64_t* uploaded, int64_t ss, int64_t rs, acc_t<T> alpha,
                                 bool unit, bool accumulate) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n * positions;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = e / positions, p = e % positions;
    const int64_t j = map_index(pool, uploaded, maps.src, i);
    T* out = self + offset_of(ls, p) + map_index(pool, uploaded, maps.dst, i) * ss;
    const T v = src[offset_of(lr, p) + j * rs];
    if (!accumulate) {
      *out = v;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (v && alpha) atomic_apply(out, OrScaled{true});
    } else {
      const acc_t<T> a = unit ? to_acc(v) : static_cast<acc_t<T>>(alpha * to_acc(v));
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
        atomicAdd(out, a);
      else
        atomic_apply(out, AddScaled<T>{a});
    }
  }
}

// For assignment: the (dst, source row) pairs that no later pair overwrites, so the last write
// wins as on the CPU whatever order the threads run in.
void last_writes(ember_int64_span dst, ember_int64_span src_index, std::vector<int64_t>& d,
                 std::vector<int64_t>& s) {
  std::vector<int64_t> order(static_cast<size_t>(dst.size));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return dst.data[a] < dst.data[b]; });
  for (size_t k = 0; k < order.size(); ++k) {
    if (k + 1 < order.size() && dst.data[order[k + 1]] == dst.data[order[k]]) continue;
    const int64_t i = order[k];
    d.push_back(dst.data[i]);
    s.push_back(src_index.size > 0 ? src_index.data[i] : i);
  }
}

ember_status index_add(void*, const ember_kernel_tensor* self, int64_t dim, ember_int64_span dst,
                       const ember_kernel_tensor* src, ember_int64_span src_index,
                       ember_scalar alpha, int32_t accumulate) {
  return guard([&] {
    const int64_t size = self->ndim == 0 ? 1 : self->sizes[dim];
    if (self->numel == 0 || dst.size == 0 || size == 0) return;
    check_rank(self, "index_add");
    use_device(self);
    const int64_t positions = self->numel / size;
    std::vector<int64_t> d, s;
    if (!accumulate) last_writes(dst, src_index, d, s);
    const ember_int64_span dsts =
        accumulate ? dst : ember_int64_span{d.data(), static_cast<int64_t>(d.size())};
    const ember_int64_span srcs =
        accumulate ? src_index : ember_int64_span{s.data(), static_cast<int64_t>(s.size())};
    TableMaps tables(self->device_index);
    IndexAddMaps maps{tables.add(dsts.data, dsts.size), IndexMap{MapKind::Identity, 0, 0}};
    if (srcs.size > 0) maps.src = tables.add(srcs.data, srcs.size);
    const int64_t* uploaded = tables.uploaded();
    const Layout ls = outside(self, self, dim), lr = outside(self, src, dim);
    const int64_t ss = self->ndim == 0 ? 0 : self->strides[dim];
    const int64_t rs = src->ndim == 0 ? 0 : src->strides[dim];
    const bool unit = alpha.kind == EMBER_SCALAR_FLOAT ? alpha.f == 1.0 : alpha.i == 1;
    dispatch(self->dtype, "index_add", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const acc_t<T> a = scalar_as<acc_t<T>>(alpha);
      index_add_kernel<T><<<blocks_for(dsts.size * positions), kThreads, 0, stream()>>>(
          data<T>(self), data<const T>(src), ls, lr, positions, dsts.size, maps, tables.pool(),
          uploaded, ss, rs, a, unit, accumulate != 0);
      EC_LAUNCHED("index_add");
    });
  });
}

// ---- gather ----

template <class T>
__global__ void gather_kernel(T* out, const T* self, const int64_t* index, Layout lo, Layout li,
                              Layout ls, int64_t sd, int64_t size, int32_t dim, int64_t n,
                              ErrorSink sink) {
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < n;
       e += int64_t{gridDim.x} * blockDim.x) {
    const int64_t v = index[offset_of(li, e)];
    if (v < 0 || v >= size) {
      report_error(sink, ErrorKind::Index, v, size, dim);
      continue;
    }
    out[offset_of(lo, e)] = self[offset_of(ls, e) + v * sd];
  }
}

ember_status gather(void*, const char* op, const ember_kernel_tensor* out,
                    const ember_kernel_tensor* self, int64_t dim,
                    const ember_kernel_tensor* index) {
  return guard([&] {
    const int64_t n = index->numel;
    if (n == 0) return;
    check_rank(index, op);
    use_device(out);
    const ErrorSink sink = error_sink(op);
    const int64_t sd = self->ndim == 0 ? 0 : self->strides[dim];
    const int64_t size = self->ndim == 0 ? 1 : self->sizes[dim];
    dispatch_word(out->dtype, op, [&](auto word, auto) {
      using W = typename decltype(word)::type;
      gather_kernel<W><<<blocks_for(n), kThreads, 0, stream()>>>(
          data<W>(out), data<const W>(self), data<const int64_t>(index),
          with_strides(index, out, -1), own(index), with_strides(index, self, dim), sd, size,
          static_cast<int32_t>(dim), n, sink);
      EC_LAUNCHED("gather");
    });
  });
}

// ---- scatter ----

// Where the elements of index send their values.
struct ScatterGeom {
  Layout idx;    // index's sizes and strides
  Layout self;   // index's sizes, self's strides (0 at dim)
  Layout src;    // index's sizes, src's strides
  int64_t sd;    // self's stride along dim
  int64_t size;  // self's size along dim
  int32_t dim;
  int64_t n;
};

// The offset in self that index element e writes; false for an index out of range.
__device__ inline bool target(const ScatterGeom& g, const int64_t* index, int64_t e, int64_t& at,
                              int64_t& v) {
  v = index[offset_of(g.idx, e)];
  if (v < 0 || v >= g.size) return false;
  at = offset_of(g.self, e) + v * g.sd;
  return true;
}

#define EC_FOR_INDEX(e, n)                                                  \
  for (int64_t e = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; e < (n); \
       e += int64_t{gridDim.x} * blockDim.x)

// Plain scatter, first pass: the last index element (row-major) writing each offset claims it.
__global__ void scatter_claim(ScatterGeom g, const int64_t* index, long long* winner,
                              ErrorSink sink) {
  EC_FOR_INDEX(e, g.n) {
    int64_t at = 0, v = 0;
    if (!target(g, index, e, at, v)) {
      report_error(sink, ErrorKind::Index, v, g.size, g.dim);
      continue;
    }
    atomicMax(winner + at, static_cast<long long>(e));
  }
}

// Second pass: the claimed writes.
template <class T>
__global__ void scatter_assign(ScatterGeom g, const int64_t* index, T* self, const T* src, T fill,
                               const long long* winner) {
  EC_FOR_INDEX(e, g.n) {
    int64_t at = 0, v = 0;
    if (!target(g, index, e, at, v) || winner[at] != e) continue;
    self[at] = src ? src[offset_of(g.src, e)] : fill;
  }
}

// How many values each offset of self receives (for mean and include_self = false).
__global__ void scatter_count(ScatterGeom g, const int64_t* index, unsigned long long* count,
                              ErrorSink sink) {
  EC_FOR_INDEX(e, g.n) {
    int64_t at = 0, v = 0;
    if (!target(g, index, e, at, v)) {
      report_error(sink, ErrorKind::Index, v, g.size, g.dim);
      continue;
    }
    atomicAdd(count + at, 1ull);
  }
}

// acc (op) v as the CPU's reduce_step: NaN wins amax and amin.
template <class A>
__device__ A reduce_step(ScatterReduce r, A acc, A v) {
  switch (r) {
    case ScatterReduce::Sum:
    case ScatterReduce::Mean:
      return static_cast<A>(acc + v);
    case ScatterReduce::Prod:
      return static_cast<A>(acc * v);
    case ScatterReduce::Amax:
    case ScatterReduce::Amin:
      if constexpr (std::is_floating_point_v<A>) {
        if (isnan(v)) return v;
        if (isnan(acc)) return acc;
      }
      if (r == ScatterReduce::Amax) return acc < v ? v : acc;
      return v < acc ? v : acc;
    default:
      return v;
  }
}

template <class T>
struct ReduceInto {
  ScatterReduce r;
  acc_t<T> v;
  __device__ T operator()(T cur) const { return static_cast<T>(reduce_step(r, to_acc(cur), v)); }
};

template <class T>
__global__ void scatter_reduce_kernel(ScatterGeom g, const int64_t* index, T* self, const T* src,
                                      T fill, ScatterReduce r, bool report, ErrorSink sink) {
  EC_FOR_INDEX(e, g.n) {
    int64_t at = 0, v = 0;
    if (!target(g, index, e, at, v)) {
      if (report) report_error(sink, ErrorKind::Index, v, g.size, g.dim);
      continue;
    }
    const acc_t<T> x = to_acc(src ? src[offset_of(g.src, e)] : fill);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (r == ScatterReduce::Sum || r == ScatterReduce::Mean) {
        atomicAdd(self + at, x);
        continue;
      }
    }
    atomic_apply(self + at, ReduceInto<T>{r, x});
  }
}

// include_self = false: elements that receive values start from the reduction's identity.
template <class T>
__global__ void scatter_reset(Layout l, T* self, const unsigned long long* count, T identity,
                              int64_t n) {
  EC_FOR_INDEX(i, n) {
    const int64_t off = offset_of(l, i);
    if (count[off] > 0) self[off] = identity;
  }
}

// v < 0, without comparing an unsigned type with zero.
template <class A>
__device__ bool negative(A v) {
  if constexpr (std::is_signed_v<A>)
    return v < A(0);
  else
    return false;
}

// Mean: the sum over the values received (and self's own when include_self); integers round
// toward negative infinity as PyTorch's do.
template <class T>
__global__ void scatter_mean(Layout l, T* self, const unsigned long long* count, bool include_self,
                             int64_t n) {
  EC_FOR_INDEX(i, n) {
    const int64_t off = offset_of(l, i);
    if (count[off] == 0) continue;
    using A = acc_t<T>;
    const A c = static_cast<A>(count[off] + (include_self ? 1 : 0));
    const A s = to_acc(self[off]);
    if constexpr (std::is_integral_v<A>) {
      const A q = static_cast<A>(s / c);
      const bool inexact = static_cast<A>(q * c) != s;
      self[off] = static_cast<T>(inexact && negative(s) ? q - 1 : q);
    } else {
      self[off] = static_cast<T>(s / c);
    }
  }
}

template <class A>
A identity_of(ScatterReduce r) {
  if (r == ScatterReduce::Prod) return A(1);
  if (r == ScatterReduce::Amax) {
    if constexpr (std::is_floating_point_v<A>)
      return -std::numeric_limits<A>::infinity();
    else
      return std::numeric_limits<A>::lowest();
  }
  if (r == ScatterReduce::Amin) {
    if constexpr (std::is_floating_point_v<A>)
      return std::numeric_limits<A>::infinity();
    else
      return std::numeric_limits<A>::max();
  }
  return A(0);
}

// 1 + the largest element offset of t (strides are non-negative).
int64_t extent(const ember_kernel_tensor* t) {
  int64_t e = 1;
  for (int32_t d = 0; d < t->ndim; ++d) e += std::max<int64_t>(t->sizes[d] - 1, 0) * t->strides[d];
  return e;
}

ember_status scatter(void*, const char* op, const ember_kernel_tensor* self, int64_t dim,
                     const ember_kernel_tensor* index, const ember_kernel_tensor* src,
                     ember_scalar value, int32_t reduce_code, int32_t include_self) {
  return guard([&] {
    ScatterGeom g{};
    g.n = index->numel;
    if (g.n == 0) return;
    check_rank(index, op);
    check_rank(self, op);
    use_device(self);
    const ErrorSink sink = error_sink(op);
    const auto r = static_cast<ScatterReduce>(reduce_code);
    g.idx = own(index);
    g.self = with_strides(index, self, dim);
    g.src = with_strides(index, src, -1);
    g.sd = self->ndim == 0 ? 0 : self->strides[dim];
    g.size = self->ndim == 0 ? 1 : self->sizes[dim];
    g.dim = static_cast<int32_t>(dim);
    const int64_t ext = extent(self);
    const unsigned blocks = blocks_for(g.n);
    const int64_t* pi = data<const int64_t>(index);
    dispatch(self->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T fill = scalar_as<T>(value);
      const T* ps = src ? data<const T>(src) : nullptr;
      if (r == ScatterReduce::None) {
        Scratch winner(self->device_index, ext * int64_t{sizeof(long long)});
        EC_CUDA(cudaMemsetAsync(winner.as<void>(), 0xff,
                                static_cast<size_t>(ext) * sizeof(long long),
                                stream()));  // all ones: -1, claimed by nobody
        scatter_claim<<<blocks, kThreads, 0, stream()>>>(g, pi, winner.as<long long>(), sink);
        EC_LAUNCHED("scatter");
        scatter_assign<T><<<blocks, kThreads, 0, stream()>>>(g, pi, data<T>(self), ps, fill,
                                                             winner.as<const long long>());
        EC_LAUNCHED("scatter");
        return;
      }
      if constexpr (std::is_same_v<T, bool>) {
        fail(EMBER_ERROR_DTYPE, std::string(op) + ": reductions are not implemented for bool");
      } else {
        const bool counted = r == ScatterReduce::Mean || !include_self;
        Scratch count(self->device_index, counted ? ext * int64_t{sizeof(unsigned long long)} : 0);
        const Layout whole = own(self);
        if (counted) {
          EC_CUDA(cudaMemsetAsync(count.as<void>(), 0,
                                  static_cast<size_t>(ext) * sizeof(unsigned long long), stream()));
          scatter_count<<<blocks, kThreads, 0, stream()>>>(g, pi, count.as<unsigned long long>(),
                                                           sink);
          EC_LAUNCHED("scatter");
          if (!include_self) {
            const T ident = static_cast<T>(identity_of<acc_t<T>>(r));
            scatter_reset<T><<<blocks_for(self->numel), kThreads, 0, stream()>>>(
                whole, data<T>(self), count.as<const unsigned long long>(), ident, self->numel);
            EC_LAUNCHED("scatter");
          }
        }
        scatter_reduce_kernel<T>
            <<<blocks, kThreads, 0, stream()>>>(g, pi, data<T>(self), ps, fill, r, !counted, sink);
        EC_LAUNCHED("scatter");
        if (r == ScatterReduce::Mean) {
          scatter_mean<T><<<blocks_for(self->numel), kThreads, 0, stream()>>>(
              whole, data<T>(self), count.as<const unsigned long long>(), include_self != 0,
              self->numel);
          EC_LAUNCHED("scatter");
        }
      }
    });
  });
}

// ---- masks ----

template <class T>
struct FillWhere {
  T v;
  __device__ T operator()(T x, bool m) const { return m ? v : x; }
};

ember_status masked_fill(void*, const ember_kernel_tensor* t, const ember_kernel_tensor* mask,
                         ember_scalar value) {
  return guard([&] {
    check_rank(t, "masked_fill");
    dispatch(t->dtype, "masked_fill", [&](auto tag) {
      using T = typename decltype(tag)::type;
      map2<T, T, bool>(t, t, mask, FillWhere<T>{scalar_as<T>(value)});
    });
  });
}

// Positions are taken in chunks of kChunk, kScanItems consecutive ones per thread.
constexpr int kScanItems = 16;
constexpr int64_t kChunk = int64_t{kThreads} * kScanItems;

// counts[chunk] = how many positions of the chunk sel picks.
template <class Select>
__global__ void count_chunks(Select sel, int64_t n, long long* counts) {
  __shared__ int total;
  if (threadIdx.x == 0) total = 0;
  __syncthreads();
  const int64_t begin = int64_t{blockIdx.x} * kChunk + int64_t{threadIdx.x} * kScanItems;
  int c = 0;
  for (int k = 0; k < kScanItems; ++k)
    if (begin + k < n && sel(begin + k)) ++c;
  atomicAdd(&total, c);
  __syncthreads();
  if (threadIdx.x == 0) counts[blockIdx.x] = total;
}

// write(i, rank) for every picked position i, rank counting the picked positions before it;
// starts[chunk] = the picked positions before the chunk.
template <class Select, class Write>
__global__ void write_chunks(Select sel, Write write, int64_t n, const long long* starts) {
  __shared__ long long before[kThreads];
  const int64_t begin = int64_t{blockIdx.x} * kChunk + int64_t{threadIdx.x} * kScanItems;
  int c = 0;
  for (int k = 0; k < kScanItems; ++k)
    if (begin + k < n && sel(begin + k)) ++c;
  before[threadIdx.x] = c;
  __syncthreads();
  if (threadIdx.x == 0) {
    long long run = starts[blockIdx.x];
    for (int t = 0; t < kThreads; ++t) {
      const long long x = before[t];
      before[t] = run;
      run += x;
    }
  }
  __syncthreads();
  long long rank = before[threadIdx.x];
  for (int k = 0; k < kScanItems; ++k)
    if (begin + k < n && sel(begin + k)) write(begin + k, rank++);
}

// Counts what sel picks among n positions and returns the total; starts (on the device) gets
// each chunk's first rank.
template <class Select>
int64_t scan_chunks(Select sel, int64_t n, int32_t device, Scratch& starts,
                    std::vector<long long>& host) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 0) return 0;
  Scratch counts(device, chunks * int64_t{sizeof(long long)});
  count_chunks<<<static_cast<unsigned>(chunks), kThreads, 0, stream()>>>(sel, n,
                                                                         counts.as<long long>());
  EC_LAUNCHED("count");
  host.resize(static_cast<size_t>(chunks));
  read_back(host.data(), counts.as<void>(), host.size() * sizeof(long long));
  long long run = 0;
  for (long long& c : host) {
    const long long x = c;
    c = run;
    run += x;
  }
  EC_CUDA(cudaMemcpyAsync(starts.as<void>(), host.data(), host.size() * sizeof(long long),
                          cudaMemcpyHostToDevice, stream()));
  return run;
}

template <class Select, class Write>
void write_picked(Select sel, Write write, int64_t n, const Scratch& starts) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks == 0) return;
  write_chunks<<<static_cast<unsigned>(chunks), kThreads, 0, stream()>>>(
      sel, write, n, starts.as<const long long>());
  EC_LAUNCHED("write");
}

int64_t chunk_bytes(int64_t n) { return (n + kChunk - 1) / kChunk * int64_t{sizeof(long long)}; }

struct MaskPick {
  Layout l;
  const bool* m;
  __device__ bool operator()(int64_t i) const { return m[offset_of(l, i)]; }
};

template <class T>
struct NonzeroPick {
  Layout l;
  const T* t;
  __device__ bool operator()(int64_t i) const {
    return to_acc(t[offset_of(l, i)]) != static_cast<acc_t<T>>(0);
  }
};

template <class W>
struct SelectWrite {
  Layout l;
  const W* t;
  W* out;
  __device__ void operator()(int64_t i, long long rank) const { out[rank] = t[offset_of(l, i)]; }
};

template <class W>
struct ScatterWrite {
  Layout l;
  W* t;
  Layout ls;
  const W* source;
  __device__ void operator()(int64_t i, long long rank) const {
    t[offset_of(l, i)] = source[offset_of(ls, rank)];
  }
};

struct CoordWrite {
  Layout l;  // the tensor's sizes
  int64_t* out;
  __device__ void operator()(int64_t i, long long rank) const {
    for (int32_t d = l.ndim - 1; d >= 0; --d) {
      out[rank * l.ndim + d] = i % l.sizes[d];
      i /= l.sizes[d];
    }
  }
};

ember_status masked_select(void*, const ember_kernel_tensor* t, const ember_kernel_tensor* mask,
                           ember_kernel_output* result) {
  return guard([&] {
    check_rank(t, "masked_select");
    use_device(t);
    const int64_t n = t->numel;
    const MaskPick pick{own(mask), data<const bool>(mask)};
    Scratch starts(t->device_index, chunk_bytes(n));
    std::vector<long long> host;
    const int64_t total = scan_chunks(pick, n, t->device_index, starts, host);
    const ember_kernel_tensor* out = result->allocate(result, t->dtype, 1, &total);
    if (out == nullptr)
      fail(EMBER_ERROR_OUT_OF_MEMORY, "masked_select: the result's allocation failed");
    if (total == 0) return;
    dispatch_word(t->dtype, "masked_select", [&](auto word, auto) {
      using W = typename decltype(word)::type;
      write_picked(pick, SelectWrite<W>{own(t), data<const W>(t), data<W>(out)}, n, starts);
    });
  });
}

ember_status masked_scatter(void*, const ember_kernel_tensor* t, const ember_kernel_tensor* mask,
                            const ember_kernel_tensor* source) {
  return guard([&] {
    check_rank(t, "masked_scatter");
    check_rank(source, "masked_scatter");
    use_device(t);
    const int64_t n = t->numel;
    const MaskPick pick{own(mask), data<const bool>(mask)};
    Scratch starts(t->device_index, chunk_bytes(n));
    std::vector<long long> host;
    const int64_t total = scan_chunks(pick, n, t->device_index, starts, host);
    if (total > source->numel)
      fail(EMBER_ERROR_SHAPE, "masked_scatter: the mask selects " + std::to_string(total) +
                                  " elements but source has only " + std::to_string(source->numel));
    if (total == 0) return;
    dispatch_word(t->dtype, "masked_scatter", [&](auto word, auto) {
      using W = typename decltype(word)::type;
      write_picked(pick, ScatterWrite<W>{own(t), data<W>(t), own(source), data<const W>(source)}, n,
                   starts);
    });
  });
}

ember_status nonzero(void*, const ember_kernel_tensor* t, ember_kernel_output* result) {
  return guard([&] {
    check_rank(t, "nonzero");
    use_device(t);
    const int64_t n = t->numel;
    dispatch(t->dtype, "nonzero", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const NonzeroPick<T> pick{own(t), data<const T>(t)};
      Scratch starts(t->device_index, chunk_bytes(n));
      std::vector<long long> host;
      const int64_t total = scan_chunks(pick, n, t->device_index, starts, host);
      const int64_t sizes[2] = {total, t->ndim};
      const ember_kernel_tensor* out = result->allocate(result, EMBER_INT64, 2, sizes);
      if (out == nullptr)
        fail(EMBER_ERROR_OUT_OF_MEMORY, "nonzero: the result's allocation failed");
      if (total == 0 || t->ndim == 0) return;
      write_picked(pick, CoordWrite{own(t), data<int64_t>(out)}, n, starts);
    });
  });
}

}  // namespace

ember_status register_index(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "gather_dims", gather_dims);
  if (s == EMBER_OK) s = register_kernel(host, "trilu", trilu);
  if (s == EMBER_OK) s = register_kernel(host, "index_add", index_add);
  if (s == EMBER_OK) s = register_kernel(host, "gather", gather);
  if (s == EMBER_OK) s = register_kernel(host, "scatter", scatter);
  if (s == EMBER_OK) s = register_kernel(host, "masked_fill", masked_fill);
  if (s == EMBER_OK) s = register_kernel(host, "masked_select", masked_select);
  if (s == EMBER_OK) s = register_kernel(host, "masked_scatter", masked_scatter);
  if (s == EMBER_OK) s = register_kernel(host, "nonzero", nonzero);
  return s;
}

}  // namespace ember_cuda
