// image_shape.hpp: the size of one image, and where each of its numbers sits in a column.
//
// A batch of images is a matrix with one sample per column, as everywhere in this project:
// X (C H W x m) for m images of H rows, W columns and C channels. A column holds its image
// pixel by pixel in row-major order, with the C channels of each pixel next to each other
// ("height, width, channels" order):
//
//   index(row, col, channel) = (row W + col) C + channel
//
// For a one-channel image (Fashion-MNIST) that is exactly chapter 09's 784-pixel column.
// The order suits convolution (convolution.hpp): the channels of a pixel are one contiguous
// run of C numbers, and a layer's matrix product writes its output directly in this layout.
//
//   const nn::ImageShape image{1, 28, 28};   // channels, height, width
//   image.size();                            // 784
//   image.index(2, 5, 0);                    // 2 * 28 + 5 = 61
//   nn::to_string(image);                    // "28x28x1"
#pragma once

#include <armadillo>
#include <string>

namespace nn {

struct ImageShape {
  arma::uword channels = 1, height = 0, width = 0;

  // The numbers in one image: its rows in a batch matrix.
  arma::uword size() const { return channels * height * width; }

  // The row of pixel (row, col), channel `channel`, in an image's column.
  arma::uword index(arma::uword row, arma::uword col, arma::uword channel) const {
    return (row * width + col) * channels + channel;
  }
};

inline bool operator==(ImageShape a, ImageShape b) {
  return a.channels == b.channels && a.height == b.height && a.width == b.width;
}
inline bool operator!=(ImageShape a, ImageShape b) { return !(a == b); }

// "28x28x1": height x width x channels, the order of the layout.
inline std::string to_string(ImageShape s) {
  return std::to_string(s.height) + "x" + std::to_string(s.width) + "x" +
         std::to_string(s.channels);
}

}  // namespace nn
