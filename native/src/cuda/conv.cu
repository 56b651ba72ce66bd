// Convolution over 2 or 3 spatial dims (conv2d, which also serves conv1d and the transposed
// convolutions, and conv3d) forward and backward, and unfold / fold. Convolutions go through
// cuDNN's N-d descriptors when the plugin was built with it and Torch.Backends.Cudnn.Enabled is on
// (algorithm search when Benchmark is on, deterministic algorithms when Deterministic is), unless
// they are small enough that cuDNN's per-call host cost outweighs their GPU work; otherwise through
// vol2col (im2col in 3 dims; a 2-d convolution has depth 1) and cuBLAS over as many images at once
// as a scratch budget holds, which takes every floating dtype and needs nothing beyond the toolkit.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "blas.cuh"
#include "conv.cuh"
#include "core/nn_conv_pool.h"
#include "core/nn_dispatch.h"
#include "map.cuh"

#ifdef EMBER_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace ember_cuda {

namespace {

using ember::ops::Conv2dParams;
using ember::ops::ConvParams;
using ember::ops::UnfoldParams;

// The shapes of one convolution in 3 spatial dims (a 2-d one has depth 1): x (N, C, D, H, W),
// w (O, C / groups, KD, KH, KW), out (N, O, DO, HO, WO).
struct ConvShape {
  int32_t dims;  // spatial dims of the op: 2 or 3
  int64_t n, c, o, groups;
  int64_t in[3], k[3], out[3], stride[3], pad[3], dil[3];
  __host__ __device__ int64_t cg() const { return c / groups; }
  __host__ __device__ int64_t og() const { return o / groups; }
  __host__ __device__ int64_t taps() const { return k[0] * k[1] * k[2]; }
  // rows of one group's column matrix
  __host__ __device__ int64_t kdim() const { return cg() * taps(); }
  // its columns: the output positions
  __host__ __device__ int64_t l() const { return out[0] * out[1] * out[2]; }
  __host__ __device__ int64_t volume() const { return in[0] * in[1] * in[2]; }
};

ConvShape shape_2d(const ember_kernel_tensor* x, const ember_kernel_tensor* wt,
                   const ember_kernel_tensor* out, const Conv2dParams& p) {
  return {2,
          x->sizes[0],
          x->sizes[1],
          wt->sizes[0],
          p.groups,
          {1, x->sizes[2], x->sizes[3]},
          {1, wt->sizes[2], wt->sizes[3]},
          {1, out->sizes[2], out->sizes[3]},
          {1, p.stride[0], p.stride[1]},
          {0, p.padding[0], p.padding[1]},
          {1, p.dilation[0], p.dilation[1]}};
}

ConvShape shape_3d(const ember_kernel_tensor* x, const ember_kernel_tensor* wt,
                   const ember_kernel_tensor* out, const ConvParams& p) {
  if (p.dims != 3 || x->ndim != 5 || wt->ndim != 5 || out->ndim != 5)
    fail(EMBER_ERROR_INVALID_ARGUMENT, "conv3d: cuda kernel expects 5-d tensors and 3 dims");
  ConvShape s{3, x->sizes[0], x->sizes[1], wt->sizes[0], p.groups, {}, {}, {}, {}, {}, {}};
  for (int d = 0; d < 3; ++d) {
    s.in[d] = x->sizes[2 + d];
    s.k[d] = wt->sizes[2 + d];
    s.out[d] = out->sizes[2 + d];
    s.stride[d] = p.stride[d];
    s.pad[d] = p.padding[d];
    s.dil[d] = p.dilation[d];
  }
  return s;
}

// ---- vol2col path ----

#define EC_GRID_STRIDE(idx, total)                                                  \
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < (total); \
       idx += int64_t{gridDim.x} * blockDim.x)

// col (C * KD * KH * KW, DO * HO * WO) of each of `images` images: row ((c * KD + a) * KH + i) *
// KW + j, column (od * HO + oh) * WO + ow holds the input element the kernel tap (a, i, j) of that
// output reads, 0 in the padding.
template <class T>
__global__ void vol2col(const T* x, T* col, ConvShape s, int64_t images) {
  const int64_t per_image = s.c * s.taps() * s.l();
  EC_GRID_STRIDE(idx, images * per_image) {
    const int64_t img = idx / per_image, r = idx % per_image;
    const int64_t q = r % s.l(), row = r / s.l();
    const int64_t j = row % s.k[2], i = row / s.k[2] % s.k[1], a = row / (s.k[2] * s.k[1]) % s.k[0];
    const int64_t c = row / s.taps();
    const int64_t ow = q % s.out[2], oh = q / s.out[2] % s.out[1], od = q / (s.out[2] * s.out[1]);
    const int64_t id = od * s.stride[0] - s.pad[0] + a * s.dil[0];
    const int64_t ih = oh * s.stride[1] - s.pad[1] + i * s.dil[1];
    const int64_t iw = ow * s.stride[2] - s.pad[2] + j * s.dil[2];
    const bool inside =
        id >= 0 && id < s.in[0] && ih >= 0 && ih < s.in[1] && iw >= 0 && iw < s.in[2];
    col[idx] = inside ? x[(img * s.c + c) * s.volume() + (id * s.in[1] + ih) * s.in[2] + iw] : T(0);
  }
}

