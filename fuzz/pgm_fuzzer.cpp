// pgm_fuzzer.cpp: a libFuzzer target for the PGM reader of common/pgm.hpp.
//
// The reader must answer every input with an image or with nn::DataError; anything else
// (another exception, a crash, an out-of-bounds access, undefined behaviour, a leak, a
// broken promise below) is a finding. Run it with fuzz/run.sh pgm.
#include "common/pgm.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    const nn::GreyImage image = nn::parse_pgm(bytes, "fuzz input");
    // The promises: a non-empty image within the cap, exactly rows x cols pixels, and a
    // binary file holds nothing but its header and those pixels.
    fuzz::check(image.rows > 0 && image.cols > 0);
    fuzz::check(image.pixels.size() == image.rows * image.cols);
    fuzz::check(image.pixels.size() <= nn::kMaxPgmPixels);
    if (bytes[1] == '5') fuzz::check(bytes.size() > image.pixels.size());
  } catch (const nn::DataError&) {
  }
  return 0;
}
