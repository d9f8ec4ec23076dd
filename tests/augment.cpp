// Tests for common/augment.hpp
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/augment.hpp"
#include "common/idx.hpp"
#include "support/tolerances.hpp"

using nn::test::kStandardDeviations;

// A 28 x 28 image whose every pixel differs: pixel (r, c) = r * 28 + c + 1 (as float).
static arma::fvec numbered_image() {
  arma::fvec image(784);
  for (arma::uword i = 0; i < 784; ++i) image(i) = float(i + 1);
  return image;
}

static float pixel(const arma::fvec& image, arma::uword r, arma::uword c) {
  return image(r * 28 + c);
}

// The (r, c) of the only non-zero pixel of an image.
static std::pair<int, int> where(const arma::fvec& image) {
  const arma::uvec on = arma::find(image != 0.0f);
  REQUIRE(on.n_elem == 1);
  return {int(on(0) / 28), int(on(0) % 28)};
}

TEST_CASE("a pixel moves dx to the right and dy down, and what leaves the image is gone",
          "[augment]") {
  arma::fvec image(784, arma::fill::zeros);
  image(5 * 28 + 7) = 200.0f;  // row 5, column 7
  CHECK(where(nn::shift_image(image, 3, -2)) == std::make_pair(3, 10));
  CHECK(where(nn::shift_image(image, -7, 22)) == std::make_pair(27, 0));
  CHECK(nn::shift_image(image, 0, 0)(5 * 28 + 7) == 200.0f);
  CHECK(arma::all(nn::shift_image(image, -8, 0) == 0.0f));  // off the left edge
  CHECK(arma::all(nn::shift_image(image, 0, 23) == 0.0f));  // off the bottom edge
}

TEST_CASE("shifting right then left keeps every column but the last, which becomes 0",
          "[augment]") {
  const arma::fvec image = numbered_image();
  const arma::fvec back = nn::shift_image(nn::shift_image(image, 1, 0), -1, 0);
  const arma::fvec up_down = nn::shift_image(nn::shift_image(image, 0, -1), 0, 1);
  for (arma::uword r = 0; r < 28; ++r)
    for (arma::uword c = 0; c < 28; ++c) {
      CAPTURE(r, c);
      CHECK(pixel(back, r, c) == (c < 27 ? pixel(image, r, c) : 0.0f));
      CHECK(pixel(up_down, r, c) == (r > 0 ? pixel(image, r, c) : 0.0f));
    }
}

TEST_CASE("a horizontal flip mirrors each row, and flipping twice changes nothing",
          "[augment]") {
  const arma::fvec image = numbered_image();
  const arma::fvec flipped = nn::flip_horizontal(image);
  CHECK(pixel(flipped, 4, 0) == pixel(image, 4, 27));
  CHECK(pixel(flipped, 4, 27) == pixel(image, 4, 0));
  CHECK(pixel(flipped, 11, 9) == pixel(image, 11, 18));
  CHECK(arma::all(nn::flip_horizontal(flipped) == image));
  // Other sizes: a 2 x 3 image.
  const arma::Col<unsigned char> small = {1, 2, 3, 4, 5, 6};  // rows (1 2 3) and (4 5 6)
  CHECK(arma::all(nn::flip_horizontal(small, 2, 3) ==
                  arma::Col<unsigned char>{3, 2, 1, 6, 5, 4}));
  CHECK(arma::all(nn::shift_image(small, 1, 1, 2, 3) ==
                  arma::Col<unsigned char>{0, 0, 0, 0, 1, 2}));
}

TEST_CASE("augment with no shift and no flip leaves the batch as it was", "[augment]") {
  std::mt19937_64 rng(1);
  arma::fmat X(784, 10, arma::fill::randu);
  const arma::fmat before = X;
  nn::augment(X, rng, 0, false);
  CHECK(arma::all(arma::vectorise(X == before)));
  arma::Mat<unsigned char> bytes =
      arma::randi<arma::Mat<unsigned char>>(784, 10, arma::distr_param(0, 255));
  const arma::Mat<unsigned char> bytes_before = bytes;
  nn::augment(bytes, rng, 0, false);
  CHECK(arma::all(arma::vectorise(bytes == bytes_before)));
}

