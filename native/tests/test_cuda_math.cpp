// The CUDA math kernels against the CPU reference: every unary, binary and ternary math op, the
// reductions beyond sum/mean, min/max along a dim with indices, and the scans, in each dtype the op
// takes, on contiguous, transposed, broadcast and empty inputs with NaN and infinities planted.
// Which dtypes an op takes is the CPU's answer: where the CPU refuses, the GPU must refuse too.
// Without the plugin (EMBER_CUDA_PLUGIN) or a GPU every test skips and says why.
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "core/dispatch.h"
#include "core/ops_math.h"
#include "cuda_test_util.h"

namespace ember {
namespace {

using namespace cuda_test;
using ops::MathBinaryOp;
using ops::MathParams;
using ops::MathUnaryOp;

// GPU result equals the CPU one: same shape and dtype; integers and bools exactly, floats within
// the dtype's tolerance, with NaN and the infinities where the CPU has them.
void expect_match(const Tensor& cpu, const Tensor& cuda, const std::string& what, double tol = -1) {
  ASSERT_EQ(cuda->device(), kCuda) << what;
  ASSERT_EQ(cpu->dtype(), cuda->dtype()) << what;
  ASSERT_EQ(cpu->sizes(), cuda->sizes()) << what;
  if (!is_floating(cpu->dtype())) {
    const Tensor a = ops::to_dtype(ops::contiguous(cpu), DType::Int64);
    const Tensor b = ops::to_dtype(ops::contiguous(ops::to_device(cuda, kCpu)), DType::Int64);
    for (int64_t i = 0; i < a->numel(); ++i) {
      ASSERT_EQ(b->data_as<int64_t>()[i], a->data_as<int64_t>()[i])
          << what << " (" << dtype_name(cpu->dtype()) << ") at " << i;
    }
    return;
  }
  if (tol < 0) tol = tolerance(cpu->dtype());
  const std::vector<double> a = values(cpu), b = values(cuda);
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      ASSERT_TRUE(std::isnan(b[i])) << what << " at " << i << ": cuda " << b[i] << ", cpu NaN";
      continue;
    }
    if (a[i] == b[i]) continue;  // the infinities too
    ASSERT_LE(std::abs(b[i] - a[i]), tol * (1 + std::abs(a[i])))
        << what << " (" << dtype_name(cpu->dtype()) << ") at " << i << ": cuda " << b[i] << ", cpu "
        << a[i];
  }
}

// How many cases of the running test were compared and how many both devices refused, so that a
// test whose cases the CPU all refuses cannot pass unnoticed.
struct Tally {
  int compared = 0, refused = 0;
};
Tally g_tally;

// Expects at least `least` compared cases since the last call.
void expect_compared(int least) {
  EXPECT_GE(g_tally.compared, least) << g_tally.refused << " cases refused by both devices";
  std::printf("[ tally    ] %d compared, %d refused by both devices\n", g_tally.compared,
              g_tally.refused);
  g_tally = {};
}

// Runs op on the CPU input and on its copy on the GPU: the same result, or an error on both.
template <class Op>
void same_on_both(const std::string& what, Op op, const std::vector<Tensor>& inputs,
                  double tol = -1) {
  std::vector<Tensor> on_gpu;
  for (const Tensor& t : inputs) on_gpu.push_back(t ? on_cuda(t) : Tensor());
  Tensor cpu;
  try {
    cpu = op(inputs);
  } catch (const Error& e) {
    ++g_tally.refused;
    EXPECT_THROW(op(on_gpu), Error) << what << ": the CPU refuses (" << e.what() << ")";
    return;
  }
  ++g_tally.compared;
  expect_match(cpu, op(on_gpu), what, tol);
}

const double kPlanted[] = {std::numeric_limits<double>::quiet_NaN(),
                           std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(),
                           0.0,
                           -0.0,
                           0.5,
                           -0.5,
                           1.0,
                           -1.0,
                           2.5,
                           -2.5,
                           1.5,
                           30.0,
                           -30.0};

