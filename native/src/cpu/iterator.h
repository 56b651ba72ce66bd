// The CPU's one engine for elementwise ops and reductions. A TensorIterator lays its operands over
// one shape (broadcast dims get stride 0), orders the dims by stride (innermost first), coalesces
// dims that are contiguous for every operand and then runs a 1-d inner loop over them, in parallel
// over the outer range. Ops are lambdas: cpu_kernel() maps them over the elements, reduce() folds
// them over dims. The contiguous inner loops are compiled for AVX2 too and picked at run time, so
// the library still runs on baseline x86-64.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <tuple>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/parallel.h"
#include "core/tensor.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define EMBER_X86_CLONES 1
#define EMBER_TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define EMBER_X86_CLONES 0
#define EMBER_TARGET_AVX2
#endif
#if defined(__GNUC__)
#define EMBER_ALWAYS_INLINE __attribute__((always_inline))
#else
#define EMBER_ALWAYS_INLINE
#endif

namespace ember::cpu {

// Elements below which a loop stays on the calling thread (thread hand-off costs microseconds).
inline constexpr int64_t kGrainSize = 32768;

namespace detail {
extern bool g_cpu_has_avx2;  // set during static initialisation; false (baseline) before that
}
// True when the running CPU has AVX2 and FMA.
inline bool cpu_has_avx2() { return detail::g_cpu_has_avx2; }

class TensorIterator {
 public:
  static constexpr int kMaxOperands = 4;
  static constexpr int kMaxDims = 25;

  // Lays operands over `shape`: each one broadcasts to it (missing leading dims and size-1 dims get
  // stride 0). Elementwise ops pass the output first and its shape; reductions pass the input
  // first, its shape, and the keepdim-shaped output, whose reduced dims thereby get stride 0.
  TensorIterator(std::initializer_list<const TensorImpl*> operands, const DimVector& shape);

  int ntensors() const { return nops_; }
  // Dims after reordering and coalescing, innermost first; at least 1 (a 0-d shape becomes [1]).
  int ndim() const { return ndim_; }
  int64_t numel() const { return numel_; }
  int64_t shape(int dim) const { return shape_[dim]; }
  // Stride in bytes of operand op along dim.
  int64_t stride(int op, int dim) const { return strides_[dim][op]; }
  // The strides of every operand along dim, in operand order.
  const int64_t* strides(int dim) const { return strides_[dim]; }
  char* data(int op) const { return data_[op]; }

  // Calls loop(char** data, const int64_t* strides, int64_t n) over runs of the innermost dim,
  // in parallel over [0, numel) when numel reaches grain.
  template <class Loop>
  void for_each(Loop&& loop, int64_t grain = kGrainSize) const {
    if (numel_ == 0) return;
    if (tiled_) {
      for_each_tiled(loop, grain);
      return;
    }
    if (numel_ < grain) {
      serial_for(0, numel_, loop);
    } else {
      parallel_for(0, numel_, grain, [&](int64_t b, int64_t e) { serial_for(b, e, loop); });
    }
  }

  // Runs loop over the linear element range [begin, end) (linear in the iterator's dim order).
  template <class Loop>
  void serial_for(int64_t begin, int64_t end, Loop& loop) const {
    char* ptrs[kMaxOperands];
    if (ndim_ == 1) {
      for (int op = 0; op < nops_; ++op) ptrs[op] = data_[op] + begin * strides_[0][op];
      loop(ptrs, strides_[0], end - begin);
      return;
    }
    int64_t idx[kMaxDims];
    for (int op = 0; op < nops_; ++op) ptrs[op] = data_[op];
    int64_t rem = begin;
    for (int d = 0; d < ndim_; ++d) {
      idx[d] = rem % shape_[d];
      rem /= shape_[d];
      for (int op = 0; op < nops_; ++op) ptrs[op] += idx[d] * strides_[d][op];
    }
    while (begin < end) {
      const int64_t n = std::min(shape_[0] - idx[0], end - begin);
      loop(ptrs, strides_[0], n);
      begin += n;
      idx[0] += n;
      for (int op = 0; op < nops_; ++op) ptrs[op] += n * strides_[0][op];
      for (int d = 0; d + 1 < ndim_ && idx[d] == shape_[d]; ++d) {
        idx[d] = 0;
        ++idx[d + 1];
        for (int op = 0; op < nops_; ++op) {
          ptrs[op] += strides_[d + 1][op] - shape_[d] * strides_[d][op];
        }
      }
    }
  }

