// Small elementwise ops queued per stream (cuda/small_ops.cuh): every queued op gives the CPU's
// result and, bit for bit, what its own kernel gives (batching off), and the queue keeps its
// place in the stream's order against kernels, copies, events, other streams, freed memory and
// graph recordings. Skips without the plugin.
#include <cstring>

#include "core/tensor.h"
#include "cuda_graph_test_util.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;
using ops::BinaryOp;
using ops::UnaryOp;

Scalar num(double v) { return Scalar::from_float(v); }

// A mix of every queued kind on a and b (same shape, or b with one element), the later ops
// reading the earlier ones' results: a chain the queue must run in order.
std::vector<Tensor> chain(const Tensor& a, const Tensor& b) {
  std::vector<Tensor> r;
  r.push_back(ops::binary(BinaryOp::Add, a, b));
  r.push_back(ops::binary(BinaryOp::Mul, r.back(), b));
  r.push_back(ops::binary(BinaryOp::Sub, r.back(), a));
  r.push_back(ops::binary_scalar(BinaryOp::Mul, r.back(), num(3)));
  r.push_back(ops::binary_rscalar(BinaryOp::Sub, num(2), r.back()));
  r.push_back(ops::unary(UnaryOp::Neg, r.back()));
  Tensor acc = ops::contiguous(ops::binary_scalar(BinaryOp::Add, a, num(1)));
  ops::binary_(BinaryOp::Add, acc, r.back());  // in place
  ops::binary_scalar_(BinaryOp::Mul, acc, num(2));
  r.push_back(acc);
  Tensor filled = ops::zeros(a->sizes(), a->dtype(), a->device());
  ops::fill_(filled, num(5));
  r.push_back(filled);
  Tensor copied = ops::zeros(a->sizes(), a->dtype(), a->device());
  ops::copy_(copied, r[2]);
  r.push_back(copied);
  if (is_floating(a->dtype())) {
    r.push_back(ops::binary(BinaryOp::Div, r[0], ops::binary_scalar(BinaryOp::Add, b, num(30))));
    r.push_back(ops::unary(UnaryOp::Exp, ops::binary_scalar(BinaryOp::Mul, a, num(0.1))));
    r.push_back(ops::unary(UnaryOp::Log, ops::binary_scalar(BinaryOp::Add, r.back(), num(1))));
  }
  return r;
}

void expect_bitwise_equal(const Tensor& x, const Tensor& y, const std::string& what) {
  const Tensor hx = ops::contiguous(ops::to_device(x, kCpu));
  const Tensor hy = ops::contiguous(ops::to_device(y, kCpu));
  ASSERT_EQ(hx->sizes(), hy->sizes()) << what;
  const size_t bytes = static_cast<size_t>(hx->numel()) * element_size(hx->dtype());
  EXPECT_EQ(std::memcmp(hx->data_as<char>(), hy->data_as<char>(), bytes), 0) << what;
}

const DType kQueued[] = {DType::Float32,  DType::Float64, DType::Float16,
                         DType::BFloat16, DType::Int32,   DType::Int64};

TEST(CudaSmallOps, QueuedOpsGiveTheCpuResultInEveryDtype) {
  REQUIRE_CUDA();
  // 1 and 1024 elements are queued, 1025 launches on its own; b dense or broadcast.
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1024}, int64_t{1025}}) {
    for (int64_t nb : {n, int64_t{1}}) {
      for (DType t : kQueued) {
        const Tensor a = random_cpu({n}, t), b = random_cpu({nb}, t);
        const std::vector<Tensor> cpu = chain(a, b), gpu = chain(on_cuda(a), on_cuda(b));
        ASSERT_EQ(cpu.size(), gpu.size());
        for (size_t i = 0; i < cpu.size(); ++i)
          expect_same(cpu[i], gpu[i],
                      "op " + std::to_string(i) + " of the chain, n " + std::to_string(n) +
                          ", b of " + std::to_string(nb) + ", " + dtype_name(t),
                      4 * tolerance(t));
      }
    }
  }
}

TEST(CudaSmallOps, QueuedOpsAreBitwiseTheOwnKernelsResults) {
  REQUIRE_CUDA();
  for (DType t : kQueued) {
    const Tensor a = on_cuda(random_cpu({300}, t)), b = on_cuda(random_cpu({300}, t));
    const std::vector<Tensor> queued = chain(a, b);
    std::vector<Tensor> launched;
    {
      const OptionScope off("cuda.batch_small_ops", 0);
      launched = chain(a, b);
    }
    for (size_t i = 0; i < queued.size(); ++i)
      expect_bitwise_equal(launched[i], queued[i],
                           "op " + std::to_string(i) + " in " + dtype_name(t));
  }
}

