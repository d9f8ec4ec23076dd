// Tests for common/activation.hpp
#include <catch2/catch.hpp>

#include "common/activation.hpp"
#include "common/gradient_check.hpp"

using nn::Activation;

// z on a grid over [-4, 4] that avoids the kinks of step and relu at 0 by more than the
// finite-difference step, where neither function has a derivative. Beyond |z| = 4 the
// saturating functions have g' < 1e-3 while g ~ 1, and the rounding error of the finite
// difference (eps * |g| / h) is no longer small next to g'.
static arma::mat grid_without_kink() {
  arma::rowvec z = arma::linspace<arma::rowvec>(-4.0, 4.0, 81);  // step 0.1, hits 0
  z.elem(arma::find(arma::abs(z) < 1e-3)).fill(0.05);
  return z;
}

TEST_CASE("every activation derivative matches central finite differences", "[activation]") {
  const Activation g = GENERATE(Activation::identity, Activation::step, Activation::sigmoid,
                                Activation::tanh, Activation::relu);
  CAPTURE(nn::to_string(g));
  const arma::mat Z = grid_without_kink();
  const arma::mat analytic = nn::activation_derivative(g, Z);
  // g acts element by element, so each z is checked as its own scalar function (summing
  // all outputs into one f would add the rounding error of the whole sum to each one).
  arma::mat numeric(arma::size(Z));
  for (arma::uword i = 0; i < Z.n_elem; ++i)
    numeric(i) = nn::numerical_gradient(
        [g](const arma::mat& z) { return nn::activate(g, z)(0); }, arma::mat{Z(i)})(0);
  CHECK(nn::relative_error(analytic, numeric) < nn::kGradientCheckTolerance);
}

TEST_CASE("scalar and element-wise forms agree", "[activation]") {
  const arma::mat Z = arma::linspace<arma::rowvec>(-5.0, 5.0, 41);
  for (arma::uword i = 0; i < Z.n_elem; ++i) {
    const double z = Z(i);
    CAPTURE(z);
    CHECK(nn::step(Z)(i) == nn::step(z));
    CHECK(nn::sigmoid(Z)(i) == Approx(nn::sigmoid(z)).epsilon(1e-15));
    CHECK(nn::tanh(Z)(i) == Approx(nn::tanh(z)).epsilon(1e-15));
    CHECK(nn::relu(Z)(i) == nn::relu(z));
    CHECK(nn::sigmoid_derivative(Z)(i) == Approx(nn::sigmoid_derivative(z)).epsilon(1e-15));
    CHECK(nn::tanh_derivative(Z)(i) == Approx(nn::tanh_derivative(z)).epsilon(1e-15));
    CHECK(nn::relu_derivative(Z)(i) == nn::relu_derivative(z));
  }
}

TEST_CASE("activations have their textbook values", "[activation]") {
  CHECK(nn::sigmoid(0.0) == 0.5);
  CHECK(nn::sigmoid_derivative(0.0) == 0.25);
  CHECK(nn::sigmoid(-0.7) == Approx(0.3318122278318339).epsilon(1e-15));
  CHECK(nn::tanh(0.0) == 0.0);
  CHECK(nn::tanh_derivative(0.0) == 1.0);
  CHECK(nn::relu(-2.0) == 0.0);
  CHECK(nn::relu(2.5) == 2.5);
  CHECK(nn::step(0.0) == 1.0);
  CHECK(nn::step(-1e-12) == 0.0);
  // Far out, sigmoid saturates without overflowing into NaN.
  const arma::mat far = {{-800.0, 800.0}};
  CHECK(nn::sigmoid(far)(0) == 0.0);
  CHECK(nn::sigmoid(far)(1) == 1.0);
}

TEST_CASE("at the kink and the threshold, relu and step take the values their comments give",
          "[activation]") {
  // relu(0) = 0 and relu'(0) = 0 (the convention at the kink); step(0) = 1 (z >= 0 fires),
  // and step' = 0 everywhere, the threshold included. Scalar and element-wise forms alike.
  CHECK(nn::relu(0.0) == 0.0);
  CHECK(nn::relu_derivative(0.0) == 0.0);
  CHECK(nn::relu_derivative(1e-300) == 1.0);
  CHECK(nn::relu_derivative(-1e-300) == 0.0);
  CHECK(nn::step(0.0) == 1.0);
  CHECK(nn::step(-0.0) == 1.0);
  CHECK(nn::step(1e-300) == 1.0);
  CHECK(nn::step(-1e-300) == 0.0);
  CHECK(nn::step_derivative(0.0) == 0.0);
  const arma::mat Z = {{-1e-300, 0.0, 1e-300}};
  CHECK(arma::approx_equal(nn::relu(Z), arma::mat{{0.0, 0.0, 1e-300}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(nn::relu_derivative(Z), arma::mat{{0.0, 0.0, 1.0}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(nn::step(Z), arma::mat{{0.0, 1.0, 1.0}}, "absdiff", 0.0));
  CHECK(arma::approx_equal(nn::step_derivative(Z), arma::mat{{0.0, 0.0, 0.0}}, "absdiff", 0.0));
}

TEST_CASE("the element-wise forms work in float as well as double", "[activation]") {
  const arma::fmat Z = {{-1.0f, 0.0f, 2.0f}};
  const arma::fmat A = nn::activate(Activation::relu, Z);
  CHECK(A(0) == 0.0f);
  CHECK(A(2) == 2.0f);
  CHECK(nn::sigmoid(Z)(1) == 0.5f);
}

TEST_CASE("activation names round-trip and unknown names are rejected", "[activation]") {
  for (Activation g : nn::all_activations())
    CHECK(nn::activation_from_string(nn::to_string(g)) == g);
  CHECK_THROWS_WITH(nn::activation_from_string("softplus"),
                    Catch::Contains("unknown activation 'softplus'"));
}
