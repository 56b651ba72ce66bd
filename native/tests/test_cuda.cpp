// The CUDA backend against the CPU reference: each op runs on both devices from the same inputs
// (contiguous, transposed, broadcast, empty; every dtype the kernel takes) and the results must
// agree. The plugin comes from EMBER_CUDA_PLUGIN (tests/cuda/run.sh sets it); without it,
// or without a GPU, every test skips and says why.
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

TEST(Cuda, DevicesAndBackendName) {
  REQUIRE_CUDA();
  EXPECT_GE(device_count(DeviceType::CUDA), 1);
  EXPECT_NE(backend_name(DeviceType::CUDA).find("CUDA"), std::string::npos);
}

TEST(Cuda, FillCopyAndCastBetweenEveryDtype) {
  REQUIRE_CUDA();
  for (DType from : kAll) {
    const Tensor x = random_cpu({3, 5}, from);
    const Tensor xc = on_cuda(x);
    expect_same(x, xc, std::string("round trip ") + dtype_name(from), 0);
    for (DType to : kAll) {
      expect_same(ops::to_dtype(x, to), ops::to_dtype(xc, to),
                  std::string("cast ") + dtype_name(from) + " -> " + dtype_name(to), 0);
    }
    // A transposed (strided) source and a broadcast copy.
    expect_same(ops::contiguous(ops::transpose(x, 0, 1)), ops::contiguous(ops::transpose(xc, 0, 1)),
                "transposed copy", 0);
    const int64_t big[] = {4, 3, 5};
    expect_same(ops::contiguous(ops::expand(x, big)), ops::contiguous(ops::expand(xc, big)),
                "broadcast copy", 0);
  }
  for (DType t : kAll) {
    expect_same(ops::full({2, 3}, Scalar::from_float(2.5), t, kCpu),
                ops::full({2, 3}, Scalar::from_float(2.5), t, kCuda), "full", 0);
  }
  expect_same(ops::full({0, 3}, Scalar::from_int(1), DType::Float32, kCpu),
              ops::full({0, 3}, Scalar::from_int(1), DType::Float32, kCuda), "empty full");
}

TEST(Cuda, ArithmeticBroadcastsAndPromotes) {
  REQUIRE_CUDA();
  using ops::BinaryOp;
  for (DType t : kAll) {
    if (t == DType::Bool) continue;
    const Tensor a = random_cpu({4, 1, 6}, t), b = random_cpu({3, 1}, t);
    const Tensor ac = on_cuda(a), bc = on_cuda(b);
    for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul}) {
      expect_same(ops::binary(op, a, b), ops::binary(op, ac, bc),
                  std::string("binary ") + dtype_name(t));
      expect_same(ops::binary_scalar(op, a, Scalar::from_int(3)),
                  ops::binary_scalar(op, ac, Scalar::from_int(3)), "binary scalar");
      expect_same(ops::binary_rscalar(op, Scalar::from_float(1.5), a),
                  ops::binary_rscalar(op, Scalar::from_float(1.5), ac), "reversed scalar");
    }
    if (is_floating(t)) {
      expect_same(ops::binary(BinaryOp::Div, a, b), ops::binary(BinaryOp::Div, ac, bc), "div");
    }
  }
  // Non-contiguous operands and a large dense add (the vectorised path with a ragged tail).
  const Tensor x = random_cpu({33, 17}, DType::Float32), y = random_cpu({17, 33}, DType::Float32);
  expect_same(ops::binary(BinaryOp::Add, x, ops::transpose(y, 0, 1)),
              ops::binary(BinaryOp::Add, on_cuda(x), ops::transpose(on_cuda(y), 0, 1)), "strided");
  const Tensor big = random_cpu({100003}, DType::Float32);
  expect_same(ops::binary(BinaryOp::Mul, big, big),
              ops::binary(BinaryOp::Mul, on_cuda(big), on_cuda(big)), "dense tail");
  // In place on a view.
  Tensor h = random_cpu({6, 6}, DType::Float64);
  Tensor d = on_cuda(h);
  ops::binary_scalar_(BinaryOp::Add, ops::slice(h, 1, 1, 5, 2), Scalar::from_int(10));
  ops::binary_scalar_(BinaryOp::Add, ops::slice(d, 1, 1, 5, 2), Scalar::from_int(10));
  expect_same(h, d, "in place on a strided view");
}

