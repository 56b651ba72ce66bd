// conv2d forward and backward, and max_pool2d. Convolutions go through cuDNN when the plugin was
// built with it and Torch.Backends.Cudnn.Enabled is on (algorithm search when Benchmark is on,
// deterministic algorithms when Deterministic is); otherwise through im2col and cuBLAS, which
// takes every floating dtype and needs nothing beyond the toolkit.
#include <cfloat>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "blas.cuh"
#include "core/nn_dispatch.h"
#include "device_error.cuh"
#include "map.cuh"

#ifdef EMBER_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace ember_cuda {

namespace {

using ember::ops::Conv2dParams;
using ember::ops::Pool2dParams;

// The shapes of one convolution: x (N, C, H, W), w (O, C / groups, KH, KW), out (N, O, HO, WO).
struct ConvShape {
  int64_t n, c, h, w, o, kh, kw, ho, wo, groups;
  ConvShape(const ember_kernel_tensor* x, const ember_kernel_tensor* wt,
            const ember_kernel_tensor* out, const Conv2dParams& p)
      : n(x->sizes[0]),
        c(x->sizes[1]),
        h(x->sizes[2]),
        w(x->sizes[3]),
        o(wt->sizes[0]),
        kh(wt->sizes[2]),
        kw(wt->sizes[3]),
        ho(out->sizes[2]),
        wo(out->sizes[3]),
        groups(p.groups) {}
  __host__ __device__ int64_t cg() const { return c / groups; }
  __host__ __device__ int64_t og() const { return o / groups; }
  __host__ __device__ int64_t k() const {
    return cg() * kh * kw;
  }                                                          // rows of one group's column matrix
  __host__ __device__ int64_t l() const { return ho * wo; }  // its columns
};

// ---- im2col path ----

// col (C * KH * KW, HO * WO) of one image: col[(c * KH + i) * KW + j][oh * WO + ow] is the input
// pixel the kernel tap (i, j) of output (oh, ow) reads, 0 in the padding.
template <class T>
__global__ void im2col(const T* x, T* col, ConvShape s, Conv2dParams p) {
  const int64_t total = s.c * s.kh * s.kw * s.l();
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t q = idx % s.l(), row = idx / s.l();
    const int64_t j = row % s.kw, i = row / s.kw % s.kh, c = row / (s.kw * s.kh);
    const int64_t ih = q / s.wo * p.stride[0] - p.padding[0] + i * p.dilation[0];
    const int64_t iw = q % s.wo * p.stride[1] - p.padding[1] + j * p.dilation[1];
    col[idx] = ih >= 0 && ih < s.h && iw >= 0 && iw < s.w ? x[(c * s.h + ih) * s.w + iw] : T(0);
  }
}

// The inverse scatter as a gather: each input pixel sums the column entries that read it.
template <class T>
__global__ void col2im(const T* col, T* gx, ConvShape s, Conv2dParams p) {
  const int64_t total = s.c * s.h * s.w;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t iw = idx % s.w, ih = idx / s.w % s.h, c = idx / (s.w * s.h);
    acc_t<T> sum = 0;
    for (int64_t i = 0; i < s.kh; ++i) {
      const int64_t th = ih + p.padding[0] - i * p.dilation[0];
      if (th < 0 || th % p.stride[0] != 0) continue;
      const int64_t oh = th / p.stride[0];
      if (oh >= s.ho) continue;
      for (int64_t j = 0; j < s.kw; ++j) {
        const int64_t tw = iw + p.padding[1] - j * p.dilation[1];
        if (tw < 0 || tw % p.stride[1] != 0) continue;
        const int64_t ow = tw / p.stride[1];
        if (ow >= s.wo) continue;
        sum += to_acc(col[((c * s.kh + i) * s.kw + j) * s.l() + oh * s.wo + ow]);
      }
    }
    gx[idx] = static_cast<T>(sum);
  }
}

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

