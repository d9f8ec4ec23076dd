// Tests for common/divergence.hpp
#include <catch2/catch.hpp>

#include <cmath>
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

TEST_CASE("a finite loss far above its start stops training too", "[divergence]") {
  const double start = std::log(10.0);  // softmax + cross-entropy over 10 classes
  CHECK_NOTHROW(nn::stop_if_diverged(0.3, 5, 0.001, start));
  CHECK_NOTHROW(nn::stop_if_diverged(3 * start, 5, 0.001, start));  // noisy, not diverged
  CHECK_NOTHROW(nn::stop_if_diverged(nn::kDivergenceFactor * start, 5, 0.001, start));
  // Chapter 09 with Adam at --learning-rate 100 reached 1.3e10 (issue 16).
  CHECK_THROWS_WITH(nn::stop_if_diverged(1.3e10, 3, 100, start),
                    Catch::Contains("epoch 3") && Catch::Contains("grew to 1.3e+10") &&
                        Catch::Contains("learning rate (100)"));
  CHECK_THROWS_AS(nn::stop_if_diverged(nn::kDivergenceFactor * start * 1.001, 1, 1, start),
                  nn::Diverged);
  // Without a start, only NaN and inf count: a regression loss may legitimately be 1e300.
  CHECK_NOTHROW(nn::stop_if_diverged(1e300, 3, 0.1));
}

TEST_CASE(
    "has_diverged is the same rule, for a run that should end without stopping the chapter",
    "[divergence]") {
  const double start = 0.6931;  // ln 2
  CHECK_FALSE(nn::has_diverged(0.01, start));
  CHECK_FALSE(nn::has_diverged(nn::kDivergenceFactor * start, start));
  CHECK(nn::has_diverged(nn::kDivergenceFactor * start * 1.001, start));
  CHECK(nn::has_diverged(std::nan(""), start));
  CHECK(nn::has_diverged(std::numeric_limits<double>::infinity()));
  CHECK_FALSE(nn::has_diverged(1e300));  // no start given: only NaN and inf
  // The rule and the throwing check agree on both sides of the line.
  for (const double loss : {0.5, 6.9, 6.94, 1e10}) {
    CAPTURE(loss);
    if (nn::has_diverged(loss, start))
      CHECK_THROWS_AS(nn::stop_if_diverged(loss, 1, 0.1, start), nn::Diverged);
    else
      CHECK_NOTHROW(nn::stop_if_diverged(loss, 1, 0.1, start));
  }
}

TEST_CASE("parameters that overflowed stop training with the learning rate named",
          "[divergence]") {
  CHECK_NOTHROW(nn::stop_if_parameters_diverged(true, 1, 0.1));
  CHECK_THROWS_WITH(nn::stop_if_parameters_diverged(false, 2, 1e308),
                    Catch::Contains("epoch 2") && Catch::Contains("overflowed") &&
                        Catch::Contains("learning rate (1e+308)"));
}
