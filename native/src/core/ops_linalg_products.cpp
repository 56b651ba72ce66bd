// Meta functions of the matrix products (mm, bmm, addmm, ...), kron, trace and einsum. They are
// compositions of matmul, views and elementwise ops, so every backend with those runs them.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "error.h"
#include "meta.h"
#include "ops.h"
#include "ops_linalg.h"
#include "ops_shape.h"

namespace ember::ops {

namespace {

void check_rank(const char* op, const Tensor& t, int64_t rank, const char* what) {
  EMBER_CHECK(t->dim() == rank, EMBER_ERROR_SHAPE, op, ": ", what, " must be a ", rank,
              "-d tensor, got ", meta::describe(t));
}

void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  meta::check_same_device(op, a, b);
  EMBER_CHECK(a->dtype() == b->dtype(), EMBER_ERROR_DTYPE, op,
              ": expected both arguments to have the same dtype, but got ", meta::describe(a),
              " and ", meta::describe(b));
}

bool is_one(Scalar s) { return s.kind == Scalar::Kind::Float ? s.f == 1.0 : s.i == 1; }
bool is_zero(Scalar s) { return s.kind == Scalar::Kind::Float ? s.f == 0.0 : s.i == 0; }

// beta * input + alpha * prod, input broadcast to prod's shape (beta 0 ignores input entirely).
Tensor combine(const char* op, const Tensor& input, const Tensor& prod, Scalar beta, Scalar alpha) {
  check_same_dtype(op, input, prod);
  const DimVector shape = meta::broadcast_shapes(op, input, prod);
  EMBER_CHECK(shape == prod->sizes(), EMBER_ERROR_SHAPE, op, ": input ", meta::describe(input),
              " cannot be broadcast to the product's shape ", prod->sizes());
  Tensor out = is_one(alpha) ? prod : binary_scalar(BinaryOp::Mul, prod, alpha);
  if (is_zero(beta)) return out;
  const Tensor scaled = is_one(beta) ? input : binary_scalar(BinaryOp::Mul, input, beta);
  return binary(BinaryOp::Add, out, scaled);
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  check_rank("mm", a, 2, "self");
  check_rank("mm", b, 2, "mat2");
  return matmul(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  check_rank("bmm", a, 3, "batch1");
  check_rank("bmm", b, 3, "batch2");
  EMBER_CHECK(a->size(0) == b->size(0), EMBER_ERROR_SHAPE,
              "bmm: batch1 and batch2 must have the same batch size, got ", meta::describe(a),
              " and ", meta::describe(b));
  return matmul(a, b);
}

Tensor mv(const Tensor& a, const Tensor& v) {
  check_rank("mv", a, 2, "self");
  check_rank("mv", v, 1, "vec");
  return matmul(a, v);
}

Tensor dot(const Tensor& a, const Tensor& b, const char* op) {
  check_rank(op, a, 1, "self");
  check_rank(op, b, 1, "other");
  check_same_dtype(op, a, b);
  EMBER_CHECK(a->size(0) == b->size(0), EMBER_ERROR_SHAPE, op,
              ": inconsistent tensor size, expected tensor ", meta::describe(a), " and src ",
              meta::describe(b), " to have the same number of elements");
  return matmul(a, b);
}

Tensor outer(const Tensor& a, const Tensor& b) {
  check_rank("outer", a, 1, "self");
  check_rank("outer", b, 1, "vec2");
  return binary(BinaryOp::Mul, unsqueeze(a, 1), unsqueeze(b, 0));
}

Tensor addmm(const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
  return combine("addmm", input, mm(a, b), beta, alpha);
}

Tensor addbmm(const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
  const int64_t zero = 0;
  return combine("addbmm", input, sum(bmm(a, b), std::span<const int64_t>(&zero, 1), false), beta,
                 alpha);
}

Tensor baddbmm(const Tensor& input, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
  return combine("baddbmm", input, bmm(a, b), beta, alpha);
}

Tensor kron(const Tensor& a, const Tensor& b) {
  meta::check_same_device("kron", a, b);
  const int64_t n = std::max(a->dim(), b->dim());
  DimVector sa, sb, out;
  for (int64_t d = 0; d < n; ++d) {
    const int64_t da = d - (n - a->dim()), db = d - (n - b->dim());
    const int64_t x = da >= 0 ? a->size(da) : 1, y = db >= 0 ? b->size(db) : 1;
    sa.push_back(x);
    sa.push_back(1);
    sb.push_back(1);
    sb.push_back(y);
    out.push_back(x * y);
  }
  const Tensor prod = binary(BinaryOp::Mul, reshape(a, std::span<const int64_t>(sa)),
                             reshape(b, std::span<const int64_t>(sb)));
  return reshape(prod, std::span<const int64_t>(out));
}

Tensor trace(const Tensor& t) {
  check_rank("trace", t, 2, "self");
  return sum(diagonal(t, 0, 0, 1), std::span<const int64_t>(), false);
}

// ---- einsum ----

namespace {

constexpr int kEllipsisBase = 1000;  // labels of the ellipsis dims: kEllipsisBase + position

struct Term {
  std::vector<int> labels;
  bool ellipsis = false;
  size_t ellipsis_at = 0;  // index in labels where the ellipsis dims go
};

int letter_label(const char* op, char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  EMBER_FAIL(EMBER_ERROR_INVALID_ARGUMENT, op, ": invalid subscript '", c,
             "' (subscripts are letters a-z and A-Z)");
}

Term parse_term(const char* op, std::string_view s) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      EMBER_CHECK(!t.ellipsis && s.substr(i, 3) == "...", EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": invalid ellipsis in subscripts \"", std::string(s), "\"");
      t.ellipsis = true;
      t.ellipsis_at = t.labels.size();
      i += 2;
    } else {
      t.labels.push_back(letter_label(op, s[i]));
    }
  }
  return t;
}

