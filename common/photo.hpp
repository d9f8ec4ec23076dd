// photo.hpp: read a reader's picture, PNG, JPEG or PGM, as grey pixels, trusting nothing.
//
// The format is told by the file's first bytes (its "magic"), never by its name:
//   PNG   89 50 4E 47 0D 0A 1A 0A   decoded by libpng (Debian's libpng-dev)
//   JPEG  FF D8 FF                  decoded by libjpeg-turbo (libturbojpeg0-dev)
//   PGM   "P5" or "P2"              read by common/pgm.hpp
// Anything else is refused with one line. Both decoders are the ones Debian's own image
// programs use, and both are fuzzed by their authors (OSS-Fuzz) as well as here. Before
// either decodes anything, the header is read alone and the image refused when it is empty
// or larger than kMaxPhotoPixels, so a hostile header cannot make a decoder allocate
// gigabytes.
//
// Colour becomes grey by the luma weights of ITU-R BT.601 (0.299 R + 0.587 G + 0.114 B,
// what most image programs use for "greyscale"). A transparent pixel is first laid over
// white, as a viewer or a printed page shows it: a product photo cut out on a transparent
// background then has a light background, like any photo on white paper, and the
// preparation (common/prepare.hpp) inverts it. Each fault is one nn::DataError naming the
// file ("image file 'NAME': ...").
//
//   const nn::GreyImage photo = nn::load_photo("shirt.jpg");  // any size up to the limit
#pragma once

#include <cstddef>
#include <string>

#include "common/pgm.hpp"  // nn::GreyImage, nn::parse_pgm

namespace nn {

// The largest picture read: 4096 x 4096 pixels in all (as for PGM), decoded to at most
// 4 bytes a pixel (64 MB), from a file of at most 64 MB.
inline constexpr std::size_t kMaxPhotoPixels = kMaxPgmPixels;
inline constexpr std::size_t kMaxPhotoFileBytes = kMaxPgmFileBytes;

enum class PhotoFormat { png, jpeg, pgm, unknown };

// The format the first bytes announce.
PhotoFormat photo_format(const std::string& bytes);

// The picture in bytes as grey pixels; `source` names it in error messages. A PNG or JPEG
// of more than max_pixels is refused before it is decoded (the fuzz target lowers it).
GreyImage parse_photo(const std::string& bytes, const std::string& source,
                      std::size_t max_pixels = kMaxPhotoPixels);

// The picture in the file at path (a regular file: not a folder, FIFO or device).
GreyImage load_photo(const std::string& path);

// The image as the bytes of a binary PGM (P5) or a grey PNG file (libpng).
std::string pgm_bytes(const GreyImage& image);
std::string png_bytes(const GreyImage& image);

// Writes the image to path, as PNG when the name ends in .png and as PGM when it ends in
// .pgm (DataError otherwise), whole or not at all (common/atomic_write.hpp).
void save_photo(const std::string& path, const GreyImage& image);

}  // namespace nn
