// The foundation ops against PyTorch 1.13 reference values (native/tests/data/ops, written by
// tests/reference/make_native_ops.py), plus checks whose references the test computes itself in
// float64 (large reductions and products, random draws) and the error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/parallel.h"
#include "tensor_values.h"

namespace ember {
namespace {

using test_util::as_doubles;
using test_util::tensor_of;

using ops::BinaryOp;
using ops::UnaryOp;

const Device kCpu{};

// The data folder sits beside this file; found from __FILE__ so the tests need no build setting.
std::filesystem::path data_dir() {
  return std::filesystem::path(__FILE__).parent_path() / "data" / "ops";
}

// ---- reading the reference files ----

struct TensorSpec {
  DType dtype = DType::Float32;
  char layout = 'c';
  DimVector sizes;
  std::vector<std::string> values;
};

struct Case {
  std::string name;
  std::vector<std::string> op;  // op name and its arguments
  std::vector<TensorSpec> inputs;
  std::optional<TensorSpec> out;
  std::string error;
};

DType parse_dtype(const std::string& s) {
  static const std::map<std::string, DType> names = {
      {"uint8", DType::UInt8},      {"int8", DType::Int8},       {"int16", DType::Int16},
      {"int32", DType::Int32},      {"int64", DType::Int64},     {"float16", DType::Float16},
      {"float32", DType::Float32},  {"float64", DType::Float64}, {"bool", DType::Bool},
      {"bfloat16", DType::BFloat16}};
  const auto it = names.find(s);
  if (it == names.end()) throw std::runtime_error("unknown dtype " + s);
  return it->second;
}

TensorSpec parse_tensor(std::istringstream& is, bool with_layout) {
  TensorSpec t;
  std::string word;
  is >> word;
  t.dtype = parse_dtype(word);
  if (with_layout) is >> t.layout;
  int64_t ndim = 0;
  is >> ndim;
  for (int64_t i = 0; i < ndim; ++i) {
    int64_t s = 0;
    is >> s;
    t.sizes.push_back(s);
  }
  is >> word;  // ':'
  while (is >> word) t.values.push_back(word);
  return t;
}

std::vector<Case> load(const std::string& file) {
  std::ifstream in(data_dir() / file);
  if (!in) throw std::runtime_error("cannot open " + (data_dir() / file).string());
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream is(line);
    std::string kind;
    is >> kind;
    if (kind == "case") {
      cases.emplace_back();
      is >> cases.back().name;
      std::string w;
      while (is >> w) cases.back().op.push_back(w);
    } else if (kind == "in") {
      cases.back().inputs.push_back(parse_tensor(is, true));
    } else if (kind == "out") {
      cases.back().out = parse_tensor(is, false);
    } else if (kind == "error") {
      is >> cases.back().error;
    }
  }
  return cases;
}

// ---- tensors from and to values ----

// One value of the file as T, through the dtype's own parser (float32 text must be read as float).
template <class T>
T parse_value(const std::string& s) {
  if constexpr (std::is_same_v<T, bool>) {
    return s != "0";
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(std::stoll(s));
  } else if constexpr (std::is_same_v<T, double>) {
    return std::strtod(s.c_str(), nullptr);
  } else {
    return T(std::strtof(s.c_str(), nullptr));
  }
}

Tensor make_tensor(const TensorSpec& spec) {
  DimVector base = spec.sizes;
  const int64_t nd = base.size();
  if (spec.layout == 't') std::swap(base[nd - 1], base[nd - 2]);
  if (spec.layout == 's') base[nd - 1] *= 2;
  Tensor t = empty(base, spec.dtype, kCpu);
  EXPECT_EQ(static_cast<size_t>(t->numel()), spec.values.size());
  dispatch_dtype(spec.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t->data_as<T>();
    for (size_t i = 0; i < spec.values.size(); ++i) p[i] = parse_value<T>(spec.values[i]);
  });
  if (spec.layout == 't') return ops::transpose(t, -2, -1);
  if (spec.layout == 's') return ops::slice(t, -1, 0, std::numeric_limits<int64_t>::max(), 2);
  return t;
}

