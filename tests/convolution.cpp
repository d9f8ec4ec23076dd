// Tests for common/convolution.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <tuple>
#include <vector>

#include "common/activation.hpp"
#include "common/convolution.hpp"
#include "common/gradient_check.hpp"
#include "support/random.hpp"
#include "support/tolerances.hpp"

using nn::Activation;
using nn::ImageShape;

using nn::test::kKinkMargin;
using nn::test::kRoundingTolerance;
using nn::test::random_matrix;

// float keeps about 7 significant digits; a convolution's sums of 9 C terms (and its dW's
// sums over every output pixel of the batch) lose a little more.
constexpr double kFloatConvolutionTolerance = 1e-5;

// ---------------------------------------------------------------------------------------
// im2col and col2im
// ---------------------------------------------------------------------------------------

// A 3x3 image of 2 channels: channel 0 of pixel (r, s) is v = 3 r + s + 1 (1 ... 9, row by
// row), channel 1 is 10 v.
static arma::mat two_channel_3x3() {
  arma::mat X(18, 1);
  for (arma::uword v = 1; v <= 9; ++v) {
    X(2 * (v - 1), 0) = double(v);
    X(2 * (v - 1) + 1, 0) = 10.0 * double(v);
  }
  return X;
}

// The expected cols of two_channel_3x3 with k = 2, from the pixels each 2x2 patch covers,
// written out by hand as the channel-0 values (0 for the padding) in the order
// (di, dj) = (0,0) (0,1) (1,0) (1,1). Each pixel v gives the two rows v, 10 v.
static arma::mat patches(const std::vector<std::vector<double>>& columns) {
  arma::mat cols(8, columns.size());
  for (arma::uword col = 0; col < columns.size(); ++col)
    for (arma::uword d = 0; d < 4; ++d) {
      cols(2 * d, col) = columns[col][d];
      cols(2 * d + 1, col) = 10.0 * columns[col][d];
    }
  return cols;
}

TEST_CASE("im2col copies each 2x2 patch of a 2-channel 3x3 image into a column",
          "[convolution]") {
  const arma::mat X = two_channel_3x3();
  const ImageShape in{2, 3, 3};
  arma::mat cols;
  SECTION("no padding: 4 patches") {
    nn::im2col(X, in, 2, 0, cols);
    const arma::mat expected = patches({{1, 2, 4, 5},    // output (0, 0)
                                        {2, 3, 5, 6},    // (0, 1)
                                        {4, 5, 7, 8},    // (1, 0)
                                        {5, 6, 8, 9}});  // (1, 1)
    CHECK(arma::approx_equal(cols, expected, "absdiff", 0.0));
  }
  SECTION("padding 1: 16 patches, zeros where they leave the image") {
    nn::im2col(X, in, 2, 1, cols);
    const arma::mat expected = patches({{0, 0, 0, 1},    // output (0, 0)
                                        {0, 0, 1, 2},    // (0, 1)
                                        {0, 0, 2, 3},    // (0, 2)
                                        {0, 0, 3, 0},    // (0, 3)
                                        {0, 1, 0, 4},    // (1, 0)
                                        {1, 2, 4, 5},    // (1, 1)
                                        {2, 3, 5, 6},    // (1, 2)
                                        {3, 0, 6, 0},    // (1, 3)
                                        {0, 4, 0, 7},    // (2, 0)
                                        {4, 5, 7, 8},    // (2, 1)
                                        {5, 6, 8, 9},    // (2, 2)
                                        {6, 0, 9, 0},    // (2, 3)
                                        {0, 7, 0, 0},    // (3, 0)
                                        {7, 8, 0, 0},    // (3, 1)
                                        {8, 9, 0, 0},    // (3, 2)
                                        {9, 0, 0, 0}});  // (3, 3)
    CHECK(arma::approx_equal(cols, expected, "absdiff", 0.0));
  }
  SECTION("a second sample's columns follow the first's") {
    const arma::mat X2 = arma::join_rows(X, -X);
    nn::im2col(X2, in, 2, 1, cols);
    REQUIRE(cols.n_cols == 32);
    arma::mat first;
    nn::im2col(X, in, 2, 1, first);
    CHECK(arma::approx_equal(cols.cols(0, 15), first, "absdiff", 0.0));
    CHECK(arma::approx_equal(cols.cols(16, 31), -first, "absdiff", 0.0));
  }
}