 private:
  // Edge of the blocks a tiled walk visits.
  static constexpr int64_t kTile = 32;

  void reorder();
  void coalesce();

  // When the operands disagree on which of the two innermost dims is inner (a transposed input),
  // walking them in kTile x kTile blocks keeps the cache lines of every operand in use; runs of
  // the innermost dim are then at most kTile long. Work is split over strips of kTile columns.
  template <class Loop>
  void for_each_tiled(Loop& loop, int64_t grain) const {
    const int64_t n0 = shape_[0], n1 = shape_[1];
    const int64_t strips = (n1 + kTile - 1) / kTile;
    const int64_t units = numel_ / (n0 * n1) * strips;
    auto run = [&](int64_t u0, int64_t u1) {
      char* base[kMaxOperands];
      char* ptrs[kMaxOperands];
      for (int64_t u = u0; u < u1; ++u) {
        const int64_t j0 = (u % strips) * kTile, j1 = std::min(j0 + kTile, n1);
        int64_t outer = u / strips;
        for (int op = 0; op < nops_; ++op) base[op] = data_[op];
        for (int d = 2; d < ndim_; ++d) {
          const int64_t i = outer % shape_[d];
          outer /= shape_[d];
          for (int op = 0; op < nops_; ++op) base[op] += i * strides_[d][op];
        }
        for (int64_t i0 = 0; i0 < n0; i0 += kTile) {
          const int64_t len = std::min(kTile, n0 - i0);
          for (int64_t j = j0; j < j1; ++j) {
            for (int op = 0; op < nops_; ++op) {
              ptrs[op] = base[op] + i0 * strides_[0][op] + j * strides_[1][op];
            }
            loop(ptrs, strides_[0], len);
          }
        }
      }
    };
    if (numel_ < grain) {
      run(0, units);
    } else {
      parallel_for(0, units, std::max<int64_t>(1, grain / (n0 * kTile)), run);
    }
  }

  int nops_ = 0;
  int ndim_ = 0;
  int64_t numel_ = 0;
  bool tiled_ = false;
  char* data_[kMaxOperands];
  int64_t shape_[kMaxDims];
  int64_t strides_[kMaxDims][kMaxOperands];
};

namespace detail {

template <class F>
struct lambda_traits : lambda_traits<decltype(&F::operator())> {};
template <class C, class R, class... A>
struct lambda_traits<R (C::*)(A...) const> {
  using result = R;
  using args = std::tuple<std::decay_t<A>...>;
};

// An input read at i: either a contiguous array or one value broadcast over the run.
template <class T>
struct Contiguous {
  const T* p;
  T operator[](int64_t i) const { return p[i]; }
};
template <class T>
struct Broadcast {
  T v;
  T operator[](int64_t) const { return v; }
};

// The loop body is written once and inlined into a baseline and an AVX2 function; the vectorizer
// then widens each for its target.
template <class Out, class F, class... In>
EMBER_ALWAYS_INLINE inline void contiguous_body(Out* out, int64_t n, const F& f, In... in) {
  for (int64_t i = 0; i < n; ++i) out[i] = f(in[i]...);
}
template <class Out, class F, class... In>
void contiguous_loop(Out* out, int64_t n, const F& f, In... in) {
  contiguous_body(out, n, f, in...);
}
#if EMBER_X86_CLONES
template <class Out, class F, class... In>
EMBER_TARGET_AVX2 void contiguous_loop_avx2(Out* out, int64_t n, const F& f, In... in) {
  contiguous_body(out, n, f, in...);
}
#endif

template <class Out, class F, class... In>
inline void run_contiguous(Out* out, int64_t n, const F& f, In... in) {
#if EMBER_X86_CLONES
  if (cpu_has_avx2()) {
    contiguous_loop_avx2(out, n, f, in...);
    return;
  }
#endif
  contiguous_loop(out, n, f, in...);
}

template <class T, bool kBroadcast>
auto make_input(char* p) {
  if constexpr (kBroadcast) {
    return Broadcast<T>{*reinterpret_cast<const T*>(p)};
  } else {
    return Contiguous<T>{reinterpret_cast<const T*>(p)};
  }
}

// The inner loop of cpu_kernel for op f(In...) -> Out; operand 0 is the output.
template <class F, class Out, class Args>
struct ElementwiseLoop;

template <class F, class Out, class... In>
struct ElementwiseLoop<F, Out, std::tuple<In...>> {
  static constexpr int kInputs = sizeof...(In);
  const F& f;

