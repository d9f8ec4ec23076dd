// Tests for common/reproducible.hpp
#include <catch2/catch.hpp>

#include <armadillo>

#include "common/reproducible.hpp"

TEST_CASE("the same seed gives the same random numbers", "[reproducible]") {
  nn::make_reproducible(123);
  const arma::mat a = arma::randn(4, 3);
  nn::make_reproducible(123);
  const arma::mat b = arma::randn(4, 3);
  nn::make_reproducible(124);
  const arma::mat c = arma::randn(4, 3);
  CHECK(arma::approx_equal(a, b, "absdiff", 0.0));
  CHECK_FALSE(arma::approx_equal(a, c, "absdiff", 0.0));
}

TEST_CASE("OpenBLAS is the BLAS in use and its threads can be pinned", "[reproducible]") {
  // ./tutorial installs libopenblas-dev, which Debian makes the system BLAS.
  CHECK(nn::set_blas_threads(1));
}
