#include "common/photo.hpp"

#include <stb_image.h>
#include <stb_image_write.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <memory>

#include "common/atomic_write.hpp"
#include "common/input_file.hpp"

namespace nn {

PhotoFormat photo_format(const std::string& bytes) {
  const std::string png_magic = "\x89PNG\r\n\x1a\n", jpeg_magic = "\xFF\xD8\xFF";
  if (bytes.compare(0, png_magic.size(), png_magic) == 0) return PhotoFormat::png;
  if (bytes.compare(0, jpeg_magic.size(), jpeg_magic) == 0) return PhotoFormat::jpeg;
  if (bytes.size() >= 2 && bytes[0] == 'P' && (bytes[1] == '5' || bytes[1] == '2'))
    return PhotoFormat::pgm;
  return PhotoFormat::unknown;
}

namespace {

// One pixel of 1 to 4 channels (grey, grey + alpha, RGB, RGBA) as grey 0..255: BT.601
// luma, laid over white by its alpha (a / 255 of the pixel, the rest white).
unsigned char grey_over_white(const unsigned char* p, int channels) {
  const double luma = channels >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : double(p[0]);
  const double alpha = channels == 2 ? p[1] / 255.0 : channels == 4 ? p[3] / 255.0 : 1.0;
  return static_cast<unsigned char>(std::lround(alpha * luma + (1 - alpha) * 255.0));
}

// Why stb_image failed, as " (reason)", or nothing when it does not say.
std::string stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason && *reason ? std::string(" (") + reason + ")" : std::string();
}

// Whether every Huffman table in a JPEG declares at most 256 codes, as the JPEG standard
// allows. The stb_image of Debian 12 (2.27) trusts the 16 counts of a table (each 0 to
// 255) and writes as many entries into arrays of 257 and 256: a crafted table overflows
// them (the fuzzer found it). So before stb_image sees the bytes, each DHT segment is read
// as it reads it: every FF C4 in the file (in a valid JPEG, FF in compressed data is
// followed by 00, so FF C4 is always a marker), its 16-bit length, then tables of one
// class/number byte, 16 counts and that many symbols; bytes past the end read as 0.
bool jpeg_huffman_tables_fit(const std::string& bytes) {
  auto byte = [&](std::size_t at) {
    return at < bytes.size() ? int(std::uint8_t(bytes[at])) : 0;
  };
  for (std::size_t m = 0; m + 1 < bytes.size(); ++m) {
    if (byte(m) != 0xFF || byte(m + 1) != 0xC4) continue;
    std::size_t at = m + 2;
    long left = long(byte(at) << 8 | byte(at + 1)) - 2;
    at += 2;
    while (left > 0) {
      const int q = byte(at++);
      if ((q >> 4) > 1 || (q & 15) > 3) break;  // stb_image refuses this table itself
      int codes = 0;
      for (int i = 0; i < 16; ++i) codes += byte(at++);
      if (codes > 256) return false;
      at += std::size_t(codes);
      left -= 17 + codes;
    }
  }
  return true;
}

// What is wrong with a PNG's chunks ("" when nothing): the chunks are walked as stb_image
// walks them: after the 8-byte signature, each is a 4-byte big-endian length, a 4-byte
// type, the data and a 4-byte checksum, up to the IEND chunk. Two faults of Debian 12's
// stb_image, both found by the fuzzer, are refused here:
//   - it grows its buffer for the compressed pixels (IDAT) to the length a chunk
//     announces before reading it, so a chunk of a few bytes announcing 2 GB allocates
//     2 GB: every chunk must fit in the file;
//   - it copies a first, empty IDAT chunk into a buffer it has not allocated yet (memcpy
//     of 0 bytes to a null pointer, undefined behaviour).
std::string png_chunk_fault(const std::string& bytes) {
  std::size_t at = 8;
  bool seen_idat = false;
  while (at + 8 <= bytes.size()) {
    std::size_t length = 0;
    for (int k = 0; k < 4; ++k) length = length << 8 | std::uint8_t(bytes[at + std::size_t(k)]);
    const std::string type = bytes.substr(at + 4, 4);
    if (length > bytes.size() - at - 8)
      return "a chunk of " + std::to_string(length) + " bytes runs past the end of the file";
    if (type == "IDAT" && !seen_idat && length == 0) return "its first IDAT chunk is empty";
    seen_idat = seen_idat || type == "IDAT";
    if (type == "IEND") break;
    at += 12 + length;
  }
  return "";
}

// [listing decode]
GreyImage decode_with_stb(const std::string& bytes, const std::string& source,
                          const char* format, std::size_t max_pixels) {
  auto fail = [&](const std::string& what) {
    return DataError("image file '" + source + "': " + what);
  };
  if (bytes.size() > std::size_t(INT_MAX)) throw fail("larger than any image read here");
  // Three faults of Debian 12's stb_image, refused before it sees the bytes (see above).
  if (std::string(format) == "JPEG" && !jpeg_huffman_tables_fit(bytes))
    throw fail("a damaged JPEG image (a Huffman table of more than 256 codes)");
  if (std::string(format) == "PNG" && !png_chunk_fault(bytes).empty())
    throw fail("a damaged PNG image (" + png_chunk_fault(bytes) + ")");
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = int(bytes.size());
  // The header alone first: the size is checked before anything is allocated.
  int width = 0, height = 0, channels = 0;
  if (!stbi_info_from_memory(data, length, &width, &height, &channels))
    throw fail(std::string("not a readable ") + format + " image" + stb_reason());
  if (width <= 0 || height <= 0 || std::size_t(width) * std::size_t(height) > max_pixels)
    throw fail(std::to_string(width) + " x " + std::to_string(height) +
               " pixels: empty, or larger than any image read here (at most " +
               std::to_string(max_pixels) + " pixels)");
  int w = 0, h = 0, n = 0;
  const std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, length, &w, &h, &n, 0), stbi_image_free);
  if (!pixels) throw fail(std::string("a damaged ") + format + " image" + stb_reason());
  if (w != width || h != height || n < 1 || n > 4)  // what the header said, or refuse
    throw fail(std::string("a damaged ") + format + " image (its size changed while decoding)");
  GreyImage image;
  image.rows = std::size_t(h);
  image.cols = std::size_t(w);
  image.pixels.resize(image.rows * image.cols);
  for (std::size_t p = 0; p < image.pixels.size(); ++p)
    image.pixels[p] = grey_over_white(pixels.get() + p * std::size_t(n), n);
  return image;
}
// [end decode]

}  // namespace

