// network.hpp: a multilayer perceptron, a stack of layers: Dense layers (dense.hpp) and,
// from chapter 11 on, batch normalisation (batch_norm.hpp) and dropout (dropout.hpp)
// between them; from chapter 12 on, convolution (convolution.hpp) and max pooling
// (max_pool.hpp) before them.
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
// Layers of other kinds are added one by one (chapter 11):
//
//   nn::Network<float> net;
//   net.add(nn::Dense<float>(784, 256, nn::Activation::identity));  // Z = W X + b
//   net.add(nn::BatchNorm<float>(256, nn::Activation::relu));       // A = relu(BN(Z))
//   net.add(nn::Dropout<float>(256, 0.2));                          // drops 20% in training
//   net.add(nn::Dense<float>(256, 10, nn::Activation::identity));   // logits
//
// A convolutional network (chapter 12) is built the same way. Its layers pass images as
// columns (image_shape.hpp), and each layer's output_shape() is the next one's input:
//
//   nn::Network<float> net;
//   const nn::ImageShape image{1, 28, 28};                                 // 784 pixels
//   nn::Convolution<float> conv1(image, 16, 3, 1, nn::Activation::relu);  // 28x28x16
//   net.add(conv1);
//   nn::MaxPool<float> pool1(conv1.output_shape(), 2);                     // 14x14x16
//   net.add(pool1);
//   nn::Convolution<float> conv2(pool1.output_shape(), 32, 3, 1, nn::Activation::relu);
//   net.add(conv2);                                                        // 14x14x32
//   nn::MaxPool<float> pool2(conv2.output_shape(), 2);                     // 7x7x32
//   net.add(pool2);
//   net.add(nn::Dense<float>(pool2.output_shape().size(), 10, nn::Activation::identity));
//
// Its parameters are W1 b1 (conv1), W2 b2 (conv2), W3 b3 (the Dense layer).
//
// Dropout and batch normalisation behave differently while training and when the trained
// network is used (mode.hpp): forward(X) trains, forward(X, nn::Mode::evaluation) evaluates,
// and predict() always evaluates. For a network of Dense layers only the two are the same.
//
// n_layers() and layer(l) count the Dense layers only (layer(0) is the first Dense layer);
// all_layers() lists every layer in order.
//
// The parameter list points into the layers: it stays valid while the network lives and
// no layer is added. A copy of a network (e.g. the best one so far, for early stopping) is
// independent of the original; call parameters() on the copy to train it.
#pragma once

#include <armadillo>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "common/activation.hpp"
#include "common/batch_norm.hpp"
#include "common/convolution.hpp"
#include "common/dense.hpp"
#include "common/dropout.hpp"
#include "common/initializer.hpp"
#include "common/max_pool.hpp"
#include "common/mode.hpp"
#include "common/parameter.hpp"

namespace nn {

// One layer of a network, of any kind. Each kind has n_inputs(), n_outputs(), A(),
// initialize(init, rng), forward, backward, compute_gradients and parameters(suffix).
template <typename Real>
using Layer =
    std::variant<Dense<Real>, BatchNorm<Real>, Dropout<Real>, Convolution<Real>, MaxPool<Real>>;

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
  void add(Layer<Real> layer) {
    const arma::uword n_in = std::visit([](const auto& x) { return x.n_inputs(); }, layer);
    if (!layers_.empty() && n_in != output_size())
      throw std::invalid_argument("Network::add: the new layer takes " + std::to_string(n_in) +
                                  " inputs, the previous layer gives " +
                                  std::to_string(output_size()));
    if (std::holds_alternative<Dense<Real>>(layer)) dense_.push_back(layers_.size());
    layers_.push_back(std::move(layer));
  }

  // Every W as init says, drawn from rng layer by layer; every b = 0. (A batch-norm layer
  // starts at gamma = 1, beta = 0; a dropout layer seeds its masks with one draw of rng.)
  void initialize(const Initializer& init, std::mt19937_64& rng) {
    for (Layer<Real>& layer : layers_)
      std::visit([&](auto& x) { x.initialize(init, rng); }, layer);
  }

  // [listing network_forward_backward]
  // Runs X (n_in x m) through every layer; returns the output (n_out x m), which
  // stays valid until the next forward. X must stay alive and unchanged until backward.
  const Matrix& forward(const Matrix& X, Mode mode = Mode::training) {
    require_layers("forward");
    const Matrix* A = &X;
    for (Layer<Real>& layer : layers_)
      A = &std::visit([&](auto& x) -> const Matrix& { return forward_one(x, *A, mode); },
                      layer);
    return *A;
  }
  const Matrix& forward(const Matrix&& X,
                        Mode mode = Mode::training) = delete;  // X must
                                                               // outlive backward

  // dOut = dL/d(output) (n_out x m), e.g. the dZ of softmax_cross_entropy. Fills every
  // layer's gradients (what parameters() points at).
  void backward(const Matrix& dOut) {
    require_layers("backward");
    const Matrix* dA = &dOut;
    for (std::size_t l = layers_.size() - 1; l > 0; --l)
      dA = &std::visit([&](auto& x) -> const Matrix& { return x.backward(*dA); }, layers_[l]);
    std::visit([&](auto& x) { x.compute_gradients(*dA); }, layers_[0]);
  }
  // [end network_forward_backward]

