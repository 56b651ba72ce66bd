// Normalization meta functions (batch_norm, layer_norm / rms_norm, group_norm): PyTorch's shape
// rules and messages. Kernels see contiguous tensors in the compute dtype (float32 for the 16-bit
// floats); results are cast back to the input's dtype, statistics stay in the compute dtype.
#include <string>

#include "error.h"
#include "nn_dispatch.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<RowNormFn> row_norm_stub("layer_norm");
DispatchStub<RowNormBackwardFn> row_norm_backward_stub("layer_norm_backward");
DispatchStub<BatchNormFn> batch_norm_stub("batch_norm");
DispatchStub<BatchNormBackwardFn> batch_norm_backward_stub("batch_norm_backward");
DispatchStub<GroupNormFn> group_norm_stub("group_norm");
DispatchStub<GroupNormBackwardFn> group_norm_backward_stub("group_norm_backward");

namespace ops {
namespace {

// An optional operand in the compute dtype (null stays null).
Tensor compute_or_null(const Tensor& t, DType cd) {
  return t ? nn_meta::contiguous_as(t, cd) : Tensor();
}

// t back in dtype (t itself when it already is).
Tensor cast_back(const Tensor& t, DType dtype) {
  return !t || t->dtype() == dtype ? t : to_dtype(t, dtype);
}

void check_vector(const char* op, const char* what, const Tensor& t, int64_t size) {
  if (!t) return;
  EMBER_CHECK(t->dim() == 1 && t->size(0) == size, EMBER_ERROR_SHAPE, op, ": expected ", what,
              " of size [", size, "], but got ", meta::describe(t));
}

void check_grad_out(const char* op, const Tensor& grad_out, const Tensor& x) {
  EMBER_CHECK(grad_out->sizes() == x->sizes(), EMBER_ERROR_SHAPE, op,
              ": expected grad_out of the input's size ", meta::describe(x), ", but got ",
              meta::describe(grad_out));
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"grad_out", &grad_out}});
}

// Saved statistics must be in the compute dtype with numel elements.
void check_stats(const char* op, const char* what, const Tensor& t, int64_t numel, DType cd,
                 Device device) {
  EMBER_CHECK(t, EMBER_ERROR_INVALID_ARGUMENT, op, ": ", what, " is NULL");
  EMBER_CHECK(t->numel() == numel, EMBER_ERROR_SHAPE, op, ": expected ", what, " with ", numel,
              " elements, but got ", meta::describe(t));
  EMBER_CHECK(t->dtype() == cd, EMBER_ERROR_DTYPE, op, ": expected ", what, " of dtype ",
              dtype_name(cd), ", but got ", meta::describe(t));
  EMBER_CHECK(t->device() == device, EMBER_ERROR_DEVICE, op, ": ", what, " is on ",
              device_name(t->device()), " but the input is on ", device_name(device));
}

// x (N, C, *) seen as (n, c, s).
std::array<int64_t, 3> ncs(const Tensor& x) {
  int64_t s = 1;
  for (int64_t d = 2; d < x->dim(); ++d) s *= x->size(d);
  return {x->size(0), x->size(1), s};
}

// A running stat in the compute dtype for the kernel to update: t itself when it already is
// contiguous in that dtype, else a copy written back after the kernel.
Tensor running_arg(const char* op, const char* what, const Tensor& t, const Tensor& x, DType cd,
                   int64_t c) {
  if (!t) return Tensor();
  check_vector(op, what, t, c);
  EMBER_CHECK(is_floating(t->dtype()), EMBER_ERROR_DTYPE, op, ": expected ", what,
              " to be floating, got ", meta::describe(t));
  meta::check_same_device(op, x, t);
  return nn_meta::contiguous_as(t, cd);
}

void write_back(const Tensor& original, const Tensor& used) {
  if (!original) return;
  if (used.get() != original.get()) copy_(original, used);
  original->storage()->bump_version();
}

NormGrads finish(const NormGrads& g, DType dtype) {
  return {cast_back(g.grad_x, dtype), cast_back(g.grad_w, dtype), cast_back(g.grad_b, dtype)};
}

}  // namespace

NormResult batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias,
                      const Tensor& running_mean, const Tensor& running_var, bool training,
                      double momentum, double eps) {
  const char* op = "batch_norm";
  nn_meta::check_floating(op, "input", x);
  EMBER_CHECK(x->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": expected an input of at least 2 dims (N, C, *), but got ", meta::describe(x));
  const auto [n, c, s] = ncs(x);
  check_vector(op, "weight", weight, c);
  check_vector(op, "bias", bias, c);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &weight}, {"bias", &bias}});
  EMBER_CHECK(!running_mean == !running_var, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": running_mean and running_var must both be given or both be NULL");
  EMBER_CHECK(training || running_mean, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": running_mean and running_var are required in evaluation mode");
  EMBER_CHECK(!training || n * s > 1, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": Expected more than 1 value per channel when training, got input ",
              meta::describe(x));
  const DType cd = nn_meta::compute_dtype(x->dtype());
  const Tensor rm = running_arg(op, "running_mean", running_mean, x, cd, c);
  const Tensor rv = running_arg(op, "running_var", running_var, x, cd, c);
  const Tensor xc = nn_meta::contiguous_as(x, cd);
  Tensor out = empty(x->sizes(), cd, x->device());
  Tensor mean = empty({c}, cd, x->device()), rstd = empty({c}, cd, x->device());
  if (c > 0) {
    batch_norm_stub(op, x->device(), out, mean, rstd, xc, compute_or_null(weight, cd),
                    compute_or_null(bias, cd), rm, rv, n, c, s, training, momentum, eps);
  }
  if (training) {
    write_back(running_mean, rm);
    write_back(running_var, rv);
  }
  return {cast_back(out, x->dtype()), mean, rstd};
}

