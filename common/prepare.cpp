#include "common/prepare.hpp"

#include <armadillo>

#include <algorithm>
#include <cmath>
#include <vector>

namespace nn {

unsigned char border_background(const GreyImage& image) {
  std::vector<unsigned char> edge;
  for (std::size_t r = 0; r < image.rows; ++r)
    for (std::size_t c = 0; c < image.cols; ++c)
      if (r == 0 || c == 0 || r + 1 == image.rows || c + 1 == image.cols)
        edge.push_back(image.pixels[r * image.cols + c]);
  if (edge.empty()) return 0;
  std::nth_element(edge.begin(), edge.begin() + std::ptrdiff_t(edge.size() / 2), edge.end());
  return edge[edge.size() / 2];
}

GreyImage inverted(const GreyImage& image) {
  GreyImage out = image;
  for (unsigned char& p : out.pixels) p = static_cast<unsigned char>(255 - p);
  return out;
}

GreyImage background_to_black(const GreyImage& image, unsigned char background) {
  GreyImage out = image;
  if (background == 255) {  // nothing is brighter than the background: all black
    std::fill(out.pixels.begin(), out.pixels.end(), 0);
    return out;
  }
  const double gain = 255.0 / (255.0 - background);
  for (unsigned char& p : out.pixels)
    p = static_cast<unsigned char>(std::lround(std::max(0.0, (p - background) * gain)));
  return out;
}

GreyImage trimmed(const GreyImage& image) {
  std::size_t top = image.rows, bottom = 0, left = image.cols, right = 0;
  for (std::size_t r = 0; r < image.rows; ++r)
    for (std::size_t c = 0; c < image.cols; ++c)
      if (image.pixels[r * image.cols + c] > kInkThreshold) {
        top = std::min(top, r), bottom = std::max(bottom, r);
        left = std::min(left, c), right = std::max(right, c);
      }
  if (top > bottom) return image;  // no ink: nothing to trim to
  GreyImage out;
  out.rows = bottom - top + 1;
  out.cols = right - left + 1;
  out.pixels.reserve(out.rows * out.cols);
  for (std::size_t r = top; r <= bottom; ++r)
    for (std::size_t c = left; c <= right; ++c)
      out.pixels.push_back(image.pixels[r * image.cols + c]);
  return out;
}

namespace {

// The weights of area averaging along one axis: W(i, j) is the share of new pixel i
// (of n_new) that old pixel j (of n_old) covers, each row summing to 1. New pixel i spans
// [i, i + 1) * n_old / n_new in old pixels.
arma::mat area_weights(std::size_t n_new, std::size_t n_old) {
  arma::mat W(n_new, n_old, arma::fill::zeros);
  const double step = double(n_old) / double(n_new);
  for (std::size_t i = 0; i < n_new; ++i) {
    const double from = double(i) * step, to = double(i + 1) * step;
    for (std::size_t j = std::size_t(from); j < n_old && double(j) < to; ++j)
      W(i, j) = (std::min(to, double(j + 1)) - std::max(from, double(j))) / step;
  }
  return W;
}

}  // namespace

GreyImage scaled_longest_side(const GreyImage& image, std::size_t side) {
  const std::size_t longest = std::max(image.rows, image.cols);
  if (longest == 0 || side == 0) return image;
  auto other = [&](std::size_t n) {
    return std::max<std::size_t>(1,
                                 std::size_t(std::lround(double(side * n) / double(longest))));
  };
  GreyImage out;
  out.rows = image.rows == longest ? side : other(image.rows);
  out.cols = image.cols == longest ? side : other(image.cols);
  // A (rows x cols), one image row per matrix row; scaled: Wr A Wc^T (out.rows x out.cols).
  arma::mat A(image.rows, image.cols);
  for (std::size_t r = 0; r < image.rows; ++r)
    for (std::size_t c = 0; c < image.cols; ++c) A(r, c) = image.pixels[r * image.cols + c];
  const arma::mat S =
      area_weights(out.rows, image.rows) * A * area_weights(out.cols, image.cols).t();
  out.pixels.resize(out.rows * out.cols);
  for (std::size_t r = 0; r < out.rows; ++r)
    for (std::size_t c = 0; c < out.cols; ++c)
      out.pixels[r * out.cols + c] =
          static_cast<unsigned char>(std::clamp(std::lround(S(r, c)), 0L, 255L));
  return out;
}

GreyImage centred_in_square(const GreyImage& image, std::size_t side) {
  GreyImage out;
  out.rows = out.cols = side;
  out.pixels.assign(side * side, 0);
  const std::size_t top = (side - image.rows + 1) / 2, left = (side - image.cols + 1) / 2;
  for (std::size_t r = 0; r < image.rows; ++r)
    for (std::size_t c = 0; c < image.cols; ++c)
      out.pixels[(top + r) * side + left + c] = image.pixels[r * image.cols + c];
  return out;
}

// [listing prepare]
Prepared prepare_like_fashion_mnist(const GreyImage& image) {
  Prepared p;
  p.background = border_background(image);             // 1. one grey level
  p.inverted = p.background > 127;                     // 2. light background?
  GreyImage g = p.inverted ? inverted(image) : image;  //    light on dark now
  g = background_to_black(g, border_background(g));    // 3. background 0
  g = trimmed(g);                                      // 4. the item's box
  p.box_rows = g.rows, p.box_cols = g.cols;            //
  g = scaled_longest_side(g, kPreparedSide);           // 5. longest side 28
  p.image = centred_in_square(g, kPreparedSide);       // 6. 28 x 28, centred
  return p;
}
// [end prepare]

}  // namespace nn