TEST_CASE("col2im is the adjoint of im2col: <im2col(X), D> = <X, col2im(D)>", "[convolution]") {
  arma::uword k = 0, p = 0;
  std::tie(k, p) = GENERATE(table<arma::uword, arma::uword>(
      {{1, 0}, {2, 0}, {2, 1}, {3, 0}, {3, 1}, {3, 2}, {5, 2}}));
  CAPTURE(k, p);
  std::mt19937_64 rng(k * 10 + p);
  const ImageShape in{3, 5, 6};
  const arma::uword m = 2;
  const arma::mat X = random_matrix(in.size(), m, 1.0, rng);
  arma::mat cols, back;
  nn::im2col(X, in, k, p, cols);
  const arma::mat D = random_matrix(cols.n_rows, cols.n_cols, 1.0, rng);
  nn::col2im(D, in, k, p, m, back);
  REQUIRE(back.n_rows == X.n_rows);
  REQUIRE(back.n_cols == X.n_cols);
  // Both sides sum the same products in different orders: they agree to rounding, measured
  // against the size of the terms.
  const double left = arma::accu(cols % D), right = arma::accu(X % back);
  const double scale = arma::accu(arma::abs(cols % D));
  CAPTURE(left, right, scale);
  CHECK(std::abs(left - right) <= kRoundingTolerance * scale);
}

// ---------------------------------------------------------------------------------------
// The layer's forward: a sliding dot product
// ---------------------------------------------------------------------------------------

// Z(f; i, j) = b_f + sum_{di, dj, c} W_f(di, dj, c) X(i + di - p, j + dj - p, c), written
// plainly, with the padding's zeros skipped: what the layer must compute.
static arma::mat naive_convolution(const arma::mat& X, ImageShape in, const arma::mat& W,
                                   const arma::vec& b, arma::uword k, arma::uword p) {
  const ImageShape out{W.n_rows, in.height + 2 * p - k + 1, in.width + 2 * p - k + 1};
  arma::mat Z(out.size(), X.n_cols);
  for (arma::uword q = 0; q < X.n_cols; ++q)
    for (arma::uword f = 0; f < out.channels; ++f)
      for (arma::uword i = 0; i < out.height; ++i)
        for (arma::uword j = 0; j < out.width; ++j) {
          double z = b(f);
          for (arma::uword di = 0; di < k; ++di)
            for (arma::uword dj = 0; dj < k; ++dj)
              for (arma::uword c = 0; c < in.channels; ++c) {
                const long r = long(i + di) - long(p), s = long(j + dj) - long(p);
                if (r < 0 || s < 0 || r >= long(in.height) || s >= long(in.width)) continue;
                z += W(f, (di * k + dj) * in.channels + c) *
                     X(in.index(arma::uword(r), arma::uword(s), c), q);
              }
          Z(out.index(i, j, f), q) = z;
        }
  return Z;
}

TEST_CASE("convolution forward equals the sliding dot product", "[convolution]") {
  const arma::uword p = GENERATE(0, 1);
  const Activation g = GENERATE(Activation::identity, Activation::relu, Activation::tanh);
  CAPTURE(p, nn::to_string(g));
  std::mt19937_64 rng(40 + p);
  const ImageShape in{2, 5, 6};  // not square: a mix-up of height and width shows
  nn::Convolution<double> layer(in, 3, 3, p, g);
  layer.W = random_matrix(3, 18, 1.0, rng);
  layer.b = arma::vec(random_matrix(3, 1, 1.0, rng));
  const arma::mat X = random_matrix(in.size(), 2, 1.0, rng);
  const arma::mat& A = layer.forward(X);
  const arma::mat Z = naive_convolution(X, in, layer.W, layer.b, 3, p);
  CHECK(layer.output_shape() == ImageShape{3, 5 + 2 * p - 2, 6 + 2 * p - 2});
  REQUIRE(A.n_rows == layer.n_outputs());
  REQUIRE(A.n_cols == 2);
  CHECK(arma::approx_equal(layer.Z(), Z, "absdiff", kRoundingTolerance));
  CHECK(arma::approx_equal(A, nn::activate(g, Z), "absdiff", kRoundingTolerance));
}

