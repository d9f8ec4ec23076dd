// make_seeds.cpp: writes the seed corpus of the model, PGM, predict and photo fuzz targets.
//
//   make_seeds model|pgm|predict|photo DIR
//
// Small valid inputs and one for each fault the readers check, built with the library's
// own writer (nn::model_to_bytes), so the seeds are what the chapter itself would write,
// and, for photos, with libpng and libjpeg-turbo (PNG and JPEG, grey and colour; the
// encoders of tests/support/image_files.hpp).
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/model_file.hpp"
#include "tests/support/image_files.hpp"
#include "tests/support/model_files.hpp"

namespace {

using Seeds = std::vector<std::pair<std::string, std::string>>;

std::string model(std::vector<arma::uword> sizes, nn::Activation g, bool float64, float scale) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  auto fill = [&](auto& net) {
    for (std::size_t l = 0; l < net.n_layers(); ++l) {
      net.layer(l).W.imbue([&] { return scale * u(rng); });
      net.layer(l).b.imbue([&] { return scale * u(rng); });
    }
    return nn::model_to_bytes(net);
  };
  if (float64) {
    nn::Network<double> net(sizes, g);
    return fill(net);
  }
  nn::Network<float> net(sizes, g);
  return fill(net);
}

// A network with every kind of layer (dropout, Dense, batch norm), as chapter 11 builds.
std::string model_with_every_kind() {
  nn::Network<float> net;
  net.add(nn::Dropout<float>(4, 0.1));
  net.add(nn::Dense<float>(4, 3, nn::Activation::identity));
  net.add(nn::BatchNorm<float>(3, nn::Activation::relu));
  net.add(nn::Dropout<float>(3, 0.5));
  net.add(nn::Dense<float>(3, 2, nn::Activation::identity));
  std::mt19937_64 rng(7);
  net.initialize(nn::Initializer::he(), rng);
  return nn::model_to_bytes(net);
}

// A small CNN as chapter 12 builds one: a 4x4x1 image, convolution (2 filters 3x3,
// padding 1) -> 4x4x2, max pool 2 -> 2x2x2, dense 8 -> 2.
nn::Network<float> small_cnn() {
  nn::Network<float> net;
  const nn::Convolution<float> conv(nn::ImageShape{1, 4, 4}, 2, 3, 1, nn::Activation::relu);
  net.add(conv);
  const nn::MaxPool<float> pool(conv.output_shape(), 2);
  net.add(pool);
  net.add(nn::Dense<float>(pool.n_outputs(), 2, nn::Activation::identity));
  std::mt19937_64 rng(7);
  net.initialize(nn::Initializer::he(), rng);
  return net;
}

std::string pgm(int w, int h, bool binary) {
  std::string s = std::string(binary ? "P5" : "P2") + "\n# seed\n" + std::to_string(w) + " " +
                  std::to_string(h) + "\n255\n";
  for (int k = 0; k < w * h; ++k)
    s += binary ? std::string(1, char(k * 37)) : std::to_string((k * 37) % 256) + " ";
  return s;
}

std::string two_bytes(std::size_t n) { return {char(n & 0xFF), char(n >> 8)}; }

Seeds model_seeds() {
  const std::string small = model({4, 3, 2}, nn::Activation::relu, false, 1);
  return {{"model_float32", small},
          {"model_float64", model({3, 2}, nn::Activation::sigmoid, true, 1)},
          {"model_tanh", model({2, 5, 1}, nn::Activation::tanh, false, 0.5f)},
          {"model_every_kind", model_with_every_kind()},
          {"model_cnn", nn::model_to_bytes(small_cnn())},
          {"model_version2",
           nn::test::version2_model_bytes(nn::Network<float>({3, 4, 2}, nn::Activation::relu))},
          {"model_version1",
           nn::test::version1_model_bytes(nn::Network<float>({3, 4, 2}, nn::Activation::relu))},
          {"model_truncated", small.substr(0, small.size() - 7)},
          {"model_trailing", small + "xyz"},
          {"model_header_only", small.substr(0, 36)},
          {"model_bad_magic", "NNMODEX\n" + small.substr(8)},
          {"empty", ""}};
}

Seeds pgm_seeds() {
  const std::string p5 = pgm(4, 3, true);
  return {{"p5", p5},
          {"p2", pgm(3, 2, false)},
          {"p5_28", pgm(28, 28, true)},
          {"p5_truncated", p5.substr(0, p5.size() - 2)},
          {"p5_trailing", p5 + "zz"},
          {"p2_bad_value", "P2 2 1 255\n12 300\n"},
          {"p5_16bit", "P5 1 1 65535\n\x01\x02"},
          {"not_pgm", "P6 1 1 255\nabc"},
          {"empty", ""}};
}

// A model with 4, 6 or 784 inputs, then an image of that many pixels (or not).
Seeds predict_seeds() {
  const std::string small = model({4, 3, 2}, nn::Activation::relu, false, 1);
  const std::string six = model({6, 3}, nn::Activation::identity, false, 2);
  const std::string huge = model({4, 2}, nn::Activation::identity, false, 3e38f);
  return {{"fits_2x2", two_bytes(small.size()) + small + pgm(2, 2, true)},
          {"fits_3x2_plain", two_bytes(six.size()) + six + pgm(3, 2, false)},
          {"wrong_size", two_bytes(small.size()) + small + pgm(3, 2, true)},
          {"huge_weights", two_bytes(huge.size()) + huge + pgm(2, 2, true)},
          {"no_image", two_bytes(small.size()) + small}};
}

// w x h pixels of n channels, a smooth pattern, as PNG or JPEG.
std::string photo(bool png, int w, int h, int n) {
  std::vector<unsigned char> pixels(std::size_t(w * h * n));
  for (std::size_t k = 0; k < pixels.size(); ++k)
    pixels[k] = static_cast<unsigned char>(k * 13);
  return png ? test_images::png(w, h, n, pixels) : test_images::jpeg(w, h, n, pixels, 80);
}

Seeds photo_seeds() {
  const std::string png = photo(true, 9, 7, 1), jpeg = photo(false, 9, 7, 3);
  return {{"png_grey", png},
          {"png_grey_alpha", photo(true, 5, 4, 2)},
          {"png_rgb", photo(true, 6, 6, 3)},
          {"png_rgba", photo(true, 4, 8, 4)},
          {"jpeg_grey", photo(false, 16, 8, 1)},
          {"jpeg_rgb", jpeg},
          {"jpeg_rgba", photo(false, 8, 8, 4)},
          {"png_truncated", png.substr(0, png.size() / 2)},
          {"jpeg_truncated", jpeg.substr(0, jpeg.size() / 2)},
          {"pgm", pgm(5, 3, true)},
          {"not_an_image", "GIF89a"},
          {"empty", ""}};
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc == 3 ? argv[1] : "";
  if (which != "model" && which != "pgm" && which != "predict" && which != "photo") {
    std::fprintf(stderr, "usage: make_seeds model|pgm|predict|photo DIR\n");
    return 2;
  }
  const Seeds seeds = which == "model"   ? model_seeds()
                      : which == "pgm"   ? pgm_seeds()
                      : which == "photo" ? photo_seeds()
                                         : predict_seeds();
  for (const auto& [name, bytes] : seeds) {
    const std::string path = std::string(argv[2]) + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_seeds: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  std::printf("make_seeds: %zu %s seeds in %s\n", seeds.size(), which.c_str(), argv[2]);
  return 0;
}
