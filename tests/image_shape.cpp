// Tests for common/image_shape.hpp
#include <catch2/catch.hpp>

#include "common/image_shape.hpp"

TEST_CASE("an image shape counts its numbers and places them pixel by pixel", "[image_shape]") {
  const nn::ImageShape s{3, 4, 5};  // 3 channels, 4 rows, 5 columns
  CHECK(s.size() == 60);
  CHECK(s.index(0, 0, 0) == 0);
  CHECK(s.index(0, 0, 2) == 2);   // a pixel's channels are next to each other
  CHECK(s.index(0, 1, 0) == 3);   // then the next pixel of the row
  CHECK(s.index(1, 0, 0) == 15);  // then the next row: 5 pixels of 3 channels further
  CHECK(s.index(3, 4, 2) == 59);  // the last number
  // Walking rows, then columns, then channels visits 0, 1, ..., size - 1 in order.
  arma::uword expected = 0;
  for (arma::uword r = 0; r < s.height; ++r)
    for (arma::uword c = 0; c < s.width; ++c)
      for (arma::uword ch = 0; ch < s.channels; ++ch) {
        CAPTURE(r, c, ch);
        CHECK(s.index(r, c, ch) == expected++);
      }
}

TEST_CASE("a one-channel 28x28 image is chapter 09's 784-pixel column", "[image_shape]") {
  const nn::ImageShape image{1, 28, 28};
  CHECK(image.size() == 784);
  CHECK(image.index(2, 5, 0) == 2 * 28 + 5);
  CHECK(nn::to_string(image) == "28x28x1");
}

TEST_CASE("image shapes compare by channels, height and width", "[image_shape]") {
  const nn::ImageShape a{16, 14, 14};
  CHECK(a == nn::ImageShape{16, 14, 14});
  CHECK(a != nn::ImageShape{14, 14, 16});
  CHECK(a != nn::ImageShape{16, 14, 7});
  CHECK(nn::to_string(nn::ImageShape{32, 7, 5}) == "7x5x32");  // height x width x channels
  CHECK(nn::ImageShape{}.size() == 0);                         // the default is empty
}
