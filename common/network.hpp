// network.hpp: a multilayer perceptron, a stack of Dense layers (dense.hpp).
//
// Forward feeds each layer's A to the next; backward runs the chain rule the other way,
// each layer turning the gradient of its output into the gradient of its input. The
// network's output is the last layer's A: logits when the last activation is identity
// (pair it with softmax_cross_entropy or binary_cross_entropy_with_logits, loss.hpp).
//
// One training step, the five parts (the data X (n_in x m) stays alive until backward):
//
//   std::mt19937_64 rng(seed);
//   nn::Network<float> net({784, 256, 128, 10}, nn::Activation::relu);  // output: identity
//   net.initialize(nn::Initializer::he(), rng);                    // 1. initialise
//   std::vector<nn::Parameter<float>> params = net.parameters();    //    (once)
//   nn::Momentum<float> optimizer(0.05, 0.9);
//   arma::fmat dZ;                                                   //    reused buffer
//   const arma::fmat& Z = net.forward(X);                            // 2. forward
//   double loss = nn::softmax_cross_entropy(Z, t, dZ);               // 3. loss (+ dL/dZ)
//   net.backward(dZ);                                                // 4. backpropagation
//   optimizer.step(params);                                          // 5. update
//
// backward skips dX = W^T dZ of the first layer: nothing before it needs it.
//
// The parameter list points into the layers: it stays valid while the network lives and
// no layer is added. A copy of a network (e.g. the best one so far, for early stopping) is
// independent of the original; call parameters() on the copy to train it.
#pragma once

#include <armadillo>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/activation.hpp"
#include "common/dense.hpp"
#include "common/initializer.hpp"
#include "common/parameter.hpp"

namespace nn {

template <typename Real>
class Network {
 public:
  using Matrix = arma::Mat<Real>;

  Network() = default;

  // sizes = {n_in, hidden_1, ..., n_out}: one Dense layer per consecutive pair, the hidden
  // ones with activation `hidden`, the last with `output` (identity: logits for the loss).
  Network(const std::vector<arma::uword>& sizes, Activation hidden,
          Activation output = Activation::identity) {
    if (sizes.size() < 2)
      throw std::invalid_argument("Network: sizes needs the input size and at least one layer");
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
      add(Dense<Real>(sizes[l], sizes[l + 1], l + 2 == sizes.size() ? output : hidden));
  }

  // sizes as above with one activation per layer (activations.size() == sizes.size() - 1),
  // which is what a model file stores.
  Network(const std::vector<arma::uword>& sizes, const std::vector<Activation>& activations) {
    if (sizes.size() < 2 || activations.size() + 1 != sizes.size())
      throw std::invalid_argument(
          "Network: need sizes {n_in, ..., n_out} and one activation per layer");
    for (std::size_t l = 0; l + 1 < sizes.size(); ++l)
      add(Dense<Real>(sizes[l], sizes[l + 1], activations[l]));
  }

  // Appends a layer; its input size must be the previous layer's output size.
  void add(Dense<Real> layer) {
    if (!layers_.empty() && layer.n_inputs() != layers_.back().n_outputs())
      throw std::invalid_argument(
          "Network::add: the new layer takes " + std::to_string(layer.n_inputs()) +
          " inputs, the previous layer gives " + std::to_string(layers_.back().n_outputs()));
    layers_.push_back(std::move(layer));
  }

  // Every W as init says, drawn from rng layer by layer; every b = 0.
  void initialize(const Initializer& init, std::mt19937_64& rng) {
    for (Dense<Real>& layer : layers_) layer.initialize(init, rng);
  }

  // [listing network_forward_backward]
  // Runs X (n_in x m) through every layer; returns the output (n_out x m), which
  // stays valid until the next forward. X must stay alive and unchanged until backward.
  const Matrix& forward(const Matrix& X) {
    require_layers("forward");
    const Matrix* A = &X;
    for (Dense<Real>& layer : layers_) A = &layer.forward(*A);
    return *A;
  }
  const Matrix& forward(const Matrix&& X) = delete;  // X must outlive backward

  // dOut = dL/d(output) (n_out x m), e.g. the dZ of softmax_cross_entropy. Fills every
  // layer's dW and db (what parameters() points at).
  void backward(const Matrix& dOut) {
    require_layers("backward");
    const Matrix* dA = &dOut;
    for (std::size_t l = layers_.size() - 1; l > 0; --l) dA = &layers_[l].backward(*dA);
    layers_[0].compute_gradients(*dA);
  }
  // [end network_forward_backward]

  // The predicted class of each column of X: the row of the largest output when there are
  // several outputs; with one output, 1 when it is >= 0.5 for a sigmoid output layer, or
  // >= 0 otherwise (a logit >= 0 is a probability >= 0.5). Runs forward(X).
  arma::uvec predict(const Matrix& X) {
    const Matrix& out = forward(X);
    if (out.n_rows > 1) return arma::index_max(out, 0).t();
    const Real threshold =
        layers_.back().activation() == Activation::sigmoid ? Real(0.5) : Real(0);
    arma::uvec classes(out.n_cols);
    for (arma::uword j = 0; j < out.n_cols; ++j) classes(j) = out(0, j) >= threshold ? 1 : 0;
    return classes;
  }

  // {W1, b1, W2, b2, ...} with their gradients, for an optimiser (see the top of the file).
  std::vector<Parameter<Real>> parameters() {
    std::vector<Parameter<Real>> params;
    for (std::size_t l = 0; l < layers_.size(); ++l)
      for (const Parameter<Real>& p : layers_[l].parameters(std::to_string(l + 1)))
        params.push_back(p);
    return params;
  }

  // The architecture, for a model-file writer or a diagram: {n_in, hidden..., n_out} and
  // one activation per layer.
  std::vector<arma::uword> layer_sizes() const {
    std::vector<arma::uword> sizes;
    if (layers_.empty()) return sizes;
    sizes.push_back(layers_.front().n_inputs());
    for (const Dense<Real>& layer : layers_) sizes.push_back(layer.n_outputs());
    return sizes;
  }
  std::vector<Activation> activations() const {
    std::vector<Activation> gs;
    for (const Dense<Real>& layer : layers_) gs.push_back(layer.activation());
    return gs;
  }

  // The number of weights and biases (235,146 for 784-256-128-10).
  arma::uword n_parameters() const {
    arma::uword n = 0;
    for (const Dense<Real>& layer : layers_) n += layer.W.n_elem + layer.b.n_elem;
    return n;
  }

  std::size_t n_layers() const { return layers_.size(); }
  Dense<Real>& layer(std::size_t l) { return layers_.at(l); }  // l = 0 is the first layer
  const Dense<Real>& layer(std::size_t l) const { return layers_.at(l); }
  const std::vector<Dense<Real>>& layers() const { return layers_; }

 private:
  void require_layers(const char* who) const {
    if (layers_.empty())
      throw std::logic_error(std::string("Network::") + who + ": the network has no layers");
  }

  std::vector<Dense<Real>> layers_;
};

}  // namespace nn
