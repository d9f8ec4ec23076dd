// Tests for common/atomic_write.hpp
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
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
  for (const auto& entry : fs::directory_iterator(dir))
    CHECK(entry.path().extension() != ".part");
}

TEST_CASE("an unwritable path is an error naming it", "[atomic_write]") {
  CHECK_THROWS_WITH(nn::write_file_atomically("/nonexistent/dir/a.txt", "x"),
                    Catch::Contains("/nonexistent/dir/a.txt"));
}

namespace {
// The temporary files TempFile leaves in dir (".NAME.XXXXXX.part"): none, after any path.
int temporaries_in(const std::string& dir) {
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".part") ++n;
  return n;
}
std::string content_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("a symbolic link planted at the old fixed temporary name is not followed",
          "[atomic_write]") {
  // Issue 16: with `ln -s victim OUT/neuron.csv.part`, the old code overwrote the victim.
  const std::string dir = nn::test::fresh_dir("atomic_write_symlink");
  nn::write_file_atomically(dir + "/victim.txt", "precious");
  fs::create_symlink(dir + "/victim.txt", dir + "/a.csv.part");
  nn::write_file_atomically(dir + "/a.csv", "new");
  CHECK(content_of(dir + "/victim.txt") == "precious");
  CHECK(content_of(dir + "/a.csv") == "new");
  CHECK(fs::is_symlink(dir + "/a.csv.part"));  // left alone, and nothing else left
  CHECK(temporaries_in(dir) == 1);
}

TEST_CASE("two writers of one file never share a temporary file", "[atomic_write]") {
  const std::string dir = nn::test::fresh_dir("atomic_write_two");
  nn::TempFile a(dir + "/same.csv"), b(dir + "/same.csv");
  CHECK(a.path() != b.path());
  a.write("from a");
  b.write("from b");
  a.commit();
  CHECK(content_of(dir + "/same.csv") == "from a");
  b.commit();  // the later one wins, whole
  CHECK(content_of(dir + "/same.csv") == "from b");
  CHECK(temporaries_in(dir) == 0);
}

TEST_CASE("a temporary file is removed when the write is abandoned", "[atomic_write]") {
  const std::string dir = nn::test::fresh_dir("atomic_write_abandoned");
  {
    nn::TempFile t(dir + "/x.png");
    t.write("half");
    CHECK(temporaries_in(dir) == 1);
  }  // an exception between write and commit ends here too
  CHECK(temporaries_in(dir) == 0);
  CHECK_FALSE(fs::exists(dir + "/x.png"));
}

TEST_CASE("SIGTERM and SIGINT remove the temporary files, then end the program",
          "[atomic_write]") {
  for (const int sig : {SIGTERM, SIGINT}) {
    const std::string dir = nn::test::fresh_dir("atomic_write_signal");
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // the child makes a temporary file and is killed while writing it
      std::signal(SIGTERM, SIG_DFL);  // as in a chapter (not Catch2's handlers)
      std::signal(SIGINT, SIG_DFL);
      nn::TempFile t(dir + "/x.csv");
      t.write("half");
      raise(sig);
      _exit(0);  // not reached: the signal ends the child
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == sig);
    CHECK(temporaries_in(dir) == 0);
  }
}

TEST_CASE("a folder is checked as writable before any work", "[atomic_write]") {
  const std::string dir = nn::test::fresh_dir("atomic_write_check");
  CHECK_NOTHROW(nn::check_folder_writable(dir));
  CHECK(fs::is_empty(dir));
  CHECK_THROWS(nn::check_folder_writable("/proc/self"));  // exists, but not writable
  CHECK_THROWS(nn::check_folder_writable(dir + "/missing"));
}

TEST_CASE("save_problem says why a model file cannot be written there, or nothing",
          "[atomic_write]") {
  const std::string dir = nn::test::fresh_dir("atomic_write_save_problem");
  CHECK(nn::save_problem(dir + "/model.nnm", false).empty());
  CHECK(fs::is_empty(dir));  // nothing is written: only checked
  CHECK(nn::save_problem(dir, false) == " is a folder");
  CHECK(nn::save_problem(dir + "/missing/model.nnm", false) == ": its folder does not exist");
  CHECK_THAT(nn::save_problem("/proc/self/model.nnm", false),
             Catch::StartsWith(": cannot write into its folder: "));
  SECTION("a default target's folder is created first") {
    CHECK(nn::save_problem(dir + "/made/model.nnm", true).empty());
    CHECK(fs::is_directory(dir + "/made"));
  }
}
