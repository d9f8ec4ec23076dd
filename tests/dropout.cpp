// Tests for common/dropout.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "common/dropout.hpp"
#include "common/gradient_check.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

using nn::Mode;

using nn::test::kStandardDeviations;
using nn::test::random_matrix;

static nn::Dropout<double> seeded_layer(arma::uword n, double p, std::uint64_t seed) {
  nn::Dropout<double> layer(n, p);
  std::mt19937_64 rng(seed);
  layer.initialize(nn::Initializer::he(), rng);
  return layer;
}

TEST_CASE("dropout in evaluation mode passes its input and its gradient through unchanged",
          "[dropout]") {
  std::mt19937_64 rng(1);
  nn::Dropout<double> layer = seeded_layer(6, 0.5, 2);
  const arma::mat X = random_matrix(6, 9, 1.0, rng);
  const arma::mat dA = random_matrix(6, 9, 1.0, rng);
  layer.forward(X, Mode::training);  // a mask exists, but evaluation must not use it
  CHECK(arma::approx_equal(layer.forward(X, Mode::evaluation), X, "absdiff", 0.0));
  CHECK(arma::approx_equal(layer.backward(dA), dA, "absdiff", 0.0));
}

TEST_CASE("the training mask holds only 0 and 1/(1-p), a share p of it 0", "[dropout]") {
  const double p = GENERATE(0.0, 0.1, 0.5, 0.8);
  CAPTURE(p);
  const arma::uword n = 400, m = 250;  // N = 100,000 draws
  nn::Dropout<double> layer = seeded_layer(n, p, 3);
  const arma::mat X(n, m, arma::fill::ones);
  const arma::mat& A = layer.forward(X, Mode::training);
  const arma::mat& M = layer.mask();
  REQUIRE(M.n_rows == n);
  REQUIRE(M.n_cols == m);
  const double kept = 1.0 / (1.0 - p);
  CHECK(arma::all(arma::vectorise((M == 0.0) + (M == kept)) == 1));
  CHECK(arma::approx_equal(A, X % M, "absdiff", 0.0));
  // The number of zeros is Binomial(N, p): mean N p, standard deviation sqrt(N p (1-p)).
  const double N = double(M.n_elem);
  const double dropped = double(arma::accu(M == 0.0)) / N;
  const double sd = std::sqrt(p * (1.0 - p) / N);
  CAPTURE(dropped, sd);
  CHECK(std::abs(dropped - p) <= kStandardDeviations * sd);
}

TEST_CASE("the float layer's kept units are scaled by 1/(1-p) rounded to float", "[dropout]") {
  nn::Dropout<float> layer(50, 0.3);
  std::mt19937_64 rng(4);
  layer.initialize(nn::Initializer::he(), rng);
  layer.forward(arma::fmat(50, 40, arma::fill::ones), Mode::training);
  const float kept = float(1.0 / 0.7);
  CHECK(arma::all(arma::vectorise((layer.mask() == 0.0f) + (layer.mask() == kept)) == 1));
}

