// Kernel families of the shape, indexing, sorting and linear-algebra ops (helper tables beside
// dispatch.h, same DispatchStub machinery). Meta functions in core validate every index before a
// kernel runs, so kernels only move elements.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dispatch.h"

namespace ember {

// out[i_0, ..., i_n] = in[t_0[i_0], ..., t_n[i_n]] where t_d = tables[d]; an empty table is the
// identity and an entry of -1 means "no element": out gets fill there. out is contiguous; in has
// out's rank, any strides. Serves index_select, flip, roll, pad, repeat_interleave.
using GatherDimsFn = void (*)(const Tensor& out, const Tensor& in,
                              std::span<const std::vector<int64_t>> tables, Scalar fill);
// self.select(dim, dst[i]) += alpha * src.select(dim, src_index[i]) for every i, in order (an
// empty src_index is the identity); with accumulate false the slice is assigned instead (the last
// write wins). self and src have the same rank and agree outside dim (src may broadcast with stride
// 0); self is writable without internal overlap. Serves index_add/copy/fill and the backward of
// the gather_dims ops.
using IndexAddFn = void (*)(const Tensor& self, int64_t dim, std::span<const int64_t> dst,
                            const Tensor& src, std::span<const int64_t> src_index, Scalar alpha,
                            bool accumulate);

enum class ScatterReduce { None, Sum, Prod, Mean, Amax, Amin };
// out[i][j][k] = self[index[i][j][k]][j][k] for dim 0 (and so on): out has index's shape; self and
// index have one rank, index's sizes fit self's outside dim. Indices are checked by the kernel,
// before anything is written (op names the public op in the error).
using GatherFn = void (*)(const char* op, const Tensor& out, const Tensor& self, int64_t dim,
                          const Tensor& index);
// self[index[i][j]][j] (op)= src[i][j] for dim 0 (and so on); src == nullptr scatters value.
// Mean divides by the number of values each element received (plus one when include_self);
// elements that receive nothing keep their value. Indices are checked before anything is written.
using ScatterFn = void (*)(const char* op, const Tensor& self, int64_t dim, const Tensor& index,
                           const Tensor& src, Scalar value, ScatterReduce reduce,
                           bool include_self);
// t[mask] = value where mask (bool, broadcast to t's shape) is true; in place.
using MaskedFillFn = void (*)(const Tensor& t, const Tensor& mask, Scalar value);
// The elements of t where mask is true, in row-major order (t and mask have one shape).
using MaskedSelectFn = Tensor (*)(const Tensor& t, const Tensor& mask);
// t's elements where mask is true take source's elements in order; source must have enough.
using MaskedScatterFn = void (*)(const Tensor& t, const Tensor& mask, const Tensor& source);
// int64 [count, t.dim()] of the indices of t's non-zero elements, in row-major order.
using NonzeroFn = Tensor (*)(const Tensor& t);
// Zeroes the elements of t's last two dims below (upper) or above (!upper) diagonal k.
using TriluFn = void (*)(const Tensor& t, int64_t k, bool upper);

// ---- sorting and search (rows run along dim; outputs are contiguous) ----
// values/indices (int64) = in sorted along dim; NaN sorts as the largest value; stable keeps the
// order of equal elements.
using SortFn = void (*)(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim,
                        bool descending, bool stable);
// The k largest (or smallest) elements along dim, sorted, with their indices; outputs have size k
// at dim.
using TopkFn = void (*)(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t dim,
                        int64_t k, bool largest);
// The k-th smallest element (1-based) along dim and its index; outputs have size 1 at dim.
using KthvalueFn = void (*)(const Tensor& values, const Tensor& indices, const Tensor& in,
                            int64_t dim, int64_t k);
// out[..., j] = the insertion point of values[..., j] in the sorted last dim of seq (leftmost, or
// rightmost when right); seq is 1-d or has values' leading dims. out is int64 or int32.
using SearchsortedFn = void (*)(const Tensor& out, const Tensor& seq, const Tensor& values,
                                bool right);
// out[b] = the number of elements of t in bin b of `bins` equal bins over [lo, hi] (hi in the
// last bin; elements outside, and NaN, are not counted).
using HistcFn = void (*)(const Tensor& out, const Tensor& t, int64_t bins, double lo, double hi);

// ---- LAPACK. A "column-major batch" is a contiguous [batch, cols, rows] tensor: each rows x cols
// matrix stored column by column. The kernels work in place on such batches; op names the public
// op in errors (singular or non-positive-definite input, which name the batch entry). ----
// a := inverse(a) (square).
using InvFn = void (*)(const char* op, const Tensor& a);
// sign and logabs ([batch]) of det(a); a is overwritten (with its LU factors).
using SlogdetFn = void (*)(const Tensor& a, const Tensor& sign, const Tensor& logabs);
// b := a^-1 b (a square [batch, n, n], b [batch, k, n]); a is overwritten.
using SolveFn = void (*)(const char* op, const Tensor& a, const Tensor& b);
// a := its lower Cholesky factor (the upper triangle zeroed).
using CholeskyFn = void (*)(const char* op, const Tensor& a);
// a [batch, n, m] := the first q->size(1) columns of Q in q [batch, qcols, m], r [batch, n, rrows]
// (column-major too) := R.
using QrFn = void (*)(const Tensor& a, const Tensor& q, const Tensor& r);
// a [batch, n, m] = u diag(s) vt; u [batch, ucols, m], s [batch, min(m, n)], vt [batch, n, vtrows].
using SvdFn = void (*)(const char* op, const Tensor& a, const Tensor& u, const Tensor& s,
                       const Tensor& vt);
// a := eigenvectors (columns), w [batch, n] := eigenvalues in ascending order.
using EighFn = void (*)(const char* op, const Tensor& a, const Tensor& w, bool upper);
// b [batch, k, max(m, n)] := the least-squares solution of a [batch, n, m] x = b in its first n
// rows; a is overwritten.
using LstsqFn = void (*)(const Tensor& a, const Tensor& b);
// out (row-major [batch, n, m]) := pinv of a (column-major [batch, n, m]: m x n matrices).
using PinvFn = void (*)(const char* op, const Tensor& out, const Tensor& a, double rtol);
// out (keepdim-shaped, stride 0 over the reduced dims as in reduce) := the ord-norm of a over them.
using VectorNormFn = void (*)(const Tensor& out, const Tensor& a, double ord);

extern DispatchStub<InvFn> inv_stub;
extern DispatchStub<SlogdetFn> slogdet_stub;
extern DispatchStub<SolveFn> solve_stub;
extern DispatchStub<CholeskyFn> cholesky_stub;
extern DispatchStub<QrFn> qr_stub;
extern DispatchStub<SvdFn> svd_stub;
extern DispatchStub<EighFn> eigh_stub;
extern DispatchStub<LstsqFn> lstsq_stub;
extern DispatchStub<PinvFn> pinv_stub;
extern DispatchStub<VectorNormFn> vector_norm_stub;

extern DispatchStub<SortFn> sort_stub;
extern DispatchStub<TopkFn> topk_stub;
extern DispatchStub<KthvalueFn> kthvalue_stub;
extern DispatchStub<SearchsortedFn> searchsorted_stub;
extern DispatchStub<HistcFn> histc_stub;

extern DispatchStub<GatherDimsFn> gather_dims_stub;
extern DispatchStub<TriluFn> trilu_stub;
extern DispatchStub<IndexAddFn> index_add_stub;
extern DispatchStub<GatherFn> gather_stub;
extern DispatchStub<ScatterFn> scatter_stub;
extern DispatchStub<MaskedFillFn> masked_fill_stub;
extern DispatchStub<MaskedSelectFn> masked_select_stub;
extern DispatchStub<MaskedScatterFn> masked_scatter_stub;
extern DispatchStub<NonzeroFn> nonzero_stub;

}  // namespace ember
