#include "plugin_kernels.h"

#include <array>
#include <atomic>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "attention.h"
#include "backend.h"
#include "dispatch.h"
#include "dispatch_loss.h"
#include "dispatch_shape.h"
#include "ember/plugin.h"
#include "error.h"
#include "nn_conv_pool.h"
#include "nn_dispatch.h"
#include "nn_fused.h"
#include "nn_interpolate.h"

namespace ember {

namespace {

// How one C++ kernel parameter crosses to the C side: `type` is what the plugin receives and
// convert() makes it. A Tensor becomes a descriptor that lives until the call returns (the
// temporary of the full expression); an undefined Tensor becomes NULL.
template <class T>
struct ToC;

struct KernelTensor {
  ember_kernel_tensor k{};
  bool present = false;
  operator const ember_kernel_tensor*() const { return present ? &k : nullptr; }
};

template <>
struct ToC<const Tensor&> {
  using type = const ember_kernel_tensor*;
  static KernelTensor convert(const Tensor& t) {
    KernelTensor r;
    if (!t) return r;
    r.present = true;
    r.k.data = t->data();
    r.k.sizes = t->sizes().data();
    r.k.strides = t->strides().data();
    r.k.numel = t->numel();
    r.k.ndim = static_cast<int32_t>(t->dim());
    r.k.dtype = static_cast<int32_t>(t->dtype());
    r.k.device_index = t->device().index;
    r.k.is_contiguous = t->is_contiguous() ? 1 : 0;
    return r;
  }
};

template <>
struct ToC<Scalar> {
  using type = ember_scalar;
  static ember_scalar convert(Scalar s) { return {s.f, s.i, static_cast<int32_t>(s.kind), 0}; }
};

template <class T>
requires std::is_enum_v<T> || std::is_same_v<T, bool>
struct ToC<T> {
  using type = int32_t;
  static int32_t convert(T v) { return static_cast<int32_t>(v); }
};

template <class T>
requires std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> || std::is_same_v<T, double> ||
    std::is_same_v<T, float>
struct ToC<T> {
  using type = T;
  static T convert(T v) { return v; }
};

// Options structs pass by address; the plugin reads them with the engine's own definitions.
template <class S>
requires std::is_class_v<S> && std::is_trivially_copyable_v<S>
struct ToC<const S&> {
  using type = const void*;
  static const void* convert(const S& v) { return &v; }
};

// Host int64 arrays whose length the family's contract fixes (ctc_loss: one per batch element)
// pass by address, as options structs do.
template <>
struct ToC<const int64_t*> {
  using type = const void*;
  static const void* convert(const int64_t* v) { return v; }
};

// Host index arrays pass as pointer and length; the engine's span outlives the call.
template <>
struct ToC<std::span<const int64_t>> {
  using type = ember_int64_span;
  static ember_int64_span convert(std::span<const int64_t> v) {
    return {v.data(), static_cast<int64_t>(v.size())};
  }
};

// A table per dim: the descriptors live in a temporary of the full expression, as KernelTensor.
struct KernelSpans {
  std::vector<ember_int64_span> spans;
  operator ember_int64_spans() const { return {spans.data(), static_cast<int64_t>(spans.size())}; }
};

template <>
struct ToC<std::span<const std::vector<int64_t>>> {
  using type = ember_int64_spans;
  static KernelSpans convert(std::span<const std::vector<int64_t>> tables) {
    KernelSpans r;
    r.spans.reserve(tables.size());
    for (const std::vector<int64_t>& t : tables)
      r.spans.push_back({t.data(), static_cast<int64_t>(t.size())});
    return r;
  }
};

// A list of tensors: the descriptors live in a temporary of the full expression, as KernelTensor.
struct KernelTensors {
  std::vector<ember_kernel_tensor> items;
  operator ember_kernel_tensors() const {
    return {items.data(), static_cast<int64_t>(items.size())};
  }
};

template <>
struct ToC<std::span<const Tensor>> {
  using type = ember_kernel_tensors;
  static KernelTensors convert(std::span<const Tensor> ts) {
    KernelTensors r;
    r.items.reserve(ts.size());
    for (const Tensor& t : ts) r.items.push_back(ToC<const Tensor&>::convert(t).k);
    return r;
  }
};

template <>
struct ToC<const char*> {
  using type = const char*;
  static const char* convert(const char* s) { return s; }
};

// The device of the first defined tensor argument, or of a tensor list's first entry (the CPU when
// there is none).
template <class... Args>
Device device_of(const Args&... args) {
  Device device{};
  bool found = false;
  auto look = [&](const auto& a) {
    using A = std::remove_cvref_t<decltype(a)>;
    if constexpr (std::is_same_v<A, Tensor>) {
      if (!found && a) {
        device = a->device();
        found = true;
      }
    } else if constexpr (std::is_same_v<A, std::span<const Tensor>>) {
      if (!found && !a.empty() && a[0]) {
        device = a[0]->device();
        found = true;
      }
    }
  };
  (look(args), ...);
  return device;
}

// The ember_kernel_output of one call of a tensor-returning family: allocates the result with the
// engine's allocator and keeps an allocation failure to rethrow after the kernel returns.
struct KernelOutput : ember_kernel_output {
  Device device;
  Tensor result;
  ember_kernel_tensor desc{};
  std::exception_ptr failure;