TEST_CASE("dropout masks follow from the seed: the same seed, the same mask", "[dropout]") {
  const arma::mat X(30, 20, arma::fill::ones);
  nn::Dropout<double> a = seeded_layer(30, 0.5, 7), b = seeded_layer(30, 0.5, 7),
                      c = seeded_layer(30, 0.5, 8);
  const arma::mat Ma = a.forward(X, Mode::training), Mb = b.forward(X, Mode::training),
                  Mc = c.forward(X, Mode::training);
  CHECK(arma::approx_equal(Ma, Mb, "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(Ma, Mc, "absdiff", 0.0));
  // A new mask for every training batch.
  CHECK_FALSE(arma::approx_equal(a.forward(X, Mode::training), Ma, "absdiff", 0.0));
}

TEST_CASE("dropout masks have the same bits with every standard library", "[dropout]") {
  // std::mt19937_64's outputs are fixed by the C++ standard, and the mask is made from them
  // by integer shifts and an exact division by 2^53. These are the keep (1) and drop (0)
  // decisions of the first 32 entries for seed 2024 and p = 0.5, as any conforming
  // compiler must give them (a mask drawn through std::uniform_real_distribution could
  // differ from one standard library to the next).
  nn::Dropout<double> layer = seeded_layer(32, 0.5, 2024);
  layer.forward(arma::mat(32, 1, arma::fill::ones), Mode::training);
  std::string bits;
  for (arma::uword i = 0; i < 32; ++i) bits += layer.mask()(i) == 0.0 ? '0' : '1';
  CHECK(bits == "10001111111000010110010100101100");
  // The generator under it: the standard's own check value for std::mt19937_64.
  std::mt19937_64 reference;
  reference.discard(9999);
  CHECK(reference() == 9981545732273789042ULL);
}

TEST_CASE("on average over the mask, dropout's output equals its input", "[dropout]") {
  const double p = GENERATE(0.2, 0.5);
  CAPTURE(p);
  std::mt19937_64 rng(5);
  arma::mat X = random_matrix(400, 250, 1.0, rng);
  X += 1.0;  // a mean far from 0, so that a missing 1/(1-p) would show
  nn::Dropout<double> layer = seeded_layer(400, p, 6);
  const arma::mat& A = layer.forward(X, Mode::training);
  // mean(A) - mean(X) = (1/N) sum X_ij (M_ij - 1), a sum of independent terms with mean 0
  // and variance X_ij^2 Var(M_ij) = X_ij^2 p / (1 - p).
  const double N = double(X.n_elem);
  const double sd = std::sqrt(p / (1.0 - p) * arma::accu(arma::square(X))) / N;
  CAPTURE(arma::mean(arma::vectorise(A)), arma::mean(arma::vectorise(X)), sd);
  CHECK(std::abs(arma::mean(arma::vectorise(A)) - arma::mean(arma::vectorise(X))) <=
        kStandardDeviations * sd);
}

TEST_CASE("dropout backward multiplies dA by the mask of the forward", "[dropout]") {
  std::mt19937_64 rng(9);
  nn::Dropout<double> layer = seeded_layer(7, 0.4, 10);
  const arma::mat X = random_matrix(7, 5, 1.0, rng);
  const arma::mat dA = random_matrix(7, 5, 1.0, rng);
  layer.forward(X, Mode::training);
  const arma::mat M = layer.mask();
  CHECK(arma::approx_equal(layer.backward(dA), dA % M, "absdiff", 0.0));
  CHECK(arma::approx_equal(layer.dX(), dA % M, "absdiff", 0.0));
}

TEST_CASE("dropout backward matches central finite differences with the mask fixed",
          "[dropout]") {
  const double p = GENERATE(0.0, 0.3, 0.6);
  CAPTURE(p);
  std::mt19937_64 rng(11);
  nn::Dropout<double> layer = seeded_layer(6, p, 12);
  const arma::mat X = random_matrix(6, 4, 1.0, rng);
  // L = sum(C % A) with a fixed random C, so dL/dA = C.
  const arma::mat C = random_matrix(6, 4, 1.0, rng);
  layer.forward(X, Mode::training);
  const arma::mat dX = layer.backward(C);
  const arma::mat numeric_dX = nn::numerical_gradient(
      [&](const arma::mat& Xp) { return arma::accu(C % layer.forward_with_same_mask(Xp)); }, X);
  CHECK(nn::relative_error(dX, numeric_dX) < nn::kGradientCheckTolerance);
}

TEST_CASE("dropout rejects a bad p, bad shapes, and a backward without a forward",
          "[dropout]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(nn::Dropout<double>(5, -0.1), std::invalid_argument);
  CHECK_THROWS_AS(nn::Dropout<double>(5, 1.0), std::invalid_argument);
  CHECK_THROWS_AS(nn::Dropout<double>(5, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(nn::Dropout<double>(5, nan), std::invalid_argument);
  CHECK_THROWS_AS(nn::Dropout<double>(0, 0.5), std::invalid_argument);

  nn::Dropout<double> layer(3, 0.5);
  CHECK(layer.n_inputs() == 3);
  CHECK(layer.n_outputs() == 3);
  CHECK(layer.drop_probability() == 0.5);
  CHECK(layer.parameters("2").empty());
  CHECK_THROWS_AS(layer.backward(arma::mat(3, 4)), std::logic_error);
  CHECK_THROWS_AS(layer.forward_with_same_mask(arma::mat(3, 4)), std::logic_error);
  CHECK_THROWS_WITH(layer.forward(arma::mat(4, 5, arma::fill::ones), Mode::training),
                    Catch::Contains("X has 4 rows, the layer expects 3"));
  CHECK_THROWS_AS(layer.forward(arma::mat(4, 5), Mode::evaluation), std::invalid_argument);
  const arma::mat X(3, 5, arma::fill::ones);
  layer.forward(X, Mode::training);
  CHECK_THROWS_AS(layer.backward(arma::mat(3, 4)), std::invalid_argument);
  CHECK_THROWS_AS(layer.forward_with_same_mask(arma::mat(3, 4)), std::invalid_argument);
  CHECK_THROWS_AS(layer.forward_with_same_mask(arma::mat(2, 5)), std::invalid_argument);
  CHECK_NOTHROW(layer.backward(arma::mat(3, 5, arma::fill::ones)));
}
