// The CUDA plugin's normalization (layer, rms, batch, group norm), embedding, adaptive optimizer,
// arange and eye kernels against the CPU backend, through the public ops, in every dtype each op
// takes and on empty and odd sizes. Skips without the plugin (see cuda_test_util.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;

Tensor maybe_cuda(const Tensor& t) { return t ? on_cuda(t) : Tensor(); }

// Both results present or both absent; when present, equal within tol.
void expect_same_or_null(const Tensor& cpu, const Tensor& cuda, const std::string& what,
                         double tol = -1) {
  ASSERT_EQ(static_cast<bool>(cpu), static_cast<bool>(cuda)) << what;
  if (cpu) expect_same(cpu, cuda, what, tol);
}

// Random values of dtype, plus offset (a mean away from 0 tests the variance's precision).
Tensor random_at(const DimVector& sizes, DType dtype, double offset) {
  Tensor r = ops::binary_scalar(ops::BinaryOp::Add, random_cpu(sizes, DType::Float64),
                                Scalar::from_float(offset));
  return ops::to_dtype(r, dtype);
}

// Positive random values (exp of a normal), for variances and optimizer states.
Tensor positive(const DimVector& sizes, DType dtype) {
  return ops::to_dtype(ops::unary(ops::UnaryOp::Exp, random_cpu(sizes, DType::Float64)), dtype);
}

Tensor int64s(const std::vector<int64_t>& v) {
  Tensor t = empty({static_cast<int64_t>(v.size())}, DType::Int64, kCpu);
  std::copy(v.begin(), v.end(), t->data_as<int64_t>());
  return t;
}

// n indices in [0, rows), with repeats, deterministic.
std::vector<int64_t> some_indices(int64_t n, int64_t rows) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = (i * 7 + i / 3) % rows;
  return v;
}

std::string name_of(DType t) { return dtype_name(t); }

// ---- layer norm and rms norm ----

struct RowCase {
  DimVector x;
  std::vector<int64_t> normalized;
};

const RowCase kRowCases[] = {
    {{4, 1}, {1}},    {{3, 3}, {3}}, {{2, 1000}, {1000}},    {{3, 5000}, {5000}},
    {{1000, 3}, {3}}, {{0, 7}, {7}}, {{2, 3, 4, 5}, {4, 5}}, {{1, 1}, {1}},
};

