// Tests for common/network.hpp
#include <catch2/catch.hpp>

#include <functional>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "common/gradient_check.hpp"
#include "common/loss.hpp"
#include "common/network.hpp"
#include "common/optimizer.hpp"
#include "common/toy_data.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

using nn::Activation;

using nn::test::kKinkMargin;
using nn::test::random_matrix;

static double smallest_abs_z(const nn::Network<double>& net) {
  double smallest = arma::datum::inf;
  for (std::size_t l = 0; l < net.n_layers(); ++l)
    smallest = std::min(smallest, arma::min(arma::abs(arma::vectorise(net.layer(l).Z()))));
  return smallest;
}

// Compares every parameter's analytic gradient with central differences of loss(net),
// tensor by tensor (nn::tensor_relative_error says why).
template <typename Loss>
static void check_network_gradients(
    nn::Network<double>& net, Loss loss_and_backward,
    std::function<bool(const std::string&)> zero_gradient = [](const std::string&) {
      return false;
    }) {
  loss_and_backward(true);  // forward, loss, backward
  std::vector<nn::Parameter<double>> params = net.parameters();
  for (const nn::Parameter<double>& p : params) {
    CAPTURE(p.name);
    if (zero_gradient(p.name)) continue;
    const arma::mat analytic = *p.gradient;
    const arma::mat saved = *p.value;
    const arma::mat numeric = nn::numerical_gradient(
        [&](const arma::mat& theta) {
          *p.value = theta;
          return loss_and_backward(false);
        },
        saved);
    *p.value = saved;
    CHECK(nn::tensor_relative_error(analytic, numeric) < nn::kGradientCheckTolerance);
  }
}

TEST_CASE("network backward with softmax cross-entropy matches finite differences",
          "[network]") {
  const Activation hidden = GENERATE(Activation::sigmoid, Activation::tanh, Activation::relu);
  const std::vector<arma::uword> sizes =
      GENERATE(std::vector<arma::uword>{3, 4, 2}, std::vector<arma::uword>{2, 5, 4, 3},
               std::vector<arma::uword>{4, 6, 5, 3, 4});
  const arma::uword batch = GENERATE(1, 6);
  CAPTURE(nn::to_string(hidden), sizes, batch);
  std::mt19937_64 rng(sizes.size() * 10 + batch);

  nn::Network<double> net(sizes, hidden);
  arma::mat X;
  arma::uvec t(batch);
  const arma::uword K = sizes.back();
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    for (arma::uword l = 0; l < net.n_layers(); ++l) {
      nn::Dense<double>& layer = net.layer(l);
      layer.W = random_matrix(layer.n_outputs(), layer.n_inputs(), 0.8, rng);
      layer.b = arma::vec(random_matrix(layer.n_outputs(), 1, 0.3, rng));
    }
    X = random_matrix(sizes.front(), batch, 1.0, rng);
    for (arma::uword j = 0; j < batch; ++j) t(j) = rng() % K;
    net.forward(X);
    if (smallest_abs_z(net) > kKinkMargin) break;
  }
  arma::mat dZ;
  check_network_gradients(net, [&](bool backward) {
    const double loss = nn::softmax_cross_entropy(net.forward(X), t, dZ);
    if (backward) net.backward(dZ);
    return loss;
  });
}

