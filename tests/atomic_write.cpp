// Tests for common/atomic_write.hpp
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_write.hpp"
#include "support/chapter_run.hpp"

namespace fs = std::filesystem;

TEST_CASE("a file is written whole and no temporary is left", "[atomic_write]") {
  const std::string dir = nn::test::fresh_dir("atomic_write");
  nn::write_file_atomically(dir + "/a.txt", "first");
  nn::write_file_atomically(dir + "/a.txt", "second");  // replaces
  std::ifstream in(dir + "/a.txt");
  std::stringstream s;
  s << in.rdbuf();
  CHECK(s.str() == "second");
  CHECK_FALSE(fs::exists(dir + "/a.txt.part"));
}

TEST_CASE("an unwritable path is an error naming it", "[atomic_write]") {
  CHECK_THROWS_WITH(nn::write_file_atomically("/nonexistent/dir/a.txt", "x"),
                    Catch::Contains("/nonexistent/dir/a.txt"));
}