// Row-major values of t as doubles (exact for every dtype's values except int64 beyond 2^53, which
// are compared through int64 instead).
std::vector<int64_t> as_int64(const Tensor& t) {
  const Tensor c = ops::contiguous(t);
  std::vector<int64_t> v(static_cast<size_t>(c->numel()));
  dispatch_dtype(c->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_integral_v<T>) {
      for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(c->data_as<T>()[i]);
    }
  });
  return v;
}

std::vector<double> spec_doubles(const TensorSpec& spec) {
  std::vector<double> v;
  dispatch_dtype(spec.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (const std::string& s : spec.values) {
      v.push_back(static_cast<double>(static_cast<compute_t<T>>(parse_value<T>(s))));
    }
  });
  return v;
}

// Tolerance of results whose computation order or libm differs from PyTorch's.
struct Tolerance {
  double rtol, atol;
};
Tolerance approx_tolerance(DType t) {
  switch (t) {
    case DType::Float16:
      return {2e-3, 2e-3};
    case DType::BFloat16:
      return {1e-2, 1e-2};
    case DType::Float32:
      return {2e-6, 1e-5};
    default:
      return {1e-12, 1e-12};
  }
}

// Compares values; reports the first differing element only (one case, one failure line).
void expect_values(const Tensor& actual, DType dtype, const std::vector<std::string>& values,
                   bool approx) {
  if (is_integral(dtype, true)) {
    const std::vector<int64_t> got = as_int64(actual);
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], parse_value<int64_t>(values[i])) << "element " << i;
    }
    return;
  }
  TensorSpec spec;
  spec.dtype = dtype;
  spec.values = values;
  const std::vector<double> got = as_doubles(actual), want = spec_doubles(spec);
  const Tolerance tol = approx_tolerance(dtype);
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << "element " << i << ": " << got[i] << ", want nan";
    } else if (!approx || std::isinf(want[i])) {
      ASSERT_EQ(got[i], want[i]) << "element " << i;
    } else {
      ASSERT_NEAR(got[i], want[i], tol.atol + tol.rtol * std::fabs(want[i])) << "element " << i;
    }
  }
}

void expect_tensor(const Tensor& actual, const TensorSpec& expected, bool approx) {
  ASSERT_EQ(dtype_name(actual->dtype()), dtype_name(expected.dtype));
  ASSERT_EQ(actual->sizes(), expected.sizes);
  expect_values(actual, expected.dtype, expected.values, approx);
}

ember_status parse_status(const std::string& s) {
  static const std::map<std::string, ember_status> names = {
      {"INVALID_ARGUMENT", EMBER_ERROR_INVALID_ARGUMENT},
      {"SHAPE", EMBER_ERROR_SHAPE},
      {"DTYPE", EMBER_ERROR_DTYPE}};
  return names.at(s);
}

BinaryOp parse_binary(const std::string& s) {
  if (s == "add" || s == "radd") return BinaryOp::Add;
  if (s == "sub" || s == "rsub") return BinaryOp::Sub;
  if (s == "mul") return BinaryOp::Mul;
  return BinaryOp::Div;
}

UnaryOp parse_unary(const std::string& s) {
  return s == "neg" ? UnaryOp::Neg : s == "exp" ? UnaryOp::Exp : UnaryOp::Log;
}

Scalar parse_scalar(const std::string& kind, const std::string& v) {
  if (kind == "bool") return Scalar::from_bool(v != "0");
  if (kind == "int") return Scalar::from_int(std::stoll(v));
  return Scalar::from_float(std::strtod(v.c_str(), nullptr));
}

// "int:3" / "float:0.5" as written by the factory cases.
Scalar parse_typed_scalar(const std::string& s) {
  const size_t colon = s.find(':');
  return parse_scalar(s.substr(0, colon), s.substr(colon + 1));
}