  explicit KernelOutput(Device d) : ember_kernel_output{nullptr, &allocate_cb}, device(d) {}

  static const ember_kernel_tensor* allocate_cb(ember_kernel_output* self, int32_t dtype,
                                                int32_t ndim, const int64_t* sizes) {
    auto* out = static_cast<KernelOutput*>(self);
    try {
      EMBER_CHECK(!out->result, EMBER_ERROR_BACKEND, "a plugin kernel allocated its output twice");
      EMBER_CHECK(ndim >= 0 && ndim <= EMBER_KERNEL_MAX_DIMS, EMBER_ERROR_BACKEND,
                  "a plugin kernel asked for an output of ", ndim, " dims");
      out->result = empty(DimVector(sizes, ndim), static_cast<DType>(dtype), out->device);
      // The descriptor points into result's metadata, which lives as long as this object.
      out->desc = ToC<const Tensor&>::convert(out->result).k;
      return &out->desc;
    } catch (...) {
      out->failure = std::current_exception();
      return nullptr;
    }
  }
};

// The bridge of one stub: per device type, the plugin's function and context. A stub returning a
// Tensor gets a trailing ember_kernel_output* on the C side.
template <auto& Stub, class Fn = typename std::remove_cvref_t<decltype(Stub)>::Fn>
struct Bridge;

template <class R, class... Args>
struct CFnOf {
  using type = ember_status (*)(void*, typename ToC<Args>::type..., ember_kernel_output*);
};
template <class... Args>
struct CFnOf<void, Args...> {
  using type = ember_status (*)(void*, typename ToC<Args>::type...);
};

template <auto& Stub, class R, class... Args>
struct Bridge<Stub, R (*)(Args...)> {
  static_assert(std::is_void_v<R> || std::is_same_v<R, Tensor>,
                "a pluggable family returns nothing or a Tensor");
  using CFn = typename CFnOf<R, Args...>::type;

  static inline std::array<std::atomic<CFn>, kNumDeviceTypes> fns{};
  static inline std::array<void*, kNumDeviceTypes> ctxs{};

  static R call(Args... args) {
    const Device device = device_of(args...);
    const auto i = static_cast<size_t>(device.type);
    const CFn fn = fns[i].load(std::memory_order_acquire);
    if constexpr (std::is_void_v<R>) {
      check(device.type, fn(ctxs[i], ToC<Args>::convert(args)...));
    } else {
      KernelOutput out(device);
      const ember_status status = fn(ctxs[i], ToC<Args>::convert(args)..., &out);
      if (out.failure) std::rethrow_exception(out.failure);
      check(device.type, status);
      EMBER_CHECK(out.result, EMBER_ERROR_BACKEND, Stub.name(), " kernel of the ",
                  backend_name(device.type), " backend returned without allocating its result");
      return out.result;
    }
  }

  static void check(DeviceType type, ember_status status) {
    if (status != EMBER_OK) [[unlikely]] {
      EMBER_FAIL(status, Stub.name(), " kernel of the ", backend_name(type),
                 " backend failed: ", backend_last_error(type));
    }
  }

  static std::string signature() { return ember_plugin::signature_of(static_cast<CFn>(nullptr)); }

