// ctc_loss forward and backward on the CPU: the alpha/beta recursions of Graves et al. (2006) in
// log space over the extended target (blank, l1, blank, l2, ..., blank), one batch element per
// task. Sums run in double whatever the dtype, so long sequences keep their precision.
#include <cmath>
#include <limits>
#include <vector>

#include "core/dispatch_loss.h"
#include "core/parallel.h"
#include "cpu/nn/common.h"

namespace ember::cpu {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

inline double log_add(double a, double b) {
  if (a < b) std::swap(a, b);
  if (a == kNegInf) return kNegInf;
  return a + std::log1p(std::exp(b - a));
}

// One batch element's view of the operands.
struct Sequence {
  int64_t time, length;  // input and target length
  const int64_t* target;
  int64_t blank;
  // The label at position s of the extended target.
  int64_t label(int64_t s) const { return s % 2 == 0 ? blank : target[s / 2]; }
  // Whether alpha may skip from s - 2 to s (a label that differs from the one before the blank).
  bool can_skip(int64_t s) const {
    return s % 2 == 1 && s >= 2 && target[s / 2] != target[s / 2 - 1];
  }
};

void check_targets(const char* op, const int64_t* targets, const int64_t* offsets,
                   const int64_t* target_lengths, int64_t n, int64_t classes) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t k = 0; k < target_lengths[b]; ++k) {
      const int64_t t = targets[offsets[b] + k];
      EMBER_CHECK(t >= 0 && t < classes, EMBER_ERROR_INVALID_ARGUMENT, op, ": target ", t,
                  " (batch element ", b, ", position ", k, ") is out of bounds for ", classes,
                  " classes");
    }
}

template <class T>
void forward(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs,
             const Tensor& targets, const int64_t* offsets, const int64_t* input_lengths,
             const int64_t* target_lengths, int64_t blank) {
  using C = compute_t<T>;
  const int64_t time = log_probs->size(0), n = log_probs->size(1), classes = log_probs->size(2);
  const int64_t ext = log_alpha->size(2);
  const T* lp = log_probs->data_as<T>();
  const int64_t* tg = targets->data_as<int64_t>();
  check_targets("ctc_loss", tg, offsets, target_lengths, n, classes);
  T* out = nll->data_as<T>();
  C* la_all = log_alpha->data_as<C>();
  parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const Sequence q{input_lengths[b], target_lengths[b], tg + offsets[b], blank};
      const int64_t lext = 2 * q.length + 1;
      C* la = la_all + b * time * ext;
      std::fill(la, la + time * ext, static_cast<C>(kNegInf));
      auto at = [&](int64_t t, int64_t c) {
        return static_cast<double>(static_cast<C>(lp[(t * n + b) * classes + c]));
      };
      if (q.time == 0) {  // an empty input emits only the empty target
        out[b] = static_cast<T>(q.length == 0 ? 0.0 : std::numeric_limits<double>::infinity());
        continue;
      }
      std::vector<double> prev(lext, kNegInf), cur(lext, kNegInf);
      prev[0] = at(0, blank);
      if (q.length > 0) prev[1] = at(0, q.label(1));
      for (int64_t s = 0; s < lext; ++s) la[s] = static_cast<C>(prev[s]);
      for (int64_t t = 1; t < q.time; ++t) {
        for (int64_t s = 0; s < lext; ++s) {
          double v = prev[s];
          if (s >= 1) v = log_add(v, prev[s - 1]);
          if (q.can_skip(s)) v = log_add(v, prev[s - 2]);
          cur[s] = v == kNegInf ? kNegInf : v + at(t, q.label(s));
          la[t * ext + s] = static_cast<C>(cur[s]);
        }
        std::swap(prev, cur);
      }
      const double ll = q.length > 0 ? log_add(prev[lext - 1], prev[lext - 2]) : prev[lext - 1];
      out[b] = static_cast<T>(-ll);
    }
  });
}

