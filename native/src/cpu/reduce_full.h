// Reductions of a whole contiguous tensor into one value (x.sum(), x.max(), ...), without the
// iterator: the input is cut into fixed blocks of kFullBlock elements, each block is folded with
// interleaved accumulators (four AVX2 registers' worth, so they vectorise), and the blocks' results
// are combined pairwise in a tree fixed by the block count. Float error thus grows with log(n), and
// the result does not depend on the thread count: threads only decide who folds which blocks (each
// thread one contiguous run of them, so each streams through its own part of memory).
// Ops is the interface of reduce() in iterator.h, plus kExtreme (true for the NaN-propagating max
// and min of math_kernels.h's nan_max / nan_min, which get a kernel of their own) and kIsMin.
#pragma once

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>

#include "cpu/iterator.h"
#include "cpu/math_kernels.h"

namespace ember::cpu {

namespace detail {

inline constexpr int64_t kFullBlock = 4096;

template <class Ops>
inline constexpr bool kExtremeOps = requires {
  requires Ops::kExtreme;
};

template <class In, class Acc, class Ops>
EMBER_ALWAYS_INLINE inline Acc fold_block_body(const In* p, int64_t n, const Ops& ops) {
  constexpr int kLanes = sizeof(Acc) <= 4 ? 32 : 16;
  Acc a[kLanes];
  for (int j = 0; j < kLanes; ++j) a[j] = ops.identity;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) a[j] = ops.reduce(a[j], p[i + j]);
  }
  for (int j = 0; i < n; ++i, ++j) a[j] = ops.reduce(a[j], p[i]);
  for (int w = kLanes / 2; w > 0; w /= 2) {
    for (int j = 0; j < w; ++j) a[j] = ops.combine(a[j], a[j + w]);
  }
  return a[0];
}

template <class In, class Acc, class Ops>
Acc fold_block(const In* p, int64_t n, const Ops& ops) {
  return fold_block_body<In, Acc>(p, n, ops);
}

#if EMBER_X86_CLONES
template <class In, class Acc, class Ops>
EMBER_TARGET_AVX2 Acc fold_block_avx2(const In* p, int64_t n, const Ops& ops) {
  return fold_block_body<In, Acc>(p, n, ops);
}
#endif

#if EMBER_X86_CLONES
// max / min of a float or double block: vmaxps/vminps fold four accumulators, and a separate
// unordered compare notes any NaN, which then is the result (nan_max's rule; vmaxps alone would
// drop a NaN met before a number). finish_extreme folds the lanes and the tail.
template <bool kMin, class T>
T finish_extreme(const T* lanes, int lanes_n, bool any_nan, const T* tail, int64_t tail_n,
                 T identity) {
  T r = any_nan ? std::numeric_limits<T>::quiet_NaN() : identity;
  for (int j = 0; j < lanes_n; ++j) r = kMin ? nan_min(r, lanes[j]) : nan_max(r, lanes[j]);
  for (int64_t i = 0; i < tail_n; ++i) r = kMin ? nan_min(r, tail[i]) : nan_max(r, tail[i]);
  return r;
}

template <bool kMin>
EMBER_TARGET_AVX2 float extreme_block_avx2(const float* p, int64_t n, float identity) {
  __m256 m0 = _mm256_set1_ps(identity), m1 = m0, m2 = m0, m3 = m0, nan = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 x0 = _mm256_loadu_ps(p + i), x1 = _mm256_loadu_ps(p + i + 8),
                 x2 = _mm256_loadu_ps(p + i + 16), x3 = _mm256_loadu_ps(p + i + 24);
    m0 = kMin ? _mm256_min_ps(m0, x0) : _mm256_max_ps(m0, x0);
    m1 = kMin ? _mm256_min_ps(m1, x1) : _mm256_max_ps(m1, x1);
    m2 = kMin ? _mm256_min_ps(m2, x2) : _mm256_max_ps(m2, x2);
    m3 = kMin ? _mm256_min_ps(m3, x3) : _mm256_max_ps(m3, x3);
    nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(x0, x1, _CMP_UNORD_Q),
                                         _mm256_cmp_ps(x2, x3, _CMP_UNORD_Q)));
  }
  alignas(32) float lanes[32];
  _mm256_store_ps(lanes, m0);
  _mm256_store_ps(lanes + 8, m1);
  _mm256_store_ps(lanes + 16, m2);
  _mm256_store_ps(lanes + 24, m3);
  return finish_extreme<kMin>(lanes, 32, _mm256_movemask_ps(nan) != 0, p + i, n - i, identity);
}

