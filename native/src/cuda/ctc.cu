// ctc_loss forward and backward on the GPU with the CPU kernel's arithmetic: the alpha/beta
// recursions of Graves et al. (2006) in log space over the extended target (blank, l1, blank, l2,
// ..., blank), summed in double whatever the dtype. One block per batch element; its threads
// share the positions s of the extended target and step through time together. Targets out of
// [0, classes) are reported through the device error record (device_error.cuh).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "atomic.cuh"
#include "common.cuh"
#include "device_error.cuh"

namespace ember_cuda {

namespace {

constexpr int kCtcThreads = 256;

__device__ inline double log_add(double a, double b) {
  if (a < b) {
    const double t = a;
    a = b;
    b = t;
  }
  if (a == -INFINITY) return -INFINITY;
  return a + log1p(exp(b - a));
}

// One batch element: input length, target length and where its target starts.
struct Sequence {
  int64_t time, length;
  const int64_t* target;
  int64_t blank;
  __device__ int64_t label(int64_t s) const { return s % 2 == 0 ? blank : target[s / 2]; }
  __device__ bool can_skip(int64_t s) const {
    return s % 2 == 1 && s >= 2 && target[s / 2] != target[s / 2 - 1];
  }
};

// The host arrays of the call on the device: offsets, input lengths, target lengths (n each).
struct Lengths {
  const int64_t* offsets;
  const int64_t* input;
  const int64_t* target;
};

// Checks b's targets; true when all are in [0, classes). Every thread of the block calls it.
__device__ bool targets_ok(const Sequence& q, int64_t classes, int64_t b, const ErrorSink& sink) {
  __shared__ int bad;
  if (threadIdx.x == 0) bad = 0;
  __syncthreads();
  for (int64_t k = threadIdx.x; k < q.length; k += blockDim.x) {
    const int64_t t = q.target[k];
    if (t < 0 || t >= classes) {
      report_error(sink, ErrorKind::Target, t, classes, b);
      bad = 1;
    }
  }
  __syncthreads();
  return bad == 0;
}

template <class T>
struct ForwardArgs {
  T* nll;
  acc_t<T>* log_alpha;  // (n, time, ext)
  const T* log_probs;   // (time, n, classes)
  const int64_t* targets;
  Lengths len;
  double* scratch;  // two rows of ext doubles per batch element
  int64_t time, n, classes, ext, blank;
  ErrorSink sink;
};

template <class T>
__global__ void __launch_bounds__(kCtcThreads) ctc_forward_kernel(const ForwardArgs<T> a) {
  using C = acc_t<T>;
  const int64_t b = blockIdx.x;
  const Sequence q{a.len.input[b], a.len.target[b], a.targets + a.len.offsets[b], a.blank};
  const int64_t lext = 2 * q.length + 1;
  C* la = a.log_alpha + b * a.time * a.ext;
  for (int64_t x = threadIdx.x; x < a.time * a.ext; x += blockDim.x) la[x] = C(-INFINITY);
  if (!targets_ok(q, a.classes, b, a.sink)) {
    if (threadIdx.x == 0) a.nll[b] = static_cast<T>(NAN);
    return;
  }
  if (q.time == 0) {  // an empty input emits only the empty target
    if (threadIdx.x == 0) a.nll[b] = static_cast<T>(q.length == 0 ? 0.0 : INFINITY);
    return;
  }
  auto at = [&](int64_t t, int64_t c) {
    return static_cast<double>(to_acc(a.log_probs[(t * a.n + b) * a.classes + c]));
  };
  double* prev = a.scratch + b * 2 * a.ext;
  double* cur = prev + a.ext;
  for (int64_t s = threadIdx.x; s < lext; s += blockDim.x) {
    const double v = s == 0 ? at(0, a.blank) : s == 1 ? at(0, q.label(1)) : -INFINITY;
    prev[s] = v;
    la[s] = static_cast<C>(v);
  }
  __syncthreads();
  for (int64_t t = 1; t < q.time; ++t) {
    for (int64_t s = threadIdx.x; s < lext; s += blockDim.x) {
      double v = prev[s];
      if (s >= 1) v = log_add(v, prev[s - 1]);
      if (q.can_skip(s)) v = log_add(v, prev[s - 2]);
      const double c = v == -INFINITY ? -INFINITY : v + at(t, q.label(s));
      cur[s] = c;
      la[t * a.ext + s] = static_cast<C>(c);
    }
    __syncthreads();
    double* swap = prev;
    prev = cur;
    cur = swap;
  }
  if (threadIdx.x == 0) {
    const double ll = q.length > 0 ? log_add(prev[lext - 1], prev[lext - 2]) : prev[lext - 1];
    a.nll[b] = static_cast<T>(-ll);
  }
}

template <class T>
struct BackwardArgs {
  T* grad;  // (time, n, classes)
  const T* grad_out;
  const T* log_probs;
  const int64_t* targets;
  Lengths len;
  const T* nll;
  const acc_t<T>* log_alpha;
  double* beta;  // two rows of ext doubles per batch element
  double* lcab;  // classes doubles per batch element
  int64_t time, n, classes, ext, blank;
  bool zero_infinity;
  ErrorSink sink;
};

template <class T>
__global__ void __launch_bounds__(kCtcThreads) ctc_backward_kernel(const BackwardArgs<T> a) {
  using C = acc_t<T>;
  const int64_t b = blockIdx.x;
  const Sequence q{a.len.input[b], a.len.target[b], a.targets + a.len.offsets[b], a.blank};
  const int64_t lext = 2 * q.length + 1;
  auto row = [&](int64_t t) { return (t * a.n + b) * a.classes; };
  auto at = [&](int64_t t, int64_t c) {
    return static_cast<double>(to_acc(a.log_probs[row(t) + c]));
  };
  const bool ok = targets_ok(q, a.classes, b, a.sink);
  const double loss = static_cast<double>(to_acc(a.nll[b]));
  const double g = static_cast<double>(to_acc(a.grad_out[b]));
  // Steps past the input length, and (with zero_infinity) impossible alignments, get 0.
  const int64_t live = !ok || (a.zero_infinity && isinf(loss)) ? 0 : q.time;
  for (int64_t x = live * a.classes + threadIdx.x; x < a.time * a.classes; x += blockDim.x) {
    const int64_t t = x / a.classes, c = x % a.classes;
    a.grad[row(t) + c] = static_cast<T>(ok ? 0.0f : NAN);
  }
  if (live == 0) return;
  const C* la = a.log_alpha + b * a.time * a.ext;
  double* next = a.beta + b * 2 * a.ext;
  double* cur = next + a.ext;
  double* lcab = a.lcab + b * a.classes;
  // beta[t][s]: log probability of emitting the extended target's suffix from s at step t on;
  // the gradient of step t follows as soon as beta[t] is known.
  for (int64_t t = q.time - 1; t >= 0; --t) {
    for (int64_t s = threadIdx.x; s < lext; s += blockDim.x) {
      double v;
      if (t == q.time - 1) {
        v = s == lext - 1                   ? at(t, a.blank)
            : s == lext - 2 && q.length > 0 ? at(t, q.label(s))
                                            : -INFINITY;
      } else {
        v = next[s];
        if (s + 1 < lext) v = log_add(v, next[s + 1]);
        if (s + 2 < lext && q.can_skip(s + 2)) v = log_add(v, next[s + 2]);
        v = v == -INFINITY ? -INFINITY : v + at(t, q.label(s));
      }
      cur[s] = v;
    }
    for (int64_t c = threadIdx.x; c < a.classes; c += blockDim.x) lcab[c] = -INFINITY;
    __syncthreads();
    for (int64_t s = threadIdx.x; s < lext; s += blockDim.x) {
      const double ab = static_cast<double>(la[t * a.ext + s]) + cur[s];
      if (ab != -INFINITY)
        atomic_apply(lcab + q.label(s), [ab](double v) { return log_add(v, ab); });
    }
    __syncthreads();
    // d(-log p)/d lp through a log_softmax: softmax minus the posterior of each class.
    for (int64_t c = threadIdx.x; c < a.classes; c += blockDim.x) {
      const double l = at(t, c);
      a.grad[row(t) + c] = static_cast<T>((exp(l) - exp(lcab[c] + loss - l)) * g);
    }
    __syncthreads();  // the readers of next and lcab are done before step t - 1 overwrites them
    double* swap = next;
    next = cur;
    cur = swap;
  }
}

// The call's host arrays (n each) copied to the device, in the order of the current stream.
struct DeviceLengths {
  Scratch buffer;
  Lengths len;
  DeviceLengths(int32_t device, const int64_t* offsets, const int64_t* input, const int64_t* target,
                int64_t n)
      : buffer(device, static_cast<int64_t>(sizeof(int64_t)) * 3 * n) {
    refuse_while_capturing(stream(), "ctc_loss (copying the lengths to the device)");
    std::vector<int64_t> host(static_cast<size_t>(3 * n));
    std::copy(offsets, offsets + n, host.begin());
    std::copy(input, input + n, host.begin() + n);
    std::copy(target, target + n, host.begin() + 2 * n);
    // From pageable memory: the call returns once the bytes are staged, so host may go.
    EC_CUDA(cudaMemcpyAsync(buffer.as<int64_t>(), host.data(), sizeof(int64_t) * host.size(),
                            cudaMemcpyHostToDevice, stream()));
    len = {buffer.as<int64_t>(), buffer.as<int64_t>() + n, buffer.as<int64_t>() + 2 * n};
  }
};

void check_acc(const char* op, const ember_kernel_tensor* values,
               const ember_kernel_tensor* log_alpha) {
  const int32_t want = values->dtype == EMBER_FLOAT64 ? EMBER_FLOAT64 : EMBER_FLOAT32;
  if (log_alpha->dtype != want || log_alpha->ndim != 3)
    fail(EMBER_ERROR_DTYPE, std::string(op) + ": cuda kernel expects a 3-dim " + dtype_name(want) +
                                " log_alpha for " + dtype_name(values->dtype) + " log_probs, got " +
                                dtype_name(log_alpha->dtype));
}

ember_status ctc_loss(void*, const ember_kernel_tensor* nll, const ember_kernel_tensor* log_alpha,
                      const ember_kernel_tensor* log_probs, const ember_kernel_tensor* targets,
                      const void* offsets, const void* input_lengths, const void* target_lengths,
                      int64_t blank) {
  return guard([&] {
    const char* op = "ctc_loss";
    use_device(log_probs);
    check_acc(op, log_probs, log_alpha);
    const int64_t time = log_probs->sizes[0], n = log_probs->sizes[1];
    const int64_t classes = log_probs->sizes[2], ext = log_alpha->sizes[2];
    if (n == 0) return;
    const DeviceLengths lengths(log_probs->device_index, static_cast<const int64_t*>(offsets),
                                static_cast<const int64_t*>(input_lengths),
                                static_cast<const int64_t*>(target_lengths), n);
    Scratch scratch(log_probs->device_index, static_cast<int64_t>(sizeof(double)) * 2 * ext * n);
    dispatch_float(log_probs->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const ForwardArgs<T> a{data<T>(nll),
                             data<acc_t<T>>(log_alpha),
                             data<T>(log_probs),
                             data<int64_t>(targets),
                             lengths.len,
                             scratch.as<double>(),
                             time,
                             n,
                             classes,
                             ext,
                             blank,
                             error_sink(op)};
      ctc_forward_kernel<T><<<static_cast<unsigned>(n), kCtcThreads, 0, stream()>>>(a);
      EC_LAUNCHED("ctc_loss");
    });
  });
}

ember_status ctc_loss_backward(void*, const ember_kernel_tensor* grad,
                               const ember_kernel_tensor* grad_out,
                               const ember_kernel_tensor* log_probs,
                               const ember_kernel_tensor* targets, const void* offsets,
                               const void* input_lengths, const void* target_lengths,
                               const ember_kernel_tensor* nll, const ember_kernel_tensor* log_alpha,
                               int64_t blank, int32_t zero_infinity) {
  return guard([&] {
    const char* op = "ctc_loss_backward";
    use_device(log_probs);
    check_acc(op, log_probs, log_alpha);
    const int64_t time = log_probs->sizes[0], n = log_probs->sizes[1];
    const int64_t classes = log_probs->sizes[2], ext = log_alpha->sizes[2];
    if (n == 0) return;
    const DeviceLengths lengths(log_probs->device_index, static_cast<const int64_t*>(offsets),
                                static_cast<const int64_t*>(input_lengths),
                                static_cast<const int64_t*>(target_lengths), n);
    Scratch beta(log_probs->device_index, static_cast<int64_t>(sizeof(double)) * 2 * ext * n);
    Scratch lcab(log_probs->device_index, static_cast<int64_t>(sizeof(double)) * classes * n);
    dispatch_float(log_probs->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const BackwardArgs<T> a{data<T>(grad),
                              data<T>(grad_out),
                              data<T>(log_probs),
                              data<int64_t>(targets),
                              lengths.len,
                              data<T>(nll),
                              data<acc_t<T>>(log_alpha),
                              beta.as<double>(),
                              lcab.as<double>(),
                              time,
                              n,
                              classes,
                              ext,
                              blank,
                              zero_infinity != 0,
                              error_sink(op)};
      ctc_backward_kernel<T><<<static_cast<unsigned>(n), kCtcThreads, 0, stream()>>>(a);
      EC_LAUNCHED("ctc_loss_backward");
    });
  });
}

}  // namespace

ember_status register_ctc(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "ctc_loss", ctc_loss);
  if (s == EMBER_OK) s = register_kernel(host, "ctc_loss_backward", ctc_loss_backward);
  return s;
}

}  // namespace ember_cuda