TEST(Cuda, UnaryAndComparisons) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    const Tensor a = random_cpu({5, 7}, t), b = random_cpu({5, 7}, t);
    const Tensor ac = on_cuda(a), bc = on_cuda(b);
    expect_same(ops::unary(ops::UnaryOp::Neg, a), ops::unary(ops::UnaryOp::Neg, ac), "neg");
    expect_same(ops::unary(ops::UnaryOp::Exp, a), ops::unary(ops::UnaryOp::Exp, ac), "exp");
    expect_same(ops::unary(ops::UnaryOp::Log, a), ops::unary(ops::UnaryOp::Log, ac),
                "log (NaN below 0)");
    for (ops::CompareOp op : {ops::CompareOp::Eq, ops::CompareOp::Lt, ops::CompareOp::Ge}) {
      expect_same(ops::compare(op, a, b), ops::compare(op, ac, bc), "compare");
      expect_same(ops::compare_scalar(op, a, Scalar::from_float(0.25)),
                  ops::compare_scalar(op, ac, Scalar::from_float(0.25)), "compare scalar");
    }
    expect_same(ops::relu(a), ops::relu(ac), "relu");
    expect_same(ops::threshold_backward(b, a, Scalar::from_int(0)),
                ops::threshold_backward(bc, ac, Scalar::from_int(0)), "relu backward");
  }
  const Tensor i = random_cpu({9}, DType::Int64);
  expect_same(ops::compare_scalar(ops::CompareOp::Lt, i, Scalar::from_float(0.5)),
              ops::compare_scalar(ops::CompareOp::Lt, on_cuda(i), Scalar::from_float(0.5)),
              "integer against a fraction");
}

TEST(Cuda, SumAndMeanOverAnyDims) {
  REQUIRE_CUDA();
  const std::vector<std::vector<int64_t>> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {-1, 0}};
  for (DType t : kAll) {
    const Tensor a = random_cpu({6, 700, 3}, t);
    const Tensor ac = on_cuda(a);
    for (const auto& dims : dim_sets) {
      for (bool keep : {false, true}) {
        expect_same(ops::sum(a, dims, keep), ops::sum(ac, dims, keep),
                    std::string("sum ") + dtype_name(t), is_floating(t) ? 5 * tolerance(t) : 0);
        if (is_floating(t))
          expect_same(ops::mean(a, dims, keep), ops::mean(ac, dims, keep), "mean",
                      5 * tolerance(t));
      }
    }
  }
  // Strided input, a full reduction that spans many blocks, and nothing to reduce.
  const Tensor x = random_cpu({300, 500}, DType::Float64);
  expect_same(ops::sum(ops::transpose(x, 0, 1), std::vector<int64_t>{0}, false),
              ops::sum(ops::transpose(on_cuda(x), 0, 1), std::vector<int64_t>{0}, false),
              "strided sum");
  const Tensor big = random_cpu({1 << 20}, DType::Float32);
  expect_same(ops::sum(big, {}, false), ops::sum(on_cuda(big), {}, false), "big sum", 1e-4);
  const Tensor none = ops::zeros({0, 4}, DType::Float32, kCpu);
  expect_same(ops::sum(none, std::vector<int64_t>{0}, false),
              ops::sum(on_cuda(none), std::vector<int64_t>{0}, false), "empty sum");
  expect_same(ops::mean(none, {}, false), ops::mean(on_cuda(none), {}, false), "empty mean is NaN");
}

