// Tests for common/input_file.hpp
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/input_file.hpp"
#include "support/chapter_run.hpp"

namespace fs = std::filesystem;

TEST_CASE("a regular file is read whole", "[input_file]") {
  const std::string dir = nn::test::fresh_dir("input_file");
  std::ofstream(dir + "/a.bin", std::ios::binary) << "abc";
  CHECK(nn::read_regular_file(dir + "/a.bin", 3) == "abc");
  CHECK_THROWS_WITH(nn::read_regular_file(dir + "/a.bin", 2), Catch::Contains("3 bytes"));
}

TEST_CASE("what is not a regular file is refused at once, saying what it is", "[input_file]") {
  // Issue 16: a FIFO hung forever, a loop of links gave a raw filesystem error, a folder
  // and /dev/zero were called "no such file".
  const std::string dir = nn::test::fresh_dir("input_file_odd");
  REQUIRE(mkfifo((dir + "/fifo").c_str(), 0600) == 0);
  fs::create_symlink(dir + "/loop_b", dir + "/loop_a");
  fs::create_symlink(dir + "/loop_a", dir + "/loop_b");
  CHECK_THROWS_WITH(nn::read_regular_file(dir + "/fifo", 100), Catch::Contains("FIFO"));
  CHECK_THROWS_WITH(nn::read_regular_file(dir + "/loop_a", 100),
                    Catch::Contains("loop of symbolic links"));
  CHECK_THROWS_WITH(nn::read_regular_file(dir, 100), Catch::Contains("a folder"));
  CHECK_THROWS_WITH(nn::read_regular_file("/dev/zero", 100), Catch::Contains("a device"));
  CHECK_THROWS_WITH(nn::read_regular_file(dir + "/none", 100), Catch::Equals("no such file"));
  CHECK_THROWS_AS(nn::read_regular_file("", 100), nn::FileError);
}