  template <uint32_t kMask, size_t... I>
  void fast(char** data, int64_t n, std::index_sequence<I...>) const {
    run_contiguous(reinterpret_cast<Out*>(data[0]), n, f,
                   make_input<In, ((kMask >> I) & 1u) != 0>(data[I + 1])...);
  }

  // Maps the run-time broadcast mask (bit i: input i has stride 0) onto a compiled loop.
  template <uint32_t kMask>
  void dispatch_mask(uint32_t mask, char** data, int64_t n) const {
    if constexpr (kMask + 1 < (1u << kInputs)) {
      if (mask != kMask) return dispatch_mask<kMask + 1>(mask, data, n);
    }
    fast<kMask>(data, n, std::index_sequence_for<In...>{});
  }

  template <size_t... I>
  void strided(char** data, const int64_t* s, int64_t n, std::index_sequence<I...>) const {
    char* out = data[0];
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<Out*>(out + i * s[0]) =
          f(*reinterpret_cast<const In*>(data[I + 1] + i * s[I + 1])...);
    }
  }

  void operator()(char** data, const int64_t* strides, int64_t n) const {
    if (strides[0] == static_cast<int64_t>(sizeof(Out))) {
      uint32_t mask = 0;
      bool fast_ok = true;
      constexpr int64_t kSizes[] = {static_cast<int64_t>(sizeof(In))..., 0};
      for (int i = 0; i < kInputs; ++i) {
        if (strides[i + 1] == 0) {
          mask |= 1u << i;
        } else if (strides[i + 1] != kSizes[i]) {
          fast_ok = false;
        }
      }
      if (fast_ok) {
        dispatch_mask<0>(mask, data, n);
        return;
      }
    }
    strided(data, strides, n, std::index_sequence_for<In...>{});
  }
};

}  // namespace detail

// Writes f(inputs...) to operand 0 for every element. f's parameter types must be the C++ types of
// operands 1.. and its result type that of operand 0.
template <class F>
void cpu_kernel(const TensorIterator& iter, const F& f, int64_t grain = kGrainSize) {
  using Traits = detail::lambda_traits<F>;
  static_assert(std::tuple_size_v<typename Traits::args> + 1 <= TensorIterator::kMaxOperands);
  const detail::ElementwiseLoop<F, typename Traits::result, typename Traits::args> loop{f};
  iter.for_each(loop, grain);
}

// ---- reductions ----
// reduce() folds operand 0 of the iterator (the input) over the dims where operand 1 (the
// keepdim-shaped output) has stride 0. Ops supplies
//   Acc identity;  Acc reduce(Acc, In) const;  Acc combine(Acc, Acc) const;  Out project(Acc)
//   const.
// Folding is pairwise: the reduced index range is halved down to leaves of a few thousand elements,
// each folded with interleaved accumulators, so float error grows with log(n) and not n. The split
// points depend only on the range, so results are the same for every thread count.

