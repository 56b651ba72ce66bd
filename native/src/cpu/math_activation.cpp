// CPU kernels of the activations (the floating-only unary ops of math_unary_stub), with PyTorch's
// formulas; exp goes through the vectorizable fast_exp for float.
#include <cmath>
#include <numbers>

#include "cpu/math_fast.h"
#include "cpu/math_kernels.h"

namespace ember::cpu {

namespace {

using U = ops::MathUnaryOp;

// SELU's constants (Klambauer et al. 2017), as PyTorch uses them.
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

template <class C>
inline C softplus1(C x) {  // log(1 + exp(x)) without overflow
  return x > C(20) ? x : std::log1p(std::exp(x));
}

template <class T>
void activation(U op, const TensorIterator& iter, const ops::MathParams& p) {
  using C = compute_t<T>;
  switch (op) {
    case U::LeakyRelu: {
      const C slope = scalar_as<C>(p.p[0]);
      return map_unary<T>(iter, [slope](C x) { return x > C(0) ? x : x * slope; });
    }
    case U::Elu:
    case U::Selu:
    case U::Celu: {
      double alpha = p.p[0].to<double>(), scale = 1, input_scale = 1;
      if (op == U::Elu) {
        scale = p.p[1].to<double>();
        input_scale = p.p[2].to<double>();
      } else if (op == U::Selu) {
        alpha = kSeluAlpha;
        scale = kSeluScale;
      } else {
        input_scale = 1.0 / alpha;
      }
      const C neg = C(alpha * scale), pos = C(scale), in = C(input_scale);
      return map_unary<T>(iter,
                          [=](C x) { return x <= C(0) ? std::expm1(x * in) * neg : x * pos; });
    }
    case U::Gelu:
      return map_unary<T>(
          iter, [](C x) { return x * C(0.5) * (C(1) + std::erf(x * C(std::numbers::sqrt2 / 2))); });
    case U::GeluTanh:
      return map_unary<T>(iter, [](C x) {
        const C k = C(std::numbers::sqrt2 * std::numbers::inv_sqrtpi);  // sqrt(2 / pi)
        return C(0.5) * x * (C(1) + std::tanh(k * (x + C(0.044715) * x * x * x)));
      });
    case U::Silu:
      return map_unary<T>(iter, [](C x) { return x / (C(1) + fast_exp(-x)); });
    case U::Mish:
      return map_unary<T>(iter, [](C x) { return x * std::tanh(softplus1(x)); });
    case U::Softplus: {
      const C beta = scalar_as<C>(p.p[0]), threshold = scalar_as<C>(p.p[1]);
      return map_unary<T>(iter, [=](C x) {
        return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta;
      });
    }
    case U::Softsign:
      return map_unary<T>(iter, [](C x) { return x / (C(1) + std::abs(x)); });
    case U::LogSigmoid:
      return map_unary<T>(
          iter, [](C x) { return (x < C(0) ? x : C(0)) - std::log1p(std::exp(-std::abs(x))); });
    case U::Hardsigmoid:
      return map_unary<T>(iter, [](C x) {
        const C r = x + C(3);
        return (r < C(0) ? C(0) : (r > C(6) ? C(6) : r)) / C(6);
      });
    case U::Hardswish:
      return map_unary<T>(iter, [](C x) {
        const C r = x + C(3);
        return x * (r < C(0) ? C(0) : (r > C(6) ? C(6) : r)) / C(6);
      });
    case U::Tanhshrink:
      return map_unary<T>(iter, [](C x) { return x - std::tanh(x); });
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, ops::math_unary_name(op, false),
                 " kernel: not an activation");
  }
}

}  // namespace

void activation_cpu(U op, const TensorIterator& iter, DType dtype, const ops::MathParams& p) {
  switch (dtype) {
    case DType::Float32:
      return activation<float>(op, iter, p);
    case DType::Float64:
      return activation<double>(op, iter, p);
    default:
      EMBER_FAIL(EMBER_ERROR_INTERNAL, ops::math_unary_name(op, false),
                 " kernel: ", dtype_name(dtype), " is not floating");
  }
}

}  // namespace ember::cpu