// Random values of dtype; the floating dtypes get NaN, +-inf, +-0, halves and +-1 first.
Tensor specials_cpu(const DimVector& sizes, DType dtype) {
  if (!is_floating(dtype)) return random_cpu(sizes, dtype);
  Tensor r = ops::randn(sizes, DType::Float64, kCpu, gen());
  double* p = r->data_as<double>();
  for (int64_t i = 0; i < r->numel() && i < static_cast<int64_t>(std::size(kPlanted)); ++i)
    p[i] = kPlanted[i];
  return ops::to_dtype(r, dtype);
}

// x * s + b on the CPU, in x's dtype.
Tensor affine(const Tensor& x, double s, double b) {
  return ops::binary_scalar(ops::BinaryOp::Add,
                            ops::binary_scalar(ops::BinaryOp::Mul, x, Scalar::from_float(s)),
                            Scalar::from_float(b));
}

MathParams params(std::initializer_list<Scalar> p) {
  MathParams m;
  size_t i = 0;
  for (const Scalar& s : p) m.p[i++] = s;
  return m;
}

Scalar f(double v) { return Scalar::from_float(v); }
Scalar n(int64_t v) { return Scalar::from_int(v); }

struct UnaryCase {
  MathUnaryOp op;
  MathParams p;
};

std::vector<UnaryCase> unary_cases() {
  using U = MathUnaryOp;
  std::vector<UnaryCase> c;
  for (U op :
       {U::Abs,         U::Sign,      U::Square,     U::Floor,      U::Ceil,      U::Trunc,
        U::Round,       U::Frac,      U::Reciprocal, U::Exp2,       U::Expm1,     U::Log2,
        U::Log10,       U::Log1p,     U::Sqrt,       U::Rsqrt,      U::Sin,       U::Cos,
        U::Tan,         U::Asin,      U::Acos,       U::Atan,       U::Sinh,      U::Cosh,
        U::Tanh,        U::Erf,       U::Erfc,       U::Erfinv,     U::Sigmoid,   U::Selu,
        U::Gelu,        U::GeluTanh,  U::Silu,       U::Mish,       U::Softsign,  U::LogSigmoid,
        U::Hardsigmoid, U::Hardswish, U::Tanhshrink, U::Relu6,      U::IsNan,     U::IsInf,
        U::IsPosInf,    U::IsNegInf,  U::IsFinite,   U::LogicalNot, U::BitwiseNot})
    c.push_back({op, {}});
  c.push_back({U::RoundDecimals, params({n(2)})});
  c.push_back({U::RoundDecimals, params({n(-1)})});
  c.push_back({U::Clamp, params({f(-0.5), f(0.7)})});
  c.push_back({U::Clamp, params({n(-3), n(4)})});
  MathParams only_max = params({Scalar{}, n(2)});
  only_max.has = {false, true, true};
  c.push_back({U::Clamp, only_max});
  c.push_back({U::Threshold, params({f(0.1), n(20)})});
  c.push_back({U::Threshold, params({n(3), n(-7)})});
  MathParams default_nan = params({f(0.0)});
  default_nan.has = {true, false, false};
  c.push_back({U::NanToNum, default_nan});
  c.push_back({U::NanToNum, params({f(1.5), f(100), f(-200)})});
  c.push_back({U::Hardtanh, params({f(-1), f(1)})});
  c.push_back({U::Hardtanh, params({n(-2), n(5)})});
  c.push_back({U::LeakyRelu, params({f(0.01)})});
  c.push_back({U::Elu, params({f(1), f(1), f(1)})});
  c.push_back({U::Elu, params({f(0.5), f(2), f(1.5)})});
  c.push_back({U::Celu, params({f(1.3)})});
  c.push_back({U::Softplus, params({f(1), f(20)})});
  c.push_back({U::Softplus, params({f(2), f(3)})});
  for (const Scalar& e : {n(2), n(3), n(0), f(0.5), f(2.5), f(-1.5), n(-2)})
    c.push_back({U::PowScalar, params({e})});
  return c;
}