// Runs one case; returns the tensor to compare (for in-place ops, the input written to).
Tensor run_case(const Case& c, std::vector<Tensor>& in, bool& approx) {
  const std::string& op = c.op[0];
  approx = false;
  if (op == "binary") return ops::binary(parse_binary(c.op[1]), in[0], in[1]);
  if (op == "binary_") {
    ops::binary_(parse_binary(c.op[1]), in[0], in[1]);
    return in[0];
  }
  if (op == "scalar" || op == "scalar_") {
    const Scalar s = parse_scalar(c.op[2], c.op[3]);
    const BinaryOp bop = parse_binary(c.op[1]);
    if (op == "scalar_") {
      ops::binary_scalar_(bop, in[0], s);
      return in[0];
    }
    if (c.op[1][0] == 'r') {
      // PyTorch computes s / a as reciprocal(a) * s, rounding twice; Ember divides once.
      approx = c.op[1] == "rdiv";
      return ops::binary_rscalar(bop, s, in[0]);
    }
    return ops::binary_scalar(bop, in[0], s);
  }
  if (op == "unary" || op == "unary_") {
    approx = c.op[1] != "neg";
    if (op == "unary_") {
      ops::unary_(parse_unary(c.op[1]), in[0]);
      return in[0];
    }
    return ops::unary(parse_unary(c.op[1]), in[0]);
  }
  if (op == "sum" || op == "mean") {
    approx = true;
    const bool keepdim = c.op[1] == "1";
    std::vector<int64_t> dims;
    for (size_t i = 3; i < c.op.size(); ++i) dims.push_back(std::stoll(c.op[i]));
    return op == "sum" ? ops::sum(in[0], dims, keepdim) : ops::mean(in[0], dims, keepdim);
  }
  if (op == "matmul") {
    approx = true;
    return ops::matmul(in[0], in[1]);
  }
  if (op == "cast") return ops::to_dtype(in[0], parse_dtype(c.op[1]));
  if (op == "arange") {
    approx = true;  // float steps: PyTorch's vectorized path may round the last bit differently
    return ops::arange(parse_typed_scalar(c.op[2]), parse_typed_scalar(c.op[3]),
                       parse_typed_scalar(c.op[4]), parse_dtype(c.op[1]), kCpu);
  }
  if (op == "eye")
    return ops::eye(std::stoll(c.op[2]), std::stoll(c.op[3]), parse_dtype(c.op[1]), kCpu);
  if (op == "full")
    return ops::full(DimVector{2, 3}, parse_typed_scalar(c.op[2]), parse_dtype(c.op[1]), kCpu);
  throw std::runtime_error("unknown op " + op);
}

void run_file(const std::string& file) {
  const std::vector<Case> cases = load(file);
  ASSERT_FALSE(cases.empty()) << file;
  for (const Case& c : cases) {
    std::string title = c.name;
    for (const std::string& w : c.op) title += " " + w;
    SCOPED_TRACE(title);
    std::vector<Tensor> in;
    for (const TensorSpec& s : c.inputs) in.push_back(make_tensor(s));
    const int64_t version = in.empty() ? 0 : in[0]->storage()->version();
    bool approx = false;
    if (!c.error.empty()) {
      try {
        run_case(c, in, approx);
        ADD_FAILURE() << "expected error " << c.error;
      } catch (const Error& e) {
        EXPECT_EQ(e.status(), parse_status(c.error)) << e.what();
      }
      // A failed op leaves its inputs untouched.
      for (size_t i = 0; i < in.size(); ++i) {
        const Tensor fresh = make_tensor(c.inputs[i]);
        EXPECT_EQ(as_doubles(in[i]).size(), as_doubles(fresh).size());
        const std::vector<double> now = as_doubles(in[i]), before = as_doubles(fresh);
        for (size_t j = 0; j < now.size(); ++j) {
          ASSERT_TRUE(now[j] == before[j] || (std::isnan(now[j]) && std::isnan(before[j])));
        }
      }
      continue;
    }
    ASSERT_TRUE(c.out.has_value());
    Tensor result;
    try {
      result = run_case(c, in, approx);
    } catch (const Error& e) {
      ADD_FAILURE() << "unexpected error: " << e.what();
      continue;
    }
    expect_tensor(result, *c.out, approx);
    if (c.op[0].back() == '_') {
      EXPECT_EQ(in[0]->storage()->version(), version + 1);  // one in-place op, one bump
    }
  }
}

TEST(OpsReference, Binary) { run_file("binary.txt"); }
TEST(OpsReference, Scalar) { run_file("scalar.txt"); }
TEST(OpsReference, InPlace) { run_file("inplace.txt"); }
TEST(OpsReference, Unary) { run_file("unary.txt"); }
TEST(OpsReference, Reduce) { run_file("reduce.txt"); }
TEST(OpsReference, Matmul) { run_file("matmul.txt"); }
TEST(OpsReference, Cast) { run_file("cast.txt"); }
TEST(OpsReference, Factory) { run_file("factory.txt"); }

