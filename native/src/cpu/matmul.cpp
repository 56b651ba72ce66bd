// CPU kernel of matmul. float32/float64 go to OpenBLAS (cpu/blas.h), reading transposed views in
// place through its transpose flags; the other dtypes use a portable blocked kernel (16-bit floats
// accumulate in float32, integers wrap exactly as their own type would).
#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/dispatch.h"
#include "cpu/blas.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

namespace ember::cpu {

namespace {

// One matrix of a batch: rows x cols elements, strides in elements.
struct MatrixLayout {
  int64_t rows, cols, row_stride, col_stride;
};

MatrixLayout inner_layout(const Tensor& t) {
  const int64_t r = t->dim();
  return {t->size(r - 2), t->size(r - 1), t->stride(r - 2), t->stride(r - 1)};
}

// How BLAS can read the matrix without a copy: row-major (transpose = false) or as the transpose
// of a row-major one; ld is the leading dimension. False when neither works.
bool blas_view(const MatrixLayout& l, bool& transpose, int64_t& ld) {
  if ((l.col_stride == 1 || l.cols == 1) &&
      (l.rows == 1 || l.row_stride >= std::max<int64_t>(1, l.cols))) {
    transpose = false;
    ld = l.rows == 1 ? std::max<int64_t>(1, l.cols) : l.row_stride;
    return true;
  }
  if ((l.row_stride == 1 || l.rows == 1) &&
      (l.cols == 1 || l.col_stride >= std::max<int64_t>(1, l.rows))) {
    transpose = true;
    ld = l.cols == 1 ? std::max<int64_t>(1, l.rows) : l.col_stride;
    return true;
  }
  return false;
}

// Element offsets of batch bi's matrices in a, b and out (broadcast batch dims have size 1).
struct BatchWalker {
  const Tensor& out;
  const Tensor& a;
  const Tensor& b;
  void offsets(int64_t bi, int64_t& oa, int64_t& ob, int64_t& oo) const {
    oa = ob = oo = 0;
    for (int64_t d = out->dim() - 3; d >= 0; --d) {
      const int64_t i = bi % out->size(d);
      bi /= out->size(d);
      if (a->size(d) != 1) oa += i * a->stride(d);
      if (b->size(d) != 1) ob += i * b->stride(d);
      oo += i * out->stride(d);
    }
  }
};

int64_t batch_count(const Tensor& out) {
  int64_t n = 1;
  for (int64_t d = 0; d + 2 < out->dim(); ++d) n *= out->size(d);
  return n;
}

// When b is one matrix for all batches and a's batch and row dims form one strided run, the whole
// product is a single (batch * n) x k by k x m GEMM.
bool fold_batches(const Tensor& out, const Tensor& a, const Tensor& b) {
  const int64_t r = out->dim();
  if (r < 3 || a->stride(r - 1) != 1 || a->stride(r - 2) < a->size(r - 1)) return false;
  int64_t expect = a->stride(r - 2) * a->size(r - 2);
  for (int64_t d = r - 3; d >= 0; --d) {
    if (b->size(d) != 1 || a->size(d) != out->size(d)) return false;
    if (a->size(d) == 1) continue;
    if (a->stride(d) != expect) return false;
    expect *= a->size(d);
  }
  return out->is_contiguous();
}

template <class T>
void blas_gemm(bool ta, bool tb, int64_t n, int64_t m, int64_t k, const T* a, int64_t lda,
               const T* b, int64_t ldb, T* c, int64_t ldc) {
  gemm<T>(ta, tb, n, m, k, T(1), a, lda, b, ldb, T(0), c, ldc);
}

bool fits_blas_int(int64_t v) { return v <= std::numeric_limits<blasint>::max(); }

template <class T>
void matmul_blas(const Tensor& out, Tensor a, Tensor b) {
  bool ta = false, tb = false;
  int64_t lda = 0, ldb = 0;
  // A layout BLAS cannot read (e.g. a column slice with step) is packed once for all batches.
  if (!blas_view(inner_layout(a), ta, lda)) {
    a = ops::clone(a);
    blas_view(inner_layout(a), ta, lda);
  }
  if (!blas_view(inner_layout(b), tb, ldb)) {
    b = ops::clone(b);
    blas_view(inner_layout(b), tb, ldb);
  }
  const MatrixLayout lo = inner_layout(out), la = inner_layout(a);
  const int64_t n = lo.rows, m = lo.cols, k = la.cols;
  T* po = out->data_as<T>();
  const T* pa = a->data_as<T>();
  const T* pb = b->data_as<T>();
  if (!ta && fold_batches(out, a, b) && fits_blas_int(n * batch_count(out))) {
    blas_gemm<T>(false, tb, n * batch_count(out), m, k, pa, lda, pb, ldb, po, m);
    return;
  }
  const BatchWalker walk{out, a, b};
  for (int64_t bi = 0, nb = batch_count(out); bi < nb; ++bi) {
    int64_t oa, ob, oo;
    walk.offsets(bi, oa, ob, oo);
    blas_gemm<T>(ta, tb, n, m, k, pa + oa, lda, pb + ob, ldb, po + oo, lo.row_stride);
  }
}

// The type products accumulate in: float for the 16-bit floats, an unsigned type of at least 32
// bits for integers, whose wrap-around gives exactly the low bits T's own arithmetic would.
template <class T, class = void>
struct MatmulAcc {
  using type = compute_t<T>;
};
template <class T>
struct MatmulAcc<T, std::enable_if_t<std::is_integral_v<T>>> {
  using type = std::conditional_t<(sizeof(T) < 8), uint32_t, uint64_t>;
};

constexpr int64_t kRowBlock = 4;    // rows of C sharing each load of B
constexpr int64_t kColBlock = 128;  // columns of C per accumulator block

template <class Acc>
EMBER_ALWAYS_INLINE inline void rank1_rows_body(const Acc* a_rows, int64_t rows, const Acc* b_row,
                                                int64_t cols, Acc (*acc)[kColBlock]) {
  for (int64_t r = 0; r < rows; ++r) {
    const Acc av = a_rows[r];
    for (int64_t j = 0; j < cols; ++j) acc[r][j] += av * b_row[j];
  }
}
template <class Acc>
void rank1_rows(const Acc* a_rows, int64_t rows, const Acc* b_row, int64_t cols,
                Acc (*acc)[kColBlock]) {
  rank1_rows_body(a_rows, rows, b_row, cols, acc);
}
#if EMBER_X86_CLONES
template <class Acc>
EMBER_TARGET_AVX2 void rank1_rows_avx2(const Acc* a_rows, int64_t rows, const Acc* b_row,
                                       int64_t cols, Acc (*acc)[kColBlock]) {
  rank1_rows_body(a_rows, rows, b_row, cols, acc);
}
#endif

template <class T>
void matmul_portable(const Tensor& out, const Tensor& a, const Tensor& b) {
  using Acc = typename MatmulAcc<T>::type;
  const MatrixLayout lo = inner_layout(out), la = inner_layout(a), lb = inner_layout(b);
  const int64_t n = lo.rows, m = lo.cols, k = la.cols;
  const int64_t nb = batch_count(out);
  const BatchWalker walk{out, a, b};
  T* po = out->data_as<T>();
  const T* pa = a->data_as<T>();
  const T* pb = b->data_as<T>();

  // B converted to Acc and packed row-major once per distinct batch matrix.
  const bool b_shared = [&] {
    for (int64_t d = 0; d + 2 < b->dim(); ++d) {
      if (b->size(d) != 1) return false;
    }
    return true;
  }();
  const int64_t packs = b_shared ? 1 : nb;
  std::vector<Acc> packed(static_cast<size_t>(packs * k * m));
  parallel_for(0, packs * k, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, m)),
               [&](int64_t r0, int64_t r1) {
                 for (int64_t r = r0; r < r1; ++r) {
                   int64_t oa, ob, oo;
                   walk.offsets(r / k, oa, ob, oo);
                   const T* src = pb + ob + (r % k) * lb.row_stride;
                   Acc* dst = packed.data() + r * m;
                   for (int64_t j = 0; j < m; ++j)
                     dst[j] = static_cast<Acc>(cast<compute_t<T>>(src[j * lb.col_stride]));
                 }
               });

