// Tests for common/gradient_check.hpp
#include <catch2/catch.hpp>

#include "common/gradient_check.hpp"

TEST_CASE("the numerical gradient of a known function is close to its derivative",
          "[gradient_check]") {
  // f(theta) = sum(theta^3): df/dtheta_i = 3 theta_i^2
  const arma::mat theta = {{-1.5, 0.3}, {2.0, 0.7}};
  const arma::mat numeric = nn::numerical_gradient(
      [](const arma::mat& t) { return arma::accu(arma::pow(t, 3)); }, theta);
  CHECK(nn::relative_error(3 * arma::square(theta), numeric) < 1e-9);
}

TEST_CASE("relative_error finds a wrong gradient", "[gradient_check]") {
  const arma::mat right = {1.0, -2.0, 0.0};
  const arma::mat wrong = {1.0, -2.0002, 0.0};
  CHECK(nn::relative_error(right, right) == 0.0);
  CHECK(nn::relative_error(right, wrong) == Approx(0.0002 / 2.0002).epsilon(1e-9));
}

TEST_CASE("tensor_relative_error measures the error against the tensor's largest entry",
          "[gradient_check]") {
  // One entry is a near-cancelled sum (1e-6): an absolute error of 1e-12 there is 1e-6 of
  // that entry, but only 1e-12 of the tensor's largest entry.
  const arma::mat analytic = {2.0, 1e-6, -1.0};
  const arma::mat numeric = {2.0, 1e-6 + 1e-12, -1.0};
  CHECK(nn::relative_error(analytic, numeric) > 1e-7);
  CHECK(nn::tensor_relative_error(analytic, numeric) == Approx(0.5e-12).epsilon(1e-3));
  CHECK(nn::tensor_relative_error(arma::mat(2, 2, arma::fill::zeros),
                                  arma::mat(2, 2, arma::fill::zeros)) == 0.0);
  CHECK_THROWS_AS(nn::tensor_relative_error(arma::vec(3), arma::vec(2)), std::invalid_argument);
}