// The inverse scatter as a gather: each input element sums the column entries that read it.
template <class T>
__global__ void col2vol(const T* col, T* gx, ConvShape s, int64_t images) {
  const int64_t rows = s.c * s.taps();
  EC_GRID_STRIDE(idx, images * s.c * s.volume()) {
    const int64_t iw = idx % s.in[2], ih = idx / s.in[2] % s.in[1];
    const int64_t id = idx / (s.in[2] * s.in[1]) % s.in[0];
    const int64_t c = idx / s.volume() % s.c, img = idx / (s.volume() * s.c);
    const T* cols = col + img * rows * s.l();
    acc_t<T> sum = 0;
    for (int64_t a = 0; a < s.k[0]; ++a) {
      const int64_t td = id + s.pad[0] - a * s.dil[0];
      if (td < 0 || td % s.stride[0] != 0) continue;
      const int64_t od = td / s.stride[0];
      if (od >= s.out[0]) continue;
      for (int64_t i = 0; i < s.k[1]; ++i) {
        const int64_t th = ih + s.pad[1] - i * s.dil[1];
        if (th < 0 || th % s.stride[1] != 0) continue;
        const int64_t oh = th / s.stride[1];
        if (oh >= s.out[1]) continue;
        for (int64_t j = 0; j < s.k[2]; ++j) {
          const int64_t tw = iw + s.pad[2] - j * s.dil[2];
          if (tw < 0 || tw % s.stride[2] != 0) continue;
          const int64_t ow = tw / s.stride[2];
          if (ow >= s.out[2]) continue;
          const int64_t row = ((c * s.k[0] + a) * s.k[1] + i) * s.k[2] + j;
          sum += to_acc(cols[row * s.l() + (od * s.out[1] + oh) * s.out[2] + ow]);
        }
      }
    }
    gx[idx] = static_cast<T>(sum);
  }
}

#undef EC_GRID_STRIDE

// out (N, O, L) = bias broadcast over the images and positions.
template <class T>
__global__ void fill_bias(T* out, const T* b, int64_t o, int64_t l, int64_t total) {
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x)
    out[idx] = b[idx / l % o];
}

// grad_b[o] = sum of grad_out over images and positions: one block per channel.
template <class T>
__global__ void bias_grad(const T* gy, T* gb, int64_t n, int64_t o, int64_t l) {
  using A = acc_t<T>;
  __shared__ A partial[kThreads];
  A sum = 0;
  for (int64_t idx = threadIdx.x; idx < n * l; idx += blockDim.x)
    sum += to_acc(gy[(idx / l * o + blockIdx.x) * l + idx % l]);
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) gb[blockIdx.x] = static_cast<T>(partial[0]);
}

// gw = (add ? gw : 0) + the per-image weight gradients in partial, added in image order.
template <class T>
__global__ void sum_partials(const T* partial, T* gw, int64_t images, int64_t size, bool add) {
  using A = acc_t<T>;
  for (int64_t j = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; j < size;
       j += int64_t{gridDim.x} * blockDim.x) {
    A sum = add ? to_acc(gw[j]) : A(0);
    for (int64_t i = 0; i < images; ++i) sum += to_acc(partial[i * size + j]);
    gw[j] = static_cast<T>(sum);
  }
}

// The vol2col path works on as many images at once as a scratch budget holds (their columns, and
// for the weight gradient one partial gradient each), so a small batch takes one vol2col launch
// and one GEMM per group instead of two launches per image.
constexpr int64_t kPassBytes = int64_t{64} << 20;

int64_t images_per_pass(const ConvShape& s, int64_t es, bool weight_partials) {
  const int64_t per_image = (s.c * s.taps() * s.l() + (weight_partials ? s.o * s.kdim() : 0)) * es;
  return std::max<int64_t>(1, std::min<int64_t>(s.n, kPassBytes / std::max<int64_t>(1, per_image)));
}

// The GEMM types of the vol2col path: float32 follows cudnn.allow_tf32 while cuDNN is enabled (the
// path then stands in for it), the matmul setting when it is not.
GemmType conv_gemm_type(int32_t dtype, const char* op) {
  GemmType t = gemm_type(dtype, op);
  if (dtype == EMBER_FLOAT32 && settings().cudnn_enabled)
    t.compute = settings().cudnn_allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  return t;
}

// An operand of the vol2col path's products: leading dimension, and the element strides between
// images and between groups.
struct Strides {
  int64_t ld, image, group;
};