void im2col_forward(const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                    const ember_kernel_tensor* w, const ember_kernel_tensor* b,
                    const Conv2dParams& p) {
  const ConvShape s(x, w, out, p);
  const int32_t dev = out->device_index;
  const GemmType type = gemm_type(out->dtype, "conv2d");
  const int64_t es = element_size(out->dtype);
  dispatch_float(out->dtype, "conv2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (b != nullptr) {
      fill_bias<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<T>(out), data<const T>(b), s.o, s.l(), out->numel);
      EC_LAUNCHED("conv2d bias");
    }
    Scratch col(dev, s.c * s.kh * s.kw * s.l() * es);
    for (int64_t i = 0; i < s.n; ++i) {
      im2col<T><<<blocks_for(s.c * s.kh * s.kw * s.l()), kThreads, 0, stream()>>>(
          data<const T>(x) + i * s.c * s.h * s.w, col.as<T>(), s, p);
      EC_LAUNCHED("conv2d im2col");
      // out_g^T (L x OG) = col_g^T (L x K) . W_g^T (K x OG), column-major, batched over groups.
      gemm(dev, type, CUBLAS_OP_N, CUBLAS_OP_N, s.l(), s.og(), s.k(), col.as<T>(), s.l(),
           s.k() * s.l(), data<const T>(w), s.k(), s.og() * s.k(), b != nullptr ? 1.0 : 0.0,
           data<T>(out) + i * s.o * s.l(), s.l(), s.og() * s.l(), s.groups);
    }
  });
}

