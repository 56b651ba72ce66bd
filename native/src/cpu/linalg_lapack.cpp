// CPU kernels of torch.linalg through the LAPACK inside the static OpenBLAS (Fortran interface,
// column-major), and the vector-norm reduction. Matrices of a batch are solved one after another;
// OpenBLAS threads inside each call.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "core/dispatch_shape.h"
#include "cpu/blas.h"
#include "cpu/cast.h"
#include "cpu/iterator.h"

// Debian's libopenblas.a carries the reference LAPACK compiled by gfortran; its few Fortran
// character routines call this libgfortran helper. Defining it here (hidden, like every engine
// symbol) keeps libember free of a libgfortran dependency.
extern "C" void _gfortran_concat_string(size_t dest_len, char* dest, size_t len1, const char* s1,
                                        size_t len2, const char* s2) {
  const size_t a = len1 < dest_len ? len1 : dest_len;
  std::memcpy(dest, s1, a);
  const size_t b = len2 < dest_len - a ? len2 : dest_len - a;
  std::memcpy(dest + a, s2, b);
  std::memset(dest + a + b, ' ', dest_len - a - b);
}

extern "C" {
// Trailing size_t arguments are the hidden lengths of Fortran CHARACTER arguments.
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork,
             int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work,
             const int* lwork, int* info);
void sgesv_(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b,
            const int* ldb, int* info);
void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b,
            const int* ldb, int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work,
             const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work,
             const int* lwork, int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau,
             float* work, const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau,
             double* work, const int* lwork, int* info);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s,
             float* u, const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork,
             int* iwork, int* info, size_t);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s,
             double* u, const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork,
             int* iwork, int* info, size_t);
void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w,
             float* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t,
             size_t);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info, size_t,
             size_t);
void sgelsd_(const int* m, const int* n, const int* nrhs, float* a, const int* lda, float* b,
             const int* ldb, float* s, const float* rcond, int* rank, float* work, const int* lwork,
             int* iwork, int* info);
void dgelsd_(const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b,
             const int* ldb, double* s, const double* rcond, int* rank, double* work,
             const int* lwork, int* iwork, int* info);
}

namespace ember::cpu {

namespace {

// The LAPACK routines of one precision.
template <class T>
struct Lapack;

#define EMBER_LAPACK_TRAITS(T, p)                                                             \
  template <>                                                                                 \
  struct Lapack<T> {                                                                          \
    static void getrf(int m, int n, T* a, int lda, int* ipiv, int* info) {                    \
      LapackThreads threads;                                                                  \
      p##getrf_(&m, &n, a, &lda, ipiv, info);                                                 \
    }                                                                                         \
    static void getri(int n, T* a, int lda, const int* ipiv, T* work, int lwork, int* info) { \
      LapackThreads threads;                                                                  \
      p##getri_(&n, a, &lda, ipiv, work, &lwork, info);                                       \
    }                                                                                         \
    static void gesv(int n, int nrhs, T* a, int lda, int* ipiv, T* b, int ldb, int* info) {   \
      LapackThreads threads;                                                                  \
      p##gesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, info);                                      \
    }                                                                                         \
    static void potrf(char uplo, int n, T* a, int lda, int* info) {                           \
      LapackThreads threads;                                                                  \
      p##potrf_(&uplo, &n, a, &lda, info, 1);                                                 \
    }                                                                                         \
    static void geqrf(int m, int n, T* a, int lda, T* tau, T* work, int lwork, int* info) {   \
      LapackThreads threads;                                                                  \
      p##geqrf_(&m, &n, a, &lda, tau, work, &lwork, info);                                    \
    }                                                                                         \
    static void orgqr(int m, int n, int k, T* a, int lda, const T* tau, T* work, int lwork,   \
                      int* info) {                                                            \
      LapackThreads threads;                                                                  \
      p##orgqr_(&m, &n, &k, a, &lda, tau, work, &lwork, info);                                \
    }                                                                                         \
    static void gesdd(char jobz, int m, int n, T* a, int lda, T* s, T* u, int ldu, T* vt,     \
                      int ldvt, T* work, int lwork, int* iwork, int* info) {                  \
      LapackThreads threads;                                                                  \
      p##gesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, work, &lwork, iwork, info, 1); \
    }                                                                                         \
    static void syevd(char jobz, char uplo, int n, T* a, int lda, T* w, T* work, int lwork,   \
                      int* iwork, int liwork, int* info) {                                    \
      LapackThreads threads;                                                                  \
      p##syevd_(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, info, 1, 1);      \
    }                                                                                         \
    static void gelsd(int m, int n, int nrhs, T* a, int lda, T* b, int ldb, T* s, T rcond,    \
                      int* rank, T* work, int lwork, int* iwork, int* info) {                 \
      LapackThreads threads;                                                                  \
      p##gelsd_(&m, &n, &nrhs, a, &lda, b, &ldb, s, &rcond, rank, work, &lwork, iwork, info); \
    }                                                                                         \
  }

EMBER_LAPACK_TRAITS(float, s);
EMBER_LAPACK_TRAITS(double, d);
#undef EMBER_LAPACK_TRAITS

// Runs fn<T>() for float32/float64 (the meta functions admit nothing else).
template <class F>
void float_dispatch(DType t, F&& fn) {
  if (t == DType::Float64) {
    fn(CppTypeTag<double>{});
  } else {
    fn(CppTypeTag<float>{});
  }
}

int64_t batches(const Tensor& t) {
  return t->numel() == 0 ? 0 : t->numel() / (t->size(1) * t->size(2));
}

int as_int(int64_t v) { return static_cast<int>(v); }

void inv_kernel(const char* op, const Tensor& a) {
  const int n = as_int(a->size(2));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<int> ipiv(n);
    T query{};
    int info = 0;
    Lapack<T>::getri(n, nullptr, std::max(1, n), ipiv.data(), &query, -1, &info);
    std::vector<T> work(std::max<int64_t>(1, static_cast<int64_t>(query)));
    for (int64_t b = 0; b < batches(a); ++b) {
      T* p = a->data_as<T>() + b * n * n;
      Lapack<T>::getrf(n, n, p, std::max(1, n), ipiv.data(), &info);
      EMBER_CHECK(info == 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": (batch element ", b,
                  "): the diagonal element ", info,
                  " is zero, the inversion could not be completed because the input matrix is "
                  "singular");
      Lapack<T>::getri(n, p, std::max(1, n), ipiv.data(), work.data(), as_int(work.size()), &info);
    }
  });
}