TEST(CudaMath, EveryUnaryOpInEveryDtype) {
  REQUIRE_CUDA();
  const std::vector<UnaryCase> cases = unary_cases();
  // Every op of the enum has a case.
  for (int op = 0; op <= static_cast<int>(MathUnaryOp::BitwiseNot); ++op) {
    bool found = false;
    for (const UnaryCase& c : cases) found = found || static_cast<int>(c.op) == op;
    EXPECT_TRUE(found) << "no case for math unary op " << op;
  }
  for (const UnaryCase& c : cases) {
    const std::string name = ops::math_unary_name(c.op, false);
    for (DType t : kAll) {
      const Tensor a = specials_cpu({6, 7}, t);
      const std::string what = name + " " + dtype_name(t);
      auto run = [&](const std::vector<Tensor>& in) { return ops::math_unary(c.op, in[0], c.p); };
      same_on_both(what, run, {a});
      // A transposed (strided) input and an empty one.
      same_on_both(what + " transposed",
                   [&](const std::vector<Tensor>& in) {
                     return ops::math_unary(c.op, ops::transpose(in[0], 0, 1), c.p);
                   },
                   {a});
      same_on_both(what + " empty", run, {specials_cpu({0, 3}, t)});
    }
  }
  // A long dense input (the vectorised path with a ragged tail), in place on a view.
  const Tensor big = specials_cpu({100003}, DType::Float32);
  same_on_both("gelu long",
               [](const auto& in) { return ops::math_unary(MathUnaryOp::Gelu, in[0]); }, {big});
  Tensor h = specials_cpu({6, 6}, DType::Float64);
  Tensor d = on_cuda(h);
  ops::math_unary_(MathUnaryOp::Tanh, ops::slice(h, 1, 1, 5, 2));
  ops::math_unary_(MathUnaryOp::Tanh, ops::slice(d, 1, 1, 5, 2));
  expect_match(h, d, "tanh_ on a strided view");
  // In place where the result dtype differs from the kernel's (float16 through float32).
  Tensor hh = specials_cpu({5, 3}, DType::Float16);
  Tensor dh = on_cuda(hh);
  ops::math_unary_(MathUnaryOp::Sigmoid, hh);
  ops::math_unary_(MathUnaryOp::Sigmoid, dh);
  expect_match(hh, dh, "sigmoid_ float16");
  expect_compared(1500);
}

TEST(CudaMath, EveryBinaryOpBroadcastsInEveryDtype) {
  REQUIRE_CUDA();
  for (int op_i = 0; op_i < static_cast<int>(MathBinaryOp::IsClose); ++op_i) {
    const auto op = static_cast<MathBinaryOp>(op_i);
    for (DType t : kAll) {
      const std::string what = "math binary op " + std::to_string(op_i) + " " + dtype_name(t);
      const Tensor a = specials_cpu({4, 1, 6}, t);
      Tensor b = specials_cpu({3, 1}, t);
      if (t != DType::Bool && !is_floating(t)) {
        if (op == MathBinaryOp::Fmod || op == MathBinaryOp::Remainder) {
          b = affine(b, 2, 1);  // odd, never zero
        } else if (op == MathBinaryOp::Pow) {
          b = ops::math_binary_scalar(MathBinaryOp::Remainder, ops::math_unary(MathUnaryOp::Abs, b),
                                      n(5));  // 0..4
        }
      }
      auto run = [&](const std::vector<Tensor>& in) { return ops::math_binary(op, in[0], in[1]); };
      same_on_both(what, run, {a, b});
      same_on_both(what + " reversed", run, {b, a});
      same_on_both(what + " transposed",
                   [&](const std::vector<Tensor>& in) {
                     return ops::math_binary(op, ops::transpose(in[0], 0, 2), in[1]);
                   },
                   {specials_cpu({6, 1, 4}, t), b});
      for (const Scalar& s : {n(3), f(-1.5), Scalar::from_bool(true)}) {
        same_on_both(what + " scalar",
                     [&](const std::vector<Tensor>& in) {
                       return ops::math_binary_scalar(op, in[0], s, false);
                     },
                     {a});
        same_on_both(what + " reversed scalar",
                     [&](const std::vector<Tensor>& in) {
                       return ops::math_binary_scalar(op, in[0], s, true);
                     },
                     {b});
      }
      same_on_both(what + " empty", run, {specials_cpu({0, 6}, t), b});
    }
  }
  // In place on the GPU.
  Tensor h = specials_cpu({4, 6}, DType::Float32), g = specials_cpu({6}, DType::Float32);
  Tensor d = on_cuda(h);
  ops::math_binary_(MathBinaryOp::Maximum, h, g);
  ops::math_binary_(MathBinaryOp::Maximum, d, on_cuda(g));
  expect_match(h, d, "maximum_");
  expect_compared(900);
}