TEST(CudaNorm, LayerAndRmsNormForwardAndBackwardMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const RowCase& c : kRowCases) {
      for (bool rms : {false, true}) {
        for (bool affine : {false, true}) {
          const std::string what = std::string(rms ? "rms_norm " : "layer_norm ") + name_of(t) +
                                   " " + std::to_string(c.x.size()) + "d " +
                                   std::to_string(c.normalized.back()) + (affine ? " affine" : "");
          const DimVector ns{std::span<const int64_t>(c.normalized)};
          const Tensor x = random_at(c.x, t, 3);
          const Tensor w = affine ? random_cpu(ns, t) : Tensor();
          const Tensor b = affine && !rms ? random_cpu(ns, t) : Tensor();
          const ops::NormResult rc = ops::layer_norm(x, c.normalized, w, b, 1e-5, rms);
          const ops::NormResult rg =
              ops::layer_norm(on_cuda(x), c.normalized, maybe_cuda(w), maybe_cuda(b), 1e-5, rms);
          // One element per row normalizes to rounding noise around 0: compare it absolutely.
          const double out_tol = c.normalized.back() == 1 && !rms && c.normalized.size() == 1
                                     ? std::max(tolerance(t), 1e-4)
                                     : -1;
          expect_same(rc.out, rg.out, what + " out", out_tol);
          expect_same_or_null(rc.mean, rg.mean, what + " mean");
          expect_same(rc.rstd, rg.rstd, what + " rstd");

          const Tensor g = random_cpu(c.x, t);
          const ops::NormGrads gc = ops::layer_norm_backward(g, x, c.normalized, rc.mean, rc.rstd,
                                                             w, rms, true, affine, affine && !rms);
          const ops::NormGrads gg =
              ops::layer_norm_backward(on_cuda(g), on_cuda(x), c.normalized, rg.mean, rg.rstd,
                                       maybe_cuda(w), rms, true, affine, affine && !rms);
          expect_same_or_null(gc.grad_x, gg.grad_x, what + " grad_x", out_tol);
          expect_same_or_null(gc.grad_w, gg.grad_w, what + " grad_w");
          expect_same_or_null(gc.grad_b, gg.grad_b, what + " grad_b");
          // Only the parameter gradients, without the input's.
          const ops::NormGrads pc = ops::layer_norm_backward(g, x, c.normalized, rc.mean, rc.rstd,
                                                             w, rms, false, true, !rms);
          const ops::NormGrads pg =
              ops::layer_norm_backward(on_cuda(g), on_cuda(x), c.normalized, rg.mean, rg.rstd,
                                       maybe_cuda(w), rms, false, true, !rms);
          EXPECT_FALSE(pg.grad_x) << what;
          expect_same_or_null(pc.grad_w, pg.grad_w, what + " grad_w alone");
          expect_same_or_null(pc.grad_b, pg.grad_b, what + " grad_b alone");
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
}

// ---- batch norm ----

const DimVector kBatchShapes[] = {{4, 3},       {2, 5, 7}, {3, 4, 5, 6},
                                  {2, 2, 1000}, {7, 1, 1}, {2, 1, 5000}};

TEST(CudaNorm, BatchNormTrainingUpdatesRunningStatsAsTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const DimVector& shape : kBatchShapes) {
      for (bool affine : {false, true}) {
        for (bool running : {false, true}) {
          const std::string what = "batch_norm train " + name_of(t) + " " +
                                   std::to_string(shape.size()) +
                                   "d c=" + std::to_string(shape[1]) + (affine ? " affine" : "") +
                                   (running ? " running" : "");
          const DimVector cs{shape[1]};
          const Tensor x = random_at(shape, t, -2);
          const Tensor w = affine ? random_cpu(cs, t) : Tensor();
          const Tensor b = affine ? random_cpu(cs, t) : Tensor();
          const Tensor rm = running ? random_cpu(cs, t) : Tensor();
          const Tensor rv = running ? positive(cs, t) : Tensor();
          const Tensor rm_g = maybe_cuda(rm), rv_g = maybe_cuda(rv);
          const ops::NormResult rc = ops::batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5);
          const ops::NormResult rg = ops::batch_norm(on_cuda(x), maybe_cuda(w), maybe_cuda(b), rm_g,
                                                     rv_g, true, 0.1, 1e-5);
          expect_same(rc.out, rg.out, what + " out");
          expect_same(rc.mean, rg.mean, what + " mean");
          expect_same(rc.rstd, rg.rstd, what + " rstd");
          expect_same_or_null(rm, rm_g, what + " running_mean");
          expect_same_or_null(rv, rv_g, what + " running_var");

          const Tensor g = random_cpu(shape, t);
          const ops::NormGrads gc =
              ops::batch_norm_backward(g, x, w, rc.mean, rc.rstd, true, true, affine, affine);
          const ops::NormGrads gg = ops::batch_norm_backward(
              on_cuda(g), on_cuda(x), maybe_cuda(w), rg.mean, rg.rstd, true, true, affine, affine);
          expect_same_or_null(gc.grad_x, gg.grad_x, what + " grad_x");
          expect_same_or_null(gc.grad_w, gg.grad_w, what + " grad_w");
          expect_same_or_null(gc.grad_b, gg.grad_b, what + " grad_b");
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
}

TEST(CudaNorm, BatchNormEvalUsesTheRunningStatsAsTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const DimVector& shape :
         {DimVector{4, 3}, DimVector{2, 5, 7}, DimVector{0, 3, 2}, DimVector{1, 6, 1}}) {
      const std::string what =
          "batch_norm eval " + name_of(t) + " " + std::to_string(shape.size()) + "d";
      const DimVector cs{shape[1]};
      const Tensor x = random_at(shape, t, 1);
      const Tensor w = random_cpu(cs, t), b = random_cpu(cs, t);
      const Tensor rm = random_cpu(cs, t), rv = positive(cs, t);
      const ops::NormResult rc = ops::batch_norm(x, w, b, rm, rv, false, 0.1, 1e-5);
      const ops::NormResult rg = ops::batch_norm(on_cuda(x), on_cuda(w), on_cuda(b), on_cuda(rm),
                                                 on_cuda(rv), false, 0.1, 1e-5);
      expect_same(rc.out, rg.out, what + " out");
      expect_same(rc.mean, rg.mean, what + " mean");
      expect_same(rc.rstd, rg.rstd, what + " rstd");
      const Tensor g = random_cpu(shape, t);
      const ops::NormGrads gc =
          ops::batch_norm_backward(g, x, w, rc.mean, rc.rstd, false, true, true, true);
      const ops::NormGrads gg = ops::batch_norm_backward(on_cuda(g), on_cuda(x), on_cuda(w),
                                                         rg.mean, rg.rstd, false, true, true, true);
      expect_same(gc.grad_x, gg.grad_x, what + " grad_x");
      expect_same(gc.grad_w, gg.grad_w, what + " grad_w");
      expect_same(gc.grad_b, gg.grad_b, what + " grad_b");
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// ---- group norm ----

struct GroupCase {
  DimVector x;
  int64_t groups;
};

const GroupCase kGroupCases[] = {
    {{2, 6, 5}, 3}, {{3, 4}, 2},       {{1, 8, 1000}, 4}, {{2, 4, 3, 3}, 1},
    {{2, 6, 2}, 6}, {{1, 2, 5000}, 2}, {{0, 4, 3}, 2},    {{2, 4, 0}, 2},
};

TEST(CudaNorm, GroupNormForwardAndBackwardMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : kFloats) {
    for (const GroupCase& c : kGroupCases) {
      for (bool affine : {false, true}) {
        const std::string what = "group_norm " + name_of(t) + " n=" + std::to_string(c.x[0]) +
                                 " c=" + std::to_string(c.x[1]) +
                                 " groups=" + std::to_string(c.groups) + (affine ? " affine" : "");
        const DimVector cs{c.x[1]};
        const Tensor x = random_at(c.x, t, 2);
        const Tensor w = affine ? random_cpu(cs, t) : Tensor();
        const Tensor b = affine ? random_cpu(cs, t) : Tensor();
        const ops::NormResult rc = ops::group_norm(x, c.groups, w, b, 1e-5);
        const ops::NormResult rg =
            ops::group_norm(on_cuda(x), c.groups, maybe_cuda(w), maybe_cuda(b), 1e-5);
        expect_same(rc.out, rg.out, what + " out");
        expect_same(rc.mean, rg.mean, what + " mean");
        expect_same(rc.rstd, rg.rstd, what + " rstd");

        const Tensor g = random_cpu(c.x, t);
        const ops::NormGrads gc =
            ops::group_norm_backward(g, x, rc.mean, rc.rstd, w, c.groups, true, true, true);
        const ops::NormGrads gg = ops::group_norm_backward(
            on_cuda(g), on_cuda(x), rg.mean, rg.rstd, maybe_cuda(w), c.groups, true, true, true);
        expect_same(gc.grad_x, gg.grad_x, what + " grad_x");
        expect_same(gc.grad_w, gg.grad_w, what + " grad_w");
        expect_same(gc.grad_b, gg.grad_b, what + " grad_b");
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// ---- embeddings ----

TEST(CudaEmbedding, BackwardSumsRowsWithPaddingAndFrequencyScalingAsTheCpu) {
  REQUIRE_CUDA();
  struct Case {
    int64_t n, rows, dim;
  };
  for (DType t : kFloats) {
    for (const Case& c :
         {Case{6, 4, 3}, Case{1000, 17, 5}, Case{3, 1000, 1}, Case{0, 5, 4}, Case{40, 9, 1000}}) {
      for (int64_t pad : {int64_t{-1}, int64_t{2}}) {
        for (bool freq : {false, true}) {
          const std::string what = "embedding_backward " + name_of(t) +
                                   " n=" + std::to_string(c.n) + " dim=" + std::to_string(c.dim) +
                                   " pad=" + std::to_string(pad) + (freq ? " freq" : "");
          // Indices of two dims where n splits in two, else one.
          const std::vector<int64_t> is = c.n > 0 && c.n % 2 == 0 ? std::vector<int64_t>{2, c.n / 2}
                                                                  : std::vector<int64_t>{c.n};
          const Tensor idx = ops::reshape(int64s(some_indices(c.n, c.rows)), is);
          DimVector gs = idx->sizes();
          gs.push_back(c.dim);
          const Tensor g = random_cpu(gs, t);
          const Tensor wc = ops::embedding_backward(g, idx, c.rows, pad, freq);
          const Tensor wg = ops::embedding_backward(on_cuda(g), on_cuda(idx), c.rows, pad, freq);
          // Rows summed in another order (atomics): a few roundings per duplicate.
          expect_same(wc, wg, what, tolerance(t) * 4);
          if (::testing::Test::HasFailure()) return;
        }
      }
    }
  }
}

TEST(CudaEmbedding, RenormScalesEachNamedRowOnceAsTheCpu) {
  REQUIRE_CUDA();
  for (DType t : {DType::Float32, DType::Float64}) {
    for (double p : {1.0, 2.0, 3.0, std::numeric_limits<double>::infinity()}) {
      for (int64_t dim : {int64_t{1}, int64_t{5}, int64_t{1000}}) {
        const std::string what = "embedding_renorm_ " + name_of(t) + " p=" + std::to_string(p) +
                                 " dim=" + std::to_string(dim);
        const Tensor wc = ops::to_dtype(
            ops::binary_scalar(ops::BinaryOp::Mul, random_cpu({12, dim}, DType::Float64),
                               Scalar::from_float(2)),
            t);
        const Tensor wg = on_cuda(wc);
        // Duplicates, and rows left out; max_norm below some rows' norms and above others'.
        const Tensor idx = int64s({3, 0, 3, 7, 11, 0, 5, 3});
        const double max_norm = dim == 1 ? 1.0 : p == 1 ? 1.5 * static_cast<double>(dim) : 2.5;
        ops::embedding_renorm_(wc, idx, max_norm, p);
        ops::embedding_renorm_(wg, on_cuda(idx), max_norm, p);
        expect_same(wc, wg, what);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(CudaEmbedding, BagsForwardAndBackwardMatchTheCpu) {
  REQUIRE_CUDA();
  const int64_t rows = 11;
  const std::vector<int64_t> idx_v = {1, 3, 0, 3, 2, 10, 4, 4, 2, 7, 3, 9, 0};
  const Tensor idx = int64s(idx_v);
  // Bags [0, 2) [2, 2) [2, 5) [5, 13), or with the last offset given: [.., 11) dropping the rest.
  const Tensor offsets = int64s({0, 2, 2, 5});
  const Tensor offsets_last = int64s({0, 2, 2, 5, 11});
  for (DType t : kFloats) {
    for (int64_t dim : {int64_t{1}, int64_t{3}, int64_t{1000}}) {
      for (ops::BagMode mode : {ops::BagMode::Sum, ops::BagMode::Mean, ops::BagMode::Max}) {
        for (int64_t pad : {int64_t{-1}, int64_t{3}}) {
          for (bool last : {false, true}) {
            for (bool psw : {false, true}) {
              if (psw && mode != ops::BagMode::Sum) continue;
              const std::string what =
                  "embedding_bag " + name_of(t) + " dim=" + std::to_string(dim) +
                  " mode=" + std::to_string(static_cast<int>(mode)) +
                  " pad=" + std::to_string(pad) + (last ? " last" : "") + (psw ? " psw" : "");
              const Tensor w = random_cpu({rows, dim}, t);
              const Tensor ps =
                  psw ? random_cpu({static_cast<int64_t>(idx_v.size())}, t) : Tensor();
              const Tensor& off = last ? offsets_last : offsets;
              const auto [oc, mc] = ops::embedding_bag(w, idx, off, mode, ps, last, pad);
              const auto [og, mg] = ops::embedding_bag(on_cuda(w), on_cuda(idx), on_cuda(off), mode,
                                                       maybe_cuda(ps), last, pad);
              expect_same(oc, og, what + " out");
              expect_same_or_null(mc, mg, what + " max_indices", 0);

              const Tensor g = random_cpu(oc->sizes(), t);
              const Tensor gc =
                  ops::embedding_bag_backward(g, idx, off, mc, rows, mode, ps, last, pad);
              const Tensor gg =
                  ops::embedding_bag_backward(on_cuda(g), on_cuda(idx), on_cuda(off), mg, rows,
                                              mode, maybe_cuda(ps), last, pad);
              expect_same(gc, gg, what + " grad_weight", tolerance(t) * 4);
              if (mode == ops::BagMode::Sum) {
                const Tensor pc =
                    ops::embedding_bag_per_sample_weights_backward(g, w, idx, off, last, pad);
                const Tensor pg = ops::embedding_bag_per_sample_weights_backward(
                    on_cuda(g), on_cuda(w), on_cuda(idx), on_cuda(off), last, pad);
                // A dot product of dim terms, summed in another order.
                expect_same(pc, pg, what + " grad_per_sample_weights",
                            tolerance(t) * (dim >= 1000 ? 20 : 4));
              }
              if (::testing::Test::HasFailure()) return;
            }
          }
        }
      }
    }
  }
}

TEST(CudaEmbedding, EmptyBagsAndNoIndicesGiveTheCpusZeros) {
  REQUIRE_CUDA();
  const Tensor w = random_cpu({4, 3}, DType::Float32);
  const Tensor idx = int64s({});
  const Tensor off = int64s({0, 0, 0});
  for (ops::BagMode mode : {ops::BagMode::Sum, ops::BagMode::Mean, ops::BagMode::Max}) {
    const auto [oc, mc] = ops::embedding_bag(w, idx, off, mode, Tensor(), false, -1);
    const auto [og, mg] =
        ops::embedding_bag(on_cuda(w), on_cuda(idx), on_cuda(off), mode, Tensor(), false, -1);
    expect_same(oc, og, "empty bags out");
    expect_same_or_null(mc, mg, "empty bags max_indices", 0);
    const Tensor g = random_cpu({3, 3}, DType::Float32);
    expect_same(ops::embedding_bag_backward(g, idx, off, mc, 4, mode, Tensor(), false, -1),
                ops::embedding_bag_backward(on_cuda(g), on_cuda(idx), on_cuda(off), mg, 4, mode,
                                            Tensor(), false, -1),
                "empty bags grad_weight");
  }
}

// ---- adaptive optimizers ----

// One optimizer step on the CPU and on the GPU from the same state; param and states compared.
template <class Step>
void check_step(const char* name, DType t, int64_t n, int states, Step step) {
  const std::string what = std::string(name) + " " + name_of(t) + " n=" + std::to_string(n);
  const Tensor p = random_cpu({n}, t), g = random_cpu({n}, t);
  std::vector<Tensor> sc, sg;
  for (int i = 0; i < states; ++i) {
    sc.push_back(positive({n}, t));
    sg.push_back(on_cuda(sc.back()));
  }
  const Tensor pg = on_cuda(p);
  step(std::vector<Tensor>{p}, std::vector<Tensor>{g}, sc);
  step(std::vector<Tensor>{pg}, std::vector<Tensor>{on_cuda(g)}, sg);
  expect_same(p, pg, what + " param");
  for (int i = 0; i < states; ++i) expect_same(sc[i], sg[i], what + " state " + std::to_string(i));
}

using List = std::vector<Tensor>;

TEST(CudaOptim, AdaptiveStepsMatchTheCpu) {
  REQUIRE_CUDA();
  for (DType t : {DType::Float32, DType::Float64}) {
    for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{3}, int64_t{1000}, int64_t{5000}}) {
      for (bool variant : {false, true}) {
        ops::AdagradOptions ag;
        ag.step = 3;
        ag.lr_decay = variant ? 0.1 : 0;
        ag.weight_decay = variant ? 0.01 : 0;
        ag.maximize = variant;
        check_step("adagrad", t, n, 1, [&](const List& p, const List& g, const List& s) {
          ops::adagrad_step(p, g, List{s[0]}, ag);
        });
        ops::RmspropOptions rp;
        rp.weight_decay = variant ? 0.01 : 0;
        rp.momentum = variant ? 0.9 : 0;
        rp.centered = variant;
        rp.maximize = variant;
        // Centered: grad_avg small enough that square_avg - grad_avg^2 stays positive.
        check_step("rmsprop", t, n, 3, [&](const List& p, const List& g, const List& s) {
          if (variant) {
            ops::binary_scalar_(ops::BinaryOp::Mul, s[1], Scalar::from_float(0.01));
            ops::binary_scalar_(ops::BinaryOp::Add, s[0], Scalar::from_float(1));
          }
          ops::rmsprop_step(p, g, List{s[0]}, variant ? List{s[1]} : List{},
                            variant ? List{s[2]} : List{}, rp);
        });
        ops::AdadeltaOptions ad;
        ad.weight_decay = variant ? 0.01 : 0;
        ad.maximize = variant;
        check_step("adadelta", t, n, 2, [&](const List& p, const List& g, const List& s) {
          ops::adadelta_step(p, g, List{s[0]}, List{s[1]}, ad);
        });
        ops::AdamaxOptions ax;
        ax.step = variant ? 7 : 1;
        ax.weight_decay = variant ? 0.01 : 0;
        ax.maximize = variant;
        check_step("adamax", t, n, 2, [&](const List& p, const List& g, const List& s) {
          ops::adamax_step(p, g, List{s[0]}, List{s[1]}, ax);
        });
        ops::NadamOptions na;
        na.step = variant ? 5 : 1;
        na.weight_decay = variant ? 0.01 : 0;
        na.mu_product = variant ? 0.5 : 0.9 * (1 - 0.5 * std::pow(0.96, 0.004));
        check_step("nadam", t, n, 2, [&](const List& p, const List& g, const List& s) {
          ops::nadam_step(p, g, List{s[0]}, List{s[1]}, na);
        });
        ops::RadamOptions ra;
        ra.step = variant ? 10 : 2;  // rectified from step 6 on with the default betas
        ra.weight_decay = variant ? 0.01 : 0;
        check_step("radam", t, n, 2, [&](const List& p, const List& g, const List& s) {
          ops::radam_step(p, g, List{s[0]}, List{s[1]}, ra);
        });
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// ---- arange and eye ----

TEST(CudaFactory, ArangeEqualsTheCpuInEveryDtype) {
  REQUIRE_CUDA();
  struct Range {
    Scalar start, end, step;
  };
  const Range ints[] = {
      {Scalar::from_int(0), Scalar::from_int(10), Scalar::from_int(1)},
      {Scalar::from_int(-3), Scalar::from_int(17), Scalar::from_int(2)},
      {Scalar::from_int(10), Scalar::from_int(-5), Scalar::from_int(-3)},
      {Scalar::from_int(5), Scalar::from_int(5), Scalar::from_int(1)},
      {Scalar::from_int(0), Scalar::from_int(5000), Scalar::from_int(1)},
  };
  const Range floats[] = {
      {Scalar::from_float(0.5), Scalar::from_float(7.3), Scalar::from_float(0.1)},
      {Scalar::from_float(1), Scalar::from_float(-2), Scalar::from_float(-0.3)},
      {Scalar::from_float(-1e3), Scalar::from_float(1e3), Scalar::from_float(0.7)},
  };
  for (DType t : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16, DType::Int64,
                  DType::Int32, DType::Int16, DType::Int8, DType::UInt8}) {
    for (const Range& r : ints) {
      expect_same(ops::arange(r.start, r.end, r.step, t, kCpu),
                  ops::arange(r.start, r.end, r.step, t, kCuda), "arange " + name_of(t), 0);
    }
    if (!is_floating(t)) continue;
    for (const Range& r : floats) {
      expect_same(ops::arange(r.start, r.end, r.step, t, kCpu),
                  ops::arange(r.start, r.end, r.step, t, kCuda), "arange " + name_of(t), 0);
    }
  }
}

TEST(CudaFactory, EyeEqualsTheCpuInEveryDtype) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    for (auto [n, m] :
         {std::pair<int64_t, int64_t>{0, 0}, {1, 1}, {3, 3}, {2, 5}, {5, 2}, {1000, 3}, {0, 4}}) {
      expect_same(ops::eye(n, m, t, kCpu), ops::eye(n, m, t, kCuda),
                  "eye " + name_of(t) + " " + std::to_string(n) + "x" + std::to_string(m), 0);
    }
  }
}

}  // namespace
}  // namespace ember
