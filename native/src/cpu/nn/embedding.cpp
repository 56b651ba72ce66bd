// Embedding kernels on the CPU. Backward passes add rows of the gradient into the rows their
// indices name; duplicates make that a scatter-add, so work is split over the embedding dim
// (each task owns a range of columns for every index) and runs in index order: no races, and the
// result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "core/nn_dispatch.h"
#include "core/parallel.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

// Columns per task: enough rows x columns to hide the hand-off.
int64_t column_grain(int64_t rows) {
  return std::max<int64_t>(16, (int64_t{1} << 14) / std::max<int64_t>(rows, 1));
}

template <class T>
void embedding_backward(const Tensor& grad_weight, const Tensor& grad, const Tensor& indices,
                        int64_t padding_idx, bool scale_grad_by_freq) {
  const int64_t n = indices->numel(), dim = grad_weight->size(1);
  const int64_t* idx = indices->data_as<int64_t>();
  const T* g = grad->data_as<T>();
  T* gw = grad_weight->data_as<T>();
  std::fill(gw, gw + grad_weight->numel(), T(0));
  std::vector<int64_t> counts;
  if (scale_grad_by_freq) {
    counts.assign(static_cast<size_t>(grad_weight->size(0)), 0);
    for (int64_t i = 0; i < n; ++i) ++counts[static_cast<size_t>(idx[i])];
  }
  parallel_for(0, dim, column_grain(n), [&](int64_t lo, int64_t hi) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t row = idx[i];
      if (row == padding_idx) continue;
      const T scale = scale_grad_by_freq ? T(1) / static_cast<T>(counts[row]) : T(1);
      T* dst = gw + row * dim;
      const T* src = g + i * dim;
      for (int64_t j = lo; j < hi; ++j) dst[j] += src[j] * scale;
    }
  });
}

template <class T>
void embedding_renorm(const Tensor& weight, const Tensor& indices, double max_norm,
                      double norm_type) {
  const int64_t dim = weight->size(1);
  T* w = weight->data_as<T>();
  std::vector<int64_t> rows(indices->data_as<int64_t>(),
                            indices->data_as<int64_t>() + indices->numel());
  std::sort(rows.begin(), rows.end());
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  for (int64_t row : rows) {
    T* r = w + row * dim;
    double norm = 0;
    if (norm_type == 1) {
      for (int64_t j = 0; j < dim; ++j) norm += std::fabs(static_cast<double>(r[j]));
    } else if (norm_type == 2) {
      for (int64_t j = 0; j < dim; ++j) norm += static_cast<double>(r[j]) * r[j];
      norm = std::sqrt(norm);
    } else if (std::isinf(norm_type)) {
      for (int64_t j = 0; j < dim; ++j) norm = std::max(norm, std::fabs(static_cast<double>(r[j])));
    } else {
      for (int64_t j = 0; j < dim; ++j)
        norm += std::pow(std::fabs(static_cast<double>(r[j])), norm_type);
      norm = std::pow(norm, 1.0 / norm_type);
    }
    if (norm > max_norm) {
      // PyTorch's factor: max_norm / (norm + 1e-7).
      const T scale = static_cast<T>(max_norm / (norm + 1e-7));
      for (int64_t j = 0; j < dim; ++j) r[j] *= scale;
    }
  }
}