// C_(i,g) = op(A_(i,g)) op(B_(i,g)) + beta C_(i,g) over `images` images and `groups` groups: one
// strided batch over the images per group, or over the groups per image, whichever is fewer calls.
template <class T>
void gemm_images(int32_t dev, const GemmType& type, cublasOperation_t opa, cublasOperation_t opb,
                 int64_t m, int64_t n, int64_t k, const T* a, Strides sa, const T* b, Strides sb,
                 double beta, T* c, Strides sc, int64_t images, int64_t groups) {
  if (groups <= images) {
    for (int64_t g = 0; g < groups; ++g)
      gemm(dev, type, opa, opb, m, n, k, a + g * sa.group, sa.ld, sa.image, b + g * sb.group, sb.ld,
           sb.image, beta, c + g * sc.group, sc.ld, sc.image, images);
  } else {
    for (int64_t i = 0; i < images; ++i)
      gemm(dev, type, opa, opb, m, n, k, a + i * sa.image, sa.ld, sa.group, b + i * sb.image, sb.ld,
           sb.group, beta, c + i * sc.image, sc.ld, sc.group, groups);
  }
}

void im2col_forward(const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                    const ember_kernel_tensor* w, const ember_kernel_tensor* b, const ConvShape& s,
                    const char* op) {
  const int32_t dev = out->device_index;
  const GemmType type = conv_gemm_type(out->dtype, op);
  const int64_t es = element_size(out->dtype);
  dispatch_float(out->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (b != nullptr) {
      fill_bias<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<T>(out), data<const T>(b), s.o, s.l(), out->numel);
      EC_LAUNCHED("convolution bias");
    }
    const int64_t per_image = s.c * s.taps() * s.l();
    const int64_t pass = images_per_pass(s, es, false);
    Scratch col(dev, pass * per_image * es);
    for (int64_t i0 = 0; i0 < s.n; i0 += pass) {
      const int64_t m = std::min(pass, s.n - i0);
      vol2col<T><<<blocks_for(m * per_image), kThreads, 0, stream()>>>(
          data<const T>(x) + i0 * s.c * s.volume(), col.as<T>(), s, m);
      EC_LAUNCHED("convolution vol2col");
      // out_(i,g)^T (L x OG) = col_(i,g)^T (L x K) . W_g^T (K x OG), column-major.
      gemm_images<T>(dev, type, CUBLAS_OP_N, CUBLAS_OP_N, s.l(), s.og(), s.kdim(), col.as<T>(),
                     {s.l(), per_image, s.kdim() * s.l()}, data<const T>(w),
                     {s.kdim(), 0, s.og() * s.kdim()}, b != nullptr ? 1.0 : 0.0,
                     data<T>(out) + i0 * s.o * s.l(), {s.l(), s.o * s.l(), s.og() * s.l()}, m,
                     s.groups);
    }
  });
}

// Reads x's data only for grad_w (a transposed convolution's forward passes its output as x).
void im2col_backward(const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                     const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                     const ember_kernel_tensor* x, const ember_kernel_tensor* w, const ConvShape& s,
                     const char* op) {
  const int32_t dev = gy->device_index;
  const GemmType type = conv_gemm_type(gy->dtype, op);
  const int64_t es = element_size(gy->dtype);
  dispatch_float(gy->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (gb != nullptr) {
      bias_grad<T><<<static_cast<unsigned>(s.o), kThreads, 0, stream()>>>(
          data<const T>(gy), data<T>(gb), s.n, s.o, s.l());
      EC_LAUNCHED("convolution bias grad");
    }
    if (gx == nullptr && gw == nullptr) return;
    const int64_t per_image = s.c * s.taps() * s.l(), wsize = s.o * s.kdim();
    const int64_t pass = images_per_pass(s, es, gw != nullptr);
    Scratch col(dev, pass * per_image * es);
    // Several images in a pass write their weight gradients apart and are then added up.
    Scratch partial(dev, gw != nullptr && pass > 1 ? pass * wsize * es : 0);
    for (int64_t i0 = 0; i0 < s.n; i0 += pass) {
      const int64_t m = std::min(pass, s.n - i0);
      const T* gy0 = data<const T>(gy) + i0 * s.o * s.l();
      const Strides gy_strides{s.l(), s.o * s.l(), s.og() * s.l()};
      const Strides col_strides{s.l(), per_image, s.kdim() * s.l()};
      if (gw != nullptr) {
        vol2col<T><<<blocks_for(m * per_image), kThreads, 0, stream()>>>(
            data<const T>(x) + i0 * s.c * s.volume(), col.as<T>(), s, m);
        EC_LAUNCHED("convolution vol2col");
        // gW_(i,g)^T (K x OG) = col_(i,g) (K x L) . gy_(i,g)^T (L x OG), column-major; a lone
        // image adds into grad_w itself.
        const bool direct = m == 1;
        gemm_images<T>(dev, type, CUBLAS_OP_T, CUBLAS_OP_N, s.kdim(), s.og(), s.l(), col.as<T>(),
                       col_strides, gy0, gy_strides, direct && i0 > 0 ? 1.0 : 0.0,
                       direct ? data<T>(gw) : partial.as<T>(), {s.kdim(), wsize, s.og() * s.kdim()},
                       m, s.groups);
        if (!direct) {
          sum_partials<T><<<blocks_for(wsize), kThreads, 0, stream()>>>(
              partial.as<const T>(), data<T>(gw), m, wsize, i0 > 0);
          EC_LAUNCHED("convolution weight gradient sum");
        }
      }
      if (gx != nullptr) {
        // gcol_(i,g)^T (L x K) = gy_(i,g)^T (L x OG) . W_g (OG x K), column-major.
        gemm_images<T>(dev, type, CUBLAS_OP_N, CUBLAS_OP_T, s.l(), s.kdim(), s.og(), gy0,
                       gy_strides, data<const T>(w), {s.kdim(), 0, s.og() * s.kdim()}, 0.0,
                       col.as<T>(), col_strides, m, s.groups);
        col2vol<T><<<blocks_for(m * s.c * s.volume()), kThreads, 0, stream()>>>(
            col.as<const T>(), data<T>(gx) + i0 * s.c * s.volume(), s, m);
        EC_LAUNCHED("convolution col2vol");
      }
    }
  });
}