  const int64_t row_blocks = (n + kRowBlock - 1) / kRowBlock;
  const int64_t grain = std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, k * m * kRowBlock));
  parallel_for(0, nb * row_blocks, grain, [&](int64_t t0, int64_t t1) {
    Acc acc[kRowBlock][kColBlock];
    Acc a_col[kRowBlock];
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t bi = t / row_blocks, i0 = (t % row_blocks) * kRowBlock;
      const int64_t rows = std::min(kRowBlock, n - i0);
      int64_t oa, ob, oo;
      walk.offsets(bi, oa, ob, oo);
      const Acc* bp = packed.data() + (b_shared ? 0 : bi) * k * m;
      for (int64_t j0 = 0; j0 < m; j0 += kColBlock) {
        const int64_t cols = std::min(kColBlock, m - j0);
        for (int64_t r = 0; r < rows; ++r) std::fill(acc[r], acc[r] + cols, Acc(0));
        for (int64_t p = 0; p < k; ++p) {
          for (int64_t r = 0; r < rows; ++r) {
            const T v = pa[oa + (i0 + r) * la.row_stride + p * la.col_stride];
            a_col[r] = static_cast<Acc>(cast<compute_t<T>>(v));
          }
#if EMBER_X86_CLONES
          if (cpu_has_avx2()) {
            rank1_rows_avx2(a_col, rows, bp + p * m + j0, cols, acc);
            continue;
          }
#endif
          rank1_rows(a_col, rows, bp + p * m + j0, cols, acc);
        }
        for (int64_t r = 0; r < rows; ++r) {
          T* dst = po + oo + (i0 + r) * lo.row_stride + j0 * lo.col_stride;
          for (int64_t j = 0; j < cols; ++j) {
            dst[j * lo.col_stride] = cast<T>(static_cast<compute_t<T>>(acc[r][j]));
          }
        }
      }
    }
  });
}

void matmul_kernel(const Tensor& out, const Tensor& a, const Tensor& b) {
  dispatch_dtype(out->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      const int64_t r = out->dim();
      const int64_t largest =
          std::max({out->size(r - 2), out->size(r - 1), a->size(r - 1), a->stride(r - 2),
                    a->stride(r - 1), b->stride(r - 2), b->stride(r - 1)});
      if (fits_blas_int(largest)) {
        matmul_blas<T>(out, a, b);
      } else {  // beyond BLAS's 32-bit sizes and strides
        matmul_portable<T>(out, a, b);
      }
    } else if constexpr (std::is_same_v<T, bool>) {
      EMBER_FAIL(EMBER_ERROR_INTERNAL, "matmul kernel: bool is rejected by the meta function");
    } else {
      matmul_portable<T>(out, a, b);
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(matmul_stub, DeviceType::CPU, matmul_kernel);

}  // namespace ember::cpu
