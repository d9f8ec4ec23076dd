// Tests for common/divergence.hpp
#include <catch2/catch.hpp>

#include <limits>

#include "common/divergence.hpp"

TEST_CASE("a finite loss goes on, and NaN or inf stops with the learning rate named",
          "[divergence]") {
  CHECK_NOTHROW(nn::stop_if_diverged(0.25, 3, 0.1));
  CHECK_NOTHROW(nn::stop_if_diverged(1e300, 3, 0.1));
  CHECK_THROWS_WITH(nn::stop_if_diverged(std::numeric_limits<double>::infinity(), 12, 50),
                    Catch::Contains("epoch 12") && Catch::Contains("infinite") &&
                        Catch::Contains("learning rate (50)"));
  CHECK_THROWS_AS(nn::stop_if_diverged(std::nan(""), 1, 10), nn::Diverged);
}