namespace detail {

// The iterator's dims split into kept (output stride != 0) and reduced ones, innermost first.
struct ReduceGeometry {
  explicit ReduceGeometry(const TensorIterator& iter);

  int nk = 0;
  int nr = 0;
  int64_t k_size[TensorIterator::kMaxDims];
  int64_t k_in[TensorIterator::kMaxDims];
  int64_t k_out[TensorIterator::kMaxDims];
  int64_t r_size[TensorIterator::kMaxDims];
  int64_t r_in[TensorIterator::kMaxDims];
  int64_t kept = 1;     // output elements
  int64_t reduced = 1;  // input elements folded into each
};

// Folds a contiguous run into one value with interleaved accumulators (they vectorize).
template <class In, class Acc, class Ops>
EMBER_ALWAYS_INLINE inline Acc fold_line_body(const In* p, int64_t n, const Ops& ops) {
  constexpr int kLanes = 16;
  Acc a[kLanes];
  for (int j = 0; j < kLanes; ++j) a[j] = ops.identity;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) a[j] = ops.reduce(a[j], p[i + j]);
  }
  for (; i < n; ++i) a[0] = ops.reduce(a[0], p[i]);
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int j = 0; j < w; ++j) a[j] = ops.combine(a[j], a[j + w]);
  }
  return a[0];
}
template <class In, class Acc, class Ops>
Acc fold_line(const In* p, int64_t n, const Ops& ops) {
  return fold_line_body<In, Acc>(p, n, ops);
}

// Folds `rows` rows (row_stride bytes apart) of W contiguous lanes into acc[0..W).
template <int W, class In, class Acc, class Ops>
EMBER_ALWAYS_INLINE inline void fold_rows_body(const char* p, int64_t rows, int64_t row_stride,
                                               Acc* acc, const Ops& ops) {
  Acc a[W];
  for (int j = 0; j < W; ++j) a[j] = acc[j];
  for (int64_t r = 0; r < rows; ++r) {
    const In* row = reinterpret_cast<const In*>(p + r * row_stride);
    for (int j = 0; j < W; ++j) a[j] = ops.reduce(a[j], row[j]);
  }
  for (int j = 0; j < W; ++j) acc[j] = a[j];
}
template <int W, class In, class Acc, class Ops>
void fold_rows(const char* p, int64_t rows, int64_t row_stride, Acc* acc, const Ops& ops) {
  fold_rows_body<W, In>(p, rows, row_stride, acc, ops);
}

#if EMBER_X86_CLONES
template <class In, class Acc, class Ops>
EMBER_TARGET_AVX2 Acc fold_line_avx2(const In* p, int64_t n, const Ops& ops) {
  return fold_line_body<In, Acc>(p, n, ops);
}
template <int W, class In, class Acc, class Ops>
EMBER_TARGET_AVX2 void fold_rows_avx2(const char* p, int64_t rows, int64_t row_stride, Acc* acc,
                                      const Ops& ops) {
  fold_rows_body<W, In>(p, rows, row_stride, acc, ops);
}
#endif

template <class In, class Out, class Acc, class Ops>
class Reducer {
 public:
  // Output lanes one vertical task folds at once.
  static constexpr int kW = 32;

  Reducer(const TensorIterator& iter, const Ops& ops) : iter_(iter), g_(iter), ops_(ops) {
    // Vertical when the kept dim is the input's innermost: each task then folds whole rows of kW
    // neighbouring outputs, reading the input in order.
    vertical_ = g_.nk > 0 && (g_.nr == 0 || std::abs(g_.k_in[0]) < std::abs(g_.r_in[0]));
    leaf_ = vertical_ ? 64 : 2048;
    chunks0_ = vertical_ ? (g_.k_size[0] + kW - 1) / kW : 1;
    tasks_ = vertical_ ? g_.kept / g_.k_size[0] * chunks0_ : g_.kept;
  }