TEST_CASE("network backward with binary cross-entropy and MSE matches finite differences",
          "[network]") {
  std::mt19937_64 rng(99);
  nn::Network<double> net({3, 5, 1}, Activation::tanh);
  net.initialize(nn::Initializer::normal(0.8), rng);
  const arma::mat X = random_matrix(3, 7, 1.0, rng);
  arma::mat T(1, 7);
  for (arma::uword j = 0; j < 7; ++j) T(j) = double(rng() % 2);
  arma::mat dOut;
  SECTION("binary cross-entropy from logits") {
    check_network_gradients(net, [&](bool backward) {
      const double loss = nn::binary_cross_entropy_with_logits(net.forward(X), T, dOut);
      if (backward) net.backward(dOut);
      return loss;
    });
  }
  SECTION("mean squared error of a sigmoid output") {
    nn::Network<double> sig({3, 5, 2}, Activation::tanh, Activation::sigmoid);
    sig.initialize(nn::Initializer::normal(0.8), rng);
    const arma::mat Y2 = arma::join_cols(T, 1.0 - T);
    check_network_gradients(sig, [&](bool backward) {
      const double loss = nn::mean_squared_error(sig.forward(X), Y2, dOut);
      if (backward) sig.backward(dOut);
      return loss;
    });
  }
}

// What "zero" means for a gradient that is zero in exact arithmetic: rounding leaves about
// 1e-16 in the backward pass and eps * |L| / h ~ 1e-11 in a central difference.
constexpr double kZeroGradient = 1e-9;

TEST_CASE("a network with batch norm and dropout layers backpropagates through them",
          "[network]") {
  // Dense(identity) -> BatchNorm(tanh) -> Dropout -> Dense: the gradients of W, b, gamma
  // and beta by central differences, in double. A dropout layer draws a new mask at each
  // training forward, which finite differences cannot follow; its p = 0 here keeps the
  // mask all ones (its own gradient, with a fixed mask, is checked in tests/dropout.cpp).
  std::mt19937_64 rng(31);
  nn::Network<double> net;
  net.add(nn::Dense<double>(3, 5, Activation::identity));
  net.add(nn::BatchNorm<double>(5, Activation::tanh));
  net.add(nn::Dropout<double>(5, 0.0));
  net.add(nn::Dense<double>(5, 4, Activation::identity));
  net.initialize(nn::Initializer::xavier(), rng);
  auto& norm = std::get<nn::BatchNorm<double>>(net.all_layers()[1]);
  norm.gamma = arma::vec(random_matrix(5, 1, 0.5, rng)) + 1.0;
  norm.beta = arma::vec(random_matrix(5, 1, 0.5, rng));
  const arma::mat X = random_matrix(3, 6, 1.0, rng);
  const arma::uvec t = {0, 1, 2, 3, 1, 2};
  arma::mat dZ;
  std::vector<std::string> names;
  for (const nn::Parameter<double>& p : net.parameters()) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"W1", "b1", "gamma1", "beta1", "W2", "b2"});
  CHECK(net.n_layers() == 2);  // the Dense ones
  CHECK(net.all_layers().size() == 4);
  CHECK(net.n_parameters() == 3 * 5 + 5 + 5 + 5 + 5 * 4 + 4);
  auto loss = [&](bool backward) {
    const double L = nn::softmax_cross_entropy(net.forward(X), t, dZ);
    if (backward) net.backward(dZ);
    return L;
  };
  // b1 is added to every column of Z1 and the batch mean takes it away again: the loss
  // does not depend on it, and its gradient is zero (up to rounding) both ways. A relative
  // error of two zeros means nothing, so b1 is checked against zero instead.
  check_network_gradients(net, loss, [](const std::string& name) { return name == "b1"; });
  const arma::mat db1 = *net.parameters()[1].gradient;
  const arma::mat numeric_db1 = nn::numerical_gradient(
      [&](const arma::mat& b) {
        net.layer(0).b = b;
        return loss(false);
      },
      arma::mat(net.layer(0).b));
  CHECK(arma::abs(db1).max() < kZeroGradient);
  CHECK(arma::abs(numeric_db1).max() < kZeroGradient);
}