template <bool kMin>
EMBER_TARGET_AVX2 double extreme_block_avx2(const double* p, int64_t n, double identity) {
  __m256d m0 = _mm256_set1_pd(identity), m1 = m0, m2 = m0, m3 = m0, nan = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256d x0 = _mm256_loadu_pd(p + i), x1 = _mm256_loadu_pd(p + i + 4),
                  x2 = _mm256_loadu_pd(p + i + 8), x3 = _mm256_loadu_pd(p + i + 12);
    m0 = kMin ? _mm256_min_pd(m0, x0) : _mm256_max_pd(m0, x0);
    m1 = kMin ? _mm256_min_pd(m1, x1) : _mm256_max_pd(m1, x1);
    m2 = kMin ? _mm256_min_pd(m2, x2) : _mm256_max_pd(m2, x2);
    m3 = kMin ? _mm256_min_pd(m3, x3) : _mm256_max_pd(m3, x3);
    nan = _mm256_or_pd(nan, _mm256_or_pd(_mm256_cmp_pd(x0, x1, _CMP_UNORD_Q),
                                         _mm256_cmp_pd(x2, x3, _CMP_UNORD_Q)));
  }
  alignas(32) double lanes[16];
  _mm256_store_pd(lanes, m0);
  _mm256_store_pd(lanes + 4, m1);
  _mm256_store_pd(lanes + 8, m2);
  _mm256_store_pd(lanes + 12, m3);
  return finish_extreme<kMin>(lanes, 16, _mm256_movemask_pd(nan) != 0, p + i, n - i, identity);
}
#endif

template <class In, class Acc, class Ops>
Acc fold_block_best(const In* p, int64_t n, const Ops& ops) {
#if EMBER_X86_CLONES
  if (cpu_has_avx2()) {
    if constexpr (kExtremeOps<Ops> && (std::is_same_v<In, float> ||
                                       std::is_same_v<In, double>)&&std::is_same_v<In, Acc>) {
      return extreme_block_avx2<Ops::kIsMin>(p, n, ops.identity);
    } else {
      return fold_block_avx2<In, Acc>(p, n, ops);
    }
  }
#endif
  return fold_block<In, Acc>(p, n, ops);
}

// The fold of the n > 0 elements at p.
template <class In, class Acc, class Ops>
Acc fold_all(const In* p, int64_t n, const Ops& ops) {
  if (n <= 8) {  // a loss, a scalar: no lanes to set up
    Acc acc = ops.identity;
    for (int64_t i = 0; i < n; ++i) acc = ops.reduce(acc, p[i]);
    return acc;
  }
  const int64_t blocks = (n + kFullBlock - 1) / kFullBlock;
  if (blocks == 1) return fold_block_best<In, Acc>(p, n, ops);
  Acc local[64];
  std::unique_ptr<Acc[]> heap;
  Acc* part = local;
  if (blocks > 64) {
    heap.reset(new Acc[static_cast<size_t>(blocks)]);
    part = heap.get();
  }
  const int64_t grain = std::max<int64_t>(1, kGrainSize / kFullBlock);
  parallel_for(0, blocks, grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t begin = i * kFullBlock;
      part[i] = fold_block_best<In, Acc>(p + begin, std::min(kFullBlock, n - begin), ops);
    }
  });
  for (int64_t width = 1; width < blocks; width *= 2) {
    for (int64_t i = 0; i + width < blocks; i += 2 * width) {
      part[i] = ops.combine(part[i], part[i + width]);
    }
  }
  return part[0];
}

}  // namespace detail

// Folds all of a into out when out has one element and a is contiguous, and returns true; returns
// false (doing nothing) otherwise, for reduce() to handle. The caller handles an empty input.
template <class In, class Out, class Acc, class Ops>
bool reduce_full(const Tensor& out, const Tensor& a, const Ops& ops) {
  if (out->numel() != 1 || !a->is_contiguous()) return false;
  *out->data_as<Out>() =
      ops.project(detail::fold_all<In, Acc>(a->data_as<const In>(), a->numel(), ops));
  return true;
}

}  // namespace ember::cpu