TEST(CudaMath, IntegerShiftsAndBitwiseOpsAtTheEdges) {
  REQUIRE_CUDA();
  // Shifts by negative amounts and by the width or more, bit patterns of every integer dtype.
  const std::vector<double> base = {1, -1, 5, -128, 127, 100, -77, 0, 3, 255};
  const std::vector<double> by = {-1, 0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 200};
  Tensor x = ops::zeros({static_cast<int64_t>(base.size()), 1}, DType::Float64, kCpu);
  Tensor s = ops::zeros({static_cast<int64_t>(by.size())}, DType::Float64, kCpu);
  for (size_t i = 0; i < base.size(); ++i) x->data_as<double>()[i] = base[i];
  for (size_t i = 0; i < by.size(); ++i) s->data_as<double>()[i] = by[i];
  for (DType t : {DType::Int64, DType::Int32, DType::Int16, DType::Int8, DType::UInt8}) {
    const Tensor xt = ops::to_dtype(x, t), st = ops::to_dtype(s, t);
    for (MathBinaryOp op :
         {MathBinaryOp::LeftShift, MathBinaryOp::RightShift, MathBinaryOp::BitwiseAnd,
          MathBinaryOp::BitwiseOr, MathBinaryOp::BitwiseXor}) {
      same_on_both(std::string("shift/bitwise ") + dtype_name(t),
                   [&](const auto& in) { return ops::math_binary(op, in[0], in[1]); }, {xt, st});
    }
    same_on_both(std::string("bitwise_not ") + dtype_name(t),
                 [](const auto& in) { return ops::math_unary(MathUnaryOp::BitwiseNot, in[0]); },
                 {xt});
  }
  expect_compared(30);
}