// ---- larger cases, against float64 references computed here ----

// Deterministic values in [-1, 1) from a simple LCG (independent of the engine's generator).
std::vector<double> lcg_values(int64_t n, uint64_t seed) {
  std::vector<double> v(static_cast<size_t>(n));
  uint64_t s = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (double& x : v) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<double>(s >> 11) * 0x1p-53 * 2.0 - 1.0;
  }
  return v;
}

// Restores the pool size a test changes.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(saved_); }

 private:
  int saved_;
};

TEST(OpsLarge, Float32SumOf16MElementsIsAccurateAndThreadIndependent) {
  const int64_t n = int64_t{1} << 24;
  Tensor x = ops::rand(DimVector{n}, DType::Float32, kCpu, default_generator());
  double ref = 0;
  const float* p = x->data_as<float>();
  for (int64_t i = 0; i < n; ++i) ref += p[i];
  float one_thread, two_threads;
  {
    ThreadCount tc(1);
    one_thread = ops::sum(x, {}, false)->data_as<float>()[0];
  }
  {
    ThreadCount tc(2);
    two_threads = ops::sum(x, {}, false)->data_as<float>()[0];
  }
  // A plain float loop is off by ~1e-3 relative here; pairwise summation stays near float eps.
  EXPECT_NEAR(one_thread, ref, ref * 1e-6);
  EXPECT_EQ(one_thread, two_threads);
  const float mean = ops::mean(x, {}, false)->data_as<float>()[0];
  EXPECT_NEAR(mean, ref / static_cast<double>(n), 1e-6);
}

TEST(OpsLarge, ReductionsOverEveryDimLayout) {
  const DimVector sizes{37, 50, 71};
  const std::vector<double> v = lcg_values(37 * 50 * 71, 7);
  for (DType dt : {DType::Float32, DType::Float64, DType::Int32, DType::BFloat16}) {
    const Tensor base =
        dt == DType::Int32 ? tensor_of(sizes, DType::Float64, v) : tensor_of(sizes, dt, v);
    const Tensor x =
        dt == DType::Int32
            ? ops::to_dtype(ops::binary_scalar(BinaryOp::Mul, base, Scalar::from_int(1000)), dt)
            : base;
    const std::vector<double> xv = as_doubles(x);
    const std::vector<std::vector<int64_t>> dim_sets = {{0}, {1}, {2}, {0, 1}, {0, 2}, {1, 2}, {}};
    for (const auto& dims : dim_sets) {
      for (const Tensor& input : {x, ops::permute(x, std::vector<int64_t>{2, 0, 1})}) {
        SCOPED_TRACE(testing::Message() << dtype_name(dt) << " dims " << dims.size() << " permuted "
                                        << !input->is_contiguous());
        const bool permuted = !input->is_contiguous();
        const Tensor s = ops::sum(input, dims, false);
        // Reference: fold in float64 over the listed dims of the (possibly permuted) input.
        const DimVector isz = input->sizes();
        std::vector<bool> red(3, dims.empty());
        for (int64_t d : dims) red[static_cast<size_t>(d)] = true;
        DimVector osz;
        for (int d = 0; d < 3; ++d) {
          if (!red[d]) osz.push_back(isz[d]);
        }
        std::vector<double> ref(static_cast<size_t>(s->numel()), 0.0);
        int64_t idx[3];
        for (idx[0] = 0; idx[0] < isz[0]; ++idx[0]) {
          for (idx[1] = 0; idx[1] < isz[1]; ++idx[1]) {
            for (idx[2] = 0; idx[2] < isz[2]; ++idx[2]) {
              // Element of x behind input[idx].
              const int64_t i0 = permuted ? idx[1] : idx[0], i1 = permuted ? idx[2] : idx[1],
                            i2 = permuted ? idx[0] : idx[2];
              const double val = xv[static_cast<size_t>((i0 * 50 + i1) * 71 + i2)];
              int64_t o = 0;
              for (int d = 0; d < 3; ++d) {
                if (!red[d]) o = o * isz[d] + idx[d];
              }
              ref[static_cast<size_t>(o)] += val;
            }
          }
        }
        ASSERT_EQ(s->sizes(), osz);
        const std::vector<double> got = as_doubles(s);
        const double tol = dt == DType::BFloat16 ? 2e-2 : dt == DType::Float32 ? 1e-4 : 1e-9;
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], ref[i], tol * (1 + std::fabs(ref[i]))) << "element " << i;
        }
      }
    }
  }
}