void slogdet_kernel(const Tensor& a, const Tensor& sign, const Tensor& logabs) {
  const int n = as_int(a->size(2));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<int> ipiv(n);
    for (int64_t b = 0; b < batches(a); ++b) {
      T* p = a->data_as<T>() + b * n * n;
      int info = 0;
      Lapack<T>::getrf(n, n, p, std::max(1, n), ipiv.data(), &info);
      T s = 1, l = 0;
      if (info > 0) {
        s = 0;
        l = -std::numeric_limits<T>::infinity();
      } else {
        for (int i = 0; i < n; ++i) {
          const T d = p[i * n + i];
          if (d < 0) s = -s;
          if (ipiv[i] != i + 1) s = -s;
          l += std::log(std::abs(d));
        }
      }
      sign->data_as<T>()[b] = s;
      logabs->data_as<T>()[b] = l;
    }
  });
}

void solve_kernel(const char* op, const Tensor& a, const Tensor& rhs) {
  const int n = as_int(a->size(2)), k = as_int(rhs->size(1));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<int> ipiv(n);
    for (int64_t b = 0; b < batches(a); ++b) {
      int info = 0;
      Lapack<T>::gesv(n, k, a->data_as<T>() + b * n * n, std::max(1, n), ipiv.data(),
                      rhs->data_as<T>() + b * n * k, std::max(1, n), &info);
      EMBER_CHECK(info == 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": (batch element ", b,
                  "): the solver failed because the input matrix is singular (U[", info, ", ", info,
                  "] is zero)");
    }
  });
}

void cholesky_kernel(const char* op, const Tensor& a) {
  const int n = as_int(a->size(2));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t b = 0; b < batches(a); ++b) {
      T* p = a->data_as<T>() + b * n * n;
      int info = 0;
      Lapack<T>::potrf('L', n, p, std::max(1, n), &info);
      EMBER_CHECK(info == 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": (batch element ", b,
                  "): the factorization could not be completed because the input is not "
                  "positive-definite (the leading minor of order ",
                  info, " is not positive-definite)");
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < j; ++i) p[j * n + i] = 0;  // the strict upper triangle
      }
    }
  });
}

