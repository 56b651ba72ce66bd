// Reads the PyTorch reference files of tests/reference/make_native_nn.py (native/tests/data/nn/)
// and compares engine results with them. See that script for the file format.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/ops.h"
#include "core/tensor.h"
#include "ember/ember.h"

namespace ember::nnref {

struct Input {
  DType dtype = DType::Float32;
  DimVector sizes;
  std::vector<double> values;
};

struct Check {
  DimVector sizes;
  double sum = 0, l1 = 0, dot = 0;
  std::vector<std::pair<int64_t, double>> samples;
};

// Element i of the generated pattern, exactly as the script computes it (in float64).
inline double gen_value(int64_t i, uint64_t mult, double scale) {
  const uint64_t r = (static_cast<uint64_t>(i) * mult) % 4294967296ull;
  return scale * (static_cast<double>(r) / 4294967296.0 * 2 - 1);
}

inline DType parse_dtype(const std::string& s) {
  if (s == "float32") return DType::Float32;
  if (s == "float64") return DType::Float64;
  if (s == "int64") return DType::Int64;
  if (s == "int32") return DType::Int32;
  if (s == "bool") return DType::Bool;
  ADD_FAILURE() << "unknown dtype " << s;
  return DType::Float32;
}

inline double parse_number(const std::string& s) {
  if (s == "nan") return std::nan("");
  if (s == "inf") return INFINITY;
  if (s == "-inf") return -INFINITY;
  return std::strtod(s.c_str(), nullptr);  // stod would reject subnormals
}

// A tensor of dtype holding values (cast from double).
inline Tensor make_tensor(DType dtype, const DimVector& sizes, const std::vector<double>& values) {
  Tensor t = empty(sizes, dtype, Device{});
  dispatch_dtype(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t->data_as<T>();
    for (size_t i = 0; i < values.size(); ++i) {
      if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>) {
        p[i] = T(static_cast<float>(values[i]));
      } else {
        p[i] = static_cast<T>(values[i]);
      }
    }
  });
  return t;
}

// The elements of t, row-major, as doubles.
inline std::vector<double> values_of(const Tensor& t) {
  const Tensor c = ops::contiguous(t);
  std::vector<double> out(static_cast<size_t>(c->numel()));
  dispatch_dtype(c->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* p = c->data_as<T>();
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<double>(static_cast<compute_t<T>>(p[i]));
  });
  return out;
}

struct Case {
  std::string name;
  std::map<std::string, std::vector<double>> attrs;
  std::map<std::string, Input> inputs;
  std::map<std::string, Check> checks;

  bool has(const std::string& k) const { return inputs.count(k) > 0; }
  double attr(const std::string& k, size_t i = 0) const {
    auto it = attrs.find(k);
    if (it == attrs.end() || it->second.size() <= i) {
      ADD_FAILURE() << name << ": no attribute " << k;
      return 0;
    }
    return it->second[i];
  }
  int64_t iattr(const std::string& k, size_t i = 0) const {
    return static_cast<int64_t>(attr(k, i));
  }
  // The input tensor k, optionally converted to dtype.
  Tensor tensor(const std::string& k) const {
    auto it = inputs.find(k);
    if (it == inputs.end()) {
      ADD_FAILURE() << name << ": no input " << k;
      return Tensor();
    }
    return make_tensor(it->second.dtype, it->second.sizes, it->second.values);
  }
  DType dtype(const std::string& k) const { return inputs.at(k).dtype; }
  const Check& check(const std::string& k) const { return checks.at(k); }
};

