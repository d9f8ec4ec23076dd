#include "common/photo.hpp"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

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

// rows x cols pixels of `channels` bytes each, row by row, as a grey image.
GreyImage to_grey(const std::vector<unsigned char>& pixels, std::size_t rows, std::size_t cols,
                  int channels) {
  GreyImage image;
  image.rows = rows;
  image.cols = cols;
  image.pixels.resize(rows * cols);
  for (std::size_t p = 0; p < image.pixels.size(); ++p)
    image.pixels[p] = grey_over_white(pixels.data() + p * std::size_t(channels), channels);
  return image;
}

// One fault of the file named source.
DataError photo_error(const std::string& source, const std::string& what) {
  return DataError("image file '" + source + "': " + what);
}

// The size check both decoders make after reading the header alone, before they allocate
// anything: a hostile header cannot make them ask for gigabytes.
void check_size(std::size_t width, std::size_t height, std::size_t max_pixels,
                const std::string& source) {
  if (width == 0 || height == 0 || width * height > max_pixels)
    throw photo_error(source,
                      std::to_string(width) + " x " + std::to_string(height) +
                          " pixels: empty, or larger than any image read here (at most " +
                          std::to_string(max_pixels) + " pixels)");
}

// [listing decode]
// PNG by libpng's "simplified" API, which reports every fault of the file (a bad checksum,
// a damaged compressed stream, a chunk past the end) as a message, never by crashing. The
// pixels come as the file stores them, grey or RGB, with or without alpha, 8 bits each.
GreyImage decode_png(const std::string& bytes, const std::string& source,
                     std::size_t max_pixels) {
  auto fail = [&](const std::string& what) { return photo_error(source, what); };
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  const std::unique_ptr<png_image, void (*)(png_imagep)> release(&png, png_image_free);
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw fail(std::string("not a readable PNG image (") + png.message + ")");
  check_size(png.width, png.height, max_pixels, source);
  png.format &= PNG_FORMAT_FLAG_ALPHA | PNG_FORMAT_FLAG_COLOR;  // 8-bit grey/RGB (+ alpha)
  const int channels = int(PNG_IMAGE_SAMPLE_CHANNELS(png.format));
  std::vector<unsigned char> pixels(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, pixels.data(), 0, nullptr))
    throw fail(std::string("a damaged PNG image (") + png.message + ")");
  return to_grey(pixels, png.height, png.width, channels);
}

// JPEG by libjpeg-turbo's TurboJPEG API, asked for grey pixels directly: a JPEG stores
// colour as luma Y = 0.299 R + 0.587 G + 0.114 B plus two colour differences, so its grey
// is the Y it already holds. A warning (a cut or damaged scan) stops the decoding, and so
// does a progressive file of more than 500 scans (TJFLAG_LIMITSCANS: otherwise a few
// kilobytes could keep the decoder busy for minutes).
GreyImage decode_jpeg(const std::string& bytes, const std::string& source,
                      std::size_t max_pixels) {
  auto fail = [&](const std::string& what) { return photo_error(source, what); };
  const std::unique_ptr<void, int (*)(tjhandle)> jpeg(tjInitDecompress(), tjDestroy);
  if (!jpeg) throw fail("the JPEG decoder could not start");
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  int width = 0, height = 0, subsampling = 0, colours = 0;
  if (tjDecompressHeader3(jpeg.get(), data, bytes.size(), &width, &height, &subsampling,
                          &colours) != 0)
    throw fail(std::string("not a readable JPEG image (") + tjGetErrorStr2(jpeg.get()) + ")");
  if (width == 0 || height == 0)  // a file of tables only, or cut before its frame header
    throw fail("not a readable JPEG image (it holds no image)");
  check_size(std::size_t(std::max(width, 0)), std::size_t(std::max(height, 0)), max_pixels,
             source);
  std::vector<unsigned char> pixels(std::size_t(width) * std::size_t(height));
  if (tjDecompress2(jpeg.get(), data, bytes.size(), pixels.data(), width, 0, height, TJPF_GRAY,
                    TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0)
    throw fail(std::string("a damaged JPEG image (") + tjGetErrorStr2(jpeg.get()) + ")");
  return to_grey(pixels, std::size_t(height), std::size_t(width), 1);
}
// [end decode]

}  // namespace

GreyImage parse_photo(const std::string& bytes, const std::string& source,
                      std::size_t max_pixels) {
  switch (photo_format(bytes)) {
    case PhotoFormat::png: return decode_png(bytes, source, max_pixels);
    case PhotoFormat::jpeg: return decode_jpeg(bytes, source, max_pixels);
    case PhotoFormat::pgm: return parse_pgm(bytes, source);
    case PhotoFormat::unknown: break;
  }
  throw photo_error(source,
                    "not a PNG, JPEG or PGM image (its first bytes are none of theirs)");
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
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  png.width = png_uint_32(image.cols);
  png.height = png_uint_32(image.rows);
  png.format = PNG_FORMAT_GRAY;
  // Asked first for the size the file will have, then written into that many bytes.
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(png, size, 0, image.pixels.data(), 0, nullptr))
    throw DataError(std::string("the image could not be encoded as PNG (") + png.message + ")");
  std::string file(size, '\0');
  if (!png_image_write_to_memory(&png, file.data(), &size, 0, image.pixels.data(), 0, nullptr))
    throw DataError(std::string("the image could not be encoded as PNG (") + png.message + ")");
  file.resize(size);
  return file;
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
