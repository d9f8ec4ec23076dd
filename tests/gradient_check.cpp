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
