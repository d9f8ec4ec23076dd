// Tests for common/loss.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <tuple>

#include "common/gradient_check.hpp"
#include "common/loss.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

// The finite-difference step for softmax cross-entropy: its gradient entries (P - T) / n
// can be 1e-3 of the loss (a small probability, divided by the batch size), which makes
// gradient_check.hpp's rounding term eps |f| / h 1000 times larger relative to them; the
// step that balances it against truncation (h^2) is then ~1e-4 instead of 1e-5.
constexpr double kStep = 1e-4;

// The finite-difference step for mean squared error. The loss is quadratic in each entry, so
// the central difference has no truncation error (the h^2 term is the third derivative, 0)
// and only rounding's eps |f| / h is left. With one output and m = 200 samples an entry of
// the gradient, 2 (y - t) / m, is small where y is close to t (2.5e-4 in the test below):
// at h = 1e-5 rounding alone made a relative error of 3.8e-8 there, within a factor 3 of
// the tolerance. At h = 1e-2 it is 5e-11, and a large step costs nothing here.
constexpr double kMseStep = 1e-2;

// float keeps about 7 significant digits.
constexpr double kFloatTolerance = 1e-6;

using nn::test::kRoundingTolerance;
using nn::test::random_matrix;

static arma::uvec random_labels(arma::uword n, arma::uword K, std::mt19937_64& rng) {
  arma::uvec t(n);
  for (arma::uword j = 0; j < n; ++j) t(j) = rng() % K;
  return t;
}

TEST_CASE("softmax cross-entropy's gradient matches central finite differences", "[loss]") {
  arma::uword K = 0, n = 0;
  std::tie(K, n) =
      GENERATE(table<arma::uword, arma::uword>({{2, 1}, {3, 4}, {10, 7}, {5, 16}}));
  CAPTURE(K, n);
  std::mt19937_64 rng(K * 100 + n);
  // Logits of spread 1 keep every probability above ~1e-3 (see kStep).
  const arma::mat Z = random_matrix(K, n, 1.0, rng);
  const arma::uvec t = random_labels(n, K, rng);
  arma::mat dZ;
  nn::softmax_cross_entropy(Z, t, dZ);
  const arma::mat numeric = nn::numerical_gradient(
      [&](const arma::mat& z) { return nn::softmax_cross_entropy(z, t); }, Z, kStep);
  CHECK(nn::relative_error(dZ, numeric) < nn::kGradientCheckTolerance);
  // And it is (P - T) / n, as the header says.
  const arma::mat expected = (nn::softmax(Z) - nn::one_hot(t, K)) / double(n);
  CHECK(arma::approx_equal(dZ, expected, "absdiff", kRoundingTolerance));
}

TEST_CASE("softmax cross-entropy has its textbook values", "[loss]") {
  // Equal logits: every class has probability 1/K, the loss is ln K.
  const arma::mat equal(4, 3, arma::fill::value(0.7));
  CHECK(nn::softmax_cross_entropy(equal, arma::uvec{0, 2, 3}) ==
        Approx(std::log(4.0)).epsilon(1e-14));
  // Logits (0, ln 3): probabilities (1/4, 3/4).
  const arma::mat Z = {{0.0, 0.0}, {std::log(3.0), std::log(3.0)}};
  CHECK(nn::softmax_cross_entropy(Z, arma::uvec{1, 1}) == Approx(-std::log(0.75)));
  CHECK(nn::softmax_cross_entropy(Z, arma::uvec{1, 0}) ==
        Approx(0.5 * (-std::log(0.75) - std::log(0.25))));
  const arma::mat P = nn::softmax(Z);
  CHECK(P(0, 0) == Approx(0.25));
  CHECK(P(1, 0) == Approx(0.75));
}

