// scaled_dot_product_attention meta functions: checks, batch broadcasting (as per-batch element
// offsets, so broadcast operands are never copied), dtype handling, and the reduction of the
// gradients over broadcast batch dims.
#include <cmath>
#include <limits>
#include <string>

#include "attention.h"
#include "error.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<SdpaFn> sdpa_stub("scaled_dot_product_attention");
DispatchStub<SdpaBackwardFn> sdpa_backward_stub("scaled_dot_product_attention_backward");

namespace ops {
namespace {

constexpr const char* kOp = "scaled_dot_product_attention";
constexpr const char* kBackwardOp = "scaled_dot_product_attention_backward";

// The leading (batch) dims of t, all but its last `tail`.
DimVector lead(const Tensor& t, int64_t tail) {
  return DimVector(t->sizes().data(), t->dim() - tail);
}

DimVector with_tail(const DimVector& batch, std::initializer_list<int64_t> tail) {
  DimVector out(batch.size() + static_cast<int64_t>(tail.size()));
  for (int64_t d = 0; d < batch.size(); ++d) out[d] = batch[d];
  int64_t d = batch.size();
  for (int64_t s : tail) out[d++] = s;
  return out;
}

// "[2, 3]" for messages.
std::string shape_str(const DimVector& sizes) {
  std::string s = "[";
  for (int64_t d = 0; d < sizes.size(); ++d) s += (d ? ", " : "") + std::to_string(sizes[d]);
  return s + "]";
}

// The strides (row-major over batch, 0 where broadcast) of t's first t->dim() - tail dims, which
// broadcast (right-aligned) against batch.
DimVector batch_strides(const Tensor& t, int64_t tail, const DimVector& batch) {
  const int64_t nb = batch.size(), own = t->dim() - tail;
  DimVector stride(nb, 0);
  for (int64_t d = 0; d < own; ++d) {
    const int64_t bd = nb - own + d;
    stride[bd] = t->size(d) == 1 ? 0 : t->stride(d);
  }
  return stride;
}

// Element offset of every batch element (row-major over batch) for the given batch strides.
std::vector<int64_t> batch_offsets(const DimVector& stride, const DimVector& batch) {
  const int64_t nb = batch.size();
  int64_t count = 1;
  for (int64_t d = 0; d < nb; ++d) count *= batch[d];
  std::vector<int64_t> off(static_cast<size_t>(count));
  DimVector idx(nb, 0);
  int64_t cur = 0;
  for (int64_t b = 0; b < count; ++b) {
    off[static_cast<size_t>(b)] = cur;
    for (int64_t d = nb - 1; d >= 0; --d) {  // odometer step, carrying the offset along
      cur += stride[d];
      if (++idx[d] < batch[d]) break;
      cur -= stride[d] * batch[d];
      idx[d] = 0;
    }
  }
  return off;
}

// One operand's batch offsets: the host table in `table` and, in `strides`, its batch strides.
void describe_batch(const Tensor& t, int64_t tail, const DimVector& batch,
                    std::vector<int64_t>& table, int64_t* strides) {
  const DimVector s = batch_strides(t, tail, batch);
  for (int64_t d = 0; d < s.size(); ++d) strides[d] = s[d];
  table = batch_offsets(s, batch);
}

// t in dtype with rows of its last two dims contiguous (row stride = last size), copying only
// when needed and never materialising a broadcast.
Tensor rows_contiguous(const Tensor& t, DType dtype) {
  Tensor c = t->dtype() == dtype ? t : to_dtype(t, dtype);
  const int64_t n = c->dim();
  const bool unit = c->size(n - 1) <= 1 || c->stride(n - 1) == 1;
  const bool rows = c->size(n - 2) <= 1 || c->stride(n - 2) == c->size(n - 1);
  return unit && rows ? c : contiguous(c);
}

// Everything both directions derive from the operands. p points into the offset tables, whose
// buffers a move of Prepared keeps in place (a copy would not: there is none).
struct Prepared {
  Prepared() = default;
  Prepared(Prepared&&) = default;
  Prepared(const Prepared&) = delete;
  SdpaParams p;
  DimVector batch;
  DType dtype = DType::Float32;  // the compute dtype (see SdpaParams)
  DType acc = DType::Float32;    // the accumulation dtype of lse and the gradients
  Tensor q, k, v, mask;          // in the compute dtype (mask: bool or compute), rows contiguous
  std::vector<int64_t> q_off, k_off, v_off, m_off;
};

Prepared prepare(const char* op, const Tensor& q, const Tensor& k, const Tensor& v,
                 const Tensor& mask_in, double dropout_p, bool is_causal, double scale) {
  nn_meta::check_floating(op, "query", q);
  nn_meta::check_same_dtype_device(op, {{"query", &q}, {"key", &k}, {"value", &v}});
  EMBER_CHECK(q->dim() >= 2 && k->dim() >= 2 && v->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": expected query (..., L, E), key (..., S, E) and value (..., S, Ev) of at least 2 "
              "dims, but got query ",
              meta::describe(q), ", key ", meta::describe(k), " and value ", meta::describe(v));
  const int64_t L = q->size(q->dim() - 2), E = q->size(q->dim() - 1);
  const int64_t S = k->size(k->dim() - 2), Ev = v->size(v->dim() - 1);
  EMBER_CHECK(k->size(k->dim() - 1) == E, EMBER_ERROR_SHAPE, op,
              ": expected key's last dim to match query's (E = ", E, "), but got query ",
              meta::describe(q), " and key ", meta::describe(k));
  EMBER_CHECK(v->size(v->dim() - 2) == S, EMBER_ERROR_SHAPE, op,
              ": expected value's sequence length to match key's (S = ", S, "), but got key ",
              meta::describe(k), " and value ", meta::describe(v));
  EMBER_CHECK(dropout_p >= 0 && dropout_p <= 1, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": dropout probability has to be between 0 and 1, but got ", dropout_p);
  DimVector batch = meta::broadcast_shapes(op, lead(q, 2), lead(k, 2), "query and key batch");
  batch = meta::broadcast_shapes(op, batch, lead(v, 2), "query/key and value batch");

  Prepared r;
  // GPU kernels take 16-bit operands as they are (tensor cores); the CPU computes in float.
  const bool gpu16 = q->device().type != DeviceType::CPU &&
                     (q->dtype() == DType::Float16 || q->dtype() == DType::BFloat16);
  r.acc = nn_meta::compute_dtype(q->dtype());
  r.dtype = gpu16 ? q->dtype() : r.acc;
  Tensor mask = mask_in;
  if (mask) {
    EMBER_CHECK(!is_causal, EMBER_ERROR_INVALID_ARGUMENT, op,
                ": an explicit attn_mask cannot be combined with is_causal=true");
    EMBER_CHECK(mask->dtype() == DType::Bool || is_floating(mask->dtype()), EMBER_ERROR_DTYPE, op,
                ": expected attn_mask to be bool or floating, but got ", meta::describe(mask));
    EMBER_CHECK(mask->device() == q->device(), EMBER_ERROR_DEVICE, op,
                ": expected attn_mask on the device of query, but got attn_mask ",
                meta::describe(mask), " and query ", meta::describe(q));
    while (mask->dim() < 2) mask = unsqueeze(mask, 0);
    const int64_t mr = mask->size(mask->dim() - 2), mc = mask->size(mask->dim() - 1);
    EMBER_CHECK((mr == 1 || mr == L) && (mc == 1 || mc == S), EMBER_ERROR_SHAPE, op,
                ": expected attn_mask to broadcast to (..., L, S) = (..., ", L, ", ", S,
                "), but got attn_mask ", meta::describe(mask_in));
    batch = meta::broadcast_shapes(op, batch, lead(mask, 2), "attention and attn_mask batch");
    if (mask->dtype() != DType::Bool && mask->dtype() != r.dtype) mask = to_dtype(mask, r.dtype);
    r.p.m_rs = mr == 1 ? 0 : mask->stride(mask->dim() - 2);
    r.p.m_cs = mc == 1 ? 0 : mask->stride(mask->dim() - 1);
  }
  EMBER_CHECK(batch.size() <= kSdpaMaxBatchDims, EMBER_ERROR_SHAPE, op, ": at most ",
              kSdpaMaxBatchDims, " batch dims are supported, but the operands broadcast to ",
              shape_str(batch));

  r.q = rows_contiguous(q, r.dtype);
  r.k = rows_contiguous(k, r.dtype);
  r.v = rows_contiguous(v, r.dtype);
  r.mask = mask;
  r.batch = batch;

  SdpaParams& p = r.p;
  p.L = L, p.S = S, p.E = E, p.Ev = Ev;
  p.scale = std::isnan(scale) ? 1 / std::sqrt(static_cast<double>(E)) : scale;
  p.causal = is_causal;
  p.batch_dims = static_cast<int32_t>(batch.size());
  for (int64_t d = 0; d < batch.size(); ++d) p.batch_sizes[d] = batch[d];
  describe_batch(r.q, 2, batch, r.q_off, p.q_bs);
  describe_batch(r.k, 2, batch, r.k_off, p.k_bs);
  describe_batch(r.v, 2, batch, r.v_off, p.v_bs);
  p.q_off = r.q_off.data();
  p.k_off = r.k_off.data();
  p.v_off = r.v_off.data();
  if (mask) {
    describe_batch(mask, 2, batch, r.m_off, p.m_bs);
    p.m_off = r.m_off.data();
  }
  p.batch = static_cast<int64_t>(r.q_off.size());
  p.dropout = dropout_p > 0;
  p.keep = 1 - dropout_p;
  return r;
}

// g (full batch + tail) summed down to target's sizes (the gradient of a broadcast), in dtype.
Tensor sum_to(const Tensor& g, const DimVector& target, DType dtype) {
  Tensor r = g;
  const int64_t extra = g->dim() - target.size();
  if (extra > 0) {
    DimVector dims(extra);
    for (int64_t d = 0; d < extra; ++d) dims[d] = d;
    r = sum(r, dims, false);
  }
  DimVector ones;
  for (int64_t d = 0; d < target.size(); ++d) {
    if (target[d] == 1 && r->size(d) != 1) ones.push_back(d);
  }
  if (ones.size() > 0) r = sum(r, ones, true);
  return r->dtype() == dtype ? r : to_dtype(r, dtype);
}

}  // namespace

SdpaResult scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                        const Tensor& mask, double dropout_p, bool is_causal,
                                        double scale, Generator& gen) {
  Prepared r = prepare(kOp, q, k, v, mask, dropout_p, is_causal, scale);
  SdpaParams& p = r.p;
  SdpaResult res;
  if (p.dropout) {
    const uint64_t elements = static_cast<uint64_t>(p.batch * p.L * p.S);
    res.seed = gen.seed();
    res.base = gen.reserve((elements + 3) / 4);
    p.seed = res.seed;
    p.base = res.base;
  }
  Tensor out = empty(with_tail(r.batch, {p.L, p.Ev}), r.dtype, q->device());
  Tensor lse = empty(with_tail(r.batch, {p.L}), r.acc, q->device());
  if (p.S == 0) {  // softmax over no keys: no weights, so zero outputs (as torch's matmul gives)
    fill_(out, Scalar::from_float(0));
    fill_(lse, Scalar::from_float(-std::numeric_limits<double>::infinity()));
  } else if (p.batch * p.L > 0) {
    sdpa_stub(kOp, q->device(), out, lse, r.q, r.k, r.v, r.mask, p);
  }
  res.out = out->dtype() == q->dtype() ? out : to_dtype(out, q->dtype());
  res.lse = lse;
  return res;
}