TEST_CASE("training and evaluation modes differ only where dropout or batch norm are",
          "[network]") {
  std::mt19937_64 rng(5);
  const arma::mat X = random_matrix(4, 8, 1.0, rng);
  nn::Network<double> plain({4, 6, 3}, Activation::relu);
  plain.initialize(nn::Initializer::he(), rng);
  const arma::mat trained = plain.forward(X, nn::Mode::training);
  CHECK(arma::approx_equal(plain.forward(X, nn::Mode::evaluation), trained, "absdiff", 0.0));

  nn::Network<double> net;
  net.add(nn::Dense<double>(4, 6, Activation::relu));
  net.add(nn::Dropout<double>(6, 0.5));
  net.add(nn::Dense<double>(6, 3, Activation::identity));
  net.initialize(nn::Initializer::he(), rng);
  const arma::mat first = net.forward(X, nn::Mode::evaluation);
  const arma::mat second = net.forward(X, nn::Mode::evaluation);
  CHECK(arma::approx_equal(first, second, "absdiff", 0.0));  // no mask in evaluation
  const arma::mat masked = net.forward(X);                   // training: a random mask
  CHECK_FALSE(arma::approx_equal(masked, first, "absdiff", 1e-12));
  // predict() evaluates, whatever the last forward was.
  CHECK(arma::all(net.predict(X) == arma::index_max(first, 0).t()));
  // Adding a layer of the wrong width is refused.
  REQUIRE_THROWS_AS(net.add(nn::BatchNorm<double>(4, Activation::relu)), std::invalid_argument);
}

TEST_CASE("a freshly initialised K-class network starts at a loss close to ln K", "[network]") {
  // With small logits every class gets probability ~1/K and the loss is -ln(1/K) = ln K.
  // Xavier-initialised logits here have a standard deviation s of about 0.2, which raises
  // the expected loss by about s^2 (K-1)/(2K) < 0.02; 0.05 leaves room for the sample.
  constexpr double kInitialLossTolerance = 0.05;
  const arma::uword K = GENERATE(3, 5);
  CAPTURE(K);
  const nn::Dataset data = nn::spiral(100, K, 0.2, 1);
  std::mt19937_64 rng(2);
  nn::Network<double> net({2, 64, K}, Activation::tanh);
  net.initialize(nn::Initializer::xavier(), rng);
  const double loss = nn::softmax_cross_entropy(net.forward(data.X), data.t);
  CHECK(std::abs(loss - std::log(double(K))) < kInitialLossTolerance);
}

TEMPLATE_TEST_CASE("a network overfits 20 samples to a near-zero loss", "[network]", float,
                   double) {
  // 20 samples, 3 classes, 2 x 32 x 3 tanh: enough parameters (195) to memorise them. A
  // loss under 0.01 means every sample gets its class with probability above ~0.99.
  constexpr double kOverfitLoss = 0.01;
  // (Every spiral arm starts at the origin: leave those three identical points out.)
  const nn::Dataset data = nn::spiral(10, 3, 0.2, 4);
  const arma::uvec pick = {1,  2,  3,  4,  5,  6,  7,  11, 12, 13,
                           14, 15, 16, 17, 21, 22, 23, 24, 25, 26};
  const arma::Mat<TestType> X = arma::conv_to<arma::Mat<TestType>>::from(data.X.cols(pick));
  const arma::uvec t = data.t(pick);
  std::mt19937_64 rng(3);
  nn::Network<TestType> net({2, 32, 3}, Activation::tanh);
  net.initialize(nn::Initializer::xavier(), rng);
  const std::vector<nn::Parameter<TestType>> params = net.parameters();
  nn::Adam<TestType> adam(0.01);
  arma::Mat<TestType> dZ;
  const double first = nn::softmax_cross_entropy(net.forward(X), t);
  double loss = first;
  for (int step = 0; step < 2000; ++step) {
    loss = nn::softmax_cross_entropy(net.forward(X), t, dZ);
    net.backward(dZ);
    adam.step(params);
  }
  loss = nn::softmax_cross_entropy(net.forward(X), t);
  CAPTURE(first, loss);
  CHECK(loss < kOverfitLoss);
  CHECK(arma::all(net.predict(X) == t));
}