// ---- cuDNN path ----
#ifdef EMBER_HAVE_CUDNN

void check_cudnn(cudnnStatus_t st, const char* what) {
  if (st != CUDNN_STATUS_SUCCESS)
    fail(st == CUDNN_STATUS_ALLOC_FAILED ? EMBER_ERROR_OUT_OF_MEMORY : EMBER_ERROR_BACKEND,
         std::string(what) + ": " + cudnnGetErrorString(st));
}

// The calling thread's handles, one per device (null until made).
struct Handle {
  cudnnHandle_t h = nullptr;
  cudaStream_t stream = nullptr;  // cudnnCreate's: the default stream
};

Handle& thread_handle(int32_t device) {
  thread_local std::vector<Handle> handles;
  if (handles.size() <= static_cast<size_t>(device))
    handles.resize(static_cast<size_t>(device) + 1);
  return handles[static_cast<size_t>(device)];
}

// The calling thread's handle on device, on the thread's current stream. The stream is set only
// when it changes, not by a library call per convolution. cudnnCreate cannot run while a graph
// records: capture_begin makes the handle first (prepare_capture).
cudnnHandle_t cudnn_handle(int32_t device) {
  Handle& h = thread_handle(device);
  if (h.h == nullptr) check_cudnn(cudnnCreate(&h.h), "cudnnCreate");
  const cudaStream_t s = stream();
  if (h.stream != s) {
    check_cudnn(cudnnSetStream(h.h, s), "cudnnSetStream");
    h.stream = s;
  }
  return h.h;
}

cudnnDataType_t cudnn_type(int32_t dtype) {
  switch (dtype) {
    case EMBER_FLOAT64:
      return CUDNN_DATA_DOUBLE;
    case EMBER_FLOAT16:
      return CUDNN_DATA_HALF;
    case EMBER_BFLOAT16:
      return CUDNN_DATA_BFLOAT16;
    default:
      return CUDNN_DATA_FLOAT;
  }
}

// Workspace cuDNN may use per call; larger needs pick another algorithm.
constexpr size_t kMaxWorkspace = size_t{1} << 30;

// The algorithm of one direction of a convolution and its workspace; found is false when cuDNN
// has none for it (none deterministic, none within the workspace bound, or the shape
// unsupported): that direction then runs on the vol2col path.
template <class Algo>
struct Choice {
  Algo algo{};
  size_t bytes = 0;
  bool found = false;
};

// The first of cuDNN's candidates (timed or from its heuristics, best first) that succeeded,
// fits the workspace bound and is deterministic when that is asked for.
template <class Algo, class Perf>
Choice<Algo> choose(cudnnStatus_t query, const char* what, const Perf* perf, int count,
                    bool deterministic) {
  if (query == CUDNN_STATUS_NOT_SUPPORTED) return {};
  check_cudnn(query, what);
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > kMaxWorkspace) continue;
    if (deterministic && perf[i].determinism != CUDNN_DETERMINISTIC) continue;
    return {perf[i].algo, perf[i].memory, true};
  }
  return {};
}

// The parts of a convolution cuDNN runs: forward, bias add, input, weight and bias gradients.
enum Part : uint8_t { kForward = 1, kBiasAdd = 2, kData = 4, kFilter = 8, kBiasGrad = 16 };

// What one convolution needs from cuDNN besides its data: the descriptors (4-d tensors for 2
// spatial dims, 5-d for 3) and, once searched, the algorithm of each direction. Built once per
// shape and settings (see ConvCache); the algorithm slots are read and written under the cache's
// lock.
struct CudnnConv {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  bool benchmark = false, deterministic = false;
  std::optional<Choice<cudnnConvolutionFwdAlgo_t>> fwd;
  std::optional<Choice<cudnnConvolutionBwdDataAlgo_t>> bwd_data;
  std::optional<Choice<cudnnConvolutionBwdFilterAlgo_t>> bwd_filter;
  // The Parts cuDNN has run for this entry outside a graph recording: their first run did what
  // cuDNN does lazily (algorithm search, loading kernels), so a recording may use them.
  std::atomic<uint8_t> ran{0};

  CudnnConv(bool benchmark_, bool deterministic_)
      : benchmark(benchmark_), deterministic(deterministic_) {}

