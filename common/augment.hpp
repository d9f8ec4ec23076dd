// augment.hpp: data augmentation, new training images made from old ones by small changes
// that keep the label.
//
// A shirt moved two pixels to the left is still a shirt, but to a network it is a new
// input: every pixel has changed. Training on randomly shifted copies, a new shift for every
// image every time it is drawn, teaches the network that the class does not depend on the
// exact position, which the training set alone cannot show it; the network then overfits
// less. Only the training batches are augmented, never validation or test data.
//
// The images are those of idx.hpp: one image per column, rows x cols pixels (28 x 28 for
// Fashion-MNIST), stored row by row as the IDX file stores them, so pixel (r, c) (row r
// from the top, column c from the left) is element r * cols + c of the column. (idx.cpp
// copies a file's bytes in order into the matrix, and chapter 09 draws its images with this
// same index, upright.) 0 is the background, so pixels moved in from outside are 0.
//
//   shift_image(image, dx, dy)    moved dx pixels right and dy down (negative: left, up)
//   flip_horizontal(image)        mirrored left to right: column c <-> cols - 1 - c
//   augment(X, rng, max_shift, flip)
//       in place, every column of a batch X shifted by dx, dy drawn uniformly from
//       -max_shift..max_shift, then, if flip, mirrored with probability 1/2.
//
// Which Fashion-MNIST classes may be flipped? A mirrored item keeps its class in all ten,
// but a flip only helps if the mirrored image is one the network could meet. Tops,
// trousers, dresses, coats and shirts are left-right symmetric up to details (a print, a
// zip, a pocket), and bags are photographed turned either way, so their mirror images look
// like other items of the data set. Shoes are not: looking at them, the toe points left and
// the heel, or an ankle boot's shaft, is on the right. Measured by which end of an item is
// taller (tests/augment.cpp holds these numbers), the right end is in 100.0% of the 6,000
// training ankle boots, 98.9% of the sneakers and 90.4% of the sandals; most of the other
// sandals are flat flip-flops and slides, whose height does not tell heel from toe (a
// flip-flop's toe post is its highest point), and those we looked at face left too. The
// test set is alike: 99.9%, 99.0% and 91.3%. (The same measure puts the taller end of a
// T-shirt on the right in 5.1% and on the left in 6.3%; of a bag, in 36.7% and 6.7%, the
// rest being level.) A flipped shoe faces right, as almost none the network will be asked
// about does. So flip only T-shirt/top, Trouser, Pullover, Dress, Coat, Shirt and Bag
// (labels 0, 1, 2, 3, 4, 6, 8): the labelled form of augment does that, given
// fashion_mnist_flippable().
//
// Random numbers come from the raw 64-bit outputs of std::mt19937_64, which the standard
// fixes (std::uniform_int_distribution's algorithm it does not), so the same seed gives
// the same augmented images with every compiler. A shift is rng() % (2k+1) - k: the modulo
// favours the smallest remainders by less than (2k+1) / 2^64, far below anything visible.
#pragma once

#include <armadillo>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace nn {

namespace augment_detail {

template <typename T>
void check_image(const arma::Col<T>& image, arma::uword rows, arma::uword cols,
                 const char* who) {
  if (rows == 0 || cols == 0 || image.n_elem != rows * cols)
    throw std::invalid_argument(std::string(who) + ": the image has " +
                                std::to_string(image.n_elem) + " pixels, not " +
                                std::to_string(rows) + " x " + std::to_string(cols));
}

template <typename T>
void check_batch(const arma::Mat<T>& X, int max_shift, arma::uword rows, arma::uword cols) {
  if (rows == 0 || cols == 0 || X.n_rows != rows * cols)
    throw std::invalid_argument("augment: X has " + std::to_string(X.n_rows) +
                                " rows, an image of " + std::to_string(rows) + " x " +
                                std::to_string(cols) + " pixels needs " +
                                std::to_string(rows * cols));
  if (max_shift < 0 || arma::uword(max_shift) >= rows || arma::uword(max_shift) >= cols)
    throw std::invalid_argument("augment: max_shift " + std::to_string(max_shift) +
                                " is not in 0..side-1 of the image");
}

// -k..k, each with probability 1/(2k+1) (to within 2^-64), from one raw draw.
inline int draw_shift(std::mt19937_64& rng, int k) {
  return int(rng() % std::uint64_t(2 * k + 1)) - k;
}

// true with probability 1/2, from the top bit of one raw draw.
inline bool draw_coin(std::mt19937_64& rng) { return (rng() >> 63) == 1; }

}  // namespace augment_detail

