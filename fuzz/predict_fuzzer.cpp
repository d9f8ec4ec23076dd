// predict_fuzzer.cpp: a libFuzzer target for prediction, chapter 09's --predict-image path:
// load a model, read a PGM image, classify the image (common/classify.hpp).
//
// An input is: 2 bytes n (little-endian), n bytes of model file (its checksum recomputed,
// see fuzz_support.hpp), then the PGM file. Every step must either succeed or throw
// nn::ModelError or nn::DataError; when classification succeeds, its answer must be a
// probability per class, finite, summing to 1, and a ranking of every class. Anything else
// is a finding. Run it with fuzz/run.sh predict.
#include <cmath>

#include "common/classify.hpp"
#include "common/model_file.hpp"
#include "common/pgm.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t n = std::min<std::size_t>(data[0] | (std::size_t{data[1]} << 8), size - 2);
  const std::string model = fuzz::with_valid_checksum(data + 2, n);
  const std::string pgm(reinterpret_cast<const char*>(data + 2 + n), size - 2 - n);
  try {
    nn::Network<float> net = nn::model_from_bytes<float>(model, "fuzz model");
    nn::check_plausible(net, "fuzz model");
    const nn::GreyImage image = nn::parse_pgm(pgm, "fuzz image");
    const nn::Classification c = nn::classify(net, image, "fuzz image", "fuzz model");
    const arma::uword K = net.layer_sizes().back();
    fuzz::check(c.probabilities.n_elem == K && c.ranked.n_elem == K);
    fuzz::check(c.probabilities.is_finite() && c.probabilities.min() >= 0);
    // float32 softmax: the sum is 1 up to rounding, about K x 2^-24 at most (4e-3 for the
    // largest K the format allows, 65,536); 1e-2 leaves room for that.
    fuzz::check(std::fabs(arma::accu(c.probabilities) - 1.0f) <= 1e-2f);
    fuzz::check(c.probabilities(c.ranked(0)) == c.probabilities.max());
  } catch (const nn::ModelError&) {
  } catch (const nn::DataError&) {
  }
  return 0;
}
