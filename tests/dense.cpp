// Tests for common/dense.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include "common/activation.hpp"
#include "common/dense.hpp"
#include "common/gradient_check.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

using nn::Activation;

// float keeps about 7 significant digits; a layer's sums of a few terms lose a little more.
constexpr double kFloatLayerTolerance = 1e-5;

using nn::test::kKinkMargin;
using nn::test::kRoundingTolerance;
using nn::test::random_matrix;

// A layer and an input whose Z stays at least kKinkMargin away from 0.
struct LayerAndInput {
  nn::Dense<double> layer;
  arma::mat X;
};

static LayerAndInput draw_layer(arma::uword n_in, arma::uword n_out, arma::uword batch,
                                Activation g, std::mt19937_64& rng) {
  for (int attempt = 0; attempt < 1000; ++attempt) {
    LayerAndInput d{nn::Dense<double>(n_in, n_out, g), random_matrix(n_in, batch, 1.0, rng)};
    d.layer.W = random_matrix(n_out, n_in, 0.5, rng);
    d.layer.b = arma::vec(random_matrix(n_out, 1, 0.5, rng));
    d.layer.forward(d.X);
    if (arma::min(arma::abs(arma::vectorise(d.layer.Z()))) > kKinkMargin) return d;
  }
  FAIL("could not draw a Z away from the kink");
  throw std::logic_error("unreachable");
}

TEST_CASE("dense backward matches central finite differences for every activation", "[dense]") {
  const Activation g = GENERATE(Activation::identity, Activation::step, Activation::sigmoid,
                                Activation::tanh, Activation::relu);
  arma::uword n_in = 0, n_out = 0, batch = 0;
  std::tie(n_in, n_out, batch) = GENERATE(table<arma::uword, arma::uword, arma::uword>(
      {{1, 1, 1}, {3, 2, 5}, {4, 7, 3}, {6, 5, 8}, {2, 3, 1}}));
  CAPTURE(nn::to_string(g), n_in, n_out, batch);
  std::mt19937_64 rng(n_in * 100 + n_out * 10 + batch);
  LayerAndInput d = draw_layer(n_in, n_out, batch, g, rng);
  nn::Dense<double>& layer = d.layer;
  const arma::mat& X = d.X;

  // L = sum(R % A) with a fixed random R, so dL/dA = R: every output gets its own weight,
  // and L is a sum of only n_out x batch terms, whose rounding stays far below 1e-7.
  const arma::mat R = random_matrix(n_out, batch, 1.0, rng);
  layer.forward(X);
  const arma::mat dX = layer.backward(R);
  const arma::mat dW = layer.dW();
  const arma::mat db = layer.db();

  nn::Dense<double> probe = layer;
  const arma::mat W0 = layer.W;
  const arma::vec b0 = layer.b;
  const arma::mat numeric_dW = nn::numerical_gradient(
      [&](const arma::mat& W) {
        probe.W = W;
        probe.b = b0;
        return arma::accu(R % probe.forward(X));
      },
      W0);
  const arma::mat numeric_db = nn::numerical_gradient(
      [&](const arma::mat& b) {
        probe.W = W0;
        probe.b = arma::vec(b);
        return arma::accu(R % probe.forward(X));
      },
      arma::mat(b0));
  const arma::mat numeric_dX = nn::numerical_gradient(
      [&](const arma::mat& Xp) {
        probe.W = W0;
        probe.b = b0;
        return arma::accu(R % probe.forward(Xp));
      },
      X);
  CHECK(nn::relative_error(dW, numeric_dW) < nn::kGradientCheckTolerance);
  CHECK(nn::relative_error(db, numeric_db) < nn::kGradientCheckTolerance);
  CHECK(nn::relative_error(dX, numeric_dX) < nn::kGradientCheckTolerance);
}

TEST_CASE("dense forward computes Z = W X + b and A = g(Z)", "[dense]") {
  const Activation g = GENERATE(Activation::identity, Activation::step, Activation::sigmoid,
                                Activation::tanh, Activation::relu);
  CAPTURE(nn::to_string(g));
  std::mt19937_64 rng(7);
  nn::Dense<double> layer(3, 4, g);
  layer.W = random_matrix(4, 3, 1.0, rng);
  layer.b = arma::vec(random_matrix(4, 1, 1.0, rng));
  const arma::mat X = random_matrix(3, 6, 1.0, rng);
  const arma::mat A = layer.forward(X);
  arma::mat Z = layer.W * X;
  Z.each_col() += layer.b;
  CHECK(arma::approx_equal(layer.Z(), Z, "absdiff", kRoundingTolerance));
  CHECK(arma::approx_equal(A, nn::activate(g, Z), "absdiff", kRoundingTolerance));
  CHECK(A.n_rows == 4);
  CHECK(A.n_cols == 6);
}

TEST_CASE("dense backward's g' from A equals activation_derivative of Z", "[dense]") {
  const Activation g = GENERATE(Activation::identity, Activation::step, Activation::sigmoid,
                                Activation::tanh, Activation::relu);
  CAPTURE(nn::to_string(g));
  std::mt19937_64 rng(11);
  nn::Dense<double> layer(5, 6, g);
  layer.W = random_matrix(6, 5, 1.0, rng);
  const arma::mat X = random_matrix(5, 9, 1.0, rng);
  layer.forward(X);
  layer.compute_gradients(arma::mat(6, 9, arma::fill::ones));  // dZ = 1 % g'(Z)
  CHECK(arma::approx_equal(layer.dZ(), nn::activation_derivative(g, layer.Z()), "absdiff",
                           kRoundingTolerance));
}