TEST_CASE("augment gives the same images for the same seed, other images for another",
          "[augment]") {
  arma::fmat X(784, 20);
  for (arma::uword j = 0; j < X.n_cols; ++j) X.col(j) = numbered_image();
  arma::fmat a = X, b = X, c = X;
  std::mt19937_64 rng_a(5), rng_b(5), rng_c(6);
  nn::augment(a, rng_a, 2, true);
  nn::augment(b, rng_b, 2, true);
  nn::augment(c, rng_c, 2, true);
  CHECK(arma::all(arma::vectorise(a == b)));
  CHECK_FALSE(arma::all(arma::vectorise(a == c)));
}

TEST_CASE("augment draws every shift in -k..k about equally often, and flips about half",
          "[augment]") {
  // One lit pixel in the middle of each of many images: where it lands says dx, dy and
  // whether the image was flipped (a flip sends column c to 27 - c).
  const int k = 2;
  const arma::uword n = 20000;
  arma::fmat X(784, n, arma::fill::zeros);
  X.row(10 * 28 + 10).fill(1.0f);  // (10, 10): 27 - 10 = 17 is far from 10 +- 2
  std::mt19937_64 rng(7);
  nn::augment(X, rng, k, true);
  std::vector<double> dx_count(2 * k + 1, 0.0), dy_count(2 * k + 1, 0.0);
  double flips = 0;
  for (arma::uword j = 0; j < n; ++j) {
    const arma::uvec on = arma::find(X.col(j) != 0.0f);
    REQUIRE(on.n_elem == 1);
    const int r = int(on(0) / 28), c = int(on(0) % 28);
    const bool flipped = c > 13;
    const int dx = flipped ? (27 - c) - 10 : c - 10;  // the flip comes after the shift
    const int dy = r - 10;
    REQUIRE(std::abs(dx) <= k);
    REQUIRE(std::abs(dy) <= k);
    dx_count[dx + k] += 1;
    dy_count[dy + k] += 1;
    flips += flipped;
  }
  // Each count is Binomial(n, q): mean n q, standard deviation sqrt(n q (1-q)).
  const double q = 1.0 / (2 * k + 1);
  const double sd = std::sqrt(n * q * (1 - q));
  for (int i = 0; i <= 2 * k; ++i) {
    CAPTURE(i - k, dx_count[i], dy_count[i], n * q, sd);
    CHECK(std::abs(dx_count[i] - n * q) <= kStandardDeviations * sd);
    CHECK(std::abs(dy_count[i] - n * q) <= kStandardDeviations * sd);
  }
  CAPTURE(flips);
  CHECK(std::abs(flips - n / 2.0) <= kStandardDeviations * std::sqrt(n / 4.0));
}

TEST_CASE("the labelled augment flips only the classes marked flippable", "[augment]") {
  const arma::uword n = 400;
  arma::fmat X(784, n, arma::fill::zeros);
  X.row(3 * 28 + 4).fill(1.0f);  // (3, 4)
  arma::uvec labels(n);
  for (arma::uword j = 0; j < n; ++j) labels(j) = j % 10;
  std::mt19937_64 rng(8);
  nn::augment(X, labels, nn::fashion_mnist_flippable(), rng, 0);
  std::vector<int> flipped(10, 0);
  for (arma::uword j = 0; j < n; ++j) flipped[labels(j)] += X(3 * 28 + 23, j) == 1.0f;
  for (int shoe : {5, 7, 9}) CHECK(flipped[shoe] == 0);
  for (int other : {0, 1, 2, 3, 4, 6, 8}) {
    CAPTURE(other);
    CHECK(flipped[other] > 0);  // 40 images each: all unflipped has probability 2^-40
    CHECK(flipped[other] < 40);
  }
  // The shifts do not depend on the labels: the same seed shifts every column as the
  // unlabelled augment with flip does.
  arma::fmat Y(784, n, arma::fill::zeros), Z(784, n, arma::fill::zeros);
  Y.row(3 * 28 + 4).fill(1.0f);
  Z.row(3 * 28 + 4).fill(1.0f);
  const std::vector<bool> all(10, true);
  std::mt19937_64 rng_y(9), rng_z(9);
  nn::augment(Y, labels, all, rng_y, 2);
  nn::augment(Z, rng_z, 2, true);
  CHECK(arma::all(arma::vectorise(Y == Z)));
}