TEST(Cuda, MatmulAndLinear) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    const double tol = t == DType::Float32 ? 1e-4 : t == DType::Float64 ? 1e-10 : 3e-2;
    const Tensor a = random_cpu({7, 13}, t), b = random_cpu({13, 5}, t);
    const Tensor ac = on_cuda(a), bc = on_cuda(b);
    expect_same(ops::matmul(a, b), ops::matmul(ac, bc), "mm", tol);
    // Transposed operands are read in place (op T), batched with broadcast batch dims.
    expect_same(ops::matmul(ops::transpose(b, 0, 1), ops::transpose(a, 0, 1)),
                ops::matmul(ops::transpose(bc, 0, 1), ops::transpose(ac, 0, 1)), "mm^T", tol);
    const Tensor x = random_cpu({2, 3, 4, 6}, t), y = random_cpu({3, 6, 2}, t);
    expect_same(ops::matmul(x, y), ops::matmul(on_cuda(x), on_cuda(y)), "batched broadcast", tol);
    const Tensor v = random_cpu({13}, t);
    expect_same(ops::matmul(a, v), ops::matmul(ac, on_cuda(v)), "mv", tol);
    // A sliced operand with no unit stride is copied first.
    const Tensor s = ops::slice(random_cpu({14, 10}, t), 0, 0, 14, 2);  // 7 x 10, row stride 20
    const Tensor s2 = ops::slice(s, 1, 0, 10, 2);                       // 7 x 5, strides (20, 2)
    expect_same(ops::matmul(ops::transpose(s2, 0, 1), a),
                ops::matmul(ops::transpose(on_cuda(s2), 0, 1), ac), "copied operand", tol);
    const Tensor w = random_cpu({9, 13}, t), bias = random_cpu({9}, t);
    expect_same(ops::linear(a, w, bias), ops::linear(ac, on_cuda(w), on_cuda(bias)), "linear", tol);
    expect_same(ops::linear(a, w, Tensor()), ops::linear(ac, on_cuda(w), Tensor()),
                "linear, no bias", tol);
  }
  const Tensor i = random_cpu({2, 2}, DType::Int64);
  try {
    ops::matmul(on_cuda(i), on_cuda(i));
    ADD_FAILURE() << "integer matmul on cuda should fail";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos) << e.what();
  }
}

TEST(Cuda, SoftmaxNllLossAndArgmax) {
  REQUIRE_CUDA();
  for (DType t : {DType::Float32, DType::Float64}) {
    for (const DimVector& shape : {DimVector{64, 10}, DimVector{3, 2000}, DimVector{4, 5, 6}}) {
      const Tensor x = random_cpu(shape, t), g = random_cpu(shape, t);
      const Tensor xc = on_cuda(x), gc = on_cuda(g);
      for (int64_t dim : {int64_t{-1}, int64_t{1}}) {
        const Tensor y = ops::log_softmax(x, dim), yc = ops::log_softmax(xc, dim);
        expect_same(y, yc, "log_softmax");
        expect_same(ops::log_softmax_backward(g, y, dim), ops::log_softmax_backward(gc, yc, dim),
                    "log_softmax backward");
        const Tensor s = ops::softmax(x, dim), sc = ops::softmax(xc, dim);
        expect_same(s, sc, "softmax");
        expect_same(ops::softmax_backward(g, s, dim), ops::softmax_backward(gc, sc, dim),
                    "softmax backward");
        expect_same(ops::argmax(x, dim, false), ops::argmax(xc, dim, false), "argmax", 0);
      }
    }
    const Tensor logp = ops::log_softmax(random_cpu({64, 10}, t), 1);
    Tensor target = ops::to_dtype(
        ops::binary_scalar(ops::BinaryOp::Mul, ops::rand({64}, DType::Float64, kCpu, gen()),
                           Scalar::from_int(10)),
        DType::Int64);
    target->data_as<int64_t>()[3] = -100;  // ignored
    const Tensor weight = ops::rand({10}, t, kCpu, gen());
    for (auto r : {ops::Reduction::None, ops::Reduction::Mean, ops::Reduction::Sum}) {
      for (const Tensor& w : {Tensor(), weight}) {
        const Tensor wc = w ? on_cuda(w) : Tensor();
        auto [loss, tw] = ops::nll_loss(logp, target, w, r, -100);
        auto [lossc, twc] = ops::nll_loss(on_cuda(logp), on_cuda(target), wc, r, -100);
        expect_same(loss, lossc, "nll_loss");
        expect_same(tw, twc, "total weight");
        const Tensor g = r == ops::Reduction::None
                             ? random_cpu({64}, t)
                             : ops::full({}, Scalar::from_float(0.7), t, kCpu);
        expect_same(
            ops::nll_loss_backward(g, logp, target, w, r, -100, tw),
            ops::nll_loss_backward(on_cuda(g), on_cuda(logp), on_cuda(target), wc, r, -100, twc),
            "nll_loss backward");
      }
    }
    // A target out of range is an error naming it at the next synchronising call (the kernel
    // reports it through the device's error word instead of stopping), and the device stays usable.
    target->data_as<int64_t>()[5] = 10;
    try {
      ops::nll_loss(on_cuda(logp), on_cuda(target), Tensor(), ops::Reduction::Mean, -100);
      synchronize(kCuda);
      ADD_FAILURE() << "out-of-range target accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("target 10 of sample 5"), std::string::npos) << e.what();
    }
    synchronize(kCuda);
  }
}

