#include "tensor.h"

#include "backend.h"
#include "error.h"

namespace ember {

TensorImpl::TensorImpl(Ref<Storage> storage, DimVector sizes, DimVector strides, int64_t offset,
                       DType dtype)
    : storage_(std::move(storage)),
      sizes_(std::move(sizes)),
      strides_(std::move(strides)),
      offset_(offset),
      numel_(1),
      dtype_(dtype),
      contiguous_(true) {
  EMBER_CHECK(sizes_.size() == strides_.size(), EMBER_ERROR_INTERNAL, "tensor: sizes ", sizes_,
              " and strides ", strides_, " differ in length");
  // One pass, innermost dim first: the element count, and whether the layout is row-major
  // (ignoring dims of size 1, whose stride never matters). Empty counts as contiguous.
  bool row_major = true;
  for (int64_t d = sizes_.size() - 1; d >= 0; --d) {
    const int64_t s = sizes_[d];
    if (s != 1 && strides_[d] != numel_) row_major = false;
    EMBER_CHECK(!__builtin_mul_overflow(numel_, s, &numel_), EMBER_ERROR_SHAPE, "tensor: sizes ",
                sizes_, " hold more than 2^63 elements");
  }
  contiguous_ = row_major || numel_ == 0;
}

DimVector contiguous_strides(const DimVector& sizes) {
  DimVector strides(sizes.size(), 1);
  int64_t s = 1;
  for (int64_t d = sizes.size() - 1; d >= 0; --d) {
    strides[d] = s;
    s *= sizes[d] > 1 ? sizes[d] : 1;  // as PyTorch: a size-0 dim does not zero the outer strides
  }
  return strides;
}

Tensor empty(const DimVector& sizes, DType dtype, Device device) {
  int64_t nbytes = element_size(dtype);
  for (int64_t s : sizes) {
    EMBER_CHECK(s >= 0, EMBER_ERROR_INVALID_ARGUMENT, "empty: negative size ", s, " in sizes ",
                sizes);
  }
  for (int64_t s : sizes) {
    EMBER_CHECK(!__builtin_mul_overflow(nbytes, s, &nbytes), EMBER_ERROR_OUT_OF_MEMORY,
                "out of memory: a ", dtype_name(dtype), " tensor of sizes ", sizes,
                " needs more than 2^63 bytes");
  }
  Allocator& allocator = device_allocator(device);
  return Tensor::make(Ref<Storage>::make(nbytes, device, allocator), sizes,
                      contiguous_strides(sizes), 0, dtype);
}

Tensor make_view(const Tensor& t, DimVector sizes, DimVector strides, int64_t offset) {
  return Tensor::make(t->storage(), std::move(sizes), std::move(strides), offset, t->dtype());
}

int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim) {
  const int64_t n = ndim > 0 ? ndim : 1;  // a 0-d tensor takes dim 0 or -1, as in PyTorch
  EMBER_CHECK(dim >= -n && dim < n, EMBER_ERROR_INVALID_ARGUMENT, op, ": dim ", dim,
              " is out of range for a tensor of ", ndim, " dims (expected in [", -n, ", ", n - 1,
              "])");
  return dim < 0 ? dim + n : dim;
}

}  // namespace ember