TEST(CudaMath, IntegerDivisionByZeroAndNegativePowersAreErrors) {
  REQUIRE_CUDA();
  const Tensor a = on_cuda(random_cpu({5, 4}, DType::Int32));
  const Tensor zero = on_cuda(ops::zeros({4}, DType::Int32, kCpu));
  for (MathBinaryOp op : {MathBinaryOp::Fmod, MathBinaryOp::Remainder}) {
    try {
      ops::math_binary(op, a, zero);
      ADD_FAILURE() << "integer division by zero accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("ZeroDivisionError"), std::string::npos) << e.what();
    }
  }
  const Tensor two = on_cuda(ops::full({3}, n(2), DType::Int64, kCpu));
  const Tensor minus = on_cuda(ops::full({3}, n(-1), DType::Int64, kCpu));
  try {
    ops::math_binary(MathBinaryOp::Pow, two, minus);
    ADD_FAILURE() << "2 ** -1 accepted for integers";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("negative integer powers"), std::string::npos) << e.what();
  }
  // 1 and -1 have negative integer powers, and the device stays usable.
  const Tensor ones = on_cuda(ops::full({3}, n(-1), DType::Int64, kCpu));
  expect_match(
      ops::math_binary(MathBinaryOp::Pow, ops::to_device(ones, kCpu), ops::to_device(minus, kCpu)),
      ops::math_binary(MathBinaryOp::Pow, ones, minus), "(-1) ** -1");
  // In place, the divisor is checked before anything is written: the input stays as it was.
  Tensor target = on_cuda(random_cpu({5, 4}, DType::Int32));
  const Tensor before = ops::to_device(target, kCpu);
  EXPECT_THROW(ops::math_binary_(MathBinaryOp::Fmod, target, zero), Error);
  expect_match(before, target, "fmod_ by zero leaves its input");
  const Tensor three = on_cuda(ops::full({4}, n(3), DType::Int32, kCpu));
  ops::math_binary_(MathBinaryOp::Remainder, target, three);
  expect_match(ops::math_binary(MathBinaryOp::Remainder, before, ops::to_device(three, kCpu)),
               target, "remainder_");
}

TEST(CudaMath, IsCloseWithTolerancesAndNaN) {
  REQUIRE_CUDA();
  // allclose and equal read their answer back to the host.
  const Tensor x = random_cpu({4, 3}, DType::Float32);
  const Tensor nudged = affine(x, 1, 1e-4);
  EXPECT_TRUE(ops::allclose(on_cuda(x), on_cuda(nudged), 1e-5, 1e-3, false));
  EXPECT_FALSE(ops::allclose(on_cuda(x), on_cuda(affine(x, 1, 0.1)), 1e-5, 1e-3, false));
  EXPECT_TRUE(ops::equal(on_cuda(x), on_cuda(x)));
  EXPECT_FALSE(ops::equal(on_cuda(x), on_cuda(nudged)));
  for (DType t : kAll) {
    const Tensor a = specials_cpu({7, 5}, t);
    const Tensor b =
        is_floating(t) ? ops::binary(ops::BinaryOp::Add, a, affine(random_cpu({7, 5}, t), 1e-3, 0))
                       : random_cpu({7, 5}, t);
    for (bool equal_nan : {false, true}) {
      same_on_both(
          std::string("isclose ") + dtype_name(t),
          [&](const auto& in) { return ops::isclose(in[0], in[1], 1e-3, 1e-4, equal_nan); },
          {a, b});
      same_on_both(std::string("isclose with itself ") + dtype_name(t),
                   [&](const auto& in) { return ops::isclose(in[0], in[0], 0, 0, equal_nan); },
                   {a});
    }
  }
  expect_compared(40);
}