TEST(CudaSmallOps, ChainsLongerThanAQueueRunInOrder) {
  REQUIRE_CUDA();
  // 64 ops fill a queue, which then launches; 200 dependent steps cross three launches.
  Tensor x = ops::zeros({3}, DType::Float32, kCuda);
  for (int i = 0; i < 200; ++i) x = ops::binary_scalar(BinaryOp::Add, x, num(1));
  Tensor y = ops::zeros({3}, DType::Float32, kCuda);
  for (int i = 0; i < 130; ++i) ops::binary_scalar_(BinaryOp::Add, y, num(2));  // in place
  for (double v : values(x)) EXPECT_EQ(v, 200);
  for (double v : values(y)) EXPECT_EQ(v, 260);
}

TEST(CudaSmallOps, KernelsAndReductionsReadQueuedResults) {
  REQUIRE_CUDA();
  const Tensor a = random_cpu({32, 32}, DType::Float32), b = random_cpu({32, 32}, DType::Float32);
  // 1024 elements: queued; the product and the sum launch their own kernels after the queue.
  const Tensor ga = ops::binary_scalar(BinaryOp::Mul, on_cuda(a), num(0.5));
  const Tensor gb = ops::binary(BinaryOp::Add, on_cuda(b), ga);
  const Tensor ca = ops::binary_scalar(BinaryOp::Mul, a, num(0.5));
  const Tensor cb = ops::binary(BinaryOp::Add, b, ca);
  expect_same(ops::matmul(ca, cb), ops::matmul(ga, gb), "matmul of queued results", 1e-4);
  // And a queued op reads what a kernel wrote just before it.
  const Tensor gs = ops::binary_scalar(BinaryOp::Add, ops::matmul(ga, gb), num(1));
  expect_same(ops::binary_scalar(BinaryOp::Add, ops::matmul(ca, cb), num(1)), gs,
              "queued op after a matmul", 1e-4);
}

TEST(CudaSmallOps, EventsAndOtherStreamsSeeQueuedWork) {
  REQUIRE_CUDA();
  ember_stream side = nullptr;
  ember_event done = nullptr;
  ASSERT_EQ(ember_stream_create(kDev, 0, &side), EMBER_OK) << ember_last_error();
  ASSERT_EQ(ember_event_create(kDev, 0, &done), EMBER_OK);
  const Tensor a = random_cpu({5}, DType::Float32);
  const Tensor ga = on_cuda(a);
  ASSERT_EQ(ember_stream_set_current(kDev, side), EMBER_OK);
  Tensor x = ga;
  for (int i = 0; i < 10; ++i) x = ops::binary_scalar(BinaryOp::Mul, x, num(1.5));
  // The record follows the queued ops on the side stream; the default stream waits for it.
  ASSERT_EQ(ember_event_record(kDev, done, side), EMBER_OK);
  ASSERT_EQ(ember_stream_set_current(kDev, nullptr), EMBER_OK);
  ASSERT_EQ(ember_stream_wait_event(kDev, nullptr, done), EMBER_OK);
  Tensor expected = a;
  for (int i = 0; i < 10; ++i) expected = ops::binary_scalar(BinaryOp::Mul, expected, num(1.5));
  const Tensor y = ops::binary_scalar(BinaryOp::Add, x, num(1));  // queued on the default stream
  expect_same(ops::binary_scalar(BinaryOp::Add, expected, num(1)), y, "after an event wait");
  // A query launches what is queued, so waiting until it says done sees the result.
  ASSERT_EQ(ember_stream_set_current(kDev, side), EMBER_OK);
  const Tensor z = ops::binary_scalar(BinaryOp::Sub, x, num(1));
  int32_t finished = 0;
  for (int tries = 0; tries < 1000000 && finished == 0; ++tries)
    ASSERT_EQ(ember_stream_query(kDev, side, &finished), EMBER_OK);
  EXPECT_EQ(finished, 1);
  ASSERT_EQ(ember_stream_set_current(kDev, nullptr), EMBER_OK);
  expect_same(ops::binary_scalar(BinaryOp::Sub, expected, num(1)), z, "after a stream query");
  // Ops queued on a stream that is then destroyed still run.
  ASSERT_EQ(ember_stream_set_current(kDev, side), EMBER_OK);
  const Tensor w = ops::binary_scalar(BinaryOp::Mul, x, num(2));
  ASSERT_EQ(ember_stream_set_current(kDev, nullptr), EMBER_OK);
  EXPECT_EQ(ember_stream_destroy(kDev, side), EMBER_OK);
  ASSERT_EQ(ember_device_synchronize(kDev), EMBER_OK);
  expect_same(ops::binary_scalar(BinaryOp::Mul, expected, num(2)), w, "on a destroyed stream");
  EXPECT_EQ(ember_event_destroy(kDev, done), EMBER_OK);
}

