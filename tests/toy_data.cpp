// Tests for common/toy_data.hpp
#include <catch2/catch.hpp>

#include <cmath>

#include "common/toy_data.hpp"

TEST_CASE("the logic gates are their truth tables", "[toy_data]") {
  const nn::Dataset a = nn::logic_gate(nn::Gate::AND), o = nn::logic_gate(nn::Gate::OR),
                    x = nn::logic_gate(nn::Gate::XOR);
  REQUIRE(a.X.n_rows == 2);
  REQUIRE(a.X.n_cols == 4);
  for (arma::uword i = 0; i < 4; ++i) {
    const bool p = a.X(0, i) == 1, q = a.X(1, i) == 1;
    CAPTURE(p, q);
    CHECK(a.t(i) == (p && q));
    CHECK(o.t(i) == (p || q));
    CHECK(x.t(i) == (p != q));
  }
}

TEST_CASE("every generator has the right shape, balanced classes and a seed", "[toy_data]") {
  const unsigned seed = GENERATE(1u, 2u);
  struct Case {
    std::string name;
    nn::Dataset (*make)(unsigned);
    arma::uword classes, per_class;
  };
  const std::vector<Case> cases = {
      {"blobs",
       [](unsigned s) {
         return nn::blobs(30, {{-1.0, 1.0, 0.0}, {0.0, 0.0, 2.0}}, 0.3, s);
       },
       3, 30},
      {"moons", [](unsigned s) { return nn::moons(25, 0.1, s); }, 2, 25},
      {"circles", [](unsigned s) { return nn::circles(20, 0.05, s); }, 2, 20},
      {"spiral", [](unsigned s) { return nn::spiral(40, 3, 0.2, s); }, 3, 40}};
  for (const Case& c : cases) {
    CAPTURE(c.name, seed);
    const nn::Dataset d = c.make(seed);
    CHECK(d.X.n_rows == 2);
    CHECK(d.X.n_cols == c.classes * c.per_class);
    CHECK(d.t.n_elem == d.X.n_cols);
    CHECK(d.n_classes() == c.classes);
    CHECK(d.X.is_finite());
    for (arma::uword k = 0; k < c.classes; ++k)
      CHECK(arma::accu(d.t == k) == c.per_class);  // exactly balanced
    // Same seed, same data; another seed, other data.
    CHECK(arma::approx_equal(d.X, c.make(seed).X, "absdiff", 0.0));
    CHECK_FALSE(arma::approx_equal(d.X, c.make(seed + 10).X, "absdiff", 0.0));
  }
}

TEST_CASE("blobs lie around their centres", "[toy_data]") {
  const arma::mat centres = {{-2.0, 3.0}, {1.0, -1.0}};
  const nn::Dataset d = nn::blobs(2000, centres, 0.5, 7);
  for (arma::uword k = 0; k < 2; ++k) {
    const arma::mat Xk = d.X.cols(arma::find(d.t == k));
    // The mean of 2000 samples with sd 0.5 is within 4 standard errors (0.045) of the centre.
    CHECK(arma::norm(arma::mean(Xk, 1) - centres.col(k)) < 0.05);
    CHECK(arma::stddev(Xk.row(0)) == Approx(0.5).epsilon(0.1));
  }
}

TEST_CASE("generators refuse empty data sets", "[toy_data]") {
  CHECK_THROWS_AS(nn::moons(0, 0.1, 1), std::invalid_argument);
  CHECK_THROWS_AS(nn::spiral(10, 1, 0.1, 1), std::invalid_argument);
}

TEST_CASE("noisy_sine is sin(x) plus noise of the standard deviation asked for", "[toy_data]") {
  const nn::RegressionDataset d = nn::noisy_sine(5000, -3.0, 3.0, 0.2, 11);
  REQUIRE(d.X.n_rows == 1);
  REQUIRE(d.T.n_rows == 1);
  REQUIRE(d.size() == 5000);
  REQUIRE(d.T.n_cols == 5000);
  CHECK(d.X.min() >= -3.0);
  CHECK(d.X.max() <= 3.0);
  // x uniform on [-3, 3]: its mean is within 4 standard errors (4 * 1.73 / sqrt(5000) =
  // 0.098) of 0.
  CHECK(std::abs(arma::mean(d.X.row(0))) < 0.1);
  // The noise t - sin(x): mean 0 (within 4 * 0.2 / sqrt(5000) = 0.011), sd 0.2 (within 5%).
  const arma::rowvec noise = d.T.row(0) - arma::sin(d.X.row(0));
  CHECK(std::abs(arma::mean(noise)) < 0.012);
  CHECK(arma::stddev(noise) == Approx(0.2).epsilon(0.05));
  // Same seed, same data; another seed, other data; no noise, the sine itself.
  const nn::RegressionDataset again = nn::noisy_sine(5000, -3.0, 3.0, 0.2, 11);
  CHECK(arma::approx_equal(d.X, again.X, "absdiff", 0.0));
  CHECK(arma::approx_equal(d.T, again.T, "absdiff", 0.0));
  CHECK_FALSE(
      arma::approx_equal(d.X, nn::noisy_sine(5000, -3.0, 3.0, 0.2, 12).X, "absdiff", 0.0));
  const nn::RegressionDataset clean = nn::noisy_sine(50, 0.0, 1.0, 0.0, 3);
  CHECK(arma::approx_equal(clean.T, arma::mat(arma::sin(clean.X)), "absdiff", 0.0));
  CHECK_THROWS_AS(nn::noisy_sine(0, -3.0, 3.0, 0.2, 1), std::invalid_argument);
  CHECK_THROWS_AS(nn::noisy_sine(10, 3.0, 3.0, 0.2, 1), std::invalid_argument);
  CHECK_THROWS_AS(nn::noisy_sine(10, -3.0, 3.0, -0.1, 1), std::invalid_argument);
}
