#include "common/architecture.hpp"

#include <catch2/catch.hpp>

TEST_CASE("an MLP's architecture is its widths", "[architecture]") {
  CHECK(nn::architecture(nn::Network<float>({784, 256, 128, 10}, nn::Activation::relu)) ==
        "784-256-128-10");
  // Batch norm and dropout keep a width: they do not show.
  nn::Network<float> net;
  net.add(nn::Dropout<float>(6, 0.1));
  net.add(nn::Dense<float>(6, 5, nn::Activation::identity));
  net.add(nn::BatchNorm<float>(5, nn::Activation::relu));
  net.add(nn::Dense<float>(5, 3, nn::Activation::identity));
  CHECK(nn::architecture(net) == "6-5-3");
  CHECK(nn::architecture(nn::Network<float>()).empty());
}

TEST_CASE("a CNN's architecture shows each image shape", "[architecture]") {
  nn::Network<float> net;
  const nn::Convolution<float> conv1(nn::ImageShape{1, 28, 28}, 16, 3, 1, nn::Activation::relu);
  net.add(conv1);
  const nn::MaxPool<float> pool1(conv1.output_shape(), 2);
  net.add(pool1);
  const nn::Convolution<float> conv2(pool1.output_shape(), 32, 3, 1, nn::Activation::relu);
  net.add(conv2);
  const nn::MaxPool<float> pool2(conv2.output_shape(), 2);
  net.add(pool2);
  net.add(nn::Dense<float>(pool2.n_outputs(), 64, nn::Activation::relu));
  net.add(nn::Dense<float>(64, 10, nn::Activation::identity));
  CHECK(nn::architecture(net) ==
        "28x28x1 > conv 3x3 > 28x28x16 > pool 2 > 14x14x16 > conv 3x3 > 14x14x32 > pool 2 > "
        "7x7x32 > 64-10");
}
