// Tests for common/pgm.hpp
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "common/pgm.hpp"
#include "support/chapter_run.hpp"

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

TEST_CASE("a PGM path that is not a regular file is refused at once", "[pgm]") {
  // Issue 16: a folder and /dev/zero were "no such file"; a FIFO would hang.
  const std::string dir = nn::test::fresh_dir("pgm_files");
  REQUIRE(mkfifo((dir + "/fifo.pgm").c_str(), 0600) == 0);
  CHECK_THROWS_WITH(nn::load_pgm(dir), Contains("a folder"));
  CHECK_THROWS_WITH(nn::load_pgm("/dev/zero"), Contains("a device"));
  CHECK_THROWS_WITH(nn::load_pgm(dir + "/fifo.pgm"), Contains("FIFO"));
  CHECK_THROWS_WITH(nn::load_pgm(dir + "/none.pgm"), Contains("none.pgm': no such file"));
  std::ofstream(dir + "/ok.pgm", std::ios::binary) << "P5 1 1 255\n\x05";
  CHECK(nn::load_pgm(dir + "/ok.pgm").pixels == std::vector<unsigned char>{5});
}
