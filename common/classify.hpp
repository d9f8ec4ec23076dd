// classify.hpp: classify one image with a loaded network, trusting neither of them.
//
// A model file that passes every check of model_file.hpp is well formed, but its numbers
// may still be absurd: weights of 3e38 make every logit infinite, softmax then gives NaN,
// and a ranking of NaN probabilities is meaningless (Armadillo's sort_index even returns
// an empty vector). An image may have another size than the network reads. So:
//   - the image must have exactly as many pixels as the network has inputs;
//   - every parameter must be within +-kMaxPlausibleParameter (a trained network's are
//     of order 1: chapter 09's largest is below 2);
//   - the logits and probabilities must be finite numbers.
// Each failure is one ModelError (model) or DataError (image) naming the file.
#pragma once

#include <armadillo>
#include <string>
#include <vector>

#include "common/network.hpp"
#include "common/pgm.hpp"

namespace nn {

inline constexpr float kMaxPlausibleParameter = 1e4f;

struct Classification {
  arma::fvec probabilities;  // (K): softmax of the logits, sums to 1
  arma::uvec ranked;         // (K): the classes, most likely first
};

// Throws ModelError naming model_source when a parameter of net is beyond
// +-kMaxPlausibleParameter.
void check_plausible(const Network<float>& net, const std::string& model_source);

// The class probabilities of image (pixels 0..255 scaled to [0, 1], one input each) by net.
// Throws DataError when the image's size does not match the network's inputs, ModelError
// naming model_source when the network's outputs are not finite.
Classification classify(Network<float>& net, const GreyImage& image,
                        const std::string& image_source, const std::string& model_source);

}  // namespace nn
