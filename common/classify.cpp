#include "common/classify.hpp"

#include <cmath>

#include "common/idx.hpp"
#include "common/loss.hpp"
#include "common/model_file.hpp"

namespace nn {

namespace {

// The largest |W| or |b| of a layer with weights; 0 for the other kinds (the loader has
// checked their values: a variance >= 0, p in range).
float largest_magnitude(const Dense<float>& x) {
  return std::max(arma::abs(x.W).max(), arma::abs(x.b).max());
}
float largest_magnitude(const Convolution<float>& x) {
  return std::max(arma::abs(x.W).max(), arma::abs(x.b).max());
}
template <typename OtherLayer>
float largest_magnitude(const OtherLayer&) {
  return 0;
}

}  // namespace

void check_plausible(const Network<float>& net, const std::string& model_source) {
  const std::vector<Layer<float>>& layers = net.all_layers();
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const float largest =
        std::visit([](const auto& x) { return largest_magnitude(x); }, layers[k]);
    if (!(largest <= kMaxPlausibleParameter))
      throw ModelError("model file '" + model_source + "': layer " + std::to_string(k + 1) +
                       " has a parameter of magnitude " + std::to_string(largest) +
                       ", beyond any trained network's (at most " +
                       std::to_string(kMaxPlausibleParameter) + "): the model is not usable");
  }
}

Classification classify(Network<float>& net, const GreyImage& image,
                        const std::string& image_source, const std::string& model_source) {
  const arma::uword inputs = net.input_size();
  if (image.pixels.size() != image.rows * image.cols || image.pixels.size() != inputs)
    throw DataError(image_source + ": " + std::to_string(image.cols) + " x " +
                    std::to_string(image.rows) + " pixels, but the network of model file '" +
                    model_source + "' reads " + std::to_string(inputs) + " (" +
                    (inputs == 784 ? "28 x 28" : "another size") + ")");
  Images one;
  one.rows = image.rows;
  one.cols = image.cols;
  one.pixels = arma::Mat<unsigned char>(image.pixels.data(), inputs, 1);  // (inputs x 1)
  arma::fmat X;
  gather_batch(one, arma::uvec{0}, X);                     // X is (inputs x 1), in [0, 1]
  const arma::fmat& Z = net.forward(X, Mode::evaluation);  // Z is (K x 1): the logits
  const arma::fmat P = softmax(Z);                         // P is (K x 1), sums to 1
  if (!Z.is_finite() || !P.is_finite())
    throw ModelError("model file '" + model_source + "': its outputs for " + image_source +
                     " are not finite numbers (inf or NaN): the model is not usable");
  Classification c;
  c.probabilities = P.col(0);
  c.ranked = arma::sort_index(c.probabilities, "descend");
  return c;
}

}  // namespace nn
