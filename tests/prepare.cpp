// Tests for common/prepare.hpp
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "common/idx.hpp"
#include "common/photo.hpp"
#include "common/prepare.hpp"

namespace {

// A w x h image of `background` with a filled rectangle of `ink` at rows top..top+rh-1,
// columns left..left+rw-1.
nn::GreyImage rectangle(std::size_t w, std::size_t h, unsigned char background,
                        unsigned char ink, std::size_t top, std::size_t left, std::size_t rh,
                        std::size_t rw) {
  nn::GreyImage image;
  image.rows = h, image.cols = w;
  image.pixels.assign(w * h, background);
  for (std::size_t r = top; r < top + rh; ++r)
    for (std::size_t c = left; c < left + rw; ++c) image.pixels[r * w + c] = ink;
  return image;
}

// The rows and columns of the prepared image that hold ink (> kInkThreshold).
struct Box {
  std::size_t top = 28, bottom = 0, left = 28, right = 0;
};
Box ink_box(const nn::GreyImage& image) {
  Box b;
  for (std::size_t r = 0; r < image.rows; ++r)
    for (std::size_t c = 0; c < image.cols; ++c)
      if (image.pixels[r * image.cols + c] > nn::kInkThreshold)
        b.top = std::min(b.top, r), b.bottom = std::max(b.bottom, r),
        b.left = std::min(b.left, c), b.right = std::max(b.right, c);
  return b;
}

}  // namespace

TEST_CASE("a dark rectangle on white lands light on black, centred, in proportion",
          "[prepare]") {
  // 300 x 200 pixels of paper (240), a 70 x 140 rectangle of ink (30) off centre: tall,
  // 1 : 2, so 14 x 28 once prepared, in columns 7 to 20.
  const nn::Prepared p =
      nn::prepare_like_fashion_mnist(rectangle(300, 200, 240, 30, 20, 190, 140, 70));
  CHECK(p.background == 240);
  CHECK(p.inverted);
  CHECK(p.box_rows == 140);
  CHECK(p.box_cols == 70);
  REQUIRE(p.image.rows == 28);
  REQUIRE(p.image.cols == 28);
  const Box b = ink_box(p.image);
  CHECK(b.top == 0);
  CHECK(b.bottom == 27);
  CHECK(b.left == 7);
  CHECK(b.right == 20);
  // The ink is full brightness (the levels step maps the paper to 0 and 30 to 255 - 30
  // = 225 stretched to 255 * 210 / 240 = 223), the rest black.
  CHECK(int(p.image.pixels[14 * 28 + 14]) == 223);
  CHECK(int(p.image.pixels[14 * 28 + 3]) == 0);
}

TEST_CASE("a light item on black is not inverted, and a wide one is centred vertically",
          "[prepare]") {
  // 100 x 60, a 90 x 30 bar of 200 on 0: 3 : 1 wide, so 28 x 9, in rows 10 to 18 (the
  // odd leftover pixel goes above).
  const nn::Prepared p =
      nn::prepare_like_fashion_mnist(rectangle(100, 60, 0, 200, 15, 5, 30, 90));
  CHECK_FALSE(p.inverted);
  const Box b = ink_box(p.image);
  CHECK(b.left == 0);
  CHECK(b.right == 27);
  CHECK(b.top == 10);
  CHECK(b.bottom == 18);
  CHECK(int(p.image.pixels[14 * 28 + 14]) == 200);
}

