// prepare.hpp: prepare a picture the way Fashion-MNIST's photos were prepared.
//
// Fashion-MNIST's README (github.com/zalandoresearch/fashion-mnist) lists the steps its
// authors applied to each product photo: trim, resize the longest edge to 28, sharpen,
// extend the shorter edge to 28 and put the image in the centre, negate the intensities,
// convert to 8-bit grey. So every item in the data set is light on a black background,
// fills the frame along its longest side, and keeps its proportions. A network trained on
// them has seen nothing else; a photo given to it must be prepared the same way.
//
// prepare_like_fashion_mnist does it in small steps, each one function below (sharpening
// is left out: it changes little at 28 x 28, and a reader's photo needs no extra edges):
//   1. estimate the background from the border pixels (their median);
//   2. invert when the background is light (the data set's items are light on black);
//   3. set the background to black (levels: the background becomes 0, white stays 255);
//   4. trim to the bounding box of the pixels brighter than kInkThreshold;
//   5. scale the longest side to 28 without distortion (area averaging);
//   6. pad the shorter side with black to 28, the item in the centre.
// A grey image of any size goes in; a 28 x 28 image comes out.
#pragma once

#include <cstddef>

#include "common/pgm.hpp"  // nn::GreyImage

namespace nn {

inline constexpr std::size_t kPreparedSide = 28;

// A pixel is ink (part of the item) when it is brighter than this, on 0..255 once the
// background is 0: about 3% of full brightness, above the grain of a plain background and
// a JPEG's ringing. Lower is better for the data set's own images, whose faint edges are
// part of the item: at 8, 4,504 of the 5,000 validation images come through step 4 to 6
// unchanged (the rest lose a faint edge and are rescaled from 27 to 28 pixels, a mean
// change of 1.6 of 255 per pixel); at 24, only 4,165.
inline constexpr int kInkThreshold = 8;

// 1. The background's grey level: the median of the pixels on the image's four edges.
//    (Shape unchanged; a single number.)
unsigned char border_background(const GreyImage& image);

// 2. Every pixel p becomes 255 - p. (Shape unchanged.)
GreyImage inverted(const GreyImage& image);

// 3. The background level goes to 0 and 255 stays 255, linearly; darker pixels clip to 0.
//    (Shape unchanged.)
GreyImage background_to_black(const GreyImage& image, unsigned char background);

// 4. The smallest rectangle holding every pixel brighter than kInkThreshold, cut out.
//    (Shape: rows x cols -> the bounding box's; an image with no ink is returned whole.)
GreyImage trimmed(const GreyImage& image);

// 5. The image scaled so that its longest side is `side` pixels and the other keeps the
//    proportion (rounded, at least 1). Each new pixel is the mean of the area of the old
//    image it covers, partly covered pixels counted by their share: a shrunk image keeps
//    every pixel's contribution, an enlarged one repeats pixels with blended edges.
//    (Shape: rows x cols -> side x round(side * cols / rows), or the other way round.)
GreyImage scaled_longest_side(const GreyImage& image, std::size_t side);

// 6. The image put in the centre of a side x side black square; an odd leftover pixel
//    goes before it (above, left), as in the data set's images. (Shape: at most
//    side x side -> side x side.)
GreyImage centred_in_square(const GreyImage& image, std::size_t side);

// Steps 1 to 6: any grey image -> 28 x 28, light item on black, as the data set's.
struct Prepared {
  GreyImage image;        // 28 x 28
  int background = 0;     // the border median of the image as read (step 1)
  bool inverted = false;  // the background was light, so the image was negated (step 2)
  std::size_t box_rows = 0, box_cols = 0;  // the trimmed item's size (step 4)
};
Prepared prepare_like_fashion_mnist(const GreyImage& image);

}  // namespace nn