TEST(CudaMath, TernaryOpsBroadcast) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string dt = dtype_name(t);
    const Tensor x = specials_cpu({4, 1, 6}, t), y = specials_cpu({3, 1}, t),
                 z = specials_cpu({1, 6}, t);
    const Tensor cond = ops::compare_scalar(ops::CompareOp::Gt, random_cpu({3, 6}, DType::Float32),
                                            Scalar::from_int(0));
    same_on_both("where " + dt, [](const auto& in) { return ops::where(in[0], in[1], in[2]); },
                 {cond, x, y});
    same_on_both(
        "where uint8 condition " + dt,
        [](const auto& in) { return ops::where(in[0], ops::transpose(in[1], 0, 2), in[2]); },
        {ops::to_dtype(cond, DType::UInt8), specials_cpu({6, 1, 4}, t), z});
    same_on_both("clamp " + dt,
                 [](const auto& in) { return ops::clamp_tensor(in[0], in[1], in[2]); },
                 {x, y, affine(z, 1, 1)});
    same_on_both("clamp min only " + dt,
                 [](const auto& in) { return ops::clamp_tensor(in[0], in[1], Tensor()); }, {x, y});
    for (const Scalar& v : {n(2), f(-1.5)}) {
      same_on_both("addcmul " + dt,
                   [&](const auto& in) { return ops::addcmul(in[0], in[1], in[2], v); }, {x, y, z});
      same_on_both("addcdiv " + dt,
                   [&](const auto& in) { return ops::addcdiv(in[0], in[1], in[2], v); }, {x, y, z});
    }
    // Weights on both sides of 0.5 take both of lerp's formulas.
    same_on_both(
        "lerp " + dt, [](const auto& in) { return ops::lerp(in[0], in[1], in[2]); },
        {x, y,
         is_floating(t)
             ? ops::to_dtype(affine(ops::rand({1, 6}, DType::Float64, kCpu, gen()), 2, -0.5), t)
             : z});
    same_on_both("lerp empty " + dt, [](const auto& in) { return ops::lerp(in[0], in[1], in[2]); },
                 {specials_cpu({0, 6}, t), z, z});
  }
  // In place on the GPU.
  Tensor h = specials_cpu({3, 6}, DType::Float32);
  Tensor d = on_cuda(h);
  const Tensor t1 = specials_cpu({6}, DType::Float32), t2 = random_cpu({3, 1}, DType::Float32);
  ops::addcdiv_(h, t1, t2, f(0.25));
  ops::addcdiv_(d, on_cuda(t1), on_cuda(t2), f(0.25));
  expect_match(h, d, "addcdiv_");
  expect_compared(60);
}

TEST(CudaMath, ReductionsOverAnyDims) {
  REQUIRE_CUDA();
  const std::vector<std::vector<int64_t>> dim_sets = {{}, {0}, {1}, {2}, {0, 2}, {-1, 0}};
  for (DType t : kAll) {
    const std::string dt = dtype_name(t);
    // Long rows (a block per output), short ones (a thread per output) and everything at once.
    const Tensor a = specials_cpu({6, 700, 3}, t);
    // Products of values near 1 stay finite.
    const Tensor near1 =
        is_floating(t) ? affine(random_cpu({6, 40, 3}, t), 0.05, 1) : random_cpu({6, 40, 3}, t);
    const double sum_tol = is_floating(t) ? 5 * tolerance(t) : 0;
    for (const auto& dims : dim_sets) {
      for (bool keep : {false, true}) {
        auto check = [&](const std::string& name, auto fn, const Tensor& in, double tol = -1) {
          same_on_both(
              name + " " + dt, [&](const auto& x) { return fn(x[0]); }, {in}, tol);
        };
        check(
            "prod", [&](const Tensor& x) { return ops::prod(x, dims, keep); }, near1, sum_tol);
        check(
            "amax", [&](const Tensor& x) { return ops::amax(x, dims, keep); }, a);
        check(
            "amin", [&](const Tensor& x) { return ops::amin(x, dims, keep); }, a);
        check(
            "all", [&](const Tensor& x) { return ops::all(x, dims, keep); }, a);
        check(
            "any", [&](const Tensor& x) { return ops::any(x, dims, keep); }, a);
        check(
            "all of a sparse tensor", [&](const Tensor& x) { return ops::all(x, dims, keep); },
            ops::to_dtype(ops::compare_scalar(ops::CompareOp::Gt, a, n(3)), t));
        check(
            "count_nonzero", [&](const Tensor& x) { return ops::count_nonzero(x, dims); }, a);
        // Var and the norms of finite values (NaN would hide the arithmetic).
        const Tensor finite = is_floating(t) ? random_cpu({6, 700, 3}, t) : a;
        for (double correction : {0.0, 1.0, 2.5}) {
          check(
              "var", [&](const Tensor& x) { return ops::var(x, dims, correction, keep); }, finite,
              sum_tol);
        }
        check(
            "std", [&](const Tensor& x) { return ops::std(x, dims, 1.0, keep); }, finite, sum_tol);
        for (double p : {0.0, 1.0, 2.0, 3.0, 0.5, -1.0, std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}) {
          check(
              "norm p=" + std::to_string(p),
              [&](const Tensor& x) { return ops::norm(x, p, dims, keep); }, finite, sum_tol);
        }
      }
    }
    // NaN wins amax and the infinity norm.
    same_on_both("norm inf with NaN " + dt,
                 [](const auto& x) {
                   return ops::norm(x[0], std::numeric_limits<double>::infinity(), {}, false);
                 },
                 {a});
  }
  // A strided input, a full reduction over many blocks, and empty reductions.
  const Tensor x = random_cpu({300, 500}, DType::Float64);
  same_on_both("strided var",
               [](const auto& in) {
                 return ops::var(ops::transpose(in[0], 0, 1), std::vector<int64_t>{0}, 1.0, false);
               },
               {x});
  const Tensor big = specials_cpu({1 << 20}, DType::Float32);
  same_on_both("big amin", [](const auto& in) { return ops::amin(in[0], {}, false); }, {big});
  const Tensor big_finite = random_cpu({1 << 20}, DType::Float32);
  same_on_both(
      "big var", [](const auto& in) { return ops::var(in[0], {}, 1.0, false); }, {big_finite},
      1e-4);
  same_on_both(
      "big norm", [](const auto& in) { return ops::norm(in[0], 2.0, {}, false); }, {big_finite},
      1e-4);
  const Tensor none = ops::zeros({0, 4}, DType::Float32, kCpu);
  const std::vector<int64_t> dim0 = {0};
  same_on_both("empty prod", [&](const auto& in) { return ops::prod(in[0], dim0, false); }, {none});
  same_on_both("empty var", [&](const auto& in) { return ops::var(in[0], dim0, 1.0, false); },
               {none});
  same_on_both("empty amax refused", [&](const auto& in) { return ops::amax(in[0], dim0, false); },
               {none});
  // One element with correction 1: 0 / 0.
  same_on_both("var of one",
               [&](const auto& in) { return ops::var(in[0], std::vector<int64_t>{1}, 1.0, false); },
               {random_cpu({3, 1}, DType::Float32)});
  expect_compared(1300);
}