// An operand with one label per dim.
struct Labeled {
  Tensor t;
  std::vector<int> labels;
};

std::vector<int> expand_ellipsis(const Term& term, int64_t ell_rank, int64_t max_ell) {
  std::vector<int> out(term.labels.begin(), term.labels.begin() + term.ellipsis_at);
  for (int64_t i = 0; i < ell_rank; ++i) out.push_back(kEllipsisBase + (max_ell - ell_rank) + i);
  out.insert(out.end(), term.labels.begin() + term.ellipsis_at, term.labels.end());
  return out;
}

// Sums away the dims whose labels are not in keep.
Labeled sum_unneeded(Labeled x, const std::vector<int>& keep) {
  DimVector dims;
  std::vector<int> labels;
  for (size_t i = 0; i < x.labels.size(); ++i) {
    if (std::find(keep.begin(), keep.end(), x.labels[i]) == keep.end()) {
      dims.push_back(i);
    } else {
      labels.push_back(x.labels[i]);
    }
  }
  if (dims.empty()) return x;
  return {sum(x.t, std::span<const int64_t>(dims), false), labels};
}

// Takes diagonals until no label repeats.
Labeled take_diagonals(Labeled x) {
  for (;;) {
    bool found = false;
    for (size_t i = 0; i < x.labels.size() && !found; ++i) {
      for (size_t j = i + 1; j < x.labels.size() && !found; ++j) {
        if (x.labels[i] != x.labels[j]) continue;
        EMBER_CHECK(x.t->size(i) == x.t->size(j), EMBER_ERROR_SHAPE,
                    "einsum: subscript repeated in an operand for dims of sizes ", x.t->size(i),
                    " and ", x.t->size(j), " (", meta::describe(x.t), ")");
        const int label = x.labels[i];
        x.t = diagonal(x.t, 0, i, j);
        x.labels.erase(x.labels.begin() + j);
        x.labels.erase(x.labels.begin() + i);
        x.labels.push_back(label);
        found = true;
      }
    }
    if (!found) return x;
  }
}

Tensor permuted(const Labeled& x, const std::vector<int>& order) {
  DimVector perm;
  for (int l : order) {
    perm.push_back(std::find(x.labels.begin(), x.labels.end(), l) - x.labels.begin());
  }
  return permute(x.t, std::span<const int64_t>(perm));
}

// Contracts a and b over their shared labels not in keep; batch over the shared ones in keep.
Labeled contract(const Labeled& a, const Labeled& b, const std::vector<int>& keep,
                 const std::map<int, int64_t>& sizes) {
  auto in = [](const std::vector<int>& v, int l) {
    return std::find(v.begin(), v.end(), l) != v.end();
  };
  std::vector<int> batch, contracted, aonly, bonly;
  for (int l : a.labels) {
    if (in(b.labels, l)) {
      (in(keep, l) ? batch : contracted).push_back(l);
    } else {
      aonly.push_back(l);
    }
  }
  for (int l : b.labels) {
    if (!in(a.labels, l)) bonly.push_back(l);
  }
  auto group = [&](const Labeled& x, const std::vector<int>& g1, const std::vector<int>& g2,
                   const std::vector<int>& g3) {
    std::vector<int> order(batch);
    order.insert(order.end(), g1.begin(), g1.end());
    order.insert(order.end(), g2.begin(), g2.end());
    order.insert(order.end(), g3.begin(), g3.end());
    Tensor p = permuted(x, order);
    // Size-1 dims broadcast against the other operand's size.
    DimVector full;
    for (int l : order) full.push_back(sizes.at(l));
    p = expand(p, std::span<const int64_t>(full));
    auto prod = [&](const std::vector<int>& g) {
      int64_t n = 1;
      for (int l : g) n *= sizes.at(l);
      return n;
    };
    const DimVector shape{prod(batch), prod(g1), prod(g2) * prod(g3)};
    return reshape(p, std::span<const int64_t>(shape));
  };
  const std::vector<int> none;
  const Tensor am = group(a, aonly, contracted, none);
  const Tensor bm = group(b, contracted, bonly, none);
  const Tensor r = matmul(am, bm);
  std::vector<int> labels(batch);
  labels.insert(labels.end(), aonly.begin(), aonly.end());
  labels.insert(labels.end(), bonly.begin(), bonly.end());
  DimVector shape;
  for (int l : labels) shape.push_back(sizes.at(l));
  return {reshape(r, std::span<const int64_t>(shape)), labels};
}

}  // namespace