TEST_CASE("a float layer computes what a double layer computes", "[dense]") {
  std::mt19937_64 rng(3);
  nn::Dense<double> d(8, 5, Activation::tanh);
  d.initialize(nn::Initializer::xavier(), rng);
  d.b = arma::vec(random_matrix(5, 1, 0.1, rng));
  nn::Dense<float> f(8, 5, Activation::tanh);
  f.W = arma::conv_to<arma::fmat>::from(d.W);
  f.b = arma::conv_to<arma::fvec>::from(d.b);
  const arma::mat X = random_matrix(8, 4, 1.0, rng);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  const arma::mat dA = random_matrix(5, 4, 1.0, rng);
  const arma::fmat dAf = arma::conv_to<arma::fmat>::from(dA);
  d.forward(X);
  f.forward(Xf);
  const arma::mat dX = d.backward(dA);
  const arma::fmat dXf = f.backward(dAf);
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.A()), d.A(), "absdiff",
                           kFloatLayerTolerance));
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.dW()), d.dW(), "absdiff",
                           kFloatLayerTolerance));
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(dXf), dX, "absdiff",
                           kFloatLayerTolerance));
}

TEST_CASE("dense buffers are reused while the batch size stays the same", "[dense]") {
  std::mt19937_64 rng(5);
  nn::Dense<float> layer(30, 20, Activation::relu);
  layer.initialize(nn::Initializer::he(), rng);
  const arma::fmat X1(30, 16, arma::fill::randn), X2(30, 16, arma::fill::randn);
  const arma::fmat dA(20, 16, arma::fill::randn);
  layer.forward(X1);
  layer.backward(dA);
  // A = g(Z) is a new matrix from activate() at each forward (the layer reads as the math);
  // the buffers the layer fills itself keep their memory.
  const float* z = layer.Z().memptr();
  const float* dz = layer.dZ().memptr();
  const float* dw = layer.dW().memptr();
  const float* dx = layer.dX().memptr();
  layer.forward(X2);
  layer.backward(dA);
  CHECK(layer.Z().memptr() == z);
  CHECK(layer.dZ().memptr() == dz);
  CHECK(layer.dW().memptr() == dw);
  CHECK(layer.dX().memptr() == dx);
}

TEST_CASE("dense rejects wrong shapes and a backward without a forward", "[dense]") {
  nn::Dense<double> layer(3, 2, Activation::sigmoid);
  CHECK_THROWS_AS(nn::Dense<double>(0, 2, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(layer.backward(arma::mat(2, 4)), std::logic_error);
  const arma::mat X(4, 5, arma::fill::ones);
  CHECK_THROWS_WITH(layer.forward(X), Catch::Contains("X has 4 rows, the layer expects 3"));
  const arma::mat X3(3, 5, arma::fill::ones);
  layer.forward(X3);
  CHECK_THROWS_AS(layer.backward(arma::mat(2, 4)), std::invalid_argument);
  // A copy has not seen the original's input, so it cannot run backward yet.
  nn::Dense<double> copy = layer;
  CHECK_THROWS_AS(copy.backward(arma::mat(2, 5)), std::logic_error);
  CHECK_NOTHROW(layer.backward(arma::mat(2, 5, arma::fill::ones)));
}

TEST_CASE("dense initialize draws W and zeroes b, and parameters name and point at them",
          "[dense]") {
  std::mt19937_64 rng(1);
  nn::Dense<double> layer(4, 3, Activation::relu);
  layer.b.fill(1.0);
  layer.initialize(nn::Initializer::he(), rng);
  CHECK(arma::all(layer.b == 0.0));
  CHECK(arma::any(arma::vectorise(layer.W) != 0.0));
  const std::vector<nn::Parameter<double>> params = layer.parameters("2");
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "W2");
  CHECK(params[0].value == &layer.W);
  CHECK(params[0].is_weight);
  CHECK(params[1].name == "b2");
  CHECK(params[1].value == static_cast<arma::mat*>(&layer.b));
  CHECK_FALSE(params[1].is_weight);
  CHECK(params[0].gradient->n_rows == 3);  // sized before the first backward
  CHECK(params[0].gradient->n_cols == 4);
  CHECK(params[1].gradient->n_elem == 3);
}

TEST_CASE("a layer that never computed db cannot pass the gradient check", "[dense]") {
  // relative_error compares shapes first: a db left empty (never sized or computed) or of
  // the wrong shape fails the check instead of "matching" by comparing no elements.
  std::mt19937_64 rng(12);
  LayerAndInput d = draw_layer(3, 4, 5, Activation::tanh, rng);
  const arma::mat dA = random_matrix(4, 5, 1.0, rng);
  auto loss_of_b = [&](const arma::mat& b) {
    nn::Dense<double> copy = d.layer;
    copy.b = arma::vec(b);
    return arma::accu(copy.forward(d.X) % dA);  // L = sum(A % dA), so dL/dA = dA
  };
  const arma::mat numeric_db = nn::numerical_gradient(loss_of_b, d.layer.b);
  d.layer.forward(d.X);  // d was returned by value: a copied layer forgets its input
  d.layer.compute_gradients(dA);
  CHECK(nn::relative_error(d.layer.db(), numeric_db) < nn::kGradientCheckTolerance);
  CHECK_THROWS_AS(nn::relative_error(arma::vec(), numeric_db), std::invalid_argument);
  CHECK_THROWS_AS(nn::relative_error(arma::rowvec(d.layer.db().t()), numeric_db),
                  std::invalid_argument);
  // Sized but never computed (zeros, as parameters() leaves it): every entry is off by 100%.
  CHECK(nn::relative_error(arma::vec(4, arma::fill::zeros), numeric_db) == 1.0);
}