void qr_kernel(const Tensor& a, const Tensor& q, const Tensor& r) {
  const int m = as_int(a->size(2)), n = as_int(a->size(1)), k = std::min(m, n);
  const int rrows = as_int(r->size(2));
  const int qcols = q->numel() == 0 ? 0 : as_int(q->size(1));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<T> tau(std::max(1, k));
    int info = 0;
    T query{};
    Lapack<T>::geqrf(m, n, nullptr, std::max(1, m), tau.data(), &query, -1, &info);
    T query2{};
    if (qcols > 0) {
      Lapack<T>::orgqr(m, qcols, k, nullptr, std::max(1, m), tau.data(), &query2, -1, &info);
    }
    std::vector<T> work(
        std::max<int64_t>(1, std::max(static_cast<int64_t>(query), static_cast<int64_t>(query2))));
    for (int64_t b = 0; b < batches(a); ++b) {
      T* pa = a->data_as<T>() + b * m * n;
      if (k > 0) {
        Lapack<T>::geqrf(m, n, pa, std::max(1, m), tau.data(), work.data(), as_int(work.size()),
                         &info);
      }
      T* pr = r->data_as<T>() + b * rrows * n;
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < rrows; ++i) pr[j * rrows + i] = i <= j ? pa[j * m + i] : T(0);
      }
      if (qcols == 0) continue;
      T* pq = q->data_as<T>() + b * m * qcols;
      for (int j = 0; j < qcols; ++j) {
        for (int i = 0; i < m; ++i) pq[j * m + i] = j < n ? pa[j * m + i] : T(0);
      }
      if (m > 0) {
        Lapack<T>::orgqr(m, qcols, k, pq, std::max(1, m), tau.data(), work.data(),
                         as_int(work.size()), &info);
      }
    }
  });
}

// SVD of one column-major m x n matrix (overwritten): s, u (ldu m) and vt (ldvt vtrows).
template <class T>
int gesdd_one(char jobz, int m, int n, T* a, T* s, T* u, T* vt, int vtrows) {
  const int k = std::min(m, n);
  std::vector<int> iwork(8 * std::max(1, k));
  int info = 0;
  T query{};
  Lapack<T>::gesdd(jobz, m, n, a, std::max(1, m), s, u, std::max(1, m), vt, std::max(1, vtrows),
                   &query, -1, iwork.data(), &info);
  std::vector<T> work(std::max<int64_t>(1, static_cast<int64_t>(query)));
  Lapack<T>::gesdd(jobz, m, n, a, std::max(1, m), s, u, std::max(1, m), vt, std::max(1, vtrows),
                   work.data(), as_int(work.size()), iwork.data(), &info);
  return info;
}

void svd_kernel(const char* op, const Tensor& a, const Tensor& u, const Tensor& s,
                const Tensor& vt) {
  const int m = as_int(a->size(2)), n = as_int(a->size(1)), k = std::min(m, n);
  const int ucols = as_int(u->size(1)), vtrows = as_int(vt->size(2));
  const char jobz = ucols == m && vtrows == n && (ucols != k || vtrows != k) ? 'A' : 'S';
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    for (int64_t b = 0; b < batches(a); ++b) {
      const int info =
          gesdd_one<T>(jobz, m, n, a->data_as<T>() + b * m * n, s->data_as<T>() + b * k,
                       u->data_as<T>() + b * m * ucols, vt->data_as<T>() + b * vtrows * n, vtrows);
      EMBER_CHECK(info == 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": (batch element ", b,
                  "): the algorithm failed to converge (error code ", info, ")");
    }
  });
}

void eigh_kernel(const char* op, const Tensor& a, const Tensor& w, bool upper) {
  const int n = as_int(a->size(2));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    int info = 0, iquery = 0;
    T query{};
    Lapack<T>::syevd('V', upper ? 'U' : 'L', n, nullptr, std::max(1, n), nullptr, &query, -1,
                     &iquery, -1, &info);
    std::vector<T> work(std::max<int64_t>(1, static_cast<int64_t>(query)));
    std::vector<int> iwork(std::max(1, iquery));
    for (int64_t b = 0; b < batches(a); ++b) {
      Lapack<T>::syevd('V', upper ? 'U' : 'L', n, a->data_as<T>() + b * n * n, std::max(1, n),
                       w->data_as<T>() + b * n, work.data(), as_int(work.size()), iwork.data(),
                       as_int(iwork.size()), &info);
      EMBER_CHECK(info == 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": (batch element ", b,
                  "): the algorithm failed to converge (error code ", info, ")");
    }
  });
}

void lstsq_kernel(const Tensor& a, const Tensor& rhs) {
  const int m = as_int(a->size(2)), n = as_int(a->size(1)), k = as_int(rhs->size(1));
  const int ldb = as_int(rhs->size(2));
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<T> s(std::max(1, std::min(m, n)));
    const T rcond = std::numeric_limits<T>::epsilon() * std::max(m, n);
    int rank = 0, info = 0;
    for (int64_t b = 0; b < batches(a); ++b) {
      T* pa = a->data_as<T>() + b * m * n;
      T* pb = rhs->data_as<T>() + b * ldb * k;
      T query{};
      int iquery = 1;
      Lapack<T>::gelsd(m, n, k, pa, std::max(1, m), pb, std::max(1, ldb), s.data(), rcond, &rank,
                       &query, -1, &iquery, &info);
      std::vector<T> work(std::max<int64_t>(1, static_cast<int64_t>(query)));
      std::vector<int> iwork(std::max(1, iquery));
      Lapack<T>::gelsd(m, n, k, pa, std::max(1, m), pb, std::max(1, ldb), s.data(), rcond, &rank,
                       work.data(), as_int(work.size()), iwork.data(), &info);
    }
  });
}

