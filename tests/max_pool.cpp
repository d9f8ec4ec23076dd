// Tests for common/max_pool.hpp
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "common/gradient_check.hpp"
#include "common/max_pool.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

using nn::ImageShape;

using nn::test::kArgMaxMargin;
using nn::test::random_matrix;

// Two channels of a 4x4 image, row by row, and the image as a column.
static const double kChannel0[4][4] = {{1, 3, 2, 0}, {4, 2, 1, 5}, {7, 7, 0, 0}, {6, 7, 0, 0}};
static const double kChannel1[4][4] = {
    {-1, -3, 9, 9}, {-2, -4, 8, 9}, {0, 1, 2, 3}, {1, 0, 4, 4}};
static const ImageShape kImage{2, 4, 4};

static arma::mat hand_image() {
  arma::mat X(kImage.size(), 1);
  for (arma::uword r = 0; r < 4; ++r)
    for (arma::uword s = 0; s < 4; ++s) {
      X(kImage.index(r, s, 0), 0) = kChannel0[r][s];
      X(kImage.index(r, s, 1), 0) = kChannel1[r][s];
    }
  return X;
}

TEST_CASE("max pooling keeps each window's largest value and where it was", "[max_pool]") {
  nn::MaxPool<double> pool(kImage, 2);
  REQUIRE(pool.output_shape() == ImageShape{2, 2, 2});
  const arma::mat X = hand_image();
  const arma::mat& A = pool.forward(X);
  const ImageShape out = pool.output_shape();
  REQUIRE(A.n_rows == 8);
  REQUIRE(A.n_cols == 1);
  // Window (i, j) covers rows 2i, 2i + 1 and columns 2j, 2j + 1.
  //                       (i, j, c)       max  from input pixel (r, s)
  const struct {
    arma::uword i, j, c;
    double max;
    arma::uword r, s;
  } expected[] = {{0, 0, 0, 4, 1, 0},  {0, 1, 0, 5, 1, 3},
                  {1, 0, 0, 7, 2, 0},  // 7 three times: the first in row-major order
                  {1, 1, 0, 0, 2, 2},  // all 0: the window's first pixel
                  {0, 0, 1, -1, 0, 0}, {0, 1, 1, 9, 0, 2},  // 9 three times
                  {1, 0, 1, 1, 2, 1},  // 1 at (2, 1) and (3, 0): (2, 1) comes first
                  {1, 1, 1, 4, 3, 2}};
  for (const auto& e : expected) {
    CAPTURE(e.i, e.j, e.c);
    CHECK(A(out.index(e.i, e.j, e.c), 0) == e.max);
    CHECK(pool.argmax()(out.index(e.i, e.j, e.c), 0) == kImage.index(e.r, e.s, e.c));
  }
}

TEST_CASE("max pooling's gradient goes to each window's arg-max and nowhere else",
          "[max_pool]") {
  nn::MaxPool<double> pool(kImage, 2);
  const arma::mat X = arma::join_rows(hand_image(), -hand_image());
  const arma::mat& A = pool.forward(X);
  const arma::mat dA = arma::reshape(arma::regspace(1.0, 16.0), 8, 2);  // all different
  const arma::mat& dX = pool.backward(dA);
  REQUIRE(dX.n_rows == kImage.size());
  REQUIRE(dX.n_cols == 2);
  arma::mat expected(kImage.size(), 2, arma::fill::zeros);
  for (arma::uword q = 0; q < 2; ++q)
    for (arma::uword e = 0; e < A.n_rows; ++e) expected(pool.argmax()(e, q), q) = dA(e, q);
  CHECK(arma::approx_equal(dX, expected, "absdiff", 0.0));
  CHECK(arma::accu(dX != 0.0) == 16);  // one entry per window and channel
  // The tie of the first sample, 7 at (2, 0), (2, 1) and (3, 1): all to (2, 0).
  const ImageShape out = pool.output_shape();
  CHECK(dX(kImage.index(2, 0, 0), 0) == dA(out.index(1, 0, 0), 0));
  CHECK(dX(kImage.index(2, 1, 0), 0) == 0.0);
  CHECK(dX(kImage.index(3, 1, 0), 0) == 0.0);
}