// Runs arg_extreme_stub directly (max has no public op through it) on contiguous a.
std::pair<Tensor, Tensor> arg_extreme_of(bool minimum, const Tensor& a, int64_t dim) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= a->size(d);
  for (int64_t d = dim + 1; d < a->dim(); ++d) inner *= a->size(d);
  DimVector shape;
  for (int64_t d = 0; d < a->dim(); ++d)
    if (d != dim) shape.push_back(a->size(d));
  Tensor values = empty(shape, a->dtype(), a->device());
  Tensor indices = empty(shape, DType::Int64, a->device());
  const Tensor c = ops::contiguous(a);
  arg_extreme_stub("arg_extreme", a->device(), minimum, values, indices, c, outer, a->size(dim),
                   inner);
  return {values, indices};
}

TEST(CudaMath, MinMaxAlongADimWithIndices) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string dt = dtype_name(t);
    // Short lines (a thread each), long ones (a block each); ties in the integer dtypes.
    for (const DimVector& shape : {DimVector{64, 10}, DimVector{3, 2000}, DimVector{4, 5, 6}}) {
      const Tensor x = specials_cpu(shape, t);
      for (int64_t dim : {int64_t{0}, int64_t{1}}) {
        for (bool keep : {false, true}) {
          same_on_both("min values " + dt,
                       [&](const auto& in) { return ops::min_dim(in[0], dim, keep).first; }, {x});
          same_on_both("min indices " + dt,
                       [&](const auto& in) { return ops::min_dim(in[0], dim, keep).second; }, {x});
          same_on_both("argmin " + dt,
                       [&](const auto& in) { return ops::argmin(in[0], dim, keep); }, {x});
        }
        for (bool minimum : {false, true}) {
          same_on_both("arg_extreme values " + dt,
                       [&](const auto& in) { return arg_extreme_of(minimum, in[0], dim).first; },
                       {x});
          same_on_both("arg_extreme indices " + dt,
                       [&](const auto& in) { return arg_extreme_of(minimum, in[0], dim).second; },
                       {x});
        }
      }
      same_on_both(
          "argmin transposed " + dt,
          [](const auto& in) { return ops::argmin(ops::transpose(in[0], 0, 1), 0, false); }, {x});
    }
  }
  // NaN after the minimum still wins, the first NaN; all equal: index 0.
  Tensor h = random_cpu({2, 3000}, DType::Float32);
  h->data_as<float>()[2500] = std::numeric_limits<float>::quiet_NaN();
  h->data_as<float>()[2700] = std::numeric_limits<float>::quiet_NaN();
  h->data_as<float>()[3000 + 10] = -1e30f;
  same_on_both("late NaN", [](const auto& in) { return ops::min_dim(in[0], 1, false).second; },
               {h});
  same_on_both("all equal", [](const auto& in) { return ops::argmin(in[0], 1, false); },
               {ops::zeros({3, 5000}, DType::Float32, kCpu)});
  same_on_both("empty min", [](const auto& in) { return ops::argmin(in[0], 1, false); },
               {ops::zeros({0, 7}, DType::Float32, kCpu)});
  expect_compared(600);
}

