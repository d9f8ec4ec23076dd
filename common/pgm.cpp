#include "common/pgm.hpp"

namespace nn {

GreyImage parse_pgm(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& what) {
    return DataError("image file '" + source + "': " + what);
  };
  std::size_t at = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  // Whitespace and comments (# to the end of the line) between header fields.
  auto skip_space = [&] {
    while (at < bytes.size()) {
      if (is_space(bytes[at])) {
        ++at;
      } else if (bytes[at] == '#') {
        while (at < bytes.size() && bytes[at] != '\n' && bytes[at] != '\r') ++at;
      } else {
        break;
      }
    }
  };
  // A decimal number of at most 5 digits, followed by whitespace or a comment.
  auto number = [&](const std::string& field) {
    skip_space();
    std::size_t digits = 0;
    unsigned long v = 0;
    while (at < bytes.size() && bytes[at] >= '0' && bytes[at] <= '9' && digits < 6) {
      v = v * 10 + static_cast<unsigned long>(bytes[at] - '0');
      ++at, ++digits;
    }
    if (digits == 0 || digits > 5 ||
        (at < bytes.size() && !is_space(bytes[at]) && bytes[at] != '#'))
      throw fail("bad " + field + " in the header");
    return v;
  };

  // [listing pgm]
  if (bytes.size() < 2 || bytes[0] != 'P' || (bytes[1] != '5' && bytes[1] != '2'))
    throw fail("not a PGM image (it starts neither with P5 nor with P2)");
  const bool binary = bytes[1] == '5';
  at = 2;
  if (at >= bytes.size() || !(is_space(bytes[at]) || bytes[at] == '#'))
    throw fail("not a PGM image (nothing separates P" + std::string(1, bytes[1]) +
               " from the width)");
  const unsigned long width = number("width"), height = number("height");
  const unsigned long maxval = number("maximum value");
  if (width == 0 || height == 0 || width * height > kMaxPgmPixels)
    throw fail(std::to_string(width) + " x " + std::to_string(height) +
               " pixels: empty, or larger than any image read here");
  if (maxval != 255)
    throw fail("maximum value " + std::to_string(maxval) + "; expected 255 (8-bit grey)");
  if (at < bytes.size() && bytes[at] == '#')  // a comment right after the maximum value
    while (at < bytes.size() && bytes[at] != '\n' && bytes[at] != '\r') ++at;
  if (at >= bytes.size()) throw fail("truncated: the header ends without the pixels");
  ++at;  // exactly one whitespace character ends the header
  // [end pgm]

  GreyImage image;
  image.rows = height;
  image.cols = width;
  image.pixels.resize(width * height);
  const std::size_t n = image.pixels.size();
  const std::string count = std::to_string(n);
  if (binary) {
    const std::size_t left = bytes.size() - at;
    if (left < n)
      throw fail("truncated: " + std::to_string(left) + " pixel bytes, expected " + count);
    if (left > n)
      throw fail("trailing data after the " + count + " pixels (" + std::to_string(left - n) +
                 " more bytes)");
    std::copy(bytes.begin() + std::ptrdiff_t(at), bytes.end(), image.pixels.begin());
  } else {
    for (std::size_t p = 0; p < n; ++p) {
      if (p > 0) {  // numbers are separated by whitespace
        if (at >= bytes.size() || !is_space(bytes[at]))
          throw fail(at >= bytes.size() ? "truncated: " + std::to_string(p) +
                                              " pixel values, expected " + count
                                        : "bad pixel value number " + std::to_string(p + 1));
      }
      while (at < bytes.size() && is_space(bytes[at])) ++at;
      std::size_t digits = 0;
      unsigned v = 0;
      while (at < bytes.size() && bytes[at] >= '0' && bytes[at] <= '9' && digits < 4)
        v = v * 10 + unsigned(bytes[at++] - '0'), ++digits;
      if (digits == 0 && at >= bytes.size())
        throw fail("truncated: " + std::to_string(p) + " pixel values, expected " + count);
      if (digits == 0 || digits > 3 || v > 255)
        throw fail("bad pixel value number " + std::to_string(p + 1) + " (expected 0 to 255)");
      image.pixels[p] = static_cast<unsigned char>(v);
    }
    while (at < bytes.size() && is_space(bytes[at])) ++at;
    if (at != bytes.size()) throw fail("unexpected data after the " + count + " pixel values");
  }
  return image;
}

}  // namespace nn