Tensor einsum(std::string_view equation, std::span<const Tensor> tensors) {
  const char* op = "einsum";
  std::string eq;
  for (char c : equation) {
    if (c != ' ') eq += c;
  }
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<Term> terms;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(op, std::string_view(lhs).substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  EMBER_CHECK(terms.size() == tensors.size(), EMBER_ERROR_INVALID_ARGUMENT, op, ": the equation \"",
              std::string(equation), "\" has ", terms.size(), " operands but ", tensors.size(),
              " tensors were given");
  EMBER_CHECK(!tensors.empty(), EMBER_ERROR_INVALID_ARGUMENT, op,
              ": expected at least one operand");
  // Ellipsis ranks, and every operand's labels per dim.
  int64_t max_ell = 0;
  std::vector<int64_t> ell(terms.size(), 0);
  for (size_t k = 0; k < terms.size(); ++k) {
    const int64_t named = terms[k].labels.size();
    const int64_t rank = tensors[k]->dim();
    EMBER_CHECK(terms[k].ellipsis ? rank >= named : rank == named, EMBER_ERROR_SHAPE, op,
                ": the subscripts of operand ", k, " name ", named, " dims but the operand is ",
                meta::describe(tensors[k]));
    ell[k] = terms[k].ellipsis ? rank - named : 0;
    max_ell = std::max(max_ell, ell[k]);
    if (k > 0) meta::check_same_device(op, tensors[0], tensors[k]);
  }
  std::vector<Labeled> xs;
  std::map<int, int64_t> sizes;
  std::map<int, int> count;
  DType dtype = tensors[0]->dtype();
  for (size_t k = 0; k < terms.size(); ++k) {
    Labeled x{tensors[k], expand_ellipsis(terms[k], ell[k], max_ell)};
    dtype = promote_types(dtype, tensors[k]->dtype());
    for (size_t i = 0; i < x.labels.size(); ++i) {
      const int l = x.labels[i];
      const int64_t s = x.t->size(i);
      auto it = sizes.find(l);
      if (it == sizes.end() || it->second == 1) {
        sizes[l] = it == sizes.end() ? s : std::max(it->second, s);
      } else {
        EMBER_CHECK(s == it->second || s == 1, EMBER_ERROR_SHAPE, op,
                    ": operands do not broadcast: a subscript has sizes ", it->second, " and ", s,
                    " (operand ", k, " is ", meta::describe(tensors[k]), ")");
      }
      ++count[l];
    }
    xs.push_back(std::move(x));
  }
  // The output labels.
  std::vector<int> out;
  if (arrow != std::string::npos) {
    const Term t = parse_term(op, std::string_view(eq).substr(arrow + 2));
    out = expand_ellipsis(t, t.ellipsis ? max_ell : 0, max_ell);
    for (size_t i = 0; i < out.size(); ++i) {
      EMBER_CHECK(sizes.count(out[i]), EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": an output subscript does not appear in the inputs of \"",
                  std::string(equation), "\"");
      EMBER_CHECK(std::count(out.begin(), out.end(), out[i]) == 1, EMBER_ERROR_INVALID_ARGUMENT, op,
                  ": output subscripts repeat in \"", std::string(equation), "\"");
    }
  } else {
    for (int64_t i = 0; i < max_ell; ++i) out.push_back(kEllipsisBase + i);
    for (const auto& [l, c] : count) {
      if (l < kEllipsisBase && c == 1) out.push_back(l);
    }
  }
  for (Labeled& x : xs) {
    x.t = to_dtype(x.t, dtype);
    x = take_diagonals(std::move(x));
  }
  // Labels each step must keep: the output's and those of the operands still to come.
  auto keep_after = [&](size_t k) {
    std::vector<int> keep(out);
    for (size_t j = k + 1; j < xs.size(); ++j) {
      keep.insert(keep.end(), xs[j].labels.begin(), xs[j].labels.end());
    }
    return keep;
  };
  for (size_t k = 0; k < xs.size(); ++k) {
    std::vector<int> keep = keep_after(k);
    if (k > 0) keep.insert(keep.end(), xs[0].labels.begin(), xs[0].labels.end());
    // Operand k's labels that nothing else needs are summed first.
    std::vector<int> others(keep);
    for (size_t j = 0; j < k; ++j)
      others.insert(others.end(), xs[j].labels.begin(), xs[j].labels.end());
    xs[k] = sum_unneeded(std::move(xs[k]), others);
  }
  Labeled acc = xs[0];
  for (size_t k = 1; k < xs.size(); ++k) acc = contract(acc, xs[k], keep_after(k), sizes);
  acc = sum_unneeded(std::move(acc), out);
  Tensor r = permuted(acc, out);
  DimVector full;
  for (int l : out) full.push_back(sizes.at(l));
  return contiguous(expand(r, std::span<const int64_t>(full)));
}

}  // namespace ember::ops
