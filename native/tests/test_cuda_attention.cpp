// The CUDA plugin's fused scaled_dot_product_attention (forward, logsumexp and backward) against
// the CPU backend, which computes the reference in float64 from the same (rounded) inputs: float16
// and bfloat16 run on tensor cores, so their bounds follow those dtypes' rounding of the
// probabilities. Skips without the plugin (see cuda_test_util.h).
#include <cmath>
#include <string>

#include "core/attention.h"
#include "core/generator.h"
#include "core/nn_ops.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

enum class Mask { None, Bool, Additive, KeyPadding };

struct Case {
  DimVector q_batch, kv_batch;  // batch dims of q and of k / v (broadcast against each other)
  int64_t L, S, E, Ev;
  bool causal;
  Mask mask;
  double dropout;
};

std::string describe(const Case& c, DType t) {
  return std::string(dtype_name(t)) + " L=" + std::to_string(c.L) + " S=" + std::to_string(c.S) +
         " E=" + std::to_string(c.E) + " Ev=" + std::to_string(c.Ev) + (c.causal ? " causal" : "") +
         (c.mask == Mask::Bool         ? " bool mask"
          : c.mask == Mask::Additive   ? " additive mask"
          : c.mask == Mask::KeyPadding ? " key padding mask"
                                       : "") +
         (c.dropout > 0 ? " dropout" : "");
}

DimVector with(const DimVector& batch, int64_t a, int64_t b) {
  DimVector d = batch;
  d.push_back(a);
  d.push_back(b);
  return d;
}

// |got - want| <= tol * (1 + |want|) everywhere, NaN where want is NaN, the same infinity where
// want is infinite; got in any dtype/device.
void expect_close(const Tensor& want, const Tensor& got, double tol, const std::string& what) {
  ASSERT_EQ(want->sizes(), got->sizes()) << what;
  const std::vector<double> a = values(want), b = values(got);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      ASSERT_TRUE(std::isnan(b[i])) << what << " at " << i;
      continue;
    }
    if (std::isinf(a[i])) {  // the logsumexp of a fully masked row
      ASSERT_EQ(b[i], a[i]) << what << " at " << i;
      continue;
    }
    ASSERT_NEAR(b[i], a[i], tol * (1 + std::abs(a[i]))) << what << " at " << i;
  }
}

// As expect_close with the bound scaled by the largest reference value (gradients are sums over
// a whole sequence whose rounding follows the size of the terms).
void expect_close_sums(const Tensor& want, const Tensor& got, double tol, const std::string& what) {
  double largest = 0;
  for (double v : values(want)) largest = std::max(largest, std::isnan(v) ? 0 : std::abs(v));
  expect_close(want, got, tol * (1 + largest), what);
}

struct Tolerance {
  double out, grad;
};

Tolerance tolerance_of(DType t) {
  switch (t) {
    case DType::Float16:
      return {4e-3, 1e-2};
    case DType::BFloat16:
      return {3e-2, 6e-2};
    case DType::Float32:
      return {2e-5, 1e-4};
    default:
      return {1e-11, 1e-10};
  }
}

Tensor f64(const Tensor& t) { return t ? ops::to_dtype(t, DType::Float64) : Tensor(); }