// Naive float64 product of a [batch..., n, k] and b [batch..., k, m] given as row-major values.
std::vector<double> reference_matmul(const std::vector<double>& a, const std::vector<double>& b,
                                     int64_t batch, int64_t n, int64_t k, int64_t m,
                                     bool b_shared) {
  std::vector<double> c(static_cast<size_t>(batch * n * m), 0.0);
  for (int64_t bi = 0; bi < batch; ++bi) {
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < m; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) {
          s += a[static_cast<size_t>((bi * n + i) * k + p)] *
               b[static_cast<size_t>(((b_shared ? 0 : bi) * k + p) * m + j)];
        }
        c[static_cast<size_t>((bi * n + i) * m + j)] = s;
      }
    }
  }
  return c;
}

TEST(OpsLarge, MatmulAgainstNaiveReference) {
  const int64_t n = 65, k = 150, m = 129;
  const std::vector<double> av = lcg_values(n * k, 11), bv = lcg_values(k * m, 12);
  const std::vector<double> ref = reference_matmul(av, bv, 1, n, k, m, true);
  for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    const Tensor a = tensor_of({n, k}, dt, av), b = tensor_of({k, m}, dt, bv);
    // The same product from transposed storage: BLAS reads it through its transpose flags.
    const Tensor at = ops::transpose(ops::contiguous(ops::transpose(a, 0, 1)), 0, 1);
    const Tensor bt = ops::transpose(ops::contiguous(ops::transpose(b, 0, 1)), 0, 1);
    const double tol = dt == DType::Float64 ? 1e-12 : dt == DType::Float32 ? 1e-4 : 0.1;
    for (const auto& [x, y] : {std::pair{a, b}, std::pair{at, bt}, std::pair{a, bt}}) {
      const std::vector<double> got = as_doubles(ops::matmul(x, y));
      ASSERT_EQ(got.size(), ref.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], ref[i], tol * (1 + std::fabs(ref[i]))) << dtype_name(dt) << " " << i;
      }
    }
  }
}

TEST(OpsLarge, BatchedMatmulFoldsAndBroadcasts) {
  const int64_t batch = 6, n = 9, k = 20, m = 13;
  const std::vector<double> av = lcg_values(batch * n * k, 21), bv = lcg_values(batch * k * m, 22);
  // b shared by every batch: one folded GEMM.
  const Tensor a = tensor_of({2, 3, n, k}, DType::Float32, av);
  const Tensor b2 =
      tensor_of({k, m}, DType::Float32, std::vector<double>(bv.begin(), bv.begin() + k * m));
  std::vector<double> ref = reference_matmul(av, bv, batch, n, k, m, true);
  std::vector<double> got = as_doubles(ops::matmul(a, b2));
  ASSERT_EQ(got.size(), ref.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], ref[i], 1e-4);
  // One b per batch, broadcast over a's leading dim: [2, 3, n, k] @ [3, k, m].
  const Tensor b3 =
      tensor_of({3, k, m}, DType::Float64, std::vector<double>(bv.begin(), bv.begin() + 3 * k * m));
  const Tensor a64 = tensor_of({2, 3, n, k}, DType::Float64, av);
  got = as_doubles(ops::matmul(a64, b3));
  for (int64_t bi = 0; bi < batch; ++bi) {
    const std::vector<double> one = reference_matmul(
        std::vector<double>(av.begin() + bi * n * k, av.begin() + (bi + 1) * n * k),
        std::vector<double>(bv.begin() + (bi % 3) * k * m, bv.begin() + (bi % 3 + 1) * k * m), 1, n,
        k, m, true);
    for (int64_t i = 0; i < n * m; ++i)
      ASSERT_NEAR(got[static_cast<size_t>(bi * n * m + i)], one[static_cast<size_t>(i)], 1e-12);
  }
}