  // Separate from the constructor so that a failure here still destroys what was created.
  void init(const ConvShape& s, int32_t dtype, bool allow_tf32) {
    const cudnnDataType_t t = cudnn_type(dtype);
    check_cudnn(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateTensorDescriptor(&b), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    check_cudnn(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
    // 16-bit convolutions accumulate in float, as PyTorch's do.
    const cudnnDataType_t compute = t == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    auto i = [](int64_t v) { return static_cast<int>(v); };
    if (s.dims == 2) {
      check_cudnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, i(s.n), i(s.c), i(s.in[1]),
                                             i(s.in[2])),
                  "cudnnSetTensor4dDescriptor(x)");
      check_cudnn(cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, i(s.n), i(s.o), i(s.out[1]),
                                             i(s.out[2])),
                  "cudnnSetTensor4dDescriptor(y)");
      check_cudnn(cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, t, 1, i(s.o), 1, 1),
                  "cudnnSetTensor4dDescriptor(b)");
      check_cudnn(cudnnSetFilter4dDescriptor(w, t, CUDNN_TENSOR_NCHW, i(s.o), i(s.cg()), i(s.k[1]),
                                             i(s.k[2])),
                  "cudnnSetFilter4dDescriptor");
      check_cudnn(cudnnSetConvolution2dDescriptor(conv, i(s.pad[1]), i(s.pad[2]), i(s.stride[1]),
                                                  i(s.stride[2]), i(s.dil[1]), i(s.dil[2]),
                                                  CUDNN_CROSS_CORRELATION, compute),
                  "cudnnSetConvolution2dDescriptor");
    } else {
      const int xd[5] = {i(s.n), i(s.c), i(s.in[0]), i(s.in[1]), i(s.in[2])};
      const int yd[5] = {i(s.n), i(s.o), i(s.out[0]), i(s.out[1]), i(s.out[2])};
      const int bd[5] = {1, i(s.o), 1, 1, 1};
      const int wd[5] = {i(s.o), i(s.cg()), i(s.k[0]), i(s.k[1]), i(s.k[2])};
      const int pad[3] = {i(s.pad[0]), i(s.pad[1]), i(s.pad[2])};
      const int stride[3] = {i(s.stride[0]), i(s.stride[1]), i(s.stride[2])};
      const int dil[3] = {i(s.dil[0]), i(s.dil[1]), i(s.dil[2])};
      check_cudnn(cudnnSetTensorNdDescriptorEx(x, CUDNN_TENSOR_NCHW, t, 5, xd),
                  "cudnnSetTensorNdDescriptorEx(x)");
      check_cudnn(cudnnSetTensorNdDescriptorEx(y, CUDNN_TENSOR_NCHW, t, 5, yd),
                  "cudnnSetTensorNdDescriptorEx(y)");
      check_cudnn(cudnnSetTensorNdDescriptorEx(b, CUDNN_TENSOR_NCHW, t, 5, bd),
                  "cudnnSetTensorNdDescriptorEx(b)");
      check_cudnn(cudnnSetFilterNdDescriptor(w, t, CUDNN_TENSOR_NCHW, 5, wd),
                  "cudnnSetFilterNdDescriptor");
      check_cudnn(cudnnSetConvolutionNdDescriptor(conv, 3, pad, stride, dil,
                                                  CUDNN_CROSS_CORRELATION, compute),
                  "cudnnSetConvolutionNdDescriptor");
    }
    check_cudnn(cudnnSetConvolutionGroupCount(conv, i(s.groups)), "cudnnSetConvolutionGroupCount");
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
    if (t == CUDNN_DATA_HALF || t == CUDNN_DATA_BFLOAT16) math = CUDNN_TENSOR_OP_MATH;
    if (t == CUDNN_DATA_FLOAT && !allow_tf32) math = CUDNN_FMA_MATH;
    check_cudnn(cudnnSetConvolutionMathType(conv, math), "cudnnSetConvolutionMathType");
  }
  ~CudnnConv() {
    for (cudnnTensorDescriptor_t t : {x, y, b}) {
      if (t != nullptr) cudnnDestroyTensorDescriptor(t);
    }
    if (w != nullptr) cudnnDestroyFilterDescriptor(w);
    if (conv != nullptr) cudnnDestroyConvolutionDescriptor(conv);
  }
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;
};

// device, dtype, dims, n, c, o, groups, then in, k, stride, pad, dil per spatial dim, then the
// settings the descriptors and algorithms depend on (TF32, benchmark, deterministic).
using ConvKey = std::array<int64_t, 25>;