void im2col_backward(const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                     const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                     const ember_kernel_tensor* x, const ember_kernel_tensor* w,
                     const Conv2dParams& p) {
  const ConvShape s(x, w, gy, p);
  const int32_t dev = gy->device_index;
  const GemmType type = gemm_type(gy->dtype, "conv2d_backward");
  const int64_t es = element_size(gy->dtype);
  dispatch_float(gy->dtype, "conv2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (gb != nullptr) {
      bias_grad<T><<<static_cast<unsigned>(s.o), kThreads, 0, stream()>>>(
          data<const T>(gy), data<T>(gb), s.n, s.o, s.l());
      EC_LAUNCHED("conv2d bias grad");
    }
    if (gx == nullptr && gw == nullptr) return;
    Scratch col(dev, s.c * s.kh * s.kw * s.l() * es);
    for (int64_t i = 0; i < s.n; ++i) {
      const T* gyi = data<const T>(gy) + i * s.o * s.l();
      if (gw != nullptr) {
        im2col<T><<<blocks_for(s.c * s.kh * s.kw * s.l()), kThreads, 0, stream()>>>(
            data<const T>(x) + i * s.c * s.h * s.w, col.as<T>(), s, p);
        EC_LAUNCHED("conv2d im2col");
        // gW_g^T (K x OG) += col_g (K x L) . gy_g^T (L x OG), column-major.
        gemm(dev, type, CUBLAS_OP_T, CUBLAS_OP_N, s.k(), s.og(), s.l(), col.as<T>(), s.l(),
             s.k() * s.l(), gyi, s.l(), s.og() * s.l(), i > 0 ? 1.0 : 0.0, data<T>(gw), s.k(),
             s.og() * s.k(), s.groups);
      }
      if (gx != nullptr) {
        // gcol_g^T (L x K) = gy_g^T (L x OG) . W_g (OG x K), column-major.
        gemm(dev, type, CUBLAS_OP_N, CUBLAS_OP_T, s.l(), s.k(), s.og(), gyi, s.l(), s.og() * s.l(),
             data<const T>(w), s.k(), s.og() * s.k(), 0.0, col.as<T>(), s.l(), s.k() * s.l(),
             s.groups);
        col2im<T><<<blocks_for(s.c * s.h * s.w), kThreads, 0, stream()>>>(
            col.as<const T>(), data<T>(gx) + i * s.c * s.h * s.w, s, p);
        EC_LAUNCHED("conv2d col2im");
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

cudnnHandle_t cudnn_handle(int32_t device) {
  thread_local std::vector<cudnnHandle_t> handles;
  if (handles.size() <= static_cast<size_t>(device))
    handles.resize(static_cast<size_t>(device) + 1);
  cudnnHandle_t& h = handles[static_cast<size_t>(device)];
  if (h == nullptr) check_cudnn(cudnnCreate(&h), "cudnnCreate");
  return h;
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

// The descriptors of one convolution, built from the tensors and parameters.
struct CudnnConv {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, b = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnHandle_t handle;
  std::string key;  // shape, parameters and settings: the algorithm cache's key

  CudnnConv(const ConvShape& s, const Conv2dParams& p, int32_t dtype, int32_t device)
      : handle(cudnn_handle(device)) {
    check_cudnn(cudnnSetStream(handle, stream()), "cudnnSetStream");
    const cudnnDataType_t t = cudnn_type(dtype);
    check_cudnn(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateTensorDescriptor(&b), "cudnnCreateTensorDescriptor");
    check_cudnn(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    check_cudnn(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
    auto i = [](int64_t v) { return static_cast<int>(v); };
    check_cudnn(cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, t, i(s.n), i(s.c), i(s.h), i(s.w)),
                "cudnnSetTensor4dDescriptor(x)");
    check_cudnn(
        cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, t, i(s.n), i(s.o), i(s.ho), i(s.wo)),
        "cudnnSetTensor4dDescriptor(y)");
    check_cudnn(cudnnSetTensor4dDescriptor(b, CUDNN_TENSOR_NCHW, t, 1, i(s.o), 1, 1),
                "cudnnSetTensor4dDescriptor(b)");
    check_cudnn(
        cudnnSetFilter4dDescriptor(w, t, CUDNN_TENSOR_NCHW, i(s.o), i(s.cg()), i(s.kh), i(s.kw)),
        "cudnnSetFilter4dDescriptor");
    // 16-bit convolutions accumulate in float, as PyTorch's do.
    const cudnnDataType_t compute = t == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    check_cudnn(cudnnSetConvolution2dDescriptor(conv, i(p.padding[0]), i(p.padding[1]),
                                                i(p.stride[0]), i(p.stride[1]), i(p.dilation[0]),
                                                i(p.dilation[1]), CUDNN_CROSS_CORRELATION, compute),
                "cudnnSetConvolution2dDescriptor");
    check_cudnn(cudnnSetConvolutionGroupCount(conv, i(s.groups)), "cudnnSetConvolutionGroupCount");
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;
    if (t == CUDNN_DATA_HALF || t == CUDNN_DATA_BFLOAT16) math = CUDNN_TENSOR_OP_MATH;
    if (t == CUDNN_DATA_FLOAT && !settings().cudnn_allow_tf32) math = CUDNN_FMA_MATH;
    check_cudnn(cudnnSetConvolutionMathType(conv, math), "cudnnSetConvolutionMathType");
    key = std::to_string(device) + ":" + std::to_string(dtype);
    for (int64_t v : {s.n, s.c, s.h, s.w, s.o, s.kh, s.kw, s.groups, p.stride[0], p.stride[1],
                      p.padding[0], p.padding[1], p.dilation[0], p.dilation[1]})
      key += "," + std::to_string(v);
    key += settings().cudnn_allow_tf32 ? "t" : "f";
    key += settings().cudnn_deterministic ? "d" : "n";
  }
  ~CudnnConv() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyTensorDescriptor(b);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  CudnnConv(const CudnnConv&) = delete;
  CudnnConv& operator=(const CudnnConv&) = delete;
};

// Workspace cuDNN may use per call; larger needs pick another algorithm.
constexpr size_t kMaxWorkspace = size_t{1} << 30;

// The algorithm of each convolution: found by timing (benchmark) or from the heuristics, the
// first that succeeds within the workspace bound, deterministic when that is asked for. Cached
// per (kind, shape, settings).
template <class Algo, class Perf>
std::pair<Algo, size_t> choose(const std::string& key, const Perf* perf, int count) {
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > kMaxWorkspace) continue;
    if (settings().cudnn_deterministic && perf[i].determinism != CUDNN_DETERMINISTIC) continue;
    return {perf[i].algo, perf[i].memory};
  }
  fail(EMBER_ERROR_BACKEND, "cuDNN offers no usable algorithm for convolution " + key);
}

template <class Algo>
struct AlgoCache {
  std::mutex mutex;
  std::map<std::string, std::pair<Algo, size_t>> entries;

  template <class Search>
  std::pair<Algo, size_t> get(const std::string& key, Search search) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = entries.find(key);
      if (it != entries.end()) return it->second;
    }
    const std::pair<Algo, size_t> found = search();
    std::lock_guard<std::mutex> lock(mutex);
    entries[key] = found;
    return found;
  }
};

