#include "common/out_of_distribution.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace nn {

namespace {

// Columns first..last of bytes as floats in [0, 1].
arma::fmat as_unit(const arma::Mat<unsigned char>& bytes, arma::uword first, arma::uword last) {
  return arma::conv_to<arma::fmat>::from(bytes.cols(first, last)) / 255.0f;
}

}  // namespace

// [listing subspace]
GarmentSubspace fit_garment_subspace(const arma::Mat<unsigned char>& train,
                                     const arma::Mat<unsigned char>& validation) {
  const arma::uword n = train.n_cols, d = train.n_rows, chunk = 5000;
  GarmentSubspace s;
  // The mean image and the covariance C = E[x x^T] - mean mean^T (d x d), summed over
  // chunks of images so no float copy of the whole set is made.
  arma::fvec sum(d, arma::fill::zeros);
  arma::fmat second(d, d, arma::fill::zeros);
  float least_ink = 1;  // the smallest mean pixel of one training image
  for (arma::uword first = 0; first < n; first += chunk) {
    const arma::fmat X = as_unit(train, first, std::min(n, first + chunk) - 1);  // (d x m)
    sum += arma::sum(X, 1);
    second += X * X.t();
    least_ink = std::min(least_ink, arma::mean(X, 0).min());
  }
  s.mean = sum / float(n);
  const arma::fmat C = second / float(n) - s.mean * s.mean.t();
  arma::fvec variances;
  arma::fmat components;
  if (!arma::eig_sym(variances, components, C))  // ascending: the largest come last
    throw std::runtime_error("the principal components could not be computed");
  const arma::uword k = std::min(kPrincipalComponents, d);
  s.U = arma::fliplr(components.tail_cols(k));  // (d x k), the largest variance first
  // The limits: a percentile of the validation images' distances, half the least ink.
  const arma::frowvec distances =
      distance_from_subspace(s, as_unit(validation, 0, validation.n_cols - 1));
  s.distance_limit = double(
      arma::as_scalar(arma::quantile(distances, arma::fvec{float(kDistancePercentile)})));
  s.ink_limit = double(least_ink) / 2;
  return s;
}

arma::frowvec distance_from_subspace(const GarmentSubspace& s, const arma::fmat& X) {
  const arma::fmat D = X.each_col() - s.mean;    // (d x n): each image minus the mean
  const arma::fmat R = D - s.U * (s.U.t() * D);  // (d x n): what k components cannot draw
  return arma::sqrt(arma::sum(arma::square(R), 0) / float(X.n_rows));
}
// [end subspace]

Familiarity check_familiarity(const GarmentSubspace& s, const arma::fvec& x) {
  Familiarity f;
  f.distance = double(arma::as_scalar(distance_from_subspace(s, arma::fmat(x))));
  f.ink = double(arma::mean(x));
  f.too_far = f.distance > s.distance_limit;
  f.too_empty = f.ink < s.ink_limit;
  return f;
}

}  // namespace nn
