// softmax / log_softmax meta functions (floating inputs, any dim, as torch with dtype=None).
#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<SoftmaxFn> softmax_stub("softmax");
DispatchStub<SoftmaxBackwardFn> softmax_backward_stub("softmax_backward");

namespace ops {
namespace {

struct Split {
  int64_t outer = 1, size = 1, inner = 1;
};

Split split(const Tensor& t, int64_t dim) {
  Split s;
  for (int64_t d = 0; d < t->dim(); ++d) {
    if (d < dim) s.outer *= t->size(d);
    if (d == dim) s.size = t->size(d);
    if (d > dim) s.inner *= t->size(d);
  }
  return s;
}

Tensor forward(const char* op, const Tensor& x, int64_t dim_in, bool log) {
  const int64_t dim = wrap_dim(op, dim_in, x->dim());
  nn_meta::check_floating(op, "input", x);
  const Tensor xc = ops::contiguous(x);
  Tensor out = empty(x->sizes(), x->dtype(), x->device());
  const Split s = split(xc, dim);
  if (xc->numel() > 0) softmax_stub(op, x->device(), out, xc, s.outer, s.size, s.inner, log);
  return out;
}

Tensor backward(const char* op, const Tensor& grad_out, const Tensor& output, int64_t dim_in,
                bool log) {
  const int64_t dim = wrap_dim(op, dim_in, output->dim());
  nn_meta::check_floating(op, "output", output);
  EMBER_CHECK(grad_out->sizes() == output->sizes(), EMBER_ERROR_SHAPE, op,
              ": expected grad_out and output of the same size, but got grad_out ",
              meta::describe(grad_out), " and output ", meta::describe(output));
  nn_meta::check_same_dtype_device(op, {{"grad_out", &grad_out}, {"output", &output}});
  const Tensor g = ops::contiguous(grad_out), y = ops::contiguous(output);
  Tensor gx = empty(y->sizes(), y->dtype(), y->device());
  const Split s = split(y, dim);
  if (y->numel() > 0) {
    softmax_backward_stub(op, y->device(), gx, g, y, s.outer, s.size, s.inner, log);
  }
  return gx;
}

}  // namespace

Tensor log_softmax(const Tensor& x, int64_t dim) { return forward("log_softmax", x, dim, true); }
Tensor softmax(const Tensor& x, int64_t dim) { return forward("softmax", x, dim, false); }
Tensor log_softmax_backward(const Tensor& grad_out, const Tensor& output, int64_t dim) {
  return backward("log_softmax_backward", grad_out, output, dim, true);
}
Tensor softmax_backward(const Tensor& grad_out, const Tensor& output, int64_t dim) {
  return backward("softmax_backward", grad_out, output, dim, false);
}

}  // namespace ops
}  // namespace ember