NormGrads batch_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& weight,
                              const Tensor& mean, const Tensor& rstd, bool training, bool need_x,
                              bool need_w, bool need_b) {
  const char* op = "batch_norm_backward";
  nn_meta::check_floating(op, "input", x);
  EMBER_CHECK(x->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": expected an input of at least 2 dims (N, C, *), but got ", meta::describe(x));
  check_grad_out(op, grad_out, x);
  const auto [n, c, s] = ncs(x);
  check_vector(op, "weight", weight, c);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &weight}});
  const DType cd = nn_meta::compute_dtype(x->dtype());
  check_stats(op, "save_mean", mean, c, cd, x->device());
  check_stats(op, "save_invstd", rstd, c, cd, x->device());
  NormGrads g;
  if (need_x) g.grad_x = empty(x->sizes(), cd, x->device());
  if (need_w) g.grad_w = empty({c}, cd, x->device());
  if (need_b) g.grad_b = empty({c}, cd, x->device());
  if ((need_x || need_w || need_b) && c > 0) {
    batch_norm_backward_stub(op, x->device(), g.grad_x, g.grad_w, g.grad_b,
                             nn_meta::contiguous_as(grad_out, cd), nn_meta::contiguous_as(x, cd),
                             compute_or_null(weight, cd), nn_meta::contiguous_as(mean, cd),
                             nn_meta::contiguous_as(rstd, cd), n, c, s, training);
  }
  return finish(g, x->dtype());
}

namespace {

// Checks normalized_shape against x's trailing dims; returns (rows, cols).
std::pair<int64_t, int64_t> row_split(const char* op, const Tensor& x,
                                      std::span<const int64_t> shape) {
  const int64_t k = static_cast<int64_t>(shape.size());
  bool ok = k >= 1 && k <= x->dim();
  for (int64_t i = 0; ok && i < k; ++i) ok = x->size(x->dim() - k + i) == shape[i];
  std::string dims;  // normalized_shape's entries without brackets, as PyTorch prints [*, 5, 6]
  for (int64_t v : shape) dims += ", " + std::to_string(v);
  EMBER_CHECK(ok, EMBER_ERROR_SHAPE, op, ": Given normalized_shape=", DimVector(shape),
              ", expected input with shape [*", dims, "], but got input ", meta::describe(x));
  int64_t cols = 1;
  for (int64_t v : shape) cols *= v;
  return {x->numel() / (cols == 0 ? 1 : cols), cols};
}

void check_affine(const char* op, const char* what, const Tensor& t,
                  std::span<const int64_t> shape) {
  EMBER_CHECK(!t || t->sizes() == DimVector(shape), EMBER_ERROR_SHAPE, op, ": expected ", what,
              " of shape ", DimVector(shape), ", but got ", meta::describe(t));
}

// x's leading dims followed by ones.
DimVector stats_sizes(const Tensor& x, int64_t k) {
  DimVector sizes = x->sizes();
  for (int64_t i = x->dim() - k; i < x->dim(); ++i) sizes[i] = 1;
  return sizes;
}

}  // namespace

NormResult layer_norm(const Tensor& x, std::span<const int64_t> normalized_shape,
                      const Tensor& weight, const Tensor& bias, double eps, bool rms) {
  const char* op = rms ? "rms_norm" : "layer_norm";
  nn_meta::check_floating(op, "input", x);
  const auto [rows, cols] = row_split(op, x, normalized_shape);
  check_affine(op, "weight", weight, normalized_shape);
  EMBER_CHECK(!rms || !bias, EMBER_ERROR_INVALID_ARGUMENT, op, ": takes no bias");
  check_affine(op, "bias", bias, normalized_shape);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &weight}, {"bias", &bias}});
  const DType cd = nn_meta::compute_dtype(x->dtype());
  const DimVector ss = stats_sizes(x, static_cast<int64_t>(normalized_shape.size()));
  Tensor out = empty(x->sizes(), cd, x->device());
  Tensor mean = rms ? Tensor() : empty(ss, cd, x->device());
  Tensor rstd = empty(ss, cd, x->device());
  if (x->numel() > 0) {
    row_norm_stub(op, x->device(), out, mean, rstd, nn_meta::contiguous_as(x, cd),
                  compute_or_null(weight, cd), compute_or_null(bias, cd), rows, cols, eps, rms);
  }
  return {cast_back(out, x->dtype()), mean, rstd};
}

