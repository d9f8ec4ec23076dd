// Tests for common/out_of_distribution.hpp
#include <catch2/catch.hpp>

#include <random>

#include "common/idx.hpp"
#include "common/out_of_distribution.hpp"

TEST_CASE("the familiarity check flags odd inputs and passes the validation images",
          "[out_of_distribution]") {
  const nn::ImageDataset file = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train);
  const arma::Mat<unsigned char> train = file.images.pixels.cols(0, 54999);
  const arma::Mat<unsigned char> validation = file.images.pixels.cols(55000, 59999);
  const nn::GarmentSubspace s = nn::fit_garment_subspace(train, validation);
  REQUIRE(s.U.n_rows == 784);
  REQUIRE(s.U.n_cols == nn::kPrincipalComponents);
  // Orthonormal components.
  CHECK(arma::approx_equal(s.U.t() * s.U, arma::eye<arma::fmat>(50, 50), "absdiff", 1e-4f));
  // The limits the chapter text quotes: 0.208 (measured under all four OpenBLAS kernels,
  // the same to 3 decimals) and 0.010 (half of the faintest training image's 0.019).
  CHECK(s.distance_limit == Approx(0.208).margin(0.0005));
  CHECK(s.ink_limit == Approx(0.0097).margin(0.0001));

  // At most 1% of the validation images are flagged (0.5% by the percentile, none by ink).
  constexpr double kMaxFalseAlarms = 0.01;
  const arma::fmat V = arma::conv_to<arma::fmat>::from(validation) / 255.0f;
  std::size_t flagged = 0;
  for (arma::uword i = 0; i < V.n_cols; ++i)
    flagged += nn::check_familiarity(s, V.col(i)).unlike_training();
  CHECK(double(flagged) / double(V.n_cols) <= kMaxFalseAlarms);
  CHECK(flagged == 25);  // 0.5% of 5,000: the percentile, exactly

  std::mt19937_64 rng(1);
  std::uniform_real_distribution<float> uniform(0, 1);
  arma::fvec noise(784);
  noise.imbue([&] { return uniform(rng); });
  const nn::Familiarity black = nn::check_familiarity(s, arma::fvec(784, arma::fill::zeros));
  const nn::Familiarity white = nn::check_familiarity(s, arma::fvec(784, arma::fill::ones));
  const nn::Familiarity noisy = nn::check_familiarity(s, noise);
  CHECK(black.too_empty);
  CHECK_FALSE(black.too_far);  // the lesson: an empty image is close to the sandals
  CHECK(white.too_far);
  CHECK(noisy.too_far);
  // Garments drawn dark on white (not inverted): each of the first 100 validation images.
  for (arma::uword i = 0; i < 100; ++i) {
    CAPTURE(i);
    const arma::fvec negative = 1.0f - V.col(i);
    CHECK(nn::check_familiarity(s, negative).unlike_training());
    CHECK(nn::check_familiarity(s, negative).too_far);
  }
}
