// Tests for common/photo.hpp
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <zlib.h>

#include <fstream>
#include <string>
#include <vector>

#include "common/photo.hpp"
#include "support/chapter_run.hpp"
#include "support/image_files.hpp"

using Catch::Contains;

namespace {

// A PNG or a JPEG (quality 95) of w x h pixels of n channels.
std::string encoded(bool png, int w, int h, int n, const std::vector<unsigned char>& pixels) {
  const std::string bytes =
      png ? test_images::png(w, h, n, pixels) : test_images::jpeg(w, h, n, pixels);
  REQUIRE(!bytes.empty());
  return bytes;
}

// A grey ramp of w x h pixels: pixel (r, c) is (r * w + c) * 7 mod 256.
std::vector<unsigned char> ramp(int w, int h) {
  std::vector<unsigned char> p(std::size_t(w * h));
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<unsigned char>(k * 7 % 256);
  return p;
}

}  // namespace

TEST_CASE("the format is told by the first bytes, not by the name", "[photo]") {
  CHECK(nn::photo_format("\x89PNG\r\n\x1a\nrest") == nn::PhotoFormat::png);
  CHECK(nn::photo_format("\xFF\xD8\xFF\xE0rest") == nn::PhotoFormat::jpeg);
  CHECK(nn::photo_format("P5 1 1 255\n\x01") == nn::PhotoFormat::pgm);
  CHECK(nn::photo_format("P2 1 1 255\n1") == nn::PhotoFormat::pgm);
  CHECK(nn::photo_format("GIF89a") == nn::PhotoFormat::unknown);
  CHECK(nn::photo_format("\x89PN") == nn::PhotoFormat::unknown);
  CHECK(nn::photo_format("") == nn::PhotoFormat::unknown);
}

TEST_CASE("a grey PNG of any size is read pixel for pixel, row by row", "[photo]") {
  const std::vector<unsigned char> pixels = ramp(37, 21);
  const nn::GreyImage image = nn::parse_photo(encoded(true, 37, 21, 1, pixels), "ramp.png");
  CHECK(image.cols == 37);
  CHECK(image.rows == 21);
  CHECK(image.pixels == pixels);
  // And png_bytes writes what parse_photo reads back.
  CHECK(nn::parse_photo(nn::png_bytes(image), "again.png").pixels == pixels);
  CHECK(nn::parse_photo(nn::pgm_bytes(image), "again.pgm").pixels == pixels);
}

TEST_CASE("colour becomes BT.601 grey, and transparency is laid over white", "[photo]") {
  // Four RGBA pixels: pure red, green, blue (opaque), and black at alpha 0, 51 and 255.
  const std::vector<unsigned char> rgba = {255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255,
                                           0,   0, 0, 0,   0, 0,   0, 51,  0, 0, 0,   255};
  const nn::GreyImage image = nn::parse_photo(encoded(true, 6, 1, 4, rgba), "rgba.png");
  // 0.299 * 255 = 76.2, 0.587 * 255 = 149.7, 0.114 * 255 = 29.1; transparent black is
  // white, black at 20% opacity is 80% white (204), opaque black stays black.
  CHECK(image.pixels == std::vector<unsigned char>{76, 150, 29, 255, 204, 0});
  // Grey + alpha and RGB without alpha go the same way.
  const std::vector<unsigned char> grey_alpha = {100, 255, 100, 0};
  CHECK(nn::parse_photo(encoded(true, 2, 1, 2, grey_alpha), "ga.png").pixels ==
        std::vector<unsigned char>{100, 255});
  const std::vector<unsigned char> rgb = {10, 20, 30};
  CHECK(nn::parse_photo(encoded(true, 1, 1, 3, rgb), "rgb.png").pixels ==
        std::vector<unsigned char>{18});  // 0.299 * 10 + 0.587 * 20 + 0.114 * 30 = 17.2
}

TEST_CASE("a JPEG is read with its size, its pixels close to what was written", "[photo]") {
  // JPEG is lossy: a smooth image at quality 95 comes back within a few grey levels.
  // Measured: at most 1 level apart on this image (libjpeg-turbo both ways).
  constexpr int kJpegLevels = 6;
  std::vector<unsigned char> smooth(40 * 30);
  for (int r = 0; r < 30; ++r)
    for (int c = 0; c < 40; ++c)
      smooth[std::size_t(r * 40 + c)] = static_cast<unsigned char>(3 * c + 2 * r);
  const nn::GreyImage image = nn::parse_photo(encoded(false, 40, 30, 1, smooth), "smooth.jpg");
  REQUIRE(image.cols == 40);
  REQUIRE(image.rows == 30);
  for (std::size_t k = 0; k < smooth.size(); ++k) {
    CAPTURE(k);
    CHECK(std::abs(int(image.pixels[k]) - int(smooth[k])) <= kJpegLevels);
  }
}

