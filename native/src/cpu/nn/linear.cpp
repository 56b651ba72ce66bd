// linear on the CPU: out = x @ w^T + b as one BLAS GEMM that accumulates onto the bias rows.
#include <algorithm>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/blas.h"
#include "cpu/iterator.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

template <class T>
void linear(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b) {
  const int64_t m = x->size(0), k = x->size(1), n = w->size(0);
  T* op = out->data_as<T>();
  if (b) {
    const T* bp = b->data_as<T>();
    parallel_for(0, m, std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, n)),
                 [&](int64_t r0, int64_t r1) {
                   for (int64_t r = r0; r < r1; ++r) std::copy(bp, bp + n, op + r * n);
                 });
  }
  if (k == 0) {  // nothing to multiply: the bias (or zeros) is the result
    if (!b) std::fill(op, op + m * n, T(0));
    return;
  }
  gemm<T>(false, true, m, n, k, T(1), x->data_as<T>(), k, w->data_as<T>(), k, b ? T(1) : T(0), op,
          n);
}

void linear_cpu(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b) {
  dispatch_float_double("linear", x->dtype(),
                        [&](auto tag) { linear<typename decltype(tag)::type>(out, x, w, b); });
}

}  // namespace

EMBER_REGISTER_KERNEL(linear_stub, DeviceType::CPU, linear_cpu);

}  // namespace ember::cpu
