// activation.hpp: the non-linear functions a neuron applies to its weighted sum z, and
// their derivatives, which backpropagation needs.
//
// Each function has a scalar form (for reading and for one neuron) and an element-wise
// form for an Armadillo matrix Z of any element type (float or double), which is what a
// layer applies to its (units x batch) weighted sums.
#pragma once

#include <armadillo>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn {

// ---------------------------------------------------------------------------------------
// Scalar forms
// ---------------------------------------------------------------------------------------

// [listing scalar]
// step(z) = 1 if z >= 0, else 0            (Rosenblatt's perceptron)
// step'(z) = 0 for z != 0 (undefined at 0): it gives gradient descent nothing to follow.
inline double step(double z) { return z >= 0.0 ? 1.0 : 0.0; }
inline double step_derivative(double /*z*/) { return 0.0; }

// sigmoid(z) = 1 / (1 + e^-z)              squashes R into (0, 1)
// sigmoid'(z) = sigmoid(z) (1 - sigmoid(z)), largest (1/4) at z = 0
inline double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }
inline double sigmoid_derivative(double z) {
  const double s = sigmoid(z);
  return s * (1.0 - s);
}

// tanh(z) = (e^z - e^-z) / (e^z + e^-z)    squashes R into (-1, 1), centred on 0
// tanh'(z) = 1 - tanh(z)^2
inline double tanh(double z) { return std::tanh(z); }
inline double tanh_derivative(double z) {
  const double a = std::tanh(z);
  return 1.0 - a * a;
}

// relu(z) = max(0, z)
// relu'(z) = 1 if z > 0, else 0 (we take 0 at the kink z = 0, as most libraries do)
inline double relu(double z) { return z > 0.0 ? z : 0.0; }
inline double relu_derivative(double z) { return z > 0.0 ? 1.0 : 0.0; }
// [end scalar]

// ---------------------------------------------------------------------------------------
// Element-wise forms: Z is (units x batch); the result has Z's shape
// ---------------------------------------------------------------------------------------

template <typename Real>
arma::Mat<Real> step(const arma::Mat<Real>& Z) {
  return arma::conv_to<arma::Mat<Real>>::from(Z >= Real(0));
}
template <typename Real>
arma::Mat<Real> step_derivative(const arma::Mat<Real>& Z) {
  return arma::Mat<Real>(arma::size(Z), arma::fill::zeros);
}

template <typename Real>
arma::Mat<Real> sigmoid(const arma::Mat<Real>& Z) {
  return Real(1) / (Real(1) + arma::exp(-Z));
}
template <typename Real>
arma::Mat<Real> sigmoid_derivative(const arma::Mat<Real>& Z) {
  const arma::Mat<Real> S = sigmoid(Z);
  return S % (Real(1) - S);  // % is Armadillo's element-wise product
}

template <typename Real>
arma::Mat<Real> tanh(const arma::Mat<Real>& Z) {
  return arma::tanh(Z);
}
template <typename Real>
arma::Mat<Real> tanh_derivative(const arma::Mat<Real>& Z) {
  return Real(1) - arma::square(arma::tanh(Z));
}

template <typename Real>
arma::Mat<Real> relu(const arma::Mat<Real>& Z) {
  return arma::clamp(Z, Real(0), std::numeric_limits<Real>::max());
}
template <typename Real>
arma::Mat<Real> relu_derivative(const arma::Mat<Real>& Z) {
  return arma::conv_to<arma::Mat<Real>>::from(Z > Real(0));
}

// ---------------------------------------------------------------------------------------
// Activation by name: what a layer or a model file stores
// ---------------------------------------------------------------------------------------

// identity(z) = z, identity'(z) = 1: the "no activation" of an output layer whose
// non-linearity lives in the loss (softmax + cross-entropy).
enum class Activation { identity, step, sigmoid, tanh, relu };

inline const std::vector<Activation>& all_activations() {
  static const std::vector<Activation> all = {Activation::identity, Activation::step,
                                              Activation::sigmoid, Activation::tanh,
                                              Activation::relu};
  return all;
}

inline std::string to_string(Activation g) {
  switch (g) {
    case Activation::identity: return "identity";
    case Activation::step: return "step";
    case Activation::sigmoid: return "sigmoid";
    case Activation::tanh: return "tanh";
    case Activation::relu: return "relu";
  }
  return "unknown";
}

// The inverse of to_string; throws std::invalid_argument for an unknown name.
inline Activation activation_from_string(const std::string& name) {
  for (Activation g : all_activations())
    if (to_string(g) == name) return g;
  throw std::invalid_argument("unknown activation '" + name +
                              "' (expected identity, step, sigmoid, tanh or relu)");
}

// A = g(Z)
template <typename Real>
arma::Mat<Real> activate(Activation g, const arma::Mat<Real>& Z) {
  switch (g) {
    case Activation::identity: return Z;
    case Activation::step: return step(Z);
    case Activation::sigmoid: return sigmoid(Z);
    case Activation::tanh: return tanh(Z);
    case Activation::relu: return relu(Z);
  }
  throw std::logic_error("activate: unknown activation");
}

// g'(Z), element-wise
template <typename Real>
arma::Mat<Real> activation_derivative(Activation g, const arma::Mat<Real>& Z) {
  switch (g) {
    case Activation::identity: return arma::Mat<Real>(arma::size(Z), arma::fill::ones);
    case Activation::step: return step_derivative(Z);
    case Activation::sigmoid: return sigmoid_derivative(Z);
    case Activation::tanh: return tanh_derivative(Z);
    case Activation::relu: return relu_derivative(Z);
  }
  throw std::logic_error("activation_derivative: unknown activation");
}

}  // namespace nn
