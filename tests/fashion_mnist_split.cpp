// Tests for common/fashion_mnist_split.hpp: chapter 09's split of the training file. (The
// files' checks, "holds only 100 images" and "not 28 x 28", are run through chapter 09 in
// tests/chapter_09_fashion_mnist.cpp; the real files through chapters 09, 11 and 12.)
#include <catch2/catch.hpp>

#include <string>

#include "common/fashion_mnist_split.hpp"

namespace {

// A training "file" of n images of 2 x 3 pixels in memory; image i's six pixels and its
// label all say i (modulo 256 and 10), so every image can be traced through the split.
nn::ImageDataset numbered_images(arma::uword n) {
  nn::ImageDataset file;
  file.images.rows = 2;
  file.images.cols = 3;
  file.images.pixels.set_size(6, n);
  file.labels.set_size(n);
  for (arma::uword i = 0; i < n; ++i) {
    file.images.pixels.col(i).fill(static_cast<unsigned char>(i % 256));
    file.labels(i) = i % 10;
  }
  file.class_names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  return file;
}

// Image k of a part came from image `first + k` of the file (pixels and label).
void require_images_from(const nn::ImageDataset& part, arma::uword first) {
  REQUIRE(part.images.rows == 2);
  REQUIRE(part.images.cols == 3);
  REQUIRE(part.class_names.size() == 10);
  REQUIRE(part.labels.n_elem == part.size());
  for (arma::uword k = 0; k < part.size(); ++k) {
    INFO("image " << k << " of the part");
    CHECK(part.images.pixels(5, k) == (first + k) % 256);
    CHECK(part.labels(k) == (first + k) % 10);
  }
}

}  // namespace

TEST_CASE("the split keeps the training file's last 5,000 images for validation",
          "[fashion_mnist_split]") {
  const nn::ImageDataset file = numbered_images(5300);
  nn::FashionMnistSplit d;
  SECTION("everything before them is trained on") {
    nn::split_training_file(file, 55000, d);
    CHECK(d.train.size() == 300);
    CHECK(d.validation.size() == nn::kValidationSize);
    require_images_from(d.train, 0);
    require_images_from(d.validation, 300);
  }
  SECTION("--train-limit takes the first N, and the validation set stays whole") {
    nn::split_training_file(file, 7, d);
    CHECK(d.train.size() == 7);
    CHECK(d.validation.size() == nn::kValidationSize);
    require_images_from(d.train, 0);
    require_images_from(d.validation, 300);
  }
  CHECK(d.test.size() == 0);  // the test file is another file, read only with --final
}

TEST_CASE("images_between copies images first..last with their labels, in order",
          "[fashion_mnist_split]") {
  const nn::ImageDataset file = numbered_images(40);
  const nn::ImageDataset one = nn::images_between(file, 17, 17);
  CHECK(one.size() == 1);
  require_images_from(one, 17);
  const nn::ImageDataset all = nn::images_between(file, 0, 39);
  CHECK(all.size() == 40);
  require_images_from(all, 0);
}

TEST_CASE("loading the split from a folder without the files says which file is missing",
          "[fashion_mnist_split]") {
  const std::string dir = "/nonexistent/fashion-mnist";
  CHECK_THROWS_AS(nn::load_fashion_mnist_split(dir, 55000, false), nn::DataError);
  CHECK_THROWS_WITH(nn::load_fashion_mnist_split(dir, 55000, false),
                    Catch::Contains("/nonexistent/fashion-mnist"));
}
