#include "plugin_kernels.h"

#include <array>
#include <atomic>
#include <string>
#include <string_view>
#include <type_traits>

#include "backend.h"
#include "dispatch.h"
#include "ember/plugin.h"
#include "error.h"
#include "nn_dispatch.h"

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

template <class... Args>
DeviceType device_of(const Args&... args) {
  DeviceType type = DeviceType::CPU;
  bool found = false;
  auto look = [&](const auto& a) {
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(a)>, Tensor>) {
      if (!found && a) {
        type = a->device().type;
        found = true;
      }
    }
  };
  (look(args), ...);
  return type;
}

// The bridge of one stub: per device type, the plugin's function and context.
template <auto& Stub, class Fn = typename std::remove_cvref_t<decltype(Stub)>::Fn>
struct Bridge;

template <auto& Stub, class... Args>
struct Bridge<Stub, void (*)(Args...)> {
  using CFn = ember_status (*)(void*, typename ToC<Args>::type...);

  static inline std::array<std::atomic<CFn>, kNumDeviceTypes> fns{};
  static inline std::array<void*, kNumDeviceTypes> ctxs{};

  static void call(Args... args) {
    const DeviceType type = device_of(args...);
    const auto i = static_cast<size_t>(type);
    const CFn fn = fns[i].load(std::memory_order_acquire);
    const ember_status status = fn(ctxs[i], ToC<Args>::convert(args)...);
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
    family<argmax_stub>(),
    family<sgd_stub>(),
    family<adam_stub>(),
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