struct ConvKeyHash {
  size_t operator()(const ConvKey& k) const noexcept {
    uint64_t h = 1469598103934665603ull;  // FNV-1a over the entries
    for (int64_t v : k) h = (h ^ static_cast<uint64_t>(v)) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// The descriptors and algorithms of every convolution seen so far, so that a repeated call makes
// only the cuDNN compute calls. Entries are shared: dropping them all when the cache is full
// cannot pull one from under a call that is using it.
class ConvCache {
 public:
  std::shared_ptr<CudnnConv> get(const ConvShape& s, int32_t dtype, int32_t device) {
    const Settings& st = settings();
    const bool tf32 = st.cudnn_allow_tf32, bench = st.cudnn_benchmark, det = st.cudnn_deterministic;
    const ConvKey key{device,      dtype,       s.dims,   s.n,      s.c,      s.o,      s.groups,
                      s.in[0],     s.in[1],     s.in[2],  s.k[0],   s.k[1],   s.k[2],   s.stride[0],
                      s.stride[1], s.stride[2], s.pad[0], s.pad[1], s.pad[2], s.dil[0], s.dil[1],
                      s.dil[2],    tf32,        bench,    det};
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= kMaxEntries) entries_.clear();
    auto conv = std::make_shared<CudnnConv>(bench, det);
    conv->init(s, dtype, tf32);
    entries_.emplace(key, conv);
    return conv;
  }

  // The algorithm in slot, searched on its first use (never while a graph records: see
  // cudnn_entry).
  template <class Algo, class Search>
  Choice<Algo> algorithm(std::optional<Choice<Algo>>& slot, Search search) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!slot) slot = search();
    return *slot;
  }

 private:
  static constexpr size_t kMaxEntries = 1024;
  std::mutex mutex_;
  std::unordered_map<ConvKey, std::shared_ptr<CudnnConv>, ConvKeyHash> entries_;
};

ConvCache g_convs;

// alpha/beta are double for double tensors and float otherwise.
struct Blend {
  float f[2];
  double d[2];
  bool use_double;
  Blend(int32_t dtype, double alpha, double beta)
      : f{static_cast<float>(alpha), static_cast<float>(beta)},
        d{alpha, beta},
        use_double(dtype == EMBER_FLOAT64) {}
  const void* alpha() const { return use_double ? static_cast<const void*>(&d[0]) : &f[0]; }
  const void* beta() const { return use_double ? static_cast<const void*>(&d[1]) : &f[1]; }
};

// False when cuDNN has no algorithm for the convolution (nothing written then).
bool cudnn_forward(const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                   const ember_kernel_tensor* w, const ember_kernel_tensor* b, CudnnConv* d) {
  const int32_t dev = out->device_index;
  const cudnnHandle_t handle = cudnn_handle(dev);
  const auto c = g_convs.algorithm(d->fwd, [&] {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    // The query runs before count is read: it sets count.
    const cudnnStatus_t query =
        d->benchmark
            ? cudnnFindConvolutionForwardAlgorithm(handle, d->x, d->w, d->conv, d->y,
                                                   CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf)
            : cudnnGetConvolutionForwardAlgorithm_v7(handle, d->x, d->w, d->conv, d->y,
                                                     CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count,
                                                     perf);
    return choose<cudnnConvolutionFwdAlgo_t>(query, "cudnn forward algorithm search", perf, count,
                                             d->deterministic);
  });
  if (!c.found) return false;
  Scratch workspace(dev, static_cast<int64_t>(c.bytes));
  const Blend one(out->dtype, 1, 0);
  check_cudnn(
      cudnnConvolutionForward(handle, one.alpha(), d->x, x->data, d->w, w->data, d->conv, c.algo,
                              workspace.as<void>(), c.bytes, one.beta(), d->y, out->data),
      "cudnnConvolutionForward");
  if (b != nullptr) {
    const Blend add(out->dtype, 1, 1);
    check_cudnn(cudnnAddTensor(handle, add.alpha(), d->b, b->data, add.beta(), d->y, out->data),
                "cudnnAddTensor");
  }
  return true;
}

// An input or weight gradient that cuDNN has no algorithm for goes to the vol2col path.
void cudnn_backward(const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                    const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                    const ember_kernel_tensor* x, const ember_kernel_tensor* w, const ConvShape& s,
                    const char* op, CudnnConv* d) {
  const int32_t dev = gy->device_index;
  const cudnnHandle_t handle = cudnn_handle(dev);
  const Blend one(gy->dtype, 1, 0);
  if (gx != nullptr) {
    const auto c = g_convs.algorithm(d->bwd_data, [&] {
      cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      int count = 0;
      const cudnnStatus_t query = d->benchmark
                                      ? cudnnFindConvolutionBackwardDataAlgorithm(
                                            handle, d->w, d->y, d->conv, d->x,
                                            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf)
                                      : cudnnGetConvolutionBackwardDataAlgorithm_v7(
                                            handle, d->w, d->y, d->conv, d->x,
                                            CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf);
      return choose<cudnnConvolutionBwdDataAlgo_t>(query, "cudnn backward data algorithm search",
                                                   perf, count, d->deterministic);
    });
    if (c.found) {
      Scratch workspace(dev, static_cast<int64_t>(c.bytes));
      check_cudnn(cudnnConvolutionBackwardData(handle, one.alpha(), d->w, w->data, d->y, gy->data,
                                               d->conv, c.algo, workspace.as<void>(), c.bytes,
                                               one.beta(), d->x, gx->data),
                  "cudnnConvolutionBackwardData");
    } else {
      im2col_backward(gx, nullptr, nullptr, gy, x, w, s, op);
    }
  }
  if (gw != nullptr) {
    const auto c = g_convs.algorithm(d->bwd_filter, [&] {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      int count = 0;
      const cudnnStatus_t query = d->benchmark
                                      ? cudnnFindConvolutionBackwardFilterAlgorithm(
                                            handle, d->x, d->y, d->conv, d->w,
                                            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf)
                                      : cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                                            handle, d->x, d->y, d->conv, d->w,
                                            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perf);
      return choose<cudnnConvolutionBwdFilterAlgo_t>(
          query, "cudnn backward filter algorithm search", perf, count, d->deterministic);
    });
    if (c.found) {
      Scratch workspace(dev, static_cast<int64_t>(c.bytes));
      check_cudnn(cudnnConvolutionBackwardFilter(handle, one.alpha(), d->x, x->data, d->y, gy->data,
                                                 d->conv, c.algo, workspace.as<void>(), c.bytes,
                                                 one.beta(), d->w, gw->data),
                  "cudnnConvolutionBackwardFilter");
    } else {
      im2col_backward(nullptr, gw, nullptr, gy, x, w, s, op);
    }
  }
  if (gb != nullptr) {
    check_cudnn(cudnnConvolutionBackwardBias(handle, one.alpha(), d->y, gy->data, one.beta(), d->b,
                                             gb->data),
                "cudnnConvolutionBackwardBias");
  }
}