TEST_CASE("a float network computes what a double network does from the same seed",
          "[network]") {
  // Same initial weights up to float rounding; outputs agree to float precision.
  constexpr double kFloatTolerance = 1e-5;
  std::mt19937_64 rng_d(8), rng_f(8);
  nn::Network<double> d({6, 16, 8, 4}, Activation::relu);
  nn::Network<float> f({6, 16, 8, 4}, Activation::relu);
  d.initialize(nn::Initializer::he(), rng_d);
  f.initialize(nn::Initializer::he(), rng_f);
  std::mt19937_64 rng(9);
  const arma::mat X = random_matrix(6, 10, 1.0, rng);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.forward(Xf)), d.forward(X),
                           "absdiff", kFloatTolerance));
}

TEST_CASE("network describes its architecture and lists its parameters", "[network]") {
  nn::Network<float> net({784, 256, 128, 10}, Activation::relu);
  CHECK(net.n_layers() == 3);
  CHECK(net.layer_sizes() == std::vector<arma::uword>{784, 256, 128, 10});
  CHECK(net.activations() ==
        std::vector<Activation>{Activation::relu, Activation::relu, Activation::identity});
  CHECK(net.n_parameters() == 235146);
  const std::vector<nn::Parameter<float>> params = net.parameters();
  REQUIRE(params.size() == 6);
  CHECK(params[0].name == "W1");
  CHECK(params[5].name == "b3");
  CHECK(params[2].value == &net.layer(1).W);

  const nn::Network<double> rebuilt({2, 3, 1}, {Activation::tanh, Activation::sigmoid});
  CHECK(rebuilt.activations() ==
        std::vector<Activation>{Activation::tanh, Activation::sigmoid});
  CHECK_THROWS_AS(nn::Network<double>({2, 3, 1}, std::vector<Activation>{Activation::tanh}),
                  std::invalid_argument);
  CHECK_THROWS_AS(nn::Network<double>({2}, Activation::relu), std::invalid_argument);
  nn::Network<double> built;
  built.add(nn::Dense<double>(2, 4, Activation::relu));
  CHECK_THROWS_WITH(built.add(nn::Dense<double>(3, 1, Activation::identity)),
                    Catch::Contains("takes 3 inputs, the previous layer gives 4"));
  nn::Network<double> empty;
  const arma::mat X(2, 2, arma::fill::zeros);
  CHECK_THROWS_AS(empty.forward(X), std::logic_error);
}

TEST_CASE("network predict takes the largest output, or thresholds a single one", "[network]") {
  nn::Network<double> net({2, 3}, Activation::relu, Activation::identity);
  net.layer(0).W = arma::eye(3, 2);  // output = (x1, x2, 0) for positive inputs
  const arma::mat X = {{2.0, 0.5, -1.0}, {1.0, 3.0, -1.0}};
  CHECK(arma::all(net.predict(X) == arma::uvec{0, 1, 2}));  // ties: the first maximum

  nn::Network<double> logit({2, 1}, Activation::relu, Activation::identity);
  logit.layer(0).W = {{1.0, -1.0}};
  const arma::mat X1 = {{1.0, 0.0, 2.0}, {0.0, 1.0, 2.0}};  // logits 1, -1, 0
  CHECK(arma::all(logit.predict(X1) == arma::uvec{1, 0, 1}));

  nn::Network<double> prob({2, 1}, Activation::relu, Activation::sigmoid);
  prob.layer(0).W = {{1.0, -1.0}};
  CHECK(arma::all(prob.predict(X1) == arma::uvec{1, 0, 1}));  // sigmoid(0) = 0.5
}

