// dropout / feature_dropout meta functions. The mask holds 1/(1-p) or 0 per element (per channel
// for feature_dropout), so the backward is one multiply.
#include "error.h"
#include "nn_dispatch.h"
#include "nn_fused.h"
#include "nn_meta.h"

namespace ember {

DispatchStub<DropoutFn> dropout_stub("dropout");

namespace ops {
namespace {

// Checks p and x; false when the op is the identity (not training, or p == 0).
bool active(const char* op, const Tensor& x, double p, bool train) {
  EMBER_CHECK(p >= 0 && p <= 1, EMBER_ERROR_INVALID_ARGUMENT, op,
              ": dropout probability has to be between 0 and 1, but got ", p);
  nn_meta::check_floating(op, "input", x);
  return train && p > 0;
}

// Fills mask (and out = x * mask when x is given, x's channel's mask element when `per_channel`)
// from fresh counters of gen.
void draw(const char* op, const Tensor& mask, const Tensor& out, const Tensor& x, double p,
          Generator& gen, bool per_channel) {
  const double keep = 1 - p;
  const double scale = keep > 0 ? 1 / keep : 0;  // p == 1 drops everything
  const uint64_t counters = static_cast<uint64_t>((mask->numel() + 3) / 4);
  const uint64_t base = gen.reserve(counters);
  if (mask->numel() == 0) return;
  if (per_channel)
    feature_dropout_stub(op, mask->device(), mask, out, x, keep, scale, gen.seed(), base);
  else
    dropout_stub(op, mask->device(), mask, out, x, keep, scale, gen.seed(), base);
}

}  // namespace

std::pair<Tensor, Tensor> dropout(const Tensor& x, double p, bool train, Generator& gen) {
  const char* op = "dropout";
  if (!active(op, x, p, train)) return {x, Tensor()};
  const Tensor xc = ops::contiguous(x);
  Tensor out = empty(x->sizes(), x->dtype(), x->device());
  Tensor mask = empty(x->sizes(), x->dtype(), x->device());
  draw(op, mask, out, xc, p, gen, false);
  return {out, mask};
}

std::pair<Tensor, Tensor> feature_dropout(const Tensor& x, double p, bool train, Generator& gen) {
  const char* op = "feature_dropout";
  EMBER_CHECK(x->dim() >= 2, EMBER_ERROR_SHAPE, op,
              ": expected an input of at least 2 dims (N, C, *), but got ", meta::describe(x));
  if (!active(op, x, p, train)) return {x, Tensor()};
  DimVector mask_sizes(x->dim(), 1);
  mask_sizes[0] = x->size(0);
  mask_sizes[1] = x->size(1);
  Tensor mask = empty(mask_sizes, x->dtype(), x->device());
  // One pass draws the mask and scales x by it (two launches on a GPU as a draw and a multiply).
  Tensor out = empty(x->sizes(), x->dtype(), x->device());
  draw(op, mask, out, ops::contiguous(x), p, gen, true);
  return {out, mask};
}

}  // namespace ops
}  // namespace ember