template <class T>
void embedding_bag(const Tensor& out, const Tensor& max_indices, const Tensor& weight,
                   const Tensor& indices, const Tensor& bounds, const Tensor& psw,
                   ops::BagMode mode, int64_t padding_idx) {
  const int64_t bags = out->size(0), dim = out->size(1);
  const int64_t* idx = indices->data_as<int64_t>();
  const int64_t* bd = bounds->data_as<int64_t>();
  const T* w = weight->data_as<T>();
  const T* ps = psw ? psw->data_as<T>() : nullptr;
  T* o = out->data_as<T>();
  int64_t* mi = max_indices ? max_indices->data_as<int64_t>() : nullptr;
  parallel_for(0, bags, std::max<int64_t>(1, 4096 / std::max<int64_t>(dim, 1)),
               [&](int64_t lo, int64_t hi) {
                 for (int64_t b = lo; b < hi; ++b) {
                   T* ob = o + b * dim;
                   std::fill(ob, ob + dim, T(0));
                   if (mi) std::fill(mi + b * dim, mi + (b + 1) * dim, int64_t{-1});
                   int64_t count = 0;
                   for (int64_t i = bd[b]; i < bd[b + 1]; ++i) {
                     const int64_t row = idx[i];
                     if (row == padding_idx) continue;
                     const T* wr = w + row * dim;
                     if (mode == ops::BagMode::Max) {
                       int64_t* mb = mi + b * dim;
                       for (int64_t j = 0; j < dim; ++j) {
                         if (count == 0 || wr[j] > ob[j]) {
                           ob[j] = wr[j];
                           mb[j] = row;
                         }
                       }
                     } else {
                       const T s = ps ? ps[i] : T(1);
                       for (int64_t j = 0; j < dim; ++j) ob[j] += wr[j] * s;
                     }
                     ++count;
                   }
                   if (mode == ops::BagMode::Mean && count > 0) {
                     const T inv = T(1) / static_cast<T>(count);
                     for (int64_t j = 0; j < dim; ++j) ob[j] *= inv;
                   }
                 }
               });
}

template <class T>
void embedding_bag_backward(const Tensor& grad_weight, const Tensor& grad, const Tensor& indices,
                            const Tensor& bounds, const Tensor& max_indices, const Tensor& psw,
                            ops::BagMode mode, int64_t padding_idx) {
  const int64_t bags = grad->size(0), dim = grad->size(1);
  const int64_t* idx = indices->data_as<int64_t>();
  const int64_t* bd = bounds->data_as<int64_t>();
  const T* g = grad->data_as<T>();
  const T* ps = psw ? psw->data_as<T>() : nullptr;
  T* gw = grad_weight->data_as<T>();
  std::fill(gw, gw + grad_weight->numel(), T(0));
  if (mode == ops::BagMode::Max) {
    // Each output element came from one row: grad goes back there (rows -1: empty bags).
    const int64_t* mi = max_indices->data_as<int64_t>();
    parallel_for(0, dim, column_grain(bags), [&](int64_t lo, int64_t hi) {
      for (int64_t b = 0; b < bags; ++b) {
        for (int64_t j = lo; j < hi; ++j) {
          const int64_t row = mi[b * dim + j];
          if (row >= 0) gw[row * dim + j] += g[b * dim + j];
        }
      }
    });
    return;
  }
  // Mean divides by the number of non-padding entries of the bag.
  std::vector<T> bag_scale(static_cast<size_t>(bags), T(1));
  if (mode == ops::BagMode::Mean) {
    for (int64_t b = 0; b < bags; ++b) {
      int64_t count = 0;
      for (int64_t i = bd[b]; i < bd[b + 1]; ++i) count += idx[i] != padding_idx;
      bag_scale[b] = count > 0 ? T(1) / static_cast<T>(count) : T(0);
    }
  }
  parallel_for(0, dim, column_grain(indices->numel()), [&](int64_t lo, int64_t hi) {
    for (int64_t b = 0; b < bags; ++b) {
      const T* gb = g + b * dim;
      for (int64_t i = bd[b]; i < bd[b + 1]; ++i) {
        const int64_t row = idx[i];
        if (row == padding_idx) continue;
        const T s = bag_scale[b] * (ps ? ps[i] : T(1));
        T* dst = gw + row * dim;
        for (int64_t j = lo; j < hi; ++j) dst[j] += gb[j] * s;
      }
    }
  });
}

