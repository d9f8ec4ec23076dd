// Tests for common/metrics.hpp
#include <catch2/catch.hpp>

#include <cmath>

#include "common/metrics.hpp"

TEST_CASE("accuracy and the confusion matrix of a known set of predictions", "[metrics]") {
  // 8 samples, 3 classes.
  const arma::uvec truth = {0, 0, 0, 1, 1, 2, 2, 2};
  const arma::uvec predicted = {0, 1, 0, 1, 2, 2, 2, 0};
  CHECK(nn::accuracy(predicted, truth) == Approx(5.0 / 8.0));
  const arma::umat C = nn::confusion_matrix(truth, predicted, 3);
  REQUIRE(C.n_rows == 3);
  REQUIRE(C.n_cols == 3);
  CHECK(arma::all(C.row(0) == arma::urowvec{2, 1, 0}));  // class 0: two right, one taken for 1
  CHECK(arma::all(C.row(1) == arma::urowvec{0, 1, 1}));  // class 1: one right, one taken for 2
  CHECK(arma::all(C.row(2) == arma::urowvec{1, 0, 2}));  // class 2: two right, one taken for 0
  CHECK(arma::accu(C) == truth.n_elem);
  CHECK(nn::accuracy(C) == Approx(5.0 / 8.0));
  const arma::vec recall = nn::recall_per_class(C);
  CHECK(recall(0) == Approx(2.0 / 3.0));
  CHECK(recall(1) == Approx(0.5));
  CHECK(recall(2) == Approx(2.0 / 3.0));
}

TEST_CASE("metrics reject mismatched inputs and out-of-range labels", "[metrics]") {
  CHECK_THROWS_WITH(nn::accuracy(arma::uvec{0, 1}, arma::uvec{0}),
                    Catch::Contains("2 predictions for 1 labels"));
  CHECK_THROWS_AS(nn::accuracy(arma::uvec{}, arma::uvec{}), std::invalid_argument);
  CHECK_THROWS_WITH(nn::confusion_matrix(arma::uvec{0, 3}, arma::uvec{0, 1}, 3),
                    Catch::Contains("label 3 out of range for 3 classes"));
  CHECK_THROWS_AS(nn::accuracy(arma::umat(2, 2, arma::fill::zeros)), std::invalid_argument);
  // A class with no samples has no recall.
  const arma::vec recall =
      nn::recall_per_class(nn::confusion_matrix(arma::uvec{0}, arma::uvec{0}, 2));
  CHECK(recall(0) == 1.0);
  CHECK(std::isnan(recall(1)));
}