TEST_CASE("a training step reuses the layers' buffers once the batch size is stable",
          "[network]") {
  std::mt19937_64 rng(6);
  nn::Network<float> net({50, 40, 30, 10}, Activation::relu);
  net.initialize(nn::Initializer::he(), rng);
  const std::vector<nn::Parameter<float>> params = net.parameters();
  nn::Momentum<float> optimizer(0.01, 0.9);
  const arma::fmat X(50, 32, arma::fill::randu);
  const arma::uvec t = arma::randi<arma::uvec>(32, arma::distr_param(0, 9));
  arma::fmat dZ;
  std::vector<const float*> before;
  for (int step = 0; step < 3; ++step) {
    nn::softmax_cross_entropy(net.forward(X), t, dZ);
    net.backward(dZ);
    optimizer.step(params);
    std::vector<const float*> now = {dZ.memptr()};
    for (std::size_t l = 0; l < net.n_layers(); ++l)
      for (const arma::fmat* m : {&net.layer(l).Z(), &net.layer(l).dZ(), &net.layer(l).dW()})
        now.push_back(m->memptr());
    if (step > 0) CHECK(now == before);
    before = now;
  }
}

// ---------------------------------------------------------------------------------------
// A convolutional network (chapter 12)
// ---------------------------------------------------------------------------------------

// conv(1 -> 2 filters, 3x3, padding 1, relu) -> pool 2 -> conv(2 -> 3, 3x3, padding 1,
// relu) -> pool 2 -> Dense(12 -> 4): the chapter's network, small enough for a gradient
// check. W1 b1, W2 b2 are the convolutions', W3 b3 the Dense layer's.
static nn::Network<double> small_cnn() {
  const nn::ImageShape image{1, 8, 8};
  nn::Network<double> net;
  nn::Convolution<double> conv1(image, 2, 3, 1, Activation::relu);  // 8x8x2
  net.add(conv1);
  nn::MaxPool<double> pool1(conv1.output_shape(), 2);  // 4x4x2
  net.add(pool1);
  nn::Convolution<double> conv2(pool1.output_shape(), 3, 3, 1, Activation::relu);  // 4x4x3
  net.add(conv2);
  nn::MaxPool<double> pool2(conv2.output_shape(), 2);  // 2x2x3
  net.add(pool2);
  net.add(nn::Dense<double>(pool2.output_shape().size(), 4, Activation::identity));
  return net;
}

// How close the CNN's last forward came to a kink: the smallest |Z| of its convolutions
// (relu's kink), and the smallest lead of a pooling window's maximum over its runner-up
// (where the arg-max would jump). A window whose maximum is 0 is relu's zeros: its
// gradient is 0 whichever of them wins, and the |Z| margin keeps them 0 under a probe.
static double closest_kink(const nn::Network<double>& net) {
  double closest = arma::datum::inf;
  const std::vector<nn::Layer<double>>& layers = net.all_layers();
  for (std::size_t l = 0; l < layers.size(); ++l) {
    if (const auto* conv = std::get_if<nn::Convolution<double>>(&layers[l]))
      closest = std::min(closest, arma::min(arma::abs(arma::vectorise(conv->Z()))));
    const auto* pool = std::get_if<nn::MaxPool<double>>(&layers[l]);
    if (pool == nullptr) continue;
    const arma::mat& in = std::get<nn::Convolution<double>>(layers[l - 1]).A();
    const nn::ImageShape shape = pool->input_shape();
    const arma::uword s = pool->size();
    for (arma::uword e = 0; e < pool->A().n_elem; ++e) {
      const arma::uword q = e / pool->n_outputs(), row = e % pool->n_outputs();
      const double max = pool->A()(row, q);
      if (max == 0.0) continue;
      const arma::uword c = row % shape.channels, pixel = row / shape.channels;
      const arma::uword i = pixel / pool->output_shape().width;
      const arma::uword j = pixel % pool->output_shape().width;
      for (arma::uword di = 0; di < s; ++di)
        for (arma::uword dj = 0; dj < s; ++dj) {
          const arma::uword at = shape.index(i * s + di, j * s + dj, c);
          if (at != pool->argmax()(row, q)) closest = std::min(closest, max - in(at, q));
        }
    }
  }
  return closest;
}