inline std::vector<Case> load(const std::string& file) {
  std::vector<Case> cases;
  const std::string path = std::string(EMBER_TEST_DATA_DIR) + "/nn/" + file;
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string kind, name;
    ls >> kind >> name;
    if (kind == "case") {
      cases.push_back(Case{name, {}, {}, {}});
      continue;
    }
    Case& c = cases.back();
    std::string tok;
    if (kind == "attr") {
      while (ls >> tok) c.attrs[name].push_back(parse_number(tok));
    } else if (kind == "tensor") {
      Input t;
      std::string dt;
      int64_t ndim;
      ls >> dt >> ndim;
      t.dtype = parse_dtype(dt);
      for (int64_t i = 0; i < ndim; ++i) {
        int64_t s;
        ls >> s;
        t.sizes.push_back(s);
      }
      int64_t n = 1;
      for (int64_t s : t.sizes) n *= s;
      std::string how;
      ls >> how;
      if (how == "gen") {
        uint64_t mult;
        std::string scale;
        ls >> mult >> scale;
        for (int64_t i = 0; i < n; ++i) t.values.push_back(gen_value(i, mult, parse_number(scale)));
      } else {
        while (ls >> tok) t.values.push_back(parse_number(tok));
      }
      EXPECT_EQ(static_cast<int64_t>(t.values.size()), n) << c.name << "." << name;
      c.inputs[name] = std::move(t);
    } else if (kind == "check") {
      Check ch;
      int64_t ndim, k;
      ls >> ndim;
      for (int64_t i = 0; i < ndim; ++i) {
        int64_t s;
        ls >> s;
        ch.sizes.push_back(s);
      }
      std::string a, b, d;
      ls >> a >> b >> d >> k;
      ch.sum = parse_number(a);
      ch.l1 = parse_number(b);
      ch.dot = parse_number(d);
      for (int64_t i = 0; i < k; ++i) {
        int64_t idx;
        ls >> idx >> tok;
        ch.samples.emplace_back(idx, parse_number(tok));
      }
      c.checks[name] = std::move(ch);
    }
  }
  EXPECT_FALSE(cases.empty()) << path;
  return cases;
}

struct Tolerance {
  double rtol, atol;
};
inline Tolerance tolerance_for(DType t) {
  if (t == DType::Float64) return {1e-10, 1e-12};
  if (t == DType::Float32) return {2e-5, 2e-6};
  return {0, 0};  // integers and bools: exact
}

// Compares t with check: shape, sampled elements, and sum / l1 / dot of all elements.
inline void expect_matches(const Tensor& t, const Check& c, Tolerance tol,
                           const std::string& what) {
  ASSERT_TRUE(t) << what << ": no tensor";
  ASSERT_EQ(t->sizes(), c.sizes) << what;
  const std::vector<double> v = values_of(t);
  for (const auto& [i, expected] : c.samples) {
    const double got = v[static_cast<size_t>(i)];
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got)) << what << "[" << i << "] = " << got << ", expected nan";
    } else if (std::isinf(expected)) {
      EXPECT_EQ(got, expected) << what << "[" << i << "]";
    } else {
      EXPECT_NEAR(got, expected, tol.atol + tol.rtol * std::fabs(expected))
          << what << "[" << i << "]";
    }
  }
  double sum = 0, l1 = 0, dot = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!std::isfinite(v[i])) continue;
    sum += v[i];
    l1 += std::fabs(v[i]);
    dot += v[i] * gen_value(static_cast<int64_t>(i), 40503, 1.0);
  }
  const double agg = tol.atol * static_cast<double>(v.size()) + tol.rtol * c.l1;
  EXPECT_NEAR(sum, c.sum, agg) << what << ": sum of all elements";
  EXPECT_NEAR(l1, c.l1, agg) << what << ": sum of absolute values";
  EXPECT_NEAR(dot, c.dot, agg) << what << ": dot product with the pattern";
}

// Borrowed handle of an engine tensor for a C ABI call (the tensor keeps its reference).
inline ember_tensor h(const Tensor& t) { return reinterpret_cast<ember_tensor>(t.get()); }
// Takes ownership of a handle a C ABI call returned.
inline Tensor adopt(ember_tensor t) { return Tensor::adopt(reinterpret_cast<TensorImpl*>(t)); }

// Expects status and a message containing `text`.
#define EXPECT_EMBER_ERROR(call, status, text)                                       \
  do {                                                                               \
    const ember_status s_ = (call);                                                  \
    EXPECT_EQ(s_, status) << ember_last_error();                                     \
    EXPECT_NE(std::string(ember_last_error()).find(text), std::string::npos)         \
        << "message: " << ember_last_error() << "\nexpected to contain: " << (text); \
  } while (0)

}  // namespace ember::nnref