  // The predicted class of each column of X: the row of the largest output when there are
  // several outputs; with one output, 1 when it is >= 0.5 for a sigmoid output layer, or
  // >= 0 otherwise (a logit >= 0 is a probability >= 0.5). Runs forward(X) in evaluation
  // mode.
  arma::uvec predict(const Matrix& X) {
    const Matrix& out = forward(X, Mode::evaluation);
    if (out.n_rows > 1) return arma::index_max(out, 0).t();
    const Real threshold = std::visit([](const auto& x) { return output_activation(x); },
                                      layers_.back()) == Activation::sigmoid
                               ? Real(0.5)
                               : Real(0);
    arma::uvec classes(out.n_cols);
    for (arma::uword j = 0; j < out.n_cols; ++j) classes(j) = out(0, j) >= threshold ? 1 : 0;
    return classes;
  }

  // {W1, b1, W2, b2, ...} with their gradients, for an optimiser (see the top of the file).
  // The number counts the layers with weights, Dense and convolution layers alike. A
  // batch-norm layer's gamma and beta take the number of the layer before it (gamma1, beta1
  // normalise Z1); dropout and max-pool layers have no parameters.
  std::vector<Parameter<Real>> parameters() {
    std::vector<Parameter<Real>> params;
    std::size_t weighted_seen = 0;
    for (Layer<Real>& layer : layers_) {
      if (std::holds_alternative<Dense<Real>>(layer) ||
          std::holds_alternative<Convolution<Real>>(layer))
        ++weighted_seen;
      const std::vector<Parameter<Real>> own = std::visit(
          [&](auto& x) { return x.parameters(std::to_string(weighted_seen)); }, layer);
      params.insert(params.end(), own.begin(), own.end());
    }
    return params;
  }

  // The Dense layers' architecture, for a diagram: {n_in, hidden..., n_out} and one
  // activation per Dense layer.
  std::vector<arma::uword> layer_sizes() const {
    std::vector<arma::uword> sizes;
    if (dense_.empty()) return sizes;
    sizes.push_back(layer(0).n_inputs());
    for (std::size_t l = 0; l < n_layers(); ++l) sizes.push_back(layer(l).n_outputs());
    return sizes;
  }
  std::vector<Activation> activations() const {
    std::vector<Activation> gs;
    for (std::size_t l = 0; l < n_layers(); ++l) gs.push_back(layer(l).activation());
    return gs;
  }

  // The number of trained parameters: weights, biases, and batch norm's gamma and beta
  // (235,146 for 784-256-128-10).
  arma::uword n_parameters() const {
    arma::uword n = 0;
    for (const Layer<Real>& layer : layers_)
      n += std::visit([](const auto& x) { return parameter_count(x); }, layer);
    return n;
  }

  // The sizes of the network's input and output (0 without layers).
  arma::uword input_size() const {
    return layers_.empty()
               ? 0
               : std::visit([](const auto& x) { return x.n_inputs(); }, layers_.front());
  }
  arma::uword output_size() const {
    return layers_.empty()
               ? 0
               : std::visit([](const auto& x) { return x.n_outputs(); }, layers_.back());
  }

  // The Dense layers, l = 0 first (the one with W1, b1).
  std::size_t n_layers() const { return dense_.size(); }
  Dense<Real>& layer(std::size_t l) { return std::get<Dense<Real>>(layers_[dense_.at(l)]); }
  const Dense<Real>& layer(std::size_t l) const {
    return std::get<Dense<Real>>(layers_[dense_.at(l)]);
  }

  // Every layer, in order.
  const std::vector<Layer<Real>>& all_layers() const { return layers_; }
  std::vector<Layer<Real>>& all_layers() { return layers_; }

 private:
  // Dense, convolution and max pooling have no mode: they compute the same in training
  // and evaluation.
  static const Matrix& forward_one(Dense<Real>& layer, const Matrix& X, Mode) {
    return layer.forward(X);
  }
  static const Matrix& forward_one(Convolution<Real>& layer, const Matrix& X, Mode) {
    return layer.forward(X);
  }
  static const Matrix& forward_one(MaxPool<Real>& layer, const Matrix& X, Mode) {
    return layer.forward(X);
  }
  template <typename AnyLayer>
  static const Matrix& forward_one(AnyLayer& layer, const Matrix& X, Mode mode) {
    return layer.forward(X, mode);
  }

  // The activation that produces the network's output (a dropout layer passes it through).
  static Activation output_activation(const Dense<Real>& x) { return x.activation(); }
  static Activation output_activation(const BatchNorm<Real>& x) { return x.activation(); }
  static Activation output_activation(const Dropout<Real>&) { return Activation::identity; }
  static Activation output_activation(const Convolution<Real>& x) { return x.activation(); }
  static Activation output_activation(const MaxPool<Real>&) { return Activation::identity; }

  static arma::uword parameter_count(const Dense<Real>& x) { return x.W.n_elem + x.b.n_elem; }
  static arma::uword parameter_count(const BatchNorm<Real>& x) {
    return x.gamma.n_elem + x.beta.n_elem;
  }
  static arma::uword parameter_count(const Dropout<Real>&) { return 0; }
  static arma::uword parameter_count(const Convolution<Real>& x) {
    return x.W.n_elem + x.b.n_elem;
  }
  static arma::uword parameter_count(const MaxPool<Real>&) { return 0; }

  void require_layers(const char* who) const {
    if (layers_.empty())
      throw std::logic_error(std::string("Network::") + who + ": the network has no layers");
  }

  std::vector<Layer<Real>> layers_;
  std::vector<std::size_t> dense_;  // where the Dense layers are in layers_
};

}  // namespace nn
