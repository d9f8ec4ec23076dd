// Tests for common/classify.hpp
#include <catch2/catch.hpp>

#include "common/classify.hpp"
#include "common/model_file.hpp"

using Catch::Contains;

namespace {
// 4 inputs -> 3 classes, identity: the logits are W x + b.
nn::Network<float> tiny(float w) {
  nn::Network<float> net({4, 3}, nn::Activation::identity);
  net.layer(0).W.fill(0);
  net.layer(0).W(1, 2) = w;  // class 1 grows with pixel 2
  net.layer(0).b = {0.5f, 0, 0};
  return net;
}
nn::GreyImage image(std::size_t rows, std::size_t cols, unsigned char value) {
  return {rows, cols, std::vector<unsigned char>(rows * cols, value)};
}
}  // namespace

TEST_CASE("classify ranks the classes by the softmax of the logits", "[classify]") {
  nn::Network<float> net = tiny(2);
  const nn::Classification c = nn::classify(net, image(2, 2, 255), "img", "m.nnm");
  // logits (0.5, 2, 0): softmax by hand.
  const double e0 = std::exp(0.5), e1 = std::exp(2.0), e2 = 1.0, sum = e0 + e1 + e2;
  CHECK(c.ranked(0) == 1);
  CHECK(c.ranked(1) == 0);
  CHECK(c.ranked(2) == 2);
  // float32 arithmetic: within a few float ulps of the double result.
  CHECK(c.probabilities(1) == Approx(e1 / sum).epsilon(1e-6));
  CHECK(c.probabilities(0) == Approx(e0 / sum).epsilon(1e-6));
}

TEST_CASE("an image of another size than the network's inputs is refused", "[classify]") {
  // Issue 16: a 20 x 20 data set made prediction read 784 bytes from a 400-byte column.
  nn::Network<float> net = tiny(1);
  CHECK_THROWS_AS(nn::classify(net, image(3, 2, 0), "img", "m.nnm"), nn::DataError);
  CHECK_THROWS_WITH(nn::classify(net, image(3, 2, 0), "img", "m.nnm"),
                    Contains("2 x 3 pixels") && Contains("'m.nnm' reads 4"));
  nn::GreyImage lying = image(2, 2, 0);
  lying.pixels.pop_back();  // rows x cols says 4, the pixels are 3
  CHECK_THROWS_AS(nn::classify(net, lying, "img", "m.nnm"), nn::DataError);
}

TEST_CASE("a model whose outputs overflow is refused, naming it", "[classify]") {
  // Issue 16: weights of 3e38 made the logits inf and softmax NaN; sort_index then
  // returned an empty vector and the chapter read through a null pointer.
  nn::Network<float> net = tiny(3e38f);
  net.layer(0).W(1, 3) = 3e38f;
  CHECK_THROWS_AS(nn::classify(net, image(2, 2, 255), "img", "huge.nnm"), nn::ModelError);
  CHECK_THROWS_WITH(nn::classify(net, image(2, 2, 255), "img", "huge.nnm"),
                    Contains("'huge.nnm'") && Contains("not finite"));
}

TEST_CASE("a model with absurdly large parameters is refused before it is used", "[classify]") {
  CHECK_NOTHROW(nn::check_plausible(tiny(nn::kMaxPlausibleParameter), "ok.nnm"));
  CHECK_THROWS_WITH(nn::check_plausible(tiny(2 * nn::kMaxPlausibleParameter), "big.nnm"),
                    Contains("'big.nnm'") && Contains("layer 1"));
  CHECK_THROWS_AS(nn::check_plausible(tiny(-3e38f), "big.nnm"), nn::ModelError);
}