TEST(Cuda, OptimizerStepsMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : {DType::Float32, DType::Float64}) {
    for (bool nesterov : {false, true}) {
      Tensor p = random_cpu({1000}, t), g = random_cpu({1000}, t),
             buf = ops::zeros({1000}, t, kCpu);
      Tensor pc = on_cuda(p), gc = on_cuda(g), bufc = on_cuda(buf);
      ops::SgdOptions o{0.1, 0.9, 0.0, 0.01, nesterov, false, true};
      for (int step = 0; step < 3; ++step) {
        ops::sgd_step(std::span(&p, 1), std::span(&g, 1), std::span(&buf, 1), o);
        ops::sgd_step(std::span(&pc, 1), std::span(&gc, 1), std::span(&bufc, 1), o);
        o.first_step = false;
      }
      expect_same(p, pc, "sgd");
      expect_same(buf, bufc, "sgd momentum");
    }
    for (bool amsgrad : {false, true}) {
      Tensor p = random_cpu({1000}, t), g = random_cpu({1000}, t);
      Tensor m = ops::zeros({1000}, t, kCpu), v = ops::zeros({1000}, t, kCpu),
             vm = ops::zeros({1000}, t, kCpu);
      Tensor pc = on_cuda(p), gc = on_cuda(g), mc = on_cuda(m), vc = on_cuda(v), vmc = on_cuda(vm);
      ops::AdamOptions o;
      o.weight_decay = 0.01;
      o.amsgrad = amsgrad;
      for (int64_t step = 1; step <= 3; ++step) {
        o.step = step;
        ops::adam_step(std::span(&p, 1), std::span(&g, 1), std::span(&m, 1), std::span(&v, 1),
                       std::span(&vm, 1), o);
        ops::adam_step(std::span(&pc, 1), std::span(&gc, 1), std::span(&mc, 1), std::span(&vc, 1),
                       std::span(&vmc, 1), o);
      }
      expect_same(p, pc, "adam");
      expect_same(v, vc, "adam second moment");
    }
  }
}