NormGrads layer_norm_backward(const Tensor& grad_out, const Tensor& x,
                              std::span<const int64_t> normalized_shape, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, bool rms, bool need_x,
                              bool need_w, bool need_b) {
  const char* op = rms ? "rms_norm_backward" : "layer_norm_backward";
  nn_meta::check_floating(op, "input", x);
  const auto [rows, cols] = row_split(op, x, normalized_shape);
  check_grad_out(op, grad_out, x);
  check_affine(op, "weight", weight, normalized_shape);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &weight}});
  const DType cd = nn_meta::compute_dtype(x->dtype());
  if (!rms) check_stats(op, "mean", mean, rows, cd, x->device());
  check_stats(op, "rstd", rstd, rows, cd, x->device());
  EMBER_CHECK(!rms || !need_b, EMBER_ERROR_INVALID_ARGUMENT, op, ": has no bias gradient");
  NormGrads g;
  if (need_x) g.grad_x = empty(x->sizes(), cd, x->device());
  if (need_w) g.grad_w = empty(DimVector(normalized_shape), cd, x->device());
  if (need_b) g.grad_b = empty(DimVector(normalized_shape), cd, x->device());
  if (need_x || need_w || need_b) {
    if (x->numel() > 0) {
      row_norm_backward_stub(
          op, x->device(), g.grad_x, g.grad_w, g.grad_b, nn_meta::contiguous_as(grad_out, cd),
          nn_meta::contiguous_as(x, cd), rms ? Tensor() : nn_meta::contiguous_as(mean, cd),
          nn_meta::contiguous_as(rstd, cd), compute_or_null(weight, cd), rows, cols, rms);
    } else {
      if (g.grad_w) fill_(g.grad_w, Scalar::from_float(0));
      if (g.grad_b) fill_(g.grad_b, Scalar::from_float(0));
    }
  }
  return finish(g, x->dtype());
}

namespace {

int64_t check_groups(const char* op, const Tensor& x, int64_t groups) {
  EMBER_CHECK(x->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": Expected at least 2 dimensions for input tensor but received ", meta::describe(x));
  const int64_t c = x->size(1);
  EMBER_CHECK(groups > 0 && c % groups == 0, EMBER_ERROR_SHAPE, op,
              ": Expected number of channels in input to be divisible by num_groups, but got "
              "input of shape ",
              x->sizes(), " and num_groups=", groups);
  return c;
}

}  // namespace

NormResult group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias,
                      double eps) {
  const char* op = "group_norm";
  nn_meta::check_floating(op, "input", x);
  const int64_t channels = check_groups(op, x, groups);
  check_vector(op, "weight", weight, channels);
  check_vector(op, "bias", bias, channels);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &weight}, {"bias", &bias}});
  const auto [n, c, s] = ncs(x);
  const DType cd = nn_meta::compute_dtype(x->dtype());
  Tensor out = empty(x->sizes(), cd, x->device());
  Tensor mean = empty({n, groups}, cd, x->device()), rstd = empty({n, groups}, cd, x->device());
  if (n > 0) {
    group_norm_stub(op, x->device(), out, mean, rstd, nn_meta::contiguous_as(x, cd),
                    compute_or_null(weight, cd), compute_or_null(bias, cd), n, c, s, groups, eps);
  }
  return {cast_back(out, x->dtype()), mean, rstd};
}

NormGrads group_norm_backward(const Tensor& grad_out, const Tensor& x, const Tensor& mean,
                              const Tensor& rstd, const Tensor& weight, int64_t groups, bool need_x,
                              bool need_w, bool need_b) {
  const char* op = "group_norm_backward";
  nn_meta::check_floating(op, "input", x);
  const int64_t channels = check_groups(op, x, groups);
  check_grad_out(op, grad_out, x);
  check_vector(op, "weight", weight, channels);
  nn_meta::check_same_dtype_device(op, {{"input", &x}, {"weight", &weight}});
  const auto [n, c, s] = ncs(x);
  const DType cd = nn_meta::compute_dtype(x->dtype());
  check_stats(op, "mean", mean, n * groups, cd, x->device());
  check_stats(op, "rstd", rstd, n * groups, cd, x->device());
  NormGrads g;
  if (need_x) g.grad_x = empty(x->sizes(), cd, x->device());
  if (need_w) g.grad_w = empty({c}, cd, x->device());
  if (need_b) g.grad_b = empty({c}, cd, x->device());
  if (need_x || need_w || need_b) {
    group_norm_backward_stub(op, x->device(), g.grad_x, g.grad_w, g.grad_b,
                             nn_meta::contiguous_as(grad_out, cd), nn_meta::contiguous_as(x, cd),
                             nn_meta::contiguous_as(mean, cd), nn_meta::contiguous_as(rstd, cd),
                             compute_or_null(weight, cd), n, c, s, groups);
  }
  return finish(g, x->dtype());
}

}  // namespace ops
}  // namespace ember