TEST_CASE("a convolution has the output shape and the fan-in of its sizes", "[convolution]") {
  nn::Convolution<float> same({1, 28, 28}, 16, 3, 1, Activation::relu);
  CHECK(same.output_shape() == ImageShape{16, 28, 28});  // p = (k - 1) / 2 keeps the size
  CHECK(same.n_inputs() == 784);
  CHECK(same.n_outputs() == 12544);
  CHECK(same.W.n_rows == 16);
  CHECK(same.W.n_cols == 9);
  nn::Convolution<float> valid({16, 14, 14}, 32, 5, 0, Activation::identity);
  CHECK(valid.output_shape() == ImageShape{32, 10, 10});
  CHECK(valid.input_shape() == ImageShape{16, 14, 14});
  CHECK(valid.W.n_cols == 5 * 5 * 16);
  CHECK(valid.n_filters() == 32);
  CHECK(valid.kernel_size() == 5);
  CHECK(valid.padding() == 0);
  CHECK(valid.activation() == Activation::identity);
}

// ---------------------------------------------------------------------------------------
// The backward pass, against central differences
// ---------------------------------------------------------------------------------------

TEST_CASE("convolution backward matches central finite differences", "[convolution]") {
  const arma::uword p = GENERATE(0, 1);
  const Activation g =
      GENERATE(Activation::identity, Activation::relu, Activation::tanh, Activation::sigmoid);
  CAPTURE(p, nn::to_string(g));
  std::mt19937_64 rng(50 + p);
  const ImageShape in{2, 4, 5};
  const arma::uword F = 3, k = 3, m = 2;
  nn::Convolution<double> layer(in, F, k, p, g);
  arma::mat X;
  for (int attempt = 0;; ++attempt) {  // relu: every Z at least kKinkMargin from the kink
    REQUIRE(attempt < 1000);
    layer.W = random_matrix(F, k * k * in.channels, 0.5, rng);
    layer.b = arma::vec(random_matrix(F, 1, 0.5, rng));
    X = random_matrix(in.size(), m, 1.0, rng);
    layer.forward(X);
    if (arma::min(arma::abs(arma::vectorise(layer.Z()))) > kKinkMargin) break;
  }
  // L = sum(R % A) with a fixed random R, so dL/dA = R.
  const arma::mat R = random_matrix(layer.n_outputs(), m, 1.0, rng);
  const arma::mat dX = layer.backward(R);
  const arma::mat dW = layer.dW();
  const arma::mat db = layer.db();

  nn::Convolution<double> probe = layer;
  const arma::mat W0 = layer.W;
  const arma::vec b0 = layer.b;
  auto loss = [&](const arma::mat& W, const arma::vec& b, const arma::mat& Xp) {
    probe.W = W;
    probe.b = b;
    return arma::accu(R % probe.forward(Xp));
  };
  const arma::mat numeric_dW =
      nn::numerical_gradient([&](const arma::mat& W) { return loss(W, b0, X); }, W0);
  const arma::mat numeric_db = nn::numerical_gradient(
      [&](const arma::mat& b) { return loss(W0, arma::vec(b), X); }, arma::mat(b0));
  const arma::mat numeric_dX =
      nn::numerical_gradient([&](const arma::mat& Xp) { return loss(W0, b0, Xp); }, X);
  // Every entry here is a sum over many output pixels, which can cancel to far below its
  // neighbours: compared tensor by tensor (gradient_check.hpp says why).
  CHECK(nn::tensor_relative_error(dW, numeric_dW) < nn::kGradientCheckTolerance);
  CHECK(nn::tensor_relative_error(db, numeric_db) < nn::kGradientCheckTolerance);
  CHECK(nn::tensor_relative_error(dX, numeric_dX) < nn::kGradientCheckTolerance);
}

