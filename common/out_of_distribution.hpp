// out_of_distribution.hpp: is an image unlike the images a network was trained on?
//
// A network's softmax always sums to 1, so it gives a confident-looking answer for any
// input, garment or not. This check looks at the image alone, not at the network:
//   1. Distance from the garment subspace. The training images are centred on their mean
//      image and their 50 principal components found (PCA: the 50 directions of pixel
//      space in which garments vary most). An image is drawn as the mean plus its best mix
//      of those 50 patterns; what is left over, as a root mean square per pixel (pixels
//      in [0, 1]), is its distance. Garments are drawn well by garment patterns; noise, a
//      white page or a garment dark on white are not. The limit is the 99.5th percentile
//      of the distances of the validation images, so 0.5% of them are flagged by
//      construction, and no image the network was trained on counts.
//   2. Ink. An empty image is close to the subspace (a sandal is mostly black), so the
//      distance alone passes it. The mean pixel of every training image is at least
//      0.019; an image with less than half the faintest training image's ink has no
//      garment in it.
// The image is flagged when either number is beyond its limit.
#pragma once

#include <armadillo>
#include <string>

namespace nn {

struct GarmentSubspace {
  arma::fvec mean;            // (784): the training images' mean, pixels in [0, 1]
  arma::fmat U;               // (784 x k): the first k principal components, columns
  double distance_limit = 0;  // the 99.5th percentile of validation images' distances
  double ink_limit = 0;       // half the smallest mean pixel of a training image
};

// The number of principal components kept, and the share of validation images the
// distance limit lets through.
inline constexpr arma::uword kPrincipalComponents = 50;
inline constexpr double kDistancePercentile = 0.995;

// The subspace of the training images (one per column, bytes 0..255) and the limits,
// the distance limit measured on the validation images.
GarmentSubspace fit_garment_subspace(const arma::Mat<unsigned char>& train,
                                     const arma::Mat<unsigned char>& validation);

// The distance of each image (a column of X, pixels in [0, 1]) from the subspace:
// ||(I - U U^T)(x - mean)|| / sqrt(784). (1 x n)
arma::frowvec distance_from_subspace(const GarmentSubspace& s, const arma::fmat& X);

// The check of one image (pixels in [0, 1], one column).
struct Familiarity {
  double distance = 0, ink = 0;  // ink: the mean pixel
  bool too_far = false, too_empty = false;
  bool unlike_training() const { return too_far || too_empty; }
};
Familiarity check_familiarity(const GarmentSubspace& s, const arma::fvec& x);

}  // namespace nn