TEST(CudaMath, ScansAlongADim) {
  REQUIRE_CUDA();
  for (DType t : kAll) {
    const std::string dt = dtype_name(t);
    // Long lines (a block each, several chunks), short ones (a thread each).
    for (const DimVector& shape : {DimVector{5, 3000, 3}, DimVector{7, 9}, DimVector{4000}}) {
      const Tensor x = specials_cpu(shape, t);
      const Tensor finite = is_floating(t) ? random_cpu(shape, t) : x;
      const Tensor near1 = is_floating(t) ? affine(random_cpu(shape, t), 0.01, 1) : x;
      // The GPU adds in another order: float32 sums of 3000 values differ in the 4th digit.
      const double tol = t == DType::Float32 ? 1e-3 : is_floating(t) ? 20 * tolerance(t) : 0;
      for (int64_t dim = 0; dim < static_cast<int64_t>(shape.size()); ++dim) {
        same_on_both(
            "cumsum " + dt, [&](const auto& in) { return ops::cumsum(in[0], dim, std::nullopt); },
            {finite}, tol);
        same_on_both(
            "cumprod " + dt, [&](const auto& in) { return ops::cumprod(in[0], dim, std::nullopt); },
            {near1}, tol);
        same_on_both("cumsum to float64 " + dt,
                     [&](const auto& in) { return ops::cumsum(in[0], dim, DType::Float64); },
                     {finite});
        for (bool maximum : {false, true}) {
          auto run = [&](const auto& in) {
            return maximum ? ops::cummax(in[0], dim) : ops::cummin(in[0], dim);
          };
          same_on_both("cummax/cummin values " + dt, [&](const auto& in) { return run(in).first; },
                       {x});
          same_on_both("cummax/cummin indices " + dt,
                       [&](const auto& in) { return run(in).second; }, {x});
        }
      }
    }
    same_on_both(
        "cumsum transposed " + dt,
        [](const auto& in) { return ops::cumsum(ops::transpose(in[0], 0, 1), 1, std::nullopt); },
        {random_cpu({70, 90}, t)}, is_floating(t) ? 20 * tolerance(t) : 0);
    same_on_both("cumsum empty " + dt,
                 [](const auto& in) { return ops::cumsum(in[0], 0, std::nullopt); },
                 {specials_cpu({0, 4}, t)});
  }
  expect_compared(400);
}

}  // namespace
}  // namespace ember
