// A tensor is layout metadata (sizes, strides and offset, all in elements) over a shared Storage.
// Views are new TensorImpls over the same Storage; they never touch a backend.
#pragma once

#include <cstdint>

#include "dim_vector.h"
#include "dtype.h"
#include "refcount.h"
#include "storage.h"

namespace ember {

class TensorImpl final : public RefCounted {
 public:
  TensorImpl(Ref<Storage> storage, DimVector sizes, DimVector strides, int64_t offset, DType dtype);

  const Ref<Storage>& storage() const { return storage_; }
  const DimVector& sizes() const { return sizes_; }
  const DimVector& strides() const { return strides_; }
  int64_t size(int64_t dim) const { return sizes_[dim]; }
  int64_t stride(int64_t dim) const { return strides_[dim]; }
  int64_t dim() const { return sizes_.size(); }
  int64_t offset() const { return offset_; }
  int64_t numel() const { return numel_; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_->device(); }
  bool is_contiguous() const { return contiguous_; }

  // Address of element 0.
  void* data() const {
    return static_cast<char*>(storage_->data()) + offset_ * element_size(dtype_);
  }
  template <class T>
  T* data_as() const {
    return static_cast<T*>(data());
  }

 private:
  Ref<Storage> storage_;
  DimVector sizes_;
  DimVector strides_;
  int64_t offset_;
  int64_t numel_;
  DType dtype_;
  bool contiguous_;
};

using Tensor = Ref<TensorImpl>;

// Row-major strides for sizes.
DimVector contiguous_strides(const DimVector& sizes);
// A new tensor with fresh contiguous storage on device (uninitialised).
Tensor empty(const DimVector& sizes, DType dtype, Device device);
// A view of t with other metadata over the same storage.
Tensor make_view(const Tensor& t, DimVector sizes, DimVector strides, int64_t offset);
// Wraps a possibly negative dim into [0, ndim); throws naming op when out of range. As in PyTorch a
// 0-d tensor accepts 0 and -1 (both give 0): callers that index sizes() must check dim() > 0.
int64_t wrap_dim(const char* op, int64_t dim, int64_t ndim);

}  // namespace ember