// Many parameters in one call take the multi-tensor kernels: 30 of them (more than one launch's
// table), sizes from empty to several blocks' chunks, float32 and float64 mixed (one launch per
// run of a dtype); every one must equal the CPU's per-parameter steps.
TEST(Cuda, MultiTensorOptimizerStepsMatchTheCpu) {
  REQUIRE_CUDA();
  const int64_t sizes[] = {0, 1, 7, 8192, 8193, 30000, 3, 512};
  std::vector<Tensor> p, g, s0, s1, s2, pc, gc, s0c, s1c, s2c;
  for (int i = 0; i < 30; ++i) {
    const DType t = i % 7 == 3 ? DType::Float64 : DType::Float32;
    const int64_t n = sizes[i % 8];
    p.push_back(random_cpu({n}, t));
    g.push_back(random_cpu({n}, t));
    s0.push_back(ops::zeros({n}, t, kCpu));
    s1.push_back(ops::zeros({n}, t, kCpu));
    s2.push_back(ops::zeros({n}, t, kCpu));
    for (auto [cpu, gpu] : {std::pair{&p, &pc}, {&g, &gc}, {&s0, &s0c}, {&s1, &s1c}, {&s2, &s2c}})
      gpu->push_back(on_cuda(cpu->back()));
  }
  ops::SgdOptions o{0.1, 0.9, 0.1, 0.01, false, false, true};
  for (int step = 0; step < 3; ++step) {
    ops::sgd_step(p, g, s0, o);
    ops::sgd_step(pc, gc, s0c, o);
    o.first_step = false;
  }
  for (size_t i = 0; i < p.size(); ++i) {
    expect_same(p[i], pc[i], "multi-tensor sgd");
    expect_same(s0[i], s0c[i], "multi-tensor sgd momentum");
  }
  ops::AdamOptions a;
  a.weight_decay = 0.01;
  a.amsgrad = true;
  for (int64_t step = 1; step <= 3; ++step) {
    a.step = step;
    ops::adam_step(p, g, s0, s1, s2, a);
    ops::adam_step(pc, gc, s0c, s1c, s2c, a);
  }
  for (size_t i = 0; i < p.size(); ++i) {
    expect_same(p[i], pc[i], "multi-tensor adam");
    expect_same(s1[i], s1c[i], "multi-tensor adam second moment");
    expect_same(s2[i], s2c[i], "multi-tensor adam max second moment");
  }
}

// The gradients' zeroing in one launch: float32 and float64 runs, empty tensors, and the int64
// and non-contiguous entries that make the meta fall back to one fill per tensor.
TEST(Cuda, ForeachZeroMatchesTheCpu) {
  REQUIRE_CUDA();
  std::vector<Tensor> ts;
  for (int i = 0; i < 30; ++i)
    ts.push_back(
        on_cuda(random_cpu({i % 5 == 0 ? 0 : 9000 + i}, i % 4 ? DType::Float32 : DType::Float64)));
  ops::foreach_zero_(ts);
  for (const Tensor& t : ts)
    expect_same(ops::zeros(t->sizes(), t->dtype(), kCpu), t, "foreach_zero_");
  std::vector<Tensor> mixed = {on_cuda(random_cpu({7}, DType::Int64)),
                               ops::transpose(on_cuda(random_cpu({3, 5}, DType::Float32)), 0, 1),
                               on_cuda(random_cpu({4}, DType::Float32))};
  ops::foreach_zero_(mixed);
  for (const Tensor& t : mixed)
    expect_same(ops::zeros(t->sizes(), t->dtype(), kCpu), t, "foreach_zero_ mixed");
}

TEST(Cuda, AllocatorCachesAndReports) {
  REQUIRE_CUDA();
  synchronize(kCuda);
  empty_cache(kCuda);
  const ember_memory_stats before = memory_stats(kCuda);
  {
    Tensor t = ops::zeros({1 << 20}, DType::Float32, kCuda);
    const ember_memory_stats during = memory_stats(kCuda);
    EXPECT_GE(during.allocated, before.allocated + (4 << 20));
    EXPECT_GE(during.peak_allocated, during.allocated);
  }
  const ember_memory_stats after = memory_stats(kCuda);
  EXPECT_EQ(after.allocated, before.allocated);
  EXPECT_GE(after.reserved, before.reserved + (4 << 20)) << "the freed block stays cached";
  empty_cache(kCuda);
  EXPECT_EQ(memory_stats(kCuda).reserved, memory_stats(kCuda).allocated);
  // Far more than any GPU holds: an out-of-memory error with the allocator's numbers.
  try {
    empty({int64_t{1} << 45}, DType::Float32, kCuda);
    ADD_FAILURE() << "a 128 TiB tensor was allocated";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_OUT_OF_MEMORY);
    EXPECT_NE(std::string(e.what()).find("reserved by Ember"), std::string::npos) << e.what();
  }
  EXPECT_GE(memory_stats(kCuda).num_ooms, 1);
  Tensor still = ops::full({4}, Scalar::from_int(1), DType::Float32, kCuda);
  EXPECT_EQ(values(still), std::vector<double>(4, 1.0));
}

}  // namespace
}  // namespace ember