  void run() const {
    const int64_t lanes = vertical_ ? std::min<int64_t>(kW, g_.k_size[0]) : 1;
    const int64_t work = g_.reduced * lanes;  // elements per task
    if (tasks_ >= 2 * num_threads() || tasks_ * work < 2 * kGrainSize) {
      const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, work));
      parallel_for(0, tasks_, grain, [&](int64_t b, int64_t e) {
        for (int64_t t = b; t < e; ++t) task(t, false);
      });
    } else {
      // Few outputs with long folds: split each fold across the threads instead.
      for (int64_t t = 0; t < tasks_; ++t) task(t, true);
    }
  }

 private:
  using Range = std::pair<int64_t, int64_t>;
  static constexpr int kParallelDepth = 4;

  void task(int64_t t, bool split_fold) const {
    const char* in = iter_.data(0);
    char* out = iter_.data(1);
    int w = 1;
    int first_k = 0;
    if (vertical_) {
      const int64_t c = t % chunks0_;
      t /= chunks0_;
      w = static_cast<int>(std::min<int64_t>(kW, g_.k_size[0] - c * kW));
      in += c * kW * g_.k_in[0];
      out += c * kW * g_.k_out[0];
      first_k = 1;
    }
    for (int d = first_k; d < g_.nk; ++d) {
      const int64_t i = t % g_.k_size[d];
      t /= g_.k_size[d];
      in += i * g_.k_in[d];
      out += i * g_.k_out[d];
    }
    Acc acc[kW];
    if (split_fold) {
      fold_parallel(in, w, acc);
    } else {
      fold(in, w, 0, g_.reduced, acc);
    }
    const int64_t out_stride = vertical_ ? g_.k_out[0] : 0;
    for (int j = 0; j < w; ++j)
      *reinterpret_cast<Out*>(out + j * out_stride) = ops_.project(acc[j]);
  }

  // acc[0..w) = the fold of reduced indices [rb, re) of the task whose input starts at base.
  void fold(const char* base, int w, int64_t rb, int64_t re, Acc* acc) const {
    if (re - rb <= leaf_) {
      leaf(base, w, rb, re, acc);
      return;
    }
    const int64_t mid = rb + (re - rb) / 2;
    Acc right[kW];
    fold(base, w, rb, mid, acc);
    fold(base, w, mid, re, right);
    for (int j = 0; j < w; ++j) acc[j] = ops_.combine(acc[j], right[j]);
  }

  // The same tree as fold(base, w, 0, reduced), its top kParallelDepth levels spread over threads.
  void fold_parallel(const char* base, int w, Acc* acc) const {
    Range ranges[1 << kParallelDepth];
    int n = 0;
    collect(0, g_.reduced, kParallelDepth, ranges, n);
    Acc partial[1 << kParallelDepth][kW];
    parallel_for(0, n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) fold(base, w, ranges[i].first, ranges[i].second, partial[i]);
    });
    int next = 0;
    combine_tree(0, g_.reduced, kParallelDepth, w, partial, next, acc);
  }

  void collect(int64_t rb, int64_t re, int depth, Range* ranges, int& n) const {
    if (depth == 0 || re - rb <= leaf_) {
      ranges[n++] = {rb, re};
      return;
    }
    const int64_t mid = rb + (re - rb) / 2;
    collect(rb, mid, depth - 1, ranges, n);
    collect(mid, re, depth - 1, ranges, n);
  }

  void combine_tree(int64_t rb, int64_t re, int depth, int w, Acc (*partial)[kW], int& next,
                    Acc* acc) const {
    if (depth == 0 || re - rb <= leaf_) {
      for (int j = 0; j < w; ++j) acc[j] = partial[next][j];
      ++next;
      return;
    }
    const int64_t mid = rb + (re - rb) / 2;
    Acc right[kW];
    combine_tree(rb, mid, depth - 1, w, partial, next, acc);
    combine_tree(mid, re, depth - 1, w, partial, next, right);
    for (int j = 0; j < w; ++j) acc[j] = ops_.combine(acc[j], right[j]);
  }

  // Folds [rb, re) sequentially, one run of the innermost reduced dim at a time.
  void leaf(const char* base, int w, int64_t rb, int64_t re, Acc* acc) const {
    for (int j = 0; j < w; ++j) acc[j] = ops_.identity;
    if (g_.nr == 0) {  // nothing reduced: the output is the input, cast
      for (int j = 0; j < w; ++j) acc[j] = ops_.reduce(acc[j], lane(base, j));
      return;
    }
    int64_t idx[TensorIterator::kMaxDims];
    int64_t rem = rb;
    const char* p = base;
    for (int d = 0; d < g_.nr; ++d) {
      idx[d] = rem % g_.r_size[d];
      rem /= g_.r_size[d];
      p += idx[d] * g_.r_in[d];
    }
    while (rb < re) {
      const int64_t n = std::min(g_.r_size[0] - idx[0], re - rb);
      fold_run(p, n, w, acc);
      rb += n;
      idx[0] += n;
      p += n * g_.r_in[0];
      for (int d = 0; d + 1 < g_.nr && idx[d] == g_.r_size[d]; ++d) {
        idx[d] = 0;
        ++idx[d + 1];
        p += g_.r_in[d + 1] - g_.r_size[d] * g_.r_in[d];
      }
    }
  }

  // Folds n elements along the innermost reduced dim starting at p into acc[0..w).
  void fold_run(const char* p, int64_t n, int w, Acc* acc) const {
    const int64_t rs = g_.r_in[0];
    if (!vertical_) {
      if (rs == static_cast<int64_t>(sizeof(In))) {
        const In* q = reinterpret_cast<const In*>(p);
#if EMBER_X86_CLONES
        if (cpu_has_avx2()) {
          acc[0] = ops_.combine(acc[0], fold_line_avx2<In, Acc>(q, n, ops_));
          return;
        }
#endif
        acc[0] = ops_.combine(acc[0], fold_line<In, Acc>(q, n, ops_));
      } else {
        for (int64_t i = 0; i < n; ++i) {
          acc[0] = ops_.reduce(acc[0], *reinterpret_cast<const In*>(p + i * rs));
        }
      }
      return;
    }
    if (w == kW && g_.k_in[0] == static_cast<int64_t>(sizeof(In))) {
#if EMBER_X86_CLONES
      if (cpu_has_avx2()) {
        fold_rows_avx2<kW, In>(p, n, rs, acc, ops_);
        return;
      }
#endif
      fold_rows<kW, In>(p, n, rs, acc, ops_);
      return;
    }
    for (int64_t r = 0; r < n; ++r) {
      for (int j = 0; j < w; ++j) acc[j] = ops_.reduce(acc[j], lane(p + r * rs, j));
    }
  }

  In lane(const char* p, int j) const {
    return *reinterpret_cast<const In*>(p + (vertical_ ? j * g_.k_in[0] : 0));
  }

  const TensorIterator& iter_;
  ReduceGeometry g_;
  const Ops& ops_;
  bool vertical_;
  int64_t leaf_;
  int64_t chunks0_;
  int64_t tasks_;
};

}  // namespace detail

// Folds operand 0 of iter into operand 1 (see above). The caller handles an empty input.
template <class In, class Out, class Acc, class Ops>
void reduce(const TensorIterator& iter, const Ops& ops) {
  detail::Reducer<In, Out, Acc, Ops>(iter, ops).run();
}

}  // namespace ember::cpu