TEST_CASE("augment rejects images of the wrong size, a bad max_shift and missing labels",
          "[augment]") {
  std::mt19937_64 rng(1);
  arma::fmat X(784, 3, arma::fill::zeros);
  arma::fmat wrong(783, 3, arma::fill::zeros);
  CHECK_THROWS_AS(nn::augment(wrong, rng, 1, false), std::invalid_argument);
  CHECK_THROWS_AS(nn::augment(X, rng, -1, false), std::invalid_argument);
  CHECK_THROWS_AS(nn::augment(X, rng, 28, false), std::invalid_argument);
  CHECK_THROWS_AS(nn::augment(X, arma::uvec{0, 1}, nn::fashion_mnist_flippable(), rng, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(nn::augment(X, arma::uvec{0, 1, 10}, nn::fashion_mnist_flippable(), rng, 1),
                  std::invalid_argument);
  CHECK_THROWS_AS(nn::shift_image(arma::fvec(100), 1, 1), std::invalid_argument);
  CHECK_THROWS_AS(nn::flip_horizontal(arma::fvec(100)), std::invalid_argument);
}

// Which end of an item is taller: the height of a column is 28 minus the row of its first
// pixel brighter than 32 (from the top); the item spans the columns with any such pixel,
// and the mean heights of its left and right thirds are compared. More than a pixel apart
// counts as taller; otherwise the item is level.
enum class TallerEnd { left, right, level };

static TallerEnd taller_end(const nn::Images& images, arma::uword i) {
  std::vector<int> height(28, 0);
  for (arma::uword c = 0; c < 28; ++c)
    for (arma::uword r = 0; r < 28; ++r)
      if (images.pixels(r * 28 + c, i) > 32) {
        height[c] = int(28 - r);
        break;
      }
  int first = -1, last = -1;
  for (int c = 0; c < 28; ++c)
    if (height[c] > 0) {
      if (first < 0) first = c;
      last = c;
    }
  if (first < 0) return TallerEnd::level;
  const int third = std::max(1, (last - first + 1) / 3);
  double left = 0, right = 0;
  for (int t = 0; t < third; ++t) {
    left += height[first + t];
    right += height[last - t];
  }
  left /= third;
  right /= third;
  return right > left + 1   ? TallerEnd::right
         : left > right + 1 ? TallerEnd::left
                            : TallerEnd::level;
}

// The share (in %, to 0.1) of each class whose taller end is on the right, and on the left.
struct TallerEndShares {
  std::vector<double> right, left;
};

static TallerEndShares taller_end_shares(const nn::ImageDataset& data) {
  std::vector<double> right(10, 0.0), left(10, 0.0), count(10, 0.0);
  for (arma::uword i = 0; i < data.size(); ++i) {
    const arma::uword k = data.labels(i);
    const TallerEnd end = taller_end(data.images, i);
    count[k] += 1;
    right[k] += end == TallerEnd::right;
    left[k] += end == TallerEnd::left;
  }
  TallerEndShares shares;
  for (int k = 0; k < 10; ++k) {
    shares.right.push_back(std::round(1000 * right[k] / count[k]) / 10);
    shares.left.push_back(std::round(1000 * left[k] / count[k]) / 10);
  }
  return shares;
}

TEST_CASE("Fashion-MNIST's shoes face left: the numbers augment.hpp quotes", "[augment]") {
  // Labels: 0 T-shirt/top, 5 Sandal, 7 Sneaker, 8 Bag, 9 Ankle boot.
  const TallerEndShares train =
      taller_end_shares(nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train));
  CHECK(train.right[9] == 100.0);
  CHECK(train.right[7] == 98.9);
  CHECK(train.right[5] == 90.4);
  CHECK(train.right[0] == 5.1);
  CHECK(train.left[0] == 6.3);  // 375 of 6,000: 6.25, rounded up
  CHECK(train.right[8] == 36.7);
  CHECK(train.left[8] == 6.7);
  const TallerEndShares test =
      taller_end_shares(nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::test));
  CHECK(test.right[9] == 99.9);
  CHECK(test.right[7] == 99.0);
  CHECK(test.right[5] == 91.3);
}