TEST_CASE("convolution's relu loops give what activate and derivative_from_output give",
          "[convolution]") {
  std::mt19937_64 rng(60);
  const ImageShape in{3, 6, 6};
  nn::Convolution<double> layer(in, 4, 3, 1, Activation::relu);
  layer.W = random_matrix(4, 27, 1.0, rng);
  layer.b = arma::vec(random_matrix(4, 1, 1.0, rng));
  const arma::mat X = random_matrix(in.size(), 3, 1.0, rng);
  const arma::mat dA = random_matrix(layer.n_outputs(), 3, 1.0, rng);
  layer.forward(X);
  layer.compute_gradients(dA);
  CHECK(
      arma::approx_equal(layer.A(), nn::activate(Activation::relu, layer.Z()), "absdiff", 0.0));
  // db is the row sums of dZ = dA % relu'(Z), with dZ seen as (F x H'W' m).
  arma::mat dZ = dA % nn::derivative_from_output(Activation::relu, layer.A());
  dZ.reshape(4, dZ.n_elem / 4);
  CHECK(arma::approx_equal(layer.db(), arma::vec(arma::sum(dZ, 1)), "absdiff",
                           kRoundingTolerance));
}

TEST_CASE("a float convolution computes what a double one computes", "[convolution]") {
  std::mt19937_64 rng(70);
  const ImageShape in{2, 7, 6};
  nn::Convolution<double> d(in, 4, 3, 1, Activation::tanh);
  d.initialize(nn::Initializer::xavier(), rng);
  d.b = arma::vec(random_matrix(4, 1, 0.1, rng));
  nn::Convolution<float> f(in, 4, 3, 1, Activation::tanh);
  f.W = arma::conv_to<arma::fmat>::from(d.W);
  f.b = arma::conv_to<arma::fvec>::from(d.b);
  const arma::mat X = random_matrix(in.size(), 3, 1.0, rng);
  const arma::fmat Xf = arma::conv_to<arma::fmat>::from(X);
  const arma::mat dA = random_matrix(d.n_outputs(), 3, 1.0, rng);
  const arma::fmat dAf = arma::conv_to<arma::fmat>::from(dA);
  d.forward(X);
  f.forward(Xf);
  d.backward(dA);
  f.backward(dAf);
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.A()), d.A(), "absdiff",
                           kFloatConvolutionTolerance));
  // dW sums over every output pixel of the batch (entries up to ~26 here): its error is
  // measured against its largest entry.
  CHECK(nn::tensor_relative_error(arma::conv_to<arma::mat>::from(f.dW()), d.dW()) <
        kFloatConvolutionTolerance);
  CHECK(arma::approx_equal(arma::conv_to<arma::mat>::from(f.dX()), d.dX(), "absdiff",
                           kFloatConvolutionTolerance));
}

TEST_CASE("convolution buffers are reused while the batch size stays the same",
          "[convolution]") {
  std::mt19937_64 rng(80);
  nn::Convolution<float> layer({2, 8, 8}, 4, 3, 1, Activation::relu);
  layer.initialize(nn::Initializer::he(), rng);
  const arma::fmat X1(128, 16, arma::fill::randn), X2(128, 16, arma::fill::randn);
  const arma::fmat dA(layer.n_outputs(), 16, arma::fill::randn);
  layer.forward(X1);
  layer.backward(dA);
  const float* z = layer.Z().memptr();
  const float* a = layer.A().memptr();
  const float* dw = layer.dW().memptr();
  const float* dx = layer.dX().memptr();
  layer.forward(X2);
  layer.backward(dA);
  CHECK(layer.Z().memptr() == z);
  CHECK(layer.A().memptr() == a);
  CHECK(layer.dW().memptr() == dw);
  CHECK(layer.dX().memptr() == dx);
  CHECK(layer.Z().n_rows == layer.n_outputs());  // Z is read one image per column
  CHECK(layer.Z().n_cols == 16);
}

