// example_photo.cpp: writes chapter 09's example photo, shirt.jpg (committed in
// chapters/09_fashion_mnist/), so that the text's "Your own photo" run can be repeated
// byte for byte, and the file itself remade.
//
//   build/release/example_photo OUT.jpg [DATA_DIR]   (default: Debian's Fashion-MNIST)
//
// Validation image 2 (training file image 55,002, a T-shirt) drawn three times larger
// (84 x 84), dark on slightly uneven, warm off-white paper, in a 120 x 100 colour JPEG of
// quality 90 (libjpeg-turbo): what a phone picture of a printed garment looks like, with
// none of the data set's preparation done.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "tests/support/image_files.hpp"

int main(int argc, char** argv) try {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: example_photo OUT.jpg [DATA_DIR]\n");
    return 2;
  }
  const nn::ImageDataset file =
      nn::load_fashion_mnist(argc == 3 ? argv[2] : nn::kFashionMnistDir, nn::Split::train);
  const arma::Col<unsigned char> item = file.images.pixels.col(55000 + 2);  // 784, row by row
  constexpr int kWidth = 120, kHeight = 100, kScale = 3, kTop = 9, kLeft = 20;
  std::mt19937 rng(2);  // the paper's grain, the same on every machine
  std::uniform_int_distribution<int> grain(-2, 2);
  std::vector<unsigned char> rgb(std::size_t(kWidth * kHeight * 3));
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x) {
      // Paper: lit a little more from the right than from the bottom, with grain.
      const double paper = 229.0 + 4.0 * x / kWidth - 2.0 * y / kHeight + grain(rng);
      const int r = (y - kTop) / kScale, c = (x - kLeft) / kScale;
      const bool inside = y >= kTop && x >= kLeft && r < 28 && c < 28;
      const double ink = inside ? item(arma::uword(r * 28 + c)) / 255.0 : 0.0;
      const double v = paper * (1.0 - 0.85 * ink);  // ink absorbs up to 85% of the light
      const double warm[3] = {4, 1, -6};            // a warm white, as under a desk lamp
      for (int k = 0; k < 3; ++k)
        rgb[std::size_t((y * kWidth + x) * 3 + k)] =
            static_cast<unsigned char>(std::lround(std::clamp(v + warm[k], 0.0, 255.0)));
    }
  const std::string jpeg = test_images::jpeg(kWidth, kHeight, 3, rgb, 90);
  std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
  out.write(jpeg.data(), std::streamsize(jpeg.size()));
  out.close();
  if (jpeg.empty() || !out) {
    std::fprintf(stderr, "example_photo: error: cannot write %s\n", argv[1]);
    return 1;
  }
  std::printf("example_photo: wrote %s (%d x %d pixels, %zu bytes)\n", argv[1], kWidth, kHeight,
              jpeg.size());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "example_photo: error: %s\n", e.what());
  return 1;
}