void run_case(const Case& c, DType t) {
  const std::string what = describe(c, t);
  SCOPED_TRACE(what);
  const Tensor q = random_cpu(with(c.q_batch, c.L, c.E), t);
  const Tensor k = random_cpu(with(c.kv_batch, c.S, c.E), t);
  const Tensor v = random_cpu(with(c.kv_batch, c.S, c.Ev), t);
  const DimVector out_batch = c.q_batch.size() >= c.kv_batch.size() ? c.q_batch : c.kv_batch;
  Tensor mask;
  if (c.mask == Mask::Bool) {
    // (L, S), broadcast over the batch; key 0 stays visible, so no row is fully masked.
    mask = ops::compare_scalar(ops::CompareOp::Gt, random_cpu({c.L, c.S}, DType::Float32),
                               Scalar::from_float(-0.6));
    ops::fill_(ops::slice(mask, 1, 0, 1, 1), Scalar::from_int(1));
  } else if (c.mask == Mask::Additive) {
    // (1, L, S): per-head broadcast of the leading batch dim, in q's dtype.
    mask = random_cpu({1, c.L, c.S}, t);
  } else if (c.mask == Mask::KeyPadding) {
    // (batch..., 1, S): keys hidden per batch element, the same for every query row.
    mask =
        ops::compare_scalar(ops::CompareOp::Gt, random_cpu(with(out_batch, 1, c.S), DType::Float32),
                            Scalar::from_float(-0.5));
    ops::fill_(ops::slice(mask, -1, 0, 1, 1), Scalar::from_int(1));
  }
  const Tensor grad_out = random_cpu(with(out_batch, c.L, c.Ev), t);

  Generator g_cpu(77), g_gpu(77);
  const ops::SdpaResult want = ops::scaled_dot_product_attention(
      f64(q), f64(k), f64(v), mask && mask->dtype() == DType::Bool ? mask : f64(mask), c.dropout,
      c.causal, NAN, g_cpu);
  const ops::SdpaResult got = ops::scaled_dot_product_attention(on_cuda(q), on_cuda(k), on_cuda(v),
                                                                mask ? on_cuda(mask) : Tensor(),
                                                                c.dropout, c.causal, NAN, g_gpu);
  ASSERT_EQ(got.out->device(), kCuda);
  ASSERT_EQ(got.out->dtype(), t);
  ASSERT_EQ(got.lse->dtype(), t == DType::Float64 ? DType::Float64 : DType::Float32);
  ASSERT_EQ(got.seed, want.seed);
  ASSERT_EQ(got.base, want.base);
  const Tolerance tol = tolerance_of(t);
  expect_close(want.out, got.out, tol.out, "out");
  expect_close(want.lse, got.lse, tol.out, "logsumexp");

  const ops::SdpaGrads gw = ops::scaled_dot_product_attention_backward(
      f64(grad_out), f64(q), f64(k), f64(v),
      mask && mask->dtype() == DType::Bool ? mask : f64(mask), want.out, want.lse, c.dropout,
      c.causal, NAN, want.seed, want.base);
  const ops::SdpaGrads gg = ops::scaled_dot_product_attention_backward(
      on_cuda(grad_out), on_cuda(q), on_cuda(k), on_cuda(v), mask ? on_cuda(mask) : Tensor(),
      got.out, got.lse, c.dropout, c.causal, NAN, got.seed, got.base);
  ASSERT_EQ(gg.grad_q->dtype(), t);
  expect_close_sums(gw.grad_q, gg.grad_q, tol.grad, "grad_q");
  expect_close_sums(gw.grad_k, gg.grad_k, tol.grad, "grad_k");
  expect_close_sums(gw.grad_v, gg.grad_v, tol.grad, "grad_v");
}

const Case kCases[] = {
    // Odd lengths against 64-row tiles, head dims of the common models.
    {{2, 3}, {2, 3}, 77, 130, 64, 64, false, Mask::None, 0},
    {{2, 3}, {2, 3}, 77, 130, 128, 128, false, Mask::None, 0},
    {{2, 3}, {2, 3}, 130, 77, 64, 64, true, Mask::None, 0},
    {{3}, {3}, 77, 77, 128, 128, true, Mask::None, 0},
    // Head dims that are not multiples of 16, Ev != E, single rows and keys.
    {{2}, {2}, 5, 7, 8, 3, false, Mask::None, 0},
    {{1}, {1}, 1, 1, 24, 40, false, Mask::None, 0},
    {{2}, {2}, 33, 19, 72, 40, true, Mask::None, 0},
    // Masks broadcast over the batch; keys and values shared by every head.
    {{2, 4}, {2, 1}, 70, 93, 64, 64, false, Mask::Bool, 0},
    {{2, 4}, {4}, 45, 150, 32, 48, false, Mask::Additive, 0},
    // Dropout regenerates the CPU's keep mask.
    {{2, 2}, {2, 2}, 50, 70, 64, 64, false, Mask::None, 0.25},
    {{2}, {2}, 66, 66, 32, 32, true, Mask::None, 0.4},
};