TEST(OpsLarge, IntegerMatmulIsExactWithWrapAround) {
  const int64_t n = 33, k = 70, m = 45;
  std::vector<double> av = lcg_values(n * k, 31), bv = lcg_values(k * m, 32);
  for (double& x : av) x = std::floor(x * 60000);
  for (double& x : bv) x = std::floor(x * 60000);
  const Tensor a = tensor_of({n, k}, DType::Int64, av), b = tensor_of({k, m}, DType::Int64, bv);
  const std::vector<int64_t> got64 = as_int64(ops::matmul(a, b));
  const std::vector<int64_t> got32 =
      as_int64(ops::matmul(ops::to_dtype(a, DType::Int32), ops::to_dtype(b, DType::Int32)));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      int64_t s = 0;
      for (int64_t p = 0; p < k; ++p) {
        s += static_cast<int64_t>(av[static_cast<size_t>(i * k + p)]) *
             static_cast<int64_t>(bv[static_cast<size_t>(p * m + j)]);
      }
      ASSERT_EQ(got64[static_cast<size_t>(i * m + j)], s);
      ASSERT_EQ(got32[static_cast<size_t>(i * m + j)],
                static_cast<int32_t>(static_cast<uint32_t>(s)));
    }
  }
}

TEST(OpsLarge, ParallelElementwiseOnStridedInputs) {
  const int64_t r = 300, c = 500;  // 150K elements: above the grain, so it runs on the pool
  const std::vector<double> av = lcg_values(r * c, 41), bv = lcg_values(c, 42);
  const Tensor a = ops::transpose(tensor_of({c, r}, DType::Float32, av), 0, 1);  // [r, c], strided
  const Tensor b = tensor_of({c}, DType::Float32, bv);                           // broadcast row
  const Tensor out = ops::binary(BinaryOp::Sub, a, b);
  const std::vector<double> got = as_doubles(out);
  for (int64_t i = 0; i < r; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      const float want = static_cast<float>(av[static_cast<size_t>(j * r + i)]) -
                         static_cast<float>(bv[static_cast<size_t>(j)]);
      ASSERT_EQ(got[static_cast<size_t>(i * c + j)], want);
    }
  }
}

// ---- random numbers ----

TEST(OpsRandom, SeededDrawsRepeatAndDoNotDependOnThreads) {
  for (DType dt : {DType::Float32, DType::Float64, DType::Float16, DType::BFloat16}) {
    for (bool normal : {false, true}) {
      auto draw = [&](int threads) {
        ThreadCount tc(threads);
        Generator gen(1234);
        return as_doubles(normal ? ops::randn(DimVector{200001}, dt, kCpu, gen)
                                 : ops::rand(DimVector{200001}, dt, kCpu, gen));
      };
      const std::vector<double> one = draw(1), two = draw(2);
      ASSERT_EQ(one, two) << dtype_name(dt) << (normal ? " randn" : " rand");
      double sum = 0, sq = 0;
      for (double x : one) {
        sum += x;
        sq += x * x;
        if (!normal) {
          ASSERT_TRUE(x >= 0.0 && x < 1.0) << x;
        }
      }
      const double mean = sum / static_cast<double>(one.size());
      const double var = sq / static_cast<double>(one.size()) - mean * mean;
      EXPECT_NEAR(mean, normal ? 0.0 : 0.5, 0.01) << dtype_name(dt);
      EXPECT_NEAR(var, normal ? 1.0 : 1.0 / 12.0, normal ? 0.02 : 0.005) << dtype_name(dt);
    }
  }
}

TEST(OpsRandom, ConsecutiveDrawsDifferAndSeedResets) {
  Generator gen(7);
  const std::vector<double> a = as_doubles(ops::rand(DimVector{5}, DType::Float32, kCpu, gen));
  const std::vector<double> b = as_doubles(ops::rand(DimVector{5}, DType::Float32, kCpu, gen));
  EXPECT_NE(a, b);
  gen.manual_seed(7);
  EXPECT_EQ(as_doubles(ops::rand(DimVector{5}, DType::Float32, kCpu, gen)), a);
  // Element k of a draw does not depend on the draw's size.
  gen.manual_seed(7);
  const std::vector<double> longer = as_doubles(ops::rand(DimVector{9}, DType::Float32, kCpu, gen));
  EXPECT_EQ(std::vector<double>(longer.begin(), longer.begin() + 5), a);
}

