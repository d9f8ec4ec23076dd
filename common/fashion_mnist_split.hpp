// fashion_mnist_split.hpp: chapter 09's three sets of Fashion-MNIST images, which chapters
// 09, 11 and 12 all train, choose and test on.
//
//   training file (60,000)  ->  train       its first 55,000 (or the first --train-limit)
//                               validation  its last 5,000: settings are chosen on these
//   test file (10,000)      ->  test        read only with --final, evaluated once, at the end
//
// The split does not depend on the seed, so every run of every chapter is compared on the
// same 5,000 validation images.
//
//   const nn::FashionMnistSplit d = nn::load_fashion_mnist_split(dir, 55000, false);
//   d.train.size();  // 55,000;  d.validation.size();  // 5,000;  d.test.size();  // 0
#pragma once

#include <algorithm>
#include <armadillo>
#include <string>

#include "common/idx.hpp"

namespace nn {

// The three sets. Pixels stay bytes, a quarter of their size as floats (the training images
// are 43 MB, not 172 MB); a batch is converted to floats when it is gathered.
struct FashionMnistSplit {
  ImageDataset train;       // the first 55,000 images of the training file (or fewer)
  ImageDataset validation;  // its last 5,000
  ImageDataset test;        // the test file's 10,000 with --final; empty (unread) without
  arma::uword training_file_size = 0;  // the images in the training file: 60,000
};

// Images first..last of a data set, with their labels: a copy, in the same order.
inline ImageDataset images_between(const ImageDataset& all, arma::uword first,
                                   arma::uword last) {
  ImageDataset part;
  part.images.pixels = all.images.pixels.cols(first, last);  // (784 x last - first + 1)
  part.images.rows = all.images.rows;
  part.images.cols = all.images.cols;
  part.labels = all.labels.subvec(first, last);
  part.class_names = all.class_names;
  return part;
}

// [listing split]
// The training file's images come in random order (every class is spread through it), so
// its last 5,000 are a fair sample of all 60,000: they are the validation set, and the
// network never trains on them. The split does not depend on --seed, so runs with
// different seeds are compared on the same validation images.
constexpr arma::uword kValidationSize = 5000;

inline void split_training_file(const ImageDataset& file, arma::uword train_limit,
                                FashionMnistSplit& d) {
  const arma::uword n_train = file.size() - kValidationSize;  // 55,000
  d.train = images_between(file, 0, std::min(n_train, train_limit) - 1);
  d.validation = images_between(file, n_train, file.size() - 1);
}
// [end split]

// Loads the training file from dir (and, with final_test, the test file), checks that they
// hold 28 x 28 images and that the training file has more than the 5,000 validation
// images, then splits it. Any failure is one DataError naming what is wrong. The test file
// is read here, before training, so that a missing or damaged one stops the run at once.
inline FashionMnistSplit load_fashion_mnist_split(const std::string& dir,
                                                  arma::uword train_limit, bool final_test) {
  FashionMnistSplit d;
  const ImageDataset file = load_fashion_mnist(dir, Split::train);
  if (final_test) d.test = load_fashion_mnist(dir, Split::test);
  const bool test_fits = !final_test || (d.test.images.rows == 28 && d.test.images.cols == 28);
  if (file.images.rows != 28 || file.images.cols != 28 || !test_fits)
    throw DataError("the files in " + dir + " are not Fashion-MNIST: they hold " +
                    std::to_string(test_fits ? file.images.cols : d.test.images.cols) + " x " +
                    std::to_string(test_fits ? file.images.rows : d.test.images.rows) +
                    " images, not 28 x 28");
  if (file.size() <= kValidationSize)
    throw DataError("the training file in " + dir + " holds only " +
                    std::to_string(file.size()) + " images: training needs more than " +
                    std::to_string(kValidationSize) + " (the last " +
                    std::to_string(kValidationSize) + " are kept for validation)");
  split_training_file(file, train_limit, d);
  d.training_file_size = file.size();
  return d;
}

}  // namespace nn