TEST(CudaAttention, MatchesTheCpuInEveryFloatingDtype) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const Case& c : kCases) {
      run_case(c, t);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(CudaAttention, LargeHeadDimsUseSmallerTiles) {
  REQUIRE_CUDA();
  // Head dims of 256 (192 in float64, whose backward tiles of 256 would not fit in shared memory)
  // need tiles of 32 or 16 rows.
  for (DType t : kFloats) {
    const int64_t e = t == DType::Float64 ? 192 : 256;
    run_case({{2}, {2}, 65, 90, e, e, false, Mask::None, 0}, t);
    if (::testing::Test::HasFatalFailure()) return;
    run_case({{1}, {1}, 40, 40, e, 200, true, Mask::None, 0}, t);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(CudaAttention, HeadDimsBeyondSharedMemoryAreAnErrorNamingTheOp) {
  REQUIRE_CUDA();
  // float64 with E = Ev = 256: the forward fits in tiles of 16 rows, the backward does not.
  const Tensor q = on_cuda(random_cpu({1, 20, 256}, DType::Float64));
  Generator gen(1);
  const ops::SdpaResult r =
      ops::scaled_dot_product_attention(q, q, q, Tensor(), 0, false, NAN, gen);
  try {
    ops::scaled_dot_product_attention_backward(q, q, q, q, Tensor(), r.out, r.lse, 0, false, NAN, 0,
                                               0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("scaled_dot_product_attention_backward"), std::string::npos) << m;
    EXPECT_NE(m.find("float64"), std::string::npos) << m;
    EXPECT_NE(m.find("E = 256"), std::string::npos) << m;
  }
}

TEST(CudaAttention, FullyMaskedRowsAreNaNWithMinusInfinityLogsumexp) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    const Tensor q = random_cpu({2, 20, 16}, t), k = random_cpu({2, 30, 16}, t);
    const Tensor v = random_cpu({2, 30, 16}, t);
    Tensor mask = ops::full({20, 30}, Scalar::from_int(1), DType::Bool, kCpu);
    ops::fill_(ops::select(mask, 0, 3), Scalar::from_int(0));
    Generator gen(1);
    const ops::SdpaResult want =
        ops::scaled_dot_product_attention(f64(q), f64(k), f64(v), mask, 0, false, NAN, gen);
    const ops::SdpaResult got = ops::scaled_dot_product_attention(
        on_cuda(q), on_cuda(k), on_cuda(v), on_cuda(mask), 0, false, NAN, gen);
    const std::vector<double> out = values(got.out), lse = values(got.lse);
    for (int64_t b = 0; b < 2; ++b) {
      EXPECT_TRUE(std::isnan(out[static_cast<size_t>((b * 20 + 3) * 16)])) << dtype_name(t);
      EXPECT_EQ(lse[static_cast<size_t>(b * 20 + 3)], -INFINITY) << dtype_name(t);
    }
    expect_close(want.out, got.out, tolerance_of(t).out, dtype_name(t));
  }
}

TEST(CudaAttention, MaskOfAnotherFloatingDtypeIsConverted) {
  REQUIRE_CUDA();
  // A float32 additive mask with float16 operands: the meta converts it to the operands' dtype.
  const Tensor q = random_cpu({2, 17, 32}, DType::Float16),
               k = random_cpu({2, 23, 32}, DType::Float16);
  const Tensor v = random_cpu({2, 23, 32}, DType::Float16);
  const Tensor mask = random_cpu({17, 23}, DType::Float32);
  Generator gen(1);
  const ops::SdpaResult want = ops::scaled_dot_product_attention(
      f64(q), f64(k), f64(v), f64(ops::to_dtype(mask, DType::Float16)), 0, false, NAN, gen);
  const ops::SdpaResult got = ops::scaled_dot_product_attention(on_cuda(q), on_cuda(k), on_cuda(v),
                                                                on_cuda(mask), 0, false, NAN, gen);
  expect_close(want.out, got.out, tolerance_of(DType::Float16).out, "out");
}

// ---- attention_mma*.cu and attention_wgmma*.cu: float16 and bfloat16, E = Ev = 64, 128 ----

const DType kHalves[] = {DType::Float16, DType::BFloat16};

const Case kMmaCases[] = {
    // Lengths that are not multiples of the 64-row tiles, both ways round; a single row.
    {{2, 3}, {2, 3}, 77, 200, 64, 64, false, Mask::None, 0},
    {{2, 3}, {2, 3}, 200, 77, 128, 128, false, Mask::None, 0},
    {{1}, {1}, 1, 1, 64, 64, false, Mask::None, 0},
    {{2}, {2}, 128, 192, 128, 128, false, Mask::None, 0},
    // Causal with L > S (late rows see every key), L < S, whole tiles, and tiles that cross.
    {{2, 2}, {2, 2}, 200, 77, 64, 64, true, Mask::None, 0},
    {{2, 2}, {2, 2}, 77, 200, 128, 128, true, Mask::None, 0},
    {{3}, {3}, 128, 128, 64, 64, true, Mask::None, 0},
    {{2}, {2}, 200, 200, 128, 128, true, Mask::None, 0},
    // Several backward steps of 128 query rows (E = 64), with a mask and with dropout.
    {{2}, {2}, 300, 150, 64, 64, false, Mask::Additive, 0},
    {{2}, {2}, 260, 300, 64, 64, true, Mask::None, 0.2},
    // Masks: (L, S) bool and (1, L, S) additive broadcast over the batch, keys and values shared
    // by the heads; (batch, 1, S) key padding broadcast over the rows.
    {{2, 4}, {2, 1}, 70, 93, 128, 128, false, Mask::Bool, 0},
    {{2, 4}, {4}, 45, 150, 64, 64, false, Mask::Additive, 0},
    {{2, 3}, {2, 3}, 77, 130, 128, 128, false, Mask::KeyPadding, 0},
    {{3}, {3}, 100, 65, 64, 64, false, Mask::KeyPadding, 0},
    // Several 128-row tiles both ways (the wgmma forward's), partial at both ends, causal with
    // L < S and L > S, and with a mask.
    {{2}, {2}, 330, 390, 128, 128, true, Mask::None, 0},
    {{2}, {2}, 390, 260, 64, 64, true, Mask::None, 0},
    {{2}, {2}, 257, 300, 128, 128, false, Mask::Bool, 0},
    // Dropout regenerates the CPU's keep mask, alone, causal and with a mask.
    {{2, 2}, {2, 2}, 50, 70, 128, 128, false, Mask::None, 0.25},
    {{2}, {2}, 66, 66, 64, 64, true, Mask::None, 0.4},
    {{2, 3}, {2, 3}, 77, 130, 64, 64, false, Mask::Bool, 0.3},
};

TEST(CudaAttention, RegisterTiledKernelsMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kHalves) {
    for (const Case& c : kMmaCases) {
      run_case(c, t);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

// out, logsumexp and the gradients of q, k and v as given (any layout, on the GPU) against the
// float64 CPU reference of their values.
void expect_matches(const Tensor& q, const Tensor& k, const Tensor& v, bool causal,
                    const std::string& what, double scale = NAN) {
  SCOPED_TRACE(what);
  const Tensor qc = ops::to_device(q, kCpu), kc = ops::to_device(k, kCpu);
  const Tensor vc = ops::to_device(v, kCpu);
  DimVector out_sizes = q->sizes();
  out_sizes[out_sizes.size() - 1] = v->size(v->dim() - 1);
  const Tensor grad_out = random_cpu(out_sizes, q->dtype());
  Generator gen(1);
  const ops::SdpaResult want =
      ops::scaled_dot_product_attention(f64(qc), f64(kc), f64(vc), Tensor(), 0, causal, scale, gen);
  const ops::SdpaResult got =
      ops::scaled_dot_product_attention(q, k, v, Tensor(), 0, causal, scale, gen);
  const Tolerance tol = tolerance_of(q->dtype());
  expect_close(want.out, got.out, tol.out, "out");
  expect_close(want.lse, got.lse, tol.out, "logsumexp");
  const ops::SdpaGrads gw =
      ops::scaled_dot_product_attention_backward(f64(grad_out), f64(qc), f64(kc), f64(vc), Tensor(),
                                                 want.out, want.lse, 0, causal, scale, 0, 0);
  const ops::SdpaGrads gg = ops::scaled_dot_product_attention_backward(
      on_cuda(grad_out), q, k, v, Tensor(), got.out, got.lse, 0, causal, scale, 0, 0);
  expect_close_sums(gw.grad_q, gg.grad_q, tol.grad, "grad_q");
  expect_close_sums(gw.grad_k, gg.grad_k, tol.grad, "grad_k");
  expect_close_sums(gw.grad_v, gg.grad_v, tol.grad, "grad_v");
}

TEST(CudaAttention, RegisterTiledKernelsTakeViewsScalesAndMisalignedOperands) {
  REQUIRE_CUDA();
  for (DType t : kHalves) {
    for (int64_t e : {64, 128}) {
      const std::string what = std::string(dtype_name(t)) + " E=" + std::to_string(e);
      // Heads 1..3 of 5: batch strides of the whole tensor and an offset of one head.
      const Tensor big = on_cuda(random_cpu({2, 5, 90, e}, t));
      const Tensor heads = ops::slice(big, 1, 1, 4, 1);
      expect_matches(heads, ops::slice(big, 1, 0, 3, 1), ops::slice(big, 1, 2, 5, 1), true,
                     what + " head slices");
      // (B, L, H, E) seen as (B, H, L, E): rows not contiguous, so the op copies them.
      const Tensor blhe = on_cuda(random_cpu({2, 70, 3, e}, t));
      const Tensor bhle = ops::transpose(blhe, 1, 2);
      expect_matches(bhle, bhle, bhle, false, what + " transposed");
      // Rows that start 8 bytes past a 16-byte boundary: attention.cu's kernel takes these.
      const int64_t n = 2 * 33 * e;
      const Tensor flat = on_cuda(random_cpu({n + 4}, t));
      const DimVector shape{2, 33, e};
      const Tensor odd = ops::view(ops::slice(flat, 0, 4, n + 4, 1), shape);
      expect_matches(odd, odd, odd, false, what + " misaligned");
      // An explicit scale; a negative one (the general kernel's, as the mma forward takes row
      // maxima before scaling).
      const Tensor q3 = on_cuda(random_cpu({3, 50, e}, t)), k3 = on_cuda(random_cpu({3, 70, e}, t));
      expect_matches(q3, k3, k3, true, what + " scale 0.3", 0.3);
      expect_matches(q3, k3, k3, false, what + " scale -0.2", -0.2);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(CudaAttention, RegisterTiledForwardGivesNaNForFullyMaskedRows) {
  REQUIRE_CUDA();
  for (DType t : kHalves) {
    for (int64_t e : {64, 128}) {
      const Tensor q = random_cpu({2, 70, e}, t), k = random_cpu({2, 90, e}, t);
      const Tensor v = random_cpu({2, 90, e}, t);
      Tensor mask = ops::full({70, 90}, Scalar::from_int(1), DType::Bool, kCpu);
      ops::fill_(ops::select(mask, 0, 3), Scalar::from_int(0));
      ops::fill_(ops::select(mask, 0, 66), Scalar::from_int(0));
      Generator gen(1);
      const ops::SdpaResult want =
          ops::scaled_dot_product_attention(f64(q), f64(k), f64(v), mask, 0, false, NAN, gen);
      const ops::SdpaResult got = ops::scaled_dot_product_attention(
          on_cuda(q), on_cuda(k), on_cuda(v), on_cuda(mask), 0, false, NAN, gen);
      const std::vector<double> out = values(got.out), lse = values(got.lse);
      for (int64_t b = 0; b < 2; ++b) {
        for (int64_t row : {3, 66}) {
          EXPECT_TRUE(std::isnan(out[static_cast<size_t>((b * 70 + row) * e)])) << dtype_name(t);
          EXPECT_EQ(lse[static_cast<size_t>(b * 70 + row)], -INFINITY) << dtype_name(t);
        }
      }
      expect_close(want.out, got.out, tolerance_of(t).out, dtype_name(t));
      expect_close(want.lse, got.lse, tolerance_of(t).out, dtype_name(t));
    }
  }
}

}  // namespace
}  // namespace ember
