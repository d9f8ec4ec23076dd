// Tests for common/parameter.hpp
#include <catch2/catch.hpp>

#include "common/parameter.hpp"

TEST_CASE("a parameter names a value and points at it and at its gradient", "[parameter]") {
  arma::fmat W(3, 4), dW(3, 4);
  arma::fvec b(3), db(3);
  const std::vector<nn::Parameter<float>> params = {{"W1", &W, &dW, true},
                                                    {"b1", &b, &db, false}};
  CHECK(params[0].value == &W);
  CHECK(params[0].gradient == &dW);
  CHECK(params[0].is_weight);
  CHECK(params[1].value == static_cast<arma::fmat*>(&b));
  CHECK_FALSE(params[1].is_weight);
}