AlgoCache<cudnnConvolutionFwdAlgo_t> g_fwd;
AlgoCache<cudnnConvolutionBwdDataAlgo_t> g_bwd_data;
AlgoCache<cudnnConvolutionBwdFilterAlgo_t> g_bwd_filter;

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

void cudnn_forward(const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                   const ember_kernel_tensor* w, const ember_kernel_tensor* b,
                   const Conv2dParams& p) {
  const ConvShape s(x, w, out, p);
  const CudnnConv d(s, p, out->dtype, out->device_index);
  const bool bench = settings().cudnn_benchmark;
  const auto [algo, bytes] = g_fwd.get("fwd" + std::string(bench ? "b" : "h") + d.key, [&] {
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    if (bench) {
      check_cudnn(
          cudnnFindConvolutionForwardAlgorithm(d.handle, d.x, d.w, d.conv, d.y,
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf),
          "cudnnFindConvolutionForwardAlgorithm");
    } else {
      check_cudnn(
          cudnnGetConvolutionForwardAlgorithm_v7(d.handle, d.x, d.w, d.conv, d.y,
                                                 CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf),
          "cudnnGetConvolutionForwardAlgorithm_v7");
    }
    return choose<cudnnConvolutionFwdAlgo_t>(d.key, perf, count);
  });
  Scratch workspace(out->device_index, static_cast<int64_t>(bytes));
  const Blend one(out->dtype, 1, 0);
  check_cudnn(
      cudnnConvolutionForward(d.handle, one.alpha(), d.x, x->data, d.w, w->data, d.conv, algo,
                              workspace.as<void>(), bytes, one.beta(), d.y, out->data),
      "cudnnConvolutionForward");
  if (b != nullptr) {
    const Blend add(out->dtype, 1, 1);
    check_cudnn(cudnnAddTensor(d.handle, add.alpha(), d.b, b->data, add.beta(), d.y, out->data),
                "cudnnAddTensor");
  }
}

