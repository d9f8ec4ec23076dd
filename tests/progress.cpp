// Tests for common/progress.hpp
#include <catch2/catch.hpp>

#include <cmath>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "common/progress.hpp"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Two epochs of three batches of 64 samples, with made-up losses.
std::string run(nn::ProgressStyle style) {
  std::ostringstream out;
  nn::Progress progress(2, 3, style, out);
  for (int epoch = 1; epoch <= 2; ++epoch) {
    for (int batch = 0; batch < 3; ++batch) progress.batch_done(64, 1.0 / (epoch + batch));
    progress.epoch_done(0.5 / epoch, epoch == 2 ? "test accuracy 85.31%" : "");
  }
  return out.str();
}

}  // namespace

TEST_CASE("durations read as m:ss or h:mm:ss, and unknown ones as --:--", "[progress]") {
  CHECK(nn::format_duration(0) == "0:00");
  CHECK(nn::format_duration(7.4) == "0:07");
  CHECK(nn::format_duration(59.6) == "1:00");
  CHECK(nn::format_duration(725) == "12:05");
  CHECK(nn::format_duration(3599) == "59:59");
  CHECK(nn::format_duration(3723) == "1:02:03");
  CHECK(nn::format_duration(100 * 3600) == "100:00:00");
  CHECK(nn::format_duration(-1) == "--:--");
  CHECK(nn::format_duration(std::nan("")) == "--:--");
  CHECK(nn::format_duration(INFINITY) == "--:--");
}

TEST_CASE("the epoch summary is deterministic and its columns line up", "[progress]") {
  CHECK(nn::Progress::epoch_summary(3, 10, 0.41234, "") == "epoch  3/10  loss 0.4123");
  CHECK(nn::Progress::epoch_summary(10, 10, 0.25, "test accuracy 85.31%") ==
        "epoch 10/10  loss 0.2500  test accuracy 85.31%");
}

TEST_CASE("not on a terminal: one line per epoch and no control characters", "[progress]") {
  const std::string text = run(nn::ProgressStyle::lines);
  for (char c : text) REQUIRE((c == '\n' || static_cast<unsigned char>(c) >= 0x20));
  const std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() == 2);
  // Everything but the timings in parentheses is fixed by the arguments.
  const std::regex timings(R"(  \(\d+\.\d s, \d+ samples/s\)$)");
  CHECK(std::regex_search(lines[0], timings));
  CHECK(std::regex_search(lines[1], timings));
  CHECK(std::regex_replace(lines[0], timings, "") == "epoch 1/2  loss 0.5000");
  CHECK(std::regex_replace(lines[1], timings, "") ==
        "epoch 2/2  loss 0.2500  test accuracy 85.31%");
}

TEST_CASE("on a terminal: a bar redrawn in place, then the epoch line stays", "[progress]") {
  const std::string text = run(nn::ProgressStyle::bar);
  // The first batch of an epoch is always drawn: 1 of 3 batches, mean loss so far 1.0.
  CHECK_THAT(text, Catch::StartsWith("\repoch 1/2 [#####-----------] 1/3  loss 1.0000"));
  CHECK_THAT(text, Catch::Contains("[################] 3/3"));
  CHECK_THAT(text, Catch::Contains(" left"));
  // Each epoch ends with its summary on a line of its own.
  const std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::Contains("\repoch 1/2  loss 0.5000  ("));
  CHECK_THAT(lines[1], Catch::Contains("\repoch 2/2  loss 0.2500  test accuracy 85.31%  ("));
}

TEST_CASE("the last epoch's time and speed are available to the program", "[progress]") {
  std::ostringstream out;
  nn::Progress progress(1, 1, nn::ProgressStyle::lines, out);
  progress.batch_done(1000, 0.1);
  progress.epoch_done(0.1);
  CHECK(progress.epoch_seconds() >= 0);
  CHECK(progress.samples_per_second() >= 0);
  CHECK_THROWS_AS(nn::Progress(0, 10, nn::ProgressStyle::lines, out), std::invalid_argument);
}