TEST_CASE("softmax cross-entropy stays finite for huge logits", "[loss]") {
  // e^1000 overflows a double; the log-sum-exp shift keeps every exponent <= 0.
  std::mt19937_64 rng(1);
  const arma::mat Z = random_matrix(5, 6, 1.0, rng);
  const arma::uvec t = random_labels(6, 5, rng);
  const arma::mat shifted = Z + 1000.0;
  arma::mat dZ, dZ_shifted;
  const double loss = nn::softmax_cross_entropy(Z, t, dZ);
  const double loss_shifted = nn::softmax_cross_entropy(shifted, t, dZ_shifted);
  CHECK(std::isfinite(loss_shifted));
  CHECK(loss_shifted == Approx(loss).epsilon(1e-10));  // softmax ignores a common shift
  CHECK(arma::approx_equal(dZ, dZ_shifted, "absdiff", 1e-12));
  // A confident right answer costs ~0, a confident wrong one ~ the logit gap.
  const arma::mat confident = arma::vec{1000.0, -1000.0};  // one sample, two logits
  CHECK(nn::softmax_cross_entropy(confident, arma::uvec{0}) == 0.0);
  CHECK(nn::softmax_cross_entropy(confident, arma::uvec{1}) == Approx(2000.0));
  const arma::mat P = nn::softmax(arma::mat{{800.0, -800.0}, {0.0, 0.0}});
  CHECK(P.is_finite());
  CHECK(arma::approx_equal(arma::sum(P, 0), arma::mat{{1.0, 1.0}}, "absdiff", 1e-15));
}

TEST_CASE("softmax cross-entropy works in float", "[loss]") {
  std::mt19937_64 rng(2);
  const arma::mat Z = random_matrix(10, 8, 2.0, rng);
  const arma::uvec t = random_labels(8, 10, rng);
  const arma::fmat Zf = arma::conv_to<arma::fmat>::from(Z);
  arma::mat dZ;
  arma::fmat dZf;
  const double loss = nn::softmax_cross_entropy(Z, t, dZ);
  const double loss_f = nn::softmax_cross_entropy(Zf, t, dZf);
  CHECK(loss_f == Approx(loss).epsilon(kFloatTolerance));
  CHECK(
      arma::approx_equal(arma::conv_to<arma::mat>::from(dZf), dZ, "absdiff", kFloatTolerance));
  const arma::fmat P = nn::softmax(Zf);
  CHECK(arma::approx_equal(arma::sum(P, 0), arma::fmat(1, 8, arma::fill::ones), "absdiff",
                           kFloatTolerance));
}

TEST_CASE("losses reject labels and targets that do not fit", "[loss]") {
  const arma::mat Z(3, 2, arma::fill::zeros);
  arma::mat dZ;
  CHECK_THROWS_WITH(nn::softmax_cross_entropy(Z, arma::uvec{0, 3}),
                    Catch::Contains("label 3 out of range for 3 classes"));
  CHECK_THROWS_WITH(nn::softmax_cross_entropy(Z, arma::uvec{0}, dZ),
                    Catch::Contains("1 labels for 2 samples"));
  CHECK_THROWS_AS(nn::mean_squared_error(Z, arma::mat(2, 3)), std::invalid_argument);
  CHECK_THROWS_AS(nn::binary_cross_entropy_with_logits(Z, arma::mat(3, 1)),
                  std::invalid_argument);
  CHECK_THROWS_AS(nn::one_hot(arma::uvec{4}, 3), std::invalid_argument);
}

TEST_CASE("one_hot puts a single 1 in each column", "[loss]") {
  const arma::mat T = nn::one_hot(arma::uvec{2, 0, 1}, 3);
  const arma::mat expected = {{0, 1, 0}, {0, 0, 1}, {1, 0, 0}};
  CHECK(arma::approx_equal(T, expected, "absdiff", 0.0));
  CHECK(nn::one_hot<float>(arma::uvec{1}, 2)(1, 0) == 1.0f);
}