void cudnn_backward(const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                    const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                    const ember_kernel_tensor* x, const ember_kernel_tensor* w,
                    const Conv2dParams& p) {
  const ConvShape s(x, w, gy, p);
  const CudnnConv d(s, p, gy->dtype, gy->device_index);
  const bool bench = settings().cudnn_benchmark;
  const std::string mode = bench ? "b" : "h";
  const Blend one(gy->dtype, 1, 0);
  if (gx != nullptr) {
    const auto [algo, bytes] = g_bwd_data.get("bwd_data" + mode + d.key, [&] {
      cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      int count = 0;
      if (bench) {
        check_cudnn(cudnnFindConvolutionBackwardDataAlgorithm(d.handle, d.w, d.y, d.conv, d.x,
                                                              CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                              &count, perf),
                    "cudnnFindConvolutionBackwardDataAlgorithm");
      } else {
        check_cudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(
                        d.handle, d.w, d.y, d.conv, d.x, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                        &count, perf),
                    "cudnnGetConvolutionBackwardDataAlgorithm_v7");
      }
      return choose<cudnnConvolutionBwdDataAlgo_t>(d.key, perf, count);
    });
    Scratch workspace(gy->device_index, static_cast<int64_t>(bytes));
    check_cudnn(
        cudnnConvolutionBackwardData(d.handle, one.alpha(), d.w, w->data, d.y, gy->data, d.conv,
                                     algo, workspace.as<void>(), bytes, one.beta(), d.x, gx->data),
        "cudnnConvolutionBackwardData");
  }
  if (gw != nullptr) {
    const auto [algo, bytes] = g_bwd_filter.get("bwd_filter" + mode + d.key, [&] {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      int count = 0;
      if (bench) {
        check_cudnn(cudnnFindConvolutionBackwardFilterAlgorithm(
                        d.handle, d.x, d.y, d.conv, d.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                        &count, perf),
                    "cudnnFindConvolutionBackwardFilterAlgorithm");
      } else {
        check_cudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                        d.handle, d.x, d.y, d.conv, d.w, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
                        &count, perf),
                    "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
      }
      return choose<cudnnConvolutionBwdFilterAlgo_t>(d.key, perf, count);
    });
    Scratch workspace(gy->device_index, static_cast<int64_t>(bytes));
    check_cudnn(cudnnConvolutionBackwardFilter(d.handle, one.alpha(), d.x, x->data, d.y, gy->data,
                                               d.conv, algo, workspace.as<void>(), bytes,
                                               one.beta(), d.w, gw->data),
                "cudnnConvolutionBackwardFilter");
  }
  if (gb != nullptr) {
    check_cudnn(cudnnConvolutionBackwardBias(d.handle, one.alpha(), d.y, gy->data, one.beta(), d.b,
                                             gb->data),
                "cudnnConvolutionBackwardBias");
  }
}

bool use_cudnn() { return settings().cudnn_enabled; }
#else
bool use_cudnn() { return false; }
#endif

ember_status conv2d(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* x,
                    const ember_kernel_tensor* w, const ember_kernel_tensor* b,
                    const void* params) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    const auto& p = *static_cast<const Conv2dParams*>(params);
#ifdef EMBER_HAVE_CUDNN
    if (use_cudnn() && x->numel > 0) return cudnn_forward(out, x, w, b, p);
#endif
    im2col_forward(out, x, w, b, p);
  });
}

ember_status conv2d_backward(void*, const ember_kernel_tensor* gx, const ember_kernel_tensor* gw,
                             const ember_kernel_tensor* gb, const ember_kernel_tensor* gy,
                             const ember_kernel_tensor* x, const ember_kernel_tensor* w,
                             const void* params) {
  return guard([&] {
    use_device(gy);
    const auto& p = *static_cast<const Conv2dParams*>(params);
#ifdef EMBER_HAVE_CUDNN
    if (use_cudnn() && gy->numel > 0 && x->numel > 0)
      return cudnn_backward(gx, gw, gb, gy, x, w, p);
#endif
    im2col_backward(gx, gw, gb, gy, x, w, p);
  });
}

// ---- max_pool2d ----