TEST(OpsRandom, RejectsIntegerDtypes) {
  try {
    ops::rand(DimVector{3}, DType::Int64, kCpu, default_generator());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), EMBER_ERROR_DTYPE);
    EXPECT_NE(std::string(e.what()).find("int64"), std::string::npos) << e.what();
  }
}

// ---- copies, versions and identities ----

TEST(OpsCopy, ContiguousAndToDtypeReturnTheSameTensorWhenNothingChanges) {
  const Tensor x = ops::zeros(DimVector{2, 3}, DType::Float32, kCpu);
  EXPECT_EQ(ops::contiguous(x).get(), x.get());
  EXPECT_EQ(ops::to_dtype(x, DType::Float32).get(), x.get());
  EXPECT_EQ(ops::to_device(x, kCpu).get(), x.get());
  const Tensor t = ops::transpose(x, 0, 1);
  const Tensor c = ops::contiguous(t);
  EXPECT_NE(c.get(), t.get());
  EXPECT_TRUE(c->is_contiguous());
  const Tensor k = ops::clone(x);
  EXPECT_NE(k->storage().get(), x->storage().get());
}

TEST(OpsCopy, CopyBroadcastsCastsAndBumpsTheVersion) {
  const Tensor dst = ops::zeros(DimVector{2, 3}, DType::Int16, kCpu);
  const Tensor row = ops::arange(Scalar::from_float(0.5), Scalar::from_int(3), Scalar::from_int(1),
                                 DType::Float64, kCpu);  // 0.5 1.5 2.5
  const int64_t v0 = dst->storage()->version();
  ops::copy_(ops::transpose(ops::transpose(dst, 0, 1), 0, 1), row);
  EXPECT_EQ(as_int64(dst), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
  EXPECT_EQ(dst->storage()->version(), v0 + 1);
  ops::fill_(dst, Scalar::from_float(-7.9));
  EXPECT_EQ(as_int64(dst), std::vector<int64_t>(6, -7));
  EXPECT_EQ(dst->storage()->version(), v0 + 2);
  // A view shares the version counter of its storage.
  const Tensor view = ops::select(dst, 0, 1);
  ops::binary_scalar_(BinaryOp::Add, view, Scalar::from_int(1));
  EXPECT_EQ(dst->storage()->version(), v0 + 3);
  EXPECT_EQ(as_int64(dst), (std::vector<int64_t>{-7, -7, -7, -6, -6, -6}));
}

// ---- errors ----

std::string error_of(const std::function<void()>& fn, ember_status expected) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), expected) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