TEST_CASE("mean squared error: value and gradient", "[loss]") {
  const arma::mat A = {{1.0, 2.0}, {0.5, -1.0}};
  const arma::mat T = {{0.0, 2.0}, {0.5, 1.0}};
  CHECK(nn::mean_squared_error(A, T) == Approx((1.0 + 0.0 + 0.0 + 4.0) / 4.0));
  arma::fmat dAf;
  CHECK(nn::mean_squared_error(arma::conv_to<arma::fmat>::from(A),
                               arma::conv_to<arma::fmat>::from(T), dAf) == Approx(1.25));
  CHECK(dAf(1, 1) == Approx(2.0 * -2.0 / 4.0));
}

TEST_CASE("mean squared error's gradient matches central finite differences", "[loss]") {
  // (n_out x m): several outputs, and one output for a batch of 20 and for all 200 points,
  // the shapes chapter 06's regression trains and measures with.
  arma::uword n_out = 0, m = 0;
  std::tie(n_out, m) = GENERATE(table<arma::uword, arma::uword>({{3, 5}, {1, 20}, {1, 200}}));
  CAPTURE(n_out, m);
  std::mt19937_64 rng(n_out * 1000 + m);
  const arma::mat Y = random_matrix(n_out, m, 1.0, rng), T = random_matrix(n_out, m, 1.0, rng);
  arma::mat dY;
  const double loss = nn::mean_squared_error(Y, T, dY);
  CHECK(loss == nn::mean_squared_error(Y, T));
  REQUIRE(dY.n_rows == n_out);
  REQUIRE(dY.n_cols == m);
  const arma::mat numeric = nn::numerical_gradient(
      [&](const arma::mat& y) { return nn::mean_squared_error(y, T); }, Y, kMseStep);
  CHECK(nn::relative_error(dY, numeric) < nn::kGradientCheckTolerance);
  // And it is 2 (Y - T) / (n_out m), as the header says: for one output, 2 (Y - T) / m.
  const arma::mat expected = 2.0 * (Y - T) / double(n_out * m);
  CHECK(arma::approx_equal(dY, expected, "absdiff", kRoundingTolerance));
}

TEST_CASE("binary cross-entropy from logits: value, gradient and extreme logits", "[loss]") {
  std::mt19937_64 rng(4);
  const arma::mat Z = random_matrix(2, 6, 2.0, rng);
  arma::mat T(2, 6);
  for (arma::uword k = 0; k < T.n_elem; ++k) T(k) = double(rng() % 2);
  // Against the textbook formula with p = sigmoid(z), fine for moderate logits.
  double expected = 0.0;
  for (arma::uword k = 0; k < Z.n_elem; ++k) {
    const double p = 1.0 / (1.0 + std::exp(-Z(k)));
    expected -= T(k) * std::log(p) + (1.0 - T(k)) * std::log(1.0 - p);
  }
  expected /= double(Z.n_elem);
  CHECK(nn::binary_cross_entropy_with_logits(Z, T) == Approx(expected).epsilon(1e-12));
  arma::mat dZ;
  nn::binary_cross_entropy_with_logits(Z, T, dZ);
  const arma::mat numeric = nn::numerical_gradient(
      [&](const arma::mat& z) { return nn::binary_cross_entropy_with_logits(z, T); }, Z);
  CHECK(nn::relative_error(dZ, numeric) < nn::kGradientCheckTolerance);
  // sigmoid(1000) rounds to 1 and log(1 - 1) would be -inf; from logits it is exact.
  const arma::mat far = {{1000.0, -1000.0}};
  CHECK(nn::binary_cross_entropy_with_logits(far, arma::mat{{1.0, 0.0}}) == 0.0);
  CHECK(nn::binary_cross_entropy_with_logits(far, arma::mat{{0.0, 1.0}}) == Approx(1000.0));
  arma::fmat dZf;
  nn::binary_cross_entropy_with_logits(arma::fmat(1, 1, arma::fill::zeros),
                                       arma::fmat(1, 1, arma::fill::ones), dZf);
  CHECK(dZf(0) == Approx(-0.5));
}