template <class T>
void backward(const Tensor& grad, const Tensor& grad_out, const Tensor& log_probs,
              const Tensor& targets, const int64_t* offsets, const int64_t* input_lengths,
              const int64_t* target_lengths, const Tensor& nll, const Tensor& log_alpha,
              int64_t blank, bool zero_infinity) {
  using C = compute_t<T>;
  const int64_t time = log_probs->size(0), n = log_probs->size(1), classes = log_probs->size(2);
  const int64_t ext = log_alpha->size(2);
  const T* lp = log_probs->data_as<T>();
  const int64_t* tg = targets->data_as<int64_t>();
  check_targets("ctc_loss_backward", tg, offsets, target_lengths, n, classes);
  const T* go = grad_out->data_as<T>();
  const T* nl = nll->data_as<T>();
  const C* la_all = log_alpha->data_as<C>();
  T* gx = grad->data_as<T>();
  parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> beta, lcab(classes);
    for (int64_t b = begin; b < end; ++b) {
      const Sequence q{input_lengths[b], target_lengths[b], tg + offsets[b], blank};
      const int64_t lext = 2 * q.length + 1;
      const double loss = static_cast<double>(static_cast<C>(nl[b]));
      const double g = static_cast<double>(static_cast<C>(go[b]));
      auto row = [&](int64_t t) { return (t * n + b) * classes; };
      auto at = [&](int64_t t, int64_t c) {
        return static_cast<double>(static_cast<C>(lp[row(t) + c]));
      };
      // Steps past the input length, and (with zero_infinity) impossible alignments, get 0.
      const int64_t live = zero_infinity && std::isinf(loss) ? 0 : q.time;
      for (int64_t t = live; t < time; ++t) std::fill(gx + row(t), gx + row(t) + classes, T(0));
      if (live == 0) continue;
      // beta[t][s]: log probability of emitting the extended target's suffix from s at step t on.
      beta.assign(q.time * lext, kNegInf);
      double* last = beta.data() + (q.time - 1) * lext;
      last[lext - 1] = at(q.time - 1, blank);
      if (q.length > 0) last[lext - 2] = at(q.time - 1, q.label(lext - 2));
      for (int64_t t = q.time - 2; t >= 0; --t) {
        const double* next = beta.data() + (t + 1) * lext;
        double* cur = beta.data() + t * lext;
        for (int64_t s = 0; s < lext; ++s) {
          double v = next[s];
          if (s + 1 < lext) v = log_add(v, next[s + 1]);
          if (s + 2 < lext && q.can_skip(s + 2)) v = log_add(v, next[s + 2]);
          cur[s] = v == kNegInf ? kNegInf : v + at(t, q.label(s));
        }
      }
      const C* la = la_all + b * time * ext;
      for (int64_t t = 0; t < q.time; ++t) {
        std::fill(lcab.begin(), lcab.end(), kNegInf);
        for (int64_t s = 0; s < lext; ++s) {
          const double ab = static_cast<double>(la[t * ext + s]) + beta[t * lext + s];
          double& slot = lcab[q.label(s)];
          slot = log_add(slot, ab);
        }
        // d(-log p)/d lp through a log_softmax: softmax minus the posterior of each class.
        for (int64_t c = 0; c < classes; ++c) {
          const double l = at(t, c);
          gx[row(t) + c] = static_cast<T>((std::exp(l) - std::exp(lcab[c] + loss - l)) * g);
        }
      }
    }
  });
}

void ctc_loss_cpu(const Tensor& nll, const Tensor& log_alpha, const Tensor& log_probs,
                  const Tensor& targets, const int64_t* offsets, const int64_t* input_lengths,
                  const int64_t* target_lengths, int64_t blank) {
  dispatch_floating("ctc_loss", log_probs->dtype(), [&](auto tag) {
    forward<typename decltype(tag)::type>(nll, log_alpha, log_probs, targets, offsets,
                                          input_lengths, target_lengths, blank);
  });
}

void ctc_loss_backward_cpu(const Tensor& grad, const Tensor& grad_out, const Tensor& log_probs,
                           const Tensor& targets, const int64_t* offsets,
                           const int64_t* input_lengths, const int64_t* target_lengths,
                           const Tensor& nll, const Tensor& log_alpha, int64_t blank,
                           bool zero_infinity) {
  dispatch_floating("ctc_loss_backward", log_probs->dtype(), [&](auto tag) {
    backward<typename decltype(tag)::type>(grad, grad_out, log_probs, targets, offsets,
                                           input_lengths, target_lengths, nll, log_alpha, blank,
                                           zero_infinity);
  });
}

}  // namespace

EMBER_REGISTER_KERNEL(ctc_loss_stub, DeviceType::CPU, ctc_loss_cpu);
EMBER_REGISTER_KERNEL(ctc_loss_backward_stub, DeviceType::CPU, ctc_loss_backward_cpu);

}  // namespace ember::cpu
