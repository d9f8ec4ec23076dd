// parameter.hpp: one tensor an optimiser updates, and the gradient that tells it how.
//
// A layer owns its weights W and biases b and the gradients dW and db its backward pass
// computes. An optimiser does not need to know about layers: it walks a list of
// Parameter entries, each pointing at a value tensor and its gradient, and updates the
// values in place. Network::parameters() (network.hpp) builds that list.
//
//   std::vector<nn::Parameter<float>> params = net.parameters();   // once
//   for (each batch) { ...forward, loss, backward...; optimizer.step(params); }
#pragma once

#include <armadillo>
#include <string>
#include <vector>

namespace nn {

template <typename Real>
struct Parameter {
  std::string name;           // "W1", "b1", ...: layer numbers start at 1, as in the math
  arma::Mat<Real>* value;     // updated in place (a bias arma::Col<Real> is an arma::Mat<Real>)
  arma::Mat<Real>* gradient;  // d loss / d value, the same shape as *value
  bool is_weight;             // true for W: L2 weight decay applies; false for b
};

}  // namespace nn
