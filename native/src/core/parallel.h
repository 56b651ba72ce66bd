// The engine's persistent thread pool, seen from kernels.
#pragma once

#include <cstdint>
#include <utility>

namespace ember {

// Number of threads kernels may use (the caller's thread included).
int num_threads();
// Resizes the pool, which also runs BLAS's products (cpu/blas.h).
void set_num_threads(int n);

namespace detail {
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end);
void parallel_for_impl(int64_t begin, int64_t end, int64_t grain, RangeFn fn, void* ctx);
}  // namespace detail

// Splits [begin, end) into at most num_threads() chunks of at least `grain` items and runs
// fn(chunk_begin, chunk_end) on the pool, the caller taking one chunk. Runs inline when the range is
// below grain or when called from inside a pool task (no nested parallelism). Exceptions thrown by
// fn are rethrown in the caller.
template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& fn) {
  detail::parallel_for_impl(
      begin, end, grain,
      [](void* ctx, int64_t b, int64_t e) { (*static_cast<std::remove_reference_t<F>*>(ctx))(b, e); },
      const_cast<void*>(static_cast<const void*>(&fn)));
}

}  // namespace ember