// A convolution this small costs the host more through cuDNN (tens of microseconds a call with
// cuDNN 9's legacy API: native/bench cuda_step_call/conv*) than its GPU work takes, so eagerly it
// runs on the vol2col path: a handful of launches for the whole batch.
constexpr double kSmallConvFlops = 256e6;

bool small_conv(const ConvShape& s, int64_t es) {
  return 2.0 * static_cast<double>(s.n * s.o * s.l()) * static_cast<double>(s.kdim()) <=
             kSmallConvFlops &&
         images_per_pass(s, es, true) >= s.n;
}

// The cuDNN entry of a convolution that is to run on cuDNN, or null for the vol2col path.
// Eagerly a large convolution runs on cuDNN; a small one (small_conv) on the vol2col path, except
// the first call that needs `parts` of its shape, which runs on cuDNN so that what cuDNN does on
// first use (algorithm search, loading kernels, none of which a recording permits) is done. While
// a graph records, the host's cost is paid once, at the recording, and cuDNN's kernels take the
// GPU less time than the vol2col path's launches (native/bench cuda_conv_gpu/*, H200: the seed
// CNN's backwards 60 and 49 us a call against 72 and 65; its step replays in 0.216 ms, 0.329 on
// the vol2col path), so a recording runs every part that has run on cuDNN before on cuDNN, and the
// rest on the vol2col path.
std::shared_ptr<CudnnConv> cudnn_entry(const ConvShape& s, int32_t dtype, int32_t dev,
                                       uint8_t parts, bool recording) {
  if (!settings().cudnn_enabled) return nullptr;
  // A recording makes no handle (capture_begin made the thread's, where cuDNN could).
  if (recording && thread_handle(dev).h == nullptr) return nullptr;
  std::shared_ptr<CudnnConv> d = g_convs.get(s, dtype, dev);
  const bool ran = (d->ran.load(std::memory_order_relaxed) & parts) == parts;
  if (recording) return ran ? d : nullptr;
  return !ran || !small_conv(s, element_size(dtype)) ? d : nullptr;
}

// Records that `parts` of d ran on cuDNN outside a recording.
void mark_ran(CudnnConv& d, uint8_t parts, bool recording) {
  if (!recording) d.ran.fetch_or(parts, std::memory_order_relaxed);
}
#endif

void forward(const ember_kernel_tensor* out, const ember_kernel_tensor* x,
             const ember_kernel_tensor* w, const ember_kernel_tensor* b, const ConvShape& s,
             const char* op) {
  if (out->numel == 0) return;
#ifdef EMBER_HAVE_CUDNN
  if (x->numel > 0) {
    const bool recording = capturing(stream());
    const uint8_t parts = b != nullptr ? kForward | kBiasAdd : kForward;
    if (const auto d = cudnn_entry(s, out->dtype, out->device_index, parts, recording)) {
      const bool done = cudnn_forward(out, x, w, b, d.get());
      mark_ran(*d, parts, recording);
      if (done) return;
    }
  }
#endif
  im2col_forward(out, x, w, b, s, op);
}

void backward(const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
              const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
              const ember_kernel_tensor* x, const ember_kernel_tensor* w, const ConvShape& s,
              const char* op) {
#ifdef EMBER_HAVE_CUDNN
  if (gy->numel > 0 && x->numel > 0) {
    const bool recording = capturing(stream());
    const uint8_t parts = (gx != nullptr ? kData : 0) | (gw != nullptr ? kFilter : 0) |
                          (gb != nullptr ? kBiasGrad : 0);
    if (const auto d = cudnn_entry(s, gy->dtype, gy->device_index, parts, recording)) {
      cudnn_backward(gx, gw, gb, gy, x, w, s, op, d.get());
      return mark_ran(*d, parts, recording);
    }
  }
#endif
  im2col_backward(gx, gw, gb, gy, x, w, s, op);
}