void pinv_kernel(const char* op, const Tensor& out, const Tensor& a, double rtol) {
  const int m = as_int(a->size(2)), n = as_int(a->size(1)), k = std::min(m, n);
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    std::vector<T> s(std::max(1, k)), u(std::max(1, m * k)), vt(std::max(1, k * n));
    const double tol = rtol < 0 ? std::numeric_limits<T>::epsilon() * std::max(m, n) : rtol;
    for (int64_t b = 0; b < batches(a); ++b) {
      T* po = out->data_as<T>() + b * n * m;
      std::fill(po, po + n * m, T(0));
      if (k == 0) continue;
      const int info =
          gesdd_one<T>('S', m, n, a->data_as<T>() + b * m * n, s.data(), u.data(), vt.data(), k);
      EMBER_CHECK(info == 0, EMBER_ERROR_INVALID_ARGUMENT, op, ": (batch element ", b,
                  "): the SVD failed to converge (error code ", info, ")");
      const T cutoff = static_cast<T>(tol) * s[0];
      // pinv[j][i] = sum_l V[j][l] / s[l] * U[i][l], V = vt^T; U and vt are column-major.
      for (int l = 0; l < k; ++l) {
        if (!(s[l] > cutoff)) continue;
        const T inv = T(1) / s[l];
        for (int j = 0; j < n; ++j) {
          const T v = vt[j * k + l] * inv;
          for (int i = 0; i < m; ++i) po[j * m + i] += v * u[l * m + i];
        }
      }
    }
  });
}

// ---- vector norms ----

template <class T, class A>
struct SumPow {
  A identity = 0;
  A p;
  A reduce(A acc, T x) const {
    const A v = std::abs(static_cast<A>(x));
    return acc + (p == 1 ? v : p == 2 ? v * v : std::pow(v, p));
  }
  A combine(A a, A b) const { return a + b; }
  T project(A acc) const {
    return static_cast<T>(p == 1 ? acc : p == 2 ? std::sqrt(acc) : std::pow(acc, 1 / p));
  }
};

template <class T, class A>
struct MaxAbs {
  A identity;
  bool max;
  A reduce(A acc, T x) const {
    const A v = std::abs(static_cast<A>(x));
    if (std::isnan(v) || std::isnan(acc)) return std::numeric_limits<A>::quiet_NaN();
    return max ? (v > acc ? v : acc) : (v < acc ? v : acc);
  }
  A combine(A a, A b) const { return reduce(a, static_cast<T>(b)); }
  T project(A acc) const { return static_cast<T>(acc); }
};

template <class T, class A>
struct CountNonzero {
  A identity = 0;
  A reduce(A acc, T x) const { return acc + (x != T(0) ? 1 : 0); }
  A combine(A a, A b) const { return a + b; }
  T project(A acc) const { return static_cast<T>(acc); }
};

void vector_norm_kernel(const Tensor& out, const Tensor& a, double ord) {
  const TensorIterator iter({a.get(), out.get()}, a->sizes());
  float_dispatch(a->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = T;
    if (std::isinf(ord)) {
      const bool max = ord > 0;
      const MaxAbs<T, A> ops{max ? A(0) : std::numeric_limits<A>::infinity(), max};
      reduce<T, T, A>(iter, ops);
    } else if (ord == 0) {
      reduce<T, T, A>(iter, CountNonzero<T, A>{});
    } else {
      reduce<T, T, A>(iter, SumPow<T, A>{0, static_cast<A>(ord)});
    }
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(inv_stub, DeviceType::CPU, inv_kernel);
EMBER_REGISTER_KERNEL(slogdet_stub, DeviceType::CPU, slogdet_kernel);
EMBER_REGISTER_KERNEL(solve_stub, DeviceType::CPU, solve_kernel);
EMBER_REGISTER_KERNEL(cholesky_stub, DeviceType::CPU, cholesky_kernel);
EMBER_REGISTER_KERNEL(qr_stub, DeviceType::CPU, qr_kernel);
EMBER_REGISTER_KERNEL(svd_stub, DeviceType::CPU, svd_kernel);
EMBER_REGISTER_KERNEL(eigh_stub, DeviceType::CPU, eigh_kernel);
EMBER_REGISTER_KERNEL(lstsq_stub, DeviceType::CPU, lstsq_kernel);
EMBER_REGISTER_KERNEL(pinv_stub, DeviceType::CPU, pinv_kernel);
EMBER_REGISTER_KERNEL(vector_norm_stub, DeviceType::CPU, vector_norm_kernel);

}  // namespace ember::cpu