// [listing shift_image]
// The image moved dx pixels to the right and dy pixels down: pixel (r, c) of the result is
// pixel (r - dy, c - dx) of the image, or 0 (background) where that lies outside it.
// image (rows*cols), pixel (r, c) at r * cols + c; the result has the same shape.
template <typename T>
arma::Col<T> shift_image(const arma::Col<T>& image, int dx, int dy, arma::uword rows = 28,
                         arma::uword cols = 28) {
  augment_detail::check_image(image, rows, cols, "shift_image");
  arma::Col<T> shifted(image.n_elem, arma::fill::zeros);
  const long long R = static_cast<long long>(rows), C = static_cast<long long>(cols);
  for (long long r = 0; r < R; ++r)
    for (long long c = 0; c < C; ++c) {
      const long long from_r = r - dy, from_c = c - dx;
      if (from_r >= 0 && from_r < R && from_c >= 0 && from_c < C)
        shifted(arma::uword(r * C + c)) = image(arma::uword(from_r * C + from_c));
    }
  return shifted;
}
// [end shift_image]

// The image mirrored left to right: pixel (r, c) of the result is pixel (r, cols - 1 - c).
template <typename T>
arma::Col<T> flip_horizontal(const arma::Col<T>& image, arma::uword rows = 28,
                             arma::uword cols = 28) {
  augment_detail::check_image(image, rows, cols, "flip_horizontal");
  arma::Col<T> flipped(image.n_elem);
  for (arma::uword r = 0; r < rows; ++r)
    for (arma::uword c = 0; c < cols; ++c)
      flipped(r * cols + c) = image(r * cols + cols - 1 - c);
  return flipped;
}

// [listing augment]
// Every column of X (rows*cols x m), in place: shifted by dx and dy, each drawn uniformly
// from -max_shift..max_shift, then, if flip, mirrored with probability 1/2. Draws two
// numbers from rng per column (three with flip), column by column.
template <typename T>
void augment(arma::Mat<T>& X, std::mt19937_64& rng, int max_shift, bool flip,
             arma::uword rows = 28, arma::uword cols = 28) {
  augment_detail::check_batch(X, max_shift, rows, cols);
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const int dx = augment_detail::draw_shift(rng, max_shift);
    const int dy = augment_detail::draw_shift(rng, max_shift);
    const bool mirror = flip && augment_detail::draw_coin(rng);
    arma::Col<T> image = shift_image(arma::Col<T>(X.col(j)), dx, dy, rows, cols);
    if (mirror) image = flip_horizontal(image, rows, cols);
    X.col(j) = image;
  }
}
// [end augment]

// Which of Fashion-MNIST's ten classes may be mirrored (see the top of the file): all but
// Sandal (5), Sneaker (7) and Ankle boot (9), whose photos all face left.
inline std::vector<bool> fashion_mnist_flippable() {
  return {true, true, true, true, true, false, true, false, true, false};
}

// As above, but column j is mirrored (with probability 1/2) only when its class
// labels(j) is flippable: flippable[labels(j)]. Draws three numbers per column whatever
// the class, so the shifts do not depend on the labels.
template <typename T>
void augment(arma::Mat<T>& X, const arma::uvec& labels, const std::vector<bool>& flippable,
             std::mt19937_64& rng, int max_shift, arma::uword rows = 28,
             arma::uword cols = 28) {
  augment_detail::check_batch(X, max_shift, rows, cols);
  if (labels.n_elem != X.n_cols)
    throw std::invalid_argument("augment: " + std::to_string(labels.n_elem) + " labels for " +
                                std::to_string(X.n_cols) + " images");
  for (arma::uword j = 0; j < X.n_cols; ++j)
    if (labels(j) >= flippable.size())
      throw std::invalid_argument("augment: label " + std::to_string(labels(j)) +
                                  " has no entry in flippable (" +
                                  std::to_string(flippable.size()) + " classes)");
  for (arma::uword j = 0; j < X.n_cols; ++j) {
    const int dx = augment_detail::draw_shift(rng, max_shift);
    const int dy = augment_detail::draw_shift(rng, max_shift);
    const bool coin = augment_detail::draw_coin(rng);
    arma::Col<T> image = shift_image(arma::Col<T>(X.col(j)), dx, dy, rows, cols);
    if (coin && flippable[labels(j)]) image = flip_horizontal(image, rows, cols);
    X.col(j) = image;
  }
}

}  // namespace nn
