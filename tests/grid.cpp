// Tests for common/grid.hpp
#include <catch2/catch.hpp>

#include "common/grid.hpp"

TEST_CASE("grid points and reshape use the same order", "[grid]") {
  const nn::Grid g(0, 2, 10, 30, 3);  // xs = 0 1 2, ys = 10 20 30
  const arma::mat P = g.points();
  REQUIRE(P.n_rows == 2);
  REQUIRE(P.n_cols == 9);
  // Point r = i * nx + j is (xs(j), ys(i)): the second point moves along x.
  CHECK(P(0, 1) == 1.0);
  CHECK(P(1, 1) == 10.0);
  // f(x, y) = x + y evaluated at every point, reshaped: V(i, j) = xs(j) + ys(i).
  const arma::rowvec f = P.row(0) + P.row(1);
  const arma::mat V = g.reshape(f);
  REQUIRE(V.n_rows == 3);
  REQUIRE(V.n_cols == 3);
  for (arma::uword i = 0; i < 3; ++i)
    for (arma::uword j = 0; j < 3; ++j) CHECK(V(i, j) == g.xs(j) + g.ys(i));
  CHECK_THROWS_AS(g.reshape(arma::rowvec(8)), std::invalid_argument);
  CHECK_THROWS_AS(nn::Grid(0, 1, 0, 1, 1), std::invalid_argument);
}
