// Full reductions beside their floor, and the per-call cost of the ops autograd's tiny case makes:
//   read_16M: a plain streaming read of 64 MiB split into one contiguous part per thread of the
//     engine's pool (each summed with 8 independent AVX2 accumulators): the memory-read floor that
//     sum_16M / max_16M (bench_ops.cpp) and the mean/min cases here are measured against;
//   mean_16M / min_16M: the other full reductions over the same input;
//   {mul,sum,add_,addcmul_}_1elem: one call through the C ABI on 1-element float32 tensors (with
//   the
//     release of the result where there is one): the native share of
//     `y = (a * w + b).Sum(); y.Backward()`.
// Threads: EMBER_BENCH_THREADS, default 2. Run with --benchmark_enable_random_interleaving=true and
// repetitions to compare cases in the same minutes on a noisy host.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstring>

#include "bench_util.h"
#include "core/parallel.h"
#include "ember/ember.h"

namespace ember {
namespace {

constexpr int64_t k16M = int64_t{16} << 20;

ember_tensor filled(int64_t n, double value) {
  const ember_scalar v{value, 0, EMBER_SCALAR_FLOAT, 0};
  ember_tensor t = nullptr;
  if (ember_full(&n, 1, v, EMBER_FLOAT32, ember_device{EMBER_DEVICE_CPU, 0}, &t) != EMBER_OK) {
    std::abort();
  }
  return t;
}

__attribute__((target("avx2"))) float read_part(const float* p, int64_t n) {
  __m256 acc[8];
  for (__m256& a : acc) a = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    for (int j = 0; j < 8; ++j) acc[j] = _mm256_add_ps(acc[j], _mm256_loadu_ps(p + i + 8 * j));
  }
  for (int j = 1; j < 8; ++j) acc[0] = _mm256_add_ps(acc[0], acc[j]);
  float lanes[8];
  _mm256_storeu_ps(lanes, acc[0]);
  float s = 0;
  for (float v : lanes) s += v;
  for (; i < n; ++i) s += p[i];
  return s;
}

void BM_Read16M(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor a = filled(k16M, 0.5);
  void* data = nullptr;
  ember_tensor_data_ptr(a, &data);
  const float* p = static_cast<const float*>(data);
  const int parts = num_threads();
  for (auto _ : st) {
    float sums[64] = {};
    parallel_for(0, parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t lo = k16M * t / parts, hi = k16M * (t + 1) / parts;
        sums[t] = read_part(p + lo, hi - lo);
      }
    });
    benchmark::DoNotOptimize(sums);
  }
  st.counters["GBps"] =
      benchmark::Counter(4.0 * k16M * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  ember_tensor_release(a);
}

template <class Op>
void run_full(benchmark::State& st, Op op) {
  set_num_threads(bench::threads());
  ember_tensor a = filled(k16M, 0.5);
  for (auto _ : st) {
    ember_tensor c = nullptr;
    op(a, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  st.counters["GBps"] =
      benchmark::Counter(4.0 * k16M * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  ember_tensor_release(a);
}

void BM_Mean16M(benchmark::State& st) {
  run_full(st, [](ember_tensor a, ember_tensor* c) { ember_mean(a, nullptr, 0, 0, c); });
}
void BM_Min16M(benchmark::State& st) {
  run_full(st, [](ember_tensor a, ember_tensor* c) { ember_amin(a, nullptr, 0, 0, c); });
}

void BM_Mul1(benchmark::State& st) {
  ember_tensor a = filled(1, 1.0), b = filled(1, 2.0);
  for (auto _ : st) {
    ember_tensor c = nullptr;
    ember_mul(a, b, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  ember_tensor_release(a);
  ember_tensor_release(b);
}

void BM_Sum1(benchmark::State& st) {
  ember_tensor a = filled(1, 1.0);
  for (auto _ : st) {
    ember_tensor c = nullptr;
    ember_sum(a, nullptr, 0, 0, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  ember_tensor_release(a);
}

void BM_AddInPlace1(benchmark::State& st) {
  ember_tensor a = filled(1, 1.0), b = filled(1, 0.0);
  for (auto _ : st) benchmark::DoNotOptimize(ember_add_(a, b));
  ember_tensor_release(a);
  ember_tensor_release(b);
}

void BM_AddcmulInPlace1(benchmark::State& st) {
  ember_tensor a = filled(1, 1.0), b = filled(1, 0.0), c = filled(1, 2.0);
  const ember_scalar one{1.0, 1, EMBER_SCALAR_FLOAT, 0};
  for (auto _ : st) benchmark::DoNotOptimize(ember_addcmul_(a, b, c, one));
  ember_tensor_release(a);
  ember_tensor_release(b);
  ember_tensor_release(c);
}

BENCHMARK(BM_Read16M)->Name("read_16M/impl:floor")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mean16M)->Name("mean_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Min16M)->Name("min_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mul1)->Name("mul_1elem/impl:ember")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK(BM_Sum1)->Name("sum_1elem/impl:ember")->Unit(benchmark::kNanosecond)->UseRealTime();
BENCHMARK(BM_AddInPlace1)
    ->Name("add_inplace_1elem/impl:ember")
    ->Unit(benchmark::kNanosecond)
    ->UseRealTime();
BENCHMARK(BM_AddcmulInPlace1)
    ->Name("addcmul_inplace_1elem/impl:ember")
    ->Unit(benchmark::kNanosecond)
    ->UseRealTime();

}  // namespace
}  // namespace ember
