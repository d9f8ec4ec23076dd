// pgm.hpp: read a grey image in the PGM format (Netpbm), trusting nothing in the file.
//
// Binary PGM is the text header "P5 WIDTH HEIGHT 255" (any whitespace between the fields,
// # comments allowed) and one byte more of whitespace, then exactly WIDTH x HEIGHT pixel
// bytes, row by row. Plain PGM ("P2") writes the pixels as decimal numbers instead. Only
// 8-bit images (maximum value 255) are read. Each fault is one nn::DataError naming the
// file: not a PGM, a bad or oversized header field, too few or too many pixels.
//
//   const nn::GreyImage image = nn::parse_pgm(bytes, "shirt.pgm");  // rows x cols
// (nn::load_photo in photo.hpp reads a file in this or another format.)
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/idx.hpp"  // nn::DataError

namespace nn {

struct GreyImage {
  std::size_t rows = 0, cols = 0;
  std::vector<unsigned char> pixels;  // rows x cols bytes, row by row; 0 black, 255 white
};

// The largest image read: 4096 x 4096 pixels in all (16 MB), and a file of at most 64 MB
// (a plain PGM spends up to 4 characters per pixel).
inline constexpr std::size_t kMaxPgmPixels = std::size_t{1} << 24;
inline constexpr std::size_t kMaxPgmFileBytes = std::size_t{1} << 26;

// The image in bytes; `source` names it in error messages ("image file 'SOURCE': ...").
GreyImage parse_pgm(const std::string& bytes, const std::string& source);

}  // namespace nn
