// Foundation op benchmarks (issue 2), each beside its floor measured in the same run:
//   add_1elem: ember_add of two 1-element float32 tensors plus ember_tensor_release of the result,
//     through the C ABI (the per-op overhead a binding pays);
//   sgemm_1024: 1024^3 float32 matmul through ember_matmul, and the raw cblas_sgemm of the same
//     matrices into a preallocated result (FLOPS = 2 n^3 per call; ratio = ember / openblas);
//   add_16M / copy_16M: a 16M-element float32 ember_add (GBps counts 3 x 4 bytes per element: two
//     reads, one write), and a memcpy of the same 64 MiB split over the same threads (2 x 4 bytes
//     per element), the machine's copy bandwidth (ratio = add GBps / copy GBps); add_16M_inplace
//     is ember_add_ (a += b), the same traffic without allocating and faulting in a new result.
// Threads: EMBER_BENCH_THREADS, default 2.
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <chrono>
#include <cstring>

#include "bench_util.h"
#include "core/parallel.h"
#include "ember/ember.h"

namespace ember {
namespace {

ember_tensor full(std::initializer_list<int64_t> sizes, double value) {
  const ember_scalar v{value, 0, EMBER_SCALAR_FLOAT, 0};
  ember_tensor t = nullptr;
  if (ember_full(sizes.begin(), static_cast<int32_t>(sizes.size()), v, EMBER_FLOAT32,
                 ember_device{EMBER_DEVICE_CPU, 0}, &t) != EMBER_OK) {
    std::abort();
  }
  return t;
}

ember_tensor rand(std::initializer_list<int64_t> sizes) {
  ember_tensor t = nullptr;
  if (ember_rand(sizes.begin(), static_cast<int32_t>(sizes.size()), EMBER_FLOAT32,
                 ember_device{EMBER_DEVICE_CPU, 0}, nullptr, &t) != EMBER_OK) {
    std::abort();
  }
  return t;
}

float* data(ember_tensor t) {
  void* p = nullptr;
  ember_tensor_data_ptr(t, &p);
  return static_cast<float*>(p);
}

// Work per second of the timed loop (Google Benchmark computes its rate counters only when it
// reports, too late for a ratio).
class Rate {
 public:
  Rate() : start_(std::chrono::steady_clock::now()) {}
  double per_second(double work_per_iteration, const benchmark::State& st) const {
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    return work_per_iteration * static_cast<double>(st.iterations()) / s;
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Speeds of the floors, measured earlier in the run, for the ratio counters of what follows them.
double g_openblas_flops = 0;
double g_copy_bytes = 0;

void BM_Add1(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor a = full({1}, 1.0), b = full({1}, 2.0);
  for (auto _ : st) {
    ember_tensor c = nullptr;
    ember_add(a, b, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  ember_tensor_release(a);
  ember_tensor_release(b);
}
BENCHMARK(BM_Add1)->Name("add_1elem/impl:ember")->Unit(benchmark::kNanosecond)->UseRealTime();

constexpr int64_t kN = 1024;
constexpr double kGemmFlops = 2.0 * kN * kN * kN;

void BM_SgemmRaw(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor a = rand({kN, kN}), b = rand({kN, kN}), c = full({kN, kN}, 0.0);
  const Rate rate;
  for (auto _ : st) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, data(a), kN, data(b),
                kN, 0.0f, data(c), kN);
    benchmark::ClobberMemory();
  }
  g_openblas_flops = rate.per_second(kGemmFlops, st);
  st.counters["FLOPS"] =
      benchmark::Counter(kGemmFlops, benchmark::Counter::kIsIterationInvariantRate);
  ember_tensor_release(a);
  ember_tensor_release(b);
  ember_tensor_release(c);
}

void BM_SgemmEmber(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor a = rand({kN, kN}), b = rand({kN, kN});
  const Rate rate;
  for (auto _ : st) {
    ember_tensor c = nullptr;
    ember_matmul(a, b, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  const double flops = rate.per_second(kGemmFlops, st);
  st.counters["FLOPS"] =
      benchmark::Counter(kGemmFlops, benchmark::Counter::kIsIterationInvariantRate);
  if (g_openblas_flops > 0) st.counters["ratio"] = flops / g_openblas_flops;
  ember_tensor_release(a);
  ember_tensor_release(b);
}

constexpr int64_t k16M = int64_t{1} << 24;

void BM_Copy16M(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor src = full({k16M}, 1.0), dst = full({k16M}, 0.0);
  char* s = reinterpret_cast<char*>(data(src));
  char* d = reinterpret_cast<char*>(data(dst));
  const int64_t bytes = k16M * 4;
  const Rate rate;
  for (auto _ : st) {
    parallel_for(0, bytes, bytes / num_threads(), [&](int64_t b, int64_t e) {
      std::memcpy(d + b, s + b, static_cast<size_t>(e - b));
    });
    benchmark::ClobberMemory();
  }
  g_copy_bytes = rate.per_second(2.0 * bytes, st);
  st.counters["GBps"] =
      benchmark::Counter(2.0 * bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  ember_tensor_release(src);
  ember_tensor_release(dst);
}

void BM_Add16M(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor a = full({k16M}, 1.0), b = full({k16M}, 2.0);
  const Rate rate;
  for (auto _ : st) {
    ember_tensor c = nullptr;
    ember_add(a, b, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  const double bytes = rate.per_second(3.0 * k16M * 4, st);
  st.counters["GBps"] =
      benchmark::Counter(3.0 * k16M * 4 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (g_copy_bytes > 0) st.counters["ratio"] = bytes / g_copy_bytes;
  ember_tensor_release(a);
  ember_tensor_release(b);
}

// The same add into memory that is already mapped (a += b): the kernel's own bandwidth, without
// the page faults a fresh 64 MiB result costs.
void BM_Add16MInPlace(benchmark::State& st) {
  set_num_threads(bench::threads());
  ember_tensor a = full({k16M}, 1.0), b = full({k16M}, 2.0);
  const Rate rate;
  for (auto _ : st) {
    ember_add_(a, b);
    benchmark::ClobberMemory();
  }
  const double bytes = rate.per_second(3.0 * k16M * 4, st);
  st.counters["GBps"] =
      benchmark::Counter(3.0 * k16M * 4 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (g_copy_bytes > 0) st.counters["ratio"] = bytes / g_copy_bytes;
  ember_tensor_release(a);
  ember_tensor_release(b);
}

// 16M-element float32 elementwise ops and full reductions (compared with PyTorch's in
// benchmarks/pytorch/bench_core.py): exp is compute-bound, mul, sum and max are bandwidth-bound.
template <class Op>
void run16m(benchmark::State& st, double bytes_per_elem, Op op) {
  set_num_threads(bench::threads());
  ember_tensor a = full({k16M}, 0.5), b = full({k16M}, 2.0);
  for (auto _ : st) {
    ember_tensor c = nullptr;
    op(a, b, &c);
    benchmark::DoNotOptimize(c);
    ember_tensor_release(c);
  }
  st.counters["GBps"] = benchmark::Counter(bytes_per_elem * k16M * 1e-9,
                                           benchmark::Counter::kIsIterationInvariantRate);
  ember_tensor_release(a);
  ember_tensor_release(b);
}

void BM_Exp16M(benchmark::State& st) {
  run16m(st, 8, [](ember_tensor a, ember_tensor, ember_tensor* c) { ember_exp(a, c); });
}
void BM_Mul16M(benchmark::State& st) {
  run16m(st, 12, [](ember_tensor a, ember_tensor b, ember_tensor* c) { ember_mul(a, b, c); });
}
void BM_Sum16M(benchmark::State& st) {
  run16m(st, 4,
         [](ember_tensor a, ember_tensor, ember_tensor* c) { ember_sum(a, nullptr, 0, 0, c); });
}
void BM_Max16M(benchmark::State& st) {
  run16m(st, 4,
         [](ember_tensor a, ember_tensor, ember_tensor* c) { ember_amax(a, nullptr, 0, 0, c); });
}

// Each floor runs right before what is compared with it.
BENCHMARK(BM_SgemmRaw)
    ->Name("sgemm_1024/impl:openblas")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_SgemmEmber)
    ->Name("sgemm_1024/impl:ember")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Copy16M)->Name("copy_16M/impl:memcpy")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Add16M)->Name("add_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Add16MInPlace)
    ->Name("add_16M_inplace/impl:ember")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_Exp16M)->Name("exp_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mul16M)->Name("mul_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Sum16M)->Name("sum_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Max16M)->Name("max_16M/impl:ember")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace ember