TEST_CASE("every fault of a photo is one DataError naming the file", "[photo]") {
  const std::string png = encoded(true, 37, 21, 1, ramp(37, 21));
  const std::string jpeg = encoded(false, 37, 21, 1, ramp(37, 21));
  // A PNG chunk: its length, type, data and checksum (CRC-32 of type and data, which libpng
  // checks).
  auto chunk = [](const std::string& type, const std::string& data) {
    std::string b;
    for (int shift = 24; shift >= 0; shift -= 8) b += char((data.size() >> shift) & 0xFF);
    const std::string body = type + data;
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()));
    b += body;
    for (int shift = 24; shift >= 0; shift -= 8) b += char((crc >> shift) & 0xFF);
    return b;
  };
  // A PNG header (signature and IHDR chunk) announcing w x h grey pixels, and no data.
  auto png_header = [&](unsigned w, unsigned h) {
    std::string ihdr;
    for (unsigned v : {w, h})
      for (int shift = 24; shift >= 0; shift -= 8) ihdr += char((v >> shift) & 0xFF);
    ihdr += std::string("\x08\0\0\0\0", 5);  // 8 bits, grey, no interlace
    return "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr);
  };
  std::string bad_checksum = png;
  bad_checksum[29] = char(bad_checksum[29] ^ 1);  // the last byte of IHDR's checksum
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a PNG, JPEG or PGM image"},
      {"GIF89a\x01\0\x01\0", "not a PNG, JPEG or PGM image"},
      {"P6 1 1 255\nabc", "not a PNG, JPEG or PGM image"},
      {png.substr(0, 8), "not a readable PNG image"},
      {bad_checksum, "not a readable PNG image (IHDR: CRC error)"},
      {png.substr(0, png.size() - 20), "a damaged PNG image"},  // cut inside its pixel data
      {png_header(6, 4) + chunk("IEND", ""), "not a readable PNG image (IEND: out of place)"},
      {jpeg.substr(0, 3), "not a readable JPEG image (it holds no image)"},
      {jpeg.substr(0, jpeg.size() / 2), "a damaged JPEG image"},  // a cut scan
      {png_header(0, 10), "not a readable PNG image"},
      // (libpng reads the chunks up to the first IDAT before the size can be checked)
      {png_header(5000, 5000) + chunk("IDAT", "x"),
       "5000 x 5000 pixels: empty, or larger than any image"},
      {png_header(100000, 200) + chunk("IDAT", "x"),
       "100000 x 200 pixels: empty, or larger than any image"},
      {"P5 0 2 255\n", "0 x 2 pixels"},
      // Faults the fuzzer once found in another decoder (stb_image, issue 11), kept as
      // checks: a JPEG Huffman table (DHT segment) whose 16 counts add up to 16 x 255 codes,
      {std::string("\xFF\xD8\xFF\xC4\x00\x13\x00", 7) + std::string(16, '\xFF'),
       "not a readable JPEG image"},
      // a PNG chunk announcing 2 GB in a file of a few bytes, and a first IDAT chunk empty.
      {png_header(6, 4) + std::string("\x7F\xFF\xFF\xFFIDATxyz", 11), "a damaged PNG image"},
      {png_header(6, 4) + chunk("IDAT", "") + png.substr(33), "a damaged PNG image"},
  };
  for (const auto& [bytes, phrase] : cases) {
    CAPTURE(bytes.size(), phrase);
    CHECK_THROWS_AS(nn::parse_photo(bytes, "x.img"), nn::DataError);
    CHECK_THROWS_WITH(nn::parse_photo(bytes, "x.img"),
                      Catch::StartsWith("image file 'x.img': ") && Contains(phrase));
  }
}

TEST_CASE(
    "a photo path that is not a regular file is refused at once, and saving checks "
    "the name",
    "[photo]") {
  // A folder and /dev/zero were once "no such file", and a FIFO would hang (issue 16).
  const std::string dir = nn::test::fresh_dir("photo_files");
  REQUIRE(mkfifo((dir + "/fifo.pgm").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(nn::load_photo(dir), Contains("a folder"));
  CHECK_THROWS_WITH(nn::load_photo("/dev/zero"), Contains("a device"));
  CHECK_THROWS_WITH(nn::load_photo(dir + "/fifo.pgm"), Contains("FIFO"));
  CHECK_THROWS_WITH(nn::load_photo(dir + "/none.png"), Contains("none.png': no such file"));
  nn::GreyImage image;
  image.rows = 2, image.cols = 3, image.pixels = {0, 50, 100, 150, 200, 250};
  nn::save_photo(dir + "/out.png", image);
  nn::save_photo(dir + "/out.pgm", image);
  CHECK(nn::load_photo(dir + "/out.png").pixels == image.pixels);
  CHECK(nn::load_photo(dir + "/out.pgm").pixels == image.pixels);
  CHECK_THROWS_WITH(nn::save_photo(dir + "/out.jpg", image), Contains("end in .png or .pgm"));
}