// ---------------------------------------------------------------------------------------
// Initialisation, parameters, errors
// ---------------------------------------------------------------------------------------

TEST_CASE("convolution initialize draws W with the fan-in k k C and zeroes b",
          "[convolution]") {
  std::mt19937_64 rng(90);
  nn::Convolution<double> layer({8, 10, 10}, 64, 3, 1, Activation::relu);
  layer.b.fill(1.0);
  layer.initialize(nn::Initializer::he(), rng);
  CHECK(arma::all(layer.b == 0.0));
  // He: sd = sqrt(2 / (3 * 3 * 8)) = 1/6. The standard deviation of n = 64 x 72 normal
  // draws estimates it with a relative error of sd 1 / sqrt(2n).
  const double relative_sd = 1.0 / std::sqrt(2.0 * 64 * 72);
  CHECK(arma::stddev(arma::vectorise(layer.W)) ==
        Approx(1.0 / 6.0).epsilon(nn::test::kStandardDeviations * relative_sd));
  const std::vector<nn::Parameter<double>> params = layer.parameters("1");
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "W1");
  CHECK(params[0].value == &layer.W);
  CHECK(params[0].is_weight);
  CHECK(params[1].name == "b1");
  CHECK(params[1].value == static_cast<arma::mat*>(&layer.b));
  CHECK_FALSE(params[1].is_weight);
  CHECK(params[0].gradient->n_rows == 64);  // sized before the first backward
  CHECK(params[0].gradient->n_cols == 72);
  CHECK(params[1].gradient->n_elem == 64);
}

TEST_CASE("convolution rejects impossible sizes, wrong inputs and a backward first",
          "[convolution]") {
  using Conv = nn::Convolution<double>;
  const ImageShape image{1, 5, 5};
  CHECK_THROWS_AS(Conv(ImageShape{0, 5, 5}, 2, 3, 1, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(Conv(ImageShape{1, 0, 5}, 2, 3, 1, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(Conv(ImageShape{1, 5, 0}, 2, 3, 1, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(Conv(image, 0, 3, 1, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(Conv(image, 2, 0, 0, Activation::relu), std::invalid_argument);
  CHECK_THROWS_WITH(Conv(image, 2, 7, 0, Activation::relu),
                    Catch::Contains("does not fit a 5x5x1 image"));  // k > H + 2p
  CHECK_THROWS_AS(Conv(ImageShape{1, 5, 2}, 2, 3, 0, Activation::relu), std::invalid_argument);
  CHECK_THROWS_AS(Conv(image, 2, 3, 3, Activation::relu), std::invalid_argument);  // p >= k
  CHECK_NOTHROW(Conv(image, 2, 7, 1, Activation::relu));  // 7 <= 5 + 2: one output pixel

  Conv layer(image, 2, 3, 1, Activation::relu);
  CHECK_THROWS_AS(layer.backward(arma::mat(50, 4)), std::logic_error);
  CHECK_THROWS_AS(layer.compute_gradients(arma::mat(50, 4)), std::logic_error);
  const arma::mat wrong(24, 4, arma::fill::ones);
  CHECK_THROWS_WITH(layer.forward(wrong),
                    Catch::Contains("X has 24 rows, the layer expects 25"));
  const arma::mat X(25, 4, arma::fill::ones);
  layer.forward(X);
  CHECK_THROWS_AS(layer.backward(arma::mat(50, 3)), std::invalid_argument);
  nn::Convolution<double> copy = layer;  // a copy has not seen the original's input
  CHECK_THROWS_AS(copy.backward(arma::mat(50, 4)), std::logic_error);
  CHECK_NOTHROW(layer.backward(arma::mat(50, 4, arma::fill::ones)));

  arma::mat cols, dX;
  CHECK_THROWS_AS(nn::im2col(wrong, image, 3, 1, cols), std::invalid_argument);
  CHECK_THROWS_AS(nn::col2im(arma::mat(9, 24), image, 3, 1, 1, dX), std::invalid_argument);
}
