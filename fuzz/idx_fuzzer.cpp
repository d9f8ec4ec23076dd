// idx_fuzzer.cpp: a libFuzzer target for the IDX reader of common/idx.hpp.
//
// libFuzzer calls LLVMFuzzerTestOneInput with millions of byte strings, mutated from the
// seed corpus (fuzz/make_corpus.cpp) towards inputs that reach new code. The reader must
// answer each one either with data or with nn::DataError: any other exception, a crash,
// an out-of-bounds access (AddressSanitizer), undefined behaviour (UBSan) or a leak is a
// finding, and libFuzzer stops and saves the input. Run it with fuzz/run.sh.
#include <cstddef>
#include <cstdint>

#include "common/idx.hpp"

namespace {

// What a successful parse promises, checked on every input that gets through: the data
// is exactly what the header announces, and nothing else.
void check(bool promise) {
  if (!promise) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const nn::Images images = nn::parse_idx_images(data, size, "fuzz input");
    check(size == 16 + images.pixels.n_elem);
    check(images.pixels.n_rows == images.rows * images.cols);
    check(images.count() > 0 && images.pixels.n_elem <= nn::kMaxIdxElements);
  } catch (const nn::DataError&) {
  }
  try {
    constexpr unsigned n_classes = 10;
    const arma::uvec labels = nn::parse_idx_labels(data, size, n_classes, "fuzz input");
    check(size == 8 + labels.n_elem);
    check(labels.n_elem > 0 && labels.max() < n_classes);
  } catch (const nn::DataError&) {
  }
  return 0;
}