// The smallest lead of a window's maximum over its runner-up, over every window and channel.
static double smallest_lead(const arma::mat& X, ImageShape in, arma::uword size) {
  double smallest = arma::datum::inf;
  for (arma::uword q = 0; q < X.n_cols; ++q)
    for (arma::uword i = 0; i < in.height / size; ++i)
      for (arma::uword j = 0; j < in.width / size; ++j)
        for (arma::uword c = 0; c < in.channels; ++c) {
          std::vector<double> window;
          for (arma::uword di = 0; di < size; ++di)
            for (arma::uword dj = 0; dj < size; ++dj)
              window.push_back(X(in.index(i * size + di, j * size + dj, c), q));
          std::sort(window.rbegin(), window.rend());
          smallest = std::min(smallest, window[0] - window[1]);
        }
  return smallest;
}

TEST_CASE("max pooling backward matches central finite differences", "[max_pool]") {
  const arma::uword size = GENERATE(2, 3);
  CAPTURE(size);
  std::mt19937_64 rng(20 + size);
  const ImageShape in{3, 2 * size, 3 * size};
  nn::MaxPool<double> pool(in, size);
  arma::mat X;
  for (int attempt = 0;; ++attempt) {
    REQUIRE(attempt < 1000);
    X = random_matrix(in.size(), 2, 1.0, rng);
    if (smallest_lead(X, in, size) > kArgMaxMargin) break;
  }
  const arma::mat R = random_matrix(pool.n_outputs(), 2, 1.0, rng);  // L = sum(R % A)
  pool.forward(X);
  const arma::mat dX = pool.backward(R);
  nn::MaxPool<double> probe = pool;
  const arma::mat numeric_dX = nn::numerical_gradient(
      [&](const arma::mat& Xp) { return arma::accu(R % probe.forward(Xp)); }, X);
  // Each entry is one entry of R or 0, so entry by entry is the right measure here.
  CHECK(nn::relative_error(dX, numeric_dX) < nn::kGradientCheckTolerance);
}

TEST_CASE("a max-pool layer has the shape its windows give and no parameters", "[max_pool]") {
  nn::MaxPool<float> pool(ImageShape{16, 28, 28}, 2);
  CHECK(pool.output_shape() == ImageShape{16, 14, 14});
  CHECK(pool.input_shape() == ImageShape{16, 28, 28});
  CHECK(pool.n_inputs() == 12544);
  CHECK(pool.n_outputs() == 3136);
  CHECK(pool.size() == 2);
  CHECK(pool.parameters("1").empty());
  std::mt19937_64 rng(1);
  pool.initialize(nn::Initializer::he(), rng);  // nothing to draw, and no error
  CHECK(nn::MaxPool<float>(ImageShape{1, 6, 9}, 3).output_shape() == ImageShape{1, 2, 3});
}

TEST_CASE("max pooling rejects windows that do not tile, wrong inputs and a backward first",
          "[max_pool]") {
  using Pool = nn::MaxPool<double>;
  CHECK_THROWS_AS(Pool(ImageShape{0, 4, 4}, 2), std::invalid_argument);
  CHECK_THROWS_AS(Pool(ImageShape{1, 0, 4}, 2), std::invalid_argument);
  CHECK_THROWS_AS(Pool(ImageShape{1, 4, 4}, 0), std::invalid_argument);
  CHECK_THROWS_WITH(Pool(ImageShape{1, 5, 4}, 2), Catch::Contains("do not tile a 5x4x1 image"));
  CHECK_THROWS_AS(Pool(ImageShape{1, 4, 6}, 4), std::invalid_argument);
  Pool pool(kImage, 2);
  CHECK_THROWS_AS(pool.backward(arma::mat(8, 1)), std::logic_error);
  CHECK_THROWS_AS(pool.compute_gradients(arma::mat(8, 1)), std::logic_error);
  CHECK_THROWS_WITH(pool.forward(arma::mat(31, 1)),
                    Catch::Contains("X has 31 rows, the layer expects 32"));
  const arma::mat X = hand_image();
  pool.forward(X);
  CHECK_THROWS_AS(pool.backward(arma::mat(8, 2)), std::invalid_argument);
  CHECK_NOTHROW(pool.backward(arma::mat(8, 1, arma::fill::ones)));
}