TEST_CASE("each step does what it says to the shape", "[prepare]") {
  const nn::GreyImage image = rectangle(10, 6, 250, 0, 1, 2, 3, 4);
  CHECK(nn::border_background(image) == 250);
  CHECK(nn::inverted(image).pixels[0] == 5);
  const nn::GreyImage levelled = nn::background_to_black(nn::inverted(image), 5);
  CHECK(levelled.pixels[0] == 0);
  CHECK(levelled.pixels[1 * 10 + 2] == 255);
  const nn::GreyImage cut = nn::trimmed(levelled);
  CHECK(cut.rows == 3);
  CHECK(cut.cols == 4);
  // Area averaging: 4 -> 28 columns, 3 -> 21 rows; a flat image stays flat.
  const nn::GreyImage big = nn::scaled_longest_side(cut, 28);
  CHECK(big.cols == 28);
  CHECK(big.rows == 21);
  CHECK(std::all_of(big.pixels.begin(), big.pixels.end(), [](auto v) { return v == 255; }));
  // Shrinking 4 pixels 0, 100, 200, 40 to 2 averages pairs: 50 and 120.
  nn::GreyImage row;
  row.rows = 1, row.cols = 4, row.pixels = {0, 100, 200, 40};
  CHECK(nn::scaled_longest_side(row, 2).pixels == std::vector<unsigned char>{50, 120});
  const nn::GreyImage square = nn::centred_in_square(big, 28);
  CHECK(square.rows == 28);
  CHECK(square.pixels[3 * 28] == 0);     // row 3: above the 21 rows (4 above, 3 below)
  CHECK(square.pixels[4 * 28] == 255);   // row 4: the first of them
  CHECK(square.pixels[24 * 28] == 255);  // row 24: the last
  CHECK(square.pixels[25 * 28] == 0);
  // An image with no ink is not trimmed, and an empty page stays black.
  const nn::GreyImage blank = rectangle(5, 5, 0, 0, 0, 0, 0, 0);
  CHECK(nn::trimmed(blank).rows == 5);
  const nn::Prepared white =
      nn::prepare_like_fashion_mnist(rectangle(40, 50, 255, 255, 0, 0, 0, 0));
  CHECK(white.inverted);
  CHECK(std::all_of(white.image.pixels.begin(), white.image.pixels.end(),
                    [](auto v) { return v == 0; }));
}

TEST_CASE("the data set's own images come through nearly unchanged", "[prepare]") {
  // Already prepared: light on black, the longest side 28, centred. Most come through
  // exactly; the rest have a faint edge (at most kInkThreshold) that trimming drops, and
  // are rescaled from 27 to 28 pixels. Measured on the 5,000 validation images: 4,504
  // unchanged, a mean absolute change of 1.6 grey levels (of 255) per pixel.
  constexpr double kUnchangedShare = 0.88;
  constexpr double kMeanLevels = 2.0;
  const nn::ImageDataset file = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train);
  std::size_t unchanged = 0, inverted = 0;
  double change = 0;
  for (arma::uword i = 55000; i < 60000; ++i) {
    nn::GreyImage image;
    image.rows = image.cols = 28;
    const arma::Col<unsigned char> column = file.images.pixels.col(i);
    image.pixels.assign(column.begin(), column.end());
    const nn::Prepared p = nn::prepare_like_fashion_mnist(image);
    unchanged += p.image.pixels == image.pixels;
    inverted += p.inverted;
    for (std::size_t k = 0; k < 784; ++k)
      change += std::abs(int(p.image.pixels[k]) - int(image.pixels[k])) / 784.0 / 5000.0;
  }
  CHECK(inverted == 0);
  CHECK(double(unchanged) / 5000 >= kUnchangedShare);
  CHECK(change <= kMeanLevels);
}

TEST_CASE("chapter 09's example photo is prepared as its text says, on any CPU", "[prepare]") {
  // chapters/09_fashion_mnist/shirt.jpg (tools/example_photo.cpp). Decoding (libjpeg-turbo's
  // exact integer IDCT, whose SIMD forms give the C form's bits) and preparing use no BLAS,
  // so these are the same on every machine; the text quotes them.
  const nn::GreyImage photo =
      nn::load_photo(std::string(NN_SOURCE_DIR) + "/chapters/09_fashion_mnist/shirt.jpg");
  CHECK(photo.cols == 120);
  CHECK(photo.rows == 100);
  const nn::Prepared p = nn::prepare_like_fashion_mnist(photo);
  CHECK(p.background == 231);
  CHECK(p.inverted);
  CHECK(p.box_cols == 76);
  CHECK(p.box_rows == 85);
}
