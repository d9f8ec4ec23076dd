// photo_fuzzer.cpp: a libFuzzer target for the photo reader of common/photo.hpp (PNG through
// libpng, JPEG through libjpeg-turbo, PGM through common/pgm.hpp), and the preparation of
// common/prepare.hpp after it.
//
// The reader must answer every input with an image or with nn::DataError; anything else
// (another exception, a crash, an out-of-bounds access, undefined behaviour, a leak, a
// broken promise below) is a finding. Run it with fuzz/run.sh photo.
#include "common/photo.hpp"
#include "common/prepare.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  // A PNG or JPEG header of a few bytes can announce up to the reader's limit, 16 million
  // pixels, and decoding that many takes seconds under the sanitizers: enough to trip
  // libFuzzer's 10-second timeout on a busy machine (it did, a 64521 x 249 JPEG) without
  // testing anything smaller images do not. So the limit is 4 million pixels here; the
  // reader's own is held by tests/photo.cpp.
  constexpr std::size_t kFuzzMaxPixels = std::size_t{1} << 22;
  try {
    const nn::GreyImage image = nn::parse_photo(bytes, "fuzz input", kFuzzMaxPixels);
    // The promises: a non-empty image within the cap, exactly rows x cols pixels.
    fuzz::check(image.rows > 0 && image.cols > 0);
    fuzz::check(image.pixels.size() == image.rows * image.cols);
    fuzz::check(image.pixels.size() <= kFuzzMaxPixels);
    // Prepared, any image is 28 x 28, its item inside the image. (Skipped for images of
    // more than a million pixels, which a few header bytes can announce: preparing them
    // is correct but slow, and would take the fuzzer's time from the decoders.)
    if (image.pixels.size() <= (std::size_t{1} << 20)) {
      const nn::Prepared p = nn::prepare_like_fashion_mnist(image);
      fuzz::check(p.image.rows == 28 && p.image.cols == 28 && p.image.pixels.size() == 784);
      fuzz::check(p.box_rows >= 1 && p.box_rows <= image.rows);
      fuzz::check(p.box_cols >= 1 && p.box_cols <= image.cols);
    }
  } catch (const nn::DataError&) {
  }
  return 0;
}