// One thread per output element; windows clipped to the input as the CPU kernel does (padding is
// -inf, never chosen); NaN wins.
template <class T>
__global__ void max_pool_forward(const T* x, T* y, int64_t* ind, int64_t planes, int64_t h,
                                 int64_t w, int64_t ho, int64_t wo, Pool2dParams p) {
  using A = acc_t<T>;
  const int64_t total = planes * ho * wo;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t ow = idx % wo, oh = idx / wo % ho, pl = idx / (wo * ho);
    const T* xs = x + pl * h * w;
    int64_t h0 = oh * p.stride[0] - p.padding[0];
    const int64_t h_end = h0 + (p.kernel[0] - 1) * p.dilation[0] + 1, h1 = h_end < h ? h_end : h;
    while (h0 < 0) h0 += p.dilation[0];
    int64_t w0 = ow * p.stride[1] - p.padding[1];
    const int64_t w_end = w0 + (p.kernel[1] - 1) * p.dilation[1] + 1, w1 = w_end < w ? w_end : w;
    while (w0 < 0) w0 += p.dilation[1];
    int64_t best = h0 * w + w0;
    A m = -INFINITY;
    for (int64_t ih = h0; ih < h1; ih += p.dilation[0]) {
      for (int64_t iw = w0; iw < w1; iw += p.dilation[1]) {
        const A v = to_acc(xs[ih * w + iw]);
        if (v > m || v != v) {
          m = v;
          best = ih * w + iw;
        }
      }
    }
    y[idx] = static_cast<T>(m);
    ind[idx] = best;
  }
}

ember_status max_pool2d(void*, const ember_kernel_tensor* out, const ember_kernel_tensor* indices,
                        const ember_kernel_tensor* x, const void* params) {
  return guard([&] {
    use_device(out);
    if (out->numel == 0) return;
    const auto& p = *static_cast<const Pool2dParams*>(params);
    const int64_t planes = x->sizes[0] * x->sizes[1];
    dispatch_float(x->dtype, "max_pool2d", [&](auto tag) {
      using T = typename decltype(tag)::type;
      max_pool_forward<T><<<blocks_for(out->numel), kThreads, 0, stream()>>>(
          data<const T>(x), data<T>(out), data<int64_t>(indices), planes, x->sizes[2], x->sizes[3],
          out->sizes[2], out->sizes[3], p);
      EC_LAUNCHED("max_pool2d");
    });
  });
}

// grad_x = 0, then each output's gradient goes to its recorded input; an index outside the plane
// goes to the device's error word instead of being written (the op fails at the next
// synchronising call).
template <class T>
__global__ void max_pool_backward(T* gx, const T* gy, const int64_t* ind, int64_t planes,
                                  int64_t hw, int64_t ohw, ErrorSink sink) {
  const int64_t total = planes * ohw;
  for (int64_t idx = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t{gridDim.x} * blockDim.x) {
    const int64_t i = ind[idx];
    if (i < 0 || i >= hw) {
      report_error(sink, ErrorKind::PlaneIndex, i, hw, 0);
      continue;
    }
    atomicAdd(gx + idx / ohw * hw + i, gy[idx]);
  }
}

ember_status max_pool2d_backward(void*, const ember_kernel_tensor* gx,
                                 const ember_kernel_tensor* gy,
                                 const ember_kernel_tensor* indices) {
  return guard([&] {
    use_device(gx);
    const int64_t planes = gx->sizes[0] * gx->sizes[1], hw = gx->sizes[2] * gx->sizes[3];
    const int64_t ohw = gy->sizes[2] * gy->sizes[3];
    dispatch_float(gx->dtype, "max_pool2d_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      EC_CUDA(cudaMemsetAsync(gx->data, 0, static_cast<size_t>(gx->numel) * sizeof(T), stream()));
      if (gy->numel == 0) return;
      max_pool_backward<T><<<blocks_for(gy->numel), kThreads, 0, stream()>>>(
          data<T>(gx), data<const T>(gy), data<const int64_t>(indices), planes, hw, ohw,
          error_sink("max_pool2d_backward"));
      EC_LAUNCHED("max_pool2d_backward");
    });
  });
}

}  // namespace

ember_status register_conv(const ember_plugin_host* host) {
  ember_status s = register_kernel(host, "conv2d", conv2d);
  if (s == EMBER_OK) s = register_kernel(host, "conv2d_backward", conv2d_backward);
  if (s == EMBER_OK) s = register_kernel(host, "max_pool2d", max_pool2d);
  if (s == EMBER_OK) s = register_kernel(host, "max_pool2d_backward", max_pool2d_backward);
  return s;
}

}  // namespace ember_cuda