template <class T>
void embedding_bag_psw_backward(const Tensor& grad_psw, const Tensor& grad, const Tensor& weight,
                                const Tensor& indices, const Tensor& bounds, int64_t padding_idx) {
  const int64_t bags = grad->size(0), dim = grad->size(1);
  const int64_t* idx = indices->data_as<int64_t>();
  const int64_t* bd = bounds->data_as<int64_t>();
  const T* g = grad->data_as<T>();
  const T* w = weight->data_as<T>();
  T* out = grad_psw->data_as<T>();
  std::fill(out, out + grad_psw->numel(), T(0));
  for (int64_t b = 0; b < bags; ++b) {
    for (int64_t i = bd[b]; i < bd[b + 1]; ++i) {
      if (idx[i] == padding_idx) continue;
      const T* wr = w + idx[i] * dim;
      T s = 0;
      for (int64_t j = 0; j < dim; ++j) s += g[b * dim + j] * wr[j];
      out[i] = s;
    }
  }
}

void embedding_backward_cpu(const Tensor& grad_weight, const Tensor& grad, const Tensor& indices,
                            int64_t padding_idx, bool scale_grad_by_freq) {
  dispatch_float_double("embedding_backward", grad->dtype(), [&](auto tag) {
    embedding_backward<typename decltype(tag)::type>(grad_weight, grad, indices, padding_idx,
                                                     scale_grad_by_freq);
  });
}

void embedding_renorm_cpu(const Tensor& weight, const Tensor& indices, double max_norm,
                          double norm_type) {
  dispatch_float_double("embedding_renorm_", weight->dtype(), [&](auto tag) {
    embedding_renorm<typename decltype(tag)::type>(weight, indices, max_norm, norm_type);
  });
}

void embedding_bag_cpu(const Tensor& out, const Tensor& max_indices, const Tensor& weight,
                       const Tensor& indices, const Tensor& bounds, const Tensor& psw,
                       ops::BagMode mode, int64_t padding_idx) {
  dispatch_float_double("embedding_bag", weight->dtype(), [&](auto tag) {
    embedding_bag<typename decltype(tag)::type>(out, max_indices, weight, indices, bounds, psw,
                                                mode, padding_idx);
  });
}

void embedding_bag_backward_cpu(const Tensor& grad_weight, const Tensor& grad,
                                const Tensor& indices, const Tensor& bounds,
                                const Tensor& max_indices, const Tensor& psw, ops::BagMode mode,
                                int64_t padding_idx) {
  dispatch_float_double("embedding_bag_backward", grad->dtype(), [&](auto tag) {
    embedding_bag_backward<typename decltype(tag)::type>(grad_weight, grad, indices, bounds,
                                                         max_indices, psw, mode, padding_idx);
  });
}

void embedding_bag_psw_backward_cpu(const Tensor& grad_psw, const Tensor& grad,
                                    const Tensor& weight, const Tensor& indices,
                                    const Tensor& bounds, int64_t padding_idx) {
  dispatch_float_double("embedding_bag_per_sample_weights_backward", grad->dtype(), [&](auto tag) {
    embedding_bag_psw_backward<typename decltype(tag)::type>(grad_psw, grad, weight, indices,
                                                             bounds, padding_idx);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(embedding_backward_stub, DeviceType::CPU, embedding_backward_cpu);
EMBER_REGISTER_KERNEL(embedding_renorm_stub, DeviceType::CPU, embedding_renorm_cpu);
EMBER_REGISTER_KERNEL(embedding_bag_stub, DeviceType::CPU, embedding_bag_cpu);
EMBER_REGISTER_KERNEL(embedding_bag_backward_stub, DeviceType::CPU, embedding_bag_backward_cpu);
EMBER_REGISTER_KERNEL(embedding_bag_psw_backward_stub, DeviceType::CPU,
                      embedding_bag_psw_backward_cpu);

}  // namespace ember::cpu