ember_status conv2d(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                    const ember_kernel_tensor* w, const ember_kernel_tensor* b,
                    const void* params) {
  return guard([&] {
    use_device(out);
    const auto& p = *static_cast<const Conv2dParams*>(params);
    forward(out, x, w, b, shape_2d(x, w, out, p), "conv2d");
  });
}

ember_status conv2d_backward(void*, const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                             const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                             const ember_kernel_tensor* x, const ember_kernel_tensor* w,
                             const void* params) {
  return guard([&] {
    use_device(gy);
    const auto& p = *static_cast<const Conv2dParams*>(params);
    backward(gx, gw, gb, gy, x, w, shape_2d(x, w, gy, p), "conv2d_backward");
  });
}

ember_status conv3d(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                    const ember_kernel_tensor* w, const ember_kernel_tensor* b,
                    const void* params) {
  return guard([&] {
    use_device(out);
    const auto& p = *static_cast<const ConvParams*>(params);
    forward(out, x, w, b, shape_3d(x, w, out, p), "conv3d");
  });
}

ember_status conv3d_backward(void*, const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                             const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                             const ember_kernel_tensor* x, const ember_kernel_tensor* w,
                             const void* params) {
  return guard([&] {
    use_device(gy);
    const auto& p = *static_cast<const ConvParams*>(params);
    backward(gx, gw, gb, gy, x, w, shape_3d(x, w, gy, p), "conv3d_backward");
  });
}

// ---- unfold / fold ----

// The column geometry of unfold over x (N, C, H, W): a 2-d convolution's without the weight.
ConvShape unfold_shape(const ember_kernel_tensor* x, const ember_kernel_tensor* cols,
                       const UnfoldParams& p, const char* op) {
  ConvShape s{2,
              x->sizes[0],
              x->sizes[1],
              0,
              1,
              {1, x->sizes[2], x->sizes[3]},
              {1, p.kernel[0], p.kernel[1]},
              {1, 1, 1},
              {1, p.stride[0], p.stride[1]},
              {0, p.padding[0], p.padding[1]},
              {1, p.dilation[0], p.dilation[1]}};
  for (int d = 1; d < 3; ++d)
    s.out[d] = (s.in[d] + 2 * s.pad[d] - s.dil[d] * (s.k[d] - 1) - 1) / s.stride[d] + 1;
  if (cols->sizes[0] != s.n || cols->sizes[1] != s.c * s.taps() || cols->sizes[2] != s.l())
    fail(EMBER_ERROR_SHAPE,
         std::string(op) + ": cuda kernel got columns that do not match the image");
  return s;
}

ember_status im2col(void*, const ember_kernel_tensor* cols, const ember_kernel_tensor* x,
                    const void* params) {
  return guard([&] {
    use_device(cols);
    if (cols->numel == 0) return;
    const ConvShape s = unfold_shape(x, cols, *static_cast<const UnfoldParams*>(params), "unfold");
    dispatch_float(x->dtype, "unfold", [&](auto tag) {
      using T = typename decltype(tag)::type;
      vol2col<T><<<blocks_for(cols->numel), kThreads, 0, stream()>>>(data<const T>(x),
                                                                     data<T>(cols), s, s.n);
      EC_LAUNCHED("unfold");
    });
  });
}

ember_status col2im(void*, const ember_kernel_tensor* x, const ember_kernel_tensor* cols,
                    const void* params) {
  return guard([&] {
    use_device(x);
    if (x->numel == 0) return;
    const ConvShape s = unfold_shape(x, cols, *static_cast<const UnfoldParams*>(params), "fold");
    dispatch_float(x->dtype, "fold", [&](auto tag) {
      using T = typename decltype(tag)::type;
      col2vol<T><<<blocks_for(x->numel), kThreads, 0, stream()>>>(data<const T>(cols), data<T>(x),
                                                                  s, s.n);
      EC_LAUNCHED("fold");
    });
  });
}

}  // namespace

void prepare_capture(int32_t device) {
#ifdef EMBER_HAVE_CUDNN
  if (!settings().cudnn_enabled) return;
  try {
    cudnn_handle(device);
  } catch (const Failure&) {
    cudaGetLastError();  // the recording goes on without cuDNN (cudnn_entry sees no handle)
  }
#else
  (void)device;
#endif
}

ember_status register_conv(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "conv2d", conv2d);
  if (s == EMBER_OK) s = register_kernel(host, "conv2d_backward", conv2d_backward);
  if (s == EMBER_OK) s = register_kernel(host, "conv3d", conv3d);
  if (s == EMBER_OK) s = register_kernel(host, "conv3d_backward", conv3d_backward);
  if (s == EMBER_OK) s = register_kernel(host, "im2col", im2col);
  if (s == EMBER_OK) s = register_kernel(host, "col2im", col2im);
  return s;
}

}  // namespace ember_cuda