  static void install(DeviceType type, ember_kernel_fn kernel, void* ctx) {
    const auto i = static_cast<size_t>(type);
    ctxs[i] = ctx;
    fns[i].store(reinterpret_cast<CFn>(kernel), std::memory_order_release);
    Stub.register_kernel(type, &call);
  }
};

struct Family {
  std::string_view name;
  std::string (*signature)();
  void (*install)(DeviceType, ember_kernel_fn, void*);
};

template <auto& Stub>
Family family() {
  return {Stub.name(), &Bridge<Stub>::signature, &Bridge<Stub>::install};
}

// The kernel families a plugin may implement. A family missing here stays CPU-only: add its stub
// when a backend implements it.
const Family kFamilies[] = {
    family<fill_stub>(),
    family<fill_multi_stub>(),
    family<copy_stub>(),
    family<arange_stub>(),
    family<eye_stub>(),
    family<rand_stub>(),
    family<randn_stub>(),
    family<binary_stub>(),
    family<binary_scalar_stub>(),
    family<unary_stub>(),
    family<reduce_stub>(),
    family<matmul_stub>(),
    family<compare_stub>(),
    family<compare_scalar_stub>(),
    family<threshold_stub>(),
    family<linear_stub>(),
    family<softmax_stub>(),
    family<softmax_backward_stub>(),
    family<nll_loss_stub>(),
    family<nll_loss_backward_stub>(),
    family<linear_backward_stub>(),
    family<feature_dropout_stub>(),
    family<cross_entropy_stub>(),
    family<cross_entropy_backward_stub>(),
    family<argmax_stub>(),
    family<sgd_stub>(),
    family<adam_stub>(),
    family<sgd_multi_stub>(),
    family<adam_multi_stub>(),
    family<dropout_stub>(),
    family<random_ex_stub>(),
    family<conv2d_stub>(),
    family<conv2d_backward_stub>(),
    family<max_pool2d_stub>(),
    family<max_pool2d_backward_stub>(),
    family<math_unary_stub>(),
    family<math_binary_stub>(),
    family<math_ternary_stub>(),
    family<reduce_ex_stub>(),
    family<arg_extreme_stub>(),
    family<scan_stub>(),
    family<row_norm_stub>(),
    family<row_norm_backward_stub>(),
    family<batch_norm_stub>(),
    family<batch_norm_backward_stub>(),
    family<group_norm_stub>(),
    family<group_norm_backward_stub>(),
    family<embedding_backward_stub>(),
    family<embedding_renorm_stub>(),
    family<embedding_bag_stub>(),
    family<embedding_bag_backward_stub>(),
    family<embedding_bag_psw_backward_stub>(),
    family<adaptive_step_stub>(),
    family<gather_dims_stub>(),
    family<index_add_stub>(),
    family<gather_stub>(),
    family<scatter_stub>(),
    family<masked_fill_stub>(),
    family<masked_select_stub>(),
    family<masked_scatter_stub>(),
    family<nonzero_stub>(),
    family<sort_stub>(),
    family<topk_stub>(),
    family<kthvalue_stub>(),
    family<searchsorted_stub>(),
    family<histc_stub>(),
    family<trilu_stub>(),
    family<sdpa_stub>(),
    family<sdpa_backward_stub>(),
    family<ctc_loss_stub>(),
    family<ctc_loss_backward_stub>(),
    family<conv3d_stub>(),
    family<conv3d_backward_stub>(),
    family<im2col_stub>(),
    family<col2im_stub>(),
    family<avg_pool2d_stub>(),
    family<avg_pool2d_backward_stub>(),
    family<adaptive_avg_pool2d_stub>(),
    family<adaptive_avg_pool2d_backward_stub>(),
    family<adaptive_max_pool2d_stub>(),
    family<interpolate_stub>(),
    family<interpolate_backward_stub>(),
    family<inv_stub>(),
    family<slogdet_stub>(),
    family<solve_stub>(),
    family<cholesky_stub>(),
    family<qr_stub>(),
    family<svd_stub>(),
    family<eigh_stub>(),
    family<lstsq_stub>(),
    family<pinv_stub>(),
    family<vector_norm_stub>(),
};

}  // namespace

void register_plugin_kernel(int32_t device_type, const char* family, const char* signature,
                            ember_kernel_fn kernel, void* kernel_ctx) {
  EMBER_CHECK(family != nullptr && signature != nullptr && kernel != nullptr, EMBER_ERROR_BACKEND,
              "register_kernel: family, signature and kernel must not be NULL");
  EMBER_CHECK(device_type > 0 && device_type < kNumDeviceTypes &&
                  backend_available(static_cast<DeviceType>(device_type)),
              EMBER_ERROR_BACKEND, "register_kernel: '", family, "' for device type ", device_type,
              ", which has no registered backend (register the backend first)");
  for (const Family& f : kFamilies) {
    if (f.name != family) continue;
    const std::string expected = f.signature();
    EMBER_CHECK(expected == signature, EMBER_ERROR_BACKEND, "register_kernel: '", family,
                "' has signature \"", expected, "\" in this engine, the plugin's is \"", signature,
                "\" (plugin built against other engine sources?)");
    f.install(static_cast<DeviceType>(device_type), kernel, kernel_ctx);
    return;
  }
  EMBER_FAIL(EMBER_ERROR_BACKEND, "register_kernel: unknown kernel family '", family, "'");
}

}  // namespace ember