TEST(OpsErrors, MessagesNameOpShapesAndDtypes) {
  const Tensor a = ops::zeros(DimVector{2, 3}, DType::Float32, kCpu);
  const Tensor b = ops::zeros(DimVector{2, 4}, DType::Int64, kCpu);
  std::string msg = error_of([&] { ops::binary(BinaryOp::Add, a, b); }, EMBER_ERROR_SHAPE);
  EXPECT_NE(msg.find("add: the size of tensor a (3) must match the size of tensor b (4) at "
                     "non-singleton dimension 1"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("[2, 3] float32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[2, 4] int64"), std::string::npos) << msg;

  const Tensor c = ops::zeros(DimVector{4, 5}, DType::Float32, kCpu);
  msg = error_of([&] { ops::matmul(a, c); }, EMBER_ERROR_SHAPE);
  EXPECT_NE(msg.find("matmul: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
            std::string::npos)
      << msg;

  const Tensor ints = ops::zeros(DimVector{3}, DType::Int64, kCpu);
  msg = error_of([&] { ops::binary_scalar_(BinaryOp::Add, ints, Scalar::from_float(1.5)); },
                 EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("add_: result type float32 can't be cast to the desired output type int64"),
            std::string::npos)
      << msg;

  msg = error_of([&] { ops::mean(ints, {}, false); }, EMBER_ERROR_DTYPE);
  EXPECT_NE(msg.find("Got: int64"), std::string::npos) << msg;

  const std::vector<int64_t> dup{1, -1};
  msg = error_of([&] { ops::sum(a, dup, false); }, EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("dim 1 appears multiple times"), std::string::npos) << msg;

  msg = error_of(
      [&] {
        ops::arange(Scalar::from_int(0), Scalar::from_int(5), Scalar::from_int(0), DType::Float32,
                    kCpu);
      },
      EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("step must be nonzero"), std::string::npos) << msg;
  msg = error_of(
      [&] {
        ops::arange(Scalar::from_int(0), Scalar::from_int(5), Scalar::from_int(-1), DType::Int64,
                    kCpu);
      },
      EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("inconsistent with step sign"), std::string::npos) << msg;
  error_of([&] { ops::eye(-1, 2, DType::Float32, kCpu); }, EMBER_ERROR_INVALID_ARGUMENT);
  error_of(
      [&] {
        ops::full(DimVector{2, -1}, Scalar::from_int(0), DType::Float32, kCpu);
      },
      EMBER_ERROR_INVALID_ARGUMENT);
}

TEST(OpsErrors, InPlaceWritesMustNotOverlap) {
  const Tensor x = ops::zeros(DimVector{3}, DType::Float32, kCpu);
  const std::vector<int64_t> wide{2, 3};
  const Tensor expanded = ops::expand(x, wide);
  std::string msg =
      error_of([&] { ops::binary_scalar_(BinaryOp::Add, expanded, Scalar::from_int(1)); },
               EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("more than one element of the written-to tensor"), std::string::npos) << msg;
  const Tensor y = ops::arange(Scalar::from_int(0), Scalar::from_int(4), Scalar::from_int(1),
                               DType::Float32, kCpu);
  msg = error_of(
      [&] { ops::binary_(BinaryOp::Add, ops::slice(y, 0, 1, 4, 1), ops::slice(y, 0, 0, 3, 1)); },
      EMBER_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(msg.find("refer to a single memory location"), std::string::npos) << msg;
  EXPECT_EQ(as_doubles(y), (std::vector<double>{0, 1, 2, 3}));
  // The very same elements on both sides are fine.
  ops::binary_(BinaryOp::Add, y, y);
  EXPECT_EQ(as_doubles(y), (std::vector<double>{0, 2, 4, 6}));
}

TEST(OpsErrors, MissingKernelNamesOpAndDevice) {
  static DispatchStub<UnaryFn> stub("test_family");
  const Tensor x = ops::zeros(DimVector{1}, DType::Float32, kCpu);
  const std::string msg = error_of(
      [&] {
        stub("frobnicate", Device{DeviceType::CUDA, 1}, UnaryOp::Neg, x, x);
      },
      EMBER_ERROR_NOT_IMPLEMENTED);
  EXPECT_NE(msg.find("frobnicate"), std::string::npos) << msg;
  EXPECT_NE(msg.find("cuda:1"), std::string::npos) << msg;
  EXPECT_TRUE(binary_stub.has_kernel(DeviceType::CPU));
  EXPECT_FALSE(stub.has_kernel(DeviceType::CPU));
}

// foreach_zero_ zeroes every tensor of the list, whatever its layout or dtype, and bumps each
// version; a NULL entry is refused before anything is written.
TEST(Ops, ForeachZeroZeroesEveryTensor) {
  Generator g(7);
  const Tensor a = ops::randn({3, 4}, DType::Float32, Device{}, g);
  const Tensor b = ops::transpose(ops::randn({5, 2}, DType::Float64, Device{}, g), 0, 1);
  const Tensor c = ops::full({6}, Scalar::from_int(9), DType::Int64, Device{});
  const int64_t va = a->storage()->version();
  const Tensor with_null[] = {a, Tensor(), c};
  EXPECT_THROW(ops::foreach_zero_(with_null), Error);
  EXPECT_NE(a->data_as<float>()[0], 0.0f);  // nothing written
  EXPECT_EQ(c->data_as<int64_t>()[5], 9);
  const Tensor all[] = {a, b, c};
  ops::foreach_zero_(all);
  for (const Tensor& t : all) {
    const Tensor d = ops::to_dtype(ops::contiguous(t), DType::Float64);
    for (int64_t i = 0; i < d->numel(); ++i) EXPECT_EQ(d->data_as<double>()[i], 0.0);
  }
  EXPECT_GT(a->storage()->version(), va);
}

}  // namespace
}  // namespace ember