TEST_CASE("a convolutional network backpropagates through convolution and max pooling",
          "[network]") {
  std::mt19937_64 rng(41);
  nn::Network<double> net = small_cnn();
  const arma::uword m = 3;
  arma::mat X;
  const arma::uvec t = {0, 3, 2};
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    net.initialize(nn::Initializer::normal(0.6), rng);
    for (nn::Layer<double>& layer : net.all_layers())
      if (auto* conv = std::get_if<nn::Convolution<double>>(&layer))
        conv->b = arma::vec(random_matrix(conv->n_filters(), 1, 0.3, rng));
    X = random_matrix(64, m, 1.0, rng);
    net.forward(X);
    if (closest_kink(net) > kKinkMargin) break;
  }
  arma::mat dZ;
  check_network_gradients(net, [&](bool backward) {
    const double loss = nn::softmax_cross_entropy(net.forward(X), t, dZ);
    if (backward) net.backward(dZ);
    return loss;
  });
}

TEST_CASE("a convolutional network numbers its convolution and Dense layers together",
          "[network]") {
  nn::Network<double> net = small_cnn();
  std::vector<std::string> names;
  for (const nn::Parameter<double>& p : net.parameters()) names.push_back(p.name);
  CHECK(names == std::vector<std::string>{"W1", "b1", "W2", "b2", "W3", "b3"});
  // conv1 2 x (3 3 1) + 2, conv2 3 x (3 3 2) + 3, Dense 4 x 12 + 4; pooling has none.
  CHECK(net.n_parameters() == (2 * 9 + 2) + (3 * 18 + 3) + (4 * 12 + 4));
  CHECK(net.n_layers() == 1);  // the Dense ones
  CHECK(net.all_layers().size() == 5);
  CHECK(net.input_size() == 64);
  CHECK(net.output_size() == 4);
  nn::Network<double> wrong;
  wrong.add(nn::Convolution<double>(nn::ImageShape{1, 8, 8}, 2, 3, 1, Activation::relu));
  CHECK_THROWS_WITH(wrong.add(nn::MaxPool<double>(nn::ImageShape{2, 4, 4}, 2)),
                    Catch::Contains("takes 32 inputs, the previous layer gives 128"));
  // The chapter's network: 28x28 -> 16 filters -> pool -> 32 filters -> pool -> 10.
  nn::Network<float> cnn;
  nn::Convolution<float> conv1(nn::ImageShape{1, 28, 28}, 16, 3, 1, Activation::relu);
  cnn.add(conv1);
  nn::MaxPool<float> pool1(conv1.output_shape(), 2);
  cnn.add(pool1);
  nn::Convolution<float> conv2(pool1.output_shape(), 32, 3, 1, Activation::relu);
  cnn.add(conv2);
  nn::MaxPool<float> pool2(conv2.output_shape(), 2);
  cnn.add(pool2);
  cnn.add(nn::Dense<float>(pool2.output_shape().size(), 10, Activation::identity));
  CHECK(pool2.output_shape() == nn::ImageShape{32, 7, 7});
  CHECK(cnn.n_parameters() == (16 * 9 + 16) + (32 * 144 + 32) + (10 * 1568 + 10));
}

TEST_CASE("a convolutional network predicts, and evaluation equals training for it",
          "[network]") {
  std::mt19937_64 rng(43);
  nn::Network<double> net = small_cnn();
  net.initialize(nn::Initializer::he(), rng);
  const arma::mat X = random_matrix(64, 5, 1.0, rng);
  const arma::mat trained = net.forward(X, nn::Mode::training);
  const arma::mat evaluated = net.forward(X, nn::Mode::evaluation);
  CHECK(arma::approx_equal(trained, evaluated, "absdiff", 0.0));
  CHECK(arma::all(net.predict(X) == arma::uvec(arma::index_max(trained, 0).t())));
}
