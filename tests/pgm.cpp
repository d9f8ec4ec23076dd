// Tests for common/pgm.hpp
#include <catch2/catch.hpp>

#include <string>

#include "common/pgm.hpp"

using Catch::Contains;

TEST_CASE("binary and plain PGM give the same pixels, row by row", "[pgm]") {
  const std::string pixels = {'\0', '\x01', '\x7f', '\xff', '\x10', '\x20'};
  const nn::GreyImage p5 = nn::parse_pgm("P5\n# a comment\n3 2\n255\n" + pixels, "a.pgm");
  const nn::GreyImage p2 = nn::parse_pgm("P2 3 2 255# max\n0 1 127\n255 16 32\n", "b.pgm");
  CHECK(p5.rows == 2);
  CHECK(p5.cols == 3);
  CHECK(p5.pixels == std::vector<unsigned char>{0, 1, 127, 255, 16, 32});
  CHECK(p2.rows == p5.rows);
  CHECK(p2.cols == p5.cols);
  CHECK(p2.pixels == p5.pixels);
}

TEST_CASE("every fault of a PGM file is one DataError naming the file", "[pgm]") {
  const std::string six(6, 'x');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not a PGM image"},
      {"P6 3 2 255\n" + six, "not a PGM image"},
      {"P53 2 255\n" + six, "nothing separates P5"},
      {"P5 -3 2 255\n" + six, "bad width"},
      {"P5 3 2x 255\n" + six, "bad height"},
      {"P5 3 2 255x\n" + six, "bad maximum value"},
      {"P5 123456 2 255\n", "bad width"},
      {"P5 0 2 255\n", "0 x 2 pixels"},
      {"P5 99999 99999 255\n", "larger than any image"},
      {"P5 3 2 65535\n" + six + six, "maximum value 65535"},
      {"P5 3 2 255", "truncated: the header ends"},
      {"P5 3 2 255\nxxxxx", "truncated: 5 pixel bytes, expected 6"},
      {"P5 3 2 255\nxxxxxxx", "trailing data after the 6 pixels"},
      {"P2 3 2 255\n1 2 3 4 5", "truncated: 5 pixel values"},
      {"P2 3 2 255\n1 2 3 4 5 256", "bad pixel value number 6"},
      {"P2 3 2 255\n1 2 3 4 5 6 7", "unexpected data after the 6 pixel values"},
  };
  for (const auto& [bytes, phrase] : cases) {
    INFO(bytes);
    CHECK_THROWS_AS(nn::parse_pgm(bytes, "x.pgm"), nn::DataError);
    CHECK_THROWS_WITH(nn::parse_pgm(bytes, "x.pgm"),
                      Catch::StartsWith("image file 'x.pgm': ") && Contains(phrase));
  }
}