SdpaGrads scaled_dot_product_attention_backward(const Tensor& grad_out, const Tensor& q,
                                                const Tensor& k, const Tensor& v,
                                                const Tensor& mask, const Tensor& out,
                                                const Tensor& lse, double dropout_p, bool is_causal,
                                                double scale, uint64_t seed, uint64_t base) {
  const char* op = kBackwardOp;
  Prepared r = prepare(op, q, k, v, mask, dropout_p, is_causal, scale);
  SdpaParams& p = r.p;
  p.seed = seed;
  p.base = base;
  const DimVector out_sizes = with_tail(r.batch, {p.L, p.Ev});
  const DimVector lse_sizes = with_tail(r.batch, {p.L});
  EMBER_CHECK(
      grad_out->sizes() == out_sizes && out->sizes() == out_sizes && lse->sizes() == lse_sizes,
      EMBER_ERROR_SHAPE, op, ": expected grad_out and out of shape ", shape_str(out_sizes),
      " and logsumexp of shape ", shape_str(lse_sizes), ", but got grad_out ",
      meta::describe(grad_out), ", out ", meta::describe(out), " and logsumexp ",
      meta::describe(lse));
  nn_meta::check_floating(op, "grad_out", grad_out);
  nn_meta::check_same_dtype_device(op, {{"grad_out", &grad_out}, {"out", &out}});
  const Tensor g = nn_meta::contiguous_as(grad_out, r.dtype);
  const Tensor o = nn_meta::contiguous_as(out, r.dtype);
  const Tensor l = nn_meta::contiguous_as(lse, r.acc);
  Tensor gq = zeros(with_tail(r.batch, {p.L, p.E}), r.acc, q->device());
  Tensor gk = zeros(with_tail(r.batch, {p.S, p.E}), r.acc, q->device());
  Tensor gv = zeros(with_tail(r.batch, {p.S, p.Ev}), r.acc, q->device());
  if (p.batch * p.L * p.S > 0) {
    sdpa_backward_stub(op, q->device(), gq, gk, gv, g, r.q, r.k, r.v, r.mask, o, l, p);
  }
  return {sum_to(gq, q->sizes(), q->dtype()), sum_to(gk, k->sizes(), k->dtype()),
          sum_to(gv, v->sizes(), v->dtype())};
}

}  // namespace ops
}  // namespace ember