TEST(CudaSmallOps, FreedOperandsAreNotOverwrittenBeforeTheQueueRuns) {
  REQUIRE_CUDA();
  const Tensor a = random_cpu({256}, DType::Float32);
  Tensor result;
  {
    const Tensor ga = on_cuda(a);
    result = ops::binary_scalar(BinaryOp::Mul, ga, num(3));
  }  // ga's block goes back to the cache while the op that reads it is still queued
  // The same-sized block is handed out again and written by a copy from the host.
  const Tensor reused = on_cuda(ops::full({256}, num(-7), DType::Float32, kCpu));
  expect_same(ops::binary_scalar(BinaryOp::Mul, a, num(3)), result, "a freed operand");
  for (double v : values(reused)) EXPECT_EQ(v, -7);
  // empty_cache gives blocks back to the driver: whatever reads them must have run first.
  Tensor late;
  {
    const Tensor gb = on_cuda(a);
    late = ops::binary_scalar(BinaryOp::Add, gb, num(1));
  }
  ASSERT_EQ(ember_device_empty_cache(kDev), EMBER_OK) << ember_last_error();
  expect_same(ops::binary_scalar(BinaryOp::Add, a, num(1)), late, "after empty_cache");
}

TEST(CudaSmallOps, AGraphRecordsItsOwnOpsOnlyAndReplaysThem) {
  REQUIRE_CUDA();
  const SideStream side;
  const Tensor a = random_cpu({16}, DType::Float32);
  const Tensor x = on_cuda(a);
  // Queued before the recording: it runs before it, and is not part of the graph.
  ops::binary_scalar_(BinaryOp::Add, x, num(1));
  Tensor y;
  ember_cuda_graph g = nullptr;
  std::string failure;
  ASSERT_NO_FATAL_FAILURE(record(&g, &failure, [&] {
    y = ops::binary_scalar(BinaryOp::Mul, x, num(2));  // recorded, not queued
    ops::binary_scalar_(BinaryOp::Add, y, num(0.5));
  }));
  ASSERT_TRUE(failure.empty()) << failure;
  ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
  const Tensor once = ops::binary_scalar(BinaryOp::Add, a, num(1));
  expect_same(
      ops::binary_scalar(BinaryOp::Add, ops::binary_scalar(BinaryOp::Mul, once, num(2)), num(0.5)),
      y, "replayed graph");
  // An op queued after the recording, before a replay, runs before the replay reads x.
  ops::binary_scalar_(BinaryOp::Add, x, num(1));
  ASSERT_EQ(ember_cuda_graph_replay(g), EMBER_OK) << ember_last_error();
  const Tensor twice = ops::binary_scalar(BinaryOp::Add, a, num(2));
  expect_same(
      ops::binary_scalar(BinaryOp::Add, ops::binary_scalar(BinaryOp::Mul, twice, num(2)), num(0.5)),
      y, "replay after a queued op");
  EXPECT_EQ(ember_cuda_graph_destroy(g), EMBER_OK);
}

TEST(CudaSmallOps, OpsTheQueueDoesNotRunStillLaunch) {
  REQUIRE_CUDA();
  // bool, int8 and casts are not queued.
  const Tensor b = random_cpu({9}, DType::Bool), c = random_cpu({9}, DType::Bool);
  expect_same(ops::binary(BinaryOp::Add, b, c), ops::binary(BinaryOp::Add, on_cuda(b), on_cuda(c)),
              "bool add");
  const Tensor i8 = random_cpu({9}, DType::Int8);
  expect_same(ops::unary(UnaryOp::Neg, i8), ops::unary(UnaryOp::Neg, on_cuda(i8)), "int8 neg");
  const Tensor f = random_cpu({9}, DType::Float32);
  const Tensor h = ops::zeros({9}, DType::Float16, kCuda);
  ops::copy_(h, on_cuda(f));
  expect_same(ops::to_dtype(f, DType::Float16), h, "float32 to float16 copy");
  // exp of integers computes in float32: a cast (launched), then the queued exp.
  const Tensor i32 = random_cpu({9}, DType::Int32);
  expect_same(ops::unary(UnaryOp::Exp, ops::binary_scalar(BinaryOp::Mul, i32, num(0.1))),
              ops::unary(UnaryOp::Exp, ops::binary_scalar(BinaryOp::Mul, on_cuda(i32), num(0.1))),
              "exp of a promoted int32");
}

}  // namespace
}  // namespace ember
