// Tests for common/parameter.hpp
#include <catch2/catch.hpp>

#include "common/parameter.hpp"

TEST_CASE("a parameter list counts its scalars", "[parameter]") {
  arma::fmat W(3, 4), dW(3, 4);
  arma::fvec b(3), db(3);
  const std::vector<nn::Parameter<float>> params = {{"W1", &W, &dW, true},
                                                    {"b1", &b, &db, false}};
  CHECK(nn::count_scalars(params) == 15);
  CHECK(nn::count_scalars(std::vector<nn::Parameter<double>>{}) == 0);
}
