// Meta functions of the reductions beyond sum/mean, the arg reductions, scans and order statistics
// (ops_math.h): dims, result dtypes and shapes, the empty cases, then the device's kernel.
#include <cmath>
#include <limits>

#include "dispatch.h"
#include "error.h"
#include "meta.h"
#include "ops.h"
#include "ops_math.h"

namespace ember {

constinit DispatchStub<ReduceExFn> reduce_ex_stub("reduce_ex");
constinit DispatchStub<ArgExtremeFn> arg_extreme_stub("arg_extreme");
constinit DispatchStub<ScanFn> scan_stub("scan");
constinit DispatchStub<OrderFn> order_stub("order");

namespace ops {

namespace {

// The shapes of a reduction over dims (all when empty): keep has size 1 on reduced dims.
struct Plan {
  DimVector keep, out;
  int64_t count = 1;  // elements folded into each output
};

Plan plan(const char* name, const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  const int64_t nd = a->dim();
  DimVector listed(std::max<int64_t>(nd, 1), 0);
  for (int64_t d : dims) {
    const int64_t w = wrap_dim(name, d, listed.size());
    EMBER_CHECK(!listed[w], EMBER_ERROR_INVALID_ARGUMENT, name, ": dim ", w,
                " appears multiple times in the list of dims (input ", meta::describe(a), ")");
    listed[w] = 1;
  }
  Plan p;
  p.keep = DimVector(nd);
  for (int64_t d = 0; d < nd; ++d) {
    const bool reduced = dims.empty() || listed[d];
    p.keep[d] = reduced ? 1 : a->size(d);
    if (reduced) p.count *= a->size(d);
    if (!reduced || keepdim) p.out.push_back(p.keep[d]);
  }
  return p;
}

// Runs op into a new tensor of dtype; empty inputs fill with `empty_value`, or fail when it is
// null (the reduction has no identity: max, min).
Tensor reduce_ex(const char* name, ReduceExOp op, const Tensor& a, std::span<const int64_t> dims,
                 bool keepdim, DType dtype, const Scalar* empty_value, double param = 0) {
  const Plan p = plan(name, a, dims, keepdim);
  Tensor out = empty(p.out, dtype, a->device());
  if (p.count == 0) {
    EMBER_CHECK(empty_value != nullptr || out->numel() == 0, EMBER_ERROR_INVALID_ARGUMENT, name,
                ": Expected reduction dim to have non-zero size (input ", meta::describe(a),
                "); the reduction has no identity");
  }
  if (out->numel() == 0) return out;
  if (p.count == 0) {
    fill_stub(name, a->device(), out, *empty_value);
    return out;
  }
  const Tensor keep =
      keepdim ? out : make_view(out, p.keep, contiguous_strides(p.keep), out->offset());
  reduce_ex_stub(name, a->device(), op, keep, a, param);
  return out;
}

void check_floating(const char* name, const Tensor& a) {
  EMBER_CHECK(is_floating(a->dtype()), EMBER_ERROR_DTYPE, name,
              ": takes a floating tensor (float32, float64, float16, bfloat16), got ",
              meta::describe(a));
}

const Scalar kZero = Scalar::from_int(0);
const Scalar kOne = Scalar::from_int(1);
const Scalar kTrue = Scalar::from_bool(true);
const Scalar kFalse = Scalar::from_bool(false);
const Scalar kNaN = Scalar::from_float(std::numeric_limits<double>::quiet_NaN());

// (outer, size, inner) of a contiguous tensor around dim.
struct Line {
  int64_t outer = 1, size = 1, inner = 1;
};

Line line_of(const Tensor& a, int64_t dim) {
  Line l;
  for (int64_t d = 0; d < a->dim(); ++d) {
    if (d < dim)
      l.outer *= a->size(d);
    else if (d > dim)
      l.inner *= a->size(d);
    else
      l.size = a->size(d);
  }
  return l;
}

// The shape a reduction over dim leaves (keepdim: size 1 there).
DimVector without_dim(const Tensor& a, int64_t dim, bool keepdim) {
  DimVector s;
  for (int64_t d = 0; d < a->dim(); ++d) {
    if (d != dim)
      s.push_back(a->size(d));
    else if (keepdim)
      s.push_back(1);
  }
  return s;
}

std::pair<Tensor, Tensor> arg_extreme(const char* name, bool minimum, const Tensor& a, int64_t dim,
                                      bool keepdim, bool values) {
  const int64_t d = wrap_dim(name, dim, std::max<int64_t>(a->dim(), 1));
  const int64_t size = a->dim() == 0 ? 1 : a->size(d);
  const DimVector shape = a->dim() == 0 ? DimVector{} : without_dim(a, d, keepdim);
  Tensor vals = values ? empty(shape, a->dtype(), a->device()) : Tensor();
  Tensor idx = empty(shape, DType::Int64, a->device());
  if (idx->numel() == 0) return {vals, idx};
  EMBER_CHECK(size > 0, EMBER_ERROR_INVALID_ARGUMENT, name, ": Expected reduction dim ", d,
              " to have non-zero size (input ", meta::describe(a), ")");
  const Tensor c = contiguous(a);
  const Line l = a->dim() == 0 ? Line{} : line_of(c, d);
  arg_extreme_stub(name, a->device(), minimum, vals, idx, c, l.outer, l.size, l.inner);
  return {vals, idx};
}

}  // namespace

Tensor prod(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  const DType t = is_floating(a->dtype()) ? a->dtype() : DType::Int64;
  return reduce_ex("prod", ReduceExOp::Prod, a, dims, keepdim, t, &kOne);
}

Tensor amax(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  return reduce_ex("amax", ReduceExOp::Amax, a, dims, keepdim, a->dtype(), nullptr);
}

Tensor amin(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  return reduce_ex("amin", ReduceExOp::Amin, a, dims, keepdim, a->dtype(), nullptr);
}

// uint8 inputs give uint8 results, as in PyTorch.
Tensor all(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  const DType t = a->dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool;
  return reduce_ex("all", ReduceExOp::All, a, dims, keepdim, t, &kTrue);
}

Tensor any(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  const DType t = a->dtype() == DType::UInt8 ? DType::UInt8 : DType::Bool;
  return reduce_ex("any", ReduceExOp::Any, a, dims, keepdim, t, &kFalse);
}

Tensor count_nonzero(const Tensor& a, std::span<const int64_t> dims) {
  return reduce_ex("count_nonzero", ReduceExOp::CountNonzero, a, dims, false, DType::Int64, &kZero);
}

Tensor var(const Tensor& a, std::span<const int64_t> dims, double correction, bool keepdim) {
  check_floating("var", a);
  return reduce_ex("var", ReduceExOp::Var, a, dims, keepdim, a->dtype(), &kNaN, correction);
}

Tensor std(const Tensor& a, std::span<const int64_t> dims, double correction, bool keepdim) {
  check_floating("std", a);
  Tensor v = reduce_ex("std", ReduceExOp::Var, a, dims, keepdim, a->dtype(), &kNaN, correction);
  if (v->numel() > 0) math_unary_(MathUnaryOp::Sqrt, v);
  return v;
}

std::pair<Tensor, Tensor> var_mean(const Tensor& a, std::span<const int64_t> dims,
                                   double correction, bool keepdim) {
  check_floating("var_mean", a);
  return {var(a, dims, correction, keepdim), mean(a, dims, keepdim)};
}

std::pair<Tensor, Tensor> std_mean(const Tensor& a, std::span<const int64_t> dims,
                                   double correction, bool keepdim) {
  check_floating("std_mean", a);
  return {std(a, dims, correction, keepdim), mean(a, dims, keepdim)};
}

Tensor norm(const Tensor& a, double p, std::span<const int64_t> dims, bool keepdim) {
  const char* name = "norm";
  check_floating(name, a);
  EMBER_CHECK(!std::isnan(p), EMBER_ERROR_INVALID_ARGUMENT, name, ": p must not be NaN");
  ReduceExOp op = ReduceExOp::NormP;
  if (p == 0)
    op = ReduceExOp::Norm0;
  else if (p == 1)
    op = ReduceExOp::Norm1;
  else if (p == 2)
    op = ReduceExOp::Norm2;
  else if (p == std::numeric_limits<double>::infinity())
    op = ReduceExOp::NormInf;
  else if (p == -std::numeric_limits<double>::infinity())
    op = ReduceExOp::NormNegInf;
  // The infinity norms have no identity; the others of nothing are 0.
  const bool extreme = op == ReduceExOp::NormInf || op == ReduceExOp::NormNegInf || p < 0;
  return reduce_ex(name, op, a, dims, keepdim, a->dtype(), extreme ? nullptr : &kZero, p);
}

Tensor logsumexp(const Tensor& a, std::span<const int64_t> dims, bool keepdim) {
  const char* name = "logsumexp";
  Tensor ta;
  const Tensor& x = meta::with_dtype(a, is_floating(a->dtype()) ? a->dtype() : kDefaultFloat, ta);
  const Plan p = plan(name, x, dims, keepdim);
  if (p.count == 0) {  // log(0)
    return full(p.out, Scalar::from_float(-std::numeric_limits<double>::infinity()), x->dtype(),
                x->device());
  }
  // log(sum(exp(x - m))) + m with m the maximum, replaced by 0 where it is infinite so that
  // all -inf gives -inf and an +inf gives +inf, not NaN.
  const Tensor mx = amax(x, dims, true);
  const Tensor m =
      where(math_unary(MathUnaryOp::IsInf, mx), full({}, kZero, x->dtype(), x->device()), mx);
  Tensor shifted = binary(BinaryOp::Sub, x, m);
  unary_(UnaryOp::Exp, shifted);
  Tensor s = sum(shifted, dims, true);
  unary_(UnaryOp::Log, s);
  binary_(BinaryOp::Add, s, m);
  return keepdim ? s : reshape(s, std::span<const int64_t>(p.out.data(), p.out.size()));
}

std::pair<Tensor, Tensor> min_dim(const Tensor& a, int64_t dim, bool keepdim) {
  return arg_extreme("min", true, a, dim, keepdim, true);
}

Tensor argmin(const Tensor& a, int64_t dim, bool keepdim) {
  return arg_extreme("argmin", true, a, dim, keepdim, false).second;
}

// ---- scans ----

namespace {

Tensor scan(const char* name, ScanOp op, const Tensor& a, int64_t dim, DType dtype,
            Tensor* indices) {
  const int64_t d = wrap_dim(name, dim, std::max<int64_t>(a->dim(), 1));
  Tensor ta;
  const Tensor c = contiguous(meta::with_dtype(a, dtype, ta));
  Tensor out = empty(a->sizes(), dtype, a->device());
  if (indices) *indices = empty(a->sizes(), DType::Int64, a->device());
  if (out->numel() == 0) return out;
  const Line l = a->dim() == 0 ? Line{} : line_of(c, d);
  scan_stub(name, a->device(), op, out, indices ? *indices : Tensor(), c, l.outer, l.size, l.inner);
  return out;
}

DType cum_dtype(const Tensor& a, std::optional<DType> dtype) {
  if (dtype) return *dtype;
  return is_floating(a->dtype()) ? a->dtype() : DType::Int64;
}

}  // namespace

Tensor cumsum(const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  return scan("cumsum", ScanOp::Sum, a, dim, cum_dtype(a, dtype), nullptr);
}

Tensor cumprod(const Tensor& a, int64_t dim, std::optional<DType> dtype) {
  return scan("cumprod", ScanOp::Prod, a, dim, cum_dtype(a, dtype), nullptr);
}

std::pair<Tensor, Tensor> cummax(const Tensor& a, int64_t dim) {
  Tensor idx;
  Tensor v = scan("cummax", ScanOp::Max, a, dim, a->dtype(), &idx);
  return {v, idx};
}

std::pair<Tensor, Tensor> cummin(const Tensor& a, int64_t dim) {
  Tensor idx;
  Tensor v = scan("cummin", ScanOp::Min, a, dim, a->dtype(), &idx);
  return {v, idx};
}

// ---- order statistics ----

namespace {

std::pair<Tensor, Tensor> order(const char* name, OrderOp op, const Tensor& a, int64_t dim,
                                bool keepdim) {
  EMBER_CHECK(a->dtype() != DType::Bool || op == OrderOp::Mode, EMBER_ERROR_DTYPE, name,
              ": not implemented for bool tensors (input ", meta::describe(a), ")");
  const int64_t d = wrap_dim(name, dim, std::max<int64_t>(a->dim(), 1));
  const int64_t size = a->dim() == 0 ? 1 : a->size(d);
  const DimVector shape = a->dim() == 0 ? DimVector{} : without_dim(a, d, keepdim);
  Tensor vals = empty(shape, a->dtype(), a->device());
  Tensor idx = empty(shape, DType::Int64, a->device());
  if (idx->numel() == 0) return {vals, idx};
  EMBER_CHECK(size > 0, EMBER_ERROR_INVALID_ARGUMENT, name, ": Expected reduction dim ", d,
              " to have non-zero size (input ", meta::describe(a), ")");
  const Tensor c = contiguous(a);
  const Line l = a->dim() == 0 ? Line{} : line_of(c, d);
  order_stub(name, a->device(), op, vals, idx, c, l.outer, l.size, l.inner);
  return {vals, idx};
}

}  // namespace

Tensor median(const Tensor& a) {
  if (a->numel() == 0) {
    EMBER_CHECK(is_floating(a->dtype()), EMBER_ERROR_INVALID_ARGUMENT,
                "median: the median of an empty ", dtype_name(a->dtype()), " tensor is undefined");
    return full({}, kNaN, a->dtype(), a->device());
  }
  const int64_t all_elements[] = {-1};
  const Tensor flat = reshape(a, all_elements);
  return order("median", OrderOp::Median, flat, 0, false).first;
}

std::pair<Tensor, Tensor> median_dim(const Tensor& a, int64_t dim, bool keepdim) {
  return order("median", OrderOp::Median, a, dim, keepdim);
}

std::pair<Tensor, Tensor> mode(const Tensor& a, int64_t dim, bool keepdim) {
  return order("mode", OrderOp::Mode, a, dim, keepdim);
}

}  // namespace ops
}  // namespace ember