GreyImage parse_photo(const std::string& bytes, const std::string& source,
                      std::size_t max_pixels) {
  switch (photo_format(bytes)) {
    case PhotoFormat::png: return decode_with_stb(bytes, source, "PNG", max_pixels);
    case PhotoFormat::jpeg: return decode_with_stb(bytes, source, "JPEG", max_pixels);
    case PhotoFormat::pgm: return parse_pgm(bytes, source);
    case PhotoFormat::unknown: break;
  }
  throw DataError("image file '" + source +
                  "': not a PNG, JPEG or PGM image (its first bytes are none of theirs)");
}

GreyImage load_photo(const std::string& path) {
  std::string bytes;
  try {
    bytes = read_regular_file(path, kMaxPhotoFileBytes);
  } catch (const FileError& e) {
    throw DataError("image file '" + path + "': " + e.what());
  }
  return parse_photo(bytes, path);
}

std::string pgm_bytes(const GreyImage& image) {
  const std::string header =
      "P5\n" + std::to_string(image.cols) + " " + std::to_string(image.rows) + "\n255\n";
  return header + std::string(image.pixels.begin(), image.pixels.end());
}

std::string png_bytes(const GreyImage& image) {
  std::string png;
  // stb_image_write hands the encoded file over in pieces, appended here.
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               std::size_t(size));
  };
  if (!stbi_write_png_to_func(append, &png, int(image.cols), int(image.rows), 1,
                              image.pixels.data(), int(image.cols)))
    throw DataError("the image could not be encoded as PNG");
  return png;
}

void save_photo(const std::string& path, const GreyImage& image) {
  auto ends_with = [&](const std::string& end) {
    return path.size() > end.size() &&
           path.compare(path.size() - end.size(), end.size(), end) == 0;
  };
  if (ends_with(".png"))
    write_file_atomically(path, png_bytes(image));
  else if (ends_with(".pgm"))
    write_file_atomically(path, pgm_bytes(image));
  else
    throw DataError("image file '" + path + "': the name must end in .png or .pgm");
}

}  // namespace nn
