// CUDA backend benchmarks (issue 7), run where the plugin is given in EMBER_CUDA_PLUGIN
// (tests/cuda/ run.sh); elsewhere each case reports that it was skipped. Every iteration ends with
// a device synchronisation, so the host clock measures call to completion:
//   cuda_add_1elem: a 1-element float32 add (the per-op overhead);
//   cuda_add_1elem_host: 1000 such adds and one synchronisation (per 1000 adds);
//   cuda_add_1elem_call / cuda_empty_1elem_call: the host's time inside the call alone;
//   impl:ember-unbatched: the same with small-op batching off (each op its own launch);
//   cuda_add_2^28 / cuda_sum_2^28: float32, bytes = reads + writes (TBps counter);
//   cuda_softmax_4096: softmax over rows of 4096 float32 (65536 rows), bytes = read + write;
//   cuda_gemm_N_dtype: N^3 matmul, FLOP = 2 N^3 (TFLOPS counter); cuda_gemm_tf32: float32 on TF32.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "bench_cuda_util.h"
#include "core/backend.h"
#include "core/error.h"
#include "core/nn_ops.h"
#include "core/ops.h"

namespace ember {
namespace {

using bench::cuda_ready;
using bench::host_timed;
using bench::kCuda;
using bench::timed;

void BM_CudaAdd1(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor a = ops::full({1}, Scalar::from_float(1), DType::Float32, kCuda);
  const Tensor b = ops::full({1}, Scalar::from_float(2), DType::Float32, kCuda);
  timed(st, [&] { benchmark::DoNotOptimize(ops::binary(ops::BinaryOp::Add, a, b)); });
}
BENCHMARK(BM_CudaAdd1)
    ->Name("cuda_add_1elem/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The host side alone: calls queue kernels back to back; one synchronisation per 1000 calls (the
// time is per 1000 calls).
void BM_CudaAdd1Host(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor a = ops::full({1}, Scalar::from_float(1), DType::Float32, kCuda);
  const Tensor b = ops::full({1}, Scalar::from_float(2), DType::Float32, kCuda);
  timed(st, [&] {
    for (int i = 0; i < 1000; ++i) benchmark::DoNotOptimize(ops::binary(ops::BinaryOp::Add, a, b));
  });
}
BENCHMARK(BM_CudaAdd1Host)
    ->Name("cuda_add_1elem_host/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_CudaAdd1CallOnly(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor a = ops::full({1}, Scalar::from_float(1), DType::Float32, kCuda);
  const Tensor b = ops::full({1}, Scalar::from_float(2), DType::Float32, kCuda);
  host_timed(st, [&] { benchmark::DoNotOptimize(ops::binary(ops::BinaryOp::Add, a, b)); });
}
BENCHMARK(BM_CudaAdd1CallOnly)
    ->Name("cuda_add_1elem_call/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The two above with every op launching its own kernel (Torch.Backends.Cuda.BatchSmallOps off):
// what small-op batching saves.
template <void (*Bench)(benchmark::State&)>
void unbatched(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  set_backend_option("cuda.batch_small_ops", 0);
  Bench(st);
  set_backend_option("cuda.batch_small_ops", 1);
}
BENCHMARK(unbatched<BM_CudaAdd1Host>)
    ->Name("cuda_add_1elem_host/impl:ember-unbatched")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(unbatched<BM_CudaAdd1CallOnly>)
    ->Name("cuda_add_1elem_call/impl:ember-unbatched")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The allocator's share of the call above: a 1-element result made and released, no kernel.
void BM_CudaEmpty1CallOnly(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  host_timed(st, [&] { benchmark::DoNotOptimize(empty({1}, DType::Float32, kCuda)); });
}
BENCHMARK(BM_CudaEmpty1CallOnly)
    ->Name("cuda_empty_1elem_call/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

constexpr int64_t k2p28 = int64_t{1} << 28;

void BM_CudaAddBig(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor a = ops::full({k2p28}, Scalar::from_float(1), DType::Float32, kCuda);
  const Tensor b = ops::full({k2p28}, Scalar::from_float(2), DType::Float32, kCuda);
  timed(st, [&] { benchmark::DoNotOptimize(ops::binary(ops::BinaryOp::Add, a, b)); });
  st.counters["TBps"] =
      benchmark::Counter(3.0 * 4 * k2p28 * 1e-12, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CudaAddBig)
    ->Name("cuda_add_2^28/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_CudaSumBig(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const Tensor a = ops::full({k2p28}, Scalar::from_float(1), DType::Float32, kCuda);
  timed(st, [&] { benchmark::DoNotOptimize(ops::sum(a, {}, false)); });
  st.counters["TBps"] =
      benchmark::Counter(4.0 * k2p28 * 1e-12, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CudaSumBig)
    ->Name("cuda_sum_2^28/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_CudaSoftmax(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  Generator g(1);
  const Tensor x = ops::to_device(ops::randn({65536, 4096}, DType::Float32, Device{}, g), kCuda);
  timed(st, [&] { benchmark::DoNotOptimize(ops::softmax(x, 1)); });
  st.counters["TBps"] = benchmark::Counter(2.0 * 4 * 65536 * 4096 * 1e-12,
                                           benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_CudaSoftmax)
    ->Name("cuda_softmax_4096/impl:ember")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_CudaGemm(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  const int64_t n = st.range(0);
  const auto dtype = static_cast<DType>(st.range(1));
  const Tensor a = ops::full({n, n}, Scalar::from_float(0.01), dtype, kCuda);
  const Tensor b = ops::full({n, n}, Scalar::from_float(0.02), dtype, kCuda);
  timed(st, [&] { benchmark::DoNotOptimize(ops::matmul(a, b)); });
  st.counters["TFLOPS"] =
      benchmark::Counter(2.0 * n * n * n * 1e-12, benchmark::Counter::kIsIterationInvariantRate);
}
// In bench_cuda.py's order (size, then dtype): a case run right after the float32 8192^3 one
// finds the GPU hotter and its clock lower, so both sides must run them in the same order.
void gemm_cases(benchmark::internal::Benchmark* b) {
  for (int64_t n : {4096, 8192})
    for (DType t : {DType::Float32, DType::Float16, DType::BFloat16})
      b->Args({n, static_cast<int64_t>(t)});
}
BENCHMARK(BM_CudaGemm)
    ->Name("cuda_gemm/impl:ember")
    ->Apply(gemm_cases)
    ->ArgNames({"n", "dtype"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// float32 on TensorFloat-32 tensor cores (Torch.Backends.Cuda.Matmul.AllowTF32).
void BM_CudaGemmTF32(benchmark::State& st) {
  if (!cuda_ready(st)) return;
  set_backend_option("cuda.matmul.allow_tf32", 1);
  BM_CudaGemm(st);
  set_backend_option("cuda.matmul.allow_tf32", 0);
}
BENCHMARK(BM_CudaGemmTF32)
    ->Name("cuda_gemm_tf32/impl:ember")
    ->ArgsProduct({{4096, 8192}, {static_cast<int64_t>(DType::Float32)}})
    ->ArgNames({"n", "dtype"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ember
